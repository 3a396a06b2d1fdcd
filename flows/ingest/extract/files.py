"""File sources (telecom, finance) from a landing zone read through fsspec (local path or any fsspec URL).

A batch is taken only with its ``_SUCCESS`` manifest; a damaged delivery (manifest, checksum, row count,
gzip, over-long line) or one dated after the extraction day (``batch_date_allowance_days``) is refused
whole; a batch failing a batch-level DQ gate or a file in another encoding than its contract's is held; a file
whose row count is implausible against its table's history (flows/ingest/volume.py) is held alone or only
raises an alert (``volume_hold_tables``); otherwise its rows go to raw, quarantine or the duplicate count, in
one DuckDB transaction with its ledger rows. A delivery accepted by ``replay --accept`` loads despite the
checks that held it (never a drifted schema), once. An entry of a source's landing area that is no batch folder
(``tmp``, ``batch=notadate``) is never loaded and never recorded (it is no batch): it is logged here and raised
as an alert by flows/operations/freshness.py.

Each file is parsed into a DuckDB temp table (flows/ingest/extract/parse.py), validated there by its GX suite
(flows/ingest/validate.py) and routed by SQL (flows/ingest/extract/common.py). Hostile input is refused, never followed:
symbolic links, names the contract does not know (a ``../`` path in ``_SUCCESS`` is never opened), gzip
bombs (``max_gzip_ratio``), oversized or ill-shaped manifests.
"""

from __future__ import annotations

import gzip
import hashlib
import io
import json
import logging
import zlib
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any, BinaryIO
from zoneinfo import ZoneInfo

import duckdb
import fsspec

from expectations.rules import ACCEPTED, ALERT, BATCH, HOLD
from flows.ingest import ledger, volume
from flows.ingest.extract import parse
from flows.ingest.extract.common import Lineage, Parsed, drop_relation, load_rows, transaction
from flows.ingest.ledger import HELD, HELD_FILE, LOADED, PARTIAL, REFUSED, LedgerRow
from flows.ingest.quarantine import delete_delivery
from flows.ingest.validate import (
    UNUSABLE_CHECK,
    DQContext,
    ValidationOutcome,
    open_context,
    unusable_rate_failure,
    validate_relation,
)
from flows.settings import Settings
from rules.contracts import FILE_SOURCES, Table, batch_folder_date, by_file

log = logging.getLogger(__name__)

MANIFEST = "_SUCCESS"
LOCAL = ZoneInfo("Asia/Shanghai")  # the contracts' time: batch days are days of China
_CHUNK = 1 << 20
MAX_MANIFEST_BYTES = 1 << 20
_GZIP_FLOOR = 64 * 1024 * 1024  # any gzip file may expand this far, whatever its ratio


@dataclass
class BatchRef:
    source: str
    batch: str  # YYYY-MM-DD
    path: str  # fsspec path of the batch folder (without protocol)
    delivery_id: str
    kind: str
    manifest: dict[str, Any]
    manifest_sha256: str = ""


@dataclass
class BatchResult:
    source: str
    batch: str
    delivery_id: str
    status: str  # loaded | partial (some files held alone) | refused | held
    message: str
    ledger: list[LedgerRow] = field(default_factory=list)
    replaced: list[str] = field(default_factory=list)  # earlier delivery ids this one replaced

    @property
    def rows_loaded(self) -> int:
        return sum(r.rows_loaded for r in self.ledger)


class Refused(Exception):
    """The delivery is damaged: the whole batch is refused."""


# ---- discovery ---------------------------------------------------------------------------------
def pending_batches(con: duckdb.DuckDBPyConnection, settings: Settings, source: str) -> list[BatchRef]:
    """Complete batches (with _SUCCESS) of ``source`` not yet recorded in audit.batches, in batch order."""
    ledger.ensure_schema(con)
    fs, root = fsspec.core.url_to_fs(settings.landing)
    base = f"{root.rstrip('/')}/{source}"
    if not fs.exists(base):
        return []
    done = ledger.recorded_deliveries(con, source)
    refs = []
    for entry in sorted(fs.ls(base, detail=False)):
        name = entry.rstrip("/").rsplit("/", 1)[-1]
        day = batch_folder_date(name)
        if day is None:
            log.warning("ALERT %s landing: %r is not a batch folder (batch=YYYY-MM-DD): not loaded", source, name[:80])
            continue
        manifest_path = f"{entry.rstrip('/')}/{MANIFEST}"
        if not fs.exists(manifest_path):
            continue  # still being written
        if not (_regular(fs, root, entry.rstrip("/"), "directory") and _regular(fs, root, manifest_path)):
            log.warning("skipped %s: a symbolic link or not inside the landing zone", entry)
            continue
        ref = read_manifest(fs, entry.rstrip("/"), source, str(day))
        if (ref.batch, ref.delivery_id) not in done:
            refs.append(ref)
    return refs


