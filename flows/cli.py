"""The `fraudbrain` command: simulate sources, run the pipeline, query the published warehouse."""

from __future__ import annotations

import csv
import io
import json
import sys
from datetime import date, datetime
from decimal import Decimal
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.table import Table

from flows.settings import KeyError_, Settings

app = typer.Typer(help="fraudbrain: the anti-telecom-fraud data warehouse.", no_args_is_help=True)
console = Console()
err = Console(stderr=True)


class Fmt(StrEnum):
    table = "table"
    csv = "csv"
    json = "json"


def _settings(**overrides: Any) -> Settings:
    return Settings(**{k: v for k, v in overrides.items() if v is not None})


@app.command()
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
    from flows.progress import terminal_bars, wanted

    config = simulator.SimConfig(**dict(k.split("=", 1) for k in knobs or []))  # type: ignore[arg-type]

    with terminal_bars(err, wanted(err, no_progress)) as report:
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
    console.print(summary)


@app.command()
def run(
    landing: Annotated[str | None, typer.Option(help="landing zone URL [FRAUDBRAIN_LANDING]")] = None,
    police_url: Annotated[str | None, typer.Option(help="police database URL [FRAUDBRAIN_POLICE_URL]")] = None,
    warehouse: Annotated[Path | None, typer.Option(help="published warehouse file [FRAUDBRAIN_WAREHOUSE]")] = None,
    work_dir: Annotated[Path | None, typer.Option(help="restricted work directory [FRAUDBRAIN_WORK_DIR]")] = None,
    demo: Annotated[bool, typer.Option("--demo", help="allow the documented demo keys")] = False,
    full_refresh: Annotated[bool, typer.Option("--full-refresh", help="rebuild every model from scratch")] = False,
    summary_json: Annotated[Path | None, typer.Option(help="also write the run summary as JSON here")] = None,
    no_progress: Annotated[
        bool, typer.Option("--no-progress", help="no progress bars (off anyway if not a TTY)")
    ] = False,
) -> None:
    """Load new batches and police rows, validate, build the warehouse, publish it."""
    settings = _run_settings(landing=landing, police_url=police_url, warehouse=warehouse, work_dir=work_dir, demo=demo)
    _run_pipeline(settings, summary_json, no_progress, full_refresh=full_refresh)


@app.command()
def backfill(
    source: Annotated[str, typer.Option(help="telecom, finance or all")],
    first: Annotated[datetime, typer.Option("--from", formats=["%Y-%m-%d"], help="first batch date YYYY-MM-DD")],
    last: Annotated[datetime, typer.Option("--to", formats=["%Y-%m-%d"], help="last batch date YYYY-MM-DD")],
    landing: Annotated[str | None, typer.Option(help="landing zone URL [FRAUDBRAIN_LANDING]")] = None,
    warehouse: Annotated[Path | None, typer.Option(help="published warehouse file [FRAUDBRAIN_WAREHOUSE]")] = None,
    work_dir: Annotated[Path | None, typer.Option(help="restricted work directory [FRAUDBRAIN_WORK_DIR]")] = None,
    demo: Annotated[bool, typer.Option("--demo", help="allow the documented demo keys")] = False,
    summary_json: Annotated[Path | None, typer.Option(help="also write the run summary as JSON here")] = None,
    no_progress: Annotated[
        bool, typer.Option("--no-progress", help="no progress bars (off anyway if not a TTY)")
    ] = False,
) -> None:
    """Take the batches of a date range again from the landing zone (re-sent files, or after a fix).

    Earlier loads of those batches become `replaced` in the ledger; the batches go through the same
    extract and validate path; the warehouse is rebuilt from scratch and published.
    """
    from flows.backfill import BadRange, check_range, file_sources

    try:
        sources = file_sources(source)
        check_range(first.date(), last.date())
    except BadRange as exc:
        err.print(f"[red]error:[/red] {exc}")
        raise typer.Exit(2) from exc
    settings = _run_settings(landing=landing, warehouse=warehouse, work_dir=work_dir, demo=demo)
    _run_pipeline(settings, summary_json, no_progress, sources=sources, backfill=(first.date(), last.date()))


