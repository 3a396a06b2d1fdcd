"""The re-identification vault: token → clear value, each value sealed with AES-256-GCM.

Lives in the restricted work directory (`<work>/vault.duckdb`), never published. The sealing key is
derived from `FRAUDBRAIN_VAULT_KEY` (separate from the token key): with the token key alone nobody can
read the vault, with the vault key alone nobody can make tokens. Every reveal is recorded, with who asked,
when and why, in `reveal_log`, an append-only, hash-chained table: each row's hash covers the previous
row's hash, so a deleted or edited row breaks the chain (`verify_reveal_log`).
"""

from __future__ import annotations

import getpass
import hashlib
import os
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

import duckdb
import pandas as pd
from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from flows.errors import UserError
from flows.privacy import pii
from flows.privacy.sql_tokens import register_token_functions
from flows.settings import Settings, key_fingerprint
from rules.identifiers import TOKEN_KINDS

VAULT_DDL = (
    """create table if not exists entries (
        token varchar primary key, kind varchar not null, nonce blob not null, sealed blob not null,
        token_key_id varchar not null, added_at timestamp not null)""",
    """create table if not exists reveal_log (
        seq bigint primary key, asked_at timestamp not null, who varchar not null, reason varchar not null,
        token varchar not null, found boolean not null, prev_hash varchar not null, hash varchar not null)""",
)
# staging column `<name>_token` beside `<name>_canonical`: the kind is told by the name, checked by the HMAC
KIND_HINTS = (
    ("imei", "imei"),
    ("device", "device"),
    ("ip", "ip"),
    ("card", "card"),
    ("phone", "phone"),
    ("msisdn", "phone"),
    ("caller", "phone"),
    ("callee", "phone"),
    ("contact", "phone"),
    ("id", "id"),
)
GENESIS = "0" * 64
# an ID stand-in (a purged value, flows.privacy.pii.id_stand_in: '~' in 11th place) is no clear value: never sealed
_NOT_STAND_IN = """coalesce(substr("{col}", 11, 1), '') <> '~'"""


class VaultError(UserError, RuntimeError):
    """The vault cannot answer: wrong key, no reason given, unknown token, broken audit chain."""


@dataclass
class Revealed:
    token: str
    kind: str
    value: str


def _aead(vault_key: str) -> AESGCM:
    hkdf = HKDF(algorithm=hashes.SHA256(), length=32, salt=b"fraudbrain-vault", info=b"aes-256-gcm v1")
    return AESGCM(hkdf.derive(vault_key.encode("utf-8")))


def vault_path(settings: Settings) -> Path:
    return settings.work_dir / "vault.duckdb"


def connect(settings: Settings) -> duckdb.DuckDBPyConnection:
    path = vault_path(settings)
    path.parent.mkdir(parents=True, exist_ok=True)
    new = not path.exists()
    con = duckdb.connect(str(path))
    con.execute("set enable_progress_bar = false")
    if new:
        os.chmod(path, 0o600)
    for ddl in VAULT_DDL:
        con.execute(ddl)
    return con


def _staging_columns(con: duckdb.DuckDBPyConnection) -> dict[str, list[str]]:
    cols = con.execute(
        "select table_name, column_name from duckdb_columns() where database_name = 'work' and schema_name = 'staging'"
    ).fetchall()
    by_table: dict[str, list[str]] = {}
    for t, c in cols:
        by_table.setdefault(t, []).append(c)
    return by_table


