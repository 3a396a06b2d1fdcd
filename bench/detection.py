"""Detection across worlds (issues 7, 15): simulate, run and evaluate fixed worlds; a JSON file and a table.

    .venv/bin/python -m bench.detection [--set tuning|held-out|all] [--scale 1] [--days 30] [--worlds a e]
        [--smoke] [--work DIR] [--keep]

Two sets of worlds, fixed in code (``WORLDS``, each with its ``role``): the **tuning** worlds a-d, on which
rules and thresholds may be chosen, and the **held-out** worlds e-g (other seeds, confounder and defect rates,
typology mixes), looked at only to report. A rule change must name the tuning world it was decided on.

Each world lives in its own scratch folder outside the repository (``bench.world``): `fraudbrain simulate`
with the world's seed and knobs (``--set KEY=VALUE``), `fraudbrain run --demo`, then `fraudbrain evaluate
--demo --json` (docs/EVALUATION.md). A world of several runs is simulated in pieces (the first piece, then
one day at a time: each `simulate` call continues the world) with a run and an evaluation after each piece,
so the incremental loads are what gets scored. After each run the published ``marts.warning_targets`` rows
are kept as a snapshot stamped with the end of the day loaded (``evaluation.score.save_warning_snapshot``),
and every evaluation scores warning recall before first payment from the lists published before it.
Target: F1 >= 0.9 on every finding type in every world;
``bench/DETECTION.md`` marks every figure below it. Nothing here tunes anything: it measures.
"""

from __future__ import annotations

import argparse
import json
import os
import shlex
import subprocess
import sys
import tempfile
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from rich.console import Console

from bench.measure import Measured, run_measured
from bench.report import _md, _rich
from bench.run import machine
from bench.stages import run_pipeline
from bench.world import BIN, REPO, Scratch, make_scratch, scratch_parent, simulate
from evaluation.score import save_warning_snapshot, truth_clock

Result = dict[str, Any]
TARGET_F1 = 0.9
# Issue 15, warning targets: precision >= 0.5 at recall >= 0.8 before the first payment.
TARGET_WARNING_PRECISION, TARGET_WARNING_RECALL = 0.5, 0.8
ROLES = {"tuning": "tuning (rules may be chosen here)", "held-out": "held-out (report only)"}
DAILY_RUNS = 3  # pipeline runs of every world: the bulk, then one day per further run (daily publishes)
SMOKE_SCALE, SMOKE_DAYS = 0.05, 3
SMOKE_DIR = Path(tempfile.gettempdir()) / "fraudbrain-detection-smoke"  # smoke outputs never land in the repository
# Finding types of evaluation/score.py, in its order (a finding the evaluation adds later is listed after these).
FINDINGS = (
    "two-card suppliers",
    "gang members",
    "gang assignment (pairs)",
    "mule cards",
    "case clusters (pairs)",
    "stop-payment targets",
)
WARNING_FIGURES = (
    ("recall_source", "recall before payment scored from"),
    ("precision", "precision: listed people a fraud number had contacted"),
    ("list_per_10k_day", "list size per 10,000 residents per day"),
    ("recall_before_payment", "recall before first payment"),
    ("recall_victims", "paying victims scored (first payment after the first publish)"),
    ("recall_on_time", "on a list published before their first payment"),
    ("recall_unreachable", "missed, first contacted after the last list before they paid"),
    ("listed", "final build: people listed"),
    ("victims_in_scope", "paying victims in scope (gang-called in the 48 h window)"),
    ("listed_before_payment", "listed before their first payment"),
    ("share_before_payment", "share listed before payment"),
    ("median_lead_hours", "median lead time, hours (upper bound)"),
    ("preventable", "still preventable at as_of (pay later)"),
    ("preventable_listed", "of whom listed"),
    ("listed_never_paid", "listed people who never paid"),
    ("listed_targeted_not_paid", "of whom targeted by a gang"),
    ("listed_never_contacted", "of whom never contacted by a gang"),
)


