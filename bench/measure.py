"""Run one command in a subprocess and measure it: wall time, peak RSS (largest process and whole tree)."""

from __future__ import annotations

import contextlib
import os
import subprocess
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

PAGE_MB = os.sysconf("SC_PAGE_SIZE") / 2**20


@dataclass
class Measured:
    name: str
    wall_s: float
    returncode: int
    max_rss_mb: float  # largest single process of the tree (wait4 ru_maxrss: the process and its reaped children)
    peak_tree_rss_mb: float  # largest sampled sum of RSS over the process and all its descendants
    samples: list[tuple[float, float]] = field(default_factory=list)  # (epoch seconds, tree RSS MB)
    stdout: Path | None = None
    stderr: Path | None = None

    def peak_between(self, start: float, end: float, slack: float = 0.3) -> float | None:
        """Peak sampled tree RSS in [start - slack, end + slack] (epoch seconds), None without samples."""
        inside = [mb for t, mb in self.samples if start - slack <= t <= end + slack]
        return max(inside) if inside else None


def _children_map() -> dict[int, list[int]]:
    children: dict[int, list[int]] = {}
    for entry in os.scandir("/proc"):
        if not entry.name.isdigit():
            continue
        try:
            stat = Path(entry.path, "stat").read_text()
        except OSError:
            continue
        ppid = int(stat.rsplit(")", 1)[1].split()[1])
        children.setdefault(ppid, []).append(int(entry.name))
    return children


def tree_rss_mb(pid: int) -> float:
    """Sum of the resident set of ``pid`` and all its descendants, from /proc."""
    children, todo, total = _children_map(), [pid], 0.0
    while todo:
        p = todo.pop()
        with contextlib.suppress(OSError, IndexError, ValueError):
            total += int(Path(f"/proc/{p}/statm").read_text().split()[1]) * PAGE_MB
        todo.extend(children.get(p, []))
    return total


class _Sampler(threading.Thread):
    def __init__(self, pid: int, interval: float) -> None:
        super().__init__(daemon=True)
        self.pid, self.interval = pid, interval
        self.samples: list[tuple[float, float]] = []
        self.stop = threading.Event()

    def run(self) -> None:
        while not self.stop.is_set():
            self.samples.append((time.time(), tree_rss_mb(self.pid)))
            self.stop.wait(self.interval)


def run_measured(
    name: str, cmd: list[str], env: dict[str, str], log_dir: Path, cwd: Path | None = None, interval: float = 0.25
) -> Measured:
    """Run ``cmd``; stdout/stderr go to ``log_dir/<name>.{out,err}``. Raises on a non-zero exit."""
    log_dir.mkdir(parents=True, exist_ok=True)
    out, err = log_dir / f"{name}.out", log_dir / f"{name}.err"
    with out.open("wb") as fo, err.open("wb") as fe:
        start = time.perf_counter()
        proc = subprocess.Popen(cmd, env=env, cwd=cwd, stdout=fo, stderr=fe)
        sampler = _Sampler(proc.pid, interval)
        sampler.start()
        _, status, usage = os.wait4(proc.pid, 0)
        wall = time.perf_counter() - start
        sampler.stop.set()
        sampler.join()
    proc.returncode = code = os.waitstatus_to_exitcode(status)
    if code != 0:
        tail = err.read_text(errors="replace")[-3000:]
        raise RuntimeError(f"{name}: {' '.join(cmd)} exited {code}\n{tail}")
    samples = sampler.samples
    return Measured(
        name=name,
        wall_s=wall,
        returncode=code,
        max_rss_mb=usage.ru_maxrss / 1024,
        peak_tree_rss_mb=max((mb for _, mb in samples), default=0.0),
        samples=samples,
        stdout=out,
        stderr=err,
    )
