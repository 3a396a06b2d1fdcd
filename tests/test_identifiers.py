"""Identifier rules: phones, resident ID numbers, bank cards."""

from __future__ import annotations

import pytest

from flows.identifiers import (
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
