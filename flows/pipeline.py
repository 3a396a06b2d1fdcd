"""The end-to-end flow: extract → validate → transform → publish, read as the sentence describing it."""

from __future__ import annotations

import logging
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date, datetime
from pathlib import Path

from prefect import flow, get_run_logger, task
from prefect.cache_policies import NONE

from flows import progress, workdb
from flows.build import transform
from flows.ingest import binding
from flows.ingest.extract import files, police
from flows.operations import backfill as backfilling
from flows.operations import freshness
from flows.privacy import vault
from flows.publish import report
from flows.publish import warehouse as publishing
from flows.publish.report import RunSummary
from flows.runtime import run_lock
from flows.settings import Settings

ALL_SOURCES = ("telecom", "finance", "police")


# ---- tasks ---------------------------------------------------------------------------------------
@task(cache_policy=NONE, task_run_name="find new {source} batches")
def find_new_batches(settings: Settings, source: str) -> list[files.BatchRef]:
    with workdb.connect(settings) as con:
        return files.pending_batches(con, settings, source)


@task(cache_policy=NONE, task_run_name="extract {batch.source} {batch.batch}")
def extract_file_batch(settings: Settings, batch: files.BatchRef, run_id: str) -> files.BatchResult:
    with workdb.connect(settings) as con:
        return files.load_file_batch(con, settings, batch, run_id)


@task(cache_policy=NONE, task_run_name="extract police")
def extract_police(settings: Settings, run_id: str) -> list[police.TableResult]:
    with workdb.connect(settings) as con:
        return police.load_police(con, settings, run_id)


@task(cache_policy=NONE, task_run_name="withdraw {source} {first}..{last}")
def withdraw_for_backfill(
    settings: Settings, source: str, first: date, last: date, run_id: str
) -> backfilling.Withdrawn:
    with workdb.connect(settings) as con:
        return backfilling.withdraw(con, settings, source, first, last, run_id)


@task(cache_policy=NONE, task_run_name="check freshness")
def check_freshness(settings: Settings) -> list[freshness.Alert]:
    """Silent sources and missing days: a WARNING line and a Prefect event each."""
    with workdb.connect(settings) as con:
        alerts = freshness.check(con, settings)
    freshness.warn(alerts, get_run_logger())
    freshness.emit(alerts)
    return alerts


@task(cache_policy=NONE, task_run_name="dbt {layer}")
def build_layer(settings: Settings, layer: str, full_refresh: bool) -> transform.DbtResult:
    return transform.build_layer(settings, layer, full_refresh=full_refresh)


@task(cache_policy=NONE, task_run_name="seal vault")
def seal_vault(settings: Settings) -> int:
    """New tokens and their clear values into the re-identification vault (restricted, never published)."""
    return vault.sync(settings)


@task(cache_policy=NONE, task_run_name="build docs")
def build_docs(settings: Settings) -> tuple[Path | None, Path]:
    from flows.ingest import validate

    data_docs = validate.build_data_docs(settings)
    dbt_target = transform.generate_docs(settings)
    return data_docs, dbt_target


@task(cache_policy=NONE, task_run_name="publish")
def publish(settings: Settings, run_id: str, data_docs: Path | None, dbt_target: Path) -> publishing.PublishResult:
    result = publishing.publish_warehouse(settings, run_id)
    publishing.publish_docs(settings, run_id, data_docs.parent if data_docs else None, dbt_target)
    return result


# ---- the flow ------------------------------------------------------------------------------------
@flow(name="fraudbrain-pipeline", log_prints=True)
def pipeline(
    settings: Settings | None = None,
    full_refresh: bool = False,
    sources: list[str] | None = None,
    backfill: tuple[date, date] | None = None,
) -> RunSummary:
    """Load every new batch and police row, validate it, build the warehouse and publish it.

    ``sources`` limits extraction (e.g. ``["police"]`` for the frequent run that takes new cases);
    the warehouse is always built and published whole. ``backfill`` (first, last batch date) first hands
    the file batches of that range back to extraction (``flows.operations.backfill``), then rebuilds from scratch.
    """
    settings = settings or Settings()
    sources = sources or list(ALL_SOURCES)
    full_refresh = full_refresh or backfill is not None
    settings.resolved_pii_key()  # a missing key stops the run before anything is read
    settings.resolved_vault_key()
    run_id = datetime.now().strftime("%Y%m%dT%H%M%S-") + uuid.uuid4().hex[:8]
    summary = RunSummary(run_id)
    with run_lock(settings.work_dir), _run_log(settings, run_id) as log_file:
        binding.ensure_bound(settings, sources)  # other sources or another warehouse: stop before reading
        summary.log_file = log_file
        logger = get_run_logger()
        with workdb.connect(settings) as con:
            workdb.start_run(con, run_id)
        try:
            if backfill is not None:
                with _timed(summary, "backfill"):
                    _withdraw(settings, run_id, summary, sources, backfill)
            with _timed(summary, "extract+validate"):
                _extract(settings, run_id, summary, sources)
            with workdb.connect(settings) as con:
                changed = workdb.data_version(con) != publishing.published_version(settings.warehouse)
                summary.ledger = workdb.ledger_totals(con, run_id)
            if changed or full_refresh:
                _build_and_publish(settings, run_id, summary, full_refresh)
                if summary.failed_sources:
                    summary.status = "partial"
                    summary.message = "published without new data from " + ", ".join(
                        f"{k} ({v})" for k, v in summary.failed_sources.items()
                    )
            elif summary.failed_sources:
                summary.status = "partial"
                summary.message = "nothing new published; failed: " + ", ".join(summary.failed_sources)
            else:
                summary.status = "success"
                summary.message = "nothing new: the published warehouse is unchanged"
                logger.info(summary.message)
        except Exception as exc:
            with workdb.connect(settings) as con:
                workdb.finish_run(con, run_id, "failed", str(exc)[:2000], None)
            raise
        summary.warehouse = settings.warehouse
        summary.alerts = [a.message for a in check_freshness(settings)]
        with workdb.connect(settings) as con:
            workdb.finish_run(con, run_id, summary.status, summary.message, None)
            report.publish_artifacts(summary, settings, con)
        summary.data_docs = settings.data_docs_dir / "index.html"
        summary.dbt_docs = settings.dbt_docs_dir / "index.html"
        summary.portal = settings.portal_dir / "index.html"
        logger.info("run %s %s: %s", run_id, summary.status, summary.ledger)
    return summary


