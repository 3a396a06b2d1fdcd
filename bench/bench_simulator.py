"""Simulator throughput (rows/s by file) and peak RSS at the scales given on the command line.

Usage: python bench/bench_simulator.py [--days 30] [--out bench_simulator.json] 1 10
Each scale runs in a fresh process so that its peak RSS is its own. No asserts.
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import tempfile
from pathlib import Path

CHILD = """
import json, sys, time
from simulator import simulate
root, scale, days = sys.argv[1], float(sys.argv[2]), int(sys.argv[3])
s = simulate(root + "/landing", "sqlite:///" + root + "/police.db", root + "/truth", days=days, scale=scale)
print(json.dumps({"seconds": s.seconds, "people": s.people, "rows": s.rows}))
"""


def run(scale: float, days: int) -> dict[str, object]:
    with tempfile.TemporaryDirectory() as root:
        before = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
        out = subprocess.run(
            [sys.executable, "-c", CHILD, root, str(scale), str(days)], check=True, capture_output=True, text=True
        ).stdout
        peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    res = json.loads(out.splitlines()[-1])
    res.update(scale=scale, days=days, peak_rss_mb=round(max(peak, before) / 1024, 1))
    res["rows_per_s"] = {k: round(v / res["seconds"]) for k, v in res["rows"].items()}
    return res


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("scales", nargs="+", type=float)
    ap.add_argument("--days", type=int, default=30)
    ap.add_argument("--out", type=Path, default=Path("bench_simulator.json"))
    a = ap.parse_args()
    results = [run(s, a.days) for s in a.scales]
    files = sorted({k for r in results for k in r["rows"]})  # type: ignore[union-attr]
    print(f"{'file':<34}" + "".join(f"{'scale ' + str(r['scale']):>22}" for r in results))
    for f in files:
        print(f"{f:<34}" + "".join(f"{r['rows'].get(f, 0):>10,} {r['rows_per_s'].get(f, 0):>8,}/s" for r in results))  # type: ignore[union-attr]
    print(f"{'seconds':<34}" + "".join(f"{r['seconds']:>22.1f}" for r in results))
    print(f"{'peak RSS MB (ru_maxrss)':<34}" + "".join(f"{r['peak_rss_mb']:>22}" for r in results))
    a.out.write_text(json.dumps(results, indent=1))


if __name__ == "__main__":
    main()
