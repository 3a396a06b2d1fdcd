"""Backfill and repair: a date range of file batches is taken again from the landing zone, ledger balanced."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from datetime import date
from pathlib import Path

import duckdb
import pytest

from flows.ingest import ledger
from flows.ingest.extract.files import load_file_batch, pending_batches
from flows.ingest.validate import open_context
from flows.operations.backfill import BadRange, check_range, file_sources, withdraw
from flows.settings import Settings
from tests.conftest import E2E_KEY, E2E_VAULT_KEY, REPO
from tests.fixtures_landing import CDR_COLS, SUB_COLS, cdr_row, csv_bytes, subscriber_row, write_batch

DAYS = ("2026-05-10", "2026-05-11", "2026-05-12")


@pytest.fixture(autouse=True)
def _quiet_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("GX_ANALYTICS_ENABLED", "false")


@pytest.fixture
def env(tmp_path: Path):
    settings = Settings(landing=str(tmp_path / "landing"), work_dir=tmp_path / "work")
    con = duckdb.connect(":memory:")
    ledger.ensure_schema(con)
    yield settings, con
    con.close()


def telecom(
    settings: Settings, batch: str, calls: list[list], delivery_id: str | None = None, cols: tuple = CDR_COLS
) -> str:
    files = {
        "cdr.csv.gz": csv_bytes(list(cols), calls, gz=True),
        "subscribers.csv": csv_bytes(SUB_COLS, [subscriber_row()]),
    }
    return write_batch(settings.landing, "telecom", batch, files, delivery_id=delivery_id)


def calls(batch: str, n: int = 2, bad: int = 0) -> list[list]:
    """``n`` good calls of that day and ``bad`` with a negative duration (quarantined)."""
    good = [cdr_row(f"{batch}-c{i}", start=f"{batch} 10:00:0{i}") for i in range(n)]
    return good + [cdr_row(f"{batch}-bad{i}", start=f"{batch} 11:00:00", duration="-1") for i in range(bad)]


def take(con, settings: Settings, run_id: str) -> list[str]:
    ctx = open_context(settings)
    return [load_file_batch(con, settings, b, run_id, ctx).status for b in pending_batches(con, settings, "telecom")]


def loaded_world(env) -> tuple[Settings, duckdb.DuckDBPyConnection]:
    settings, con = env
    for day in DAYS:
        telecom(settings, day, calls(day, bad=1))
    assert take(con, settings, "r1") == ["loaded"] * 3
    return settings, con


def ledger_by(con, *where: str) -> list[tuple]:
    clause = " and ".join(where) or "true"
    return con.execute(
        f"select batch, status, sum(rows_read), sum(rows_loaded), sum(rows_quarantined) from audit.load_ledger "
        f"where table_name = 'cdr' and {clause} group by all order by all"
    ).fetchall()


def test_a_range_is_taken_again_and_earlier_loads_become_replaced(env) -> None:
    settings, con = loaded_world(env)
    got = withdraw(con, settings, "telecom", date(2026, 5, 11), date(2026, 5, 12), "bf1")
    assert got.batches == ["2026-05-11", "2026-05-12"] and got.not_landed == []
    assert [b.batch for b in pending_batches(con, settings, "telecom")] == ["2026-05-11", "2026-05-12"]
    assert con.execute("select count(distinct _batch) from raw.telecom__cdr").fetchone()[0] == 1, "rows withdrawn"
    assert ledger.check_invariants(con) == [], "balanced between withdrawal and reload"

    assert take(con, settings, "bf1") == ["loaded", "loaded"]
    assert ledger.check_invariants(con) == []
    assert con.execute("select count(*) from raw.telecom__cdr").fetchone()[0] == 6
    assert con.execute("select count(*) from quarantine.rows where _table = 'cdr'").fetchone()[0] == 3, "not twice"
    assert ledger_by(con, "status = 'replaced'") == [
        ("2026-05-11", "replaced", 3, 2, 1),
        ("2026-05-12", "replaced", 3, 2, 1),
    ]
    assert ledger_by(con, "status = 'loaded'") == [
        ("2026-05-10", "loaded", 3, 2, 1),
        ("2026-05-11", "loaded", 3, 2, 1),
        ("2026-05-12", "loaded", 3, 2, 1),
    ]
    assert pending_batches(con, settings, "telecom") == []


def test_files_resent_under_the_same_delivery_id_are_taken_only_by_a_backfill(env) -> None:
    settings, con = loaded_world(env)
    telecom(settings, "2026-05-11", calls("2026-05-11", n=4))  # fixed files, same delivery id
    assert pending_batches(con, settings, "telecom") == [], "a normal run does not see them"
    withdraw(con, settings, "telecom", date(2026, 5, 11), date(2026, 5, 11), "bf1")
    assert take(con, settings, "bf1") == ["loaded"]
    per_batch = dict(con.execute("select _batch, count(*) from raw.telecom__cdr group by 1").fetchall())
    assert per_batch == {"2026-05-10": 2, "2026-05-11": 4, "2026-05-12": 2}
    assert ledger.check_invariants(con) == []


def test_a_batch_resent_under_a_new_delivery_id_supersedes_the_old_record(env) -> None:
    settings, con = loaded_world(env)
    telecom(settings, "2026-05-12", calls("2026-05-12", n=3), delivery_id="telecom-2026-05-12-d2")
    withdraw(con, settings, "telecom", date(2026, 5, 12), date(2026, 5, 12), "bf1")
    assert take(con, settings, "bf1") == ["loaded"]
    states = con.execute(
        "select delivery_id, status from audit.batches where batch = '2026-05-12' order by 1"
    ).fetchall()
    assert states == [("telecom-2026-05-12-d1", "replaced"), ("telecom-2026-05-12-d2", "loaded")]
    assert pending_batches(con, settings, "telecom") == []
    assert ledger.check_invariants(con) == []


def test_a_batch_gone_from_the_landing_zone_is_kept_not_withdrawn(env) -> None:
    settings, con = loaded_world(env)
    shutil.rmtree(Path(settings.landing) / "telecom" / "batch=2026-05-10")
    got = withdraw(con, settings, "telecom", date(2026, 5, 1), date(2026, 5, 10), "bf1")
    assert got.batches == [] and got.not_landed == ["2026-05-10"]
    assert con.execute("select count(*) from raw.telecom__cdr where _batch = '2026-05-10'").fetchone()[0] == 2
    assert "kept" in got.describe()


def test_a_held_batch_in_the_range_is_taken_again(env) -> None:
    settings, con = env
    drifted = ("call_id", "caller", "callee", "begin_time", "duration_s", "cell_id", "imei")
    telecom(settings, "2026-05-10", calls("2026-05-10"), cols=drifted)  # schema drift: held
    assert take(con, settings, "r1") == ["held"]
    telecom(settings, "2026-05-10", calls("2026-05-10", n=4))  # the source fixed it, same delivery id
    withdraw(con, settings, "telecom", date(2026, 5, 10), date(2026, 5, 10), "bf1")
    assert take(con, settings, "bf1") == ["loaded"]
    statuses = {r[1] for r in ledger_by(con)}
    assert statuses == {"replaced", "loaded"}, "the held rows are history now"
    assert ledger.check_invariants(con) == []


def test_a_range_reaching_into_a_purged_period_is_refused_and_nothing_changes(env) -> None:
    from flows import workdb

    settings, con = loaded_world(env)
    workdb.ensure_schemas(con)
    con.execute("insert into audit.purges values ('p1', now(), '2026-05-11', 365, 'raw', 'telecom__cdr', 1, 1)")
    with pytest.raises(BadRange, match="purged period"):
        withdraw(con, settings, "telecom", date(2026, 5, 10), date(2026, 5, 12), "bf1")
    assert pending_batches(con, settings, "telecom") == []
    got = withdraw(con, settings, "telecom", date(2026, 5, 11), date(2026, 5, 12), "bf2")
    assert got.batches == ["2026-05-11", "2026-05-12"], "after the cutoff a backfill still works"


def test_a_range_must_be_ordered_and_name_file_sources() -> None:
    with pytest.raises(BadRange):
        check_range(date(2026, 5, 2), date(2026, 5, 1))
    with pytest.raises(BadRange):
        file_sources("police")
    assert file_sources("all") == ["telecom", "finance"]


# ---- through the flow, on the tiny world -------------------------------------------------------------
def first_loaded(world: dict, tmp_path: Path) -> tuple[Settings, str, int]:
    """The world's batches and police rows loaded by the extract step alone: (settings, last day, loaded rows)."""
    from flows.ingest.extract import police

    settings = Settings(
        landing=world["landing"],
        police_url=world["police_url"],
        work_dir=tmp_path / "work",
        warehouse=tmp_path / "wh" / "fraudbrain.duckdb",
        pii_key=E2E_KEY,
        vault_key=E2E_VAULT_KEY,
    )
    settings.work_dir.mkdir(parents=True)
    with duckdb.connect(str(settings.work_db)) as con:
        ledger.ensure_schema(con)
        ctx = open_context(settings)
        for source in ("telecom", "finance"):
            for b in pending_batches(con, settings, source):
                load_file_batch(con, settings, b, "first-load", ctx)
        police.load_police(con, settings, "first-load")
        day = con.execute("select max(batch) from audit.batches").fetchone()[0]
        loaded = con.execute("select count(*) from audit.load_ledger where status = 'loaded'").fetchone()[0]
    return settings, day, loaded


