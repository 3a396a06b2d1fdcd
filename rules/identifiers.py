"""The identifier rulebook: every rule about resident ID numbers, phones, cards and the other identifiers.

One module, two renderings of the same rules:

- Python functions (``normalise_phone``, ``id_is_valid``, ``mask_card`` …), for the GX pandas metrics, the
  privacy tools (tokens, vault, purge, leak scan) and the evaluation;
- SQL expressions per dialect (``sql(dialect)``, a ``SqlRules``): the GX DuckDB conditions
  (``expectations/custom.py``) and the dbt macros staging calls (``dbt_project/macros/identifiers_generated.sql``,
  written by ``python -m rules.sql_macros``) are generated from it. A dialect (``DuckDB``; Spark later) supplies
  the few primitives that differ (regex full match, trim of a character set, binding a value once, JSON field);
  the rules are written once, in ``SqlRules``, over those primitives and the data below.

The weights, maps, prefixes, separators and mask shapes below are the only copy. ``tests/identifier_corpus.py``
holds the edge cases every rendering must agree on (``tests/test_identifier_corpus.py``: Python, GX SQL, dbt).

What the contracts (shared/contracts/README.md, "Identifiers", and each source's "Known defects") fix:

- ID numbers: 18 characters, ISO 7064 MOD 11-2 check character (``ID_WEIGHTS``, ``ID_CHECK_MAP``), a real birth
  date ``YYYYMMDD``; lowercase ``x`` is ``X``; 15-digit first-generation numbers occur (their 18-digit form
  inserts ``19`` and computes the check character).
- Mobile numbers: ``1[3-9]`` and 9 digits; ``+86``, ``86`` or ``0086`` prefixes, spaces and hyphens name the same
  number; international numbers start with ``+`` or ``00`` and a country code other than 86; network numbers
  start with 95 or 96; MVNO prefixes ``MVNO_PREFIXES``.
- Cards: 16 to 19 digits passing Luhn. Typed numbers carry spaces, hyphens and full-width digits.

Where the contracts are silent, the choices (and why):

- Separators: spaces and hyphens only (``SEPARATORS``, after full-width folding; ideographic and no-break spaces
  fold to a space), for every number kind (IDs too: police ``ref_no`` "carries the defects of other typed
  identifiers (spaces, full-width digits …)"). A ``/``, ``.``, ``(``/``)`` or a tab is not a writing the contracts
  name: the value is malformed (invalid, and GX counts it), and its canonical form keeps the character, so it
  links only to the same writing. Guessing what ``139/1234/5678`` meant would link numbers no source promised.
  Surrounding Unicode spaces (``SPACES``: category Zs, what DuckDB's ``trim`` removes) are trimmed.
- Birth dates: a real calendar date with a year from 1900 to 2099 (``ID_BIRTH_CENTURIES``). The conversion of
  first-generation numbers reads every year as 19xx, and a holder born before 1900 would be older than anyone
  living: such a year is a mistyped digit. The upper bound is fixed rather than "today", so that validity
  never depends on the day a rule runs (a rebuild next year publishes the same marts, and GX and staging, run
  on different days, agree); a birth date after the batch is left to the detection, not to the format. So
  ``18000101`` is invalid and ``20990101`` valid.
- A phone written without any digit ("N/A", "无") names no number: its canonical form is None (no token, no
  link between the records that carry it); ``+86`` or ``0086`` alone likewise. A ``+`` and digits is foreign.
- GX checks a value as delivered: a 15-digit ID is a contract defect there (``is_valid_id`` false), while
  staging links it by its 18-digit form (``normalise_id``, then ``id_is_valid`` true). No source delivers a
  purged form: one in a delivery is malformed for GX (staging, reading raw after a purge, takes its flags).
- Full-width folding (``FULLWIDTH_FROM``/``FULLWIDTH_TO``): digits, Latin letters, ``+``, ``-``, the ideographic
  space; and the no-break space to a space. Nothing else (no NFKC: SQL engines lack it, and the same rule must
  run in SQL). IDs and cards are upper-cased over ASCII letters only (identical in every engine).

A *purged form* (a value past retention, replaced in raw: ``PURGED_PREFIX`` then JSON; built by
``flows.privacy.pii``) passes through the canonical forms unchanged and carries its features: validity (``v``),
MVNO (``n``), phone kind (``k``), mask (``m``); the rules read them. Nothing here logs or stores a value.
"""