def _stage_identifiers(con: duckdb.DuckDBPyConnection, pii_key: str) -> int:
    """Collect every (token, canonical, column) of the staging layer into `scratch.found`.

    Each staging view is read once (into `scratch.view_rows`, its token and canonical columns). A `*_token`
    column is paired with the `*_canonical` column of the same view whose values it is the HMAC of (checked
    on a sample of rows), whatever the two are called.
    """
    con.execute("attach if not exists ':memory:' as scratch")
    con.execute("create or replace table scratch.found (token varchar, canonical varchar, col varchar)")
    for t, names in sorted(_staging_columns(con).items()):
        tokens = [c for c in names if c.endswith("_token")]
        canonicals = [c for c in names if c.endswith("_canonical")]
        if not tokens or not canonicals:
            continue
        wanted = ", ".join(f'"{c}"' for c in tokens + canonicals)
        con.execute(f'create or replace table scratch.view_rows as select distinct {wanted} from work.staging."{t}"')
        for tc in tokens:
            for cc in canonicals:
                # an ID stand-in (a purged value, flows.privacy.pii.id_stand_in) is no clear value: never sealed
                both = f'"{tc}" is not null and "{cc}" is not null and {_NOT_STAND_IN.format(col=cc)}'
                sample = con.execute(f'select "{tc}", "{cc}" from scratch.view_rows where {both} limit 20').fetchall()
                if sample and all(_kind_for(tc, tok, can, pii_key) for tok, can in sample):
                    con.execute(
                        f'insert into scratch.found select distinct "{tc}", "{cc}", ? '
                        f"from scratch.view_rows where {both}",
                        [tc],
                    )
                    break
        con.execute("drop table scratch.view_rows")
    return con.execute("select count(*) from scratch.found").fetchone()[0]


def _kind_for(column: str, token: str, canonical: str, pii_key: str) -> str | None:
    hinted = [k for hint, k in KIND_HINTS if hint in column]
    for kind in dict.fromkeys([*hinted, *TOKEN_KINDS]):
        if pii.token(pii_key, kind, canonical) == token:
            return kind
    return None


def sync(settings: Settings, *, batch_size: int = 50_000) -> int:
    """Seal every token of the staging layer that the vault does not hold yet; returns how many were added."""
    pii_key, vault_key = settings.resolved_pii_key(), settings.resolved_vault_key()
    aead = _aead(vault_key)
    key_id = key_fingerprint(pii_key)
    con = connect(settings)
    added = 0
    try:
        con.execute(f"attach '{settings.work_db}' as work (read_only)")
        register_token_functions(con, pii_key)  # staging views call pii_token()
        if not _stage_identifiers(con, pii_key):
            return 0
        cur = con.cursor()  # a cursor of its own: the inserts below must not reset the rows being read
        cur.execute(
            "select token, any_value(canonical), any_value(col) from scratch.found "
            "where token not in (select token from entries) group by token order by token"
        )
        writer = con.cursor()  # and one for the inserts
        now = datetime.now().replace(microsecond=0)
        while rows := cur.fetchmany(batch_size):
            sealed = []
            for token, canonical, col in rows:
                kind = _kind_for(col, token, canonical, pii_key)
                if kind is None:
                    continue  # not a token of this key: never seal what cannot be matched
                nonce = os.urandom(12)
                blob = aead.encrypt(nonce, canonical.encode("utf-8"), f"{token}:{kind}".encode())
                sealed.append((token, kind, nonce, blob, key_id, now))
            added += _insert_entries(writer, sealed)
        con.execute("detach work")
    finally:
        con.close()
    return added


_ENTRY_COLUMNS = ["token", "kind", "nonce", "sealed", "token_key_id", "added_at"]


def _insert_entries(con: duckdb.DuckDBPyConnection, rows: list[tuple]) -> int:
    """Insert sealed entries as one scan of a frame (row-by-row executemany costs ~0.3 ms a row)."""
    if not rows:
        return 0
    con.register("sealed_entries", pd.DataFrame(rows, columns=_ENTRY_COLUMNS))
    try:
        con.execute(f"insert into entries select {', '.join(_ENTRY_COLUMNS)} from sealed_entries")
    finally:
        con.unregister("sealed_entries")
    return len(rows)


