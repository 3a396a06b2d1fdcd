"""The simulator: exact source formats, ground-truth consistency, defects, determinism, appending days."""

from __future__ import annotations

import contextlib
import gzip
import hashlib
import json
import os
import sqlite3
import subprocess
import sys
import uuid
from datetime import date
from pathlib import Path

import pytest

from flows.ingest.conformance import Report as ConformanceReport
from flows.ingest.conformance import check_sources
from simulator import SimConfig, simulate
from simulator.ids import is_valid_id, luhn_valid
from tests.conftest import skip_or_fail

CHECKER = Path(__file__).resolve().parents[2] / "shared/tools/check_contracts.py"
SMALL = {"scale": 0.1, "seed": 42}


def _run(root: Path, days: int = 3, start: date | None = None, **kw: object):
    return simulate(
        str(root / "landing"),
        f"sqlite:///{root / 'police.db'}",
        root / "truth",
        start=start,
        days=days,
        **{**SMALL, **kw},
    )  # type: ignore[arg-type]


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("world")
    _run(root, days=5)
    return root


def _files(landing: Path) -> dict[str, bytes]:
    return {str(p.relative_to(landing)): p.read_bytes() for p in sorted(landing.rglob("*")) if p.is_file()}


def _police_rows(db: Path) -> dict[str, list[tuple]]:
    con = sqlite3.connect(db)
    tables = [r[0] for r in con.execute("select name from sqlite_master where type='table' order by name")]
    out = {t: sorted(con.execute(f'select * from "{t}"').fetchall(), key=repr) for t in tables}
    con.close()
    return out


def _truth_rows(truth: Path, table: str) -> list[dict]:
    rows: list[dict] = []
    for p in sorted(truth.glob(f"days/date=*/{table}.jsonl")):
        rows += [json.loads(x) for x in p.read_text(encoding="utf-8").splitlines()]
    return rows


def _jsonl(path: Path) -> list[dict]:
    return [json.loads(x) for x in path.read_text(encoding="utf-8").splitlines()]


def _lines(path: Path) -> list[bytes]:
    raw = path.read_bytes()
    raw = gzip.decompress(raw) if path.suffix == ".gz" else raw
    lines = raw.split(b"\n")
    return lines[:-1] if lines[-1] == b"" else lines


def _finance_objects(landing: Path, name: str) -> list[dict]:
    out = []
    for p in sorted(landing.glob(f"finance/batch=*/{name}")):
        for ln in _lines(p):
            with contextlib.suppress(ValueError):  # a truncated last line
                out.append(json.loads(ln))
    return out


# ---- formats ----------------------------------------------------------------------------------


def test_every_file_and_table_passes_the_projects_conformance_check(world: Path) -> None:
    report = _conformance(world)
    assert report.violations == []
    assert report.counts["telecom: complete batches"] == 5 and report.counts["finance: complete batches"] == 5


def test_every_file_passes_the_source_owners_checker(world: Path) -> None:
    res = _checker(world)
    assert res.returncode == 0, res.stdout + res.stderr
    assert "0 violations" in res.stdout


def test_telecom_files_are_gb18030_crlf_with_header(world: Path) -> None:
    for p in sorted((world / "landing/telecom").rglob("*.csv*")):
        lines = _lines(p)
        assert all(ln.endswith(b"\r") for ln in lines), p
        header = lines[0].rstrip(b"\r").decode("gb18030").split("|")
        assert header[0] in ("msisdn", "call_id", "cell_id")
        assert b'"' not in b"".join(lines)
    names = (world / "landing/telecom/batch=2026-05-01/subscribers.csv").read_bytes().decode("gb18030")
    assert any("\u4e00" <= ch <= "\u9fff" for ch in names)


