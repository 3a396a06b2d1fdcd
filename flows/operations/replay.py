"""Replay: make a held or refused batch pending again, so that the next run takes it with today's rules.

``accept``: an engineer who knows a held batch (or a file held alone) is right accepts it with a reason; the
next run loads that delivery despite the checks that held it, once, and the ledger (``audit.accepts``) keeps
who, why and when. A damaged (refused) delivery cannot be accepted: the source must re-deliver it; nor can a
drifted schema, which cannot be loaded at all.
"""

from __future__ import annotations

import getpass

import duckdb

from flows import workdb
from flows.errors import UserError
from flows.ingest import ledger
from flows.ingest.validate import SCHEMA_CHECK
from flows.privacy.purge import refuse_replay_if_purged
from flows.runtime import run_lock
from flows.settings import Settings

MIN_REASON = 5


class NothingToReplay(UserError):
    """No held or refused batch of that source and date."""


class CannotAccept(UserError):
    """``--accept`` asked for a delivery that no accept can load, or without a reason."""


def replay_batch(
    settings: Settings,
    source: str,
    batch: str,
    *,
    accept: bool = False,
    reason: str | None = None,
    who: str | None = None,
) -> None:
    """Release ``source``'s batch ``batch`` for the next run, under the work directory's lock.

    Refused (``PurgedBatch``) for a batch whose clear values were purged, and (``NothingToReplay``) when the
    ledger holds no held or refused delivery of it. With ``accept``: the held deliveries are recorded as
    accepted by ``who`` (the OS user by default) for ``reason`` (``CannotAccept`` when it is shorter than
    five characters, or when the batch was refused or held for schema drift).
    """
    why = (reason or "").strip()
    if accept and len(why) < MIN_REASON:
        raise CannotAccept(f'--accept needs --reason "…" saying why, in at least {MIN_REASON} characters')
    with run_lock(settings.work_dir), workdb.connect(settings) as con:
        refuse_replay_if_purged(con, source, batch)
        if accept:
            _accept(con, source, batch, why, who or _os_user())
        if not ledger.release_batch(con, source, batch):
            raise NothingToReplay(f"no held or refused {source} batch {batch}")


def _accept(con: duckdb.DuckDBPyConnection, source: str, batch: str, reason: str, who: str) -> None:
    deliveries = ledger.held_deliveries(con, source, batch)
    held = [(d, s, m) for d, s, m in deliveries if s in (ledger.HELD, ledger.PARTIAL)]
    if not held:
        if deliveries:
            raise CannotAccept(
                f"{source} batch {batch} was refused as a damaged delivery: it cannot be accepted, "
                "the source must re-deliver it"
            )
        raise NothingToReplay(f"no held {source} batch {batch} to accept")
    for delivery, _status, message in held:
        drifted = con.execute(
            "select count(*) from audit.dq_results where source = ? and batch = ? and delivery_id = ? "
            "and not success and expectation = ?",
            [source, batch, delivery, SCHEMA_CHECK],
        ).fetchone()[0]
        if drifted or "schema drift" in message:
            raise CannotAccept(
                f"{source} batch {batch} is held for schema drift: a drifted file cannot be loaded, "
                "the source must re-deliver it"
            )
    for delivery, _status, message in held:
        ledger.record_accept(
            con, source=source, batch=batch, delivery_id=delivery, held=message, who=who, reason=reason
        )


def _os_user() -> str:
    try:
        return getpass.getuser()
    except (KeyError, OSError):
        return "unknown"
