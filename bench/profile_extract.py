"""Profile extract+validate in-process (no Prefect): every pending file batch, then the police tables.

    .venv/bin/python -m bench.profile_extract LANDING POLICE_SQLITE WORK_DIR [--cprofile OUT.prof] [--top N]

WORK_DIR is emptied first. Prints wall seconds per source and, with ``--cprofile``, the top functions by
cumulative time (the profile is also written to OUT.prof for ``python -m pstats``).
"""

from __future__ import annotations

import argparse
import cProfile
import pstats
import shutil
import time
from pathlib import Path

import duckdb

from flows.ingest import ledger
from flows.ingest.extract import files, police
from flows.ingest.validate import open_context
from flows.settings import Settings


def extract_all(settings: Settings) -> dict[str, float]:
    settings.work_dir.mkdir(parents=True, exist_ok=True)
    con = duckdb.connect(str(settings.work_db))
    ledger.ensure_schema(con)
    timings: dict[str, float] = {}
    start = time.perf_counter()
    ctx = open_context(settings)
    timings["gx context"] = time.perf_counter() - start
    for source in ("telecom", "finance"):
        start = time.perf_counter()
        for batch in files.pending_batches(con, settings, source):
            files.load_file_batch(con, settings, batch, "profile", ctx)
        timings[source] = time.perf_counter() - start
    start = time.perf_counter()
    police.load_police(con, settings, "profile", ctx)
    timings["police"] = time.perf_counter() - start
    problems = ledger.check_invariants(con)
    rows = con.execute(
        "select sum(rows_read), sum(rows_loaded), sum(rows_quarantined), sum(rows_duplicate) from audit.load_ledger"
    ).fetchone()
    con.close()
    print(f"ledger read/loaded/quarantined/duplicate: {rows}; invariant problems: {len(problems)}")
    return timings


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(prog="python -m bench.profile_extract")
    ap.add_argument("landing")
    ap.add_argument("police_db")
    ap.add_argument("work_dir", type=Path)
    ap.add_argument("--cprofile", type=Path, default=None)
    ap.add_argument("--top", type=int, default=40)
    args = ap.parse_args(argv)
    shutil.rmtree(args.work_dir, ignore_errors=True)
    settings = Settings(landing=args.landing, police_url=f"sqlite:///{args.police_db}", work_dir=args.work_dir)
    prof = cProfile.Profile() if args.cprofile else None
    start = time.perf_counter()
    if prof:
        prof.enable()
    timings = extract_all(settings)
    if prof:
        prof.disable()
    total = time.perf_counter() - start
    for k, v in timings.items():
        print(f"{k:>12}: {v:8.2f} s")
    print(f"{'total':>12}: {total:8.2f} s")
    if prof and args.cprofile:
        prof.dump_stats(str(args.cprofile))
        pstats.Stats(prof).sort_stats("cumulative").print_stats(args.top)


if __name__ == "__main__":
    main()
