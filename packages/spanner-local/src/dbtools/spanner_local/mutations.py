"""Commit mutations: validation, key checks, conflict bookkeeping, and applying them in bulk.

A write mutation (insert, update, insert_or_update, replace) is decoded into a `WriteBatch`:
its table, its columns, where the key columns are among them, and its rows as Python values.
Rows reach DuckDB as one relation per mutation (a list parameter per column, unnested side by
side), never row at a time. Each kind of mutation is one function of `_APPLY`.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import duckdb

from . import codec, limits, protos, row_locks
from .catalog import Column, Table, duckdb_ident, type_sql
from .database import Database
from .errors import Aborted, AlreadyExists, FailedPrecondition, InvalidArgument, NotFound
from .executor import DUP_KEY, format_key, keyset_where, map_error

NO_OPERATION = (
    "Invalid mutation: it sets none of insert, update, insert_or_update, replace or delete."
)


@dataclass
class WriteBatch:
    """One write mutation, checked and decoded."""

    table: Table
    kind: str
    cols: list[Column]
    key_idx: list[int]  # positions of the key columns among `cols`
    generated_key: bool  # an insert leaving key columns to their DEFAULT (sequences)
    rows: list[list[Any]]

    @property
    def tname(self) -> str:
        return duckdb_ident(self.table.name)

    @property
    def key_cols(self) -> list[Column]:
        return [self.cols[i] for i in self.key_idx]

    @property
    def non_key(self) -> list[int]:
        return [i for i in range(len(self.cols)) if i not in self.key_idx]

    def key(self, row: Sequence[Any]) -> tuple[Any, ...]:
        return tuple(row[i] for i in self.key_idx)


# ------------------------------------------------------------------- counting and limits


def count_mutations(db: Database, mutations: Sequence[protos.Mutation]) -> int:
    """Cloud Spanner's count: columns written per row, plus index entries; deletes count one."""
    total = 0
    for m in mutations:
        kind = m.WhichOneof("operation")
        if kind is None:
            raise InvalidArgument(NO_OPERATION)
        if kind == "delete":
            total += max(1, len(m.delete.key_set.keys) + len(m.delete.key_set.ranges))
            continue
        w = getattr(m, kind)
        rows = len(w.values)
        total += rows * len(w.columns)
        for ix in db.catalog.indexes_of(w.table):
            total += rows * (len(ix.keys) + len(ix.storing))
    return total


# ------------------------------------------------------------------- entry point


def apply_mutations(
    db: Database,
    cur: duckdb.DuckDBPyConnection,
    mutations: Sequence[protos.Mutation],
    commit_ts: Any,
    writes: row_locks.AccessSet | None = None,
) -> set[str]:
    """Apply Commit mutations in order on `cur` (inside a transaction); return touched tables.

    `writes`, if given, collects the rows written (see row_locks).
    """
    limits.check_mutation_count(count_mutations(db, mutations))
    limits.check_commit_size(sum(m.ByteSize() for m in mutations))
    touched: set[str] = set()
    for m in mutations:
        kind = m.WhichOneof("operation")
        if kind is None:
            raise InvalidArgument(NO_OPERATION)
        if kind == "delete":
            table = _mutation_table(db, m.delete.table)
            _apply_delete(db, cur, table, m.delete.key_set, writes)
        else:
            w = getattr(m, kind)
            table = _mutation_table(db, w.table)
            batch = decode_write(db, table, kind, w, commit_ts)
            if batch.rows:
                _record_writes(writes, batch)
                _apply_write(db, cur, batch)
        touched.add(table.name.lower())
    return touched


def _mutation_table(db: Database, name: str) -> Table:
    table = db.catalog.table(name)
    if table is None:
        raise NotFound(f"Table not found: {name}")
    return table


# ------------------------------------------------------------------- deletes


