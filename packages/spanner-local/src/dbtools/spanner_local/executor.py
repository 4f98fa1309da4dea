"""Running SQL, reads and mutations on a DuckDB cursor, with Spanner's semantics and errors."""

from __future__ import annotations

import datetime as dt
import functools
import re
import sys
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import duckdb

from . import (
    cancellation,
    codec,
    column_decode,
    intervals,
    parsed,
    protos,
    relation_guard,
    timestamps,
    typed_literals,
)
from .catalog import Table, duckdb_ident
from .database import Database
from .errors import (
    Aborted,
    AlreadyExists,
    Cancelled,
    FailedPrecondition,
    InvalidArgument,
    NotFound,
    OutOfRange,
    SpannerLocalError,
)
from .translate import COMMIT_TS_PARAM, Translated, translate
from .typemap import POSTGRESQL, PROTO_CODES, SType, annotate_for_dialect


@dataclass
class Result:
    columns: list[tuple[str, SType]]
    rows: list[tuple[Any, ...]]
    row_count: int | None = None  # DML: rows modified


# ------------------------------------------------------------------- errors


_TABLE_MISSING = re.compile(r"Table with name (\S+?) does not exist")
_COLUMN_MISSING = re.compile(r'Referenced column "?([^"\s]+)"? not found')
_UDF_REFUSAL = re.compile(
    r".*Python exception occurred while executing the UDF: InvalidArgument: (.*)$"
)
DUP_KEY = re.compile(r'[Dd]uplicate key "(.*?)"')


def _at(sql: str | None, name: str) -> str:
    """Spanner's location suffix for a GoogleSQL error about `name`: ` [at L:C]`, the line, a caret.

    Empty when the statement is unknown or the name cannot be found in it.
    """
    if not sql:
        return ""
    m = re.search(rf"(?<![\w.`]){re.escape(name)}(?![\w`])|`{re.escape(name)}`", sql, re.I)
    if m is None:
        return ""
    line_no = sql.count("\n", 0, m.start()) + 1
    line_start = sql.rfind("\n", 0, m.start()) + 1
    line_end = sql.find("\n", m.start())
    line = sql[line_start : None if line_end < 0 else line_end]
    col = m.start() - line_start + 1
    return f" [at {line_no}:{col}]\n{line}\n{' ' * (col - 1)}^"


_GENERATED_FAILED = "Incorrect value for generated column"


def map_error(exc: Exception, dialect: str, sql: str | None = None) -> SpannerLocalError:
    """A DuckDB error -> the error Cloud Spanner gives in the same situation.

    With the statement's text, GoogleSQL errors about a name carry Spanner's location suffix.
    """
    if isinstance(exc, SpannerLocalError):
        return exc
    text = str(exc)
    first = text.splitlines()[0] if text else type(exc).__name__
    pg = dialect == POSTGRESQL
    if isinstance(exc, duckdb.InterruptException):
        cancellation.count_interrupted()
        return Cancelled("The call was cancelled; its statement was interrupted.")
    if isinstance(exc, duckdb.TransactionException):
        # Write-write conflicts, and commits that race a schema change of a table they wrote.
        return Aborted("Transaction was aborted. It conflicted with a concurrent transaction.")
    if isinstance(exc, duckdb.ConstraintException):
        if _GENERATED_FAILED in first and " : " in first:
            # a generated column's expression failed (a cast of text, say): its own error
            return InvalidArgument(first.split(" : ", 1)[1])
        m = DUP_KEY.search(text)
        if m:
            # DuckDB spells the key "Col: v, Col2: w" (or just "v"); Spanner prints [v,w].
            parts = [p.split(": ", 1)[-1] for p in m.group(1).split(", ")]
            if "PRIMARY KEY" in text or "primary key" in text:
                return AlreadyExists(f"Row [{','.join(parts)}] already exists")
            return AlreadyExists(f"Unique index violation at index key [{','.join(parts)}].")
        if "NOT NULL" in text:
            col = text.rsplit(":", 1)[-1].strip()
            return FailedPrecondition(f"{col} must not be NULL in table {col.split('.')[0]}.")
        return FailedPrecondition(first)
    m = _TABLE_MISSING.search(text)
    if m:
        name = m.group(1).strip('"')
        return InvalidArgument(
            f'relation "{name}" does not exist'
            if pg
            else f"Table not found: {name}{_at(sql, name)}"
        )
    m = _COLUMN_MISSING.search(text)
    if m:
        name = m.group(1)
        return InvalidArgument(
            f'column "{name}" does not exist'
            if pg
            else f"Unrecognized name: {name}{_at(sql, name)}"
        )
    if "Division by zero" in text or "division by zero" in text:
        return OutOfRange("division by zero")
    m = _UDF_REFUSAL.match(first)
    if m:  # a Python function refusing what it cannot compute exactly (see pg_numeric)
        return InvalidArgument(m.group(1))
    if isinstance(exc, duckdb.InvalidInputException) and first.endswith("causes overflow"):
        return OutOfRange(_strip_category(first))  # TIMESTAMP_ADD/SUB (see timestamps)
    if isinstance(exc, duckdb.OutOfRangeException):
        return OutOfRange(first)
    if isinstance(exc, duckdb.ParserException):
        return InvalidArgument(f"Syntax error: {_strip_category(first)}")
    for pattern, gsql_text, pg_text in _DUCKDB_MESSAGES:
        m = pattern.search(first)
        if m:
            return InvalidArgument((pg_text if pg else gsql_text).format(*m.groups()))
    return InvalidArgument(_strip_category(first))


