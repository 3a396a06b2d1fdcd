"""`fraudbrain check-sources`: the project's own conformance check of a landing zone and a police database."""

from __future__ import annotations

import gzip
import hashlib
import json
import shutil
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from flows.ingest.conformance import check_sources
from tests.conftest import REPO


@pytest.fixture
def world(tiny_world: dict, tmp_path: Path) -> dict:
    """A private copy of the tiny world, free to damage."""
    landing, db = tmp_path / "landing", tmp_path / "police.db"
    shutil.copytree(tiny_world["landing"], landing)
    shutil.copy(tiny_world["police_db"], db)
    return {"landing": landing, "police_db": db, "police_url": f"sqlite:///{db}"}


def check(world: dict) -> list[str]:
    return check_sources(str(world["landing"]), world["police_url"]).violations


def batch(world: dict, source: str = "telecom", day: str = "2026-05-02") -> Path:
    return world["landing"] / source / f"batch={day}"


def rewrite_manifest(folder: Path, edit) -> None:
    manifest = json.loads((folder / "_SUCCESS").read_text(encoding="utf-8"))
    edit(manifest)
    (folder / "_SUCCESS").write_text(json.dumps(manifest), encoding="utf-8")


def test_a_simulated_world_conforms_with_its_allowed_defects_counted(world: dict) -> None:
    report = check_sources(str(world["landing"]), world["police_url"])
    assert report.violations == []
    assert report.counts["telecom: complete batches"] == 2 and report.counts["finance: complete batches"] == 2
    assert report.counts["police.supervision_tasks: revision 1"] == 1
    assert {c.what for c in report.checked} >= {"telecom/batch=2026-05-01/subscribers.csv", "police.residents"}


def test_a_file_the_manifest_does_not_list_is_a_violation(world: dict) -> None:
    folder = batch(world)
    rewrite_manifest(folder, lambda m: m["files"].pop("cdr.csv.gz"))
    assert check(world) == ["telecom/batch=2026-05-02/cdr.csv.gz: file not listed in _SUCCESS"]


def test_a_wrong_sha256_is_a_violation(world: dict) -> None:
    folder = batch(world, "finance")
    rewrite_manifest(folder, lambda m: m["files"]["accounts.jsonl"].update(sha256="0" * 64))
    (problem,) = check(world)
    assert problem.startswith("finance/batch=2026-05-02/accounts.jsonl: sha256 ")


def test_a_header_out_of_the_contract_order_is_a_violation(world: dict) -> None:
    folder = batch(world)
    path = folder / "subscribers.csv"
    lines = path.read_bytes().split(b"\r\n")
    head = lines[0].split(b"|")
    lines[0] = b"|".join([head[1], head[0], *head[2:]])
    path.write_bytes(b"\r\n".join(lines))
    rewrite_manifest(folder, lambda m: m["files"]["subscribers.csv"].update(sha256=_sha(path)))
    assert check(world) == ["telecom/batch=2026-05-02/subscribers.csv: header is not " + "|".join(_columns())]


def test_lf_line_ends_and_a_wrong_row_count_are_violations(world: dict) -> None:
    folder = batch(world)
    path = folder / "cdr.csv.gz"
    text = gzip.decompress(path.read_bytes()).replace(b"\r\n", b"\n")
    path.write_bytes(gzip.compress(text, mtime=0))
    rewrite_manifest(folder, lambda m: m["files"]["cdr.csv.gz"].update(sha256=_sha(path), rows=10**6))
    problems = check(world)
    assert "telecom/batch=2026-05-02/cdr.csv.gz:1: line ends are not CRLF" in problems
    assert any(p.startswith("telecom/batch=2026-05-02/cdr.csv.gz: ") and "_SUCCESS says 1000000" in p for p in problems)


def test_a_police_table_missing_a_column_is_a_violation(world: dict) -> None:
    with sqlite3.connect(world["police_db"]) as con:
        con.execute("alter table victims drop column phone")
    assert check(world) == ["police.victims: column phone missing"]


def test_a_police_database_on_revision_2_conforms(world: dict) -> None:
    with sqlite3.connect(world["police_db"]) as con:
        con.execute("alter table supervision_tasks add column ref_no TEXT")
    report = check_sources(None, world["police_url"])
    assert report.violations == []
    assert report.counts["police.supervision_tasks: revision 2"] == 1


def test_missing_sources_are_violations_not_silence(tmp_path: Path) -> None:
    report = check_sources(str(tmp_path / "nowhere"), f"sqlite:///{tmp_path / 'no.db'}")
    assert report.violations == [
        f"{tmp_path / 'nowhere'}: the landing zone does not exist",
        f"sqlite:///{tmp_path / 'no.db'}: the police database does not exist",
    ]
    assert not (tmp_path / "no.db").exists(), "the check never creates a database"


def test_the_command_exits_1_with_one_line_per_violation(world: dict) -> None:
    rewrite_manifest(batch(world), lambda m: m["files"].pop("cdr.csv.gz"))
    cmd = [sys.executable, "-m", "flows.cli", "check-sources", "--landing", str(world["landing"])]
    proc = subprocess.run(
        [*cmd, "--police-url", world["police_url"], "--json"], capture_output=True, text=True, cwd=REPO, check=False
    )
    assert proc.returncode == 1, proc.stderr
    out = json.loads(proc.stdout)
    assert out["ok"] is False
    assert out["violations"] == ["telecom/batch=2026-05-02/cdr.csv.gz: file not listed in _SUCCESS"]


def _sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _columns() -> tuple[str, ...]:
    from rules.contracts import table

    return table("telecom", "subscribers").columns
