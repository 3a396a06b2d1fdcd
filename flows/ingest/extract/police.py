"""The police case database, read-only by SQLAlchemy (SQLite or PostgreSQL, same code), incrementally.

Per table: rows with ``updated_at > watermark - police_lookback_minutes`` (the contract allows commits up to
5 minutes in the past); values rendered as text; rows identical to a version already loaded are duplicates;
validated with the table's GX suite; loaded with the new watermark (max ``updated_at`` seen) in one DuckDB
transaction with the ledger row. Both revisions of police.md are read: a column a later revision added
(``supervision_tasks.ref_no``) reads as null from a database still on the earlier one, and a database upgraded
between two runs simply starts delivering it.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import logging
import sqlite3
from collections.abc import Iterator
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

import duckdb
import pandas as pd
import sqlalchemy as sa

from expectations.police import MONEY_COLUMNS
from flows.ingest import ledger
from flows.ingest.extract.common import Lineage, Parsed, drop_relation, load_rows, transaction
from flows.ingest.ledger import HELD, LOADED, LedgerRow
from flows.ingest.validate import DQContext, open_context, unusable_rate_failure, validate_relation
from flows.settings import Settings
from rules.contracts import POLICE, Table

log = logging.getLogger(__name__)

TS_FORMAT = "%Y-%m-%d %H:%M:%S"
CENTS = Decimal("0.01")
FETCH = 10_000
# A row's times may not be after the extraction by more than this (clocks of the source and ours differ).
FUTURE_SKEW_MINUTES = 5


@dataclass
class TableResult:
    table_name: str
    status: str  # loaded | held | unchanged (nothing read)
    watermark: str | None
    delivery_id: str | None
    ledger: LedgerRow | None
    message: str = ""


def police_engine(url: str) -> sa.Engine:
    """A read-only engine: SQLite opened ``mode=ro``; PostgreSQL sessions default to read-only transactions."""
    parsed = sa.engine.make_url(url)
    if parsed.get_backend_name() == "sqlite":
        path = parsed.database
        if not path:
            raise ValueError(f"police_url {url!r} names no SQLite file")
        return sa.create_engine("sqlite://", creator=lambda: sqlite3.connect(f"file:{path}?mode=ro", uri=True))
    if parsed.drivername == "postgresql":
        parsed = parsed.set(drivername="postgresql+psycopg")
    engine = sa.create_engine(parsed)

    @sa.event.listens_for(engine, "connect")
    def _read_only(dbapi_conn: Any, _record: Any) -> None:
        cur = dbapi_conn.cursor()
        cur.execute("SET SESSION CHARACTERISTICS AS TRANSACTION READ ONLY")
        cur.close()
        dbapi_conn.commit()

    return engine


def load_police(
    con: duckdb.DuckDBPyConnection,
    settings: Settings,
    run_id: str,
    context: DQContext | None = None,
    engine: sa.Engine | None = None,
) -> list[TableResult]:
    """Extract every police table incrementally; one transaction per table (raw + ledger + watermark)."""
    ledger.ensure_schema(con, POLICE)
    ctx = context or open_context(settings)
    eng = engine or police_engine(settings.police_url)
    try:
        return [_load_table(con, settings, eng, t, run_id, ctx) for t in POLICE]
    finally:
        if engine is None:
            eng.dispose()


def render(value: Any, column: str) -> str | None:
    """A police value as text: timestamps ``YYYY-MM-DD HH:MM:SS``, money to cents, integers as digits."""
    if value is None:
        return None
    if isinstance(value, dt.datetime):
        return value.strftime(TS_FORMAT)
    if isinstance(value, dt.date):
        return value.isoformat()
    if column in MONEY_COLUMNS and isinstance(value, int | float | Decimal | str):
        try:
            return str(Decimal(str(value)).quantize(CENTS, rounding=ROUND_HALF_UP))
        except ArithmeticError:
            return str(value)
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, Decimal) and value == value.to_integral_value():
        return str(int(value))
    return str(value)


def _since(watermark: str | None, lookback_minutes: int) -> dt.datetime | None:
    if watermark is None:
        return None
    return dt.datetime.strptime(watermark, TS_FORMAT) - dt.timedelta(minutes=lookback_minutes)


def source_columns(engine: sa.Engine, t: Table) -> list[str]:
    """The contract columns the source's table has, in contract order (revision 1 lacks the optional ones)."""
    with engine.connect() as conn:
        have = set(conn.execute(sa.text(f'select * from "{t.name}" where 1 = 0')).keys())
    return [c for c in t.columns if c in have]