# DuckDB messages -> how Spanner words the same complaint (GoogleSQL, PostgreSQL dialect).
_DUCKDB_MESSAGES = (
    (
        re.compile(r"Scalar Function with name (\w+) does not exist"),
        "Function not found: {0}",
        "function {0} does not exist",
    ),
    (
        re.compile(r"No function matches the given name and argument types '(\w+)\((.*)\)'"),
        "No matching signature for function {0} for argument types: {1}",
        "function {0}({1}) does not exist",
    ),
    (
        re.compile(r"Could not convert string '(.*)' to (\w+)"),
        'Could not cast literal "{0}" to type {1}',
        'invalid input syntax for type {1}: "{0}"',
    ),
)
_CATEGORY = re.compile(r"^[A-Z][a-z]+(?: [A-Z][a-z]+)? Error: ")


def _strip_category(text: str) -> str:
    """DuckDB prefixes its messages with a category ("Binder Error: "); Spanner does not."""
    return _CATEGORY.sub("", text)


# ------------------------------------------------------------------- parameters


def decode_params(
    params: protos.Struct, param_types: Mapping[str, protos.Type], dialect: str
) -> tuple[dict[str, Any], dict[str, SType]]:
    values: dict[str, Any] = {}
    types: dict[str, SType] = {}
    for name, value in params.fields.items():
        key = name.lstrip("@$")
        if name in param_types:
            stype = SType.from_pb(param_types[name])
            types[key] = stype
            values[key] = codec.decode(value, stype)
        else:
            values[key] = codec.decode_untyped(value)
    return values, types


def _bind(
    tr: Translated, values: dict[str, Any], types: dict[str, SType], commit_ts: Any
) -> tuple[str, dict[str, Any]]:
    """Named parameters for DuckDB; typed ones are cast so that results carry their types."""
    typed = tuple(sorted((k, t.duckdb()) for k, t in types.items() if k in values))
    plan = _bind_plan if len(tr.sql) <= CACHED_SQL_CHARS else _bind_plan.__wrapped__
    sql, names = plan(tr.sql, tuple(values), typed)
    if isinstance(commit_ts, dt.datetime):  # TIMESTAMP values are bound as stored nanoseconds
        commit_ts = timestamps.from_datetime(commit_ts)
    bound: dict[str, Any] = {}
    for name, key in names:
        if key is None:
            bound[name] = commit_ts
            continue
        value = values[key]
        bound[name] = commit_ts if isinstance(value, codec.CommitTimestamp) else value
    return sql, bound


# Statements longer than this are not cached: a cache must not keep huge texts alive.
CACHED_SQL_CHARS = 8192
_PARAM_REF = re.compile(r"\$([A-Za-z_][A-Za-z0-9_]*)")


