"""The load ledger and the other audit tables the extract step owns (docs/ARCHITECTURE.md).

Ledger semantics (one row per file of a batch, or per police table per extraction):

- ``rows_read``: data rows the file holds as the contract counts them (CSV: lines after the header;
  JSON Lines: all lines; an unterminated non-empty last line counts); police: rows the query returned.
- ``rows_loaded``: rows inserted into ``raw.<source>__<table>``.
- ``rows_quarantined``: for status ``loaded``, rows written to ``quarantine.rows`` (parse errors and
  ``row``-severity expectation failures); for ``refused`` and ``held``, *every* row read: the whole
  file is withheld (nothing in raw, nothing in quarantine.rows: the landing zone keeps the bytes and the
  batch can be replayed once fixed).
- ``rows_duplicate``: earlier lines of a key repeated later in the same batch, and rows identical in
  every contract column to a version already loaded from an earlier batch or extraction.
- ``status``: ``loaded`` | ``refused`` (damaged delivery: manifest, checksum, row count, gzip, line
  length) | ``held`` (batch-level check failed: schema drift, defect rate) | ``held_file`` (this file alone
  is held: its row count is implausible against its table's history, flows/ingest/volume.py; the batch's
  other files loaded) | ``replaced`` (a loaded delivery later superseded by a re-delivery of the same batch;
  its raw and quarantine rows were deleted, its counts stay as history) | ``released`` (a held row whose
  batch ``fraudbrain replay`` made pending again: its counts stay as history, the next load adds its rows).

``audit.batches`` keys one row per (source, batch, delivery): ``loaded`` | ``partial`` (loaded, with one or
more files ``held_file``) | ``held`` | ``refused`` | ``replaced`` | ``released``. Releasing a ``partial``
batch takes only its held files again (its loaded files stay). ``audit.accepts`` records every
``replay --accept``: who, why, when, and the run that then loaded the delivery despite its checks (once).

Invariants, checkable by SQL (``check_invariants``): ``rows_read = rows_loaded + rows_quarantined +
rows_duplicate`` on every row; for ``loaded`` rows, ``rows_quarantined`` equals the rows in
``quarantine.rows`` and ``rows_loaded`` the rows in raw for that source/table/batch/delivery/file.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Iterable, Sequence
from dataclasses import astuple, dataclass, fields

import duckdb

from rules.contracts import ALL_TABLES, LINEAGE_COLUMNS, Table

log = logging.getLogger(__name__)

SCHEMA_DDL: tuple[str, ...] = (
    "create schema if not exists raw",
    "create schema if not exists quarantine",
    "create schema if not exists audit",
    """create table if not exists audit.load_ledger (
        run_id varchar, source varchar, table_name varchar, batch varchar, delivery_id varchar,
        file varchar, rows_read bigint, rows_loaded bigint, rows_quarantined bigint, rows_duplicate bigint,
        status varchar, message varchar, loaded_at timestamp)""",
    """create table if not exists audit.batches (
        source varchar, batch varchar, delivery_id varchar, kind varchar, status varchar, message varchar,
        manifest_sha256 varchar, run_id varchar, first_seen_at timestamp, updated_at timestamp,
        primary key (source, batch, delivery_id))""",
    """create table if not exists audit.watermarks (
        table_name varchar primary key, watermark varchar, updated_at timestamp)""",
    """create table if not exists audit.dq_results (
        run_id varchar, suite varchar, source varchar, table_name varchar, batch varchar, delivery_id varchar,
        expectation varchar, column_name varchar, severity varchar, success boolean, element_count bigint,
        unexpected_count bigint, unexpected_percent double, recorded_at timestamp)""",
    """create table if not exists audit.accepts (
        source varchar, batch varchar, delivery_id varchar, held varchar, who varchar, reason varchar,
        accepted_at timestamp, run_id varchar, loaded_at timestamp)""",
    """create table if not exists quarantine.rows (
        _source varchar, _table varchar, _batch varchar, _delivery_id varchar, _file varchar, _line bigint,
        reasons varchar, record varchar, _loaded_at timestamp)""",
)

LOADED, REFUSED, HELD, REPLACED, RELEASED = "loaded", "refused", "held", "replaced", "released"
HELD_FILE, PARTIAL = "held_file", "partial"


def now() -> dt.datetime:
    return dt.datetime.now().replace(microsecond=0)


def ensure_schema(con: duckdb.DuckDBPyConnection, tables: Iterable[Table] = ALL_TABLES) -> None:
    """Create the raw/quarantine/audit schemas and tables if missing (idempotent, cheap)."""
    for ddl in SCHEMA_DDL:
        con.execute(ddl)
    for t in tables:
        ensure_raw_table(con, t)


def ensure_raw_table(con: duckdb.DuckDBPyConnection, t: Table) -> None:
    cols = [f'"{c}" varchar' for c in t.columns]
    cols += [
        "_source varchar",
        "_batch varchar",
        "_delivery_id varchar",
        "_file varchar",
        "_line bigint",
        "_loaded_at timestamp",
    ]
    assert [c.split()[0] for c in cols[len(t.columns) :]] == list(LINEAGE_COLUMNS)
    con.execute(f"create table if not exists {t.qualified} ({', '.join(cols)})")
    _add_revised_columns(con, t, cols)


def _add_revised_columns(con: duckdb.DuckDBPyConnection, t: Table, cols: list[str]) -> None:
    """A raw table made before the contract gained a column (police revision 2: supervision_tasks.ref_no) is
    rebuilt with it, null in the rows already loaded, in the catalogue's column order (inserts are by position)."""
    have = [
        str(r[0])
        for r in con.execute(
            "select column_name from information_schema.columns where table_schema = 'raw' and table_name = ? "
            "order by ordinal_position",
            [t.raw_table],
        ).fetchall()
    ]
    names = [c.split()[0].strip('"') for c in cols]
    if have == names:
        return
    lacking = [c for c in names if c not in have]
    if not lacking or any(c not in t.optional_columns for c in lacking):
        raise AssertionError(f"{t.qualified} has columns {have}, the catalogue {names}")
    select = ", ".join(f'"{c}"' if c in have else f'null::varchar as "{c}"' for c in names)
    con.execute(f"create or replace table {t.qualified} as select {select} from {t.qualified}")
    log.info("%s: added the revised contract's columns %s (null in the rows loaded before)", t.qualified, lacking)


