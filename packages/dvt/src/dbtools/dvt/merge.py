"""Streaming sort-merge of two key-ordered row streams, in constant memory.

Rows are tuples `(key_1, …, key_n, value_1, …)`. Runs of identical rows are compared a slice at a
time (one C-level list comparison), so identical tables cost almost nothing in Python; only the
neighbourhood of a difference is walked row by row.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from typing import Any

Row = tuple[Any, ...]
# (status, key, source row or None, target row or None); status: mismatch | missing | extra
DiffSink = Callable[[str, Row, "Row | None", "Row | None"], None]

SLOW_STEP = 256


@dataclass
class MergeCounts:
    source_rows: int = 0
    target_rows: int = 0
    matched: int = 0
    mismatched: int = 0
    missing: int = 0  # in the source, not in the target
    extra: int = 0  # in the target, not in the source

    def add(self, other: MergeCounts) -> None:
        for name in self.__dataclass_fields__:
            setattr(self, name, getattr(self, name) + getattr(other, name))


def normalize_key_value(value: Any) -> Any:
    """One representation per value whatever the driver returned, so keys compare across engines."""
    if isinstance(value, dt.datetime) and value.tzinfo is not None:
        return value.astimezone(dt.timezone.utc).replace(tzinfo=None)
    if isinstance(value, (memoryview, bytearray)):
        return bytes(value)
    if isinstance(value, bool):
        return int(value)
    return value


def normalizing(batches: Iterable[list[Row]], nkeys: int) -> Iterator[list[Row]]:
    for batch in batches:
        yield [
            tuple(normalize_key_value(v) for v in row[:nkeys]) + tuple(row[nkeys:]) for row in batch
        ]


def merge_streams(
    source: Iterable[list[Row]],
    target: Iterable[list[Row]],
    nkeys: int,
    on_diff: DiffSink,
    on_progress: Callable[[int], None] | None = None,
) -> MergeCounts:
    counts = MergeCounts()
    src_it, tgt_it = iter(source), iter(target)
    a: list[Row] = []
    b: list[Row] = []
    ia = ib = 0
    src_done = tgt_done = False
    while True:
        if ia >= len(a) and not src_done:
            a, ia = next(src_it, []), 0
            src_done = not a
            counts.source_rows += len(a)
        if ib >= len(b) and not tgt_done:
            b, ib = next(tgt_it, []), 0
            tgt_done = not b
            counts.target_rows += len(b)
        if ia >= len(a) or ib >= len(b):
            break
        n = min(len(a) - ia, len(b) - ib)
        if a[ia : ia + n] == b[ib : ib + n]:
            counts.matched += n
            ia += n
            ib += n
            if on_progress:
                on_progress(n)
            continue
        steps = min(n, SLOW_STEP)
        done_before = ia
        while steps and ia < len(a) and ib < len(b):
            steps -= 1
            ra, rb = a[ia], b[ib]
            ka, kb = ra[:nkeys], rb[:nkeys]
            if ka == kb:
                if ra == rb:
                    counts.matched += 1
                else:
                    counts.mismatched += 1
                    on_diff("mismatch", ka, ra, rb)
                ia += 1
                ib += 1
            elif ka < kb:
                counts.missing += 1
                on_diff("missing", ka, ra, None)
                ia += 1
            else:
                counts.extra += 1
                on_diff("extra", kb, None, rb)
                ib += 1
        if on_progress:
            on_progress(ia - done_before)
    # one side is exhausted: everything left on the other side is unmatched
    while ia < len(a) or not src_done:
        if ia >= len(a):
            a, ia = next(src_it, []), 0
            src_done = not a
            counts.source_rows += len(a)
            continue
        counts.missing += 1
        on_diff("missing", a[ia][:nkeys], a[ia], None)
        ia += 1
    while ib < len(b) or not tgt_done:
        if ib >= len(b):
            b, ib = next(tgt_it, []), 0
            tgt_done = not b
            counts.target_rows += len(b)
            continue
        counts.extra += 1
        on_diff("extra", b[ib][:nkeys], None, b[ib])
        ib += 1
    return counts