def seal(settings: Settings, items: Iterable[tuple[str, str, str]]) -> int:
    """Seal (token, kind, clear canonical) triples the vault does not hold yet; returns how many were added.

    The purge (`flows.privacy.purge`) seals every clear value before it leaves raw, so `reveal` keeps answering.
    """
    pii_key = settings.resolved_pii_key()
    aead, key_id = _aead(settings.resolved_vault_key()), key_fingerprint(pii_key)
    wanted = {t: (k, c) for t, k, c in items if pii.token(pii_key, k, c) == t}
    if not wanted:
        return 0
    con = connect(settings)
    try:
        con.execute("create temp table wanted (token varchar)")
        con.executemany("insert into wanted values (?)", [[t] for t in wanted])
        have = {r[0] for r in con.execute("select token from entries join wanted using (token)").fetchall()}
        now = datetime.now().replace(microsecond=0)
        rows = []
        for token, (kind, canonical) in sorted(wanted.items()):
            if token in have:
                continue
            nonce = os.urandom(12)
            blob = aead.encrypt(nonce, canonical.encode("utf-8"), f"{token}:{kind}".encode())
            rows.append((token, kind, nonce, blob, key_id, now))
        return _insert_entries(con, rows)
    finally:
        con.close()


def _chain_hash(prev: str, seq: int, at: datetime, who: str, reason: str, token: str, found: bool) -> str:
    material = "\x1f".join([prev, str(seq), at.isoformat(), who, reason, token, str(found)])
    return hashlib.sha256(material.encode("utf-8")).hexdigest()


MIN_REASON = 5  # characters of a reveal's reason


def reveal(settings: Settings, token: str, reason: str, who: str | None = None) -> Revealed:
    """The clear value behind ``token``; the request is logged (who, when, why) before anything is returned."""
    if not reason or len(reason.strip()) < MIN_REASON:
        raise VaultError(
            f"--reason must say why in {MIN_REASON} characters or more (recorded), e.g. the case number and the purpose"
        )
    aead = _aead(settings.resolved_vault_key())
    who = who or getpass.getuser()
    token = token.strip().lower()
    con = connect(settings)
    try:
        row = con.execute("select kind, nonce, sealed from entries where token = ?", [token]).fetchone()
        _append_log(con, who, reason.strip(), token, row is not None)
        if row is None:
            raise VaultError(f"token {token} is not in the vault")
        kind, nonce, sealed = row
        try:
            value = aead.decrypt(bytes(nonce), bytes(sealed), f"{token}:{kind}".encode()).decode("utf-8")
        except InvalidTag as exc:
            raise VaultError("the vault key does not open this vault (FRAUDBRAIN_VAULT_KEY)") from exc
        return Revealed(token, kind, value)
    finally:
        con.close()


def _append_log(con: duckdb.DuckDBPyConnection, who: str, reason: str, token: str, found: bool) -> None:
    con.execute("begin transaction")
    last = con.execute("select seq, hash from reveal_log order by seq desc limit 1").fetchone()
    seq, prev = (last[0] + 1, last[1]) if last else (1, GENESIS)
    at = datetime.now().replace(microsecond=0)
    digest = _chain_hash(prev, seq, at, who, reason, token, found)
    con.execute(
        "insert into reveal_log values (?, ?, ?, ?, ?, ?, ?, ?)", [seq, at, who, reason, token, found, prev, digest]
    )
    con.execute("commit")


def verify_reveal_log(settings: Settings) -> int:
    """Check the hash chain of the reveal log; returns the number of rows, raises on any break."""
    con = connect(settings)
    try:
        rows = con.execute(
            "select seq, asked_at, who, reason, token, found, prev_hash, hash from reveal_log order by seq"
        ).fetchall()
    finally:
        con.close()
    prev = GENESIS
    for i, (seq, at, who, reason, token, found, prev_hash, digest) in enumerate(rows, 1):
        if seq != i or prev_hash != prev or _chain_hash(prev, seq, at, who, reason, token, found) != digest:
            raise VaultError(f"the reveal log is broken at row {seq}: rows were edited or removed")
        prev = digest
    return len(rows)