def _regular(fs: Any, root: str, path: str, kind: str = "file") -> bool:
    """A real file (or folder) inside the landing zone: not a symbolic link, nothing resolving outside."""
    try:
        info = fs.info(path)
    except (FileNotFoundError, OSError):
        return False
    if info.get("islink") or info.get("type") != kind:
        return False
    if "file" in fs.protocol or "local" in fs.protocol:
        return Path(path).resolve().is_relative_to(Path(root).resolve())
    return True


def read_manifest(fs: Any, path: str, source: str, batch: str) -> BatchRef:
    size = int(fs.size(f"{path}/{MANIFEST}") or 0)
    raw = fs.cat_file(f"{path}/{MANIFEST}", start=0, end=MAX_MANIFEST_BYTES + 1)
    digest = hashlib.sha256(raw).hexdigest()
    try:
        if size > MAX_MANIFEST_BYTES:
            raise ValueError("too large")
        manifest = json.loads(raw.decode("utf-8"))
        if not isinstance(manifest, dict):
            raise ValueError("not a JSON object")
    except (ValueError, UnicodeDecodeError, RecursionError):
        manifest = {}
    delivery = manifest.get("delivery_id") or f"unreadable-manifest-{digest[:12]}"
    return BatchRef(source, batch, path, str(delivery), str(manifest.get("kind", "")), manifest, digest)


# ---- loading -----------------------------------------------------------------------------------
def load_file_batch(
    con: duckdb.DuckDBPyConnection, settings: Settings, batch: BatchRef, run_id: str, context: DQContext | None = None
) -> BatchResult:
    """Verify, parse, validate and load one batch; refused/held batches insert nothing into raw.

    Files of this delivery already loaded (a released ``partial`` batch) are not taken again; a file whose
    count holds it is kept out alone while the others load.
    """
    ledger.ensure_schema(con, FILE_SOURCES.get(batch.source, ()))
    fs, _ = fsspec.core.url_to_fs(settings.landing)
    parsed: list[Parsed] = []
    try:
        _check_batch_date(batch, settings)
        check_manifest(fs, batch)
        done = ledger.loaded_files(con, batch.source, batch.batch, batch.delivery_id)
        accepted = ledger.open_accept(con, batch.source, batch.batch, batch.delivery_id)
        for name in sorted(batch.manifest["files"]):
            if relative_path(batch, name) not in done:
                parsed.append(_parse_file(con, fs, batch, name, settings))
        ctx = context or open_context(settings)
        outcomes = [_validate(con, settings, batch, p, run_id, ctx, accepted) for p in parsed]
        problems = [f"{p.file}: {f}" for p, o in zip(parsed, outcomes, strict=True) for f in _batch_failures(p, o)]
        if problems:  # held whole; a file its count would hold alone is named too
            problems += [f"{p.file}: {o.volume_hold}" for p, o in zip(parsed, outcomes, strict=True) if o.volume_hold]
            return _hold(con, batch, parsed, outcomes, run_id, "; ".join(problems))
        return _commit(con, batch, parsed, outcomes, run_id, accepted)
    except Refused as exc:
        return _refuse(con, fs, batch, run_id, str(exc), settings)
    finally:
        for p in parsed:
            drop_relation(con, p)


def relative_path(batch: BatchRef, name: str) -> str:
    return f"{batch.source}/batch={batch.batch}/{name}"


# -- batch date, manifest and bytes ----------------------------------------------------------------
def extraction_day() -> date:
    """Today in the contracts' time zone (Asia/Shanghai): the day a batch may be dated at the latest."""
    return datetime.now(LOCAL).date()


def future_batch_problem(batch: str, today: date, allowance_days: int) -> str | None:
    """Why a batch dated ``batch`` cannot have been delivered by ``today`` (None: it can)."""
    latest = today + timedelta(days=allowance_days)
    if date.fromisoformat(batch) <= latest:
        return None
    return (
        f"dated {batch}, after the extraction day {today} (allowance {allowance_days} day(s), "
        f"FRAUDBRAIN_BATCH_DATE_ALLOWANCE_DAYS): a batch is named for a day that has passed"
    )


