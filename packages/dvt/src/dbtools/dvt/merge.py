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

from .types import Kind

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


def _plain_datetime(value: Any) -> dt.datetime:
    """Naive UTC `datetime` (not a driver subclass such as DatetimeWithNanoseconds)."""
    if isinstance(value, dt.datetime) and value.tzinfo is not None:
        value = value.astimezone(dt.timezone.utc)
    return dt.datetime(
        value.year,
        value.month,
        value.day,
        value.hour,
        value.minute,
        value.second,
        value.microsecond,
    )


def _key_timestamp(value: Any) -> Any:
    from .canon import _to_datetime

    if isinstance(value, (str, bytes, dt.date)):
        text = value.decode() if isinstance(value, bytes) else value
        value = _to_datetime(text)
    return _plain_datetime(value) if isinstance(value, dt.datetime) else value


def _key_date(value: Any) -> Any:
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, str):
        return dt.date.fromisoformat(value.strip()[:10])
    return value


def _key_time(value: Any) -> Any:
    if isinstance(value, str):
        return dt.time.fromisoformat(value.strip())
    if isinstance(value, dt.timedelta):  # PyMySQL returns TIME as a timedelta
        return (dt.datetime(1, 1, 1) + value).time()
    return value


# One Python type per key kind, whatever each driver returns (SQLite gives timestamps as text,
# Spanner as DatetimeWithNanoseconds, PostgreSQL uuid as UUID, MySQL as str ...): the merge then
# compares like with like, in the order every dialect's key_order sorts in.
_KEY_NORMALIZERS: dict[Kind, Callable[[Any], Any]] = {
    Kind.TIMESTAMP: _key_timestamp,
    Kind.TIMESTAMPTZ: _key_timestamp,
    Kind.DATE: _key_date,
    Kind.TIME: _key_time,
    Kind.UUID: lambda v: str(v).lower(),
    Kind.BOOL: int,
}


def normalize_key_value(value: Any, kind: Kind | None = None) -> Any:
    """One representation per value whatever the driver returned, so keys compare across engines."""
    if value is None:
        return None
    norm = _KEY_NORMALIZERS.get(kind) if kind is not None else None
    if norm is not None:
        return norm(value)
    if isinstance(value, dt.datetime) and value.tzinfo is not None:
        return _plain_datetime(value)
    if isinstance(value, (memoryview, bytearray)):
        return bytes(value)
    if isinstance(value, bool):
        return int(value)
    return value


def normalize_key(row: Row, kinds: list[Kind]) -> Row:
    return tuple(normalize_key_value(v, k) for v, k in zip(row, kinds, strict=False))


def normalizing(batches: Iterable[list[Row]], kinds: list[Kind]) -> Iterator[list[Row]]:
    nkeys = len(kinds)
    for batch in batches:
        yield [normalize_key(row[:nkeys], kinds) + tuple(row[nkeys:]) for row in batch]


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
