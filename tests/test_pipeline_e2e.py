"""The demo path end to end on a small simulated world: simulate → run → published warehouse → rerun."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import duckdb
import pytest

from flows.publish.warehouse import content_hashes

pytestmark = pytest.mark.usefixtures("prefect_harness")


@pytest.fixture(scope="module")
def first_run(demo_run):
    return demo_run


@pytest.fixture(scope="module")
def world(small_world):
    return small_world


def test_first_run_publishes_marts_and_a_balanced_ledger(first_run):
    settings, summary = first_run
    assert summary.status == "success"
    assert summary.built
    con = duckdb.connect(str(settings.warehouse), read_only=True)
    try:
        schemas = {r[0] for r in con.execute("select distinct table_schema from information_schema.tables").fetchall()}
        assert schemas == {"marts", "audit"}, "the published file holds only marts and audit"
        assert con.execute("select count(*) from marts.fct_cases").fetchone()[0] > 0
        unbalanced = con.execute(
            "select count(*) from audit.load_ledger where rows_read <> rows_loaded + rows_quarantined + rows_duplicate"
        ).fetchone()[0]
        assert unbalanced == 0
        sources = {
            r[0] for r in con.execute("select distinct source from audit.load_ledger where rows_loaded > 0").fetchall()
        }
        assert sources == {"telecom", "finance", "police"}
    finally:
        con.close()
    assert (settings.data_docs_dir / "index.html").exists()
    assert (settings.dbt_docs_dir / "index.html").exists()


def test_second_run_loads_nothing_and_leaves_marts_unchanged(first_run):
    from flows.pipeline import pipeline

    settings, _ = first_run
    before = content_hashes(settings.warehouse)
    summary = pipeline(settings)
    assert summary.status == "success"
    assert summary.ledger.get("loaded", 0) == 0
    assert content_hashes(settings.warehouse) == before


def test_rebuild_from_scratch_publishes_the_same_marts(first_run):
    from flows.pipeline import pipeline

    settings, _ = first_run
    before = content_hashes(settings.warehouse)
    summary = pipeline(settings, full_refresh=True)
    assert summary.built
    assert content_hashes(settings.warehouse) == before


def test_nothing_published_holds_a_clear_identifier(first_run, world, tmp_path):
    """The leak scanner over everything a run publishes: warehouse, Data Docs, dbt docs, portal, the run's
    log and its Prefect artifacts; names are the simulated residents'."""
    from prefect.client.orchestration import get_client
    from prefect.client.schemas.filters import ArtifactFilter, ArtifactFilterKey

    from flows.privacy.scan import load_names, scan_path

    settings, summary = first_run
    names = load_names(world["police_url"])
    assert len(names.people) > 100
    with get_client(sync_client=True) as client:
        artifacts = client.read_artifacts(
            artifact_filter=ArtifactFilter(
                key=ArtifactFilterKey(any_=["fraudbrain-run-summary", "fraudbrain-data-quality"])
            )
        )
    assert {a.key for a in artifacts} >= {"fraudbrain-run-summary"}
    dump = tmp_path / "artifacts.json"
    dump.write_text("\n".join(str(a.data) for a in artifacts), encoding="utf-8")
    findings = [str(f) for path in (settings.warehouse.parent, summary.log_file, dump) for f in scan_path(path, names)]
    assert findings == []


def test_the_run_log_names_every_task_and_batch(first_run):
    """An engineer reading `<work>/logs/run-<id>.log` sees which task and which batch each line is about."""
    _, summary = first_run
    log = summary.log_file.read_text(encoding="utf-8")
    finished = [line for line in log.splitlines() if "Finished in state" in line]
    assert finished and all(" [" in line for line in finished), "every task's closing line names the task"
    for task in ("[extract telecom 20", "[extract finance 20", "[extract police]", "[dbt staging]", "[publish]"):
        assert task in log, task


def test_run_without_a_key_stops_with_a_clear_error(world, tmp_path):
    env = {"PATH": "/usr/bin:/bin", "FRAUDBRAIN_WORK_DIR": str(tmp_path / "work"), "HOME": str(tmp_path)}
    proc = subprocess.run(
        [sys.executable, "-m", "flows.cli", "run", "--landing", world["landing"]],
        env=env,
        capture_output=True,
        text=True,
        cwd=Path(__file__).resolve().parents[1],
    )
    assert proc.returncode == 2
    assert "FRAUDBRAIN_PII_KEY is not set" in proc.stderr
    assert not (tmp_path / "work" / "work.duckdb").exists(), "nothing is read before the key is checked"


def test_query_is_read_only_and_cannot_read_files(first_run):
    from flows.analyst.query import QueryRefused, run_query

    settings, _ = first_run
    cols, rows = run_query(settings.warehouse, "select count(*) as n from marts.fct_cases")
    assert cols == ["n"] and rows[0][0] > 0
    for sql in (
        "create table marts.x (a int)",
        "delete from audit.load_ledger",
        "select * from read_csv('/etc/passwd')",
    ):
        with pytest.raises(QueryRefused):
            run_query(settings.warehouse, sql)


def test_trace_prints_the_money_path_of_a_case_from_the_published_warehouse(first_run):
    import json

    from flows.analyst.trace import trace_case

    settings, _ = first_run
    con = duckdb.connect(str(settings.warehouse), read_only=True)
    try:
        case_no, hops = con.execute(
            "select case_no, max(hop) from marts.case_money_paths group by 1 order by 2 desc, 1 limit 1"
        ).fetchone()
    finally:
        con.close()
    result = trace_case(settings.warehouse, case_no)
    assert result.roots and all(root.hop == 1 for root in result.roots)

    def depth(node) -> int:
        return 1 + max((depth(child) for child in node.children), default=0)

    assert max(depth(root) for root in result.roots) == hops, "the tree reaches the deepest hop the mart holds"
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "flows.cli",
            "trace",
            case_no,
            "--warehouse",
            str(settings.warehouse),
            "--format",
            "json",
        ],
        capture_output=True,
        text=True,
        cwd=Path(__file__).resolve().parents[1],
    )
    assert proc.returncode == 0, proc.stderr
    assert json.loads(proc.stdout)["case"]["case_no"] == case_no