@dataclass(frozen=True)
class World:
    key: str
    name: str
    seed: int
    knobs: dict[str, Any] = field(default_factory=dict)  # SimConfig fields that differ from the defaults
    runs: int = DAILY_RUNS  # pipeline runs: the days simulated as (days - runs + 1), then one day per further run
    about: str = ""
    role: str = "tuning"  # tuning: rules may be chosen here; held-out: report only


# Higher defect rates, each within the bound its contract documents (shared/contracts/*.md) and SimConfig
# enforces: bad holder IDs at the contract's 1 %, duplicate call records and transactions at 0.5 % in all
# (same-batch + re-sent), the "occasional" defects a few times their defaults.
HIGH_DEFECTS: dict[str, Any] = {
    "bad_holder_id_rate": 0.01,
    "msisdn_format_rate": 0.1,
    "cdr_duplicate_rate": 0.003,
    "cdr_resend_rate": 0.002,
    "pipe_in_name_rate": 0.003,
    "negative_duration_rate": 0.002,
    "future_start_rate": 0.001,
    "late_record_rate": 0.02,
    "txn_resend_rate": 0.002,
    "amount_separator_rate": 0.01,
    "amount_unparseable_rate": 0.002,
    "ts_format_rate": 0.01,
    "truncated_file_rate": 0.15,
    "holder_phone_variant_rate": 0.6,
    "police_id_defect_rate": 0.15,
    "messy_number_rate": 0.9,
    "loss_mismatch_rate": 0.2,
}

# Held-out: more innocent look-alikes of every kind (the confounders), within SimConfig's bounds.
MORE_CONFOUNDERS: dict[str, Any] = {
    "many_cards_rate": 0.03,
    "merchant_rate": 0.06,
    "cash_business_share": 0.5,
    "shared_handset_rate": 0.05,
    "mvno_user_rate": 0.1,
    "courier_rate": 0.012,
    "false_alarm_per_10k_day": 3.0,
}

TUNING: tuple[World, ...] = (
    World("a", "defaults", 42, about="the demo world: every knob at its default"),
    World("b", "more defects", 7, HIGH_DEFECTS, about="defect rates raised to (or towards) the contracts' bounds"),
    World(
        "c",
        "re-deliveries",
        11,
        {"redelivery_rate": 0.15},
        about="15 % of batches delivered damaged then re-delivered",
    ),
    World(
        "d",
        "other laundering",
        5,
        {"mule_hops_min": 2, "mule_hops_max": 5, "pass_through_slowdown": 50, "two_city_gang_share": 0.5},
        about="longer mule chains, laundering in hours to days, half the gangs spanning two cities",
    ),
)
HELD_OUT: tuple[World, ...] = (
    World(
        "e",
        "hometown gangs, hidden callers",
        101,
        {
            "family_recruitment_share": 0.2,
            "two_city_gang_share": 0.3,
            "caller_own_sim_rate": 0.25,
            "mule_hops_max": 4,
            "redelivery_rate": 0.05,
        },
        about="mostly hometown recruitment, a third of the gangs in two cities, few callers' own SIMs in gang "
        "handsets, chains of 1-4 hops, 5 % re-deliveries",
        role="held-out",
    ),
    World(
        "f",
        "more confounders and defects",
        202,
        MORE_CONFOUNDERS
        | {
            "redelivery_rate": 0.1,
            "police_id_defect_rate": 0.12,
            "messy_number_rate": 0.8,
            "late_record_rate": 0.01,
            "truncated_file_rate": 0.1,
            "holder_phone_variant_rate": 0.5,
        },
        about="two to three times the innocent look-alikes (many cards, merchants, shared handsets, MVNO users, "
        "couriers, false alarms), 10 % re-deliveries, more police and delivery defects",
        role="held-out",
    ),
    World(
        "g",
        "busy family gangs, slow laundering",
        303,
        {
            "gangs_per_10k": 4.5,
            "family_recruitment_share": 0.8,
            "two_city_gang_share": 0.7,
            "victims_per_gang_day": 1.8,
            "burst_calls_per_gang_day": 150,
            "caller_own_sim_rate": 0.75,
            "mule_hops_max": 6,
            "pass_through_slowdown": 20,
        },
        about="more and busier gangs, mostly family, most in two cities, more cold calls, chains of 1-6 hops "
        "laundered over hours",
        role="held-out",
    ),
)
WORLDS: tuple[World, ...] = TUNING + HELD_OUT
SETS = {"tuning": TUNING, "held-out": HELD_OUT, "all": WORLDS}