def test_manifests_count_rows_and_hash_stored_bytes_and_are_written_last(world: Path) -> None:
    for source in ("telecom", "finance"):
        batches = sorted((world / "landing" / source).iterdir())
        kinds = []
        for b in batches:
            man = json.loads((b / "_SUCCESS").read_text(encoding="utf-8"))
            kinds.append(man["kind"])
            assert man["batch"] == b.name[len("batch=") :] and man["source"] == source
            uuid.UUID(man["delivery_id"])
            assert set(man["files"]) == {p.name for p in b.iterdir() if p.name != "_SUCCESS"}
            for name, meta in man["files"].items():
                p = b / name
                assert hashlib.sha256(p.read_bytes()).hexdigest() == meta["sha256"]
                n = len(_lines(p)) - (1 if source == "telecom" else 0)
                assert n == meta["rows"], p
                assert (b / "_SUCCESS").stat().st_mtime_ns >= p.stat().st_mtime_ns
        assert kinds[0] == "initial" and set(kinds[1:]) == {"delta"}


def test_gzip_files_are_deterministic_without_name_or_time(world: Path) -> None:
    for p in (world / "landing").rglob("*.gz"):
        head = p.read_bytes()[:10]
        assert head[3] & 0x08 == 0, "no file name in the gzip header"
        assert head[4:8] == b"\0\0\0\0", "mtime 0"


def test_cells_only_in_the_first_batch_and_when_they_change(world: Path) -> None:
    assert (world / "landing/telecom/batch=2026-05-01/cells.csv").exists()
    for b in sorted((world / "landing/telecom").iterdir())[1:]:
        p = b / "cells.csv"
        if p.exists():
            assert len(_lines(p)) > 1


def test_police_timestamps_are_text_without_microseconds(world: Path) -> None:
    con = sqlite3.connect(world / "police.db")
    (v,) = con.execute("select reported_at from cases limit 1").fetchone() or ("2026-05-01 00:00:00",)
    assert len(v) == 19
    (b,) = con.execute("select birth_date from residents limit 1").fetchone()
    assert len(b) == 10
    assert all(is_valid_id(r[0]) for r in con.execute("select id_no from residents"))
    con.close()


# ---- ground truth -----------------------------------------------------------------------------


def test_every_planted_card_exists_in_the_accounts_feed_with_its_holder(world: Path) -> None:
    accounts = {a["card_no"]: a for a in _finance_objects(world / "landing", "accounts.jsonl")}
    members = {(m["gang_id"], m["id_no"]) for m in _jsonl(world / "truth/gang_members.jsonl")}
    planted = _jsonl(world / "truth/planted_cards.jsonl")
    assert planted
    missing = [c["card_no"] for c in planted if c["card_no"] not in accounts]
    assert len(missing) <= 1  # at most the card cut off by a truncated last line
    for c in planted:
        assert luhn_valid(c["card_no"])
        assert (c["gang_id"], c["holder_id_no"]) in members
        if c["card_no"] in accounts:
            assert accounts[c["card_no"]]["holder_id_no"] == c["holder_id_no"]
            assert accounts[c["card_no"]]["region_code"] == c["region_code"]


def test_planted_sims_are_registered_to_gang_suppliers(world: Path) -> None:
    subs: dict[str, str] = {}
    for p in sorted((world / "landing/telecom").glob("batch=*/subscribers.csv")):
        for ln in _lines(p)[1:]:
            f = ln.rstrip(b"\r").decode("gb18030").split("|")
            subs[f[0]] = f[3]
    sims = _jsonl(world / "truth/planted_sims.jsonl")
    assert sims
    found = [s for s in sims if s["msisdn"] in subs]
    assert len(found) >= 0.9 * len(sims)  # the rest carry an allowed defect (number format)
    assert all(subs[s["msisdn"]] == s["supplier_id_no"] or not is_valid_id(subs[s["msisdn"]]) for s in found)


def test_every_victim_payment_and_hop_appears_in_transactions(world: Path) -> None:
    txns = {t["txn_id"]: t for t in _finance_objects(world / "landing", "transactions.jsonl.gz")}
    path = _truth_rows(world / "truth", "money_path")
    payments = _truth_rows(world / "truth", "payments")
    assert payments and path
    cut = {d["key"] for d in _truth_rows(world / "truth", "defects") if d["kind"] == "truncated_line"}
    for row in path:
        if row["txn_id"] in cut:
            continue
        t = txns[row["txn_id"]]
        assert (t["from_card"], t["to_card"]) == (row["from_card"], row["to_card"])
    planted = {c["card_no"] for c in _jsonl(world / "truth/planted_cards.jsonl")}
    assert all(p["to_card"] in planted for p in payments)


