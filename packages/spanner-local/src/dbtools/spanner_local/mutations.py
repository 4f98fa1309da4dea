"""Commit mutations: validation, key checks, conflict bookkeeping, and applying them in bulk.

A write mutation (insert, update, insert_or_update, replace) is decoded into a `WriteBatch`:
its table, its columns, where the key columns are among them, and its rows as Python values.
Rows reach DuckDB as one relation per mutation (a list parameter per column, unnested side by
side), never row at a time. Each kind of mutation is one function of `_APPLY`.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

import duckdb

from . import codec, column_decode, limits, protos, row_locks, timestamps
from .catalog import Column, Table, duckdb_ident, type_sql
from .database import Database
from .errors import (
    Aborted,
    AlreadyExists,
    FailedPrecondition,
    InvalidArgument,
    NotFound,
    SpannerLocalError,
)
from .executor import DUP_KEY, format_key, keyset_where, map_error

NO_OPERATION = (
    "Invalid mutation: it sets none of insert, update, insert_or_update, replace or delete."
)


@dataclass
class WriteBatch:
    """One write mutation, checked and decoded, its values column by column."""

    table: Table
    kind: str
    cols: list[Column]
    key_idx: list[int]  # positions of the key columns among `cols`
    generated_key: bool  # an insert leaving key columns to their DEFAULT (sequences)
    columns: list[list[Any]]  # one list of values per column of `cols`
    size: int  # rows
    _keys: list[tuple[Any, ...]] | None = field(default=None, repr=False)

    @property
    def tname(self) -> str:
        return duckdb_ident(self.table.name)

    @property
    def key_cols(self) -> list[Column]:
        return [self.cols[i] for i in self.key_idx]

    @property
    def non_key(self) -> list[int]:
        return [i for i in range(len(self.cols)) if i not in self.key_idx]

    def keys(self) -> list[tuple[Any, ...]]:
        """Each row's primary key, in row order (worked out once)."""
        if self._keys is None:
            if not self.key_idx:
                self._keys = [()] * self.size
            else:
                self._keys = list(zip(*(self.columns[i] for i in self.key_idx), strict=True))
        return self._keys

    def only(self, picked: Sequence[int]) -> WriteBatch:
        """The same mutation restricted to the rows at positions `picked`, in that order."""
        columns = [[values[i] for i in picked] for values in self.columns]
        return replace(self, columns=columns, size=len(picked), _keys=None)


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
        total += _written(db, w.table, len(w.values), len(w.columns))
    return total


def _written(db: Database, table: str, rows: int, columns: int) -> int:
    """Rows inserted or updated: each column written, plus the entries of the table's indexes."""
    per_row = columns + sum(len(ix.keys) + len(ix.storing) for ix in db.catalog.indexes_of(table))
    return rows * per_row


def count_dml_mutations(db: Database, tr: Any, table: Any, rows: int) -> int:
    """The mutations a DML statement that changed `rows` rows of `table` produced, counted as
    Cloud Spanner counts them in commit stats (as for the same change written as mutations):
    an insert writes its columns (all of them without a column list), an update its SET
    columns and the primary key (always counted as affected), a delete one per row."""
    verb = tr.sql.lstrip()[:6].upper()
    if verb == "DELETE":
        return rows
    if verb == "UPDATE":
        keys = {k.column.lower() for k in table.primary_key}
        written = {c.lower() for c in tr.updated_columns} | keys
        return _written(db, table.name, rows, len(written))
    columns = tr.inserted_columns
    return _written(db, table.name, rows, len(columns) if columns else len(table.columns))


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
    limits.check_mutations_size(m.ByteSize() for m in mutations)
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
            if batch.size:
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
    columns = _decode_columns(db, table, cols, w.values, commit_ts)
    return WriteBatch(table, kind, cols, key_idx, generated_key, columns, len(w.values))


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


def _decode_columns(
    db: Database, table: Table, cols: list[Column], values: Sequence[Any], commit_ts: Any
) -> list[list[Any]]:
    """The mutation's values, column by column.

    Common columns decode whole (column_decode); the rest value by value. Should any value be
    refused, the rows are decoded again in row order, so that the error is about the first bad
    value of the first bad row, as Spanner reports it.
    """
    cells = [lv.values for lv in values]
    if any(len(row) != len(cols) for row in cells):
        _decode_rows(db, table, cols, values, commit_ts)  # raises the exact error
    by_column = list(zip(*cells, strict=True)) if cells else [() for _ in cols]
    try:
        return [
            _decode_column(db, table, col, column, commit_ts)
            for col, column in zip(cols, by_column, strict=True)
        ]
    except SpannerLocalError:
        _decode_rows(db, table, cols, values, commit_ts)
        raise


