"""evaluation.score on a tiny hand-made world whose right answers are known (docs/EVALUATION.md).

The truth folder follows simulator/TRUTH.md; the warehouse holds only the mart columns the evaluation
reads, with tokens made by flows.privacy.pii.token. Expected counts are worked out in the comments.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import duckdb
import pytest
from rich.console import Console

from evaluation.score import (
    Evaluation,
    evaluate,
    f1_score,
    load_warning_snapshots,
    render,
    save_warning_snapshot,
    score_pairs,
    score_set,
    to_json_text,
    typology_rows,
)
from flows.privacy.pii import token
from flows.privacy.scan import find_in_text
from rules.identifiers import id_check_char, normalise_card, normalise_id, normalise_phone

KEY = "test-key-for-the-evaluation-world"


def _id(first17: str) -> str:
    return first17 + id_check_char(first17)


# ---- people (clear values live only in the truth folder) -------------------------------------------------
S1_15 = "420902850101123"  # card supplier written in the old 15-digit form in gang_members
S1 = normalise_id(S1_15) or ""
S2 = _id("42090219860202234")
S3 = _id("33060219870303345")
A1, A2 = _id("42090219700101111"), _id("33060219710101222")
M1, M2 = _id("42090219900404456"), _id("33060219910505567")
C1 = _id("42090219920606678")
L1, L2, L3, L4 = (_id(f"1502031980070{i}789") for i in range(1, 5))  # look-alikes
X1 = _id("15020419850808890")  # an innocent nobody listed anywhere in the truth
for _v in (S2, S3, A1, A2, M1, M2, C1, L1, L2, L3, L4, X1):
    assert len(_v) == 18

K = {i: f"62220000000000{i:02d}" for i in range(1, 8)}  # planted cards
Z1 = "6222999900001111"  # a merchant look-alike's card
VCARD = {i: f"62170000000001{i:02d}" for i in range(1, 10)}  # victims' cards
PV = {i: f"1380013{i:04d}" for i in range(1, 10)}  # victims' phones
B1, N1, PL3, PL4 = "13900000001", "13900000002", "13900000003", "13900000004"
SIM1, SIM2 = "17000000001", "17100000002"


def _write(path: Path, rows: list[dict[str, Any]]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows), encoding="utf-8")


def _member(gang: str, id_no: str, role: str, name: str, **kw: Any) -> dict[str, Any]:
    return {"gang_id": gang, "id_no": id_no, "name": name, "phone": None, "role": role, "recruited_via": "other", **kw}


def _card(no: str, gang: str, role: str, holder: str, region: str = "420902") -> dict[str, Any]:
    return {
        "card_no": no,
        "gang_id": gang,
        "role": role,
        "holder_id_no": holder,
        "bank_code": "ICBC",
        "region_code": region,
        "opened_at": "2026-04-20T10:00:00+08:00",
    }


def _episode(i: int, gang: str, first_call: str, outcome: str, payments: list[tuple[str, str, str]], **kw: Any):
    return {
        "episode_id": f"E{i}",
        "gang_id": gang,
        "victim_id_no": _id(f"4209021960010{i}000"),
        "victim_name": f"受害人{i}",
        "victim_phone": kw.get("phone", PV[i]),
        "victim_card": VCARD[i],
        "fraud_type": "SHUADAN",
        "first_call_at": first_call,
        "outcome": outcome,
        "warned_at": None,
        "reported_at": kw.get("reported_at"),
        "solved_at": kw.get("solved_at"),
        "payments": [
            {"seq": n + 1, "paid_at": at, "to_card": to, "amount": amt} for n, (at, to, amt) in enumerate(payments)
        ],
    }


def _hop(ep: int, hop: int, frm: str, to: str | None, amount: str) -> dict[str, Any]:
    return {
        "txn_id": f"T{ep}{hop}",
        "episode_id": f"E{ep}",
        "payment_seq": 1,
        "hop": hop,
        "typology": "chain",
        "ts": "2026-05-03T10:00:00+08:00",
        "from_card": frm,
        "to_card": to,
        "amount": amount,
        "channel": "mobile",
    }


def write_truth(root: Path) -> Path:
    """Gangs G1 (A1 S1 S2 M1 C1) and G2 (A2 S3 M2); G3 is not active yet; 9 victim episodes, 4 cases."""
    truth = root / "truth"
    truth.mkdir()
    (truth / "world.json").write_text(
        json.dumps(
            {"seed": 1, "scale": 0.01, "epoch": "2026-05-01", "last_day": "2026-05-10", "config": {}, "people": 2000}
        ),
        encoding="utf-8",
    )
    _write(
        truth / "gangs.jsonl",
        [
            {"gang_id": "G1", "active_from": "2026-05-01", "recruitment": "family", "second_region": None},
            {"gang_id": "G2", "active_from": "2026-04-20", "recruitment": "hometown", "second_region": "330602"},
            {"gang_id": "G3", "active_from": "2026-06-01"},
        ],
    )
    _write(
        truth / "gang_members.jsonl",
        [
            _member("G1", A1, "organizer", "刘刚超"),
            _member("G1", S1_15, "card_supplier", "陈明", home_region="420902"),  # opened K1 at home
            _member("G1", S2.lower(), "card_supplier", "郑志浩", home_region="420902"),  # opened K2 away
            _member("G1", M1, "mule", "王五"),
            {**_member("G1", C1, "caller", "赵六"), "own_sim_in_gang_handset": False},  # no trace in the data
            _member("G2", A2, "organizer", "孙七"),
            _member("G2", S3, "card_supplier", "周八"),
            _member("G2", M2, "mule", "吴九"),
            _member("G3", X1, "organizer", "郑十"),  # gang not active by last_day: neutral for gang members
        ],
    )
    _write(
        truth / "planted_cards.jsonl",
        [
            _card(K[1], "G1", "first_hop", S1),
            _card(K[2], "G1", "first_hop", S2, region="330602"),
            _card(K[3], "G1", "mule", M1),
            _card(K[4], "G1", "collector", M1),
            _card(K[5], "G2", "first_hop", S3),
            _card(K[6], "G2", "mule", M2),
            _card(K[7], "G2", "mule", M2),  # never receives money: neutral
        ],
    )
    _write(
        truth / "planted_sims.jsonl",
        [
            {"msisdn": SIM1, "gang_id": "G1", "supplier_id_no": S1, "imei": "860000000000001", "caller_id_no": C1},
            {"msisdn": SIM2, "gang_id": "G2", "supplier_id_no": S3, "imei": "860000000000002", "caller_id_no": A2},
        ],
    )
    _write(
        truth / "lookalikes.jsonl",
        [
            {"kind": "many_cards", "id_no": L1, "name": "李一", "phone": "13700000001"},
            {"kind": "gang_relative", "id_no": L2, "name": "刘二", "phone": "13700000002", "gang_id": "G1"},
            {"kind": "merchant", "id_no": L3, "name": "钱三", "phone": PL3},
            {"kind": "courier", "id_no": L4, "name": "快四", "phone": PL4},
        ],
    )
    day = truth / "days" / "date=2026-05-10"
    reported = {"reported_at": "2026-05-03 12:00:00"}
    _write(
        day / "episodes.jsonl",
        [
            _episode(1, "G1", "2026-05-03 08:00:00", "paid", [("2026-05-03 10:00:00", K[1], "1000.00")], **reported),
            _episode(
                2,
                "G2",
                "2026-05-05 08:00:00",
                "paid",
                [("2026-05-05 10:00:00", K[5], "500.00")],
                reported_at="2026-05-05 12:00:00",
                solved_at="2026-05-08 12:00:00",
            ),
            _episode(
                3,
                "G1",
                "2026-05-06 08:00:00",
                "paid",
                [("2026-05-06 10:00:00", K[2], "200.00")],
                reported_at="2026-05-06 12:00:00",
                solved_at="2026-05-20 12:00:00",
            ),
            # in the warning window (2026-05-09 00:00 → 2026-05-11 00:00), not reported:
            _episode(
                4,
                "G1",
                "2026-05-10 09:00:00",
                "paid",
                [("2026-05-10 15:00:00", K[1], "300.00")],
                phone="+86 138-0013-0004",
            ),
            _episode(5, "G2", "2026-05-10 20:00:00", "paid", [("2026-05-11 10:00:00", K[5], "700.00")]),
            _episode(6, "G1", "2026-05-09 08:00:00", "paid", [("2026-05-09 12:00:00", K[2], "900.00")]),
            _episode(7, "G2", "2026-05-10 11:00:00", "dissuaded", []),
            _episode(8, "G1", "2026-05-02 08:00:00", "paid", [("2026-05-02 10:00:00", K[1], "100.00")]),
            _episode(
                9,
                "G1",
                "2026-05-04 08:00:00",
                "paid",
                [("2026-05-04 10:00:00", K[1], "400.00")],
                reported_at="2026-05-04 12:00:00",
                solved_at="2026-05-07 12:00:00",
            ),
        ],
    )
    _write(
        day / "money_path.jsonl",
        [
            _hop(1, 0, VCARD[1], K[1], "1000.00"),
            _hop(1, 1, K[1], K[3], "1000.00"),
            _hop(1, 2, K[3], f"{K[4][:4]} {K[4][4:]}", "1000.00"),
            _hop(1, 3, K[4], None, "1000.00"),
            _hop(2, 0, VCARD[2], K[5], "500.00"),
            _hop(2, 1, K[5], K[6], "500.00"),
            _hop(3, 0, VCARD[3], K[2], "200.00"),
            _hop(3, 1, K[2], K[3], "200.00"),
            _hop(4, 0, VCARD[4], K[1], "300.00"),
            _hop(9, 0, VCARD[9], K[1], "400.00"),
            _hop(9, 1, K[1], K[3], "400.00"),
        ],
    )
    _write(
        day / "cases.jsonl",
        [
            {"case_no": "A1", "episode_id": "E1", "gang_id": "G1"},
            {"case_no": "A2", "episode_id": "E2", "gang_id": "G2"},
            {"case_no": "A3", "episode_id": "E3", "gang_id": "G1"},
            {"case_no": "A4", "episode_id": "E9", "gang_id": "G1"},
        ],
    )
    _write(
        day / "fraud_calls.jsonl",
        [
            {
                "call_id": "C1",
                "gang_id": "G2",
                "episode_id": None,
                "purpose": "burst",
                "caller": "+85512345678",
                "callee": B1,
                "start_time": "2026-05-10 10:00:00",
                "duration_s": 5,
            },
        ],
    )
    return truth


def tid(v: str) -> str:
    return token(KEY, "id", normalise_id(v) or "")


def tph(v: str) -> str:
    return token(KEY, "phone", normalise_phone(v) or "")


def tcard(v: str) -> str:
    return token(KEY, "card", normalise_card(v) or "")


MARTS: dict[str, tuple[str, list[tuple[Any, ...]]]] = {
    # two-card: S1, S3 hits; M1 neutral (a mule); L1 (many_cards look-alike) and a stranger are false
    # alarms; a null token is ignored. TP 2, FP 2, FN 1 (S2), neutral 1.
    "two_card_leads": (
        "id_token VARCHAR, score INTEGER",
        [
            (tid(S1), 9),
            (tid(S3), 7),
            (tid(M1), 5),
            (tid(L1), 4),
            (tid(_id("15020419990909999")), 6),
            (None, 3),
        ],
    ),
    # gangs: G-A = A1 S1 S2 L2 ; G-B = M1 A2 S3. Members TP 6, FP 1 (L2), FN 2 (C1, M2).
    # Pairs over A1 S1 S2 M1 A2 S3: truth 6 + 1 pairs, mart 3 + 3, TP 4 (three in G-A, A2-S3), FP 2, FN 3.
    "gangs": (
        "gang_id VARCHAR, id_token VARCHAR, cases BIGINT",
        [
            ("G-A", tid(A1), 3),
            ("G-A", tid(S1), 3),
            ("G-A", tid(S2), 2),
            ("G-A", tid(L2), 1),
            ("G-B", tid(M1), 2),
            ("G-B", tid(A2), 1),
            ("G-B", tid(S3), 1),
        ],
    ),
    # mules: positives K3 K4 K6 (K7 never used). K3 K6 hits, K1 neutral (first hop), Z1 false alarm held by
    # the merchant look-alike L3. TP 2, FP 1, FN 1 (K4).
    "mule_accounts": (
        "card_token VARCHAR, traced_case_amount DECIMAL(18,2), holder_id_token VARCHAR",
        [
            (tcard(K[3]), 1600, tid(M1)),
            (tcard(K[6]), 500, tid(M2)),
            (tcard(K[1]), 1700, tid(S1)),
            (tcard(Z1), 80, tid(L3)),
        ],
    ),
    # clusters: truth G1 = A1 A3 A4, G2 = A2 → 3 pairs; mart {A1, A4} {A3} {A2} {A9}. TP 1, FP 0, FN 2.
    "case_clusters": (
        "case_no VARCHAR, cluster_id VARCHAR",
        [
            ("A1", "A1"),
            (" A4", "A1"),
            ("A3", "A3"),
            ("A2", "A2"),
            ("A9", "A2"),
        ],
    ),
    # open cases A1 (E1: K1 K3 K4) and A3 (E3: K2 K3): 5 positives. Hits A1:K1 A1:K3 A3:K2; false alarms
    # A3:Z1 (merchant look-alike's card) and A3:K6 (a gang card, but not on E3's path); A2:K5 neutral
    # (A2 solved). TP 3, FP 2, FN 2.
    "stop_payment_targets": (
        "case_no VARCHAR, card_token VARCHAR, traced_amount DECIMAL(18,2), holder_id_token VARCHAR",
        [
            ("A1", tcard(K[1]), 1000, tid(S1)),
            ("A1", tcard(K[3]), 1000, tid(M1)),
            ("A3", tcard(K[2]), 200, tid(S2)),
            ("A3", tcard(Z1), 200, tid(L3)),
            ("A3", tcard(K[6]), 150, tid(M2)),
            ("A2", tcard(K[5]), 500, tid(S3)),
        ],
    ),
    # victims in scope: V4 (listed 6 h ahead), V5 (listed 14 h ahead, pays after as_of), V6 (listed after it
    # paid: a miss). Never paid: V7 (dissuaded) and B1 (cold call) targeted; courier L4 and N1 never contacted.
    "warning_targets": (
        "phone_token VARCHAR, first_contact_at TIMESTAMP, risk_score INTEGER",
        [
            (tph(PV[4]), "2026-05-10 09:00:00", 80),
            (tph(PV[5]), "2026-05-10 20:00:00", 60),
            (tph(PV[6]), "2026-05-09 13:00:00", 50),
            (tph(PV[7]), "2026-05-10 11:00:00", 40),
            (tph(B1), "2026-05-10 10:00:00", 30),
            (tph(PL4), "2026-05-10 10:30:00", 20),
            (tph(N1), "2026-05-10 07:00:00", 10),
        ],
    ),
}


def write_warehouse(path: Path, only: set[str] | None = None, drop_cols: dict[str, str] | None = None) -> Path:
    con = duckdb.connect(str(path))
    con.execute("create schema marts")
    for name, (cols, rows) in MARTS.items():
        if only is not None and name not in only:
            continue
        keep = [c for c in cols.split(", ") if c.split()[0] != (drop_cols or {}).get(name)]
        idx = [i for i, c in enumerate(cols.split(", ")) if c in keep]
        con.execute(f"create table marts.{name} ({', '.join(keep)})")
        if rows:
            con.executemany(
                f"insert into marts.{name} values ({', '.join('?' for _ in keep)})", [[r[i] for i in idx] for r in rows]
            )
    con.close()
    return path


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    root = tmp_path_factory.mktemp("eval")
    return write_truth(root), write_warehouse(root / "wh.duckdb")


@pytest.fixture(scope="module")
def ev(world: tuple[Path, Path]) -> Evaluation:
    return evaluate(world[0], world[1], KEY)


def _counts(ev: Evaluation, name: str) -> tuple[int, int, int, int]:
    f = ev.finding(name)
    assert f.built, f.notes
    return f.true_positives, f.false_positives, f.false_negatives, f.neutral_flagged


def test_two_card_suppliers(ev: Evaluation) -> None:
    assert _counts(ev, "two-card suppliers") == (2, 2, 1, 1)
    f = ev.finding("two-card suppliers")
    assert f.precision == pytest.approx(0.5)
    assert f.recall == pytest.approx(2 / 3)
    assert f.f1 == pytest.approx(4 / 7)
    assert f.lookalikes_flagged == {"many_cards": 1}
    assert [m.key for m in f.largest_misses] == [tid(S2)]  # the 15-digit/lower-case forms tokenised alike
    assert f.largest_false_alarms[0].weight == 6


def test_gang_members_and_pairs(ev: Evaluation) -> None:
    assert _counts(ev, "gang members") == (6, 1, 2, 0)
    f = ev.finding("gang members")
    assert (f.precision, f.recall, f.f1) == pytest.approx((6 / 7, 0.75, 0.8))
    assert f.lookalikes_flagged == {"gang_relative": 1}
    # the caller C1 left no trace (own SIM never in a gang handset): counted apart in a note, recall unchanged
    assert "1 of the misses are callers whose own SIM never sat in a gang handset" in f.notes[-1]
    assert "recall over the other members: 0.857 (6 of 7)" in f.notes[-1]
    p = ev.finding("gang assignment (pairs)")
    assert (p.true_positives, p.false_positives, p.false_negatives) == (4, 2, 3)
    assert (p.precision, p.recall, p.f1) == pytest.approx((4 / 6, 4 / 7, 8 / 13))
    assert p.largest_misses[0].key == "G1" and p.largest_misses[0].weight == 3
    assert p.largest_false_alarms[0].key == "G-B"


def test_mule_cards_count_first_hops(ev: Evaluation) -> None:
    # First-hop cards (一级卡, the card the victim paid into) are mule cards: police stop them first. Until
    # issue 15 they were neutral, which hid every first hop the marts missed: the old counts were (2, 1, 1, 1).
    # Positives now K1 K2 K5 (first hops that received money) + K3 K4 K6; K7 never moved money (neutral).
    # Flagged K3 K6 K1 Z1: TP 3, FP 1 (Z1), FN 3 (K4, K5, K2), nothing neutral flagged.
    assert _counts(ev, "mule cards") == (3, 1, 3, 0)
    f = ev.finding("mule cards")
    assert (f.precision, f.recall, f.f1) == pytest.approx((0.75, 0.5, 0.6))
    assert f.lookalikes_flagged == {"merchant": 1}
    assert [m.key for m in f.largest_misses] == [tcard(K[4]), tcard(K[5]), tcard(K[2])]
    assert f.largest_misses[0].weight == 1000
    roles = {k: (c["found"], c["positives"]) for k, c in f.by_typology["card role"].items()}
    assert roles == {"collector": (0, 1), "first_hop": (1, 3), "mule": (2, 2)}


def test_case_clusters(ev: Evaluation) -> None:
    f = ev.finding("case clusters (pairs)")
    assert (f.true_positives, f.false_positives, f.false_negatives) == (1, 0, 2)
    assert (f.precision, f.recall, f.f1) == pytest.approx((1.0, 1 / 3, 0.5))
    assert "1 mart items not in the truth" in f.notes[0]


def test_stop_payment_targets(ev: Evaluation) -> None:
    assert _counts(ev, "stop-payment targets") == (3, 2, 2, 1)
    f = ev.finding("stop-payment targets")
    assert (f.precision, f.recall, f.f1) == pytest.approx((0.6, 0.6, 0.6))
    assert "1 of the false alarms are planted gang cards" in f.notes[1]
    assert f.lookalikes_flagged == {"merchant": 1}
    assert {m.key for m in f.largest_misses} == {f"A1:{tcard(K[4])}", f"A3:{tcard(K[3])}"}


def test_warning_precision_and_list_size_per_10k(ev: Evaluation) -> None:
    # listed 7: PV4 PV5 PV6 PV7 (an episode's first call) and B1 (a burst call) were contacted by a fraud
    # number by as_of; the courier PL4 and N1 never were. One build: 7 rows for 2,000 residents.
    w = ev.warning
    assert (w.lists_rows, w.lists_rows_contacted, w.publishes) == (7, 5, 1)
    assert w.precision == pytest.approx(5 / 7)
    assert w.list_per_10k_day == pytest.approx(35.0)
    assert w.recall_source == "one build (upper bound)"
    assert (w.recall_on_time, w.recall_victims) == (2, 3)
    assert any("one build (upper bound)" in n for n in w.notes)
    assert w.by_typology["fraud type"] == {"SHUADAN": {"positives": 3, "found": 2, "recall": pytest.approx(2 / 3)}}


def test_warning_targets(ev: Evaluation) -> None:
    w = ev.warning
    assert w.built and w.has_time
    assert (w.listed, w.victims_in_scope, w.listed_before_payment) == (7, 3, 2)
    assert w.share_before_payment == pytest.approx(2 / 3)
    assert w.median_lead_hours == pytest.approx(10.0)
    assert (w.preventable, w.preventable_listed) == (1, 1)
    assert (w.listed_never_paid, w.listed_targeted_not_paid, w.listed_never_contacted) == (4, 2, 2)
    assert w.lookalikes_listed == {"courier": 1}
    assert [m.key for m in w.largest_misses] == [tph(PV[6])]
    assert [a.key for a in w.largest_false_alarms] == [tph(PL4), tph(N1)]


def _publish(tmp: Path, folder: Path, at: str, phones: list[str]) -> Path:
    """A warehouse holding one published warning list, kept as a snapshot stamped ``at``."""
    wh = tmp / f"wh-{at[:10]}.duckdb"
    con = duckdb.connect(str(wh))
    con.execute("create schema marts")
    con.execute("create table marts.warning_targets (phone_token VARCHAR, first_contact_at TIMESTAMP)")
    con.executemany("insert into marts.warning_targets values (?, ?)", [(tph(p), at) for p in phones])
    con.close()
    from datetime import datetime

    return save_warning_snapshot(wh, folder, datetime.fromisoformat(at))


def test_recall_before_payment_from_the_lists_published_before_it(tmp_path: Path, world: tuple[Path, Path]) -> None:
    # Daily publishes at the end of 05-08, 05-09, 05-10. Victims paying after the first publish and by as_of:
    # V6 (hooked 05-09 08:00, paid 05-09 12:00) and V4 (paid 05-10 15:00). V4 is on the 05-10 00:00 list:
    # on time. V6 is only on the list published after it paid: a miss, and one no daily list could hold (first
    # contacted after the last publish before its payment). V5 pays after as_of: out of scope.
    snaps = tmp_path / "snaps"
    _publish(tmp_path, snaps, "2026-05-09 00:00:00", [B1, N1])
    _publish(tmp_path, snaps, "2026-05-10 00:00:00", [PV[6], PV[4]])
    last = _publish(tmp_path, snaps, "2026-05-11 00:00:00", [PV[4], PV[5], PV[6], PL4])
    assert PV[4] not in last.read_text(encoding="utf-8") and tph(PV[4]) in last.read_text(encoding="utf-8")
    w = evaluate(world[0], world[1], KEY, warning_snapshots=snaps).warning
    assert w.recall_source == "lists published before each payment (3 publishes)"
    assert (w.recall_on_time, w.recall_victims, w.recall_unreachable) == (1, 2, 1)
    assert w.recall_before_payment == pytest.approx(0.5)
    # precision per list, contact by the publish time: 0 of 2, then PV6 only (PV4 is called at 09:00 on
    # 05-10, after that list), then PV4 PV5 PV6 of 4 (not the courier): 4 of 8 rows; 8 / 3 lists / 2,000 people
    assert (w.lists_rows, w.lists_rows_contacted, w.publishes) == (8, 4, 3)
    assert w.precision == pytest.approx(0.5)
    assert w.list_per_10k_day == pytest.approx(8 / 3 / 2000 * 10_000)
    assert w.by_typology["gang shape"] == {"family, one city": {"positives": 2, "found": 1, "recall": 0.5}}


def test_a_file_that_is_not_a_snapshot_is_named(tmp_path: Path, world: tuple[Path, Path]) -> None:
    (tmp_path / "warnings-bad.json").write_text('{"rows": []}', encoding="utf-8")
    with pytest.raises(ValueError, match=r"warnings-bad\.json: not a warning snapshot"):
        load_warning_snapshots(tmp_path)
    with pytest.raises(FileNotFoundError):
        evaluate(world[0], world[1], KEY, warning_snapshots=tmp_path / "nowhere")


def test_recall_per_typology(ev: Evaluation) -> None:
    two = ev.finding("two-card suppliers").by_typology
    # S1 opened K1 at home (found), S2 opened K2 away (missed), S3 has no home region in the truth (found)
    assert {k: (c["found"], c["positives"]) for k, c in two["supplier shape"].items()} == {
        "away from home, one card a day": (0, 1),
        "near home, one card a day": (1, 1),
        "one card a day": (1, 1),
    }
    assert {k: (c["found"], c["positives"]) for k, c in two["gang shape"].items()} == {
        "family, one city": (1, 2),
        "hometown, two cities": (1, 1),
    }
    roles = ev.finding("gang members").by_typology["role"]
    assert roles["caller (no trace in the data)"] == {"positives": 1, "found": 0, "recall": 0.0}
    assert (roles["card_supplier"]["found"], roles["card_supplier"]["positives"]) == (3, 3)
    # pairs: G1 (family) 3 of its 6 pairs kept together, G2 (two cities) its one pair
    pairs = ev.finding("gang assignment (pairs)").by_typology["gang shape"]
    assert {k: (c["found"], c["positives"]) for k, c in pairs.items()} == {
        "family, one city": (3, 6),
        "hometown, two cities": (1, 1),
    }
    stop = ev.finding("stop-payment targets").by_typology["card role"]
    assert {k: (c["found"], c["positives"]) for k, c in stop.items()} == {
        "collector": (0, 1),
        "first_hop": (2, 2),
        "mule": (1, 2),
    }
    assert ev.lookalikes == {"courier": 1, "gang_relative": 1, "many_cards": 1, "merchant": 1}
    rows = typology_rows(ev)
    assert ("mule cards", "card role", "first_hop", 1, 3, pytest.approx(1 / 3)) in rows
    out = Console(record=True, width=200)
    render(ev, out)
    text = out.export_text()
    assert "Recall per typology" in text and "merchant 1 of 1" in text


def test_warning_without_time_column_reports_recall_only(tmp_path: Path, world: tuple[Path, Path]) -> None:
    wh = write_warehouse(tmp_path / "wh.duckdb", drop_cols={"warning_targets": "first_contact_at"})
    w = evaluate(world[0], wh, KEY).warning
    assert not w.has_time and w.median_lead_hours is None
    assert w.listed_before_payment == 3  # listed at all
    assert any("recall only" in n for n in w.notes)


def test_missing_marts_are_reported_not_crashed_on(tmp_path: Path, world: tuple[Path, Path]) -> None:
    wh = write_warehouse(tmp_path / "wh.duckdb", only={"gangs"}, drop_cols={"gangs": "cases"})
    ev = evaluate(world[0], wh, KEY)
    built = {f.name: f.built for f in ev.findings}
    assert built == {
        "two-card suppliers": False,
        "gang members": False,  # lacks the cases column
        "gang assignment (pairs)": True,
        "mule cards": False,
        "case clusters (pairs)": False,
        "stop-payment targets": False,
    }
    assert ev.finding("mule cards").notes == ["marts.mule_accounts not built"]
    assert ev.finding("gang members").notes == ["marts.gangs lacks cases"]
    assert not ev.warning.built
    out = Console(record=True, width=200)
    render(ev, out)
    assert "not built" in out.export_text()
    data = json.loads(to_json_text(ev))
    assert data["findings"]["mule cards"]["precision"] is None


def test_empty_sets_give_none_not_a_crash() -> None:
    nothing = score_set("x", {"a": 1.0}, {})
    assert nothing.precision is None and nothing.recall == 0.0 and nothing.f1 is None
    no_truth = score_set("x", {}, {"a": 1.0})
    assert no_truth.precision == 0.0 and no_truth.recall is None and no_truth.f1 is None
    assert f1_score(0.0, 0.0) == 0.0
    neutral = score_set("x", {"a": 1.0}, {"a": 2.0, "b": 1.0}, neutral={"b"})
    assert (neutral.precision, neutral.recall, neutral.neutral_flagged) == (1.0, 1.0, 1)
    empty_pairs = score_pairs("p", {"a": {"g"}}, {"a": "m"})
    assert empty_pairs.precision is None and empty_pairs.recall is None


def _clear_values(truth: Path) -> set[str]:
    """Every clear identifier and name of the truth folder, raw and canonical."""
    fields = {
        "id_no",
        "name",
        "phone",
        "card_no",
        "holder_id_no",
        "supplier_id_no",
        "caller_id_no",
        "msisdn",
        "victim_id_no",
        "victim_name",
        "victim_phone",
        "victim_card",
        "to_card",
        "from_card",
        "callee",
    }
    values: set[str] = set()
    names: set[str] = set()
    for f in truth.rglob("*.jsonl"):
        for line in f.read_text(encoding="utf-8").splitlines():
            stack: list[Any] = [json.loads(line)]
            while stack:
                obj = stack.pop()
                if isinstance(obj, dict):
                    for k, v in obj.items():
                        if isinstance(v, dict | list):
                            stack.append(v)
                        elif k in fields and v:
                            values.add(str(v))
                            names.update({str(v)} if "name" in k else set())
                elif isinstance(obj, list):
                    stack.extend(obj)
    canon = {c for v in values for c in (normalise_id(v), normalise_phone(v), normalise_card(v)) if c}
    return {v for v in values | canon if len(v) >= 6} | names


def test_no_clear_identifier_in_output_or_json(ev: Evaluation, world: tuple[Path, Path]) -> None:
    out = Console(record=True, width=400)
    render(ev, out)
    text = out.export_text() + to_json_text(ev)
    clear = _clear_values(world[0])
    assert len(clear) > 40
    leaked = sorted(v for v in clear if v in text)
    assert leaked == []
    assert list(find_in_text(text)) == []  # the project's leak scanner finds nothing either
    assert tid(S2) in text  # tokens are shown