def test_fraud_calls_in_truth_are_the_call_records_with_their_ids(world: Path) -> None:
    records: dict[str, list[str]] = {}
    for p in sorted((world / "landing/telecom").glob("batch=*/cdr.csv.gz")):
        for ln in _lines(p)[1:]:
            fields = ln.decode("gb18030").split("|")
            records.setdefault(fields[0], fields)
    calls = _truth_rows(world / "truth", "fraud_calls")
    assert calls and all(c["call_id"] in records for c in calls)
    # the record under that id is that call: its callee (digits, whatever the format) and duration
    digits = [("".join(ch for ch in records[c["call_id"]][2] if ch.isdigit()), c["callee"]) for c in calls]
    assert all(d.endswith(callee) for d, callee in digits)
    assert all(records[c["call_id"]][4].lstrip("-") == str(c["duration_s"]) for c in calls)  # a defect negates


def test_cases_link_to_gangs_and_victims_resolve_to_people(world: Path) -> None:
    con = sqlite3.connect(world / "police.db")
    cases = {r[0] for r in con.execute("select case_no from cases")}
    con.close()
    links = _truth_rows(world / "truth", "cases")
    gangs = {g["gang_id"] for g in _jsonl(world / "truth/gangs.jsonl")}
    assert {c["case_no"] for c in links} == cases
    assert all(c["gang_id"] in gangs for c in links)


# ---- defects ----------------------------------------------------------------------------------


def test_defect_rates_stay_within_configuration(tmp_path: Path) -> None:
    cfg = SimConfig(
        cdr_duplicate_rate=0.003,
        cdr_resend_rate=0.002,
        txn_duplicate_rate=0.003,
        txn_resend_rate=0.002,
        bad_holder_id_rate=0.01,
    )
    _run(tmp_path, days=4, config=cfg)
    man_rows: dict[str, int] = {}
    for p in (tmp_path / "landing").rglob("_SUCCESS"):
        for name, meta in json.loads(p.read_text())["files"].items():
            man_rows[name] = man_rows.get(name, 0) + meta["rows"]
    defects = _truth_rows(tmp_path / "truth", "defects")
    count = lambda f, kinds: sum(1 for d in defects if d.get("file") == f and d["kind"] in kinds)  # noqa: E731
    dup = count("cdr.csv.gz", {"duplicate", "resent"})
    assert 0 < dup <= 0.005 * man_rows["cdr.csv.gz"] * 1.5
    assert (
        count("transactions.jsonl.gz", {"duplicate", "duplicate_reversed", "resent", "resent_reversed"})
        <= 0.005 * man_rows["transactions.jsonl.gz"] * 1.5
    )
    assert (
        count("subscribers.csv", {"id_check_char", "id_birth_date", "id_15_digit"})
        <= 0.01 * man_rows["subscribers.csv"] * 2 + 3
    )
    # the recorded lines really carry the defect
    for d in defects:
        if d.get("file") == "cdr.csv.gz" and d["kind"] == "duplicate":
            lines = _lines(tmp_path / "landing/telecom" / f"batch={d['batch']}" / "cdr.csv.gz")
            line = lines[d["line"] - 1]
            assert line.startswith(d["key"].encode()) and lines.count(line) == 2