def _check_batch_date(batch: BatchRef, settings: Settings) -> None:
    problem = future_batch_problem(batch.batch, extraction_day(), settings.batch_date_allowance_days)
    if problem:
        raise Refused(f"{batch.source}/batch={batch.batch}: {problem}: refused")


def check_manifest(fs: Any, batch: BatchRef) -> None:
    m, where = batch.manifest, f"{batch.source}/batch={batch.batch}/{MANIFEST}"
    if not m:
        raise Refused(f"{where}: not a JSON manifest")
    missing = [k for k in ("batch", "source", "delivery_id", "kind", "files") if k not in m]
    if missing:
        raise Refused(f"{where}: missing keys {missing}")
    if m["batch"] != batch.batch or m["source"] != batch.source or m["kind"] not in ("initial", "delta"):
        raise Refused(f"{where}: batch/source/kind ({m['batch']}, {m['source']}, {m['kind']}) disagree with the folder")
    if not _files_shape_ok(m["files"]):
        raise Refused(f"{where}: 'files' must map file names to {{'rows': int, 'sha256': str}}")
    unsafe = sorted(f for f in m["files"] if by_file(batch.source, f) is None)
    if unsafe:  # never opened: a name outside the contract may be a path out of the landing zone
        raise Refused(f"{where}: lists files that are not of the {batch.source} contract: {[f[:80] for f in unsafe]}")
    entries = fs.ls(batch.path, detail=False)
    present = {p.rstrip("/").rsplit("/", 1)[-1] for p in entries} - {MANIFEST}
    irregular = [p for p in entries if not _regular(fs, batch.path, p.rstrip("/"))]
    if irregular:
        names = sorted(p.rstrip("/").rsplit("/", 1)[-1] for p in irregular)
        raise Refused(f"{where}: {names} are symbolic links or not regular files: refused, never followed")
    listed = set(m["files"])
    problems = [f"{relative_path(batch, f)}: file not listed in {MANIFEST}" for f in sorted(present - listed)]
    problems += [f"{relative_path(batch, f)}: listed in {MANIFEST} but missing" for f in sorted(listed - present)]
    for name in sorted(listed & present):
        expected = str(m["files"][name].get("sha256", ""))
        actual = _sha256(fs, f"{batch.path}/{name}")
        if actual != expected:
            problems.append(
                f"{relative_path(batch, name)}: sha256 {actual[:12]}… disagrees with {MANIFEST} ({expected[:12]}…)"
            )
    if problems:
        raise Refused("; ".join(problems))


def _files_shape_ok(files: Any) -> bool:
    return isinstance(files, dict) and all(
        isinstance(name, str)
        and isinstance(meta, dict)
        and isinstance(meta.get("rows"), int)
        and not isinstance(meta.get("rows"), bool)
        and isinstance(meta.get("sha256"), str)
        for name, meta in files.items()
    )


def _sha256(fs: Any, path: str) -> str:
    h = hashlib.sha256()
    with fs.open(path, "rb") as f:
        while chunk := f.read(_CHUNK):
            h.update(chunk)
    return h.hexdigest()


class _Stream:
    """The decompressed bytes of a stored file, opened for reading (gzip by extension).

    A gzip file may expand to ``max_ratio`` × its stored size (at least 64 MB): past that it is a bomb,
    refused before it fills memory or time.
    """

    def __init__(self, fs: Any, path: str, rel: str, max_ratio: int) -> None:
        self._raw = fs.open(path, "rb")
        self.rel, self.read_bytes = rel, 0
        self.limit = max(_GZIP_FLOOR, max_ratio * int(fs.size(path) or 0)) if path.endswith(".gz") else None
        self.reader: BinaryIO = (
            io.BufferedReader(gzip.GzipFile(fileobj=self._raw), _CHUNK)  # type: ignore[arg-type]
            if path.endswith(".gz")
            else self._raw
        )

    def read(self, n: int = -1) -> bytes:
        data = self.reader.read(n)
        self.read_bytes += len(data)
        if self.limit is not None and self.read_bytes > self.limit:
            raise Refused(f"{self.rel}: gzip expands past {self.limit} bytes (a decompression bomb?): refused")
        return data

    def __enter__(self) -> _Stream:
        return self

    def __exit__(self, *exc: object) -> None:
        self.reader.close()
        self._raw.close()