from __future__ import annotations

import itertools
import json
import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date

# ---- the rules' data (the only copy) --------------------------------------------------------------
_FW_DIGITS = "０１２３４５６７８９"
_FW_UPPER = "".join(chr(c) for c in range(ord("Ａ"), ord("Ｚ") + 1))
_FW_LOWER = "".join(chr(c) for c in range(ord("ａ"), ord("ｚ") + 1))
_ASCII_UPPER = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
_ASCII_LOWER = _ASCII_UPPER.lower()
FULLWIDTH_FROM = _FW_DIGITS + _FW_UPPER + _FW_LOWER + "＋－\u3000\u00a0"
FULLWIDTH_TO = "0123456789" + _ASCII_UPPER + _ASCII_LOWER + "+-  "
# folding then upper-casing ASCII letters, in one table (IDs and cards)
_UPPER_FROM = FULLWIDTH_FROM + _ASCII_LOWER
_UPPER_TO = FULLWIDTH_TO.upper() + _ASCII_UPPER
_FOLD = str.maketrans(FULLWIDTH_FROM, FULLWIDTH_TO)
_FOLD_UPPER = str.maketrans(_UPPER_FROM, _UPPER_TO)

# Unicode space separators (category Zs): what surrounds a value and is trimmed (DuckDB's trim() removes these)
SPACES = " \u00a0\u1680\u2000\u2001\u2002\u2003\u2004\u2005\u2006\u2007\u2008\u2009\u200a\u202f\u205f\u3000"
SEPARATORS = " -"  # removed anywhere inside a number, after folding

ID_WEIGHTS: tuple[int, ...] = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
ID_CHECK_MAP = "10X98765432"  # check character for remainders 0..10
ID_BIRTH_CENTURIES = ("19", "20")  # birth years 1900..2099
FIRST_GENERATION_CENTURY = "19"  # inserted into a 15-digit number
ID_STAND_IN_MARK = "~"  # 11th character of an ID stand-in (flows.privacy.pii.id_stand_in): birth year kept
ID18 = "[0-9]{17}[0-9X]"
ID15 = "[0-9]{15}"
_BIRTH = "(" + "|".join(ID_BIRTH_CENTURIES) + ")[0-9]{2}(0[1-9]|1[0-2])(0[1-9]|[12][0-9]|3[01])"
_BIRTH_YEAR = "(" + "|".join(ID_BIRTH_CENTURIES) + ")[0-9]{2}"

MOBILE = "1[3-9][0-9]{9}"
MOBILE_SHAPE = "1[0-9]{10}"  # already canonical: passes the normalisation untouched
FOREIGN = "[+][0-9]+"  # a canonical foreign number (+86 is removed by PHONE_PREFIXES)
MVNO_PREFIXES = ("162", "165", "167", "170", "171")
NETWORK_PREFIXES = ("95", "96")
# (full match on the compacted text, characters dropped from the front, what is put in front), first match wins
PHONE_PREFIXES: tuple[tuple[str, int, str], ...] = (
    ("[+]86[0-9]*", 3, ""),  # +86 139… (+86 alone names no number: None)
    ("[+][0-9]+", 1, "+"),  # +855 …: foreign, kept
    ("0086[0-9]*", 4, ""),  # 0086 139…
    ("00[0-9]+", 2, "+"),  # 00855 …: foreign, as +855 …
    ("861[0-9]{10}", 2, ""),  # 86 139 1234 5678
)

CARD = "[0-9]{16,19}"
CARD_MAX = 19
DIGITS = "[0-9]+"


@dataclass(frozen=True)
class MaskShape:
    """Keep ``head`` and ``tail`` characters around ``middle`` (None: one ``*`` per hidden character).

    A value no longer than ``head + tail`` is all stars.
    """

    head: int
    tail: int
    middle: str | None = None