def _apply_delete(
    db: Database,
    cur: duckdb.DuckDBPyConnection,
    table: Table,
    key_set: protos.KeySet,
    writes: row_locks.AccessSet | None,
) -> None:
    key_parts = [(k.column, k.desc) for k in table.primary_key]
    key_types = [c.stype for c in table.key_columns]
    args: list[Any] = []
    where = keyset_where(key_set, key_parts, key_types, args)
    try:
        cur.execute(f"DELETE FROM {duckdb_ident(table.name)} WHERE {where}", args)
    except duckdb.Error as exc:
        raise map_error(exc, db.dialect) from exc
    if writes is None:
        return
    name = table.name.lower()
    keys = row_locks.read_keys(db.catalog, table.name, key_set)
    writes.add_tables(row_locks.dependents(db.catalog, name))
    if keys is None:
        writes.add_tables({name})
    else:
        writes.add_keys(name, keys)


# ------------------------------------------------------------------- decoding a write


def decode_write(db: Database, table: Table, kind: str, w: Any, commit_ts: Any) -> WriteBatch:
    """Check a write mutation's columns and keys and decode its rows (Spanner's errors)."""
    cols = _written_columns(table, w.columns)
    key_idx, generated_key = _key_positions(table, kind, [c.name.lower() for c in cols])
    rows = _decode_rows(db, table, cols, w.values, commit_ts)
    return WriteBatch(table, kind, cols, key_idx, generated_key, rows)


def _written_columns(table: Table, names: Sequence[str]) -> list[Column]:
    cols = []
    for name in names:
        col = table.column(name)
        if col is None:
            raise NotFound(f"Column not found in table {table.name}: {name}")
        if col.generated is not None:
            raise FailedPrecondition(
                f"Cannot write into generated column `{table.name}.{col.name}`."
            )
        cols.append(col)
    lowered = [c.name.lower() for c in cols]
    if len(set(lowered)) != len(lowered):
        raise InvalidArgument(f"Duplicate column in mutation on table {table.name}.")
    return cols


def _fills_itself(col: Column | None) -> bool:
    return col is not None and (
        col.default is not None or col.identity is not None or col.generated is not None
    )


def _key_positions(table: Table, kind: str, lowered: list[str]) -> tuple[list[int], bool]:
    """Where each key column is among the written ones; whether an insert leaves some out."""
    key_idx = []
    generated_key = False
    for k in table.primary_key:
        if k.column.lower() in lowered:
            key_idx.append(lowered.index(k.column.lower()))
        elif kind == "insert" and _fills_itself(table.column(k.column)):
            generated_key = True
        else:
            raise FailedPrecondition(
                f"Mutation for table {table.name} is missing key column {k.column}."
            )
    return key_idx, generated_key


def _decode_rows(
    db: Database, table: Table, cols: list[Column], values: Sequence[Any], commit_ts: Any
) -> list[list[Any]]:
    rows: list[list[Any]] = []
    for lv in values:
        if len(lv.values) != len(cols):
            raise InvalidArgument(
                f"Mutation has {len(lv.values)} values but {len(cols)} columns for table {table.name}."
            )
        rows.append(
            [
                _decode_value(db, table, col, v, commit_ts)
                for col, v in zip(cols, lv.values, strict=True)
            ]
        )
    return rows


def _decode_value(db: Database, table: Table, col: Column, v: protos.Value, commit_ts: Any) -> Any:
    try:
        value = codec.decode(v, col.stype)
    except codec.NumericRangeError:
        raise
    except InvalidArgument as exc:
        # Spanner rejects a mutation value of the wrong type as a failed precondition
        raise FailedPrecondition(
            f"Invalid value for column {col.name} in table {table.name}: "
            f"Expected {type_sql(col, db.dialect)}."
        ) from exc
    if isinstance(value, codec.CommitTimestamp):
        value = _commit_timestamp(table, col, commit_ts)
    elif value is not None and col.stype.code in ("STRING", "BYTES"):
        _check_size(table, col, len(value))
    if value is None and col.not_null:
        raise FailedPrecondition(f"{table.name}.{col.name} must not be NULL in table {table.name}.")
    return value