def _run_settings(*, demo: bool, **overrides: Any) -> Settings:
    settings = _settings(**overrides, demo=demo or None)
    try:
        settings.resolved_pii_key()
        settings.resolved_vault_key()
    except KeyError_ as exc:
        err.print(f"[red]error:[/red] {exc}")
        raise typer.Exit(2) from exc
    return settings


def _run_pipeline(settings: Settings, summary_json: Path | None, no_progress: bool, **options: Any) -> None:
    from flows.backfill import BadRange
    from flows.pipeline import pipeline
    from flows.progress import listening, terminal_bars, wanted
    from flows.runtime import RunLocked

    try:
        with terminal_bars(err, wanted(err, no_progress)) as bars, listening(bars):
            summary = pipeline(settings, **options)
    except RunLocked as exc:
        err.print(f"[red]error:[/red] {exc}")
        raise typer.Exit(3) from exc
    except BadRange as exc:  # a backfill into a purged period: refused before anything changed
        err.print(f"[red]error:[/red] {exc}")
        raise typer.Exit(2) from exc
    _print_summary(summary)
    if summary_json:
        from dataclasses import asdict

        summary_json.write_text(json.dumps(asdict(summary), default=str, indent=2), encoding="utf-8")
    if summary.status != "success":
        err.print(f"[yellow]run {summary.status}:[/yellow] {summary.message}")
        raise typer.Exit(1)


def _print_summary(summary: Any) -> None:
    table = Table(title=f"fraudbrain run {summary.run_id}: {summary.status}", show_header=False)
    for w in summary.withdrawn:
        table.add_row("backfill", w)
    for b in summary.batches:
        table.add_row("batch", b)
    table.add_row("rows", ", ".join(f"{k} {v:,}" for k, v in summary.ledger.items()))
    if summary.message:
        table.add_row("note", summary.message)
    if summary.built:
        table.add_row("dbt", f"{summary.dbt_nodes} nodes built and tested")
        table.add_row("published", f"{len(summary.published)} tables")
    table.add_row("seconds", ", ".join(f"{k} {v:.1f}" for k, v in summary.timings.items()))
    console.print(table)
    console.print(f"warehouse:          {summary.warehouse}")
    console.print(f"data-quality report: {summary.data_docs}")
    console.print(f"dbt docs:           {summary.dbt_docs}")
    console.print(f"portal:             {summary.portal}")
    console.print(f"log:                {summary.log_file}")
    for alert in summary.alerts:
        err.print(f"[yellow]ALERT[/yellow] {alert}")


@app.command()
def query(
    sql: Annotated[str, typer.Argument(help="SQL to run on the published warehouse (read-only)")],
    warehouse: Annotated[Path | None, typer.Option(help="published warehouse file [FRAUDBRAIN_WAREHOUSE]")] = None,
    fmt: Annotated[Fmt, typer.Option("--format", help="table, csv or json")] = Fmt.table,
) -> None:
    """Query the published warehouse: read-only, no access to files outside it."""
    from flows.query import QueryRefused, run_query

    settings = _settings(warehouse=warehouse)
    try:
        columns, rows = run_query(settings.warehouse, sql)
    except QueryRefused as exc:
        err.print(f"[red]error:[/red] {exc}")
        raise typer.Exit(2) from exc
    if fmt is Fmt.csv:
        buf = io.StringIO()
        writer = csv.writer(buf)
        writer.writerow(columns)
        writer.writerows(rows)
        sys.stdout.write(buf.getvalue())
    elif fmt is Fmt.json:
        sys.stdout.write(
            json.dumps([dict(zip(columns, r, strict=True)) for r in rows], default=_jsonable, ensure_ascii=False) + "\n"
        )
    else:
        table = Table(*columns)
        for r in rows:
            table.add_row(*("" if v is None else str(v) for v in r))
        console.print(table)