@pytest.mark.usefixtures("prefect_harness")
def test_the_flow_withdraws_retakes_and_rebuilds_from_scratch(tiny_world, tmp_path, monkeypatch) -> None:
    """The backfill run's wiring, without dbt: withdrawal task, the same extraction, a from-scratch build."""
    from flows import pipeline as flow_module
    from flows import progress

    settings, day, before = first_loaded(tiny_world, tmp_path)
    builds: list[bool] = []

    def fake_build(settings, run_id, summary, full_refresh) -> None:  # stands in for dbt + publish
        builds.append(full_refresh)
        summary.status = "success"

    monkeypatch.setattr(flow_module, "_build_and_publish", fake_build)
    seen: list[str] = []
    with progress.listening(lambda what, done, total: seen.append(what)):
        summary = flow_module.pipeline(
            settings, sources=["telecom", "finance"], backfill=(date.fromisoformat(day),) * 2
        )
    assert summary.status == "success", summary.message
    assert builds == [True], "a backfill rebuilds from scratch"
    assert summary.withdrawn == ["telecom: 1 batch(es) to take again", "finance: 1 batch(es) to take again"]
    assert sorted(summary.batches) == [f"finance {day}: loaded", f"telecom {day}: loaded"]
    with duckdb.connect(str(settings.work_db), read_only=True) as con:
        assert ledger.check_invariants(con) == []
        replaced = con.execute(
            "select distinct source, batch from audit.load_ledger where status = 'replaced' order by 1"
        ).fetchall()
        assert replaced == [("finance", day), ("telecom", day)]
        assert con.execute("select count(*) from audit.load_ledger where status = 'loaded'").fetchone()[0] == before
    assert {"backfill", "extract telecom", "extract finance"} <= set(seen)


