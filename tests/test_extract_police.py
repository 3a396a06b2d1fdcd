"""Police database: incremental, read-only, deduplicated, skew-proof; the same code on SQLite and PostgreSQL."""

from __future__ import annotations

import sqlite3
import uuid
from collections.abc import Callable
from pathlib import Path

import duckdb
import pytest
import sqlalchemy as sa

from expectations.police import INT_COLUMNS, MONEY_COLUMNS
from flows.ingest import ledger
from flows.ingest.extract.police import load_police, police_engine
from flows.ingest.validate import open_context
from flows.settings import Settings
from rules.contracts import POLICE
from tests.conftest import skip_or_fail
from tests.fixtures_landing import make_id

PG_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/test"


@pytest.fixture(autouse=True)
def _quiet_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("GX_ANALYTICS_ENABLED", "false")
    monkeypatch.setenv("PREFECT_HOME", str(tmp_path / "prefect"))


def ddl(pg: bool, revision: int = 2) -> list[str]:
    """The contract's tables; revision 1 lacks the columns revision 2 added (supervision_tasks.ref_no)."""
    out = []
    for t in POLICE:
        cols = []
        for c in t.columns if revision >= 2 else t.base_columns:
            if c in MONEY_COLUMNS:
                typ = "NUMERIC(14,2)"
            elif c in INT_COLUMNS:
                typ = "INTEGER"
            elif c.endswith("_at"):
                typ = "TIMESTAMP" if pg else "TEXT"
            elif c == "birth_date":
                typ = "DATE" if pg else "TEXT"
            else:
                typ = "TEXT"
            cols.append(f"{c} {typ}")
        out.append(f"create table {t.name} ({', '.join(cols)}, primary key ({', '.join(t.key)}))")
    return out


CASE_SQL = (
    "insert into cases (case_no, unit_code, region_code, fraud_type, reported_at, loss_amount, status, "
    "narrative, updated_at) values (:case_no, '420922000000', '420922', 'KEFU', '2026-05-10 09:00:00', "
    ":loss, :status, '受害人称', :updated_at)"
)
VICTIM_SQL = (
    "insert into victims (case_no, seq, id_no, name, phone, gender, age, updated_at) "
    "values (:case_no, 1, :id_no, '王芳', '+86 139 1234 5678', 'F', 34, :updated_at)"
)


class PoliceDB:
    """A simulated police database the test writes to (the loader itself only reads)."""

    def __init__(self, url: str, writer: sa.Engine) -> None:
        self.url, self.writer = url, writer

    def run(self, sql: str, **params: object) -> None:
        with self.writer.begin() as conn:
            conn.execute(sa.text(sql), params)

    def add_case(self, case_no: str, updated_at: str, status: str = "registered", loss: float = 1234.5) -> None:
        self.run(CASE_SQL, case_no=case_no, loss=loss, status=status, updated_at=updated_at)


@pytest.fixture
def sqlite_db(tmp_path: Path) -> PoliceDB:
    path = tmp_path / "police.db"
    with sqlite3.connect(path) as c:
        for stmt in ddl(pg=False):
            c.execute(stmt)
    return PoliceDB(f"sqlite:///{path}", sa.create_engine(f"sqlite:///{path}"))


@pytest.fixture
def pg_db():
    try:
        admin = sa.create_engine(PG_URL, connect_args={"connect_timeout": 3})
        with admin.connect() as conn:
            conn.execute(sa.text("select 1"))
    except Exception as exc:
        skip_or_fail(f"PostgreSQL not reachable on 127.0.0.1:5432 ({type(exc).__name__})")
    schema = f"police_test_{uuid.uuid4().hex[:8]}"
    with admin.begin() as conn:
        conn.execute(sa.text(f"create schema {schema}"))
        conn.execute(sa.text(f"set search_path to {schema}"))
        for stmt in ddl(pg=True):
            conn.execute(sa.text(stmt))
    url = f"{PG_URL}?options=-csearch_path%3D{schema}"
    try:
        yield PoliceDB(url, sa.create_engine(url))
    finally:
        with admin.begin() as conn:
            conn.execute(sa.text(f"drop schema {schema} cascade"))
        admin.dispose()


