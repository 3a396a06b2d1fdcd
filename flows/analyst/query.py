"""Read-only queries on the published warehouse: no writes, no files outside it."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import duckdb

from flows.errors import UserError


class QueryRefused(UserError, RuntimeError):
    """The query could not run: no warehouse, a write, or a read outside the warehouse."""


def open_readonly(warehouse: Path) -> duckdb.DuckDBPyConnection:
    if not warehouse.exists():
        raise QueryRefused(f"no published warehouse at {warehouse}: run `fraudbrain run` first")
    return duckdb.connect(
        str(warehouse),
        read_only=True,
        config={"enable_external_access": False, "lock_configuration": True},
    )


def run_query(warehouse: Path, sql: str) -> tuple[list[str], list[tuple[Any, ...]]]:
    con = open_readonly(warehouse)
    try:
        cur = con.execute(sql)
        columns = [d[0] for d in cur.description] if cur.description else []
        return columns, cur.fetchall()
    except duckdb.Error as exc:
        raise QueryRefused(str(exc).splitlines()[0]) from exc
    finally:
        con.close()
