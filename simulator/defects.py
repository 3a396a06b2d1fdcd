"""The known defects of the contracts, injected at configurable rates and recorded for the truth.

Each injector returns defect records: {"source", "batch", "file" | "table", "line" | "key", "kind", ...}.
Line numbers are physical lines of the stored (decompressed) file, header = line 1 for telecom text.
"""

from __future__ import annotations

import numpy as np

from simulator.clock import DAY
from simulator.ids import bad_holder_id, phone_variant

Defect = dict[str, object]


def pick(rng: np.random.Generator, n: int, rate: float) -> np.ndarray:
    """A deterministic random subset of range(n) of expected size rate * n, sorted."""
    if n == 0 or rate <= 0:
        return np.array([], dtype=np.int64)
    k = int(rng.binomial(n, min(rate, 1.0)))
    return np.sort(rng.choice(n, size=k, replace=False))


# ---- telecom ----------------------------------------------------------------------------------


def subscriber_defects(
    rng: np.random.Generator, rows: list[list[str]], bad_id_rate: float, pipe_rate: float, format_rate: float
) -> list[tuple[int, str]]:
    """Mutate subscriber rows in place; returns (row index, kind)."""
    out: list[tuple[int, str]] = []
    for i in pick(rng, len(rows), bad_id_rate).tolist():
        k = int(rng.integers(3))
        rows[i][3] = bad_holder_id(rows[i][3], k)
        out.append((i, ["id_check_char", "id_birth_date", "id_15_digit"][k]))
    for i in pick(rng, len(rows), pipe_rate).tolist():
        name = rows[i][4]
        rows[i][4] = name[:1] + "|" + name[1:]
        out.append((i, "pipe_in_name"))
    for i in pick(rng, len(rows), format_rate).tolist():
        rows[i][0] = phone_variant(rows[i][0], int(rng.integers(1, 4)))
        out.append((i, "msisdn_format"))
    return out


def late_and_future(
    rng: np.random.Generator, t: np.ndarray, day: int, late_rate: float, future_rate: float
) -> dict[int, str]:
    """Move some records' times 1-7 days back (late records) or past the batch date."""
    out: dict[int, str] = {}
    for i in pick(rng, len(t), late_rate).tolist():
        back = int(rng.integers(1, 8))
        if day - back >= 0:
            t[i] -= back * DAY
            out[i] = "late_record"
    for i in pick(rng, len(t), future_rate).tolist():
        if i not in out:
            t[i] += int(rng.integers(1, 4)) * DAY
            out[i] = "start_after_batch"
    return out


def number_formats(rng: np.random.Generator, numbers: np.ndarray, rate: float) -> list[int]:
    """Rewrite some mobile numbers as +86…, '86 139 1234 5678' or 139-1234-5678."""
    out = []
    for i in pick(rng, len(numbers), rate).tolist():
        v = numbers[i]
        if isinstance(v, str) and len(v) == 11 and v.startswith("1"):
            numbers[i] = phone_variant(v, int(rng.integers(1, 4)))
            out.append(i)
    return out


def negative_durations(rng: np.random.Generator, dur: np.ndarray, rate: float) -> list[int]:
    idx = pick(rng, len(dur), rate)
    dur[idx] = -np.maximum(dur[idx], 1)
    return idx.tolist()


def duplicates(rng: np.random.Generator, n: int, rate: float) -> np.ndarray:
    """Row indices to send twice (the copy is appended later in the same batch)."""
    return pick(rng, n, rate)


# ---- finance ----------------------------------------------------------------------------------


def amount_defects(rng: np.random.Generator, amounts: list[str], sep_rate: float, bad_rate: float) -> dict[int, str]:
    out: dict[int, str] = {}
    for i in pick(rng, len(amounts), sep_rate).tolist():
        whole, cents = amounts[i].split(".")
        if len(whole) > 3:
            amounts[i] = f"{int(whole):,}.{cents}"
            out[i] = "amount_separator"
    for i in pick(rng, len(amounts), bad_rate).tolist():
        amounts[i] = ["NaN", amounts[i] + "元", "--", amounts[i].replace(".", "..")][int(rng.integers(4))]
        out[i] = "amount_unparseable"
    return out


def ts_defects(rng: np.random.Generator, ts: list[str], rate: float) -> dict[int, str]:
    out: dict[int, str] = {}
    for i in pick(rng, len(ts), rate).tolist():
        if rng.random() < 0.5:
            ts[i] = ts[i][:-6]
            out[i] = "ts_no_offset"
        else:
            ts[i] = ts[i].replace("T", " ")
            out[i] = "ts_space"
    return out
