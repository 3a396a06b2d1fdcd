"""dbt-duckdb plugin: registers the pseudonymisation functions on every dbt connection.

Declared in ``dbt_project/profiles.yml``::

    plugins:
      - module: flows.build.dbt_plugin

Functions registered (DuckDB scalar UDFs, vectorised over Arrow arrays):

- ``pii_token(kind VARCHAR, canonical VARCHAR) -> VARCHAR``: first 32 lowercase hex characters of
  HMAC-SHA256(key, ``kind:canonical``); NULL in either argument gives NULL. Same as ``flows.privacy.pii.token``.
  A *purged form* (``flows.privacy.pii.PURGED_PREFIX``: a value past retention, replaced in raw by its features)
  gives the token it carries.
- ``pii_match_key(kind VARCHAR, value VARCHAR) -> VARCHAR``: what identity resolution compares, equal for a
  clear value and its purged form (``flows.privacy.pii.match_key``): kind ``id17``, the first 17 characters of an
  18-character ID's stand-in; kind ``name``, the name's stand-in. NULL in either argument gives NULL.
- ``token_key_id() -> VARCHAR``: the public fingerprint of the key (``flows.settings.key_fingerprint``).

The key is read from the environment variable ``FRAUDBRAIN_PII_KEY`` when the connection is configured.
It never passes through dbt (no var, no compiled SQL, no manifest, no log line).
"""

from __future__ import annotations

import os
from typing import Any

import pyarrow as pa
from dbt.adapters.duckdb.plugins import BasePlugin
from duckdb import DuckDBPyConnection

from flows.privacy.sql_tokens import register_token_functions

KEY_ENV = "FRAUDBRAIN_PII_KEY"


class MissingKeyError(RuntimeError):
    """FRAUDBRAIN_PII_KEY is not set for a dbt run."""


def _read_key() -> str:
    key = os.environ.get(KEY_ENV, "")
    if not key:
        raise MissingKeyError(
            f"{KEY_ENV} is not set: the dbt build tokenises identifiers and needs the pseudonymisation key "
            "in its environment (never as a dbt var or in a file)."
        )
    return key


class Plugin(BasePlugin):
    def initialize(self, plugin_config: dict[str, Any]) -> None:
        self._key: str | None = None
        # pyarrow's first array construction costs ~1.5 s: pay it once here, not inside a query
        pa.array(["warm-up"], pa.string())

    def _key_or_raise(self) -> str:
        if self._key is None:
            self._key = _read_key()
        return self._key

    def configure_connection(self, conn: DuckDBPyConnection) -> None:
        register_token_functions(conn, self._key_or_raise())
