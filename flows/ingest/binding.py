"""A work directory is bound to the sources it was built from and to the warehouse it publishes.

The first run records, in ``<work>/binding.json``: the landing zone, the police database (its URL with any
password hidden: a changed password is the same database), the first delivery of each file source, and the
published warehouse (resolved paths). A later run whose landing zone, police database or warehouse differ stops
before it reads anything, naming both values: loading another world's batches on top of this one would publish
a mix of both. To move on purpose, ``rebind`` checks that the new location serves every delivery already loaded
(and that the police database has the contract's tables) before it records it.

Every run also refuses sources that do not exist (a landing folder, a SQLite file): "nothing new" would hide
the mistake. A police database that existed when bound and is unreachable now is an outage instead: its branch
is retried and fails alone (flows/pipeline.py).
"""

from __future__ import annotations

import json
import logging
import os
from collections.abc import Iterable
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import duckdb
import fsspec
import sqlalchemy as sa

from flows.errors import UserError
from flows.ingest import ledger
from flows.ingest.extract import files, police
from flows.runtime import run_lock
from flows.settings import Settings
from rules.contracts import FILE_SOURCES, POLICE, batch_folder_date

log = logging.getLogger("fraudbrain.binding")

BINDING_FILE = "binding.json"


class SourceMissing(UserError):
    """A landing zone or police database named by the settings does not exist."""


class NotBound(UserError):
    """The run names other sources or another warehouse than the work directory was built from."""


class RebindRefused(UserError):
    """The new location does not serve what the work directory already loaded."""


@dataclass
class Binding:
    landing: str
    police: str  # redacted URL (no password)
    warehouse: str
    first_deliveries: dict[str, str] = field(default_factory=dict)  # source -> delivery_id


# ---- identities ----------------------------------------------------------------------------------
def landing_identity(url: str) -> str:
    """The landing zone as one comparable string: a local path resolved, a remote URL with its protocol."""
    fs, root = fsspec.core.url_to_fs(url)
    if _is_local(fs):
        return str(Path(root).resolve())
    return str(fs.unstrip_protocol(root.rstrip("/")))


def police_identity(url: str) -> str:
    """The police database as one comparable, printable string: a SQLite file resolved, any password hidden."""
    parsed = _url(url)
    if parsed.get_backend_name() == "sqlite" and parsed.database:
        parsed = parsed.set(database=str(Path(parsed.database).resolve()))
    return parsed.render_as_string(hide_password=True)


def redacted(url: str) -> str:
    try:
        return sa.engine.make_url(url).render_as_string(hide_password=True)
    except sa.exc.ArgumentError:
        return "<not a database URL>"


def _url(url: str) -> sa.URL:
    try:
        return sa.engine.make_url(url)
    except sa.exc.ArgumentError as exc:
        raise SourceMissing(f"police_url {redacted(url)!r} is not a database URL") from exc


def _is_local(fs: Any) -> bool:
    protocols = (fs.protocol,) if isinstance(fs.protocol, str) else tuple(fs.protocol)
    return bool({"file", "local"} & set(protocols))


# ---- existence -----------------------------------------------------------------------------------
def require_landing(url: str) -> None:
    fs, root = fsspec.core.url_to_fs(url)
    try:
        found = fs.isdir(root)
    except OSError as exc:
        raise SourceMissing(f"landing zone {url} cannot be read ({type(exc).__name__}: {exc})") from exc
    if not found:
        raise SourceMissing(f"landing zone {url} does not exist (check --landing / FRAUDBRAIN_LANDING)")


def require_police(url: str) -> sa.Engine:
    """A read-only engine on a police database that exists (SQLite would silently create a missing file)."""
    parsed = _url(url)
    if parsed.get_backend_name() == "sqlite" and not (parsed.database and Path(parsed.database).is_file()):
        raise SourceMissing(
            f"police database {redacted(url)} does not exist (check --police-url / FRAUDBRAIN_POLICE_URL)"
        )
    try:
        engine = police.police_engine(url)
        with engine.connect() as conn:
            conn.execute(sa.text("select 1"))
    except (sa.exc.DBAPIError, ValueError, ImportError) as exc:
        raise SourceMissing(f"police database {redacted(url)} cannot be reached ({type(exc).__name__})") from exc
    return engine


def _police_tables_missing(engine: sa.Engine) -> list[str]:
    tables = set(sa.inspect(engine).get_table_names())
    missing = [t.name for t in POLICE if t.name not in tables]
    for t in POLICE:
        if t.name in tables:
            have = police.source_columns(engine, t)
            missing += [f"{t.name}.{c}" for c in t.base_columns if c not in have]
    return missing


# ---- the record ----------------------------------------------------------------------------------
def path(settings: Settings) -> Path:
    return settings.work_dir / BINDING_FILE


def read(settings: Settings) -> Binding | None:
    p = path(settings)
    if not p.exists():
        return None
    try:
        return Binding(**json.loads(p.read_text(encoding="utf-8")))
    except (ValueError, TypeError) as exc:
        raise NotBound(f"{p} is not a binding record ({exc}): restore it, or use a new --work-dir") from exc


