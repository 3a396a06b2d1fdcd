"""Bad usage gets one line with the right words and a non-zero exit: never a traceback, never a silent success."""

from __future__ import annotations

import csv
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import duckdb
import pytest
from typer.testing import CliRunner

from flows.cli import app

REPO = Path(__file__).resolve().parents[1]


def _cli(*args: str, env: dict | None = None):
    return CliRunner().invoke(app, list(args), env=env, catch_exceptions=False)


def _one_line(res) -> str:
    lines = res.stderr.strip().splitlines()
    assert len(lines) == 1, res.stderr
    assert "Traceback" not in res.output
    return lines[0]


# ---- simulate ---------------------------------------------------------------------------------------------
def _simulate(root: Path, *extra: str):
    return _cli(
        "simulate",
        "--landing",
        str(root / "landing"),
        "--police-url",
        f"sqlite:///{root / 'police.db'}",
        "--truth",
        str(root / "truth"),
        "--days",
        "1",
        "--scale",
        "0.01",
        "--no-progress",
        *extra,
    )


def test_simulate_prints_a_table_and_refuses_another_seed_or_an_earlier_start(tmp_path):
    res = _simulate(tmp_path, "--seed", "3")
    assert res.exit_code == 0, res.output
    assert "SimSummary(" not in res.stdout and "simulated 1 days" in res.stdout and "telecom/cdr.csv.gz" in res.stdout
    res = _simulate(tmp_path, "--seed", "7")
    assert res.exit_code == 2
    assert "holds a world of seed 3" in _one_line(res)
    res = _simulate(tmp_path, "--seed", "3", "--start", "2026-05-01")
    assert res.exit_code == 2
    assert "it continues on 2026-05-02" in _one_line(res)
    state = json.loads((tmp_path / "truth" / "world.json").read_text(encoding="utf-8"))
    assert state["last_day"] == "2026-05-01", "the world's last day is left as it was"


# ---- reveal -----------------------------------------------------------------------------------------------
def test_reveal_says_the_rule_of_the_reason(tmp_path):
    res = _cli("reveal", "0" * 32, "--reason", "test", "--work-dir", str(tmp_path), "--demo")
    assert res.exit_code == 2
    assert "5 characters" in _one_line(res)


# ---- serve and status -------------------------------------------------------------------------------------
def test_serve_without_keys_exits_before_registering_anything(tmp_path):
    env = {
        "PATH": os.environ["PATH"],
        "HOME": str(tmp_path),
        "PREFECT_HOME": str(tmp_path / "prefect"),
        "PREFECT_API_URL": "http://127.0.0.1:9/api",  # nothing listens: any registration would fail loudly
        "FRAUDBRAIN_WORK_DIR": str(tmp_path / "work"),
    }
    proc = subprocess.run(
        [sys.executable, "-m", "flows.cli", "serve"], env=env, capture_output=True, text=True, cwd=REPO, timeout=120
    )
    assert proc.returncode == 2, proc.stderr[-2000:]
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1 and "FRAUDBRAIN_PII_KEY is not set" in lines[0] and "FRAUDBRAIN_DEMO=true" in lines[0]
    env["FRAUDBRAIN_PII_KEY"] = "a-pii-key-for-this-test"
    proc = subprocess.run(
        [sys.executable, "-m", "flows.cli", "serve"], env=env, capture_output=True, text=True, cwd=REPO, timeout=120
    )
    assert proc.returncode == 2 and "FRAUDBRAIN_VAULT_KEY is not set" in proc.stderr


def test_status_check_exits_1_on_an_alert_and_plain_status_0(tmp_path):
    from flows import workdb
    from flows.settings import Settings

    settings = Settings(work_dir=tmp_path / "work", warehouse=tmp_path / "wh.duckdb")
    with workdb.connect(settings):
        pass  # a work directory where no source has ever arrived: every source is an alert
    env = {"FRAUDBRAIN_WORK_DIR": str(settings.work_dir), "FRAUDBRAIN_WAREHOUSE": str(settings.warehouse)}
    plain = _cli("status", env=env)
    assert plain.exit_code == 0 and "ALERT" in plain.stdout
    checked = _cli("status", "--check", env=env)
    assert checked.exit_code == 1 and "ALERT" in checked.stdout
    assert _cli("status", "--check", "--json", env=env).exit_code == 1


