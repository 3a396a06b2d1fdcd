"""`fraudbrain serve` registers the scheduled deployments with a real Prefect server and runs them."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from datetime import date
from pathlib import Path

import duckdb
import pytest

REPO = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _wait_healthy(url: str, proc: subprocess.Popen, timeout: float = 120) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"the Prefect server exited early with {proc.returncode}")
        try:
            with urllib.request.urlopen(f"{url}/health", timeout=2) as r:
                if r.status == 200:
                    return
        except OSError:
            time.sleep(1)
    raise TimeoutError(f"no healthy Prefect server at {url} after {timeout} s")


def _stop(proc: subprocess.Popen) -> None:
    if proc.poll() is None:
        os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()


_READ_AUTOMATION = """
from prefect.automations import Automation
from flows.operations.deployments import AUTOMATION
a = Automation.read(name=AUTOMATION)
print(a.actions[0].type, *sorted(a.trigger.expect))
"""


def test_serve_runs_the_police_deployment_against_a_local_server(tmp_path):
    import simulator

    landing, police_db = tmp_path / "landing", tmp_path / "police.db"
    simulator.simulate(
        str(landing), f"sqlite:///{police_db}", tmp_path / "truth", start=date(2026, 5, 1), days=2, scale=0.02, seed=3
    )
    port = _free_port()
    api = f"http://127.0.0.1:{port}/api"
    env = {
        **os.environ,
        "PREFECT_HOME": str(tmp_path / "prefect"),
        "PREFECT_API_URL": api,
        "PREFECT_SERVER_ANALYTICS_ENABLED": "false",
        "FRAUDBRAIN_LANDING": str(landing),
        "FRAUDBRAIN_POLICE_URL": f"sqlite:///{police_db}",
        "FRAUDBRAIN_WORK_DIR": str(tmp_path / "work"),
        "FRAUDBRAIN_WAREHOUSE": str(tmp_path / "warehouse" / "fraudbrain.duckdb"),
        "FRAUDBRAIN_PII_KEY": "a-key-for-the-serve-test",
        "FRAUDBRAIN_VAULT_KEY": "a-vault-key-for-the-serve-test",
    }
    server_env = {k: v for k, v in env.items() if k != "PREFECT_API_URL"}
    log = open(tmp_path / "server.log", "w")  # noqa: SIM115
    server = subprocess.Popen(
        [str(BIN / "prefect"), "server", "start", "--host", "127.0.0.1", "--port", str(port)],
        env=server_env,
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    served = None
    try:
        _wait_healthy(api, server)
        served = subprocess.Popen(
            [str(BIN / "fraudbrain"), "serve", "--police-every", "86400"],
            env=env,
            cwd=REPO,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        name = "fraudbrain-pipeline/police-incremental"
        deadline = time.monotonic() + 90
        while True:  # the deployment exists once serve has registered it
            probe = subprocess.run(
                [str(BIN / "prefect"), "deployment", "inspect", name], env=env, capture_output=True, text=True
            )
            if probe.returncode == 0:
                break
            assert time.monotonic() < deadline, f"serve did not register {name}: {probe.stdout[-500:]}"
            time.sleep(2)
        run = subprocess.run(
            [str(BIN / "prefect"), "deployment", "run", name, "--watch", "--watch-timeout", "300"],
            env=env,
            capture_output=True,
            text=True,
            timeout=360,
        )
        assert run.returncode == 0, run.stdout[-3000:] + run.stderr[-3000:]
        assert "Completed" in run.stdout
        con = duckdb.connect(env["FRAUDBRAIN_WAREHOUSE"], read_only=True)
        try:
            sources = {r[0] for r in con.execute("select distinct source from audit.load_ledger").fetchall()}
        finally:
            con.close()
        assert sources == {"police"}, "the police deployment takes police rows only"
        probe = subprocess.run(
            [str(BIN / "python"), "-c", _READ_AUTOMATION], env=env, capture_output=True, text=True, timeout=60
        )
        assert probe.stdout.split() == ["do-nothing", "fraudbrain.source.*"], probe.stderr[-2000:]
    finally:
        if served is not None:
            _stop(served)
        _stop(server)
        log.close()


def test_serve_without_a_server_says_how_to_start_one(tmp_path):
    env = {k: v for k, v in os.environ.items() if k != "PREFECT_API_URL"}
    proc = subprocess.run([str(BIN / "fraudbrain"), "serve"], env=env, capture_output=True, text=True, cwd=REPO)
    assert proc.returncode == 2
    assert "PREFECT_API_URL is not set" in proc.stderr


@pytest.mark.parametrize("sources", [["police"]])
def test_deployments_carry_schedules_and_no_secrets(sources):
    from flows.operations.deployments import DAILY, POLICE, deployments
    from flows.pipeline import pipeline

    deps = {d.name: d for d in deployments(pipeline)}
    assert set(deps) == {DAILY, POLICE}
    assert deps[POLICE].parameters == {"sources": sources}
    assert deps[DAILY].schedules and deps[POLICE].schedules
    assert "key" not in str(deps[DAILY].parameters).lower()
