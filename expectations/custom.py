"""Custom GX Core expectations for what GX lacks: identifier checksums and local timestamps.

Each is a ColumnMapExpectation over text columns, evaluated per row (nulls are skipped, as GX does for
all map expectations: ``expect_column_values_to_not_be_null`` owns missing values). The identifier rules
live in the rulebook ``rules.identifiers``; timestamps in ``parse_local_timestamp``. Two engines evaluate them:

- pandas (the metric providers below), per value in Python;
- DuckDB (``expectations/sql_engine.py``), through ``SQL_CONDITIONS``: an SQL predicate per metric. The
  identifier predicates are the rulebook's SQL (``rules.identifiers.sql("duckdb")``), generated from the same
  rules as the dbt macros; the timestamp predicates take the common shapes (``YYYY-MM-DD HH:MM:SS``,
  ``…T…+08:00``) in SQL and hand any other value to ``parse_local_timestamp`` (a DuckDB Python function).
  ``tests/test_identifier_corpus.py`` checks that SQL and Python agree on a corpus of edge cases.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable
from typing import Any, ClassVar

import duckdb
import pandas as pd
from great_expectations.execution_engine import PandasExecutionEngine
from great_expectations.expectations.expectation import ColumnMapExpectation
from great_expectations.expectations.metrics import ColumnMapMetricProvider, column_condition_partial

from rules.identifiers import is_valid_card, is_valid_id, is_valid_phone, sql

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
        if parsed.tzinfo is not None:
            parsed = parsed.astimezone(SHANGHAI).replace(tzinfo=None)
    except (ValueError, OverflowError):  # impossible date, or beyond year 9999 in local time
        return None
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


# ---- DuckDB SQL translation ----------------------------------------------------------------------
_RULES = sql("duckdb")
_TS_FORMATS = (  # (shape, strptime format of its first 19 characters): local naive, and +08:00 (no shift)
    (r"\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}", "%Y-%m-%d %H:%M:%S"),
    (r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\+08:00", "%Y-%m-%dT%H:%M:%S"),
)

# Temporary macros (per connection, never stored in the database file). ``fb_*`` names are ours.
SQL_MACROS: tuple[str, ...] = (
    # local timestamp of a value in one of _TS_FORMATS (NULL for any other value or an impossible time)
    "create or replace temp macro fb_fast_ts(v) as case "
    + " ".join(
        f"when regexp_full_match(v, '{shape}') and v[1:4] <> '0000' then try_strptime(v[1:19], '{fmt}')"
        for shape, fmt in _TS_FORMATS
    )
    + " end",
    "create or replace temp macro fb_fast_ts_shape(v) as "
    + " or ".join(f"regexp_full_match(v, '{shape}')" for shape, _ in _TS_FORMATS),
)


def _sql_local_ts(col: str) -> str:
    return f"case when fb_fast_ts_shape({col}) then fb_fast_ts({col}) is not null else fb_py_is_local_ts({col}) end"


def _sql_not_after(col: str, max_value: str) -> str:
    limit = parse_local_timestamp(max_value)
    if limit is None:
        raise ValueError(f"max_value {max_value!r} is not a timestamp")
    text = limit.isoformat(sep=" ")
    return (
        f"case when fb_fast_ts_shape({col}) then coalesce(fb_fast_ts({col}) <= timestamp '{text}', true) "
        f"else fb_py_ts_not_after({col}, '{text}') end"
    )


def _py_not_after(value: str, limit: str) -> bool:
    parsed = parse_local_timestamp(value)
    return parsed is None or parsed <= dt.datetime.fromisoformat(limit)


# metric name -> (column SQL, value kwargs) -> predicate true for an expected (valid) non-null value
SQL_CONDITIONS: dict[str, Callable[..., str]] = {
    "column_values.fraudbrain_valid_cn_id": lambda col, **_: _RULES.is_valid_id(col),
    "column_values.fraudbrain_valid_cn_mobile": lambda col, **_: _RULES.is_valid_phone(col),
    "column_values.fraudbrain_valid_card_no": lambda col, **_: _RULES.is_valid_card(col),
    "column_values.fraudbrain_local_timestamp": lambda col, **_: _sql_local_ts(col),
    "column_values.fraudbrain_timestamp_not_after": lambda col, max_value, **_: _sql_not_after(col, max_value),
}

# Timestamp parsing as DuckDB functions, for values the SQL fast path does not take (offsets, fractions …).
_PY_FUNCTIONS: dict[str, tuple[Callable[..., bool], list[Any]]] = {
    "fb_py_is_local_ts": (lambda v: parse_local_timestamp(v) is not None, ["VARCHAR"]),
    "fb_py_ts_not_after": (_py_not_after, ["VARCHAR", "VARCHAR"]),
}


def install_sql_rules(con: duckdb.DuckDBPyConnection) -> None:
    """Create the temp macros and Python functions the SQL conditions use (once per connection)."""
    try:
        con.execute("select fb_rules_installed()").fetchall()
        return
    except duckdb.Error:
        pass
    present = {
        r[0]
        for r in con.execute(
            "select function_name from duckdb_functions() where function_name like 'fb_py_%'"
        ).fetchall()
    }
    for name, (fn, params) in _PY_FUNCTIONS.items():
        if name not in present:
            con.create_function(name, fn, params, "BOOLEAN", side_effects=False)
    for ddl in SQL_MACROS:
        con.execute(ddl)
    con.execute("create or replace temp macro fb_rules_installed() as true")
