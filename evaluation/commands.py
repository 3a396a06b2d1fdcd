"""`fraudbrain simulate` and `fraudbrain evaluate`: the development tools' commands.

Registered on the `fraudbrain` command through the ``fraudbrain.commands`` entry point (pyproject.toml) when the
simulator and this package are importable: a source checkout set up by ``make setup``. An installed wheel ships
neither, and these commands do not appear there.
"""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.table import Table

from flows.errors import UserError

if TYPE_CHECKING:
    from simulator.run import SimSummary


def simulate(
    landing: Annotated[str, typer.Option(help="landing zone folder to write telecom/finance batches")] = "data/landing",
    police_url: Annotated[str, typer.Option(help="SQLAlchemy URL of the police database to write")] = (
        "sqlite:///data/police.db"
    ),
    truth: Annotated[Path, typer.Option(help="folder for the ground truth (never in the landing zone)")] = Path(
        "data/truth"
    ),
    start: Annotated[datetime | None, typer.Option(formats=["%Y-%m-%d"], help="first day (default: continue)")] = None,
    days: Annotated[int, typer.Option(min=1, help="days of batches to generate")] = 30,
    scale: Annotated[float, typer.Option(min=0.001, help="1 = demo world, about 20,000 people")] = 1.0,
    seed: Annotated[int, typer.Option(help="random seed: same seed and arguments, same files")] = 42,
    no_progress: Annotated[
        bool, typer.Option("--no-progress", help="no progress bars (off anyway if not a TTY)")
    ] = False,
    knobs: Annotated[
        list[str] | None, typer.Option("--set", help="a SimConfig knob KEY=VALUE (repeatable; simulator/config.py)")
    ] = None,
) -> None:
    """Write a simulated world (telecom and finance batches, a police database, ground truth)."""
    import simulator
    from flows.cli import console, err
    from flows.progress import terminal_bars, wanted
    from simulator.run import WorldMismatch

    config = simulator.SimConfig(**dict(k.split("=", 1) for k in knobs or []))  # type: ignore[arg-type]

    with terminal_bars(err, wanted(err, no_progress)) as report:
        try:
            summary = simulator.simulate(
                landing,
                police_url,
                truth,
                start=start.date() if start else None,
                days=days,
                scale=scale,
                seed=seed,
                config=config,
                progress=report,
            )
        except WorldMismatch as exc:
            raise UserError(str(exc)) from exc
    console.print(_summary_table(summary))


def _summary_table(s: SimSummary) -> Table:
    """The simulation's summary as a table: where it wrote, then the rows of each file and table."""
    title = f"simulated {s.days} days {s.first_day}..{s.last_day}, {s.people:,} people, {s.seconds:.1f} s"
    table = Table("written", title=title)
    table.add_column("rows", justify="right")
    table.add_row(f"landing {s.landing}", "")
    table.add_row(f"police  {s.police_url}", "")
    table.add_row(f"truth   {s.truth}", "")
    for name, n in sorted(s.rows.items()):
        table.add_row(name, f"{n:,}")
    return table


def evaluate(
    truth: Annotated[
        Path, typer.Option(help="ground-truth folder written by `fraudbrain simulate`", exists=True, file_okay=False)
    ],
    warehouse: Annotated[Path | None, typer.Option(help="published warehouse file [FRAUDBRAIN_WAREHOUSE]")] = None,
    json_file: Annotated[Path | None, typer.Option("--json", help="also write the figures as JSON here")] = None,
    demo: Annotated[bool, typer.Option("--demo", help="allow the documented demo key")] = False,
    warning_snapshots: Annotated[
        Path | None,
        typer.Option(
            help="folder of the warning lists each run published (warnings-*.json): recall before first payment "
            "from the lists published before each payment (without it: from this one build, an upper bound)"
        ),
    ] = None,
) -> None:
    """Score the published marts against a simulated world's ground truth: precision, recall, F1 per finding."""
    from evaluation.score import evaluate as evaluate_marts
    from evaluation.score import render, to_json_text
    from flows.cli import console
    from flows.settings import Settings

    settings = Settings(**{k: v for k, v in {"warehouse": warehouse, "demo": demo or None}.items() if v is not None})
    try:
        ev = evaluate_marts(truth, settings.warehouse, settings.resolved_pii_key(), warning_snapshots)
    except (FileNotFoundError, ValueError) as exc:
        raise UserError(str(exc)) from exc
    render(ev, console)
    if json_file is not None:
        json_file.parent.mkdir(parents=True, exist_ok=True)
        json_file.write_text(to_json_text(ev) + "\n", encoding="utf-8")
        console.print(f"JSON written to {json_file}")


def register(app: typer.Typer) -> None:
    """Add the development tools' commands to the `fraudbrain` command."""
    app.command()(simulate)
    app.command()(evaluate)
