"""Run a contract table's GX suite over a batch and route the outcome: quarantine, flags, batch verdict.

The suites live in ``expectations/`` (one per contract table); each expectation declares its severity in
``meta`` (see expectations/rules.py). ``validate_relation`` runs the suite through GX over a DuckDB table
(GX's metrics computed by SQL: expectations/sql_engine.py) with result_format COMPLETE and
``unexpected_index_column_names=["_line"]`` *in memory* to find the failing lines, then stores a
sanitised copy (counts only, no values) in the GX context for Data Docs. ``validate_frame`` does the
same for a pandas frame (registered in a private DuckDB connection).
"""

from __future__ import annotations

import copy
import datetime as dt
import logging
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import duckdb
import great_expectations as gx
import pandas as pd
from great_expectations.core import ExpectationSuiteValidationResult
from great_expectations.core.run_identifier import RunIdentifier
from great_expectations.data_context.types.base import ProgressBarsConfig
from great_expectations.data_context.types.resource_identifiers import (
    ExpectationSuiteIdentifier,
    ValidationResultIdentifier,
)
from great_expectations.validator.v1_validator import Validator

from expectations import all_suites
from expectations.custom import install_sql_rules
from expectations.rules import ACCEPTED, ALERT, BATCH, FLAG, HOLD, INFO, LINE_COLUMN, ROW, VOLUME
from expectations.sql_engine import DuckDBExecutionEngine
from flows.settings import Settings
from rules.contracts import Table

log = logging.getLogger(__name__)

DATASOURCE = "fraudbrain_frames"
# A rate bound (identifier flags, unusable rows) is judged only on at least this many values: on a
# handful of rows one mistyped ID would be "5%".
MIN_ELEMENTS_FOR_RATE = 100
# Share of a file's rows that may be unusable (parse errors + row-level failures) before the batch is held.
MAX_UNUSABLE_ROW_RATE = 0.05
FAR_FUTURE = "9999-12-31 23:59:59"
# A drifted schema cannot be loaded, accepted or not: the source must re-deliver.
SCHEMA_CHECK = "expect_table_columns_to_match_set"
# The unusable-row share, judged in Python (flows/ingest/extract/files.py), recorded beside the GX results.
UNUSABLE_CHECK = "unusable_row_rate"
# Result keys that carry counts only; everything else (unexpected values, index lists, queries) is dropped
# before a result is stored for Data Docs.
_SAFE_RESULT_KEYS = frozenset(
    {
        "element_count",
        "unexpected_count",
        "unexpected_percent",
        "unexpected_percent_total",
        "unexpected_percent_nonmissing",
        "missing_count",
        "missing_percent",
    }
)
_TABLE_SAFE_KEYS = frozenset({"observed_value", "details"})  # row counts and column names


@dataclass(frozen=True)
class ExpectationStat:
    expectation: str  # e.g. expect_column_values_to_not_be_null(call_id)
    column: str | None
    severity: str
    success: bool
    element_count: int | None
    unexpected_count: int | None
    unexpected_percent: float | None
    reason: str
    outcome: str = ""  # what it did to the batch, in words (shown in Data Docs)


