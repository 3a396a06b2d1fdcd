"""Finance source: bank cards and holders (accounts.jsonl), money movements (transactions.jsonl.gz)."""

from __future__ import annotations

import json
from dataclasses import dataclass

import numpy as np

from simulator.clock import DAY, money, rng_for, times_of_day
from simulator.fraud import FraudTxn
from simulator.lines import Lazy
from simulator.world import World, positions

BUSINESS_HOURS = np.array([0.1] * 7 + [1.0] * 14 + [0.3] * 3)
BUSINESS_HOURS = BUSINESS_HOURS / BUSINESS_HOURS.sum()


@dataclass
class Txns:
    """One day's money movements as columns (before defects and ids)."""

    t: np.ndarray
    src: np.ndarray  # object: card number or None
    dst: np.ndarray
    cents: np.ndarray
    channel: np.ndarray
    device: np.ndarray
    ip: np.ndarray
    status: np.ndarray
    fraud: list[FraudTxn | None]

    def __len__(self) -> int:
        return len(self.t)

    def take(self, idx: np.ndarray) -> Txns:
        return Txns(
            *(getattr(self, k)[idx] for k in ("t", "src", "dst", "cents", "channel", "device", "ip", "status")),
            [self.fraud[i] for i in idx.tolist()],
        )


def concat_txns(parts: list[Txns]) -> Txns:
    keys = ("t", "src", "dst", "cents", "channel", "device", "ip", "status")
    return Txns(*(np.concatenate([getattr(p, k) for p in parts]) for k in keys), [f for p in parts for f in p.fraud])


# ---- accounts ---------------------------------------------------------------------------------


def _card_status_until(w: World, day: int, extra: dict[int, list[tuple[int, int, str]]]) -> dict[int, tuple[str, int]]:
    state: dict[int, tuple[str, int]] = {}
    days = sorted({*(d for d in w.card_events if d <= day), *(d for d in extra if d <= day)})
    for d in days:
        for t, c, status in sorted(w.card_events.get(d, []) + extra.get(d, [])):
            state[c] = (status, t)
    return state


def account_rows(w: World, day: int, initial: bool, freezes: dict[int, list[tuple[int, int, str]]]) -> Lazy[str]:
    """JSON lines of the cards opened or changed on `day` (every open card when initial), in the order of
    their last change, made a range at a time when written.

    `freezes` holds police stop-payment freezes by day (from the fraud episodes)."""
    end = (day + 1) * DAY
    state = _card_status_until(w, day, freezes)
    if initial:
        opened = np.flatnonzero(w.c_opened < end)
        cards = opened[~np.isin(opened, [c for c, (status, _) in state.items() if status == "closed"])]
    else:
        new = np.flatnonzero((w.c_opened >= day * DAY) & (w.c_opened < end)).tolist()
        changed = [c for _, c, _ in w.card_events.get(day, []) + freezes.get(day, [])]
        cards = np.array(sorted(set(new) | {c for c in changed if w.c_opened[c] < end}), dtype=np.int64)
    changed_at = w.c_opened[cards].astype(np.int64)  # the time of the last change, as in `_account_line`
    if state and len(cards):
        keys = np.fromiter(state, dtype=np.int64, count=len(state))
        times = np.fromiter((t for _, t in state.values()), dtype=np.int64, count=len(state))
        by_key = np.argsort(keys)
        keys, times = keys[by_key], times[by_key]
        at = np.minimum(np.searchsorted(keys, cards), len(keys) - 1)
        hit = keys[at] == cards
        changed_at[hit] = times[at[hit]]
    ordered = cards[np.argsort(changed_at, kind="stable")]
    return Lazy(len(ordered), lambda a, b: [_account_line(w, c, state)[1] for c in ordered[a:b].tolist()])


def account_rows_of(
    w: World, day: int, card_nos: list[str], freezes: dict[int, list[tuple[int, int, str]]]
) -> list[str]:
    """JSON lines of the given cards' state at the end of `day` (a late correction re-sends them)."""
    if not card_nos:
        return []
    state = _card_status_until(w, day, freezes)
    index = positions(w.c_no, card_nos)
    return [_account_line(w, index[c], state)[1] for c in card_nos]


