"""Every published page works from a file share with no internet (police networks are air-gapped).

The portal, GX Data Docs and dbt docs are opened from disk in headless Chromium with the network blocked;
each must show its content. A fast check reads every published HTML/CSS/JS file for anything a browser
would fetch from outside. The published warehouse carries the models' descriptions as comments.
"""

from __future__ import annotations

import re
from pathlib import Path

import duckdb
import pytest

from flows.publish.data_docs import CDN_ASSETS, GX_WEB_ASSETS, UNUSED_CDN_SCRIPTS
from tests.browser import chromium
from tests.conftest import REPO

ARTIFACTS = REPO / "test-artifacts"

# What a browser fetches: src/href (HTML attributes, or set from script), CSS url() and @import, fetch().
# Licence comments and XML namespaces name addresses too, but nothing loads them.
_OUTSIDE = r"""(?:https?:)?//(?!localhost[:/"']|127\.0\.0\.1[:/"']|\[::1\])[\w.-]+"""
FETCHED = [
    re.compile(rf"""\b(?:src|href|srcset|poster|data)\s*=\s*["']{_OUTSIDE}""", re.I),
    re.compile(rf"""url\(\s*["']?{_OUTSIDE}""", re.I),
    re.compile(rf"""@import\s+(?:url\()?\s*["']?{_OUTSIDE}""", re.I),
    re.compile(rf"""\bfetch\(\s*["']{_OUTSIDE}""", re.I),
]


def outside_references(text: str) -> list[str]:
    return [text[max(0, m.start() - 40) : m.end() + 60] for rx in FETCHED for m in rx.finditer(text)]


def test_no_published_page_references_an_outside_url(demo_run) -> None:
    settings, _ = demo_run
    root = settings.published_dir.resolve()
    pages = [p for p in root.rglob("*") if p.suffix in {".html", ".css", ".js"} and p.is_file()]
    assert {"portal", "data_docs", "dbt_docs"} <= {p.relative_to(root).parts[0] for p in pages}
    found = {str(p): refs for p in pages if (refs := outside_references(p.read_text("utf-8", errors="replace")))}
    assert found == {}


def test_every_cdn_address_in_gx_templates_has_a_local_copy() -> None:
    """A GX upgrade that loads another library (or version) from a CDN fails here, not on a police network."""
    import great_expectations

    templates = Path(great_expectations.__file__).parent / "render" / "view" / "templates"
    loaded = set()
    for tpl in templates.glob("*.j2"):
        text = tpl.read_text()
        loaded |= set(re.findall(r"""<(?:script|link)\b[^>]*\b(?:src|href)="(https?://[^"]+)\"""", text))
    assert loaded, "GX templates moved: nothing found to check"
    missing = {u for u in loaded if u not in CDN_ASSETS.keys() | UNUSED_CDN_SCRIPTS and not GX_WEB_ASSETS.match(u)}
    assert missing == set()
    assets = REPO / "flows" / "publish" / "assets" / "data_docs"
    assert all((assets / rel).is_file() for rel in CDN_ASSETS.values())


def _undescribed(warehouse: Path) -> tuple[int, list[str]]:
    con = duckdb.connect(str(warehouse), read_only=True)
    try:
        columns = con.execute(
            "select table_name, column_name, comment from duckdb_columns() where schema_name = 'marts'"
        ).fetchall()
        tables = con.execute("select table_name, comment from duckdb_tables() where schema_name = 'marts'").fetchall()
    finally:
        con.close()
    missing = [f"{t}.{c}" for t, c, comment in columns if not (comment or "").strip()]
    return len(columns), missing + [t for t, comment in tables if not (comment or "").strip()]


def test_every_mart_column_has_a_description_in_the_published_warehouse(demo_run) -> None:
    from flows.publish.warehouse import publish_warehouse

    settings, _ = demo_run
    columns, missing = _undescribed(settings.warehouse)
    assert columns > 100 and missing == []
    publish_warehouse(settings, "republished")  # a later publish keeps them
    assert _undescribed(settings.warehouse) == (columns, [])


# ---- in a browser, with the network blocked ------------------------------------------------------------
@pytest.fixture(scope="module")
def offline_page():
    with chromium(offline=True) as browser:
        context = browser.new_context(viewport={"width": 1280, "height": 800})
        outside: list[str] = []

        def block(route) -> None:
            outside.append(route.request.url)
            route.abort()

        context.route(re.compile(r"^(?!file:|data:|about:|blob:)"), block)
        page = context.new_page()
        page.outside_requests = outside
        yield page


