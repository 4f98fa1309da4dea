"""The dump fast paths, shared by the threaded load and the Beam workers.

A statement's rows are converted in bulk when they can be, and by the row loop
(batching.cut_rows) otherwise:

- a mysqldump INSERT read by a column-typed reader (typedrows.py) or by the general fast path
  is converted straight from its regex matches, in commit-sized slices;
- a list of typed rows (a COPY run, a PostgreSQL INSERT, a slice the raw path left) is
  converted in one `map` when it fits one commit;
- from the first slice that needs the row loop on (a bad or short row, a batch too big in
  bytes), the row loop takes the rest, and says which row and column was bad.

Both produce the row loop's events (Batch, BadRow), so the callers do one thing with them.
Tables without a key (synthetic keys from positions) always take the row loop.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from operator import itemgetter
from typing import Any

from . import typedrows
from .batching import BadRow, Batch, cut_rows
from .dumpencoding import UTF8
from .loadplan import TablePlan
from .loadresult import TableStats
from .rowconvert import MAX_BATCH_BYTES, Layout, build_layout, printable, raw_converters, row_key
from .rows import RowBatch, TypedReader, fast_width
from .values import BadValue

Events = Iterator[Batch | BadRow]


def typed_reader(
    plan: TablePlan, lay: Layout, width: int, engine: str = "mysql"
) -> TypedReader | None:
    """The column-typed reader for `engine`'s INSERTs with rows of `width` values into the
    table of `lay`, or None (rows.read_rows tries it before the general fast path); built
    once."""
    if plan.synthetic:
        return None
    if (width, engine) in lay.typed:
        return lay.typed[width, engine]
    reader = None
    if width == lay.width and width <= 4096:  # other widths: bad rows, by the row loop
        not_null = {c.name for c in plan.source.columns if c.not_null}
        cols = [typedrows.Column(i, conv, src in not_null) for i, conv, src in lay.steps]
        reader = typedrows.build(cols, width, lay.key_idx, printable, typedrows.LEXICONS[engine])
    lay.typed[width, engine] = reader
    return reader


class Layouts:
    """A load's layouts, one per source table, column list and character set, built on first
    use (a dump repeats one INSERT head thousands of times); and the column-typed readers
    rows.read_rows asks for, for the tables in `tables` (None: every planned table)."""

    def __init__(
        self, plans: dict[str, TablePlan], batch_mutations: int, tables: set[str] | None = None
    ) -> None:
        self.plans, self.batch_mutations, self.tables = plans, batch_mutations, tables
        self.built: dict[tuple[str, tuple[str, ...] | None, str], Layout] = {}

    def get(
        self, source_table: str, plan: TablePlan, columns: list[str] | None, codec: str = UTF8
    ) -> Layout:
        key = (source_table, tuple(columns) if columns is not None else None, codec)
        lay = self.built.get(key)
        if lay is None:
            lay = self.built[key] = build_layout(plan, columns, self.batch_mutations, codec)
        return lay

    def typed_reader(
        self,
        source_table: str,
        columns: list[str] | None,
        width: int,
        engine: str,
        codec: str = UTF8,
    ) -> TypedReader | None:
        """The column-typed reader for INSERTs of this table with rows of `width` values, or
        None (rows.read_rows tries it before the general fast path)."""
        plan = self.plans.get(source_table)
        if plan is None or (self.tables is not None and plan.source.name not in self.tables):
            return None
        return typed_reader(plan, self.get(source_table, plan, columns, codec), width, engine)


def _raw_path(
    batch: RowBatch, lay: Layout
) -> tuple[Callable[[Any], list[Any]] | None, Callable[[Any], list[Any]]]:
    """The converter of one regex match of this batch and the key extractor of a list of
    them; (None, ...) when the rows must go through the row loop (wrong width)."""
    reader = batch.reader
    if isinstance(reader, typedrows.TypedRowReader):
        return reader.convert, reader.keys
    if reader is None and batch.raw:
        width = fast_width(batch.raw[0], batch.groups)
        if width == lay.width:  # otherwise every row is bad: the row loop says why
            return raw_converters(lay, width, batch.groups)
    return None, list


def _converted(
    lay: Layout, out: list[list[Any]], keys: list[Any], pos: int, stats: TableStats, top: Any
) -> Batch | None:
    """Rows converted in bulk (none bad) as one batch; None, having changed nothing, when the
    batch would be too big in bytes for one commit."""
    big = lay.big
    if big:
        size = 0
        for n in big:
            size += sum(map(len, filter(None, map(itemgetter(n), out))))
        if size >= MAX_BATCH_BYTES:
            return None
    for n in lay.identity:
        values = [v for v in map(itemgetter(n), out) if v is not None]
        if values and max(values) > top.get(n, 0):
            top[n] = max(values)
    stats.read += len(out)
    return Batch(out, keys, range(pos + 1, pos + len(out) + 1), pos + len(out))


def list_events(
    lay: Layout,
    name: str,
    synthetic: bool,
    rows: Iterable[list[Any]],
    pos: int,
    done_before: int,
    stats: TableStats,
    top: dict[int, int],
) -> Events:
    """`cut_rows`, with a list that fits one commit converted in one `map` first."""
    if type(rows) is list and pos >= done_before and not synthetic and len(rows) <= lay.limit:
        if not rows or set(map(len, rows)) == {lay.width}:  # else bad rows: the loop says so
            try:
                out = list(map(lay.convert_row, rows))
            except (BadValue, IndexError):
                out = None
            if out is not None:
                single = lay.single_key
                if single is not None:
                    keys = list(map(itemgetter(single), rows))
                else:
                    keys = [row_key(row, lay.key_idx, None) for row in rows]
                ev = _converted(lay, out, keys, pos, stats, top)
                if ev is not None:
                    yield ev
                    return
    yield from cut_rows(lay, name, synthetic, rows, pos, done_before, stats, top)


def statement_events(
    lay: Layout,
    name: str,
    synthetic: bool,
    batch: RowBatch,
    pos: int,
    done_before: int,
    stats: TableStats,
    top: dict[int, int],
) -> Events:
    """The rows of one dump statement (positions from `pos` + 1): the raw path in
    commit-sized slices, then `list_events` for what it left."""
    raw = batch.raw
    done = 0
    if raw and not synthetic and pos >= done_before:
        convert_one, keys_of = _raw_path(batch, lay)
        limit = lay.limit
        while convert_one is not None and done < len(raw):
            part = raw[done : done + limit] if done or len(raw) > limit else raw
            try:
                out = list(map(convert_one, part))
            except (ValueError, IndexError):  # BadValue, or text Python refuses
                break  # the row loop finds the bad rows
            ev = _converted(lay, out, keys_of(part), pos + done, stats, top)
            if ev is None:
                break
            yield ev
            done += len(part)
        if done == len(raw):
            return
    rows = batch.rows
    yield from list_events(
        lay, name, synthetic, rows[done:] if done else rows, pos + done, done_before, stats, top
    )
