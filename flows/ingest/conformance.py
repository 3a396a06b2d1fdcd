"""Does a landing zone and a police database follow the contracts (rules/contracts.py)? ``fraudbrain check-sources``.

Structure is checked, per batch folder, file and table: batch folder names, the ``_SUCCESS`` manifest (keys,
batch/source/kind against the folder, files listed against files present, sha256, row counts as the contract
counts them), encodings and line ends (telecom: GB18030, CRLF, ``|``, the header exactly the contract's columns
in order; finance: JSON Lines in UTF-8), the police tables and columns (revision 1 or 2 of police.md) and the
police timestamps' form. A structural fault is a violation. Row defects the contracts allow (a wrong field count,
a truncated last JSON line, a required value missing, a key repeated) are counted, not failed.

The files are read the way the extractor reads them: its manifest reading and checks and its gzip-bounded
stream (flows/ingest/extract/files.py), its line-counting and parsers (flows/ingest/extract/parse.py), its
read-only police engine (flows/ingest/extract/police.py). Nothing is written anywhere.
"""

from __future__ import annotations

import datetime as dt
import re
import tempfile
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import duckdb
import fsspec
import sqlalchemy as sa

from flows.ingest.binding import redacted
from flows.ingest.extract import files, parse, police
from rules.contracts import FILE_SOURCES, POLICE, Table, batch_folder_date, by_file

TS = re.compile(r"^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}$")
CRLF_PROBE_BYTES = 1 << 20  # line ends are checked on the first MB of each telecom file
TIMESTAMP_PROBE_ROWS = 200  # police timestamps checked per column
MAX_LINE_BYTES = 64 * 1024 * 1024
MAX_GZIP_RATIO = 200


@dataclass
class Checked:
    """One batch folder, file or table looked at, with its data rows (None where not counted)."""

    what: str
    rows: int | None = None
    note: str = ""
    violations: int = 0


@dataclass
class Report:
    checked: list[Checked] = field(default_factory=list)
    violations: list[str] = field(default_factory=list)
    counts: Counter[str] = field(default_factory=Counter)

    @property
    def ok(self) -> bool:
        return not self.violations

    def bad(self, item: Checked | None, message: str) -> None:
        self.violations.append(message)
        if item is not None:
            item.violations += 1

    def as_dict(self) -> dict[str, Any]:
        return {
            "ok": self.ok,
            "checked": [vars(c) for c in self.checked],
            "counts": dict(sorted(self.counts.items())),
            "violations": self.violations,
        }


def check_sources(landing: str | None, police_url: str | None, max_rows: int = 200_000) -> Report:
    """Check the landing zone and/or the police database; every fault found is in ``Report.violations``."""
    report = Report()
    if landing is not None:
        check_landing(report, landing, max_rows)
    if police_url is not None:
        check_police(report, police_url)
    return report


# ---- landing zone --------------------------------------------------------------------------------
def check_landing(report: Report, url: str, max_rows: int) -> None:
    fs, root = fsspec.core.url_to_fs(url)
    if not fs.isdir(root):
        report.bad(None, f"{url}: the landing zone does not exist")
        return
    for source in FILE_SOURCES:
        base = f"{root.rstrip('/')}/{source}"
        if not fs.isdir(base):
            report.bad(None, f"{source}/: missing from the landing zone")
            continue
        kinds: list[str] = []
        for entry in sorted(fs.ls(base, detail=False)):
            kind = _check_batch(report, fs, source, entry.rstrip("/"), max_rows)
            if kind:
                kinds.append(kind)
        if kinds and (kinds[0] != "initial" or "initial" in kinds[1:]):
            report.bad(None, f"{source}: the first complete batch must be kind=initial, and only it ({kinds[:3]}…)")


def _check_batch(report: Report, fs: Any, source: str, path: str, max_rows: int) -> str | None:
    """Check one batch folder; returns its manifest's kind when the batch is complete."""
    name = path.rsplit("/", 1)[-1]
    where = f"{source}/{name}"
    day = batch_folder_date(name)
    if day is None:
        report.bad(None, f"{where}: folder is not batch=YYYY-MM-DD (a real date)")
        return None
    if not fs.exists(f"{path}/{files.MANIFEST}"):
        report.counts[f"{source}: batches without {files.MANIFEST} (incomplete, skipped)"] += 1
        return None
    batch = files.read_manifest(fs, path, source, day.isoformat())
    item = Checked(where, note=batch.kind or "?")
    report.checked.append(item)
    try:
        files.check_manifest(fs, batch)
    except files.Refused as exc:  # what the pipeline would refuse the batch for
        for problem in str(exc).split("; "):
            report.bad(item, problem)
        if not _listed_files(batch):
            return batch.kind or None
    present = {p.rstrip("/").rsplit("/", 1)[-1] for p in fs.ls(path, detail=False)}
    for file_name in sorted(_listed_files(batch) & present):
        t = by_file(source, file_name)
        if t is not None:
            _check_file(report, fs, batch, t, file_name, max_rows)
    report.counts[f"{source}: complete batches"] += 1
    return batch.kind or None


