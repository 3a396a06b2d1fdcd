"""The keyed token functions as DuckDB functions: ``pii_token``, ``pii_match_key``, ``token_key_id``.

Registered on dbt's connections by the dbt-duckdb plugin (``flows.build.dbt_plugin``) and on the vault's
connection (``flows.privacy.vault``). The key is an argument here, never SQL text: it stays out of query plans,
compiled SQL and logs. Same tokens as ``flows.privacy.pii.token`` (tests/test_identifiers.py checks).
"""

from __future__ import annotations

import hashlib
import json

import pyarrow as pa
from duckdb import DuckDBPyConnection
from duckdb.sqltypes import VARCHAR

from flows.privacy.pii import PURGED_PREFIX, match_key
from flows.settings import key_fingerprint

BLOCK = 64  # SHA-256's block size


def _hmac_pads(key: str) -> tuple[bytes, bytes]:
    """HMAC's inner and outer padded keys (RFC 2104; a key longer than SHA-256's block is hashed first)."""
    k = key.encode("utf-8")
    if len(k) > BLOCK:
        k = hashlib.sha256(k).digest()
    k = k.ljust(BLOCK, b"\0")
    return bytes(b ^ 0x36 for b in k), bytes(b ^ 0x5C for b in k)


def make_token_function(key: str):
    """An Arrow UDF computing tokens for a batch (DuckDB hands over 2,048 rows at a time).

    HMAC-SHA256 written out over two SHA-256 states primed once per kind (inner pad + ``kind:``, outer
    pad): per value, two state copies and two updates. About 0.8 µs a value, a third of ``hmac.new`` per
    value, and as fast as a cache hit was, so nothing is cached. Plain Python over the batch's values:
    pyarrow.compute's string kernels cost ~2.5 s on their first call, more than they save.
    """
    ipad, opad = _hmac_pads(key)
    outer = hashlib.sha256(opad)
    primed: dict[str, hashlib._Hash] = {}

    def inner_for(kind: str):
        state = primed.get(kind)
        if state is None:
            state = primed[kind] = hashlib.sha256(ipad + f"{kind}:".encode())
        return state

    def pii_token(kind: pa.Array, canonical: pa.Array) -> pa.Array:
        kinds = kind.to_pylist()
        values = canonical.to_pylist()
        out: list[str | None] = []
        outer_copy = outer.copy
        append = out.append
        last_kind, inner_copy = None, None
        for k, v in zip(kinds, values, strict=True):
            if k is None or v is None:
                append(None)
                continue
            if v.startswith(PURGED_PREFIX):
                append(json.loads(v).get("t"))
                continue
            if k != last_kind:
                last_kind, inner_copy = k, inner_for(k).copy
            i = inner_copy()
            i.update(v.encode("utf-8"))
            o = outer_copy()
            o.update(i.digest())
            append(o.hexdigest()[:32])
        return pa.array(out, pa.string())

    return pii_token


MATCH_KEY_CACHE_LIMIT = 1_000_000  # match keys remembered across batches


def make_match_key_function(key: str):
    """An Arrow UDF computing identity-resolution match keys (``flows.privacy.pii.match_key``), cached: the same IDs and
    names recur across sources."""
    cache: dict[tuple[str, str], str | None] = {}

    def pii_match_key(kind: pa.Array, value: pa.Array) -> pa.Array:
        if len(cache) > MATCH_KEY_CACHE_LIMIT:
            cache.clear()
        out: list[str | None] = []
        append = out.append
        for k, v in zip(kind.to_pylist(), value.to_pylist(), strict=True):
            if k is None or v is None:
                append(None)
                continue
            kv = (k, v)
            if kv not in cache:
                cache[kv] = match_key(key, k, v)
            append(cache[kv])
        return pa.array(out, pa.string())

    return pii_match_key


def register_token_functions(conn: DuckDBPyConnection, key: str) -> None:
    """Register ``pii_token``, ``pii_match_key`` and ``token_key_id`` on a connection (dbt's, or any other)."""
    key_id = key_fingerprint(key)
    for name, function in (("pii_token", make_token_function(key)), ("pii_match_key", make_match_key_function(key))):
        conn.create_function(
            name,
            function,
            [VARCHAR, VARCHAR],
            VARCHAR,
            type="arrow",
            null_handling="special",
            side_effects=False,
        )
    conn.create_function("token_key_id", lambda: key_id, [], VARCHAR, side_effects=False)
