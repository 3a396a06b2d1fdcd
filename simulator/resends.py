"""Records sent again in a later batch (the contract: "the later batch wins").

- copies: call records and transactions re-sent 1-7 days later as exact copies, and some transactions
  re-sent with `status` turned from `success` to `reversed` (a late correction of the status);
- late corrections: a subscriber row first sent with a mistyped holder ID, or an account whose line was
  cut by a truncated export, is sent again later with its full state as of the later day.

What is to be re-sent is decided on the day of the first sending and written to the truth
(`days/date=…/resent.jsonl`); the later day reads it back from there, so the output is the same however
the days are split over calls.
"""

from __future__ import annotations

import re
from collections import defaultdict
from pathlib import Path

import numpy as np

from simulator import truth as T
from simulator.clock import Clock, rng_for
from simulator.defects import pick

MAX_LAG = 7
Row = dict[str, object]


def _lag(rng: np.random.Generator) -> int:
    return int(rng.integers(1, MAX_LAG + 1))


def plan_copies(
    seed: int,
    clock: Clock,
    where: tuple[str, str, int],
    keyed_lines: tuple[list[str], list[str]],
    rate: float,
    reversed_share: float = 0.0,
) -> list[Row]:
    """Lines of one file of `day` (source, file, day) to send again, as exact or reversed copies."""
    source, file, day = where
    keys, lines = keyed_lines
    rng = rng_for(seed, "resend", file, day)
    out: list[Row] = []
    for j in pick(rng, len(keys), rate).tolist():
        line, kind = lines[j], "resent"
        if reversed_share > 0 and rng.random() < reversed_share and '"status":"success"' in line:
            line, kind = line.replace('"status":"success"', '"status":"reversed"'), "resent_reversed"
        out.append(_row(clock, source, file, day, keys[j], kind, line, _lag(rng)))
    return out


def plan_corrections(seed: int, clock: Clock, where: tuple[str, str, int], keys: list[str], share: float) -> list[Row]:
    """Records of one file of `day` to send again later with their state as of that later day."""
    source, file, day = where
    rng = rng_for(seed, "correction", file, day)
    return [
        _row(clock, source, file, day, key, "late_correction", None, _lag(rng))
        for key in keys
        if share > 0 and rng.random() < share
    ]


def _row(clock: Clock, source: str, file: str, day: int, key: str, kind: str, line: str | None, lag: int) -> Row:
    return {
        "source": source,
        "file": file,
        "key": key,
        "kind": kind,
        "first_batch": clock.day_str(day),
        "resend_batch": clock.day_str(day + lag),
        "line": line,
    }


def due(truth: Path, clock: Clock, day: int) -> dict[str, list[Row]]:
    """The re-sends planned on earlier days for `day`, by file, in planning order."""
    batch = clock.day_str(day)
    out: dict[str, list[Row]] = defaultdict(list)
    for d in range(max(0, day - MAX_LAG), day):
        for r in T.read_day(truth, clock.day_str(d), "resent"):
            if r["resend_batch"] == batch:
                out[str(r["file"])].append(r)
    return out


def plain_msisdn(number: str) -> str:
    """The 11-digit number of a subscriber key written as +86…, with spaces or hyphens."""
    return re.sub(r"\D", "", number)[-11:]


def defects_of(batch: str, due_rows: list[Row], first_line: int) -> list[Row]:
    """Truth defects for re-sent lines appended at physical line `first_line` onwards."""
    return [
        {
            "source": r["source"],
            "batch": batch,
            "file": r["file"],
            "line": first_line + i,
            "key": r["key"],
            "kind": r["kind"],
            "first_batch": r["first_batch"],
        }
        for i, r in enumerate(due_rows)
    ]
