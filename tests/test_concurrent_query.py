"""Analysts query the published warehouse while a run rebuilds it: always an answer, old or new, never a mix."""

from __future__ import annotations

import json
import subprocess
import sys
import threading
import time

import duckdb

SNAPSHOT_SQL = (
    "select (select max(run_id) from audit.runs where status = 'success'), (select count(*) from audit.runs), "
    "(select count(*) from marts.fct_cases)"
)
ONE_QUERY = (
    "import duckdb, json, sys\n"
    "con = duckdb.connect(sys.argv[1], read_only=True)\n"
    f"print(json.dumps(con.execute({SNAPSHOT_SQL!r}).fetchone()))\n"
)


def _snapshot(path) -> tuple:
    con = duckdb.connect(str(path), read_only=True)
    try:
        return tuple(con.execute(SNAPSHOT_SQL).fetchone())
    finally:
        con.close()


def _query_until(path, stop: threading.Event, answers: list) -> None:
    """An analyst's client, again and again: a new process and connection for every query."""
    while not stop.is_set():
        proc = subprocess.run([sys.executable, "-c", ONE_QUERY, str(path)], capture_output=True, text=True)
        answers.append((proc.returncode, proc.stdout.strip(), proc.stderr.strip()[-300:]))


def test_queries_during_a_rebuild_answer_from_the_old_or_the_new_snapshot(demo_run):
    from flows.pipeline import pipeline

    settings, _ = demo_run
    old = _snapshot(settings.warehouse)
    stop, answers = threading.Event(), []
    reader = threading.Thread(target=_query_until, args=(settings.warehouse, stop, answers))
    reader.start()
    try:
        summary = pipeline(settings, full_refresh=True)
        assert summary.built
        published = len(answers)
        deadline = time.monotonic() + 60
        while len(answers) < published + 3 and time.monotonic() < deadline:
            time.sleep(0.2)
    finally:
        stop.set()
        reader.join(timeout=120)
    new = _snapshot(settings.warehouse)
    assert new[0] != old[0], "the rebuild published a new snapshot"
    assert len(answers) > 10, "the client kept querying throughout the run"
    errors = [err for code, _, err in answers if code != 0]
    assert errors == []
    seen = {tuple(json.loads(out)) for _, out, _ in answers}
    assert seen <= {old, new}, "every answer is wholly the old or wholly the new snapshot"
    assert new in seen, "queries after the publish see the new snapshot"
