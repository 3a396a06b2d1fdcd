"""Routing and loading shared by file and SQL sources: quarantine, dedupe, set-based inserts into raw."""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass, field

import duckdb
import pandas as pd

from flows.contracts import Table
from flows.ledger import LOADED, LedgerRow
from flows.quarantine import QUARANTINE_COLUMNS, insert_quarantine
from flows.validate import ValidationOutcome


@dataclass(frozen=True)
class Lineage:
    source: str
    batch: str
    delivery_id: str
    file: str
    loaded_at: dt.datetime


@dataclass
class Parsed:
    """One file's (or one police table's) rows after parsing, before validation."""

    table: Table
    file: str  # lineage _file
    rows_read: int = 0
    frame: pd.DataFrame | None = None  # contract columns (as text) + _line; may hold extra columns
    record_columns: list[str] = field(default_factory=list)  # columns joined by "|" to rebuild a CSV record
    parse_errors: list[tuple[int, str, str]] = field(default_factory=list)  # (line, reason, record)
    drift: str | None = None  # header disagrees with the contract


def record_text(row: pd.Series, parsed: Parsed) -> str:
    """The record stored in quarantine for a row that parsed but failed an expectation."""
    values = {c: (None if pd.isna(row[c]) else str(row[c])) for c in (parsed.record_columns or parsed.table.columns)}
    if parsed.record_columns:  # CSV: the line as delivered
        return "|".join(v or "" for v in values.values())
    return json.dumps(values, ensure_ascii=False)


def split_rows(
    parsed: Parsed,
    outcome: ValidationOutcome,
    lineage: Lineage,
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(usable rows, quarantine rows): parse errors and row-severity failures go to quarantine."""
    frame = parsed.frame if parsed.frame is not None else pd.DataFrame(columns=[*parsed.table.columns, "_line"])
    bad_lines = outcome.row_failures
    failed = frame[frame["_line"].isin(list(bad_lines))] if bad_lines else frame.iloc[0:0]
    q_records = [(line, reason, record) for line, reason, record in parsed.parse_errors]
    q_records += [
        (int(r["_line"]), "; ".join(bad_lines[int(r["_line"])]), record_text(r, parsed)) for _, r in failed.iterrows()
    ]
    quarantine = pd.DataFrame(
        [
            (
                lineage.source,
                parsed.table.name,
                lineage.batch,
                lineage.delivery_id,
                lineage.file,
                line,
                reason,
                record,
                lineage.loaded_at,
            )
            for line, reason, record in q_records
        ],
        columns=list(QUARANTINE_COLUMNS),
    )
    usable = frame[~frame["_line"].isin(list(bad_lines))] if bad_lines else frame
    return usable, quarantine


def dedupe_within(frame: pd.DataFrame, key: tuple[str, ...]) -> tuple[pd.DataFrame, int]:
    """Same key twice in one batch: the later line wins, earlier lines count as duplicates."""
    if frame.empty:
        return frame, 0
    kept = frame.sort_values("_line").drop_duplicates(subset=list(key), keep="last")
    return kept, len(frame) - len(kept)


def insert_new_versions(con: duckdb.DuckDBPyConnection, t: Table, frame: pd.DataFrame, lineage: Lineage) -> int:
    """Insert rows into raw, skipping rows identical (every contract column) to a version already loaded.

    Returns the number inserted; the rest are duplicates of an earlier batch or extraction.
    """
    if frame.empty:
        return 0
    cols = [f'"{c}"' for c in t.columns]
    same_key = " and ".join(f'r."{c}" = i."{c}"' for c in t.key)
    same_content = " and ".join(f'r."{c}" is not distinct from i."{c}"' for c in t.columns)
    incoming = frame.loc[:, [*t.columns, "_line"]]
    con.register("_fb_incoming", incoming)
    try:
        n = con.execute(
            f"""insert into {t.qualified}
                select {", ".join(f"i.{c}::varchar" for c in cols)}, ?, ?, ?, ?, i._line::bigint, ?
                from _fb_incoming i
                where not exists (select 1 from {t.qualified} r where {same_key} and {same_content})""",
            [lineage.source, lineage.batch, lineage.delivery_id, lineage.file, lineage.loaded_at],
        ).fetchone()
    finally:
        con.unregister("_fb_incoming")
    return int(n[0]) if n else 0


def load_rows(
    con: duckdb.DuckDBPyConnection, parsed: Parsed, outcome: ValidationOutcome, lineage: Lineage, run_id: str
) -> LedgerRow:
    """Quarantine, dedupe and insert one file's rows; return its (balanced) ledger row. Caller owns the txn."""
    usable, quarantine = split_rows(parsed, outcome, lineage)
    kept, dup_within = dedupe_within(usable, parsed.table.key)
    loaded = insert_new_versions(con, parsed.table, kept, lineage)
    insert_quarantine(con, quarantine)
    dup_earlier = len(kept) - loaded
    message = f"{len(quarantine)} quarantined, {dup_within} repeated in batch, {dup_earlier} already loaded"
    return LedgerRow(
        run_id,
        lineage.source,
        parsed.table.name,
        lineage.batch,
        lineage.delivery_id,
        lineage.file,
        parsed.rows_read,
        loaded,
        len(quarantine),
        dup_within + dup_earlier,
        LOADED,
        message,
        lineage.loaded_at,
    )


class transaction:
    """All of one batch's writes in one DuckDB transaction: a crash leaves all of it or none."""

    def __init__(self, con: duckdb.DuckDBPyConnection) -> None:
        self.con = con

    def __enter__(self) -> duckdb.DuckDBPyConnection:
        self.con.begin()
        return self.con

    def __exit__(self, exc_type: object, *exc: object) -> None:
        if exc_type is None:
            self.con.commit()
        else:
            self.con.rollback()
