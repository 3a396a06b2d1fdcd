"""The goals of issue 7 judged on one benchmark's results: ratios against the baseline, growth, incremental, memory."""

from __future__ import annotations

import itertools
import math
from typing import Any

Result = dict[str, Any]

EXTRACT_FACTOR = 3.0  # extract + validate + load within 3x the baseline (scale 10)
PIPELINE_FACTOR = 6.0  # the whole pipeline within 6x the baseline (scale 10)
INCREMENTAL_SHARE = 0.10  # one more day within 10% of a full rebuild (scale 10)
MEMORY_MB = 6 * 1024  # peak resident memory under 6 GB (scale 30)
GOAL_SCALE, MEMORY_SCALE = 10.0, 30.0  # trace latency is judged at MEMORY_SCALE too
TRACE_S = 2.0  # `fraudbrain trace` under 2 s


def closest(scales: list[Result], target: float) -> Result:
    return min(scales, key=lambda s: abs(math.log(s["scale"] / target)))


def _where(measured_at: float, target: float) -> str:
    return f"scale {measured_at:g}" + ("" if measured_at == target else f" (goal stated at scale {target:g})")


def _goal(name: str, target: str, where: str, measured: str, met: bool | None) -> Result:
    return {"goal": name, "target": target, "where": where, "measured": measured, "met": met}


def growth(scales: list[Result]) -> list[Result]:
    """Per consecutive pair of scales: data ratio, time ratios and elasticity log(time ratio)/log(data ratio)."""
    ordered = sorted(scales, key=lambda s: s["rows_delivered"])
    pairs = []
    for a, b in itertools.pairwise(ordered):
        data = b["rows_delivered"] / a["rows_delivered"]
        steps = {
            "baseline": (a["baseline"]["seconds"], b["baseline"]["seconds"]),
            "pipeline": (a["pipeline"]["stage_total_s"], b["pipeline"]["stage_total_s"]),
            **{
                s: (a["pipeline"]["stages_s"].get(s), b["pipeline"]["stages_s"].get(s))
                for s in a["pipeline"]["stages_s"]
            },
        }
        times = {k: (tb / ta if ta and tb else None) for k, (ta, tb) in steps.items()}
        pairs.append(
            {
                "from_scale": a["scale"],
                "to_scale": b["scale"],
                "data_ratio": data,
                "time_ratio": times,
                "elasticity": {
                    k: (math.log(r) / math.log(data) if r and data != 1 else None) for k, r in times.items()
                },
            }
        )
    return pairs


def judge(scales: list[Result], incremental: Result | None, pairs: list[Result]) -> list[Result]:
    at = closest(scales, GOAL_SCALE)
    r = at["ratios"]
    where = _where(at["scale"], GOAL_SCALE)
    goals = [
        _goal(
            "extract + validate + load vs baseline",
            f"<= {EXTRACT_FACTOR:g}x",
            where,
            f"{r['extract_validate_vs_baseline']:.2f}x",
            r["extract_validate_vs_baseline"] <= EXTRACT_FACTOR,
        ),
        _goal(
            "whole pipeline (dbt, vault, docs, publish) vs baseline",
            f"<= {PIPELINE_FACTOR:g}x",
            where,
            f"{r['pipeline_vs_baseline']:.2f}x (wall incl. start-up {r['pipeline_wall_vs_baseline']:.2f}x)",
            r["pipeline_vs_baseline"] <= PIPELINE_FACTOR,
        ),
    ]
    goals.append(_growth_goal(pairs))
    goals.append(_incremental_goal(incremental))
    goals.append(_memory_goal(scales))
    goals.append(_trace_goal(scales))
    return goals


def _trace_goal(scales: list[Result]) -> Result:
    name = "`fraudbrain trace` p50/p95 latency"
    at = closest(scales, MEMORY_SCALE)
    t = at.get("trace") or {}
    if not t.get("cases"):
        return _goal(name, "< 2 s", _where(at["scale"], MEMORY_SCALE), "no cases", None)
    text = (
        f"p50 {t['in_process_p50_s']:.3f} s, p95 {t['in_process_p95_s']:.3f} s in process ({t['cases']} cases); "
        f"CLI p50 {t['cli_p50_s']:.2f} s with start-up"
    )
    met = t["in_process_p95_s"] < TRACE_S and t["cli_p50_s"] < TRACE_S
    return _goal(name, f"< {TRACE_S:g} s", _where(at["scale"], MEMORY_SCALE), text, met)


def _growth_goal(pairs: list[Result]) -> Result:
    if not pairs:
        return _goal("time grows no faster than data", "elasticity <= 1", "-", "needs two scales", None)
    worst = max(pairs, key=lambda p: p["elasticity"]["pipeline"] or 0.0)
    e = worst["elasticity"]["pipeline"]
    ev = worst["elasticity"].get("extract+validate")
    text = f"pipeline {e:.2f}" + (f", extract+validate {ev:.2f}" if ev is not None else "")
    where = f"scale {worst['from_scale']:g} -> {worst['to_scale']:g} (data x{worst['data_ratio']:.1f})"
    return _goal("time grows no faster than data", "elasticity <= 1", where, text, e is not None and e <= 1.0)


def _incremental_goal(inc: Result | None) -> Result:
    name = "one more day vs full rebuild (stage times, no start-up)"
    if not inc:
        return _goal(name, f"<= {INCREMENTAL_SHARE:.0%}", "-", "not run", None)
    where = _where(inc["scale"], GOAL_SCALE)
    text = f"{inc['ratio']:.0%} ({inc['incremental_s']:.1f} s vs {inc['full_refresh_s']:.1f} s)"
    return _goal(name, f"<= {INCREMENTAL_SHARE:.0%}", where, text, inc["ratio"] <= INCREMENTAL_SHARE)


def _memory_goal(scales: list[Result]) -> Result:
    at = closest(scales, MEMORY_SCALE)
    peak = max(
        at["pipeline"]["peak_tree_rss_mb"], at["baseline"]["peak_tree_rss_mb"], at["simulate"]["peak_tree_rss_mb"]
    )
    text = f"{peak / 1024:.2f} GB (process tree; largest single process {at['pipeline']['max_rss_mb'] / 1024:.2f} GB)"
    return _goal("peak resident memory", "< 6 GB", _where(at["scale"], MEMORY_SCALE), text, peak < MEMORY_MB)
