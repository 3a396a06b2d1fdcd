"""`fraudbrain leads --unit UNIT --out DIR`: a county unit's lead packages, for the people who act on them.

Writes `leads.csv` (one row per lead in priority order: the unit's name, a score, the reason in words, its
stage in the closed loop 研判 → 交办 → 办理 → 督办 → 办结), `evidence.csv` (the evidence chain: one row per item,
each traceable to its source batch and line, in the leads' order) and `leads.json` (the same, nested, with the
warehouse's data clock as `as_of`). From the published warehouse only: tokens and masked values. Text cells that
a spreadsheet would run as a formula are neutralised.
"""

from __future__ import annotations

import csv
import json
import math
import re
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

from flows.analyst.query import open_readonly
from flows.errors import UserError

_FORMULA = re.compile(r"^[=+\-@\t\r]")
_NUMBER = re.compile(r"^-?\d+(\.\d+)?$")


def neutralise(value: Any) -> Any:
    """A text cell starting with = + - @ tab or CR is prefixed with ' so spreadsheets show it as text."""
    if isinstance(value, str) and _FORMULA.match(value) and not _NUMBER.match(value):
        return "'" + value
    return value


def _plain(value: Any) -> Any:
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, datetime | date):
        return value.isoformat(sep=" ") if isinstance(value, datetime) else value.isoformat()
    return value


@dataclass
class LeadExport:
    unit: str
    unit_name: str
    leads: int
    evidence: int
    as_of: str | None
    files: list[Path]


class LeadsRefused(UserError, ValueError):
    """No such unit, or nowhere to write the packages."""


# ---- priority: a score per lead, and the reason in words ----------------------------------------------------
# What a lead is: the base of its score. Money still moving comes first, then organised people.
KIND_BASE = {"stop_payment": 50, "gang_member": 40, "two_card_supplier": 30, "warning": 20}
# Each evidence kind in words (a gang's evidence is "<evidence>:<role>").
EVIDENCE_WORDS = {
    "card_received_case_money": "a card of theirs received a case's money",
    "sim_named_in_case": "a SIM of theirs is named in a case",
    "card_opening": "opened cards a gang used",
    "sim_opening": "opened SIMs a gang used",
    "money": "moved a gang's money",
    "operator": "ran a gang's operators",
    "shared_device": "shares a device with a gang",
    "call_from_foreign_number": "called by a fraud number from abroad",
    "call_from_mobile_number": "called by a fraud mobile number",
    "call_from_network_number": "called by a fraud network number",
    "call_from_other_number": "called by a fraud number",
}


def score(lead: dict[str, Any]) -> int:
    """0-100: the lead's kind (50 money to stop … 20 a warning), cases behind it (4 each, at most 20), money
    (up to 20, ten-fold amounts a step: ¥1,000 → 4 … ¥100 million → 20) and 10 for evidence new since the
    last export."""
    base = KIND_BASE.get(lead["lead_kind"], 10)
    cases = min(int(lead.get("cases") or 0), 5) * 4
    amount = float(lead.get("amount") or 0)
    money = 0 if amount < 1 else min(20, max(0, round(4 * (math.log10(amount) - 2))))
    return base + cases + money + (10 if lead.get("is_new") else 0)


def _evidence_words(kind: str) -> str:
    evidence, _, role = kind.partition(":")
    if kind.startswith("traced_hop_"):
        return f"victims' money reached it at hop {kind.removeprefix('traced_hop_')}"
    words = EVIDENCE_WORDS.get(evidence, evidence.replace("_", " "))
    return f"{words} (as {role.replace('_', ' ')})" if role else words


def reason(lead: dict[str, Any], kinds: dict[str, int]) -> str:
    """The lead's evidence in words, most frequent first, with its cases and amount."""
    ordered = sorted(kinds.items(), key=lambda kv: (-kv[1], kv[0]))
    parts = [_evidence_words(k) + (f" ×{n}" if n > 1 else "") for k, n in ordered]
    cases = int(lead.get("cases") or 0)
    if cases:
        parts.append(f"{cases} case{'s' if cases > 1 else ''}")
    if lead.get("amount"):
        parts.append(f"¥{Decimal(lead['amount']):,.2f}")
    return "; ".join(parts)


def _unit(con: Any, unit: str) -> str:
    """The unit's name; refused, naming the known county units, when the unit is not one of them."""
    units = con.execute(
        "select unit_code, unit_name, unit_level, county_unit_code from marts.dim_unit order by unit_code"
    ).fetchall()
    by_code = {u[0]: u for u in units}
    if unit in by_code:
        code, name, level, county = by_code[unit]
        if level == "county":
            return name
        if county and county in by_code and county != code:
            county_name = by_code[county][1]
            raise LeadsRefused(f"unit {unit} ({name}) is a {level}: leads go to its county unit {county} {county_name}")
        raise LeadsRefused(f"unit {unit} ({name}) is a {level}: leads go to county units")
    counties = [f"{u[0]} ({u[1]})" for u in units if u[2] == "county"]
    shown = ", ".join(counties[:30]) + (f" and {len(counties) - 30} more" if len(counties) > 30 else "")
    raise LeadsRefused(f"no unit {unit} in marts.dim_unit: the county units are {shown}")


