"""Identifier rules: phones, resident ID numbers, bank cards; tokens, stand-ins and match keys.

What each rule gives on named cases; tests/test_identifier_corpus.py checks that the Python, GX SQL and dbt
renderings of the rules agree on a corpus of edge cases (tests/identifier_corpus.py).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import re
from datetime import date
from pathlib import Path

import duckdb
import pytest

from expectations.police import ALLOWED
from flows.privacy import pii
from rules import identifiers as rules
from rules.identifiers import (
    TOKEN_KINDS,
    id_birth_date,
    id_check_char,
    id_is_valid,
    is_valid_card,
    is_valid_id,
    is_valid_phone,
    luhn_ok,
    mask_card,
    mask_id,
    mask_name,
    mask_phone,
    normalise_card,
    normalise_id,
    normalise_phone,
    phone_kind,
)

GOOD_ID = "11010519491231002X"  # the GB 11643 worked example
MODELS = Path(__file__).resolve().parents[1] / "dbt_project" / "models"


@pytest.mark.parametrize(
    "raw",
    [
        "13912345678",
        "+8613912345678",
        "86 139 1234 5678",
        "139-1234-5678",
        "0086 139 1234 5678",
        "１３９１２３４５６７８",
        "＋86 13912345678",
    ],
)
def test_normalise_phone_all_forms_name_the_same_number(raw: str) -> None:
    assert normalise_phone(raw) == "13912345678"
    assert is_valid_phone(raw)


def test_foreign_and_bad_phones() -> None:
    assert normalise_phone("+855 12 345 678") == "+85512345678"
    assert normalise_phone("0063 912 345 6789") == "+639123456789"
    assert not is_valid_phone("+85512345678")
    assert not is_valid_phone("12912345678")  # 1[3-9] only
    assert normalise_phone("  ") is None and normalise_phone(None) is None
    assert normalise_phone("N/A") is None and normalise_phone("无") is None  # no number: nothing to link by
    assert [phone_kind(normalise_phone(v)) for v in ("+855 1234", "13912345678", "9512345", "12345")] == [
        "foreign",
        "mobile",
        "network",
        "other",
    ]


def test_separators_the_contracts_do_not_name_make_a_number_malformed() -> None:
    """Spaces and hyphens name the same number; '/', '.', '()' do not, and the canonical form keeps them."""
    for number, valid in (("139/1234/5678", False), ("139.1234.5678", False), ("(139)12345678", False)):
        assert is_valid_phone(number) is valid and normalise_phone(number) != "13912345678"
    assert not is_valid_card("6222/0212/3456/7890/128") and is_valid_card("6222 0212-3456 7890 128")
    assert is_valid_id("420922-19900307-2314") and is_valid_id("420922 19900307 2314")
    assert not is_valid_id("420922/19900307/2314") and normalise_id("420922/19900307/2314") == "420922/19900307/2314"


def test_id_check_character_and_birth_date() -> None:
    assert id_check_char(GOOD_ID[:17]) == "X"
    assert is_valid_id(GOOD_ID) and id_is_valid(GOOD_ID)
    assert is_valid_id(GOOD_ID.lower()) and is_valid_id(f" {GOOD_ID} ")
    assert not is_valid_id(GOOD_ID[:17] + "1")  # wrong check character
    bad_date = "110105" + "19490231" + "002"
    assert not is_valid_id(bad_date + id_check_char(bad_date))
    assert not is_valid_id(None) and not is_valid_id("123")
    assert id_birth_date(GOOD_ID) == date(1949, 12, 31)


@pytest.mark.parametrize(
    ("birth", "valid"),
    [
        ("18000101", False),
        ("18991231", False),
        ("19000101", True),
        ("19000229", False),
        ("20000229", True),
        ("20991231", True),
        ("21000101", False),
    ],
)
def test_birth_dates_are_real_days_from_1900_to_2099(birth: str, valid: bool) -> None:
    """A fixed window, not "today": a rebuild next year judges an ID as this year's did."""
    first17 = "420922" + birth + "123"
    assert id_is_valid(first17 + id_check_char(first17)) is valid


def test_fifteen_digit_id_is_flagged_but_normalises_to_eighteen() -> None:
    old = "110105491231002"
    assert not is_valid_id(old)
    assert normalise_id(old) == GOOD_ID and id_is_valid(normalise_id(old))
    assert normalise_id(" 11010519491231002x ") == GOOD_ID


def test_luhn_and_cards() -> None:
    assert luhn_ok("4539578763621486") and not luhn_ok("4539578763621487")
    assert not luhn_ok("") and not luhn_ok("45x9")
    assert normalise_card("6222 0212-3456 7890") == "6222021234567890"
    assert normalise_card("６２２２０２１２３４５６７８９０") == "6222021234567890"
    assert is_valid_card("4539 5787 6362 1486") and not is_valid_card("4539578763621487")
    assert not is_valid_card("79927398713")  # Luhn-valid but too short


def test_masks_keep_what_the_marts_publish() -> None:
    assert mask_id(GOOD_ID) == "110105********002X" and mask_id("abc") == "***"
    assert mask_phone("13912345678") == "139****5678" and mask_phone("+85512345678") == "+855****5678"
    assert mask_phone("9512345") == "*******"
    assert mask_card("6222021234567890128") == "6222 **** **** 0128" and mask_card(None) is None
    assert mask_name("\u3000张三 ") == "张*" and mask_name(" ") is None


