"""`fraudbrain status`: per source, what arrived last, what the ledger holds, what is held, how runs went.

Read from the working database when no run holds it, else from the last published warehouse (whose
`audit` schema is a copy as of that publish). Counts and dates only: no personal data.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

import duckdb

from flows.settings import Settings

FILE_SOURCES = ("telecom", "finance")


@dataclass
class SourceStatus:
    source: str
    last_batch: str | None = None  # batch date (files) or watermark (police)
    last_arrival: datetime | None = None  # when we took it
    totals: dict[str, int] = field(default_factory=dict)
    quarantined_rows: int | None = None
    held: list[str] = field(default_factory=list)  # "<batch>: <status> <message>"
    missing_days: list[str] = field(default_factory=list)
    alerts: list[str] = field(default_factory=list)


@dataclass
class Status:
    read_from: str
    sources: list[SourceStatus]
    last_run: dict[str, Any] | None


def open_status_db(settings: Settings) -> tuple[duckdb.DuckDBPyConnection, str]:
    for path, label in ((settings.work_db, "working database"), (settings.warehouse, "published warehouse")):
        if Path(path).exists():
            try:
                return duckdb.connect(str(path), read_only=True), f"{label} {path}"
            except duckdb.IOException:
                continue  # held by a running pipeline: fall back to the published copy
    raise FileNotFoundError(f"nothing to report: no working database at {settings.work_db} and no warehouse")


def collect(settings: Settings, now: datetime | None = None) -> Status:
    now = now or datetime.now()
    con, label = open_status_db(settings)
    try:
        sources = [_source_status(con, s, settings, now) for s in (*FILE_SOURCES, "police")]
        run = con.execute(
            "select run_id, started_at, finished_at, status, message from audit.runs order by started_at desc limit 1"
        ).fetchone()
        last_run = (
            dict(zip(("run_id", "started_at", "finished_at", "status", "message"), run, strict=True)) if run else None
        )
        return Status(label, sources, last_run)
    finally:
        con.close()


def _source_status(con: duckdb.DuckDBPyConnection, source: str, settings: Settings, now: datetime) -> SourceStatus:
    st = SourceStatus(source)
    row = con.execute(
        """select count(*), coalesce(sum(rows_read), 0), coalesce(sum(rows_loaded), 0),
                  coalesce(sum(rows_quarantined), 0), coalesce(sum(rows_duplicate), 0), max(loaded_at)
           from audit.load_ledger where source = ? and status <> 'replaced'""",
        [source],
    ).fetchone()
    st.totals = dict(zip(("ledger rows", "read", "loaded", "quarantined", "duplicate"), map(int, row[:5]), strict=True))
    if source in FILE_SOURCES:
        batches = con.execute(
            "select batch, status, coalesce(message, ''), first_seen_at from audit.batches "
            "where source = ? order by batch",
            [source],
        ).fetchall()
        loaded = [b for b in batches if b[1] == "loaded"]
        if loaded:
            st.last_batch, st.last_arrival = loaded[-1][0], loaded[-1][3]
        st.held = [f"{b}: {s} {m}"[:200] for b, s, m, _t in batches if s in ("held", "refused")]
        st.missing_days = _gaps([b[0] for b in loaded])
    else:
        wm = con.execute("select max(watermark), max(updated_at) from audit.watermarks").fetchone()
        st.last_batch, st.last_arrival = wm
    if _has_table(con, "quarantine", "rows"):
        st.quarantined_rows = con.execute(
            "select count(*) from quarantine.rows where _source = ?", [source]
        ).fetchone()[0]
    limit = settings.freshness_hours.get(source)
    last_data = row[5]
    if limit is not None and (last_data is None or now - last_data > timedelta(hours=limit)):
        st.alerts.append(f"no new {source} data for more than {limit:g} h (last: {last_data or 'never'})")
    if st.missing_days:
        st.alerts.append(f"missing {source} batches: {', '.join(st.missing_days[:10])}")
    for h in st.held:
        st.alerts.append(f"held or refused {source} batch {h}")
    return st


def _gaps(batches: list[str]) -> list[str]:
    days = sorted({date.fromisoformat(b) for b in batches})
    if len(days) < 2:
        return []
    have = set(days)
    span = (days[-1] - days[0]).days
    return [str(days[0] + timedelta(d)) for d in range(span + 1) if days[0] + timedelta(d) not in have]


def _has_table(con: duckdb.DuckDBPyConnection, schema: str, name: str) -> bool:
    return bool(
        con.execute(
            "select count(*) from information_schema.tables where table_schema = ? and table_name = ?",
            [schema, name],
        ).fetchone()[0]
    )