@dataclass
class LedgerRow:
    run_id: str
    source: str
    table_name: str
    batch: str
    delivery_id: str
    file: str
    rows_read: int
    rows_loaded: int
    rows_quarantined: int
    rows_duplicate: int
    status: str
    message: str
    loaded_at: dt.datetime

    def balanced(self) -> bool:
        return self.rows_read == self.rows_loaded + self.rows_quarantined + self.rows_duplicate


def write_ledger(con: duckdb.DuckDBPyConnection, rows: Sequence[LedgerRow]) -> None:
    for row in rows:
        if not row.balanced():
            raise AssertionError(
                f"ledger does not balance for {row.source}/{row.batch}/{row.file}: read {row.rows_read} != "
                f"loaded {row.rows_loaded} + quarantined {row.rows_quarantined} + duplicate {row.rows_duplicate}"
            )
    if rows:
        n = len(fields(LedgerRow))
        con.executemany(f"insert into audit.load_ledger values ({', '.join('?' * n)})", [astuple(r) for r in rows])


# ---- batches (file sources) ---------------------------------------------------------------------
def recorded_deliveries(con: duckdb.DuckDBPyConnection, source: str) -> set[tuple[str, str]]:
    """(batch, delivery_id) already handled; a ``released`` record is up for replay again."""
    rows = con.execute(
        "select batch, delivery_id from audit.batches where source = ? and status <> ?", [source, RELEASED]
    ).fetchall()
    return {(b, d) for b, d in rows}