def test_records_sent_again_in_a_later_batch_carry_their_key_and_the_correction(tmp_path: Path) -> None:
    cfg = SimConfig(
        cdr_duplicate_rate=0,
        cdr_resend_rate=0.005,
        txn_duplicate_rate=0,
        txn_resend_rate=0.005,
        late_correction_share=1.0,
        truncated_file_rate=0.5,
        bad_holder_id_rate=0.01,
    )
    _run(tmp_path, days=8, config=cfg)
    landing = tmp_path / "landing"
    defects = _truth_rows(tmp_path / "truth", "defects")
    cut = {(d["batch"], d["file"], d["line"]) for d in defects if d["kind"] == "truncated_line"}
    later = [d for d in defects if "first_batch" in d]
    kinds = {d["kind"] for d in later}
    assert {"resent", "resent_reversed", "late_correction"} <= kinds
    planned = _truth_rows(tmp_path / "truth", "resent")
    assert {(p["file"], p["key"], p["resend_batch"]) for p in planned if p["resend_batch"] <= "2026-05-08"} == {
        (d["file"], d["key"], d["batch"]) for d in later
    }
    for d in later:
        assert d["first_batch"] < d["batch"] <= d["first_batch"][:8] + f"{int(d['first_batch'][8:]) + 7:02d}"
        source = "telecom" if d["file"] in ("cdr.csv.gz", "subscribers.csv") else "finance"
        lines = _lines(landing / source / f"batch={d['batch']}" / d["file"])
        first = _lines(landing / source / f"batch={d['first_batch']}" / d["file"])
        line = lines[d["line"] - 1]
        if (d["batch"], d["file"], d["line"]) in cut:
            continue
        if d["kind"] == "resent":
            assert line in first  # an exact copy of the earlier record
        elif d["kind"] == "resent_reversed":
            assert b'"status":"reversed"' in line and line.replace(b"reversed", b"success") in first
        elif d["file"] == "subscribers.csv":
            fields = line.rstrip(b"\r").decode("gb18030").split("|")
            assert fields[0] == d["key"] and is_valid_id(fields[3])  # the holder ID corrected
        else:
            assert json.loads(line)["card_no"] == d["key"]  # the account cut off earlier, now whole


def test_config_rates_are_bounded_by_the_contracts() -> None:
    with pytest.raises(ValueError):
        SimConfig(cdr_duplicate_rate=0.01)
    with pytest.raises(ValueError):
        SimConfig(cdr_duplicate_rate=0.004, cdr_resend_rate=0.002)
    with pytest.raises(ValueError):
        SimConfig(bad_holder_id_rate=0.02)


# ---- determinism and appending ----------------------------------------------------------------


def test_same_seed_gives_byte_identical_files_and_rows(tmp_path: Path) -> None:
    _run(tmp_path / "a")
    _run(tmp_path / "b")
    assert _files(tmp_path / "a/landing") == _files(tmp_path / "b/landing")
    assert _files(tmp_path / "a/truth") == _files(tmp_path / "b/truth")
    assert _police_rows(tmp_path / "a/police.db") == _police_rows(tmp_path / "b/police.db")


def test_three_days_in_one_call_equal_one_plus_two_days(tmp_path: Path) -> None:
    _run(tmp_path / "one", days=3)
    _run(tmp_path / "two", days=1)
    _run(tmp_path / "two", days=2, start=date(2026, 5, 2))
    assert _files(tmp_path / "one/landing") == _files(tmp_path / "two/landing")
    assert _police_rows(tmp_path / "one/police.db") == _police_rows(tmp_path / "two/police.db")
    assert _files(tmp_path / "one/truth") == _files(tmp_path / "two/truth")


