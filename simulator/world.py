"""The shared world: people in households and clans, their SIMs, handsets, bank cards, cells and units.

The world is a pure function of (seed, scale, epoch, config): every call of the simulator rebuilds it
identically, so days can be generated in any number of calls. Lifecycle events (SIMs and cards opened,
suspended, cancelled, frozen) are planned over a horizon of `HORIZON_DAYS` after the epoch.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date

import numpy as np

from simulator import refdata as R
from simulator.clock import DAY, Clock
from simulator.config import SimConfig
from simulator.ids import id_check_chars, make_card, make_cards, make_imeis, phone_variant

__all__ = ["HORIZON_DAYS", "Gang", "SimConfig", "World"]

HORIZON_DAYS = 400
COUNTY_CODES = np.array([c.code for c in R.COUNTIES], dtype=object)
COUNTY_INDEX = {c.code: i for i, c in enumerate(R.COUNTIES)}


def _shared(values: list[str]) -> np.ndarray:
    """An object array in which equal strings are one object (names, branch codes and outlets repeat)."""
    seen: dict[str, str] = {}
    return np.array([seen.setdefault(v, v) for v in values], dtype=object)


def positions(column: np.ndarray, keys: list[str]) -> dict[str, int]:
    """Where each key stands in a column of strings (its last place if it repeats): a scan when needed, not
    an index of the whole column kept for the run."""
    wanted = set(keys)
    return {m: i for i, m in enumerate(column.tolist()) if m in wanted}


class Formatted:
    """A column of strings kept as integers and formatted when read (device IDs, IP addresses): 8 bytes
    a person instead of a string object. Indexed like an object array: by position, or by an index array
    (an object array of strings)."""

    def __init__(self, values: np.ndarray, fmt: Callable[[list[int]], list[str]]) -> None:
        self.values, self.fmt = values.astype(np.int64), fmt

    def __len__(self) -> int:
        return len(self.values)

    def __getitem__(self, idx: int | np.integer | np.ndarray) -> str | np.ndarray:
        if np.ndim(idx) == 0:
            return self.fmt([int(self.values[idx])])[0]  # type: ignore[index]
        out = np.empty(np.shape(idx), dtype=object)
        out[...] = self.fmt(self.values[idx].tolist())
        return out


@dataclass
class Gang:
    gang_id: str
    recruitment: str  # family | hometown
    organizer: int
    hometown: str
    base_county: int
    outlet: str
    active_from: int  # day index
    bust_day: int | None
    second_county: int | None = None  # a gang spanning two cities: where its other suppliers and callers live
    members: list[tuple[int, str, str]] = field(default_factory=list)  # (person, role, recruited_via)
    first_hop_cards: list[int] = field(default_factory=list)
    mule_cards: list[int] = field(default_factory=list)
    collector_card: int = -1
    sims: list[int] = field(default_factory=list)
    handsets: list[tuple[str, int, list[int]]] = field(default_factory=list)  # (imei, caller, sims)
    cells: list[int] = field(default_factory=list)
    foreign: list[str] = field(default_factory=list)  # foreign and network numbers the gang calls from
    chat: dict[str, list[str]] = field(default_factory=dict)  # its chat accounts by kind (wechat, qq), reused


@dataclass
class World:
    seed: int
    scale: float
    epoch: date
    config: SimConfig
    clock: Clock
    # people
    n: int = 0
    name: np.ndarray = field(default=None)  # type: ignore[assignment]
    sex: np.ndarray = field(default=None)  # type: ignore[assignment]  1 male, 0 female
    birth: np.ndarray = field(default=None)  # type: ignore[assignment]  datetime64[D]
    age: np.ndarray = field(default=None)  # type: ignore[assignment]
    id_no: np.ndarray = field(default=None)  # type: ignore[assignment]
    home: np.ndarray = field(default=None)  # type: ignore[assignment]  county index
    hh: np.ndarray = field(default=None)  # type: ignore[assignment]
    relation: np.ndarray = field(default=None)  # type: ignore[assignment]
    clan: np.ndarray = field(default=None)  # type: ignore[assignment]
    registered: np.ndarray = field(default=None)  # type: ignore[assignment]
    hh_no: list[str] = field(default_factory=list)
    clan_start: np.ndarray = field(default=None)  # type: ignore[assignment]
    clan_size: np.ndarray = field(default=None)  # type: ignore[assignment]
    sim: np.ndarray = field(default=None)  # type: ignore[assignment]  primary SIM or -1
    card: np.ndarray = field(default=None)  # type: ignore[assignment]  primary card or -1
    imei: np.ndarray = field(default=None)  # type: ignore[assignment]
    device: Formatted = field(default=None)  # type: ignore[assignment]
    ip: Formatted = field(default=None)  # type: ignore[assignment]
    cell: np.ndarray = field(default=None)  # type: ignore[assignment]
    activity: np.ndarray = field(default=None)  # type: ignore[assignment]
    contacts: np.ndarray = field(default=None)  # type: ignore[assignment]
    employer: np.ndarray = field(default=None)  # type: ignore[assignment]
    salary: np.ndarray = field(default=None)  # type: ignore[assignment]  cents
    in_gang: np.ndarray = field(default=None)  # type: ignore[assignment]
    # SIM registrations
    s_msisdn: np.ndarray = field(default=None)  # type: ignore[assignment]
    s_imsi: Formatted = field(default=None)  # type: ignore[assignment]
    s_carrier: np.ndarray = field(default=None)  # type: ignore[assignment]
    s_holder: np.ndarray = field(default=None)  # type: ignore[assignment]
    s_act: np.ndarray = field(default=None)  # type: ignore[assignment]  seconds
    s_outlet: np.ndarray = field(default=None)  # type: ignore[assignment]
    s_region: np.ndarray = field(default=None)  # type: ignore[assignment]
    s_imei: np.ndarray = field(default=None)  # type: ignore[assignment]
    sim_events: dict[int, list[tuple[int, int, int]]] = field(default_factory=dict)  # day -> (t, sim, status)
    # bank cards
    c_no: np.ndarray = field(default=None)  # type: ignore[assignment]
    c_bank: np.ndarray = field(default=None)  # type: ignore[assignment]
    c_holder: np.ndarray = field(default=None)  # type: ignore[assignment]
    c_phone: np.ndarray = field(default=None)  # type: ignore[assignment]
    c_opened: np.ndarray = field(default=None)  # type: ignore[assignment]
    c_branch: np.ndarray = field(default=None)  # type: ignore[assignment]
    c_region: np.ndarray = field(default=None)  # type: ignore[assignment]
    c_class: np.ndarray = field(default=None)  # type: ignore[assignment]
    card_events: dict[int, list[tuple[int, int, str]]] = field(default_factory=dict)  # day -> (t, card, status)
    # businesses
    merchants: np.ndarray = field(default=None)  # type: ignore[assignment]
    cash_business: np.ndarray = field(default=None)  # type: ignore[assignment]
    couriers: np.ndarray = field(default=None)  # type: ignore[assignment]
    corp_cards: list[str] = field(default_factory=list)
    corp_payday: np.ndarray = field(default=None)  # type: ignore[assignment]
    platform_cards: list[str] = field(default_factory=list)
    # network and police
    cell_id: list[str] = field(default_factory=list)
    cell_county: np.ndarray = field(default=None)  # type: ignore[assignment]
    cell_lon: np.ndarray = field(default=None)  # type: ignore[assignment]
    cell_lat: np.ndarray = field(default=None)  # type: ignore[assignment]
    cell_added: np.ndarray = field(default=None)  # type: ignore[assignment]  day index, <= 0 initial
    county_cells: list[np.ndarray] = field(default_factory=list)
    units: list[dict[str, str | None]] = field(default_factory=list)
    county_unit: dict[str, list[str]] = field(default_factory=dict)
    # fraud and labels
    gangs: list[Gang] = field(default_factory=list)
    lookalikes: list[dict[str, object]] = field(default_factory=list)
    card_gang: dict[int, tuple[str, str]] = field(default_factory=dict)  # card -> (gang, role)
    sim_gang: dict[int, str] = field(default_factory=dict)

    @property
    def adults(self) -> np.ndarray:
        return np.flatnonzero(self.age >= 18)

    def msisdn_of(self, person: int) -> str | None:
        s = int(self.sim[person])
        return None if s < 0 else str(self.s_msisdn[s])


# ---------------------------------------------------------------------------------------------
# people


def _weighted(pairs: list[tuple[str, float]]) -> tuple[list[str], np.ndarray]:
    keys = [k for k, _ in pairs]
    w = np.array([v for _, v in pairs], dtype=float)
    return keys, w / w.sum()


def _county_p() -> np.ndarray:
    w = np.array([R.CITIES[c.city][1] * c.weight for c in R.COUNTIES])
    return w / w.sum()


PEOPLE_PER_CLAN = 4.9  # mean clan size of the rules below (1.7 households of 2.9 people)
HH_SIZES, HH_SIZE_P = np.array([1, 2, 3, 4, 5, 6]), np.array([0.14, 0.26, 0.30, 0.18, 0.08, 0.04])


def _given_names(rng: np.random.Generator, male: np.ndarray) -> np.ndarray:
    """Given names: one or two characters from the pools of the sex (the first sometimes from any)."""
    n = len(male)
    pools = {True: np.array(R.GIVEN_MALE, dtype=object), False: np.array(R.GIVEN_FEMALE, dtype=object)}
    any_ = np.array(R.GIVEN_ANY, dtype=object)
    u1, u2, a, b = rng.random(n), rng.random(n), rng.random(n), rng.random(n)
    first = np.empty(n, dtype=object)
    second = np.empty(n, dtype=object)
    for sex, pool in pools.items():
        m = male == sex
        first[m] = pool[(a[m] * len(pool)).astype(np.int64)]
        second[m] = pool[(b[m] * len(pool)).astype(np.int64)]
    from_any = u1 >= 0.6
    first[from_any] = any_[(a[from_any] * len(any_)).astype(np.int64)]
    return np.where(u2 < 0.3, second, first + second)


def _clans(rng: np.random.Generator, cfg: SimConfig, n_target: int) -> dict[str, np.ndarray]:
    """Clan-level draws: home county, birthplace code, registered, surname, households; enough clans."""
    surnames, sp = _weighted(R.SURNAMES)
    county_p = _county_p()
    k = int(n_target / PEOPLE_PER_CLAN * 1.3) + 20
    home = rng.choice(len(R.COUNTIES), size=k, p=county_p)
    code = COUNTY_CODES[home]
    u = rng.random(k)
    elsewhere = np.array(R.ELSEWHERE, dtype=object)[rng.integers(0, len(R.ELSEWHERE), size=k)]
    moved = COUNTY_CODES[rng.choice(len(R.COUNTIES), size=k, p=county_p)]
    born = np.where(u < cfg.born_elsewhere_rate, elsewhere, np.where(u < cfg.born_elsewhere_rate + 0.05, moved, code))
    return {
        "home": home,
        "code": code,
        "born": born,
        "reg": rng.random(k) >= cfg.registered_elsewhere_rate,
        "sur": np.array(surnames, dtype=object)[rng.choice(len(surnames), size=k, p=sp)],
        "n_hh": 1 + np.minimum(2, rng.poisson(0.7, size=k)),
    }


def _households(rng: np.random.Generator, clans: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
    """Household-level draws: size, head, whether a spouse and a parent live there."""
    clan = np.repeat(np.arange(len(clans["home"])), clans["n_hh"])
    m = len(clan)
    size = rng.choice(HH_SIZES, size=m, p=HH_SIZE_P)
    head_age = rng.integers(24, 82, size=m)
    head_male = rng.random(m) < 0.85
    spouse = (size > 1) & (rng.random(m) < 0.85)
    parent = (size - 1 - spouse >= 2) & (head_age < 52) & (rng.random(m) < 0.4)
    return {
        "clan": clan,
        "size": size,
        "head_age": head_age,
        "head_male": head_male,
        "spouse": spouse,
        "parent": parent,
    }


def build_people(w: World, rng: np.random.Generator, n_target: int) -> None:
    """Clans of 1-3 neighbouring households sharing a surname line and a birthplace; vectorised."""
    surnames, sp = _weighted(R.SURNAMES)
    clans = _clans(rng, w.config, n_target)
    hh = _households(rng, clans)
    people_per_clan = np.bincount(hh["clan"], weights=hh["size"], minlength=len(clans["home"])).astype(np.int64)
    n_clans = int(np.searchsorted(np.cumsum(people_per_clan), n_target)) + 1  # the first clans reaching the target
    if n_clans > len(people_per_clan):
        raise RuntimeError("too few clans drawn for the population")  # the margin of `_clans` makes this moot
    keep = hh["clan"] < n_clans
    hh = {k: v[keep] for k, v in hh.items()}
    clan, size = hh["clan"], hh["size"]
    # members: head, spouse, parent, then children, household after household
    member_hh = np.repeat(np.arange(len(clan)), size)
    n = len(member_hh)
    pos = np.arange(n) - np.repeat(np.cumsum(size) - size, size)
    sp_, pa_ = hh["spouse"][member_hh], hh["parent"][member_hh]
    head_age, head_male = hh["head_age"][member_hh], hh["head_male"][member_hh]
    is_head, is_spouse = pos == 0, sp_ & (pos == 1)
    is_parent = pa_ & (pos == 1 + sp_)
    child_k = pos - 1 - sp_ - pa_
    c = clan[member_hh]
    code, born_clan, sur = clans["code"][c], clans["born"][c], clans["sur"][c]
    other_sur = np.array(surnames, dtype=object)[rng.choice(len(surnames), size=n, p=sp)]
    u_sex, u_born = rng.random(n), rng.random(n)
    spouse_age = np.clip(head_age + rng.normal(np.where(head_male, -1, 1), 3), 20, 95).astype(np.int64)
    parent_age = np.minimum(98, head_age + rng.integers(22, 33, size=n))
    child_age = head_age - rng.integers(22, 34, size=n) - 2 * child_k
    young = np.where(head_age > 55, rng.integers(0, 12, size=n), rng.integers(0, 3, size=n))
    male = np.select([is_head, is_spouse, is_parent], [head_male, ~head_male, u_sex < 0.5], u_sex < 0.52)
    age = np.select(
        [is_head, is_spouse, is_parent], [head_age, spouse_age, parent_age], np.where(child_age < 0, young, child_age)
    )
    rel = np.select(
        [is_head, is_spouse, is_parent, (child_age < 0) & (head_age > 55)],
        np.array(["head", "spouse", "parent", "grandchild"], dtype=object),
        "child",
    ).astype(object)
    family_sur = np.where(is_spouse | (is_parent & ~male), other_sur, sur)
    born = np.select(
        [is_spouse, ~is_head & ~is_parent],
        [np.where(u_born < 0.6, born_clan, code), np.where(u_born < 0.85, code, born_clan)],
        born_clan,
    ).astype(object)
    w.n = n
    w.name = _shared((family_sur + _given_names(rng, male)).tolist())
    w.sex = male.astype(np.int8)
    w.age = age.astype(np.int16)
    w.home = clans["home"][c].astype(np.int16)
    w.hh = member_hh.astype(np.int32)
    w.relation = _shared(rel.tolist())  # five strings, not one per person
    w.clan = c.astype(np.int32)
    w.registered = clans["reg"][c].astype(bool)
    w.hh_no = _household_numbers(clans["code"][clan])
    w.clan_start = np.searchsorted(w.clan, np.arange(n_clans)).astype(np.int32)
    w.clan_size = np.diff(np.append(w.clan_start, w.n)).astype(np.int32)
    _assign_ids(w, rng, born)


def _household_numbers(codes: np.ndarray) -> list[str]:
    """Household numbers: the county code and a serial per county, in household order."""
    order = np.argsort(codes, kind="stable")
    sorted_codes = codes[order]
    first = np.ones(len(codes), dtype=bool)
    first[1:] = sorted_codes[1:] != sorted_codes[:-1]
    starts = np.flatnonzero(first)
    serial = np.empty(len(codes), dtype=np.int64)
    serial[order] = np.arange(len(codes)) - np.repeat(starts, np.diff(np.append(starts, len(codes)))) + 1
    return [f"{c}{s:06d}" for c, s in zip(codes.tolist(), serial.tolist(), strict=True)]


def _assign_ids(w: World, rng: np.random.Generator, born: np.ndarray) -> None:
    epoch = np.datetime64(w.epoch.isoformat(), "D")
    offset = (w.age.astype(np.int64) * 36525) // 100 + rng.integers(0, 365, size=w.n)
    w.birth = epoch - offset.astype("timedelta64[D]")
    ymd = np.char.replace(w.birth.astype(str), "-", "")
    seq = rng.integers(1, 499, size=w.n) * 2 + w.sex
    bodies = [f"{b}{d}{s:03d}" for b, d, s in zip(born.tolist(), ymd.tolist(), seq.tolist(), strict=True)]
    seen: set[str] = set()
    for i, body in enumerate(bodies):
        while body in seen:
            body = body[:14] + f"{int(rng.integers(1, 499)) * 2 + int(w.sex[i]):03d}"
        seen.add(body)
        bodies[i] = body
    checks = id_check_chars(bodies)
    w.id_no = np.array([b + c for b, c in zip(bodies, checks, strict=True)], dtype=object)


# ---------------------------------------------------------------------------------------------
# SIMs, handsets, cards


def _unique_numbers(rng: np.random.Generator, prefixes: np.ndarray, digits: int, taken: set[int]) -> np.ndarray:
    values = (prefixes.astype(np.int64) * 10**digits + rng.integers(0, 10**digits, size=len(prefixes))).tolist()
    for i, v in enumerate(values):
        while v in taken:
            v = int(prefixes[i]) * 10**digits + int(rng.integers(0, 10**digits))
        taken.add(v)
        values[i] = v
    return np.array(values, dtype=np.int64)


class Sims:
    """Accumulates SIM registrations (vectorised blocks and single planted ones)."""

    def __init__(self) -> None:
        self.cols: dict[str, list[np.ndarray]] = {
            k: [] for k in ("msisdn", "imsi", "carrier", "holder", "act", "outlet", "region", "imei")
        }
        self.count = 0
        self.taken: set[int] = set()

    def add(
        self,
        rng: np.random.Generator,
        holder: np.ndarray,
        carrier: np.ndarray,
        act: np.ndarray,
        region: np.ndarray,
        outlet: np.ndarray,
        imei: np.ndarray,
    ) -> np.ndarray:
        k = len(holder)
        prefixes = np.empty(k, dtype=np.int64)
        mnc = np.empty(k, dtype=object)
        for c, plist in R.CARRIER_PREFIXES.items():
            m = carrier == c
            prefixes[m] = rng.choice(np.array(plist, dtype=np.int64), size=int(m.sum()))
            mnc[m] = rng.choice(np.array(R.IMSI_MNC[c], dtype=object), size=int(m.sum()))
        numbers = _unique_numbers(rng, prefixes, 8, self.taken)
        tail = rng.integers(0, 10**10, size=k)
        self.cols["msisdn"].append(np.array([str(x) for x in numbers.tolist()], dtype=object))
        self.cols["imsi"].append(460 * 10**12 + mnc.astype(np.int64) * 10**10 + tail)  # 460, MNC, 10 digits
        for key, val in (
            ("carrier", carrier),
            ("holder", holder),
            ("act", act),
            ("outlet", outlet),
            ("region", region),
            ("imei", imei),
        ):
            self.cols[key].append(np.asarray(val))
        idx = np.arange(self.count, self.count + k)
        self.count += k
        return idx

    def finish(self, w: World) -> None:
        c = {k: np.concatenate(v) if v else np.array([]) for k, v in self.cols.items()}
        w.s_msisdn, w.s_imsi, w.s_carrier = c["msisdn"], Formatted(c["imsi"], _digits), c["carrier"].astype(object)
        w.s_holder, w.s_act = c["holder"].astype(np.int32), c["act"].astype(np.int64)
        w.s_outlet, w.s_region, w.s_imei = c["outlet"].astype(object), c["region"].astype(object), c["imei"]


class Cards:
    def __init__(self) -> None:
        self.cols: dict[str, list[np.ndarray]] = {
            k: [] for k in ("no", "bank", "holder", "opened", "branch", "region", "cls")
        }
        self.count = 0
        self.taken: set[int] = set()

    def add(
        self,
        rng: np.random.Generator,
        holder: np.ndarray,
        bank: np.ndarray,
        opened: np.ndarray,
        region: np.ndarray,
        cls: np.ndarray,
    ) -> np.ndarray:
        k = len(holder)
        serial = _unique_numbers(rng, np.zeros(k, dtype=np.int64), 12, self.taken).tolist()
        spec = [R.BANKS[b] for b in bank.tolist()]
        numbers = make_cards(
            [bins[s % len(bins)] for (bins, _, _), s in zip(spec, serial, strict=True)],
            [length for _, length, _ in spec],
            serial,
        )
        branch = [
            f"{b}{r}{int(x):03d}"
            for b, r, x in zip(bank.tolist(), region.tolist(), rng.integers(1, 40, size=k).tolist(), strict=True)
        ]
        for key, val in (
            ("no", np.array(numbers, dtype=object)),
            ("bank", bank),
            ("holder", holder),
            ("opened", opened),
            ("branch", _shared(branch)),
            ("region", region),
            ("cls", cls),
        ):
            self.cols[key].append(np.asarray(val))
        idx = np.arange(self.count, self.count + k)
        self.count += k
        return idx

    def finish(self, w: World) -> None:
        c = {k: np.concatenate(v) for k, v in self.cols.items()}
        w.c_no, w.c_bank, w.c_holder = c["no"], c["bank"].astype(object), c["holder"].astype(np.int32)
        w.c_opened, w.c_branch = c["opened"].astype(np.int64), c["branch"]
        w.c_region, w.c_class = c["region"].astype(object), c["cls"].astype(object)


def _past_times(rng: np.random.Generator, k: int, lo_days: int, hi_days: int) -> np.ndarray:
    """Business-hour timestamps between hi_days and lo_days days before the epoch."""
    days = -rng.integers(lo_days, hi_days, size=k)
    return days * DAY + rng.integers(9 * 3600, 19 * 3600, size=k)


def _future_times(rng: np.random.Generator, k: int) -> np.ndarray:
    days = rng.integers(0, HORIZON_DAYS, size=k)
    return days * DAY + rng.integers(9 * 3600, 20 * 3600, size=k)


def _choose_carriers(rng: np.random.Generator, k: int, mvno_share: float) -> np.ndarray:
    names = ["CMCC", "CUCC", "CTCC", "MVNO"]
    p = np.array([R.CARRIER_SHARE[c] for c in names])
    p[3] = mvno_share
    p[:3] *= (1 - mvno_share) / p[:3].sum()
    return rng.choice(np.array(names, dtype=object), size=k, p=p)


def _outlets(rng: np.random.Generator, region: np.ndarray) -> np.ndarray:
    k = rng.integers(1, 40, size=len(region))
    return _shared([f"OUT{r}-{x:04d}" for r, x in zip(region.tolist(), k.tolist(), strict=True)])


def build_sims(w: World, rng: np.random.Generator, sims: Sims) -> None:
    age = w.age
    count = np.where(age < 10, 0, np.where(age < 18, (rng.random(w.n) < 0.7).astype(int), 1))
    adult = (age >= 18) & (age <= 70)
    count = count + (adult & (rng.random(w.n) < 0.2)) + (adult & (rng.random(w.n) < 0.04))
    count = np.where(age > 75, (rng.random(w.n) < 0.75).astype(int), count)
    holder = np.repeat(np.arange(w.n, dtype=np.int32), count)
    first = np.ones(len(holder), dtype=bool)
    first[1:] = holder[1:] != holder[:-1]
    tacs = rng.integers(0, len(R.TACS), size=w.n)
    w.imei = np.array(make_imeis([R.TACS[t] for t in tacs.tolist()], list(range(13, w.n * 7919, 7919))), dtype=object)
    second_tacs = [R.TACS[(t + 1) % len(R.TACS)] for t in tacs[holder].tolist()]
    second_imei = np.array(make_imeis(second_tacs, list(range(5003, len(holder) * 7919 + 5003, 7919))), dtype=object)
    imei = np.where(first | (rng.random(len(holder)) < 0.6), w.imei[holder], second_imei)
    region = COUNTY_CODES[w.home[holder]]
    carrier = _choose_carriers(rng, len(holder), w.config.mvno_user_rate)
    act = _past_times(rng, len(holder), 20, 3650)
    idx = sims.add(rng, holder, carrier, act, region, _outlets(rng, region), imei)
    w.sim = np.full(w.n, -1, dtype=np.int32)
    w.sim[holder[first]] = idx[first]
    for p in np.unique(holder[carrier == "MVNO"]).tolist():
        w.lookalikes.append({"kind": "mvno_user", "person": int(p)})
    # new registrations during the horizon
    k = int(rng.poisson(w.config.new_sims_per_10k_day * w.n / 10_000 * HORIZON_DAYS))
    adults = np.flatnonzero(age >= 16)
    holder = rng.choice(adults, size=k)
    region = COUNTY_CODES[w.home[holder]]
    sims.add(
        rng,
        holder,
        _choose_carriers(rng, k, w.config.mvno_user_rate),
        _future_times(rng, k),
        region,
        _outlets(rng, region),
        w.imei[holder],
    )


def _choose_banks(rng: np.random.Generator, k: int) -> np.ndarray:
    names = list(R.BANKS)
    p = np.array([R.BANKS[b][2] for b in names])
    return rng.choice(np.array(names, dtype=object), size=k, p=p / p.sum())


def build_cards(w: World, rng: np.random.Generator, cards: Cards) -> None:
    age = w.age
    count = np.where(age >= 18, 1 + np.minimum(rng.poisson(0.8, size=w.n), 3), 0)
    count = np.where((age >= 16) & (age < 18) & (rng.random(w.n) < 0.3), 1, count)
    many = np.flatnonzero((age >= 30) & (rng.random(w.n) < w.config.many_cards_rate))
    count[many] = rng.integers(6, 11, size=len(many))
    holder = np.repeat(np.arange(w.n, dtype=np.int32), count)
    first = np.ones(len(holder), dtype=bool)
    first[1:] = holder[1:] != holder[:-1]
    bank = _choose_banks(rng, len(holder))
    cls = np.where(first | (rng.random(len(holder)) < 0.55), "I", "II").astype(object)
    region = COUNTY_CODES[w.home[holder]]
    opened = _past_times(rng, len(holder), 15, 5000)
    idx = cards.add(rng, holder, bank, opened, region, cls)
    w.card = np.full(w.n, -1, dtype=np.int32)
    w.card[holder[first]] = idx[first]
    for p in many.tolist():
        w.lookalikes.append({"kind": "many_cards", "person": int(p)})
    k = int(rng.poisson(w.config.new_cards_per_10k_day * w.n / 10_000 * HORIZON_DAYS))
    holder = rng.choice(np.flatnonzero(age >= 18), size=k)
    cards.add(
        rng,
        holder,
        _choose_banks(rng, k),
        _future_times(rng, k),
        COUNTY_CODES[w.home[holder]],
        np.where(rng.random(k) < 0.5, "I", "II").astype(object),
    )


def holder_phones(w: World, rng: np.random.Generator) -> None:
    """The phone each card holder registered with the bank, written in varied ways."""
    n = len(w.c_no)
    phones = np.empty(n, dtype=object)
    own = w.sim[w.c_holder]
    variant = np.where(rng.random(n) < w.config.holder_phone_variant_rate, rng.integers(1, 5, size=n), 0)
    has = own >= 0
    phones[has] = w.s_msisdn[own[has]]
    for i in np.flatnonzero(has & (variant > 0)).tolist():
        phones[i] = phone_variant(str(phones[i]), int(variant[i]))
    w.c_phone = phones


# ---------------------------------------------------------------------------------------------
# behaviour, network, units


def build_behaviour(w: World, rng: np.random.Generator) -> None:
    cfg = w.config
    w.activity = rng.gamma(2.0, 0.5, size=w.n).astype(np.float32) * (w.sim >= 0)
    adults = np.flatnonzero((w.age >= 22) & (w.age <= 65) & (w.card >= 0) & (w.sim >= 0))
    w.merchants = np.sort(rng.choice(adults, size=max(1, int(len(adults) * cfg.merchant_rate)), replace=False))
    w.cash_business = rng.random(len(w.merchants)) < cfg.cash_business_share
    w.couriers = np.sort(rng.choice(adults, size=max(1, int(len(adults) * cfg.courier_rate)), replace=False))
    w.activity[w.couriers] = 30.0
    for p, cash in zip(w.merchants.tolist(), w.cash_business.tolist(), strict=True):
        w.lookalikes.append({"kind": "cash_business" if cash else "merchant", "person": int(p)})
    for p in w.couriers.tolist():
        w.lookalikes.append({"kind": "courier", "person": int(p)})
    n_corp = max(5, w.n // 60)
    w.corp_cards = make_cards(["622155"] * n_corp, [19] * n_corp, [10**11 + i * 7717 for i in range(n_corp)])
    w.corp_payday = rng.choice(np.array([5, 10, 15, 20, 25]), size=n_corp)
    w.platform_cards = [make_card(R.NON_REPORTING_BINS[i % 3], 19, 5 * 10**11 + i * 31) for i in range(12)]
    employed = (w.age >= 20) & (w.age <= 60) & (w.card >= 0) & (rng.random(w.n) < 0.65)
    w.employer = np.where(employed, rng.integers(0, n_corp, size=w.n), -1).astype(np.int32)
    w.salary = (rng.lognormal(np.log(5500), 0.45, size=w.n) * 100).astype(np.int64)
    w.device = Formatted(rng.integers(0, 2**62, size=w.n), _device_ids)
    blocks = [27, 36, 39, 59, 60, 61, 113, 115, 117, 122, 183, 223]
    ipn = rng.integers(0, 2**24, size=w.n)
    b = rng.choice(np.array(blocks), size=w.n)
    w.ip = Formatted(b.astype(np.int64) << 24 | ipn, _ips)
    _shared_handsets(w, rng)


def _digits(values: list[int]) -> list[str]:
    return [str(x) for x in values]


def _device_ids(values: list[int]) -> list[str]:
    return [f"{x:016x}" for x in values]


def _ips(values: list[int]) -> list[str]:
    """Addresses kept as (first byte << 24 | last three bytes)."""
    return [f"{v >> 24}.{(v >> 16) & 255}.{(v >> 8) & 255}.{v & 255}" for v in values]


def _shared_handsets(w: World, rng: np.random.Generator) -> None:
    """Look-alike: family members using one handset (several SIMs, one IMEI)."""
    starts = np.flatnonzero(np.diff(np.append(-1, w.hh)) != 0)
    for s in starts[rng.random(len(starts)) < w.config.shared_handset_rate].tolist():
        members = [p for p in range(s, min(s + 6, w.n)) if w.hh[p] == w.hh[s] and w.sim[p] >= 0]
        if len(members) < 2:
            continue
        shared = w.imei[members[0]]
        for p in members[1:]:
            w.s_imei[w.sim[p]] = shared
            w.imei[p] = shared
        w.lookalikes.extend({"kind": "shared_handset", "person": int(p)} for p in members)


def build_contacts(w: World, rng: np.random.Generator, k: int = 8) -> None:
    holders = np.flatnonzero(w.sim >= 0)
    w.contacts = np.full((w.n, k), -1, dtype=np.int32)
    for ci in range(len(R.COUNTIES)):
        local = holders[w.home[holders] == ci]
        if len(local) == 0:
            continue
        people = local
        near = rng.choice(local, size=(len(people), k))
        far = rng.choice(holders, size=(len(people), k))
        w.contacts[people] = np.where(rng.random((len(people), k)) < 0.75, near, far)


def build_cells(w: World, rng: np.random.Generator) -> None:
    ids: list[str] = []
    county, lon, lat, added = [], [], [], []
    enb = rng.permutation(900_000)[:100_000] + 100_000
    for ci, c in enumerate(R.COUNTIES):
        pop = int((w.home == ci).sum())
        for _ in range(max(3, round(pop / 150))):
            ids.append(f"{enb[len(ids)]:06d}{int(rng.integers(1, 4)):02d}")
            county.append(ci)
            lon.append(round(c.lon + float(rng.normal(0, 0.04)), 6))
            lat.append(round(c.lat + float(rng.normal(0, 0.03)), 6))
            added.append(0)
    n_new = max(1, int(rng.poisson(HORIZON_DAYS / 8 * max(w.scale, 0.05))))
    for _ in range(n_new):
        ci = int(rng.integers(len(R.COUNTIES)))
        c = R.COUNTIES[ci]
        ids.append(f"{enb[len(ids)]:06d}{int(rng.integers(1, 4)):02d}")
        county.append(ci)
        lon.append(round(c.lon + float(rng.normal(0, 0.04)), 6))
        lat.append(round(c.lat + float(rng.normal(0, 0.03)), 6))
        added.append(int(rng.integers(1, HORIZON_DAYS)))
    w.cell_id, w.cell_county = ids, np.array(county, dtype=np.int16)
    w.cell_lon, w.cell_lat, w.cell_added = np.array(lon), np.array(lat), np.array(added, dtype=np.int32)
    initial = w.cell_added <= 0
    w.county_cells = [np.flatnonzero(initial & (w.cell_county == ci)) for ci in range(len(R.COUNTIES))]
    w.cell = np.empty(w.n, dtype=np.int32)
    for ci, cells in enumerate(w.county_cells):
        m = w.home == ci
        w.cell[m] = rng.choice(cells, size=int(m.sum()))


def _unit_name(c: R.County) -> str:
    city = R.CITIES[c.city][0]
    if c.name.endswith("区"):
        return f"{city}公安局{c.name[:-1]}分局"
    return f"{c.name}公安局"


def build_units(w: World, rng: np.random.Generator) -> None:
    stations = ["城关派出所", "城东派出所", "城西派出所", "开发区派出所", "火车站派出所", "新华派出所"]
    for city, (name, _) in R.CITIES.items():
        w.units.append(
            {
                "unit_code": f"{city}000000",
                "name": f"{name}公安局",
                "parent_code": None,
                "region_code": city,
                "level": "city",
            }
        )
    for c in R.COUNTIES:
        code = f"{c.code}000000"
        w.units.append(
            {
                "unit_code": code,
                "name": _unit_name(c),
                "parent_code": f"{c.city}000000",
                "region_code": c.code,
                "level": "county",
            }
        )
        w.county_unit[c.code] = [code]
        for k in range(int(rng.integers(2, 5))):
            s = f"{c.code}{k + 1:02d}0000"
            w.units.append(
                {
                    "unit_code": s,
                    "name": c.name + stations[k],
                    "parent_code": code,
                    "region_code": c.code,
                    "level": "station",
                }
            )
            w.county_unit[c.code].append(s)


def lifecycle_events(w: World, rng: np.random.Generator) -> None:
    """Cancellations and suspensions of SIMs, closings of cards, within the horizon."""
    n = len(w.s_msisdn)
    for s in np.flatnonzero(rng.random(n) < 0.02).tolist():
        t = max(int(w.s_act[s]) + DAY, int(_future_times(rng, 1)[0]))
        w.sim_events.setdefault(t // DAY, []).append((t, s, 3))
    for s in np.flatnonzero(rng.random(n) < 0.004).tolist():
        t = max(int(w.s_act[s]) + DAY, int(_future_times(rng, 1)[0]))
        w.sim_events.setdefault(t // DAY, []).append((t, s, 2))
        t2 = t + int(rng.integers(1, 20)) * DAY
        w.sim_events.setdefault(t2 // DAY, []).append((t2, s, 1))
    for c in np.flatnonzero(rng.random(len(w.c_no)) < 0.01).tolist():
        t = max(int(w.c_opened[c]) + DAY, int(_future_times(rng, 1)[0]))
        w.card_events.setdefault(t // DAY, []).append((t, c, "closed"))


def gang_shutdown(w: World, g: Gang, rng: np.random.Generator) -> None:
    """After a bust, operators suspend the gang's SIMs and banks freeze its cards."""
    if g.bust_day is None:
        return
    for s in g.sims:
        t = (g.bust_day + int(rng.integers(0, 4))) * DAY + int(rng.integers(9 * 3600, 18 * 3600))
        w.sim_events.setdefault(t // DAY, []).append((t, s, 2))
    for c in (*g.first_hop_cards, *g.mule_cards):
        t = (g.bust_day + int(rng.integers(0, 3))) * DAY + int(rng.integers(9 * 3600, 18 * 3600))
        w.card_events.setdefault(t // DAY, []).append((t, c, "frozen"))