def split_days(days: int, runs: int) -> list[int]:
    """Days simulated before each run: the bulk first, then one day per further run (a daily schedule)."""
    if days < runs:
        raise ValueError(f"{days} days cannot feed {runs} runs")
    return [days - runs + 1] + [1] * (runs - 1)


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    ap = argparse.ArgumentParser(prog="python -m bench.detection", description=(__doc__ or "").splitlines()[0])
    ap.add_argument("--scale", type=float, default=1.0, help="1 = about 20,000 people (every world)")
    ap.add_argument("--days", type=int, default=30, help="days simulated in all (every world)")
    ap.add_argument("--set", dest="world_set", choices=sorted(SETS), default="all", help="which worlds (default all)")
    ap.add_argument("--worlds", nargs="+", choices=[w.key for w in WORLDS], default=None, help="default: the set's")
    ap.add_argument("--out", type=Path, default=None, help="JSON file (default bench/results/detection.json)")
    ap.add_argument("--md", type=Path, default=None, help="markdown table (default bench/DETECTION.md)")
    ap.add_argument("--work", type=Path, default=None, help="scratch parent folder (default: a new one in /tmp)")
    ap.add_argument("--keep", action="store_true", help="keep the scratch worlds")
    ap.add_argument("--smoke", action="store_true", help=f"scale {SMOKE_SCALE}, {SMOKE_DAYS} days, outputs in /tmp")
    args = ap.parse_args(argv)
    if args.smoke:
        args.scale, args.days = SMOKE_SCALE, SMOKE_DAYS
    out_dir = SMOKE_DIR if args.smoke else None
    args.out = args.out or (out_dir / "detection.json" if out_dir else REPO / "bench/results/detection.json")
    args.md = args.md or (out_dir / "DETECTION.md" if out_dir else REPO / "bench/DETECTION.md")
    keys = args.worlds or [w.key for w in SETS[args.world_set]]
    args.selected = [w for w in WORLDS if w.key in keys]
    for w in args.selected:
        split_days(args.days, w.runs)  # fail before simulating anything
    return args


# ---- one world --------------------------------------------------------------------------------------
def simulate_piece(scratch: Scratch, name: str, world: World, scale: float, days: int) -> Measured:
    """`fraudbrain simulate` with the world's knobs; a later call continues the world by ``days``."""
    return simulate(scratch, name, scale, days, world.seed, world.knobs)


def snapshots_dir(scratch: Scratch) -> Path:
    return scratch.root / "warning-snapshots"


def keep_warning_list(scratch: Scratch) -> Path:
    """The warning list this run published, stamped with the end of the day loaded (the truth's clock)."""
    return save_warning_snapshot(scratch.warehouse, snapshots_dir(scratch), truth_clock(scratch.truth))


def evaluate_world(scratch: Scratch, name: str) -> tuple[Measured, Result]:
    out = scratch.logs / f"{name}.json"
    cmd = [str(BIN / "fraudbrain"), "evaluate", "--truth", str(scratch.truth), "--warehouse", str(scratch.warehouse)]
    cmd += ["--warning-snapshots", str(snapshots_dir(scratch))]
    measured = run_measured(name, [*cmd, "--json", str(out), "--demo"], scratch.env(), scratch.logs, cwd=REPO)
    return measured, json.loads(out.read_text(encoding="utf-8"))


