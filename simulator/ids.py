"""Identifiers: resident ID numbers, bank cards (Luhn), IMEIs, and the ways people write numbers."""

from __future__ import annotations

import numpy as np

from rules import identifiers as rules
from rules.identifiers import id_check_char
from simulator.refdata import CHINESE_DIGITS_FULLWIDTH

ID_WEIGHTS = np.array(rules.ID_WEIGHTS, dtype=np.int64)
ID_CHECK = rules.ID_CHECK_MAP


def id_check_chars(first17: list[str]) -> list[str]:
    """Vectorised `id_check_char`."""
    if not first17:
        return []
    digits = np.frombuffer("".join(first17).encode("ascii"), dtype=np.uint8).reshape(-1, 17) - 48
    rem = (digits.astype(np.int64) @ ID_WEIGHTS) % 11
    return [ID_CHECK[r] for r in rem.tolist()]


def is_valid_id(id_no: str) -> bool:
    return len(id_no) == 18 and id_no[:17].isdigit() and id_check_char(id_no[:17]) == id_no[17]


def luhn_check_digit(body: str) -> str:
    """The digit that makes `body + digit` pass the Luhn check."""
    total = 0
    for i, c in enumerate(reversed(body)):
        d = int(c)
        if i % 2 == 0:
            d *= 2
            if d > 9:
                d -= 9
        total += d
    return str((10 - total % 10) % 10)


def luhn_check_digits(bodies: list[str]) -> list[str]:
    """Vectorised `luhn_check_digit` (bodies of any lengths, grouped by length)."""
    out = np.empty(len(bodies), dtype=object)
    lengths = np.array([len(b) for b in bodies], dtype=np.int64)
    for n in np.unique(lengths).tolist():
        idx = np.flatnonzero(lengths == n)
        group = bodies if len(idx) == len(bodies) else [bodies[i] for i in idx.tolist()]
        digits = np.frombuffer("".join(group).encode("ascii"), dtype=np.uint8).reshape(-1, n)[:, ::-1] - 48
        doubled = digits[:, 0::2].astype(np.int64) * 2
        total = np.where(doubled > 9, doubled - 9, doubled).sum(axis=1) + digits[:, 1::2].sum(axis=1, dtype=np.int64)
        out[idx] = DIGITS[(10 - total % 10) % 10]
    return out.tolist()


DIGITS = np.array(list("0123456789"), dtype=object)


def luhn_valid(number: str) -> bool:
    return number.isdigit() and luhn_check_digit(number[:-1]) == number[-1]


def make_card(bin6: str, length: int, serial: int) -> str:
    body = f"{bin6}{serial:0{length - 7}d}"[: length - 1]
    return body + luhn_check_digit(body)


def make_cards(bins: list[str], lengths: list[int], serials: list[int]) -> list[str]:
    """Vectorised `make_card`."""
    bodies = [f"{b}{s:0{n - 7}d}"[: n - 1] for b, n, s in zip(bins, lengths, serials, strict=True)]
    return [b + c for b, c in zip(bodies, luhn_check_digits(bodies), strict=True)]


def make_imei(tac: str, serial: int) -> str:
    body = f"{tac}{serial % 1_000_000:06d}"
    return body + luhn_check_digit(body)


def make_imeis(tacs: list[str], serials: list[int]) -> list[str]:
    """Vectorised `make_imei`."""
    bodies = [f"{t}{s % 1_000_000:06d}" for t, s in zip(tacs, serials, strict=True)]
    return [b + c for b, c in zip(bodies, luhn_check_digits(bodies), strict=True)]


# ---- the ways numbers are written ------------------------------------------------------------


def phone_variant(msisdn: str, k: int) -> str:
    """One writing of a mobile number: 0 plain, 1 +86, 2 '86 139 1234 5678', 3 hyphens, 4 0086."""
    if k == 1:
        return "+86" + msisdn
    if k == 2:
        return f"86 {msisdn[:3]} {msisdn[3:7]} {msisdn[7:]}"
    if k == 3:
        return f"{msisdn[:3]}-{msisdn[3:7]}-{msisdn[7:]}"
    if k == 4:
        return "0086" + msisdn
    return msisdn


def messy_number(number: str, k: int) -> str:
    """How a victim or an officer writes a card or phone number: spaces, hyphens, full width, +86."""
    if k == 1:
        return " ".join(number[i : i + 4] for i in range(0, len(number), 4))
    if k == 2:
        return "-".join(number[i : i + 4] for i in range(0, len(number), 4))
    if k == 3:
        return number.translate(CHINESE_DIGITS_FULLWIDTH)
    if k == 4 and len(number) == 11 and number.startswith("1"):
        return "+86 " + number
    if k == 4:
        return number[:6] + " " + number[6:]
    return number


def mistype_id(id_no: str, k: int) -> str:
    """A police-side defect of an ID number: 0 wrong check char, 1 empty, 2 lowercase x."""
    if k == 1:
        return ""
    if k == 2:
        if id_no.endswith("X"):
            return id_no[:-1] + "x"
        return id_no[:-1] + ("x" if id_check_char(id_no[:17]) != "X" else "0")
    wrong = "0123456789X".replace(id_no[-1], "")
    return id_no[:-1] + wrong[int(id_no[14]) % len(wrong)]


def bad_holder_id(id_no: str, k: int) -> str:
    """A telecom-side defect: 0 wrong check char, 1 impossible birth date, 2 15-digit first generation."""
    if k == 1:
        body = id_no[:10] + "0231" + id_no[14:17]
        return body + id_check_char(body)
    if k == 2:
        return id_no[:6] + id_no[8:14] + id_no[14:17]
    return mistype_id(id_no, 0)
