"""A small, hand-made, coherent raw world for the dbt project (raw.<source>__<table>, as the loader writes them).

The story (ground truth the tests and marts rely on):

- 王强 (P3, home 150202 包头) is a card supplier: on 2026-05-02 he opens six II/III-class bank cards
  (S1..S6) in 大悟县 420922, away from home, and three SIMs there (two on virtual operators, one of them
  17012345678 = F1, the fraud phone, opened the same hour as card S1).
- 陈刚 (P5, 420922) organises: he calls 王强 and the mule 赵敏; his handset also carried F1.
  His wife 陈丽 (P6, same household) is a relative, not a member.
- Case C1 (大悟县): victim 张伟 (P1, ID ending in X, written lowercase) is called by F1, pays ¥49,800 from V1
  into S1; the money moves S1 → M1 (赵敏, mule) → M2 (周杰, mule, 15-digit ID at the operator) → ATM.
- Case C2 (越城区): victim 李娜 (no ID given, phone written '86 138 …') pays ¥30,000 into S1 too (shared card).
- Case C4 (孝昌县): victim with a full-width-written contact of F1 pays ¥5,000 into S2.
- Case C3 (东河区): a ¥600,000 investment fraud into a card of a non-reporting bank; shares nothing; solved later
  (two versions of the case row).
- 刘芳 (P7) was called by F1 and by +855 in the last 48 hours and has not reported: a warning target.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import duckdb

from rules.contracts import ALL_TABLES, LINEAGE_COLUMNS
from rules.identifiers import id_check_char


def make_id(region: str, birth: str, seq: str) -> str:
    first17 = region + birth + seq
    return first17 + id_check_char(first17)


def id_with_x(region: str, birth: str) -> str:
    for n in range(100, 1000):
        first17 = f"{region}{birth}{n:03d}"
        if id_check_char(first17) == "X":
            return first17 + "X"
    raise AssertionError("no X check character")


def luhn_card(prefix: str, length: int = 19) -> str:
    body = prefix.ljust(length - 1, "0")[: length - 1]
    total = 0
    for i, c in enumerate(reversed(body)):
        d = int(c)
        if i % 2 == 0:
            d = d * 2 - 9 if d * 2 > 9 else d * 2
        total += d
    return body + str((10 - total % 10) % 10)


def fullwidth(s: str) -> str:
    return s.translate(str.maketrans("0123456789", "０１２３４５６７８９"))


# ---- people ----------------------------------------------------------------------------------------
P1_ID = id_with_x("420922", "19800101")
P2_ID = make_id("330602", "19900202", "022")
P3_ID = make_id("150202", "19850505", "031")
P4_ID = id_with_x("420921", "19950606")
P5_ID = make_id("420922", "19780707", "051")
P6_ID = make_id("420922", "19800808", "062")
P7_ID = make_id("330602", "19600909", "072")
P8_ID15 = "420922650303123"
P8_ID = make_id("420922", "19650303", "123")
P9_ID = make_id("150202", "19551010", "092")
P10_ID = make_id("110105", "19701111", "102")
P5_ID_TYPO = P5_ID[:17] + ("0" if P5_ID[17] != "0" else "1")

NAMES = {
    "P1": "张伟",
    "P2": "李娜",
    "P3": "王强",
    "P4": "赵敏",
    "P5": "陈刚",
    "P6": "陈丽",
    "P7": "刘芳",
    "P8": "周杰",
    "P9": "孙丽",
    "P10": "吴敏",
}
PHONES = {
    "P1": "13912345678",
    "P2": "13812345679",
    "P3a": "17012345678",
    "P3b": "13700001111",
    "P3c": "16512340000",
    "P4": "13600002222",
    "P5": "13500003333",
    "P6": "13500004444",
    "P7": "13900007777",
    "P8": "13300008888",
    "P9": "13300009999",
    "P10": "13100001010",
}
F1 = PHONES["P3a"]
FOREIGN = "+85512345678"

CARDS = {
    "V1": luhn_card("622202100001"),
    "V2": luhn_card("622848200002"),
    "V9": luhn_card("621700900009"),
    "V10": luhn_card("621483100010", 16),
    "S1": luhn_card("622202300001"),
    "S2": luhn_card("621700300002"),
    "S3": luhn_card("622848300003"),
    "S4": luhn_card("621661300004"),
    "S5": luhn_card("621799300005"),
    "S6": luhn_card("622319300006"),
    "M1": luhn_card("622202400001"),
    "M2": luhn_card("622848400002"),
    "X3": luhn_card("623456700003"),
    "P5c": luhn_card("622202500005"),
    "P6c": luhn_card("622202600006"),
}
IMEI_H1 = "861234567890123"

CASES = {
    "C1": "A4209222026050300001",
    "C2": "A3306022026050500002",
    "C3": "A1502022026050100003",
    "C4": "A4209212026050900004",
}


@dataclass
class World:
    path: Path
    names: dict[str, str] = field(default_factory=lambda: dict(NAMES))
    ids: list[str] = field(default_factory=list)
    phones: list[str] = field(default_factory=list)
    cards: list[str] = field(default_factory=list)
    latest_time: str = "2026-05-10 20:00:00"

    @property
    def clear_values(self) -> set[str]:
        values = set(self.ids) | set(self.phones) | set(self.cards) | {P8_ID15, P5_ID_TYPO, IMEI_H1}
        values |= {v.lower() for v in self.ids}
        return values


def _rows() -> dict[str, list[dict]]:
    c = CARDS
    ph = PHONES
    t: dict[str, list[dict]] = {}

    # ---------------------------------------------------------------- telecom
    sub = []

    def s(batch, msisdn, carrier, id_no, name, act, region, status="1", outlet="OUT420922-0031", changed=None):
        sub.append(
            dict(
                _batch=batch,
                msisdn=msisdn,
                imsi="460001234500000"[:15],
                carrier=carrier,
                holder_id_no=id_no,
                holder_name=name,
                activated_at=act,
                outlet_id=outlet,
                region_code=region,
                status=status,
                status_changed_at=changed,
            )
        )

    s("2026-05-01", "+86 139-1234-5678", "CMCC", P1_ID.lower(), NAMES["P1"], "2020-01-01 10:00:00", "420922")
    s("2026-05-01", ph["P2"], "CMCC", P2_ID, NAMES["P2"], "2019-03-01 10:00:00", "330602", outlet="OUT330602-0001")
    s("2026-05-02", ph["P3a"], "MVNO", P3_ID, NAMES["P3"], "2026-05-02 09:10:00", "420922")
    s("2026-05-02", "137-0000-1111", "CUCC", P3_ID, NAMES["P3"], "2026-05-02 09:20:00", "420922")
    s("2026-05-02", "8616512340000", "MVNO", P3_ID, NAMES["P3"], "2026-05-02 09:30:00", "420922")
    s("2026-05-01", ph["P4"], "CTCC", P4_ID, NAMES["P4"], "2021-06-01 10:00:00", "420921", outlet="OUT420921-0002")
    s("2026-05-01", ph["P5"], "CMCC", P5_ID, NAMES["P5"], "2018-01-01 10:00:00", "420922")
    s("2026-05-01", ph["P6"], "CMCC", P6_ID, NAMES["P6"], "2018-02-01 10:00:00", "420922")
    # a later version of P6's SIM (suspended): staging keeps this one
    s(
        "2026-05-04",
        ph["P6"],
        "CMCC",
        P6_ID,
        NAMES["P6"],
        "2018-02-01 10:00:00",
        "420922",
        status="2",
        changed="2026-05-04 08:00:00",
    )
    s(
        "2026-05-01",
        "0086 139 0000 7777",
        "CMCC",
        P7_ID,
        NAMES["P7"],
        "2015-01-01 10:00:00",
        "330602",
        outlet="OUT330602-0001",
    )
    s("2026-05-01", ph["P8"], "CTCC", P8_ID15, NAMES["P8"], "2012-01-01 10:00:00", "420922")
    s(
        "2026-05-01",
        fullwidth(ph["P9"]),
        "CUCC",
        P9_ID,
        NAMES["P9"],
        "2016-01-01 10:00:00",
        "150202",
        outlet="OUT150202-0001",
    )
    t["telecom__subscribers"] = sub

    cdr = []

    def call(batch, cid, caller, callee, start, dur, cell="C420922-01", imei=None):
        cdr.append(
            dict(
                _batch=batch,
                call_id=cid,
                caller=caller,
                callee=callee,
                start_time=start,
                duration_s=str(dur),
                cell_id=cell,
                imei=imei,
            )
        )

    call("2026-05-02", "CALL0001", ph["P5"], ph["P3b"], "2026-05-02 08:00:00", 200, imei=IMEI_H1)
    call("2026-05-03", "CALL0002", ph["P5"], ph["P4"], "2026-05-03 08:00:00", 100, imei=IMEI_H1)
    call("2026-05-03", "CALL0003", "+86 170 1234 5678", ph["P1"], "2026-05-03 09:30:00", 600, imei=IMEI_H1)
    call("2026-05-04", "CALL0003", "+86 170 1234 5678", ph["P1"], "2026-05-03 09:30:00", 600, imei=IMEI_H1)  # dup
    call("2026-05-05", "CALL0004", "0085512345678", ph["P2"], "2026-05-05 15:00:00", 300, cell="C330602-01")
    call("2026-05-09", "CALL0005", F1, ph["P10"], "2026-05-09 13:00:00", 300, cell="C420921-01", imei=IMEI_H1)
    call("2026-05-10", "CALL0006", F1, "139 0000 7777", "2026-05-10 18:00:00", 120, cell="C330602-01", imei=IMEI_H1)
    call("2026-05-10", "CALL0007", FOREIGN, ph["P7"], "2026-05-10 17:00:00", 60, cell="C330602-01")
    call("2026-05-10", "CALL0008", ph["P1"], ph["P2"], "2026-05-10 20:00:00", 30)
    call("2026-05-10", "CALL0009", ph["P6"], ph["P1"], "2026-05-10 12:00:00", 0)
    t["telecom__cdr"] = cdr

    t["telecom__cells"] = [
        dict(_batch="2026-05-01", cell_id="C420922-01", region_code="420922", lon="114.126", lat="31.561"),
        dict(_batch="2026-05-01", cell_id="C420921-01", region_code="420921", lon="113.988", lat="31.252"),
        dict(_batch="2026-05-01", cell_id="C330602-01", region_code="330602", lon="120.582", lat="30.001"),
        dict(_batch="2026-05-01", cell_id="C150202-01", region_code="150202", lon="110.026", lat="40.566"),
    ]

    # ---------------------------------------------------------------- finance
    acc = []

    def a(batch, card, bank, id_no, name, phone, opened, region, cls, status="normal", updated=None):
        acc.append(
            dict(
                _batch=batch,
                card_no=card,
                bank_code=bank,
                holder_id_no=id_no,
                holder_name=name,
                holder_phone=phone,
                opened_at=opened,
                branch_code=f"BR{region}01",
                region_code=region,
                account_class=cls,
                status=status,
                updated_at=updated or opened,
            )
        )

    a("2026-05-01", c["V1"], "ICBC", P1_ID, NAMES["P1"], ph["P1"], "2015-01-01T10:00:00+08:00", "420922", "I")
    a("2026-05-01", c["V2"], "ABC", P2_ID, NAMES["P2"], "86 138 1234 5679", "2016-01-01T10:00:00+08:00", "330602", "I")
    a("2026-05-01", c["V9"], "CCB", P9_ID, NAMES["P9"], ph["P9"], "2010-01-01T10:00:00+08:00", "150202", "I")
    a("2026-05-01", c["V10"], "CMB", P10_ID, NAMES["P10"], ph["P10"], "2012-01-01 10:00:00", "420921", "I")
    for i, (k, bank, cls) in enumerate(
        [
            ("S1", "ICBC", "II"),
            ("S2", "CCB", "III"),
            ("S3", "ABC", "II"),
            ("S4", "BOC", "II"),
            ("S5", "PSBC", "III"),
            ("S6", "RCB", "II"),
        ]
    ):
        a(
            "2026-05-02",
            c[k],
            bank,
            P3_ID,
            NAMES["P3"],
            "+8617012345678",
            f"2026-05-02T{10 + i // 6}:{10 * i:02d}:00+08:00",
            "420922",
            cls,
        )
    # S1 frozen later by a stop-payment (later batch wins)
    a(
        "2026-05-06",
        c["S1"],
        "ICBC",
        P3_ID,
        NAMES["P3"],
        "+8617012345678",
        "2026-05-02T02:00:00Z",
        "420922",
        "II",
        status="frozen",
        updated="2026-05-06T09:00:00+08:00",
    )
    a("2026-05-01", c["M1"], "ICBC", P4_ID, NAMES["P4"], ph["P4"], "2024-03-01T10:00:00+08:00", "420921", "I")
    a("2026-05-01", c["M2"], "ABC", P8_ID, NAMES["P8"], ph["P8"], "2023-03-01T10:00:00+08:00", "420922", "I")
    a("2026-05-01", c["P5c"], "ICBC", P5_ID, NAMES["P5"], ph["P5"], "2017-03-01T10:00:00+08:00", "420922", "I")
    a("2026-05-01", c["P6c"], "ICBC", P6_ID, NAMES["P6"], ph["P6"], "2017-03-01T10:00:00+08:00", "420922", "I")
    t["finance__accounts"] = acc

    txn = []

    def x(batch, tid, ts, frm, to, amount, channel="mobile", status="success", device=None, ip=None):
        txn.append(
            dict(
                _batch=batch,
                txn_id=tid,
                ts=ts,
                from_card=frm,
                to_card=to,
                amount=amount,
                channel=channel,
                device_id=device,
                ip=ip,
                status=status,
            )
        )

    x("2026-05-03", "T0001", "2026-05-03T10:00:05+08:00", c["V1"], c["S1"], "49800.00", device="DEV-V1")
    x("2026-05-03", "T0002", "2026-05-03T02:20:00Z", c["S1"], c["M1"], "49,000.00", device="DEV-GANG", ip="10.0.0.9")
    x(
        "2026-05-04", "T0002", "2026-05-03T02:20:00Z", c["S1"], c["M1"], "49,000.00", device="DEV-GANG", ip="10.0.0.9"
    )  # sent twice
    x("2026-05-03", "T0003", "2026-05-03 10:45:00", c["M1"], c["M2"], "48500.00", device="DEV-GANG")
    x("2026-05-03", "T0004", "2026-05-03T11:00:00+08:00", c["M2"], None, "20000.00", channel="atm")
    x("2026-05-03", "T0005", "2026-05-03T11:05:00+08:00", c["M2"], None, "20000.00", channel="atm")
    x("2026-05-05", "T0006", "2026-05-05T16:00:30+08:00", c["V2"], c["S1"], "30000.00")
    x("2026-05-05", "T0007", "2026-05-05T16:20:00+08:00", c["S1"], c["M1"], "29500.00", device="DEV-GANG")
    x("2026-05-05", "T0008", "2026-05-05T12:00:00+08:00", c["P6c"], c["P5c"], "1200.00")
    x("2026-05-06", "T0008", "2026-05-05T12:00:00+08:00", c["P6c"], c["P5c"], "1,200.00", status="reversed")
    x("2026-05-09", "T0009", "2026-05-09T14:00:00+08:00", c["V10"], c["S2"], "5000.00")
    x("2026-05-09", "T0010", "2026-05-09T14:30:00+08:00", c["S2"], c["M1"], "4900.00", device="DEV-GANG")
    x("2026-04-30", "T0011", "2026-04-30T14:00:00+08:00", c["V9"], c["X3"], "600000.00", channel="counter")
    x("2026-05-02", "T0012", "2026-05-02T09:00:00+08:00", None, c["P5c"], "500.00", channel="counter")
    x("2026-05-05", "T0013", "2026-05-05T17:00:00+08:00", c["M1"], c["M2"], "29000.00", device="DEV-GANG")
    x("2026-05-05", "T0014", "2026-05-05T17:30:00+08:00", c["M2"], None, "29000.00", channel="atm")
    t["finance__transactions"] = txn

    # ---------------------------------------------------------------- police
    W = "2026-05-10 23:00:00"
    t["police__units"] = [
        dict(unit_code="420900000000", name="孝感市公安局", parent_code=None, region_code="420900", level="city"),
        dict(
            unit_code="420922000000",
            name="大悟县公安局",
            parent_code="420900000000",
            region_code="420922",
            level="county",
        ),
        dict(
            unit_code="420921000000",
            name="孝昌县公安局",
            parent_code="420900000000",
            region_code="420921",
            level="county",
        ),
        dict(
            unit_code="420922010000",
            name="城关派出所",
            parent_code="420922000000",
            region_code="420922",
            level="station",
        ),
        dict(unit_code="330600000000", name="绍兴市公安局", parent_code=None, region_code="330600", level="city"),
        dict(
            unit_code="330602000000",
            name="越城区公安分局",
            parent_code="330600000000",
            region_code="330602",
            level="county",
        ),
        dict(unit_code="150200000000", name="包头市公安局", parent_code=None, region_code="150200", level="city"),
        dict(
            unit_code="150202000000",
            name="东河区公安分局",
            parent_code="150200000000",
            region_code="150202",
            level="county",
        ),
    ]
    for u in t["police__units"]:
        u["updated_at"] = "2026-01-01 00:00:00"

    nar1 = (
        f"受害人{NAMES['P1']}称，对方用手机号＋86 170-1234-5678（微信wxid_fraud01）联系，以刷单返利为由，"
        f"要求其转账到卡号{fullwidth(c['S1'][:4])} {c['S1'][4:8]}-{c['S1'][8:]}，共损失49800元。"
    )
    nar2 = f"受害人{NAMES['P2']}接到+855 1234 5678来电，冒充客服，转账至{c['S1']}。"
    nar3 = f"受害人{NAMES['P9']}通过投资网站转账600000元至{c['X3']}。"
    nar4 = f"受害人接到１７０ １２３４ ５６７８来电，冒充公检法，转账至{c['S2']}。"
    case = []

    def k(ck, unit, region, ftype, reported, occurred, loss, status, narrative, updated, solved=None, batch=W):
        case.append(
            dict(
                _batch=batch,
                case_no=CASES[ck],
                unit_code=unit,
                region_code=region,
                fraud_type=ftype,
                reported_at=reported,
                occurred_at=occurred,
                loss_amount=loss,
                status=status,
                solved_at=solved,
                narrative=narrative,
                updated_at=updated,
            )
        )

    k(
        "C1",
        "420922000000",
        "420922",
        "SHUADAN",
        "2026-05-03 12:00:00",
        "2026-05-03 10:00:00",
        "49800.00",
        "registered",
        nar1,
        "2026-05-03 12:00:00",
    )
    k(
        "C2",
        "330602000000",
        "330602",
        "KEFU",
        "2026-05-05 18:00:00",
        "2026-05-05 16:00:00",
        "30000.00",
        "registered",
        nar2,
        "2026-05-05 18:00:00",
    )
    k(
        "C3",
        "150202000000",
        "150202",
        "TOUZI",
        "2026-05-01 09:00:00",
        "2026-04-30 14:00:00",
        "600000.00",
        "registered",
        nar3,
        "2026-05-01 09:00:00",
        batch="2026-05-01 23:00:00",
    )
    k(
        "C3",
        "150202000000",
        "150202",
        "TOUZI",
        "2026-05-01 09:00:00",
        "2026-04-30 14:00:00",
        "600000.00",
        "solved",
        nar3,
        "2026-05-08 10:00:00",
        solved="2026-05-08 10:00:00",
    )
    k(
        "C4",
        "420921000000",
        "420921",
        "GONGJIANFA",
        "2026-05-09 15:00:00",
        "2026-05-09 14:00:00",
        "5000.00",
        "registered",
        nar4,
        "2026-05-09 15:00:00",
    )
    t["police__cases"] = case

    t["police__victims"] = [
        dict(
            case_no=CASES["C1"],
            seq="1",
            id_no=P1_ID.lower(),
            name=NAMES["P1"],
            phone="+86 139-1234-5678",
            gender="M",
            age="46",
            updated_at="2026-05-03 12:00:00",
        ),
        dict(
            case_no=CASES["C2"],
            seq="1",
            id_no=None,
            name=NAMES["P2"],
            phone="86 138 1234 5679",
            gender="F",
            age="36",
            updated_at="2026-05-05 18:00:00",
        ),
        dict(
            case_no=CASES["C3"],
            seq="1",
            id_no=P9_ID,
            name=NAMES["P9"],
            phone=ph["P9"],
            gender="F",
            age="70",
            updated_at="2026-05-01 09:00:00",
        ),
        dict(
            case_no=CASES["C4"],
            seq="1",
            id_no=P10_ID,
            name=NAMES["P10"],
            phone=fullwidth(ph["P10"]),
            gender="M",
            age="55",
            updated_at="2026-05-09 15:00:00",
        ),
    ]
    t["police__case_transfers"] = [
        dict(
            case_no=CASES["C1"],
            seq="1",
            paid_at="2026-05-03 10:00:00",
            from_card=c["V1"],
            to_card=fullwidth(c["S1"][:4]) + " " + c["S1"][4:],
            amount="49800.00",
            channel="mobile",
            updated_at="2026-05-03 12:00:00",
        ),
        dict(
            case_no=CASES["C2"],
            seq="1",
            paid_at="2026-05-05 16:00:00",
            from_card=c["V2"],
            to_card=" ".join(c["S1"][i : i + 4] for i in range(0, 19, 4)),
            amount="30000.00",
            channel="mobile",
            updated_at="2026-05-05 18:00:00",
        ),
        dict(
            case_no=CASES["C3"],
            seq="1",
            paid_at="2026-04-30 14:00:00",
            from_card=c["V9"],
            to_card=c["X3"],
            amount="600000.00",
            channel="counter",
            updated_at="2026-05-01 09:00:00",
        ),
        dict(
            case_no=CASES["C4"],
            seq="1",
            paid_at="2026-05-09 14:00:00",
            from_card=None,
            to_card=c["S2"][:6] + "-" + c["S2"][6:],
            amount="5000.00",
            channel="mobile",
            updated_at="2026-05-09 15:00:00",
        ),
    ]
    t["police__case_contacts"] = [
        dict(
            case_no=CASES["C1"],
            seq="1",
            contact_type="phone",
            contact_value="+86 170-1234-5678",
            updated_at="2026-05-03 12:00:00",
        ),
        dict(
            case_no=CASES["C1"],
            seq="2",
            contact_type="wechat",
            contact_value="wxid_fraud01",
            updated_at="2026-05-03 12:00:00",
        ),
        dict(
            case_no=CASES["C2"],
            seq="1",
            contact_type="phone",
            contact_value="+855 1234 5678",
            updated_at="2026-05-05 18:00:00",
        ),
        dict(
            case_no=CASES["C4"],
            seq="1",
            contact_type="phone",
            contact_value="１７０ １２３４ ５６７８",
            updated_at="2026-05-09 15:00:00",
        ),
        dict(
            case_no=CASES["C3"],
            seq="1",
            contact_type="url",
            contact_value="http://invest.example",
            updated_at="2026-05-01 09:00:00",
        ),
    ]
    t["police__suspects"] = [
        dict(
            suspect_no="S0001",
            case_no=CASES["C1"],
            id_no=P4_ID.lower(),
            name=NAMES["P4"],
            phone=ph["P4"],
            role="mule",
            arrested_at="2026-05-06 10:00:00",
            unit_code="420922000000",
            updated_at="2026-05-06 10:00:00",
        ),
        dict(
            suspect_no="S0002",
            case_no=None,
            id_no=P3_ID,
            name=NAMES["P3"],
            phone=ph["P3b"],
            role="card_supplier",
            arrested_at=None,
            unit_code="420922000000",
            updated_at="2026-05-07 10:00:00",
        ),
        dict(
            suspect_no="S0003",
            case_no=CASES["C1"],
            id_no=P5_ID_TYPO,
            name=NAMES["P5"],
            phone=ph["P5"],
            role="organizer",
            arrested_at="2026-05-08 10:00:00",
            unit_code="420922000000",
            updated_at="2026-05-08 10:00:00",
        ),
    ]
    t["police__stop_payments"] = [
        dict(
            request_no="SP0001",
            case_no=CASES["C1"],
            card_no=c["M1"],
            requested_at="2026-05-03 13:00:00",
            amount_stopped="20000.00",
            status="requested",
            unit_code="420922000000",
            updated_at="2026-05-03 13:00:00",
            _batch="2026-05-03 23:00:00",
        ),
        dict(
            request_no="SP0001",
            case_no=CASES["C1"],
            card_no=c["M1"],
            requested_at="2026-05-03 13:00:00",
            amount_stopped="20000.00",
            status="executed",
            unit_code="420922000000",
            updated_at="2026-05-03 15:00:00",
        ),
        dict(
            request_no="SP0002",
            case_no=CASES["C2"],
            card_no=c["S1"],
            requested_at="2026-05-05 19:00:00",
            amount_stopped="0.00",
            status="failed",
            unit_code="330602000000",
            updated_at="2026-05-05 19:30:00",
        ),
    ]
    t["police__recoveries"] = [
        dict(
            case_no=CASES["C1"],
            seq="1",
            recovered_at="2026-05-07 10:00:00",
            amount="10000.00",
            updated_at="2026-05-07 10:00:00",
        ),
    ]
    t["police__warnings"] = [
        dict(
            warning_id="W0001",
            unit_code="330602000000",
            phone="139-0000-7777",
            issued_at="2026-05-10 19:00:00",
            source="model",
            outcome="dissuaded",
            updated_at="2026-05-10 19:30:00",
        ),
        dict(
            warning_id="W0002",
            unit_code="420922000000",
            phone=ph["P1"],
            issued_at="2026-05-03 09:50:00",
            source="operator",
            outcome="already_paid",
            updated_at="2026-05-03 12:00:00",
        ),
    ]
    t["police__prevention_activities"] = [
        dict(
            activity_id="PA0001",
            unit_code="420922000000",
            region_code="420922",
            held_at="2026-05-04 09:00:00",
            kind="lecture",
            reach="200",
            app_registrations="50",
            updated_at="2026-05-04 18:00:00",
        ),
        dict(
            activity_id="PA0002",
            unit_code="330602000000",
            region_code="330602",
            held_at="2026-05-06 09:00:00",
            kind="sms_campaign",
            reach="5000",
            app_registrations="120",
            updated_at="2026-05-06 18:00:00",
        ),
    ]
    t["police__supervision_tasks"] = [
        dict(
            task_id="TK0001",
            unit_code="420922000000",
            kind="lead_followup",
            issued_at="2026-05-04 09:00:00",
            due_at="2026-05-07 18:00:00",
            completed_at="2026-05-06 17:00:00",
            feedback=f"已核查{ph['P5']}的机主{NAMES['P5']}",
            updated_at="2026-05-06 17:00:00",
        ),
        dict(
            task_id="TK0002",
            unit_code="330602000000",
            kind="inspection",
            issued_at="2026-05-05 09:00:00",
            due_at="2026-05-08 18:00:00",
            completed_at=None,
            feedback=None,
            updated_at="2026-05-05 09:00:00",
        ),
    ]
    res = []

    def r(id_no, pk, gender, birth, household, relation, region):
        res.append(
            dict(
                id_no=id_no,
                name=NAMES[pk],
                gender=gender,
                birth_date=birth,
                household_no=household,
                relation=relation,
                region_code=region,
                updated_at="2026-01-01 00:00:00",
            )
        )

    r(P1_ID, "P1", "M", "1980-01-01", "H420922001", "head", "420922")
    r(P2_ID, "P2", "F", "1990-02-02", "H330602001", "head", "330602")
    r(P3_ID, "P3", "M", "1985-05-05", "H150202001", "head", "150202")
    r(P4_ID, "P4", "F", "1995-06-06", "H420921001", "head", "420921")
    r(P5_ID, "P5", "M", "1978-07-07", "H420922005", "head", "420922")
    r(P6_ID, "P6", "F", "1980-08-08", "H420922005", "spouse", "420922")
    r(P7_ID, "P7", "F", "1960-09-09", "H330602007", "head", "330602")
    r(P8_ID, "P8", "M", "1965-03-03", "H420922008", "head", "420922")
    r(P9_ID, "P9", "F", "1955-10-10", "H150202009", "head", "150202")
    t["police__residents"] = res
    return t


def build_raw_db(path: Path) -> World:
    """Create (or replace) a DuckDB file holding every raw table with the hand-made world."""
    path = Path(path)
    if path.exists():
        path.unlink()
    rows = _rows()
    con = duckdb.connect(str(path))
    try:
        con.execute("create schema if not exists raw")
        for tbl in ALL_TABLES:
            cols = [*tbl.columns, *LINEAGE_COLUMNS]
            col_sql = ", ".join(
                f"{c} {'BIGINT' if c == '_line' else 'TIMESTAMP' if c == '_loaded_at' else 'VARCHAR'}" for c in cols
            )
            con.execute(f"create or replace table {tbl.qualified} ({col_sql})")
            data = rows.get(tbl.raw_table, [])
            out = []
            for i, row in enumerate(data, start=2):
                batch = row.get("_batch") or ("2026-05-10 23:00:00" if tbl.source == "police" else "2026-05-01")
                values = [row.get(c) for c in tbl.columns]
                out.append(
                    [
                        *values,
                        tbl.source,
                        batch,
                        f"d-{tbl.source}-{batch[:10]}",
                        tbl.file or tbl.name,
                        i,
                        "2026-05-11 00:00:00",
                    ]
                )
            if out:
                placeholders = ", ".join("?" for _ in cols)
                con.executemany(f"insert into {tbl.qualified} values ({placeholders})", out)
    finally:
        con.close()
    world = World(path=path)
    world.ids = [P1_ID, P2_ID, P3_ID, P4_ID, P5_ID, P6_ID, P7_ID, P8_ID, P9_ID, P10_ID]
    world.phones = [*PHONES.values(), FOREIGN, FOREIGN[1:], "8613912345678"]
    world.cards = list(CARDS.values())
    return world


if __name__ == "__main__":  # python -m tests.fixtures_raw data/work/work.duckdb
    import sys

    w = build_raw_db(Path(sys.argv[1] if len(sys.argv) > 1 else "fixture_raw.duckdb"))
    print(f"wrote {w.path}")