def _account_line(w: World, c: int, state: dict[int, tuple[str, int]]) -> tuple[int, str]:
    """(time of the last change, JSON line) of one card."""
    holder = int(w.c_holder[c])
    status, t = state.get(c, ("normal", int(w.c_opened[c])))
    iso = w.clock.iso
    line = json.dumps(
        {
            "card_no": str(w.c_no[c]),
            "bank_code": str(w.c_bank[c]),
            "holder_id_no": str(w.id_no[holder]),
            "holder_name": str(w.name[holder]),
            "holder_phone": w.c_phone[c],
            "opened_at": iso(int(w.c_opened[c])),
            "branch_code": str(w.c_branch[c]),
            "region_code": str(w.c_region[c]),
            "account_class": str(w.c_class[c]),
            "status": status,
            "updated_at": iso(max(t, int(w.c_opened[c]))),
        },
        ensure_ascii=False,
        separators=(",", ":"),
    )
    return t, line


# ---- transactions -----------------------------------------------------------------------------


def _block(
    rng: np.random.Generator,
    t: np.ndarray,
    src: np.ndarray,
    dst: np.ndarray,
    cents: np.ndarray,
    channel: np.ndarray,
    who: np.ndarray,
    w: World,
) -> Txns:
    """Assemble a block; `who` is the person acting (device and IP for mobile/online), -1 none."""
    n = len(t)
    online = np.isin(channel, ["mobile", "online"]) & (who >= 0)
    safe = np.maximum(who, 0)
    device, ip = np.full(n, None, dtype=object), np.full(n, None, dtype=object)
    with_device = online & (rng.random(n) < 0.95)
    with_ip = online & (rng.random(n) < 0.9)
    device[with_device] = w.device[safe[with_device]]  # formatted only where sent
    ip[with_ip] = w.ip[safe[with_ip]]
    status = np.where(rng.random(n) < 0.985, "success", "failed").astype(object)
    return Txns(
        t.astype(np.int64),
        src.astype(object),
        dst.astype(object),
        cents.astype(np.int64),
        channel.astype(object),
        device.astype(object),
        ip.astype(object),
        status,
        [None] * n,
    )


