"""Freshness: a source that falls silent, or a day missing between its batches, raises an alert.

Each source's expected arrival is ``Settings.freshness_hours``: a file source that delivered no batch
for longer than that, or a police database that gave no new row for longer, is *stale*; a day with no
batch between a file source's first and last batch is *missing*. Every alert is a WARNING log line, a
line in ``fraudbrain status`` and a Prefect event (``fraudbrain.source.stale`` or
``fraudbrain.source.missing-day``) that the automation created by ``fraudbrain serve`` reacts to.
Counts, dates and source names only: no personal data.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from dataclasses import asdict, dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

import duckdb

from flows.settings import Settings

log = logging.getLogger("fraudbrain.freshness")

FILE_SOURCES = ("telecom", "finance")
SOURCES = (*FILE_SOURCES, "police")
STALE, MISSING_DAY = "stale", "missing-day"
EVENT_PREFIX = "fraudbrain.source."
EVENTS = {STALE: f"{EVENT_PREFIX}stale", MISSING_DAY: f"{EVENT_PREFIX}missing-day"}


@dataclass(frozen=True)
class Alert:
    source: str
    kind: str  # stale | missing-day
    message: str
    last_arrival: datetime | None = None
    limit_hours: float | None = None
    missing_days: tuple[str, ...] = field(default_factory=tuple)

    def payload(self) -> dict[str, Any]:
        out = asdict(self)
        out["last_arrival"] = self.last_arrival.isoformat() if self.last_arrival else None
        out["missing_days"] = list(self.missing_days)
        return out


# ---- the rules (pure) -------------------------------------------------------------------------
def is_silent(last_arrival: datetime | None, now: datetime, limit_hours: float) -> bool:
    """No arrival at all, or the last one longer ago than the source's expected arrival."""
    return last_arrival is None or now - last_arrival > timedelta(hours=limit_hours)


def missing_days(batches: Iterable[str]) -> list[str]:
    """Days without a batch between the first and the last batch date (``YYYY-MM-DD``)."""
    days = sorted({date.fromisoformat(b) for b in batches})
    if len(days) < 2:
        return []
    have = set(days)
    span = (days[-1] - days[0]).days
    return [str(days[0] + timedelta(d)) for d in range(span + 1) if days[0] + timedelta(d) not in have]


def judge(
    source: str, last_arrival: datetime | None, batches: Iterable[str], now: datetime, limit_hours: float | None
) -> list[Alert]:
    """The alerts of one source, from when it last delivered and which batch dates it delivered."""
    alerts = []
    if limit_hours is not None and is_silent(last_arrival, now, limit_hours):
        seen = last_arrival.isoformat(sep=" ", timespec="minutes") if last_arrival else "never"
        alerts.append(
            Alert(
                source,
                STALE,
                f"no new {source} data for more than {limit_hours:g} h (last arrival: {seen})",
                last_arrival,
                limit_hours,
            )
        )
    gaps = missing_days(batches)
    if gaps:
        shown = ", ".join(gaps[:10]) + (f" and {len(gaps) - 10} more" if len(gaps) > 10 else "")
        alerts.append(
            Alert(
                source,
                MISSING_DAY,
                f"{len(gaps)} day(s) without a {source} batch: {shown}",
                last_arrival,
                limit_hours,
                tuple(gaps),
            )
        )
    return alerts


# ---- reading the audit tables -----------------------------------------------------------------
def arrivals(con: duckdb.DuckDBPyConnection, source: str) -> tuple[datetime | None, list[str]]:
    """When ``source`` last delivered something new, and (file sources) the batch dates it delivered.

    A file batch counts as delivered whatever became of it (loaded, held, refused, up for replay); a
    police extraction counts when it loaded at least one new row.
    """
    if source in FILE_SOURCES:
        rows = con.execute(
            "select batch, first_seen_at from audit.batches where source = ? and status <> 'replaced'", [source]
        ).fetchall()
        return max((r[1] for r in rows), default=None), [r[0] for r in rows]
    row = con.execute(
        "select max(loaded_at) from audit.load_ledger where source = ? and rows_loaded > 0", [source]
    ).fetchone()
    return (row[0] if row else None), []


def check(con: duckdb.DuckDBPyConnection, settings: Settings, now: datetime | None = None) -> list[Alert]:
    """Every freshness alert of every source, from the audit tables of ``con``."""
    now = now or datetime.now()
    alerts: list[Alert] = []
    for source in SOURCES:
        last, batches = arrivals(con, source)
        alerts += judge(source, last, batches, now, settings.freshness_hours.get(source))
    return alerts


# ---- raising them -----------------------------------------------------------------------------
def warn(alerts: Iterable[Alert], logger: logging.Logger | logging.LoggerAdapter = log) -> None:
    for a in alerts:
        logger.warning("ALERT freshness %s %s: %s", a.source, a.kind, a.message)


def emit(alerts: Iterable[Alert]) -> int:
    """One Prefect event per alert (``fraudbrain.source.stale`` / ``.missing-day``); returns how many were sent.

    Outside a Prefect API (no server, no ephemeral run) ``emit_event`` sends nothing, and that is fine.
    """
    from prefect.events import emit_event

    sent = 0
    for a in alerts:
        event = emit_event(
            event=EVENTS[a.kind],
            resource={"prefect.resource.id": f"fraudbrain.source.{a.source}", "prefect.resource.name": a.source},
            payload=a.payload(),
        )
        sent += event is not None
    return sent
