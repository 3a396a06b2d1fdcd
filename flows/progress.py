"""Progress of long CLI work, for the terminal only.

The pipeline reports its stages (``report("extract telecom", 3, 8)``) to whoever listens; the CLI listens
with rich progress bars on stderr. Nothing here reaches a log, an artifact or the Prefect API, and a
broken display never fails a run.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator
from contextlib import contextmanager

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

log = logging.getLogger(__name__)

Callback = Callable[[str, int, int | None], None]  # (what, done, total or None while unknown)

_listeners: list[Callback] = []


@contextmanager
def listening(callback: Callback) -> Iterator[None]:
    """Send every ``report`` to ``callback`` while the block runs."""
    _listeners.append(callback)
    try:
        yield
    finally:
        _listeners.remove(callback)


def report(what: str, done: int, total: int | None = None) -> None:
    """``done`` of ``total`` steps of ``what`` (``total`` None: started, size unknown)."""
    for callback in list(_listeners):
        try:
            callback(what, done, total)
        except Exception:  # a progress display must never stop the work it displays
            log.debug("progress listener failed", exc_info=True)


def started(what: str) -> None:
    report(what, 0, None)


def finished(what: str) -> None:
    report(what, 1, 1)


def wanted(console: Console, no_progress: bool) -> bool:
    """Bars only on an interactive terminal, and only if the user did not turn them off."""
    return console.is_terminal and not no_progress


@contextmanager
def terminal_bars(console: Console, enabled: bool) -> Iterator[Callback]:
    """A rich progress display on ``console`` (stderr); a callback that adds or updates one bar per ``what``.

    Disabled, the callback is a no-op and nothing is written.
    """
    if not enabled:
        yield lambda what, done, total: None
        return
    bars: dict[str, int] = {}
    display = Progress(
        TextColumn("[bold]{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=console,
        transient=True,
    )

    def update(what: str, done: int, total: int | None) -> None:
        if what not in bars:
            bars[what] = display.add_task(what, total=total)
        display.update(bars[what], completed=done, total=total)

    with display:
        yield update