@functools.lru_cache(maxsize=4096)
def _bind_plan(
    sql: str, keys: tuple[str, ...], typed: tuple[tuple[str, str], ...]
) -> tuple[str, tuple[tuple[str, str | None], ...]]:
    """The statement with typed parameters cast, and which value each parameter takes
    (None: the commit timestamp). Cached by statement text, parameter names and types."""
    lowered = {k.lower(): k for k in keys}
    duck_types = dict(typed)
    names: list[tuple[str, str | None]] = []
    for name in set(_PARAM_REF.findall(sql)):
        if name == COMMIT_TS_PARAM:
            names.append((name, None))
            continue
        key = name if name in keys else lowered.get(name.lower())
        if key is None:
            raise InvalidArgument(f"No parameter found for binding: {name}")
        names.append((name, key))
        duck = duck_types.get(key)
        if duck is not None:
            sql = re.sub(rf"\${re.escape(name)}\b", f"CAST(${name} AS {duck})", sql)
    return sql, tuple(names)


# ------------------------------------------------------------------- queries and DML


def _columns(cur: duckdb.DuckDBPyConnection, dialect: str) -> list[tuple[str, SType]]:
    desc = cur.description or []
    return [(d[0], codec.stype_from_duckdb(str(d[1]), dialect)) for d in desc]


# Column types an untyped string parameter takes when it is compared with or written to such a
# column, as Spanner infers it: DuckDB would otherwise read the text its own way (BYTES text is
# base64, not the bytes; TIMESTAMP text is RFC 3339, which DuckDB cannot cast to the stored
# nanoseconds).
_UNTYPED_PARAM_TYPES = {"BYTES": SType("BYTES"), "TIMESTAMP": SType("TIMESTAMP")}


def _infer_untyped_params(
    db: Database, tr: Translated, values: dict[str, Any], types: dict[str, SType]
) -> tuple[dict[str, Any], dict[str, SType]]:
    """Untyped string parameters compared with or written to a column of one of
    `_UNTYPED_PARAM_TYPES` -> that type, their text read as Spanner reads it."""
    if not tr.param_columns:
        return values, types
    lowered = {k.lower(): k for k in values}
    tables = [t for t in (db.catalog.table(n) for n in tr.tables) if t is not None]
    for param, column in tr.param_columns:
        key = lowered.get(param.lower())
        if key is None or key in types or not isinstance(values[key], str):
            continue
        codes = {c.stype.code for c in (t.column(column) for t in tables) if c is not None}
        if len(codes) == 1 and (code := codes.pop()) in _UNTYPED_PARAM_TYPES:
            stype = _UNTYPED_PARAM_TYPES[code]
            values = {**values, key: codec.decode(protos.Value(string_value=values[key]), stype)}
            types = {**types, key: stype}
    return values, types


def _literal_column_types(db: Database, table_name: str) -> dict[str, str]:
    """Every column of a table, in table order (an INSERT without a column list writes them by
    position) -> the type code whose untyped PostgreSQL literals DuckDB would read differently
    (typed_literals.COLUMN_CODES; arrays of BYTES as "ARRAY<BYTES>": their elements are bytea
    input), or "" for a column DuckDB reads as PostgreSQL does."""
    table = db.catalog.table(table_name)
    if table is None:
        return {}
    out = {}
    for c in table.columns:
        code = c.stype.code
        if code == "ARRAY" and c.stype.element is not None and c.stype.element.code == "BYTES":
            code = "ARRAY<BYTES>"
        out[c.name.lower()] = code if code in typed_literals.COLUMN_CODES else ""
    return out


def _proto_typed(
    db: Database, tr: Translated, types: dict[str, SType], cols: list[tuple[str, SType]]
) -> list[tuple[str, SType]]:
    """Give result columns that are a bare proto-typed parameter or column their proto type.

    DuckDB stores proto messages as BLOB and enums as BIGINT; Spanner reports PROTO / ENUM
    with the type's name, which the client needs to decode the value.
    """
    assert tr.output_sources is not None
    table = db.catalog.table(tr.tables[0]) if len(tr.tables) == 1 else None
    lowered = {k.lower(): v for k, v in types.items()}
    out = []
    for (name, stype), source in zip(cols, tr.output_sources, strict=True):
        declared: SType | None = None
        if source is not None and source.startswith("@"):
            declared = lowered.get(source[1:].lower())
        elif source is not None and table is not None:
            col = table.column(source)
            declared = col.stype if col is not None else None
        if (
            declared is not None
            and declared.scalar.code in PROTO_CODES
            and declared.scalar.duckdb() == stype.scalar.duckdb()
            and (declared.element is None) == (stype.element is None)
        ):
            stype = declared
        out.append((name, stype))
    return out