@app.command()
def trace(
    case_no: Annotated[str, typer.Argument(help="police case number, e.g. A4209222026050300001")],
    warehouse: Annotated[Path | None, typer.Option(help="published warehouse file [FRAUDBRAIN_WAREHOUSE]")] = None,
    fmt: Annotated[Fmt, typer.Option("--format", help="table (a hop tree) or json")] = Fmt.table,
) -> None:
    """The emergency stop-payment path of one case: where the victims' money went, hop by hop."""
    from flows.query import QueryRefused
    from flows.trace import CaseNotFound, as_json, render, trace_case

    try:
        result = trace_case(_settings(warehouse=warehouse).warehouse, case_no)
    except (CaseNotFound, QueryRefused) as exc:
        err.print(f"[red]error:[/red] {exc}")
        raise typer.Exit(2) from exc
    if fmt is Fmt.json:
        sys.stdout.write(json.dumps(as_json(result), ensure_ascii=False, indent=2) + "\n")
    else:
        render(result, console)


@app.command()
def leads(
    unit: Annotated[str, typer.Option(help="county unit code, e.g. 420922000000")],
    out: Annotated[Path, typer.Option(help="folder to write leads.csv, evidence.csv and leads.json")],
    warehouse: Annotated[Path | None, typer.Option(help="published warehouse file [FRAUDBRAIN_WAREHOUSE]")] = None,
    only_new: Annotated[bool, typer.Option("--new", help="only leads with new evidence")] = False,
) -> None:
    """A unit's lead packages with their evidence chains and stages (研判 → 交办 → 办理 → 督办 → 办结)."""
    from flows.leads import export_leads
    from flows.query import QueryRefused

    try:
        result = export_leads(_settings(warehouse=warehouse).warehouse, unit, out, only_new=only_new)
    except QueryRefused as exc:
        err.print(f"[red]error:[/red] {exc}")
        raise typer.Exit(2) from exc
    console.print(f"{result.leads} leads, {result.evidence} evidence items for unit {unit}:")
    for f in result.files:
        console.print(f"  {f}")


@app.command()
def evaluate(
    truth: Annotated[
        Path, typer.Option(help="ground-truth folder written by `fraudbrain simulate`", exists=True, file_okay=False)
    ],
    warehouse: Annotated[Path | None, typer.Option(help="published warehouse file [FRAUDBRAIN_WAREHOUSE]")] = None,
    json_file: Annotated[Path | None, typer.Option("--json", help="also write the figures as JSON here")] = None,
    demo: Annotated[bool, typer.Option("--demo", help="allow the documented demo key")] = False,
) -> None:
    """Score the published marts against a simulated world's ground truth: precision, recall, F1 per finding."""
    from flows.evaluate import evaluate as evaluate_marts
    from flows.evaluate import render, to_json_text

    settings = _settings(warehouse=warehouse, demo=demo or None)
    try:
        ev = evaluate_marts(truth, settings.warehouse, settings.resolved_pii_key())
    except (KeyError_, FileNotFoundError) as exc:
        err.print(f"[red]error:[/red] {exc}")
        raise typer.Exit(2) from exc
    render(ev, console)
    if json_file is not None:
        json_file.parent.mkdir(parents=True, exist_ok=True)
        json_file.write_text(to_json_text(ev) + "\n", encoding="utf-8")
        console.print(f"JSON written to {json_file}")


@app.command()
def status(
    work_dir: Annotated[Path | None, typer.Option(help="restricted work directory [FRAUDBRAIN_WORK_DIR]")] = None,
    warehouse: Annotated[Path | None, typer.Option(help="published warehouse file [FRAUDBRAIN_WAREHOUSE]")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="print the status as JSON")] = False,
) -> None:
    """Per source: last batch and watermark, ledger totals, quarantine, held batches, freshness; the last run."""
    from flows.status import collect

    try:
        st = collect(_settings(work_dir=work_dir, warehouse=warehouse))
    except FileNotFoundError as exc:
        err.print(f"[red]error:[/red] {exc}")
        raise typer.Exit(2) from exc
    if as_json:
        sys.stdout.write(st.to_json() + "\n")
        return
    _print_status(st)


