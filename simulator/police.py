"""Police source: the case system database (SQLite or PostgreSQL), rows inserted and updated in place.

Rows are built as versions (updated_at, table, row); the rows of one day are upserted by key in the
order of `updated_at`, so generating days in any number of calls gives the same database.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import Decimal
from pathlib import Path

import numpy as np
from sqlalchemy import create_engine, text
from sqlalchemy.engine import Connection, Engine, make_url

from simulator import refdata as R
from simulator.clock import DAY, Clock, money, rng_for
from simulator.fraud import Episode
from simulator.ids import messy_number, mistype_id
from simulator.world import COUNTY_CODES, COUNTY_INDEX, World

# column kinds: t text, i integer, ts timestamp, m money, d date
TABLES: dict[str, tuple[list[tuple[str, str]], tuple[str, ...]]] = {
    "units": (
        [
            ("unit_code", "t"),
            ("name", "t"),
            ("parent_code", "t"),
            ("region_code", "t"),
            ("level", "t"),
            ("updated_at", "ts"),
        ],
        ("unit_code",),
    ),
    "cases": (
        [
            ("case_no", "t"),
            ("unit_code", "t"),
            ("region_code", "t"),
            ("fraud_type", "t"),
            ("reported_at", "ts"),
            ("occurred_at", "ts"),
            ("loss_amount", "m"),
            ("status", "t"),
            ("solved_at", "ts"),
            ("narrative", "t"),
            ("updated_at", "ts"),
        ],
        ("case_no",),
    ),
    "victims": (
        [
            ("case_no", "t"),
            ("seq", "i"),
            ("id_no", "t"),
            ("name", "t"),
            ("phone", "t"),
            ("gender", "t"),
            ("age", "i"),
            ("updated_at", "ts"),
        ],
        ("case_no", "seq"),
    ),
    "case_transfers": (
        [
            ("case_no", "t"),
            ("seq", "i"),
            ("paid_at", "ts"),
            ("from_card", "t"),
            ("to_card", "t"),
            ("amount", "m"),
            ("channel", "t"),
            ("updated_at", "ts"),
        ],
        ("case_no", "seq"),
    ),
    "case_contacts": (
        [("case_no", "t"), ("seq", "i"), ("contact_type", "t"), ("contact_value", "t"), ("updated_at", "ts")],
        ("case_no", "seq"),
    ),
    "suspects": (
        [
            ("suspect_no", "t"),
            ("case_no", "t"),
            ("id_no", "t"),
            ("name", "t"),
            ("phone", "t"),
            ("role", "t"),
            ("arrested_at", "ts"),
            ("unit_code", "t"),
            ("updated_at", "ts"),
        ],
        ("suspect_no",),
    ),
    "stop_payments": (
        [
            ("request_no", "t"),
            ("case_no", "t"),
            ("card_no", "t"),
            ("requested_at", "ts"),
            ("amount_stopped", "m"),
            ("status", "t"),
            ("unit_code", "t"),
            ("updated_at", "ts"),
        ],
        ("request_no",),
    ),
    "recoveries": (
        [("case_no", "t"), ("seq", "i"), ("recovered_at", "ts"), ("amount", "m"), ("updated_at", "ts")],
        ("case_no", "seq"),
    ),
    "warnings": (
        [
            ("warning_id", "t"),
            ("unit_code", "t"),
            ("phone", "t"),
            ("issued_at", "ts"),
            ("source", "t"),
            ("outcome", "t"),
            ("updated_at", "ts"),
        ],
        ("warning_id",),
    ),
    "prevention_activities": (
        [
            ("activity_id", "t"),
            ("unit_code", "t"),
            ("region_code", "t"),
            ("held_at", "ts"),
            ("kind", "t"),
            ("reach", "i"),
            ("app_registrations", "i"),
            ("updated_at", "ts"),
        ],
        ("activity_id",),
    ),
    "supervision_tasks": (
        [
            ("task_id", "t"),
            ("unit_code", "t"),
            ("kind", "t"),
            ("issued_at", "ts"),
            ("due_at", "ts"),
            ("completed_at", "ts"),
            ("feedback", "t"),
            ("updated_at", "ts"),
        ],
        ("task_id",),
    ),
    "residents": (
        [
            ("id_no", "t"),
            ("name", "t"),
            ("gender", "t"),
            ("birth_date", "d"),
            ("household_no", "t"),
            ("relation", "t"),
            ("region_code", "t"),
            ("updated_at", "ts"),
        ],
        ("id_no",),
    ),
}
# Columns a later revision of police.md added (before updated_at): revision 2 adds supervision_tasks.ref_no.
REVISED: dict[int, dict[str, list[tuple[str, str]]]] = {2: {"supervision_tasks": [("ref_no", "t")]}}
SQL_TYPES = {
    "sqlite": {"t": "TEXT", "i": "INTEGER", "ts": "TEXT", "m": "NUMERIC(14,2)", "d": "TEXT"},
    "postgresql": {"t": "TEXT", "i": "INTEGER", "ts": "TIMESTAMP(0)", "m": "NUMERIC(14,2)", "d": "DATE"},
}

Row = dict[str, object]


@dataclass
class PoliceDay:
    """Row versions to upsert, police freezes of cards, truth links and defects, by day."""

    versions: dict[int, list[tuple[int, str, Row]]] = field(default_factory=lambda: defaultdict(list))
    freezes: dict[int, list[tuple[int, int, str]]] = field(default_factory=lambda: defaultdict(list))
    case_links: dict[int, list[Row]] = field(default_factory=lambda: defaultdict(list))
    defects: dict[int, list[Row]] = field(default_factory=lambda: defaultdict(list))

    def put(self, t: int, table: str, row: Row) -> None:
        self.versions[t // DAY].append((t, table, row))


# ---- database ---------------------------------------------------------------------------------


def engine_for(url: str) -> Engine:
    """An engine for the police URL; a SQLite file's folder is created when missing."""
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite" and parsed.database and parsed.database != ":memory:":
        Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
    return create_engine(url)