def scan_lines(fs: Any, path: str, rel: str, max_line: int, max_ratio: int) -> int:
    """Count lines as the contract does, in bounded memory; refuse gzip damage and over-long lines."""
    chunk_size = max(1, min(_CHUNK, max_line))  # a whole line inside one chunk is shorter than max_line
    lines, current, last_nonempty = 0, 0, False
    try:
        with _Stream(fs, path, rel, max_ratio) as stream:
            while chunk := stream.read(chunk_size):
                first, last = chunk.find(b"\n"), chunk.rfind(b"\n")
                if first < 0:
                    current += len(chunk)
                else:
                    if current + first > max_line:
                        raise Refused(f"{rel}: line {lines + 1} is longer than max_line_bytes ({max_line} bytes)")
                    lines += chunk.count(b"\n")
                    current = len(chunk) - last - 1
                if current > max_line:
                    raise Refused(f"{rel}: line {lines + 1} is longer than max_line_bytes ({max_line} bytes)")
                last_nonempty = current > 0
    except (EOFError, gzip.BadGzipFile, zlib.error, OSError) as exc:
        raise Refused(f"{rel}: gzip stream is damaged after {lines} lines ({exc})") from exc
    return lines + (1 if last_nonempty else 0)


# -- parsing -----------------------------------------------------------------------------------------
def _parse_file(con: duckdb.DuckDBPyConnection, fs: Any, batch: BatchRef, name: str, settings: Settings) -> Parsed:
    t = by_file(batch.source, name)
    assert t is not None
    path, rel = f"{batch.path}/{name}", relative_path(batch, name)
    is_csv = batch.source == "telecom"
    parsed = Parsed(table=t, file=rel, relation=f"_fb_in_{t.raw_table}")
    scratch, max_line = settings.work_dir / "tmp", settings.max_line_bytes
    try:
        with _Stream(fs, path, rel, settings.max_gzip_ratio) as stream:
            res = (
                parse.parse_csv(con, stream, parsed.relation, max_line, scratch)
                if is_csv
                else parse.parse_jsonl(con, stream, parsed.relation, t, max_line, scratch)
            )
    except parse.TooLong as exc:
        raise Refused(f"{rel}: line {exc.lineno} is longer than max_line_bytes ({max_line} bytes)") from exc
    except parse.BadHeader as exc:
        raise Refused(f"{rel}: {exc}") from exc
    except (EOFError, gzip.BadGzipFile, zlib.error, OSError) as exc:
        raise Refused(f"{rel}: gzip stream is damaged ({exc})") from exc
    rows_read = max(res.lines - 1, 0) if is_csv else res.lines
    expected = batch.manifest["files"][name].get("rows")
    if rows_read != expected:
        raise Refused(f"{rel}: {rows_read} data rows, {MANIFEST} says {expected}")
    if is_csv and res.lines == 0:
        raise Refused(f"{rel}: empty file, but the contract requires the header line even with no rows")
    parsed.rows_read, parsed.parse_errors, parsed.encoding_drift = rows_read, res.errors, res.encoding_drift
    if is_csv:
        parsed.record_columns = res.header
        parsed.drift = _header_drift(res.header, t)
    return parsed


def _header_drift(header: list[str], t: Table) -> str | None:
    missing = [c for c in t.columns if c not in header]
    extra = [c for c in header if c not in t.columns]
    if missing:
        return f"header lacks contract columns {missing}" + (f" (has {extra})" if extra else "")
    return None


# -- validation ----------------------------------------------------------------------------------
def _validate(
    con: duckdb.DuckDBPyConnection,
    settings: Settings,
    batch: BatchRef,
    p: Parsed,
    run_id: str,
    ctx: DQContext,
    accepted: bool = False,
) -> ValidationOutcome:
    t = p.table
    verdict = None
    if batch.kind == "delta":  # the initial load is never judged (nor a reference)
        verdict = volume.judge(con, settings, batch.source, t.name, batch.batch, p.rows_read)
    latest = None
    if t.kind == "event":
        latest = f"{date.fromisoformat(batch.batch) + timedelta(days=1)} 00:00:00"
    outcome = validate_relation(
        con,
        p.relation,
        t,
        settings,
        batch_label=batch.batch,
        run_id=run_id,
        context=ctx,
        min_rows=verdict.floor if verdict else 0,
        latest_event_time=latest,
        volume_action=HOLD if volume.holds(settings, batch.source, t.name) else ALERT,
        accepted=accepted,
    )
    if verdict is not None and verdict.implausible:  # the model's figures, for the ledger message and the log
        said = f"{verdict.describe()}"
        if outcome.volume_hold:
            outcome.volume_hold = f"{outcome.volume_hold}: {said}"
        outcome.alerts = [f"{a}: {said}" for a in outcome.alerts]
        outcome.accepted = [f"{a}: {said}" if a.startswith("row count") else a for a in outcome.accepted]
    unusable = unusable_rate_failure(p.rows_read, len(p.parse_errors) + len(outcome.row_failures))
    if unusable:
        severity = ACCEPTED if accepted else BATCH
        bad = len(p.parse_errors) + len(outcome.row_failures)
        outcome.record_check(UNUSABLE_CHECK, severity, False, p.rows_read, bad)
        (outcome.accepted if accepted else outcome.batch_failures).append(unusable)
    return outcome


