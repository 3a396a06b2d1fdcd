"""A long-lived dbt process: parse the project once, then run each command a pipeline asks for.

A run asks dbt for four commands (three layers and the docs). As separate processes each paid for
Python start-up, dbt's imports and a (partial) parse, about 8 s apiece, more than the models themselves
on a day's data. This worker pays that once per run and keeps the parsed manifest between commands.

Protocol: one JSON request per line on stdin (``{"args": [...]}``), one JSON answer per line on the file
descriptor named by ``argv[1]`` (dbt prints to stdout; the answers need a channel of their own). The
worker exits when stdin closes, so it never outlives the pipeline that started it.

Between commands the worker closes dbt-duckdb's database environment: DuckDB lets one process hold a file,
and the pipeline opens the working database itself (vault, publish) between dbt commands.
"""

from __future__ import annotations

import gc
import json
import os
import sys
from typing import Any

# dbt's event messages at these levels make the failure summary a user reads
_KEPT_LEVELS = {"info", "warn", "error"}
_MAX_MESSAGES = 400


def _release_database() -> None:
    """Close dbt-duckdb's environment (its DuckDB instance) so another process may open the file."""
    from dbt.adapters.duckdb.connections import DuckDBConnectionManager
    from dbt.adapters.factory import reset_adapters

    reset_adapters()
    with DuckDBConnectionManager._LOCK:
        env = DuckDBConnectionManager._ENV
        DuckDBConnectionManager._ENV = None
    if env is not None:
        env.close()
    gc.collect()


def _node_statuses(result: Any) -> dict[str, str]:
    statuses: dict[str, str] = {}
    for r in getattr(result, "results", None) or []:
        node = getattr(r, "node", None)
        if node is not None:
            statuses[node.unique_id] = str(getattr(r.status, "value", r.status))
    return statuses


class Worker:
    """Runs dbt commands in this process, reusing one parsed manifest."""

    def __init__(self) -> None:
        from dbt.cli.main import dbtRunner

        self._runner_cls = dbtRunner
        self._manifest: Any = None
        self._messages: list[str] = []

    def _collect(self, event: Any) -> None:
        info = event.info
        if info.level in _KEPT_LEVELS and info.msg:
            self._messages.append(info.msg)
            del self._messages[:-_MAX_MESSAGES]

    def run(self, args: list[str]) -> dict[str, Any]:
        self._messages = []
        try:
            if self._manifest is None:
                self._parse(args)
            runner = self._runner_cls(manifest=self._manifest, callbacks=[self._collect])
            res = runner.invoke(args)
            return {
                "success": bool(res.success),
                "nodes": _node_statuses(res.result),
                "elapsed_s": float(getattr(res.result, "elapsed_time", 0.0) or 0.0),
                "exception": None if res.exception is None else f"{type(res.exception).__name__}: {res.exception}",
                "messages": self._messages,
            }
        finally:
            _release_database()

    def _parse(self, args: list[str]) -> None:
        """Parse once with the command's project, profiles and target paths; keep the manifest."""
        keep = {"--project-dir", "--profiles-dir", "--target-path", "--log-path"}
        paths = [a for i, a in enumerate(args) if a in keep or (i and args[i - 1] in keep)]
        res = self._runner_cls(callbacks=[self._collect]).invoke(["parse", *paths])
        if not res.success:
            raise RuntimeError(f"dbt parse failed: {res.exception}\n" + "\n".join(self._messages[-30:]))
        self._manifest = res.result


def main() -> int:
    answers = os.fdopen(int(sys.argv[1]), "w", buffering=1)
    worker = Worker()
    for line in sys.stdin:
        if not line.strip():
            continue
        request = json.loads(line)
        try:
            answer = worker.run(list(request["args"]))
        except Exception as exc:  # an answer, not a dead worker: the caller raises it as DbtFailed
            answer = {"success": False, "nodes": {}, "elapsed_s": 0.0, "exception": repr(exc), "messages": []}
        answers.write(json.dumps(answer) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
