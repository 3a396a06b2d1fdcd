"""The `fraudbrain` command: options parsed, results rendered; the work is done by the job modules.

Every refusal a job raises is a ``flows.errors.UserError``: ``_Commands`` prints its one line and exits with
its code, for every command (``flows/errors.py`` lists the codes). Commands of the development tools
(``simulate``, ``evaluate``) are added by the ``fraudbrain.commands`` entry point when they are installed.
"""

from __future__ import annotations

import json
import sys
from datetime import datetime
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any

import click
import typer
from rich.console import Console
from rich.table import Table
from typer.core import TyperGroup

from flows.errors import UserError
from flows.settings import Settings

console = Console()
err = Console(stderr=True)


class _Commands(TyperGroup):
    """The one place where a refusal becomes its line on stderr and its exit code."""

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except UserError as exc:
            err.print(f"[red]error:[/red] {exc}", markup=True, highlight=False, soft_wrap=True)  # one line
            raise typer.Exit(exc.exit_code) from exc


app = typer.Typer(help="fraudbrain: the anti-telecom-fraud data warehouse.", no_args_is_help=True, cls=_Commands)


class Fmt(StrEnum):
    table = "table"
    csv = "csv"
    json = "json"


def _settings(**overrides: Any) -> Settings:
    return Settings(**{k: v for k, v in overrides.items() if v is not None})


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
    from flows.operations.backfill import check_range, file_sources

    sources = file_sources(source)
    check_range(first.date(), last.date())
    settings = _run_settings(landing=landing, warehouse=warehouse, work_dir=work_dir, demo=demo)
    _run_pipeline(settings, summary_json, no_progress, sources=sources, backfill=(first.date(), last.date()))


@app.command()
def rebind(
    landing: Annotated[str | None, typer.Option(help="the new landing zone URL [FRAUDBRAIN_LANDING]")] = None,
    police_url: Annotated[str | None, typer.Option(help="the new police database URL [FRAUDBRAIN_POLICE_URL]")] = None,
    warehouse: Annotated[Path | None, typer.Option(help="the new published warehouse [FRAUDBRAIN_WAREHOUSE]")] = None,
    work_dir: Annotated[Path | None, typer.Option(help="restricted work directory [FRAUDBRAIN_WORK_DIR]")] = None,
) -> None:
    """Move a work directory to sources at another location (a copy, a new mount) or to another warehouse.

    Refused unless the new landing zone serves every delivery already loaded and the police database has the
    contract's tables. For another world, use a new --work-dir instead.
    """
    from flows.ingest.binding import rebind as do_rebind

    settings = _settings(landing=landing, police_url=police_url, warehouse=warehouse, work_dir=work_dir)
    done = do_rebind(settings)
    console.print(
        f"work directory {settings.work_dir} bound to landing {done.new.landing}, police {done.new.police}, "
        f"warehouse {done.new.warehouse} ({done.deliveries_checked} loaded deliveries found there)",
        markup=False,
        highlight=False,
    )


def _run_settings(*, demo: bool, **overrides: Any) -> Settings:
    settings = _settings(**overrides, demo=demo or None)
    settings.resolved_pii_key()
    settings.resolved_vault_key()
    return settings


def _run_pipeline(settings: Settings, summary_json: Path | None, no_progress: bool, **options: Any) -> None:
    from flows.ingest.binding import ensure_bound

    # the flow checks it too (deployments); here a refusal is its one line, before Prefect starts
    ensure_bound(settings, options.get("sources") or ("telecom", "finance", "police"))
    from flows.pipeline import pipeline
    from flows.progress import listening, terminal_bars, wanted

    with terminal_bars(err, wanted(err, no_progress)) as bars, listening(bars):
        summary = pipeline(settings, **options)
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


@app.command("check-sources")
def check_sources(
    landing: Annotated[str | None, typer.Option(help="landing zone URL [FRAUDBRAIN_LANDING]")] = None,
    police_url: Annotated[str | None, typer.Option(help="police database URL [FRAUDBRAIN_POLICE_URL]")] = None,
    max_rows: Annotated[int, typer.Option(help="rows of each file read for the row checks")] = 200_000,
    as_json: Annotated[bool, typer.Option("--json", help="print the findings as JSON")] = False,
) -> None:
    """Check a landing zone and a police database against the contracts before onboarding a feed.

    Per batch, file and table: structure, manifests, encodings, headers, tables and columns (police revision 1
    or 2); the row defects the contracts allow are counted. Exit 1 with one line per violation.
    """
    from flows.ingest.conformance import check_sources as check
    from flows.ingest.conformance import redacted

    settings = _settings(landing=landing, police_url=police_url)
    report = check(settings.landing, settings.police_url, max_rows)
    if as_json:
        sys.stdout.write(json.dumps(report.as_dict(), ensure_ascii=False, indent=2) + "\n")
    else:
        title = f"sources: {settings.landing} and {redacted(settings.police_url)}"
        table = Table("checked", "rows", "note", "violations", title=title)
        for c in report.checked:
            table.add_row(c.what, "" if c.rows is None else f"{c.rows:,}", c.note, str(c.violations or ""))
        console.print(table)
        for key, n in sorted(report.counts.items()):
            console.print(f"  {key}: {n:,}")
        for v in report.violations:
            console.print(f"VIOLATION {v}", markup=False, highlight=False)
        console.print(f"{len(report.violations)} violations")
    if not report.ok:
        raise typer.Exit(1)


