"""Parse a landing file into a DuckDB temp table (contract columns as VARCHAR + ``_line``), streaming.

One pass over the decompressed bytes, in blocks of whole lines: Python decodes each block at C speed
(GB18030 or UTF-8), checks the line length limit and the lines DuckDB must not see (undecodable bytes,
a wrong number of fields, control characters), and writes the rest as UTF-8, each line prefixed with its
line number, to a scratch file; DuckDB ``read_csv`` then reads it (all columns VARCHAR) into a temp table.
JSON Lines are validated and split into columns by DuckDB's JSON functions; the few lines it rejects
(and the objects that repeat a key: which value "wins" is up to the reader) are re-read by Python's
``json`` for the reason (and kept if Python reads an object there and no contract key repeats).
Before that, the file's first ``ENCODING_SAMPLE_BYTES`` are checked for encoding drift (``sniff_encoding``).
Memory: one block (about 1 MB) and at most one line (``max_line_bytes``) at a time.
"""

from __future__ import annotations

import codecs
import json
import re
import tempfile
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol, TextIO

import duckdb

from rules.contracts import Table

BLOCK = 1 << 20
_LINE = "_line"
_SEP = "\x1f"  # between the line number and a JSON line (a raw one is invalid JSON: never in the text)
_CSV_UNSAFE = re.compile(r"[\x00\r]")  # DuckDB's CSV reader would take them for an end of line / string
_JSON_UNSAFE = re.compile(r"[\x00-\x08\x0a-\x1f]")  # raw control characters: not JSON (except tab)
_JSON_UNSAFE_IN_BLOCK = re.compile(r"[\x00-\x08\x0b-\x1f]")  # the same between lines joined by LF


class Readable(Protocol):
    def read(self, n: int = -1, /) -> bytes: ...


class TooLong(Exception):
    """A line is longer than ``max_line_bytes``."""

    def __init__(self, lineno: int) -> None:
        super().__init__(lineno)
        self.lineno = lineno


class BadHeader(Exception):
    """The CSV header line is missing or cannot be decoded."""


@dataclass
class ParseResult:
    lines: int  # lines as the contract counts them (an unterminated non-empty last line counts)
    header: list[str] = field(default_factory=list)  # CSV only
    errors: list[tuple[int, str, str]] = field(default_factory=list)  # (line, reason, record)
    rows: int = 0  # rows in the temp table
    encoding_drift: str | None = None  # evidence the file is in another encoding than the contract's


# ---- encoding drift ----------------------------------------------------------------------------------
ENCODING_SAMPLE_BYTES = 64 * 1024  # the sample: whole lines from the start of the decompressed text
_MIN_COMMON_SHARE = 0.5


def sniff_encoding(lines: list[bytes], first: int, declared: str) -> str | None:
    """Why the file's first ``ENCODING_SAMPLE_BYTES`` look like another encoding than ``declared``, or None.

    The two encodings of the contracts are told apart by what their non-ASCII characters read as:

    - Pure ASCII reads the same in both: never drift.
    - UTF-8 Chinese read as GB18030 decodes almost always (UTF-8 lead and continuation bytes make valid
      GB18030 pairs) but into mojibake: ``王斌`` becomes ``鐜嬫枌``, whose characters lie outside GB2312
      (the 6,763 common characters that cover nearly all Chinese text and names) because a UTF-8
      continuation byte (0x80-0xBF) is rarely a GB2312 byte (0xA1-0xFE both).
    - GB18030 Chinese is rarely valid UTF-8 and, when it is by chance, reads as scattered accents and
      symbols (``郑伟`` is valid UTF-8 too: U+05A3 U+03B0), not as common Chinese.

    So the sample is drift when it decodes strictly in the other encoding, and there at least half of
    its non-ASCII characters are common (encodable in GB2312) and more of them than read as declared.
    A lone undecodable line in a file otherwise in the declared encoding stays a quarantined line.
    Cost: two decodes of at most 64 KB per file, and one GB2312 lookup per distinct character.
    """
    other = "utf-8" if declared == "gb18030" else "gb18030"
    sample, size = [], 0
    for raw in lines:
        sample.append(raw)
        size += len(raw) + 1
        if size >= ENCODING_SAMPLE_BYTES:
            break
    data = b"\n".join(sample)[:ENCODING_SAMPLE_BYTES]
    if data.isascii():
        return None
    try:  # a character cut by the sample's end is not an error (final=False)
        as_other = codecs.getincrementaldecoder(other)("strict").decode(data, final=False)
    except UnicodeDecodeError:
        return None
    as_declared = codecs.getincrementaldecoder(declared)("replace").decode(data, final=False)
    share_other, share_declared = _common_share(as_other), _common_share(as_declared)
    if share_other < _MIN_COMMON_SHARE or share_other <= share_declared:
        return None
    at = first + next(i for i, raw in enumerate(sample) if not raw.isascii())
    return (
        f"reads as {other.upper()}, not {declared.upper()} as the contract declares (in its first "
        f"{ENCODING_SAMPLE_BYTES // 1024} KB, {share_other:.0%} of the non-ASCII characters are common Chinese "
        f"read as {other.upper()}, {share_declared:.0%} read as {declared.upper()}; first at line {at})"
    )


