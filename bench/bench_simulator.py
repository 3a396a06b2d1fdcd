"""Simulator throughput (rows/s by file) and peak memory at the scales given on the command line.

Usage: python bench/bench_simulator.py [--days 30] [--days-sweep 7 30] [--out bench_simulator.json] 1 10

Each run is a fresh process, so its peak RSS (ru_maxrss) is its own; the process also reports its RSS
before generating (interpreter and imports), so the table gives the peak per 1,000 people both whole and
above that baseline. Memory should be flat per person as the scale grows, and flat as the days grow
(`--days-sweep`: the same scale, `--sweep-scale`, for each number of days). Output: tables, and JSON to
`--out`. No asserts.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
from pathlib import Path

CHILD = """
import json, resource, sys
from simulator import simulate

def rss_mb():
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * resource.getpagesize() / 2**20

root, scale, days, seed = sys.argv[1], float(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4])
before = rss_mb()
s = simulate(root + "/landing", "sqlite:///" + root + "/police.db", root + "/truth", days=days, scale=scale, seed=seed)
peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # kB on Linux
out = {"seconds": s.seconds, "people": s.people, "rows": s.rows, "rss_before_mb": before, "peak_rss_mb": peak}
print(json.dumps(out))
"""


def run(scale: float, days: int, seed: int) -> dict[str, object]:
    """One simulator run in a fresh process: seconds, rows by file, rows/s, peak RSS and RSS per 1,000 people."""
    with tempfile.TemporaryDirectory() as root:
        out = subprocess.run(
            [sys.executable, "-c", CHILD, root, str(scale), str(days), str(seed)],
            check=True,
            capture_output=True,
            text=True,
        ).stdout
    res = json.loads(out.splitlines()[-1])
    people, peak, before = res["people"], res["peak_rss_mb"], res["rss_before_mb"]
    res.update(
        scale=scale,
        days=days,
        seed=seed,
        peak_rss_mb=round(peak, 1),
        rss_before_mb=round(before, 1),
        peak_rss_mb_per_1k_people=round(peak / people * 1000, 2),
        above_baseline_mb_per_1k_people=round((peak - before) / people * 1000, 2),
        rows_per_s={k: round(v / res["seconds"]) for k, v in res["rows"].items()},
        seconds=round(res["seconds"], 2),
    )
    return res


def _scales_table(results: list[dict]) -> list[str]:  # type: ignore[type-arg]
    head = f"{'file':<34}" + "".join(f"{'scale ' + format(r['scale'], 'g'):>22}" for r in results)
    lines = [head, f"{'':<34}" + "".join(f"{'rows':>12}{'rows/s':>10}" for _ in results)]
    files = sorted({k for r in results for k in r["rows"]})
    for f in files:
        cells = (f"{r['rows'].get(f, 0):>12,}{r['rows_per_s'].get(f, 0):>10,}" for r in results)
        lines.append(f"{f:<34}" + "".join(cells))
    for label, key, fmt in (
        ("people", "people", ","),
        ("days", "days", ""),
        ("seconds", "seconds", ".1f"),
        ("RSS before generating MB", "rss_before_mb", ".1f"),
        ("peak RSS MB (ru_maxrss)", "peak_rss_mb", ".1f"),
        ("peak RSS MB / 1,000 people", "peak_rss_mb_per_1k_people", ".2f"),
        ("  above baseline / 1,000 people", "above_baseline_mb_per_1k_people", ".2f"),
    ):
        lines.append(f"{label:<34}" + "".join(f"{format(r[key], fmt):>22}" for r in results))
    return lines


def _sweep_table(results: list[dict]) -> list[str]:  # type: ignore[type-arg]
    head = ("days", "people", "rows", "seconds", "peak RSS MB", "MB / 1,000 people", "above baseline")
    widths = (6, 10, 12, 10, 14, 20, 16)
    lines = ["".join(f"{h:>{n}}" for h, n in zip(head, widths, strict=True))]
    for r in results:
        cells = (
            f"{r['days']}",
            f"{r['people']:,}",
            f"{sum(r['rows'].values()):,}",
            f"{r['seconds']:.1f}",
            f"{r['peak_rss_mb']:.1f}",
            f"{r['peak_rss_mb_per_1k_people']:.2f}",
            f"{r['above_baseline_mb_per_1k_people']:.2f}",
        )
        lines.append("".join(f"{c:>{n}}" for c, n in zip(cells, widths, strict=True)))
    return lines


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("scales", nargs="+", type=float)
    ap.add_argument("--days", type=int, default=30)
    ap.add_argument("--seed", type=int, default=42)
    ap.add_argument("--days-sweep", type=int, nargs="*", default=[], help="numbers of days to run at --sweep-scale")
    ap.add_argument("--sweep-scale", type=float, default=None, help="scale of the days sweep (default: the first)")
    ap.add_argument("--out", type=Path, default=Path("bench_simulator.json"))
    a = ap.parse_args()
    results = [run(s, a.days, a.seed) for s in a.scales]
    print("\n".join(_scales_table(results)))
    sweep: list[dict[str, object]] = []
    if a.days_sweep:
        scale = a.scales[0] if a.sweep_scale is None else a.sweep_scale
        sweep = [run(scale, d, a.seed) for d in a.days_sweep]
        print(f"\ndays sweep at scale {scale:g}: peak RSS should not grow with the days")
        print("\n".join(_sweep_table(sweep)))
    a.out.write_text(json.dumps({"scales": results, "days_sweep": sweep}, indent=1))


if __name__ == "__main__":
    main()
