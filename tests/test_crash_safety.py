"""A run killed with SIGKILL at random points, then run to completion, publishes what an uninterrupted run does."""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

import duckdb
import pytest

from flows.publish.warehouse import content_hashes
from tests.conftest import E2E_KEY, E2E_VAULT_KEY

BIN = Path(sys.executable).parent


def _env(world: dict, root: Path) -> dict[str, str]:
    from prefect.settings import PREFECT_API_URL

    return {
        **os.environ,
        "PREFECT_API_URL": str(PREFECT_API_URL.value()),  # the session's test server: no start-up per run
        "FRAUDBRAIN_LANDING": world["landing"],
        "FRAUDBRAIN_POLICE_URL": world["police_url"],
        "FRAUDBRAIN_WORK_DIR": str(root / "work"),
        "FRAUDBRAIN_WAREHOUSE": str(root / "warehouse" / "fraudbrain.duckdb"),
        "FRAUDBRAIN_PII_KEY": E2E_KEY,
        "FRAUDBRAIN_VAULT_KEY": E2E_VAULT_KEY,
    }


def _kill_runs(env: dict[str, str], kills: int, horizon_s: float, rng: random.Random) -> list[float]:
    moments = []
    for _ in range(kills):
        proc = subprocess.Popen(
            [str(BIN / "fraudbrain"), "run"],
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            start_new_session=True,
        )
        moment = rng.uniform(1.0, horizon_s)
        time.sleep(moment)
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)  # the run and its dbt process, mid-step
        proc.wait()
        moments.append(round(moment, 1))
    return moments


def _assert_recovers(demo_run, small_world, tmp_path, kills: int, seed: int) -> None:
    settings, summary = demo_run
    reference = content_hashes(settings.warehouse)
    env = _env(small_world, tmp_path)
    horizon = max(sum(summary.timings.values()), 20.0)
    moments = _kill_runs(env, kills, horizon, random.Random(seed))
    done = subprocess.run([str(BIN / "fraudbrain"), "run"], env=env, capture_output=True, text=True, timeout=1200)
    assert done.returncode == 0, f"killed at {moments} s; the completing run failed:\n{done.stdout[-3000:]}"
    warehouse = Path(env["FRAUDBRAIN_WAREHOUSE"])
    assert content_hashes(warehouse) == reference, f"killed at {moments} s: the marts differ from an uninterrupted run"
    con = duckdb.connect(str(warehouse), read_only=True)
    try:
        unbalanced = con.execute(
            "select count(*) from audit.load_ledger where rows_read <> rows_loaded + rows_quarantined + rows_duplicate"
        ).fetchone()[0]
    finally:
        con.close()
    assert unbalanced == 0
    assert not list(warehouse.parent.glob(".*.tmp")), "no half-written warehouse is left behind"


@pytest.mark.usefixtures("prefect_harness")
def test_three_kills_then_a_complete_run_publish_the_same_marts(demo_run, small_world, tmp_path):
    _assert_recovers(demo_run, small_world, tmp_path, kills=3, seed=20261125)


@pytest.mark.slow
@pytest.mark.usefixtures("prefect_harness")
def test_ten_kills_then_a_complete_run_publish_the_same_marts(demo_run, small_world, tmp_path):
    _assert_recovers(demo_run, small_world, tmp_path, kills=10, seed=7)