def _listed_files(batch: files.BatchRef) -> set[str]:
    listed = batch.manifest.get("files")
    return {f for f in listed if isinstance(f, str)} if isinstance(listed, dict) else set()


def _check_file(report: Report, fs: Any, batch: files.BatchRef, t: Table, file_name: str, max_rows: int) -> None:
    path, rel = f"{batch.path}/{file_name}", files.relative_path(batch, file_name)
    item = Checked(rel)
    report.checked.append(item)
    is_csv = batch.source == "telecom"
    try:
        lines = files.scan_lines(fs, path, rel, MAX_LINE_BYTES, MAX_GZIP_RATIO)
    except files.Refused as exc:
        report.bad(item, str(exc))
        return
    rows = max(lines - 1, 0) if is_csv else lines
    item.rows = rows
    report.counts[f"{batch.source}/{file_name}: rows"] += rows
    meta = batch.manifest["files"][file_name]
    expected = meta.get("rows") if isinstance(meta, dict) else None
    if rows != expected:
        report.bad(item, f"{rel}: {rows} data rows, {files.MANIFEST} says {expected}")
    if is_csv:
        if lines == 0:
            report.bad(item, f"{rel}: empty file, but the contract requires the header line")
            return
        _check_crlf(report, item, fs, path, rel)
    con = duckdb.connect(":memory:")
    try:
        with tempfile.TemporaryDirectory(prefix="fraudbrain-check-") as scratch:
            _check_rows(report, item, con, fs, (path, rel, Path(scratch)), t, is_csv, max_rows, lines)
    finally:
        con.close()


def _check_crlf(report: Report, item: Checked, fs: Any, path: str, rel: str) -> None:
    with files._Stream(fs, path, rel, MAX_GZIP_RATIO) as stream:
        head = stream.read(CRLF_PROBE_BYTES)
    complete = head.split(b"\n")[:-1]  # lines whose end lies in the probe
    bare = next((i for i, ln in enumerate(complete, 1) if not ln.endswith(b"\r")), None)
    if bare is not None:
        report.bad(item, f"{rel}:{bare}: line ends are not CRLF")


class _FirstLines:
    """The decompressed stream cut after ``n`` lines (whole lines only)."""

    def __init__(self, stream: files._Stream, n: int) -> None:
        self.stream, self.left = stream, n

    def read(self, size: int = -1, /) -> bytes:
        if self.left <= 0:
            return b""
        data = self.stream.read(size)
        found = data.count(b"\n")
        if found < self.left:
            self.left -= found
            return data
        cut = -1
        for _ in range(self.left):
            cut = data.index(b"\n", cut + 1)
        self.left = 0
        return data[: cut + 1]


def _check_rows(
    report: Report,
    item: Checked,
    con: duckdb.DuckDBPyConnection,
    fs: Any,
    where: tuple[str, str, Path],
    t: Table,
    is_csv: bool,
    max_rows: int,
    lines: int,
) -> None:
    """Parse the first ``max_rows`` rows as the extractor does; structure faults fail, allowed defects count."""
    (path, rel, scratch), label, relation = where, f"{t.source}/{t.file}", "_conformance_rows"
    try:
        with files._Stream(fs, path, rel, MAX_GZIP_RATIO) as stream:
            head = _FirstLines(stream, max_rows + (1 if is_csv else 0))
            res = (
                parse.parse_csv(con, head, relation, MAX_LINE_BYTES, scratch)
                if is_csv
                else parse.parse_jsonl(con, head, relation, t, MAX_LINE_BYTES, scratch)
            )
    except parse.BadHeader as exc:
        report.bad(item, f"{rel}: {exc}")
        return
    except (parse.TooLong, files.Refused, OSError, EOFError) as exc:
        report.bad(item, f"{rel}: cannot be read ({exc})")
        return
    if is_csv and res.header != list(t.columns):
        report.bad(item, f"{rel}: header is not {'|'.join(t.columns)}")
        return
    for lineno, reason, _record in res.errors:
        if "not GB18030" in reason or "not UTF-8" in reason:
            report.bad(item, f"{rel}: {reason}")
        elif "fields, the header has" in reason:
            report.counts[f"{label}: rows with a wrong field count (allowed defect)"] += 1
        elif "not JSON" in reason and lineno == lines:
            report.counts[f"{label}: truncated last line (allowed defect)"] += 1
        elif is_csv:
            report.counts[f"{label}: unreadable rows ({reason.split(': ', 1)[-1]})"] += 1
        else:
            report.bad(item, f"{rel}: {reason}")
    if not res.header and is_csv:
        return
    _count_row_defects(report, item, con, relation, rel, label, t, is_csv)


