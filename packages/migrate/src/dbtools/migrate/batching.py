"""Cutting converted rows into commit-sized batches: the one row loop both load paths use.

A row is converted (a bad one is reported with the column and reason, and left out), and
batches are cut by the layout's mutation limit (Spanner's commit limit counting index entries)
or by MAX_BATCH_BYTES of the cells that can be big. The loop is pure: it yields what to write
and what to report, and the caller (the threaded Loader, or a Beam DoFn) does the I/O.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any

from .loadresult import TableStats
from .rowconvert import MAX_BATCH_BYTES, Layout, row_key, synthetic_key
from .values import BadValue


@dataclass
class Batch:
    """Converted rows to commit; `upto` is the source position of the last row read so far
    (1-based), `positions` those of the rows in the batch (not contiguous around bad rows).
    The last event of `cut_rows` is always a Batch, possibly empty, whose `upto` is the end."""

    rows: list[list[Any]]
    keys: list[Any]
    positions: Sequence[int]
    upto: int


@dataclass
class BadRow:
    """A row that cannot be converted. `alone`: no batch was open when it came, so the rows
    before it are all handed out and a checkpoint may move past it."""

    key: Any
    column: str | None
    value: Any
    reason: str
    position: int
    alone: bool


def cut_rows(
    lay: Layout,
    table: str,
    synthetic: bool,
    rows: Iterable[list[Any]],
    pos: int,
    done_before: int,
    stats: TableStats,
    top: dict[int, int],
) -> Iterator[Batch | BadRow]:
    """Rows of source table `table` (positions from `pos` + 1) into batches and bad rows.

    Rows at positions up to `done_before` are skipped (a resume); `stats` counts rows read,
    bad and skipped; `top` gets the largest value of each IDENTITY column (by cell index)."""
    width, key_idx, single_key = lay.width, lay.key_idx, lay.single_key
    steps, convert_row, big, identity, limit = (
        lay.steps,
        lay.convert_row,
        lay.big,
        lay.identity,
        lay.limit,
    )
    max_key = max((i for i in key_idx if i is not None), default=-1)
    batch: list[list[Any]] = []
    keys: list[Any] = []
    positions: list[int] = []  # (not contiguous when bad rows are left out)
    size = 0
    for row in rows:
        pos += 1
        if pos <= done_before:
            stats.skipped_resume += 1
            continue
        stats.read += 1
        if len(row) != width:  # MySQL and PostgreSQL refuse such rows: so do we
            reason = f"{len(row)} values for {width} columns"
            key = row_key(row, key_idx, single_key) if len(row) > max_key else None
            stats.bad += 1
            yield BadRow(key, None, row, reason, pos, not batch)
            continue
        try:
            out = convert_row(row)
        except (BadValue, IndexError):
            out = []  # the slow path says which column was bad
            try:
                for i, convert_value, _src in steps:
                    value = row[i] if i is not None and i < len(row) else None
                    out.append(None if value is None else convert_value(value))
            except BadValue as exc:
                failed = exc
            else:  # pragma: no cover - the fast path failed, the slow one did not
                failed = BadValue("row does not match the table's columns")
                out = out[: len(steps) - 1]
            at, _conv, src = steps[len(out)]
            key = row_key(row, key_idx, single_key)
            value = row[at] if at is not None and at < len(row) else None
            stats.bad += 1
            yield BadRow(key, src, value, str(failed), pos, not batch)
            continue
        if synthetic:
            # deterministic: the same source row gets the same key on a rerun
            out.append(synthetic_key(table, pos - 1))
        for n in identity:
            if out[n] is not None and out[n] > top.get(n, 0):
                top[n] = out[n]
        batch.append(out)
        keys.append(row[single_key] if single_key is not None else row_key(row, key_idx, None))
        positions.append(pos)
        if big:
            size += sum(len(out[n]) for n in big if out[n] is not None)
        if len(batch) >= limit or size >= MAX_BATCH_BYTES:
            yield Batch(batch, keys, positions, pos)
            batch, keys, positions, size = [], [], [], 0
    yield Batch(batch, keys, positions, pos)