def test_days_planned_in_blocks_give_the_same_output(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """`simulate` plans and generates days a block at a time (memory flat in the days): any block size, and
    re-deliveries reaching back over a block's start, give the same bytes."""
    import simulator.run as run

    cfg = SimConfig(redelivery_rate=0.5)
    _run(tmp_path / "whole", days=4, config=cfg)
    monkeypatch.setattr(run, "BLOCK_DAYS", 1)
    _run(tmp_path / "blocks", days=4, config=cfg)
    assert _files(tmp_path / "whole/landing") == _files(tmp_path / "blocks/landing")
    assert _police_rows(tmp_path / "whole/police.db") == _police_rows(tmp_path / "blocks/police.db")
    assert _files(tmp_path / "whole/truth") == _files(tmp_path / "blocks/truth")


def test_lazy_lines_are_made_a_range_at_a_time_with_kept_and_overridden_items() -> None:
    from simulator.lines import Lazy

    made: list[tuple[int, int]] = []

    def make(a: int, b: int) -> list[list[str]]:
        made.append((a, b))
        return [[f"r{i}"] for i in range(a, b)]

    rows = Lazy(5, make)
    rows += [["x"]]
    rows[1][0] = "mutated"  # a row read singly is kept: mutating it in place lasts
    rows[3] = ["replaced"]
    assert len(rows) == 6 and rows[-1] == ["x"]
    lines = rows.map(lambda rs: ["|".join(r) for r in rs])
    assert list(lines.chunks(4)) == [["r0", "mutated", "r2", "replaced"], ["r4", "x"]]
    assert lines[1:3] == ["mutated", "r2"] and (0, 4) in made


def test_a_call_without_start_continues_after_the_last_day(tmp_path: Path) -> None:
    _run(tmp_path, days=1)
    s = _run(tmp_path, days=1)
    assert s.first_day == date(2026, 5, 2)
    assert (tmp_path / "landing/finance/batch=2026-05-02/_SUCCESS").exists()


def test_a_world_of_another_simulator_format_is_not_continued(tmp_path: Path) -> None:
    _run(tmp_path, days=1)
    state = json.loads((tmp_path / "truth/world.json").read_text(encoding="utf-8"))
    (tmp_path / "truth/world.json").write_text(json.dumps({**state, "format": 1}), encoding="utf-8")
    with pytest.raises(ValueError, match="format"):
        _run(tmp_path, days=1)


def test_truth_inside_landing_is_refused(tmp_path: Path) -> None:
    with pytest.raises(ValueError):
        simulate(str(tmp_path / "l"), f"sqlite:///{tmp_path / 'p.db'}", tmp_path / "l/truth", days=1, scale=0.05)


# ---- re-deliveries ----------------------------------------------------------------------------

REDELIVER = SimConfig(redelivery_rate=0.4)


def _conformance(root: Path) -> ConformanceReport:
    """The project's own check (`fraudbrain check-sources`)."""
    return check_sources(str(root / "landing"), f"sqlite:///{root / 'police.db'}")


def _checker(root: Path) -> subprocess.CompletedProcess[str]:
    """The source owners' checker, which lives beside CI's checkout only (../shared): skipped without it,
    except in CI, where its absence fails."""
    if not CHECKER.exists():
        skip_or_fail(f"the source owners' checker {CHECKER} is absent (it is beside CI's checkout only)")
    cmd = [sys.executable, str(CHECKER), "--landing", str(root / "landing"), "--police-db", str(root / "police.db")]
    return subprocess.run(cmd, capture_output=True, text=True, check=False)


def _manifest(root: Path, source: str, batch: str) -> dict:
    return json.loads((root / "landing" / source / f"batch={batch}" / "_SUCCESS").read_text(encoding="utf-8"))


def test_a_damaged_batch_is_seen_until_its_corrected_delivery_replaces_it(tmp_path: Path) -> None:
    _run(tmp_path, days=4, config=REDELIVER)
    first = [r for r in _truth_rows(tmp_path / "truth", "redeliveries") if r["attempt"] == 1]
    pending = [r for r in first if r["corrected_on"] > "2026-05-04"]
    assert pending, "the world as of day 4 holds a damaged delivery not yet corrected"
    refused = {(r["source"], r["batch"]) for r in pending if r["damage"] != "missing_rows"}
    found = "\n".join(_conformance(tmp_path).violations)
    for source, batch in refused:  # the check sees what the pipeline must refuse
        assert f"{source}/batch={batch}" in found
    if not refused:
        assert found == ""
    if CHECKER.exists():  # the source owners' checker agrees (beside CI's checkout only)
        res = _checker(tmp_path)
        assert all(f"{source}/batch={batch}" in res.stdout for source, batch in refused)
        assert res.returncode == (1 if refused else 0), res.stdout
    for r in pending:
        man = _manifest(tmp_path, r["source"], r["batch"])
        assert man["delivery_id"] == r["delivery_id"]
        assert {k: v["rows"] for k, v in man["files"].items()} == r["files"]
    _run(tmp_path, days=10, config=REDELIVER)  # continue to 2026-05-14: every correction has arrived
    final = {(r["source"], r["batch"]): r for r in _truth_rows(tmp_path / "truth", "redeliveries") if r["attempt"] == 2}
    assert {(r["source"], r["batch"]) for r in first} <= set(final)
    for (source, batch), r in final.items():
        man = _manifest(tmp_path, source, batch)
        assert man["delivery_id"] == r["delivery_id"]
        assert {k: v["rows"] for k, v in man["files"].items()} == r["files"]
    for r in first:
        if r["damage"] == "missing_rows":
            assert r["rows_sent"] < final[(r["source"], r["batch"])]["files"][r["file"]]
    late = [r for r in _truth_rows(tmp_path / "truth", "redeliveries") if r["attempt"] == 1 and r not in first]
    late_refused = [r for r in late if r["damage"] != "missing_rows" and r["corrected_on"] > "2026-05-14"]
    res = _checker(tmp_path)
    assert (res.returncode == 0) == (not late_refused), res.stdout


def test_re_deliveries_are_the_same_however_the_days_are_split(tmp_path: Path) -> None:
    _run(tmp_path / "one", days=9, config=REDELIVER)
    for start, days in ((None, 3), (date(2026, 5, 4), 2), (None, 4)):
        _run(tmp_path / "three", days=days, start=start, config=REDELIVER)
    assert _truth_rows(tmp_path / "one/truth", "redeliveries")
    assert _files(tmp_path / "one/landing") == _files(tmp_path / "three/landing")
    assert _files(tmp_path / "one/truth") == _files(tmp_path / "three/truth")


def test_a_re_delivery_gets_a_new_delivery_id_and_only_the_files_it_lists(tmp_path: Path) -> None:
    _run(tmp_path, days=12, config=SimConfig(redelivery_rate=1.0))
    rows = _truth_rows(tmp_path / "truth", "redeliveries")
    ids = [r["delivery_id"] for r in rows]
    assert len(ids) == len(set(ids))
    for r in rows:
        if r["attempt"] == 2:
            batch_dir = tmp_path / "landing" / r["source"] / f"batch={r['batch']}"
            assert {p.name for p in batch_dir.iterdir()} == {*r["files"], "_SUCCESS"}
    assert {r["damage"] for r in rows if r["attempt"] == 1} == {"missing_rows", "checksum_mismatch", "missing_file"}


# ---- fraud knobs ------------------------------------------------------------------------------


def test_a_world_with_long_slow_chains_and_two_city_gangs(tmp_path: Path) -> None:
    cfg = SimConfig(mule_hops_min=4, mule_hops_max=5, pass_through_slowdown=50, two_city_gang_share=1.0)
    _run(tmp_path, days=6, config=cfg, scale=0.2)
    assert _checker(tmp_path).returncode == 0
    gangs = _jsonl(tmp_path / "truth/gangs.jsonl")
    assert gangs and all(g["second_region"] and g["second_region"][:4] != g["base_region"][:4] for g in gangs)
    path = _truth_rows(tmp_path / "truth", "money_path")
    chains: dict[tuple[str, int], list[dict]] = {}
    for r in path:
        if r["typology"] == "chain":
            chains.setdefault((r["episode_id"], r["payment_seq"]), []).append(r)
    assert chains
    for hops in chains.values():
        moves = [h for h in hops if h["to_card"] is not None and h["hop"] > 0]
        if len(hops) > len(moves) + 1:  # laundering finished within the generated days
            assert 4 <= len(moves) <= 5
    # slow pass-through: hours between the victim's payment and the first hop, not minutes
    from datetime import datetime

    gaps = [
        datetime.fromisoformat(by[1]["ts"]) - datetime.fromisoformat(by[0]["ts"])
        for by in ({h["hop"]: h for h in hops} for hops in chains.values())
        if 0 in by and 1 in by
    ]
    assert gaps and min(g.total_seconds() for g in gaps) >= 3600


def test_fraud_knobs_are_validated() -> None:
    with pytest.raises(ValueError):
        SimConfig(mule_hops_min=4, mule_hops_max=3)
    with pytest.raises(ValueError):
        SimConfig(pass_through_slowdown=0.5)


def test_the_cli_sets_knobs(tmp_path: Path) -> None:
    from typer.testing import CliRunner

    from flows.cli import app

    args = ["simulate", "--landing", str(tmp_path / "l"), "--police-url", f"sqlite:///{tmp_path / 'p.db'}"]
    args += ["--truth", str(tmp_path / "t"), "--days", "1", "--scale", "0.02", "--no-progress"]
    res = CliRunner().invoke(app, [*args, "--set", "redelivery_rate=0.5", "--set", "mule_hops_max=5"])
    assert res.exit_code == 0, res.output
    state = json.loads((tmp_path / "t/world.json").read_text(encoding="utf-8"))
    assert state["config"]["redelivery_rate"] == 0.5 and state["config"]["mule_hops_max"] == 5


# ---- police contract revision 2 ------------------------------------------------------------------


def test_revision_2_writes_typed_ref_no_for_lead_followups_and_upgrades_a_revision_1_site(tmp_path: Path) -> None:
    cfg = {"gangs_per_10k": 20, "ref_no_empty_rate": 0.3, "ref_no_typo_rate": 0.4}
    _run(tmp_path, days=3, config=SimConfig(**cfg))
    con = sqlite3.connect(tmp_path / "police.db")
    assert "ref_no" not in {r[1] for r in con.execute("pragma table_info(supervision_tasks)")}, "revision 1"
    con.close()
    _run(tmp_path, days=4, config=SimConfig(**cfg, police_revision=2))  # the site upgraded, the world goes on
    con = sqlite3.connect(tmp_path / "police.db")
    cases = {r[0] for r in con.execute("select case_no from cases")}
    tasks = con.execute("select task_id, kind, ref_no, issued_at from supervision_tasks").fetchall()
    con.close()
    new = [(tid, kind, ref) for tid, kind, ref, issued in tasks if issued >= "2026-05-04"]
    refs = [ref for _, kind, ref in new if kind == "lead_followup"]
    assert all(ref is None for _, kind, ref in new if kind != "lead_followup")
    assert any(r is None for r in refs) and any(r in cases for r in refs), refs
    typed = [r for r in refs if r is not None and r not in cases]
    assert typed, "some are typed with a defect"
    defects = {
        d["key"]: d["kind"] for d in _truth_rows(tmp_path / "truth", "defects") if d.get("table") == "supervision_tasks"
    }
    assert {tid for tid, _, ref in new if ref in typed} <= set(defects)
    assert _conformance(tmp_path).violations == []


def test_police_revision_1_is_the_default_and_keeps_the_bytes(tmp_path: Path) -> None:
    _run(tmp_path / "a", days=1)
    _run(tmp_path / "b", days=1, config=SimConfig(police_revision=1))
    assert _police_rows(tmp_path / "a/police.db") == _police_rows(tmp_path / "b/police.db")


# ---- PostgreSQL -------------------------------------------------------------------------------


@pytest.mark.postgres
def test_police_database_on_postgresql(tmp_path: Path) -> None:
    sqlalchemy = pytest.importorskip("sqlalchemy")
    base = os.environ.get("FRAUDBRAIN_TEST_PG", "postgresql+psycopg://postgres@127.0.0.1:5432/test")
    engine = sqlalchemy.create_engine(base)
    try:
        with engine.connect() as conn:
            conn.execute(sqlalchemy.text("select 1"))
    except Exception as e:
        if os.environ.get("CI") == "true":
            pytest.fail(f"PostgreSQL is not reachable at {base}: {e}")
        pytest.skip(f"PostgreSQL is not reachable at {base}: {e}")
    schema = f"sim_test_{uuid.uuid4().hex[:8]}"
    with engine.begin() as conn:
        conn.execute(sqlalchemy.text(f"create schema {schema}"))
    try:
        url = f"{base}?options=-csearch_path%3D{schema}"
        simulate(str(tmp_path / "landing"), url, tmp_path / "truth", days=2, **SMALL)  # type: ignore[arg-type]
        _run(tmp_path / "lite", days=2)
        lite = _police_rows(tmp_path / "lite/police.db")
        with engine.connect() as conn:
            for table in ("cases", "residents", "units", "case_transfers"):
                n = conn.execute(sqlalchemy.text(f"select count(*) from {schema}.{table}")).scalar_one()
                assert n == len(lite[table]), table
            ts = conn.execute(sqlalchemy.text(f"select updated_at from {schema}.units limit 1")).scalar_one()
            assert ts.microsecond == 0
    finally:
        with engine.begin() as conn:
            conn.execute(sqlalchemy.text(f"drop schema {schema} cascade"))
        engine.dispose()
