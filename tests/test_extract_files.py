"""File sources: every hand-made defect ends in the right place, with a balanced ledger and a clear message."""

from __future__ import annotations

import gzip
import uuid
from pathlib import Path

import duckdb
import pytest

from flows.ingest import ledger
from flows.ingest.extract.files import load_file_batch, pending_batches
from flows.ingest.validate import open_context
from flows.settings import Settings
from tests.fixtures_landing import (
    CDR_COLS,
    SUB_COLS,
    account,
    cdr_row,
    csv_bytes,
    jsonl_bytes,
    make_card,
    subscriber_row,
    txn,
    write_batch,
)


@pytest.fixture(autouse=True)
def _quiet_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("GX_ANALYTICS_ENABLED", "false")
    monkeypatch.setenv("PREFECT_HOME", str(tmp_path / "prefect"))


@pytest.fixture
def env(tmp_path: Path):
    settings = Settings(landing=str(tmp_path / "landing"), work_dir=tmp_path / "work")
    con = duckdb.connect(":memory:")
    ledger.ensure_schema(con)
    return settings, con


def run_all(con, settings, source: str, run_id: str = "r1"):
    ctx = open_context(settings)
    return [load_file_batch(con, settings, b, run_id, ctx) for b in pending_batches(con, settings, source)]


def assert_balanced(con) -> None:
    assert ledger.check_invariants(con) == []


def telecom(settings, batch="2026-05-10", cdr=None, subs=None, **kw):
    files = {
        "cdr.csv.gz": csv_bytes(CDR_COLS, cdr if cdr is not None else [cdr_row("c1")], gz=True),
        "subscribers.csv": csv_bytes(SUB_COLS, subs if subs is not None else [subscriber_row()]),
    }
    files.update(kw.pop("files", {}))
    return write_batch(settings.landing, "telecom", batch, files, **kw)


def raw_count(con, t: str) -> int:
    return con.execute(f"select count(*) from raw.{t}").fetchone()[0]


def test_good_batch_loads_with_lineage(env) -> None:
    settings, con = env
    telecom(settings, cdr=[cdr_row("c1"), cdr_row("c2")])
    [res] = run_all(con, settings, "telecom")
    assert res.status == "loaded", res.message
    row = con.execute(
        "select call_id, _source, _batch, _delivery_id, _file, _line from raw.telecom__cdr order by _line"
    ).fetchall()
    assert row[0] == ("c1", "telecom", "2026-05-10", "telecom-2026-05-10-d1", "telecom/batch=2026-05-10/cdr.csv.gz", 2)
    sub = con.execute("select holder_name from raw.telecom__subscribers").fetchone()
    assert sub == ("张三",)  # GB18030 decoded
    assert pending_batches(con, settings, "telecom") == []
    assert_balanced(con)


def test_batch_without_success_is_not_taken(env) -> None:
    settings, con = env
    telecom(settings, success=False)
    assert pending_batches(con, settings, "telecom") == []


def test_memory_landing_works(tmp_path: Path) -> None:
    landing = f"memory://landing-{uuid.uuid4().hex}"
    settings = Settings(landing=landing, work_dir=tmp_path / "work")
    con = duckdb.connect(":memory:")
    telecom(settings)
    [res] = run_all(con, settings, "telecom")
    assert res.status == "loaded" and raw_count(con, "telecom__cdr") == 1


def test_wrong_checksum_refuses_whole_batch(env) -> None:
    settings, con = env
    telecom(settings, manifest_files={"cdr.csv.gz": {"rows": 1, "sha256": "0" * 64}})
    [res] = run_all(con, settings, "telecom")
    assert res.status == "refused"
    assert "cdr.csv.gz: sha256" in res.message
    assert raw_count(con, "telecom__cdr") == 0 and raw_count(con, "telecom__subscribers") == 0
    status = con.execute("select status, message from audit.batches").fetchone()
    assert status[0] == "refused" and "cdr.csv.gz" in status[1]
    led = con.execute(
        "select file, rows_read, rows_quarantined, status from audit.load_ledger order by file"
    ).fetchall()
    assert [r[3] for r in led] == ["refused", "refused"] and all(r[1] == r[2] == 1 for r in led)
    assert_balanced(con)


