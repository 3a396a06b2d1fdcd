"""Test-wide setup: quiet third parties, a private Prefect home, one Prefect test harness per session."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

import pytest

_PREFECT_HOME = tempfile.mkdtemp(prefix="fraudbrain-prefect-")
os.environ["PREFECT_HOME"] = _PREFECT_HOME
os.environ["PREFECT_SERVER_ANALYTICS_ENABLED"] = "false"
os.environ["DBT_SEND_ANONYMOUS_USAGE_STATS"] = "false"
os.environ["GX_ANALYTICS_ENABLED"] = "false"
os.environ["DO_NOT_TRACK"] = "1"
os.environ["PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS"] = "120"
os.environ.pop("FRAUDBRAIN_PII_KEY", None)
os.environ.pop("FRAUDBRAIN_VAULT_KEY", None)

REPO = Path(__file__).resolve().parents[1]
IN_CI = os.environ.get("CI", "").lower() == "true"


def skip_or_fail(reason: str) -> None:
    """Skip where an optional service is absent on a developer's machine; in CI a skip is a failure."""
    if IN_CI:
        pytest.fail(f"{reason} (CI=true: this test must run in CI)")
    pytest.skip(reason)


@pytest.fixture(scope="session")
def prefect_harness():
    """A temporary Prefect API for tests that run flows (started once, ~10-15 s)."""
    from prefect.testing.utilities import prefect_test_harness

    with prefect_test_harness(server_startup_timeout=120):
        yield


# ---- a small simulated world and one pipeline run over it, shared by the end-to-end tests -------------
E2E_KEY = "test-key-for-the-e2e-world"
E2E_VAULT_KEY = "test-vault-key-for-the-e2e-world"


@pytest.fixture(scope="session")
def small_world(tmp_path_factory: pytest.TempPathFactory) -> dict:
    import sqlite3
    from datetime import date

    import simulator
    from simulator.config import SimConfig

    root = tmp_path_factory.mktemp("world")
    landing, truth = root / "landing", root / "truth"
    police_url = f"sqlite:///{root / 'police.db'}"
    # 2,000 people hold one gang at the default rate, often not yet active in 8 days: more gangs, so that
    # the end-to-end tests have cases, clusters and money to trace
    config = SimConfig(gangs_per_10k=20)
    simulator.simulate(
        str(landing), police_url, truth, start=date(2026, 5, 1), days=8, scale=0.1, seed=3, config=config
    )
    with sqlite3.connect(root / "police.db") as con:
        cases = con.execute("select count(*) from cases").fetchone()[0]
    assert cases >= 5, f"the small test world holds {cases} cases: pick another seed (tests/conftest.py)"
    return {
        "root": root,
        "landing": str(landing),
        "police_url": police_url,
        "truth": truth,
        "police_db": root / "police.db",
    }


@pytest.fixture(scope="session")
def tiny_world(tmp_path_factory: pytest.TempPathFactory) -> dict:
    """Two days of a small town: for tests of the pipeline's mechanics, not of detection."""
    from datetime import date

    import simulator

    root = tmp_path_factory.mktemp("tiny")
    police_url = f"sqlite:///{root / 'police.db'}"
    simulator.simulate(
        str(root / "landing"), police_url, root / "truth", start=date(2026, 5, 1), days=2, scale=0.02, seed=3
    )
    return {
        "root": root,
        "landing": str(root / "landing"),
        "police_url": police_url,
        "truth": root / "truth",
        "police_db": root / "police.db",
    }


def world_settings(world: dict, **overrides):
    from flows.settings import Settings

    root = world["root"]
    values = {
        "landing": world["landing"],
        "police_url": world["police_url"],
        "work_dir": root / "work",
        "warehouse": root / "warehouse" / "fraudbrain.duckdb",
        "pii_key": E2E_KEY,
        "vault_key": E2E_VAULT_KEY,
    }
    return Settings(**{**values, **overrides})


@pytest.fixture(scope="session")
def demo_run(small_world, prefect_harness):
    """The pipeline run once over the small world: (settings, summary)."""
    from flows.pipeline import pipeline

    settings = world_settings(small_world)
    return settings, pipeline(settings)