class QueryFmt(StrEnum):
    table = "table"
    vertical = "vertical"
    csv = "csv"
    json = "json"
    parquet = "parquet"


@app.command()
def query(
    sql: Annotated[str, typer.Argument(help="SQL to run on the published warehouse (read-only)")],
    warehouse: Annotated[Path | None, typer.Option(help="published warehouse file [FRAUDBRAIN_WAREHOUSE]")] = None,
    fmt: Annotated[
        QueryFmt | None,
        typer.Option("--format", help="table, vertical, csv, json; with --out: csv, json or parquet [from its suffix]"),
    ] = None,
    vertical: Annotated[bool, typer.Option("--vertical", help="one 'column: value' line each (--format vertical)")] = (
        False
    ),
    limit: Annotated[
        int | None,
        typer.Option(min=0, help="rows at most, 0 = all [terminal: FRAUDBRAIN_QUERY_ROW_LIMIT, 1,000; --out: all]"),
    ] = None,
    out: Annotated[Path | None, typer.Option(help="write the rows to this new file, batch by batch")] = None,
) -> None:
    """Query the published warehouse: read-only, no access to files outside it.

    On the terminal at most 1,000 rows are shown (--limit to change); the cap stops fetching, the SQL is run
    as written. `fraudbrain tables` lists the tables, `fraudbrain describe TABLE` their columns.
    """
    from flows.analyst.query import FILE_FORMATS, QueryRefused, write_csv, write_file, write_json
    from flows.analyst.query import query as run

    settings = _settings(warehouse=warehouse)
    if vertical:
        fmt = QueryFmt.vertical
    if out is not None:
        chosen = fmt.value if fmt else out.suffix.lstrip(".").lower()
        if chosen not in FILE_FORMATS:
            raise QueryRefused(f"--out writes {', '.join(FILE_FORMATS)}: pass --format with one of them")
        written = write_file(settings.warehouse, sql, out, chosen, limit or 0)
        err.print(f"{written.rows:,} rows written to {written.path}", markup=False, highlight=False)
        if written.capped:
            err.print(f"first {written.rows:,} rows; --limit to change (0 = all)", markup=False, highlight=False)
        return
    fmt = fmt or QueryFmt.table
    if fmt is QueryFmt.parquet:
        raise QueryRefused("parquet is written to a file: pass --out FILE.parquet")
    cap = settings.query_row_limit if limit is None else limit
    with run(settings.warehouse, sql) as res:
        if fmt is QueryFmt.csv:
            write_csv(res, sys.stdout, cap)
        elif fmt is QueryFmt.json:
            write_json(res, sys.stdout, cap)
        elif fmt is QueryFmt.vertical:
            _print_vertical(res.columns, (r for batch in res.batches(cap) for r in batch))
        else:
            from rich.text import Text

            table = Table(*res.columns)
            for batch in res.batches(cap):
                for r in batch:
                    table.add_row(*(Text("" if v is None else str(v)) for v in r))
            console.print(table)
        sys.stdout.flush()
        if res.capped:
            err.print(f"first {res.rows:,} rows; --limit to change (0 = all)", markup=False, highlight=False)


def _print_vertical(columns: list[str], rows: Any) -> None:
    """Each row as a record: one `column: value` line per column (for wide rows)."""
    width = max((len(c) for c in columns), default=0)
    for n, r in enumerate(rows, 1):
        sys.stdout.write(f"-[ record {n} ]" + "-" * max(4, width - 8) + "\n")
        for c, v in zip(columns, r, strict=True):
            sys.stdout.write(f"{c:<{width}} : {'' if v is None else v}\n")