MASK_ID = MaskShape(6, 4)  # 420922********123X (also chat ids and other text identifiers)
MASK_PHONE = MaskShape(3, 4, "****")  # 139****5678
MASK_FOREIGN_PHONE = MaskShape(4, 4, "****")  # +855****5678
MASK_CARD = MaskShape(4, 4, " **** **** ")  # 6222 **** **** 1234

PURGED_PREFIX = '{"~pf"'
# kinds the warehouse tokenises (staging's token() / distinct_tokens() and case contacts' contact_type)
TOKEN_KINDS = ("id", "phone", "card", "imei", "device", "ip", "wechat", "qq", "app", "url")


# ---- Python ---------------------------------------------------------------------------------------
def _full(pattern: str) -> Callable[[str], re.Match[str] | None]:
    return re.compile(pattern, re.ASCII).fullmatch


_is_id18, _is_id15, _is_birth = _full(ID18), _full(ID15), _full(_BIRTH)
_is_birth_year, _is_mobile, _is_mobile_shape = _full(_BIRTH_YEAR), _full(MOBILE), _full(MOBILE_SHAPE)
_is_card, _is_digits, _is_foreign = _full(CARD), _full(DIGITS), _full(FOREIGN)
_has_digit = re.compile("[0-9]").search
_PREFIXES = tuple((_full(p), drop, lead) for p, drop, lead in PHONE_PREFIXES)


def is_purged(value: str | None) -> bool:
    """A purged form (JSON starting ``PURGED_PREFIX``)."""
    return value is not None and value.startswith(PURGED_PREFIX)


def purged_field(value: str, field: str) -> str | None:
    """A feature of a purged form as text (as SQL's JSON extraction gives it: booleans as ``true``/``false``)."""
    got = json.loads(value).get(field)
    if got is None or isinstance(got, str):
        return got
    return json.dumps(got, separators=(",", ":"))


def purged_flag(value: str, field: str) -> bool:
    return purged_field(value, field) == "true"


def canonical_out(value: str | None) -> str | None:
    """What a staging model publishes of a canonical value: the value, or for a purged one its stand-in (IDs carry
    one in ``s``) or None (the clear value is gone; the vault keeps it sealed)."""
    return purged_field(value, "s") if value is not None and is_purged(value) else value


def unless_purged(value: str | None) -> str | None:
    """A column no model reads: None once purged."""
    return None if is_purged(value) else value


def ascii_text(value: str | None) -> str | None:
    """Full-width characters folded to ASCII (``FULLWIDTH_FROM``), surrounding spaces trimmed."""
    return None if value is None else value.translate(_FOLD).strip(SPACES)


def _compact(value: str, table: dict[int, int]) -> str:
    return value.translate(table).strip(SPACES).replace(" ", "").replace("-", "")


# -- phones
def normalise_phone(value: str | None) -> str | None:
    """Canonical form of a phone: a mainland number as its bare digits (``+86``/``0086``/``86`` removed), a foreign
    one as ``+`` and digits (``00`` read as ``+``); other text with a digit folded and without separators (it
    stays malformed, linkable only to the same writing); text without a digit is None; a purged form unchanged."""
    if value is None:
        return None
    if _is_mobile_shape(value) or is_purged(value):
        return value
    s = _compact(value, _FOLD)
    if not _has_digit(s):  # no number at all ("N/A", "无"): nothing to link
        return None
    for match, drop, lead in _PREFIXES:
        if match(s):
            return (lead + s[drop:]) or None
    return s


def phone_is_valid(canonical: str | None) -> bool:
    """A mainland mobile number: ``1[3-9]`` then 9 digits."""
    if canonical is None:
        return False
    if is_purged(canonical):
        return purged_flag(canonical, "v")
    return bool(_is_mobile(canonical))


def phone_is_mvno(canonical: str | None) -> bool:
    """A number of a virtual operator (prefix in ``MVNO_PREFIXES``)."""
    if canonical is None:
        return False
    if is_purged(canonical):
        return purged_flag(canonical, "n")
    return canonical[:3] in MVNO_PREFIXES


