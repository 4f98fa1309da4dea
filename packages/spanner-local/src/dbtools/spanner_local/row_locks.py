"""Row-granularity conflict detection for read-write transactions.

Spanner locks the rows (cells) a read-write transaction reads and writes. Here a transaction
records what it read and wrote as an `AccessSet`: whole tables, or sets of primary keys when a
statement pins them (a Read by keys, a query or DML whose WHERE fixes every key column, an
INSERT ... VALUES, a mutation). At commit it is ABORTED only if a transaction that committed
after it began wrote something it read: the same key, or anything in a table it read whole.

Pinned keys are found in the translated (DuckDB) SQL: one table, no joins or subqueries, and a
WHERE that is a conjunction of `key column = literal or parameter` for every key column.
Anything else is recorded as the whole table, which aborts more often than Spanner, never less.
"""

from __future__ import annotations

import collections
import datetime as dt
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

import sqlglot
from sqlglot import exp

from . import codec, protos
from .catalog import Catalog, Table

Key = tuple[Any, ...]
# Commits remembered with their write sets; an older transaction falls back to table versions.
HISTORY_LIMIT = 10_000


@dataclass
class AccessSet:
    """Tables touched whole, and keys touched per table (names lower-case; "*" = everything)."""

    tables: set[str] = field(default_factory=set)
    keys: dict[str, set[Key]] = field(default_factory=dict)

    def add_tables(self, names: Iterable[str]) -> None:
        self.tables.update(names)

    def add_keys(self, table: str, keys: Iterable[Key]) -> None:
        self.keys.setdefault(table, set()).update(keys)

    def update(self, other: AccessSet) -> None:
        self.tables |= other.tables
        for table, keys in other.keys.items():
            self.add_keys(table, keys)

    def names(self) -> set[str]:
        return self.tables | set(self.keys)

    def __bool__(self) -> bool:
        return bool(self.tables or self.keys)

    def overlap(self, writes: AccessSet) -> str | None:
        """A table where `writes` touches what this set read, or None."""
        if "*" in self.tables and writes:
            return next(iter(writes.names()))
        for table in writes.tables:
            if table in self.tables or table in self.keys:
                return table
        for table, keys in writes.keys.items():
            if table in self.tables or not keys.isdisjoint(self.keys.get(table, ())):
                return table
        return None


class CommitHistory:
    """The write sets of recent commits, by commit version."""

    def __init__(self, limit: int = HISTORY_LIMIT) -> None:
        self._records: collections.deque[tuple[int, AccessSet]] = collections.deque()
        self._limit = limit
        self.floor = 0  # versions at or below this are no longer remembered

    def record(self, version: int, writes: AccessSet) -> None:
        self._records.append((version, writes))
        while len(self._records) > self._limit:
            self.floor = self._records.popleft()[0]

    def conflict(self, reads: AccessSet, since: int) -> str | None:
        """A table in which a commit after version `since` wrote what `reads` read."""
        for version, writes in reversed(self._records):
            if version <= since:
                break
            hit = reads.overlap(writes)
            if hit is not None:
                return hit
        return None


# ------------------------------------------------------------------- pinned keys in SQL

# (table, pinned) where pinned is one tuple per row of (column, is_param, value) triples.
Pins = tuple[str, tuple[tuple[tuple[str, bool, Any], ...], ...]]


def _operand(node: exp.Expression) -> tuple[bool, Any] | None:
    if isinstance(node, exp.Placeholder):
        return True, str(node.name)
    if isinstance(node, exp.Literal):
        return False, (node.this, node.is_string)
    if isinstance(node, exp.Neg) and isinstance(node.this, exp.Literal) and not node.this.is_string:
        return False, ("-" + node.this.this, False)
    return None


def _equalities(cond: exp.Expression) -> list[tuple[str, bool, Any]] | None:
    if isinstance(cond, exp.Paren):
        return _equalities(cond.this)
    if isinstance(cond, exp.And):
        # Other conjuncts only narrow the rows further: they may be ignored.
        return (_equalities(cond.this) or []) + (_equalities(cond.expression) or [])
    if isinstance(cond, exp.EQ):
        for col, other in ((cond.this, cond.expression), (cond.expression, cond.this)):
            if isinstance(col, exp.Column):
                operand = _operand(other)
                if operand is not None:
                    return [(col.name.lower(), *operand)]
    return None