def translate_statement(db: Database, sql: str) -> Translated:
    """`sql` translated for `db` (knowing its columns, which PostgreSQL literals depend on):
    what `run_sql` executes, for callers that look at the statement before running it."""
    relation_guard.check(sql, db.dialect, db.catalog.tables, db.catalog.views)
    return translate(sql, db.dialect, functools.partial(_literal_column_types, db))


def run_sql(
    db: Database,
    cur: duckdb.DuckDBPyConnection,
    sql: str,
    values: dict[str, Any],
    types: dict[str, SType],
    commit_ts: Any = None,
    translated: Translated | None = None,
) -> tuple[Result, Translated]:
    """Run `sql`; `translated` is its `translate_statement` when the caller already has it."""
    typed_sql = intervals.typed_params(sql, types) if db.dialect == POSTGRESQL and types else sql
    if typed_sql is not sql:  # INTERVAL parameters: translated with their casts written
        translated = None
    tr = translated if translated is not None else translate_statement(db, typed_sql)
    values, types = _infer_untyped_params(db, tr, values, types)
    text, bound = _bind(tr, values, types, commit_ts)
    try:
        with cancellation.running_on(cur):
            stmt = parsed.statement(cur, db.dialect, text)
            cur.execute(stmt, bound) if bound else cur.execute(stmt)
        if tr.kind == "dml" and not tr.returning:
            count = cur.fetchone()
            n = int(count[0]) if count else 0
            return Result([], [], n), tr
        cols = _columns(cur, db.dialect)
        if tr.kind == "query" and any(intervals.is_interval(t) for _, t in cols):
            # DuckDB hands intervals to Python as timedelta, folding months into 30 days:
            # fetch their text form instead (of each element of an array), which keeps every part.
            select = ", ".join(
                (f"CAST(#{i} AS VARCHAR{'[]' if t.element else ''})")
                if intervals.is_interval(t)
                else f"#{i}"
                for i, (_, t) in enumerate(cols, start=1)
            )
            with cancellation.running_on(cur):
                sub = f"SELECT {select} FROM ({text}) AS spanner_interval_query"
                cur.execute(sub, bound) if bound else cur.execute(sub)
        if tr.output_names is not None and len(tr.output_names) == len(cols):
            cols = [(name, stype) for name, (_, stype) in zip(tr.output_names, cols, strict=True)]
        if tr.output_sources is not None and len(tr.output_sources) == len(cols):
            cols = _proto_typed(db, tr, types, cols)
        rows = cur.fetchall()
    except duckdb.Error as exc:
        raise map_error(exc, db.dialect, sql) from exc
    if tr.kind == "dml":
        return Result(cols, rows, len(rows)), tr
    return Result(cols, rows), tr


_TARGET = re.compile(
    r"^\s*(?:INSERT\s+(?:OR\s+\w+\s+)?(?:INTO\s+)?|UPDATE\s+|DELETE\s+(?:FROM\s+)?)"
    r'("(?:[^"]|"")+"|[\w.]+)',
    re.IGNORECASE,
)


def dml_target(db: Database, translated_sql: str) -> Table | None:
    m = _TARGET.match(translated_sql)
    if not m:
        return None
    name = m.group(1)
    name = name[1:-1].replace('""', '"') if name.startswith('"') else name.split(".")[-1]
    return db.catalog.table(name)


def check_key_not_updated(table: Table, columns: Sequence[str]) -> None:
    keys = {k.column.lower() for k in table.primary_key}
    for name in columns:
        if name.lower() in keys:
            raise InvalidArgument(f"Cannot update primary key column {name} of table {table.name}.")


# ------------------------------------------------------------------- key sets


def _decode_key(parts: Sequence[protos.Value], types: Sequence[SType]) -> list[Any]:
    if len(parts) > len(types):
        raise InvalidArgument(
            f"Key has {len(parts)} parts but the key has only {len(types)} columns."
        )
    return [codec.decode(v, t) for v, t in zip(parts, types, strict=False)]


