"""The published portal, opened in a real headless browser (Debian's chromium), as a supervisor would."""

from __future__ import annotations

from pathlib import Path
from urllib.parse import unquote, urlparse

import pytest

from tests.browser import chromium
from tests.conftest import REPO

ARTIFACTS = REPO / "test-artifacts"


@pytest.fixture(scope="module")
def browser_page():
    with chromium() as browser:
        yield browser.new_page(viewport={"width": 1280, "height": 900})


def test_portal_loads_without_errors_renders_charts_and_its_links_resolve(demo_run, browser_page):
    settings, _ = demo_run
    index = settings.portal_dir / "index.html"
    assert index.exists()
    page = browser_page
    problems: list[str] = []
    page.on("console", lambda m: problems.append(f"console {m.type}: {m.text}") if m.type == "error" else None)
    page.on("pageerror", lambda exc: problems.append(f"page error: {exc}"))
    page.on("requestfailed", lambda r: problems.append(f"request failed: {r.url}"))
    page.goto(index.as_uri())
    page.wait_for_load_state("load")
    assert problems == []

    charts = page.locator("svg.chart")
    assert charts.count() >= 3, "KPI trends, index and gang networks are drawn"
    for i in range(charts.count()):
        box = charts.nth(i).bounding_box()
        assert box and box["width"] > 50 and box["height"] > 20
    assert page.locator("svg.chart polyline.series").count() >= 1, "trend lines have data"
    assert page.locator("svg.network circle.node").count() >= 2, "gang networks have members"

    hrefs = page.eval_on_selector_all("a[href]", "els => els.map(e => e.href)")
    assert hrefs
    for href in hrefs:
        url = urlparse(href)
        if url.fragment and url.path == urlparse(index.as_uri()).path:
            assert page.locator(f"#{url.fragment}").count() == 1, f"anchor {href} has no target"
            continue
        assert url.scheme == "file", f"the portal links outside itself: {href}"
        assert Path(unquote(url.path)).exists(), f"broken link {href}"

    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "portal.png"), full_page=True)


def test_portal_holds_no_clear_identifiers(demo_run, small_world):
    from flows.privacy.scan import load_names, scan_path

    settings, _ = demo_run
    findings = list(scan_path(settings.portal_dir, load_names(small_world["police_url"])))
    assert findings == []
