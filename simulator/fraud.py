"""Planted fraud: gangs (recruited by family or hometown), their cards and SIMs, callers, victims,
payments and the laundering of the money through mule cards.

A victim episode is spawned on one day and fully determined by (seed, spawn day): its calls,
payments, hops, warning and report may fall on later days. `episodes_for_day` regenerates the
episodes of any day identically, so output never depends on how days are split over calls.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from simulator import refdata as R
from simulator.clock import DAY, rng_for
from simulator.ids import make_imei
from simulator.world import COUNTY_CODES, Gang, World

TYPOLOGIES = ["chain", "fan_out", "scatter_gather", "fan_in"]
TYPOLOGY_P = [0.35, 0.25, 0.2, 0.2]
ATM_CHUNK = 20_000_00  # cents per withdrawal


@dataclass
class FraudCall:
    t: int
    caller: str
    callee_sim: int
    duration: int
    cell: int  # -1: none
    imei: str
    gang: str
    episode: str | None
    purpose: str  # burst | hook | followup
    caller_kind: str  # sim | foreign | network


@dataclass
class FraudTxn:
    t: int
    from_card: str | None
    to_card: str | None
    cents: int
    channel: str
    device: str | None
    ip: str | None
    episode: str
    pay_seq: int
    hop: int
    typology: str


@dataclass
class Payment:
    seq: int
    t: int
    from_card: str
    to_card: int  # card index (first hop)
    cents: int
    channel: str


@dataclass
class Episode:
    eid: str
    gang: Gang
    victim: int
    fraud_type: str
    spawn_day: int
    first_call: int
    outcome: str = "not_paid"  # paid | dissuaded | not_paid
    calls: list[FraudCall] = field(default_factory=list)
    payments: list[Payment] = field(default_factory=list)
    txns: list[FraudTxn] = field(default_factory=list)
    warning: dict[str, object] | None = None
    report_t: int | None = None
    solved_t: int | None = None
    contacts: list[tuple[str, str]] = field(default_factory=list)


# ---------------------------------------------------------------------------------------------
# planting gangs in the world


@dataclass
class _People:
    """Indexes of the people for recruiting: by ID birth region and by home county (ascending)."""

    birth_region: np.ndarray
    by_birth: dict[str, np.ndarray]
    by_home: list[np.ndarray]

    @classmethod
    def of(cls, w: World) -> _People:
        birth_region = np.array([x[:6] for x in w.id_no.tolist()], dtype=object)
        order = np.argsort(birth_region, kind="stable")
        keys, starts = np.unique(birth_region[order], return_index=True)
        groups = np.split(order, starts[1:])
        by_home = [np.flatnonzero(w.home == c) for c in range(len(COUNTY_CODES))]
        return cls(birth_region, dict(zip(keys.tolist(), groups, strict=True)), by_home)


def _recruits(
    w: World, rng: np.random.Generator, org: int, kind: str, used: np.ndarray, people: _People, need: int
) -> list[tuple[int, str]]:
    def eligible(idx: np.ndarray) -> np.ndarray:
        return idx[(w.age[idx] >= 18) & (w.age[idx] <= 65) & ~used[idx]]

    cs, cn = int(w.clan_start[w.clan[org]]), int(w.clan_size[w.clan[org]])
    family = [int(p) for p in eligible(np.arange(cs, cs + cn)).tolist() if p != org]
    home = eligible(people.by_birth[str(people.birth_region[org])])
    home = home[w.clan[home] != w.clan[org]]
    home = rng.permutation(home)[: need * 2].tolist()
    family = rng.permutation(np.array(family, dtype=np.int64)).tolist()
    if kind == "family":
        pool = [(p, "family") for p in family] + [(p, "hometown") for p in home]
    else:
        pool = [(p, "hometown") for p in home] + [(p, "family") for p in family[:1]]
    if len(pool) < need:
        others = eligible(people.by_home[int(w.home[org])])
        pool += [
            (int(p), "other")
            for p in rng.permutation(others)[: need - len(pool)].tolist()
            if p != org and all(p != q for q, _ in pool)
        ]
    return pool[:need]


def rng_share(rng: np.random.Generator, share: float) -> bool:
    """A draw with probability `share`; draws nothing at 0 (worlds without the knob stay unchanged)."""
    return share > 0 and bool(rng.random() < share)


def _second_county(w: World, rng: np.random.Generator, org: int) -> int:
    """A populated county of another pilot city than the organizer's."""
    city = R.COUNTIES[int(w.home[org])].city
    others = [i for i, c in enumerate(R.COUNTIES) if c.city != city and c.weight >= 0.05]
    return int(others[int(rng.integers(len(others)))])


