"""Read-only queries on the published warehouse: no writes, no files outside it.

Rows are fetched in batches from DuckDB's streaming result: a row cap stops fetching (the SQL is never
rewritten), and output to a file is written batch by batch, so no result is held whole in memory. The
connection cannot reach the file system (``enable_external_access`` off and locked): files are written by
this process from the fetched batches, never by DuckDB's ``COPY``.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import duckdb

from flows.errors import UserError

BATCH_ROWS = 10_000  # rows fetched at a time


class QueryRefused(UserError, RuntimeError):
    """The query could not run: no warehouse, a write, or a read outside the warehouse."""


def open_readonly(warehouse: Path) -> duckdb.DuckDBPyConnection:
    if not warehouse.exists():
        raise QueryRefused(f"no published warehouse at {warehouse}: run `fraudbrain run` first")
    con = duckdb.connect(str(warehouse), read_only=True, config={"enable_external_access": False})
    con.execute("set enable_progress_bar = false")  # never drawn into the output of a long query
    con.execute("set lock_configuration = true")  # then locked: no query can turn file access back on
    return con


def duckdb_message(exc: duckdb.Error) -> str:
    """DuckDB's whole message, hints included (``Did you mean "gangs"?``, candidate bindings, the caret line)."""
    return "\n".join(line for line in str(exc).splitlines() if line.strip())


@contextmanager
def _duckdb_errors() -> Iterator[None]:
    try:
        yield
    except duckdb.Error as exc:
        raise QueryRefused(duckdb_message(exc)) from exc


class Result:
    """The streaming result of one query: its columns, then its rows batch by batch, up to a cap."""

    def __init__(self, cur: duckdb.DuckDBPyConnection) -> None:
        self._cur = cur
        self.columns: list[str] = [d[0] for d in cur.description or []]
        self.types: list[str] = [str(d[1]) for d in cur.description or []]
        self.rows = 0
        self.capped = False  # True when the cap stopped fetching before the result's end

    def batches(self, limit: int = 0, size: int = BATCH_ROWS) -> Iterator[list[tuple[Any, ...]]]:
        """Rows in lists of at most ``size``; with ``limit`` > 0, at most ``limit`` rows in all (one row is
        fetched past it to know whether the cap cut the result)."""
        while True:
            want = size if not limit else min(size, limit - self.rows + 1)
            with _duckdb_errors():
                rows = self._cur.fetchmany(want)
            if not rows:
                return
            if limit and self.rows + len(rows) > limit:
                self.capped = True
                rows = rows[: limit - self.rows]
                if rows:
                    self.rows += len(rows)
                    yield rows
                return
            self.rows += len(rows)
            yield rows


def _check_sql(sql: str) -> None:
    if not sql.strip():
        raise QueryRefused('the SQL is empty: pass a query, e.g. fraudbrain query "select * from marts.fct_cases"')


@contextmanager
def query(warehouse: Path, sql: str) -> Iterator[Result]:
    """The result of ``sql`` on a read-only connection, closed on leaving."""
    _check_sql(sql)
    con = open_readonly(warehouse)
    try:
        with _duckdb_errors():
            cur = con.execute(sql)
        if cur.description is None:
            raise QueryRefused("the SQL holds no query that returns rows (only comments, or a statement)")
        yield Result(cur)
    finally:
        con.close()


def run_query(warehouse: Path, sql: str, limit: int = 0) -> tuple[list[str], list[tuple[Any, ...]]]:
    """Columns and rows (at most ``limit`` rows when > 0)."""
    with query(warehouse, sql) as res:
        rows = [r for batch in res.batches(limit) for r in batch]
        return res.columns, rows


@contextmanager
def arrow_reader(warehouse: Path, sql: str, size: int = BATCH_ROWS) -> Iterator[Any]:
    """The result of ``sql`` as DuckDB's streaming Arrow reader (``pyarrow.RecordBatchReader``)."""
    _check_sql(sql)
    con = open_readonly(warehouse)
    try:
        with _duckdb_errors():
            rel = con.sql(sql)
        if rel is None:
            raise QueryRefused("the SQL holds no query that returns rows (only comments, or a statement)")
        with _duckdb_errors():
            reader = rel.to_arrow_reader(size)
        try:
            yield reader
        finally:
            reader.close()
    finally:
        con.close()


# ---- the catalogue: tables and their columns, with the descriptions published as DuckDB comments ----------
_INTERNAL = ("information_schema", "pg_catalog")


@dataclass
class TableInfo:
    schema: str
    table: str
    kind: str  # table or view
    rows: int | None
    description: str


@dataclass
class ColumnInfo:
    column: str
    type: str
    nullable: bool
    description: str


