"""Ground truth: gangs, planted cards and SIMs, look-alikes, and per day the fraud calls, payments,
money paths, cases and injected defects. Format: simulator/TRUTH.md."""

from __future__ import annotations

import json
from pathlib import Path

from simulator.clock import DAY
from simulator.world import COUNTY_CODES, World

Row = dict[str, object]


def write_jsonl(path: Path, rows: list[Row]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(path.suffix + ".tmp")
    with tmp.open("w", encoding="utf-8", newline="\n") as f:
        for r in rows:
            f.write(json.dumps(r, ensure_ascii=False, separators=(",", ":")) + "\n")
    tmp.replace(path)


def read_world_state(truth: Path) -> dict[str, object] | None:
    p = truth / "world.json"
    return json.loads(p.read_text(encoding="utf-8")) if p.exists() else None


def write_world_state(truth: Path, state: dict[str, object]) -> None:
    truth.mkdir(parents=True, exist_ok=True)
    (truth / "world.json").write_text(json.dumps(state, indent=1, ensure_ascii=False), encoding="utf-8")


def _person(w: World, p: int) -> Row:
    return {"id_no": str(w.id_no[p]), "name": str(w.name[p]), "phone": w.msisdn_of(p)}


def write_static(w: World, truth: Path, last_day: int) -> None:
    """Gangs, members, planted cards and SIMs that exist by the end of `last_day`, look-alikes."""
    end = (last_day + 1) * DAY
    ts = w.clock.ts
    gangs, members, cards, sims = [], [], [], []
    for g in w.gangs:
        gangs.append(
            {
                "gang_id": g.gang_id,
                "recruitment": g.recruitment,
                "organizer_id_no": str(w.id_no[g.organizer]),
                "hometown_region": g.hometown,
                "base_region": str(COUNTY_CODES[g.base_county]),
                "second_region": None if g.second_county is None else str(COUNTY_CODES[g.second_county]),
                "active_from": w.clock.day_str(g.active_from),
                "busted_on": None if g.bust_day is None else w.clock.day_str(g.bust_day),
                "sim_outlet": g.outlet,
                "foreign_numbers": g.foreign,
                "chat_accounts": g.chat,
            }
        )
        handsets = {imei for imei, _, _ in g.handsets}
        for p, role, via in g.members:
            member = {"gang_id": g.gang_id, **_person(w, p), "role": role, "recruited_via": via}
            member["home_region"] = str(COUNTY_CODES[w.home[p]])  # evaluation: did a supplier open cards away?
            if role == "caller":  # the data's only trace of a caller: their own SIM in one of the gang's handsets
                own = int(w.sim[p])
                member["own_sim_in_gang_handset"] = own >= 0 and str(w.s_imei[own]) in handsets
            members.append(member)
        roles = {c: "first_hop" for c in g.first_hop_cards} | {c: "mule" for c in g.mule_cards}
        roles[g.collector_card] = "collector"
        for c, role in roles.items():
            if w.c_opened[c] < end:
                holder = int(w.c_holder[c])
                cards.append(
                    {
                        "card_no": str(w.c_no[c]),
                        "gang_id": g.gang_id,
                        "role": role,
                        "holder_id_no": str(w.id_no[holder]),
                        "bank_code": str(w.c_bank[c]),
                        "account_class": str(w.c_class[c]),
                        "branch_code": str(w.c_branch[c]),
                        "region_code": str(w.c_region[c]),
                        "opened_at": ts(int(w.c_opened[c])),
                    }
                )
        for imei, caller, hs in g.handsets:
            for s in hs:
                if w.s_act[s] < end:
                    sims.append(
                        {
                            "msisdn": str(w.s_msisdn[s]),
                            "gang_id": g.gang_id,
                            "supplier_id_no": str(w.id_no[w.s_holder[s]]),
                            "carrier": str(w.s_carrier[s]),
                            "outlet_id": str(w.s_outlet[s]),
                            "activated_at": ts(int(w.s_act[s])),
                            "imei": imei,
                            "caller_id_no": str(w.id_no[caller]),
                        }
                    )
    write_jsonl(truth / "gangs.jsonl", gangs)
    write_jsonl(truth / "gang_members.jsonl", members)
    write_jsonl(truth / "planted_cards.jsonl", cards)
    write_jsonl(truth / "planted_sims.jsonl", sims)
    write_jsonl(
        truth / "lookalikes.jsonl",
        [
            {
                "kind": x["kind"],
                **_person(w, int(x["person"])),  # type: ignore[call-overload]
                **({"gang_id": x["gang_id"]} if "gang_id" in x else {}),
            }
            for x in w.lookalikes
        ],
    )


def write_day(truth: Path, batch: str, tables: dict[str, list[Row]]) -> None:
    folder = truth / "days" / f"date={batch}"
    for name, rows in tables.items():
        write_jsonl(folder / f"{name}.jsonl", rows)


def read_day(truth: Path, batch: str, name: str) -> list[Row]:
    """One daily table as written by `write_day` (empty when that day has not been generated)."""
    path = truth / "days" / f"date={batch}" / f"{name}.jsonl"
    if not path.exists():
        return []
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]
