"""`simulate`: generate a range of days of the three sources and the ground truth."""

from __future__ import annotations

import contextlib
import ctypes
import json
import time
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path

import numpy as np
from sqlalchemy.engine import Engine

from simulator import defects as D
from simulator import deliveries as RD
from simulator import police as P
from simulator import resends as RS
from simulator import truth as T
from simulator.clock import DAY, money, rng_for
from simulator.config import SimConfig
from simulator.finance import (
    Txns,
    account_rows,
    account_rows_of,
    amounts,
    concat_txns,
    fraud_txns_as_columns,
    normal_txns,
    txn_line,
)
from simulator.fraud import Episode, FraudCall, FraudTxn, burst_calls, episodes_for_day
from simulator.genesis import build_world
from simulator.lines import Lazy
from simulator.telecom import (
    CDR_COLS,
    CELL_COLS,
    SUBSCRIBER_COLS,
    Calls,
    cdr_lines,
    cell_rows,
    concat_calls,
    fraud_calls_as_columns,
    normal_calls,
    subscriber_rows,
    subscriber_rows_of,
)
from simulator.world import World
from simulator.writers import BatchWriter, delivery_id

DEFAULT_EPOCH = date(2026, 5, 1)
FORMAT = 2  # of the truth folder and of the world drawn from a seed; a world of another format is not continued
WINDOW_DAYS = 130  # episodes spawned this many days back can still produce events
BLOCK_DAYS = 14  # days planned and generated together: the output is the same however days are split over calls
TRUTH_TABLES = ("episodes", "fraud_calls", "payments", "money_path", "cases", "defects", "redeliveries", "resent")
ID_DEFECTS = ("id_check_char", "id_birth_date", "id_15_digit")
Due = dict[str, list[dict[str, object]]]  # re-sends due on a day, by file
Progress = Callable[[str, int, int], None]


class WorldMismatch(ValueError):
    """The truth folder holds a world these arguments cannot continue."""


@dataclass
class SimSummary:
    landing: Path
    police_url: str
    truth: Path
    first_day: date
    last_day: date
    people: int
    seconds: float
    rows: dict[str, int] = field(default_factory=dict)

    @property
    def days(self) -> int:
        return (self.last_day - self.first_day).days + 1

    def __str__(self) -> str:
        lines = [
            f"simulated {self.days} days {self.first_day}..{self.last_day}, {self.people} people, "
            f"in {self.seconds:.1f} s",
            f"  landing {self.landing}",
            f"  police  {self.police_url}",
            f"  truth   {self.truth}",
        ]
        lines += [f"  {k:<36} {v:>12,}" for k, v in sorted(self.rows.items())]
        return "\n".join(lines)


def _release_large_blocks() -> None:
    """Have glibc map every block of 128 KiB or more on its own (its default before it adapts): a day's
    arrays then go back to the system when freed instead of staying in the heap (scale 3: 13 MB less peak
    RSS, no slower). Elsewhere than on glibc, nothing to do."""
    with contextlib.suppress(OSError, AttributeError):
        ctypes.CDLL("libc.so.6").mallopt(-3, 128 * 1024)  # M_MMAP_THRESHOLD


def _as_path(url: str | Path) -> Path:
    s = str(url)
    return Path(s[len("file://") :] if s.startswith("file://") else s)


def _resolve_range(truth: Path, start: date | None, seed: int, scale: float, config: SimConfig) -> tuple[date, date]:
    """(epoch, start) after checking the truth folder's world state."""
    state = T.read_world_state(truth)
    if state is None:
        first = start or DEFAULT_EPOCH
        return first, first
    if state.get("format") != FORMAT:
        raise WorldMismatch(
            f"{truth} holds a world of simulator format {state.get('format')}, not {FORMAT}: start anew"
        )
    known = SimConfig(**state["config"]).model_dump()  # type: ignore[arg-type]  # knobs added later: defaults
    site = {"police_revision"}  # the police site may be upgraded while the world goes on
    if (
        state["seed"] != seed
        or state["scale"] != scale
        or {k: v for k, v in known.items() if k not in site} != config.model_dump(exclude=site)
    ):
        raise WorldMismatch(
            f"{truth} holds a world of seed {state['seed']}, scale {state['scale']} (and its knobs): continue it "
            "with those, or write another world with a new --truth, --landing and --police-url"
        )
    epoch = date.fromisoformat(str(state["epoch"]))
    last = date.fromisoformat(str(state["last_day"]))
    nxt = last + timedelta(days=1)
    start = start or nxt
    if start != nxt:  # earlier days are written already; later ones would leave a gap in every source
        raise WorldMismatch(
            f"{truth} holds a world from {epoch} to {last}: it continues on {nxt} (leave out --start), "
            "or write another world with a new --truth, --landing and --police-url"
        )
    return epoch, start


