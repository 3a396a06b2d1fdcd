"""What a run tells the people watching it: a Prefect markdown summary and a data-quality table artifact.

Counts, names of checks and links only: no value of any row ever reaches an artifact.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import duckdb

if TYPE_CHECKING:
    from flows.settings import Settings


@dataclass
class RunSummary:
    run_id: str
    status: str = "running"
    batches: list[str] = field(default_factory=list)  # "<source> <batch>: <status>"
    ledger: dict[str, int] = field(default_factory=dict)  # totals this run: read/loaded/quarantined/duplicate
    built: bool = False
    dbt_nodes: int = 0
    published: dict[str, int] = field(default_factory=dict)
    warehouse: Path | None = None
    data_docs: Path | None = None
    dbt_docs: Path | None = None
    portal: Path | None = None
    timings: dict[str, float] = field(default_factory=dict)  # seconds per stage
    failed_sources: dict[str, str] = field(default_factory=dict)  # source -> why its branch failed
    withdrawn: list[str] = field(default_factory=list)  # backfill: "<source>: N batch(es) to take again"
    alerts: list[str] = field(default_factory=list)  # freshness alerts after this run
    log_file: Path | None = None
    message: str = ""


def ledger_by_status(con: duckdb.DuckDBPyConnection, run_id: str) -> list[tuple[Any, ...]]:
    return con.execute(
        """
        select source, status, count(*) as files, sum(rows_read), sum(rows_loaded),
               sum(rows_quarantined), sum(rows_duplicate)
        from audit.load_ledger where run_id = ?
        group by all order by source, status
        """,
        [run_id],
    ).fetchall()


def dq_rows(con: duckdb.DuckDBPyConnection, run_id: str) -> list[dict[str, Any]]:
    rows = con.execute(
        """
        select source, table_name, batch, expectation, coalesce(column_name, '') as column_name, severity,
               success, element_count, unexpected_count, round(unexpected_percent, 3) as unexpected_percent
        from audit.dq_results where run_id = ?
        order by success, source, table_name, batch, expectation, column_name
        """,
        [run_id],
    )
    names = [d[0] for d in rows.description]
    return [dict(zip(names, r, strict=True)) for r in rows.fetchall()]


def holds_and_accepts(con: duckdb.DuckDBPyConnection, run_id: str) -> list[str]:
    """This run's files held alone and the accepted deliveries it loaded (who, why, when), one line each."""
    held = con.execute(
        "select source, batch, file, message from audit.load_ledger where run_id = ? and status = 'held_file' "
        "order by source, batch, file",
        [run_id],
    ).fetchall()
    lines = [f"held alone: {src} {b} `{f}`: {m}"[:300] for src, b, f, m in held]
    has = con.execute(
        "select count(*) from information_schema.tables where table_schema = 'audit' and table_name = 'accepts'"
    ).fetchone()[0]
    if has:
        accepted = con.execute(
            "select source, batch, who, accepted_at, reason from audit.accepts where run_id = ? order by source, batch",
            [run_id],
        ).fetchall()
        lines += [f"accepted: {src} {b} by {who} at {at}: {why}"[:300] for src, b, who, at, why in accepted]
    return lines


def summary_markdown(
    summary: RunSummary,
    settings: Settings,
    ledger: list[tuple[Any, ...]],
    dq: list[dict[str, Any]],
    holds: list[str] | None = None,
) -> str:
    failed = [d for d in dq if not d["success"]]
    lines = [
        f"# fraudbrain run `{summary.run_id}`: {summary.status}",
        "",
        summary.message or "",
        "",
        *(f"**Backfill:** {w}  " for w in summary.withdrawn),
        f"**Batches taken:** {len(summary.batches)}",
        "",
        *(f"- {b}" for b in summary.batches),
        "",
        *_alerts_markdown(summary.alerts),
        *([f"## Held alone and accepted: {len(holds)}", "", *(f"- {h}" for h in holds), ""] if holds else []),
        "## Rows per state (load ledger)",
        "",
        "| source | status | files | read | loaded | quarantined | duplicate |",
        "|---|---|---:|---:|---:|---:|---:|",
        *(f"| {' | '.join('' if v is None else str(v) for v in row)} |" for row in ledger),
        "",
        f"## Checks failed: {len(failed)} of {len(dq)}",
        "",
        *(
            f"- `{d['source']}.{d['table_name']}` {d['batch']}: {d['expectation']} {d['column_name']} "
            f"({d['severity']}, {d['unexpected_count']} rows)"
            for d in failed[:50]
        ),
        "",
        f"## Marts rebuilt: {'yes' if summary.built else 'no (nothing new)'}",
        "",
        *(f"- `{t}`: {n:,} rows" for t, n in sorted(summary.published.items()) if t.startswith("marts.")),
        "",
        "## Links",
        "",
        # the stable path through the `<stem>_docs` link (resolving it would name this run's folder, which a
        # later publish deletes)
        f"- Data Docs: file://{settings.data_docs_dir.absolute()}/index.html",
        f"- dbt docs: file://{settings.dbt_docs_dir.absolute()}/index.html",
        f"- warehouse: {settings.warehouse.resolve()}",
    ]
    return "\n".join(lines)


def _alerts_markdown(alerts: list[str]) -> list[str]:
    """Freshness alerts known when the summary is written (source names, hours and dates only)."""
    if not alerts:
        return []
    return [f"## Freshness alerts: {len(alerts)}", "", *(f"- {a}" for a in alerts), ""]


def publish_artifacts(summary: RunSummary, settings: Settings, con: duckdb.DuckDBPyConnection) -> None:
    """Attach the run summary and the data-quality table to the current Prefect flow run."""
    from prefect.artifacts import create_markdown_artifact, create_table_artifact

    ledger = ledger_by_status(con, summary.run_id)
    dq = dq_rows(con, summary.run_id)
    create_markdown_artifact(
        key="fraudbrain-run-summary",
        markdown=summary_markdown(summary, settings, ledger, dq, holds_and_accepts(con, summary.run_id)),
        description=f"fraudbrain run {summary.run_id}",
    )
    if dq:
        create_table_artifact(
            key="fraudbrain-data-quality",
            table=dq,
            description=f"data-quality results of run {summary.run_id}",
        )