@dataclass
class ValidationOutcome:
    suite: str
    table: Table
    batch_label: str
    run_id: str
    rows: int
    row_failures: dict[int, list[str]] = field(default_factory=dict)  # _line -> failed expectation names
    stats: list[ExpectationStat] = field(default_factory=list)
    batch_failures: list[str] = field(default_factory=list)
    volume_hold: str | None = None  # implausible row count of a table whose count holds its file
    alerts: list[str] = field(default_factory=list)  # implausible row count of an alert-only table
    accepted: list[str] = field(default_factory=list)  # failures loaded despite their check (replay --accept)

    @property
    def passed(self) -> bool:
        """The gate let the file through: nothing holds the batch, and its own count does not hold the file."""
        return not self.batch_failures and self.volume_hold is None

    def record_check(self, expectation: str, severity: str, success: bool, elements: int, unexpected: int) -> None:
        """A check judged outside GX (the unusable-row share), recorded with the GX results."""
        pct = 100.0 * unexpected / elements if elements else None
        self.stats.append(ExpectationStat(expectation, None, severity, success, elements, unexpected, pct, expectation))

    def flag_rates(self) -> dict[str, float]:
        """Malformed-identifier rate per flag expectation (0..1 of the non-null values)."""
        return {s.expectation: (s.unexpected_percent or 0.0) / 100 for s in self.stats if s.severity == FLAG}

    def dq_rows(self, delivery_id: str) -> list[tuple]:
        """Rows for audit.dq_results: counts, never values."""
        t, now = self.table, dt.datetime.now().replace(microsecond=0)
        return [
            (
                self.run_id,
                self.suite,
                t.source,
                t.name,
                self.batch_label,
                delivery_id,
                s.expectation,
                s.column,
                s.severity,
                s.success,
                s.element_count,
                s.unexpected_count,
                s.unexpected_percent,
                now,
            )
            for s in self.stats
        ]


class DQContext:
    """The GX file context of a run (in ``settings.gx_dir``) with its suites and frame assets, made once."""

    def __init__(self, settings: Settings) -> None:
        settings.work_dir.mkdir(parents=True, exist_ok=True)
        self.settings = settings
        self.gx = gx.get_context(mode="file", project_root_dir=settings.work_dir)
        assert Path(self.gx.root_directory).resolve() == settings.gx_dir.resolve(), self.gx.root_directory
        self.gx.variables.progress_bars = ProgressBarsConfig(globally=False)
        self.suites = all_suites(*_id_bounds(settings))
        for suite in self.suites.values():
            self.gx.suites.add_or_update(suite)
        self.suites = {name: self.gx.suites.get(name) for name in self.suites}
        self._datasource = self.gx.data_sources.add_or_update_pandas(DATASOURCE)
        self._batch_defs: dict[str, Any] = {}

    def batch_definition(self, suite_name: str) -> Any:
        if suite_name not in self._batch_defs:
            names = {a.name for a in self._datasource.assets}
            asset = (
                self._datasource.get_asset(suite_name)
                if suite_name in names
                else self._datasource.add_dataframe_asset(suite_name)
            )
            existing = {b.name for b in asset.batch_definitions}
            self._batch_defs[suite_name] = (
                asset.get_batch_definition("whole")
                if "whole" in existing
                else asset.add_batch_definition_whole_dataframe("whole")
            )
        return self._batch_defs[suite_name]


_CONTEXTS: dict[Path, DQContext] = {}


def _id_bounds(settings: Settings) -> tuple[float, float]:
    """The malformed-identifier bounds the suites are built with (a change rebuilds the context)."""
    return settings.max_malformed_id_rate, settings.police_max_malformed_id_rate


def open_context(settings: Settings) -> DQContext:
    """The run's DQ context (cached per GX folder): create once per run and pass it to validate_frame."""
    key = settings.gx_dir.resolve()
    cached = _CONTEXTS.get(key)
    if cached is None or _id_bounds(cached.settings) != _id_bounds(settings):
        _CONTEXTS[key] = DQContext(settings)
    return _CONTEXTS[key]


def validate_frame(
    df: pd.DataFrame,
    table: Table,
    settings: Settings,
    *,
    batch_label: str,
    run_id: str,
    context: DQContext | None = None,
    min_rows: int = 0,
    latest_event_time: str | None = None,
    volume_action: str = ALERT,
    accepted: bool = False,
) -> ValidationOutcome:
    """Validate one table's rows (contract columns as text + ``_line``) held in a pandas frame."""
    con = duckdb.connect(":memory:")
    try:
        con.register("_fb_frame", df)
        con.execute("create temp table _fb_batch as select * from _fb_frame")
        con.unregister("_fb_frame")
        return validate_relation(
            con,
            "_fb_batch",
            table,
            settings,
            batch_label=batch_label,
            run_id=run_id,
            context=context,
            min_rows=min_rows,
            latest_event_time=latest_event_time,
            volume_action=volume_action,
            accepted=accepted,
        )
    finally:
        con.close()


