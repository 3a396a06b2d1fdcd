"""GX suites of the police source (shared/contracts/police.md): one per table.

Values arrive rendered as text by flows/ingest/extract/police.py (timestamps ``YYYY-MM-DD HH:MM:SS``,
money ``1234.50``, integers as digits), so formats here are the rendered ones.
"""

from __future__ import annotations

import great_expectations as gx

from rules.contracts import POLICE

from .finance import CHANNELS
from .rules import DATE, MONEY_CENTS, REGION, SuiteBuilder

MONEY_COLUMNS = frozenset({"loss_amount", "amount", "amount_stopped"})
INT_COLUMNS = frozenset({"seq", "age", "reach", "app_registrations"})
FRAUD_TYPES = ["SHUADAN", "SHAZHUPAN", "KEFU", "GONGJIANFA", "DAIKUAN", "TOUZI", "YOUXI", "OTHER"]
ALLOWED: dict[tuple[str, str], list[str]] = {
    ("units", "level"): ["city", "county", "station"],
    ("cases", "fraud_type"): FRAUD_TYPES,
    ("cases", "status"): ["registered", "solved", "closed"],
    ("victims", "gender"): ["M", "F"],
    ("case_transfers", "channel"): CHANNELS,
    ("case_contacts", "contact_type"): ["phone", "wechat", "qq", "app", "url"],
    ("suspects", "role"): ["organizer", "card_supplier", "mule", "caller", "other"],
    ("stop_payments", "status"): ["requested", "executed", "failed"],
    ("warnings", "source"): ["national_center", "bank", "operator", "model"],
    ("warnings", "outcome"): ["dissuaded", "unreachable", "already_paid", "false_alarm", "pending"],
    ("prevention_activities", "kind"): ["lecture", "sms_campaign", "door_to_door", "app_install_drive", "media"],
    ("supervision_tasks", "kind"): ["lead_followup", "rectification", "inspection"],
    ("residents", "gender"): ["M", "F"],
    ("residents", "relation"): ["head", "spouse", "child", "parent", "sibling", "grandchild", "other"],
}
ID_COLUMNS = {"victims": ["id_no"], "suspects": ["id_no"], "residents": ["id_no"]}
PHONE_COLUMNS = {"victims": ["phone"], "suspects": ["phone"], "warnings": ["phone"]}
CARD_COLUMNS = {"case_transfers": ["from_card", "to_card"], "stop_payments": ["card_no"]}
# Times that may lie in the future (a deadline); every other time must not be after the extraction.
FUTURE_TIMES = frozenset({"due_at"})


def suites(max_malformed_rate: float) -> list[gx.ExpectationSuite]:
    out = []
    for t in POLICE:
        b = SuiteBuilder(t, max_malformed_rate).base()
        b.not_after(*(c for c in t.timestamps if c not in FUTURE_TIMES))
        for col in t.columns:
            if col in MONEY_COLUMNS:
                b.regex(col, MONEY_CENTS, f"{col} is not an amount")
            elif col in INT_COLUMNS:
                b.integer(col)
            elif col == "region_code":
                b.flag_regex(col, REGION, "region_code: not 6 digits")
            elif col == "birth_date":
                b.regex(col, DATE, "birth_date is not a date")
            if (t.name, col) in ALLOWED:
                b.one_of(col, ALLOWED[(t.name, col)])
        b.id_no(*ID_COLUMNS.get(t.name, []))
        b.phone(*PHONE_COLUMNS.get(t.name, []))
        b.card(*CARD_COLUMNS.get(t.name, []))
        out.append(b.suite())
    return out
