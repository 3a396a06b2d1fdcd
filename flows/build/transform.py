"""Build the dbt project on the working database, one layer at a time."""

from __future__ import annotations

import atexit
import hashlib
import json
import os
import re
import subprocess
import sys
import threading
from dataclasses import dataclass, field
from pathlib import Path

from flows.settings import Settings


def _dbt_project_dir() -> Path:
    """The dbt project: packaged beside this module in an installed wheel, else the checkout's ``dbt_project/``."""
    here = Path(__file__).resolve().parent
    packaged = here / "dbt_project"
    return packaged if (packaged / "dbt_project.yml").exists() else here.parents[1] / "dbt_project"


DBT_PROJECT_DIR = _dbt_project_dir()
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
        FRAUDBRAIN_DBT_MEMORY_LIMIT=settings.dbt_memory_limit,
    )
    return env


def _dbt_args(settings: Settings, args: tuple[str, ...]) -> list[str]:
    target = settings.dbt_target_dir.resolve()
    logs = settings.logs_dir.resolve()
    target.mkdir(parents=True, exist_ok=True)
    logs.mkdir(parents=True, exist_ok=True)
    return [
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


class _WorkerProcess:
    """The dbt worker (flows/build/dbt_worker.py) of one configuration, fed one command at a time."""

    def __init__(self, settings: Settings, key: str) -> None:
        self.key = key
        read_fd, write_fd = os.pipe()
        logs = settings.logs_dir.resolve()
        logs.mkdir(parents=True, exist_ok=True)
        self._stderr = open(logs / "dbt-worker.log", "ab")  # noqa: SIM115 - lives as long as the worker
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "flows.build.dbt_worker", str(write_fd)],
            env=dbt_env(settings),
            stdin=subprocess.PIPE,
            stdout=subprocess.DEVNULL,
            stderr=self._stderr,
            pass_fds=(write_fd,),
            cwd=str(DBT_PROJECT_DIR.parent),
            text=True,
        )
        os.close(write_fd)
        self._answers = os.fdopen(read_fd, "r")

    def ask(self, args: list[str]) -> dict:
        assert self.proc.stdin is not None
        try:
            self.proc.stdin.write(json.dumps({"args": args}) + "\n")
            self.proc.stdin.flush()
        except BrokenPipeError:
            pass  # the worker is gone: reading its answer says so
        line = self._answers.readline()
        if not line:
            code = self.proc.wait()
            raise DbtFailed(f"the dbt worker exited (code {code}) during `dbt {args[0]}`: see dbt-worker.log")
        return json.loads(line)

    def close(self) -> None:
        if self.proc.stdin is not None and not self.proc.stdin.closed:
            self.proc.stdin.close()
        try:
            self.proc.wait(timeout=60)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
        self._answers.close()
        self._stderr.close()


_WORKER: _WorkerProcess | None = None
_WORKER_LOCK = threading.Lock()


def _worker_key(settings: Settings) -> str:
    """Same database, paths, key and project files: the same worker may serve the command."""
    parts = [
        str(settings.work_db.resolve()),
        str(settings.dbt_target_dir.resolve()),
        str(settings.logs_dir.resolve()),
        hashlib.sha256(settings.resolved_pii_key().encode()).hexdigest(),
        project_fingerprint(),
    ]
    return "\x1f".join(parts)


def close_worker() -> None:
    """Stop the dbt worker (the pipeline calls this when a run ends; also at interpreter exit)."""
    global _WORKER
    with _WORKER_LOCK:
        if _WORKER is not None:
            _WORKER.close()
            _WORKER = None


atexit.register(close_worker)


def run_dbt(settings: Settings, *args: str) -> DbtResult:
    """Run one dbt command in the run's dbt worker process (parsed once; see flows/build/dbt_worker.py).

    Not in this process: dbt-duckdb keeps its connection open in-process, and dbt's globals are not
    meant to share a process with a flow.
    """
    global _WORKER
    key = _worker_key(settings)
    with _WORKER_LOCK:
        if _WORKER is not None and (_WORKER.key != key or _WORKER.proc.poll() is not None):
            _WORKER.close()
            _WORKER = None
        if _WORKER is None:
            _WORKER = _WorkerProcess(settings, key)
        worker = _WORKER
        try:
            answer = worker.ask(_dbt_args(settings, args))
        except DbtFailed:
            worker.close()
            _WORKER = None
            raise
    result = DbtResult(" ".join(args), dict(answer["nodes"]), float(answer["elapsed_s"]))
    if not answer["success"]:
        summary = _failure_summary("\n".join(answer["messages"]))
        cause = f"\n{answer['exception']}" if answer["exception"] else ""
        raise DbtFailed(f"dbt {' '.join(args)} failed:\n{summary}{cause}")
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


def build_layer(settings: Settings, layer: str, *, full_refresh: bool = False) -> DbtResult:
    """Build one layer; incremental models rebuild in full when asked or when the token key changed.

    Incremental tables hold tokens made under the key of the run that built them: after a key rotation
    they would mix two keys, so the first run under a new key rebuilds everything (SECURITY.md).
    """
    args = ["build", "--select", f"path:models/{layer}"]
    if full_refresh or key_rotated(settings):
        args.append("--full-refresh")
    result = run_dbt(settings, *args)
    if layer == LAYERS[-1]:
        _key_stamp(settings).write_text(settings.token_key_id())
    return result


def _key_stamp(settings: Settings) -> Path:
    return settings.dbt_target_dir / "token_key_id"


def key_rotated(settings: Settings) -> bool:
    """True when the warehouse was last built under another token key than the current one."""
    stamp = _key_stamp(settings)
    return stamp.exists() and stamp.read_text().strip() != settings.token_key_id()


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
