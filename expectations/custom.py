"""Custom GX Core expectations for what GX lacks: identifier checksums and local timestamps.

Each is a ColumnMapExpectation over text columns, evaluated per row (nulls are skipped, as GX does for
all map expectations: ``expect_column_values_to_not_be_null`` owns missing values). The rules themselves
live in ``rules.identifiers`` and ``parse_local_timestamp``. Two engines evaluate them:

- pandas (the metric providers below), per value in Python;
- DuckDB (``expectations/sql_engine.py``), through ``SQL_CONDITIONS``: an SQL predicate per metric. Values
  already in the common canonical shape (18 ASCII characters, 16-19 digits, ``YYYY-MM-DD HH:MM:SS``…)
  take an SQL translation of the rule; any other value calls the Python rule itself (a DuckDB Python
  function), so normalisation (NFKC, prefixes, separators, offsets) is never re-implemented.
  ``tests/test_validate_docs.py`` checks that SQL and Python agree on a corpus of edge cases.
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

from rules.identifiers import is_valid_card, is_valid_id, is_valid_phone

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
# Each condition takes the common, already-canonical shape in SQL (the rule is then simple and exact on it)
# and hands every other value to the Python rule itself, registered as a DuckDB function.
_ID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
# Scalar arithmetic only (no per-row lists: DuckDB lambdas cost ~10 µs a row).
_ID_SUM = " + ".join(f"(ord(t[{i + 1}]) - 48) * {w}" for i, w in enumerate(_ID_WEIGHTS))
_LUHN_TERMS = " + ".join(
    f"(case when length(d) > {i} then "
    + ("x" if i % 2 == 0 else "(x * 2 - 9 * (x > 4)::int)").replace("x", f"(ord(d[length(d) - {i}]) - 48)")
    + " else 0 end)"
    for i in range(19)
)
_TS_FORMATS = (  # (shape, strptime format of its first 19 characters): local naive, and +08:00 (no shift)
    (r"\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}", "%Y-%m-%d %H:%M:%S"),
    (r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\+08:00", "%Y-%m-%dT%H:%M:%S"),
)

# Temporary macros (per connection, never stored in the database file). ``fb_*`` names are ours.
SQL_MACROS: tuple[str, ...] = (
    # GB 11643 on 17 ASCII digits + [0-9X]: check character (ISO 7064 MOD 11-2), birth date 1900..today
    rf"""create or replace temp macro fb_id_ok(t) as
        substr('10X98765432', (({_ID_SUM}) % 11 + 1)::bigint, 1) = t[18]
        and coalesce(try_strptime(t[7:14], '%Y%m%d')::date between date '1900-01-01' and current_date, false)""",
    f"create or replace temp macro fb_luhn(d) as ({_LUHN_TERMS}) % 10 = 0",
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


def _sql_valid_id(col: str) -> str:
    return rf"case when regexp_full_match({col}, '\d{{17}}[\dX]') then fb_id_ok({col}) else fb_py_valid_id({col}) end"


def _sql_valid_mobile(col: str) -> str:
    return rf"regexp_full_match({col}, '1[3-9]\d{{9}}') or fb_py_valid_phone({col})"


def _sql_valid_card(col: str) -> str:
    return rf"case when regexp_full_match({col}, '\d{{16,19}}') then fb_luhn({col}) else fb_py_valid_card({col}) end"


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
    "column_values.fraudbrain_valid_cn_id": lambda col, **_: _sql_valid_id(col),
    "column_values.fraudbrain_valid_cn_mobile": lambda col, **_: _sql_valid_mobile(col),
    "column_values.fraudbrain_valid_card_no": lambda col, **_: _sql_valid_card(col),
    "column_values.fraudbrain_local_timestamp": lambda col, **_: _sql_local_ts(col),
    "column_values.fraudbrain_timestamp_not_after": lambda col, max_value, **_: _sql_not_after(col, max_value),
}

# The Python rules as DuckDB functions, for values the SQL fast path does not take (non-ASCII).
_PY_FUNCTIONS: dict[str, tuple[Callable[..., bool], list[Any]]] = {
    "fb_py_valid_id": (is_valid_id, ["VARCHAR"]),
    "fb_py_valid_phone": (is_valid_phone, ["VARCHAR"]),
    "fb_py_valid_card": (is_valid_card, ["VARCHAR"]),
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
