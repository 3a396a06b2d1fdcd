"""Hand-made landing batches for extract tests: contract-exact files with correct manifests (via fsspec).

``write_batch`` writes the files of a batch and its ``_SUCCESS``; tests then damage what they need.
Sample identifiers are made valid (check character, Luhn) unless a test plants a bad one.
"""

from __future__ import annotations

import gzip
import hashlib
import json
from collections.abc import Iterable, Sequence
from typing import Any

import fsspec

from rules.contracts import table
from rules.identifiers import id_check_char, luhn_ok

CDR_COLS = table("telecom", "cdr").columns
SUB_COLS = table("telecom", "subscribers").columns
CELL_COLS = table("telecom", "cells").columns


def make_id(region: str = "420922", birth: str = "19900101", seq: str = "123") -> str:
    first17 = region + birth + seq
    return first17 + id_check_char(first17)


def make_card(prefix: str = "622202", n: int = 1, length: int = 19) -> str:
    body = (prefix + str(n).zfill(length - len(prefix) - 1))[: length - 1]
    return next(body + d for d in "0123456789" if luhn_ok(body + d))


def csv_bytes(
    columns: Sequence[str],
    rows: Iterable[Sequence[str | None]],
    *,
    encoding: str = "gb18030",
    gz: bool = False,
    tail: bytes = b"",
) -> bytes:
    """Telecom text: GB18030, ``|``, CRLF, header first; None = empty field."""
    lines = ["|".join(columns)] + ["|".join("" if v is None else str(v) for v in r) for r in rows]
    data = "".join(line + "\r\n" for line in lines).encode(encoding) + tail
    return gzip.compress(data, mtime=0) if gz else data


def jsonl_bytes(objs: Iterable[dict[str, Any]], *, gz: bool = False, tail: bytes = b"") -> bytes:
    data = "".join(json.dumps(o, ensure_ascii=False) + "\n" for o in objs).encode("utf-8") + tail
    return gzip.compress(data, mtime=0) if gz else data


def contract_rows(name: str, data: bytes) -> int:
    """Data rows as the contract counts them (what check_contracts.py does)."""
    raw = gzip.decompress(data) if name.endswith(".gz") else data
    lines = raw.split(b"\n")
    if lines and lines[-1] == b"":
        lines.pop()
    return max(len(lines) - 1, 0) if name.endswith((".csv", ".csv.gz")) else len(lines)


def write_batch(
    landing: str,
    source: str,
    batch: str,
    files: dict[str, bytes],
    *,
    delivery_id: str | None = None,
    kind: str = "delta",
    success: bool = True,
    manifest_files: dict[str, dict] | None = None,
) -> str:
    """Write ``files`` into ``<landing>/<source>/batch=<batch>/`` and a correct ``_SUCCESS`` (unless not wanted).

    ``manifest_files`` overrides entries of the manifest's ``files`` (to plant a wrong checksum or count).
    """
    fs, root = fsspec.core.url_to_fs(landing)
    folder = f"{root.rstrip('/')}/{source}/batch={batch}"
    fs.makedirs(folder, exist_ok=True)
    if fs.exists(f"{folder}/_SUCCESS"):
        fs.rm(f"{folder}/_SUCCESS")
    for name, data in files.items():
        with fs.open(f"{folder}/{name}", "wb") as f:
            f.write(data)
    overrides = manifest_files or {}
    listing = {
        name: overrides.get(name) or {"rows": contract_rows(name, data), "sha256": hashlib.sha256(data).hexdigest()}
        for name, data in files.items()
    }
    if success:
        manifest = {
            "batch": batch,
            "source": source,
            "delivery_id": delivery_id or f"{source}-{batch}-d1",
            "kind": kind,
            "files": listing,
        }
        with fs.open(f"{folder}/_SUCCESS", "wb") as f:
            f.write(json.dumps(manifest).encode("utf-8"))
    return folder


def cdr_row(
    call_id: str,
    start: str = "2026-05-10 10:00:00",
    duration: str | None = "60",
    caller: str = "13912345678",
    callee: str = "13800000000",
) -> list[str | None]:
    return [call_id, caller, callee, start, duration, "C001", "861234567890123"]


def subscriber_row(
    msisdn: str = "13912345678", id_no: str | None = None, name: str = "张三", activated: str = "2026-05-01 09:00:00"
) -> list[str | None]:
    return [
        msisdn,
        "460001234567890",
        "CMCC",
        id_no or make_id(),
        name,
        activated,
        "OUT420922-0031",
        "420922",
        "1",
        None,
    ]


def txn(
    txn_id: str, *, amount: str = "100.00", status: str = "success", ts: str = "2026-05-10T09:31:07+08:00", **extra: Any
) -> dict[str, Any]:
    return {
        "txn_id": txn_id,
        "ts": ts,
        "from_card": make_card(n=1),
        "to_card": make_card(n=2),
        "amount": amount,
        "channel": "mobile",
        "device_id": "dev1",
        "ip": "10.0.0.1",
        "status": status,
        **extra,
    }


def account(card_no: str, **extra: Any) -> dict[str, Any]:
    return {
        "card_no": card_no,
        "bank_code": "ICBC",
        "holder_id_no": make_id(),
        "holder_name": "李四",
        "holder_phone": "+86 139-1234-5678",
        "opened_at": "2026-05-01T09:31:07+08:00",
        "branch_code": "B01",
        "region_code": "420922",
        "account_class": "I",
        "status": "normal",
        "updated_at": "2026-05-01T09:31:07+08:00",
        **extra,
    }
