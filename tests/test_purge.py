"""Retention: `fraudbrain purge` clears personal data of old batches from raw and quarantine, marts stay.

A tiny world (batches 2026-05-01 and 2026-05-02) is run, purged with a cutoff covering the first day, and
rebuilt: the published marts must equal those before the purge by content hash, the leak scanner must find
nothing in the purged rows, the ledger must still balance, and the vault must still reveal purged tokens.
"""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import duckdb
import pytest

from flows import workdb
from flows.ingest import ledger
from flows.privacy import pii, purge, vault
from flows.privacy.scan import _scan_relations, load_names
from flows.publish.warehouse import content_hashes
from flows.settings import Settings
from rules.identifiers import mask_id
from tests.conftest import world_settings

CUTOFF = date(2026, 5, 2)  # batches of 2026-05-01 (the initial telecom and finance loads) are past retention
EVERYTHING = date(2026, 6, 1)  # every batch, police extractions included


def _settings(world: dict, tmp_path: Path) -> Settings:
    return world_settings(world, work_dir=tmp_path / "work", warehouse=tmp_path / "wh" / "fraudbrain.duckdb")


def _purged_relations(con: duckdb.DuckDBPyConnection, cutoff: date) -> list[tuple[str, str]]:
    """Every raw and quarantine table, restricted to the rows of purged batches."""
    tables = con.execute(
        "select schema_name, table_name from duckdb_tables() "
        "where database_name = current_database() and schema_name in ('raw', 'quarantine') order by 1, 2"
    ).fetchall()
    where = f"left(_batch, 10) < '{cutoff.isoformat()}'"
    rels = []
    for s, t in tables:
        rels.append((f"(select * from {s}.{t} where {where})", f"{s}.{t}"))
    return rels


def _scan_purged(settings: Settings, names, cutoff: date) -> list:
    con = duckdb.connect(str(settings.work_db), read_only=True)
    try:
        return list(_scan_relations(con, "work.duckdb", _purged_relations(con, cutoff), names))
    finally:
        con.close()


def _purged_row_counts(settings: Settings) -> dict[str, int]:
    con = duckdb.connect(str(settings.work_db), read_only=True)
    try:
        sql = "select count(*) from raw.{} where left(_batch, 10) < ?"
        return {t: con.execute(sql.format(t), [CUTOFF.isoformat()]).fetchone()[0] for t in purge.PERSONAL_COLUMNS}
    finally:
        con.close()


def _check_purge(settings: Settings, world: dict, cutoff: date = CUTOFF) -> purge.PurgeResult:
    names = load_names(world["police_url"])
    assert _scan_purged(settings, names, cutoff), "the scanner must see clear identifiers before the purge"
    result = purge.purge(settings, cutoff)
    assert result.values > 0 and result.rows["raw.telecom__subscribers"] > 0
    # the leak scanner finds no clear ID, phone, card or name in the rows of purged batches
    assert [str(f) for f in _scan_purged(settings, names, cutoff)] == []
    with workdb.connect(settings) as con:
        assert ledger.check_invariants(con) == []
        audit = con.execute("select zone, table_name, rows_touched, values_purged, cutoff from audit.purges").fetchall()
        assert {(z, t) for z, t, *_ in audit} >= {("raw", "telecom__subscribers"), ("raw", "finance__accounts")}
        assert all(c == cutoff for *_, c in audit)
        # replay of a purged batch is refused with the reason
        with pytest.raises(purge.PurgedBatch, match="purged period"):
            purge.refuse_replay_if_purged(con, "telecom", "2026-05-01")
        purge.refuse_replay_if_purged(con, "telecom", cutoff.isoformat())  # the cutoff day itself is kept
        # quarantined rows of purged batches keep their reasons, not their record text
        (left,) = con.execute(
            "select count(*) from quarantine.rows where left(_batch, 10) < ? and record is not null",
            [cutoff.isoformat()],
        ).fetchone()
        assert left == 0
        form = con.execute(
            "select holder_id_no from raw.telecom__subscribers where starts_with(holder_id_no, ?) limit 1",
            [pii.PURGED_PREFIX],
        ).fetchone()[0]
    # the vault still answers for a purged token (the clear value was sealed before it left raw)
    token = json.loads(form)["t"]
    revealed = vault.reveal(settings, token, "test: reveal after retention purge")
    assert pii.token(settings.resolved_pii_key(), "id", revealed.value) == token
    # purging again finds nothing left to purge
    again = purge.purge(settings, cutoff)
    assert again.values == 0
    return result


