"""The load plan: per source table, which columns go where through which converter, and in
which order tables load (interleave parents first) and how IDENTITY counters move after it."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from .convert import Conversion
from .model import SpTable, Table
from .values import converter, parse_timezone


@dataclass
class ColumnPlan:
    source: str
    target: str
    convert: Callable[[Any], Any]


@dataclass
class TablePlan:
    source: Table
    target: SpTable
    columns: list[ColumnPlan]  # in source column order; skipped columns are absent
    positions: dict[str, int]  # source column -> position in a full source row
    key: list[str]  # source names of the key columns (for bad-row reports and keyset reads)
    mutations_per_row: int
    synthetic: str | None  # target name of the synthetic key column, filled here


def plan_tables(conv: Conversion, tz: dt.tzinfo) -> dict[str, TablePlan]:
    plans: dict[str, TablePlan] = {}
    # MySQL TIMESTAMP values are dumped in the dump's TIME_ZONE (and read in UTC when live);
    # DATETIME and PostgreSQL's timestamp without time zone are wall-clock times in `tz`.
    stamp_tz = parse_timezone(conv.source.time_zone) if conv.source.time_zone else tz
    for sp in conv.schema.tables:
        if sp.skip:
            continue
        src = conv.source.tables[sp.source_name]
        cols: list[ColumnPlan] = []
        for scol in src.columns:
            tcol = next((c for c in sp.columns if c.source_name == scol.name), None)
            if tcol is None or tcol.generated is not None:
                continue  # skipped, or computed by Spanner
            col_tz = (
                stamp_tz if conv.source.engine == "mysql" and scol.type.name == "timestamp" else tz
            )
            cols.append(
                ColumnPlan(
                    scol.name, tcol.name, converter(scol.type, tcol.type, conv.dialect, col_tz)
                )
            )
        index_cells = sum(len(ix.keys) + len(ix.storing) + 1 for ix in sp.indexes)
        key = [
            c.source_name
            for c in (sp.column(k) for k, _ in sp.primary_key)
            if c is not None and c.source_name
        ]
        plans[sp.source_name] = TablePlan(
            src,
            sp,
            cols,
            {c.name: i for i, c in enumerate(src.columns)},
            key,
            len(cols) + (1 if sp.synthetic_pk else 0) + index_cells,
            sp.synthetic_pk,
        )
    # rows of partitions load into their parent
    for child, parent in conv.source.partitions.items():
        if parent in plans:
            plans[child] = plans[parent]
    return plans


def interleave_levels(conv: Conversion) -> list[set[str]]:
    """Source tables grouped so that interleave parents come before their children (Spanner
    refuses a child row whose parent row is not there yet)."""
    by_name = {t.name: t for t in conv.schema.tables if not t.skip}
    level: dict[str, int] = {}

    def depth(t: SpTable) -> int:
        if t.name not in level:
            parent = by_name.get(t.parent or "")
            level[t.name] = 0 if parent is None else depth(parent) + 1
        return level[t.name]

    groups: dict[int, set[str]] = {}
    for t in by_name.values():
        groups.setdefault(depth(t), set()).add(t.source_name)
    return [groups[k] for k in sorted(groups)]


def identity_restarts(conv: Conversion, maxima: dict[tuple[str, str], int]) -> list[str]:
    """DDL that moves IDENTITY counters past the loaded maximum where the schema's start is lower.

    (The schema already starts counters past the source's maximum when it was known; this covers
    dumps without AUTO_INCREMENT= / setval and rows added to the source since.)
    """
    gsql = conv.dialect == "google_standard_sql"
    out = []
    for (table, column), top in sorted(maxima.items()):
        sp = conv.schema.table(table)
        col = sp.column(column) if sp is not None else None
        if col is None or not (col.identity or col.sequence) or (col.start_counter or 0) > top:
            continue
        if col.sequence:
            out.append(skip_range(conv.dialect, table, column, col.sequence, top))
        elif gsql:
            out.append(
                f"ALTER TABLE `{table}` ALTER COLUMN `{column}` ALTER IDENTITY RESTART COUNTER WITH {top + 1}"
            )
        else:
            out.append(
                f'ALTER TABLE "{table}" ALTER COLUMN "{column}" RESTART COUNTER WITH {top + 1}'
            )
    return out


def identity_counters(conv: Conversion) -> list[list[str | None]]:
    """[Spanner table, column, its sequence or None (an IDENTITY)] of every generated key
    column of the migrated tables: what `skip_range` moves after rows arrive by other means."""
    return [
        [t.name, c.name, c.sequence]
        for t in conv.schema.tables
        if not t.skip
        for c in t.columns
        if c.identity or c.sequence
    ]


def skip_range(dialect: str, table: str, column: str, sequence: str | None, top: int) -> str:
    """DDL that keeps a bit-reversed IDENTITY or SEQUENCE from generating any value in
    1..top: the values rows already hold (a bit-reversed counter's values are spread over the
    whole positive range, so moving the counter on does not keep them out; a skip range does)."""
    gsql = dialect == "google_standard_sql"
    if sequence and gsql:
        return (
            f"ALTER SEQUENCE `{sequence}` SET OPTIONS (skip_range_min = 1, skip_range_max = {top})"
        )
    if sequence:
        return f'ALTER SEQUENCE "{sequence}" SKIP RANGE 1 {top}'
    if gsql:
        return (
            f"ALTER TABLE `{table}` ALTER COLUMN `{column}` ALTER IDENTITY SET SKIP RANGE 1, {top}"
        )
    return f'ALTER TABLE "{table}" ALTER COLUMN "{column}" SET SKIP RANGE 1 {top}'