def _count_row_defects(
    report: Report,
    item: Checked,
    con: duckdb.DuckDBPyConnection,
    relation: str,
    rel: str,
    label: str,
    t: Table,
    is_csv: bool,
) -> None:
    q = parse.qident
    missing = " or ".join(f"{q(c)} is null or {q(c)} = ''" for c in t.required)
    key = ", ".join(q(c) for c in t.key)
    (n, missing_n, distinct) = con.execute(
        f"select count(*), count(*) filter (where {missing}), count(distinct ({key})) from {relation}"
    ).fetchone()  # type: ignore[misc]
    if missing_n:
        report.counts[f"{label}: rows missing a required value (allowed defect, quarantined)"] += int(missing_n)
    if n - distinct:
        report.counts[f"{label}: key repeated (allowed defect, the later one wins)"] += int(n - distinct)
    if t.name == "transactions":
        (neither,) = con.execute(
            f"select count(*) from {relation} where from_card is null and to_card is null"
        ).fetchone()  # type: ignore[misc]
        if neither:
            report.counts[f"{label}: rows with neither from_card nor to_card"] += int(neither)
    if is_csv:  # telecom times are naive YYYY-MM-DD HH:MM:SS (police.md, telecom.md)
        for c in t.timestamps:
            bad = con.execute(
                f"select _line, {q(c)} from {relation} where {q(c)} <> '' and not regexp_full_match({q(c)}, ?) "
                "order by _line limit 1",
                [TS.pattern.strip("^$")],
            ).fetchone()
            if bad:
                report.bad(item, f"{rel}:{bad[0]}: {c} is not YYYY-MM-DD HH:MM:SS")


# ---- police database -----------------------------------------------------------------------------
def check_police(report: Report, url: str) -> None:
    shown = redacted(url)
    try:
        parsed = sa.engine.make_url(url)
    except sa.exc.ArgumentError:
        report.bad(None, f"{shown}: not a database URL")
        return
    if parsed.get_backend_name() == "sqlite" and not (parsed.database and Path(parsed.database).is_file()):
        report.bad(None, f"{shown}: the police database does not exist")
        return
    try:
        engine = police.police_engine(url)
    except (ValueError, ImportError, sa.exc.ArgumentError) as exc:
        report.bad(None, f"{shown}: cannot be opened ({exc})")
        return
    try:
        try:
            tables = set(sa.inspect(engine).get_table_names())
        except sa.exc.DBAPIError as exc:
            report.bad(None, f"{shown}: cannot connect ({type(exc.orig).__name__})")
            return
        for t in POLICE:
            _check_table(report, engine, t, tables)
    finally:
        engine.dispose()


def _check_table(report: Report, engine: sa.Engine, t: Table, tables: set[str]) -> None:
    item = Checked(f"police.{t.name}")
    report.checked.append(item)
    if t.name not in tables:
        report.bad(item, f"police: table {t.name} missing")
        return
    present = police.source_columns(engine, t)
    for c in t.base_columns:
        if c not in present:
            report.bad(item, f"police.{t.name}: column {c} missing")
    if t.optional_columns:
        revision = 2 if all(c in present for c in t.optional_columns) else 1
        item.note = f"revision {revision}"
        report.counts[f"police.{t.name}: revision {revision}"] += 1
    with engine.connect() as conn:
        item.rows = int(conn.execute(sa.text(f'select count(*) from "{t.name}"')).scalar_one())
        report.counts[f"police.{t.name}: rows"] += item.rows
        for c in t.required:
            if c in present:
                n = conn.execute(sa.text(f'select count(*) from "{t.name}" where "{c}" is null')).scalar_one()
                if n:
                    report.counts[f"police.{t.name}: rows with {c} null (allowed defect, quarantined)"] += int(n)
        for c in t.timestamps:
            if c not in present:
                continue
            sql = f'select "{c}" from "{t.name}" where "{c}" is not null limit {TIMESTAMP_PROBE_ROWS}'
            for (v,) in conn.execute(sa.text(sql)):
                if not (isinstance(v, dt.datetime) or (isinstance(v, str) and TS.match(v))):
                    report.bad(item, f"police.{t.name}.{c}: {str(v)[:40]!r} is not a timestamp YYYY-MM-DD HH:MM:SS")
                    break
