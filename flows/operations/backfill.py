"""Backfill and repair: take a date range of file batches again from the landing zone.

After a source re-sent files, or after a fix in fraudbrain, ``withdraw`` hands the batches of a date
range back to extraction: in one transaction per source, each recorded delivery of the range that the
landing zone still holds has its rows deleted from raw and quarantine, its ledger rows marked
``replaced`` (their counts stay as history) and its batch record set to ``released`` (or ``replaced``,
when the landing zone now holds another delivery of that day). The run then takes those batches like any
pending batch (``flows.ingest.extract.files.pending_batches`` already returns released and unseen deliveries, so
the extract step needs no change), through the same extract and validate path, and rebuilds and
publishes the warehouse from scratch.

A crash between the withdrawal and the reload leaves the batches released: the next run takes them.
A batch the landing zone no longer holds is never withdrawn (nothing could bring its rows back).
A re-taken row identical to a version a later batch already loaded counts as a duplicate this time (the
later version is kept, as staging would prefer it anyway): the ledger balances either way. A range that
reaches into a period purged for retention (``flows.privacy.purge``) is refused: its personal data may not be
loaded again.
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass, field
from datetime import date

import duckdb
import fsspec

from flows.errors import UserError
from flows.ingest import ledger
from flows.ingest.extract.common import transaction
from flows.ingest.quarantine import delete_delivery
from flows.settings import Settings
from rules.contracts import FILE_SOURCES, batch_folder_date

log = logging.getLogger("fraudbrain.backfill")

MANIFEST = "_SUCCESS"  # as flows.ingest.extract.files: a batch folder is complete once it holds its manifest
_WITHDRAWN_STATES = (ledger.LOADED, ledger.PARTIAL, ledger.HELD, ledger.HELD_FILE, ledger.REFUSED)


class BadRange(UserError, ValueError):
    """The date range or the sources of a backfill make no sense."""


@dataclass
class Withdrawn:
    source: str
    batches: list[str] = field(default_factory=list)  # batch dates handed back to extraction
    not_landed: list[str] = field(default_factory=list)  # recorded, but gone from the landing zone: kept

    def describe(self) -> str:
        text = f"{self.source}: {len(self.batches)} batch(es) to take again"
        if self.not_landed:
            text += f"; {len(self.not_landed)} no longer in the landing zone, kept: {', '.join(self.not_landed)}"
        return text


def file_sources(source: str) -> list[str]:
    """``telecom``, ``finance`` or ``all`` (both) as a list of file sources."""
    if source == "all":
        return list(FILE_SOURCES)
    if source not in FILE_SOURCES:
        raise BadRange(f"backfill takes file sources (telecom, finance or all), not {source!r}")
    return [source]


def check_range(first: date, last: date) -> None:
    if first > last:
        raise BadRange(f"--from {first} is after --to {last}")


def landed_batches(settings: Settings, source: str, first: date, last: date) -> dict[str, str | None]:
    """Batch date → delivery id (None if unreadable) of the complete batches in [first, last] in the landing zone."""
    fs, root = fsspec.core.url_to_fs(settings.landing)
    base = f"{root.rstrip('/')}/{source}"
    if not fs.exists(base):
        return {}
    found = {}
    for entry in fs.ls(base, detail=False):
        day = batch_folder_date(entry.rstrip("/").rsplit("/", 1)[-1])
        manifest = f"{entry.rstrip('/')}/{MANIFEST}"
        if day is not None and first <= day <= last and fs.exists(manifest):
            found[str(day)] = _delivery_id(fs.cat_file(manifest))
    return found


def _delivery_id(manifest: bytes) -> str | None:
    try:
        value = json.loads(manifest.decode("utf-8"))
    except (ValueError, UnicodeDecodeError):
        return None
    return str(value["delivery_id"]) if isinstance(value, dict) and value.get("delivery_id") else None


def recorded(con: duckdb.DuckDBPyConnection, source: str, first: date, last: date) -> list[tuple[str, str, str]]:
    """(batch, delivery_id, status) of the range's deliveries that count now (loaded, held or refused)."""
    marks = ", ".join("?" * len(_WITHDRAWN_STATES))
    return con.execute(
        f"select batch, delivery_id, status from audit.batches where source = ? and batch between ? and ? "
        f"and status in ({marks}) order by batch, delivery_id",
        [source, str(first), str(last), *_WITHDRAWN_STATES],
    ).fetchall()


def withdraw(
    con: duckdb.DuckDBPyConnection, settings: Settings, source: str, first: date, last: date, run_id: str
) -> Withdrawn:
    """Hand the range's batches of ``source`` back to extraction, in one transaction (module docstring)."""
    ledger.ensure_schema(con, FILE_SOURCES[source])
    refuse_purged(con, source, first)
    landed = landed_batches(settings, source, first, last)
    out = Withdrawn(source)
    with transaction(con):
        for batch, delivery, status in recorded(con, source, first, last):
            if batch not in landed:
                out.not_landed.append(batch)
                continue
            if status in (ledger.LOADED, ledger.PARTIAL):
                _delete_rows(con, source, batch, delivery)
            _retire(con, source, batch, delivery, run_id, resent=landed[batch] != delivery)
            out.batches.append(batch)
    out.batches, out.not_landed = sorted(set(out.batches)), sorted(set(out.not_landed))
    log.info("backfill %s %s..%s: %s", run_id, first, last, out.describe())
    return out


def refuse_purged(con: duckdb.DuckDBPyConnection, source: str, first: date) -> None:
    """Raise ``BadRange`` when the range starts before the last retention purge's cutoff (as replay does)."""
    purges = con.execute(
        "select count(*) from information_schema.tables where table_schema = 'audit' and table_name = 'purges'"
    ).fetchone()[0]
    if not purges:
        return
    from flows.privacy.purge import PurgedBatch, refuse_replay_if_purged

    try:
        refuse_replay_if_purged(con, source, str(first))
    except PurgedBatch as exc:
        raise BadRange(f"backfill --from {first}: {exc}") from exc


def _delete_rows(con: duckdb.DuckDBPyConnection, source: str, batch: str, delivery: str) -> None:
    for t in FILE_SOURCES[source]:
        con.execute(
            f"delete from {t.qualified} where _source = ? and _batch = ? and _delivery_id = ?",
            [source, batch, delivery],
        )
    delete_delivery(con, source, batch, delivery)


def _retire(
    con: duckdb.DuckDBPyConnection, source: str, batch: str, delivery: str, run_id: str, *, resent: bool
) -> None:
    """Ledger rows of the delivery become ``replaced`` history; its batch record is up for the taking again
    (``released``), or ``replaced`` when the landing zone now holds another delivery of that batch."""
    marks = ", ".join("?" * len(_WITHDRAWN_STATES))
    con.execute(
        f"update audit.load_ledger set status = ?, message = ? "
        f"where source = ? and batch = ? and delivery_id = ? and status in ({marks})",
        [ledger.REPLACED, f"replaced by backfill run {run_id}", source, batch, delivery, *_WITHDRAWN_STATES],
    )
    status, why = (
        (ledger.REPLACED, "superseded by the landing zone's delivery") if resent else (ledger.RELEASED, "taken again")
    )
    con.execute(
        "update audit.batches set status = ?, message = ?, updated_at = ? "
        "where source = ? and batch = ? and delivery_id = ?",
        [status, f"backfill run {run_id}: {why}", ledger.now(), source, batch, delivery],
    )