def list_tables(warehouse: Path) -> list[TableInfo]:
    """Every table and view of the warehouse, with its row count and its comment ("" when it has none)."""
    con = open_readonly(warehouse)
    try:
        found = con.execute(
            "select schema_name, table_name, 'table', coalesce(comment, '') from duckdb_tables() "
            "where database_name = current_database() and not internal "
            "union all select schema_name, view_name, 'view', coalesce(comment, '') from duckdb_views() "
            "where database_name = current_database() and not internal and schema_name not in ?"
            "order by 1, 2",
            [list(_INTERNAL)],
        ).fetchall()
        out = []
        for schema, table, kind, comment in found:
            rows = None
            if kind == "table":
                rows = con.execute(f"select count(*) from {_ident(schema)}.{_ident(table)}").fetchone()[0]
            out.append(TableInfo(schema, table, kind, rows, comment))
        return out
    finally:
        con.close()


def describe(warehouse: Path, name: str) -> tuple[TableInfo, list[ColumnInfo]]:
    """One table's (or view's) columns, types and comments. ``name`` is ``table`` or ``schema.table``."""
    tables = list_tables(warehouse)
    schema, _, table = name.rpartition(".")
    matches = [t for t in tables if t.table.lower() == table.lower() and (not schema or t.schema == schema.lower())]
    if not matches:
        known = [f"{t.schema}.{t.table}" for t in tables]
        close = difflib.get_close_matches(name.lower(), known + [t.table for t in tables], n=3, cutoff=0.6)
        hint = f": did you mean {', '.join(close)}?" if close else ": `fraudbrain tables` lists them"
        raise QueryRefused(f"no table or view {name!r} in the warehouse{hint}")
    if len(matches) > 1:
        names = ", ".join(f"{t.schema}.{t.table}" for t in matches)
        raise QueryRefused(f"{name!r} is in more than one schema ({names}): name it as schema.table")
    info = matches[0]
    con = open_readonly(warehouse)
    try:
        cols = con.execute(
            "select column_name, data_type, is_nullable, coalesce(comment, '') from duckdb_columns() "
            "where database_name = current_database() and schema_name = ? and table_name = ? order by column_index",
            [info.schema, info.table],
        ).fetchall()
    finally:
        con.close()
    return info, [ColumnInfo(c, t, bool(n), d) for c, t, n, d in cols]


def _ident(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


# ---- output to a file, batch by batch ---------------------------------------------------------------------
FILE_FORMATS = ("csv", "json", "parquet")


@dataclass
class Written:
    path: Path
    rows: int
    capped: bool


def jsonable(value: Any) -> Any:
    """A value JSON cannot hold as itself, as text (decimals keep their digits, times their ISO form)."""
    from datetime import date, datetime, time

    if isinstance(value, date | datetime | time):
        return value.isoformat()
    return str(value)


def write_file(warehouse: Path, sql: str, out: Path, fmt: str, limit: int = 0) -> Written:
    """The result of ``sql`` written to ``out`` as csv, json (an array, one object a line) or parquet.

    Refused when ``out`` exists. Written to ``out.part`` and renamed when complete: a failed query leaves no
    half file under the name asked for.
    """
    if fmt not in FILE_FORMATS:
        raise QueryRefused(f"--out writes {', '.join(FILE_FORMATS)}, not {fmt}: pass --format with one of them")
    if out.exists():
        raise QueryRefused(f"{out} already exists: remove it or pass another --out")
    if not out.parent.is_dir():
        raise QueryRefused(f"no folder {out.parent} to write {out.name} in")
    part = out.with_name(out.name + ".part")
    try:
        if fmt == "parquet":
            rows, capped = _write_parquet(warehouse, sql, part, limit)
        else:
            with query(warehouse, sql) as res, open(part, "w", newline="", encoding="utf-8") as handle:
                (write_csv if fmt == "csv" else write_json)(res, handle, limit)
                rows, capped = res.rows, res.capped
        part.replace(out)
    finally:
        part.unlink(missing_ok=True)
    return Written(out, rows, capped)


def write_csv(res: Result, handle: Any, limit: int) -> None:
    import csv

    writer = csv.writer(handle)
    writer.writerow(res.columns)
    for batch in res.batches(limit):
        writer.writerows(batch)


def write_json(res: Result, handle: Any, limit: int) -> None:
    import json

    handle.write("[")
    sep = "\n"
    for batch in res.batches(limit):
        for r in batch:
            handle.write(sep + json.dumps(dict(zip(res.columns, r, strict=True)), default=jsonable, ensure_ascii=False))
            sep = ",\n"
    handle.write("\n]\n")


def _write_parquet(warehouse: Path, sql: str, part: Path, limit: int) -> tuple[int, bool]:
    import pyarrow.parquet as pq

    rows, capped = 0, False
    with arrow_reader(warehouse, sql) as reader, pq.ParquetWriter(part, reader.schema) as writer:
        while not capped:
            with _duckdb_errors():
                try:
                    batch = reader.read_next_batch()
                except StopIteration:
                    break
            if limit and rows + batch.num_rows > limit:
                batch, capped = batch.slice(0, limit - rows), True
            writer.write_batch(batch)
            rows += batch.num_rows
            if limit and rows == limit and not capped:  # exactly at the cap: is there more?
                with _duckdb_errors():
                    try:
                        capped = reader.read_next_batch().num_rows > 0
                    except StopIteration:
                        break
    return rows, capped
