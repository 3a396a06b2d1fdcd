"""quarantine.rows: rows that cannot be used, with the file, line and the reasons (restricted, clear values)."""

from __future__ import annotations

import duckdb
import pandas as pd

QUARANTINE_COLUMNS: tuple[str, ...] = (
    "_source",
    "_table",
    "_batch",
    "_delivery_id",
    "_file",
    "_line",
    "reasons",
    "record",
    "_loaded_at",
)


def insert_quarantine(con: duckdb.DuckDBPyConnection, rows: pd.DataFrame) -> int:
    """Insert rows shaped like QUARANTINE_COLUMNS (one set-based insert); returns the count."""
    if rows.empty:
        return 0
    frame = rows.loc[:, list(QUARANTINE_COLUMNS)]
    con.register("_fb_quarantine_in", frame)
    try:
        con.execute(f"insert into quarantine.rows select {', '.join(QUARANTINE_COLUMNS)} from _fb_quarantine_in")
    finally:
        con.unregister("_fb_quarantine_in")
    return len(frame)


def delete_delivery(con: duckdb.DuckDBPyConnection, source: str, batch: str, delivery_id: str) -> None:
    con.execute(
        "delete from quarantine.rows where _source = ? and _batch = ? and _delivery_id = ?",
        [source, batch, delivery_id],
    )
