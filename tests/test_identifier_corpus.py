"""Every identifier rule agrees with itself on one corpus of edge cases: Python, GX SQL and the dbt macros.

The rulebook (``rules.identifiers``) renders each rule twice, as Python and as SQL; GX runs the SQL conditions
(``expectations.custom.SQL_CONDITIONS``) and staging runs the generated dbt macros. A disagreement is a
warehouse that links, validates or masks a value differently from GX, the vault or the evaluation.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import re
import subprocess
import sys
from collections.abc import Callable
from functools import reduce
from pathlib import Path
from typing import Any

import duckdb
import pandas as pd

from expectations.custom import SQL_CONDITIONS, install_sql_rules, parse_local_timestamp
from rules import identifiers as rules
from rules import sql_macros
from tests.identifier_corpus import GOOD_ID, TIMESTAMPS, VALUES

REPO = Path(__file__).resolve().parents[1]
DBT = Path(sys.executable).parent / "dbt"

# A rule applied to the corpus: the rulebook functions applied in turn (innermost first) to each raw value.
# Rules over a canonical value run over the raw value and over its canonical form, as staging composes them.
CHAINS: list[tuple[str, ...]] = [
    ("is_purged",),
    ("ascii_text",),
    ("normalise_text_id",),
    ("ascii_text", "normalise_text_id"),
    ("ascii_text", "normalise_text_id", "mask_id"),
    ("mask_name",),
    ("unless_purged",),
    ("normalise_id", "canonical_out"),
    ("normalise_phone", "canonical_out"),
    *[
        (*normalise, rule)
        for normalise, rules_of_kind in (
            (("normalise_phone",), ("phone_is_valid", "phone_is_mvno", "phone_kind", "mask_phone")),
            (("normalise_id",), ("id_is_valid", "id_birth_date", "mask_id")),
            (("normalise_card",), ("card_luhn_ok", "mask_card")),
            (("normalise_imei",), ("card_luhn_ok",)),
        )
        for rule in rules_of_kind
        for normalise in ((), normalise)
    ],
    ("normalise_phone",),
    ("normalise_id",),
    ("normalise_card",),
    ("normalise_imei",),
]
ID17 = re.compile(r"[0-9]{17}")


def _name(chain: tuple[str, ...]) -> str:
    return "__".join(chain)


def python_results() -> dict[str, list[Any]]:
    out: dict[str, list[Any]] = {}
    for chain in CHAINS:
        out[_name(chain)] = [reduce(lambda v, f: getattr(rules, f)(v), chain, value) for value in VALUES]
    out["id_check_char"] = [
        rules.id_check_char(v[:17]) if v is not None and ID17.fullmatch(v[:17]) else None for v in VALUES
    ]
    return out


def _corpus_db() -> duckdb.DuckDBPyConnection:
    con = duckdb.connect()
    con.execute("create table corpus (n integer, v varchar)")
    con.executemany("insert into corpus values (?, ?)", list(enumerate(VALUES)))
    return con


def _columns(con: duckdb.DuckDBPyConnection, select_list: str) -> dict[str, list[Any]]:
    rel = con.execute(f"select {select_list} from corpus order by n")
    names = [d[0] for d in rel.description]
    rows = rel.fetchall()
    return {name: [r[i] for r in rows] for i, name in enumerate(names)}


def _disagreements(expected: dict[str, list[Any]], got: dict[str, list[Any]], where: str) -> list[str]:
    out = []
    for name, values in expected.items():
        for value, want, have in zip(VALUES, values, got[name], strict=True):
            if want != have:
                out.append(f"{where}: {name}({value!r}) is {have!r}, Python says {want!r}")
    return out


def _check17(rule: Callable[[str], str]) -> str:
    return f"case when regexp_full_match(left(v, 17), '[0-9]{{17}}') then {rule('left(v, 17)')} end"


# ---- (a) the rulebook's own SQL --------------------------------------------------------------------
def test_the_rulebook_sql_agrees_with_its_python() -> None:
    r = rules.sql("duckdb")
    select = [f"{reduce(lambda e, f: getattr(r, f)(e), chain, 'v')} as {_name(chain)}" for chain in CHAINS]
    select.append(f"{_check17(r.id_check_char)} as id_check_char")
    con = _corpus_db()
    try:
        got = _columns(con, ",\n".join(select))
    finally:
        con.close()
    assert _disagreements(python_results(), got, "rulebook SQL") == []


# ---- (b) the GX path ---------------------------------------------------------------------------------
GX_RULES: dict[str, Callable[[str], bool]] = {
    "column_values.fraudbrain_valid_cn_id": rules.is_valid_id,
    "column_values.fraudbrain_valid_cn_mobile": rules.is_valid_phone,
    "column_values.fraudbrain_valid_card_no": rules.is_valid_card,
}
LIMIT = "2026-05-11 00:00:00"
TS_RULES: dict[str, Callable[[str], bool]] = {
    "column_values.fraudbrain_local_timestamp": lambda v: parse_local_timestamp(v) is not None,
    "column_values.fraudbrain_timestamp_not_after": lambda v: (
        (p := parse_local_timestamp(v)) is None or p <= dt.datetime.fromisoformat(LIMIT)
    ),
}


def test_gx_sql_conditions_agree_with_the_python_rules() -> None:
    """The predicates the DuckDB engine evaluates (no Python function per identifier value)."""
    values = [v for v in dict.fromkeys([*VALUES, *TIMESTAMPS]) if v is not None]
    con = duckdb.connect()
    install_sql_rules(con)
    functions = {r[0] for r in con.execute("select function_name from duckdb_functions()").fetchall()}
    assert not {f for f in functions if f.startswith("fb_py_valid")}, "identifier rules must be SQL"
    con.execute("create table v (v varchar)")
    con.executemany("insert into v values (?)", [[x] for x in values])
    wrong = []
    for metric, rule in {**GX_RULES, **TS_RULES}.items():
        predicate = SQL_CONDITIONS[metric]('"v"', max_value=LIMIT)
        got = dict(con.execute(f"select v, coalesce(({predicate}), false) from v").fetchall())
        wrong += [f"{metric}({v!r}) is {got[v]}" for v in values if got[v] != rule(v)]
    con.close()
    assert wrong == []


def test_a_gx_validation_flags_exactly_the_values_python_rejects(tmp_path: Path, monkeypatch) -> None:
    """Through GX itself (the suites, the Validator, the DuckDB execution engine): the lines each flag reports."""
    monkeypatch.setenv("GX_ANALYTICS_ENABLED", "false")
    from flows.ingest.validate import FAR_FUTURE, _run_suite, open_context
    from flows.settings import Settings
    from rules.contracts import table

    t = table("finance", "accounts")
    good = {c: "x" for c in t.columns}
    good.update(opened_at="2026-05-01 09:00:00", updated_at="2026-05-01 09:00:00")
    rows = [{**good, "card_no": v, "holder_id_no": v, "holder_phone": v, "_line": i + 1} for i, v in enumerate(VALUES)]
    con = duckdb.connect()
    con.register("frame", pd.DataFrame(rows, columns=[*t.columns, "_line"]))
    con.execute("create temp table batch as select * from frame")
    ctx = open_context(Settings(work_dir=tmp_path / "work"))
    params = {"min_rows": 0, "latest_event_time": FAR_FUTURE}
    result, _, _ = _run_suite(ctx, ctx.suites[t.raw_table], con, "batch", params)
    con.close()
    python = {
        "expect_column_values_to_be_valid_card_no": ("card_no", rules.is_valid_card),
        "expect_column_values_to_be_valid_cn_id": ("holder_id_no", rules.is_valid_id),
        "expect_column_values_to_be_valid_cn_mobile": ("holder_phone", rules.is_valid_phone),
    }
    seen = set()
    for r in result.results:
        cfg = r.expectation_config
        if cfg.type not in python:
            continue
        column, rule = python[cfg.type]
        assert cfg.kwargs["column"] == column
        assert not (r.exception_info or {}).get("raised_exception"), r.exception_info
        flagged = {int(x["_line"]) for x in r.result["unexpected_index_list"]}
        assert flagged == {i + 1 for i, v in enumerate(VALUES) if v is not None and not rule(v)}, cfg.type
        seen.add(cfg.type)
    assert seen == set(python)


# ---- (c) the dbt macros, compiled by dbt -------------------------------------------------------------
def _jinja(chain: tuple[str, ...]) -> str:
    return reduce(lambda e, f: f"fraudbrain.{f}({e})", chain, "'v'")


def _dbt_compile(sql: str, work: Path) -> str:
    env = {k: v for k, v in os.environ.items() if not k.startswith("FRAUDBRAIN_")}
    env.update(
        DBT_SEND_ANONYMOUS_USAGE_STATS="false",
        FRAUDBRAIN_WORK_DB=str(work / "work.duckdb"),
        FRAUDBRAIN_PII_KEY="corpus-test-key",
    )
    project = REPO / "dbt_project"
    cmd = [str(DBT), "compile", "--inline", sql, "--output", "json", "--quiet"]
    cmd += ["--project-dir", str(project), "--profiles-dir", str(project)]
    cmd += ["--target-path", str(work / "target"), "--log-path", str(work / "logs")]
    done = subprocess.run(cmd, cwd=REPO, env=env, capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stdout[-4000:] + done.stderr[-4000:]
    return json.loads(done.stdout)["compiled"]


def test_the_dbt_macros_agree_with_the_python_rules(tmp_path: Path) -> None:
    select = [f"{{{{ {_jinja(chain)} }}}} as {_name(chain)}" for chain in CHAINS]
    check = _check17(lambda e: "{{ fraudbrain.id_check_char(" + repr(e) + ") }}")
    select.append(f"{check} as id_check_char")
    compiled = _dbt_compile("select " + ",\n".join(select) + " from corpus order by n", tmp_path)
    assert "pii_token" not in compiled and "fb_py_" not in compiled
    con = _corpus_db()
    try:
        rel = con.execute(compiled)
        names = [d[0] for d in rel.description]
        rows = rel.fetchall()
    finally:
        con.close()
    got = {name: [r[i] for r in rows] for i, name in enumerate(names)}
    assert _disagreements(python_results(), got, "dbt") == []


def test_the_committed_macros_are_what_the_rulebook_generates() -> None:
    assert sql_macros.OUT.read_text(encoding="utf-8") == sql_macros.render(), "run: python -m rules.sql_macros"


# ---- the corpus itself covers what the contracts and the choices name --------------------------------
def test_the_corpus_decides_the_named_disagreements() -> None:
    """Separators the contracts do not name, and birth years outside 1900-2099, make a value invalid."""
    assert not rules.is_valid_phone("139/1234/5678") and rules.is_valid_phone("139-1234-5678")
    assert not rules.is_valid_card("6222/0212/3456/7890/128") and rules.is_valid_card("6222-0212-3456-7890-128")
    assert rules.is_valid_id("420922-19900307-2314") and not rules.is_valid_id("420922/19900307/2314")
    born = {
        year: rules.normalise_id(f"420922{year}0101123" + rules.id_check_char(f"420922{year}0101123"))
        for year in (1800, 1899, 1900, 2099, 2100)
    }
    assert {y: rules.id_is_valid(c) for y, c in born.items()} == {
        1800: False,
        1899: False,
        1900: True,
        2099: True,
        2100: False,
    }
    assert {v for v in VALUES if v and v.startswith("4209221800")} and GOOD_ID in VALUES
    assert None in VALUES and "" in VALUES and any(v and rules.is_purged(v) for v in VALUES)
