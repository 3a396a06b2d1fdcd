"""Malicious and broken inputs to the file extractor (issue 8): each is refused or quarantined with a clear
error naming the file, line and field, in bounded memory and time, without crashing the run, and nothing
is ever read from outside the landing zone. Large inputs are generated here, never committed.
"""

from __future__ import annotations

import gzip
import hashlib
import json
import os
import resource
import time
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

MAX_LINE = 64 * 1024


@pytest.fixture(autouse=True)
def _quiet_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("GX_ANALYTICS_ENABLED", "false")
    monkeypatch.setenv("PREFECT_HOME", str(tmp_path / "prefect"))


@pytest.fixture
def env(tmp_path: Path):
    settings = Settings(landing=str(tmp_path / "landing"), work_dir=tmp_path / "work", max_line_bytes=MAX_LINE)
    con = duckdb.connect(":memory:")
    ledger.ensure_schema(con)
    return settings, con


def run_all(con, settings, source: str):
    ctx = open_context(settings)
    return [load_file_batch(con, settings, b, "r1", ctx) for b in pending_batches(con, settings, source)]


def quarantined(con) -> dict[int, str]:
    return dict(con.execute("select _line, reasons from quarantine.rows").fetchall())


def telecom(settings, cdr: bytes, batch: str = "2026-05-10", **kw) -> str:
    files = {"cdr.csv.gz": cdr, "subscribers.csv": csv_bytes(SUB_COLS, [subscriber_row()])}
    return write_batch(settings.landing, "telecom", batch, files, **kw)


def finance(settings, txns: bytes) -> str:
    return write_batch(settings.landing, "finance", "2026-05-10", {"transactions.jsonl.gz": txns})


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def test_gzip_bomb_is_refused_in_bounded_memory_and_time(env) -> None:
    settings, con = env
    head = csv_bytes(CDR_COLS, [cdr_row("c1")])
    bomb = gzip.compress(head + b"0" * (400 * 1024 * 1024), compresslevel=9)  # ~400 KB holding 400 MB
    telecom(settings, bomb)
    before, start = peak_rss_mb(), time.monotonic()
    [res] = run_all(con, settings, "telecom")
    assert res.status == "refused"
    assert "cdr.csv.gz" in res.message and ("gzip expands past" in res.message or "max_line_bytes" in res.message)
    assert time.monotonic() - start < 60 and peak_rss_mb() - before < 300
    assert con.execute("select count(*) from raw.telecom__cdr").fetchall() == [(0,)]
    assert ledger.check_invariants(con) == []