def _commit_timestamp(table: Table, col: Column, commit_ts: Any) -> Any:
    if not col.allow_commit_timestamp:
        raise FailedPrecondition(
            "Cannot write commit timestamp because the allow_commit_timestamp column "
            f"option is not set to true for column {table.name}.{col.name}, or for all "
            "corresponding shared key columns in this table's interleaved table hierarchy."
        )
    return commit_ts


def _check_size(table: Table, col: Column, size: int) -> None:
    limit = col.length if col.length is not None else limits.MAX_LENGTH[col.stype.code]
    if size > limit:
        raise FailedPrecondition(
            f"New value exceeds the maximum size limit for this column: "
            f"{table.name}.{col.name}, size: {size}, limit: {limit}."
        )


# ------------------------------------------------------------------- conflict bookkeeping


def _record_writes(writes: row_locks.AccessSet | None, batch: WriteBatch) -> None:
    if writes is None:
        return
    name = batch.table.name.lower()
    if batch.generated_key:  # keys not known before the insert
        writes.add_tables({name})
        return
    norm = row_locks.normal
    idx = batch.key_idx
    writes.add_keys(name, {tuple(norm(r[i]) for i in idx) for r in batch.rows})


# ------------------------------------------------------------------- applying a write


def _apply_write(db: Database, cur: duckdb.DuckDBPyConnection, batch: WriteBatch) -> None:
    apply = _APPLY.get(batch.kind)
    if apply is None:
        raise InvalidArgument(f"Unknown mutation kind {batch.kind}")
    try:
        apply(db, cur, batch)
    except duckdb.Error as exc:
        raise map_error(exc, db.dialect) from exc


def _last_wins(batch: WriteBatch) -> list[list[Any]]:
    """Several rows with one key: the last wins, as in Spanner."""
    latest: dict[tuple[Any, ...], list[Any]] = {}
    for row in batch.rows:
        latest[batch.key(row)] = row
    return list(latest.values())


def _insert(db: Database, cur: duckdb.DuckDBPyConnection, batch: WriteBatch) -> None:
    if batch.generated_key:
        _insert_rows(cur, batch.tname, batch.cols, batch.rows)
        return
    _check_absent(cur, batch)
    _insert_racing(db, cur, batch, batch.rows)


def _update(db: Database, cur: duckdb.DuckDBPyConnection, batch: WriteBatch) -> None:
    existing = _existing_keys(cur, batch, batch.rows)
    for r in batch.rows:
        k = batch.key(r)
        if k not in existing:
            raise NotFound(
                f"Row [{format_key(k)}] in table {batch.table.name} is missing. "
                "Row cannot be updated."
            )
    if batch.non_key:
        _update_rows(cur, batch, batch.rows)


def _insert_or_update(db: Database, cur: duckdb.DuckDBPyConnection, batch: WriteBatch) -> None:
    rows = _last_wins(batch)
    existing = _existing_keys(cur, batch, rows)
    old_rows = [r for r in rows if batch.key(r) in existing]
    new_rows = [r for r in rows if batch.key(r) not in existing]
    if old_rows and batch.non_key:
        _update_rows(cur, batch, old_rows)
    if new_rows:
        _insert_racing(db, cur, batch, new_rows)


def _replace(db: Database, cur: duckdb.DuckDBPyConnection, batch: WriteBatch) -> None:
    rows = _last_wins(batch)
    key_cols = batch.key_cols
    rel, params = _relation(key_cols, [batch.key(r) for r in rows])
    tname = batch.tname
    cur.execute(
        f"DELETE FROM {tname} USING ({rel}) AS k WHERE {_key_match(key_cols, tname)}", params
    )
    _insert_rows(cur, tname, batch.cols, rows)


_APPLY: dict[str, Callable[[Database, duckdb.DuckDBPyConnection, WriteBatch], None]] = {
    "insert": _insert,
    "update": _update,
    "insert_or_update": _insert_or_update,
    "replace": _replace,
}


# ------------------------------------------------------------------- SQL over row batches


