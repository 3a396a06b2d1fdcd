"""Is a delta file's row count plausible? A count model per table, judged against the file's own history.

The reference is the table's recent loaded deltas (never the initial load, never a held or replaced file):
their median is the expected level ``m``; their spread (1.4826 × MAD) beyond what Poisson noise explains is the
extra dispersion, floored at ``volume_min_cv``. The count is modelled as negative binomial with mean ``m`` and
variance ``m + (cv·m)²`` (Poisson when ``cv`` is 0), and a file is implausible when
``P(X <= observed | m, cv)`` is below ``volume_hold_p``. A level below ``volume_min_level`` is never judged:
a zero in a trickle (three new SIMs a day) is a quiet day, not a collapse. Only the lower tail is judged: a
busy day is data.

On the simulated worlds the daily volume shows no day-of-week pattern (calls and transactions are as many on
a Sunday as on a Tuesday), so the level is one median, not one per weekday.

What an implausible count does (hold the file alone, or only raise an alert) is the table's setting
(``volume_hold_tables``); flows/ingest/extract/files.py applies it.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from statistics import median

import duckdb

from flows.settings import Settings

# Consistency constant of the MAD for a normal spread.
_MAD_TO_SD = 1.4826
# Below this extra dispersion the model is Poisson: the NB's lgamma(x + r) - lgamma(r) loses its digits as
# r = 1/cv² grows (at cv 1e-6 the tail is off by 2e-4 relative), and the two differ by less than cv².
_POISSON_CV = 1e-4
# Stop summing a tail once a term is this small against the sum (double precision).
_NEGLIGIBLE = 1e-17


def _log_pmf(x: int, mean: float, cv: float) -> float:
    if cv < _POISSON_CV:
        return x * math.log(mean) - mean - math.lgamma(x + 1)
    r = 1.0 / (cv * cv)  # shape: variance = mean + mean² / r
    p = r / (r + mean)
    return math.lgamma(x + r) - math.lgamma(r) - math.lgamma(x + 1) + r * math.log(p) + x * math.log1p(-p)


def _sum_from(start: int, step: int, mean: float, cv: float) -> float:
    """Sum of the pmf from ``start`` in direction ``step`` (−1 down to 0, +1 up) until the terms vanish."""
    total, x = 0.0, start
    while x >= 0:
        term = math.exp(_log_pmf(x, mean, cv))
        total += term
        if term == 0.0 or term <= total * _NEGLIGIBLE:  # the terms only shrink from here
            break
        x += step
    return total


def lower_tail(k: int, mean: float, cv: float = 0.0) -> float:
    """``P(X <= k)`` for X negative binomial of ``mean`` and extra coefficient of variation ``cv`` (Poisson at 0).

    Summed from ``k`` away from the mode (below the mean) or as one minus the upper tail (at or above it), so
    each sum runs over terms that shrink geometrically.
    """
    if k < 0:
        return 0.0
    if mean <= 0:
        return 1.0
    if k < mean:
        return min(1.0, _sum_from(k, -1, mean, cv))
    return max(0.0, 1.0 - _sum_from(k + 1, +1, mean, cv))


def plausible_floor(mean: float, cv: float, p: float) -> int:
    """The smallest count ``c`` with ``P(X <= c) >= p``: every count below it is implausible.

    Accumulated upwards from 0 (the tail below the floor is tiny, the walk ends well below the mean).
    """
    total, x, top = 0.0, 0, max(1, math.ceil(mean))
    while x < top:
        total += math.exp(_log_pmf(x, mean, cv))
        if total >= p:
            return x
        x += 1
    return top


@dataclass(frozen=True)
class Level:
    """A table's recent level: what its history makes plausible."""

    mean: float  # median of the recent deltas
    cv: float  # extra dispersion used (at least the floor setting)
    history: int  # deltas it stands on


@dataclass(frozen=True)
class Verdict:
    observed: int
    level: Level | None  # None: not judged (no reference yet, or a trickle)
    p_lower: float | None  # P(X <= observed | level)
    floor: int  # smallest plausible count (0 when not judged): the GX row-count expectation's min_value
    threshold: float

    @property
    def implausible(self) -> bool:
        return self.observed < self.floor

    def describe(self) -> str:
        if self.level is None or self.p_lower is None:
            return f"{self.observed} rows (not judged: no reference level)"
        lv = self.level
        return (
            f"{self.observed} rows where the last {lv.history} deltas make about {lv.mean:.0f} expected: "
            f"P(<= {self.observed}) = {self.p_lower:.1e}, below {self.threshold:g}"
        )


def level_of(counts: list[int], min_cv: float) -> Level:
    m = float(median(counts))
    mad = float(median(abs(c - m) for c in counts))
    sd = _MAD_TO_SD * mad
    extra = math.sqrt(max(0.0, sd * sd - m)) / m if m > 0 else 0.0
    return Level(m, max(min_cv, extra), len(counts))


def recent_deltas(
    con: duckdb.DuckDBPyConnection, source: str, table_name: str, before_batch: str, history: int
) -> list[int]:
    """Rows read of the table's last ``history`` loaded delta files before ``before_batch``.

    Loaded only (a held, refused, replaced or released file is never a reference); deltas only (the initial
    load is never the reference).
    """
    rows = con.execute(
        """select l.rows_read from audit.load_ledger l
           join audit.batches b on b.source = l.source and b.batch = l.batch and b.delivery_id = l.delivery_id
           where l.source = ? and l.table_name = ? and l.status = 'loaded' and b.kind = 'delta' and l.batch < ?
           order by l.batch desc limit ?""",
        [source, table_name, before_batch, history],
    ).fetchall()
    return [int(r[0]) for r in rows]


def judge_counts(observed: int, counts: list[int], settings: Settings) -> Verdict:
    """The verdict on ``observed`` against the recent delta ``counts`` (newest first or any order)."""
    none = Verdict(observed, None, None, 0, settings.volume_hold_p)
    if len(counts) < settings.volume_min_history:
        return none
    level = level_of(counts, settings.volume_min_cv)
    if level.mean < settings.volume_min_level:
        return none
    p = lower_tail(observed, level.mean, level.cv)
    floor = plausible_floor(level.mean, level.cv, settings.volume_hold_p)
    return Verdict(observed, level, p, floor, settings.volume_hold_p)


def judge(
    con: duckdb.DuckDBPyConnection, settings: Settings, source: str, table_name: str, batch: str, observed: int
) -> Verdict:
    counts = recent_deltas(con, source, table_name, batch, settings.volume_history)
    return judge_counts(observed, counts, settings)


def holds(settings: Settings, source: str, table_name: str) -> bool:
    """Whether an implausible count of this table holds its file (else it only raises an alert)."""
    return f"{source}.{table_name}" in settings.volume_hold_tables
