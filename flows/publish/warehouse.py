"""Publish the warehouse analysts open: pseudonymised schemas only, swapped in atomically.

The working database holds clear values (raw, quarantine, staging). The published file is a fresh DuckDB
database holding only the `marts` and `audit` schemas, written beside the old one and moved over it with
one `os.replace`: readers see the old snapshot or the new one, never a half-built state, and a reader
holding the old file open keeps reading it undisturbed.
"""

from __future__ import annotations

import json
import os
import shutil
from dataclasses import dataclass
from pathlib import Path

import duckdb

from flows.publish.data_docs import make_offline
from flows.publish.portal import build_portal
from flows.settings import Settings

PUBLISHED_SCHEMAS = ("marts", "audit")
# dbt's docs page and the artifacts it shows: published as one file with both inlined (dbt docs generate
# --static does the same), since a browser opening the page from disk cannot fetch the JSON beside it
DBT_DOCS_FILES = ("index.html", "manifest.json", "catalog.json")
# dbt docs start a tracker loading this script when the manifest says usage stats are on: never on our pages
DBT_DOCS_TRACKER = "//d1fc8wv8zag5ca.cloudfront.net/2.9.0/sp.js"
DBT_DOCS_FAVICON = """<link rel="shortcut icon" href="${require('./assets/favicons/favicon.ico')}"/>"""
CJK_FONT_STACK = '"Noto Sans CJK SC","WenQuanYi Micro Hei","Microsoft YaHei",sans-serif'
DBT_DOCS_FONTS = (
    'font-family:-apple-system,BlinkMacSystemFont,"Segoe UI",Roboto,Oxygen,Ubuntu,Cantarell,"Fira Sans",'
    '"Droid Sans","Helvetica Neue",Helvetica,Arial,sans-serif'
)


@dataclass
class PublishResult:
    warehouse: Path
    tables: dict[str, int]  # schema.table -> rows
    docs_dir: Path