def _open(page, path: Path) -> list[str]:
    """Open a published file; the problems seen while loading it (errors, requests that failed or left disk)."""
    problems: list[str] = []
    page.outside_requests.clear()
    on_console = lambda m: problems.append(f"console {m.type}: {m.text}") if m.type == "error" else None  # noqa: E731
    on_error = lambda exc: problems.append(f"page error: {exc}")  # noqa: E731
    on_failed = lambda r: problems.append(f"request failed: {r.url}")  # noqa: E731
    page.on("console", on_console)
    page.on("pageerror", on_error)
    page.on("requestfailed", on_failed)
    try:
        page.goto(path.as_uri())
        page.wait_for_load_state("load")
    finally:
        page.remove_listener("console", on_console)
        page.remove_listener("pageerror", on_error)
        page.remove_listener("requestfailed", on_failed)
    return problems + [f"outside request: {u}" for u in page.outside_requests]


@pytest.mark.browser
def test_data_docs_list_every_suite_run_with_its_outcome_offline(demo_run, offline_page) -> None:
    settings, _ = demo_run
    site = settings.data_docs_dir.resolve()
    runs = sorted(site.glob("validations/*/*/*/*.html"))
    assert runs
    page = offline_page
    assert _open(page, site / "index.html") == []
    assert page.evaluate("typeof jQuery === 'function' && typeof jQuery.fn.bootstrapTable === 'function'")
    table = page.locator("#section-1-content-block-2-1-body-table")
    table.locator("tbody tr").first.wait_for()
    rows = page.evaluate(
        "$('#section-1-content-block-2-1-body-table').bootstrapTable('getData', {unfiltered: true})"
        ".map(r => [r.run_name, r.asset_name, r.validation_success])"
    )
    assert len(rows) == len(runs), "one row per suite run (the table pages them)"
    assert all(re.search(r"fa-check-circle|fa-times", outcome) for *_, outcome in rows), "each shows its outcome"
    shown = table.locator("tbody tr").count()
    icons = table.locator("tbody tr i.ge-success-icon, tbody tr i.fa-times")
    assert shown >= min(len(runs), 10) and icons.count() == shown
    family = icons.first.evaluate("e => getComputedStyle(e, '::before').fontFamily")
    assert "Font Awesome" in family
    assert icons.first.evaluate("e => e.getBoundingClientRect().width") > 4, "the icon font loaded"
    assert all(run != "__none__" and asset for run, asset, _ in rows), "runs and batches are named"
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "data_docs.png"))


@pytest.mark.browser
def test_a_validation_page_shows_severity_outcome_run_and_batch_offline(demo_run, offline_page) -> None:
    settings, _ = demo_run
    site = settings.data_docs_dir.resolve()
    pages = sorted(site.glob("validations/*/*/*/*.html"))
    page = offline_page
    assert _open(page, pages[0]) == []
    body = page.locator("body").inner_text()
    assert "__none__" not in body and "Data asset: None" not in body
    assert re.search(r"Data asset:\s*\S+ \S+", body), "data asset names the table and the batch"
    assert "severity: row" in body and "outcome: " in body
    assert page.locator("table.table").count() >= 2
    assert page.evaluate("typeof jQuery.fn.collapse") == "function", "bootstrap's scripts loaded"


@pytest.mark.browser
def test_dbt_docs_show_the_models_from_disk_offline(demo_run, offline_page) -> None:
    settings, _ = demo_run
    index = settings.dbt_docs_dir.resolve() / "index.html"
    assert [p.name for p in index.parent.iterdir()] == ["index.html"], "one static file"
    page = offline_page
    assert _open(page, index) == []
    page.get_by_text("fct_calls").first.wait_for(state="attached")  # in the project tree
    page.goto(index.as_uri() + "#!/model/model.fraudbrain.fct_calls")
    page.get_by_text("One row per call").first.wait_for()  # the model's description
    page.get_by_text("call_id", exact=True).first.wait_for()  # and its columns
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "dbt_docs.png"))


@pytest.mark.browser
def test_portal_shows_its_charts_offline(demo_run, offline_page) -> None:
    settings, _ = demo_run
    page = offline_page
    assert _open(page, settings.portal_dir.resolve() / "index.html") == []
    assert page.locator("svg.chart").count() >= 3
