"""Lines (or rows) of one file made a range at a time when written, so a day's file is never held whole.

A `Lazy` sequence is a series of parts, each (count, make) where make(a, b) returns the items a..b-1 of
the part. The few items read singly (a copy, a resend, the last line) are kept once read, and items can be
overridden (a defect): a range made later returns the kept or overridden item in their place, so a row
mutated in place after `seq[i]` stays mutated.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from typing import Generic, TypeVar, overload

T = TypeVar("T")
Make = Callable[[int, int], list[T]]


class Lazy(Sequence[T], Generic[T]):
    def __init__(self, count: int = 0, make: Make[T] | None = None) -> None:
        self._parts: list[tuple[int, int, Make[T]]] = []  # (start, count, make)
        self._n = 0
        self._kept: dict[int, T] = {}
        if make is not None:
            self.add(count, make)

    def add(self, count: int, make: Make[T]) -> None:
        if count > 0:
            self._parts.append((self._n, count, make))
            self._n += count

    def extend(self, items: list[T]) -> None:
        self.add(len(items), lambda a, b: items[a:b])

    def __iadd__(self, items: list[T]) -> Lazy[T]:  # type: ignore[override,misc]
        self.extend(items)
        return self

    def __len__(self) -> int:
        return self._n

    def range(self, a: int, b: int) -> list[T]:
        """Items a..b-1 (kept and overridden ones in their place)."""
        out: list[T] = []
        for start, count, make in self._parts:
            lo, hi = max(a, start), min(b, start + count)
            if lo < hi:
                out += make(lo - start, hi - start)
        kept = self._kept
        if b - a <= len(kept):  # a few lines (one read singly): look each up
            for i in range(a, b):
                if i in kept:
                    out[i - a] = kept[i]
        else:
            for i, v in kept.items():
                if a <= i < b:
                    out[i - a] = v
        return out

    def chunks(self, size: int, stop: int | None = None) -> Iterator[list[T]]:
        stop = self._n if stop is None else stop
        for a in range(0, stop, size):
            yield self.range(a, min(a + size, stop))

    @overload
    def __getitem__(self, i: int) -> T: ...
    @overload
    def __getitem__(self, i: slice) -> list[T]: ...
    def __getitem__(self, i: int | slice) -> T | list[T]:
        if isinstance(i, slice):
            a, b, step = i.indices(self._n)
            if step != 1:
                raise ValueError("only contiguous slices")
            return self.range(a, max(a, b))
        j = i + self._n if i < 0 else i
        if not 0 <= j < self._n:
            raise IndexError(i)
        if j not in self._kept:
            self._kept[j] = self.range(j, j + 1)[0]
        return self._kept[j]

    def __setitem__(self, i: int, value: T) -> None:
        j = i + self._n if i < 0 else i
        if not 0 <= j < self._n:
            raise IndexError(i)
        self._kept[j] = value

    def map(self, f: Callable[[list[T]], list[str]]) -> Lazy[str]:
        """Another lazy sequence of the same length, made from ranges of this one (e.g. rows to lines)."""
        return Lazy(self._n, lambda a, b: f(self.range(a, b)))