def _recruit_in_second_city(
    w: World,
    rng: np.random.Generator,
    org: int,
    pool: list[tuple[int, str]],
    second: int,
    birth_region: np.ndarray,
    counts: tuple[int, int, int],
) -> list[tuple[int, str]]:
    """Replace half of the suppliers and callers with people living in the second city.

    Fellow-townsmen who moved there (same ID region as the organizer) come first, then anyone."""
    n_sup, n_mule, n_call = counts
    city = R.COUNTIES[second].city
    in_city = np.array([R.COUNTIES[i].city == city for i in range(len(R.COUNTIES))])[w.home]
    taken = np.zeros(w.n, dtype=bool)
    taken[[p for p, _ in pool]] = True
    eligible = (w.age >= 18) & (w.age <= 65) & ~w.in_gang & ~taken & in_city
    home = rng.permutation(np.flatnonzero(eligible & (birth_region == birth_region[org])))
    other = rng.permutation(np.flatnonzero(eligible & (birth_region != birth_region[org])))
    recruits = [(int(p), "hometown") for p in home[:4].tolist()] + [(int(p), "other") for p in other[:8].tolist()]
    pool = pool + [(-1, "")] * max(0, n_sup + n_mule + n_call - len(pool))
    slots = list(range(n_sup // 2, n_sup)) + list(range(n_sup + n_mule + n_call // 2, n_sup + n_mule + n_call))
    for slot, recruit in zip(slots, recruits, strict=False):
        pool[slot] = recruit
    return pool  # (-1, "") marks a role nobody fills


def _foreign_number(rng: np.random.Generator) -> str:
    prefix = R.FOREIGN_PREFIXES[rng.integers(len(R.FOREIGN_PREFIXES))]
    return prefix + "".join(str(d) for d in rng.integers(0, 10, size=8))


def _network_number(rng: np.random.Generator) -> str:
    prefix = R.NETWORK_PREFIXES[rng.integers(len(R.NETWORK_PREFIXES))]
    return prefix + "".join(str(d) for d in rng.integers(0, 10, size=7))


def _plant_cards(
    w: World,
    rng: np.random.Generator,
    cards,
    holder: int,
    k: int,
    start: int,
    span_days: int,
    away_p: float,
    class_ii_p: float,
) -> list[int]:
    """k cards opened by one holder in a short window, often II/III class, often away from home."""
    home = COUNTY_CODES[w.home[holder]]
    region = np.where(rng.random(k) < away_p, rng.choice(COUNTY_CODES, size=k), home).astype(object)
    cls = np.where(rng.random(k) < class_ii_p, rng.choice(np.array(["II", "III"], dtype=object), size=k), "I").astype(
        object
    )
    banks = rng.choice(np.array(list(R.BANKS), dtype=object), size=k, replace=k > len(R.BANKS))
    t = start * DAY + rng.integers(0, max(1, span_days), size=k) * DAY + rng.integers(9 * 3600, 17 * 3600, size=k)
    return cards.add(rng, np.full(k, holder, dtype=np.int32), banks, np.sort(t), region, cls).tolist()


def plant_gangs(w: World, rng: np.random.Generator, sims, cards) -> None:
    """Recruit gangs and give them SIMs, handsets and bank cards (appended to the world's tables)."""
    cfg = w.config
    w.in_gang = np.zeros(w.n, dtype=bool)
    people = _People.of(w)
    birth_region = people.birth_region
    n_gangs = max(1, round(cfg.gangs_per_10k * w.n / 10_000))
    organizers = np.flatnonzero((w.sex == 1) & (w.age >= 25) & (w.age <= 55) & w.registered)
    for gi in range(n_gangs):
        org = int(rng.choice(organizers[~w.in_gang[organizers]]))
        w.in_gang[org] = True
        kind = "family" if rng.random() < cfg.family_recruitment_share else "hometown"
        n_sup, n_mule, n_call = int(rng.integers(3, 7)), int(rng.integers(2, 4)), int(rng.integers(2, 4))
        pool = _recruits(w, rng, org, kind, w.in_gang, people, n_sup + n_mule + n_call)
        second = _second_county(w, rng, org) if rng_share(rng, cfg.two_city_gang_share) else None
        if second is not None:
            pool = _recruit_in_second_city(w, rng, org, pool, second, birth_region, (n_sup, n_mule, n_call))
        active_from = int(rng.integers(-25, 16))
        bust = active_from + int(rng.integers(20, 80)) if rng.random() < cfg.bust_rate else None
        outlet_region = str(rng.choice(COUNTY_CODES))
        g = Gang(
            gang_id=f"G{gi + 1:03d}",
            recruitment=kind,
            organizer=org,
            hometown=str(birth_region[org]),
            base_county=int(w.home[org]),
            outlet=f"OUT{outlet_region}-{int(rng.integers(40, 99)):04d}",
            active_from=active_from,
            bust_day=bust,
            second_county=second,
        )
        g.members.append((org, "organizer", "organizer"))
        roles = ["card_supplier"] * n_sup + ["mule"] * n_mule + ["caller"] * n_call
        for (p, via), role in zip(pool, roles, strict=False):
            if p < 0:
                continue
            w.in_gang[p] = True
            g.members.append((p, role, via))
        _equip_gang(w, rng, g, sims, cards, outlet_region)
        g.cells = rng.choice(w.county_cells[g.base_county], size=2).tolist()
        if second is not None:  # callers work from both cities
            g.cells[1] = int(rng.choice(w.county_cells[second]))
        g.foreign = [_foreign_number(rng) for _ in range(3)] + [_network_number(rng) for _ in range(2)]
        w.gangs.append(g)
        cs, cn = int(w.clan_start[w.clan[org]]), int(w.clan_size[w.clan[org]])
        for p in range(cs, cs + cn):
            if not w.in_gang[p] and w.age[p] >= 18:
                w.lookalikes.append({"kind": "gang_relative", "person": p, "gang_id": g.gang_id})
    _give_chat_accounts(w)


VANITY_STEMS = ("lucky", "vip", "hongyun", "jinniu", "fa", "kefu", "laoshi", "licai")


def _give_chat_accounts(w: World) -> None:
    """Each gang's WeChat and QQ accounts, reused across its episodes; an account belongs to one gang only.

    A stream of its own (the other world draws are unchanged). Vanity WeChat IDs (``lucky0868``) come from a
    small space, so duplicates are drawn again: two gangs never hold the same account.
    """
    rng = rng_for(w.seed, "world", "gang-chat")
    taken: set[str] = set()

    def fresh(draw) -> str:
        while (handle := draw()) in taken:
            pass
        taken.add(handle)
        return handle

    def wechat() -> str:
        if rng.random() < 0.5:
            return f"wxid_{int(rng.integers(10**9, 10**10)):x}"
        stem = VANITY_STEMS[int(rng.integers(len(VANITY_STEMS)))]
        return f"{stem}{int(rng.integers(0, 10_000)):04d}"

    for g in w.gangs:
        g.chat = {
            "wechat": [fresh(wechat) for _ in range(int(rng.integers(2, 5)))],
            "qq": [fresh(lambda: str(int(rng.integers(10**7, 10**10)))) for _ in range(int(rng.integers(1, 4)))],
        }


def _equip_gang(w: World, rng: np.random.Generator, g: Gang, sims, cards, outlet_region: str) -> None:
    for p, role, _ in g.members:
        if role == "card_supplier":
            start = g.active_from - int(rng.integers(3, 25))
            for c in _plant_cards(w, rng, cards, p, int(rng.integers(2, 7)), start, 7, 0.6, 0.7):
                g.first_hop_cards.append(c)
                w.card_gang[c] = (g.gang_id, "first_hop")
            k = int(rng.integers(2, 6))
            mvno = rng.random(k) < 0.7
            carrier = np.where(mvno, "MVNO", rng.choice(np.array(["CMCC", "CUCC", "CTCC"], dtype=object), size=k))
            region = np.where(mvno, outlet_region, COUNTY_CODES[w.home[p]]).astype(object)
            outlet = np.array(
                [
                    g.outlet if m else f"OUT{r}-{int(x):04d}"
                    for m, r, x in zip(mvno, region, rng.integers(1, 40, size=k), strict=True)
                ],
                dtype=object,
            )
            day0 = start + int(rng.integers(-3, 4))
            act = day0 * DAY + rng.integers(0, 2, size=k) * DAY + rng.integers(9 * 3600, 19 * 3600, size=k)
            idx = sims.add(
                rng,
                np.full(k, p, dtype=np.int32),
                carrier.astype(object),
                np.sort(act),
                region,
                outlet,
                np.full(k, "", dtype=object),
            )
            for s in idx.tolist():
                g.sims.append(s)
                w.sim_gang[s] = g.gang_id
        elif role == "mule":
            own = int(w.card[p])
            if own >= 0:
                g.mule_cards.append(own)
                w.card_gang[own] = (g.gang_id, "mule")
            start = g.active_from - int(rng.integers(0, 10))
            for c in _plant_cards(w, rng, cards, p, int(rng.integers(1, 3)), start, 5, 0.3, 0.9):
                g.mule_cards.append(c)
                w.card_gang[c] = (g.gang_id, "mule")
    if not g.mule_cards:  # a gang always has somewhere to move money
        org = g.organizer
        g.mule_cards = _plant_cards(w, rng, cards, org, 2, g.active_from - 5, 3, 0.2, 0.9)
        for c in g.mule_cards:
            w.card_gang[c] = (g.gang_id, "mule")
    g.collector_card = g.mule_cards[-1]
    w.card_gang[g.collector_card] = (g.gang_id, "collector")
    callers = [p for p, role, _ in g.members if role == "caller"] or [g.organizer]
    handsets: list[tuple[str, int, list[int]]] = []
    for caller in callers:
        for h in range(int(rng.integers(1, 3))):
            imei = make_imei(R.TACS[int(rng.integers(len(R.TACS)))], int(rng.integers(0, 10**6)) + h)
            handsets.append((imei, caller, []))
    for i, s in enumerate(g.sims):
        handsets[i % len(handsets)][2].append(s)
    g.handsets = [h for h in handsets if h[2]]


def link_gang_phones(w: World, rng: np.random.Generator) -> None:
    """Half of the first-hop cards are registered with a planted SIM, so the gang receives the bank SMS."""
    for g in w.gangs:
        for c in g.first_hop_cards:
            if g.sims and rng.random() < 0.5:
                w.c_phone[c] = str(w.s_msisdn[g.sims[int(rng.integers(len(g.sims)))]])
    for g in w.gangs:
        for imei, _, sims in g.handsets:
            for s in sims:
                w.s_imei[s] = imei
    _callers_own_sims_in_gang_handsets(w)


def _callers_own_sims_in_gang_handsets(w: World) -> None:
    """A caller who also puts his own SIM in a gang handset (a dual-SIM phone, a careless night): his own
    calls then carry the handset's IMEI, the trace by which police find callers (rate
    ``caller_own_sim_rate``; own random stream, so the rest of the world is unchanged)."""
    rng = rng_for(w.seed, "world", "caller-own-sims")
    for g in w.gangs:
        for imei, caller, _ in g.handsets:
            own = int(w.sim[caller]) if caller >= 0 else -1
            if own >= 0 and rng.random() < w.config.caller_own_sim_rate:
                w.s_imei[own] = imei


# ---------------------------------------------------------------------------------------------
# daily fraud activity


def active_gangs(w: World, day: int) -> list[Gang]:
    return [g for g in w.gangs if g.active_from <= day and (g.bust_day is None or day < g.bust_day)]


def _handset_of(g: Gang, sim: int) -> tuple[str, int]:
    for imei, caller, sims in g.handsets:
        if sim in sims:
            return imei, caller
    return "", -1


def victim_pool(w: World) -> np.ndarray:
    pool = getattr(w, "_victim_pool", None)
    if pool is None:
        pool = np.flatnonzero((w.age >= 18) & (w.sim >= 0) & (w.card >= 0) & ~w.in_gang)
        w._victim_pool = pool  # type: ignore[attr-defined]
    return pool


def _pick_caller(w: World, rng: np.random.Generator, g: Gang, t: int) -> tuple[str, str, int, str]:
    """(number, kind, cell, imei) of a gang call at time t."""
    live = [s for s in g.sims if w.s_act[s] < t]
    u = rng.random()
    if live and u < 0.8:
        s = live[int(rng.integers(len(live)))]
        imei, _ = _handset_of(g, s)
        return str(w.s_msisdn[s]), "sim", int(g.cells[int(rng.integers(len(g.cells)))]), imei
    number = g.foreign[int(rng.integers(len(g.foreign)))]
    return number, "network" if number[:2] in ("95", "96") else "foreign", -1, ""


def burst_calls(w: World, day: int) -> list[FraudCall]:
    """Cold calls of the active gangs on one day: short bursts; most people never pay."""
    rng = rng_for(w.seed, "bursts", day)
    pool = np.flatnonzero(w.sim >= 0)
    out: list[FraudCall] = []
    for g in active_gangs(w, day):
        n = int(rng.poisson(w.config.burst_calls_per_gang_day))
        sessions = max(1, n // 25)
        for _ in range(sessions):
            t = day * DAY + int(rng.integers(9 * 3600, 20 * 3600))
            for _ in range(n // sessions):
                t += int(rng.integers(15, 75))
                number, kind, cell, imei = _pick_caller(w, rng, g, t)
                callee = int(w.sim[int(pool[int(rng.integers(len(pool)))])])
                u = rng.random()
                dur = 0 if u < 0.6 else int(rng.integers(2, 30)) if u < 0.95 else int(rng.integers(30, 180))
                out.append(
                    FraudCall(
                        min(t, day * DAY + DAY - 1), number, callee, dur, cell, imei, g.gang_id, None, "burst", kind
                    )
                )
    return out


def _choose_victim(w: World, rng: np.random.Generator, fraud_type: str) -> int:
    pool = victim_pool(w)
    lo, hi = {
        "SHUADAN": (18, 40),
        "YOUXI": (18, 30),
        "GONGJIANFA": (40, 80),
        "DAIKUAN": (22, 50),
        "SHAZHUPAN": (25, 55),
    }.get(fraud_type, (18, 80))
    p = int(pool[int(rng.integers(len(pool)))])
    for _ in range(6):
        if lo <= w.age[p] <= hi:
            break
        p = int(pool[int(rng.integers(len(pool)))])
    return p


def episodes_for_day(w: World, day: int) -> list[Episode]:
    """The victim episodes spawned on one day (deterministic in (seed, day))."""
    rng = rng_for(w.seed, "episodes", day)
    types, tp = zip(*R.FRAUD_TYPES, strict=True)
    out: list[Episode] = []
    for g in active_gangs(w, day):
        if not any(w.c_opened[c] < day * DAY for c in g.first_hop_cards):
            continue
        for _ in range(int(rng.poisson(w.config.victims_per_gang_day))):
            ftype = str(rng.choice(types, p=np.array(tp) / sum(tp)))
            ep = Episode(
                eid=f"E{w.clock.day_str(day).replace('-', '')}-{len(out) + 1:04d}",
                gang=g,
                victim=_choose_victim(w, rng, ftype),
                fraud_type=ftype,
                spawn_day=day,
                first_call=day * DAY + int(rng.integers(9 * 3600, 21 * 3600)),
            )
            _play_episode(w, rng, ep)
            out.append(ep)
    return out


def _play_episode(w: World, rng: np.random.Generator, ep: Episode) -> None:
    cfg, g = w.config, ep.gang
    callee = int(w.sim[ep.victim])
    number, kind, cell, imei = _pick_caller(w, rng, g, ep.first_call)
    ep.calls.append(
        FraudCall(
            ep.first_call, number, callee, int(rng.integers(180, 1800)), cell, imei, g.gang_id, ep.eid, "hook", kind
        )
    )
    for _ in range(int(rng.integers(0, 4))):
        t = ep.first_call + int(rng.integers(1800, 4 * DAY))
        n2, k2, c2, i2 = _pick_caller(w, rng, g, t)
        ep.calls.append(FraudCall(t, n2, callee, int(rng.integers(60, 900)), c2, i2, g.gang_id, ep.eid, "followup", k2))
    first_pay = ep.first_call + int(min(5 * DAY, max(600, rng.lognormal(np.log(3 * 3600), 1.2))))
    if rng.random() < cfg.warning_rate:
        t_warn = ep.first_call + int(rng.integers(600, 20 * 3600))
        source = str(rng.choice(["national_center", "operator", "model", "bank"], p=[0.4, 0.25, 0.2, 0.15]))
        if t_warn < first_pay and rng.random() < cfg.dissuaded_rate:
            ep.outcome = "dissuaded"
            ep.warning = {"t": t_warn, "source": source, "outcome": "dissuaded", "final": None}
        elif t_warn < first_pay:
            later = "already_paid"
            first = "unreachable" if rng.random() < 0.4 else "pending"
            ep.warning = {
                "t": t_warn,
                "source": source,
                "outcome": first,
                "final": (t_warn + int(rng.integers(3600, 3 * DAY)), later) if first == "pending" else None,
            }
        else:
            ep.warning = {"t": t_warn, "source": source, "outcome": "already_paid", "final": None}
    _contacts(w, rng, ep)
    if ep.outcome == "dissuaded":
        return
    _payments(w, rng, ep, first_pay)
    if ep.payments:
        ep.outcome = "paid"
        if rng.random() < cfg.report_rate:
            last = ep.payments[-1].t
            ep.report_t = last + int(min(10 * DAY, max(1800, rng.lognormal(np.log(10 * 3600), 1.0))))
            if g.bust_day is not None and (g.bust_day - 60) * DAY < ep.report_t < g.bust_day * DAY + 5 * DAY:
                ep.solved_t = max(ep.report_t, g.bust_day * DAY) + int(rng.integers(DAY, 7 * DAY))


def _contacts(w: World, rng: np.random.Generator, ep: Episode) -> None:
    seen: list[str] = []
    for c in ep.calls:
        if c.caller not in seen:
            seen.append(c.caller)
    ep.contacts = [("phone", n) for n in seen]
    tag = "".join(str(d) for d in rng.integers(0, 10, size=4))
    chat = ep.gang.chat
    if ep.fraud_type in ("SHUADAN", "YOUXI"):
        ep.contacts.append(("qq", chat["qq"][int(rng.integers(len(chat["qq"])))]))
    if ep.fraud_type in ("SHAZHUPAN", "TOUZI", "SHUADAN", "DAIKUAN"):
        ep.contacts.append(("wechat", chat["wechat"][int(rng.integers(len(chat["wechat"])))]))
    if ep.fraud_type in ("TOUZI", "SHAZHUPAN", "DAIKUAN", "KEFU", "GONGJIANFA"):
        ep.contacts.append(("app", R.FRAUD_APPS[int(rng.integers(len(R.FRAUD_APPS)))]))
    if rng.random() < 0.3:
        ep.contacts.append(("url", f"http://www.{['vip', 'hk', 'cn', 'app'][int(rng.integers(4))]}{tag}.com"))


def _payments(w: World, rng: np.random.Generator, ep: Episode, t: int) -> None:
    g = ep.gang
    n = int(rng.integers(2, 6)) if ep.fraud_type == "SHUADAN" else int(rng.integers(1, 4))
    median, sigma = R.FRAUD_AMOUNT[ep.fraud_type]
    base = rng.lognormal(np.log(median), sigma)
    victim_card = str(w.c_no[w.card[ep.victim]])
    for i in range(n):
        cards = [c for c in g.first_hop_cards if w.c_opened[c] < t]
        if not cards or (g.bust_day is not None and t >= g.bust_day * DAY):
            break
        mult = 2.0**i if ep.fraud_type == "SHUADAN" else float(rng.uniform(0.5, 1.5))
        cents = int(max(100, round(base * mult)) * 100)
        to = cards[int(rng.integers(len(cards)))]
        channel = str(rng.choice(["mobile", "online", "counter"], p=[0.7, 0.25, 0.05]))
        pay = Payment(i + 1, t, victim_card, to, cents, channel)
        ep.payments.append(pay)
        device = str(w.device[ep.victim]) if channel != "counter" else None
        ip = str(w.ip[ep.victim]) if channel != "counter" else None
        typology = str(rng.choice(TYPOLOGIES, p=TYPOLOGY_P))
        ep.txns.append(
            FraudTxn(t, victim_card, str(w.c_no[to]), cents, channel, device, ip, ep.eid, i + 1, 0, typology)
        )
        ep.txns.extend(_launder(w, rng, ep, pay, typology))
        t += int(rng.integers(600, 2 * DAY))


def _gang_device(w: World, g: Gang) -> tuple[str, str]:
    org = g.organizer
    return str(w.device[org])[::-1], str(w.ip[org])


def _launder(w: World, rng: np.random.Generator, ep: Episode, pay: Payment, typology: str) -> list[FraudTxn]:
    """Pass-through of one payment (fast unless slowed down): hops over mule cards, then cash-out at ATMs."""
    g, cfg = ep.gang, w.config
    device, ip = _gang_device(w, g)
    mules = [c for c in g.mule_cards if w.c_opened[c] < pay.t and c != g.collector_card] or [g.collector_card]
    out: list[FraudTxn] = []
    t = pay.t

    def move(src: int, dst: int | None, cents: int, at: int, hop: int) -> None:
        if dst is None:
            out.append(FraudTxn(at, str(w.c_no[src]), None, cents, "atm", None, None, ep.eid, pay.seq, hop, typology))
        else:
            out.append(
                FraudTxn(
                    at, str(w.c_no[src]), str(w.c_no[dst]), cents, "mobile", device, ip, ep.eid, pay.seq, hop, typology
                )
            )

    def wait(lo: int, hi: int) -> int:
        """A pass-through delay in seconds (slowed down by the configuration)."""
        return int(int(rng.integers(lo, hi)) * cfg.pass_through_slowdown)

    def cash_out(src: int, cents: int, at: int, hop: int) -> None:
        cents -= cents % 10_000  # whole hundreds of yuan
        while cents > 0:
            chunk = min(cents, ATM_CHUNK)
            at += wait(60, 600)
            move(src, None, chunk, at, hop)
            cents -= chunk

    amount = pay.cents - pay.cents * int(rng.integers(0, 2)) // 100
    if typology == "chain":
        cur = pay.to_card
        hops = int(rng.integers(cfg.mule_hops_min, cfg.mule_hops_max + 1))
        for h in range(1, hops + 1):
            nxt = mules[int(rng.integers(len(mules)))] if h < hops else g.collector_card
            t += wait(120, 2400)
            move(cur, nxt, amount, t, h)
            cur = nxt
        cash_out(cur, amount, t, hops + 1)
    elif typology == "fan_in":
        t += wait(120, 2400)
        move(pay.to_card, g.collector_card, amount, t, 1)
        cash_out(g.collector_card, amount, t, 2)
    else:
        k = min(len(mules), int(rng.integers(2, 5)))
        targets = rng.choice(mules, size=k, replace=False).tolist()
        shares = rng.dirichlet(np.ones(k))
        parts = [int(amount * s) // 100 * 100 for s in shares]
        parts[-1] += amount - sum(parts)
        for dst, part in zip(targets, parts, strict=True):
            if part <= 0:
                continue
            t += wait(60, 900)
            move(pay.to_card, int(dst), part, t, 1)
            if typology == "fan_out":
                cash_out(int(dst), part, t, 2)
            else:
                t2 = t + wait(300, 3600)
                move(int(dst), g.collector_card, part, t2, 2)
        if typology == "scatter_gather":
            cash_out(g.collector_card, amount, t + int(3600 * cfg.pass_through_slowdown), 3)
    return out
