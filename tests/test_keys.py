"""Keys come from the environment or a Prefect Secret block, never from files in the repository."""

from __future__ import annotations

import subprocess

import pytest

from flows.settings import DEMO_PII_KEY, KeyError_, Settings, key_fingerprint
from tests.conftest import REPO

PII_FROM_BLOCK = "pii-key-from-a-secret-block"
VAULT_FROM_BLOCK = "vault-key-from-a-secret-block"


@pytest.fixture(scope="module")
def key_blocks(prefect_harness):
    from prefect.blocks.system import Secret

    Secret(value=PII_FROM_BLOCK).save("fraudbrain-test-pii-key", overwrite=True)
    Secret(value=VAULT_FROM_BLOCK).save("fraudbrain-test-vault-key", overwrite=True)
    Secret(value=DEMO_PII_KEY).save("fraudbrain-test-demo-key", overwrite=True)
    return {"pii_key_block": "fraudbrain-test-pii-key", "vault_key_block": "fraudbrain-test-vault-key"}


def test_keys_are_read_from_prefect_secret_blocks(key_blocks):
    settings = Settings(**key_blocks)
    assert settings.resolved_pii_key() == PII_FROM_BLOCK
    assert settings.resolved_vault_key() == VAULT_FROM_BLOCK
    assert settings.token_key_id() == key_fingerprint(PII_FROM_BLOCK)
    assert PII_FROM_BLOCK not in repr(settings) and VAULT_FROM_BLOCK not in repr(settings)


def test_block_names_come_from_the_environment(key_blocks, monkeypatch):
    monkeypatch.setenv("FRAUDBRAIN_PII_KEY_BLOCK", key_blocks["pii_key_block"])
    monkeypatch.setenv("FRAUDBRAIN_VAULT_KEY_BLOCK", key_blocks["vault_key_block"])
    settings = Settings()
    assert (settings.resolved_pii_key(), settings.resolved_vault_key()) == (PII_FROM_BLOCK, VAULT_FROM_BLOCK)


def test_dbt_gets_the_block_key_through_its_environment_only(key_blocks):
    from flows.build.transform import dbt_env

    assert dbt_env(Settings(**key_blocks))["FRAUDBRAIN_PII_KEY"] == PII_FROM_BLOCK


def test_an_environment_key_wins_over_a_block(key_blocks):
    settings = Settings(pii_key="pii-key-from-the-environment", **key_blocks)
    assert settings.resolved_pii_key() == "pii-key-from-the-environment"


def test_a_missing_block_stops_with_a_clear_error(prefect_harness):
    settings = Settings(pii_key_block="fraudbrain-no-such-block")
    with pytest.raises(KeyError_, match="FRAUDBRAIN_PII_KEY: the Prefect Secret block 'fraudbrain-no-such-block'"):
        settings.resolved_pii_key()


def test_the_demo_key_in_a_block_still_needs_demo(key_blocks):
    with pytest.raises(KeyError_, match="demo key"):
        Settings(pii_key_block="fraudbrain-test-demo-key").resolved_pii_key()
    assert Settings(pii_key_block="fraudbrain-test-demo-key", demo=True).resolved_pii_key() == DEMO_PII_KEY


def test_settings_never_read_a_key_file():
    assert Settings.model_config.get("env_file") is None and Settings.model_config.get("secrets_dir") is None
    tracked = subprocess.run(["git", "ls-files"], cwd=REPO, capture_output=True, text=True, check=True).stdout
    assert not [p for p in tracked.splitlines() if p.rsplit("/", 1)[-1].startswith(".env")]
