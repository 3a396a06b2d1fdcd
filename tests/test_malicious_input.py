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
from tests.fixtures_landing import CDR_COLS, SUB_COLS, cdr_row, csv_bytes, jsonl_bytes, subscriber_row, txn, write_batch

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
