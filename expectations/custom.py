"""Custom GX Core expectations for what GX lacks: identifier checksums and local timestamps.

Each is a ColumnMapExpectation over text columns, evaluated per row (nulls are skipped, as GX does for
all map expectations: ``expect_column_values_to_not_be_null`` owns missing values). Only the pandas
engine is implemented; the rules themselves live in ``flows.identifiers`` and ``parse_local_timestamp``
so that an SQL engine can later implement the same predicates.
"""

from __future__ import annotations

import datetime as dt
import re
from typing import ClassVar

import pandas as pd
from great_expectations.execution_engine import PandasExecutionEngine
from great_expectations.expectations.expectation import ColumnMapExpectation
from great_expectations.expectations.metrics import ColumnMapMetricProvider, column_condition_partial

from flows.identifiers import is_valid_card, is_valid_id, is_valid_phone

SHANGHAI = dt.timezone(dt.timedelta(hours=8), "Asia/Shanghai")  # no DST since 1991
_TS = re.compile(
    r"^\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}(:\d{2}(\.\d{1,6})?)?(Z|[+-]\d{2}(:?\d{2})?)?$",
)


def parse_local_timestamp(value: str | None) -> dt.datetime | None:
    """Local (Asia/Shanghai) naive datetime of a source timestamp, or None when it cannot be read.

    Accepts the contracts' forms: ``YYYY-MM-DD HH:MM:SS`` (local), ISO 8601 with ``T`` or a space,
    with or without an offset (without one, the time is local), optional fractional seconds.
    """
    if value is None or not isinstance(value, str):
        return None
    text = value.strip()
    if not _TS.match(text):
        return None
    try:
        parsed = dt.datetime.fromisoformat(text)
    except ValueError:
        return None
    if parsed.tzinfo is not None:
        parsed = parsed.astimezone(SHANGHAI).replace(tzinfo=None)
    return parsed


def _map_bool(column: pd.Series, predicate) -> pd.Series:
    return column.map(predicate).astype(bool)


# ---- metrics -----------------------------------------------------------------------------------
class ColumnValuesValidCnId(ColumnMapMetricProvider):
    condition_metric_name = "column_values.fraudbrain_valid_cn_id"

    @column_condition_partial(engine=PandasExecutionEngine)
    def _pandas(cls, column: pd.Series, **kwargs) -> pd.Series:
        return _map_bool(column, is_valid_id)


class ColumnValuesValidCnMobile(ColumnMapMetricProvider):
    condition_metric_name = "column_values.fraudbrain_valid_cn_mobile"

    @column_condition_partial(engine=PandasExecutionEngine)
    def _pandas(cls, column: pd.Series, **kwargs) -> pd.Series:
        return _map_bool(column, is_valid_phone)


class ColumnValuesValidCardNo(ColumnMapMetricProvider):
    condition_metric_name = "column_values.fraudbrain_valid_card_no"

    @column_condition_partial(engine=PandasExecutionEngine)
    def _pandas(cls, column: pd.Series, **kwargs) -> pd.Series:
        return _map_bool(column, is_valid_card)


class ColumnValuesLocalTimestamp(ColumnMapMetricProvider):
    condition_metric_name = "column_values.fraudbrain_local_timestamp"

    @column_condition_partial(engine=PandasExecutionEngine)
    def _pandas(cls, column: pd.Series, **kwargs) -> pd.Series:
        return _map_bool(column, lambda v: parse_local_timestamp(v) is not None)


class ColumnValuesTimestampNotAfter(ColumnMapMetricProvider):
    condition_metric_name = "column_values.fraudbrain_timestamp_not_after"
    condition_value_keys = ("max_value",)

    @column_condition_partial(engine=PandasExecutionEngine)
    def _pandas(cls, column: pd.Series, max_value: str, **kwargs) -> pd.Series:
        limit = parse_local_timestamp(max_value)
        if limit is None:
            raise ValueError(f"max_value {max_value!r} is not a timestamp")

        def ok(v: str) -> bool:
            parsed = parse_local_timestamp(v)
            return parsed is None or parsed <= limit  # unreadable: the parse expectation reports it

        return _map_bool(column, ok)


# ---- expectations ------------------------------------------------------------------------------
class ExpectColumnValuesToBeValidCnId(ColumnMapExpectation):
    """Resident identity number: 18 characters, GB 11643 MOD 11-2 check character, a real birth date."""

    map_metric = "column_values.fraudbrain_valid_cn_id"
    success_keys: ClassVar[tuple[str, ...]] = ("mostly",)


class ExpectColumnValuesToBeValidCnMobile(ColumnMapExpectation):
    """Mobile number: after normalisation (+86/86/0086, spaces, hyphens, full-width) 11 digits 1[3-9]…"""

    map_metric = "column_values.fraudbrain_valid_cn_mobile"
    success_keys: ClassVar[tuple[str, ...]] = ("mostly",)


class ExpectColumnValuesToBeValidCardNo(ColumnMapExpectation):
    """Bank card number: 16 to 19 digits after normalisation, Luhn check passes."""

    map_metric = "column_values.fraudbrain_valid_card_no"
    success_keys: ClassVar[tuple[str, ...]] = ("mostly",)


class ExpectColumnValuesToBeLocalTimestamp(ColumnMapExpectation):
    """A timestamp the contracts allow (local naive, or ISO 8601 with/without offset, T or space)."""

    map_metric = "column_values.fraudbrain_local_timestamp"
    success_keys: ClassVar[tuple[str, ...]] = ("mostly",)


class ExpectColumnValuesToBeTimestampsNotAfter(ColumnMapExpectation):
    """Timestamps (read as local time) not after ``max_value`` (``YYYY-MM-DD HH:MM:SS``, local)."""

    max_value: str | dict
    map_metric = "column_values.fraudbrain_timestamp_not_after"
    success_keys: ClassVar[tuple[str, ...]] = ("max_value", "mostly")