def simulate(
    landing: str | Path,
    police_url: str,
    truth: str | Path,
    *,
    start: date | None = None,
    days: int = 30,
    scale: float = 1.0,
    seed: int = 42,
    config: SimConfig | None = None,
    progress: Progress | None = None,
) -> SimSummary:
    """Generate `days` daily batches of telecom and finance, the police database rows and the truth."""
    t0 = time.perf_counter()
    _release_large_blocks()
    config = config or SimConfig()
    landing_p, truth_p = _as_path(landing), _as_path(truth)
    if truth_p.resolve().is_relative_to(landing_p.resolve()):
        raise WorldMismatch("the truth folder must not be inside the landing zone")
    epoch, start = _resolve_range(truth_p, start, seed, scale, config)
    w = build_world(seed, scale, epoch, config)
    first = w.clock.day_index(start)
    last = first + days - 1
    summary = SimSummary(landing_p, police_url, truth_p, start, w.clock.date_of(last), w.n, 0.0)
    rows: dict[str, int] = defaultdict(int)
    engine = P.engine_for(police_url)
    with engine.begin() as conn:
        P.create_tables(conn, config.police_revision)
    for block in range(first, last + 1, BLOCK_DAYS):  # as if called once per block: memory flat in the days
        _days(w, landing_p, truth_p, engine, block, min(last, block + BLOCK_DAYS - 1), rows, progress, first, days)
    engine.dispose()
    T.write_static(w, truth_p, last)
    T.write_world_state(
        truth_p,
        {
            "seed": seed,
            "scale": scale,
            "epoch": epoch.isoformat(),
            "last_day": w.clock.day_str(last),
            "config": config.model_dump(),
            "people": w.n,
            "format": FORMAT,
        },
    )
    if progress:
        progress("days", days, days)
    summary.rows = dict(rows)
    summary.seconds = time.perf_counter() - t0
    return summary


def _days(
    w: World,
    landing: Path,
    truth: Path,
    engine: Engine,
    first: int,
    last: int,
    rows: dict[str, int],
    progress: Progress | None,
    run_first: int,
    run_days: int,
) -> None:
    """Days `first`..`last`, planned on their own: the same output as a call of the simulator for them."""
    redelivered_from = first - RD.MAX_LAG if w.config.redelivery_rate > 0 else first
    episodes, pd = _plan(w, first, last, redelivered_from)
    calls_by_day, txns_by_day = _bucket(episodes)
    for day in range(first, last + 1):
        if progress:
            progress("days", day - run_first, run_days)
        truth_day: dict[str, list[dict[str, object]]] = defaultdict(list, {k: [] for k in TRUTH_TABLES})
        for redone in _redeliver(w, landing, truth, day, calls_by_day, txns_by_day, pd.freezes):
            truth_day["redeliveries"].append(redone)
            rows[f"redelivered/{redone['source']}"] += 1
        due = RS.due(truth, w.clock, day)
        _telecom_day(w, landing, day, calls_by_day.get(day, []), due, rows, truth_day)
        _finance_day(w, landing, day, txns_by_day.get(day, []), pd.freezes, due, rows, truth_day)
        with engine.begin() as conn:
            written = P.write_register(conn, w) if day == 0 else {}  # units and residents: the epoch's state
            upserted = P.upsert(conn, w.clock, pd.versions.pop(day, []), w.config.police_revision)
            for table, n in [*written.items(), *upserted.items()]:
                rows[f"police/{table}"] += n  # the day's versions are freed once written
        _truth_of_episodes(w, day, episodes, truth_day)
        truth_day["cases"] = pd.case_links.get(day, [])
        truth_day["defects"] += [
            {"source": "police", "batch": w.clock.day_str(day), **d} for d in pd.defects.get(day, [])
        ]
        T.write_day(truth, w.clock.day_str(day), dict(truth_day))


