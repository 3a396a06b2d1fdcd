"""One `fraudbrain run --demo` in a subprocess: its stage timings, rows read and memory per stage."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path

import duckdb

from bench.measure import Measured, run_measured
from bench.world import BIN, REPO, Scratch

# RunSummary.timings keys, in the order the flow runs them.
STAGES = ("extract+validate", "dbt staging", "dbt intermediate", "dbt marts", "vault", "docs", "publish")
# Global steps: rebuilt whole on every run (identity resolution and graph marts, vault, docs, publish).
GLOBAL_STAGES = ("dbt intermediate", "dbt marts", "vault", "docs", "publish")
# The Prefect task whose "Finished" log line ends each stage.
_LAST_TASK = {
    "extract+validate": "extract_police",
    "dbt staging": "dbt build staging",
    "dbt intermediate": "dbt build intermediate",
    "dbt marts": "dbt build marts",
    "vault": "seal_vault",
    "docs": "build_docs",
    "publish": "publish",
}
_FINISHED = re.compile(r"^(\d\d:\d\d:\d\d\.\d{3}) \| \w+\s*\| Task run '(.+)-[0-9a-f]{3}' - Finished in state")


@dataclass
class PipelineRun:
    measured: Measured
    status: str
    stages_s: dict[str, float]
    rows_read: dict[str, int]  # source/table -> rows_read of this run's ledger
    stage_peak_mb: dict[str, float | None] = field(default_factory=dict)

    @property
    def stage_total_s(self) -> float:
        return sum(self.stages_s.values())

    @property
    def rows_total(self) -> int:
        return sum(self.rows_read.values())


def run_pipeline(scratch: Scratch, name: str, full_refresh: bool = False) -> PipelineRun:
    summary_path = scratch.logs / f"{name}.summary.json"
    cmd = [str(BIN / "fraudbrain"), "run", "--demo", "--summary-json", str(summary_path)]
    if full_refresh:
        cmd.append("--full-refresh")
    measured = run_measured(name, cmd, scratch.env(), scratch.logs, cwd=REPO)
    summary = json.loads(summary_path.read_text(encoding="utf-8"))
    stages = {s: float(summary["timings"][s]) for s in STAGES if s in summary["timings"]}
    assert measured.stderr is not None
    return PipelineRun(
        measured=measured,
        status=str(summary["status"]),
        stages_s=stages,
        rows_read=ledger_rows_read(scratch.work / "work.duckdb", str(summary["run_id"])),
        stage_peak_mb=stage_peaks(measured, stages, measured.stderr),
    )


def ledger_rows_read(work_db: Path, run_id: str) -> dict[str, int]:
    con = duckdb.connect(str(work_db), read_only=True)
    try:
        rows = con.execute(
            "select source || '/' || table_name, sum(rows_read) from audit.load_ledger "
            "where run_id = ? and status <> 'replaced' group by 1 order by 1",
            [run_id],
        ).fetchall()
    finally:
        con.close()
    return {str(k): int(v) for k, v in rows}


def stage_ends(stderr: Path, day: datetime) -> dict[str, float]:
    """Epoch seconds at which each stage's last task finished, from Prefect's console log (local time)."""
    ends: dict[str, float] = {}
    for line in stderr.read_text(errors="replace").splitlines():
        m = _FINISHED.match(line)
        if not m:
            continue
        stage = next((s for s, task in _LAST_TASK.items() if task == m.group(2)), None)
        if stage is None:
            continue
        clock = datetime.strptime(m.group(1), "%H:%M:%S.%f").time()
        at = datetime.combine(day.date(), clock)
        if at < day - timedelta(minutes=5):  # the run crossed midnight
            at += timedelta(days=1)
        ends[stage] = at.timestamp()
    return ends


def stage_peaks(measured: Measured, stages: dict[str, float], stderr: Path) -> dict[str, float | None]:
    """Peak tree RSS inside each stage's window [end - seconds, end]; None where the window is unknown."""
    if not measured.samples:
        return dict.fromkeys(stages)
    ends = stage_ends(stderr, datetime.fromtimestamp(measured.samples[0][0]))
    return {s: (measured.peak_between(ends[s] - secs, ends[s]) if s in ends else None) for s, secs in stages.items()}
