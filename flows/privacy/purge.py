"""Retention (`fraudbrain purge`): clear personal data of old batches leaves raw and quarantine, marts stay.

A batch is past retention when its date (`_batch`: the delivery's date for file sources, the extraction's
watermark for police rows) lies before the cutoff, today (Asia/Shanghai) minus `FRAUDBRAIN_RETENTION_DAYS`.
The batch date, not the wall-clock load time, decides: a backfill loaded today ages like the days it holds.

In raw, every personal value of such a row is replaced, in place, by its *purged form* (`flows.privacy.pii`): JSON
carrying only the derived features the staging models use (token, published mask, validity flags, phone
kind; for IDs a stand-in keeping region, birth year and last four), names by a stand-in keeping the surname
and, through a keyed hash, equality; a case narrative (free text) by the identifiers staging extracts from it
(kind, token, mask: `flows.privacy.pii.purged_narrative`). The staging macros recognise the form and pass the
features through,
so a rebuild publishes the same marts. Rows are not deleted: the ledger still balances. Quarantined rows
lose their record text (a quarantined row of a purged period cannot be replayed). Before anything is
replaced, the clear values are sealed into the vault (`flows.privacy.vault.seal`), so `fraudbrain reveal` still
answers for their tokens. Each purge is recorded in `audit.purges` (counts per table, never values).
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import duckdb
import pandas as pd

from flows import workdb
from flows.errors import UserError
from flows.privacy import pii, vault
from flows.runtime import run_lock
from flows.settings import Settings
from rules import identifiers as rules

LOCAL = ZoneInfo("Asia/Shanghai")

# raw table -> personal column -> kind of value (what its purged form keeps)
PERSONAL_COLUMNS: dict[str, dict[str, str]] = {
    "telecom__subscribers": {"msisdn": "phone", "imsi": "drop", "holder_id_no": "id", "holder_name": "name"},
    "telecom__cdr": {"caller": "phone", "callee": "phone", "imei": "imei"},
    "finance__accounts": {"card_no": "card", "holder_id_no": "id", "holder_name": "name", "holder_phone": "phone"},
    "finance__transactions": {"from_card": "card", "to_card": "card", "device_id": "device", "ip": "ip"},
    "police__victims": {"id_no": "id", "name": "name", "phone": "phone"},
    "police__case_transfers": {"from_card": "card", "to_card": "card"},
    "police__case_contacts": {"contact_value": "contact"},
    "police__suspects": {"id_no": "id", "name": "name", "phone": "phone"},
    "police__stop_payments": {"card_no": "card"},
    "police__warnings": {"phone": "phone"},
    "police__residents": {"id_no": "id", "name": "name", "birth_date": "drop"},
    "police__supervision_tasks": {"feedback": "feedback"},
    "police__cases": {"narrative": "narrative"},
}
CASE_DIGITS = re.compile(r"[0-9]{19}")  # what lead_status reads from a task's feedback (the case number)

SealItem = tuple[str, str, str]  # (token, kind, clear canonical) for the vault


def purge_narrative(key: str, value: str) -> tuple[str, list[SealItem]]:
    """A case narrative's purged form (the identifiers staging extracts from it), and what to seal first."""
    found = {(pii.token(key, kind, c), kind, c) for kind, c in pii.narrative_identifiers(value)}
    return pii.purged_narrative(key, value), sorted(found)


class PurgedBatch(UserError, RuntimeError):
    """A batch of a purged period: its quarantined rows' clear text is gone, it cannot be replayed."""


@dataclass
class PurgeResult:
    purge_id: str
    cutoff: date
    rows: dict[str, int] = field(default_factory=dict)  # "<zone>.<table>" -> rows touched
    values: int = 0  # personal values replaced in raw
    sealed: int = 0  # clear values newly sealed into the vault


def retention_cutoff(settings: Settings, today: date | None = None) -> date:
    """The first day whose batches are kept: today (local time of China) minus the retention period."""
    return (today or datetime.now(LOCAL).date()) - timedelta(days=settings.retention_days)