def _common_share(text: str) -> float:
    """Share of the non-ASCII characters of ``text`` that are common Chinese text (encodable in GB2312)."""
    counts = Counter(ch for ch in text if ord(ch) > 127)
    total = sum(counts.values())
    return sum(n for ch, n in counts.items() if _in_gb2312(ch)) / total if total else 0.0


def _in_gb2312(ch: str) -> bool:
    try:
        ch.encode("gb2312")
    except UnicodeEncodeError:
        return False
    return True


# ---- lines in blocks -------------------------------------------------------------------------------
def blocks(stream: Readable, max_line: int) -> Iterator[tuple[int, list[bytes]]]:
    """(number of the first line, lines without LF/CRLF) per block of whole lines; TooLong past the limit."""
    pending: list[bytes] = []
    pending_len, lineno = 0, 0
    while chunk := stream.read(BLOCK):
        cut = chunk.rfind(b"\n")
        if cut < 0:
            pending.append(chunk)
            pending_len += len(chunk)
            if pending_len > max_line:
                raise TooLong(lineno + 1)
            continue
        block = b"".join([*pending, chunk[: cut + 1]]).replace(b"\r\n", b"\n")
        rest = chunk[cut + 1 :]
        pending, pending_len = ([rest], len(rest)) if rest else ([], 0)
        lines = block[:-1].split(b"\n")
        longest = max(map(len, lines))
        if longest > max_line:
            raise TooLong(lineno + 1 + next(i for i, ln in enumerate(lines) if len(ln) > max_line))
        if pending_len > max_line:
            raise TooLong(lineno + len(lines) + 1)
        yield lineno + 1, lines
        lineno += len(lines)
    if pending_len:
        last = b"".join(pending)
        yield lineno + 1, [last[:-1] if last.endswith(b"\r") else last]


def _decode_block(lines: list[bytes], first: int, encoding: str) -> list[tuple[int, str | None, bytes]]:
    """(line number, text or None when undecodable, raw) for a block; fast when the block decodes whole."""
    try:
        texts = b"\n".join(lines).decode(encoding).split("\n")
        return [(first + i, t, b"") for i, t in enumerate(texts)]
    except UnicodeDecodeError:
        out: list[tuple[int, str | None, bytes]] = []
        for i, raw in enumerate(lines):
            try:
                out.append((first + i, raw.decode(encoding), b""))
            except UnicodeDecodeError:
                out.append((first + i, None, raw))
        return out


def _scratch(work: Path) -> TextIO:
    work.mkdir(parents=True, exist_ok=True)
    return tempfile.NamedTemporaryFile(
        "w", encoding="utf-8", newline="", suffix=".txt", prefix="fb-parse-", dir=work, delete=False
    )


def _read_options(longest: int) -> str:
    max_line = max(2_097_152, 2 * longest + 64)
    return f"max_line_size={max_line}, buffer_size={max(16 * 1024 * 1024, 4 * max_line)}"


def _columns_literal(names: list[str]) -> str:
    return "{" + ", ".join(f"{_lit(n)}: 'VARCHAR'" for n in names) + "}"


def _lit(s: str) -> str:
    return "'" + s.replace("'", "''") + "'"


def qident(s: str) -> str:
    return '"' + s.replace('"', '""') + '"'


