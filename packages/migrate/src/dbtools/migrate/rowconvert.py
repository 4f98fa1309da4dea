"""Converting source rows of one table into Spanner rows: the per-table layout (which source
position feeds which target column through which converter), row converters compiled once per
layout, key extraction for bad-row reports, and the deterministic synthetic key."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from . import typedrows
from .dumpencoding import UTF8, encode
from .loadplan import TablePlan
from .model import SpTable
from .rows import FAST_NAMES, fast_value_expr
from .values import Converter, inline_form

MAX_COMMIT_MUTATIONS = 80_000
DEFAULT_BATCH_MUTATIONS = 20_000
MAX_BATCH_BYTES = 16 * 1024 * 1024
_SYNTH_NS = uuid.UUID("6f1d2a3c-0b7e-4c1e-9a51-2a0d3f6b8e10")


def printable(value: Any) -> Any:
    if isinstance(value, bytes):
        return "0x" + value.hex()
    if isinstance(value, str):
        return value.encode("utf-8", "surrogateescape").decode("utf-8", "backslashreplace")
    return value


@dataclass
class Layout:
    target_cols: list[str]
    width: int
    key_idx: list[int | None]
    single_key: int | None
    steps: list[tuple[int | None, Callable[[Any], Any], str]]
    convert_row: Callable[[list[Any]], list[Any]]
    big: list[int]
    identity: list[int]
    limit: int
    # raw converters by row width and groups per value (add_batch)
    raw: dict[tuple[int, int], tuple[Callable[..., Any], Callable[..., Any]]] = field(
        default_factory=dict
    )
    # column-typed readers by row width and engine (typed_reader); None: the layout has none
    typed: dict[tuple[int, str], typedrows.TypedRowReader | None] = field(default_factory=dict)


def build_layout(
    plan: TablePlan, columns: list[str] | None, batch_mutations: int, codec: str = UTF8
) -> Layout:
    """What converting rows of one table with one column list takes (None: all columns in
    table order), built once per table and column list: dumps repeat the same INSERT head
    thousands of times. `codec`: the character set of the dump's strings (mysqldump's SET
    NAMES), whose bytes a string bound for a BYTES column stands for."""
    positions = plan.positions if columns is None else {c: i for i, c in enumerate(columns)}
    idx = [positions.get(c.source) for c in plan.columns]
    key_idx = [positions.get(k) for k in plan.key]
    # (position in the source row, converter, source name): built once, used per row
    steps = [
        (i, _binary_in(cp.convert, codec) if _is_bytes(plan, cp.target) else cp.convert, cp.source)
        for cp, i in zip(plan.columns, idx, strict=True)
    ]
    return Layout(
        target_cols=[c.target for c in plan.columns] + ([plan.synthetic] if plan.synthetic else []),
        width=len(positions),
        key_idx=key_idx,
        single_key=key_idx[0] if len(key_idx) == 1 else None,
        steps=steps,
        convert_row=row_converter(steps),
        # only cells that can be big are measured for the batch byte limit
        big=[n for n, cp in enumerate(plan.columns) if _may_be_big(plan.target, cp.target)],
        identity=[
            n
            for n, cp in enumerate(plan.columns)
            if (c := plan.target.column(cp.target)) is not None and (c.identity or c.sequence)
        ],
        limit=max(1, batch_mutations // max(1, plan.mutations_per_row)),
    )


def _is_bytes(plan: TablePlan, target: str) -> bool:
    column = plan.target.column(target)
    return column is not None and column.type.base == "BYTES"


def _binary_in(convert: Converter, codec: str) -> Converter:
    """A BYTES column's converter for a dump whose strings are in `codec`: mysqldump without
    --hex-blob writes binary values as their raw bytes inside a string literal, so the value is
    the bytes the string was decoded from, not its UTF-8 form (the same for UTF-8 dumps)."""
    if codec == UTF8:
        return convert

    def from_dump(value: Any) -> Any:
        return convert(encode(value, codec) if type(value) is str else value)

    return from_dump


def row_converter(
    steps: list[tuple[int | None, Callable[[Any], Any], str]],
) -> Callable[[list[Any]], list[Any]]:
    """One function per table layout that converts a whole row without a Python-level loop
    (about a third faster than looping over the columns); BadValue / IndexError propagate."""
    env: dict[str, Any] = {}
    cells = []
    for n, (i, convert_value, _src) in enumerate(steps):
        env[f"c{n}"] = convert_value
        expr = f"c{n}(v{n})"
        inline = inline_form(convert_value)
        if inline is not None:
            template, names = inline
            expr = template.format(v=f"v{n}", c=f"c{n}")
            env.update(names)
        cells.append("None" if i is None else f"(None if (v{n} := row[{i}]) is None else {expr})")
    source = "def convert_row(row):\n    return [" + ", ".join(cells) + "]\n"
    exec(compile(source, "<row converter>", "exec"), env)
    return env["convert_row"]


def raw_converters(
    lay: Layout, width: int, groups: int
) -> tuple[Callable[[tuple[str, ...]], list[Any]], Callable[[list[tuple[str, ...]]], list[Any]]]:
    """The row converter fused with the fast-path tokenizer's typing (rows.fast_value_expr),
    for raw matches of `width` columns of `groups` groups each; and the key extractor for them."""
    cached = lay.raw.get((width, groups))
    if cached is not None:
        return cached
    env: dict[str, Any] = dict(FAST_NAMES)
    cells = []
    for n, (i, convert_value, _src) in enumerate(lay.steps):
        if i is None:
            cells.append("None")
            continue
        if i >= width:
            cells.append("_short()")  # IndexError: the row loop reports the row
            continue
        env[f"c{n}"] = convert_value
        expr = f"c{n}(v{n})"
        inline = inline_form(convert_value)
        if inline is not None:
            template, names = inline
            expr = template.format(v=f"v{n}", c=f"c{n}")
            env.update(names)
        cells.append(f"(None if (v{n} := {fast_value_expr(i, groups)}) is None else {expr})")
    if lay.single_key is not None and lay.single_key < width:
        key = fast_value_expr(lay.single_key, groups)
    else:  # as _row_key: printable values, a list for a key of several columns
        items = [
            f"printable({fast_value_expr(i, groups)})" if i is not None and i < width else "None"
            for i in lay.key_idx
        ]
        key = items[0] if len(items) == 1 else "[" + ", ".join(items) + "]"
        env["printable"] = printable
    env["_short"] = _raise_short
    source = (
        "def convert_raw(t):\n    return [" + ", ".join(cells) + "]\n"
        "def raw_keys(found):\n    return [" + key + " for t in found]\n"
    )
    exec(compile(source, "<raw row converter>", "exec"), env)
    cached = (env["convert_raw"], env["raw_keys"])
    lay.raw[width, groups] = cached
    return cached


def _raise_short() -> Any:
    raise IndexError("row shorter than the table")


def row_key(row: list[Any], key_idx: list[int | None], single: int | None) -> Any:
    if single is not None:
        return printable(row[single])
    values = [printable(row[i]) if i is not None and i < len(row) else None for i in key_idx]
    return values[0] if len(values) == 1 else values


def _may_be_big(table: SpTable, column: str) -> bool:
    col = table.column(column)
    if col is None:
        return False
    return col.type.base in ("STRING", "BYTES", "JSON") and (
        col.type.length is None or col.type.length > 4096
    )


def synthetic_key(table: str, position: int) -> str:
    """The key of the `position`-th (0-based, source order) row of a table without one:
    deterministic, so that a rerun writes the same row over itself."""
    return str(uuid.uuid5(_SYNTH_NS, f"{table}\x00{position}"))