def record_batch(
    con: duckdb.DuckDBPyConnection,
    *,
    source: str,
    batch: str,
    delivery_id: str,
    kind: str,
    status: str,
    message: str,
    manifest_sha256: str,
    run_id: str,
) -> None:
    con.execute(
        """insert into audit.batches values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
           on conflict (source, batch, delivery_id) do update set kind = excluded.kind,
             status = excluded.status, message = excluded.message, manifest_sha256 = excluded.manifest_sha256,
             run_id = excluded.run_id, updated_at = excluded.updated_at""",
        [source, batch, delivery_id, kind, status, message, manifest_sha256, run_id, now(), now()],
    )


def loaded_deliveries(con: duckdb.DuckDBPyConnection, source: str, batch: str, except_delivery: str) -> list[str]:
    """Other deliveries of the batch with rows in raw (loaded, partial, or a released partial one)."""
    rows = con.execute(
        """select delivery_id from audit.batches where source = ? and batch = ? and delivery_id <> ?
             and status in (?, ?)
           union select delivery_id from audit.load_ledger where source = ? and batch = ? and delivery_id <> ?
             and status = ?
           order by 1""",
        [source, batch, except_delivery, LOADED, PARTIAL, source, batch, except_delivery, LOADED],
    ).fetchall()
    return [r[0] for r in rows]


def loaded_files(con: duckdb.DuckDBPyConnection, source: str, batch: str, delivery_id: str) -> set[str]:
    """Files (lineage ``_file``) of a delivery already in raw: a released partial batch takes only the others."""
    rows = con.execute(
        "select file from audit.load_ledger where source = ? and batch = ? and delivery_id = ? and status = ?",
        [source, batch, delivery_id, LOADED],
    ).fetchall()
    return {r[0] for r in rows}


def mark_replaced(con: duckdb.DuckDBPyConnection, source: str, batch: str, delivery_id: str, by: str) -> None:
    msg = f"replaced by re-delivery {by}"
    con.execute(
        "update audit.batches set status = ?, message = ?, updated_at = ? "
        "where source = ? and batch = ? and delivery_id = ?",
        [REPLACED, msg, now(), source, batch, delivery_id],
    )
    con.execute(
        "update audit.load_ledger set status = ?, message = ? "
        "where source = ? and batch = ? and delivery_id = ? and status in (?, ?, ?)",
        [REPLACED, msg, source, batch, delivery_id, LOADED, HELD_FILE, RELEASED],
    )


def release_batch(con: duckdb.DuckDBPyConnection, source: str, batch: str) -> int:
    """Replay: make a held, partial or refused batch pending again (once fixed, or once a rule changed).

    Held ledger rows become ``released`` history (the next load writes the rows that count).
    """
    n = con.execute(
        "update audit.batches set status = ?, updated_at = ? where source = ? and batch = ? "
        "and status in (?, ?, ?) returning delivery_id",
        [RELEASED, now(), source, batch, HELD, PARTIAL, REFUSED],
    ).fetchall()
    for (delivery,) in n:
        con.execute(
            "update audit.load_ledger set status = ? where source = ? and batch = ? and delivery_id = ? "
            "and status in (?, ?)",
            [RELEASED, source, batch, delivery, HELD, HELD_FILE],
        )
    return len(n)


def held_deliveries(con: duckdb.DuckDBPyConnection, source: str, batch: str) -> list[tuple[str, str, str]]:
    """(delivery_id, status, message) of the batch's held, partial or refused deliveries."""
    return con.execute(
        "select delivery_id, status, coalesce(message, '') from audit.batches where source = ? and batch = ? "
        "and status in (?, ?, ?) order by delivery_id",
        [source, batch, HELD, PARTIAL, REFUSED],
    ).fetchall()


# ---- accepts (replay --accept) ------------------------------------------------------------------
def record_accept(
    con: duckdb.DuckDBPyConnection, *, source: str, batch: str, delivery_id: str, held: str, who: str, reason: str
) -> None:
    con.execute(
        "insert into audit.accepts values (?, ?, ?, ?, ?, ?, ?, null, null)",
        [source, batch, delivery_id, held[:2000], who, reason, now()],
    )


