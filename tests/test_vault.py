"""The re-identification vault: sealed values, a reason for every reveal, a tamper-evident log."""

from __future__ import annotations

import duckdb
import pytest

from flows.privacy import pii
from flows.privacy.vault import VaultError, reveal, sync, vault_path, verify_reveal_log
from flows.settings import Settings

PII_KEY, VAULT_KEY = "unit-test-token-key", "unit-test-vault-key"
PHONE, CARD = "13900001111", "6222000011112222333"


@pytest.fixture
def settings(tmp_path) -> Settings:
    s = Settings(work_dir=tmp_path / "work", pii_key=PII_KEY, vault_key=VAULT_KEY)
    s.work_dir.mkdir(parents=True)
    con = duckdb.connect(str(s.work_db))
    con.execute("create schema staging")
    con.execute(
        "create table staging.t (phone_token varchar, msisdn_canonical varchar, card_token varchar, "
        "card_canonical varchar, note_canonical varchar)"
    )
    con.execute(
        "insert into staging.t values (?, ?, ?, ?, 'x')",
        [pii.token(PII_KEY, "phone", PHONE), PHONE, pii.token(PII_KEY, "card", CARD), CARD],
    )
    con.close()
    return s


def test_sync_seals_each_token_once_and_reveal_returns_the_clear_value(settings):
    assert sync(settings) == 2
    assert sync(settings) == 0, "a second sync adds nothing"
    got = reveal(settings, pii.token(PII_KEY, "phone", PHONE), reason="case A42 stop-payment", who="officer-7")
    assert (got.kind, got.value) == ("phone", PHONE)
    raw = vault_path(settings).read_bytes()
    assert PHONE.encode() not in raw and CARD.encode() not in raw, "values are sealed on disk"


def test_reveal_needs_a_reason_and_the_right_key(settings):
    sync(settings)
    token = pii.token(PII_KEY, "card", CARD)
    with pytest.raises(VaultError, match="reason"):
        reveal(settings, token, reason="")
    wrong = settings.model_copy(update={"vault_key": settings.vault_key.__class__("another-key")})
    with pytest.raises(VaultError, match="vault key"):
        reveal(wrong, token, reason="case A42 check")


def test_every_request_is_logged_and_tampering_breaks_the_chain(settings):
    sync(settings)
    reveal(settings, pii.token(PII_KEY, "card", CARD), reason="case A42 bank request", who="officer-7")
    with pytest.raises(VaultError, match="not in the vault"):
        reveal(settings, "0" * 32, reason="case A42 fishing", who="officer-8")
    assert verify_reveal_log(settings) == 2, "found and not-found requests are both recorded"
    con = duckdb.connect(str(vault_path(settings)))
    con.execute("update reveal_log set who = 'someone-else' where seq = 1")
    con.close()
    with pytest.raises(VaultError, match="broken at row 1"):
        verify_reveal_log(settings)


def test_a_vault_backup_restores_to_the_same_answers(settings, tmp_path):
    import shutil

    sync(settings)
    backup = tmp_path / "backup.duckdb"
    shutil.copy2(vault_path(settings), backup)
    vault_path(settings).unlink()
    shutil.copy2(backup, vault_path(settings))
    assert reveal(settings, pii.token(PII_KEY, "phone", PHONE), reason="restore drill").value == PHONE