# ---- one value ---------------------------------------------------------------------------------------
def _tokenised(key: str, kind: str, canonical: str | None, form: Callable[[str], str | None]) -> tuple:
    if canonical is None:
        return pii.purged_marker(), None
    return form(canonical), (pii.token(key, kind, canonical), kind, canonical)


def purge_value(key: str, kind: str, value: str, contact_kind: str | None = None) -> tuple[str, SealItem | None]:
    """The purged form of one clear value, and what to seal in the vault first."""
    if kind == "name":
        return pii.name_stand_in(key, value) or value, None
    if kind == "drop":
        return pii.purged_marker(), None
    if kind == "feedback":  # free text: lead_status needs only that there was some, and the case digits in it
        if not value.strip(" "):
            return value, None
        digits = CASE_DIGITS.search(value)
        # a letter before the digits: lead_status still reads them, the leak scanner never takes them for a card
        return pii.purged_marker() + (f" n{digits.group()}" if digits else ""), None
    if kind == "contact" and contact_kind != "phone":
        c = pii.sql_text_id(value, ascii=True)
        if c is None or contact_kind is None:
            return pii.purged_text_id(key, contact_kind or "", value, ascii=True) or pii.purged_marker(), None
        return _tokenised(key, contact_kind, c, lambda _: pii.purged_text_id(key, contact_kind, value, ascii=True))
    if kind in ("phone", "contact"):
        return _tokenised(key, "phone", rules.normalise_phone(value), lambda _: pii.purged_phone(key, value))
    if kind == "id":
        return _tokenised(key, "id", rules.normalise_id(value), lambda _: pii.purged_id(key, value))
    if kind == "card":
        return _tokenised(key, "card", rules.normalise_card(value), lambda _: pii.purged_card(key, value))
    if kind == "imei":
        return _tokenised(key, "imei", rules.normalise_imei(value), lambda _: pii.purged_imei(key, value))
    if kind in ("device", "ip"):
        return _tokenised(key, kind, pii.sql_text_id(value), lambda _: pii.purged_text_id(key, kind, value))
    raise ValueError(f"no purged form for kind {kind}")


# ---- one table -----------------------------------------------------------------------------------------
def _raw_tables(con: duckdb.DuckDBPyConnection) -> dict[str, set[str]]:
    rows = con.execute(
        "select table_name, column_name from duckdb_columns() "
        "where database_name = current_database() and schema_name = 'raw'"
    ).fetchall()
    out: dict[str, set[str]] = {}
    for t, c in rows:
        out.setdefault(t, set()).add(c)
    return out


def _clear(col: str) -> str:
    q = f'"{col}"'
    purged = f"starts_with({q}, '{pii.PURGED_PREFIX}') or strpos({q}, '{pii.NAME_STAND_IN}') > 0"
    return f"({q} is not null and not ({purged}))"


def _purge_table(
    con: duckdb.DuckDBPyConnection, key: str, table: str, columns: dict[str, str], cutoff: date
) -> tuple[pd.DataFrame, list[SealItem], int]:
    """The new values of the table's rows past retention (rowid + columns), the vault items, values replaced."""
    cols = list(columns)
    extra = ", lower(trim(contact_type)) as _contact_kind" if "contact_value" in columns else ""
    quoted = ", ".join(f'"{c}"' for c in cols)
    rows = con.execute(
        f"select rowid as _rid, {quoted}{extra} from raw.{table} "
        f"where left(_batch, 10) < ? and ({' or '.join(_clear(c) for c in cols)})",
        [cutoff.isoformat()],
    ).fetchall()
    items: list[SealItem] = []
    replaced = 0
    out = []
    for row in rows:
        contact_kind = row[-1] if extra else None
        new = [row[0]]
        for i, kind in enumerate(columns.values(), 1):
            value = row[i]
            if value is not None and not pii.is_purged(value):
                if kind == "narrative":  # free text: only the identifiers staging extracts from it are kept
                    value, found = purge_narrative(key, value)
                    items.extend(found)
                else:
                    value, item = purge_value(key, kind, value, contact_kind)
                    if item is not None:
                        items.append(item)
                replaced += 1
            new.append(value)
        out.append(new)
    frame = pd.DataFrame(out, columns=["_rid", *cols], dtype=object)
    return frame.astype({"_rid": "int64", **dict.fromkeys(cols, "string")}), items, replaced


