"""A work directory is bound to its sources and its warehouse: another world is refused before anything is read."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import duckdb
import fsspec
import pytest

from flows.ingest import binding, ledger
from flows.settings import Settings
from tests.conftest import REPO, world_settings

ALL = ("telecom", "finance", "police")


def settings_for(world: dict, tmp_path: Path, **overrides) -> Settings:
    return world_settings(
        world, work_dir=tmp_path / "work", warehouse=tmp_path / "wh" / "fraudbrain.duckdb", **overrides
    )


def snapshot(folder: Path) -> dict[str, bytes]:
    """Every file of the work directory but the run lock (a lock file taken and released changes nothing)."""
    files = [p for p in sorted(folder.rglob("*")) if p.is_file() and p.name != ".run.lock"]
    return {str(p.relative_to(folder)): p.read_bytes() for p in files}


def loaded_as_the_pipeline_records(settings: Settings) -> int:
    """Record every delivery of the landing zone as loaded in the work database (what a run leaves behind)."""
    fs, root = fsspec.core.url_to_fs(settings.landing)
    refs = [ref for s in ("telecom", "finance") for ref in binding._landed(fs, root, s)]
    settings.work_dir.mkdir(parents=True, exist_ok=True)
    con = duckdb.connect(str(settings.work_db))
    try:
        ledger.ensure_schema(con, ())
        for ref in refs:
            ledger.record_batch(
                con,
                source=ref.source,
                batch=ref.batch,
                delivery_id=ref.delivery_id,
                kind=ref.kind,
                status=ledger.LOADED,
                message="",
                manifest_sha256=ref.manifest_sha256,
                run_id="r1",
            )
    finally:
        con.close()
    return len(refs)


@pytest.fixture
def other_world(tiny_world: dict, tmp_path: Path) -> dict:
    """Another landing zone and police database: a copy of the tiny world with one delivery id changed."""
    root = tmp_path / "other"
    shutil.copytree(tiny_world["landing"], root / "landing")
    shutil.copy(tiny_world["police_db"], root / "police.db")
    manifest = root / "landing/telecom/batch=2026-05-02/_SUCCESS"
    m = json.loads(manifest.read_text(encoding="utf-8"))
    manifest.write_text(json.dumps({**m, "delivery_id": "another-world"}), encoding="utf-8")
    return {"root": root, "landing": str(root / "landing"), "police_url": f"sqlite:///{root / 'police.db'}"}


def test_the_first_run_records_sources_first_deliveries_and_warehouse(tiny_world, tmp_path) -> None:
    settings = settings_for(tiny_world, tmp_path)
    bound = binding.ensure_bound(settings, ALL)
    stored = json.loads((settings.work_dir / "binding.json").read_text(encoding="utf-8"))
    assert stored["landing"] == str(Path(tiny_world["landing"]).resolve())
    assert stored["police"] == f"sqlite:///{Path(tiny_world['police_db']).resolve()}"
    assert stored["warehouse"] == str(settings.warehouse.resolve())
    assert set(stored["first_deliveries"]) == {"telecom", "finance"}
    assert binding.ensure_bound(settings, ALL) == bound, "the same sources again: a second run goes on"


def test_a_police_password_is_never_stored_or_printed() -> None:
    shown = binding.police_identity("postgresql://reader:s3cret@db.example:5432/cases")
    assert "s3cret" not in shown and shown == "postgresql://reader:***@db.example:5432/cases"


@pytest.mark.parametrize("what", ["landing", "police_url", "warehouse"])
def test_other_sources_or_warehouse_stop_the_run_and_change_nothing(tiny_world, other_world, tmp_path, what) -> None:
    settings = settings_for(tiny_world, tmp_path)
    binding.ensure_bound(settings, ALL)
    before = snapshot(settings.work_dir)
    other = {"warehouse": tmp_path / "elsewhere.duckdb"}.get(what, other_world.get(what))
    moved = settings.model_copy(update={what: other})
    with pytest.raises(binding.NotBound) as err:
        binding.ensure_bound(moved, ALL)
    message = str(err.value)
    assert "\n" not in message and "--work-dir" in message and "fraudbrain rebind" in message
    new = binding.current(moved)
    old = binding.current(settings)
    field = {"landing": "landing", "police_url": "police", "warehouse": "warehouse"}[what]
    assert getattr(old, field) in message and getattr(new, field) in message
    assert snapshot(settings.work_dir) == before


def test_a_backfill_reads_no_police_rows_and_is_not_refused_for_the_police_url(tiny_world, tmp_path) -> None:
    settings = settings_for(tiny_world, tmp_path)
    binding.ensure_bound(settings, ALL)
    default_police = settings.model_copy(update={"police_url": "sqlite:///data/police.db"})
    binding.ensure_bound(default_police, ["telecom", "finance"])


def test_a_landing_zone_that_does_not_exist_is_an_error_not_nothing_new(tiny_world, tmp_path) -> None:
    settings = settings_for(tiny_world, tmp_path, landing=str(tmp_path / "no-such-landing"))
    with pytest.raises(binding.SourceMissing, match="no-such-landing does not exist"):
        binding.ensure_bound(settings, ALL)
    assert not (settings.work_dir / "binding.json").exists()


def test_a_bound_work_directory_pointed_at_a_missing_landing_zone_says_it_does_not_exist(tiny_world, tmp_path) -> None:
    settings = settings_for(tiny_world, tmp_path)
    binding.ensure_bound(settings, ALL)
    moved = settings.model_copy(update={"landing": str(tmp_path / "typo-landing")})
    with pytest.raises(binding.SourceMissing, match="typo-landing does not exist"):
        binding.ensure_bound(moved, ALL)


def test_a_sqlite_police_database_that_does_not_exist_is_an_error_and_not_created(tiny_world, tmp_path) -> None:
    missing = tmp_path / "no-police.db"
    settings = settings_for(tiny_world, tmp_path, police_url=f"sqlite:///{missing}")
    with pytest.raises(binding.SourceMissing, match="does not exist"):
        binding.ensure_bound(settings, ALL)
    assert not missing.exists()
    assert not (settings.work_dir / "binding.json").exists()


def test_rebind_to_a_copy_of_the_same_landing_zone_succeeds(tiny_world, tmp_path) -> None:
    settings = settings_for(tiny_world, tmp_path)
    binding.ensure_bound(settings, ALL)
    n = loaded_as_the_pipeline_records(settings)
    copy = tmp_path / "moved" / "landing"
    shutil.copytree(tiny_world["landing"], copy)
    moved = settings.model_copy(update={"landing": str(copy)})
    with pytest.raises(binding.NotBound):
        binding.ensure_bound(moved, ALL)
    done = binding.rebind(moved)
    assert done.deliveries_checked == n > 0
    assert done.new.landing == str(copy.resolve())
    assert done.new.first_deliveries == done.old.first_deliveries  # type: ignore[union-attr]
    binding.ensure_bound(moved, ALL)  # the next run goes on


def test_rebind_to_a_landing_zone_lacking_loaded_deliveries_is_refused(tiny_world, other_world, tmp_path) -> None:
    settings = settings_for(tiny_world, tmp_path)
    binding.ensure_bound(settings, ALL)
    loaded_as_the_pipeline_records(settings)
    before = snapshot(settings.work_dir)
    moved = settings.model_copy(update={"landing": other_world["landing"]})
    with pytest.raises(binding.RebindRefused, match=r"lacks 1 of the \d+ deliveries .*telecom 2026-05-02"):
        binding.rebind(moved)
    assert snapshot(settings.work_dir) == before


def test_rebind_to_a_police_database_without_the_contract_tables_is_refused(tiny_world, tmp_path) -> None:
    import sqlite3

    settings = settings_for(tiny_world, tmp_path)
    binding.ensure_bound(settings, ALL)
    empty = tmp_path / "empty.db"
    sqlite3.connect(empty).close()
    with pytest.raises(binding.RebindRefused, match="lacks the contract's units"):
        binding.rebind(settings.model_copy(update={"police_url": f"sqlite:///{empty}"}))


def _cli(args: list[str], settings: Settings, tmp_path: Path) -> subprocess.CompletedProcess[str]:
    env = {
        "PATH": "/usr/bin:/bin",
        "HOME": str(tmp_path),
        "FRAUDBRAIN_PII_KEY": "k" * 32,
        "FRAUDBRAIN_VAULT_KEY": "v" * 32,
        "FRAUDBRAIN_WORK_DIR": str(settings.work_dir),
        "FRAUDBRAIN_WAREHOUSE": str(settings.warehouse),
    }
    cmd = [sys.executable, "-m", "flows.cli", *args]
    return subprocess.run(cmd, env=env, capture_output=True, text=True, cwd=REPO, check=False)


def test_the_run_command_refuses_another_world_and_a_missing_landing_in_one_line(
    tiny_world, other_world, tmp_path
) -> None:
    settings = settings_for(tiny_world, tmp_path)
    binding.ensure_bound(settings, ALL)
    before = snapshot(settings.work_dir)
    proc = _cli(
        ["run", "--landing", other_world["landing"], "--police-url", other_world["police_url"]], settings, tmp_path
    )
    assert proc.returncode == 2, proc.stdout + proc.stderr
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1 and "Traceback" not in proc.stderr, proc.stderr
    assert "was built from landing zone" in lines[0] and str(Path(other_world["landing"]).resolve()) in lines[0]
    assert snapshot(settings.work_dir) == before, "nothing read, nothing written"
    fresh = settings.model_copy(update={"work_dir": tmp_path / "fresh-work"})
    proc = _cli(["run", "--landing", str(tmp_path / "typo")], fresh, tmp_path)
    assert proc.returncode == 2 and "typo does not exist" in proc.stderr and "Traceback" not in proc.stderr
