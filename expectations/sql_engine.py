"""GX metrics computed in DuckDB: the suites run through GX, their metrics are SQL over a DuckDB table.

GX's own SQL engine cannot run on DuckDB here (duckdb-engine is not installed, and with SQLAlchemy 2.1 it
cannot reflect columns; see shared/STACK_NOTES.md). ``DuckDBExecutionEngine`` is a PandasExecutionEngine
whose ``resolve_metrics`` answers every metric the suites in ``expectations/`` need with one SQL query
over a DuckDB table (the batch), instead of pandas: GX still builds the metric graph, decides success
(``mostly``, row-count bounds, column sets) and formats the results; only the counting moves to DuckDB.

A metric this engine does not know raises (the expectation then reports an exception): nothing is
silently computed on the placeholder pandas frame the batch definition carries.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

import duckdb
from great_expectations.constants import MAX_RESULT_RECORDS
from great_expectations.exceptions import InvalidExpectationKwargsError, MetricResolutionError
from great_expectations.execution_engine import PandasExecutionEngine
from great_expectations.expectations.expectation import Expectation
from great_expectations.validator.metric_configuration import MetricConfiguration

from .custom import SQL_CONDITIONS

_MAP_SUFFIXES = (
    "condition",
    "unexpected_count",
    "unexpected_index_list",
    "unexpected_index_query",
    "unexpected_values",
)
_NULL_KEPT = frozenset({"column_values.nonnull"})  # map metrics whose domain keeps null values (filter_column_isnull)
_OPS = {"==": "=", "!=": "<>", "<": "<", "<=": "<=", ">": ">", ">=": ">="}


def q(name: str) -> str:
    """A quoted SQL identifier."""
    return '"' + name.replace('"', '""') + '"'


def lit(value: Any) -> str:
    """A SQL literal for a str/int/float/bool/None value."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return repr(value)
    return "'" + str(value).replace("'", "''") + "'"


def _field(obj: Any, name: str) -> Any:
    return obj.get(name) if isinstance(obj, dict) else getattr(obj, name, None)


def condition_sql(cond: Any) -> str:
    """A GX row condition (Condition object or its dict form) as an SQL predicate."""
    if cond is None or cond == "":
        return "true"
    kind = _field(cond, "type")
    if kind == "nullity":
        col = q(str(_field(_field(cond, "column"), "name")))
        return f"({col} is {'' if _field(cond, 'is_null') else 'not '}null)"
    if kind == "comparison":
        col = q(str(_field(_field(cond, "column"), "name")))
        op, param = str(_field(cond, "operator")), _field(cond, "parameter")
        if op in ("IN", "NOT_IN"):
            values = ", ".join(lit(v) for v in param)
            return f"({col} {'not ' if op == 'NOT_IN' else ''}in ({values}))"
        return f"({col} {_OPS[op]} {lit(param)})"
    if kind in ("and", "or"):
        parts = [condition_sql(c) for c in _field(cond, "conditions")]
        return "(" + f" {kind} ".join(parts) + ")"
    raise ValueError(f"row condition not supported by the DuckDB engine: {cond!r}")


@dataclass(frozen=True)
class _Domain:
    where: str  # rows of the domain
    columns: tuple[str, ...]  # domain columns (one for column metrics)


