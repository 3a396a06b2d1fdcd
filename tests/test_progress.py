"""Progress bars: on an interactive terminal only (stderr), never with --no-progress, never in logs."""

from __future__ import annotations

import io

from rich.console import Console

from flows import progress


def test_reports_reach_listeners_only_while_they_listen() -> None:
    seen: list[tuple] = []
    with progress.listening(lambda *a: seen.append(a)):
        progress.report("extract telecom", 1, 8)
        progress.started("dbt marts")
        progress.finished("dbt marts")
    progress.report("after", 1, 1)
    assert seen == [("extract telecom", 1, 8), ("dbt marts", 0, None), ("dbt marts", 1, 1)]


def test_a_broken_display_never_stops_the_work() -> None:
    def broken(*_: object) -> None:
        raise RuntimeError("terminal gone")

    with progress.listening(broken):
        progress.report("publish", 1, 1)  # no exception


def test_bars_only_on_a_terminal_and_not_when_turned_off() -> None:
    piped = Console(file=io.StringIO())
    tty = Console(file=io.StringIO(), force_terminal=True)
    assert not progress.wanted(piped, no_progress=False)
    assert progress.wanted(tty, no_progress=False)
    assert not progress.wanted(tty, no_progress=True)


def test_disabled_bars_write_nothing_and_enabled_bars_draw_each_stage() -> None:
    out = io.StringIO()
    with progress.terminal_bars(Console(file=out), enabled=False) as bars:
        bars("extract telecom", 1, 2)
    assert out.getvalue() == ""

    out = io.StringIO()
    tty = Console(file=out, force_terminal=True, width=100)
    with progress.terminal_bars(tty, enabled=True) as bars, progress.listening(bars):
        progress.report("extract telecom", 1, 2)
        progress.started("dbt marts")
    drawn = out.getvalue()  # the display draws once more when it stops, then clears itself (transient)
    assert "extract telecom" in drawn and "1/2" in drawn and "dbt marts" in drawn