def _decode_column(
    db: Database, table: Table, col: Column, cells: Sequence[protos.Value], commit_ts: Any
) -> list[Any]:
    fast = column_decode.FAST.get(col.stype.code)
    if fast is None:
        return [_decode_value(db, table, col, v, commit_ts) for v in cells]
    limit = col.length if col.length is not None else limits.MAX_LENGTH.get(col.stype.code, 0)
    decoded = fast(cells, limit)
    if column_decode.LOOK in decoded:
        for i, value in enumerate(decoded):
            if value is column_decode.LOOK:
                decoded[i] = _decode_value(db, table, col, cells[i], commit_ts)
    return decoded


def _decode_rows(
    db: Database, table: Table, cols: list[Column], values: Sequence[Any], commit_ts: Any
) -> None:
    """Decode row by row, only for the error: the first refused value in row order."""
    for lv in values:
        if len(lv.values) != len(cols):
            raise InvalidArgument(
                f"Mutation has {len(lv.values)} values but {len(cols)} columns for table {table.name}."
            )
        for col, v in zip(cols, lv.values, strict=True):
            _decode_value(db, table, col, v, commit_ts)


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
    return timestamps.from_datetime(commit_ts) if isinstance(commit_ts, dt.datetime) else commit_ts


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
    keys = batch.keys()
    if any(c.stype.code in _NEEDS_NORMAL for c in batch.key_cols):
        keys = [tuple(map(row_locks.normal, k)) for k in keys]
    writes.add_keys(name, keys)


# Key types whose values have more than one spelling in Python (see row_locks.normal).
_NEEDS_NORMAL = frozenset({"TIMESTAMP", "ARRAY"})


# ------------------------------------------------------------------- applying a write


def _apply_write(db: Database, cur: duckdb.DuckDBPyConnection, batch: WriteBatch) -> None:
    apply = _APPLY.get(batch.kind)
    if apply is None:
        raise InvalidArgument(f"Unknown mutation kind {batch.kind}")
    try:
        apply(db, cur, batch)
    except duckdb.Error as exc:
        raise map_error(exc, db.dialect) from exc


def _last_wins(batch: WriteBatch) -> WriteBatch:
    """Several rows with one key: the last wins, as in Spanner."""
    latest: dict[tuple[Any, ...], int] = {}
    for i, key in enumerate(batch.keys()):
        latest[key] = i
    if len(latest) == batch.size:
        return batch
    return batch.only(sorted(latest.values()))


def _insert(db: Database, cur: duckdb.DuckDBPyConnection, batch: WriteBatch) -> None:
    if batch.generated_key:
        _insert_rows(cur, batch)
        return
    _check_absent(cur, batch)
    _insert_racing(db, cur, batch)


def _update(db: Database, cur: duckdb.DuckDBPyConnection, batch: WriteBatch) -> None:
    existing = _existing_keys(cur, batch)
    for k in batch.keys():
        if k not in existing:
            raise NotFound(
                f"Row [{format_key(k)}] in table {batch.table.name} is missing. "
                "Row cannot be updated."
            )
    if batch.non_key:
        _update_rows(cur, batch)


def _insert_or_update(db: Database, cur: duckdb.DuckDBPyConnection, batch: WriteBatch) -> None:
    batch = _last_wins(batch)
    existing = _existing_keys(cur, batch)
    if not existing:
        _insert_racing(db, cur, batch)
        return
    keys = batch.keys()
    old = [i for i, k in enumerate(keys) if k in existing]
    new = [i for i, k in enumerate(keys) if k not in existing]
    if batch.non_key:
        _update_rows(cur, batch.only(old) if new else batch)
    if new:
        _insert_racing(db, cur, batch.only(new))


def _replace(db: Database, cur: duckdb.DuckDBPyConnection, batch: WriteBatch) -> None:
    batch = _last_wins(batch)
    key_cols = batch.key_cols
    rel, params = _relation(key_cols, [batch.columns[i] for i in batch.key_idx])
    tname = batch.tname
    cur.execute(
        f"DELETE FROM {tname} USING ({rel}) AS k WHERE {_key_match(key_cols, tname)}", params
    )
    _insert_rows(cur, batch)


