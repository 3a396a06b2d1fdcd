"""Building blocks of the suites: every expectation carries its severity in ``meta``.

Severity (``meta["severity"]``) decides what a failure does (flows/ingest/validate.py routes on it):

- ``row``: the failing rows cannot be used (required value missing, unparseable time/number, impossible
  value, a value longer than its column's bound in rules/contracts.py): they are quarantined with the
  expectation's name.
- ``flag``: a malformed identifier (ID check character, Luhn, phone format): rows are kept (staging flags
  them); the rate is bounded by ``mostly = 1 - max_malformed_rate`` and a rate beyond it holds the batch
  (when the column has at least ``MIN_ELEMENTS_FOR_RATE`` values).
- ``batch``: the batch as a whole is wrong (schema drift): held, nothing inserted.
- ``volume``: the file's row count is implausible against its table's own recent deltas (the ``min_rows``
  parameter is the count model's floor, flows/ingest/volume.py); the table's setting decides whether that
  holds the file alone (recorded as severity ``hold``) or raises an alert (``alert``).
- ``info``: reported only (key uniqueness within the batch: the loader keeps the later line).

A held batch or file loaded by ``fraudbrain replay --accept`` records its failed checks as ``accepted``.
Each stored result carries its effective severity in ``meta["severity"]``; a table-level check (schema,
volume) and any accepted failure are described in Data Docs as "<reason> (severity: <severity>)" (GX 1.24
cannot render meta properties as a column: its ``meta_properties_to_render`` breaks the expectation's model).
"""

from __future__ import annotations

from typing import Any

import great_expectations as gx
import great_expectations.expectations as gxe
from great_expectations.expectations.row_conditions import Column

from rules.contracts import Table, max_chars

from .custom import (
    ExpectColumnValuesToBeLocalTimestamp,
    ExpectColumnValuesToBeTimestampsNotAfter,
    ExpectColumnValuesToBeValidCardNo,
    ExpectColumnValuesToBeValidCnId,
    ExpectColumnValuesToBeValidCnMobile,
)

ROW, FLAG, BATCH, INFO = "row", "flag", "batch", "info"
VOLUME = "volume"  # in the suite; recorded as HOLD or ALERT
HOLD, ALERT, ACCEPTED = "hold", "alert", "accepted"
LINE_COLUMN = "_line"
# Parameters filled in at validation time (flows/ingest/validate.py).
MIN_ROWS = {"$PARAMETER": "min_rows"}
LATEST_EVENT_TIME = {"$PARAMETER": "latest_event_time"}

INT = r"^-?\d+$"
NON_NEGATIVE = r"^-"  # used with expect_column_values_to_not_match_regex
DECIMAL = r"^-?\d+(?:\.\d+)?$"
MONEY_CENTS = r"^\d+\.\d{2}$"  # police money, rendered by the extractor
# Finance amounts: positive, two decimals; thousands separators occur (contract defect) and are accepted
# here (staging removes the commas before the cast).
MONEY_TEXT = r"^(?:\d{1,3}(?:,\d{3})+|\d+)(?:\.\d{1,2})?$"
REGION = r"^\d{6}$"
DATE = r"^\d{4}-\d{2}-\d{2}$"


def meta(severity: str, reason: str, **extra: Any) -> dict[str, Any]:
    return {"severity": severity, "reason": reason, **extra}


