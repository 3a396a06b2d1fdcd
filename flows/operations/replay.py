"""Replay: make a held or refused batch pending again, so that the next run takes it with today's rules."""

from __future__ import annotations

from flows import workdb
from flows.errors import UserError
from flows.ingest import ledger
from flows.privacy.purge import refuse_replay_if_purged
from flows.runtime import run_lock
from flows.settings import Settings


class NothingToReplay(UserError):
    """No held or refused batch of that source and date."""


def replay_batch(settings: Settings, source: str, batch: str) -> None:
    """Release ``source``'s batch ``batch`` for the next run, under the work directory's lock.

    Refused (``PurgedBatch``) for a batch whose clear values were purged, and (``NothingToReplay``) when the
    ledger holds no held or refused delivery of it.
    """
    with run_lock(settings.work_dir), workdb.connect(settings) as con:
        refuse_replay_if_purged(con, source, batch)
        if not ledger.release_batch(con, source, batch):
            raise NothingToReplay(f"no held or refused {source} batch {batch}")