def _relation(cols: Sequence[Column], rows: Sequence[Sequence[Any]]) -> tuple[str, list[Any]]:
    """Rows as a DuckDB relation: one list parameter per column, unnested side by side.

    Far faster than multi-row VALUES lists or executemany for hundreds of rows.
    """
    params = [[row[i] for row in rows] for i in range(len(cols))]
    select = ", ".join(
        f"UNNEST(${i + 1}::{col.stype.duckdb()}[]) AS {duckdb_ident(col.name)}"
        for i, col in enumerate(cols)
    )
    return f"SELECT {select}", params


def _key_match(key_cols: Sequence[Column], left: str) -> str:
    if not key_cols:
        return "TRUE"  # PRIMARY KEY (): the table has at most one row
    return " AND ".join(
        f"{left}.{duckdb_ident(c.name)} IS NOT DISTINCT FROM k.{duckdb_ident(c.name)}"
        for c in key_cols
    )


def _insert_rows(
    cur: duckdb.DuckDBPyConnection, tname: str, cols: Sequence[Column], rows: list[list[Any]]
) -> None:
    rel, params = _relation(cols, rows)
    col_sql = ", ".join(duckdb_ident(c.name) for c in cols)
    cur.execute(f"INSERT INTO {tname} ({col_sql}) SELECT * FROM ({rel})", params)


def _insert_racing(
    db: Database, cur: duckdb.DuckDBPyConnection, batch: WriteBatch, rows: list[list[Any]]
) -> None:
    """Insert rows this transaction's snapshot shows as absent.

    If the primary key turns out to be taken, another transaction inserted the row after this
    one began: on Spanner the two would have conflicted on the key, so this one is ABORTED (and
    retried). A clash on a unique index stays ALREADY_EXISTS.
    """
    try:
        _insert_rows(cur, batch.tname, batch.cols, rows)
    except duckdb.ConstraintException as exc:
        if DUP_KEY.search(str(exc)):
            fresh = db.borrow()
            try:
                if _existing_keys(fresh, batch, rows):
                    raise Aborted(
                        "Transaction was aborted: a concurrent transaction inserted the same key."
                    ) from exc
            finally:
                db.give_back(fresh)
        raise


def _update_rows(cur: duckdb.DuckDBPyConnection, batch: WriteBatch, rows: list[list[Any]]) -> None:
    cols = batch.cols
    rel, params = _relation(cols, rows)
    sets = ", ".join(
        f"{duckdb_ident(cols[i].name)} = k.{duckdb_ident(cols[i].name)}" for i in batch.non_key
    )
    match = _key_match(batch.key_cols, left=batch.tname)
    cur.execute(f"UPDATE {batch.tname} SET {sets} FROM ({rel}) AS k WHERE {match}", params)


def _existing_keys(
    cur: duckdb.DuckDBPyConnection, batch: WriteBatch, rows: list[list[Any]]
) -> set[tuple[Any, ...]]:
    if not rows:
        return set()
    tname = batch.tname
    key_cols = batch.key_cols
    if not key_cols:  # PRIMARY KEY (): the only possible key is the empty one
        cur.execute(f"SELECT 1 FROM {tname} LIMIT 1")
        return {()} if cur.fetchone() else set()
    rel, params = _relation(key_cols, [batch.key(r) for r in rows])
    select = ", ".join(f"t.{duckdb_ident(c.name)}" for c in key_cols)
    cur.execute(
        f"SELECT {select} FROM {tname} AS t JOIN ({rel}) AS k ON {_key_match(key_cols, 't')}",
        params,
    )
    return {tuple(r) for r in cur.fetchall()}


def _check_absent(cur: duckdb.DuckDBPyConnection, batch: WriteBatch) -> None:
    seen: set[tuple[Any, ...]] = set()
    name = batch.table.name
    for r in batch.rows:
        k = batch.key(r)
        if k in seen:
            raise AlreadyExists(f"Row [{format_key(k)}] in table {name} already exists")
        seen.add(k)
    existing = _existing_keys(cur, batch, batch.rows)
    if existing:
        k = next(batch.key(r) for r in batch.rows if batch.key(r) in existing)
        raise AlreadyExists(f"Row [{format_key(k)}] in table {name} already exists")