def _bound(
    cols: Sequence[tuple[str, bool]], vals: list[Any], lower: bool, closed: bool, args: list[Any]
) -> str:
    """Lexicographic bound over a key prefix, honouring DESC key columns.

    A bound is a key prefix: an empty one is the prefix of every key, so a closed empty bound
    admits every row and an open one admits none.
    """
    if not vals:
        return "TRUE" if closed else "FALSE"
    terms: list[str] = []
    for i, v in enumerate(vals):
        name, desc = cols[i]
        greater = lower != desc  # for a DESC column the "start" is the larger value
        op = ">" if greater else "<"
        if i == len(vals) - 1 and closed:
            op += "="
        conds = []
        for j in range(i):
            args.append(vals[j])
            conds.append(f"{duckdb_ident(cols[j][0])} = ${len(args)}")
        args.append(v)
        conds.append(f"{duckdb_ident(name)} {op} ${len(args)}")
        terms.append("(" + " AND ".join(conds) + ")")
    return "(" + " OR ".join(terms) + ")"


# From this many point keys on, a read joins them as one relation instead of OR-ing equalities
# (a hash semi-join rather than an expression per key).
MANY_KEYS = 16


def _decode_point_keys(key_set: protos.KeySet, key_types: Sequence[SType]) -> list[list[Any]]:
    """The point keys column by column, common types decoded a whole column at a time.

    Should any key be refused, the keys are decoded again one by one, so that the error is
    about the first bad key, as when they are decoded in order.
    """
    cells = [key.values for key in key_set.keys]
    try:
        if set(map(len, cells)) - {len(key_types)}:  # one pass in C, not a generator
            raise InvalidArgument("Point keys must specify every key column.")
        return [
            _decode_key_column(column, stype)
            for column, stype in zip(zip(*cells, strict=True), key_types, strict=True)
        ]
    except SpannerLocalError:
        for parts in cells:
            if len(_decode_key(parts, key_types)) < len(key_types):
                raise InvalidArgument("Point keys must specify every key column.") from None
        raise


def _decode_key_column(column: Sequence[protos.Value], stype: SType) -> list[Any]:
    fast = column_decode.FAST.get(stype.code)
    if fast is None:
        return [codec.decode(v, stype) for v in column]
    decoded = fast(column, sys.maxsize)  # key values have no size limit of their own here
    if column_decode.LOOK in decoded:
        for i, value in enumerate(decoded):
            if value is column_decode.LOOK:
                decoded[i] = codec.decode(column[i], stype)
    return decoded


def _point_keys_relation(
    key_set: protos.KeySet,
    key_cols: Sequence[tuple[str, bool]],
    key_types: Sequence[SType],
    args: list[Any],
) -> str:
    columns = _decode_point_keys(key_set, key_types)
    unnest = []
    match = []
    for i, ((name, _desc), stype) in enumerate(zip(key_cols, key_types, strict=True)):
        args.append(columns[i])
        unnest.append(f"UNNEST(${len(args)}::{stype.duckdb()}[]) AS _sl_k{i}")
        match.append(f"{duckdb_ident(name)} IS NOT DISTINCT FROM _sl_keys._sl_k{i}")
    rel = f"(SELECT {', '.join(unnest)}) _sl_keys"
    return f"EXISTS (SELECT 1 FROM {rel} WHERE {' AND '.join(match)})"


def keyset_where(
    key_set: protos.KeySet,
    key_cols: Sequence[tuple[str, bool]],
    key_types: Sequence[SType],
    args: list[Any],
) -> str:
    if key_set.all_:
        return "TRUE"
    clauses: list[str] = []
    if len(key_set.keys) >= MANY_KEYS:
        clauses.append(_point_keys_relation(key_set, key_cols, key_types, args))
    for key in key_set.keys if len(key_set.keys) < MANY_KEYS else ():
        vals = _decode_key(key.values, key_types)
        conds = []
        for (name, _desc), v in zip(key_cols, vals, strict=False):
            if v is None:
                conds.append(f"{duckdb_ident(name)} IS NULL")
            else:
                args.append(v)
                conds.append(f"{duckdb_ident(name)} = ${len(args)}")
        if len(vals) < len(key_cols):
            raise InvalidArgument("Point keys must specify every key column.")
        clauses.append("(" + (" AND ".join(conds) or "TRUE") + ")")
    for rng in key_set.ranges:
        start_kind = rng.WhichOneof("start_key_type")
        end_kind = rng.WhichOneof("end_key_type")
        parts = []
        if start_kind:
            vals = _decode_key(getattr(rng, start_kind).values, key_types)
            parts.append(_bound(key_cols, vals, True, start_kind == "start_closed", args))
        if end_kind:
            vals = _decode_key(getattr(rng, end_kind).values, key_types)
            parts.append(_bound(key_cols, vals, False, end_kind == "end_closed", args))
        clauses.append("(" + " AND ".join(parts or ["TRUE"]) + ")")
    return " OR ".join(clauses) if clauses else "FALSE"


