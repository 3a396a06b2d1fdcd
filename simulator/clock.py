"""Simulation time and random streams.

Time is an integer number of seconds since midnight of the world's epoch day, local time of China
(naive). Every random stream is derived from (seed, purpose, day...) so that a day's output never
depends on how a range of days is split over calls.
"""

from __future__ import annotations

import hashlib
from datetime import date, datetime, timedelta
from functools import lru_cache

import numpy as np

DAY = 86_400
HMS: list[str] = [f"{s // 3600:02d}:{s // 60 % 60:02d}:{s % 60:02d}" for s in range(DAY)]


def rng_for(seed: int, *keys: object) -> np.random.Generator:
    """An independent random generator for one purpose (e.g. seed, "calls", day index)."""
    text = "|".join([str(seed), *(str(k) for k in keys)])
    digest = hashlib.sha256(text.encode()).digest()
    return np.random.Generator(np.random.PCG64(int.from_bytes(digest[:16], "little")))


class Clock:
    """Converts simulation seconds to the text forms of the three sources."""

    def __init__(self, epoch: date) -> None:
        self.epoch = epoch

    @lru_cache(maxsize=100_000)  # noqa: B019 - a handful of clocks live for a run
    def day_str(self, day: int) -> str:
        return (self.epoch + timedelta(days=day)).isoformat()

    def date_of(self, day: int) -> date:
        return self.epoch + timedelta(days=day)

    def day_index(self, d: date) -> int:
        return (d - self.epoch).days

    def ts(self, t: int) -> str:
        """Naive local `YYYY-MM-DD HH:MM:SS` (telecom, police)."""
        return f"{self.day_str(t // DAY)} {HMS[t % DAY]}"

    def iso(self, t: int) -> str:
        """ISO 8601 with offset (finance)."""
        return f"{self.day_str(t // DAY)}T{HMS[t % DAY]}+08:00"

    def dt(self, t: int) -> datetime:
        return datetime.combine(self.epoch, datetime.min.time()) + timedelta(seconds=int(t))

    def ts_many(self, t: np.ndarray) -> list[str]:
        days = (t // DAY).tolist()
        secs = (t % DAY).tolist()
        ds = self.day_str
        return [f"{ds(d)} {HMS[s]}" for d, s in zip(days, secs, strict=True)]

    def iso_many(self, t: np.ndarray) -> list[str]:
        days = (t // DAY).tolist()
        secs = (t % DAY).tolist()
        ds = self.day_str
        return [f"{ds(d)}T{HMS[s]}+08:00" for d, s in zip(days, secs, strict=True)]


def money(cents: int) -> str:
    """Yuan with two decimals from integer cents."""
    return f"{cents // 100}.{cents % 100:02d}"


# Relative call volume by hour of day (daily rhythm).
HOUR_WEIGHTS = np.array(
    [
        0.3,
        0.15,
        0.1,
        0.08,
        0.1,
        0.3,
        1.0,
        2.5,
        4.5,
        6.0,
        6.5,
        6.0,
        4.5,
        4.0,
        5.0,
        5.8,
        6.0,
        6.2,
        5.5,
        6.0,
        6.3,
        5.0,
        3.0,
        1.2,
    ]
)
HOUR_P = HOUR_WEIGHTS / HOUR_WEIGHTS.sum()


def times_of_day(rng: np.random.Generator, n: int, hour_p: np.ndarray = HOUR_P) -> np.ndarray:
    """Seconds within a day following the daily rhythm."""
    hours = rng.choice(24, size=n, p=hour_p)
    return hours * 3600 + rng.integers(0, 3600, size=n)
