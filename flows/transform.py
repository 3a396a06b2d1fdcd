"""Build the dbt project on the working database, one layer at a time."""

from __future__ import annotations

import hashlib
import json
import os
import re
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path

from flows.settings import Settings

DBT_PROJECT_DIR = Path(__file__).resolve().parents[1] / "dbt_project"
LAYERS = ("staging", "intermediate", "marts")


class DbtFailed(RuntimeError):
    """dbt reported an error or a failing test."""


@dataclass
class DbtResult:
    command: str
    nodes: dict[str, str] = field(default_factory=dict)  # unique_id -> status
    elapsed_s: float = 0.0

    @property
    def failures(self) -> list[str]:
        return [n for n, s in self.nodes.items() if s in {"error", "fail", "runtime error"}]


def dbt_env(settings: Settings) -> dict[str, str]:
    """The environment dbt runs in: the key reaches the token function, never dbt vars or artifacts."""
    env = dict(os.environ)
    env.update(
        FRAUDBRAIN_WORK_DB=str(settings.work_db.resolve()),
        FRAUDBRAIN_PII_KEY=settings.resolved_pii_key(),
        DBT_SEND_ANONYMOUS_USAGE_STATS="false",
        DBT_PARTIAL_PARSE="true",
    )
    return env


def run_dbt(settings: Settings, *args: str) -> DbtResult:
    """Run one dbt command in its own process (dbt-duckdb keeps its connection open in-process)."""
    target = settings.dbt_target_dir.resolve()
    logs = settings.logs_dir.resolve()
    target.mkdir(parents=True, exist_ok=True)
    logs.mkdir(parents=True, exist_ok=True)
    dbt = Path(sys.executable).with_name("dbt")
    cmd = [
        str(dbt),
        *args,
        "--project-dir",
        str(DBT_PROJECT_DIR),
        "--profiles-dir",
        str(DBT_PROJECT_DIR),
        "--target-path",
        str(target),
        "--log-path",
        str(logs),
    ]
    proc = subprocess.run(cmd, env=dbt_env(settings), capture_output=True, text=True, check=False)
    result = _read_run_results(target, " ".join(args))
    if proc.returncode != 0:
        tail = "\n".join(proc.stdout.splitlines()[-40:])
        raise DbtFailed(f"dbt {' '.join(args)} failed (exit {proc.returncode}):\n{tail}\n{proc.stderr[-2000:]}")
    return result


def _failure_summary(stdout: str, limit: int = 30) -> str:
    """The part of dbt's output that says what failed (after "Completed with"), without colour codes."""
    text = re.sub(r"\x1b\[[0-9;]*m", "", stdout)
    lines = text.splitlines()
    start = next(
        (i for i, line in enumerate(lines) if "Completed with" in line or "Encountered an error" in line), None
    )
    picked = lines[start:] if start is not None else lines[-limit:]
    return "\n".join(line.split("  ", 1)[-1] if line[:2].isdigit() else line for line in picked[:limit])


def _read_run_results(target: Path, command: str) -> DbtResult:
    path = target / "run_results.json"
    if not path.exists():
        return DbtResult(command)
    data = json.loads(path.read_text())
    nodes = {r["unique_id"]: r["status"] for r in data.get("results", [])}
    return DbtResult(command, nodes, float(data.get("elapsed_time", 0.0)))


def build_layer(settings: Settings, layer: str, *, full_refresh: bool = False) -> DbtResult:
    args = ["build", "--select", f"path:models/{layer}"]
    if full_refresh:
        args.append("--full-refresh")
    return run_dbt(settings, *args)


def generate_docs(settings: Settings) -> Path:
    """`dbt docs generate` into the target folder; returns that folder (index.html, manifest, catalog).

    The docs describe the project, not the data: they are generated again only when a file of the dbt
    project (or dbt itself) changed since the last generation.
    """
    target = settings.dbt_target_dir
    stamp = target / "docs.fingerprint"
    fingerprint = project_fingerprint()
    have = all((target / f).exists() for f in ("index.html", "manifest.json", "catalog.json"))
    if have and stamp.exists() and stamp.read_text() == fingerprint:
        return target
    run_dbt(settings, "docs", "generate")
    stamp.write_text(fingerprint)
    return target


def project_fingerprint() -> str:
    """A hash of every file of the dbt project and of dbt's version."""
    from importlib.metadata import version

    digest = hashlib.sha256(f"dbt-core {version('dbt-core')} dbt-duckdb {version('dbt-duckdb')}".encode())
    for path in sorted(DBT_PROJECT_DIR.rglob("*")):
        if path.is_file() and not {"target", "logs", "dbt_packages"} & set(path.relative_to(DBT_PROJECT_DIR).parts):
            digest.update(str(path.relative_to(DBT_PROJECT_DIR)).encode())
            digest.update(path.read_bytes())
    return digest.hexdigest()