def _write_back(con: duckdb.DuckDBPyConnection, table: str, frame: pd.DataFrame) -> None:
    cols = [c for c in frame.columns if c != "_rid"]
    con.register("_fb_purged", frame)
    try:
        sets = ", ".join(f'"{c}" = p."{c}"' for c in cols)
        con.execute(f"update raw.{table} set {sets} from _fb_purged p where raw.{table}.rowid = p._rid")
    finally:
        con.unregister("_fb_purged")


def _purge_quarantine(con: duckdb.DuckDBPyConnection, cutoff: date) -> dict[str, int]:
    """Quarantined rows of purged batches lose their record text (the clear line or fields kept for repair)."""
    rows = con.execute(
        "update quarantine.rows set record = null where left(_batch, 10) < ? and record is not null "
        "returning _source || '__' || _table",
        [cutoff.isoformat()],
    ).fetchall()
    counts: dict[str, int] = {}
    for (t,) in rows:
        counts[t] = counts.get(t, 0) + 1
    return counts


# ---- the purge ---------------------------------------------------------------------------------------
def purge(settings: Settings, cutoff: date | None = None) -> PurgeResult:
    """Purge clear personal data of batches dated before ``cutoff`` (default: the retention cutoff)."""
    key = settings.resolved_pii_key()
    settings.resolved_vault_key()  # sealing needs it: stop before touching anything
    result = PurgeResult(uuid.uuid4().hex[:12], cutoff or retention_cutoff(settings))
    with run_lock(settings.work_dir), workdb.connect(settings) as con:
        present = _raw_tables(con)
        con.execute("begin transaction")
        try:
            touched: dict[tuple[str, str], tuple[int, int]] = {}
            for table, columns in PERSONAL_COLUMNS.items():
                cols = {c: k for c, k in columns.items() if c in present.get(table, set())}
                if not cols:
                    continue
                frame, items, replaced = _purge_table(con, key, table, cols, result.cutoff)
                if frame.empty:
                    continue
                result.sealed += vault.seal(settings, items)  # sealed before the clear values go
                _write_back(con, table, frame)
                touched[("raw", table)] = (len(frame), replaced)
                result.values += replaced
            for table, n in _purge_quarantine(con, result.cutoff).items():
                touched[("quarantine", table)] = (n, n)
            _record(con, settings, result, touched, explicit=cutoff is not None)
            con.execute("commit")
        except BaseException:
            con.execute("rollback")
            raise
    result.rows = {f"{zone}.{table}": n for (zone, table), (n, _) in sorted(touched.items())}
    return result


def _record(
    con: duckdb.DuckDBPyConnection,
    settings: Settings,
    result: PurgeResult,
    touched: dict[tuple[str, str], tuple[int, int]],
    *,
    explicit: bool,
) -> None:
    """One audit row per table touched (a single row with zero counts when nothing was due)."""
    at = datetime.now().replace(microsecond=0)
    days = None if explicit else settings.retention_days
    rows = [(zone, table, n, v) for (zone, table), (n, v) in sorted(touched.items())] or [("raw", "*", 0, 0)]
    con.executemany(
        "insert into audit.purges values (?, ?, ?, ?, ?, ?, ?, ?)",
        [[result.purge_id, at, result.cutoff, days, zone, table, n, v] for zone, table, n, v in rows],
    )


def refuse_replay_if_purged(con: duckdb.DuckDBPyConnection, source: str, batch: str) -> None:
    """Replay of a batch of a purged period is impossible: raise `PurgedBatch` saying why."""
    row = con.execute("select max(cutoff), max(purged_at) from audit.purges").fetchone()
    cutoff, purged_at = row if row else (None, None)
    if cutoff is not None and batch[:10] < cutoff.isoformat():
        raise PurgedBatch(
            f"{source} batch {batch} lies in a purged period (retention purge of {purged_at:%Y-%m-%d}: batches "
            f"before {cutoff} lost their clear personal data, and quarantined rows their record text). It cannot "
            "be replayed: its personal data may not be loaded again."
        )
