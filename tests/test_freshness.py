"""Freshness: a silent source or a missing day raises an alert (log line, status, Prefect event, automation)."""

from __future__ import annotations

import json
import logging
from datetime import datetime, timedelta
from pathlib import Path

import duckdb
import pytest
from typer.testing import CliRunner

from flows import workdb
from flows.ingest import ledger
from flows.operations import freshness
from flows.settings import Settings

NOW = datetime(2026, 5, 20, 12, 0)


# ---- the rules -----------------------------------------------------------------------------------------
def test_missing_days_are_the_holes_between_the_first_and_last_batch() -> None:
    assert freshness.missing_days(["2026-05-01", "2026-05-04", "2026-05-02"]) == ["2026-05-03"]
    assert freshness.missing_days(["2026-05-01", "2026-05-01"]) == []
    assert freshness.missing_days([]) == []


def test_a_source_is_silent_after_its_expected_arrival_or_if_it_never_delivered() -> None:
    assert not freshness.is_silent(NOW - timedelta(hours=29), NOW, 30)
    assert freshness.is_silent(NOW - timedelta(hours=31), NOW, 30)
    assert freshness.is_silent(None, NOW, 30)


def test_judge_names_the_source_its_limit_and_the_missing_days() -> None:
    alerts = freshness.judge("telecom", NOW - timedelta(hours=40), ["2026-05-17", "2026-05-19"], NOW, 30)
    assert [a.kind for a in alerts] == [freshness.STALE, freshness.MISSING_DAY]
    assert alerts[0].message == "no new telecom data for more than 30 h (last arrival: 2026-05-18 20:00)"
    assert alerts[1].missing_days == ("2026-05-18",)
    assert freshness.judge("finance", NOW, ["2026-05-19"], NOW, 30) == []
    assert freshness.judge("police", None, [], NOW, None) == [], "a source without a limit is not watched"


# ---- from the audit tables -----------------------------------------------------------------------------
def _audit(con: duckdb.DuckDBPyConnection) -> None:
    """telecom: fresh but 05-18 missing; finance: silent for two days; police: new rows an hour ago."""
    workdb.ensure_schemas(con)
    batches = [
        ("telecom", "2026-05-17", NOW - timedelta(hours=50)),
        ("telecom", "2026-05-19", NOW - timedelta(hours=2)),
        ("finance", "2026-05-17", NOW - timedelta(hours=50)),
        ("finance", "2026-05-18", NOW - timedelta(hours=48)),
    ]
    for source, batch, seen in batches:
        con.execute(
            "insert into audit.batches values (?, ?, ?, 'delta', 'loaded', '', '', 'r1', ?, ?)",
            [source, batch, f"{source}-{batch}", seen, seen],
        )
        con.execute(
            "insert into audit.load_ledger values ('r1', ?, 't', ?, ?, 'f', 10, 9, 1, 0, 'loaded', '', ?)",
            [source, batch, f"{source}-{batch}", seen],
        )
    con.execute(
        "insert into audit.load_ledger values ('r2', 'police', 'cases', '2026-05-20 10:00:00', 'p1', 'cases', "
        "5, 5, 0, 0, 'loaded', '', ?)",
        [NOW - timedelta(hours=1)],
    )
    con.execute("insert into audit.runs values ('r2', ?, ?, 'success', null, null)", [NOW, NOW])


def test_check_reads_arrivals_and_batch_dates_from_the_audit_tables() -> None:
    con = duckdb.connect(":memory:")
    _audit(con)
    alerts = freshness.check(con, Settings(), NOW)
    assert {(a.source, a.kind) for a in alerts} == {("telecom", "missing-day"), ("finance", "stale")}


@pytest.mark.usefixtures("prefect_harness")  # the events worker talks to an API: the session's, not its own
def test_warnings_are_logged_and_events_carry_no_personal_data(caplog, monkeypatch) -> None:
    from prefect.events.clients import AssertingEventsClient
    from prefect.events.worker import EventsWorker

    alerts = freshness.judge("finance", NOW - timedelta(hours=48), ["2026-05-16", "2026-05-18"], NOW, 30)
    with caplog.at_level(logging.WARNING, logger="fraudbrain.freshness"):
        freshness.warn(alerts)
    assert [r.levelname for r in caplog.records] == ["WARNING", "WARNING"]
    assert "ALERT freshness finance stale" in caplog.records[0].getMessage()

    AssertingEventsClient.reset()
    worker = EventsWorker.instance(AssertingEventsClient)
    monkeypatch.setattr(EventsWorker, "instance", lambda *_: worker)
    try:
        assert freshness.emit(alerts) == 2
    finally:
        worker.drain()
    sent = [e for client in AssertingEventsClient.all for e in client.events]
    events = [e for e in sent if e.event.startswith("fraudbrain.")]
    assert [e.event for e in events] == ["fraudbrain.source.stale", "fraudbrain.source.missing-day"]
    assert {e.resource.id for e in events} == {"fraudbrain.source.finance"}
    assert events[1].payload["missing_days"] == ["2026-05-17"]
    assert set(events[0].payload) == {"source", "kind", "message", "last_arrival", "limit_hours", "missing_days"}