def _quote(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def published_tables(con: duckdb.DuckDBPyConnection) -> list[tuple[str, str]]:
    rows = con.execute(
        """
        select table_schema, table_name from information_schema.tables
        where table_catalog = current_database() and table_schema in ('marts', 'audit')
        order by table_schema, table_name
        """
    ).fetchall()
    return [(s, t) for s, t in rows]


def publish_warehouse(settings: Settings, run_id: str) -> PublishResult:
    """Copy `marts` and `audit` from the working database into a new file, then swap it in."""
    target = settings.warehouse
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = target.with_name(f".{target.name}.{run_id}.tmp")
    for stale in target.parent.glob(f".{target.name}.*.tmp"):  # left by a run that was killed
        stale.unlink(missing_ok=True)
    counts: dict[str, int] = {}
    con = duckdb.connect(":memory:", config={"memory_limit": settings.publish_memory_limit})
    try:
        con.execute(f"attach {_sql_str(settings.work_db)} as work (read_only)")
        con.execute(f"attach {_sql_str(tmp)} as pub")
        con.execute("use work")
        for schema in PUBLISHED_SCHEMAS:
            con.execute(f"create schema if not exists pub.{schema}")
        for schema, name in published_tables(con):
            src = f"work.{schema}.{_quote(name)}"
            con.execute(f"create table pub.{schema}.{_quote(name)} as select * from {src}")
            counts[f"{schema}.{name}"] = con.execute(f"select count(*) from {src}").fetchone()[0]
        _copy_descriptions(con)
        con.execute("checkpoint pub")
        con.execute("use memory")
        con.execute("detach pub")
        con.execute("detach work")
    finally:
        con.close()
    _fsync(tmp)
    os.replace(tmp, target)
    _fsync(target.parent)
    return PublishResult(target, counts, settings.published_dir)


def published_version(warehouse: Path) -> str | None:
    """The data version the published warehouse was built from (None: nothing published yet).

    Read from the published file itself, so a run killed between building and publishing is seen as
    not published, and the next run publishes.
    """
    if not warehouse.exists():
        return None
    con = duckdb.connect(str(warehouse), read_only=True)
    try:
        row = con.execute(
            "select data_version from audit.runs where status = 'success' and data_version is not null "
            "order by started_at desc limit 1"
        ).fetchone()
        return row[0] if row else None
    except duckdb.CatalogException:
        return None
    finally:
        con.close()


def _copy_descriptions(con: duckdb.DuckDBPyConnection) -> None:
    """dbt's model and column descriptions (persisted as comments) follow the tables to the published file."""
    tables = con.execute(
        "select schema_name, table_name, comment from duckdb_tables() "
        "where database_name = current_database() and schema_name in ('marts', 'audit') and comment is not null"
    ).fetchall()
    tables += con.execute(
        "select schema_name, view_name, comment from duckdb_views() "
        "where database_name = current_database() and schema_name in ('marts', 'audit') and comment is not null"
    ).fetchall()
    for schema, name, comment in tables:
        con.execute(f"comment on table pub.{schema}.{_quote(name)} is {_sql_literal(comment)}")
    columns = con.execute(
        "select schema_name, table_name, column_name, comment from duckdb_columns() "
        "where database_name = current_database() and schema_name in ('marts', 'audit') and comment is not null"
    ).fetchall()
    for schema, name, column, comment in columns:
        con.execute(f"comment on column pub.{schema}.{_quote(name)}.{_quote(column)} is {_sql_literal(comment)}")


def _sql_literal(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def publish_docs(settings: Settings, run_id: str, data_docs_site: Path | None, dbt_target: Path | None) -> Path:
    """Publish the docs folder (GX Data Docs, dbt docs, the portal) for this run, swapped in atomically.

    `<stem>_docs` is a symbolic link to a folder per run (`.<stem>_docs.<run_id>`); the link is replaced in
    one `os.replace`, so a reader never finds the folder missing or half-written. The portal is built from
    the just-published warehouse file, never from the working database.
    """
    final = settings.published_dir
    version = final.with_name(f".{final.name}.{run_id}")
    shutil.rmtree(version, ignore_errors=True)
    version.mkdir(parents=True)
    if data_docs_site is not None and data_docs_site.exists():
        shutil.copytree(data_docs_site, version / "data_docs")
        make_offline(version / "data_docs")
    if dbt_target is not None and all((dbt_target / name).exists() for name in DBT_DOCS_FILES):
        out = version / "dbt_docs"
        out.mkdir()
        (out / "index.html").write_text(static_dbt_docs(dbt_target), encoding="utf-8")
    build_portal(settings.warehouse, version / "portal")
    if final.exists() and not final.is_symlink():
        shutil.rmtree(final)  # a folder from an older layout
    link = final.with_name(f".{final.name}.{run_id}.link")
    link.unlink(missing_ok=True)
    link.symlink_to(version.name)
    os.replace(link, final)
    for stale in final.parent.glob(f".{final.name}.*"):
        if stale == version:
            continue
        if stale.is_dir() and not stale.is_symlink():
            shutil.rmtree(stale, ignore_errors=True)
        else:
            stale.unlink(missing_ok=True)
    return final


def static_dbt_docs(dbt_target: Path) -> str:
    """dbt's docs page with the manifest and catalog inlined: one file that works from disk, offline.

    The manifest loses the fixtures of dbt unit tests (the docs need the models, not test rows) and says
    usage stats are off (dbt docs then start no tracker); the page declares a CJK font stack.
    """
    manifest = json.loads((dbt_target / "manifest.json").read_text(encoding="utf-8"))
    manifest["unit_tests"] = {}
    manifest.setdefault("metadata", {})["send_anonymous_usage_stats"] = False
    catalog = json.loads((dbt_target / "catalog.json").read_text(encoding="utf-8"))
    page = (dbt_target / "index.html").read_text(encoding="utf-8")
    for placeholder, data in (('"MANIFEST.JSON INLINE DATA"', manifest), ('"CATALOG.JSON INLINE DATA"', catalog)):
        if placeholder not in page:
            raise RuntimeError(f"dbt's docs page has no {placeholder} to inline: was dbt upgraded?")
        # inside a <script>: "</" must not close it
        page = page.replace(placeholder, json.dumps(data).replace("</", "<\\/"), 1)
    page = page.replace(DBT_DOCS_TRACKER, "data:text/javascript,")
    # two slips of dbt's page that make a browser load addresses that are not there: a favicon link holding
    # an unbuilt `${require(...)}`, and SVG icons whose href is an Angular template before Angular fills it
    page = page.replace(DBT_DOCS_FAVICON, "")
    page = page.replace('<use xlink:href="{{', '<use ng-attr-xlink:href="{{')
    if DBT_DOCS_FONTS in page:  # CJK fonts before the generic family of dbt's own stack
        return page.replace(DBT_DOCS_FONTS, DBT_DOCS_FONTS.removesuffix("sans-serif") + CJK_FONT_STACK)
    return page.replace("</head>", f"<style>body {{ font-family: system-ui, {CJK_FONT_STACK}; }}</style></head>", 1)


def _sql_str(path: Path) -> str:
    return _sql_literal(str(path))


def _fsync(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def content_hashes(warehouse: Path, schemas: tuple[str, ...] = ("marts",)) -> dict[str, str]:
    """An order-independent content hash of every table in `schemas` of a published warehouse.

    Two warehouses with equal hashes hold the same rows (used to prove reruns and recoveries publish the
    same marts).
    """
    con = duckdb.connect(str(warehouse), read_only=True)
    try:
        out: dict[str, str] = {}
        for schema, name in published_tables(con):
            if schema not in schemas:
                continue
            rel = f"{schema}.{_quote(name)}"
            (digest,) = con.execute(
                f"select md5(coalesce(string_agg(r, chr(10) order by r), '')) "
                f"from (select cast(t as varchar) as r from {rel} t)"
            ).fetchone()
            out[f"{schema}.{name}"] = digest
        return out
    finally:
        con.close()
