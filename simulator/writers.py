"""Batch writers for the file sources: exact encodings, deterministic gzip, `_SUCCESS` written last."""

from __future__ import annotations

import gzip
import hashlib
import io
import json
import os
import uuid
from pathlib import Path

from simulator.deliveries import Damage, cut_rows, damaged_file

GZIP_LEVEL = 1  # fast: about 10 % larger than level 6, five times faster (most of a day's time at level 6)


def delivery_id(seed: int, source: str, batch: str, attempt: int = 0) -> str:
    return str(uuid.uuid5(uuid.NAMESPACE_URL, f"fraudbrain-sim:{seed}:{source}:{batch}:{attempt}"))


def deterministic_gzip(data: bytes) -> bytes:
    """gzip with mtime 0 and no file name, so the same text gives the same bytes."""
    buf = io.BytesIO()
    with gzip.GzipFile(filename="", mode="wb", fileobj=buf, mtime=0, compresslevel=GZIP_LEVEL) as gz:
        gz.write(data)
    return buf.getvalue()


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
        stored = deterministic_gzip(data) if name.endswith(".gz") else data
        (self.dir / name).write_bytes(stored)
        self.files[name] = {"rows": rows, "sha256": hashlib.sha256(stored).hexdigest()}

    def text(self, name: str, header: list[str], lines: list[str]) -> None:
        """Telecom text: GB18030, `|`, CRLF, header first."""
        body = "\r\n".join(["|".join(header), *lines]) + "\r\n"
        self._store(name, body.encode("gb18030"), len(lines))

    def jsonl(self, name: str, lines: list[str], truncate_last: bool = False) -> None:
        """Finance JSON Lines: UTF-8, LF; a cut export leaves a partial last line without LF."""
        if not lines:
            self._store(name, b"", 0)
            return
        body = "".join(line + "\n" for line in lines).encode("utf-8")
        if truncate_last:
            last = lines[-1].encode("utf-8")
            body = body[: len(body) - len(last) - 1] + last[: max(1, len(last) // 2)]
        self._store(name, body, len(lines))

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