def validate_relation(
    con: duckdb.DuckDBPyConnection,
    relation: str,
    table: Table,
    settings: Settings,
    *,
    batch_label: str,
    run_id: str,
    context: DQContext | None = None,
    min_rows: int = 0,
    latest_event_time: str | None = None,
    volume_action: str = ALERT,
    accepted: bool = False,
) -> ValidationOutcome:
    """Validate one table's rows held in DuckDB ``relation`` (contract columns as text + ``_line``).

    ``min_rows`` is the count model's floor (flows/ingest/volume.py); a count below it holds the file
    (``volume_action`` ``hold``) or raises an alert (``alert``). ``accepted``: the batch was accepted by
    ``replay --accept``: failures that would hold it (except a drifted schema) are recorded as ``accepted``.
    """
    ctx = context or open_context(settings)
    suite = ctx.suites[table.raw_table]
    params = {"min_rows": min_rows, "latest_event_time": latest_event_time or FAR_FUTURE}
    result, _batch_id, rows = _run_suite(ctx, suite, con, relation, params)
    outcome = _read_results(result, table, suite.name, batch_label, run_id, rows, volume_action, accepted)
    _store_sanitised(ctx, result, outcome)
    if outcome.batch_failures:
        log.warning("DQ gate failed for %s batch %s: %s", suite.name, batch_label, "; ".join(outcome.batch_failures))
    return outcome


def unusable_rate_failure(rows_read: int, rows_unusable: int) -> str | None:
    """Batch-level verdict on the share of unusable rows of a file (parse errors + row failures)."""
    if rows_read >= MIN_ELEMENTS_FOR_RATE and rows_unusable / rows_read > MAX_UNUSABLE_ROW_RATE:
        return (
            f"{rows_unusable} of {rows_read} rows unusable ({rows_unusable / rows_read:.1%}), "
            f"beyond the {MAX_UNUSABLE_ROW_RATE:.0%} bound"
        )
    return None


# ---- GX specifics ------------------------------------------------------------------------------
def _run_suite(
    ctx: DQContext, suite: gx.ExpectationSuite, con: duckdb.DuckDBPyConnection, relation: str, params: dict[str, Any]
) -> tuple[ExpectationSuiteValidationResult, str, int]:
    """GX validates the suite; its metrics are SQL over ``relation`` (the frame asset holds no rows).

    The v1 Validator is what ValidationDefinition.run uses; calling it directly keeps the COMPLETE result
    (with clear values) in memory: ValidationDefinition.run would also persist it to the results store.
    """
    install_sql_rules(con)
    columns = [str(r[0]) for r in con.execute(f"describe select * from {relation}").fetchall()]
    placeholder = pd.DataFrame({c: pd.Series([], dtype="object") for c in columns})
    validator = Validator(
        batch_definition=ctx.batch_definition(suite.name),
        batch_parameters={"dataframe": placeholder},
        result_format={"result_format": "COMPLETE", "unexpected_index_column_names": [LINE_COLUMN]},
    )
    wrapped = validator._wrapped_validator
    engine = DuckDBExecutionEngine.__new__(DuckDBExecutionEngine)
    engine.__dict__.update(wrapped._execution_engine.__dict__)
    engine.bind(con, relation, LINE_COLUMN)
    wrapped._execution_engine = engine
    wrapped._metrics_calculator._execution_engine = engine
    result = validator.validate_expectation_suite(suite, params)
    rows = int(con.execute(f"select count(*) from {relation}").fetchall()[0][0])
    return result, str(validator.active_batch_id), rows


