"""Freshness: a source that falls silent, a day missing between its batches, or a stray folder raises an alert.

Each source's expected arrival is ``Settings.freshness_hours``: a file source that delivered no batch
for longer than that, or a police database that gave no new row for longer, is *stale*; a day with no
batch between a file source's first and last batch is *missing*. A refused delivery (damaged, or dated
after the day it arrived) counts for neither: its date and its arrival cannot be trusted. An entry of a
file source's landing area that is not named as a batch folder (``batch=YYYY-MM-DD``, a real day) is a
*stray folder*: never loaded, so named here rather than skipped in silence. Every alert is a WARNING log
line, a line in ``fraudbrain status`` and in the run summary, and a Prefect event
(``fraudbrain.source.stale``, ``.missing-day`` or ``.stray-folder``) that the automation created by
``fraudbrain serve`` reacts to. Counts, dates, source and folder names only: no personal data.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from dataclasses import asdict, dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

import duckdb
import fsspec

from flows.settings import Settings
from rules.contracts import batch_folder_date

log = logging.getLogger("fraudbrain.freshness")

FILE_SOURCES = ("telecom", "finance")
SOURCES = (*FILE_SOURCES, "police")
STALE, MISSING_DAY, STRAY_FOLDER = "stale", "missing-day", "stray-folder"
EVENT_PREFIX = "fraudbrain.source."
EVENTS = {kind: f"{EVENT_PREFIX}{kind}" for kind in (STALE, MISSING_DAY, STRAY_FOLDER)}


@dataclass(frozen=True)
class Alert:
    source: str
    kind: str  # stale | missing-day | stray-folder
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

    A file batch counts as delivered when it was loaded, held or is up for replay; a refused one does not
    (a damaged delivery, or one dated after the day it arrived: a folder ``batch=2099-01-01`` must not
    make the days up to 2099 "missing"). A police extraction counts when it loaded at least one new row.
    """
    if source in FILE_SOURCES:
        rows = con.execute(
            "select batch, first_seen_at from audit.batches where source = ? and status not in ('replaced', 'refused')",
            [source],
        ).fetchall()
        return max((r[1] for r in rows), default=None), [r[0] for r in rows]
    row = con.execute(
        "select max(loaded_at) from audit.load_ledger where source = ? and rows_loaded > 0", [source]
    ).fetchone()
    return (row[0] if row else None), []


def stray_folders(settings: Settings, source: str) -> list[str]:
    """Names in ``source``'s landing area that are not batch folders (``tmp``, ``batch=2026-13-45``)."""
    fs, root = fsspec.core.url_to_fs(settings.landing)
    base = f"{root.rstrip('/')}/{source}"
    if not fs.exists(base):
        return []
    names = (entry.rstrip("/").rsplit("/", 1)[-1] for entry in fs.ls(base, detail=False))
    return sorted(name for name in names if batch_folder_date(name) is None)


def stray_alert(source: str, names: list[str]) -> Alert | None:
    if not names:
        return None
    shown = ", ".join(repr(n[:80]) for n in names[:10]) + (f" and {len(names) - 10} more" if len(names) > 10 else "")
    return Alert(
        source,
        STRAY_FOLDER,
        f"{len(names)} entr{'y' if len(names) == 1 else 'ies'} in the {source} landing area not named "
        f"batch=YYYY-MM-DD, never loaded: {shown}",
    )


def check(con: duckdb.DuckDBPyConnection, settings: Settings, now: datetime | None = None) -> list[Alert]:
    """Every freshness alert of every source, from the audit tables of ``con`` and the landing zone's listing."""
    now = now or datetime.now()
    alerts: list[Alert] = []
    for source in SOURCES:
        last, batches = arrivals(con, source)
        alerts += judge(source, last, batches, now, settings.freshness_hours.get(source))
        if source in FILE_SOURCES:
            try:
                stray = stray_alert(source, stray_folders(settings, source))
            except OSError as exc:  # a landing zone that cannot be listed: the extract step reports it
                log.warning("cannot list the %s landing area for stray folders: %s", source, exc)
                stray = None
            alerts += [stray] if stray else []
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