def judge(f: Result) -> str:
    """``ok`` (F1 >= target), ``BELOW`` (under it, or truth positives but nothing flagged), ``n/a``, ``not built``."""
    if not f.get("built", True):
        return "not built"
    if f.get("f1") is not None:
        return "ok" if f["f1"] >= TARGET_F1 else "BELOW"
    positives = f.get("true_positives", 0) + f.get("false_negatives", 0)
    return "BELOW" if positives else "n/a"


def warning_summary(wt: Result) -> Result:
    """The warning figures the tables show, and the verdict against the issue-15 target."""
    keys = ("recall_source", "precision", "list_per_10k_day", "recall_before_payment", "recall_victims")
    out = {k: wt.get(k) for k in keys} | {"built": wt.get("built", True)}
    p, r = wt.get("precision"), wt.get("recall_before_payment")
    if not out["built"]:
        out["verdict"] = "not built"
    elif p is None or r is None:
        out["verdict"] = "n/a"
    else:
        ok = p >= TARGET_WARNING_PRECISION and r >= TARGET_WARNING_RECALL
        out["verdict"] = "ok" if ok else "BELOW"
    return out


def scores(evaluation: Result) -> Result:
    """Per finding: F1, precision, recall, counts and the verdict against the target."""
    keys = ("f1", "precision", "recall", "true_positives", "false_positives", "false_negatives", "neutral_flagged")
    out: Result = {}
    for name, f in evaluation["findings"].items():
        out[name] = {k: f.get(k) for k in keys} | {"built": f.get("built", True), "verdict": judge(f)}
    return out


def _batches(summary_path: Path) -> dict[str, int]:
    summary = json.loads(summary_path.read_text(encoding="utf-8"))
    return dict(sorted(Counter(b.rsplit(": ", 1)[-1] for b in summary.get("batches", [])).items()))


def run_world(parent: Path, world: World, scale: float, days: int) -> Result:
    scratch = make_scratch(parent / f"world-{world.key}", scale)
    pieces = split_days(days, world.runs)
    result: Result = {
        "key": world.key,
        "name": world.name,
        "about": world.about,
        "seed": world.seed,
        "scale": scale,
        "days": days,
        "pieces": pieces,
        "knobs": world.knobs,
        "role": world.role,
        "scratch": str(scratch.root),
        "runs": [],
    }
    try:
        loaded = 0
        for i, n in enumerate(pieces, start=1):
            sim = simulate_piece(scratch, f"simulate-{i}", world, scale, n)
            run = run_pipeline(scratch, f"pipeline-{i}")
            keep_warning_list(scratch)
            ev_m, ev = evaluate_world(scratch, f"evaluate-{i}")
            loaded += n
            result["runs"].append(
                {
                    "run": i,
                    "days_simulated": n,
                    "days_loaded": loaded,
                    "as_of": ev["as_of"],
                    "simulate_s": round(sim.wall_s, 1),
                    "status": run.status,
                    "batches": _batches(scratch.logs / f"pipeline-{i}.summary.json"),
                    "rows_read": run.rows_total,
                    "pipeline_wall_s": round(run.measured.wall_s, 1),
                    "pipeline_stage_s": round(run.stage_total_s, 1),
                    "evaluate_s": round(ev_m.wall_s, 1),
                    "scores": scores(ev),
                    "warning": warning_summary(ev["warning_targets"]),
                }
            )
            result["evaluation"] = ev  # the last one wins: tokens, case numbers and group ids only
    except Exception as exc:  # one world failing must not lose the others' figures
        result["error"] = f"{type(exc).__name__}: {exc}"  # run_measured keeps only the tail of stderr
    if "error" not in result:  # a failed world shows FAILED, not the scores of an earlier run
        result["scores"] = result["runs"][-1]["scores"]
        result["warning_targets"] = result["evaluation"]["warning_targets"]
        result["warning"] = result["runs"][-1]["warning"]
    return result


# ---- all worlds -------------------------------------------------------------------------------------
def commit() -> str:
    """HEAD and whether the checkout differs from it (other engineers edit it at the same time)."""

    def git(*a: str) -> str:
        return subprocess.run(["git", *a], cwd=REPO, capture_output=True, text=True, check=False).stdout.strip()

    head = git("rev-parse", "--short=7", "HEAD") or "unknown"
    dirty = git("status", "--porcelain", "--untracked-files=no")
    return head + (" (with uncommitted changes in the checkout)" if dirty else "")