def _build_and_publish(settings: Settings, run_id: str, summary: RunSummary, full_refresh: bool) -> None:
    for layer in transform.LAYERS:
        with _timed(summary, f"dbt {layer}"):
            result = build_layer.with_options(name=f"dbt build {layer}")(settings, layer, full_refresh)
        summary.dbt_nodes += len(result.nodes)
    summary.built = True
    with _timed(summary, "vault"):
        seal_vault(settings)
    with _timed(summary, "docs"):
        data_docs, dbt_target = build_docs(settings)
    transform.close_worker()  # the run's last dbt command: free the worker's memory
    with workdb.connect(settings) as con:
        workdb.finish_run(con, run_id, "success", summary.message, workdb.data_version(con))
    with _timed(summary, "publish"):
        published = publish(settings, run_id, data_docs, dbt_target)
    summary.published = published.tables
    summary.status = "success"


@contextmanager
def _timed(summary: RunSummary, stage: str) -> Iterator[None]:
    """Time a stage into the summary, and show it on the terminal's progress display (if any)."""
    start = time.perf_counter()
    progress.started(stage)
    try:
        yield
    finally:
        summary.timings[stage] = summary.timings.get(stage, 0.0) + time.perf_counter() - start
    progress.finished(stage)


def _withdraw(
    settings: Settings, run_id: str, summary: RunSummary, sources: list[str], backfill: tuple[date, date]
) -> None:
    first, last = backfill
    backfilling.check_range(first, last)
    for source in sources:
        if source == "police":
            continue  # police rows are taken by watermark, not by batch date
        name = f"withdraw {source} {first}..{last}"
        withdrawn = withdraw_for_backfill.with_options(name=name)(settings, source, first, last, run_id)
        summary.withdrawn.append(withdrawn.describe())


def _retry(settings: Settings) -> dict:
    """Retries with exponential back-off for tasks that read a source (transient outages)."""
    delays = [settings.source_retry_delay_s * 2**i for i in range(settings.source_retries)]
    return {"retries": settings.source_retries, "retry_delay_seconds": delays}


def _extract(settings: Settings, run_id: str, summary: RunSummary, sources: list[str]) -> None:
    """Each source is its own branch: one that still fails after its retries is recorded and the others go on."""
    for source in sources:
        try:
            if source == "police":
                progress.started("extract police")
                extract_police.with_options(**_retry(settings))(settings, run_id)
                progress.finished("extract police")
                continue
            find = find_new_batches.with_options(name=f"find {source} batches", **_retry(settings))
            batches = find(settings, source)
            progress.report(f"extract {source}", 0, len(batches))
            for done, batch in enumerate(batches, 1):
                name = f"extract {source} {batch.batch}"
                result = extract_file_batch.with_options(name=name, **_retry(settings))(settings, batch, run_id)
                summary.batches.append(f"{source} {batch.batch}: {result.status}")
                progress.report(f"extract {source}", done, len(batches))
        except Exception as exc:  # a source's failure must not stop the other sources
            message = f"{type(exc).__name__}: {str(exc).splitlines()[0] if str(exc) else ''}"[:500]
            summary.failed_sources[source] = message
            get_run_logger().error("source %s failed after retries, the others go on: %s", source, message)


class _RunFormatter(logging.Formatter):
    """Names the task (``extract telecom 2026-05-10``, ``dbt staging``) or flow run a Prefect record came from."""

    def format(self, record: logging.LogRecord) -> str:
        part = getattr(record, "task_run_name", None) or getattr(record, "flow_run_name", None)
        record.run_part = f" [{part}]" if part else ""
        return super().format(record)


class _run_log:
    """Copy this run's log records (Prefect's and fraudbrain's) into `<work>/logs/run-<id>.log`."""

    def __init__(self, settings: Settings, run_id: str) -> None:
        settings.logs_dir.mkdir(parents=True, exist_ok=True)
        self.path = settings.logs_dir / f"run-{run_id}.log"
        self.handler = logging.FileHandler(self.path, encoding="utf-8")
        self.handler.setFormatter(_RunFormatter("%(asctime)s %(levelname)s %(name)s%(run_part)s: %(message)s"))
        self.loggers = [logging.getLogger("prefect"), logging.getLogger("fraudbrain")]

    def __enter__(self) -> Path:
        for lg in self.loggers:
            lg.addHandler(self.handler)
        return self.path

    def __exit__(self, *exc: object) -> None:
        for lg in self.loggers:
            lg.removeHandler(self.handler)
        self.handler.close()