def test_the_simulated_virtual_operators_are_the_rulebooks_mvno_prefixes() -> None:
    from simulator.refdata import CARRIER_PREFIXES

    assert sorted(CARRIER_PREFIXES["MVNO"]) == sorted(rules.MVNO_PREFIXES)
    assert all(rules.phone_is_mvno(p + "12345678") for p in CARRIER_PREFIXES["MVNO"])
    assert not any(rules.phone_is_mvno(p + "12345678") for k in ("CMCC", "CUCC", "CTCC") for p in CARRIER_PREFIXES[k])


def test_the_vault_knows_every_kind_staging_tokenises() -> None:
    """token('kind', …), distinct_tokens(…, 'kind', …) in the models, and case contacts' contact types."""
    text = "\n".join(p.read_text(encoding="utf-8") for p in MODELS.rglob("*.sql"))
    kinds = set(re.findall(r"token\('([a-z_]+)'", text)) | set(
        re.findall(r"distinct_tokens\('[a-z_]+', '([a-z_]+)'", text)
    )
    assert {"id", "phone", "card", "imei", "device", "ip", "wechat"} <= kinds
    assert kinds | set(ALLOWED[("case_contacts", "contact_type")]) <= set(TOKEN_KINDS)


def test_match_keys_are_equal_for_a_clear_value_and_its_purged_form() -> None:
    """Identity resolution's keys (flows.privacy.pii.match_key): clear or purged alike, never birth month and day."""
    key = "test-key"
    typo = GOOD_ID[:17] + "1"
    stand_in = json.loads(pii.purged_id(key, GOOD_ID) or "")["s"]
    typo_stand_in = json.loads(pii.purged_id(key, typo) or "")["s"]
    prefix = pii.match_key(key, "id17", GOOD_ID)
    assert prefix is not None and len(prefix) == 17 and "1231" not in prefix
    assert prefix[:10] == GOOD_ID[:10] and prefix[14:] == GOOD_ID[14:17]  # region, birth year, sequence number
    assert {pii.match_key(key, "id17", v) for v in (GOOD_ID, typo, stand_in, typo_stand_in)} == {prefix}
    other_day = "11010519491230002"  # same region, year and sequence, another day
    assert pii.match_key(key, "id17", other_day + id_check_char(other_day)) != prefix
    assert pii.match_key("another-key", "id17", GOOD_ID) != prefix
    assert pii.match_key(key, "id17", GOOD_ID[:15]) is None and pii.match_key(key, "id17", None) is None
    # names: the stand-in, idempotent; trimmed as staging trims (DuckDB's trim: spaces, including U+3000)
    name = pii.match_key(key, "name", "张三")
    assert name == pii.name_stand_in(key, "张三") and name is not None and "三" not in name
    assert pii.match_key(key, "name", name) == name
    assert pii.name_stand_in(key, "\u3000张三 ") == name and pii.match_key(key, "name", "张四") != name
    with pytest.raises(ValueError):
        pii.match_key(key, "phone", "13912345678")


def test_keyed_characters_are_base32_of_the_hmac() -> None:
    key = "test-key"
    digest = hmac.new(key.encode(), b"id17:11010519491231002", hashlib.sha256).digest()
    expected = base64.b32encode(digest).decode("ascii").lower()
    assert [pii._keyed(key, "id17", "11010519491231002", n) for n in (1, 3, 12)] == [expected[:n] for n in (1, 3, 12)]


def test_trim_set_is_duckdbs() -> None:
    """The rulebook's SPACES (name_stand_in, mask_name) are what DuckDB's trim() trims, no more and no less."""
    con = duckdb.connect()
    try:
        for c in {*rules.SPACES, "\t", "\n", "\u200b", "\u2028"}:
            trimmed = con.execute("select trim(?)", [f"{c}x{c}"]).fetchone()[0]
            assert (trimmed == "x") == (c in rules.SPACES), hex(ord(c))
    finally:
        con.close()


def _warehouse_function(key: str, function: str, values: list[tuple[str | None, str | None]]) -> list[str | None]:
    """``function(kind, value)`` as the warehouse computes it (registered by the dbt plugin), row by row in order."""
    from flows.privacy.sql_tokens import register_token_functions

    con = duckdb.connect()
    try:
        register_token_functions(con, key)
        con.execute("create table v (kind varchar, value varchar, n integer)")
        con.executemany("insert into v values (?, ?, ?)", [(k, v, i) for i, (k, v) in enumerate(values)])
        return [r[0] for r in con.execute(f"select {function}(kind, value) from v order by n").fetchall()]
    finally:
        con.close()


def test_the_warehouse_function_computes_the_same_match_keys() -> None:
    key = "test-key"
    stand_in = json.loads(pii.purged_id(key, GOOD_ID) or "")["s"]
    values = [("id17", GOOD_ID), ("id17", stand_in), ("id17", "123"), ("name", "张三"), ("name", None), (None, "张三")]
    got = _warehouse_function(key, "pii_match_key", values)
    assert got == [None if k is None else pii.match_key(key, k, v) for k, v in values]


@pytest.mark.parametrize("key", ["test-key", "k" * 64, "长" * 40])  # short, one block, longer than a block
def test_the_warehouse_token_function_is_hmac_sha256_for_any_key(key: str) -> None:
    purged = pii.purged_phone(key, "13912345678")
    values = [("phone", "13912345678"), ("id", GOOD_ID), ("card", "6222021234567890123"), ("phone", None)]
    values += [(None, "13912345678"), ("device", "0a1b2c"), ("phone", "13912345678"), ("phone", purged)]
    got = _warehouse_function(key, "pii_token", values)
    expected = [None if k is None or v is None else pii.token(key, k, v) for k, v in values[:-1]]
    assert got == [*expected, pii.token(key, "phone", "13912345678")]  # a purged form gives the token it carries