def read(
    db: Database,
    cur: duckdb.DuckDBPyConnection,
    table_name: str,
    index_name: str,
    columns: Sequence[str],
    key_set: protos.KeySet,
    limit: int,
    declared: Table | None = None,
) -> Result:
    """A Read request; `declared` is the table as declared at a past read timestamp, when its
    schema has changed since."""
    table = declared or db.catalog.table(table_name)
    if table is None:
        raise NotFound(f"Table not found: {table_name}")
    out_cols: list[tuple[str, SType]] = []
    for c in columns:
        col = table.column(c)
        if col is None:
            raise NotFound(f"Column not found in table {table.name}: {c}")
        out_cols.append((col.name, annotate_for_dialect(col.stype, db.dialect)))
    if index_name:
        index = db.catalog.index(index_name)
        if index is None or index.table.lower() != table.name.lower():
            raise NotFound(f"Index not found on table {table.name}: {index_name}")
        key_parts = [(k.column, k.desc) for k in index.keys]
        order = key_parts + [(k.column, k.desc) for k in table.primary_key]
    else:
        key_parts = [(k.column, k.desc) for k in table.primary_key]
        order = key_parts
    key_types = []
    for name, _ in key_parts:
        col = table.column(name)
        assert col is not None
        key_types.append(col.stype)
    args: list[Any] = []
    where = keyset_where(key_set, key_parts, key_types, args)
    select = ", ".join(duckdb_ident(n) for n, _ in out_cols) or "1"
    sql = f"SELECT {select} FROM {duckdb_ident(table.name)} WHERE {where}"
    if index_name and db.catalog.index(index_name) and db.catalog.index(index_name).null_filtered:  # type: ignore[union-attr]
        sql += "".join(f" AND {duckdb_ident(n)} IS NOT NULL" for n, _ in key_parts)
    if order:
        sql += " ORDER BY " + ", ".join(
            f"{duckdb_ident(n)} {'DESC NULLS LAST' if d else 'ASC NULLS FIRST'}" for n, d in order
        )
    if limit:
        sql += f" LIMIT {int(limit)}"
    try:
        with cancellation.running_on(cur):
            cur.execute(parsed.statement(cur, db.dialect, sql), args)
        rows = cur.fetchall()
    except duckdb.Error as exc:
        raise map_error(exc, db.dialect, sql) from exc
    return Result(out_cols, rows)


# ------------------------------------------------------------------- keys in messages


def format_key(values: Iterable[Any]) -> str:
    return ",".join("NULL" if v is None else str(v) for v in values)


# ------------------------------------------------------------------- integrity


def _join_cond(a: str, b: str, cols_a: Sequence[str], cols_b: Sequence[str]) -> str:
    return " AND ".join(
        f"{a}.{duckdb_ident(x)} = {b}.{duckdb_ident(y)}"
        for x, y in zip(cols_a, cols_b, strict=True)
    )


