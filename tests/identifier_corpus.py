"""The edge cases of identifiers every rendering of the rulebook must agree on (Python, GX SQL, dbt macros).

Values as sources write them (separators the contracts name and some they do not, prefixes, full-width
characters, ``x``/``X``, first-generation IDs, impossible and improbable birth dates), purged forms, blanks
and NULL. Fake numbers only: region 110105 is the GB 11643 worked example, the rest are made up.
"""

from __future__ import annotations

from flows.privacy import pii
from rules.identifiers import id_check_char

KEY = "corpus-test-key"


def _id(first17: str) -> str:
    """An ID with the right check character (only the rule under test is broken)."""
    return first17 + id_check_char(first17)


GOOD_ID = "11010519491231002X"  # the GB 11643 worked example
FULLWIDTH = str.maketrans("0123456789Xx+-", "０１２３４５６７８９Ｘｘ＋－")

IDS = [
    GOOD_ID,
    GOOD_ID.lower(),
    f" {GOOD_ID} ",
    f"\u3000{GOOD_ID}\u00a0",
    GOOD_ID.translate(FULLWIDTH),
    GOOD_ID[:17] + "ｘ",
    GOOD_ID[:17] + "1",  # wrong check character
    GOOD_ID[:17] + "x1",  # 19 characters
    GOOD_ID[:16],  # 16 characters
    "110105491231002",  # 15-digit first generation: converts to GOOD_ID
    "110105490230002",  # 15-digit, 30 February
    "420922-19900307-2314",
    "420922 19900307 2314",
    "420922/19900307/2314",
    "420922.19900307.2314",
    "(420922)199003072314",
    "42092219900307231\t4",
    _id("42092219900230123"),  # 30 February
    _id("42092219000229123"),  # 1900 is no leap year
    _id("42092220000229123"),  # 2000 is
    _id("42092219901301123"),  # month 13
    _id("42092219900100123"),  # day 0
    _id("42092218000101123"),  # born 1800
    _id("42092218991231123"),
    _id("42092220991231123"),  # born 2099
    _id("42092221000101123"),  # born 2100
    _id("42092200000101123"),
    "4209221990010112A4",
    "ABCDEFGHIJKLMNOPQR",
    "11010519491231002Ｘ",
    pii.id_stand_in(KEY, GOOD_ID),  # what identity resolution keeps of a purged ID
    "110105" + "1949" + "~" + "abc" + "0002",  # a stand-in of 17 characters
    "110105" + "1800" + "~" + "abc" + "002X",  # a stand-in with an improbable year
]

PHONES = [
    "13912345678",
    "+8613912345678",
    "+86 139 1234 5678",
    "+86-139-1234-5678",
    "86 139 1234 5678",
    "8613912345678",
    "8623912345678",
    "0086 139-1234-5678",
    "008613912345678",
    "139-1234-5678",
    "139 1234 5678",
    "139/1234/5678",
    "139.1234.5678",
    "(139)12345678",
    "(+86) 139 1234 5678",
    "+86(139)12345678",
    "１３９１２３４５６７８",
    "＋８６１３９１２３４５６７８",
    "＋86 13912345678",
    "139１２３４-５６７８",
    "\u3000 13912345678 \u3000",
    "13912345678\u2003",
    "\t13912345678",
    "139\u00a01234\u00a05678",
    "+855 12 345 678",
    "0063 912 345 6789",
    "00855 1234",
    "+13912345678",
    "0013912345678",
    "9512345",
    "95123456789",
    "96 1234 5678",
    "12912345678",
    "1391234567",
    "139123456789",
    "17012345678",
    "16212345678",
    "+86 170 1234 5678",
    "+86",
    "+",
    "00",
    "86",
    "0086",
    "abc",
    "139-1234-567x",
    "++8613912345678",
]

CARDS = [
    "6222021234567890128",
    "6222 0212 3456 7890 128",
    "6222-0212-3456-7890-128",
    "6222/0212/3456/7890/128",
    "6222.0212.3456.7890.128",
    "６２２２０２１２３４５６７８９０１２８",
    "6222021234567890127",  # Luhn fails
    "4539578763621486",
    "4539 5787 6362 1486",
    "4539578763621487",
    "79927398713",  # Luhn-valid, too short
    "622202123456789012",  # 18 digits
    "62220212345678901280",  # 20 digits
    "0000000000000000",
    "c-1",
    "6222 0212 3456 78ab",
    "86123456789012345",
    "490154203237518",  # an IMEI (15 digits, Luhn-valid)
    "49-015420-323751-8",
]

TEXT = [
    "  AbC-123 ",
    "wxid_abc123",
    "ＷＸＩＤ_Abc",
    "192.168.0.1",
    "\u00a0abc\u00a0",
    "Zhang San",
    "a\u3000b",
    "张三",
    "\u3000张三 ",
    "张",
    "https://example.invalid/x",
]

PURGED = [
    pii.purged_phone(KEY, "13912345678"),
    pii.purged_phone(KEY, "17012345678"),
    pii.purged_phone(KEY, "+855 12 345 678"),
    pii.purged_phone(KEY, "9512345"),
    pii.purged_phone(KEY, "12345"),
    pii.purged_id(KEY, GOOD_ID),
    pii.purged_id(KEY, GOOD_ID[:17] + "1"),
    pii.purged_card(KEY, "6222021234567890128"),
    pii.purged_card(KEY, "6222021234567890127"),
    pii.purged_imei(KEY, "490154203237518"),
    pii.purged_text_id(KEY, "wechat", "wxid_abc123", ascii=True),
    pii.purged_marker(),
]

BLANK = ["", " ", "   ", "\u3000", "-", " - ", None]

VALUES: list[str | None] = list(dict.fromkeys([*IDS, *PHONES, *CARDS, *TEXT, *PURGED, *BLANK]))

# timestamps as the contracts allow them and as they must not be (the GX local-timestamp conditions)
TIMESTAMPS = [
    "2026-05-10 09:31:07",
    "2026-05-10T09:31:07+08:00",
    "2026-05-10T09:31:07+0800",
    "2026-05-10T09:31:07+08",
    "2026-05-10T09:31:07Z",
    "2026-05-10T23:31:07-02:00",
    "2026-05-10 09:31",
    "2026-05-10 09:31:07.5",
    "2026-05-10 24:00:00",
    "2026-05-10 23:59:60",
    "2026-02-29 00:00:00",
    "2024-02-29 00:00:00",
    "0000-01-01 00:00:00",
    "9999-12-31 23:59:59",
    "2026-05-10 9:31:07",
    "2026/05/10 09:31:07",
    "2026-05-11 00:00:00",
    "2026-05-11 00:00:01",
    "２０２６-05-10 09:31:07",
    "",
    "abc",
]
