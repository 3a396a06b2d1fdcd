"""A leak scanner for clear personal identifiers in published files (`fraudbrain scan-pii`).

It finds resident ID numbers (valid or mistyped, 18 or 15 digits), mobile numbers (bare, `+86`-prefixed,
spaced or hyphenated), bank card numbers (16-19 digits passing Luhn, bare or in groups) and, when given a
list, people's names. DuckDB and Parquet files are read through DuckDB (their strings are compressed on
disk); HTML, JSON, CSV, logs and other text files are read as text. Digit-boundary rules keep tokens quiet:
a match must not touch another letter or digit, so the digit runs inside 32-character hex tokens never
count. Findings are reported masked: the scanner itself never prints a clear value.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

import duckdb

from rules.identifiers import ascii_text, card_luhn_ok, mask_name

# (?<![0-9A-Za-z]) ... (?![0-9A-Za-z]): no letter or digit may touch the match.
_B = r"(?<![0-9A-Za-z０-９])"
_E = r"(?![0-9A-Za-z０-９])"
_D = "[0-9０-９]"
_REGION = "[1-8１-８]" + _D + "{5}"
_MMDD = "[01０１]" + _D + "[0-3０-３]" + _D
ID18 = re.compile(_B + _REGION + "(?:18|19|20|１８|１９|２０)" + _D + "{2}" + _MMDD + _D + "{3}[0-9０-９XxＸｘ]" + _E)
ID15 = re.compile(_B + _REGION + _D + "{2}" + _MMDD + _D + "{3}" + _E)
PHONE = re.compile(_B + rf"(?:(?:\+|＋|00)?86[ -]?)?[1１][3-9３-９]{_D}(?:[ -]?{_D}){{8}}" + _E)
CARD = re.compile(_B + rf"{_D}(?:[ -]?{_D}){{15,18}}" + _E)
TEXT_SUFFIXES = {
    ".html",
    ".htm",
    ".json",
    ".csv",
    ".log",
    ".txt",
    ".md",
    ".sql",
    ".yml",
    ".yaml",
    ".js",
    ".xml",
}
DUCKDB_SUFFIXES = {".duckdb", ".db"}
# a candidate string must contain a run like this before the regexes run (cheap pre-filter in SQL)
_SQL_PREFILTER = r"[0-9０-９][0-9０-９ -]{9,}[0-9０-９Xx]"


@dataclass(frozen=True)
class Finding:
    path: str
    where: str  # table.column or line number
    kind: str  # id | phone | card | name
    sample: str  # masked

    def __str__(self) -> str:
        return f"{self.path} {self.where}: clear {self.kind} ({self.sample})"


def _digits(text: str) -> str:
    return re.sub(r"[^0-9]", "", ascii_text(text) or "")


def _masked(text: str) -> str:  # a leak report shows less than a mart's mask: 3 and 2 characters
    return text[:3] + "*" * max(len(text) - 5, 1) + text[-2:] if len(text) > 5 else "*" * len(text)


@dataclass(frozen=True)
class Names:
    """People's names to look for, and public phrases (police units, places) that are not people.

    Public phrases are removed from a text before names are looked for, so that a person called 白云 is not
    found inside 白云鄂博矿区.
    """

    people: frozenset[str] = frozenset()
    public: tuple[str, ...] = ()

    def __bool__(self) -> bool:
        return bool(self.people)


NO_NAMES = Names()


def find_in_text(text: str, names: Names = NO_NAMES) -> Iterator[tuple[str, str]]:
    """(kind, masked sample) for every clear identifier in ``text``."""
    for m in ID18.finditer(text):
        yield "id", _masked(m.group())
    for m in ID15.finditer(text):
        yield "id", _masked(m.group())
    for m in PHONE.finditer(text):
        yield "phone", _masked(m.group())
    for m in CARD.finditer(text):
        digits = _digits(m.group())
        if card_luhn_ok(digits) and not ID18.fullmatch(m.group()):
            yield "card", _masked(digits)
    if names:
        for phrase in names.public:
            text = text.replace(phrase, " ")
        for name in names.people:
            if name in text:
                yield "name", mask_name(name) or "*"


def scan_text_file(path: Path, names: Names) -> Iterator[Finding]:
    with open(path, encoding="utf-8", errors="replace") as handle:
        for lineno, line in enumerate(handle, 1):
            for kind, sample in find_in_text(line, names):
                yield Finding(str(path), f"line {lineno}", kind, sample)


def _scan_relations(
    con: duckdb.DuckDBPyConnection, label: str, relations: Iterable[tuple[str, str]], names: Names
) -> Iterator[Finding]:
    for rel, display in relations:
        cols = con.execute(f"describe select * from {rel}").fetchall()
        for col, dtype, *_ in cols:
            if "VARCHAR" not in dtype.upper():
                continue
            qcol = '"' + col.replace('"', '""') + '"'
            value = f"cast({qcol} as varchar)"
            where = f"regexp_matches({value}, '{_SQL_PREFILTER}')"
            if names:
                where += f" or {value} similar to '.*[^\\x00-\\x7f].*'"
            rows = con.execute(f"select distinct {value} from {rel} where {where}").fetchall()
            for (text,) in rows:
                if text is None:
                    continue
                for kind, sample in find_in_text(text, names):
                    yield Finding(label, f"{display}.{col}", kind, sample)


def scan_duckdb_file(path: Path, names: Names) -> Iterator[Finding]:
    con = duckdb.connect(str(path), read_only=True)
    try:
        tables = con.execute(
            "select table_schema, table_name from information_schema.tables "
            "where table_catalog = current_database() order by 1, 2"
        ).fetchall()
        rels = [(f'"{s}"."{t}"', f"{s}.{t}") for s, t in tables]
        yield from _scan_relations(con, str(path), rels, names)
    finally:
        con.close()


def scan_parquet_file(path: Path, names: Names) -> Iterator[Finding]:
    con = duckdb.connect()
    try:
        quoted = "'" + str(path).replace("'", "''") + "'"
        yield from _scan_relations(con, str(path), [(f"read_parquet({quoted})", path.name)], names)
    finally:
        con.close()


def scan_path(path: Path, names: Names = NO_NAMES) -> Iterator[Finding]:
    """Scan a file, or every file below a folder."""
    files = sorted(p for p in path.rglob("*") if p.is_file()) if path.is_dir() else [path]
    for f in files:
        suffix = f.suffix.lower()
        if suffix in DUCKDB_SUFFIXES and _is_duckdb(f):
            yield from scan_duckdb_file(f, names)
        elif suffix == ".parquet":
            yield from scan_parquet_file(f, names)
        elif suffix in TEXT_SUFFIXES or suffix == "":
            yield from scan_text_file(f, names)


def _is_duckdb(path: Path) -> bool:
    with open(path, "rb") as handle:
        head = handle.read(16)
    return head[8:12] == b"DUCK"


def load_names(source: str | None) -> Names:
    """Names to look for: a text file with one name a line, or a police database URL (its residents,
    with its units' names as public phrases)."""
    if not source:
        return NO_NAMES
    if "://" in source:
        from sqlalchemy import create_engine, text

        engine = create_engine(source)
        try:
            with engine.connect() as conn:
                people = {
                    r[0] for r in conn.execute(text("select distinct name from residents where name is not null"))
                }
                public = {r[0] for r in conn.execute(text("select distinct name from units where name is not null"))}
        finally:
            engine.dispose()
        return Names(frozenset(n for n in people if len(n) >= 2), tuple(sorted(public, key=len, reverse=True)))
    lines = Path(source).read_text(encoding="utf-8").splitlines()
    return Names(frozenset(n.strip() for n in lines if len(n.strip()) >= 2))
