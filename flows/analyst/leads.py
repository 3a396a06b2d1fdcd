"""`fraudbrain leads --unit UNIT --out DIR`: a county unit's lead packages, for the people who act on them.

Writes `leads.csv` (one row per lead, with its stage in the closed loop 研判 → 交办 → 办理 → 督办 → 办结),
`evidence.csv` (the evidence chain: one row per item, each traceable to its source batch and line) and
`leads.json` (the same, nested). From the published warehouse only: tokens and masked values. Text cells
that a spreadsheet would run as a formula are neutralised.
"""

from __future__ import annotations

import csv
import json
import re
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

from flows.analyst.query import open_readonly

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
    leads: int
    evidence: int
    files: list[Path]


def _rows(con: Any, sql: str, params: list[Any]) -> list[dict[str, Any]]:
    cur = con.execute(sql, params)
    names = [d[0] for d in cur.description]
    return [dict(zip(names, r, strict=True)) for r in cur.fetchall()]


def export_leads(warehouse: Path, unit: str, out_dir: Path, *, only_new: bool = False) -> LeadExport:
    con = open_readonly(warehouse)
    try:
        new = " and is_new" if only_new else ""
        leads = _rows(
            con,
            f"select * exclude (token_key_id) from marts.lead_status where unit_code = ?{new} "
            "order by stage = 'closed', amount desc, lead_id",
            [unit],
        )
        evidence = _rows(
            con,
            "select e.* exclude (token_key_id) from marts.lead_packages e "
            "where e.unit_code = ? and e.lead_id in (select lead_id from marts.lead_status where unit_code = ?"
            f"{new}) order by e.lead_id, e.event_at nulls last, e.evidence_kind, e.evidence_token",
            [unit, unit],
        )
    finally:
        con.close()
    out_dir.mkdir(parents=True, exist_ok=True)
    files = [
        _write_csv(out_dir / "leads.csv", leads),
        _write_csv(out_dir / "evidence.csv", evidence),
        _write_json(out_dir / "leads.json", unit, leads, evidence),
    ]
    return LeadExport(unit, len(leads), len(evidence), files)


def _write_csv(path: Path, rows: list[dict[str, Any]]) -> Path:
    with open(path, "w", newline="", encoding="utf-8-sig") as handle:  # BOM: spreadsheets read UTF-8 right
        if rows:
            writer = csv.DictWriter(handle, fieldnames=list(rows[0]))
            writer.writeheader()
            writer.writerows({k: neutralise(_plain(v)) for k, v in r.items()} for r in rows)
    return path


def _write_json(path: Path, unit: str, leads: list[dict[str, Any]], evidence: list[dict[str, Any]]) -> Path:
    chains: dict[str, list[dict[str, Any]]] = {}
    for e in evidence:
        chains.setdefault(e["lead_id"], []).append({k: _plain(v) for k, v in e.items() if k != "lead_id"})
    doc = {
        "unit_code": unit,
        "leads": [
            {**{k: _plain(v) for k, v in lead.items()}, "evidence": chains.get(lead["lead_id"], [])} for lead in leads
        ],
    }
    path.write_text(json.dumps(doc, ensure_ascii=False, indent=2), encoding="utf-8")
    return path