def _query(t: Table, since: dt.datetime | None, present: list[str]) -> sa.TextClause:
    """The contract's columns, those a source on an earlier revision lacks read as null (a missing base column
    is left out: the suite's schema-drift expectation holds the table). Only columns the source has are named:
    SQLite reads a double-quoted name it does not know as a string."""
    cols = ", ".join(f'"{c}"' if c in present else f'null as "{c}"' for c in read_columns(t, present))
    order = ", ".join(f'"{c}"' for c in ("updated_at", *t.key))
    if since is None:
        return sa.text(f'select {cols} from "{t.name}" order by {order}')
    return sa.text(f'select {cols} from "{t.name}" where "updated_at" > :since order by {order}').bindparams(
        sa.bindparam("since", value=since, type_=sa.DateTime())
    )


def read_columns(t: Table, columns: list[str]) -> list[str]:
    """The columns a read of ``t`` yields: those the source has and the optional ones (null when absent)."""
    return [c for c in t.columns if c in columns or c in t.optional_columns]


def _read(engine: sa.Engine, t: Table, since: dt.datetime | None, present: list[str]) -> Iterator[list[str | None]]:
    """Rows of ``read_columns(t, present)`` rendered as text (``present``: the columns the source has)."""
    names = read_columns(t, present)
    with engine.connect() as conn:
        result = conn.execution_options(stream_results=True).execute(_query(t, since, present))
        while batch := result.fetchmany(FETCH):
            for row in batch:
                yield [render(v, c) for v, c in zip(row, names, strict=True)]


def extraction_id(table_name: str, since: dt.datetime | None, high: str) -> str:
    """Deterministic id of an extraction: table and watermark range."""
    low = since.strftime(TS_FORMAT) if since else "-"
    return "police-" + hashlib.sha256(f"{table_name}|{low}|{high}".encode()).hexdigest()[:16]


def _load_table(
    con: duckdb.DuckDBPyConnection, settings: Settings, engine: sa.Engine, t: Table, run_id: str, ctx: DQContext
) -> TableResult:
    old = ledger.get_watermark(con, t.name)
    since = _since(old, settings.police_lookback_minutes)
    present = source_columns(engine, t)
    columns = read_columns(t, present)
    rows = [[*r, i] for i, r in enumerate(_read(engine, t, since, present), 1)]
    if not rows:
        return TableResult(t.name, "unchanged", old, None, None, "no rows")
    latest = (ledger.now() + dt.timedelta(minutes=FUTURE_SKEW_MINUTES)).strftime(TS_FORMAT)
    high = _high_mark(rows, columns, old, latest)
    parsed = Parsed(table=t, file=t.name, rows_read=len(rows), relation=_stage(con, t, rows, columns))
    try:
        parsed.known_duplicates = _drop_unchanged(con, t, parsed.relation, columns)
        extraction = _Extraction(old, high, extraction_id(t.name, since, high), latest)
        return _validate_and_load(con, settings, parsed, extraction, run_id, ctx)
    finally:
        drop_relation(con, parsed)


@dataclass(frozen=True)
class _Extraction:
    old: str | None  # watermark before
    high: str  # watermark after: the largest updated_at read (not after ``latest``)
    delivery: str
    latest: str  # no time of a row may be after this (extraction time + skew)


