"""Identifier rules of the contracts (../shared/contracts/README.md), as pure functions.

Used by the GX custom expectations (validity flags) and available to anything that must put a
phone, ID or card number into its canonical form. Nothing here logs or stores a value.
"""

from __future__ import annotations

import datetime as dt
import re
import unicodedata

ID_WEIGHTS: tuple[int, ...] = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
ID_CHECK_MAP = "10X98765432"  # check character for remainders 0..10
_ID18 = re.compile(r"^\d{6}(\d{8})\d{3}[\dX]$")
_ID15 = re.compile(r"^\d{15}$")
_MOBILE = re.compile(r"^1[3-9]\d{9}$")
_SEPARATORS = re.compile(r"[\s\-()\.]")


def _fold(value: str) -> str:
    """Full-width digits, letters, '+' and spaces to ASCII; strip outer whitespace."""
    return unicodedata.normalize("NFKC", value).strip()


# ---- phones ------------------------------------------------------------------------------------
def normalise_phone(value: str | None) -> str | None:
    """Canonical form of a phone number as sources write it.

    Chinese numbers written ``+86 139-1234-5678``, ``0086…``, ``86…`` or with full-width digits become
    their bare digits (11 for a mobile number); international numbers (``+``/``00`` with a country code
    other than 86) become ``+`` and their digits. Other text is returned cleaned of separators, so that
    a malformed number stays linkable; ``None`` or blank gives ``None``.
    """
    if value is None:
        return None
    text = _SEPARATORS.sub("", _fold(value))
    if not text:
        return None
    if text.startswith("+"):
        rest = text[1:]
        return rest[2:] if rest.startswith("86") else "+" + rest
    if text.startswith("00"):
        rest = text[2:]
        return rest[2:] if rest.startswith("86") else "+" + rest
    if text.startswith("86") and len(text) == 13:
        return text[2:]
    return text


def is_valid_phone(value: str | None) -> bool:
    """True when ``value`` normalises to a Chinese mobile number (11 digits, ``1[3-9]…``)."""
    canonical = normalise_phone(value)
    return canonical is not None and bool(_MOBILE.match(canonical))


# ---- resident identity numbers -----------------------------------------------------------------
def id_check_char(first17: str) -> str:
    """ISO 7064 MOD 11-2 check character of the first 17 digits of an ID number."""
    total = sum(int(d) * w for d, w in zip(first17, ID_WEIGHTS, strict=True))
    return ID_CHECK_MAP[total % 11]


def normalise_id(value: str | None) -> str | None:
    """Upper-case, trimmed, full-width folded; a 15-digit first-generation number becomes its 18-digit form.

    A 15-digit number carries a 2-digit year (always 19xx) and no check character: the 18-digit form
    inserts ``19`` before the year and appends the computed check character.
    """
    if value is None:
        return None
    text = _fold(value).replace(" ", "").upper()
    if not text:
        return None
    if _ID15.match(text):
        first17 = text[:6] + "19" + text[6:]
        return first17 + id_check_char(first17)
    return text


def id_check_ok(value: str | None) -> bool:
    """True when an 18-character ID (after upper-casing) carries the right check character."""
    if value is None:
        return False
    text = _fold(value).upper()
    return bool(_ID18.match(text)) and id_check_char(text[:17]) == text[17]


def _birth_date_ok(yyyymmdd: str, today: dt.date | None = None) -> bool:
    try:
        born = dt.date(int(yyyymmdd[:4]), int(yyyymmdd[4:6]), int(yyyymmdd[6:8]))
    except ValueError:
        return False
    return dt.date(1900, 1, 1) <= born <= (today or dt.date.today())


def is_valid_id(value: str | None) -> bool:
    """A well-formed 18-character ID: check character right and a birth date that exists.

    Case and outer spaces do not matter (``x`` is ``X``); a 15-digit first-generation number is *not*
    valid here (it is flagged, and ``normalise_id`` converts it for linking).
    """
    if not id_check_ok(value):
        return False
    assert value is not None
    return _birth_date_ok(_fold(value)[6:14])


# ---- bank cards --------------------------------------------------------------------------------
def normalise_card(value: str | None) -> str | None:
    """Digits of a card number: full-width folded, spaces and hyphens removed."""
    if value is None:
        return None
    text = _SEPARATORS.sub("", _fold(value))
    return text or None


def luhn_ok(digits: str | None) -> bool:
    """Luhn (mod 10) check over a string of ASCII digits."""
    if not digits or not digits.isascii() or not digits.isdigit():
        return False
    total = 0
    for i, ch in enumerate(reversed(digits)):
        d = int(ch)
        if i % 2 == 1:
            d = d * 2 - 9 if d > 4 else d * 2
        total += d
    return total % 10 == 0


def is_valid_card(value: str | None) -> bool:
    """16 to 19 digits after normalisation, valid under Luhn."""
    digits = normalise_card(value)
    return digits is not None and 16 <= len(digits) <= 19 and luhn_ok(digits)


def mask(value: str | None, keep: int = 3) -> str:
    """A loggable stand-in for an identifier: its last ``keep`` characters, the rest starred."""
    if not value:
        return "∅"
    return "*" * max(len(value) - keep, 0) + value[-keep:]