def _batch_failures(p: Parsed, o: ValidationOutcome) -> list[str]:
    """What holds the whole batch: a drifted header, a failing batch-level check, too many unusable rows."""
    out = [f"schema drift: {p.drift}"] if p.drift else []
    out += [f"encoding drift: {p.encoding_drift}"] if p.encoding_drift else []
    return out + [f for f in o.batch_failures if not (p.drift and f.startswith("schema drift"))]


# -- outcomes ------------------------------------------------------------------------------------
def _whole_file_rows(
    batch: BatchRef, status: str, message: str, run_id: str, counts: dict[str, int]
) -> list[LedgerRow]:
    at = ledger.now()
    rows = []
    for name in (n for n in _listed(batch) if n in counts):
        t = by_file(batch.source, name)
        n = counts.get(name, 0)
        rows.append(
            LedgerRow(
                run_id,
                batch.source,
                t.name if t else name,
                batch.batch,
                batch.delivery_id,
                relative_path(batch, name),
                n,
                0,
                n,
                0,
                status,
                message,
                at,
            )
        )
    return rows


def _refuse(
    con: duckdb.DuckDBPyConnection, fs: Any, batch: BatchRef, run_id: str, message: str, settings: Settings
) -> BatchResult:
    log.warning("refused %s batch %s (delivery %s): %s", batch.source, batch.batch, batch.delivery_id, message)
    counts = {name: _count_quietly(fs, batch, name, settings) for name in _listed(batch)}
    return _withhold(con, batch, REFUSED, message, run_id, counts)


def _listed(batch: BatchRef) -> list[str]:
    """File names the manifest lists (none when its ``files`` is not a mapping)."""
    files = batch.manifest.get("files")
    return sorted(str(f) for f in files) if isinstance(files, dict) else []


def _count_quietly(fs: Any, batch: BatchRef, name: str, settings: Settings) -> int:
    """Rows a file of a refused batch holds (0 when it is missing or unreadable)."""
    path = f"{batch.path}/{name}"
    if by_file(batch.source, name) is None or not _regular(fs, batch.path, path):
        return 0  # never open a name outside the contract or a link
    try:
        lines = scan_lines(fs, path, name, settings.max_line_bytes, settings.max_gzip_ratio)
    except (Refused, FileNotFoundError, OSError):
        return 0
    return max(lines - 1, 0) if batch.source == "telecom" else lines


def _hold(
    con: duckdb.DuckDBPyConnection,
    batch: BatchRef,
    parsed: list[Parsed],
    outcomes: list[ValidationOutcome],
    run_id: str,
    message: str,
) -> BatchResult:
    log.warning("ALERT held %s batch %s (delivery %s): %s", batch.source, batch.batch, batch.delivery_id, message)
    counts = {p.file.rsplit("/", 1)[-1]: p.rows_read for p in parsed}
    return _withhold(con, batch, HELD, message, run_id, counts, outcomes)


def _withhold(
    con: duckdb.DuckDBPyConnection,
    batch: BatchRef,
    status: str,
    message: str,
    run_id: str,
    counts: dict[str, int],
    outcomes: Sequence[ValidationOutcome] = (),
) -> BatchResult:
    """Keep a whole batch out (refused or held): every row read counts as withheld, in one transaction."""
    rows = _whole_file_rows(batch, status, message, run_id, counts)
    with transaction(con):
        for o in outcomes:
            ledger.write_dq_results(con, o.dq_rows(batch.delivery_id))
        ledger.write_ledger(con, rows)
        _record_batch(con, batch, status, message, run_id)
    return BatchResult(batch.source, batch.batch, batch.delivery_id, status, message, rows)