def test_purge_then_full_refresh_publishes_the_same_marts(tiny_world, prefect_harness, tmp_path):
    from flows.pipeline import pipeline

    settings = _settings(tiny_world, tmp_path)
    pipeline(settings)
    before = content_hashes(settings.warehouse)
    assert _purged_row_counts(settings)["telecom__subscribers"] > 0
    _check_purge(settings, tiny_world)
    summary = pipeline(settings, full_refresh=True)
    assert summary.status == "success" and summary.built
    assert content_hashes(settings.warehouse) == before
    # the rebuilt staging layer no longer holds clear values of the purged rows either
    con = duckdb.connect(str(settings.work_db), read_only=True)
    try:
        rels = [
            (f"(select * from staging.{t} where left(_batch, 10) < '{CUTOFF.isoformat()}')", f"staging.{t}")
            for t in ("stg_telecom__subscribers", "stg_finance__accounts", "stg_telecom__cdr")
        ]
        assert [str(f) for f in _scan_relations(con, "work", rels, load_names(tiny_world["police_url"]))] == []
    finally:
        con.close()


@pytest.mark.slow
def test_purging_everything_then_a_run_and_a_full_refresh_publish_the_same_marts(tiny_world, prefect_harness, tmp_path):
    from flows.pipeline import pipeline

    settings = _settings(tiny_world, tmp_path)
    pipeline(settings)
    before = content_hashes(settings.warehouse)
    result = _check_purge(settings, tiny_world, EVERYTHING)
    assert "raw.police__residents" in result.rows  # (the tiny world's two days hold no police case yet)
    after_run = pipeline(settings)
    assert after_run.built, "a purge changes the data version: the next run rebuilds"
    assert content_hashes(settings.warehouse) == before
    pipeline(settings, full_refresh=True)
    assert content_hashes(settings.warehouse) == before


@pytest.mark.slow
def test_purging_every_table_of_the_hand_made_world_keeps_its_marts(tmp_path):
    """Every kind of personal value (police cases, contacts, transfers, typos, 15-digit IDs) through dbt."""
    from flows.privacy.scan import Names
    from tests.fixtures_raw import NAMES, build_raw_db
    from tests.test_dbt_build import KEY, run_dbt, snapshot_marts

    work = tmp_path / "work"
    work.mkdir()
    build_raw_db(work / "work.duckdb")
    first = run_dbt(["build"], work)
    assert first.returncode == 0, first.stdout[-3000:]
    before = snapshot_marts(work / "work.duckdb")
    settings = Settings(work_dir=work, pii_key=KEY, vault_key="test-vault-key-hand-made-world")
    result = purge.purge(settings, EVERYTHING)
    assert {"raw.police__victims", "raw.police__case_contacts", "raw.police__residents"} <= result.rows.keys()
    assert "raw.police__cases" in result.rows  # the narratives (free text naming victims, phones and cards)
    names = Names(frozenset(n for n in NAMES.values() if len(n) >= 2))
    assert [str(f) for f in _scan_purged(settings, names, EVERYTHING)] == []
    con = duckdb.connect(str(work / "work.duckdb"), read_only=True)
    try:
        narratives = [
            r[0] for r in con.execute("select narrative from raw.police__cases where narrative is not null").fetchall()
        ]
    finally:
        con.close()
    assert narratives and all(pii.is_purged(n) and json.loads(n)["i"] is not None for n in narratives)
    assert any(json.loads(n)["i"] for n in narratives)  # the identifiers the marts link cases by are kept
    again = run_dbt(["build"], work)
    assert again.returncode == 0, again.stdout[-3000:]
    assert snapshot_marts(work / "work.duckdb") == before


