"""`fraudbrain trace` latency on a published warehouse: in process over many cases, and from the command line.

In process: `flows.analyst.trace.trace_case` for up to `cases` case numbers (a fresh read-only connection each, as the
command opens one). Command line: `fraudbrain trace CASE --format json` for a few cases, Python start-up
included. Percentiles by the nearest-rank method. No asserts: the goal is judged in `bench/goals.py`.
"""

from __future__ import annotations

import math
import subprocess
import time
from pathlib import Path

import duckdb

from bench.world import BIN, Scratch
from flows.analyst.trace import trace_case

Result = dict[str, object]


def percentile(values: list[float], q: float) -> float:
    """Nearest-rank percentile (q in 0..100) of a non-empty list."""
    ordered = sorted(values)
    return ordered[max(0, math.ceil(q / 100 * len(ordered)) - 1)]


def case_numbers(warehouse: Path, limit: int) -> list[str]:
    """Case numbers spread over the whole table (every k-th by case_no), deterministic."""
    con = duckdb.connect(str(warehouse), read_only=True)
    try:
        every = [r[0] for r in con.execute("select case_no from marts.fct_cases order by case_no").fetchall()]
    finally:
        con.close()
    step = max(1, len(every) // limit) if every else 1
    return every[::step][:limit]


def measure(scratch: Scratch, cases: int = 300, cli_cases: int = 5) -> Result:
    chosen = case_numbers(scratch.warehouse, cases)
    if not chosen:
        return {"cases": 0}
    in_process: list[float] = []
    for case_no in chosen:
        started = time.perf_counter()
        trace_case(scratch.warehouse, case_no)
        in_process.append(time.perf_counter() - started)
    cli: list[float] = []
    for case_no in chosen[:cli_cases]:
        started = time.perf_counter()
        subprocess.run(
            [str(BIN / "fraudbrain"), "trace", case_no, "--format", "json"],
            env=scratch.env(),
            check=True,
            capture_output=True,
        )
        cli.append(time.perf_counter() - started)
    return {
        "cases": len(chosen),
        "in_process_p50_s": percentile(in_process, 50),
        "in_process_p95_s": percentile(in_process, 95),
        "in_process_max_s": max(in_process),
        "cli_cases": len(cli),
        "cli_p50_s": percentile(cli, 50),
        "cli_max_s": max(cli),
    }
