"""Telecom source: SIM registrations (subscribers.csv), call records (cdr.csv.gz), cells (cells.csv)."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from simulator import refdata as R
from simulator.clock import DAY, rng_for, times_of_day
from simulator.fraud import FraudCall
from simulator.lines import Lazy
from simulator.world import COUNTY_CODES, World, positions

SUBSCRIBER_COLS = [
    "msisdn",
    "imsi",
    "carrier",
    "holder_id_no",
    "holder_name",
    "activated_at",
    "outlet_id",
    "region_code",
    "status",
    "status_changed_at",
]
CDR_COLS = ["call_id", "caller", "callee", "start_time", "duration_s", "cell_id", "imei"]
CELL_COLS = ["cell_id", "region_code", "lon", "lat"]


CALL_COLUMNS = ("t", "caller", "callee", "dur", "cell", "imei")


@dataclass
class Calls:
    """One day's call records as columns (before defects and ids)."""

    t: np.ndarray  # int64 seconds
    caller: np.ndarray  # object
    callee: np.ndarray  # object
    dur: np.ndarray  # int64
    cell: np.ndarray  # int64, -1 none
    imei: np.ndarray  # object, "" none
    fraud: list[FraudCall | None]  # aligned: the planted call or None

    def __len__(self) -> int:
        return len(self.t)

    def part(self, a: int, b: int) -> Calls:
        return Calls(
            self.t[a:b],
            self.caller[a:b],
            self.callee[a:b],
            self.dur[a:b],
            self.cell[a:b],
            self.imei[a:b],
            self.fraud[a:b],
        )

    def reorder(self, idx: np.ndarray) -> None:
        """Put the records in the order `idx`, a column at a time (a day's calls are not held twice)."""
        for k in CALL_COLUMNS:
            setattr(self, k, getattr(self, k)[idx])
        self.fraud = [self.fraud[i] for i in idx.tolist()]

    def take(self, idx: np.ndarray) -> Calls:
        return Calls(
            self.t[idx],
            self.caller[idx],
            self.callee[idx],
            self.dur[idx],
            self.cell[idx],
            self.imei[idx],
            [self.fraud[i] for i in idx.tolist()],
        )


# ---- subscribers ------------------------------------------------------------------------------


def _sim_status_until(w: World, day: int) -> dict[int, tuple[int, int]]:
    """Last (status, time) of every SIM with events up to the end of `day`."""
    state: dict[int, tuple[int, int]] = {}
    for d in sorted(k for k in w.sim_events if k <= day):
        for t, s, status in w.sim_events[d]:
            state[s] = (status, t)
    return state


def subscriber_rows(w: World, day: int, initial: bool) -> Lazy[list[str]]:
    """Full current state of the SIMs activated or changed on `day` (all live SIMs when initial), made a
    range at a time when written."""
    end = (day + 1) * DAY
    state = _sim_status_until(w, day)
    if initial:
        live = np.flatnonzero(w.s_act < end)
        sims = live[~np.isin(live, [s for s, (status, _) in state.items() if status == 3])]
    else:
        new = np.flatnonzero((w.s_act >= day * DAY) & (w.s_act < end)).tolist()
        changed = [s for _, s, _ in w.sim_events.get(day, [])]
        sims = np.array(sorted(set(new) | {s for s in changed if w.s_act[s] < end}), dtype=np.int64)
    # in (activated_at, msisdn) order, as the rows' text would sort: the time text sorts as the time does
    ordered = sims[np.lexsort((w.s_msisdn[sims].astype(str), w.s_act[sims]))] if len(sims) else sims
    return Lazy(len(ordered), lambda a, b: [_subscriber_row(w, s, state) for s in ordered[a:b].tolist()])


def subscriber_rows_of(w: World, day: int, msisdns: list[str]) -> list[list[str]]:
    """Full state at the end of `day` of the given numbers' SIMs (a late correction re-sends them)."""
    if not msisdns:
        return []
    state = _sim_status_until(w, day)
    index = positions(w.s_msisdn, msisdns)
    return [_subscriber_row(w, index[m], state) for m in msisdns]


def _subscriber_row(w: World, s: int, state: dict[int, tuple[int, int]]) -> list[str]:
    holder = int(w.s_holder[s])
    status, changed_at = state.get(s, (1, None))  # type: ignore[assignment]
    ts = w.clock.ts
    return [
        str(w.s_msisdn[s]),
        str(w.s_imsi[s]),
        str(w.s_carrier[s]),
        str(w.id_no[holder]),
        str(w.name[holder]),
        ts(int(w.s_act[s])),
        str(w.s_outlet[s]),
        str(w.s_region[s]),
        str(status),
        ts(changed_at) if changed_at is not None else "",
    ]


def cell_rows(w: World, day: int, initial: bool) -> list[list[str]]:
    mask = (w.cell_added <= day) if initial else (w.cell_added == day)
    return [
        [w.cell_id[i], COUNTY_CODES[w.cell_county[i]], f"{w.cell_lon[i]:.6f}", f"{w.cell_lat[i]:.6f}"]
        for i in np.flatnonzero(mask).tolist()
    ]


# ---- call records -----------------------------------------------------------------------------