def enforce_integrity(db: Database, cur: duckdb.DuckDBPyConnection, touched: set[str]) -> None:
    """Interleaving, foreign keys and CHECK constraints for the tables a write touched."""
    cat = db.catalog
    try:
        pending = set(touched)
        done: set[str] = set()
        while pending:  # cascades may touch further tables
            name = pending.pop()
            done.add(name)
            table = cat.table(name)
            if table is None:
                continue
            for child in cat.children(table.name):
                pk = [k.column for k in table.primary_key]
                cond = _join_cond("p", "c", pk, pk)
                orphan = f"NOT EXISTS (SELECT 1 FROM {duckdb_ident(table.name)} p WHERE {cond})"
                if child.on_delete == "CASCADE":
                    cur.execute(f"DELETE FROM {duckdb_ident(child.name)} c WHERE {orphan}")
                    if (cur.fetchone() or (0,))[0]:
                        pending.add(child.name.lower())
                else:
                    cur.execute(
                        f"SELECT {', '.join('c.' + duckdb_ident(k) for k in pk)} FROM {duckdb_ident(child.name)} c WHERE {orphan} LIMIT 1"
                    )
                    row = cur.fetchone()
                    if row:
                        raise FailedPrecondition(
                            f"Integrity constraint violation during delete of row [{format_key(row)}] "
                            f"in table {table.name}: child rows exist in table {child.name}."
                        )
            for ref_table, fk in cat.referencing(table.name):
                cond = _join_cond("p", "c", fk.ref_columns, fk.columns)
                notnull = " AND ".join(f"c.{duckdb_ident(c)} IS NOT NULL" for c in fk.columns)
                orphan = f"{notnull} AND NOT EXISTS (SELECT 1 FROM {duckdb_ident(table.name)} p WHERE {cond})"
                if fk.on_delete == "CASCADE" and ref_table is not table:
                    cur.execute(f"DELETE FROM {duckdb_ident(ref_table.name)} c WHERE {orphan}")
                    if (cur.fetchone() or (0,))[0]:
                        pending.add(ref_table.name.lower())
                else:
                    cur.execute(
                        f"SELECT 1 FROM {duckdb_ident(ref_table.name)} c WHERE {orphan} LIMIT 1"
                    )
                    if cur.fetchone():
                        raise FailedPrecondition(
                            f"Foreign key `{fk.name}` constraint violation when deleting or updating "
                            f"referenced row(s): referencing row(s) found in table `{ref_table.name}`."
                        )
            if table.parent:
                parent = cat.table(table.parent)
                if parent is not None:
                    pk = [k.column for k in parent.primary_key]
                    cond = _join_cond("p", "c", pk, pk)
                    cur.execute(
                        f"SELECT {', '.join('c.' + duckdb_ident(k.column) for k in table.primary_key)} "
                        f"FROM {duckdb_ident(table.name)} c WHERE NOT EXISTS "
                        f"(SELECT 1 FROM {duckdb_ident(parent.name)} p WHERE {cond}) LIMIT 1"
                    )
                    row = cur.fetchone()
                    if row:
                        raise NotFound(
                            f"Parent row for row [{format_key(row)}] in table {table.name} is "
                            "missing. Row cannot be written."
                        )
            for fk in table.foreign_keys:
                ref = cat.table(fk.ref_table)
                if ref is None:
                    continue
                cond = _join_cond("p", "c", fk.ref_columns, fk.columns)
                notnull = " AND ".join(f"c.{duckdb_ident(c)} IS NOT NULL" for c in fk.columns)
                cur.execute(
                    f"SELECT 1 FROM {duckdb_ident(table.name)} c WHERE {notnull} AND NOT EXISTS "
                    f"(SELECT 1 FROM {duckdb_ident(ref.name)} p WHERE {cond}) LIMIT 1"
                )
                if cur.fetchone():
                    raise FailedPrecondition(
                        f"Foreign key constraint `{fk.name}` is violated on table `{table.name}`. "
                        f"Cannot find referenced values in {ref.name}({', '.join(fk.ref_columns)})."
                    )
            for col in table.columns:
                if col.generated is not None and col.not_null:
                    cur.execute(
                        f"SELECT 1 FROM {duckdb_ident(table.name)} "
                        f"WHERE {duckdb_ident(col.name)} IS NULL LIMIT 1"
                    )
                    if cur.fetchone():
                        raise FailedPrecondition(
                            f"{table.name}.{col.name} must not be NULL in table {table.name}."
                        )
            for chk in table.checks:
                from .schema import _expr_to_duckdb

                expr = _expr_to_duckdb(chk.expression, db.dialect)
                cur.execute(f"SELECT 1 FROM {duckdb_ident(table.name)} WHERE NOT ({expr}) LIMIT 1")
                if cur.fetchone():
                    raise OutOfRange(f"Check constraint `{table.name}`.`{chk.name}` is violated.")
    except duckdb.Error as exc:
        raise map_error(exc, db.dialect) from exc


def has_integrity_rules(db: Database, touched: set[str]) -> bool:
    cat = db.catalog
    for name in touched:
        t = cat.table(name)
        if t is None:
            continue
        if (
            t.parent
            or t.foreign_keys
            or t.checks
            or any(c.generated is not None and c.not_null for c in t.columns)
            or cat.children(t.name)
            or cat.referencing(t.name)
        ):
            return True
    return False