def phone_kind(canonical: str | None) -> str | None:
    """``mobile`` (valid mainland), ``foreign`` (``+`` and the digits of a country code other than 86 and a
    number), ``network`` (95/96), ``other``; a purged form's kind."""
    if canonical is None:
        return None
    if _is_mobile(canonical):
        return "mobile"
    if is_purged(canonical):
        return purged_field(canonical, "k")
    if _is_foreign(canonical):
        return "foreign"
    return "network" if canonical[:2] in NETWORK_PREFIXES else "other"


def is_valid_phone(value: str | None) -> bool:
    """GX: the value as delivered names a mainland mobile number (a delivery never carries a purged form)."""
    return not is_purged(value) and phone_is_valid(normalise_phone(value))


# -- resident identity numbers
def id_check_char(first17: str) -> str:
    """ISO 7064 MOD 11-2 check character of the first 17 digits of an ID number."""
    total = sum(int(d) * w for d, w in zip(first17, ID_WEIGHTS, strict=True))
    return ID_CHECK_MAP[total % 11]


def id_text(value: str | None) -> str | None:
    """An ID as written: folded, without separators, upper-case (``x`` is ``X``); blank is None; purged unchanged."""
    if value is None:
        return None
    if _is_id18(value) or is_purged(value):
        return value
    return _compact(value, _FOLD_UPPER) or None


def normalise_id(value: str | None) -> str | None:
    """Canonical form of an ID: ``id_text``, and a 15-digit first-generation number as its 18-digit form."""
    s = id_text(value)
    if s is not None and _is_id15(s):
        first17 = s[:6] + FIRST_GENERATION_CENTURY + s[6:]
        return first17 + id_check_char(first17)
    return s


def _birth_date(yyyymmdd: str) -> date | None:
    if not _is_birth(yyyymmdd):
        return None
    try:
        return date(int(yyyymmdd[:4]), int(yyyymmdd[4:6]), int(yyyymmdd[6:8]))
    except ValueError:  # 30 February
        return None


def id_is_valid(canonical: str | None) -> bool:
    """18 characters, a real birth date from 1900 to 2099 and the right check character."""
    if canonical is None:
        return False
    if is_purged(canonical):
        return purged_flag(canonical, "v")
    return (
        bool(_is_id18(canonical))
        and _birth_date(canonical[6:14]) is not None
        and id_check_char(canonical[:17]) == canonical[17]
    )


def id_birth_date(canonical: str | None) -> date | None:
    """The birth date an ID carries; for an ID stand-in (``~`` in 11th place: month and day gone) 1 January."""
    if canonical is None:
        return None
    if canonical[10:11] == ID_STAND_IN_MARK and _is_birth_year(canonical[6:10]):
        return date(int(canonical[6:10]), 1, 1)
    return _birth_date(canonical[6:14])


def is_valid_id(value: str | None) -> bool:
    """GX: the value as delivered is a valid 18-character ID (a 15-digit number is a defect here)."""
    return not is_purged(value) and id_is_valid(id_text(value))


# -- cards and handsets
def normalise_card(value: str | None) -> str | None:
    """Canonical form of a card number (and an IMEI): folded, without separators, upper-case; blank is None."""
    if value is None:
        return None
    if _is_digits(value) or is_purged(value):
        return value
    return _compact(value, _FOLD_UPPER) or None


normalise_imei = normalise_card


def luhn_ok(digits: str | None) -> bool:
    """Luhn (mod 10) check over a string of ASCII digits."""
    if not digits or not _is_digits(digits):
        return False
    total = 0
    for i, ch in enumerate(reversed(digits)):
        d = int(ch)
        if i % 2 == 1:
            d = d * 2 - 9 if d > 4 else d * 2
        total += d
    return total % 10 == 0


def card_luhn_ok(canonical: str | None) -> bool:
    """16 to 19 digits passing the Luhn check."""
    if canonical is None:
        return False
    if is_purged(canonical):
        return purged_flag(canonical, "v")
    return bool(_is_card(canonical)) and luhn_ok(canonical)