def columns(table: str, revision: int = 1) -> list[tuple[str, str]]:
    """(column, kind) of a table in the given contract revision."""
    cols = TABLES[table][0]
    added = [c for r, tables in REVISED.items() if r <= revision for c in tables.get(table, [])]
    return [*cols[:-1], *added, cols[-1]] if added else cols


def create_tables(conn: Connection, revision: int = 1) -> None:
    """The tables of the given revision; a database on an earlier one is upgraded as a site is (ALTER TABLE)."""
    dialect = conn.dialect.name
    types = SQL_TYPES["postgresql" if dialect == "postgresql" else "sqlite"]
    for table, (_, pk) in TABLES.items():
        cols = columns(table, revision)
        body = ", ".join(f"{c} {types[k]}" for c, k in cols)
        conn.execute(text(f"CREATE TABLE IF NOT EXISTS {table} ({body}, PRIMARY KEY ({', '.join(pk)}))"))
        have = set(conn.execute(text(f"SELECT * FROM {table} WHERE 1 = 0")).keys())
        for c, k in cols:
            if c not in have:
                conn.execute(text(f"ALTER TABLE {table} ADD COLUMN {c} {types[k]}"))


def _convert(value: object, kind: str, clock: Clock, pg: bool) -> object:
    if value is None:
        return None
    if kind == "ts":
        return clock.dt(int(value)) if pg else clock.ts(int(value))  # type: ignore[call-overload]
    if kind == "m":
        return Decimal(money(int(value))) if pg else money(int(value))  # type: ignore[call-overload]
    if kind == "d" and pg:
        return date.fromisoformat(str(value))
    return value