# ---- fraudbrain status ---------------------------------------------------------------------------------
def test_status_shows_freshness_per_source_and_as_json(tmp_path: Path, monkeypatch) -> None:
    from flows.cli import app
    from flows.operations import status

    settings = Settings(work_dir=tmp_path / "work", warehouse=tmp_path / "wh.duckdb")
    with workdb.connect(settings) as con:
        _audit(con)
        ledger.record_batch(
            con,
            source="telecom",
            batch="2026-05-16",
            delivery_id="d-held",
            kind="delta",
            status="held",
            message="schema drift",
            manifest_sha256="",
            run_id="r1",
        )
    st = status.collect(settings, NOW)
    by = {s.source: s for s in st.sources}
    assert by["telecom"].freshness == "missing days" and by["telecom"].missing_days == ["2026-05-18"]
    assert by["finance"].freshness == "stale"
    assert by["police"].freshness == "fresh" and by["police"].last_run["status"] == "success"
    assert by["telecom"].last_batch == "2026-05-19" and len(by["telecom"].held) == 1
    assert by["telecom"].totals["loaded"] == 18

    monkeypatch.setenv("FRAUDBRAIN_WORK_DIR", str(settings.work_dir))
    result = CliRunner().invoke(app, ["status", "--json"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    assert [s["source"] for s in data["sources"]] == ["telecom", "finance", "police"]
    assert any("held or refused telecom batch 2026-05-16" in a for a in data["alerts"])


# ---- the Prefect automation created by `fraudbrain serve` -------------------------------------------------
@pytest.mark.usefixtures("prefect_harness")
def test_serve_creates_the_freshness_automation_once_and_wires_a_notification_block() -> None:
    from prefect.automations import Automation
    from prefect.blocks.notifications import CustomWebhookNotificationBlock
    from prefect.client.orchestration import get_client

    from flows.operations.deployments import AUTOMATION, NoNotificationBlock, ensure_freshness_automation

    first = ensure_freshness_automation(Settings())
    again = ensure_freshness_automation(Settings())
    assert first.id == again.id
    with get_client(sync_client=True) as client:
        assert len(client.read_automations_by_name(AUTOMATION)) == 1
    stored = Automation.read(name=AUTOMATION)
    assert stored.actions[0].type == "do-nothing"
    assert stored.trigger.expect == {"fraudbrain.source.*"}

    block = CustomWebhookNotificationBlock(
        name="fraudbrain", url="http://127.0.0.1:9/alert", json_data={"t": "{{body}}"}
    )
    block_id = block.save("fraudbrain-alerts", overwrite=True)
    ensure_freshness_automation(Settings(alert_block="custom-webhook/fraudbrain-alerts"))
    stored = Automation.read(name=AUTOMATION)
    assert stored.id == first.id
    assert stored.actions[0].type == "send-notification" and stored.actions[0].block_document_id == block_id

    with pytest.raises(NoNotificationBlock):
        ensure_freshness_automation(Settings(alert_block="custom-webhook/no-such-block"))


def test_the_run_summary_artifact_lists_backfill_and_freshness_alerts() -> None:
    from flows.pipeline import RunSummary
    from flows.publish.report import summary_markdown

    summary = RunSummary("r1", status="success", withdrawn=["telecom: 2 batch(es) to take again"])
    summary.alerts = ["no new finance data for more than 30 h (last arrival: never)"]
    text = summary_markdown(summary, Settings(), [], [])
    assert "**Backfill:** telecom: 2 batch(es) to take again" in text
    assert "## Freshness alerts: 1" in text and "- no new finance data for more than 30 h" in text


def test_the_run_summary_links_the_stable_docs_path_not_this_runs_folder(tmp_path) -> None:
    """Publish swaps `<stem>_docs` (a link) to a folder per run and deletes older ones: an artifact that named
    this run's folder would point at nothing after the next run."""
    from flows.publish.report import RunSummary, summary_markdown

    settings = Settings(warehouse=tmp_path / "wh" / "fraudbrain.duckdb")
    run_folder = tmp_path / "wh" / ".fraudbrain_docs.r1"
    (run_folder / "data_docs").mkdir(parents=True)
    (tmp_path / "wh" / "fraudbrain_docs").symlink_to(run_folder.name)
    text = summary_markdown(RunSummary("r1", status="success"), settings, [], [])
    assert f"file://{tmp_path}/wh/fraudbrain_docs/data_docs/index.html" in text
    assert ".fraudbrain_docs.r1" not in text
