"""A scratch world for one scale: its folders, the environment pointing at it, simulating it, counting it."""

from __future__ import annotations

import json
import os
import shutil
import sqlite3
import sys
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from bench.measure import Measured, run_measured
from rules.contracts import POLICE, by_file

REPO = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent


@dataclass(frozen=True)
class Scratch:
    root: Path

    @property
    def landing(self) -> Path:
        return self.root / "landing"

    @property
    def police_db(self) -> Path:
        return self.root / "police.db"

    @property
    def truth(self) -> Path:
        return self.root / "truth"

    @property
    def work(self) -> Path:
        return self.root / "work"

    @property
    def warehouse(self) -> Path:
        return self.root / "warehouse" / "fraudbrain.duckdb"

    @property
    def logs(self) -> Path:
        return self.root / "bench-logs"

    def env(self) -> dict[str, str]:
        """This process's environment with every place of fraudbrain (and Prefect's home) in the scratch folder."""
        env = {k: v for k, v in os.environ.items() if not k.startswith(("FRAUDBRAIN_", "PREFECT_"))}
        env.update(
            FRAUDBRAIN_LANDING=str(self.landing),
            FRAUDBRAIN_POLICE_URL=f"sqlite:///{self.police_db}",
            FRAUDBRAIN_WORK_DIR=str(self.work),
            FRAUDBRAIN_WAREHOUSE=str(self.warehouse),
            PREFECT_HOME=str(self.root / "prefect"),
            PREFECT_SERVER_ANALYTICS_ENABLED="false",
            DBT_SEND_ANONYMOUS_USAGE_STATS="false",
            GX_ANALYTICS_ENABLED="false",
            NO_COLOR="1",
        )
        return env


@contextmanager
def scratch_parent(work: Path | None, prefix: str, keep: bool) -> Iterator[Path]:
    """A new scratch folder (in ``work``, else in /tmp) for a benchmark's worlds; removed on exit unless ``keep``.

    Only this new folder is ever removed, never ``work`` itself.
    """
    if work:
        work.mkdir(parents=True, exist_ok=True)
    parent = Path(tempfile.mkdtemp(prefix=prefix, dir=work))
    try:
        yield parent
    finally:
        if not keep:
            shutil.rmtree(parent, ignore_errors=True)


def make_scratch(parent: Path, scale: float) -> Scratch:
    root = parent / f"scale-{scale:g}"
    if root.resolve().is_relative_to(REPO):
        raise ValueError(f"scratch folder {root} is inside the repository; pass --work outside it")
    root.mkdir(parents=True, exist_ok=False)
    return Scratch(root)


def simulate(
    scratch: Scratch, name: str, scale: float, days: int, seed: int, knobs: dict[str, object] | None = None
) -> Measured:
    """`fraudbrain simulate` (with SimConfig ``knobs``): the first call creates the world, later ones continue it."""
    cmd = [
        str(BIN / "fraudbrain"),
        "simulate",
        "--landing",
        str(scratch.landing),
        "--police-url",
        f"sqlite:///{scratch.police_db}",
        "--truth",
        str(scratch.truth),
        "--days",
        str(days),
        "--scale",
        str(scale),
        "--seed",
        str(seed),
        "--no-progress",
    ]
    for k, v in (knobs or {}).items():
        cmd += ["--set", f"{k}={v}"]
    return run_measured(name, cmd, scratch.env(), scratch.logs, cwd=REPO)


def delivered_rows(scratch: Scratch) -> dict[str, int]:
    """Data rows per ``source/table``: the manifests' counts of complete batches, the police tables' rows."""
    counts: dict[str, int] = {}
    for manifest in sorted(scratch.landing.glob("*/batch=*/_SUCCESS")):
        source = manifest.parent.parent.name
        for name, meta in json.loads(manifest.read_text(encoding="utf-8"))["files"].items():
            t = by_file(source, name)
            key = f"{source}/{t.name if t else name}"
            counts[key] = counts.get(key, 0) + int(meta["rows"])
    con = sqlite3.connect(f"file:{scratch.police_db}?mode=ro", uri=True)
    try:
        for t in POLICE:
            counts[f"police/{t.name}"] = int(con.execute(f'select count(*) from "{t.name}"').fetchone()[0])
    finally:
        con.close()
    return dict(sorted(counts.items()))