_APPLY: dict[str, Callable[[Database, duckdb.DuckDBPyConnection, WriteBatch], None]] = {
    "insert": _insert,
    "update": _update,
    "insert_or_update": _insert_or_update,
    "replace": _replace,
}


# ------------------------------------------------------------------- SQL over row batches


def _relation(cols: Sequence[Column], columns: list[list[Any]]) -> tuple[str, list[Any]]:
    """Rows as a DuckDB relation: one list parameter per column, unnested side by side.

    Far faster than multi-row VALUES lists or executemany for hundreds of rows.
    """
    select = ", ".join(
        f"UNNEST(${i + 1}::{col.stype.duckdb()}[]) AS {duckdb_ident(col.name)}"
        for i, col in enumerate(cols)
    )
    return f"SELECT {select}", list(columns)


def _key_match(key_cols: Sequence[Column], left: str) -> str:
    if not key_cols:
        return "TRUE"  # PRIMARY KEY (): the table has at most one row
    return " AND ".join(
        f"{left}.{duckdb_ident(c.name)} IS NOT DISTINCT FROM k.{duckdb_ident(c.name)}"
        for c in key_cols
    )


def _insert_rows(cur: duckdb.DuckDBPyConnection, batch: WriteBatch) -> None:
    rel, params = _relation(batch.cols, batch.columns)
    col_sql = ", ".join(duckdb_ident(c.name) for c in batch.cols)
    cur.execute(f"INSERT INTO {batch.tname} ({col_sql}) SELECT * FROM ({rel})", params)


def _insert_racing(db: Database, cur: duckdb.DuckDBPyConnection, batch: WriteBatch) -> None:
    """Insert rows this transaction's snapshot shows as absent.

    If the primary key turns out to be taken, another transaction inserted the row after this
    one began: on Spanner the two would have conflicted on the key, so this one is ABORTED (and
    retried). A clash on a unique index stays ALREADY_EXISTS.
    """
    try:
        _insert_rows(cur, batch)
    except duckdb.ConstraintException as exc:
        if DUP_KEY.search(str(exc)):
            fresh = db.borrow()
            try:
                if _existing_keys(fresh, batch):
                    raise Aborted(
                        "Transaction was aborted: a concurrent transaction inserted the same key."
                    ) from exc
            finally:
                db.give_back(fresh)
        raise


def _update_rows(cur: duckdb.DuckDBPyConnection, batch: WriteBatch) -> None:
    cols = batch.cols
    rel, params = _relation(cols, batch.columns)
    sets = ", ".join(
        f"{duckdb_ident(cols[i].name)} = k.{duckdb_ident(cols[i].name)}" for i in batch.non_key
    )
    match = _key_match(batch.key_cols, left=batch.tname)
    cur.execute(f"UPDATE {batch.tname} SET {sets} FROM ({rel}) AS k WHERE {match}", params)


def _existing_keys(cur: duckdb.DuckDBPyConnection, batch: WriteBatch) -> set[tuple[Any, ...]]:
    """The keys of `batch` that the table already holds (as `cur` sees it)."""
    if not batch.size:
        return set()
    tname = batch.tname
    key_cols = batch.key_cols
    if not key_cols:  # PRIMARY KEY (): the only possible key is the empty one
        cur.execute(f"SELECT 1 FROM {tname} LIMIT 1")
        return {()} if cur.fetchone() else set()
    rel, params = _relation(key_cols, [batch.columns[i] for i in batch.key_idx])
    select = ", ".join(f"t.{duckdb_ident(c.name)}" for c in key_cols)
    cur.execute(
        f"SELECT {select} FROM {tname} AS t JOIN ({rel}) AS k ON {_key_match(key_cols, 't')}",
        params,
    )
    return set(cur.fetchall())


def _check_absent(cur: duckdb.DuckDBPyConnection, batch: WriteBatch) -> None:
    name = batch.table.name
    keys = batch.keys()
    if len(set(keys)) != len(keys):
        seen: set[tuple[Any, ...]] = set()
        for k in keys:
            if k in seen:
                raise AlreadyExists(f"Row [{format_key(k)}] in table {name} already exists")
            seen.add(k)
    existing = _existing_keys(cur, batch)
    if existing:
        k = next(k for k in keys if k in existing)
        raise AlreadyExists(f"Row [{format_key(k)}] in table {name} already exists")
