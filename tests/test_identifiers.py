"""Identifier rules: phones, resident ID numbers, bank cards."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json

import duckdb
import pytest

from flows.privacy import pii
from rules.identifiers import (
    id_check_char,
    id_check_ok,
    is_valid_card,
    is_valid_id,
    is_valid_phone,
    luhn_ok,
    mask,
    normalise_card,
    normalise_id,
    normalise_phone,
)

GOOD_ID = "11010519491231002X"  # the GB 11643 worked example


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


def test_id_check_character_and_birth_date() -> None:
    assert id_check_char(GOOD_ID[:17]) == "X"
    assert id_check_ok(GOOD_ID) and is_valid_id(GOOD_ID)
    assert is_valid_id(GOOD_ID.lower()) and is_valid_id(f" {GOOD_ID} ")
    assert not is_valid_id(GOOD_ID[:17] + "1")  # wrong check character
    bad_date = "110105" + "19490231" + "002"
    assert id_check_ok(bad_date + id_check_char(bad_date)) and not is_valid_id(bad_date + id_check_char(bad_date))
    assert not is_valid_id(None) and not is_valid_id("123")


def test_fifteen_digit_id_is_flagged_but_normalises_to_eighteen() -> None:
    old = "110105491231002"
    assert not is_valid_id(old)
    assert normalise_id(old) == GOOD_ID
    assert normalise_id(" 11010519491231002x ") == GOOD_ID


def test_luhn_and_cards() -> None:
    assert luhn_ok("4539578763621486") and not luhn_ok("4539578763621487")
    assert not luhn_ok("") and not luhn_ok("45x9")
    assert normalise_card("6222 0212-3456 7890") == "6222021234567890"
    assert normalise_card("６２２２０２１２３４５６７８９０") == "6222021234567890"
    assert is_valid_card("4539 5787 6362 1486") and not is_valid_card("4539578763621487")
    assert not is_valid_card("79927398713")  # Luhn-valid but too short


def test_mask_keeps_only_the_tail() -> None:
    assert mask("13912345678") == "********678" and mask(None) == "∅"


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
    """name_stand_in trims what staging's trim() trims, no more and no less."""
    con = duckdb.connect()
    try:
        for c in {*pii.SPACE_SEPARATORS, "\t", "\n", "\u200b", "\u2028"}:
            trimmed = con.execute("select trim(?)", [f"{c}x{c}"]).fetchone()[0]
            assert (trimmed == "x") == (c in pii.SPACE_SEPARATORS), hex(ord(c))
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