def shortfalls(results: Result) -> list[str]:
    """Every world that failed, every finding below the target, not built or not measurable, every innocent
    look-alike flagged, and warning targets short of precision 0.5 at recall 0.8 before payment."""
    out = []
    for w in results["worlds"]:
        label = f"world {w['key']} ({w['name']}, {w.get('role', 'tuning')})"
        if "error" in w:
            out.append(f"{label}: FAILED: {w['error'].splitlines()[0]}")
        for name, s in sorted(w.get("scores", {}).items(), key=lambda kv: _order(kv[0])):
            counts = f"TP {s['true_positives']}, FP {s['false_positives']}, FN {s['false_negatives']}"
            if s["verdict"] in ("BELOW", "not built"):
                out.append(f"{label}: {name}: {_cell(s)} (P {_f(s['precision'])}, R {_f(s['recall'])}; {counts})")
            elif s["verdict"] == "n/a":
                out.append(f"{label}: {name}: not measurable, the truth holds no positives ({counts})")
        for name, f in _findings_of(w):
            if f.get("lookalikes_flagged"):
                kinds = ", ".join(f"{k} {n}" for k, n in f["lookalikes_flagged"].items())
                out.append(f"{label}: {name}: innocent look-alikes flagged ({kinds})")
        ws = w.get("warning")
        if ws and ws["verdict"] != "ok":
            out.append(
                f"{label}: warning targets: precision {_f(ws['precision'])}, recall before payment "
                f"{_f(ws['recall_before_payment'])} over {ws['recall_victims']} victims ({ws['recall_source']}); "
                f"target precision >= {TARGET_WARNING_PRECISION} at recall >= {TARGET_WARNING_RECALL}"
            )
    return out


def _load() -> list[float]:
    """Load averages to two decimals: long float digit runs would look like phone numbers to `scan-pii`."""
    return [round(x, 2) for x in os.getloadavg()]


def detect(args: argparse.Namespace, parent: Path) -> Result:
    started = datetime.now().astimezone()
    load_before = _load()
    uptime = subprocess.run(["uptime"], capture_output=True, text=True, check=False).stdout.strip()
    worlds = []
    for w in args.selected:
        print(f"world {w.key} ({w.name}): seed {w.seed}, scale {args.scale:g}, {args.days} days, {w.runs} run(s)")
        worlds.append(run_world(parent, w, args.scale, args.days))
    results: Result = {
        "date": started.isoformat(timespec="seconds"),
        "uptime": uptime,
        "niceness": os.nice(0),
        "finished": datetime.now().astimezone().isoformat(timespec="seconds"),
        "command": shlex.join([".venv/bin/python", "-m", "bench.detection", *args.argv]),
        "commit": commit(),
        "machine": machine(),
        "load_avg": {"before": load_before, "after": _load()},
        "target_f1": TARGET_F1,
        "worlds": worlds,
    }
    results["shortfalls"] = shortfalls(results)
    return results


# ---- outputs ----------------------------------------------------------------------------------------
def _f(v: float | None, fmt: str = ".3f") -> str:
    return "-" if v is None else format(v, fmt)


def _cell(s: Result) -> str:
    """An F1 cell: the figure, marked when below the target; why there is none otherwise."""
    v = s["verdict"]
    if v == "ok":
        return _f(s["f1"])
    if v == "BELOW":
        return f"**{_f(s['f1']) if s['f1'] is not None else 'none flagged'} BELOW**"
    return "n/a (no positives)" if v == "n/a" else v


def _finding_names(results: Result) -> list[str]:
    seen = [n for w in results["worlds"] for n in w.get("scores", {})]
    return [n for n in FINDINGS if n in seen] + sorted(set(seen) - set(FINDINGS))