def test_row_count_mismatch_refuses(env) -> None:
    settings, con = env
    data = csv_bytes(SUB_COLS, [subscriber_row()])
    import hashlib

    telecom(settings, manifest_files={"subscribers.csv": {"rows": 5, "sha256": hashlib.sha256(data).hexdigest()}})
    [res] = run_all(con, settings, "telecom")
    assert res.status == "refused" and "subscribers.csv: 1 data rows, _SUCCESS says 5" in res.message


def test_unlisted_extra_file_refuses(env) -> None:
    settings, con = env
    folder = telecom(settings)
    Path(folder, "notes.txt").write_text("hello")
    [res] = run_all(con, settings, "telecom")
    assert res.status == "refused" and "notes.txt: file not listed in _SUCCESS" in res.message


def test_truncated_gzip_batch_is_refused_whole(env) -> None:
    settings, con = env
    good = csv_bytes(CDR_COLS, [cdr_row(f"c{i}") for i in range(200)], gz=True)
    cut = good[: len(good) // 2]
    telecom(
        settings,
        files={"cdr.csv.gz": cut},
        manifest_files={"cdr.csv.gz": {"rows": 200, "sha256": __import__("hashlib").sha256(cut).hexdigest()}},
    )
    [res] = run_all(con, settings, "telecom")
    assert res.status == "refused" and "cdr.csv.gz: gzip stream is damaged" in res.message
    assert raw_count(con, "telecom__subscribers") == 0
    assert_balanced(con)


def test_zero_byte_csv_is_refused(env) -> None:
    settings, con = env
    telecom(settings, files={"subscribers.csv": b""})
    [res] = run_all(con, settings, "telecom")
    assert res.status == "refused" and "subscribers.csv: empty file" in res.message


def test_zero_byte_jsonl_is_an_empty_file(env) -> None:
    settings, con = env
    write_batch(
        settings.landing,
        "finance",
        "2026-05-10",
        {"accounts.jsonl": b"", "transactions.jsonl.gz": jsonl_bytes([txn("t1")], gz=True)},
    )
    [res] = run_all(con, settings, "finance")
    assert res.status == "loaded", res.message
    assert {r.table_name: r.rows_read for r in res.ledger} == {"accounts": 0, "transactions": 1}


def test_undecodable_gb18030_line_is_quarantined(env) -> None:
    settings, con = env
    bad = "|".join(["13912345679", "460001234567890", "CMCC", subscriber_row()[3], "王五"]).encode("utf-8")
    bad += b"\xff|2026-05-01 09:00:00|OUT1|420922|1|"
    data = csv_bytes(SUB_COLS, [subscriber_row()]) + bad + b"\r\n"
    telecom(settings, files={"subscribers.csv": data})
    [res] = run_all(con, settings, "telecom")
    assert res.status == "loaded"
    q = con.execute("select _file, _line, reasons from quarantine.rows").fetchall()
    assert q == [("telecom/batch=2026-05-10/subscribers.csv", 3, q[0][2])]
    assert "line 3: not GB18030" in q[0][2]
    assert_balanced(con)


def test_wrong_field_count_and_negative_duration_are_quarantined(env) -> None:
    settings, con = env
    rows = [
        cdr_row("c1"),
        cdr_row("c2", duration="-5"),
        [*cdr_row("c3"), "extra|field"],
        cdr_row("c4", duration="x"),
        cdr_row("c5", start="2026-05-12 08:00:00"),
    ]
    telecom(settings, cdr=rows)
    [res] = run_all(con, settings, "telecom")
    assert res.status == "loaded", res.message
    q = dict(con.execute("select _line, reasons from quarantine.rows where _table = 'cdr'").fetchall())
    assert "expect_column_values_to_not_match_regex(duration_s)" in q[3]
    assert "line 4: 9 fields, the header has 7" in q[4]
    assert "expect_column_values_to_match_regex(duration_s)" in q[5]
    assert "expect_column_values_to_be_timestamps_not_after(start_time)" in q[6]
    cdr = next(r for r in res.ledger if r.table_name == "cdr")
    assert (cdr.rows_read, cdr.rows_loaded, cdr.rows_quarantined, cdr.rows_duplicate) == (5, 1, 4, 0)
    assert_balanced(con)


def test_renamed_required_column_holds_the_batch(env) -> None:
    settings, con = env
    cols = ["call_id", "caller", "callee", "begin_time", "duration_s", "cell_id", "imei"]
    telecom(settings, files={"cdr.csv.gz": csv_bytes(cols, [cdr_row("c1")], gz=True)})
    [res] = run_all(con, settings, "telecom")
    assert res.status == "held"
    assert "cdr.csv.gz: schema drift" in res.message and "start_time" in res.message
    assert raw_count(con, "telecom__cdr") == 0 and raw_count(con, "telecom__subscribers") == 0
    assert con.execute("select count(*) from audit.dq_results where not success").fetchone()[0] >= 1
    assert_balanced(con)
    # replay once fixed: release, the source fixes the file (same delivery id), and it loads
    assert ledger.release_batch(con, "telecom", "2026-05-10") == 1
    telecom(settings)
    [res2] = run_all(con, settings, "telecom", "r2")
    assert res2.status == "loaded" and raw_count(con, "telecom__cdr") == 1


def test_extra_csv_column_is_tolerated(env) -> None:
    settings, con = env
    cols = [*CDR_COLS, "note"]
    telecom(settings, files={"cdr.csv.gz": csv_bytes(cols, [[*cdr_row("c1"), "x"]], gz=True)})
    [res] = run_all(con, settings, "telecom")
    assert res.status == "loaded", res.message
    assert raw_count(con, "telecom__cdr") == 1


def test_duplicate_call_ids_within_and_across_batches(env) -> None:
    settings, con = env
    telecom(settings, cdr=[cdr_row("c1"), cdr_row("c2"), cdr_row("c1")])
    telecom(settings, batch="2026-05-11", cdr=[cdr_row("c2"), cdr_row("c3")])
    r1, r2 = run_all(con, settings, "telecom")
    c1 = next(r for r in r1.ledger if r.table_name == "cdr")
    c2 = next(r for r in r2.ledger if r.table_name == "cdr")
    assert (c1.rows_read, c1.rows_loaded, c1.rows_duplicate) == (3, 2, 1)
    assert (c2.rows_read, c2.rows_loaded, c2.rows_duplicate) == (2, 1, 1)
    # the later line of c1 won within the batch
    assert con.execute("select _line from raw.telecom__cdr where call_id = 'c1'").fetchall() == [(4,)]
    assert_balanced(con)


def test_extra_json_keys_tolerated_missing_key_is_null_truncated_line_quarantined(env) -> None:
    settings, con = env
    t2 = txn("t2")
    del t2["device_id"]
    data = jsonl_bytes([txn("t1", bank_note="extra"), t2], gz=True, tail=b'{"txn_id": "t3", "ts": "2026')
    write_batch(
        settings.landing,
        "finance",
        "2026-05-10",
        {"transactions.jsonl.gz": data, "accounts.jsonl": jsonl_bytes([account(make_card(n=1))])},
    )
    [res] = run_all(con, settings, "finance")
    assert res.status == "loaded", res.message
    assert con.execute("select txn_id, device_id from raw.finance__transactions order by 1").fetchall() == [
        ("t1", "dev1"),
        ("t2", None),
    ]
    q = con.execute("select _line, reasons from quarantine.rows").fetchall()
    assert q[0][0] == 3 and "not JSON" in q[0][1]
    assert_balanced(con)


def test_amounts_thousands_separator_accepted_unparseable_quarantined(env) -> None:
    settings, con = env
    data = jsonl_bytes([txn("t1", amount="1,200.00"), txn("t2", amount="12O.00"), txn("t3", amount=None)], gz=True)
    write_batch(settings.landing, "finance", "2026-05-10", {"transactions.jsonl.gz": data})
    [res] = run_all(con, settings, "finance")
    assert res.status == "loaded", res.message
    assert con.execute("select amount from raw.finance__transactions").fetchall() == [("1,200.00",)]
    q = dict(con.execute("select _line, reasons from quarantine.rows").fetchall())
    assert "expect_column_values_to_match_regex(amount)" in q[2]
    assert "expect_column_values_to_not_be_null(amount)" in q[3]


def test_transaction_resent_as_reversed_is_a_new_version(env) -> None:
    settings, con = env
    write_batch(settings.landing, "finance", "2026-05-10", {"transactions.jsonl.gz": jsonl_bytes([txn("t1")], gz=True)})
    write_batch(
        settings.landing,
        "finance",
        "2026-05-11",
        {"transactions.jsonl.gz": jsonl_bytes([txn("t1", status="reversed"), txn("t1")], gz=True)},
    )
    run_all(con, settings, "finance")
    rows = con.execute("select _batch, status from raw.finance__transactions order by _batch").fetchall()
    # day 2: line 2 (an exact re-send of the day-1 row) wins within the batch over line 1, and is a duplicate
    # of the loaded day-1 version: nothing new
    assert rows == [("2026-05-10", "success")]
    write_batch(
        settings.landing,
        "finance",
        "2026-05-12",
        {"transactions.jsonl.gz": jsonl_bytes([txn("t1", status="reversed")], gz=True)},
    )
    run_all(con, settings, "finance", "r2")
    rows = con.execute("select _batch, status from raw.finance__transactions order by _batch").fetchall()
    assert rows == [("2026-05-10", "success"), ("2026-05-12", "reversed")]
    assert_balanced(con)


def test_redelivery_replaces_the_earlier_delivery(env) -> None:
    settings, con = env
    telecom(settings, cdr=[cdr_row("c1"), cdr_row("c2", duration="-1")], delivery_id="d1")
    run_all(con, settings, "telecom")
    assert raw_count(con, "telecom__cdr") == 1
    telecom(settings, cdr=[cdr_row("c1"), cdr_row("c2"), cdr_row("c3")], delivery_id="d2")
    [res] = run_all(con, settings, "telecom", "r2")
    assert res.status == "loaded" and res.replaced == ["d1"]
    assert con.execute("select count(*), min(_delivery_id) from raw.telecom__cdr").fetchone() == (3, "d2")
    assert con.execute("select count(*) from quarantine.rows").fetchone()[0] == 0
    st = dict(con.execute("select delivery_id, status from audit.batches").fetchall())
    assert st == {"d1": "replaced", "d2": "loaded"}
    assert {r[0] for r in con.execute("select status from audit.load_ledger where delivery_id = 'd1'").fetchall()} == {
        "replaced"
    }
    assert_balanced(con)


def test_overlong_line_refuses_the_batch(env) -> None:
    settings, con = env
    settings.max_line_bytes = 200
    rows = [subscriber_row(), subscriber_row(name="长" * 150)]
    telecom(settings, subs=rows)
    [res] = run_all(con, settings, "telecom")
    assert res.status == "refused"
    assert "subscribers.csv: line 3 is longer than max_line_bytes (200 bytes)" in res.message


def test_malformed_id_rate_beyond_bound_holds_but_a_few_are_kept(env) -> None:
    settings, con = env
    bad_id = "420922199001011230"  # wrong check character (correct one is computed by make_id)
    few = [subscriber_row(msisdn=f"139{i:08d}") for i in range(150)]
    few[0] = subscriber_row(msisdn="13900000000", id_no=bad_id)
    telecom(settings, subs=few)
    [res] = run_all(con, settings, "telecom")
    assert res.status == "loaded", res.message
    assert (
        con.execute("select count(*) from raw.telecom__subscribers where holder_id_no = ?", [bad_id]).fetchone()[0] == 1
    )  # kept, flagged later in staging
    many = [subscriber_row(msisdn=f"139{i:08d}", id_no=bad_id if i % 10 == 0 else None) for i in range(150)]
    telecom(settings, batch="2026-05-11", subs=many)
    [res2] = run_all(con, settings, "telecom", "r2")
    assert res2.status == "held" and "holder_id_no: malformed ID number" in res2.message
    assert_balanced(con)


def test_gzip_helper_roundtrip() -> None:
    assert gzip.decompress(csv_bytes(CDR_COLS, [cdr_row("c1")], gz=True)).endswith(b"\r\n")