@app.command()
def tables(
    warehouse: Annotated[Path | None, typer.Option(help="published warehouse file [FRAUDBRAIN_WAREHOUSE]")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="print the list as JSON")] = False,
) -> None:
    """The warehouse's tables and views: schema, name, rows and description."""
    from dataclasses import asdict

    from rich.text import Text

    from flows.analyst.query import list_tables

    found = list_tables(_settings(warehouse=warehouse).warehouse)
    if as_json:
        sys.stdout.write(json.dumps([asdict(t) for t in found], ensure_ascii=False, indent=2) + "\n")
        return
    table = Table("schema", "table", "rows", "description", title="fraudbrain warehouse")
    for t in found:
        rows = "view" if t.rows is None else f"{t.rows:,}"
        table.add_row(t.schema, t.table, rows, Text(t.description))
    console.print(table)


@app.command()
def describe(
    name: Annotated[str, typer.Argument(help="a table or view: name or schema.name, e.g. marts.fct_cases")],
    warehouse: Annotated[Path | None, typer.Option(help="published warehouse file [FRAUDBRAIN_WAREHOUSE]")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="print the description as JSON")] = False,
) -> None:
    """One table's columns: name, type and description."""
    from dataclasses import asdict

    from rich.text import Text

    from flows.analyst.query import describe as describe_table

    info, columns = describe_table(_settings(warehouse=warehouse).warehouse, name)
    if as_json:
        doc = {**asdict(info), "columns": [asdict(c) for c in columns]}
        sys.stdout.write(json.dumps(doc, ensure_ascii=False, indent=2) + "\n")
        return
    rows = "view" if info.rows is None else f"{info.rows:,} rows"
    console.print(Text(f"{info.schema}.{info.table} ({rows}){': ' + info.description if info.description else ''}"))
    table = Table("column", "type", "description")
    for c in columns:
        table.add_row(c.column, c.type, Text(c.description))
    console.print(table)


@app.command()
def trace(
    case_no: Annotated[str, typer.Argument(help="police case number, e.g. A4209222026050300001")],
    warehouse: Annotated[Path | None, typer.Option(help="published warehouse file [FRAUDBRAIN_WAREHOUSE]")] = None,
    fmt: Annotated[Fmt, typer.Option("--format", help="table (a hop tree), json (the tree), csv (one row a hop)")] = (
        Fmt.table
    ),
) -> None:
    """The emergency stop-payment path of one case: where the victims' money went, hop by hop."""
    from flows.analyst.trace import CSV_COLUMNS, as_json, as_rows, render, trace_case, untraced_reason

    result = trace_case(_settings(warehouse=warehouse).warehouse, case_no)
    if fmt is Fmt.json:
        sys.stdout.write(json.dumps(as_json(result), ensure_ascii=False, indent=2) + "\n")
    elif fmt is Fmt.csv:
        import csv

        writer = csv.writer(sys.stdout)
        writer.writerow(CSV_COLUMNS)
        writer.writerows(as_rows(result))
        if not result.roots:
            err.print(untraced_reason(result.case), markup=False, highlight=False)
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
    from flows.analyst.leads import export_leads

    result = export_leads(_settings(warehouse=warehouse).warehouse, unit, out, only_new=only_new)
    console.print(
        f"{result.leads} leads, {result.evidence} evidence items for unit {result.unit} {result.unit_name} "
        f"(data as of {result.as_of}):",
        markup=False,
        highlight=False,
        soft_wrap=True,
    )
    for f in result.files:
        console.print(f"  {f}")


@app.command()
def status(
    work_dir: Annotated[Path | None, typer.Option(help="restricted work directory [FRAUDBRAIN_WORK_DIR]")] = None,
    warehouse: Annotated[Path | None, typer.Option(help="published warehouse file [FRAUDBRAIN_WAREHOUSE]")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="print the status as JSON")] = False,
    check: Annotated[bool, typer.Option("--check", help="exit 1 when there is an alert (for monitoring)")] = False,
) -> None:
    """Per source: last batch and watermark, ledger totals, quarantine, held batches, freshness; the last run.

    Exit 0; with --check, exit 1 when the status reports an alert (a stale source, a missing day, a held batch).
    """
    from flows.operations.status import collect

    st = collect(_settings(work_dir=work_dir, warehouse=warehouse))
    if as_json:
        sys.stdout.write(st.to_json() + "\n")
    else:
        _print_status(st)
    if check and st.alerts:
        raise typer.Exit(1)


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
        "accepted": lambda s: str(len(s.accepts)),
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
    for s in st.sources:
        for a in s.accepts:
            console.print(f"ACCEPTED {s.source} batch {a}")
    if not st.alerts:
        console.print("[green]all sources fresh, nothing held[/green]")