def env(tmp_path: Path, db: PoliceDB) -> tuple[Settings, duckdb.DuckDBPyConnection, Callable]:
    settings = Settings(police_url=db.url, work_dir=tmp_path / "work")
    con = duckdb.connect(":memory:")
    ctx = open_context(settings)

    def run(run_id: str) -> dict:
        return {r.table_name: r for r in load_police(con, settings, run_id, ctx)}

    return settings, con, run


def scenario(tmp_path: Path, db: PoliceDB) -> None:
    """Shared by SQLite and PostgreSQL: initial read, update after read, skewed commit, rerun."""
    _, con, run = env(tmp_path, db)
    db.add_case("A1", "2026-05-10 10:00:00")
    db.add_case("A2", "2026-05-10 10:30:00", loss=49800)
    db.run(VICTIM_SQL, case_no="A1", id_no=make_id().lower().replace("X", "x"), updated_at="2026-05-10 10:00:00")

    first = run("r1")
    assert first["cases"].status == "loaded" and first["cases"].ledger.rows_loaded == 2
    assert ledger.get_watermark(con, "cases") == "2026-05-10 10:30:00"
    amounts = dict(con.execute("select case_no, loss_amount from raw.police__cases").fetchall())
    assert amounts == {"A1": "1234.50", "A2": "49800.00"}
    assert con.execute("select distinct reported_at from raw.police__cases").fetchall() == [("2026-05-10 09:00:00",)]
    assert con.execute("select age, _line from raw.police__victims").fetchall() == [("34", 1)]

    # a case solved after it was read: a new version; a case committed 4 minutes behind the watermark: loaded
    db.run("update cases set status = 'solved', updated_at = '2026-05-10 11:00:00' where case_no = 'A1'")
    db.add_case("A3", "2026-05-10 10:26:00")
    second = run("r2")
    c = second["cases"].ledger
    assert (c.rows_loaded, c.rows_duplicate) == (2, 1)  # A1 solved + late A3; A2 re-read in the lookback
    versions = con.execute("select case_no, status from raw.police__cases order by case_no, updated_at").fetchall()
    assert versions == [("A1", "registered"), ("A1", "solved"), ("A2", "registered"), ("A3", "registered")]
    assert ledger.get_watermark(con, "cases") == "2026-05-10 11:00:00"

    third = run("r3")  # nothing new: the lookback re-reads rows, all duplicates
    assert third["cases"].ledger.rows_loaded == 0 and third["cases"].ledger.rows_duplicate >= 1
    # unchanged re-reads are counted as duplicates without being validated again
    dq = "select count(*) from audit.dq_results where run_id = ? and table_name = 'cases'"
    assert con.execute(dq, ["r3"]).fetchall() == [(0,)]
    assert ledger.check_invariants(con) == []

    # a row stamped in the future is quarantined and does not move the watermark past now
    db.add_case("A9", "2999-01-01 00:00:00")
    fourth = run("r4")["cases"].ledger
    assert (fourth.rows_quarantined, fourth.rows_loaded) == (1, 0)
    reasons = con.execute("select reasons from quarantine.rows where _table = 'cases'").fetchall()
    assert reasons == [("expect_column_values_to_be_timestamps_not_after(updated_at)",)]
    assert ledger.get_watermark(con, "cases") == "2026-05-10 11:00:00"
    assert ledger.check_invariants(con) == []


def test_police_sqlite_incremental(tmp_path: Path, sqlite_db: PoliceDB) -> None:
    scenario(tmp_path, sqlite_db)


def test_police_sqlite_is_read_only(sqlite_db: PoliceDB) -> None:
    engine = police_engine(sqlite_db.url)
    with engine.connect() as conn, pytest.raises(sa.exc.OperationalError, match="readonly"):
        conn.execute(sa.text("delete from cases"))


@pytest.mark.postgres
def test_police_postgres_incremental(tmp_path: Path, pg_db: PoliceDB) -> None:
    scenario(tmp_path, pg_db)
    engine = police_engine(pg_db.url)
    with engine.connect() as conn, pytest.raises(sa.exc.DBAPIError, match="read-only"):
        conn.execute(sa.text("delete from cases"))
    engine.dispose()