def upsert(conn: Connection, clock: Clock, versions: list[tuple[int, str, Row]], revision: int = 1) -> dict[str, int]:
    """Insert or replace rows by key, in `updated_at` order; returns rows written per table."""
    pg = conn.dialect.name == "postgresql"
    by_table: dict[str, list[Row]] = defaultdict(list)
    counts: dict[str, int] = defaultdict(int)
    for _, table, row in sorted(versions, key=lambda v: v[0]):
        cols = columns(table, revision)
        by_table[table].append({c: _convert(row.get(c), k, clock, pg) for c, k in cols})
        counts[table] += 1
    for table, rows in by_table.items():
        _, pk = TABLES[table]
        names = [c for c, _ in columns(table, revision)]
        update = ", ".join(f"{c} = excluded.{c}" for c in names if c not in pk)
        sql = (
            f"INSERT INTO {table} ({', '.join(names)}) VALUES ({', '.join(':' + c for c in names)}) "
            f"ON CONFLICT ({', '.join(pk)}) DO UPDATE SET {update}"
        )
        # keep order within a key: executemany in chunks preserves it
        for i in range(0, len(rows), 5000):
            conn.execute(text(sql), rows[i : i + 5000])
    return dict(counts)


# ---- reference rows ---------------------------------------------------------------------------


REGISTER_CHUNK = 5000  # residents made and written at a time


def write_register(conn: Connection, w: World) -> dict[str, int]:
    """Units and the household register as of the epoch day, written on the first day a chunk at a time
    (never held whole); returns rows written per table."""
    t0 = 2 * 3600
    counts = upsert(conn, w.clock, [(t0, "units", {**u, "updated_at": t0}) for u in w.units])
    people = np.flatnonzero(w.registered)
    for i in range(0, len(people), REGISTER_CHUNK):
        chunk = people[i : i + REGISTER_CHUNK]
        births = w.birth[chunk].astype(str).tolist()
        versions: list[tuple[int, str, Row]] = [
            (
                t0 + 60,
                "residents",
                {
                    "id_no": str(w.id_no[p]),
                    "name": str(w.name[p]),
                    "gender": "M" if w.sex[p] else "F",
                    "birth_date": births[k],
                    "household_no": w.hh_no[int(w.hh[p])],
                    "relation": str(w.relation[p]),
                    "region_code": str(COUNTY_CODES[w.home[p]]),
                    "updated_at": t0 + 60,
                },
            )
            for k, p in enumerate(chunk.tolist())
        ]
        for table, n in upsert(conn, w.clock, versions).items():
            counts[table] = counts.get(table, 0) + n
    return counts


# ---- cases from fraud episodes ----------------------------------------------------------------


def _unit(w: World, rng: np.random.Generator, region: str) -> str:
    units = w.county_unit[region]
    return units[0] if rng.random() < 0.5 else units[int(rng.integers(len(units)))]


def _narrative(
    w: World, ep: Episode, phones: list[str], cards: list[str], others: list[tuple[str, str]], total: int, report_t: int
) -> str:
    clock = w.clock
    d = clock.dt(ep.first_call)
    when = f"{d.year}年{d.month}月{d.day}日{d.hour}时许"
    who = str(w.name[ep.victim])
    text_ = f"{when}，报警人{who}接到号码为{phones[0] if phones else '不详'}的电话，{R.FRAUD_PITCH[ep.fraud_type]}。"
    for kind, value in others:
        text_ += {
            "wechat": f"对方添加其微信（{value}）继续联系。",
            "qq": f"对方让其添加QQ号{value}。",
            "app": f"对方诱导其下载“{value}”APP。",
            "url": f"对方发来网址{value}。",
        }.get(kind, "")
    if len(phones) > 1:
        text_ += f"期间对方还使用{'、'.join(phones[1:3])}与其通话。"
    text_ += (
        f"报警人先后{len(cards)}次向对方提供的银行卡（{'，'.join(dict.fromkeys(cards))}）转账，"
        f"共计人民币{money(total)}元，后发现被骗，遂于{clock.dt(report_t).strftime('%m月%d日')}报警。"
    )
    return text_


