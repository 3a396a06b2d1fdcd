"""`fraudbrain query`, `tables`, `describe` as analysts use them, on a small warehouse file made here."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import duckdb
import pytest
from typer.testing import CliRunner

from flows.analyst import query as q
from flows.cli import app

ROWS = 5_000


@pytest.fixture(scope="module")
def warehouse(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("wh") / "fraudbrain.duckdb"
    con = duckdb.connect(str(path))
    con.execute("create schema marts")
    con.execute(f"create table marts.gangs as select range as gang_id, 'g' || range as label from range({ROWS})")
    con.execute("create table marts.wide as select 1 as a, 'x' as b, null::varchar as c")
    con.execute("comment on table marts.gangs is 'one row per gang'")
    con.execute("comment on column marts.gangs.gang_id is 'the gang''s number'")
    con.close()
    return path


def _cli(*args: str) -> object:
    return CliRunner().invoke(app, list(args), catch_exceptions=False)


def test_the_terminal_shows_at_most_the_default_cap_and_says_so(warehouse):
    res = _cli("query", "select * from marts.gangs", "--warehouse", str(warehouse), "--format", "csv")
    assert res.exit_code == 0
    rows = list(csv.reader(io.StringIO(res.stdout)))
    assert len(rows) == 1 + 1000
    assert "first 1,000 rows; --limit to change" in res.stderr


def test_limit_changes_the_cap_and_zero_shows_every_row(warehouse):
    res = _cli("query", "select * from marts.gangs", "--warehouse", str(warehouse), "--format", "csv", "--limit", "7")
    assert len(list(csv.reader(io.StringIO(res.stdout)))) == 8 and "first 7 rows" in res.stderr
    res = _cli("query", "select * from marts.gangs", "--warehouse", str(warehouse), "--format", "json", "--limit", "0")
    assert len(json.loads(res.stdout)) == ROWS and "first" not in res.stderr
    res = _cli("query", "select * from marts.gangs limit 3", "--warehouse", str(warehouse), "--format", "csv")
    assert len(list(csv.reader(io.StringIO(res.stdout)))) == 4 and res.stderr == "", "no note under the cap"


class _Spy:
    """A connection that records the SQL it runs and how many rows each fetch asks for."""

    def __init__(self, con):
        self.con, self.sql, self.asked = con, [], []

    def execute(self, sql, *args):
        self.sql.append(sql)
        cur = self.con.execute(sql, *args)
        spy = self

        class Cur:
            description = cur.description

            def fetchmany(self, n):
                spy.asked.append(n)
                return cur.fetchmany(n)

        return Cur()

    def close(self):
        self.con.close()


def test_the_cap_is_applied_while_fetching_and_the_sql_runs_as_written(warehouse, monkeypatch):
    spies = []
    real = q.open_readonly
    monkeypatch.setattr(q, "open_readonly", lambda w: spies.append(_Spy(real(w))) or spies[-1])
    sql = "select * from marts.gangs order by gang_id"
    cols, rows = q.run_query(warehouse, sql, limit=25)
    assert cols == ["gang_id", "label"] and [r[0] for r in rows] == list(range(25))
    assert spies[0].sql == [sql], "the SQL is not rewritten"
    assert sum(spies[0].asked) <= 26, "no more than the cap (and one row to know it cut) is fetched"


def test_rows_stream_to_a_file_as_csv_json_or_parquet(warehouse, tmp_path):
    import pyarrow.parquet as pq

    for fmt in ("csv", "json", "parquet"):
        out = tmp_path / f"gangs.{fmt}"
        res = _cli("query", "select * from marts.gangs", "--warehouse", str(warehouse), "--out", str(out))
        assert res.exit_code == 0, res.output
        assert f"{ROWS:,} rows written" in res.stderr
    with open(tmp_path / "gangs.csv", encoding="utf-8") as handle:
        assert len(list(csv.reader(handle))) == ROWS + 1
    assert len(json.loads((tmp_path / "gangs.json").read_text(encoding="utf-8"))) == ROWS
    assert pq.read_table(tmp_path / "gangs.parquet").num_rows == ROWS
    written = q.write_file(warehouse, "select * from marts.gangs", tmp_path / "some.parquet", "parquet", limit=10)
    assert (written.rows, written.capped) == (10, True)
    assert pq.read_table(tmp_path / "some.parquet").num_rows == 10
    assert not list(tmp_path.glob("*.part"))


def test_an_existing_out_file_is_refused_and_left_alone(warehouse, tmp_path):
    out = tmp_path / "mine.csv"
    out.write_text("keep me", encoding="utf-8")
    res = _cli("query", "select 1", "--warehouse", str(warehouse), "--out", str(out))
    assert res.exit_code == 2 and "already exists" in res.stderr and len(res.stderr.strip().splitlines()) == 1
    assert out.read_text(encoding="utf-8") == "keep me"


def test_the_connection_still_cannot_touch_files(warehouse, tmp_path):
    for sql in (f"copy (select 1) to '{tmp_path / 'x.csv'}'", "set enable_external_access = true"):
        with pytest.raises(q.QueryRefused):
            q.run_query(warehouse, sql)
    assert not (tmp_path / "x.csv").exists()


def test_vertical_shows_one_column_a_line(warehouse):
    res = _cli("query", "select * from marts.wide", "--warehouse", str(warehouse), "--vertical")
    lines = res.stdout.splitlines()
    assert lines[0].startswith("-[ record 1 ]")
    assert [line.split(":")[0].strip() for line in lines[1:]] == ["a", "b", "c"]


def test_duckdb_errors_keep_their_hints(warehouse):
    res = _cli("query", "select * from marts.gang", "--warehouse", str(warehouse))
    assert res.exit_code == 2 and 'Did you mean "gangs"' in res.stderr
    res = _cli("query", "select gang from marts.gangs", "--warehouse", str(warehouse))
    assert res.exit_code == 2 and 'Candidate bindings: "gang_id"' in res.stderr
    assert "Traceback" not in res.stderr


@pytest.mark.parametrize("sql", ["", "   "])
def test_empty_sql_is_one_line(warehouse, sql):
    res = _cli("query", sql, "--warehouse", str(warehouse))
    assert res.exit_code == 2 and "the SQL is empty" in res.stderr
    assert len(res.stderr.strip().splitlines()) == 1


def test_tables_lists_rows_and_descriptions(warehouse):
    res = _cli("tables", "--warehouse", str(warehouse), "--json")
    got = {t["table"]: t for t in json.loads(res.stdout)}
    assert got["gangs"]["rows"] == ROWS and got["gangs"]["description"] == "one row per gang"
    assert got["wide"]["description"] == ""


def test_describe_gives_columns_types_and_descriptions(warehouse):
    doc = json.loads(_cli("describe", "marts.gangs", "--warehouse", str(warehouse), "--json").stdout)
    assert [(c["column"], c["type"], c["description"]) for c in doc["columns"]] == [
        ("gang_id", "BIGINT", "the gang's number"),
        ("label", "VARCHAR", ""),
    ]
    res = _cli("describe", "gang", "--warehouse", str(warehouse))
    assert res.exit_code == 2 and "did you mean" in res.stderr and "gangs" in res.stderr
