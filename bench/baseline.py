"""The baseline: the shortest plain load of every landing file and police table into a fresh DuckDB file.

No manifest checks, no validation, no dedupe, no models: GB18030 text decoded in Python, then DuckDB
``read_csv`` / ``read_json`` and ``insert``. Every delivered row is inserted (a malformed line becomes a
row of NULLs or a padded row), so the row counts are comparable with the pipeline's ``rows_read``.

Usage: python -m bench.baseline LANDING POLICE_SQLITE_FILE OUT.duckdb   (prints one JSON line)
"""

from __future__ import annotations

import gzip
import json
import sqlite3
import sys
import tempfile
import time
from pathlib import Path

import duckdb
import pandas as pd

from rules.contracts import POLICE, Table, by_file


def _read_bytes(path: Path) -> bytes:
    return gzip.decompress(path.read_bytes()) if path.suffix == ".gz" else path.read_bytes()


def _ensure_table(con: duckdb.DuckDBPyConnection, t: Table) -> str:
    name = f"{t.source}__{t.name}"
    cols = ", ".join(f'"{c}" VARCHAR' for c in t.columns)
    con.execute(f"create table if not exists {name} ({cols})")
    return name


def load_csv(con: duckdb.DuckDBPyConnection, path: Path, t: Table, scratch: Path) -> None:
    """GB18030 pipe-delimited text with a header: decode in Python, write UTF-8, read_csv, insert."""
    text = _read_bytes(path).decode("gb18030", errors="replace")
    header = text.split("\n", 1)[0].rstrip("\r").split("|")
    utf8 = scratch / "decoded.csv"
    utf8.write_text(text, encoding="utf-8")
    names = [f"c{i}" for i in range(len(header))]  # header names may repeat under drift
    columns = "{" + ", ".join(f"'{n}': 'VARCHAR'" for n in names) + "}"
    picked = ", ".join(f'c{header.index(c)} as "{c}"' for c in t.columns if c in header)
    table = _ensure_table(con, t)
    con.execute(
        f"insert into {table} by name select {picked} from read_csv(?, delim='|', header=true, quote='', "
        f"escape='', auto_detect=false, strict_mode=false, null_padding=true, columns={columns})",
        [str(utf8)],
    )


def load_jsonl(con: duckdb.DuckDBPyConnection, path: Path, t: Table) -> None:
    """UTF-8 JSON Lines (gzip by extension): read_json with the contract columns, insert."""
    columns = "{" + ", ".join(f"'{c}': 'VARCHAR'" for c in t.columns) + "}"
    table = _ensure_table(con, t)
    con.execute(
        f"insert into {table} select * from read_json(?, format='newline_delimited', "
        f"columns={columns}, ignore_errors=true, hive_partitioning=false)",
        [str(path)],
    )


def load_landing(con: duckdb.DuckDBPyConnection, landing: Path, scratch: Path) -> None:
    for batch_dir in sorted(landing.glob("*/batch=*")):
        if not (batch_dir / "_SUCCESS").exists():
            continue
        source = batch_dir.parent.name
        for path in sorted(p for p in batch_dir.iterdir() if p.name != "_SUCCESS"):
            t = by_file(source, path.name)
            if t is None:
                continue
            if source == "telecom":
                load_csv(con, path, t, scratch)
            else:
                load_jsonl(con, path, t)


def load_police(con: duckdb.DuckDBPyConnection, police_db: Path) -> None:
    """Every police contract table, fetched with sqlite3 and inserted as text."""
    src = sqlite3.connect(f"file:{police_db}?mode=ro", uri=True)
    try:
        for t in POLICE:
            have = {d[0] for d in src.execute(f'select * from "{t.name}" where 0').description}
            cols = ", ".join(f'cast("{c}" as text)' if c in have else "null" for c in t.columns)  # police revision 1
            rows = src.execute(f'select {cols} from "{t.name}"').fetchall()
            table = _ensure_table(con, t)
            frame = pd.DataFrame.from_records(rows, columns=list(t.columns))
            con.register("police_frame", frame)
            con.execute(f"insert into {table} select * from police_frame")
            con.unregister("police_frame")
    finally:
        src.close()


def row_counts(con: duckdb.DuckDBPyConnection) -> dict[str, int]:
    tables = [r[0] for r in con.execute("select table_name from duckdb_tables() order by 1").fetchall()]
    counts = {}
    for name in tables:
        source, table = name.split("__", 1)
        counts[f"{source}/{table}"] = int(con.execute(f"select count(*) from {name}").fetchone()[0])  # type: ignore[index]
    return counts


def run(landing: Path, police_db: Path, out: Path) -> dict[str, object]:
    """Load everything into ``out`` (replaced); seconds exclude interpreter start-up and imports."""
    out.unlink(missing_ok=True)
    start = time.perf_counter()
    with tempfile.TemporaryDirectory(dir=out.parent) as scratch:
        con = duckdb.connect(str(out))
        load_landing(con, landing, Path(scratch))
        load_police(con, police_db)
        con.execute("checkpoint")
        seconds = time.perf_counter() - start
        counts = row_counts(con)
        con.close()
    return {"seconds": seconds, "rows": counts}


def main(argv: list[str] | None = None) -> None:
    args = sys.argv[1:] if argv is None else argv
    if len(args) != 3:
        raise SystemExit(__doc__)
    print(json.dumps(run(Path(args[0]), Path(args[1]), Path(args[2]))))


if __name__ == "__main__":
    main()