def case_rows(w: World, episodes: list[Episode], pd: PoliceDay) -> None:
    """Cases, victims, transfers, contacts, stop-payments, recoveries and follow-up tasks."""
    reported = sorted((e for e in episodes if e.report_t is not None), key=lambda e: (e.report_t, e.eid))
    seq: dict[tuple[str, int], int] = defaultdict(int)
    for ep in reported:
        rng = rng_for(w.seed, "case", ep.eid)
        rt = int(ep.report_t)  # type: ignore[arg-type]
        region = str(COUNTY_CODES[w.home[ep.victim]])
        seq[(region, rt // DAY)] += 1
        case_no = f"A{region}{w.clock.day_str(rt // DAY).replace('-', '')}{seq[(region, rt // DAY)]:05d}"
        _one_case(w, rng, ep, case_no, region, rt, pd)


def _messy(rng: np.random.Generator, number: str, rate: float) -> tuple[str, bool]:
    if rng.random() < rate:
        return messy_number(number, int(rng.integers(1, 5))), True
    return number, False


def _one_case(
    w: World, rng: np.random.Generator, ep: Episode, case_no: str, region: str, rt: int, pd: PoliceDay
) -> None:
    cfg, v = w.config, ep.victim
    unit = _unit(w, rng, region)
    day = rt // DAY
    defects = pd.defects[day]
    pd.case_links[day].append(
        {
            "case_no": case_no,
            "episode_id": ep.eid,
            "gang_id": ep.gang.gang_id,
            "victim_id_no": str(w.id_no[v]),
            "fraud_type": ep.fraud_type,
        }
    )
    # victim
    id_no = str(w.id_no[v])
    if rng.random() < cfg.police_id_defect_rate:
        k = int(rng.integers(3))
        id_no = mistype_id(id_no, k)
        defects.append(
            {"table": "victims", "key": f"{case_no}/1", "kind": ["id_check_char", "id_empty", "id_lowercase_x"][k]}
        )
    phone, _ = _messy(rng, str(w.s_msisdn[w.sim[v]]), cfg.messy_number_rate * 0.3)
    pd.put(
        rt,
        "victims",
        {
            "case_no": case_no,
            "seq": 1,
            "id_no": id_no or None,
            "name": str(w.name[v]),
            "phone": phone,
            "gender": "M" if w.sex[v] else "F",
            "age": int(w.age[v]),
            "updated_at": rt,
        },
    )
    # transfers
    cards_written, total = [], 0
    for p in ep.payments:
        to, m1 = _messy(rng, str(w.c_no[p.to_card]), cfg.messy_number_rate)
        frm = None if rng.random() < 0.1 else _messy(rng, p.from_card, cfg.messy_number_rate * 0.5)[0]
        cards_written.append(to)
        total += p.cents
        pd.put(
            rt,
            "case_transfers",
            {
                "case_no": case_no,
                "seq": p.seq,
                "paid_at": p.t - p.t % 60,
                "from_card": frm,
                "to_card": to,
                "amount": p.cents,
                "channel": p.channel,
                "updated_at": rt,
            },
        )
        if m1:
            defects.append({"table": "case_transfers", "key": f"{case_no}/{p.seq}", "kind": "messy_number"})
    # contacts
    phones, others = [], []
    for i, (kind, value) in enumerate(ep.contacts, 1):
        if kind == "phone":
            value, m2 = _messy(rng, value, cfg.messy_number_rate)
            phones.append(value)
            if m2:
                defects.append({"table": "case_contacts", "key": f"{case_no}/{i}", "kind": "messy_number"})
        else:
            others.append((kind, value))
        pd.put(
            rt,
            "case_contacts",
            {"case_no": case_no, "seq": i, "contact_type": kind, "contact_value": value, "updated_at": rt},
        )
    loss = total
    if rng.random() < cfg.loss_mismatch_rate:
        loss = int(round(total / 100, -2) * 100) if total >= 100_00 else total + 50_000
        loss = loss if loss != total else total + 100_00
        defects.append({"table": "cases", "key": case_no, "kind": "loss_mismatch"})
    case = {
        "case_no": case_no,
        "unit_code": unit,
        "region_code": region,
        "fraud_type": ep.fraud_type,
        "reported_at": rt,
        "occurred_at": ep.payments[0].t if ep.payments else None,
        "loss_amount": loss,
        "status": "registered",
        "solved_at": None,
        "narrative": _narrative(w, ep, phones, cards_written, others, total, rt),
        "updated_at": rt,
    }
    pd.put(rt, "cases", case)
    if ep.solved_t is not None:
        pd.put(ep.solved_t, "cases", {**case, "status": "solved", "solved_at": ep.solved_t, "updated_at": ep.solved_t})
    _stops_and_tasks(w, rng, ep, case_no, unit, rt, pd)


def _stops_and_tasks(
    w: World, rng: np.random.Generator, ep: Episode, case_no: str, unit: str, rt: int, pd: PoliceDay
) -> None:
    recovered = 0
    for k, card in enumerate(dict.fromkeys(p.to_card for p in ep.payments), 1):
        req_t = rt + int(rng.integers(600, 7200))
        req = {
            "request_no": f"ZF{case_no[1:]}{k:02d}",
            "case_no": case_no,
            "card_no": str(w.c_no[card]),
            "requested_at": req_t,
            "amount_stopped": None,
            "status": "requested",
            "unit_code": unit,
            "updated_at": req_t,
        }
        pd.put(req_t, "stop_payments", req)
        done_t = req_t + int(rng.integers(1800, 20 * 3600))
        if rng.random() < 0.7:
            paid = sum(p.cents for p in ep.payments if p.to_card == card)
            stopped = int(paid * rng.uniform(0, 0.08)) // 100 * 100 if rng.random() < 0.6 else 0
            pd.put(
                done_t, "stop_payments", {**req, "status": "executed", "amount_stopped": stopped, "updated_at": done_t}
            )
            pd.freezes[done_t // DAY].append((done_t, card, "frozen"))
            recovered += stopped
        else:
            pd.put(done_t, "stop_payments", {**req, "status": "failed", "amount_stopped": 0, "updated_at": done_t})
    seq = 0
    if recovered > 0:
        seq += 1
        t = rt + int(rng.integers(3, 20)) * DAY
        pd.put(
            t, "recoveries", {"case_no": case_no, "seq": seq, "recovered_at": t, "amount": recovered, "updated_at": t}
        )
    if ep.solved_t is not None and rng.random() < 0.4:
        seq += 1
        t = ep.solved_t + int(rng.integers(5, 20)) * DAY
        amount = int(sum(p.cents for p in ep.payments) * rng.uniform(0.1, 0.5)) // 100 * 100
        pd.put(
            t,
            "recoveries",
            {"case_no": case_no, "seq": seq, "recovered_at": t, "amount": max(amount, 100), "updated_at": t},
        )
    # a lead follow-up task to the unit where the first-hop card was opened
    first = ep.payments[0].to_card
    region = str(w.c_region[first])
    issued = rt + int(rng.integers(3600, 48 * 3600))
    task = {
        "task_id": f"DB{case_no[1:]}",
        "unit_code": w.county_unit[region][0],
        "kind": "lead_followup",
        "issued_at": issued,
        "due_at": issued + 7 * DAY,
        "completed_at": None,
        "feedback": None,
        "updated_at": issued,
    }
    if w.config.police_revision >= 2:  # its own random stream: a revision-1 world keeps its bytes
        task["ref_no"] = _ref_no(w, case_no, task["task_id"], issued, pd)
    pd.put(issued, "supervision_tasks", task)
    if rng.random() < 0.8:
        done = issued + int(rng.integers(DAY, 10 * DAY))
        holder = int(w.c_holder[first])
        pd.put(
            done,
            "supervision_tasks",
            {
                **task,
                "completed_at": done,
                "updated_at": done,
                "feedback": f"已核查涉案银行卡开户人{w.name[holder]}，已约谈并固定证据。",
            },
        )


def _ref_no(w: World, case_no: str, task_id: str, issued: int, pd: PoliceDay) -> str | None:
    """The case a lead follow-up names, as the unit typed it (police.md revision 2): left empty sometimes,
    sometimes with spaces, full-width digits or a wrong character (a defect in the truth)."""
    rng = rng_for(w.seed, "police-ref-no", task_id)
    if rng.random() < w.config.ref_no_empty_rate:
        return None
    if rng.random() >= w.config.ref_no_typo_rate:
        return case_no
    kind = int(rng.integers(3))
    if kind == 0:
        typed = f"{case_no[:1]} {case_no[1:7]} {case_no[7:]}"
    elif kind == 1:
        typed = case_no.translate(R.CHINESE_DIGITS_FULLWIDTH)
    else:
        at = int(rng.integers(1, len(case_no)))
        typed = case_no[:at] + str((int(case_no[at]) + 1) % 10 if case_no[at].isdigit() else 0) + case_no[at + 1 :]
    what = ["ref_no_spaces", "ref_no_full_width", "ref_no_typo"][kind]
    pd.defects[issued // DAY].append({"table": "supervision_tasks", "key": task_id, "kind": what})
    return typed


# ---- warnings, suspects and routine work -------------------------------------------------------


def warning_rows(w: World, episodes: list[Episode], routine: list[tuple[int, int, str]], pd: PoliceDay) -> None:
    """Early warnings to episode victims and false alarms (t, person, source), numbered per day."""
    items: list[tuple[int, str, int, str, str, tuple[int, str] | None]] = []
    for ep in episodes:
        if ep.warning is not None:
            wt = int(ep.warning["t"])  # type: ignore[call-overload]
            items.append(
                (wt, ep.eid, ep.victim, str(ep.warning["source"]), str(ep.warning["outcome"]), ep.warning["final"])
            )  # type: ignore[arg-type]
    for t, person, source in routine:
        items.append((t, f"R{t}-{person}", person, source, "false_alarm", None))
    items.sort(key=lambda x: (x[0], x[1]))
    seq: dict[int, int] = defaultdict(int)
    for t, _, person, source, outcome, final in items:
        seq[t // DAY] += 1
        region = str(COUNTY_CODES[w.home[person]])
        rng = rng_for(w.seed, "warning", t, person)
        row = {
            "warning_id": f"W{w.clock.day_str(t // DAY).replace('-', '')}{seq[t // DAY]:06d}",
            "unit_code": _unit(w, rng, region),
            "phone": str(w.s_msisdn[w.sim[person]]),
            "issued_at": t,
            "source": source,
            "outcome": outcome,
            "updated_at": t + int(rng.integers(600, 4 * 3600)),
        }
        pd.put(int(row["updated_at"]), "warnings", row)  # type: ignore[call-overload]
        if final is not None:
            pd.put(final[0], "warnings", {**row, "outcome": final[1], "updated_at": final[0]})


def suspect_rows(w: World, episodes: list[Episode], first_day: int, last_day: int, pd: PoliceDay) -> None:
    """Members of busted gangs: identified a few days before the bust, most arrested at it."""
    cases = sorted(((e.report_t, e) for e in episodes if e.report_t is not None), key=lambda x: (x[0], x[1].eid))
    for g in w.gangs:
        if g.bust_day is None:
            continue
        rng = rng_for(w.seed, "suspects", g.gang_id)
        ident = g.bust_day - int(rng.integers(1, 8))
        if not first_day <= ident <= last_day:
            continue
        linked = [e for t, e in cases if e.gang is g and (ident - 60) * DAY <= t < ident * DAY]
        case_no = _case_no_of(pd, linked[0].eid) if linked else None
        region = str(COUNTY_CODES[w.home[g.organizer]])
        unit = w.county_unit[region][0]
        for k, (p, role, _) in enumerate(g.members, 1):
            t = ident * DAY + int(rng.integers(9 * 3600, 18 * 3600))
            id_no = str(w.id_no[p])
            key = f"X{region}{w.clock.day_str(ident).replace('-', '')}{g.gang_id[1:]}{k:02d}"
            if rng.random() < w.config.police_id_defect_rate:
                kind = int(rng.integers(3))
                id_no = mistype_id(id_no, kind)
                pd.defects[t // DAY].append(
                    {"table": "suspects", "key": key, "kind": ["id_check_char", "id_empty", "id_lowercase_x"][kind]}
                )
            row = {
                "suspect_no": key,
                "case_no": case_no if rng.random() < 0.8 else None,
                "id_no": id_no or None,
                "name": str(w.name[p]),
                "phone": w.msisdn_of(p),
                "role": role,
                "arrested_at": None,
                "unit_code": unit,
                "updated_at": t,
            }
            pd.put(t, "suspects", row)
            if rng.random() < 0.85:
                at = g.bust_day * DAY + int(rng.integers(0, 3 * DAY))
                pd.put(at, "suspects", {**row, "arrested_at": at, "updated_at": at})


def _case_no_of(pd: PoliceDay, eid: str) -> str | None:
    for links in pd.case_links.values():
        for link in links:
            if link["episode_id"] == eid:
                return str(link["case_no"])
    return None


def routine_rows(w: World, day: int, pd: PoliceDay) -> list[tuple[int, int, str]]:
    """Prevention activities and inspection tasks of one day; returns false-alarm warnings to number."""
    rng = rng_for(w.seed, "police-routine", day)
    ymd = w.clock.day_str(day).replace("-", "")
    k = 0
    for c in R.COUNTIES:
        if rng.random() < 0.3:
            k += 1
            held = day * DAY + int(rng.integers(9 * 3600, 17 * 3600))
            reach = int(rng.lognormal(np.log(150 * max(w.scale, 0.05)), 0.8)) + 5
            kind = str(rng.choice(["lecture", "sms_campaign", "door_to_door", "app_install_drive", "media"]))
            t = held + int(rng.integers(3600, 6 * 3600))
            pd.put(
                t,
                "prevention_activities",
                {
                    "activity_id": f"XF{ymd}{k:04d}",
                    "unit_code": _unit(w, rng, c.code),
                    "region_code": c.code,
                    "held_at": held,
                    "kind": kind,
                    "reach": reach * (20 if kind in ("sms_campaign", "media") else 1),
                    "app_registrations": int(reach * rng.uniform(0.05, 0.4)),
                    "updated_at": t,
                },
            )
    for j in range(int(rng.poisson(0.6))):
        c = R.COUNTIES[int(rng.integers(len(R.COUNTIES)))]
        issued = day * DAY + int(rng.integers(8 * 3600, 18 * 3600))
        task = {
            "task_id": f"DB{ymd}R{j + 1:03d}",
            "unit_code": _unit(w, rng, c.code),
            "kind": str(rng.choice(["rectification", "inspection"])),
            "issued_at": issued,
            "due_at": issued + int(rng.integers(7, 30)) * DAY,
            "completed_at": None,
            "feedback": None,
            "updated_at": issued,
        }
        pd.put(issued, "supervision_tasks", task)
        if rng.random() < 0.7:
            done = issued + int(rng.integers(2, 25)) * DAY
            pd.put(
                done,
                "supervision_tasks",
                {**task, "completed_at": done, "feedback": "已按要求整改完毕。", "updated_at": done},
            )
    holders = np.flatnonzero(w.sim >= 0)
    n = int(rng.poisson(w.config.false_alarm_per_10k_day * w.n / 10_000))
    lookalike = np.concatenate([w.couriers, w.merchants])
    people = np.where(rng.random(n) < 0.5, rng.choice(lookalike, size=n), rng.choice(holders, size=n))
    return [
        (day * DAY + int(rng.integers(8 * 3600, 22 * 3600)), int(p), str(rng.choice(["model", "operator"])))
        for p in people.tolist()
    ]


def as_datetime(clock: Clock, t: int) -> datetime:
    return datetime.combine(clock.epoch, datetime.min.time()) + timedelta(seconds=t)


__all__ = [
    "COUNTY_INDEX",
    "TABLES",
    "PoliceDay",
    "case_rows",
    "columns",
    "create_tables",
    "engine_for",
    "routine_rows",
    "suspect_rows",
    "upsert",
    "warning_rows",
    "write_register",
]