def _print_status(st: Any) -> None:
    """One column per source, one line per fact: fits a terminal of 80 columns."""
    table = Table("", *(s.source for s in st.sources), title=f"fraudbrain status (from the {st.read_from})")
    facts: dict[str, Any] = {
        "last batch / watermark": lambda s: str(s.last_batch or "-"),
        "last arrival": lambda s: f"{s.last_arrival:%Y-%m-%d %H:%M}" if s.last_arrival else "never",
        "rows read": lambda s: f"{s.totals['read']:,}",
        "loaded": lambda s: f"{s.totals['loaded']:,}",
        "quarantined": lambda s: f"{s.totals['quarantined']:,}",
        "duplicate": lambda s: f"{s.totals['duplicate']:,}",
        "kept in quarantine": lambda s: "-" if s.quarantined_rows is None else f"{s.quarantined_rows:,}",
        "held or refused": lambda s: str(len(s.held)),
        "up for replay": lambda s: str(len(s.released)),
        "last run": lambda s: f"{s.last_run['status']} {s.last_run['started_at']:%m-%d %H:%M}" if s.last_run else "-",
        "freshness": lambda s: s.freshness if s.freshness in ("fresh", "not watched") else f"[yellow]{s.freshness}[/]",
    }
    for label, fact in facts.items():
        table.add_row(label, *(fact(s) for s in st.sources))
    console.print(table)
    if st.last_run:
        r = st.last_run
        console.print(
            f"last run {r['run_id']}: [bold]{r['status']}[/bold] ({r['started_at']:%Y-%m-%d %H:%M:%S} → "
            + (f"{r['finished_at']:%H:%M:%S})" if r["finished_at"] else "running)")
            + (f": {r['message']}" if r["message"] else "")
        )
    for a in st.alerts:
        console.print(f"[yellow]ALERT[/yellow] {a}")
    if not st.alerts:
        console.print("[green]all sources fresh, nothing held[/green]")


@app.command()
def replay(
    source: Annotated[str, typer.Option(help="telecom or finance")],
    batch: Annotated[str, typer.Option(help="batch date YYYY-MM-DD")],
    work_dir: Annotated[Path | None, typer.Option(help="restricted work directory [FRAUDBRAIN_WORK_DIR]")] = None,
) -> None:
    """Make a held or refused batch pending again (after the source fixed it, or a rule changed).

    The next `fraudbrain run` takes it again, with today's rules.
    """
    from flows import ledger, workdb
    from flows.purge import PurgedBatch, refuse_replay_if_purged
    from flows.runtime import RunLocked, run_lock

    settings = _settings(work_dir=work_dir)
    try:
        with run_lock(settings.work_dir), workdb.connect(settings) as con:
            refuse_replay_if_purged(con, source, batch)
            released = ledger.release_batch(con, source, batch)
    except RunLocked as exc:
        err.print(f"[red]error:[/red] {exc}")
        raise typer.Exit(3) from exc
    except PurgedBatch as exc:
        err.print(f"[red]error:[/red] {exc}")
        raise typer.Exit(2) from exc
    if not released:
        err.print(f"[red]error:[/red] no held or refused {source} batch {batch}")
        raise typer.Exit(2)
    console.print(f"{source} batch {batch} released: the next run takes it again")