# ---- police contract revisions: 1 has no supervision_tasks.ref_no, 2 adds it -----------------------------
TASK_SQL = (
    "insert into supervision_tasks (task_id, unit_code, kind, issued_at, due_at, updated_at{ref}) "
    "values (:task_id, '420922000000', 'lead_followup', '2026-05-10 09:00:00', '2026-05-17 09:00:00', "
    ":updated_at{ref_value})"
)


def add_task(db: PoliceDB, task_id: str, updated_at: str, ref_no: str | None = None, with_ref: bool = True) -> None:
    ref, value = (", ref_no", ", :ref_no") if with_ref else ("", "")
    db.run(TASK_SQL.format(ref=ref, ref_value=value), task_id=task_id, updated_at=updated_at, ref_no=ref_no)


def revision_db(tmp_path: Path, revision: int) -> PoliceDB:
    path = tmp_path / f"police-r{revision}.db"
    with sqlite3.connect(path) as c:
        for stmt in ddl(pg=False, revision=revision):
            c.execute(stmt)
    return PoliceDB(f"sqlite:///{path}", sa.create_engine(f"sqlite:///{path}"))


def raw_tasks(con: duckdb.DuckDBPyConnection) -> list[tuple]:
    sql = "select task_id, ref_no from raw.police__supervision_tasks order by task_id, _loaded_at"
    return con.execute(sql).fetchall()


def test_a_revision_1_database_extracts_without_a_hold_and_ref_no_null(tmp_path: Path) -> None:
    db = revision_db(tmp_path, 1)
    add_task(db, "DB1", "2026-05-10 09:00:00", with_ref=False)
    _, con, run = env(tmp_path, db)
    result = run("r1")["supervision_tasks"]
    assert result.status == "loaded", result.message
    assert raw_tasks(con) == [("DB1", None)]


def test_a_revision_2_database_delivers_ref_no_into_raw(tmp_path: Path) -> None:
    db = revision_db(tmp_path, 2)
    add_task(db, "DB1", "2026-05-10 09:00:00", ref_no="A4209222026051000123")
    add_task(db, "DB2", "2026-05-10 09:01:00", ref_no="A420922 2026051000１２３")  # as typed: spaces, full width
    add_task(db, "DB3", "2026-05-10 09:02:00", ref_no=None)
    _, con, run = env(tmp_path, db)
    result = run("r1")["supervision_tasks"]
    assert result.status == "loaded", result.message
    assert raw_tasks(con) == [("DB1", "A4209222026051000123"), ("DB2", "A420922 2026051000１２３"), ("DB3", None)]


def test_a_database_upgraded_between_two_runs_extracts_both_times(tmp_path: Path) -> None:
    db = revision_db(tmp_path, 1)
    add_task(db, "DB1", "2026-05-10 09:00:00", with_ref=False)
    _, con, run = env(tmp_path, db)
    # the work database was made before the catalogue knew ref_no: its raw table lacks the column
    con.execute("create schema raw")
    t = next(t for t in POLICE if t.name == "supervision_tasks")
    old_cols = ", ".join(f'"{c}" varchar' for c in t.base_columns)
    con.execute(
        f"create table {t.qualified} ({old_cols}, _source varchar, _batch varchar, _delivery_id varchar, "
        "_file varchar, _line bigint, _loaded_at timestamp)"
    )
    assert run("r1")["supervision_tasks"].status == "loaded"
    db.run("alter table supervision_tasks add column ref_no TEXT")  # the site is upgraded to revision 2
    add_task(db, "DB2", "2026-05-10 10:00:00", ref_no="A4209222026051000123")
    second = run("r2")["supervision_tasks"]
    assert second.status == "loaded", second.message
    assert second.ledger.rows_loaded == 1  # DB1, re-read in the lookback, is unchanged: a duplicate
    assert raw_tasks(con) == [("DB1", None), ("DB2", "A4209222026051000123")]
    cols = [r[0] for r in con.execute(f"describe {t.qualified}").fetchall()]
    assert cols[: len(t.columns)] == list(t.columns)
    assert ledger.check_invariants(con) == []
    held = con.execute("select count(*) from audit.load_ledger where status = 'held'").fetchone()
    assert held == (0,)