@pytest.mark.slow
def test_backfill_command_retakes_a_day_rebuilds_and_publishes(tiny_world, tmp_path) -> None:
    """`fraudbrain backfill` end to end: validation, dbt from scratch, a published warehouse whose ledger balances.

    Run as the command itself, in its own process: a flow run inside typer's CliRunner binds Prefect's console
    log handler to the runner's stderr, which is closed afterwards, and breaks every later flow of the session.
    """
    settings, day, before = first_loaded(tiny_world, tmp_path)
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith(("PREFECT_", "FRAUDBRAIN_"))},
        "PREFECT_HOME": str(tmp_path / "prefect"),
        "PREFECT_SERVER_ANALYTICS_ENABLED": "false",
        "DBT_SEND_ANONYMOUS_USAGE_STATS": "false",
        "GX_ANALYTICS_ENABLED": "false",
        "FRAUDBRAIN_LANDING": settings.landing,
        "FRAUDBRAIN_WORK_DIR": str(settings.work_dir),
        "FRAUDBRAIN_WAREHOUSE": str(settings.warehouse),
        "FRAUDBRAIN_PII_KEY": E2E_KEY,
        "FRAUDBRAIN_VAULT_KEY": E2E_VAULT_KEY,
    }
    cmd = [sys.executable, "-m", "flows.cli", "backfill", "--source", "all", "--from", day, "--to", day]
    proc = subprocess.run([*cmd, "--no-progress"], env=env, capture_output=True, text=True, timeout=1200, cwd=REPO)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    with duckdb.connect(str(settings.warehouse), read_only=True) as wh:
        replaced = wh.execute(
            "select distinct source, batch from audit.load_ledger where status = 'replaced' order by 1"
        ).fetchall()
        assert replaced == [("finance", day), ("telecom", day)]
        loaded = wh.execute("select count(*) from audit.load_ledger where status = 'loaded'").fetchone()[0]
        assert loaded == before, "each withdrawn file loaded again once"
        unbalanced = wh.execute(
            "select count(*) from audit.load_ledger where rows_read <> rows_loaded + rows_quarantined + rows_duplicate"
        ).fetchone()[0]
        assert unbalanced == 0
        assert wh.execute("select count(*) from marts.fct_calls").fetchone()[0] > 0
    with duckdb.connect(str(settings.work_db), read_only=True) as con:
        assert ledger.check_invariants(con) == []
