"""Batch writers for the file sources: exact encodings, deterministic gzip (mtime 0, no file name), files
written chunk by chunk, `_SUCCESS` written last."""

from __future__ import annotations

import gzip
import hashlib
import itertools
import json
import os
import uuid
from collections.abc import Iterable, Iterator, Sequence
from pathlib import Path
from typing import BinaryIO

from simulator.deliveries import Damage, cut_rows, damaged_file
from simulator.lines import Lazy

CHUNK_LINES = 10_000  # lines made and encoded at a time: a day's file is never held whole as text and bytes
GZIP_LEVEL = 1  # fast: about 10 % larger than level 6, five times faster (most of a day's time at level 6)


def delivery_id(seed: int, source: str, batch: str, attempt: int = 0) -> str:
    return str(uuid.uuid5(uuid.NAMESPACE_URL, f"fraudbrain-sim:{seed}:{source}:{batch}:{attempt}"))


def _chunks(lines: Sequence[str], stop: int | None = None, size: int = CHUNK_LINES) -> Iterator[Sequence[str]]:
    """Lines [0, stop) a chunk at a time (a `Lazy` sequence makes each chunk only then)."""
    stop = len(lines) if stop is None else stop
    if isinstance(lines, Lazy):
        yield from lines.chunks(size, stop)
        return
    for i in range(0, stop, size):
        yield lines[i : min(i + size, stop)]


class _HashingSink:
    """A write-only file wrapper that also feeds a hash with every byte written."""

    def __init__(self, f: BinaryIO, digest: hashlib._Hash) -> None:
        self.f, self.digest = f, digest

    def write(self, data: bytes) -> int:
        self.digest.update(data)
        return self.f.write(data)

    def flush(self) -> None:
        self.f.flush()


class BatchWriter:
    """Writes one batch folder: data files first, then the `_SUCCESS` manifest.

    With a `damage`, the delivery is written damaged (simulator/deliveries.py) and `finish` says how."""

    def __init__(
        self, landing: Path, source: str, batch: str, kind: str, delivery: str, damage: Damage | None = None
    ) -> None:
        self.dir = landing / source / f"batch={batch}"
        self.source, self.batch, self.kind, self.delivery = source, batch, kind, delivery
        self.damage = damage
        self.files: dict[str, dict[str, object]] = {}
        self.dir.mkdir(parents=True, exist_ok=True)
        manifest = self.dir / "_SUCCESS"
        if manifest.exists():  # a re-delivery: the batch is incomplete until the new manifest exists
            manifest.unlink()
        for old in self.dir.iterdir():
            old.unlink()

    def _store(self, name: str, data: bytes, rows: int) -> None:
        self._store_chunks(name, [data], rows)

    def _store_chunks(self, name: str, chunks: Iterable[bytes], rows: int) -> None:
        """Write the file chunk by chunk (gzip if `.gz`), hashing the stored bytes on the way."""
        digest = hashlib.sha256()
        with (self.dir / name).open("wb") as f:
            sink = _HashingSink(f, digest)
            if name.endswith(".gz"):
                with gzip.GzipFile(filename="", mode="wb", fileobj=sink, mtime=0, compresslevel=GZIP_LEVEL) as gz:  # type: ignore[arg-type]
                    for chunk in chunks:
                        gz.write(chunk)
            else:
                for chunk in chunks:
                    sink.write(chunk)
        self.files[name] = {"rows": rows, "sha256": digest.hexdigest()}

    def text(self, name: str, header: list[str], lines: Sequence[str]) -> None:
        """Telecom text: GB18030, `|`, CRLF, header first."""
        head = ("|".join(header) + "\r\n").encode("gb18030")
        body = (("\r\n".join(c) + "\r\n").encode("gb18030") for c in _chunks(lines))
        self._store_chunks(name, itertools.chain([head], body), len(lines))

    def jsonl(self, name: str, lines: Sequence[str], truncate_last: bool = False) -> None:
        """Finance JSON Lines: UTF-8, LF; a cut export leaves a partial last line without LF."""
        if not lines:
            self._store(name, b"", 0)
            return
        body = (("\n".join(c) + "\n").encode("utf-8") for c in _chunks(lines, len(lines) - 1))
        last = lines[-1].encode("utf-8")
        tail = last[: max(1, len(last) // 2)] if truncate_last else last + b"\n"
        self._store_chunks(name, itertools.chain(body, [tail]), len(lines))

    def _damage(self) -> dict[str, object] | None:
        """Damage one file as `self.damage` says; the manifest is written afterwards from `self.files`."""
        if self.damage is None:
            return None
        rows = {n: int(m["rows"]) for n, m in self.files.items()}  # type: ignore[call-overload]
        name = damaged_file(self.damage, rows)
        if name is None:
            return None
        path, kind = self.dir / name, self.damage.kind
        done: dict[str, object] = {"damage": kind, "file": name, "rows_sent": rows[name]}
        if kind == "missing_rows":
            keep = min(rows[name] - 1, int(rows[name] * self.damage.keep))
            data = cut_rows(path.read_bytes(), name.endswith(".gz"), self.source == "telecom", keep)
            self._store(name, data, keep)  # recompressed; the manifest agrees with the short file
            done["rows_sent"] = keep
        elif kind == "checksum_mismatch":
            stored = path.read_bytes()
            path.write_bytes(stored[: int(len(stored) * self.damage.keep)])
            done["rows_sent"] = None  # unreadable
        else:
            path.unlink()
            done["rows_sent"] = 0
        return done

    def finish(self) -> dict[str, object] | None:
        """Write the manifest last; returns what was damaged (None for a sound delivery)."""
        damaged = self._damage()
        manifest = {
            "batch": self.batch,
            "source": self.source,
            "delivery_id": self.delivery,
            "kind": self.kind,
            "files": dict(sorted(self.files.items())),
        }
        tmp = self.dir.parent / f".{self.dir.name}._SUCCESS.tmp"
        tmp.write_text(json.dumps(manifest, indent=1), encoding="utf-8")
        os.replace(tmp, self.dir / "_SUCCESS")
        return damaged

    def rows(self) -> dict[str, int]:
        return {f"{self.source}/{k}": int(v["rows"]) for k, v in self.files.items()}  # type: ignore[call-overload]
