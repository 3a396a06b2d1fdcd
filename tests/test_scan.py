"""The leak scanner finds planted clear identifiers in every published format, and stays quiet on tokens."""

from __future__ import annotations

import hashlib
import hmac
import json
import subprocess
import sys
from pathlib import Path

import duckdb
import pytest

from flows.privacy.scan import Names, scan_path
from rules.identifiers import id_check_char, luhn_ok


def _valid_id(prefix17: str = "42092219850312457") -> str:
    return prefix17 + id_check_char(prefix17)


def _valid_card(prefix: str = "622202123456789012") -> str:
    return next(prefix + d for d in "0123456789" if luhn_ok(prefix + d))


ID, PHONE, CARD, NAME = _valid_id(), "13912345678", _valid_card(), "欧阳明华"
TOKEN = hmac.new(b"k", b"id:" + ID.encode(), hashlib.sha256).hexdigest()[:32]
SIMULATED_NAMES = Names(frozenset({NAME}))
CLEAN_VALUES = [
    TOKEN,
    "420922********457X",
    "139****5678",
    "6222 **** **** 1234",
    "欧*",
    "2026-05-01 10:00:00",
]


def _kinds(path: Path) -> set[str]:
    return {f.kind for f in scan_path(path, SIMULATED_NAMES)}


def _duckdb_with(path: Path, values: list[str]) -> Path:
    con = duckdb.connect(str(path))
    con.execute("create schema marts")
    con.execute("create table marts.t (v varchar, n integer)")
    con.executemany("insert into marts.t values (?, 1)", [[v] for v in values])
    con.close()
    return path


@pytest.mark.parametrize(
    ("planted", "kind"),
    [
        (ID, "id"),
        (ID[:-1] + ("0" if ID[-1] != "0" else "1"), "id"),
        (ID[:6] + ID[8:17], "id"),
        (PHONE, "phone"),
        ("+86 139-1234-5678", "phone"),
        (CARD, "card"),
        (NAME, "name"),
    ],
)
def test_scanner_finds_a_planted_leak_in_a_duckdb_file(tmp_path, planted, kind):
    path = _duckdb_with(tmp_path / "w.duckdb", [*CLEAN_VALUES, f"narrative mentions {planted} here"])
    assert kind in _kinds(path)


def test_scanner_is_quiet_on_tokens_and_masked_values(tmp_path):
    import secrets

    tokens = [secrets.token_hex(16) for _ in range(5000)]
    path = _duckdb_with(tmp_path / "w.duckdb", [*CLEAN_VALUES, *tokens])
    assert list(scan_path(path, SIMULATED_NAMES)) == []
    (tmp_path / "page.html").write_text("<td>" + "</td><td>".join(CLEAN_VALUES + tokens) + "</td>")
    assert list(scan_path(tmp_path / "page.html", SIMULATED_NAMES)) == []


def test_scanner_reads_parquet_html_json_csv_and_logs(tmp_path):
    con = duckdb.connect()
    con.execute(f"copy (select '{CARD}' as v) to '{tmp_path / 'x.parquet'}' (format parquet)")
    con.close()
    (tmp_path / "docs.html").write_text(f"<html><td>{ID}</td></html>", encoding="utf-8")
    (tmp_path / "artifact.json").write_text(json.dumps({"phone": PHONE}), encoding="utf-8")
    (tmp_path / "leads.csv").write_text(f"a,b\n1,{NAME}\n", encoding="utf-8")
    (tmp_path / "run.log").write_text(f"loaded row for {PHONE}\n", encoding="utf-8")
    found = {(Path(f.path).name, f.kind) for f in scan_path(tmp_path, SIMULATED_NAMES)}
    assert found == {
        ("x.parquet", "card"),
        ("docs.html", "id"),
        ("artifact.json", "phone"),
        ("leads.csv", "name"),
        ("run.log", "phone"),
    }


def test_findings_never_print_the_clear_value(tmp_path):
    (tmp_path / "run.log").write_text(f"{ID} {PHONE} {CARD} {NAME}\n", encoding="utf-8")
    names = tmp_path / "names.txt"
    names.write_text(NAME + "\n", encoding="utf-8")
    proc = subprocess.run(
        [sys.executable, "-m", "flows.cli", "scan-pii", str(tmp_path / "run.log"), "--names", str(names)],
        capture_output=True,
        text=True,
        cwd=Path(__file__).resolve().parents[1],
    )
    assert proc.returncode == 1
    assert "4 findings" in proc.stdout
    for clear in (ID, PHONE, CARD, NAME):
        assert clear not in proc.stdout


def test_a_name_inside_a_place_name_is_not_a_leak(tmp_path):
    path = _duckdb_with(tmp_path / "w.duckdb", ["白云鄂博矿区公安分局", "白*"])
    names = Names(frozenset({"白云"}), public=("白云鄂博矿区公安分局",))
    assert list(scan_path(path, names)) == []
    path2 = _duckdb_with(tmp_path / "w2.duckdb", ["受害人白云报案"])
    assert {f.kind for f in scan_path(path2, names)} == {"name"}