@app.command()
def serve(
    daily_cron: Annotated[str, typer.Option(help="cron of the daily full run (Asia/Shanghai)")] = "30 2 * * *",
    police_every: Annotated[int, typer.Option(help="seconds between runs taking new police cases")] = 900,
) -> None:
    """Serve the scheduled deployments against the Prefect server at PREFECT_API_URL (Ctrl-C stops).

    Also creates (or updates) the Prefect automation that reacts to freshness alerts, notifying the block
    named by FRAUDBRAIN_ALERT_BLOCK if set.
    """
    from flows.deployments import NoNotificationBlock, NoPrefectServer, serve_all

    try:
        serve_all(daily_cron, police_every, _settings())
    except (NoPrefectServer, NoNotificationBlock) as exc:
        err.print(f"[red]error:[/red] {exc}")
        raise typer.Exit(2) from exc


@app.command()
def reveal(
    token: Annotated[str, typer.Argument(help="a token from the warehouse (id, phone, card, imei, ...)")],
    reason: Annotated[str, typer.Option(help="why: case number and purpose (recorded)")],
    who: Annotated[str | None, typer.Option(help="who asks (default: the OS user; recorded)")] = None,
    work_dir: Annotated[Path | None, typer.Option(help="restricted work directory [FRAUDBRAIN_WORK_DIR]")] = None,
) -> None:
    """Re-identify a token from the vault. Needs FRAUDBRAIN_VAULT_KEY; every request is logged."""
    from flows.vault import VaultError
    from flows.vault import reveal as do_reveal

    try:
        found = do_reveal(_settings(work_dir=work_dir), token, reason, who)
    except (VaultError, KeyError_) as exc:
        err.print(f"[red]error:[/red] {exc}")
        raise typer.Exit(2) from exc
    console.print(f"{found.kind} {found.token}: {found.value}")


@app.command("scan-pii")
def scan_pii(
    paths: Annotated[list[Path], typer.Argument(help="files or folders to scan", exists=True)],
    names: Annotated[
        str | None, typer.Option(help="names to look for: a file (one a line) or a police DB URL (residents)")
    ] = None,
) -> None:
    """Find clear ID numbers, phones, card numbers and names in published files. Exit 1 on any finding."""
    from flows.scan import load_names, scan_path

    name_set = load_names(names)
    findings = [f for p in paths for f in scan_path(p, name_set)]
    for f in findings[:200]:
        console.print(f"[red]LEAK[/red] {f}")
    console.print(f"{len(findings)} findings in {len(paths)} path(s)")
    if findings:
        raise typer.Exit(1)


@app.command()
def purge(
    before: Annotated[
        datetime | None,
        typer.Option(formats=["%Y-%m-%d"], help="purge batches dated before this day [today - retention]"),
    ] = None,
    retention_days: Annotated[int | None, typer.Option(help="retention period [FRAUDBRAIN_RETENTION_DAYS]")] = None,
    work_dir: Annotated[Path | None, typer.Option(help="restricted work directory [FRAUDBRAIN_WORK_DIR]")] = None,
    demo: Annotated[bool, typer.Option("--demo", help="allow the documented demo keys")] = False,
) -> None:
    """Retention: replace clear personal data of old batches in raw and quarantine (marts stay the same)."""
    from flows.purge import purge as do_purge
    from flows.runtime import RunLocked

    settings = _settings(work_dir=work_dir, retention_days=retention_days, demo=demo or None)
    try:
        result = do_purge(settings, before.date() if before else None)
    except KeyError_ as exc:
        err.print(f"[red]error:[/red] {exc}")
        raise typer.Exit(2) from exc
    except RunLocked as exc:
        err.print(f"[red]error:[/red] {exc}")
        raise typer.Exit(3) from exc
    for name, rows in result.rows.items():
        console.print(f"{name}: {rows:,} rows")
    console.print(
        f"purge {result.purge_id}: batches before {result.cutoff}, {result.values:,} values replaced, "
        f"{result.sealed:,} newly sealed in the vault; the next run rebuilds without them"
    )


def _jsonable(value: Any) -> Any:
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, date | datetime):
        return value.isoformat()
    return str(value)


if __name__ == "__main__":
    app()
