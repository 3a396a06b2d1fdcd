"""Canonical forms, tokens and masks of personal identifiers: the Python twin of the dbt macros.

The warehouse canonicalises identifiers in SQL (``dbt_project/macros/identifiers.sql``) and tokenises
them with the DuckDB function ``pii_token`` (``flows.build.dbt_plugin``). This module is the same rule in
plain Python, for the re-identification vault, the evaluation and the tests: a value canonicalised
and tokenised here equals the value the warehouse publishes for the same key.

token = first 32 lowercase hex characters of HMAC-SHA256(key UTF-8, f"{kind}:{canonical}").
"""

from __future__ import annotations

import functools
import hashlib
import hmac
import json
import re
from datetime import date

from rules.identifiers import id_check_char, luhn_ok

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


# ---- purged forms (retention: `flows.privacy.purge`) ---------------------------------------------------------
# A clear value past its retention period is replaced in raw by its *purged form*: JSON carrying only the
# derived, non-identifying features the staging models use (the token, the published mask, validity flags).
# The staging macros (`dbt_project/macros/identifiers.sql`) recognise it by its prefix and pass the features
# through; the token function (`flows.build.dbt_plugin`) returns the carried token.
PURGED_PREFIX = '{"~pf"'
NAME_STAND_IN = "~pf~"  # a purged name: surname + "~pf~" + keyed hash (equality and surname kept)
ID_STAND_IN_MARK = "~"  # 11th character of an ID stand-in: region + birth year + "~" + keyed 3 + last 4


def is_purged(value: str | None) -> bool:
    return value is not None and (value.startswith(PURGED_PREFIX) or NAME_STAND_IN in value)


@functools.lru_cache(maxsize=2)
def _keyed_base(key: str) -> hmac.HMAC:
    """The HMAC state after the key (copied per value: ~5x faster than a new HMAC for every stand-in)."""
    return hmac.new(key.encode("utf-8"), digestmod=hashlib.sha256)


_BASE32 = "abcdefghijklmnopqrstuvwxyz234567"  # RFC 4648 base32, lower-case


def _keyed(key: str, label: str, text: str, length: int) -> str:
    """The first ``length`` (at most 12) characters of the lower-case base32 of HMAC-SHA256(key, label:text)."""
    h = _keyed_base(key).copy()
    h.update(f"{label}:{text}".encode())
    bits = int.from_bytes(h.digest()[:8], "big")  # 64 bits: 12 base32 characters (base64.b32encode is slow)
    return "".join(_BASE32[(bits >> (59 - 5 * i)) & 31] for i in range(length))


def phone_kind(canonical: str | None) -> str | None:
    """foreign (``+`` and a country code), mobile (valid mainland), network (95/96), other."""
    if canonical is None:
        return None
    if canonical.startswith("+"):
        return "foreign"
    if phone_is_valid(canonical):
        return "mobile"
    return "network" if canonical[:2] in ("95", "96") else "other"


def id_stand_in(key: str, canonical: str | None) -> str | None:
    """What identity resolution may keep of an 18-character ID once purged.

    Region code, birth year and the last four characters (published anyway: the mask and ``birth_year``), with
    month and day replaced by ``~`` and three characters keyed on the 17-character prefix: two purged IDs with
    the same prefix keep equal prefixes (a mistyped check character still matches), the clear date is gone.
    """
    if canonical is None or len(canonical) != 18:
        return None
    return canonical[:10] + ID_STAND_IN_MARK + _keyed(key, "id17", canonical[:17], 3) + canonical[14:]


# What DuckDB's trim() removes (Unicode space separators, category Zs): staging trims names with it.
SPACE_SEPARATORS = " \u00a0\u1680\u2000\u2001\u2002\u2003\u2004\u2005\u2006\u2007\u2008\u2009\u200a\u202f\u205f\u3000"


def name_stand_in(key: str, name: str | None) -> str | None:
    """A purged name: its first character (the surname, published in the mask), ``~pf~`` and a keyed hash.

    The name is trimmed as staging trims it (``SPACE_SEPARATORS``), so the stand-in of a raw name and that of
    the name staging publishes are the same (identity resolution matches a clear name to a purged one by it).
    """
    if name is None:
        return None
    s = name.strip(SPACE_SEPARATORS)
    if not s or NAME_STAND_IN in s:
        return name
    return s[0] + NAME_STAND_IN + _keyed(key, "name", s, 12)


MATCH_KINDS = ("id17", "name")