def _world_label(w: Result) -> str:
    return f"{w['key']}: {w['name']} (seed {w['seed']})"


def summary_rows(worlds: list[Result]) -> list[list[str]]:
    """F1 (precision / recall) per finding and world, then the warning figures."""
    rows = []
    for name in _finding_names({"worlds": worlds}):
        cells = []
        for w in worlds:
            s = w.get("scores", {}).get(name)
            cells.append(f"{_cell(s)} ({_f(s['precision'])} / {_f(s['recall'])})" if s else _missing(w))
        rows.append([f"{name}: F1 (P / R)", *cells])
    rows.append(["innocent look-alikes flagged (all findings)", *(_lookalikes(w) for w in worlds)])
    rows.append(["warning targets: precision", *(_warning(w, "precision") for w in worlds)])
    rows.append(["warning targets: list size per 10,000 residents per day", *(_size(w) for w in worlds)])
    rows.append(["warning targets: recall before first payment", *(_recall(w) for w in worlds)])
    return rows


def _missing(w: Result) -> str:
    return "FAILED" if "error" in w else "-"


def _lookalikes(w: Result) -> str:
    ev = w.get("evaluation")
    if not ev or "error" in w:
        return _missing(w)
    total: Counter[str] = Counter()
    for f in ev["findings"].values():
        total.update(f.get("lookalikes_flagged") or {})
    return ", ".join(f"{k} {n}" for k, n in sorted(total.items())) or "none"


def _warning(w: Result, key: str) -> str:
    ws = w.get("warning")
    return _f(ws.get(key)) if ws else _missing(w)


def _size(w: Result) -> str:
    ws = w.get("warning")
    return _f(ws.get("list_per_10k_day"), ".1f") if ws else _missing(w)


def _recall(w: Result) -> str:
    ws = w.get("warning")
    if not ws:
        return _missing(w)
    r = ws.get("recall_before_payment")
    mark = "" if ws["verdict"] in ("ok", "n/a") else " **BELOW**"
    source = "one build, upper bound" if str(ws.get("recall_source", "")).startswith("one build") else "as published"
    return f"{_f(r)} of {ws.get('recall_victims', 0)} victims ({source}){mark}"


def finding_rows(w: Result) -> list[list[str]]:
    return [
        [
            name,
            _cell(s),
            _f(s["precision"]),
            _f(s["recall"]),
            str(s["true_positives"]),
            str(s["false_positives"]),
            str(s["false_negatives"]),
            str(s["neutral_flagged"] or 0),
        ]
        for name, s in sorted(w.get("scores", {}).items(), key=lambda kv: _order(kv[0]))
    ]


def _findings_of(w: Result) -> list[tuple[str, Result]]:
    """The findings of a world's last evaluation, in the evaluation's order."""
    findings = ((w.get("evaluation") or {}).get("findings")) or {}
    return sorted(findings.items(), key=lambda kv: _order(kv[0]))


def _order(name: str) -> tuple[int, str]:
    return (FINDINGS.index(name) if name in FINDINGS else len(FINDINGS), name)


def warning_rows(w: Result) -> list[list[str]]:
    wt = w.get("warning_targets") or {}
    if not wt.get("built", True):
        return [["warning targets", "not built: " + "; ".join(wt.get("notes", []))]]
    rows = []
    for key, label in WARNING_FIGURES:
        v = wt.get(key)
        if isinstance(v, float):
            cell = _f(v, ".3f" if key.startswith(("share", "precision", "recall")) else ".1f")
        else:
            cell = _f(v, "") if v is not None else "-"
        rows.append([label, cell])
    if wt.get("lookalikes_listed"):
        rows.append(["innocent look-alikes listed", ", ".join(f"{k} {n}" for k, n in wt["lookalikes_listed"].items())])
    return rows