def open_accept(con: duckdb.DuckDBPyConnection, source: str, batch: str, delivery_id: str) -> bool:
    """Whether an accept of this delivery waits for its load (an accept is used once)."""
    return bool(
        con.execute(
            "select count(*) from audit.accepts where source = ? and batch = ? and delivery_id = ? and run_id is null",
            [source, batch, delivery_id],
        ).fetchone()[0]
    )


def use_accept(con: duckdb.DuckDBPyConnection, source: str, batch: str, delivery_id: str, run_id: str) -> None:
    con.execute(
        "update audit.accepts set run_id = ?, loaded_at = ? where source = ? and batch = ? and delivery_id = ? "
        "and run_id is null",
        [run_id, now(), source, batch, delivery_id],
    )


# ---- watermarks (police) -----------------------------------------------------------------------
def get_watermark(con: duckdb.DuckDBPyConnection, table_name: str) -> str | None:
    rows = con.execute("select watermark from audit.watermarks where table_name = ?", [table_name]).fetchall()
    return rows[0][0] if rows else None


def set_watermark(con: duckdb.DuckDBPyConnection, table_name: str, watermark: str) -> None:
    con.execute(
        "insert into audit.watermarks values (?, ?, ?) on conflict (table_name) do update "
        "set watermark = excluded.watermark, updated_at = excluded.updated_at",
        [table_name, watermark, now()],
    )


# ---- DQ results (counts only) ------------------------------------------------------------------
def write_dq_results(con: duckdb.DuckDBPyConnection, rows: Sequence[tuple]) -> None:
    if rows:
        con.executemany(f"insert into audit.dq_results values ({', '.join('?' * 14)})", list(rows))


# ---- invariants --------------------------------------------------------------------------------
UNBALANCED_SQL = """
select source, table_name, batch, delivery_id, file, status from audit.load_ledger
where rows_read <> rows_loaded + rows_quarantined + rows_duplicate
"""


def _count_mismatch_sql(t: Table, batch: str | None) -> str:
    only = "" if batch is None else f" and batch = '{batch.replace(chr(39), '')}'"
    only_r = "" if batch is None else f" where _batch = '{batch.replace(chr(39), '')}'"
    return f"""
    with l as (select source, table_name, batch, delivery_id, file, sum(rows_loaded) loaded,
                      sum(rows_quarantined) quarantined
               from audit.load_ledger where status = 'loaded' and source = '{t.source}'
               and table_name = '{t.name}'{only} group by all),
    r as (select _batch, _delivery_id, _file, count(*) n from {t.qualified}{only_r} group by all),
    q as (select _batch, _delivery_id, _file, count(*) n from quarantine.rows
          where _source = '{t.source}' and _table = '{t.name}' group by all)
    select l.source, l.table_name, l.batch, l.file, l.loaded, coalesce(r.n, 0), l.quarantined, coalesce(q.n, 0)
    from l
    left join r on r._batch = l.batch and r._delivery_id = l.delivery_id and r._file = l.file
    left join q on q._batch = l.batch and q._delivery_id = l.delivery_id and q._file = l.file
    where l.loaded <> coalesce(r.n, 0) or l.quarantined <> coalesce(q.n, 0)
    """


def check_invariants(
    con: duckdb.DuckDBPyConnection, tables: Iterable[Table] = ALL_TABLES, batch: str | None = None
) -> list[str]:
    """Every violation of the ledger invariants, as readable lines (empty list: the ledger balances).

    Loaded ledger rows are summed per (batch, delivery, file) first: a police extraction id can recur
    (same watermark range) with its later runs finding only duplicates.
    """
    problems = [f"unbalanced ledger row: {r}" for r in con.execute(UNBALANCED_SQL).fetchall()]
    present = {
        r[0]
        for r in con.execute("select table_name from information_schema.tables where table_schema = 'raw'").fetchall()
    }
    for t in tables:
        if t.raw_table not in present:
            continue
        for r in con.execute(_count_mismatch_sql(t, batch)).fetchall():
            problems.append(f"ledger disagrees with raw/quarantine: {r}")
    return problems