def write(settings: Settings, binding: Binding) -> None:
    settings.work_dir.mkdir(parents=True, exist_ok=True)
    tmp = path(settings).with_suffix(".tmp")
    tmp.write_text(json.dumps(asdict(binding), indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    os.replace(tmp, path(settings))


def current(settings: Settings) -> Binding:
    """What these settings name, as a binding (first deliveries not filled in)."""
    return Binding(
        landing_identity(settings.landing),
        police_identity(settings.police_url),
        str(settings.warehouse.resolve()),
    )


def first_deliveries(settings: Settings) -> dict[str, str]:
    """Per file source, the delivery of its first complete batch in the landing zone."""
    fs, root = fsspec.core.url_to_fs(settings.landing)
    out = {}
    for source in FILE_SOURCES:
        for ref in _landed(fs, root, source):
            out[source] = ref.delivery_id
            break
    return out


def _landed(fs: Any, root: str, source: str) -> Iterable[files.BatchRef]:
    """The complete batches (with a manifest) of ``source`` in the landing zone, in batch order."""
    base = f"{root.rstrip('/')}/{source}"
    if not fs.isdir(base):
        return
    for entry in sorted(fs.ls(base, detail=False)):
        folder = entry.rstrip("/")
        day = batch_folder_date(folder.rsplit("/", 1)[-1])
        if day is not None and fs.exists(f"{folder}/{files.MANIFEST}"):
            yield files.read_manifest(fs, folder, source, day.isoformat())


# ---- the check at the start of a run ---------------------------------------------------------------
def ensure_bound(settings: Settings, sources: Iterable[str]) -> Binding:
    """Stop before anything is read when these settings name other sources or another warehouse than the work
    directory was built from, or a source that does not exist; on the first run, record the binding.

    Only the sources this run reads are compared (a backfill reads no police rows); the warehouse always is.
    """
    sources = list(sources)
    files_read = any(s in FILE_SOURCES for s in sources)
    if files_read:  # a landing zone that does not exist is said so first, bound or not
        require_landing(settings.landing)
    now, bound = current(settings), read(settings)
    if bound is not None:
        for what, old, new, option in (
            ("landing zone", bound.landing, now.landing, "--landing"),
            ("police database", bound.police, now.police, "--police-url"),
            ("warehouse", bound.warehouse, now.warehouse, "--warehouse"),
        ):
            read_here = {"landing zone": files_read, "police database": "police" in sources}.get(what, True)
            if read_here and old != new:
                raise NotBound(
                    f"work directory {settings.work_dir} was built from {what} {old}, not {new}: use a new "
                    f"--work-dir for it, or move this one with `fraudbrain rebind {option} {new}` (checked first)"
                )
    if "police" in sources and bound is None:  # once bound, an unreachable database is an outage: retried
        require_police(settings.police_url).dispose()
    if bound is None:
        now.first_deliveries = first_deliveries(settings) if files_read else {}
        write(settings, now)
        log.info("work directory %s bound to %s, %s, %s", settings.work_dir, now.landing, now.police, now.warehouse)
        return now
    return bound


# ---- moving a work directory on purpose ------------------------------------------------------------
@dataclass
class Rebound:
    old: Binding | None
    new: Binding
    deliveries_checked: int


def rebind(settings: Settings) -> Rebound:
    """Bind the work directory to the sources and warehouse these settings name, after checking that the new
    landing zone serves every delivery already loaded and that the police database has the contract's tables."""
    with run_lock(settings.work_dir):
        return _rebind(settings)


def _rebind(settings: Settings) -> Rebound:
    require_landing(settings.landing)
    engine = require_police(settings.police_url)
    try:
        missing_tables = _police_tables_missing(engine)
    finally:
        engine.dispose()
    if missing_tables:
        raise RebindRefused(
            f"police database {redacted(settings.police_url)} lacks the contract's {', '.join(missing_tables[:5])}"
        )
    loaded = _loaded_deliveries(settings)
    fs, root = fsspec.core.url_to_fs(settings.landing)
    served = {(ref.source, ref.batch, ref.delivery_id) for s in FILE_SOURCES for ref in _landed(fs, root, s)}
    lacking = sorted(loaded - served)
    if lacking:
        shown = ", ".join(f"{s} {b} ({d[:8]}…)" for s, b, d in lacking[:3])
        raise RebindRefused(
            f"landing zone {settings.landing} lacks {len(lacking)} of the {len(loaded)} deliveries this work "
            f"directory loaded ({shown}): refused; use a new --work-dir for another world"
        )
    old = read(settings)
    new = current(settings)
    new.first_deliveries = old.first_deliveries if old and old.first_deliveries else first_deliveries(settings)
    write(settings, new)
    log.info("work directory %s re-bound: %s -> %s", settings.work_dir, old, new)
    return Rebound(old, new, len(loaded))


def _loaded_deliveries(settings: Settings) -> set[tuple[str, str, str]]:
    """(source, batch, delivery_id) of the file deliveries whose rows the work directory holds."""
    if not settings.work_db.exists():
        return set()
    con = duckdb.connect(str(settings.work_db), read_only=True)
    try:
        sql = "select count(*) from duckdb_tables() where schema_name = 'audit' and table_name = 'batches'"
        if not con.execute(sql).fetchone()[0]:  # type: ignore[index]
            return set()
        rows = con.execute(
            "select source, batch, delivery_id from audit.batches where status = ?", [ledger.LOADED]
        ).fetchall()
    finally:
        con.close()
    return {(str(s), str(b), str(d)) for s, b, d in rows}
