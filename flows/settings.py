"""The one settings object: every knob of fraudbrain, from `FRAUDBRAIN_*` environment variables or the CLI."""

from __future__ import annotations

import hashlib
from pathlib import Path

from pydantic import SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict

# Documented demo keys (README, SECURITY.md): usable only with `--demo` / FRAUDBRAIN_DEMO=true.
DEMO_PII_KEY = "fraudbrain-demo-pii-key-do-not-use-in-production"
DEMO_VAULT_KEY = "fraudbrain-demo-vault-key-do-not-use-in-production"


class KeyError_(RuntimeError):
    """A pseudonymisation or vault key is missing or is a demo key outside demo mode."""


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="FRAUDBRAIN_", extra="ignore")

    # where data comes from
    landing: str = "data/landing"  # fsspec URL or local path of the telecom/finance landing zone
    police_url: str = "sqlite:///data/police.db"  # SQLAlchemy URL of the police case database
    # where data goes
    work_dir: Path = Path("data/work")  # restricted: raw, quarantine, working database, state, logs
    warehouse: Path = Path("data/warehouse/fraudbrain.duckdb")  # published file analysts open
    # keys (never in files of the repository)
    pii_key: SecretStr | None = None
    vault_key: SecretStr | None = None
    demo: bool = False
    # extraction: a source read that fails is retried with exponential back-off (delay, 2×delay, 4×delay…)
    source_retries: int = 3
    source_retry_delay_s: float = 2.0
    max_line_bytes: int = 64 * 1024 * 1024  # a longer line refuses its file
    police_lookback_minutes: int = 10  # re-read window below the watermark (contract skew: 5 minutes)
    redelivery_window_batches: int = 7  # a source may re-deliver one of its last N batches
    # freshness: hours after which a silent source raises an alert (file sources deliver daily)
    freshness_hours: dict[str, float] = {"telecom": 30.0, "finance": 30.0, "police": 6.0}
    # validation: a batch whose share of malformed identifiers exceeds this is held
    max_malformed_id_rate: float = 0.02

    # ---- derived paths -------------------------------------------------------------------------
    @property
    def work_db(self) -> Path:
        return self.work_dir / "work.duckdb"

    @property
    def logs_dir(self) -> Path:
        return self.work_dir / "logs"

    @property
    def gx_dir(self) -> Path:
        return self.work_dir / "gx"

    @property
    def dbt_target_dir(self) -> Path:
        return self.work_dir / "dbt_target"

    @property
    def published_dir(self) -> Path:
        """Folder published beside the warehouse file: Data Docs, dbt docs."""
        return self.warehouse.parent / f"{self.warehouse.stem}_docs"

    @property
    def data_docs_dir(self) -> Path:
        return self.published_dir / "data_docs"

    @property
    def dbt_docs_dir(self) -> Path:
        return self.published_dir / "dbt_docs"

    @property
    def portal_dir(self) -> Path:
        return self.published_dir / "portal"

    # ---- keys ----------------------------------------------------------------------------------
    def resolved_pii_key(self) -> str:
        return _resolve_key(self.pii_key, DEMO_PII_KEY, "FRAUDBRAIN_PII_KEY", self.demo)

    def resolved_vault_key(self) -> str:
        return _resolve_key(self.vault_key, DEMO_VAULT_KEY, "FRAUDBRAIN_VAULT_KEY", self.demo)

    def token_key_id(self) -> str:
        """A short public fingerprint of the token key, published with every mart row."""
        return key_fingerprint(self.resolved_pii_key())


def key_fingerprint(key: str) -> str:
    return hashlib.sha256(b"fraudbrain-key-id:" + key.encode("utf-8")).hexdigest()[:12]


def _resolve_key(value: SecretStr | None, demo_value: str, env_name: str, demo: bool) -> str:
    if value is not None and value.get_secret_value():
        key = value.get_secret_value()
        if key == demo_value and not demo:
            raise KeyError_(f"{env_name} is the documented demo key: pass --demo to run on demo keys")
        return key
    if demo:
        return demo_value
    raise KeyError_(f"{env_name} is not set: set it (never in a file of the repository) or pass --demo")
