"""Load: days arriving as successive runs publish the same marts as one run over them all.

Two copies of one tiny world (same seed and scale): one delivered a day at a time with a pipeline run after
each day, the other delivered whole and run once. Every mart must be equal by content hash, and both
ledgers must balance. Six pipeline runs: marked slow (`make test-slow`).
"""

from __future__ import annotations

import time
from datetime import date
from pathlib import Path

import pytest

from flows import workdb
from flows.ingest import ledger
from flows.publish.warehouse import content_hashes
from tests.conftest import world_settings

START, DAYS, SCALE, SEED = date(2026, 5, 1), 5, 0.02, 3


def _world(root: Path) -> dict:
    root.mkdir(parents=True)
    return {
        "root": root,
        "landing": str(root / "landing"),
        "police_url": f"sqlite:///{root / 'police.db'}",
        "truth": root / "truth",
    }


def _simulate(world: dict, *, days: int, first: bool) -> None:
    import simulator

    start = START if first else None  # None: continue after the last simulated day
    simulator.simulate(
        world["landing"], world["police_url"], world["truth"], start=start, days=days, scale=SCALE, seed=SEED
    )


def _balanced(settings) -> list[str]:
    with workdb.connect(settings) as con:
        return ledger.check_invariants(con)


@pytest.mark.slow
def test_five_days_as_five_runs_publish_the_same_marts_as_one_run(prefect_harness, tmp_path):
    from flows.pipeline import pipeline

    t0 = time.perf_counter()
    whole, daily = _world(tmp_path / "whole"), _world(tmp_path / "daily")
    _simulate(whole, days=DAYS, first=True)
    whole_settings = world_settings(whole)
    assert pipeline(whole_settings).status == "success"

    daily_settings = world_settings(daily)
    for day in range(DAYS):
        _simulate(daily, days=1, first=day == 0)
        summary = pipeline(daily_settings)
        assert summary.status == "success", summary.message

    assert _balanced(whole_settings) == [] and _balanced(daily_settings) == []
    one_run, day_runs = content_hashes(whole_settings.warehouse), content_hashes(daily_settings.warehouse)
    assert one_run.keys() == day_runs.keys()
    assert [t for t in one_run if one_run[t] != day_runs[t]] == []
    print(f"five days as runs vs one run: {time.perf_counter() - t0:.0f} s")