# ---- leads and trace on the published warehouse of the small world ----------------------------------------
@pytest.fixture(scope="module")
def published(demo_run):
    settings, _ = demo_run
    return settings.warehouse


def _county_with_most_leads(warehouse: Path) -> str:
    con = duckdb.connect(str(warehouse), read_only=True)
    try:
        return con.execute("select unit_code from marts.lead_status group by 1 order by count(*) desc, 1").fetchone()[0]
    finally:
        con.close()


def test_an_unknown_unit_is_an_error_naming_the_known_ones(published, tmp_path):
    res = _cli("leads", "--unit", "999", "--out", str(tmp_path / "out"), "--warehouse", str(published))
    assert res.exit_code == 2
    line = _one_line(res)
    assert "no unit 999" in line and _county_with_most_leads(published) in line
    assert not (tmp_path / "out").exists()


def test_leads_out_naming_a_file_is_one_line(published, tmp_path):
    out = tmp_path / "leads.csv"
    out.write_text("", encoding="utf-8")
    res = _cli("leads", "--unit", _county_with_most_leads(published), "--out", str(out), "--warehouse", str(published))
    assert res.exit_code == 2 and "is a file" in _one_line(res)


def test_lead_packages_carry_unit_name_priority_score_reason_and_as_of(published, tmp_path):
    unit = _county_with_most_leads(published)
    res = _cli("leads", "--unit", unit, "--out", str(tmp_path / "out"), "--warehouse", str(published))
    assert res.exit_code == 0, res.output
    with open(tmp_path / "out" / "leads.csv", encoding="utf-8-sig") as handle:
        rows = list(csv.DictReader(handle))
    con = duckdb.connect(str(published), read_only=True)
    try:
        name = con.execute("select unit_name from marts.dim_unit where unit_code = ?", [unit]).fetchone()[0]
        latest = con.execute("select max(started_at) from marts.fct_calls").fetchone()[0]
    finally:
        con.close()
    assert rows and {r["unit_name"] for r in rows} == {name}
    assert [int(r["priority"]) for r in rows] == list(range(1, len(rows) + 1)), "ordered by priority"
    open_rows = [r for r in rows if r["stage"] != "closed"]
    scores = [int(r["score"]) for r in open_rows]
    assert scores == sorted(scores, reverse=True), "open leads by score"
    assert all(r["reason"] and "_" not in r["reason"].split(";")[0] for r in rows), "the reason is in words"
    doc = json.loads((tmp_path / "out" / "leads.json").read_text(encoding="utf-8"))
    assert doc["unit_name"] == name and doc["as_of"] >= str(latest)
    with open(tmp_path / "out" / "evidence.csv", encoding="utf-8-sig") as handle:
        priorities = [int(r["priority"]) for r in csv.DictReader(handle)]
    assert priorities == sorted(priorities), "evidence in the leads' order"


def test_trace_csv_gives_one_row_a_hop(published):
    con = duckdb.connect(str(published), read_only=True)
    try:
        case_no, n = con.execute(
            "select case_no, count(*) from marts.case_money_paths group by 1 order by 2 desc, 1"
        ).fetchone()
    finally:
        con.close()
    res = _cli("trace", case_no, "--format", "csv", "--warehouse", str(published))
    assert res.exit_code == 0
    rows = list(csv.DictReader(res.stdout.splitlines()))
    assert len(rows) == n and {r["case_no"] for r in rows} == {case_no}
    assert all(r["from_card_token"] == "" for r in rows if r["hop"] == "1")


def test_trace_of_a_case_without_traced_money_says_so(published, tmp_path):
    copy = tmp_path / "copy.duckdb"
    shutil.copy(published, copy)
    con = duckdb.connect(str(copy))
    try:
        case_no = con.execute("select min(case_no) from marts.fct_cases").fetchone()[0]
        con.execute("delete from marts.case_money_paths where case_no = ?", [case_no])
    finally:
        con.close()
    res = _cli("trace", case_no.lower(), "--warehouse", str(copy))
    assert res.exit_code == 0 and "no money was traced for this case" in res.stdout
    assert "not in" not in res.output
    res = _cli("trace", "A0000000000000000000", "--warehouse", str(copy))
    assert res.exit_code == 2 and "no case A0000000000000000000 in marts.fct_cases" in _one_line(res)