@pytest.mark.slow
def test_a_purge_between_a_valid_id_and_its_mistyped_twin_keeps_the_person(tmp_path):
    """Identity resolution across the retention cutoff: a mistyped check character still finds its person.

    Two people of the hand-made world, each seen once with a valid ID (registered resident) and once with the
    check character mistyped and the same name (police suspect, no phone: only the ID and the name can match):
    黄磊's valid ID lies in a purged batch and his mistyped one in a kept batch, 郑洁's the other way round. After
    the purge one side of each pair is a purged form (ID stand-in, name stand-in), the other still clear.
    """
    from tests.fixtures_raw import build_raw_db, make_id
    from tests.test_dbt_build import KEY, run_dbt, snapshot_marts

    early, late = "2026-05-01 23:00:00", "2026-05-10 23:00:00"  # police batches: purged, kept
    people = {  # suspect_no: (valid ID, name, batch of the valid ID, batch of the mistyped one)
        "S0011": (make_id("420922", "19881212", "111"), "黄磊", early, late),
        "S0012": (make_id("330602", "19920315", "222"), "郑洁", late, early),
    }
    work = tmp_path / "work"
    work.mkdir()
    build_raw_db(work / "work.duckdb")
    con = duckdb.connect(str(work / "work.duckdb"))
    try:
        for i, (suspect_no, (valid, name, valid_batch, typo_batch)) in enumerate(people.items()):
            typo = valid[:17] + ("0" if valid[17] != "0" else "1")
            born = f"{valid[6:10]}-{valid[10:12]}-{valid[12:14]}"
            lineage = "'police', ?, 'd-police-' || left(?, 10), ?, ?, timestamp '2026-05-11 00:00:00'"
            con.execute(
                "insert into raw.police__residents values "
                f"(?, ?, 'F', ?, ?, 'head', left(?, 6), '2026-01-01 00:00:00', {lineage})",
                [valid, name, born, f"H99000{i}", valid, valid_batch, valid_batch, "residents", 100 + i],
            )
            con.execute(
                "insert into raw.police__suspects values "
                f"(?, null, ?, ?, null, 'mule', null, '420922000000', '2026-05-08 10:00:00', {lineage})",
                [suspect_no, typo, name, typo_batch, typo_batch, "suspects", 100 + i],
            )
    finally:
        con.close()

    def resolved() -> dict[str, tuple]:
        rows = _fetch(
            work / "work.duckdb",
            "select source_key, person_id, match_rule from intermediate.int_identity_resolved "
            "where source_table = 'police.suspects' and source_key in ('S0011', 'S0012')",
        )
        return {k: (p, r) for k, p, r in rows}

    expected = {s: (pii.token(KEY, "id", valid), "id_typo") for s, (valid, *_) in people.items()}
    first = run_dbt(["build"], work)
    assert first.returncode == 0, first.stdout[-3000:]
    assert resolved() == expected
    before = snapshot_marts(work / "work.duckdb")
    settings = Settings(work_dir=work, pii_key=KEY, vault_key="test-vault-key-hand-made-world")
    result = purge.purge(settings, CUTOFF)
    assert {"raw.police__residents", "raw.police__suspects"} <= result.rows.keys()
    again = run_dbt(["build"], work)
    assert again.returncode == 0, again.stdout[-3000:]
    assert resolved() == expected
    after = snapshot_marts(work / "work.duckdb")
    assert after == before
    # the match keys stay in the restricted work database: no mart holds one
    keys = _fetch(
        work / "work.duckdb",
        "select id_match_key from intermediate.int_identity_observations where id_match_key is not null "
        "union select name_match_key from intermediate.int_identity_observations where name_match_key is not null",
    )
    assert len(keys) >= 4  # both people's IDs and names, at least
    published = {v for rows in after.values() for row in rows for v in row if isinstance(v, str)}
    assert not published & {k for (k,) in keys}
    assert not [v for v in published if pii.NAME_STAND_IN in v or v[10:11] == pii.ID_STAND_IN_MARK]