def match_key(key: str, kind: str, value: str | None) -> str | None:
    """What identity resolution compares, equal whether the value is still clear or already purged.

    ``id17``: the first 17 characters of the ID's stand-in (region, birth year, ``~``, three characters keyed
    on the 17-character prefix, sequence number): a clear 18-character ID and its purged stand-in give the same
    key, and so do two IDs differing only in the check character. Anything not 18 characters long gives None.
    ``name``: the name's stand-in (surname, ``~pf~``, keyed hash), which a purged name already is.
    Restricted like the clear values (it stays in the work database; no mart publishes it): the keyed
    characters are what keeps month and day out of reach.
    """
    if value is None:
        return None
    if kind == "id17":
        if len(value) != 18:
            return None
        if value[10] == ID_STAND_IN_MARK:  # a purged stand-in (a clear canonical ID holds letters and digits only)
            return value[:17]
        stand_in = id_stand_in(key, value)
        return None if stand_in is None else stand_in[:17]
    if kind == "name":
        return name_stand_in(key, value)
    raise ValueError(f"no match key for kind {kind!r}: one of {MATCH_KINDS}")


def _form(features: dict[str, object]) -> str:
    body = json.dumps(features, ensure_ascii=True, separators=(",", ":"), sort_keys=True)
    return PURGED_PREFIX + ":1" + ("," + body[1:] if features else "}")


def purged_phone(key: str, value: str) -> str | None:
    c = canonical_phone(value)
    if c is None:
        return None
    return _form(
        {
            "t": token(key, "phone", c),
            "m": mask_phone(c),
            "k": phone_kind(c),
            "v": phone_is_valid(c),
            "n": c[:3] in MVNO_PREFIXES,
        }
    )


def purged_id(key: str, value: str) -> str | None:
    c = canonical_id(value)
    if c is None:
        return None
    return _form({"t": token(key, "id", c), "m": mask_id(c), "v": id_is_valid(c), "s": id_stand_in(key, c)})


def purged_card(key: str, value: str) -> str | None:
    c = canonical_card(value)
    if c is None:
        return None
    return _form({"t": token(key, "card", c), "m": mask_card(c), "v": card_luhn_ok(c)})


def purged_imei(key: str, value: str) -> str | None:
    c = canonical_imei(value)
    return None if c is None else _form({"t": token(key, "imei", c)})


def sql_text_id(value: str, *, ascii: bool = False) -> str | None:
    """Device fingerprints, IPs (and, ``ascii``: chat ids) as staging canonicalises them: trimmed, lower-case."""
    s = (value.translate(_FW) if ascii else value).strip(" ").lower()
    return s or None


def purged_text_id(key: str, kind: str, value: str, *, ascii: bool = False) -> str | None:
    c = sql_text_id(value, ascii=ascii)
    return None if c is None else _form({"t": token(key, kind, c), "m": mask_id(c)})


def purged_marker() -> str:
    """A value with nothing kept (a column no model reads, e.g. the IMSI)."""
    return _form({})


# ---- case narratives (free text) ------------------------------------------------------------------------
# What staging (`stg_police__cases.narrative_identifiers`) extracts from a case narrative: numbers of 7 to 19
# digits (an optional '+') once full-width characters are ASCII and spaces and hyphens removed; 16 to 19 digits
# without '+' are cards, the rest phones (kept when their canonical form has 11 characters or more); and WeChat
# ids ('wxid_…', lower-cased). A purged narrative keeps only these (token, mask): no text, no name.
NARRATIVE_NUMBER = re.compile(r"\+?[0-9]{7,19}")
NARRATIVE_CHAT = re.compile(r"wxid_[a-z0-9_]+")


def narrative_identifiers(text: str | None) -> list[tuple[str, str]]:
    """(token kind, canonical) of every identifier staging extracts from a narrative, in order of appearance."""
    if text is None:
        return []
    s = text.translate(_FW).strip(" ")
    out: list[tuple[str, str]] = []
    for n in NARRATIVE_NUMBER.findall(re.sub(r"[ -]", "", s)):
        if 16 <= len(n) <= 19 and not n.startswith("+"):
            out.append(("card", n))
        else:
            c = canonical_phone(n)
            if c is not None and len(c) >= 11:
                out.append(("phone", c))
    out.extend(("wechat", w) for w in NARRATIVE_CHAT.findall(s.lower()))
    return out


def narrative_mask(kind: str, canonical: str) -> str | None:
    """The display staging publishes for an identifier found in a narrative."""
    if kind == "card":
        return mask_card(canonical)
    if kind == "phone":
        return mask_phone(canonical)
    return mask_id(canonical)


def purged_narrative(key: str, text: str) -> str:
    """A narrative's purged form: the identifiers staging extracts from it (kind, token, mask), sorted, distinct."""
    found = {(kind, token(key, kind, c), narrative_mask(kind, c) or "") for kind, c in narrative_identifiers(text)}
    return _form({"i": [{"k": k, "t": t, "m": m} for k, t, m in sorted(found)]})