def normal_txns(w: World, day: int) -> Txns:
    """Shopping, online payments, family transfers, ATM cash, salaries and cash businesses."""
    rng = rng_for(w.seed, "txns", day)
    rate = w.config.txns_per_person_day
    payers = np.flatnonzero((w.card >= 0) & (w.age >= 18))
    base = day * DAY
    blocks: list[Txns] = []
    cards = w.c_no
    # shopping at local merchants
    p = np.repeat(payers, rng.poisson(rate * 0.62, size=len(payers)))
    m = rng.choice(w.merchants, size=len(p))
    ch = np.where(rng.random(len(p)) < 0.4, "pos", "mobile").astype(object)
    cents = (np.maximum(1, rng.lognormal(np.log(60), 0.9, size=len(p))) * 100).astype(np.int64)
    blocks.append(_block(rng, base + times_of_day(rng, len(p)), cards[w.card[p]], cards[w.card[m]], cents, ch, p, w))
    # online platforms (non-reporting banks)
    p = np.repeat(payers, rng.poisson(rate * 0.16, size=len(payers)))
    dst = rng.choice(np.array(w.platform_cards, dtype=object), size=len(p))
    ch = np.where(rng.random(len(p)) < 0.5, "online", "mobile").astype(object)
    cents = (np.maximum(1, rng.lognormal(np.log(120), 1.0, size=len(p))) * 100).astype(np.int64)
    blocks.append(_block(rng, base + times_of_day(rng, len(p)), cards[w.card[p]], dst, cents, ch, p, w))
    # transfers within families
    p = np.repeat(payers, rng.poisson(rate * 0.12, size=len(payers)))
    rel = w.clan_start[w.clan[p]] + (rng.random(len(p)) * w.clan_size[w.clan[p]]).astype(np.int64)
    ok = (rel != p) & (w.card[rel] >= 0)
    p, rel = p[ok], rel[ok]
    cents = (np.maximum(10, rng.lognormal(np.log(500), 1.0, size=len(p))) // 10 * 1000).astype(np.int64)
    blocks.append(
        _block(
            rng,
            base + times_of_day(rng, len(p)),
            cards[w.card[p]],
            cards[w.card[rel]],
            cents,
            np.full(len(p), "mobile", dtype=object),
            p,
            w,
        )
    )
    # ATM cash
    p = np.repeat(payers, rng.poisson(rate * 0.1, size=len(payers)))
    cents = rng.integers(1, 31, size=len(p)) * 10_000
    blocks.append(
        _block(
            rng,
            base + times_of_day(rng, len(p), BUSINESS_HOURS),
            cards[w.card[p]],
            np.full(len(p), None, dtype=object),
            cents,
            np.full(len(p), "atm", dtype=object),
            np.full(len(p), -1),
            w,
        )
    )
    blocks.append(_salaries(w, rng, day))
    blocks.append(_cash_business(w, rng, day))
    return concat_txns(blocks)


def _salaries(w: World, rng: np.random.Generator, day: int) -> Txns:
    dom = w.clock.date_of(day).day
    paying = np.flatnonzero(w.corp_payday == dom)
    p = np.flatnonzero(np.isin(w.employer, paying))
    corp = np.array(w.corp_cards, dtype=object)
    t = day * DAY + rng.integers(9 * 3600, 11 * 3600, size=len(p))
    return _block(
        rng,
        t,
        corp[w.employer[p]],
        w.c_no[w.card[p]],
        w.salary[p],
        np.full(len(p), "online", dtype=object),
        np.full(len(p), -1),
        w,
    )


def _cash_business(w: World, rng: np.random.Generator, day: int) -> Txns:
    """Look-alike: cash-heavy small businesses deposit and withdraw a lot."""
    shops = w.merchants[w.cash_business]
    dep = np.repeat(shops, rng.poisson(0.5, size=len(shops)))
    wd = np.repeat(shops, rng.poisson(0.35, size=len(shops)))
    t = day * DAY + times_of_day(rng, len(dep) + len(wd), BUSINESS_HOURS)
    cards = w.c_no
    src = np.concatenate([np.full(len(dep), None, dtype=object), cards[w.card[wd]]])
    dst = np.concatenate([cards[w.card[dep]], np.full(len(wd), None, dtype=object)])
    cents = np.concatenate(
        [rng.integers(20, 200, size=len(dep)) * 10_000, rng.integers(10, 200, size=len(wd)) * 10_000]
    )
    ch = np.concatenate([np.where(rng.random(len(dep)) < 0.6, "counter", "atm"), np.full(len(wd), "atm")]).astype(
        object
    )
    return _block(rng, t, src, dst, cents, ch, np.full(len(t), -1), w)


def fraud_txns_as_columns(txns: list[FraudTxn]) -> Txns:
    def col(k: str, dtype: type = object) -> np.ndarray:
        return np.array([getattr(x, k) for x in txns], dtype=dtype)

    return Txns(
        col("t", np.int64),
        col("from_card"),
        col("to_card"),
        col("cents", np.int64),
        col("channel"),
        col("device"),
        col("ip"),
        np.full(len(txns), "success", dtype=object),
        list(txns),
    )


def _q(v: object) -> str:
    return "null" if v is None else f'"{v}"'


def txn_line(
    txn_id: str, ts: str, src: object, dst: object, amount: str, channel: str, device: object, ip: object, status: str
) -> str:
    return (
        f'{{"txn_id":"{txn_id}","ts":"{ts}","from_card":{_q(src)},"to_card":{_q(dst)},'
        f'"amount":"{amount}","channel":"{channel}","device_id":{_q(device)},"ip":{_q(ip)},'
        f'"status":"{status}"}}'
    )


def amounts(cents: np.ndarray) -> list[str]:
    return [money(c) for c in cents.tolist()]