def _record_batch(con: duckdb.DuckDBPyConnection, batch: BatchRef, status: str, message: str, run_id: str) -> None:
    """The delivery's row in ``audit.batches``: what became of it and why."""
    ledger.record_batch(
        con,
        source=batch.source,
        batch=batch.batch,
        delivery_id=batch.delivery_id,
        kind=batch.kind,
        status=status,
        message=message,
        manifest_sha256=batch.manifest_sha256,
        run_id=run_id,
    )


def _commit(
    con: duckdb.DuckDBPyConnection,
    batch: BatchRef,
    parsed: list[Parsed],
    outcomes: list[ValidationOutcome],
    run_id: str,
    accepted: bool = False,
) -> BatchResult:
    """Load the batch's files, except a file whose implausible count holds it alone (``held_file``)."""
    at = ledger.now()
    rows: list[LedgerRow] = []
    held = [(p, o) for p, o in zip(parsed, outcomes, strict=True) if o.volume_hold]
    with transaction(con):
        earlier = ledger.loaded_deliveries(con, batch.source, batch.batch, batch.delivery_id)
        for old in earlier:
            _delete_delivery(con, batch, old)
        for p, o in zip(parsed, outcomes, strict=True):
            ledger.write_dq_results(con, o.dq_rows(batch.delivery_id))
            if o.volume_hold:
                rows.append(_held_file_row(batch, p, o.volume_hold, run_id, at))
                continue
            lineage = Lineage(batch.source, batch.batch, batch.delivery_id, p.file, at)
            rows.append(load_rows(con, p, o, lineage, run_id))
        ledger.write_ledger(con, rows)
        status, message = _commit_message(batch, rows, held, outcomes, earlier)
        if accepted:
            ledger.use_accept(con, batch.source, batch.batch, batch.delivery_id, run_id)
        _record_batch(con, batch, status, message, run_id)
        problems = ledger.check_invariants(con, [p.table for p in parsed], batch=batch.batch)
        if problems:
            raise AssertionError("; ".join(problems))
    for o in outcomes:
        for a in o.alerts:
            log.warning("ALERT %s batch %s %s: %s", batch.source, batch.batch, o.table.name, a)
    if held:
        log.warning("ALERT held alone in %s batch %s: %s", batch.source, batch.batch, message)
    log.info(
        "%s %s batch %s: %s",
        status,
        batch.source,
        batch.batch,
        ", ".join(f"{r.table_name} {r.rows_loaded}/{r.rows_read}" for r in rows),
    )
    return BatchResult(batch.source, batch.batch, batch.delivery_id, status, message, rows, earlier)


def _held_file_row(batch: BatchRef, p: Parsed, why: str, run_id: str, at: Any) -> LedgerRow:
    """A file kept out alone: every row read withheld (the landing zone keeps it for a replay)."""
    n = p.rows_read
    return LedgerRow(
        run_id, batch.source, p.table.name, batch.batch, batch.delivery_id, p.file, n, 0, n, 0, HELD_FILE, why, at
    )


def _commit_message(
    batch: BatchRef,
    rows: list[LedgerRow],
    held: list[tuple[Parsed, ValidationOutcome]],
    outcomes: list[ValidationOutcome],
    earlier: list[str],
) -> tuple[str, str]:
    """The batch's status (``partial`` when a file is held alone) and its one-line message."""
    parts = [f"{sum(r.status == LOADED for r in rows)} files"]
    parts += [f"held alone {p.file}: {o.volume_hold}" for p, o in held]
    parts += [f"alert {o.table.name}: {a}" for o in outcomes for a in o.alerts]
    parts += [f"accepted {o.table.name}: {a}" for o in outcomes for a in o.accepted]
    if earlier:
        parts.append(f"replaced delivery {', '.join(earlier)}")
    return (PARTIAL if held else LOADED), "; ".join(parts)


def _delete_delivery(con: duckdb.DuckDBPyConnection, batch: BatchRef, old: str) -> None:
    for t in FILE_SOURCES[batch.source]:
        con.execute(
            f"delete from {t.qualified} where _source = ? and _batch = ? and _delivery_id = ?",
            [batch.source, batch.batch, old],
        )
    delete_delivery(con, batch.source, batch.batch, old)
    ledger.mark_replaced(con, batch.source, batch.batch, old, by=batch.delivery_id)
    log.info(
        "re-delivery of %s batch %s: delivery %s replaced by %s", batch.source, batch.batch, old, batch.delivery_id
    )