def is_valid_card(value: str | None) -> bool:
    """GX: the value as delivered is a card number passing Luhn."""
    return not is_purged(value) and card_luhn_ok(normalise_card(value))


# -- text identifiers (device fingerprints, IPs; chat ids after ascii_text)
def normalise_text_id(value: str | None) -> str | None:
    """Trimmed, lower-case; blank is None; a purged form unchanged."""
    if value is None or is_purged(value):
        return value
    return value.strip(SPACES).lower() or None


# -- masks (the display values marts publish)
def _mask(canonical: str, shape: MaskShape) -> str:
    n = len(canonical)
    if n <= shape.head + shape.tail:
        return "*" * n
    middle = "*" * (n - shape.head - shape.tail) if shape.middle is None else shape.middle
    return canonical[: shape.head] + middle + canonical[n - shape.tail :]


def _masked(canonical: str | None, shape: MaskShape) -> str | None:
    if canonical is None:
        return None
    return purged_field(canonical, "m") if is_purged(canonical) else _mask(canonical, shape)


def mask_id(canonical: str | None) -> str | None:
    """``420922********123X``: region code and last 4 kept."""
    return _masked(canonical, MASK_ID)


def mask_phone(canonical: str | None) -> str | None:
    """``139****5678``: first 3 and last 4 kept (a foreign number: ``+`` and its first 3)."""
    if canonical is not None and canonical.startswith("+"):
        return _masked(canonical, MASK_FOREIGN_PHONE)
    return _masked(canonical, MASK_PHONE)


def mask_card(canonical: str | None) -> str | None:
    """``6222 **** **** 1234``: first 4 and last 4 kept."""
    return _masked(canonical, MASK_CARD)


def mask_name(name: str | None) -> str | None:
    """Surname (the first character) then ``*``; blank is None."""
    s = None if name is None else name.strip(SPACES)
    return s[0] + "*" if s else None


# ---- SQL ------------------------------------------------------------------------------------------
def _indent(sql: str) -> str:
    return sql.replace("\n", "\n    ")


def _case(branches: list[tuple[str, str]], otherwise: str | None = None) -> str:
    lines = ["(case"] + [f"    when {_indent(c)} then {_indent(v)}" for c, v in branches]
    if otherwise is not None:
        lines.append(f"    else {_indent(otherwise)}")
    return "\n".join([*lines, "end)"])


class Dialect:
    """The SQL primitives the rules are written over. Standard SQL here; a dialect overrides what differs."""

    name = "standard"

    def lit(self, text: str) -> str:
        """A string literal; invisible characters (spaces other than ' ') as ``chr(n)``, so the SQL reads plainly."""
        parts: list[str] = []
        for visible, run in itertools.groupby(text, key=lambda c: c == " " or c.isprintable()):
            chunk = "".join(run)
            parts += ["'" + chunk.replace("'", "''") + "'"] if visible else [f"chr({ord(c)})" for c in chunk]
        return " || ".join(parts) if parts else "''"

    def full_match(self, expr: str, pattern: str) -> str:
        raise NotImplementedError

    def trim(self, expr: str, chars: str) -> str:
        raise NotImplementedError

    def let(self, expr: str, name: str, body: Callable[[str], str]) -> str:
        """``body`` over ``expr`` computed once (``name``: the variable the body sees)."""
        raise NotImplementedError

    def json_text(self, expr: str, field: str) -> str:
        raise NotImplementedError

    def is_ascii(self, expr: str) -> str | None:
        """True for ASCII text, or None when the dialect has no cheap test (then every value is translated)."""
        return None

    def starts_with(self, expr: str, prefix: str) -> str:
        return f"left({expr}, {len(prefix)}) = {self.lit(prefix)}"

    def translate(self, expr: str, source: str, target: str) -> str:
        return f"translate({expr}, {self.lit(source)}, {self.lit(target)})"

    def remove(self, expr: str, chars: str) -> str:
        for c in chars:
            expr = f"replace({expr}, {self.lit(c)}, '')"
        return expr

    def digit(self, expr: str, position: int) -> str:
        return f"cast(substr({expr}, {position}, 1) as integer)"

    def integer(self, expr: str) -> str:
        return f"cast({expr} as integer)"

    def make_date(self, year: str, month: str, day: str) -> str:
        return f"make_date({year}, {month}, {day})"

    def contains(self, expr: str, pattern: str) -> str:
        """``pattern`` matches somewhere in ``expr``."""
        raise NotImplementedError

    def in_list(self, expr: str, values: tuple[str, ...]) -> str:
        return f"{expr} in ({', '.join(self.lit(v) for v in values)})"