def _as_of(con: Any) -> str | None:
    """The warehouse's data clock: the latest event time in its marts (calls, transfers, cases)."""
    row = con.execute(
        "select greatest((select max(started_at) from marts.fct_calls), "
        "(select max(txn_at) from marts.fct_transactions), (select max(reported_at) from marts.fct_cases))"
    ).fetchone()
    return _plain(row[0]) if row and row[0] is not None else None


def _rows(con: Any, sql: str, params: list[Any]) -> list[dict[str, Any]]:
    cur = con.execute(sql, params)
    names = [d[0] for d in cur.description]
    return [dict(zip(names, r, strict=True)) for r in cur.fetchall()]


def export_leads(warehouse: Path, unit: str, out_dir: Path, *, only_new: bool = False) -> LeadExport:
    unit = unit.strip()
    if out_dir.exists() and not out_dir.is_dir():
        raise LeadsRefused(f"--out {out_dir} is a file: name a folder (new or existing) for the lead packages")
    con = open_readonly(warehouse)
    try:
        unit_name = _unit(con, unit)
        as_of = _as_of(con)
        new = " and is_new" if only_new else ""
        leads = _rows(
            con,
            f"select * exclude (token_key_id) from marts.lead_status where unit_code = ?{new} order by lead_id",
            [unit],
        )
        evidence = _rows(
            con,
            "select e.* exclude (token_key_id) from marts.lead_packages e "
            "where e.unit_code = ? and e.lead_id in (select lead_id from marts.lead_status where unit_code = ?"
            f"{new}) order by e.lead_id, e.event_at nulls last, e.evidence_kind, e.source_table, e.source_line",
            [unit, unit],
        )
    finally:
        con.close()
    kinds: dict[str, dict[str, int]] = {}
    for e in evidence:
        per = kinds.setdefault(e["lead_id"], {})
        per[e["evidence_kind"]] = per.get(e["evidence_kind"], 0) + 1
    for lead in leads:
        lead["score"] = score(lead)
        lead["reason"] = reason(lead, kinds.get(lead["lead_id"], {}))
    # open leads first, then by score, the larger amount, the lead id (a stable order)
    leads.sort(key=lambda r: (r["stage"] == "closed", -r["score"], -(r["amount"] or 0), r["lead_id"]))
    priority = {}
    for n, lead in enumerate(leads, 1):
        priority[lead["lead_id"]] = n
    leads = [_lead_row(lead, priority[lead["lead_id"]], unit_name) for lead in leads]
    evidence = [{"priority": priority[e["lead_id"]], **e} for e in evidence]
    evidence.sort(key=lambda e: e["priority"])  # stable: each lead's items keep their time order
    out_dir.mkdir(parents=True, exist_ok=True)
    files = [
        _write_csv(out_dir / "leads.csv", leads),
        _write_csv(out_dir / "evidence.csv", evidence),
        _write_json(out_dir / "leads.json", unit, unit_name, as_of, leads, evidence),
    ]
    return LeadExport(unit, unit_name, len(leads), len(evidence), as_of, files)


def _lead_row(lead: dict[str, Any], priority: int, unit_name: str) -> dict[str, Any]:
    """A lead's columns in the order a unit reads them: priority, who, why, where it stands."""
    first = {
        "priority": priority,
        "lead_id": lead["lead_id"],
        "unit_code": lead["unit_code"],
        "unit_name": unit_name,
        "lead_kind": lead["lead_kind"],
        "score": lead["score"],
        "reason": lead["reason"],
        "stage_zh": lead["stage_zh"],
        "stage": lead["stage"],
    }
    return {**first, **{k: v for k, v in lead.items() if k not in first}}


def _write_csv(path: Path, rows: list[dict[str, Any]]) -> Path:
    with open(path, "w", newline="", encoding="utf-8-sig") as handle:  # BOM: spreadsheets read UTF-8 right
        if rows:
            writer = csv.DictWriter(handle, fieldnames=list(rows[0]))
            writer.writeheader()
            writer.writerows({k: neutralise(_plain(v)) for k, v in r.items()} for r in rows)
    return path


def _write_json(
    path: Path,
    unit: str,
    unit_name: str,
    as_of: str | None,
    leads: list[dict[str, Any]],
    evidence: list[dict[str, Any]],
) -> Path:
    chains: dict[str, list[dict[str, Any]]] = {}
    for e in evidence:
        chains.setdefault(e["lead_id"], []).append(
            {k: _plain(v) for k, v in e.items() if k not in ("lead_id", "priority")}
        )
    doc = {
        "unit_code": unit,
        "unit_name": unit_name,
        "as_of": as_of,  # the data clock: the latest event time in the published marts
        "leads": [
            {**{k: _plain(v) for k, v in lead.items()}, "evidence": chains.get(lead["lead_id"], [])} for lead in leads
        ],
    }
    path.write_text(json.dumps(doc, ensure_ascii=False, indent=2), encoding="utf-8")
    return path
