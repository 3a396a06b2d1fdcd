"""The source tables fraudbrain accepts, as ../shared/contracts/ fixes them: one catalogue, one place.

Extract and validate read table shapes from here, and the raw tables are created from it. The dbt sources
(``dbt_project/models/staging/<source>/_<source>__sources.yml``) declare the same tables and columns by hand
for dbt; tests/test_dbt_sources.py fails when they drift from this catalogue.
Raw tables in the working database are named ``raw.<source>__<table>``: every contract column as
VARCHAR (the value as delivered, police values rendered as text), followed by the lineage columns.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date
from typing import Literal

SourceName = Literal["telecom", "finance", "police"]

# Lineage columns appended to every raw row (and to every quarantined row).
LINEAGE_COLUMNS: tuple[str, ...] = (
    "_source",  # telecom | finance | police
    "_batch",  # batch date (files) or the extraction's watermark high mark (police)
    "_delivery_id",  # the manifest's delivery_id (files) or the extraction id (police)
    "_file",  # path of the file inside the landing zone (files) or the table name (police)
    "_line",  # 1-based physical line in the decompressed file (CSV header = line 1); police: row ordinal
    "_loaded_at",  # wall-clock load time (lineage only: never used by marts)
)


@dataclass(frozen=True)
class Table:
    source: SourceName
    name: str
    columns: tuple[str, ...]
    required: tuple[str, ...]
    key: tuple[str, ...]
    file: str | None = None  # file name inside a batch folder (file sources)
    kind: Literal["state", "event", "reference"] = "state"
    timestamps: tuple[str, ...] = field(default=())
    # Columns a later revision of the contract added: a source still on the earlier revision has no such column
    # at all (read as null). Their raw columns exist whatever the source's revision.
    optional_columns: tuple[str, ...] = field(default=())

    @property
    def base_columns(self) -> tuple[str, ...]:
        """The columns every revision of the contract has: a source lacking one of them has drifted."""
        return tuple(c for c in self.columns if c not in self.optional_columns)

    @property
    def raw_table(self) -> str:
        return f"{self.source}__{self.name}"

    @property
    def qualified(self) -> str:
        return f"raw.{self.raw_table}"


TELECOM = (
    Table(
        "telecom",
        "subscribers",
        (
            "msisdn",
            "imsi",
            "carrier",
            "holder_id_no",
            "holder_name",
            "activated_at",
            "outlet_id",
            "region_code",
            "status",
            "status_changed_at",
        ),
        required=(
            "msisdn",
            "carrier",
            "holder_id_no",
            "holder_name",
            "activated_at",
            "region_code",
            "status",
        ),
        key=("msisdn", "activated_at"),
        file="subscribers.csv",
        timestamps=("activated_at", "status_changed_at"),
    ),
    Table(
        "telecom",
        "cdr",
        ("call_id", "caller", "callee", "start_time", "duration_s", "cell_id", "imei"),
        required=("call_id", "caller", "callee", "start_time", "duration_s"),
        key=("call_id",),
        file="cdr.csv.gz",
        kind="event",
        timestamps=("start_time",),
    ),
    Table(
        "telecom",
        "cells",
        ("cell_id", "region_code", "lon", "lat"),
        required=("cell_id", "region_code", "lon", "lat"),
        key=("cell_id",),
        file="cells.csv",
        kind="reference",
    ),
)

FINANCE = (
    Table(
        "finance",
        "accounts",
        (
            "card_no",
            "bank_code",
            "holder_id_no",
            "holder_name",
            "holder_phone",
            "opened_at",
            "branch_code",
            "region_code",
            "account_class",
            "status",
            "updated_at",
        ),
        required=(
            "card_no",
            "bank_code",
            "holder_id_no",
            "holder_name",
            "opened_at",
            "region_code",
            "account_class",
            "status",
            "updated_at",
        ),
        key=("card_no",),
        file="accounts.jsonl",
        timestamps=("opened_at", "updated_at"),
    ),
    Table(
        "finance",
        "transactions",
        ("txn_id", "ts", "from_card", "to_card", "amount", "channel", "device_id", "ip", "status"),
        required=("txn_id", "ts", "amount", "channel", "status"),
        key=("txn_id",),
        file="transactions.jsonl.gz",
        kind="event",
        timestamps=("ts",),
    ),
)

POLICE = (
    Table(
        "police",
        "units",
        ("unit_code", "name", "parent_code", "region_code", "level", "updated_at"),
        required=("unit_code", "name", "region_code", "level"),
        key=("unit_code",),
        kind="reference",
        timestamps=("updated_at",),
    ),
    Table(
        "police",
        "cases",
        (
            "case_no",
            "unit_code",
            "region_code",
            "fraud_type",
            "reported_at",
            "occurred_at",
            "loss_amount",
            "status",
            "solved_at",
            "narrative",
            "updated_at",
        ),
        required=(
            "case_no",
            "unit_code",
            "region_code",
            "fraud_type",
            "reported_at",
            "loss_amount",
            "status",
        ),
        key=("case_no",),
        timestamps=("reported_at", "occurred_at", "solved_at", "updated_at"),
    ),
    Table(
        "police",
        "victims",
        ("case_no", "seq", "id_no", "name", "phone", "gender", "age", "updated_at"),
        required=("case_no", "seq", "name"),
        key=("case_no", "seq"),
        timestamps=("updated_at",),
    ),
    Table(
        "police",
        "case_transfers",
        ("case_no", "seq", "paid_at", "from_card", "to_card", "amount", "channel", "updated_at"),
        required=("case_no", "seq", "paid_at", "to_card", "amount"),
        key=("case_no", "seq"),
        timestamps=("paid_at", "updated_at"),
    ),
    Table(
        "police",
        "case_contacts",
        ("case_no", "seq", "contact_type", "contact_value", "updated_at"),
        required=("case_no", "seq", "contact_type", "contact_value", "updated_at"),
        key=("case_no", "seq"),
        timestamps=("updated_at",),
    ),
    Table(
        "police",
        "suspects",
        ("suspect_no", "case_no", "id_no", "name", "phone", "role", "arrested_at", "unit_code", "updated_at"),
        required=("suspect_no", "name", "role", "unit_code"),
        key=("suspect_no",),
        timestamps=("arrested_at", "updated_at"),
    ),
    Table(
        "police",
        "stop_payments",
        (
            "request_no",
            "case_no",
            "card_no",
            "requested_at",
            "amount_stopped",
            "status",
            "unit_code",
            "updated_at",
        ),
        required=("request_no", "card_no", "requested_at", "status", "unit_code"),
        key=("request_no",),
        timestamps=("requested_at", "updated_at"),
    ),
    Table(
        "police",
        "recoveries",
        ("case_no", "seq", "recovered_at", "amount", "updated_at"),
        required=("case_no", "seq", "recovered_at", "amount", "updated_at"),
        key=("case_no", "seq"),
        timestamps=("recovered_at", "updated_at"),
    ),
    Table(
        "police",
        "warnings",
        ("warning_id", "unit_code", "phone", "issued_at", "source", "outcome", "updated_at"),
        required=("warning_id", "unit_code", "phone", "issued_at", "source", "outcome"),
        key=("warning_id",),
        timestamps=("issued_at", "updated_at"),
    ),
    Table(
        "police",
        "prevention_activities",
        (
            "activity_id",
            "unit_code",
            "region_code",
            "held_at",
            "kind",
            "reach",
            "app_registrations",
            "updated_at",
        ),
        required=(
            "activity_id",
            "unit_code",
            "region_code",
            "held_at",
            "kind",
            "reach",
            "app_registrations",
            "updated_at",
        ),
        key=("activity_id",),
        timestamps=("held_at", "updated_at"),
    ),
    Table(
        "police",
        "supervision_tasks",
        (
            "task_id",
            "unit_code",
            "kind",
            "issued_at",
            "due_at",
            "completed_at",
            "feedback",
            "ref_no",
            "updated_at",
        ),
        required=("task_id", "unit_code", "kind", "issued_at", "due_at"),
        key=("task_id",),
        timestamps=("issued_at", "due_at", "completed_at", "updated_at"),
        optional_columns=("ref_no",),  # revision 2 of police.md; sites are upgraded one at a time
    ),
    Table(
        "police",
        "residents",
        ("id_no", "name", "gender", "birth_date", "household_no", "relation", "region_code", "updated_at"),
        required=(
            "id_no",
            "name",
            "gender",
            "birth_date",
            "household_no",
            "relation",
            "region_code",
            "updated_at",
        ),
        key=("id_no",),
        timestamps=("updated_at",),
    ),
)

ALL_TABLES: tuple[Table, ...] = TELECOM + FINANCE + POLICE
FILE_SOURCES: dict[str, tuple[Table, ...]] = {"telecom": TELECOM, "finance": FINANCE}


# ---- batch folders (README.md "The landing zone") ---------------------------------------------------
# A file source writes one folder per batch, named ``batch=YYYY-MM-DD`` for a real calendar day.
BATCH_FOLDER = re.compile(r"^batch=(\d{4}-\d{2}-\d{2})$")


def batch_folder_date(name: str) -> date | None:
    """The day a batch folder is named for, or None when ``name`` is no batch folder (``tmp``, ``batch=2026-13-45``)."""
    match = BATCH_FOLDER.match(name)
    if not match:
        return None
    try:
        return date.fromisoformat(match.group(1))
    except ValueError:
        return None


# ---- length bounds ---------------------------------------------------------------------------------
# The longest value (in characters) a column may hold; a longer value makes its row unusable (quarantined
# with the column named: expectations/rules.py). The contracts fix no lengths beyond the identifiers'
# formats (an ID number has 18 characters, a card 16 to 19 digits, a mobile 11 digits with a prefix and
# separators); these bounds come from sense, set well above any real value and far below a runaway export.
NAME_MAX_CHARS = 64  # a person's name: Chinese names have 2 to 4 characters, transliterated minority names ~20
UNIT_NAME_MAX_CHARS = 128  # a police unit: 大悟县公安局 to a station's full title, ~30 characters
NARRATIVE_MAX_CHARS = 20_000  # an officer's free-text account of a case: a few pages (the simulator's: ~200)
FEEDBACK_MAX_CHARS = 4_000  # a supervision task's feedback: a page
CONTACT_MAX_CHARS = 2_048  # case_contacts.contact_value may be a URL (a browser's practical URL length)
CODE_MAX_CHARS = 64  # every other value: identifiers, codes, enumerations, times, amounts (the longest
# legitimate one, a phone written "+86 139-1234-5678" or an ISO time with offset, has ~25)
_MAX_CHARS: dict[tuple[str, str], int] = {
    ("telecom__subscribers", "holder_name"): NAME_MAX_CHARS,
    ("finance__accounts", "holder_name"): NAME_MAX_CHARS,
    ("police__victims", "name"): NAME_MAX_CHARS,
    ("police__suspects", "name"): NAME_MAX_CHARS,
    ("police__residents", "name"): NAME_MAX_CHARS,
    ("police__units", "name"): UNIT_NAME_MAX_CHARS,
    ("police__cases", "narrative"): NARRATIVE_MAX_CHARS,
    ("police__supervision_tasks", "feedback"): FEEDBACK_MAX_CHARS,
    ("police__case_contacts", "contact_value"): CONTACT_MAX_CHARS,
}


def max_chars(t: Table, column: str) -> int:
    """The length bound of ``column`` of ``t`` (characters): the one place the bounds are decided."""
    return _MAX_CHARS.get((t.raw_table, column), CODE_MAX_CHARS)


def table(source: str, name: str) -> Table:
    for t in ALL_TABLES:
        if t.source == source and t.name == name:
            return t
    raise KeyError(f"no contract table {source}.{name}")


def by_file(source: str, file_name: str) -> Table | None:
    for t in FILE_SOURCES.get(source, ()):
        if t.file == file_name:
            return t
    return None