def _expectation_name(cfg: Any) -> tuple[str, str | None]:
    kwargs = cfg.kwargs
    column = kwargs.get("column") or (",".join(kwargs["column_list"]) if kwargs.get("column_list") else None)
    return (f"{cfg.type}({column})" if column else cfg.type), column


def _read_results(
    result: ExpectationSuiteValidationResult,
    table: Table,
    suite: str,
    batch_label: str,
    run_id: str,
    rows: int,
    volume_action: str = ALERT,
    accepted: bool = False,
) -> ValidationOutcome:
    """The outcome; each stat carries its effective severity (what its failure did: hold, alert, accepted...)."""
    out = ValidationOutcome(suite=suite, table=table, batch_label=batch_label, run_id=run_id, rows=rows)
    for r in result.results:
        cfg = r.expectation_config
        name, column = _expectation_name(cfg)
        meta = cfg.meta or {}
        severity, reason = meta.get("severity", INFO), meta.get("reason", name)
        res = r.result or {}
        raised = _raised(r.exception_info)
        if severity == VOLUME:
            severity = volume_action
        holding: str | None = None
        if not r.success:
            if severity == BATCH:
                holding = f"{reason} ({_describe(res)})"
            elif (
                severity == FLAG
                and (res.get("element_count") or 0) - (res.get("missing_count") or 0) >= MIN_ELEMENTS_FOR_RATE
            ):
                holding = f"{reason}: rate {(res.get('unexpected_percent') or 0):.2f}% beyond the bound"
            elif severity == HOLD:
                holding = f"{reason} ({_describe(res)})"
            elif severity == ALERT:
                out.alerts.append(f"{reason} ({_describe(res)})")
        if holding and accepted and cfg.type != SCHEMA_CHECK:
            out.accepted.append(holding)
            severity, holding = ACCEPTED, None
        cannot_run = bool(raised and severity in (ROW, FLAG) and column in table.columns)
        out.stats.append(
            ExpectationStat(
                name,
                column,
                severity,
                bool(r.success),
                res.get("element_count"),
                res.get("unexpected_count"),
                res.get("unexpected_percent"),
                reason,
                _outcome(r.success, severity, res, raised, holding, cannot_run),
            )
        )
        if r.success:
            continue
        if severity == ROW and not raised:
            for idx in res.get("unexpected_index_list") or []:
                out.row_failures.setdefault(int(idx[LINE_COLUMN]), []).append(name)
        elif holding and severity == HOLD:
            out.volume_hold = holding
        elif holding:
            out.batch_failures.append(holding)
        if cannot_run:
            out.batch_failures.append(f"{name} could not run: {_exception_head(r.exception_info)}")
    return out


def _outcome(
    success: bool, severity: str, res: dict[str, Any], raised: bool, holding: str | None, cannot_run: bool
) -> str:
    """What an expectation did to the batch, in words (Data Docs show it beside its severity)."""
    if success:
        return "met"
    if raised:
        return "could not run: batch held" if cannot_run else "could not run"
    said = {
        ROW: f"{_count(len(res.get('unexpected_index_list') or []), 'row')} quarantined",
        FLAG: f"{_count(res.get('unexpected_count') or 0, 'value')} flagged" + (": batch held" if holding else ""),
        BATCH: "batch held",
        HOLD: "file held alone",
        ALERT: "alert raised",
        ACCEPTED: "accepted: loaded despite the check",
    }
    return said.get(severity, "noted")


def _count(n: int, noun: str) -> str:
    return f"{n} {noun}" if n == 1 else f"{n} {noun}s"


def _describe(res: dict[str, Any]) -> str:
    details = res.get("details", {}).get("mismatched") if isinstance(res.get("details"), dict) else None
    if details:
        return ", ".join(f"{k}: {v}" for k, v in details.items())
    return f"observed {res.get('observed_value')}"


