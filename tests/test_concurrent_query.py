"""Analysts query the published warehouse while a run rebuilds it: always an answer, old or new, never a mix."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
import time

import duckdb

READER = textwrap.dedent(
    """
    import json, sys, time
    import duckdb
    path, stop_file = sys.argv[1], sys.argv[2]
    import os
    while not os.path.exists(stop_file):
        try:
            con = duckdb.connect(path, read_only=True)
            try:
                row = con.execute(
                    "select (select max(run_id) from audit.runs where status = 'success'), "
                    "(select count(*) from audit.runs), (select count(*) from marts.fct_cases)"
                ).fetchone()
            finally:
                con.close()
            print(json.dumps({"ok": True, "run": row[0], "runs": row[1], "cases": row[2]}), flush=True)
        except Exception as exc:
            print(json.dumps({"ok": False, "error": str(exc)}), flush=True)
        time.sleep(0.05)
    """
)


def _snapshot(path) -> tuple:
    con = duckdb.connect(str(path), read_only=True)
    try:
        return con.execute(
            "select (select max(run_id) from audit.runs where status = 'success'), (select count(*) from audit.runs), "
            "(select count(*) from marts.fct_cases)"
        ).fetchone()
    finally:
        con.close()


def test_queries_during_a_rebuild_answer_from_the_old_or_the_new_snapshot(demo_run, tmp_path):
    from flows.pipeline import pipeline

    settings, _ = demo_run
    old = _snapshot(settings.warehouse)
    stop = tmp_path / "stop"
    reader = subprocess.Popen(
        [sys.executable, "-c", READER, str(settings.warehouse), str(stop)], stdout=subprocess.PIPE, text=True
    )
    try:
        time.sleep(1.0)
        summary = pipeline(settings, full_refresh=True)
        assert summary.built
        time.sleep(1.0)
    finally:
        stop.write_text("stop")
        out, _ = reader.communicate(timeout=60)
    new = _snapshot(settings.warehouse)
    assert new[0] != old[0], "the rebuild published a new snapshot"
    answers = [json.loads(line) for line in out.splitlines()]
    assert len(answers) > 20, "the reader kept querying throughout the run"
    errors = [a["error"] for a in answers if not a["ok"]]
    assert errors == []
    seen = {(a["run"], a["runs"], a["cases"]) for a in answers}
    assert seen <= {tuple(old), tuple(new)}, "every answer is wholly the old or wholly the new snapshot"
    assert tuple(new) in seen, "the reader saw the new snapshot once it was published"
