"""fraudbrain benchmark: simulate, baseline load and the pipeline per scale; a table, a JSON file, a scale curve.

    .venv/bin/python -m bench.run --scales 1 10 30 [--days 30] [--out bench/results/latest.json] [--smoke]

Per scale, in a scratch folder outside the repository: `fraudbrain simulate` (timed), the baseline
(`bench/baseline.py`: the plainest load of the same files into DuckDB), then `fraudbrain run --demo`
with every FRAUDBRAIN_* place in the scratch folder, its stage timings read from `--summary-json`.
At the incremental scale it then simulates one more day, runs again, and runs `--full-refresh`.
Goals are ratios against the baseline measured in the same run; nothing here asserts a time.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shlex
import sys
from datetime import datetime
from pathlib import Path
from typing import Any

from bench import goals, report, trace_latency
from bench.measure import Measured, run_measured
from bench.stages import GLOBAL_STAGES, PipelineRun, run_pipeline
from bench.world import REPO, Scratch, delivered_rows, make_scratch, scratch_parent, simulate

Result = dict[str, Any]
SMOKE_SCALE, SMOKE_DAYS = 0.05, 3


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    ap = argparse.ArgumentParser(prog="python -m bench.run", description=(__doc__ or "").splitlines()[0])
    ap.add_argument("--scales", nargs="+", type=float, default=[1.0, 10.0, 30.0], help="1 = about 20,000 people")
    ap.add_argument("--days", type=int, default=30, help="days simulated before the first run")
    ap.add_argument("--seed", type=int, default=42)
    ap.add_argument("--out", type=Path, default=REPO / "bench/results/latest.json", help="JSON results file")
    ap.add_argument("--results-md", type=Path, default=None, help="default bench/RESULTS.md (none with --smoke)")
    ap.add_argument("--work", type=Path, default=None, help="scratch parent folder (default: a new one in /tmp)")
    ap.add_argument("--incremental-scale", type=float, default=None, help="default 10 if measured, else the largest")
    ap.add_argument("--no-incremental", action="store_true", help="skip the one-more-day measurement")
    ap.add_argument("--keep", action="store_true", help="keep the scratch worlds")
    ap.add_argument("--smoke", action="store_true", help=f"scale {SMOKE_SCALE}, {SMOKE_DAYS} days, no incremental")
    args = ap.parse_args(argv)
    if args.smoke:
        args.scales, args.days = [SMOKE_SCALE], SMOKE_DAYS
        args.no_incremental = args.no_incremental or args.incremental_scale is None
    elif args.results_md is None:
        args.results_md = REPO / "bench/RESULTS.md"
    if args.incremental_scale is None:
        args.incremental_scale = 10.0 if 10.0 in args.scales else max(args.scales)
    return args


# ---- one scale -----------------------------------------------------------------------------------
def run_baseline(scratch: Scratch) -> tuple[Measured, Result]:
    out = scratch.root / "baseline" / "baseline.duckdb"
    out.parent.mkdir(parents=True, exist_ok=True)
    cmd = [sys.executable, "-m", "bench.baseline", str(scratch.landing), str(scratch.police_db), str(out)]
    measured = run_measured("baseline", cmd, scratch.env(), scratch.logs, cwd=REPO)
    assert measured.stdout is not None
    loaded = json.loads(measured.stdout.read_text().strip().splitlines()[-1])
    out.unlink(missing_ok=True)
    return measured, loaded


def _nonzero(counts: dict[str, int]) -> dict[str, int]:
    return {k: v for k, v in sorted(counts.items()) if v}


def _per_s(rows: int, seconds: float) -> float:
    return rows / seconds if seconds > 0 else 0.0


def _memory(m: Measured) -> Result:
    return {"max_rss_mb": round(m.max_rss_mb, 1), "peak_tree_rss_mb": round(m.peak_tree_rss_mb, 1)}


def pipeline_result(run: PipelineRun) -> Result:
    rows = run.rows_total
    return {
        "status": run.status,
        "wall_s": run.measured.wall_s,
        "stage_total_s": run.stage_total_s,
        "stages_s": run.stages_s,
        "stage_rows_per_s": {s: _per_s(rows, t) for s, t in run.stages_s.items()},
        "stage_peak_tree_rss_mb": run.stage_peak_mb,
        "rows_read": rows,
        "rows_read_by_table": run.rows_read,
        "rows_per_s": _per_s(rows, run.stage_total_s),
        **_memory(run.measured),
    }


def bench_scale(parent: Path, scale: float, days: int, seed: int, incremental: bool) -> Result:
    load_before = os.getloadavg()
    scratch = make_scratch(parent, scale)
    sim = simulate(scratch, "simulate", scale, days, seed)
    delivered = delivered_rows(scratch)
    total = sum(delivered.values())
    base_m, base = run_baseline(scratch)
    main = run_pipeline(scratch, "pipeline")
    result: Result = {
        "scale": scale,
        "days": days,
        "seed": seed,
        "scratch": str(scratch.root),
        "rows_delivered": total,
        "rows_delivered_by_table": delivered,
        "simulate": {"wall_s": sim.wall_s, "rows_per_s": _per_s(total, sim.wall_s), **_memory(sim)},
        "baseline": {
            "seconds": base["seconds"],
            "wall_s": base_m.wall_s,
            "rows": sum(base["rows"].values()),
            "rows_by_table": base["rows"],
            "rows_per_s": _per_s(sum(base["rows"].values()), base["seconds"]),
            **_memory(base_m),
        },
        "pipeline": pipeline_result(main),
    }
    result["ratios"] = {
        "extract_validate_vs_baseline": main.stages_s["extract+validate"] / base["seconds"],
        "pipeline_vs_baseline": main.stage_total_s / base["seconds"],
        "pipeline_wall_vs_baseline": main.measured.wall_s / base["seconds"],
    }
    result["rows_match"] = _nonzero(delivered) == _nonzero(base["rows"]) == _nonzero(main.rows_read)
    result["trace"] = trace_latency.measure(scratch)
    if incremental:
        result["incremental"] = bench_incremental(scratch, scale, seed, main)
    result["load_avg"] = {"before": load_before, "after": os.getloadavg()}
    return result


def bench_incremental(scratch: Scratch, scale: float, seed: int, initial: PipelineRun) -> Result:
    """One more simulated day after the loaded and built world; then a full rebuild of the same data."""
    before = sum(delivered_rows(scratch).values())
    day = simulate(scratch, "simulate-day", scale, 1, seed)
    extra = sum(delivered_rows(scratch).values()) - before
    inc = run_pipeline(scratch, "pipeline-incremental")
    full = run_pipeline(scratch, "pipeline-full-refresh", full_refresh=True)
    return {
        "scale": scale,
        "simulate_day_s": day.wall_s,
        "rows_delivered": extra,
        "rows_read": inc.rows_total,
        "incremental_s": inc.stage_total_s,
        "full_refresh_s": full.stage_total_s,
        "initial_load_s": initial.stage_total_s,
        "ratio": inc.stage_total_s / full.stage_total_s,
        "ratio_vs_initial_load": inc.stage_total_s / initial.stage_total_s,
        "incremental_stages_s": inc.stages_s,
        "full_refresh_stages_s": full.stages_s,
        "global_steps": {
            s: {
                "incremental_s": inc.stages_s.get(s, 0.0),
                "full_refresh_s": full.stages_s.get(s, 0.0),
                "ratio": inc.stages_s.get(s, 0.0) / full.stages_s[s] if full.stages_s.get(s) else None,
            }
            for s in GLOBAL_STAGES
        },
        "wall_s": {"incremental": inc.measured.wall_s, "full_refresh": full.measured.wall_s},
        "peak_tree_rss_mb": max(inc.measured.peak_tree_rss_mb, full.measured.peak_tree_rss_mb),
    }


# ---- the whole benchmark -------------------------------------------------------------------------
def machine() -> Result:
    cpu = next(
        (
            ln.split(":", 1)[1].strip()
            for ln in Path("/proc/cpuinfo").read_text().splitlines()
            if ln.startswith("model name")
        ),
        platform.processor(),
    )
    mem_kb = next(
        int(ln.split()[1]) for ln in Path("/proc/meminfo").read_text().splitlines() if ln.startswith("MemTotal")
    )
    import duckdb

    return {
        "cpu": cpu,
        "nproc": os.cpu_count(),
        "memory_gb": round(mem_kb / 2**20, 1),
        "kernel": platform.release(),
        "python": platform.python_version(),
        "duckdb": duckdb.__version__,
    }


def bench(args: argparse.Namespace, parent: Path) -> Result:
    started = datetime.now().astimezone()
    scales = [
        bench_scale(parent, s, args.days, args.seed, not args.no_incremental and s == args.incremental_scale)
        for s in args.scales
    ]
    inc = next((s["incremental"] for s in scales if "incremental" in s), None)
    pairs = goals.growth(scales)
    return {
        "date": started.isoformat(timespec="seconds"),
        "finished": datetime.now().astimezone().isoformat(timespec="seconds"),
        "command": shlex.join([".venv/bin/python", "-m", "bench.run", *args.argv]),
        "machine": machine(),
        "scales": scales,
        "growth": pairs,
        "incremental": inc,
        "goals": goals.judge(scales, inc, pairs),
    }


def main(argv: list[str] | None = None) -> Result:
    raw = sys.argv[1:] if argv is None else argv
    args = parse_args(raw)
    args.argv = raw
    with scratch_parent(args.work, "fraudbrain-bench-", args.keep) as parent:
        results = bench(args, parent)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(results, indent=1, default=str), encoding="utf-8")
    chart = report.write_chart(results, args.out.with_suffix(""))
    report.print_console(results)
    if args.results_md:
        report.write_markdown(results, args.results_md, chart)
    print(f"results: {args.out}  chart: {chart}" + (f"  summary: {args.results_md}" if args.results_md else ""))
    return results


if __name__ == "__main__":
    main()