def _raised(info: dict[str, Any] | None) -> bool:
    """The expectation could not run: GX reports it flat, or per failed metric (``{metric id: info}``)."""
    info = info or {}
    return bool(info.get("raised_exception")) or any(
        isinstance(v, dict) and v.get("raised_exception") for v in info.values()
    )


def _exception_head(info: dict[str, Any] | None) -> str:
    info = info or {}
    nested = [v for v in info.values() if isinstance(v, dict) and v.get("exception_message")]
    return str(info.get("exception_message") or (nested[0]["exception_message"] if nested else ""))[:200]


def docs_description(stat: ExpectationStat) -> str:
    """What Data Docs show for an expectation: the rule in words, its severity and what it did to the batch."""
    return f"checks: {stat.reason} · severity: {stat.severity} · outcome: {stat.outcome}".replace("$", "")


def _sanitise(
    result: ExpectationSuiteValidationResult, outcome: ValidationOutcome, run: RunIdentifier
) -> ExpectationSuiteValidationResult:
    """A copy with every value-bearing field removed: counts, column names and row counts only.

    Built from the result's attributes (never serialising the unexpected values it is about to drop).
    For Data Docs each expectation carries its severity and what it did to the batch, the page's status is
    the gate's verdict on the batch (a loaded batch with quarantined rows succeeded), and the run and data
    asset are named (GX would show "__none__" and "None").
    """
    clean = copy.copy(result)
    clean.success = outcome.passed
    clean.meta = {
        **result.meta,
        "run_id": run,
        "batch_spec": {"data_asset_name": f"{outcome.suite} {outcome.batch_label}"},
        "fraudbrain": {"batch": outcome.batch_label, "run": outcome.run_id, "held": outcome.batch_failures},
    }
    clean.results = []
    for r, stat in zip(result.results, outcome.stats, strict=True):
        table_level = r.expectation_config.type.startswith("expect_table_")
        config = copy.deepcopy(r.expectation_config)
        config.meta = {**(config.meta or {}), "severity": stat.severity}  # the effective one: hold, alert, accepted
        config.description = docs_description(stat)
        keep = _SAFE_RESULT_KEYS | (_TABLE_SAFE_KEYS if table_level else frozenset())
        info = r.exception_info or {}
        clean.results.append(
            type(r)(
                success=r.success,
                expectation_config=config,
                result={k: v for k, v in (r.result or {}).items() if k in keep},
                meta=r.meta,
                exception_info={
                    "raised_exception": bool(info.get("raised_exception")),
                    "exception_message": None,
                    "exception_traceback": None,
                },
            )
        )
    return clean


def _store_sanitised(ctx: DQContext, result: ExpectationSuiteValidationResult, outcome: ValidationOutcome) -> None:
    """Store the sanitised result for Data Docs: run name = the pipeline run, batch = the batch label."""
    run = RunIdentifier(run_name=_key_part(outcome.run_id), run_time=dt.datetime.now(dt.UTC))
    key = ValidationResultIdentifier(
        expectation_suite_identifier=ExpectationSuiteIdentifier(name=outcome.suite),
        run_id=run,
        batch_identifier=_key_part(outcome.batch_label),
    )
    ctx.gx.validation_results_store.store_validation_results(_sanitise(result, outcome, run), key)


def _key_part(text: str) -> str:
    return re.sub(r"[^\w.-]", "_", text)


def build_data_docs(settings: Settings, context: DQContext | None = None) -> Path:
    """Build GX Data Docs from the stored (sanitised) results; return the local site's index.html."""
    ctx = context or open_context(settings)
    ctx.gx.build_data_docs()
    index = settings.gx_dir / "uncommitted" / "data_docs" / "local_site" / "index.html"
    if not index.exists():
        raise FileNotFoundError(f"GX did not build Data Docs at {index}")
    return index