# ---- CSV (telecom: GB18030, pipe-delimited, header line) ------------------------------------------
def parse_csv(
    con: duckdb.DuckDBPyConnection, stream: Readable, relation: str, max_line: int, work: Path
) -> ParseResult:
    res = ParseResult(lines=0)
    longest = 0
    with _scratch(work) as out:
        path = Path(out.name)
        try:
            for first, lines in blocks(stream, max_line):
                res.lines = first + len(lines) - 1
                decoded = _decode_block(lines, first, "gb18030")
                if first == 1:
                    res.encoding_drift = sniff_encoding(lines, first, "gb18030")
                    _, head, raw = decoded.pop(0)
                    if head is None:
                        raise BadHeader(f"line 1 (header) is not GB18030 ({raw[:40]!r}…)")
                    res.header = unique(head.split("|"))
                longest = max(longest, _write_csv_block(out, decoded, len(res.header), res.errors))
            out.close()
            if not res.header:
                return res
            cols = _columns_literal([_LINE, *res.header]).replace(f"'{_LINE}': 'VARCHAR'", f"'{_LINE}': 'BIGINT'")
            con.execute(
                f"""create or replace temp table {relation} as
                    select * from read_csv({_lit(str(path))}, delim='|', quote='', escape='', header=false,
                        auto_detect=false, columns={cols}, {_read_options(longest)})"""
            )
        finally:
            path.unlink(missing_ok=True)
    res.rows = int(con.execute(f"select count(*) from {relation}").fetchall()[0][0])
    return res


def _write_csv_block(out: TextIO, decoded: list[tuple[int, str | None, bytes]], width: int, errors: list) -> int:
    seps, good, longest = width - 1, [], 0
    for lineno, text, raw in decoded:
        if text is None:
            bad_at = _first_bad_byte(raw, "gb18030")
            errors.append((lineno, f"line {lineno}: not GB18030 at byte {bad_at}", raw.decode("gb18030", "replace")))
        elif text.count("|") != seps:
            errors.append((lineno, f"line {lineno}: {text.count('|') + 1} fields, the header has {width}", text))
        elif _CSV_UNSAFE.search(text):
            what = "NUL byte" if "\x00" in text else "carriage return inside the line"
            errors.append((lineno, f"line {lineno}: {what}", text.replace("\x00", "\\x00")))
        else:
            good.append(f"{lineno}|{text}\n")
            longest = max(longest, len(text))
    out.write("".join(good))
    return longest


def _first_bad_byte(raw: bytes, encoding: str) -> int:
    try:
        raw.decode(encoding)
    except UnicodeDecodeError as exc:
        return exc.start
    return -1


def unique(names: list[str]) -> list[str]:
    seen: dict[str, int] = {}
    out = []
    for n in names:
        seen[n] = seen.get(n, 0) + 1
        out.append(n if seen[n] == 1 else f"{n}__{seen[n]}")
    return out


# ---- JSON Lines (finance: UTF-8, one object per line) ------------------------------------------------
def parse_jsonl(
    con: duckdb.DuckDBPyConnection, stream: Readable, relation: str, t: Table, max_line: int, work: Path
) -> ParseResult:
    res = ParseResult(lines=0)
    longest = 0
    fallback: list[tuple[int, str]] = []  # lines for Python's json (control characters)
    with _scratch(work) as out:
        path = Path(out.name)
        try:
            for first, lines in blocks(stream, max_line):
                res.lines = first + len(lines) - 1
                if first == 1:
                    res.encoding_drift = sniff_encoding(lines, first, "utf-8")
                decoded = _decode_block(lines, first, "utf-8")
                longest = max(longest, _write_json_block(out, decoded, res.errors, fallback))
            out.close()
            raw = f"{relation}__raw"
            con.execute(
                f"""create or replace temp table {raw} as
                    select * from read_csv({_lit(str(path))}, delim={_lit(_SEP)}, quote='', escape='', header=false,
                        auto_detect=false, columns={{'{_LINE}': 'BIGINT', '_raw': 'VARCHAR'}},
                        {_read_options(longest)})"""
            )
        finally:
            path.unlink(missing_ok=True)
    try:
        paths = "[" + ", ".join(_lit(f'$."{c}"') for c in t.columns) + "]"
        values = ", ".join(f"nullif(v[{i + 1}], '') as {qident(c)}" for i, c in enumerate(t.columns))
        # each line's JSON is checked once (the WHERE runs before the projection: json_extract_string
        # only sees objects), and the lines it rejects are the ones missing from the result (anti join)
        con.execute(
            f"""create or replace temp table {relation} as
                select {values}, {_LINE} from (
                    select {_LINE}, json_extract_string(_raw, {paths}) as v
                    from {raw} where {_json_ok(t)})"""
        )
        rejected = con.execute(
            f"select {_LINE}, _raw from {raw} anti join {relation} using ({_LINE}) order by {_LINE}"
        ).fetchall()
    finally:
        con.execute(f"drop table if exists {raw}")
    kept = [row for lineno, text in [*rejected, *fallback] if (row := _json_row(lineno, text or "", t, res.errors))]
    if kept:
        marks = ", ".join("?" * (len(t.columns) + 1))
        con.executemany(f"insert into {relation} values ({marks})", kept)
    res.errors.sort()
    res.rows = int(con.execute(f"select count(*) from {relation}").fetchall()[0][0])
    return res