# ---- planning: everything spawned in the window that can touch the generated days ---------------


def _plan(w: World, first: int, last: int, redelivered_from: int) -> tuple[list[Episode], P.PoliceDay]:
    """Episodes and police rows; batches from `redelivered_from` on can be generated again (re-deliveries)."""
    lo = max(0, min(first, redelivered_from) - WINDOW_DAYS)
    episodes = [e for d in range(lo, last + 1) for e in episodes_for_day(w, d)]
    pd = P.PoliceDay()  # units and residents are written by `P.write_register` on day 0
    alarms = [a for d in range(lo, last + 1) for a in P.routine_rows(w, d, pd)]
    P.case_rows(w, episodes, pd)
    P.warning_rows(w, episodes, alarms, pd)
    P.suspect_rows(w, episodes, lo, last, pd)
    return episodes, pd


def _bucket(episodes: list[Episode]) -> tuple[dict[int, list[FraudCall]], dict[int, list[FraudTxn]]]:
    calls: dict[int, list[FraudCall]] = defaultdict(list)
    txns: dict[int, list[FraudTxn]] = defaultdict(list)
    for ep in episodes:
        for c in ep.calls:
            calls[c.t // DAY].append(c)
        for x in ep.txns:
            txns[x.t // DAY].append(x)
    return calls, txns


# ---- deliveries and re-deliveries ---------------------------------------------------------------


def _writer(w: World, landing: Path, source: str, day: int, attempt: int) -> BatchWriter:
    """The batch writer of one delivery: the first (damaged if so planned) or the corrected one."""
    batch = w.clock.day_str(day)
    damage = RD.damage_of(w.seed, w.config.redelivery_rate, source, day) if attempt == 0 else None
    kind = "initial" if day == 0 else "delta"
    return BatchWriter(landing, source, batch, kind, delivery_id(w.seed, source, batch, attempt), damage)


def _finish(w: World, writer: BatchWriter, truth_day: dict[str, list[dict[str, object]]]) -> None:
    """Write the manifest; a damaged first delivery is recorded in the truth on its day."""
    damaged = writer.finish()
    if damaged is not None and writer.damage is not None:
        corrected = w.clock.day_str(writer.damage.corrected_on)
        truth_day["redeliveries"].append(_delivery_row(writer, 1, writer.batch) | damaged | {"corrected_on": corrected})


def _delivery_row(writer: BatchWriter, attempt: int, delivered_on: str) -> dict[str, object]:
    return {
        "source": writer.source,
        "batch": writer.batch,
        "attempt": attempt,
        "delivery_id": writer.delivery,
        "delivered_on": delivered_on,
        "files": {k: int(v["rows"]) for k, v in sorted(writer.files.items())},  # type: ignore[call-overload]
    }


def _redeliver(
    w: World,
    landing: Path,
    truth: Path,
    day: int,
    calls_by_day: dict[int, list[FraudCall]],
    txns_by_day: dict[int, list[FraudTxn]],
    freezes: dict[int, list[tuple[int, int, str]]],
) -> list[dict[str, object]]:
    """Corrected deliveries arriving on `day`: each earlier damaged batch is written again in full."""
    out: list[dict[str, object]] = []
    rate = w.config.redelivery_rate
    for b in RD.corrected_on(w.seed, rate, "telecom", day):
        due, scratch = RS.due(truth, w.clock, b), defaultdict(list)
        writer = _telecom_day(w, landing, b, calls_by_day.get(b, []), due, defaultdict(int), scratch, attempt=1)
        out.append(_delivery_row(writer, 2, w.clock.day_str(day)))
    for b in RD.corrected_on(w.seed, rate, "finance", day):
        due, scratch = RS.due(truth, w.clock, b), defaultdict(list)
        writer = _finance_day(w, landing, b, txns_by_day.get(b, []), freezes, due, defaultdict(int), scratch, 1)
        out.append(_delivery_row(writer, 2, w.clock.day_str(day)))
    return out


# ---- telecom ----------------------------------------------------------------------------------


def _telecom_day(
    w: World,
    landing: Path,
    day: int,
    ep_calls: list[FraudCall],
    due: Due,
    rows: dict[str, int],
    truth_day: dict[str, list[dict[str, object]]],
    attempt: int = 0,
) -> BatchWriter:
    cfg, batch = w.config, w.clock.day_str(day)
    initial = day == 0
    rng = rng_for(w.seed, "telecom-defects", day)
    writer = _writer(w, landing, "telecom", day, attempt)
    defects = truth_day["defects"]
    # subscribers
    subs = subscriber_rows(w, day, initial)
    bad_ids: list[str] = []
    for i, kind in D.subscriber_defects(
        rng, subs, cfg.bad_holder_id_rate, cfg.pipe_in_name_rate, cfg.msisdn_format_rate
    ):
        defects.append(
            {
                "source": "telecom",
                "batch": batch,
                "file": "subscribers.csv",
                "line": i + 2,
                "key": subs[i][0],
                "kind": kind,
            }
        )
        if kind in ID_DEFECTS:
            bad_ids.append(RS.plain_msisdn(subs[i][0]))
    where = ("telecom", "subscribers.csv", day)
    truth_day["resent"] += RS.plan_corrections(w.seed, w.clock, where, bad_ids, cfg.late_correction_share)
    corrected = due.get("subscribers.csv", [])
    defects += RS.defects_of(batch, corrected, len(subs) + 2)
    subs += subscriber_rows_of(w, day, [str(r["key"]) for r in corrected])
    writer.text("subscribers.csv", SUBSCRIBER_COLS, subs.map(lambda rows: ["|".join(r) for r in rows]))
    del subs
    # cells when they change
    cells = cell_rows(w, day, initial)
    if cells:
        writer.text("cells.csv", CELL_COLS, ["|".join(r) for r in cells])
    # call records
    fraud = ep_calls + burst_calls(w, day)
    calls = concat_calls([normal_calls(w, day), fraud_calls_as_columns(w, fraud)])
    lines, call_ids, tags = _cdr(w, rng, day, calls)
    where = ("telecom", "cdr.csv.gz", day)
    truth_day["resent"] += RS.plan_copies(w.seed, w.clock, where, (call_ids, lines), cfg.cdr_resend_rate)
    copies = due.get("cdr.csv.gz", [])
    defects += RS.defects_of(batch, copies, len(lines) + 2)
    lines += [str(r["line"]) for r in copies]
    writer.text("cdr.csv.gz", CDR_COLS, lines)
    del lines
    for line_no, (key, kind) in tags:
        defects.append(
            {"source": "telecom", "batch": batch, "file": "cdr.csv.gz", "line": line_no, "key": key, "kind": kind}
        )
    # `_cdr` sorted the calls by time (calls.fraud with them), and call_ids follow that order
    order_calls = [(call_ids[i], c) for i, c in enumerate(calls.fraud) if c is not None]
    truth_day["fraud_calls"] = [
        {
            "call_id": cid,
            "gang_id": c.gang,
            "episode_id": c.episode,
            "purpose": c.purpose,
            "caller": c.caller,
            "caller_kind": c.caller_kind,
            "callee": str(w.s_msisdn[c.callee_sim]),
            "callee_id_no": str(w.id_no[w.s_holder[c.callee_sim]]),
            "start_time": w.clock.ts(c.t),
            "duration_s": c.duration,
        }
        for cid, c in order_calls
    ]
    _finish(w, writer, truth_day)
    for k, v in writer.rows().items():
        rows[k] += v
    return writer


def _ids(prefix: str, n: int) -> Lazy[str]:
    """The record ids of a day's file: prefix and the 1-based record number."""
    return Lazy(n, lambda a, b: [f"{prefix}{i:09d}" for i in range(a + 1, b + 1)])


def _cdr(
    w: World, rng: np.random.Generator, day: int, calls: Calls
) -> tuple[Lazy[str], Lazy[str], list[tuple[int, tuple[str, str]]]]:
    """The lines of the day's call records (made when written), their ids and defect tags."""
    cfg = w.config
    moved = D.late_and_future(rng, calls.t, day, cfg.late_record_rate, cfg.future_start_rate)
    kinds: dict[int, list[str]] = defaultdict(list)
    for i, k in moved.items():
        kinds[i].append(k)
    order = np.argsort(calls.t, kind="stable")
    calls.reorder(order)  # in place, a column at a time
    position = np.empty_like(order)
    position[order] = np.arange(len(order))  # where each record went in time order
    kinds = defaultdict(list, {int(position[i]): k for i, k in kinds.items()})
    ymd = w.clock.day_str(day).replace("-", "")
    call_ids = _ids(f"C{ymd}", len(calls))
    for i in D.number_formats(rng, calls.caller, cfg.msisdn_format_rate / 2):
        kinds[i].append("msisdn_format")
    for i in D.number_formats(rng, calls.callee, cfg.msisdn_format_rate / 2):
        kinds[i].append("msisdn_format")
    for i in D.negative_durations(rng, calls.dur, cfg.negative_duration_rate):
        kinds[i].append("negative_duration")
    lines = Lazy(len(calls), lambda a, b: cdr_lines(w, calls.part(a, b), call_ids[a:b]))
    tags = [(i + 2, (call_ids[i], k)) for i in sorted(kinds) for k in kinds[i]]
    n, copies = len(lines), []
    for j in D.duplicates(rng, n, cfg.cdr_duplicate_rate).tolist():
        copies.append(lines[j])
        tags.append((n + len(copies) + 1, (call_ids[j], "duplicate")))
    lines += copies
    return lines, call_ids, tags


# ---- finance ----------------------------------------------------------------------------------


def _finance_day(
    w: World,
    landing: Path,
    day: int,
    ep_txns: list[FraudTxn],
    freezes: dict[int, list[tuple[int, int, str]]],
    due: Due,
    rows: dict[str, int],
    truth_day: dict[str, list[dict[str, object]]],
    attempt: int = 0,
) -> BatchWriter:
    cfg, batch = w.config, w.clock.day_str(day)
    initial = day == 0
    rng = rng_for(w.seed, "finance-defects", day)
    writer = _writer(w, landing, "finance", day, attempt)
    defects = truth_day["defects"]
    accounts = account_rows(w, day, initial, freezes)
    corrected = due.get("accounts.jsonl", [])
    defects += RS.defects_of(batch, corrected, len(accounts) + 1)
    accounts += account_rows_of(w, day, [str(r["key"]) for r in corrected], freezes)
    cut = bool(accounts) and rng.random() < cfg.truncated_file_rate
    if cut:
        key = json.loads(accounts[-1])["card_no"]
        defects.append(
            {
                "source": "finance",
                "batch": batch,
                "file": "accounts.jsonl",
                "line": len(accounts),
                "key": key,
                "kind": "truncated_line",
            }
        )
        where = ("finance", "accounts.jsonl", day)
        truth_day["resent"] += RS.plan_corrections(w.seed, w.clock, where, [key], cfg.late_correction_share)
    writer.jsonl("accounts.jsonl", accounts, truncate_last=cut)
    del accounts
    txns = concat_txns([normal_txns(w, day), fraud_txns_as_columns(ep_txns)])
    txns = txns.take(np.argsort(txns.t, kind="stable"))
    lines, ids, tags = _transactions(w, rng, day, txns)
    where = ("finance", "transactions.jsonl.gz", day)
    truth_day["resent"] += RS.plan_copies(
        w.seed, w.clock, where, (ids, lines), cfg.txn_resend_rate, cfg.duplicate_reversed_share
    )
    copies = due.get("transactions.jsonl.gz", [])
    defects += RS.defects_of(batch, copies, len(lines) + 1)
    lines += [str(r["line"]) for r in copies]
    cut = bool(lines) and rng.random() < cfg.truncated_file_rate
    if cut:
        tags.append((len(lines), (json.loads(lines[-1])["txn_id"], "truncated_line")))
    writer.jsonl("transactions.jsonl.gz", lines, truncate_last=cut)
    del lines
    for line_no, (key, kind) in tags:
        defects.append(
            {
                "source": "finance",
                "batch": batch,
                "file": "transactions.jsonl.gz",
                "line": line_no,
                "key": key,
                "kind": kind,
            }
        )
    _money_truth(w, txns, ids, truth_day)
    _finish(w, writer, truth_day)
    for k, v in writer.rows().items():
        rows[k] += v
    return writer


def _transactions(
    w: World, rng: np.random.Generator, day: int, txns: Txns
) -> tuple[Lazy[str], Lazy[str], list[tuple[int, tuple[str, str]]]]:
    """The lines of the day's transactions (made when written), their ids and defect tags."""
    cfg = w.config
    ymd = w.clock.day_str(day).replace("-", "")
    ids = _ids(f"T{ymd}", len(txns))
    ts = Lazy(len(txns), lambda a, b: w.clock.iso_many(txns.t[a:b]))
    amt = Lazy(len(txns), lambda a, b: amounts(txns.cents[a:b]))
    kinds: dict[int, list[str]] = defaultdict(list)
    for i, k in D.amount_defects(rng, amt, cfg.amount_separator_rate, cfg.amount_unparseable_rate).items():
        kinds[i].append(k)
    for i, k in D.ts_defects(rng, ts, cfg.ts_format_rate).items():
        kinds[i].append(k)

    def make(a: int, b: int) -> list[str]:
        cols = zip(
            ids[a:b],
            ts[a:b],
            txns.src[a:b].tolist(),
            txns.dst[a:b].tolist(),
            amt[a:b],
            txns.channel[a:b].tolist(),
            txns.device[a:b].tolist(),
            txns.ip[a:b].tolist(),
            txns.status[a:b].tolist(),
            strict=True,
        )
        return [txn_line(*c) for c in cols]

    lines = Lazy(len(txns), make)
    tags = [(i + 1, (ids[i], k)) for i in sorted(kinds) for k in kinds[i]]
    n, copies = len(lines), []
    for j in D.duplicates(rng, n, cfg.txn_duplicate_rate).tolist():
        line = lines[j]
        kind = "duplicate"
        if rng.random() < cfg.duplicate_reversed_share and '"status":"success"' in line:
            line, kind = line.replace('"status":"success"', '"status":"reversed"'), "duplicate_reversed"
        copies.append(line)
        tags.append((n + len(copies), (ids[j], kind)))
    lines += copies
    return lines, ids, tags


def _money_truth(w: World, txns: Txns, ids: Lazy[str], truth_day: dict[str, list[dict[str, object]]]) -> None:
    for i, f in enumerate(txns.fraud):
        if f is None:
            continue
        row = {
            "txn_id": ids[i],
            "episode_id": f.episode,
            "payment_seq": f.pay_seq,
            "hop": f.hop,
            "typology": f.typology,
            "ts": w.clock.iso(f.t),
            "from_card": f.from_card,
            "to_card": f.to_card,
            "amount": money(f.cents),
            "channel": f.channel,
        }
        truth_day["money_path"].append(row)
        if f.hop == 0:
            truth_day["payments"].append(row)


def _truth_of_episodes(
    w: World, day: int, episodes: list[Episode], truth_day: dict[str, list[dict[str, object]]]
) -> None:
    """Episodes are listed on the day of their first call."""
    for ep in episodes:
        if ep.first_call // DAY != day:
            continue
        truth_day["episodes"].append(
            {
                "episode_id": ep.eid,
                "gang_id": ep.gang.gang_id,
                "victim_id_no": str(w.id_no[ep.victim]),
                "victim_name": str(w.name[ep.victim]),
                "victim_phone": w.msisdn_of(ep.victim),
                "victim_card": str(w.c_no[w.card[ep.victim]]),
                "fraud_type": ep.fraud_type,
                "first_call_at": w.clock.ts(ep.first_call),
                "outcome": ep.outcome,
                "warned_at": None if ep.warning is None else w.clock.ts(int(ep.warning["t"])),  # type: ignore[call-overload]
                "reported_at": None if ep.report_t is None else w.clock.ts(ep.report_t),
                "solved_at": None if ep.solved_t is None else w.clock.ts(ep.solved_t),
                "payments": [
                    {
                        "seq": p.seq,
                        "paid_at": w.clock.ts(p.t),
                        "to_card": str(w.c_no[p.to_card]),
                        "amount": money(p.cents),
                    }
                    for p in ep.payments
                ],
            }
        )