class DuckDBExecutionEngine(PandasExecutionEngine):
    """Resolves the suites' metrics with SQL over ``relation`` (a table or view on ``con``)."""

    def bind(self, con: duckdb.DuckDBPyConnection, relation: str, line_column: str) -> DuckDBExecutionEngine:
        self.con, self.relation, self.line_column = con, relation, line_column
        self._unexpected: dict[str, list[tuple[Any, ...]]] = {}
        self._resolved: dict[Any, Any] = {}
        self._caching = False
        return self

    # -- GX entry point ------------------------------------------------------------------------------
    def resolve_metrics(
        self,
        metrics_to_resolve: Iterable[MetricConfiguration],
        metrics: dict[Any, Any] | None = None,
        runtime_configuration: dict | None = None,
    ) -> dict[Any, Any]:
        out: dict[Any, Any] = {}
        failed: list[MetricConfiguration] = []
        error: Exception | None = None
        for m in metrics_to_resolve:
            if m.id in self._resolved:
                out[m.id] = self._resolved[m.id]
                continue
            try:
                out[m.id] = self._resolved[m.id] = self._metric(m)
            except Exception as exc:  # reported per metric, as GX's engines do
                failed.append(m)
                error = exc
        if failed:
            raise MetricResolutionError(message=str(error), failed_metrics=tuple(failed)) from error
        return out

    # -- metrics -------------------------------------------------------------------------------------
    def _metric(self, m: MetricConfiguration) -> Any:
        name, dk, vk = m.metric_name, m.metric_domain_kwargs or {}, m.metric_value_kwargs or {}
        table_metric: dict[str, Callable[[dict[str, Any]], Any]] = {
            "table.row_count": self._row_count,
            "table.columns": lambda _dk: self._columns(),
            "table.column_types": lambda _dk: [{"name": n, "type": t} for n, t in self._column_types()],
        }
        if name in table_metric:
            return table_metric[name](dk)
        if name == "column_values.value_length.map":  # a dependency GX declares; the condition is SQL below
            return f"length({q(str(dk['column']))})"
        base, _, suffix = name.rpartition(".")
        if suffix == "filtered_row_count":
            return self._scalar(f"select count(*) from {self.relation} where {self._domain(base, dk).where}")
        if suffix not in _MAP_SUFFIXES:
            raise ValueError(f"metric {name} is not implemented by the DuckDB engine")
        domain = self._domain(base, dk)
        predicate = self._predicate(base, domain, vk)
        if suffix == "condition":
            return predicate
        if suffix == "unexpected_index_query":
            return f"select * from <batch> where {domain.where} and not ({predicate})"
        rows = self._unexpected_rows(base, domain, predicate)
        if suffix == "unexpected_count":
            return len(rows)
        fmt = vk.get("result_format") or {}
        complete = isinstance(fmt, dict) and fmt.get("result_format") == "COMPLETE"
        limit = None if complete else int(fmt.get("partial_unexpected_count", 20) if isinstance(fmt, dict) else 20)
        if suffix == "unexpected_values":
            values = [r[1] if len(domain.columns) == 1 else dict(zip(domain.columns, r[1:], strict=True)) for r in rows]
            return values[: MAX_RESULT_RECORDS if complete else min(limit or 20, MAX_RESULT_RECORDS)]
        index_names = (fmt.get("unexpected_index_column_names") if isinstance(fmt, dict) else None) or []
        listed = [{**dict(zip(domain.columns, r[1:], strict=True)), **dict.fromkeys(index_names, r[0])} for r in rows]
        if index_names and index_names != [self.line_column]:
            raise ValueError(f"unexpected_index_column_names {index_names}: only {self.line_column} is supported")
        return listed if limit is None else listed[:limit]

    def _row_count(self, dk: dict[str, Any]) -> int:
        return self._scalar(f"select count(*) from {self.relation} where {condition_sql(dk.get('row_condition'))}")

    def _columns(self) -> list[str]:
        return [n for n, _ in self._column_types()]

    def _column_types(self) -> list[tuple[str, str]]:
        rows = self.con.execute(f"describe select * from {self.relation}").fetchall()
        return [(str(r[0]), str(r[1])) for r in rows]

    def _scalar(self, sql: str) -> int:
        row = self.con.execute(sql).fetchall()[0]
        return int(row[0]) if row else 0

    def _domain(self, base: str, dk: dict[str, Any]) -> _Domain:
        where = [condition_sql(dk.get("row_condition"))]
        if "column" in dk:
            col = str(dk["column"])
            if base not in _NULL_KEPT:
                where.append(f"{q(col)} is not null")
            return _Domain(" and ".join(where), (col,))
        if "column_list" in dk:
            cols = tuple(str(c) for c in dk["column_list"])
            ignore = dk.get("ignore_row_if", "all_values_are_missing")
            if ignore == "all_values_are_missing":
                where.append("not (" + " and ".join(f"{q(c)} is null" for c in cols) + ")")
            elif ignore == "any_value_is_missing":
                where.append(" and ".join(f"{q(c)} is not null" for c in cols))
            elif ignore != "never":
                raise ValueError(f"ignore_row_if {ignore!r} not supported")
            return _Domain(" and ".join(where), cols)
        raise ValueError(f"domain {dk} not supported by the DuckDB engine")

    def _predicate(self, base: str, domain: _Domain, vk: dict[str, Any]) -> str:
        """SQL true for an expected row of the domain (window functions see only the domain's rows)."""
        cols = [q(c) for c in domain.columns]
        col = cols[0]
        if base == "column_values.nonnull":
            return f"{col} is not null"
        if base == "column_values.in_set":
            if vk.get("parse_strings_as_datetimes"):
                raise ValueError("parse_strings_as_datetimes not supported")
            values = ", ".join(lit(v) for v in vk["value_set"]) or "null"
            return f"{col} in ({values})"
        if base == "column_values.match_regex":
            return f"regexp_matches({col}, {lit(vk['regex'])})"
        if base == "column_values.not_match_regex":
            return f"not regexp_matches({col}, {lit(vk['regex'])})"
        if base == "column_values.value_length.between":  # length() counts characters, as Python's len
            low, high = vk.get("min_value"), vk.get("max_value")
            checks = [f"length({col}) {'>' if vk.get('strict_min') else '>='} {int(low)}"] if low is not None else []
            checks += [f"length({col}) {'<' if vk.get('strict_max') else '<='} {int(high)}"] if high is not None else []
            return " and ".join(checks) or "true"
        if base in ("column_values.unique", "compound_columns.unique"):
            return f"count(*) over (partition by {', '.join(cols)}) = 1"
        if base in SQL_CONDITIONS:
            extra = {k: v for k, v in vk.items() if k != "result_format"}
            return SQL_CONDITIONS[base](col, **extra)
        raise ValueError(f"metric {base} is not implemented by the DuckDB engine")

    def _unexpected_rows(self, base: str, domain: _Domain, predicate: str) -> list[tuple[Any, ...]]:
        """(line, domain values…) of the domain rows failing ``predicate``, in line order (cached)."""
        key = f"{base}|{domain.where}|{predicate}"
        if key not in self._unexpected:
            cols = ", ".join(q(c) for c in domain.columns)
            line = q(self.line_column)
            self._unexpected[key] = self.con.execute(
                f"""with d as (select {line}, {cols} from {self.relation} where {domain.where}),
                    c as (select *, ({predicate}) as _ok from d)
                    select {line}, {cols} from c where not coalesce(_ok, false) order by {line}"""
            ).fetchall()
        return self._unexpected[key]


# ---- GX overhead ---------------------------------------------------------------------------------
# GX 1.24 rebuilds ``Expectation.configuration`` (a pydantic dump and deep copy) once per domain/success key
# inside these two methods: about a third of a validation's fixed cost. Same results, one build per call.
def _domain_kwargs(self: Expectation) -> dict[str, Any]:
    kwargs = self.configuration.kwargs
    return {key: kwargs.get(key, self._get_default_value(key)) for key in self.domain_keys}


def _success_kwargs(self: Expectation) -> dict[str, Any]:
    kwargs = self.configuration.kwargs
    out = {key: kwargs.get(key, self._get_default_value(key)) for key in self.success_keys}
    out.update({key: kwargs.get(key, self._get_default_value(key)) for key in self.domain_keys})
    return out


def _check_domain_keys(self: Expectation) -> dict[str, Any]:
    domain = _domain_kwargs(self)
    if set(self.domain_keys) - set(domain):
        raise InvalidExpectationKwargsError(f"Missing domain kwargs: {list(set(self.domain_keys) - set(domain))}")
    return domain


Expectation._get_domain_kwargs = _check_domain_keys  # type: ignore[method-assign]
Expectation._get_success_kwargs = _success_kwargs  # type: ignore[method-assign]