_JSON_OBJECT = "json_valid(_raw) and json_type(_raw) = 'OBJECT'"


def _json_ok(t: Table) -> str:
    """SQL: the line is a JSON object DuckDB may split: no key repeats (Python names a repeated one).

    Counting distinct keys costs ~1.2 µs a line, so a line whose keys are exactly the contract's in its
    order (every line of a well-behaved export: ~0.3 µs) skips it; any other line is counted.
    """
    keys = "[" + ", ".join(_lit(c) for c in t.columns) + "]::varchar[]"
    distinct = "len(list_distinct(json_keys(_raw))) = len(json_keys(_raw))"
    exact = f"case when json_keys(_raw) = {keys} then true else {distinct} end"
    return f"coalesce(case when {_JSON_OBJECT} then ({exact}) end, false)"


def _write_json_block(
    out: TextIO, decoded: list[tuple[int, str | None, bytes]], errors: list, fallback: list[tuple[int, str]]
) -> int:
    good, longest = [], 0
    # one search over the block instead of one per line: most blocks hold no control character at all
    unsafe = _JSON_UNSAFE_IN_BLOCK.search("\n".join(text for _, text, _ in decoded if text is not None))
    for lineno, text, raw in decoded:
        if text is None:
            bad_at = _first_bad_byte(raw, "utf-8")
            errors.append((lineno, f"line {lineno}: not UTF-8 at byte {bad_at}", raw.decode("utf-8", "replace")))
        elif unsafe and _JSON_UNSAFE.search(text):
            fallback.append((lineno, text))
        else:
            good.append(f"{lineno}{_SEP}{text}\n")
            longest = max(longest, len(text))
    out.write("".join(good))
    return longest


def _json_row(lineno: int, text: str, t: Table, errors: list) -> list[Any] | None:
    """A line DuckDB did not take: Python's json reads it (kept if an object where no contract key repeats)
    or names why it is not usable."""
    try:
        obj = json.loads(text, object_pairs_hook=_Object.of)
    except ValueError as exc:
        reason = getattr(exc, "msg", str(exc))
        errors.append((lineno, f"line {lineno}: not JSON ({reason}; truncated?)", text))
        return None
    except RecursionError:
        errors.append((lineno, f"line {lineno}: not JSON (nested too deeply)", text[:1000]))
        return None
    if not isinstance(obj, dict):
        errors.append((lineno, f"line {lineno}: not a JSON object", text))
        return None
    repeated = [c for c in t.columns if c in obj.repeated]
    if repeated:  # JSON leaves it to the reader which value counts: the line is ambiguous
        keys = f"key{'s' if len(repeated) > 1 else ''} {', '.join(repeated)}"
        errors.append((lineno, f"line {lineno}: repeated {keys}", text))
        return None
    return [_as_text(obj.get(c)) for c in t.columns] + [lineno]


class _Object(dict):
    """A JSON object that remembers which of its keys were repeated."""

    repeated: frozenset[str] = frozenset()

    @classmethod
    def of(cls, pairs: list[tuple[str, Any]]) -> _Object:
        obj = cls(pairs)
        if len(obj) < len(pairs):
            seen: set[str] = set()
            obj.repeated = frozenset(k for k, _ in pairs if k in seen or seen.add(k))
        return obj


def _as_text(value: Any) -> str | None:
    """JSON value as raw text: strings as they are, other scalars as JSON; empty string = null."""
    if value is None or value == "":
        return None
    return value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)