def _external_numbers(rng: np.random.Generator, k: int) -> np.ndarray:
    prefixes = np.array(R.CARRIER_PREFIXES["CMCC"] + R.CARRIER_PREFIXES["CTCC"], dtype=object)
    pre = rng.choice(prefixes, size=k)
    tail = rng.integers(0, 10**8, size=k)
    nums = [f"{p}{t:08d}" for p, t in zip(pre.tolist(), tail.tolist(), strict=True)]
    service = rng.random(k) < 0.25
    svc = rng.choice(np.array(R.SERVICE_NUMBERS, dtype=object), size=k)
    return np.where(service, svc, np.array(nums, dtype=object))


def normal_calls(w: World, day: int) -> Calls:
    """Calls between acquaintances, with businesses and services, following the daily rhythm."""
    rng = rng_for(w.seed, "calls", day)
    holders = np.flatnonzero(w.activity > 0)
    src = np.repeat(holders, rng.poisson(w.activity[holders] * w.config.calls_per_person_day))
    m = len(src)
    kind = rng.choice(5, size=m, p=[0.28, 0.44, 0.06, 0.07, 0.15])  # family friend service merchant random
    clan = w.clan[src]
    family = w.clan_start[clan] + (rng.random(m) * w.clan_size[clan]).astype(np.int64)
    friend = w.contacts[src, rng.integers(0, w.contacts.shape[1], size=m)].astype(np.int64)
    callee_p = np.select(
        [kind == 0, kind == 1, kind == 3, kind == 4],
        [family, friend, rng.choice(w.merchants, size=m), rng.choice(holders, size=m)],
        -1,
    )
    bad = (kind == 0) & ((family == src) | (w.sim[family] < 0))
    callee_p[bad] = friend[bad]
    del family, clan, bad  # a day's temporaries are dropped as soon as done with
    callee_p = np.where((kind != 2) & (callee_p < 0), rng.choice(holders, size=m), callee_p)
    callee = np.where(
        kind == 2,
        rng.choice(np.array(R.SERVICE_NUMBERS, dtype=object), size=m),
        w.s_msisdn[w.sim[np.maximum(callee_p, 0)]],
    )
    del callee_p, kind
    caller = w.s_msisdn[w.sim[src]]
    cell = np.where(rng.random(m) < 0.85, w.cell[src], w.cell[np.maximum(friend, 0)]).astype(np.int64)
    del friend
    imei = w.s_imei[w.sim[src]]
    # calls received from outside (other networks, services)
    k = int(m * 0.08)
    ext_to = rng.choice(holders, size=k)
    caller = np.concatenate([caller, _external_numbers(rng, k)])
    callee = np.concatenate([callee, w.s_msisdn[w.sim[ext_to]]])
    cell = np.concatenate([cell, w.cell[ext_to].astype(np.int64)])
    imei = np.concatenate([imei, w.s_imei[w.sim[ext_to]]])
    n = m + k
    t = day * DAY + times_of_day(rng, n)
    dur = np.clip(rng.lognormal(np.log(55), 1.0, size=n), 1, 5400).astype(np.int64)
    courier = np.concatenate([np.isin(src, w.couriers), np.zeros(k, dtype=bool)])
    del src
    dur = np.where(courier, rng.integers(8, 60, size=n), dur)
    dur = np.where(rng.random(n) < 0.12, 0, dur)
    cell = np.where(rng.random(n) < 0.01, -1, cell)
    imei = np.where(rng.random(n) < 0.02, "", imei)
    return Calls(t.astype(np.int64), caller, callee, dur, cell, imei, [None] * n)


def fraud_calls_as_columns(w: World, calls: list[FraudCall]) -> Calls:
    n = len(calls)
    callee_sim = np.array([c.callee_sim for c in calls], dtype=np.int64)
    holder = w.s_holder[callee_sim] if n else np.array([], dtype=np.int64)
    cell = np.array([c.cell for c in calls], dtype=np.int64)
    cell = np.where(cell < 0, w.cell[holder] if n else cell, cell)
    imei = np.array([c.imei for c in calls], dtype=object)
    if n:
        imei = np.where(imei == "", w.s_imei[callee_sim], imei)
    return Calls(
        np.array([c.t for c in calls], dtype=np.int64),
        np.array([c.caller for c in calls], dtype=object),
        w.s_msisdn[callee_sim] if n else np.array([], dtype=object),
        np.array([c.duration for c in calls], dtype=np.int64),
        cell,
        imei,
        list(calls),
    )


def concat_calls(parts: list[Calls]) -> Calls:
    """The parts joined; their columns are released as they are joined (a day's calls are not held twice)."""
    cols = []
    for k in CALL_COLUMNS:
        cols.append(np.concatenate([getattr(p, k) for p in parts]))
        for p in parts:
            setattr(p, k, None)
    return Calls(*cols, [f for p in parts for f in p.fraud])


def cdr_lines(w: World, calls: Calls, call_ids: list[str]) -> list[str]:
    ts = w.clock.ts_many(calls.t)
    cells = w.cell_id
    cell = [cells[c] if c >= 0 else "" for c in calls.cell.tolist()]
    return [
        f"{i}|{a}|{b}|{s}|{d}|{c}|{m}"
        for i, a, b, s, d, c, m in zip(
            call_ids,
            calls.caller.tolist(),
            calls.callee.tolist(),
            ts,
            calls.dur.tolist(),
            cell,
            calls.imei.tolist(),
            strict=True,
        )
    ]