class DuckDB(Dialect):
    name = "duckdb"

    def full_match(self, expr: str, pattern: str) -> str:
        return f"regexp_full_match({expr}, {self.lit(pattern)})"

    def contains(self, expr: str, pattern: str) -> str:
        return f"regexp_matches({expr}, {self.lit(pattern)})"

    def trim(self, expr: str, chars: str) -> str:
        # DuckDB's trim() removes exactly the Unicode space separators (tests/test_identifiers.py checks), and
        # 5x faster than trim() given the same characters
        return f"trim({expr})" if set(chars) == set(SPACES) else f"trim({expr}, {self.lit(chars)})"

    def let(self, expr: str, name: str, body: Callable[[str], str]) -> str:
        # a one-element list and a lambda: DuckDB does not share a subexpression between CASE branches, and the
        # normalisations refer to their compacted text about ten times (5x faster on values not yet canonical)
        return f"list_transform([{expr}], lambda {name}: {_indent(body(name))})[1]"

    def json_text(self, expr: str, field: str) -> str:
        return f"json_extract_string({expr}, {self.lit('$.' + field)})"

    def is_ascii(self, expr: str) -> str:
        return f"strlen({expr}) = length({expr})"  # bytes = characters

    def starts_with(self, expr: str, prefix: str) -> str:
        return f"starts_with({expr}, {self.lit(prefix)})"


DIALECTS: dict[str, Dialect] = {"duckdb": DuckDB()}


