"""Canonical forms, tokens and masks of personal identifiers: the Python twin of the dbt macros.

The warehouse canonicalises identifiers in SQL (``dbt_project/macros/identifiers.sql``) and tokenises
them with the DuckDB function ``pii_token`` (``flows.dbt_plugin``). This module is the same rule in
plain Python, for the re-identification vault, the evaluation and the tests: a value canonicalised
and tokenised here equals the value the warehouse publishes for the same key.

token = first 32 lowercase hex characters of HMAC-SHA256(key UTF-8, f"{kind}:{canonical}").
"""

from __future__ import annotations

import hashlib
import hmac
import re
from datetime import date

from flows.identifiers import id_check_char, luhn_ok

TOKEN_KINDS = ("id", "phone", "card", "imei", "device", "ip")

# Full-width digits, letters X/x, plus, hyphen and the ideographic space → ASCII.
FULLWIDTH_FROM = "０１２３４５６７８９Ｘｘ＋－　"
FULLWIDTH_TO = "0123456789Xx+- "
_FW = str.maketrans(FULLWIDTH_FROM, FULLWIDTH_TO)

MVNO_PREFIXES = ("162", "165", "167", "170", "171")


def _ascii(value: str) -> str:
    return value.translate(_FW).strip()


def canonical_id(value: str | None) -> str | None:
    """ID upper-case, ASCII, without separators; a 15-digit ID converted to 18; a malformed ID as normalised."""
    if value is None:
        return None
    s = re.sub(r"[^0-9A-Za-z]", "", _ascii(value)).upper()
    if not s:
        return None
    if re.fullmatch(r"\d{15}", s):
        first17 = s[:6] + "19" + s[6:15]
        return first17 + id_check_char(first17)
    return s


def id_is_valid(canonical: str | None) -> bool:
    """18 characters, a real birth date and the right check character."""
    if canonical is None or not re.fullmatch(r"\d{17}[\dX]", canonical):
        return False
    try:
        date(int(canonical[6:10]), int(canonical[10:12]), int(canonical[12:14]))
    except ValueError:
        return False
    return id_check_char(canonical[:17]) == canonical[17]


def canonical_phone(value: str | None) -> str | None:
    """A mainland number as its 11 digits (``+86``/``0086``/``86`` removed); a foreign one as ``+`` and digits."""
    if value is None:
        return None
    s = _ascii(value)
    plus = s.startswith("+")
    digits = re.sub(r"[^0-9]", "", s)
    if not digits:
        return None
    if plus:
        return digits[2:] if digits.startswith("86") else "+" + digits
    if digits.startswith("0086"):
        return digits[4:]
    if digits.startswith("00"):
        return "+" + digits[2:]
    if len(digits) == 13 and digits.startswith("861"):
        return digits[2:]
    return digits


def phone_is_valid(canonical: str | None) -> bool:
    """A mainland mobile number: 11 digits, ``1[3-9]`` then 9 digits."""
    return canonical is not None and re.fullmatch(r"1[3-9]\d{9}", canonical) is not None


def canonical_card(value: str | None) -> str | None:
    """A card as its digits (separators and full-width digits removed; anything else kept, upper-case)."""
    if value is None:
        return None
    s = re.sub(r"[^0-9A-Za-z]", "", _ascii(value)).upper()
    return s or None


def card_luhn_ok(canonical: str | None) -> bool:
    """16 to 19 digits passing the Luhn check."""
    return canonical is not None and bool(re.fullmatch(r"\d{16,19}", canonical)) and luhn_ok(canonical)


def canonical_imei(value: str | None) -> str | None:
    """A handset identity as its digits."""
    if value is None:
        return None
    s = re.sub(r"[^0-9A-Za-z]", "", _ascii(value)).upper()
    return s or None


def canonical_text(value: str | None) -> str | None:
    """Device fingerprints and IPs: trimmed, lower-case."""
    if value is None:
        return None
    s = value.strip().lower()
    return s or None


def token(key: str, kind: str, canonical: str) -> str:
    """First 32 lowercase hex characters of HMAC-SHA256(key, f"{kind}:{canonical}")."""
    return hmac.new(key.encode("utf-8"), f"{kind}:{canonical}".encode(), hashlib.sha256).hexdigest()[:32]


def token_or_none(key: str, kind: str, canonical: str | None) -> str | None:
    return None if canonical is None else token(key, kind, canonical)


# ---- masks (display values published in marts) -----------------------------------------------------


def mask_id(canonical: str | None) -> str | None:
    """``420922********123X``: region code and last 4 kept."""
    if canonical is None:
        return None
    if len(canonical) <= 10:
        return "*" * len(canonical)
    return canonical[:6] + "*" * (len(canonical) - 10) + canonical[-4:]


def mask_phone(canonical: str | None) -> str | None:
    """``139****5678``: first 3 and last 4 kept (a foreign number keeps ``+`` and its first 3)."""
    if canonical is None:
        return None
    head = 4 if canonical.startswith("+") else 3
    if len(canonical) <= head + 4:
        return "*" * len(canonical)
    return canonical[:head] + "****" + canonical[-4:]


def mask_card(canonical: str | None) -> str | None:
    """``6222 **** **** 1234``: first 4 and last 4 kept."""
    if canonical is None:
        return None
    if len(canonical) <= 8:
        return "*" * len(canonical)
    return canonical[:4] + " **** **** " + canonical[-4:]


def mask_name(name: str | None) -> str | None:
    """Surname (the first character) then ``*``."""
    if name is None:
        return None
    s = name.strip()
    return (s[0] + "*") if s else None
