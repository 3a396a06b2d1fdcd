"""Routing and loading shared by file and SQL sources: quarantine, dedupe, set-based inserts into raw.

Rows wait in a DuckDB temp table (``Parsed.relation``); routing is SQL over it: nothing row by row in Python.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

import duckdb

from flows.ingest.ledger import LOADED, LedgerRow
from flows.ingest.validate import ValidationOutcome
from rules.contracts import Table


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
    relation: str = ""  # DuckDB temp table: contract columns (as text) + _line; may hold extra columns
    record_columns: list[str] = field(default_factory=list)  # columns joined by "|" to rebuild a CSV record
    parse_errors: list[tuple[int, str, str]] = field(default_factory=list)  # (line, reason, record)
    drift: str | None = None  # header disagrees with the contract
    encoding_drift: str | None = None  # the file reads as another encoding than the contract's
    known_duplicates: int = 0  # rows read but already removed from ``relation`` as unchanged versions


def _q(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _record_sql(parsed: Parsed, columns: set[str]) -> str:
    """SQL of the record stored in quarantine for a row that parsed but failed an expectation."""
    if parsed.record_columns:  # CSV: the line as delivered
        return "concat_ws('|', " + ", ".join(f"coalesce(r.{_q(c)}, '')" for c in parsed.record_columns) + ")"
    pairs = ", ".join(f"'{c}', r.{_q(c)}" for c in parsed.table.columns if c in columns)
    return f"json_object({pairs})::varchar"


def _failures_table(con: duckdb.DuckDBPyConnection, outcome: ValidationOutcome | None) -> str:
    """A temp table (line, reasons) of the rows failing row-severity expectations."""
    con.execute("create or replace temp table _fb_failed (_line bigint primary key, reasons varchar)")
    failures = outcome.row_failures if outcome else {}
    rows = [(line, "; ".join(names)) for line, names in sorted(failures.items())]
    if rows:
        con.executemany("insert into _fb_failed values (?, ?)", rows)
    return "_fb_failed"


def quarantine_rows(
    con: duckdb.DuckDBPyConnection, parsed: Parsed, failed: str, columns: set[str], lineage: Lineage
) -> int:
    """Parse errors and failing rows into quarantine.rows, with file, line and reasons; returns the count."""
    meta = [lineage.source, parsed.table.name, lineage.batch, lineage.delivery_id, lineage.file]
    errors = [(*meta, line, reason, record, lineage.loaded_at) for line, reason, record in parsed.parse_errors]
    if errors:
        con.executemany(f"insert into quarantine.rows values ({', '.join('?' * 9)})", errors)
    n = con.execute(
        f"""insert into quarantine.rows select ?, ?, ?, ?, ?, r._line, f.reasons, {_record_sql(parsed, columns)}, ?
            from {parsed.relation} r join {failed} f on f._line = r._line""",
        [*meta, lineage.loaded_at],
    ).fetchall()[0]
    return len(errors) + (int(n[0]) if n else 0)


def insert_new_versions(
    con: duckdb.DuckDBPyConnection, t: Table, relation: str, failed: str, lineage: Lineage
) -> tuple[int, int, int]:
    """Insert the usable rows into raw: (usable, kept after in-batch dedupe, inserted).

    Same key twice in the batch: the later line wins, the earlier count as duplicates. Rows identical
    (every contract column) to a version already loaded are duplicates of an earlier batch or extraction.
    """
    key = ", ".join(_q(c) for c in t.key)
    usable = f"select * from {relation} r where not exists (select 1 from {failed} f where f._line = r._line)"
    counts = con.execute(
        f"select count(*), count(*) filter (where rn = 1) from "
        f"(select row_number() over (partition by {key} order by _line desc) rn from ({usable}))"
    ).fetchall()[0]
    n_usable, kept = (int(counts[0]), int(counts[1])) if counts else (0, 0)
    cols = [_q(c) for c in t.columns]
    same_key = " and ".join(f"r.{c} = i.{c}" for c in (_q(k) for k in t.key))
    same_content = " and ".join(f"r.{c} is not distinct from i.{c}" for c in cols)
    n = con.execute(
        f"""insert into {t.qualified}
            with kept as (
                select * from ({usable}) qualify row_number() over (partition by {key} order by _line desc) = 1)
            select {", ".join(f"i.{c}::varchar" for c in cols)}, ?, ?, ?, ?, i._line::bigint, ?
            from kept i
            where not exists (select 1 from {t.qualified} r where {same_key} and {same_content})""",
        [lineage.source, lineage.batch, lineage.delivery_id, lineage.file, lineage.loaded_at],
    ).fetchall()[0]
    return n_usable, kept, int(n[0]) if n else 0


def load_rows(
    con: duckdb.DuckDBPyConnection, parsed: Parsed, outcome: ValidationOutcome | None, lineage: Lineage, run_id: str
) -> LedgerRow:
    """Quarantine, dedupe and insert one file's rows; return its (balanced) ledger row. Caller owns the txn.

    ``outcome`` None: nothing was left to validate (every row read was a known duplicate).
    """
    failed = _failures_table(con, outcome)
    columns = {str(r[0]) for r in con.execute(f"describe select * from {parsed.relation}").fetchall()}
    quarantined = quarantine_rows(con, parsed, failed, columns, lineage)
    usable, kept, loaded = insert_new_versions(con, parsed.table, parsed.relation, failed, lineage)
    dup_within, dup_earlier = usable - kept, kept - loaded + parsed.known_duplicates
    message = f"{quarantined} quarantined, {dup_within} repeated in batch, {dup_earlier} already loaded"
    return LedgerRow(
        run_id,
        lineage.source,
        parsed.table.name,
        lineage.batch,
        lineage.delivery_id,
        lineage.file,
        parsed.rows_read,
        loaded,
        quarantined,
        dup_within + dup_earlier,
        LOADED,
        message,
        lineage.loaded_at,
    )


def drop_relation(con: duckdb.DuckDBPyConnection, parsed: Parsed) -> None:
    if parsed.relation:
        con.execute(f"drop table if exists {parsed.relation}")


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
