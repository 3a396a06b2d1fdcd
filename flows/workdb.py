"""The working database (restricted): raw, quarantine, audit, and the dbt layers built on them."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime

import duckdb

from flows.settings import Settings

RUNS_DDL = """
create schema if not exists audit;
create table if not exists audit.runs (
    run_id varchar primary key,
    started_at timestamp not null,
    finished_at timestamp,
    status varchar not null,            -- running | success | failed
    message varchar,
    data_version varchar                -- what was loaded when this run published (see data_version)
);
create table if not exists audit.purges (   -- retention (flows/privacy/purge.py): counts only, never values
    purge_id varchar not null,
    purged_at timestamp not null,
    cutoff date not null,               -- rows of batches dated before this day were purged
    retention_days integer,             -- the setting in force (null: cutoff given explicitly)
    zone varchar not null,              -- raw | quarantine
    table_name varchar not null,
    rows_touched bigint not null,
    values_purged bigint not null
);
"""


@contextmanager
def connect(settings: Settings, *, read_only: bool = False) -> Iterator[duckdb.DuckDBPyConnection]:
    """Open the working database, creating its schemas on first use; always closed on exit."""
    settings.work_dir.mkdir(parents=True, exist_ok=True)
    con = duckdb.connect(str(settings.work_db), read_only=read_only)
    try:
        if not read_only:
            ensure_schemas(con)
        yield con
    finally:
        con.close()


def ensure_schemas(con: duckdb.DuckDBPyConnection) -> None:
    from flows.ingest import ledger

    for schema in ("raw", "quarantine", "audit"):
        con.execute(f"create schema if not exists {schema}")
    con.execute(RUNS_DDL)
    ledger.ensure_schema(con)


def start_run(con: duckdb.DuckDBPyConnection, run_id: str) -> None:
    con.execute(
        "insert into audit.runs (run_id, started_at, status) values (?, ?, 'running')",
        [run_id, datetime.now()],
    )


def finish_run(
    con: duckdb.DuckDBPyConnection, run_id: str, status: str, message: str, data_version: str | None
) -> None:
    con.execute(
        """
        update audit.runs
        set finished_at = ?, status = ?, message = nullif(?, ''),
            data_version = coalesce(?, data_version)
        where run_id = ?
        """,
        [datetime.now(), status, message, data_version, run_id],
    )


def data_version(con: duckdb.DuckDBPyConnection) -> str:
    """A fingerprint of what has been loaded: it changes whenever rows are loaded, a delivery replaced or raw
    values purged."""
    row = con.execute(
        """
        select count(*) filter (where status = 'replaced'),
               coalesce(sum(rows_loaded) filter (where status = 'loaded'), 0),
               count(*) filter (where status = 'loaded' and rows_loaded > 0)
        from audit.load_ledger
        """
    ).fetchone()
    version = f"replaced={row[0]};loaded={row[1]};files={row[2]}"
    # a purge changes raw values (not what was loaded): the next run rebuilds, so staging forgets them too
    (purges,) = con.execute("select count(distinct purge_id) from audit.purges where rows_touched > 0").fetchone()
    return version + (f";purges={purges}" if purges else "")


def ledger_totals(con: duckdb.DuckDBPyConnection, run_id: str) -> dict[str, int]:
    row = con.execute(
        """
        select coalesce(sum(rows_read), 0), coalesce(sum(rows_loaded), 0),
               coalesce(sum(rows_quarantined), 0), coalesce(sum(rows_duplicate), 0), count(*)
        from audit.load_ledger where run_id = ?
        """,
        [run_id],
    ).fetchone()
    return dict(zip(("read", "loaded", "quarantined", "duplicate", "ledger_rows"), map(int, row), strict=True))
