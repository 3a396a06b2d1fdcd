"""Re-deliveries: a batch first delivered damaged or incomplete, corrected by a later delivery.

Whether a batch is re-delivered, how its first delivery is damaged and on which later day (1 to
`MAX_LAG` days on) the corrected delivery arrives are a pure function of (seed, source, batch day), so
the landing zone as of any day is the same however the days are split over calls.

Damages of the first delivery:
- `missing_rows`: the export stopped early: one file lacks its last rows, and the manifest agrees with
  the short file (nothing betrays it; the re-delivery replaces the rows loaded from it);
- `checksum_mismatch`: one file was cut in transfer: its bytes disagree with the manifest (refused);
- `missing_file`: one file listed in the manifest never arrived (refused).
"""

from __future__ import annotations

import gzip
from dataclasses import dataclass

from simulator.clock import rng_for

MAX_LAG = 7  # the contract: a source may re-deliver one of its last 7 batches
DAMAGES = ("missing_rows", "checksum_mismatch", "missing_file")
DAMAGE_P = (0.5, 0.35, 0.15)


@dataclass(frozen=True)
class Damage:
    """How the first delivery of a batch is damaged, and when the corrected one arrives."""

    kind: str  # one of DAMAGES
    corrected_on: int  # day index of the re-delivery
    pick: float  # in [0, 1): which of the batch's files is damaged
    keep: float  # share of the file's data rows kept (missing_rows) or of its bytes (checksum_mismatch)


def damage_of(seed: int, rate: float, source: str, day: int) -> Damage | None:
    """The damage of the first delivery of `source`'s batch of `day`, or None for a sound delivery."""
    if rate <= 0:
        return None
    rng = rng_for(seed, "redelivery", source, day)
    if rng.random() >= rate:
        return None
    kind = DAMAGES[int(rng.choice(len(DAMAGES), p=DAMAGE_P))]
    return Damage(kind, day + int(rng.integers(1, MAX_LAG + 1)), float(rng.random()), float(rng.uniform(0.5, 0.95)))


def corrected_on(seed: int, rate: float, source: str, day: int) -> list[int]:
    """Batch days of `source` whose corrected delivery arrives on `day`, oldest first."""
    return [
        b
        for b in range(max(0, day - MAX_LAG), day)
        if (d := damage_of(seed, rate, source, b)) is not None and d.corrected_on == day
    ]


def damaged_file(damage: Damage, files: dict[str, int]) -> str | None:
    """The file the damage hits (`files`: name -> data rows); missing rows need a file with rows."""
    least = 2 if damage.kind == "missing_rows" else 1
    names = sorted(n for n, rows in files.items() if rows >= least)
    return names[int(damage.pick * len(names))] if names else None


def cut_rows(stored: bytes, gz: bool, header: bool, keep: int) -> bytes:
    """The stored file with only its first `keep` data rows (a header line is kept)."""
    text = gzip.decompress(stored) if gz else stored
    pos = 0
    for _ in range(keep + (1 if header else 0)):
        pos = text.index(b"\n", pos) + 1
    return text[:pos]
