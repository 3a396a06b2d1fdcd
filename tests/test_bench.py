"""The benchmark's smoke mode end to end: every stage measured, the baseline loads what the pipeline reads.

No timing threshold here: speed goals are ratios reported by `python -m bench.run` (bench/RESULTS.md).
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from bench import run as bench_run
from bench.stages import STAGES

pytestmark = pytest.mark.slow  # a real simulate + pipeline run: minutes, most of it dbt start-up


@pytest.fixture(scope="module")
def smoke(tmp_path_factory: pytest.TempPathFactory) -> dict:
    tmp = tmp_path_factory.mktemp("bench")
    out = tmp / "latest.json"
    bench_run.main(["--smoke", "--out", str(out), "--work", str(tmp / "work"), "--results-md", str(tmp / "R.md")])
    return {"json": json.loads(out.read_text(encoding="utf-8")), "dir": tmp}


def test_every_stage_is_measured_with_positive_times(smoke: dict) -> None:
    (scale,) = smoke["json"]["scales"]
    assert scale["simulate"]["wall_s"] > 0
    assert scale["baseline"]["seconds"] > 0
    assert set(scale["pipeline"]["stages_s"]) == set(STAGES)
    assert all(scale["pipeline"]["stages_s"][s] > 0 for s in STAGES)
    assert scale["pipeline"]["status"] == "success"
    assert scale["pipeline"]["peak_tree_rss_mb"] > 0


def test_baseline_loads_the_rows_the_pipeline_reads(smoke: dict) -> None:
    (scale,) = smoke["json"]["scales"]
    read = {k: v for k, v in scale["pipeline"]["rows_read_by_table"].items() if v}
    loaded = {k: v for k, v in scale["baseline"]["rows_by_table"].items() if v}
    delivered = {k: v for k, v in scale["rows_delivered_by_table"].items() if v}
    assert read, "the pipeline read nothing"
    assert loaded == read == delivered
    assert scale["baseline"]["rows"] == scale["pipeline"]["rows_read"] > 0
    assert scale["rows_match"] is True


def test_outputs_are_written(smoke: dict) -> None:
    data = smoke["json"]
    assert {g["goal"] for g in data["goals"]} and data["machine"]["nproc"]
    assert (smoke["dir"] / "R.md").read_text(encoding="utf-8").startswith("# fraudbrain benchmark results")
    assert any(Path(smoke["dir"]).glob("latest.*g"))  # latest.png or latest.svg
    assert not any((smoke["dir"] / "work").iterdir())  # scratch worlds removed
