"""The one settings object: every knob of fraudbrain, from `FRAUDBRAIN_*` environment variables or the CLI."""

from __future__ import annotations

import hashlib
from pathlib import Path

from pydantic import Field, PrivateAttr, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict

from flows.errors import UserError

# Documented demo keys (README, SECURITY.md): usable only with `--demo` / FRAUDBRAIN_DEMO=true.
DEMO_PII_KEY = "fraudbrain-demo-pii-key-do-not-use-in-production"
DEMO_VAULT_KEY = "fraudbrain-demo-vault-key-do-not-use-in-production"


class KeyError_(UserError, RuntimeError):
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
    # ... or the name of a Prefect Secret block holding it (read when no variable is set)
    pii_key_block: str | None = None
    vault_key_block: str | None = None
    demo: bool = False
    # retention: clear personal data of batches older than this is purged from raw and quarantine
    retention_days: int = 365
    # extraction: a source read that fails is retried with exponential back-off (delay, 2×delay, 4×delay…)
    source_retries: int = 3
    source_retry_delay_s: float = 2.0
    max_line_bytes: int = 64 * 1024 * 1024  # a longer line refuses its file
    max_gzip_ratio: int = 200  # a gzip file expanding past this × its size (and past 64 MB) is refused: a bomb
    police_lookback_minutes: int = 10  # re-read window below the watermark (contract skew: 5 minutes)
    redelivery_window_batches: int = 7  # a source may re-deliver one of its last N batches
    # a batch folder dated more than this many days after the extraction day (Asia/Shanghai) is refused:
    # a batch is named for a day that has passed; one day absorbs a sender's clock or time zone running ahead
    batch_date_allowance_days: int = 1
    # freshness: hours after which a silent source raises an alert (file sources deliver daily)
    freshness_hours: dict[str, float] = {"telecom": 30.0, "finance": 30.0, "police": 6.0}
    # freshness alerts through Prefect (`fraudbrain serve` creates the automation): a notification block
    # ("<block type slug>/<block name>", e.g. "slack-webhook/fraudbrain-alerts") to send them to, if any,
    # and how long one source's alerts stay quiet after a notification
    alert_block: str | None = None
    alert_repeat_hours: float = 6.0
    # validation: a batch whose share of malformed identifiers exceeds this is held
    max_malformed_id_rate: float = 0.02
    # ... for the police tables, whose victims' and suspects' ID numbers are typed by hand (no bound in the contract)
    police_max_malformed_id_rate: float = 0.25
    # volume: a delta file's row count judged against its table's own recent deltas (flows/ingest/volume.py).
    # - volume_hold_p: a count is implausible when P(count <= observed | recent level) is below this. With the
    #   dispersion floor below, 1e-6 marks a feed below about a fifth of its level (a collapse to 5% has
    #   P ~ 1e-15) while half a day's volume (P ~ 1e-2) still loads; about 1,800 delta files a year are
    #   judged, so a well-behaved feed is wrongly judged about once in 500 years
    volume_hold_p: float = Field(1e-6, gt=0, lt=0.5)
    # - volume_min_cv: the least day-to-day variation assumed beyond Poisson noise (a holiday, a cell down):
    #   a history steadier than this (the simulator's feeds vary by 0.5%) must not make a 30% dip a hold
    volume_min_cv: float = Field(0.25, ge=0)
    # - volume_min_level: a table whose recent level is below this many rows a day is never judged: a zero
    #   among a handful of new SIMs or cards is a quiet day (Poisson: P(0 | 3) = 5%), not a collapse
    volume_min_level: float = Field(50.0, ge=1)
    # - volume_history / volume_min_history: the level is the median of the last N loaded deltas (the initial
    #   load never counts); with fewer than the minimum no file is judged
    volume_history: int = Field(7, ge=1)
    volume_min_history: int = Field(3, ge=1)
    # - volume_hold_tables: "<source>.<table>" whose implausible count holds its own file (the batch's other
    #   files load); any other table's only raises an alert. Event feeds that collapse (a lost half of the
    #   calls or transactions) would make every mart silently wrong; a small reference delta (new SIMs,
    #   cards, cells) varies by nature and an alert is enough
    volume_hold_tables: list[str] = ["telecom.cdr", "finance.transactions"]
    # `fraudbrain query`: rows shown on the terminal unless --limit says otherwise (0 = all)
    query_row_limit: int = 1000
    # DuckDB memory bound of the dbt build (spills to disk beyond it); a DuckDB size such as 3GB
    dbt_memory_limit: str = "3GB"
    # ... and of publishing (the copy of the marts into the published file: 5.7 GB unbounded at scale 30)
    publish_memory_limit: str = "3GB"

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
    _block_secrets: dict[str, SecretStr] = PrivateAttr(default_factory=dict)

    def resolved_pii_key(self) -> str:
        value = self.pii_key or self._from_block(self.pii_key_block, "FRAUDBRAIN_PII_KEY")
        return _resolve_key(value, DEMO_PII_KEY, "FRAUDBRAIN_PII_KEY", self.demo)

    def resolved_vault_key(self) -> str:
        value = self.vault_key or self._from_block(self.vault_key_block, "FRAUDBRAIN_VAULT_KEY")
        return _resolve_key(value, DEMO_VAULT_KEY, "FRAUDBRAIN_VAULT_KEY", self.demo)

    def _from_block(self, block: str | None, env_name: str) -> SecretStr | None:
        """The key from a Prefect Secret block (read once per settings object), when one is named."""
        if not block:
            return None
        if block not in self._block_secrets:
            self._block_secrets[block] = SecretStr(load_secret_block(block, env_name))
        return self._block_secrets[block]

    def token_key_id(self) -> str:
        """A short public fingerprint of the token key, published with every mart row."""
        return key_fingerprint(self.resolved_pii_key())


def key_fingerprint(key: str) -> str:
    return hashlib.sha256(b"fraudbrain-key-id:" + key.encode("utf-8")).hexdigest()[:12]


def load_secret_block(name: str, env_name: str) -> str:
    """``Secret.load(name).get()`` from the Prefect API; a clear error when it cannot be read."""
    from prefect.blocks.system import Secret

    try:
        value = Secret.load(name).get()
    except Exception as exc:  # no such block, no API: the key is missing
        raise KeyError_(f"{env_name}: the Prefect Secret block {name!r} cannot be read ({type(exc).__name__})") from exc
    if not isinstance(value, str) or not value:
        raise KeyError_(f"{env_name}: the Prefect Secret block {name!r} holds no text key")
    return value


def _resolve_key(value: SecretStr | None, demo_value: str, env_name: str, demo: bool) -> str:
    if value is not None and value.get_secret_value():
        key = value.get_secret_value()
        if key == demo_value and not demo:
            raise KeyError_(
                f"{env_name} is the documented demo key: for the demo pass --demo (or set FRAUDBRAIN_DEMO=true)"
            )
        return key
    if demo:
        return demo_value
    raise KeyError_(
        f"{env_name} is not set: set it or name a Prefect Secret block in {env_name}_BLOCK (never a file of the "
        "repository); for the demo pass --demo (or set FRAUDBRAIN_DEMO=true)"
    )