def test_purged_forms_carry_features_not_values():
    key = "test-key"
    phone = pii.purged_phone(key, "+86 139-1234-5678")
    assert phone is not None and "13912345678" not in phone
    features = json.loads(phone)
    assert features["t"] == pii.token(key, "phone", "13912345678")
    assert (features["m"], features["k"], features["v"]) == ("139****5678", "mobile", True)
    valid_id = "11010519491231002X"
    form = json.loads(pii.purged_id(key, valid_id) or "")
    assert form["v"] and form["m"] == mask_id(valid_id)
    stand_in = form["s"]
    assert stand_in[:10] == valid_id[:10] and stand_in[-4:] == valid_id[-4:] and "1231" not in stand_in
    # a mistyped check character keeps the same 17-character prefix, so identity resolution still matches
    assert pii.id_stand_in(key, valid_id[:17] + "1")[:17] == stand_in[:17]
    name = pii.name_stand_in(key, "张三")
    assert name is not None and name[0] == "张" and "三" not in name
    assert pii.name_stand_in(key, name) == name  # purging twice changes nothing
    assert purge.purge_value(key, "card", "6222 0212 3456 7890")[1] is not None
    # a narrative keeps only the identifiers staging extracts from it: no text, no name, no clear number
    text = "受害人张三称，对方用＋86 170-1234-5678（微信wxid_Fraud01）联系，转账至６２２２ 0212-3456-7890-123。"
    form, sealed = purge.purge_narrative(key, text)
    assert "张" not in form and "17012345678" not in form and "wxid_fraud01" not in form and "0212" not in form
    kept = {(i["k"], i["m"]) for i in json.loads(form)["i"]}
    assert kept == {("phone", "170****5678"), ("card", "6222 **** **** 0123"), ("wechat", "wxid_f**ud01")}
    assert {(k, c) for _, k, c in sealed} == {
        ("phone", "17012345678"),
        ("card", "6222021234567890123"),
        ("wechat", "wxid_fraud01"),
    }


def test_purge_without_key_stops_before_touching_anything(tmp_path):
    settings = Settings(work_dir=tmp_path / "work", pii_key=None, vault_key=None, demo=False)
    with pytest.raises(Exception, match="FRAUDBRAIN_PII_KEY"):
        purge.purge(settings, CUTOFF)
    assert not settings.work_db.exists()


def test_purge_and_replay_commands(tmp_path, monkeypatch):
    from typer.testing import CliRunner

    from flows.cli import app

    monkeypatch.setenv("FRAUDBRAIN_PII_KEY", "test-key-for-the-purge-command")
    monkeypatch.setenv("FRAUDBRAIN_VAULT_KEY", "test-vault-key-for-the-purge-command")
    work = str(tmp_path / "work")
    runner = CliRunner()
    done = runner.invoke(app, ["purge", "--before", "2026-05-02", "--work-dir", work])
    assert done.exit_code == 0, done.output
    assert "batches before 2026-05-02, 0 values replaced" in " ".join(done.output.split())
    refused = runner.invoke(app, ["replay", "--source", "telecom", "--batch", "2026-05-01", "--work-dir", work])
    assert refused.exit_code == 2
    assert "cannot be replayed" in " ".join(refused.output.split())
    with workdb.connect(Settings(work_dir=tmp_path / "work")) as con:
        assert con.execute("select zone, table_name, rows_touched from audit.purges").fetchall() == [("raw", "*", 0)]
        assert workdb.data_version(con) == "replaced=0;loaded=0;files=0"  # nothing purged: no rebuild forced


def _fetch(db: Path, sql: str) -> list[tuple]:
    """Rows of a query on a DuckDB file opened read-only (closed again at once)."""
    con = duckdb.connect(str(db), read_only=True)
    try:
        return con.execute(sql).fetchall()
    finally:
        con.close()
