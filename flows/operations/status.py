"""`fraudbrain status`: per source, what arrived last, what the ledger holds, what is held, how runs went.

Read from the working database when no run holds it, else from the last published warehouse (whose
`audit` schema is a copy as of that publish). Counts and dates only: no personal data.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

import duckdb

from flows.operations import freshness
from flows.settings import Settings

FILE_SOURCES = freshness.FILE_SOURCES
RUN_COLUMNS = ("run_id", "started_at", "finished_at", "status", "message")


@dataclass
class SourceStatus:
    source: str
    last_batch: str | None = None  # latest batch date taken (files) or the police watermark
    last_arrival: datetime | None = None  # when the source last delivered something new
    totals: dict[str, int] = field(default_factory=dict)  # ledger rows that count (not replaced)
    quarantined_rows: int | None = None  # rows in quarantine.rows (work database only)
    held: list[str] = field(default_factory=list)  # "<batch>: <status> <message>" (partial: files held alone)
    accepts: list[str] = field(default_factory=list)  # "<batch>: accepted by <who> at <when>: <reason> (...)"
    released: list[str] = field(default_factory=list)  # batches up for replay or backfill
    missing_days: list[str] = field(default_factory=list)
    last_run: dict[str, Any] | None = None  # the last run that took something of this source
    freshness: str = "fresh"  # fresh | stale | missing days | stale, missing days | not watched
    alerts: list[str] = field(default_factory=list)


@dataclass
class Status:
    read_from: str
    sources: list[SourceStatus]
    last_run: dict[str, Any] | None

    @property
    def alerts(self) -> list[str]:
        return [a for s in self.sources for a in s.alerts]

    def to_json(self) -> str:
        return json.dumps({**asdict(self), "alerts": self.alerts}, default=str, ensure_ascii=False, indent=2)


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
        alerts = freshness.check(con, settings, now)
        sources = [_source_status(con, s, settings, alerts) for s in freshness.SOURCES]
        run = con.execute(
            f"select {', '.join(RUN_COLUMNS)} from audit.runs order by started_at desc limit 1"
        ).fetchone()
        return Status(label, sources, dict(zip(RUN_COLUMNS, run, strict=True)) if run else None)
    finally:
        con.close()


def _source_status(
    con: duckdb.DuckDBPyConnection, source: str, settings: Settings, alerts: list[freshness.Alert]
) -> SourceStatus:
    st = SourceStatus(source)
    st.totals = _totals(con, source)
    st.last_run = _last_run(con, source)
    if source in FILE_SOURCES:
        _file_batches(con, st)
    else:
        st.last_batch = con.execute("select max(watermark) from audit.watermarks").fetchone()[0]
    st.last_arrival, _ = freshness.arrivals(con, source)
    if _has_table(con, "quarantine", "rows"):
        st.quarantined_rows = con.execute(
            "select count(*) from quarantine.rows where _source = ?", [source]
        ).fetchone()[0]
    mine = [a for a in alerts if a.source == source]
    st.missing_days = [d for a in mine for d in a.missing_days]
    st.freshness = _verdict(mine, watched=settings.freshness_hours.get(source) is not None)
    st.alerts = [a.message for a in mine] + [f"held or refused {source} batch {h}" for h in st.held]
    return st


def _totals(con: duckdb.DuckDBPyConnection, source: str) -> dict[str, int]:
    row = con.execute(
        """select count(*), coalesce(sum(rows_read), 0), coalesce(sum(rows_loaded), 0),
                  coalesce(sum(rows_quarantined), 0), coalesce(sum(rows_duplicate), 0)
           from audit.load_ledger where source = ? and status not in ('replaced', 'released')""",
        [source],
    ).fetchone()
    return dict(zip(("ledger rows", "read", "loaded", "quarantined", "duplicate"), map(int, row), strict=True))


def _file_batches(con: duckdb.DuckDBPyConnection, st: SourceStatus) -> None:
    batches = con.execute(
        "select batch, status, coalesce(message, '') from audit.batches where source = ? and status <> 'replaced' "
        "order by batch",
        [st.source],
    ).fetchall()
    loaded = [b for b, s, _m in batches if s in ("loaded", "partial")]
    st.last_batch = loaded[-1] if loaded else None
    st.held = [f"{b}: {s} {m}"[:200] for b, s, m in batches if s in ("held", "partial", "refused")]
    st.released = [b for b, s, _m in batches if s == "released"]
    if _has_table(con, "audit", "accepts"):
        st.accepts = [
            f"{b}: accepted by {who} at {at}: {why} ({f'loaded in run {run}' if run else 'waiting for the next run'})"[
                :300
            ]
            for b, who, at, why, run in con.execute(
                "select batch, who, accepted_at, reason, run_id from audit.accepts where source = ? "
                "order by accepted_at",
                [st.source],
            ).fetchall()
        ]


def _last_run(con: duckdb.DuckDBPyConnection, source: str) -> dict[str, Any] | None:
    row = con.execute(
        f"""select {", ".join(f"r.{c}" for c in RUN_COLUMNS)} from audit.runs r
            where r.run_id = (select run_id from audit.load_ledger where source = ? order by loaded_at desc limit 1)""",
        [source],
    ).fetchone()
    return dict(zip(RUN_COLUMNS, row, strict=True)) if row else None


def _verdict(alerts: list[freshness.Alert], *, watched: bool) -> str:
    kinds = {a.kind for a in alerts}
    parts = [
        label for kind, label in ((freshness.STALE, "stale"), (freshness.MISSING_DAY, "missing days")) if kind in kinds
    ]
    if parts:
        return ", ".join(parts)
    return "fresh" if watched else "not watched"


def _has_table(con: duckdb.DuckDBPyConnection, schema: str, name: str) -> bool:
    return bool(
        con.execute(
            "select count(*) from information_schema.tables where table_schema = ? and table_name = ?",
            [schema, name],
        ).fetchone()[0]
    )
