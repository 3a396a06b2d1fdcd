"""The benchmark's outputs: a rich table on stdout, bench/RESULTS.md and the scale curve (PNG or SVG)."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.table import Table

from bench import chart
from bench.stages import STAGES

Result = dict[str, Any]
FIGURE_HEADER = ["scale", "step", "seconds", "rows", "rows/s", "x baseline", "peak RSS MB (tree)"]


def _n(v: float | None, fmt: str = ",.0f") -> str:
    return "-" if v is None else format(v, fmt)


def _row(
    scale: Result,
    step: str,
    seconds: float | None,
    rows: float | None,
    per_s: float | None,
    ratio: float | None,
    memory: str,
) -> list[str]:
    return [f"{scale['scale']:g}", step, _n(seconds, ".1f"), _n(rows), _n(per_s), _n(ratio, ".2f"), memory]


def scale_rows(s: Result) -> list[list[str]]:
    base, p, sim = s["baseline"], s["pipeline"], s["simulate"]
    b = base["seconds"]
    rows = [
        _row(s, "simulate", sim["wall_s"], s["rows_delivered"], sim["rows_per_s"], None, _n(sim["peak_tree_rss_mb"])),
        _row(s, "baseline load", b, base["rows"], base["rows_per_s"], 1.0, _n(base["peak_tree_rss_mb"])),
    ]
    for stage in STAGES:
        t = p["stages_s"].get(stage)
        rows.append(
            _row(
                s,
                stage,
                t,
                p["rows_read"],
                p["stage_rows_per_s"].get(stage),
                t / b if t is not None else None,
                _n(p["stage_peak_tree_rss_mb"].get(stage)),
            )
        )
    rows.append(
        _row(
            s,
            "pipeline (sum of stages)",
            p["stage_total_s"],
            p["rows_read"],
            p["rows_per_s"],
            s["ratios"]["pipeline_vs_baseline"],
            _n(p["peak_tree_rss_mb"]),
        )
    )
    rows.append(
        _row(
            s,
            "pipeline wall (incl. start-up)",
            p["wall_s"],
            None,
            None,
            s["ratios"]["pipeline_wall_vs_baseline"],
            f"1 process {_n(p['max_rss_mb'])}",
        )
    )
    return rows


def figure_rows(results: Result) -> list[list[str]]:
    return [row for s in results["scales"] for row in scale_rows(s)]


def _met(v: bool | None) -> str:
    return {True: "met", False: "not met", None: "not measured"}[v]


def goal_rows(results: Result) -> list[list[str]]:
    return [[g["goal"], g["target"], g["where"], g["measured"], _met(g["met"])] for g in results["goals"]]


def incremental_rows(inc: Result) -> list[list[str]]:
    rows = []
    for stage in STAGES:
        a, b = inc["incremental_stages_s"].get(stage), inc["full_refresh_stages_s"].get(stage)
        mark = " (global)" if stage in inc["global_steps"] else ""
        rows.append([stage + mark, _n(a, ".1f"), _n(b, ".1f"), _n(a / b if a is not None and b else None, ".0%")])
    rows.append(
        [
            "total (stage times)",
            _n(inc["incremental_s"], ".1f"),
            _n(inc["full_refresh_s"], ".1f"),
            _n(inc["ratio"], ".0%"),
        ]
    )
    rows.append(
        ["wall (incl. start-up)", _n(inc["wall_s"]["incremental"], ".1f"), _n(inc["wall_s"]["full_refresh"], ".1f"), ""]
    )
    return rows


def growth_rows(results: Result) -> list[list[str]]:
    rows = []
    for g in results["growth"]:
        t, e = g["time_ratio"], g["elasticity"]
        cells = [
            f"{k} x{_n(t.get(k), '.2f')} (e={_n(e.get(k), '.2f')})"
            for k in ("baseline", "extract+validate", "pipeline")
        ]
        rows.append([f"{g['from_scale']:g} -> {g['to_scale']:g}", f"x{g['data_ratio']:.2f}", *cells])
    return rows


def time_shares(results: Result) -> list[tuple[str, float, float]]:
    """(stage, seconds, share of the stage total) at the largest scale, largest first."""
    p = max(results["scales"], key=lambda s: s["scale"])["pipeline"]
    return sorted(((k, v, v / p["stage_total_s"]) for k, v in p["stages_s"].items()), key=lambda x: -x[1])


# ---- stdout ----------------------------------------------------------------------------------------
def _rich(title: str, header: list[str], rows: list[list[str]]) -> Table:
    table = Table(*header, title=title)
    for r in rows:
        table.add_row(*r)
    return table


def print_console(results: Result) -> None:
    console = Console(width=160)
    console.print(_rich("fraudbrain bench: per stage", FIGURE_HEADER, figure_rows(results)))
    if results["growth"]:
        console.print(
            _rich(
                "growth between scales (e = elasticity)",
                ["scales", "data", "baseline", "extract+validate", "pipeline"],
                growth_rows(results),
            )
        )
    if results["incremental"]:
        inc = results["incremental"]
        console.print(
            _rich(
                f"one more day at scale {inc['scale']:g} vs full refresh",
                ["stage", "one more day s", "full refresh s", "share"],
                incremental_rows(inc),
            )
        )
    console.print(_rich("goals", ["goal", "target", "where", "measured", "result"], goal_rows(results)))
    for s in results["scales"]:
        if not s["rows_match"]:
            console.print(
                f"[red]scale {s['scale']:g}: baseline rows, pipeline rows read and delivered rows differ[/red]"
            )


# ---- RESULTS.md --------------------------------------------------------------------------------------
def _md(header: list[str], rows: list[list[str]]) -> str:
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(c.replace("|", "\\|") for c in r) + " |" for r in rows]
    return "\n".join(lines)


def _machine(results: Result) -> str:
    m = results["machine"]
    loads = "; ".join(
        f"scale {s['scale']:g}: {' / '.join(f'{x:.2f}' for x in s['load_avg']['before'])} before, "
        f"{' / '.join(f'{x:.2f}' for x in s['load_avg']['after'])} after"
        for s in results["scales"]
    )
    return "\n".join(
        [
            f"- Date: {results['date']} (finished {results['finished']})",
            f"- Command: `{results['command']}`",
            f"- Machine: {m['cpu']}, {m['nproc']} cores (nproc), {m['memory_gb']} GB memory, Linux {m['kernel']}, "
            f"Python {m['python']}, DuckDB {m['duckdb']}",
            f"- Load average (1 / 5 / 15 min; the machine is shared with other engineers): {loads}",
        ]
    )


def markdown(results: Result, chart_ref: str) -> str:
    parts = [
        "# fraudbrain benchmark results",
        "",
        "Generated by `bench/run.py` (do not edit by hand: re-run it). Goals are ratios against the baseline",
        "measured in the same run (`bench/baseline.py`: GB18030 decoded in Python, DuckDB `read_csv`/`read_json`,",
        "insert; no validation, no models). Pipeline stage times come from `fraudbrain run --summary-json` and",
        "exclude process start-up (Prefect's temporary server, imports); the wall row includes it.",
        "Peak RSS is the largest sampled sum over the process tree (the pipeline runs dbt as subprocesses).",
        "",
        _machine(results),
        "",
        "## Goals",
        "",
        _md(["goal", "target", "where", "measured", "result"], goal_rows(results)),
        "",
        "## Per stage",
        "",
        _md(FIGURE_HEADER, figure_rows(results)),
        "",
        "rows = data rows delivered (ledger `rows_read` of the run; the baseline's loaded rows and the manifests' "
        "counts agree: "
        + ", ".join(f"scale {s['scale']:g} {'yes' if s['rows_match'] else 'NO'}" for s in results["scales"])
        + ").",
        "",
        "## Where the time goes (largest scale)",
        "",
        _md(["stage", "seconds", "share"], [[k, f"{v:.1f}", f"{sh:.0%}"] for k, v, sh in time_shares(results)]),
        "",
    ]
    if results["growth"]:
        parts += [
            "## Growth between scales",
            "",
            _md(["scales", "data", "baseline", "extract+validate", "pipeline"], growth_rows(results)),
            "",
        ]
    if results["incremental"]:
        inc = results["incremental"]
        parts += [
            f"## One more day at scale {inc['scale']:g} (after {results['scales'][0]['days']} days loaded and built)",
            "",
            f"{inc['rows_read']:,} rows read for the extra day. Full rebuild = `fraudbrain run --full-refresh` "
            f"on the same data; for reference the initial load took {inc['initial_load_s']:.1f} s of stage time.",
            "",
            _md(["stage", "one more day s", "full refresh s", "share"], incremental_rows(inc)),
            "",
        ]
    parts += ["## Scale curve", "", f"![scale curve]({chart_ref})", ""]
    traced = [s for s in results["scales"] if (s.get("trace") or {}).get("cases")]
    if traced:
        parts += [
            "## `fraudbrain trace` latency",
            "",
            "In process: `flows.analyst.trace.trace_case` over cases spread across `fct_cases` (a fresh read-only "
            "connection each). CLI: `fraudbrain trace CASE --format json`, Python start-up included.",
            "",
            _md(["scale", "cases", "p50 s", "p95 s", "max s", "CLI runs", "CLI p50 s"], trace_rows(traced)),
            "",
        ]
    return "\n".join(parts)


def trace_rows(scales: list[Result]) -> list[list[str]]:
    rows = []
    for s in scales:
        t = s["trace"]
        rows.append(
            [
                f"{s['scale']:g}",
                f"{t['cases']:,}",
                f"{t['in_process_p50_s']:.3f}",
                f"{t['in_process_p95_s']:.3f}",
                f"{t['in_process_max_s']:.3f}",
                str(t["cli_cases"]),
                f"{t['cli_p50_s']:.2f}",
            ]
        )
    return rows


def write_markdown(results: Result, path: Path, chart_path: Path) -> None:
    path.write_text(markdown(results, os.path.relpath(chart_path, path.parent)), encoding="utf-8")


def write_chart(results: Result, stem: Path) -> Path:
    return chart.write(results, stem)