def test_gzip_bomb_of_short_lines_is_refused_by_its_ratio(env) -> None:
    settings, con = env
    lines = "|".join(cdr_row("c1")).encode() + b"\r\n"
    bomb = gzip.compress(csv_bytes(CDR_COLS, []) + lines * (110 * 1024 * 1024 // len(lines)), compresslevel=9)
    telecom(settings, bomb, manifest_files={"cdr.csv.gz": {"rows": 1, "sha256": hashlib.sha256(bomb).hexdigest()}})
    [res] = run_all(con, settings, "telecom")
    assert res.status == "refused" and "cdr.csv.gz: gzip expands past" in res.message


def test_line_over_the_limit_is_refused_naming_file_and_line(env) -> None:
    settings, con = env
    long = cdr_row("c2", caller="1" * (MAX_LINE * 3))
    telecom(settings, csv_bytes(CDR_COLS, [cdr_row("c1"), long], gz=True))
    [res] = run_all(con, settings, "telecom")
    assert res.status == "refused"
    assert "cdr.csv.gz: line 3 is longer than max_line_bytes" in res.message


def test_json_nested_100k_deep_is_quarantined_not_a_crash(env) -> None:
    settings, con = env
    settings = settings.model_copy(update={"max_line_bytes": 1024 * 1024})  # the lines are 200 KB
    deep_array = "[" * 100_000 + "]" * 100_000
    deep_value = json.dumps(txn("t2"))[:-1] + ', "extra": ' + deep_array + "}"
    data = jsonl_bytes([txn("t1")]) + (deep_array + "\n").encode() + (deep_value + "\n").encode()
    finance(settings, gzip.compress(data))
    [res] = run_all(con, settings, "finance")
    assert res.status == "loaded", res.message
    assert "line 2: not a JSON object" in quarantined(con)[2] or "nested too deeply" in quarantined(con)[2]
    ids = {r[0] for r in con.execute("select txn_id from raw.finance__transactions").fetchall()}
    assert ids == {"t1", "t2"}  # an unknown deep key is tolerated, the good rows are all there
    assert ledger.check_invariants(con) == []


def test_nul_bytes_are_quarantined_with_the_line(env) -> None:
    settings, con = env
    cdr = csv_bytes(CDR_COLS, [cdr_row("c1"), ["c\x002", *cdr_row("c2")[1:]], cdr_row("c3")], gz=True)
    telecom(settings, cdr)
    txns = jsonl_bytes([txn("t1")]) + b'{"txn_id": "t\x002"}\n'
    finance(settings, gzip.compress(txns))
    run_all(con, settings, "telecom")
    run_all(con, settings, "finance")
    q = dict(con.execute("select _file || ':' || _line, reasons from quarantine.rows").fetchall())
    assert "line 3: NUL byte" in q["telecom/batch=2026-05-10/cdr.csv.gz:3"]
    assert "line 2: not JSON" in q["finance/batch=2026-05-10/transactions.jsonl.gz:2"]
    assert con.execute("select count(*) from raw.telecom__cdr").fetchall() == [(2,)]
    assert ledger.check_invariants(con) == []


def test_invalid_gb18030_header_refuses_and_a_bad_line_is_quarantined(env) -> None:
    settings, con = env
    good = csv_bytes(CDR_COLS, [cdr_row("c1")])
    bad_line = good + b"c2|\x81\x20broken|x|2026-05-10 10:00:00|1||\r\n"
    telecom(settings, gzip.compress(bad_line))
    [res] = run_all(con, settings, "telecom")
    assert res.status == "loaded" and "line 3: not GB18030" in quarantined(con)[3]

    telecom(settings, gzip.compress(b"\xff\xfe\x81" + good), batch="2026-05-11")
    [res2] = run_all(con, settings, "telecom")
    assert res2.status == "refused" and "cdr.csv.gz: line 1 (header) is not GB18030" in res2.message


def test_path_traversal_in_the_manifest_is_refused_without_reading_outside(env, tmp_path: Path) -> None:
    settings, con = env
    secret = tmp_path / "secret.csv"
    secret.write_bytes(b"must never be read\n")
    folder = telecom(settings, csv_bytes(CDR_COLS, [cdr_row("c1")], gz=True))
    manifest = json.loads(Path(folder, "_SUCCESS").read_text())
    name = "../../../secret.csv"
    manifest["files"][name] = {"rows": 1, "sha256": hashlib.sha256(secret.read_bytes()).hexdigest()}
    Path(folder, "_SUCCESS").write_text(json.dumps(manifest))
    before = secret.stat().st_atime_ns
    os.utime(secret, ns=(before - 10**9, secret.stat().st_mtime_ns))
    [res] = run_all(con, settings, "telecom")
    assert res.status == "refused" and "not of the telecom contract" in res.message and name in res.message
    assert secret.stat().st_atime_ns == before - 10**9  # never opened
    assert ledger.check_invariants(con) == []


def test_symlink_in_the_batch_folder_is_refused_never_followed(env, tmp_path: Path) -> None:
    settings, con = env
    outside = tmp_path / "outside.csv"
    outside.write_bytes(csv_bytes(SUB_COLS, [subscriber_row()]))
    folder = telecom(settings, csv_bytes(CDR_COLS, [cdr_row("c1")], gz=True))
    Path(folder, "subscribers.csv").unlink()
    Path(folder, "subscribers.csv").symlink_to(outside)  # same bytes: the checksum would pass
    [res] = run_all(con, settings, "telecom")
    assert res.status == "refused" and "symbolic links" in res.message and "subscribers.csv" in res.message
    assert con.execute("select count(*) from raw.telecom__subscribers").fetchall() == [(0,)]


def test_manifest_that_is_not_json_or_malformed_is_refused(env) -> None:
    settings, con = env
    folder = telecom(settings, csv_bytes(CDR_COLS, [cdr_row("c1")], gz=True))
    Path(folder, "_SUCCESS").write_bytes(b"\x00\xffnot json at all")
    folder2 = write_batch(settings.landing, "telecom", "2026-05-11", {"cells.csv": csv_bytes(("cell_id",), [])})
    manifest = json.loads(Path(folder2, "_SUCCESS").read_text())
    manifest["files"] = ["cells.csv"]  # JSON, but not the contract's shape
    Path(folder2, "_SUCCESS").write_text(json.dumps(manifest))
    res = run_all(con, settings, "telecom")
    assert [r.status for r in res] == ["refused", "refused"]
    assert "_SUCCESS: not a JSON manifest" in res[0].message
    assert "'files' must map file names" in res[1].message
    assert ledger.check_invariants(con) == []


def test_binary_garbage_and_injection_strings_end_in_quarantine_or_raw_as_text(env) -> None:
    settings, con = env
    evil = "'; drop table raw.telecom__cdr; --"
    rows = [cdr_row("c1"), [evil, "=cmd('calc')!A0", "13800000000", "2026-05-10 10:00:00", "1", None, None]]
    cdr = gzip.compress(csv_bytes(CDR_COLS, rows) + os.urandom(2048).replace(b"\n", b"") + b"\r\n")
    telecom(settings, cdr)
    [res] = run_all(con, settings, "telecom")
    assert res.status == "loaded", res.message
    ids = {r[0] for r in con.execute("select call_id from raw.telecom__cdr").fetchall()}
    assert ids == {"c1", evil}  # stored as text, never executed
    assert 4 in quarantined(con)  # the garbage line, by number
    assert ledger.check_invariants(con) == []


def test_year_9999_and_huge_amounts_are_quarantined_by_field(env) -> None:
    settings, con = env
    txns = jsonl_bytes(
        [
            txn("t1"),
            txn("t2", ts="9999-12-31T23:59:59-08:00"),  # beyond year 9999 in local time
            txn("t3", ts="9999-12-31 23:59:59"),
            txn("t4", amount=10**20),
        ]
    )
    finance(settings, gzip.compress(txns))
    [res] = run_all(con, settings, "finance")
    assert res.status == "loaded", res.message
    q = quarantined(con)
    assert "expect_column_values_to_be_local_timestamp(ts)" in q[2]
    assert "expect_column_values_to_be_timestamps_not_after(ts)" in q[3]
    loaded = dict(con.execute("select txn_id, amount from raw.finance__transactions").fetchall())
    assert loaded.get("t4") in (None, "100000000000000000000")  # a number, kept as its digits if loaded
    assert ledger.check_invariants(con) == []


# ---- deliveries that look valid but are not (issue 19) ------------------------------------------------
NAMES = ["王斌", "张三", "李阳斌", "沈梅云", "姚欣芳", "吴健强", "邓伟"]


def subscribers(names: list[str], encoding: str = "gb18030") -> bytes:
    rows = [subscriber_row(msisdn=f"139{i:08d}", name=n) for i, n in enumerate(names)]
    return csv_bytes(SUB_COLS, rows, encoding=encoding)


def ledger_rows(con, batch: str) -> list[tuple]:
    return con.execute(
        "select file, status, rows_read, rows_loaded, rows_quarantined, rows_duplicate, message "
        "from audit.load_ledger where batch = ? order by file",
        [batch],
    ).fetchall()


def test_telecom_file_sent_in_utf8_is_held_naming_the_file_and_the_encoding(env) -> None:
    settings, con = env
    write_batch(settings.landing, "telecom", "2026-05-10", {"subscribers.csv": subscribers(NAMES, "utf-8")})
    [res] = run_all(con, settings, "telecom")
    assert res.status == "held", res.message
    assert "telecom/batch=2026-05-10/subscribers.csv: encoding drift: reads as UTF-8, not GB18030" in res.message
    assert "first at line 2" in res.message and "\n" not in res.message
    assert not any(ch in res.message for ch in "王斌鐜嬫枌")  # no name, clear or garbled, in the message
    assert [r[1:6] for r in ledger_rows(con, "2026-05-10")] == [("held", 7, 0, 7, 0)]
    assert con.execute("select count(*) from raw.telecom__subscribers").fetchall() == [(0,)]
    assert ledger.check_invariants(con) == []


def test_gb18030_names_that_happen_to_be_valid_utf8_and_ascii_files_still_load(env) -> None:
    settings, con = env
    assert "郑伟".encode("gb18030").decode("utf-8")  # valid UTF-8 by chance: U+05A3 U+03B0
    write_batch(settings.landing, "telecom", "2026-05-10", {"subscribers.csv": subscribers(["郑伟"])})
    write_batch(settings.landing, "telecom", "2026-05-11", {"subscribers.csv": subscribers(["Zhang San"], "utf-8")})
    res = run_all(con, settings, "telecom")
    assert [r.status for r in res] == ["loaded", "loaded"], [r.message for r in res]
    names = {r[0] for r in con.execute("select holder_name from raw.telecom__subscribers").fetchall()}
    assert names == {"郑伟", "Zhang San"}


def test_finance_file_sent_in_gb18030_is_held_naming_the_encoding(env) -> None:
    settings, con = env
    lines = "".join(
        json.dumps(account(make_card(n=i), holder_name=n), ensure_ascii=False) + "\n" for i, n in enumerate(NAMES)
    )
    write_batch(settings.landing, "finance", "2026-05-10", {"accounts.jsonl": lines.encode("gb18030")})
    [res] = run_all(con, settings, "finance")
    assert res.status == "held", res.message
    assert "finance/batch=2026-05-10/accounts.jsonl: encoding drift: reads as GB18030, not UTF-8" in res.message
    assert [r[1:6] for r in ledger_rows(con, "2026-05-10")] == [("held", 7, 0, 7, 0)]
    assert con.execute("select count(*) from raw.finance__accounts").fetchall() == [(0,)]
    assert ledger.check_invariants(con) == []


def test_one_undecodable_line_in_a_utf8_file_stays_a_quarantined_line(env) -> None:
    settings, con = env
    good = "".join(
        json.dumps(account(make_card(n=i), holder_name=n), ensure_ascii=False) + "\n" for i, n in enumerate(NAMES)
    )
    bad = json.dumps(account(make_card(n=99), holder_name="王斌"), ensure_ascii=False).encode("gb18030") + b"\n"
    write_batch(settings.landing, "finance", "2026-05-10", {"accounts.jsonl": good.encode("utf-8") + bad})
    [res] = run_all(con, settings, "finance")
    assert res.status == "loaded", res.message
    assert "line 8: not UTF-8" in quarantined(con)[8]


def test_a_batch_dated_after_the_extraction_day_is_refused_and_moves_no_freshness(env) -> None:
    from flows.operations import freshness

    settings, con = env
    files = {"cdr.csv.gz": csv_bytes(CDR_COLS, [cdr_row("c1")], gz=True)}
    write_batch(settings.landing, "telecom", "2026-05-10", files)
    write_batch(settings.landing, "telecom", "2099-01-01", files)  # a copy of a real day
    res = run_all(con, settings, "telecom")
    assert [r.status for r in res] == ["loaded", "refused"]
    assert res[1].message.startswith("telecom/batch=2099-01-01: dated 2099-01-01, after the extraction day")
    assert "FRAUDBRAIN_BATCH_DATE_ALLOWANCE_DAYS" in res[1].message and "\n" not in res[1].message
    assert [r[1:6] for r in ledger_rows(con, "2099-01-01")] == [("refused", 1, 0, 1, 0)]
    assert con.execute("select count(*) from raw.telecom__cdr where _batch = '2099-01-01'").fetchall() == [(0,)]
    _last, batches = freshness.arrivals(con, "telecom")
    assert batches == ["2026-05-10"]
    alerts = freshness.check(con, settings)
    assert not [a for a in alerts if a.source == "telecom" and a.kind == freshness.MISSING_DAY]
    assert ledger.check_invariants(con) == []


def test_the_batch_date_allowance_is_a_setting() -> None:
    from datetime import date

    from flows.ingest.extract.files import future_batch_problem

    today = date(2026, 5, 10)
    assert future_batch_problem("2026-05-10", today, 1) is None
    assert future_batch_problem("2026-05-11", today, 1) is None  # a sender's clock a day ahead
    assert "after the extraction day 2026-05-10" in (future_batch_problem("2026-05-12", today, 1) or "")
    assert future_batch_problem("2026-05-12", today, 2) is None
    assert Settings(batch_date_allowance_days=3).batch_date_allowance_days == 3


def test_folders_not_named_as_batches_are_reported_never_skipped_in_silence(
    tmp_path: Path, caplog, monkeypatch
) -> None:
    import logging

    from typer.testing import CliRunner

    from flows import workdb
    from flows.cli import app
    from flows.operations import freshness, status

    settings = Settings(landing=str(tmp_path / "landing"), work_dir=tmp_path / "work", warehouse=tmp_path / "w.duckdb")
    files = {"cdr.csv.gz": csv_bytes(CDR_COLS, [cdr_row("c1")], gz=True)}
    write_batch(settings.landing, "telecom", "2026-05-10", files)
    for name in ("batch=notadate", "tmp", "batch=2026-13-45"):
        folder = write_batch(settings.landing, "telecom", "2026-05-10", files)  # a complete copy of a real day
        Path(folder).rename(Path(folder).with_name(name))
        write_batch(settings.landing, "telecom", "2026-05-10", files)
    with workdb.connect(settings) as con, caplog.at_level(logging.WARNING):
        res = run_all(con, settings, "telecom")
        assert [(r.batch, r.status) for r in res] == [("2026-05-10", "loaded")]
        assert con.execute("select batch from audit.batches").fetchall() == [("2026-05-10",)]  # no batch: no record
    warned = [r.getMessage() for r in caplog.records if r.levelname == "WARNING"]
    for name in ("batch=notadate", "tmp", "batch=2026-13-45"):
        assert any(f"{name!r} is not a batch folder" in m for m in warned), warned

    st = status.collect(settings)
    [alert] = [a for a in st.alerts if "landing area" in a]
    assert alert.startswith("3 entries in the telecom landing area not named batch=YYYY-MM-DD, never loaded")
    assert all(repr(n) in alert for n in ("batch=notadate", "tmp", "batch=2026-13-45"))
    monkeypatch.setenv("FRAUDBRAIN_WORK_DIR", str(settings.work_dir))
    monkeypatch.setenv("FRAUDBRAIN_LANDING", settings.landing)
    result = CliRunner().invoke(app, ["status", "--json"])
    assert result.exit_code == 0, result.output
    assert any("'batch=notadate'" in a for a in json.loads(result.output)["alerts"])
    kinds = {a.kind for a in freshness.check(duckdb.connect(str(settings.work_db), read_only=True), settings)}
    assert (
        freshness.STRAY_FOLDER in kinds and freshness.EVENTS[freshness.STRAY_FOLDER] == "fraudbrain.source.stray-folder"
    )


def _line(obj_text: str) -> bytes:
    return (obj_text + "\n").encode("utf-8")


def test_a_json_object_with_a_repeated_key_is_quarantined_with_the_key_named(env) -> None:
    settings, con = env
    body = json.dumps(txn("t2", amount="3000.00"))[:-1]
    data = (
        jsonl_bytes([txn("t1")])
        + _line(body + ', "amount": "99999999.99"}')
        + _line(json.dumps(txn("t3"))[:-1] + ', "am\\u006funt": "99999999.99"}')  # the same key, escaped
        + _line(json.dumps(txn("t4"))[:-1] + ', "extra": 1, "extra": 2}')  # an unknown key: tolerated
        + _line(json.dumps(txn("t5"))[:-1] + ', "nested": {"a": 1, "a": 2}}')  # not the top level
    )
    finance(settings, gzip.compress(data))
    [res] = run_all(con, settings, "finance")
    assert res.status == "loaded", res.message
    q = quarantined(con)
    assert q == {2: "line 2: repeated key amount", 3: "line 3: repeated key amount"}
    loaded = dict(con.execute("select txn_id, amount from raw.finance__transactions").fetchall())
    assert loaded == {"t1": "100.00", "t4": "100.00", "t5": "100.00"}
    assert [r[2:6] for r in ledger_rows(con, "2026-05-10")] == [(5, 3, 2, 0)]
    assert ledger.check_invariants(con) == []


def test_names_beyond_their_length_bound_are_quarantined_with_the_field_named(env) -> None:
    settings, con = env
    settings = settings.model_copy(update={"max_line_bytes": 1024 * 1024})  # the line is 400 KB
    long_name = "王" * 200_000
    write_batch(
        settings.landing,
        "telecom",
        "2026-05-10",
        {"subscribers.csv": subscribers(["张三", long_name, "王" * 64, "李四"])},
    )
    accounts = jsonl_bytes([account(make_card(n=1)), account(make_card(n=2), holder_name="李" * 65)])
    write_batch(settings.landing, "finance", "2026-05-10", {"accounts.jsonl": accounts})
    [res] = run_all(con, settings, "telecom")
    [res_f] = run_all(con, settings, "finance")
    assert (res.status, res_f.status) == ("loaded", "loaded"), (res.message, res_f.message)
    q = dict(con.execute("select _file || ':' || _line, reasons from quarantine.rows").fetchall())
    assert q == {
        "telecom/batch=2026-05-10/subscribers.csv:3": "expect_column_value_lengths_to_be_between(holder_name)",
        "finance/batch=2026-05-10/accounts.jsonl:2": "expect_column_value_lengths_to_be_between(holder_name)",
    }
    lengths = sorted(r[0] for r in con.execute("select length(holder_name) from raw.telecom__subscribers").fetchall())
    assert lengths == [2, 2, 64]  # exactly at the bound is fine
    dq = con.execute(
        "select table_name, unexpected_count from audit.dq_results "
        "where expectation = 'expect_column_value_lengths_to_be_between(holder_name)'"
    ).fetchall()
    assert sorted(dq) == [("accounts", 1), ("subscribers", 1)]
    assert [r[1:6] for r in ledger_rows(con, "2026-05-10")] == [("loaded", 2, 1, 1, 0), ("loaded", 4, 3, 1, 0)]
    assert ledger.check_invariants(con) == []


def test_every_column_has_a_length_bound_from_the_catalogue() -> None:
    from expectations import all_suites
    from rules.contracts import ALL_TABLES, max_chars, table

    assert max_chars(table("police", "cases"), "narrative") == 20_000
    assert max_chars(table("police", "supervision_tasks"), "feedback") == 4_000
    assert {
        max_chars(table(s, t), c)
        for s, t, c in [
            ("police", "victims", "name"),
            ("police", "suspects", "name"),
            ("police", "residents", "name"),
            ("telecom", "subscribers", "holder_name"),
        ]
    } == {64}
    suites = all_suites(0.02, 0.25)
    for t in ALL_TABLES:
        exps = suites[t.raw_table].expectations
        bounded = {
            e.column: e.max_value for e in exps if e.expectation_type == "expect_column_value_lengths_to_be_between"
        }
        shaped = {
            e.column
            for e in exps
            if e.expectation_type in ("expect_column_values_to_be_in_set", "expect_column_values_to_be_local_timestamp")
        }
        assert set(t.columns) == set(bounded) | shaped, t.raw_table
        assert all(bounded[c] == max_chars(t, c) for c in bounded)