def typology_table_rows(w: Result) -> list[list[str]]:
    """Recall per typology of every finding (and of warning recall before payment) in the last evaluation."""
    ev = w.get("evaluation") or {}
    sources = [(n, f.get("by_typology") or {}) for n, f in _findings_of(w)]
    sources.append(("warning targets (before payment)", (ev.get("warning_targets") or {}).get("by_typology") or {}))
    rows = []
    for name, dims in sources:
        for dim, labels in dims.items():
            for label, c in labels.items():
                rows.append([name, dim, label, f"{c['found']} / {c['positives']}", _f(c.get("recall"))])
    return rows


def lookalike_rows(w: Result) -> list[list[str]]:
    """Innocent look-alikes flagged per finding, each kind against the look-alikes of that kind."""
    ev = w.get("evaluation") or {}
    totals = ev.get("lookalikes") or {}
    rows = []
    for name, f in _findings_of(w):
        if f.get("kind") == "set":
            flagged = f.get("lookalikes_flagged") or {}
            rows.append([name, ", ".join(f"{k} {n} of {totals.get(k, '?')}" for k, n in flagged.items()) or "none"])
    listed = (ev.get("warning_targets") or {}).get("lookalikes_listed") or {}
    rows.append(["warning targets", ", ".join(f"{k} {n} of {totals.get(k, '?')}" for k, n in listed.items()) or "none"])
    return rows


def run_rows(w: Result) -> list[list[str]]:
    names = _finding_names({"worlds": [w]})
    rows = []
    for r in w["runs"]:
        batches = ", ".join(f"{n} {k}" for k, n in r["batches"].items()) or "none"
        f1s = [_cell(r["scores"][n]) if n in r["scores"] else "-" for n in names]
        rows.append([str(r["run"]), f"+{r['days_simulated']} = {r['days_loaded']}", r["status"], batches, *f1s])
    return rows


def _params(w: Result) -> str:
    knobs = ", ".join(f"`{k}={v}`" for k, v in w["knobs"].items()) or "none (SimConfig defaults)"
    runs = " + ".join(str(n) for n in w["pieces"])
    return "\n".join(
        [
            f"- role: **{ROLES.get(w.get('role', 'tuning'), w.get('role'))}**",
            f"- {w['about']}",
            f"- seed {w['seed']}, scale {w['scale']:g}, {w['days']} days simulated as {runs} "
            f"({_runs(len(w['pieces']))})",
            f"- knobs: {knobs}",
        ]
    )


def _runs(n: int) -> str:
    return "1 pipeline run, then evaluated" if n == 1 else f"{n} pipeline runs, evaluated after each"


def _set_tables(results: Result) -> list[str]:
    parts: list[str] = []
    for role, label in ROLES.items():
        worlds = [w for w in results["worlds"] if w.get("role", "tuning") == role]
        if not worlds:
            continue
        parts += [f"## {label[0].upper()}{label[1:]}", ""]
        parts += [_md(["finding", *(_world_label(w) for w in worlds)], summary_rows(worlds)), ""]
    return parts