@app.command()
def replay(
    source: Annotated[str, typer.Option(help="telecom or finance")],
    batch: Annotated[str, typer.Option(help="batch date YYYY-MM-DD")],
    accept: Annotated[
        bool, typer.Option("--accept", help="load the held batch or file despite the check that held it, once")
    ] = False,
    reason: Annotated[str | None, typer.Option(help="why it is accepted (with --accept; 5 characters or more)")] = None,
    who: Annotated[str | None, typer.Option(help="who accepts (with --accept) [the OS user]")] = None,
    work_dir: Annotated[Path | None, typer.Option(help="restricted work directory [FRAUDBRAIN_WORK_DIR]")] = None,
) -> None:
    """Make a held or refused batch pending again (after the source fixed it, or a rule changed).

    The next `fraudbrain run` takes it again, with today's rules. With `--accept --reason "…"` it loads what
    was held despite the check that held it (recorded in audit.accepts; a refused delivery must be re-delivered).
    """
    from flows.operations.replay import replay_batch

    replay_batch(_settings(work_dir=work_dir), source, batch, accept=accept, reason=reason, who=who)
    done = "accepted and released" if accept else "released"
    console.print(f"{source} batch {batch} {done}: the next run takes it again")


@app.command()
def serve(
    daily_cron: Annotated[str, typer.Option(help="cron of the daily full run (Asia/Shanghai)")] = "30 2 * * *",
    police_every: Annotated[int, typer.Option(help="seconds between runs taking new police cases")] = 900,
    demo: Annotated[bool, typer.Option("--demo", help="allow the documented demo keys (FRAUDBRAIN_DEMO=true)")] = False,
) -> None:
    """Serve the scheduled deployments against the Prefect server at PREFECT_API_URL (Ctrl-C stops).

    Needs both keys (FRAUDBRAIN_PII_KEY and FRAUDBRAIN_VAULT_KEY, or their Prefect Secret blocks) and refuses
    to start without them. Also creates (or updates) the Prefect automation that reacts to freshness alerts,
    notifying the block named by FRAUDBRAIN_ALERT_BLOCK if set. Stopping serve pauses the schedules of its
    deployments until it is started again.
    """
    import os

    from flows.operations.deployments import serve_all
    from flows.pipeline import pipeline

    if demo:  # the scheduled runs read their settings from this process's environment
        os.environ["FRAUDBRAIN_DEMO"] = "true"
    serve_all(pipeline, daily_cron, police_every, _settings(demo=demo or None))


@app.command()
def reveal(
    token: Annotated[str, typer.Argument(help="a token from the warehouse (id, phone, card, imei, ...)")],
    reason: Annotated[str, typer.Option(help="why: case number and purpose (recorded)")],
    who: Annotated[str | None, typer.Option(help="who asks (default: the OS user; recorded)")] = None,
    work_dir: Annotated[Path | None, typer.Option(help="restricted work directory [FRAUDBRAIN_WORK_DIR]")] = None,
    demo: Annotated[bool, typer.Option("--demo", help="allow the documented demo key")] = False,
) -> None:
    """Re-identify a token from the vault. Needs FRAUDBRAIN_VAULT_KEY; every request is logged."""
    from flows.privacy.vault import reveal as do_reveal

    found = do_reveal(_settings(work_dir=work_dir, demo=demo or None), token, reason, who)
    console.print(f"{found.kind} {found.token}: {found.value}")


@app.command("scan-pii")
def scan_pii(
    paths: Annotated[list[Path], typer.Argument(help="files or folders to scan", exists=True)],
    names: Annotated[
        str | None, typer.Option(help="names to look for: a file (one a line) or a police DB URL (residents)")
    ] = None,
) -> None:
    """Find clear ID numbers, phones, card numbers and names in published files. Exit 1 on any finding."""
    from flows.privacy.scan import load_names, scan_path

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
    from flows.privacy.purge import purge as do_purge

    settings = _settings(work_dir=work_dir, retention_days=retention_days, demo=demo or None)
    result = do_purge(settings, before.date() if before else None)
    for name, rows in result.rows.items():
        console.print(f"{name}: {rows:,} rows")
    console.print(
        f"purge {result.purge_id}: batches before {result.cutoff}, {result.values:,} values replaced, "
        f"{result.sealed:,} newly sealed in the vault; the next run rebuilds without them"
    )


def _add_plugin_commands() -> None:
    """Commands that other installed parts add (group ``fraudbrain.commands``): the development tools' simulate and
    evaluate, present in a source checkout set up by ``make setup`` and absent from an installed wheel."""
    from importlib.metadata import entry_points

    for ep in entry_points(group="fraudbrain.commands"):
        try:
            register = ep.load()
        except ImportError:  # declared by this project's metadata, but its package is not installed
            continue
        register(app)


_add_plugin_commands()


def main() -> None:
    """The `fraudbrain` console script."""
    app()


if __name__ == "__main__":
    main()