def _high_mark(rows: list[list[Any]], columns: list[str], old: str | None, latest: str) -> str:
    """New watermark: the largest ``updated_at`` read that is not in the future (a future one is quarantined)."""
    at = columns.index("updated_at")
    stamps = [s for r in rows if (s := r[at]) and s <= latest]
    marks = [*stamps, *([old] if old else [])]
    return max(marks) if marks else ledger.now().strftime(TS_FORMAT)


def _stage(con: duckdb.DuckDBPyConnection, t: Table, rows: list[list[Any]], columns: list[str]) -> str:
    """The rows read, in a DuckDB temp table (the columns read, as text + _line)."""
    relation = f"_fb_in_{t.raw_table}"
    frame = pd.DataFrame(rows, columns=[*columns, "_line"]).astype({"_line": "int64", **dict.fromkeys(columns, object)})
    con.register("_fb_police_rows", frame)
    try:
        cols = ", ".join(f'"{c}"::varchar as "{c}"' for c in columns)
        con.execute(f"create or replace temp table {relation} as select {cols}, _line from _fb_police_rows")
    finally:
        con.unregister("_fb_police_rows")
    return relation


def _drop_unchanged(con: duckdb.DuckDBPyConnection, t: Table, relation: str, columns: list[str]) -> int:
    """Remove rows identical (every contract column) to a version already loaded; return how many.

    The lookback re-reads rows it has seen (residents share one ``updated_at``): they are duplicates,
    counted in the ledger without being validated and compared again.
    """
    same_key = " and ".join(f'r."{c}" = i."{c}"' for c in t.key)
    same_content = " and ".join(f'r."{c}" is not distinct from i."{c}"' for c in columns)
    gone = con.execute(
        f"delete from {relation} i where exists (select 1 from {t.qualified} r where {same_key} and {same_content})"
    ).fetchall()
    return int(gone[0][0]) if gone else 0


def _validate_and_load(
    con: duckdb.DuckDBPyConnection, settings: Settings, parsed: Parsed, ex: _Extraction, run_id: str, ctx: DQContext
) -> TableResult:
    t, fresh = parsed.table, parsed.rows_read - parsed.known_duplicates
    outcome = (
        validate_relation(
            con,
            parsed.relation,
            t,
            settings,
            batch_label=ex.high,
            run_id=run_id,
            context=ctx,
            latest_event_time=ex.latest,
        )
        if fresh
        else None
    )
    failures = list(outcome.batch_failures) if outcome else []
    unusable = unusable_rate_failure(fresh, len(outcome.row_failures)) if outcome else None
    failures += [unusable] if unusable else []
    lineage = Lineage("police", ex.high, ex.delivery, t.name, ledger.now())
    with transaction(con):
        if outcome:
            ledger.write_dq_results(con, outcome.dq_rows(ex.delivery))
        if failures:
            message = "; ".join(failures)
            log.warning("ALERT held police.%s extraction %s: %s", t.name, ex.delivery, message)
            row = _held_row(run_id, parsed, lineage, message)
            ledger.write_ledger(con, [row])
            return TableResult(t.name, HELD, ex.old, ex.delivery, row, message)
        row = load_rows(con, parsed, outcome, lineage, run_id)
        ledger.write_ledger(con, [row])
        ledger.set_watermark(con, t.name, ex.high)
        problems = ledger.check_invariants(con, [t], batch=ex.high)
        if problems:
            raise AssertionError("; ".join(problems))
    log.info("police.%s: %d read, %d loaded, watermark %s", t.name, row.rows_read, row.rows_loaded, ex.high)
    return TableResult(t.name, LOADED, ex.high, ex.delivery, row, row.message)


def _held_row(run_id: str, parsed: Parsed, lineage: Lineage, message: str) -> LedgerRow:
    """A held extraction: every row read is withheld (rows already loaded unchanged stay duplicates)."""
    dup = parsed.known_duplicates
    return LedgerRow(
        run_id,
        "police",
        parsed.table.name,
        lineage.batch,
        lineage.delivery_id,
        parsed.table.name,
        parsed.rows_read,
        0,
        parsed.rows_read - dup,
        dup,
        HELD,
        message,
        lineage.loaded_at,
    )