class SuiteBuilder:
    """Collects one table's expectations; the generic contract rules are added by ``base``."""

    def __init__(self, table: Table, max_malformed_rate: float) -> None:
        self.table = table
        self.flag_mostly = max(0.0, 1.0 - max_malformed_rate)
        self.items: list[gxe.Expectation] = []
        self.shaped: set[str] = set()  # columns a row rule already bounds in length: a time, a value set

    def add(self, expectation: gxe.Expectation) -> SuiteBuilder:
        self.items.append(expectation)
        return self

    # -- generic rules from the contract catalogue ---------------------------------------------------
    def base(self, *, event_time: str | None = None) -> SuiteBuilder:
        t = self.table
        self.add(
            gxe.ExpectTableColumnsToMatchSet(
                column_set=[*t.base_columns, LINE_COLUMN],  # a later revision's columns may be absent
                exact_match=False,
                meta=meta(BATCH, "schema drift: a contract column is missing or renamed"),
            )
        )
        self.add(
            gxe.ExpectTableRowCountToBeBetween(
                min_value=MIN_ROWS, meta=meta(VOLUME, "row count implausible against the table's recent deltas")
            )
        )
        for col in t.required:
            self.add(gxe.ExpectColumnValuesToNotBeNull(column=col, meta=meta(ROW, f"required {col} is null")))
        for col in t.timestamps:
            self.add(ExpectColumnValuesToBeLocalTimestamp(column=col, meta=meta(ROW, f"{col} is not a time")))
        self.shaped.update(t.timestamps)
        if event_time:
            self.add(
                ExpectColumnValuesToBeTimestampsNotAfter(
                    column=event_time,
                    max_value=LATEST_EVENT_TIME,
                    meta=meta(ROW, f"{event_time} is after the batch day"),
                )
            )
        key_meta = meta(INFO, "key repeated within the batch (the later line wins)")
        if len(t.key) == 1:
            self.add(gxe.ExpectColumnValuesToBeUnique(column=t.key[0], meta=key_meta))
        else:
            self.add(gxe.ExpectCompoundColumnsToBeUnique(column_list=list(t.key), meta=key_meta))
        return self

    def not_after(self, *cols: str) -> SuiteBuilder:
        """Times (read as local time) not after ``latest_event_time`` (the batch day's end, the extraction)."""
        for col in cols:
            self.add(
                ExpectColumnValuesToBeTimestampsNotAfter(
                    column=col, max_value=LATEST_EVENT_TIME, meta=meta(ROW, f"{col} is after the batch")
                )
            )
        return self

    # -- row-level rules ----------------------------------------------------------------------------
    def regex(self, col: str, pattern: str, reason: str) -> SuiteBuilder:
        return self.add(gxe.ExpectColumnValuesToMatchRegex(column=col, regex=pattern, meta=meta(ROW, reason)))

    def integer(self, *cols: str) -> SuiteBuilder:
        for col in cols:
            self.regex(col, INT, f"{col} is not an integer")
        return self

    def non_negative(self, col: str) -> SuiteBuilder:
        return self.add(
            gxe.ExpectColumnValuesToNotMatchRegex(column=col, regex=NON_NEGATIVE, meta=meta(ROW, f"{col} is negative"))
        )

    def one_of(self, col: str, values: list[str]) -> SuiteBuilder:
        self.shaped.add(col)
        return self.add(
            gxe.ExpectColumnValuesToBeInSet(column=col, value_set=values, meta=meta(ROW, f"{col} not an allowed value"))
        )

    def either_present(self, a: str, b: str) -> SuiteBuilder:
        return self.add(
            gxe.ExpectColumnValuesToNotBeNull(
                column=a, row_condition=Column(b).is_null(), meta=meta(ROW, f"neither {a} nor {b} is present")
            )
        )

    # -- identifier flags ---------------------------------------------------------------------------
    def _flag(self, cls: type[gxe.Expectation], col: str, reason: str, **kw: Any) -> SuiteBuilder:
        return self.add(cls(column=col, mostly=self.flag_mostly, meta=meta(FLAG, reason), **kw))

    def id_no(self, *cols: str) -> SuiteBuilder:
        for col in cols:
            self._flag(ExpectColumnValuesToBeValidCnId, col, f"{col}: malformed ID number")
        return self

    def phone(self, *cols: str) -> SuiteBuilder:
        for col in cols:
            self._flag(ExpectColumnValuesToBeValidCnMobile, col, f"{col}: malformed mobile number")
        return self

    def card(self, *cols: str) -> SuiteBuilder:
        for col in cols:
            self._flag(ExpectColumnValuesToBeValidCardNo, col, f"{col}: malformed card number (Luhn)")
        return self

    def flag_regex(self, col: str, pattern: str, reason: str) -> SuiteBuilder:
        return self._flag(gxe.ExpectColumnValuesToMatchRegex, col, reason, regex=pattern)

    def length_bounds(self) -> list[gxe.Expectation]:
        """A row rule per column: at most its bound (rules/contracts.py ``max_chars``) characters.

        Columns already held to a time or a value set are left out (a longer value fails those anyway),
        as each expectation costs GX about 25 ms per batch whatever the rows.
        """
        t = self.table
        return [
            gxe.ExpectColumnValueLengthsToBeBetween(
                column=col,
                max_value=max_chars(t, col),
                meta=meta(ROW, f"{col} longer than {max_chars(t, col)} characters"),
            )
            for col in t.columns
            if col not in self.shaped
        ]

    def suite(self) -> gx.ExpectationSuite:
        t = self.table
        return gx.ExpectationSuite(
            name=t.raw_table,
            expectations=[*self.items, *self.length_bounds()],
            meta={
                "source": t.source,
                "table": t.name,
                "contract": f"shared/contracts/{t.source}.md",
            },
        )
