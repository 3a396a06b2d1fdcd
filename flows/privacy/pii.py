"""Tokens, purged forms, stand-ins, match keys and narratives of personal identifiers.

The rules of identifiers themselves (canonical forms, validity, kinds, masks) are the rulebook's
(``rules.identifiers``): the warehouse runs them as SQL generated from it, this module calls them in Python. It
adds what the privacy tools need: the vault, the purge, the evaluation and the tests build here the same
tokens and purged forms the warehouse publishes for the same key.

token = first 32 lowercase hex characters of HMAC-SHA256(key UTF-8, f"{kind}:{canonical}").
"""

from __future__ import annotations

import functools
import hashlib
import hmac
import json
import re

from rules.identifiers import (
    ID_STAND_IN_MARK,
    PURGED_PREFIX,
    SPACES,
    ascii_text,
    card_luhn_ok,
    id_is_valid,
    mask_card,
    mask_id,
    mask_phone,
    normalise_card,
    normalise_id,
    normalise_imei,
    normalise_phone,
    normalise_text_id,
    phone_is_mvno,
    phone_is_valid,
    phone_kind,
)


def token(key: str, kind: str, canonical: str) -> str:
    """First 32 lowercase hex characters of HMAC-SHA256(key, f"{kind}:{canonical}")."""
    return hmac.new(key.encode("utf-8"), f"{kind}:{canonical}".encode(), hashlib.sha256).hexdigest()[:32]


def token_or_none(key: str, kind: str, canonical: str | None) -> str | None:
    return None if canonical is None else token(key, kind, canonical)


# ---- purged forms (retention: `flows.privacy.purge`) ---------------------------------------------------------
# A clear value past its retention period is replaced in raw by its *purged form*: JSON carrying only the
# derived, non-identifying features the staging models use (the token, the published mask, validity flags).
# The staging macros (generated from `rules.identifiers`) recognise it by its prefix (`PURGED_PREFIX`) and read
# the features; the token function (`flows.build.dbt_plugin`) returns the carried token. An ID stand-in is
# region + birth year + `ID_STAND_IN_MARK` + keyed 3 + last 4.
NAME_STAND_IN = "~pf~"  # a purged name: surname + "~pf~" + keyed hash (equality and surname kept)


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


def id_stand_in(key: str, canonical: str | None) -> str | None:
    """What identity resolution may keep of an 18-character ID once purged.

    Region code, birth year and the last four characters (published anyway: the mask and ``birth_year``), with
    month and day replaced by ``~`` and three characters keyed on the 17-character prefix: two purged IDs with
    the same prefix keep equal prefixes (a mistyped check character still matches), the clear date is gone.
    """
    if canonical is None or len(canonical) != 18:
        return None
    return canonical[:10] + ID_STAND_IN_MARK + _keyed(key, "id17", canonical[:17], 3) + canonical[14:]


def name_stand_in(key: str, name: str | None) -> str | None:
    """A purged name: its first character (the surname, published in the mask), ``~pf~`` and a keyed hash.

    The name is trimmed as staging trims it (``rules.identifiers.SPACES``), so the stand-in of a raw name and that of
    the name staging publishes are the same (identity resolution matches a clear name to a purged one by it).
    """
    if name is None:
        return None
    s = name.strip(SPACES)
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
    c = normalise_phone(value)
    if c is None:
        return None
    return _form(
        {
            "t": token(key, "phone", c),
            "m": mask_phone(c),
            "k": phone_kind(c),
            "v": phone_is_valid(c),
            "n": phone_is_mvno(c),
        }
    )


def purged_id(key: str, value: str) -> str | None:
    c = normalise_id(value)
    if c is None:
        return None
    return _form({"t": token(key, "id", c), "m": mask_id(c), "v": id_is_valid(c), "s": id_stand_in(key, c)})


def purged_card(key: str, value: str) -> str | None:
    c = normalise_card(value)
    if c is None:
        return None
    return _form({"t": token(key, "card", c), "m": mask_card(c), "v": card_luhn_ok(c)})


def purged_imei(key: str, value: str) -> str | None:
    c = normalise_imei(value)
    return None if c is None else _form({"t": token(key, "imei", c)})


def sql_text_id(value: str, *, ascii: bool = False) -> str | None:
    """Device fingerprints, IPs (and, ``ascii``: chat ids, folded first) as staging canonicalises them."""
    return normalise_text_id(ascii_text(value) if ascii else value)


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
    s = ascii_text(text) or ""
    out: list[tuple[str, str]] = []
    for n in NARRATIVE_NUMBER.findall(re.sub(r"[ -]", "", s)):
        if 16 <= len(n) <= 19 and not n.startswith("+"):
            out.append(("card", n))
        else:
            c = normalise_phone(n)
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
