"""The dbt project builds end to end on a small hand-made raw world, and the published marts are safe.

Runs `dbt build` exactly as flows/build/transform.py does (CLI, env FRAUDBRAIN_WORK_DB and FRAUDBRAIN_PII_KEY).
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import duckdb
import pytest

sys.path.insert(0, str(Path(__file__).parent))

from fixtures_raw import CARDS, CASES, F1, NAMES, P1_ID, P8_ID, PHONES, World, build_raw_db

from flows.privacy import pii
from flows.privacy.sql_tokens import register_token_functions
from flows.settings import key_fingerprint
from rules import identifiers as rules

REPO = Path(__file__).resolve().parents[1]
PROJECT = REPO / "dbt_project"
DBT = Path(sys.executable).parent / "dbt"
KEY = "test-only-pii-key-7d1c"


def run_dbt(args: list[str], work: Path, key: str | None = KEY) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if not k.startswith("FRAUDBRAIN_")}
    env.update(DBT_SEND_ANONYMOUS_USAGE_STATS="false", FRAUDBRAIN_WORK_DB=str(work / "work.duckdb"))
    if key is not None:
        env["FRAUDBRAIN_PII_KEY"] = key
    cmd = [
        str(DBT),
        *args,
        "--project-dir",
        str(PROJECT),
        "--profiles-dir",
        str(PROJECT),
        "--target-path",
        str(work / "dbt_target"),
        "--log-path",
        str(work / "logs"),
    ]
    return subprocess.run(cmd, cwd=REPO, env=env, capture_output=True, text=True, timeout=600)


def snapshot_marts(db: Path) -> dict[str, list[tuple]]:
    con = duckdb.connect(str(db), read_only=True)
    try:
        tables = [
            r[0]
            for r in con.execute(
                "select table_name from information_schema.tables where table_schema = 'marts' order by 1"
            ).fetchall()
        ]
        return {t: sorted(con.execute(f"select * from marts.{t}").fetchall(), key=repr) for t in tables}
    finally:
        con.close()


@pytest.fixture(scope="module")
def built(tmp_path_factory) -> tuple[World, Path]:
    work = tmp_path_factory.mktemp("dbt_work")
    world = build_raw_db(work / "work.duckdb")
    result = run_dbt(["build"], work)
    assert result.returncode == 0, result.stdout[-6000:] + result.stderr[-3000:]
    return world, work


def query(work: Path, sql: str) -> list[tuple]:
    """Query the work database as dbt sees it (staging views call pii_token)."""
    con = duckdb.connect(str(work / "work.duckdb"), read_only=True)
    register_token_functions(con, KEY)
    try:
        return con.execute(sql).fetchall()
    finally:
        con.close()


def test_staging_keeps_the_latest_version_of_each_key(built):
    _, work = built
    # case C3 was read twice: registered, then solved
    assert query(work, f"select status from staging.stg_police__cases where case_no = '{CASES['C3']}'") == [("solved",)]
    # P6's SIM: the suspended state of the later batch
    token = pii.token(KEY, "phone", PHONES["P6"])
    assert query(work, f"select status from staging.stg_telecom__subscribers where phone_token = '{token}'") == [(2,)]
    # T0008 sent twice, the later one reversed; T0002 and CALL0003 exact duplicates
    assert query(work, "select status from staging.stg_finance__transactions where txn_id = 'T0008'") == [("reversed",)]
    assert query(work, "select count(*) from staging.stg_finance__transactions where txn_id = 'T0002'") == [(1,)]
    assert query(work, "select count(*) from marts.fct_calls where call_id = 'CALL0003'") == [(1,)]


def test_phones_ids_and_cards_normalise_like_flows_pii(built):
    _, work = built
    rows = query(work, "select msisdn_canonical, holder_id_canonical from staging.stg_telecom__subscribers")
    phones = {r[0] for r in rows}
    assert {PHONES["P1"], PHONES["P7"], PHONES["P9"], PHONES["P3c"], PHONES["P3b"]} <= phones  # +86, 0086, 86, fw
    assert all(re.fullmatch(r"1[3-9]\d{9}", p) for p in phones)
    ids = {r[1] for r in rows}
    assert P1_ID in ids  # lowercase x → X
    assert P8_ID in ids  # 15 digits → 18
    # the SQL canonical forms equal the Python ones on every raw value
    raw = query(work, "select msisdn, holder_id_no from raw.telecom__subscribers")
    for msisdn, id_no in raw:
        assert rules.normalise_phone(msisdn) in phones
        assert rules.normalise_id(id_no) in ids
    cards = query(work, "select to_card_canonical from staging.stg_police__case_transfers")
    assert {c[0] for c in cards} <= set(CARDS.values())


def test_tokens_equal_flows_pii_tokens_for_the_same_key(built):
    _, work = built
    for canonical, tok in query(work, "select msisdn_canonical, phone_token from staging.stg_telecom__subscribers"):
        assert tok == pii.token(KEY, "phone", canonical)
    for canonical, tok in query(work, "select card_canonical, card_token from staging.stg_finance__accounts"):
        assert tok == pii.token(KEY, "card", canonical)
    (key_id,) = {r[0] for r in query(work, "select distinct token_key_id from marts.fct_cases")}
    assert key_id == key_fingerprint(KEY)


def test_narrative_identifiers_equal_the_purged_form_of_the_narrative(built):
    """stg_police__cases extracts from a narrative exactly what its purged form keeps (flows.privacy.pii: the twin)."""
    _, work = built
    rows = query(work, "select case_no, narrative, narrative_identifiers from staging.stg_police__cases")
    found = set()
    for case_no, narrative, ids in rows:
        form = json.loads(pii.purged_narrative(KEY, narrative)) if narrative is not None else {"i": []}
        expected = [(i["k"], i["t"], i["m"]) for i in form["i"]]
        got = [(i["kind"], i["token"], i["masked"]) for i in ids or []]
        assert got == expected, case_no
        found |= {(k, m) for k, _, m in got}
    # full-width digits, spaces and hyphens, +86 and a foreign number, a WeChat id (fixtures_raw: nar1..nar4)
    assert {k for k, _ in found} == {"phone", "card", "wechat"}
    assert ("phone", "170****5678") in found and ("phone", "+855****5678") in found


def test_marts_hold_no_clear_identifier_or_name(built):
    world, work = built
    con = duckdb.connect(str(work / "work.duckdb"), read_only=True)
    clear = world.clear_values
    names = set(NAMES.values())
    patterns = [
        re.compile(p)
        for p in (
            r"(?<![0-9A-Za-z])1[3-9]\d{9}(?![0-9A-Za-z])",  # mobile
            r"(?<![0-9A-Za-z])\d{17}[\dXx](?![0-9A-Za-z])|(?<![0-9A-Za-z])\d{15}(?![0-9A-Za-z])",  # ID
            r"(?<![0-9A-Za-z])\d{16,19}(?![0-9A-Za-z])",  # card
        )
    ]
    token_like = re.compile(r"[0-9a-f]{32}|[0-9a-f]{12}")
    problems = []
    try:
        cols = con.execute(
            "select table_name, column_name from information_schema.columns "
            "where table_schema = 'marts' and data_type = 'VARCHAR'"
        ).fetchall()
        assert cols
        for table, column in cols:
            for (value,) in con.execute(
                f'select distinct "{column}" from marts.{table} where "{column}" is not null'
            ).fetchall():
                if value in clear or any(n in value for n in names):
                    problems.append((table, column, "clear value"))
                elif not token_like.fullmatch(value) and any(p.search(value) for p in patterns):
                    problems.append((table, column, "identifier-like"))
    finally:
        con.close()
    assert not problems


def test_the_marts_find_the_planted_story(built):
    _, work = built
    tiers = dict(query(work, "select case_no, tier from marts.fct_cases"))
    assert tiers == {CASES["C1"]: "serial", CASES["C2"]: "serial", CASES["C4"]: "serial", CASES["C3"]: "major"}
    clusters = dict(query(work, "select case_no, cluster_id from marts.case_clusters"))
    assert clusters[CASES["C1"]] == clusters[CASES["C4"]] == CASES["C2"]  # smallest case_no
    assert clusters[CASES["C3"]] == CASES["C3"]
    mules = {r[0] for r in query(work, "select card_token from marts.mule_accounts")}
    assert {pii.token(KEY, "card", CARDS[k]) for k in ("S1", "M1", "M2")} <= mules
    hops = dict(query(work, f"select card_token, hop from marts.stop_payment_targets where case_no = '{CASES['C1']}'"))
    assert hops == {
        pii.token(KEY, "card", CARDS["S1"]): 1,
        pii.token(KEY, "card", CARDS["M1"]): 2,
        pii.token(KEY, "card", CARDS["M2"]): 3,
    }
    p3 = pii.token(KEY, "id", rules.normalise_id(__import__("fixtures_raw").P3_ID))
    assert [r[0] for r in query(work, "select id_token from marts.two_card_leads")] == [p3]
    members = dict(query(work, "select id_token, role from marts.gangs"))
    fx = __import__("fixtures_raw")
    assert members[pii.token(KEY, "id", fx.P5_ID)] == "organizer"  # linked despite the mistyped ID
    assert members[p3] == "card_supplier"
    assert pii.token(KEY, "id", fx.P6_ID) not in members  # his wife: kinship is not evidence
    targets = [r[0] for r in query(work, "select phone_token from marts.warning_targets")]
    assert targets == [pii.token(KEY, "phone", PHONES["P7"])]
    assert pii.token(KEY, "phone", F1) in {r[0] for r in query(work, "select phone_token from marts.dim_phone")}


def test_a_rebuild_publishes_identical_marts(built, tmp_path):
    _, work = built
    before = snapshot_marts(work / "work.duckdb")
    result = run_dbt(["build"], work)
    assert result.returncode == 0, result.stdout[-4000:]
    assert snapshot_marts(work / "work.duckdb") == before
    # and a full refresh of the incremental facts gives the same again
    result = run_dbt(["build", "--full-refresh", "--select", "fct_calls", "fct_transactions"], work)
    assert result.returncode == 0, result.stdout[-4000:]
    assert snapshot_marts(work / "work.duckdb") == before


def test_the_key_never_reaches_dbt_files(built):
    _, work = built
    leaks = [p for p in (work / "dbt_target").rglob("*") if p.is_file() and KEY.encode() in p.read_bytes()]
    leaks += [p for p in (work / "logs").rglob("*") if p.is_file() and KEY.encode() in p.read_bytes()]
    assert not leaks


def test_a_build_without_the_key_fails_clearly(tmp_path):
    build_raw_db(tmp_path / "work.duckdb")
    result = run_dbt(["run", "--select", "int_data_clock"], tmp_path, key=None)
    assert result.returncode != 0
    assert "FRAUDBRAIN_PII_KEY is not set" in result.stdout + result.stderr


def _cdr_row(
    con: duckdb.DuckDBPyConnection, batch: str, line: int, call_id: str, duration: int, delivery: str | None = None
) -> None:
    con.execute(
        "insert into raw.telecom__cdr by name select ? as call_id, '13900001111' as caller, '13900002222' as callee,"
        " ? as start_time, ? as duration_s, 'C420922-01' as cell_id, 'telecom' as _source, ? as _batch,"
        " ? as _delivery_id, 'cdr.csv' as _file, ? as _line, timestamp '2026-05-12 00:00:00' as _loaded_at",
        [call_id, f"{batch} 10:00:00", str(duration), batch, delivery or f"d-telecom-{batch}", line],
    )


def _staged_calls(db: Path, table: str = "staging.stg_telecom__cdr") -> dict[str, dict]:
    con = duckdb.connect(str(db), read_only=True)
    try:
        rows = con.execute(f"select * from {table} order by call_id").fetchall()
        names = [d[0] for d in con.description]
    finally:
        con.close()
    out = {r[0]: dict(zip(names, r, strict=True)) for r in rows}
    for row in out.values():
        row.pop("_delivery_id", None)  # a re-delivery changes it, not the call
    return out


def test_incremental_calls_equal_a_full_rebuild_after_new_batches_a_redelivery_and_a_replay(tmp_path):
    db = tmp_path / "work.duckdb"
    build_raw_db(db)
    con = duckdb.connect(str(db))
    _cdr_row(con, "2026-05-01", 90, "CALL0000", 30)  # long before the re-delivery window
    _cdr_row(con, "2026-05-10", 90, "CALL0001", 999)  # a newer version of a call first sent on 2026-05-02
    con.close()
    models = ["run", "--select", "stg_telecom__cdr", "stg_telecom__cells", "fct_calls"]
    assert run_dbt(models, tmp_path).returncode == 0
    con = duckdb.connect(str(db))  # marks a row outside the window: an incremental run must not rebuild it
    con.execute("update staging.stg_telecom__cdr set cell_id = 'untouched' where call_id = 'CALL0000'")
    con.execute("update marts.fct_calls set cell_id = 'untouched' where call_id = 'CALL0000'")
    _cdr_row(con, "2026-04-20", 2, "CALL0011", 20, delivery="d-late")  # a held batch replayed weeks later
    _cdr_row(con, "2026-05-11", 2, "CALL0010", 45)  # a new day: a new call ...
    _cdr_row(con, "2026-05-11", 3, "CALL0005", 310)  # ... and a call sent again (the later batch wins)
    # 2026-05-10 re-delivered: CALL0008 and the newer CALL0001 are no longer in it, CALL0007 corrected
    con.execute("delete from raw.telecom__cdr where _batch = '2026-05-10' and call_id in ('CALL0001', 'CALL0008')")
    con.execute("update raw.telecom__cdr set _delivery_id = 'd2' where _batch = '2026-05-10'")
    con.execute("update raw.telecom__cdr set duration_s = '61' where _batch = '2026-05-10' and call_id = 'CALL0007'")
    con.close()

    incremental = run_dbt(models, tmp_path)
    assert incremental.returncode == 0, incremental.stdout[-3000:]
    calls, facts = _staged_calls(db), _staged_calls(db, "marts.fct_calls")
    assert facts["CALL0000"]["cell_id"] == "untouched"
    assert set(facts) == set(calls) and facts["CALL0001"]["duration_s"] == 200
    assert calls["CALL0000"]["cell_id"] == "untouched", "the incremental run rebuilt rows outside its window"
    assert "CALL0008" not in calls, "a call the re-delivery no longer carries is gone"
    assert calls["CALL0001"]["duration_s"] == 200, "the older version is back when the newer one was withdrawn"
    assert calls["CALL0005"]["duration_s"] == 310 and calls["CALL0007"]["duration_s"] == 61
    assert "CALL0010" in calls and "CALL0011" in calls

    full = run_dbt([*models, "--full-refresh"], tmp_path)
    assert full.returncode == 0, full.stdout[-3000:]
    rebuilt, rebuilt_facts = _staged_calls(db), _staged_calls(db, "marts.fct_calls")
    assert rebuilt["CALL0000"]["cell_id"] == "C420922-01"
    for built in (calls, facts, rebuilt, rebuilt_facts):
        del built["CALL0000"]
    assert rebuilt == calls
    assert rebuilt_facts == facts
