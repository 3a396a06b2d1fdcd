"""A source that is down for a while is retried; one that stays down fails its branch while the others publish."""

from __future__ import annotations

import shutil
import threading
import time

import duckdb
import pytest

from flows.ingest import binding
from tests.conftest import world_settings

pytestmark = pytest.mark.usefixtures("prefect_harness")


def test_a_police_database_back_after_an_outage_is_read_on_retry(tiny_world, tmp_path):
    from flows.pipeline import pipeline

    late_db = tmp_path / "police-late.db"  # unreachable when the run starts (an outage of a bound database)
    settings = world_settings(
        tiny_world,
        police_url=f"sqlite:///{late_db}",
        work_dir=tmp_path / "work",
        warehouse=tmp_path / "wh" / "fraudbrain.duckdb",
        source_retries=4,
        source_retry_delay_s=0.5,
    )
    shutil.copy(tiny_world["police_db"], late_db)  # the work directory was bound while it was there
    binding.ensure_bound(settings, ["police"])
    late_db.unlink()
    restore = threading.Timer(1.0, shutil.copy, [tiny_world["police_db"], late_db])
    restore.start()
    try:
        summary = pipeline(settings, sources=["police"])
    finally:
        restore.cancel()
    assert summary.status == "success", summary.message
    assert summary.failed_sources == {}
    assert summary.ledger["loaded"] > 0


def test_a_source_down_for_good_fails_its_branch_while_the_others_publish(tiny_world, tmp_path):
    from flows.pipeline import pipeline

    settings = world_settings(
        tiny_world,
        police_url=f"sqlite:///{tmp_path / 'nowhere' / 'police.db'}",
        work_dir=tmp_path / "work",
        warehouse=tmp_path / "wh" / "fraudbrain.duckdb",
        source_retries=1,
        source_retry_delay_s=0.1,
    )
    down = tmp_path / "nowhere" / "police.db"
    down.parent.mkdir()
    shutil.copy(tiny_world["police_db"], down)  # the work directory was bound while it was there
    binding.ensure_bound(settings, ["telecom", "finance", "police"])
    down.unlink()
    started = time.monotonic()
    summary = pipeline(settings)
    assert summary.status == "partial"
    assert set(summary.failed_sources) == {"police"}
    assert "police" in summary.message
    con = duckdb.connect(str(settings.warehouse), read_only=True)
    try:
        sources = {r[0] for r in con.execute("select distinct source from audit.load_ledger").fetchall()}
    finally:
        con.close()
    assert sources == {"telecom", "finance"}, "the file sources were loaded and published"
    assert time.monotonic() - started < 600