def markdown(results: Result) -> str:
    m = results["machine"]
    load = " / ".join(f"{x:.2f}" for x in results["load_avg"]["before"])
    load_after = " / ".join(f"{x:.2f}" for x in results["load_avg"]["after"])
    worlds = results["worlds"]
    parts = [
        "# fraudbrain detection across worlds",
        "",
        "Generated by `bench/detection.py` (do not edit by hand: re-run it). Each world is simulated, loaded by",
        "`fraudbrain run --demo` (the bulk, then one day per run: daily publishes) and scored by `fraudbrain",
        "evaluate` against its ground truth (definitions: [docs/EVALUATION.md](../docs/EVALUATION.md)).",
        "",
        "Two sets of worlds, fixed in `bench/detection.py`: the **tuning** worlds (rules and thresholds may be chosen",
        "on them) and the **held-out** worlds (other seeds, confounder and defect rates, typology mixes: looked at",
        "only to report, never to choose a rule). Every rule change names the tuning world it was decided on in",
        "its commit and in the notes below.",
        "",
        f"Targets (issues 7, 15): F1 >= {TARGET_F1} on every finding (mule cards count first-hop cards), no innocent",
        f"look-alike flagged, warning targets precision >= {TARGET_WARNING_PRECISION} at recall >= "
        f"{TARGET_WARNING_RECALL} before the first payment (from the lists published before it); **BELOW** marks a",
        "figure short of its target. Cells: F1 (precision / recall).",
        "",
        f"- Date: {results['date']} (finished {results['finished']})",
        f"- Commit: {results['commit']}",
        f"- Command: `{results['command']}`",
        f"- Machine: {m['cpu']}, {m['nproc']} cores (nproc), {m['memory_gb']} GB memory, Linux {m['kernel']}, "
        f"Python {m['python']}, DuckDB {m['duckdb']}; load average {load} before, {load_after} after",
        *([f"- Uptime before the run: `{results['uptime']}`"] if results.get("uptime") else []),
        *([f"- Niceness of the run: {results['niceness']}"] if results.get("niceness") is not None else []),
        "",
        *_set_tables(results),
        "## Short of a target, or not measurable",
        "",
        *([f"- {s}" for s in results["shortfalls"]] or ["- none: every figure meets its target"]),
        "",
        "## Decisions",
        "",
        "- No rule has been changed on these figures yet: they are the baseline measured before issue 15's rule",
        "  changes. A later change adds a line here: what changed and on which tuning world it was decided.",
        "",
    ]
    for w in worlds:
        parts += [f"## World {w['key']}: {w['name']}", "", _params(w), ""]
        if "error" in w:
            parts += ["**FAILED**:", "", "```", w["error"], "```", ""]
        if w.get("scores"):
            header = ["finding", "F1", "precision", "recall", "TP", "FP", "FN", "neutral flagged"]
            parts += [f"Scores after the last run (as of {w['runs'][-1]['as_of']}):", "", _md(header, finding_rows(w))]
            parts += ["", "Innocent look-alikes flagged:", ""]
            parts += [_md(["finding", "flagged (of that kind)"], lookalike_rows(w))]
            parts += ["", "Warning targets (预警劝阻):", "", _md(["figure", "value"], warning_rows(w)), ""]
            typ = typology_table_rows(w)
            if typ:
                parts += ["Recall per typology:", ""]
                parts += [_md(["finding", "typology of", "typology", "found / positives", "recall"], typ), ""]
        if w["runs"]:
            names = _finding_names({"worlds": [w]})
            parts += ["Runs:", "", _md(["run", "days", "status", "batches", *names], run_rows(w)), ""]
            times = "; ".join(
                f"run {r['run']}: simulate {r['simulate_s']:.0f} s, pipeline {r['pipeline_wall_s']:.0f} s wall, "
                f"evaluate {r['evaluate_s']:.0f} s"
                for r in w["runs"]
            )
            parts += [f"Times: {times}.", ""]
    return "\n".join(parts)


def write_outputs(results: Result, out: Path, md: Path) -> None:
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(results, indent=1, default=str) + "\n", encoding="utf-8")
    md.parent.mkdir(parents=True, exist_ok=True)
    md.write_text(markdown(results), encoding="utf-8")


def print_console(results: Result) -> None:
    console = Console(width=200)
    for role, label in ROLES.items():
        worlds = [w for w in results["worlds"] if w.get("role", "tuning") == role]
        if worlds:
            header = ["finding", *(_world_label(w) for w in worlds)]
            rows = [[c.replace("**", "") for c in r] for r in summary_rows(worlds)]
            console.print(_rich(f"{label}: F1 (P / R) per finding and world", header, rows))
    for s in results["shortfalls"]:
        console.print(f"[red]short of the target:[/red] {s.replace('**', '')}", highlight=False)


def main(argv: list[str] | None = None) -> Result:
    raw = sys.argv[1:] if argv is None else argv
    args = parse_args(raw)
    args.argv = raw
    with scratch_parent(args.work, "fraudbrain-detection-", args.keep) as parent:
        results = detect(args, parent)
    write_outputs(results, args.out, args.md)
    print_console(results)
    print(f"results: {args.out}  table: {args.md}")
    return results


if __name__ == "__main__":
    main()