class SqlRules:
    """The rules as SQL expressions of a dialect; every method mirrors the Python function of the same name.

    Arguments are SQL expressions; a rule over a canonical value refers to it a few times (pass a column, or
    bind an expression once with ``Dialect.let``).
    """

    def __init__(self, dialect: Dialect) -> None:
        self.d = dialect

    # -- purged forms
    def is_purged(self, e: str) -> str:
        return f"coalesce({self.d.starts_with(e, PURGED_PREFIX)}, false)"

    def purged_field(self, e: str, field: str) -> str:
        return self.d.json_text(e, field)

    def purged_flag(self, e: str, field: str) -> str:
        return f"coalesce({self.d.json_text(e, field)} = 'true', false)"

    def canonical_out(self, c: str) -> str:
        return f"(case when {self.is_purged(c)} then {self.purged_field(c, 's')} else {c} end)"

    def unless_purged(self, e: str) -> str:
        return f"(case when {self.is_purged(e)} then null else {e} end)"

    # -- text
    def _fold(self, e: str, upper: bool = False) -> str:
        """The fold table applied (and ASCII letters upper-cased); ASCII text skips the table (3x faster)."""
        source, target = (_UPPER_FROM, _UPPER_TO) if upper else (FULLWIDTH_FROM, FULLWIDTH_TO)
        folded = self.d.translate(e, source, target)
        ascii_ = self.d.is_ascii(e)
        return folded if ascii_ is None else _case([(ascii_, f"upper({e})" if upper else e)], folded)

    def ascii_text(self, e: str) -> str:
        return self.d.trim(self._fold(e), SPACES)

    def _compact(self, e: str, upper: bool) -> str:
        return self.d.remove(self.d.trim(self._fold(e, upper), SPACES), SEPARATORS)

    def _normalised(self, e: str, shape: str, slow: str) -> str:
        """A value already in ``shape`` as it is (one anchored match: the common case at scale), else ``slow``."""
        return _case(
            [(self.d.full_match(e, shape), e), (f"{e} is null", "null"), (self.is_purged(e), e)],
            slow,
        )

    # -- phones
    def normalise_phone(self, e: str) -> str:
        def prefixes(s: str) -> str:
            branches = [(f"not {self.d.contains(s, '[0-9]')}", "null")]
            for pattern, drop, lead in PHONE_PREFIXES:
                rest = f"substr({s}, {drop + 1})"
                branches.append(
                    (self.d.full_match(s, pattern), f"{self.d.lit(lead)} || {rest}" if lead else f"nullif({rest}, '')")
                )
            return _case(branches, s)

        return self._normalised(e, MOBILE_SHAPE, self.d.let(self._compact(e, upper=False), "fb_s", prefixes))

    def phone_is_valid(self, c: str) -> str:
        return _case(
            [(self.is_purged(c), self.purged_flag(c, "v"))], f"coalesce({self.d.full_match(c, MOBILE)}, false)"
        )

    def phone_is_mvno(self, c: str) -> str:
        prefix = self.d.in_list(f"left({c}, 3)", MVNO_PREFIXES)
        return _case([(self.is_purged(c), self.purged_flag(c, "n"))], f"coalesce({prefix}, false)")

    def phone_kind(self, c: str) -> str:
        return _case(
            [
                (f"{c} is null", "null"),
                (self.d.full_match(c, MOBILE), "'mobile'"),  # first: most numbers, one match
                (self.is_purged(c), self.purged_field(c, "k")),
                (self.d.full_match(c, FOREIGN), "'foreign'"),
                (self.d.in_list(f"left({c}, 2)", NETWORK_PREFIXES), "'network'"),
            ],
            "'other'",
        )

    def is_valid_phone(self, e: str) -> str:
        slow = self.d.let(self.normalise_phone(e), "fb_c", self.phone_is_valid)
        return _case([(self.d.full_match(e, MOBILE), "true"), (self.is_purged(e), "false")], slow)

    # -- IDs
    def id_check_char(self, first17: str) -> str:
        total = " + ".join(f"{self.d.digit(first17, i + 1)} * {w}" for i, w in enumerate(ID_WEIGHTS))
        return f"substr({self.d.lit(ID_CHECK_MAP)}, ({total}) % 11 + 1, 1)"

    def id_text(self, e: str) -> str:
        return self._normalised(e, ID18, f"nullif({self._compact(e, upper=True)}, '')")

    def normalise_id(self, e: str) -> str:
        def first_generation(s: str) -> str:
            first17 = f"left({s}, 6) || {self.d.lit(FIRST_GENERATION_CENTURY)} || substr({s}, 7)"
            converted = self.d.let(first17, "fb_f", lambda f: f"{f} || {self.id_check_char(f)}")
            return _case([(f"{s} = ''", "null"), (self.d.full_match(s, ID15), converted)], s)

        return self._normalised(e, ID18, self.d.let(self._compact(e, upper=True), "fb_s", first_generation))

    def _birth_ok(self, b: str) -> str:
        """``b`` (8 characters) is a birth date: the shape, then the day within its month."""
        y, m = self.d.integer(f"substr({b}, 1, 4)"), self.d.integer(f"substr({b}, 5, 2)")
        leap = f"(case when {y} % 4 = 0 and ({y} % 100 <> 0 or {y} % 400 = 0) then 1 else 0 end)"
        days = f"(case when {m} = 2 then 28 + {leap} when {m} in (4, 6, 9, 11) then 30 else 31 end)"
        day_ok = f"{self.d.integer(f'substr({b}, 7, 2)')} <= {days}"
        return _case([(self.d.full_match(b, _BIRTH), day_ok)], "false")

    def id_is_valid(self, c: str) -> str:
        well_formed = f"{self._birth_ok(f'substr({c}, 7, 8)')}\nand substr({c}, 18, 1) = {self.id_check_char(c)}"
        body = _case(
            [(self.is_purged(c), self.purged_flag(c, "v")), (self.d.full_match(c, ID18), well_formed)], "false"
        )
        return f"coalesce({body}, false)"

    def id_birth_date(self, c: str) -> str:
        b = f"substr({c}, 7, 8)"
        year, month, day = (self.d.integer(f"substr({b}, {i}, {n})") for i, n in ((1, 4), (5, 2), (7, 2)))
        year_ok = self.d.full_match(f"substr({c}, 7, 4)", _BIRTH_YEAR)
        stand_in = f"substr({c}, 11, 1) = {self.d.lit(ID_STAND_IN_MARK)} and {year_ok}"
        return _case(
            [(stand_in, self.d.make_date(year, "1", "1")), (self._birth_ok(b), self.d.make_date(year, month, day))]
        )

    def is_valid_id(self, e: str) -> str:
        slow = self.d.let(self.id_text(e), "fb_c", self.id_is_valid)
        return _case([(self.d.full_match(e, ID18), self.id_is_valid(e)), (self.is_purged(e), "false")], slow)

    # -- cards
    def normalise_card(self, e: str) -> str:
        return self._normalised(e, DIGITS, f"nullif({self._compact(e, upper=True)}, '')")

    normalise_imei = normalise_card

    def luhn_ok(self, digits: str) -> str:
        """Luhn over 1 to ``CARD_MAX`` ASCII digits (left-padded with zeros, which add nothing)."""

        def total(p: str) -> str:
            terms = []
            for i in range(1, CARD_MAX + 1):
                x = self.d.digit(p, i)
                terms.append(f"(case when {x} > 4 then {x} * 2 - 9 else {x} * 2 end)" if (CARD_MAX - i) % 2 else x)
            return f"({' + '.join(terms)}) % 10 = 0"

        return self.d.let(f"lpad({digits}, {CARD_MAX}, '0')", "fb_d", total)

    def card_luhn_ok(self, c: str) -> str:
        body = _case(
            [(self.is_purged(c), self.purged_flag(c, "v")), (self.d.full_match(c, CARD), self.luhn_ok(c))], "false"
        )
        return f"coalesce({body}, false)"

    def is_valid_card(self, e: str) -> str:
        slow = self.d.let(self.normalise_card(e), "fb_c", self.card_luhn_ok)
        return _case([(self.d.full_match(e, CARD), self.luhn_ok(e)), (self.is_purged(e), "false")], slow)

    # -- text identifiers
    def normalise_text_id(self, e: str) -> str:
        return _case([(self.is_purged(e), e)], f"nullif(lower({self.d.trim(e, SPACES)}), '')")

    # -- masks
    def _masked(self, c: str, *shapes: tuple[str | None, MaskShape]) -> str:
        """Null, a purged form's mask, then per (condition, shape): all stars when short, else the shape."""
        branches = [(f"{c} is null", "null"), (self.is_purged(c), self.purged_field(c, "m"))]
        otherwise = None
        for when, shape in shapes:
            keep = shape.head + shape.tail
            middle = f"repeat('*', length({c}) - {keep})" if shape.middle is None else self.d.lit(shape.middle)
            masked = f"left({c}, {shape.head}) || {middle} || right({c}, {shape.tail})"
            short = f"length({c}) <= {keep}"
            branches.append((f"{when} and {short}" if when else short, f"repeat('*', length({c}))"))
            if when:
                branches.append((when, masked))
            else:
                otherwise = masked
        return _case(branches, otherwise)

    def mask_id(self, c: str) -> str:
        return self._masked(c, (None, MASK_ID))

    def mask_phone(self, c: str) -> str:
        return self._masked(c, (self.d.starts_with(c, "+"), MASK_FOREIGN_PHONE), (None, MASK_PHONE))

    def mask_card(self, c: str) -> str:
        return self._masked(c, (None, MASK_CARD))

    def mask_name(self, name: str) -> str:
        s = self.d.trim(name, SPACES)
        return _case([(f"nullif({s}, '') is null", "null")], f"left({s}, 1) || '*'")


def sql(dialect: str = "duckdb") -> SqlRules:
    """The rules as SQL of ``dialect`` (one of ``DIALECTS``)."""
    return SqlRules(DIALECTS[dialect])