@lru_cache(maxsize=4096)
def pins(sql: str) -> Pins | None:
    """The single table of `sql` and the key-looking equalities that pin its rows, if any."""
    try:
        tree = sqlglot.parse_one(sql, read="duckdb")
    except (sqlglot.errors.ParseError, sqlglot.errors.TokenError, RecursionError):
        return None
    tables = list(tree.find_all(exp.Table))
    if len(tables) != 1 or any(tree.find_all(exp.Subquery, exp.Join, exp.Union, exp.CTE)):
        return None
    table = tables[0].name.lower()
    if isinstance(tree, exp.Insert):
        values = tree.expression
        if not isinstance(tree.this, exp.Schema) or not isinstance(values, exp.Values):
            return None
        cols = [c.name.lower() for c in tree.this.expressions]
        rows = []
        for tup in values.expressions:
            operands = [_operand(v) for v in tup.expressions]
            if len(operands) != len(cols) or any(o is None for o in operands):
                return None
            rows.append(tuple((c, *o) for c, o in zip(cols, operands, strict=True)))  # type: ignore[misc]
        return table, tuple(rows)
    if not isinstance(tree, (exp.Select, exp.Update, exp.Delete)):
        return None
    where = tree.args.get("where")
    if where is None:
        return None
    eqs = _equalities(where.this)
    return (table, (tuple(eqs),)) if eqs else None


def _key_value(col_type: str, is_param: bool, value: Any, params: Mapping[str, Any]) -> Any:
    if is_param:
        lowered = {k.lower(): v for k, v in params.items()}
        if value.lower() not in lowered:
            raise LookupError(value)
        v = lowered[value.lower()]
        if col_type == "INT64" and isinstance(v, bool):
            raise LookupError(value)
        return v
    text, is_string = value
    if col_type == "INT64" and not is_string:
        return int(text)
    if col_type == "STRING" and is_string:
        return text
    raise LookupError(text)  # other literal forms: leave it to the whole-table path


def keys_of(catalog: Catalog, sql: str, params: Mapping[str, Any]) -> tuple[Table, set[Key]] | None:
    """The primary keys `sql` (translated) touches, when it pins every key column."""
    found = pins(sql)
    if found is None:
        return None
    table = catalog.table(found[0])
    if table is None or not table.primary_key:
        return None
    keys = set()
    try:
        for row in found[1]:
            by_col = {}
            for col, is_param, value in row:
                column = table.column(col)
                if column is None:
                    return None
                if col in by_col:
                    return None  # K = 1 AND K = 2: not worth reasoning about
                by_col[col] = _key_value(column.stype.code, is_param, value, params)
            keys.add(tuple(normal(by_col[k.column.lower()]) for k in table.primary_key))
    except (LookupError, ValueError):
        return None
    return table, keys


def normal(value: Any) -> Any:
    """One spelling per key value: timestamps in UTC, lists as tuples."""
    if isinstance(value, dt.datetime) and value.tzinfo is not None:
        return value.astimezone(dt.timezone.utc)
    if isinstance(value, list):
        return tuple(value)
    return value


def dependents(catalog: Catalog, table: str) -> set[str]:
    """Tables a delete in `table` can change besides itself: interleaved children and
    referencing tables (cascades), transitively."""
    out: set[str] = set()
    todo = [table]
    while todo:
        name = todo.pop()
        related = [t.name.lower() for t in catalog.children(name)]
        related += [t.name.lower() for t, _ in catalog.referencing(name)]
        for r in related:
            if r not in out and r != table:
                out.add(r)
                todo.append(r)
    return out


# ------------------------------------------------------------------- reads by key


def _decode_key(table: Table, parts: Any) -> Key | None:
    """A full primary key from a KeySet's ListValue, or None for a prefix."""
    if len(parts.values) != len(table.primary_key):
        return None
    out = []
    for part, k in zip(parts.values, table.primary_key, strict=True):
        col = table.column(k.column)
        if col is None:
            return None
        out.append(normal(codec.decode(part, col.stype)))
    return tuple(out)


def read_keys(catalog: Catalog, table_name: str, key_set: protos.KeySet) -> set[Key] | None:
    """The rows a Read by primary key touches, or None when it reads ranges or everything."""
    table = catalog.table(table_name)
    if table is None or key_set.all_ or key_set.ranges or not table.primary_key:
        return None
    keys = set()
    for parts in key_set.keys:
        key = _decode_key(table, parts)
        if key is None:
            return None
        keys.add(key)
    return keys
