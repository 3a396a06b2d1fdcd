"""Process-wide defaults fraudbrain sets before Prefect, dbt or GX are imported, and the run lock."""

from __future__ import annotations

import fcntl
import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from flows.errors import Locked

QUIET_ENV = {
    "PREFECT_SERVER_ANALYTICS_ENABLED": "false",
    "DBT_SEND_ANONYMOUS_USAGE_STATS": "false",
    "GX_ANALYTICS_ENABLED": "false",
    "DO_NOT_TRACK": "1",
    # the temporary Prefect server needs more than the default 20 s on a busy 2-core machine
    "PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS": "120",
}


def quiet_third_parties() -> None:
    """No telemetry from Prefect, dbt or GX (set only where the user has not chosen)."""
    for name, value in QUIET_ENV.items():
        os.environ.setdefault(name, value)


class RunLocked(Locked, RuntimeError):
    """Another fraudbrain run holds the working directory."""


@contextmanager
def run_lock(work_dir: Path, *, wait: bool = False) -> Iterator[None]:
    """Hold an exclusive lock on the work directory: two runs never write the warehouse at once.

    With ``wait`` the second run blocks until the first ends; otherwise it stops at once with a clear error.
    The lock is an OS file lock, released by the kernel even when the holder is killed.
    """
    work_dir.mkdir(parents=True, exist_ok=True)
    path = work_dir / ".run.lock"
    with open(path, "a+") as handle:
        flags = fcntl.LOCK_EX if wait else fcntl.LOCK_EX | fcntl.LOCK_NB
        try:
            fcntl.flock(handle, flags)
        except BlockingIOError as exc:
            handle.seek(0)
            holder = handle.read().strip()
            by = f" (process {holder})" if holder.isdigit() else ""
            raise RunLocked(
                f"another fraudbrain command{by} is working in {work_dir}: run this again when it has finished"
            ) from exc
        try:
            handle.seek(0)
            handle.truncate()
            handle.write(str(os.getpid()))
            handle.flush()
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)
