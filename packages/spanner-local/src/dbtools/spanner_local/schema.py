"""Applying parsed DDL operations to a catalog: Spanner's schema rules, and the DuckDB DDL.

`apply(catalog, op)` validates the change the way Cloud Spanner does, mutates the catalog and
returns the DuckDB statements that make the storage match. Pure logic: no DuckDB calls here.
"""

from __future__ import annotations

import base64
import copy
import hashlib
import re

import grpc

from . import ddl_parser as d
from . import pg_casts, pg_numeric, proto_bundle, relation_guard
from .catalog import Catalog, Column, Table, View, duckdb_create_table, duckdb_ident
from .errors import DdlError
from .translate import translate
from .typemap import POSTGRESQL, PROTO_CODES, SType

_NOT_KEYABLE = {"ARRAY", "JSON", "STRUCT", "PROTO"}
# element type spellings for casting PostgreSQL array literals
_PG_ARRAY_CAST = {
    "INT64": "bigint",
    "STRING": "text",
    "FLOAT64": "float8",
    "FLOAT32": "float4",
    "BOOL": "boolean",
    "NUMERIC": "numeric",
    "DATE": "date",
    "TIMESTAMP": "timestamptz",
    "BYTES": "bytea",
    "JSON": "jsonb",
}


def _expr_to_duckdb(expr: str, dialect: str) -> str:
    """A DEFAULT / generated-column expression in DuckDB SQL."""
    relation_guard.check(f"SELECT {expr}", dialect)  # no table, least of all DuckDB's
    sql = pg_casts.stored(translate(f"SELECT {expr}", dialect).sql)
    return sql[len("SELECT ") :] if sql.upper().startswith("SELECT ") else sql


def _stored(col: Column, sql: str, dialect: str) -> str:
    """A PostgreSQL numeric column's DEFAULT / generated value is refused where DuckDB's
    DECIMAL(38, 9) would round it, as any other value written to it (pg_numeric.STORE_MACRO)."""
    if dialect == POSTGRESQL and col.stype.code == "NUMERIC":
        return f"{pg_numeric.STORE_MACRO}({sql})"
    return sql


def _require_table(cat: Catalog, name: str) -> Table:
    table = cat.table(name)
    if table is None:
        if cat.dialect == POSTGRESQL:
            raise DdlError(f'relation "{name}" does not exist', code=grpc.StatusCode.NOT_FOUND)
        raise DdlError(f"Table not found: {name}", code=grpc.StatusCode.NOT_FOUND)
    return table


def _resolve_proto(cat: Catalog, stype: SType) -> SType:
    """A column type naming a proto type: PROTO or ENUM, as the database's bundle defines it."""
    if stype.element is not None:
        return SType("ARRAY", element=_resolve_proto(cat, stype.element))
    if stype.code not in PROTO_CODES:
        return stype
    kind = cat.proto_types.get(stype.fqn or "")
    if kind is None:
        raise DdlError(f"Type not found: {stype.fqn}")
    return SType(kind, fqn=stype.fqn)


def _check_column(cat: Catalog, table: Table, col: Column) -> None:
    col.stype = _resolve_proto(cat, col.stype)
    if col.default is not None and col.generated is not None:
        raise DdlError(
            f"Column {table.name}.{col.name} cannot have both a default and be generated."
        )
    if col.allow_commit_timestamp and col.stype.code != "TIMESTAMP":
        raise DdlError(
            f"Column {col.name} has invalid option allow_commit_timestamp: only TIMESTAMP columns "
            "can set allow_commit_timestamp."
        )
    if col.default is not None:
        default = col.default
        if (
            cat.dialect == POSTGRESQL
            and col.stype.code == "ARRAY"
            and re.fullmatch(r"'\{.*\}'", default.strip(), re.S)
        ):
            # an untyped '{...}' takes the column's array type, as PostgreSQL assigns it
            assert col.stype.element is not None
            default = f"{default}::{_PG_ARRAY_CAST[col.stype.element.code]}[]"
        col.default_duckdb = _stored(col, _expr_to_duckdb(default, cat.dialect), cat.dialect)
    if col.generated is not None:
        col.generated_duckdb = _stored(
            col, _expr_to_duckdb(col.generated, cat.dialect), cat.dialect
        )


def identity_sequence_name(table: str, column: str, generation: int) -> str:
    """The DuckDB sequence behind an identity column: a plain name, whatever the column's."""
    digest = hashlib.sha1(f"{table.lower()}.{column.lower()}".encode()).hexdigest()[:16]
    return f"spanner_identity_{digest}_{generation}"


def _identity_default(seq: str) -> str:
    return f"spanner_sequence_next('{seq}')"


def _setup_identity(cat: Catalog, table: Table, col: Column) -> list[str]:
    """Validate an identity column, give it a sequence; the statements that create it."""
    ident = col.identity
    if ident is None:
        return []
    if col.stype.code != "INT64":
        raise DdlError(
            f"Identity column {table.name}.{col.name} must be of type "
            f"{'bigint' if cat.dialect == POSTGRESQL else 'INT64'}."
        )
    if col.default is not None or col.generated is not None:
        raise DdlError(
            f"Identity column {table.name}.{col.name} cannot also have a default or be generated."
        )
    if "sequence_kind" not in ident:
        kind = (
            cat.options.get("default_sequence_kind")
            or cat.options.get("spanner.default_sequence_kind")
            or ""
        )
        kind = kind.strip().strip("'\"").lower()
        if kind != "bit_reversed_positive" and "declared_as" in ident:
            raise DdlError(
                f"{ident['declared_as']} column {table.name}.{col.name} needs the database option "
                "default_sequence_kind = 'bit_reversed_positive' (set it with ALTER DATABASE), "
                "or write GENERATED BY DEFAULT AS IDENTITY (BIT_REVERSED_POSITIVE)."
            )
        if kind != "bit_reversed_positive":
            raise DdlError(
                f"The sequence kind of identity column {table.name}.{col.name} is not specified: "
                "write GENERATED BY DEFAULT AS IDENTITY (BIT_REVERSED_POSITIVE), or set the "
                "database option default_sequence_kind = 'bit_reversed_positive'."
            )
        ident["sequence_kind"] = "bit_reversed_positive"
    seq = identity_sequence_name(table.name, col.name, 0)
    ident["sequence"] = seq
    ident["generation"] = "0"
    col.default_duckdb = _identity_default(seq)
    start = int(ident.get("start_with_counter", "1"))
    return [f"CREATE SEQUENCE {seq} START WITH {start}"]


def _drop_identity(col: Column) -> list[str]:
    if col.identity is None or "sequence" not in col.identity:
        return []
    return [f"DROP SEQUENCE IF EXISTS {col.identity['sequence']}"]


def _create_table(cat: Catalog, op: d.CreateTable) -> list[str]:
    t = op.table
    if cat.table(t.name) is not None and op.if_not_exists:
        return []
    if cat.name_taken(t.name):
        raise DdlError(f"Duplicate name in schema: {t.name}.")
    seen: set[str] = set()
    for col in t.columns:
        if col.name.lower() in seen:
            raise DdlError(f"Duplicate column name {t.name}.{col.name}.")
        seen.add(col.name.lower())
        _check_column(cat, t, col)
    for key in t.primary_key:
        kcol = t.column(key.column)
        if kcol is None:
            raise DdlError(f"Table {t.name} references nonexistent key column {key.column}.")
        key.column = kcol.name
        if kcol.stype.code in _NOT_KEYABLE:
            raise DdlError(
                f"Column {t.name}.{kcol.name} has type {kcol.stype.code}, but is part of the primary "
                "key."
            )
    if t.parent:
        parent = cat.table(t.parent)
        if parent is None:
            raise DdlError(f"Table {t.name} references nonexistent table {t.parent}.")
        t.parent = parent.name
        ppk = parent.primary_key
        if len(t.primary_key) < len(ppk) or any(
            a.column.lower() != b.column.lower() for a, b in zip(ppk, t.primary_key, strict=False)
        ):
            raise DdlError(
                f"Table {t.name} does not reference {'its' if ppk else 'the'} parent key column "
                f"{ppk[0].column if ppk else ''}."
                if ppk
                else f"Table {t.name} does not reference its parent key."
            )
    key_cols = [t.column(k.column) for k in t.primary_key]
    if key_cols and all(c is not None and c.generated is not None for c in key_cols):
        raise DdlError(
            f"Table {t.name}: spanner-local cannot store a table whose primary key consists "
            "only of generated columns."
        )
    for fk in t.foreign_keys:
        _check_fk(cat, t, fk, new_table=True)
    stmts = [s for col in t.columns for s in _setup_identity(cat, t, col)]
    cat.tables[t.name.lower()] = t
    return [*stmts, duckdb_create_table(t)]


def _check_fk(cat: Catalog, table: Table, fk: d.ForeignKey, new_table: bool = False) -> None:
    if cat.name_taken(fk.name) and not new_table:
        raise DdlError(f"Duplicate name in schema: {fk.name}.")
    ref = table if fk.ref_table.lower() == table.name.lower() else cat.table(fk.ref_table)
    if ref is None:
        raise DdlError(f"Table not found: {fk.ref_table}", code=grpc.StatusCode.NOT_FOUND)
    fk.ref_table = ref.name
    if len(fk.columns) != len(fk.ref_columns):
        raise DdlError(
            f"Foreign key {fk.name} has {len(fk.columns)} referencing columns but "
            f"{len(fk.ref_columns)} referenced columns."
        )
    for i, c in enumerate(fk.columns):
        col = table.column(c)
        if col is None:
            raise DdlError(f"Foreign key {fk.name} references nonexistent column {table.name}.{c}.")
        fk.columns[i] = col.name
    for i, c in enumerate(fk.ref_columns):
        col = ref.column(c)
        if col is None:
            raise DdlError(f"Foreign key {fk.name} references nonexistent column {ref.name}.{c}.")
        fk.ref_columns[i] = col.name
        ours = table.column(fk.columns[i])
        assert ours is not None
        if ours.stype.scalar.code != col.stype.scalar.code:
            raise DdlError(
                f"Foreign key {fk.name} column {ours.name} type does not match referenced column "
                f"{ref.name}.{col.name}."
            )


def _drop_table(cat: Catalog, op: d.DropTable) -> list[str]:
    table = cat.table(op.name)
    if table is None:
        if op.if_exists:
            return []
        _require_table(cat, op.name)
        return []
    idx = cat.indexes_of(table.name)
    if idx:
        raise DdlError(
            f"Cannot drop table {table.name} with indices: {', '.join(i.name for i in idx)}."
        )
    kids = cat.children(table.name)
    if kids:
        raise DdlError(
            f"Cannot drop table {table.name} with interleaved tables: "
            f"{', '.join(k.name for k in kids)}."
        )
    views = _views_using(cat, table.name)
    if views:
        raise DdlError(
            f"Cannot drop table {table.name} on which there are dependent views: {', '.join(views)}."
        )
    refs = [(t, fk) for t, fk in cat.referencing(table.name) if t is not table]
    if refs:
        raise DdlError(
            f"Cannot drop table {table.name}: it is referenced by foreign key {refs[0][1].name} "
            f"of table {refs[0][0].name}."
        )
    del cat.tables[table.name.lower()]
    return [
        f"DROP TABLE {duckdb_ident(table.name)}",
        *(s for col in table.columns for s in _drop_identity(col)),
    ]


def _create_index(cat: Catalog, op: d.CreateIndex) -> list[str]:
    ix = op.index
    if cat.index(ix.name) is not None and op.if_not_exists:
        return []
    if cat.name_taken(ix.name):
        raise DdlError(f"Duplicate name in schema: {ix.name}.")
    table = _require_table(cat, ix.table)
    ix.table = table.name
    for key in ix.keys:
        col = table.column(key.column)
        if col is None:
            raise DdlError(
                f"Index {ix.name} specifies key column {key.column} which does not exist in the index's base table."
            )
        if col.stype.code in _NOT_KEYABLE and col.stype.code != "ARRAY":
            raise DdlError(f"Index {ix.name} contains a key column {col.name} of unsupported type.")
        key.column = col.name
    for i, s in enumerate(ix.storing):
        col = table.column(s)
        if col is None:
            raise DdlError(
                f"Index {ix.name} specifies stored column {s} which does not exist in the index's base table."
            )
        ix.storing[i] = col.name
    if ix.interleave_in:
        parent = _require_table(cat, ix.interleave_in)
        ix.interleave_in = parent.name
    cat.indexes[ix.name.lower()] = ix
    if not ix.unique:
        return []  # only unique indexes matter to DuckDB: reads by index scan the base table
    cols = ", ".join(duckdb_ident(k.column) for k in ix.keys)
    return [f"CREATE UNIQUE INDEX {duckdb_ident(ix.name)} ON {duckdb_ident(table.name)} ({cols})"]


def _drop_index(cat: Catalog, op: d.DropIndex) -> list[str]:
    ix = cat.index(op.name)
    if ix is None:
        if op.if_exists:
            return []
        raise DdlError(f"Index not found: {op.name}")
    del cat.indexes[ix.name.lower()]
    return [f"DROP INDEX {duckdb_ident(ix.name)}"] if ix.unique else []


def _add_column(cat: Catalog, op: d.AddColumn) -> list[str]:
    table = _require_table(cat, op.table)
    col = op.column
    if table.column(col.name) is not None:
        if op.if_not_exists:
            return []
        raise DdlError(f"Duplicate column name {table.name}.{col.name}.")
    if col.not_null and col.default is None and col.generated is None:
        raise DdlError(
            f"Cannot add NOT NULL column {table.name}.{col.name} to existing table {table.name}."
        )
    _check_column(cat, table, col)
    seq_stmts = _setup_identity(cat, table, col)
    table.columns.append(col)
    text = f"ALTER TABLE {duckdb_ident(table.name)} ADD COLUMN {duckdb_ident(col.name)} {col.stype.duckdb()}"
    if col.generated_duckdb is not None:
        text += f" GENERATED ALWAYS AS ({col.generated_duckdb}) VIRTUAL"
    elif col.default_duckdb is not None:
        text += f" DEFAULT ({col.default_duckdb})"
    stmts = [*seq_stmts, text]
    if col.not_null and col.generated_duckdb is None:
        stmts.append(
            f"ALTER TABLE {duckdb_ident(table.name)} ALTER {duckdb_ident(col.name)} SET NOT NULL"
        )
    return stmts


def _drop_column(cat: Catalog, op: d.DropColumn) -> list[str]:
    table = _require_table(cat, op.table)
    col = table.column(op.column)
    if col is None:
        raise DdlError(f"Column not found in table {table.name}: {op.column}")
    if any(k.column.lower() == col.name.lower() for k in table.primary_key):
        raise DdlError(f"Cannot drop key column {col.name} from table {table.name}.")
    for ix in cat.indexes_of(table.name):
        if any(k.column.lower() == col.name.lower() for k in ix.keys) or col.name in ix.storing:
            raise DdlError(
                f"Cannot drop column {table.name}.{col.name} which is used by index {ix.name}."
            )
    for fk in table.foreign_keys:
        if col.name in fk.columns:
            raise DdlError(f"Cannot drop column {col.name} referenced by foreign key {fk.name}.")
    position = table.columns.index(col)
    indexed = {k.column.lower() for k in table.primary_key}
    indexed |= {k.column.lower() for ix in cat.indexes_of(table.name) if ix.unique for k in ix.keys}
    table.columns.remove(col)
    if any(c.name.lower() in indexed for c in table.columns[position:]):
        drop = _rebuild_table(table)
    else:
        drop = [f"ALTER TABLE {duckdb_ident(table.name)} DROP COLUMN {duckdb_ident(col.name)}"]
    return [*drop, *_drop_identity(col)]


def _rebuild_table(table: Table) -> list[str]:
    """DuckDB statements that rebuild `table` (already without the dropped column) with its
    data. DuckDB refuses DROP COLUMN when a key or index column comes after the dropped one,
    even once the index is dropped earlier in the same transaction (and DDL here is one
    transaction, for crash safety), so the table is copied instead."""
    scratch = copy.copy(table)
    scratch.name = f"{table.name}__spanner_local_rebuild"
    stored = ", ".join(duckdb_ident(c.name) for c in table.columns if c.generated_duckdb is None)
    return [
        duckdb_create_table(scratch),
        f"INSERT INTO {duckdb_ident(scratch.name)} ({stored}) "
        f"SELECT {stored} FROM {duckdb_ident(table.name)}",
        f"DROP TABLE {duckdb_ident(table.name)}",
        f"ALTER TABLE {duckdb_ident(scratch.name)} RENAME TO {duckdb_ident(table.name)}",
    ]


def _alter_column(cat: Catalog, op: d.AlterColumn) -> list[str]:
    table = _require_table(cat, op.table)
    col = table.column(op.column)
    if col is None:
        raise DdlError(f"Column not found in table {table.name}: {op.column}")
    tname, cname = duckdb_ident(table.name), duckdb_ident(col.name)
    stmts: list[str] = []
    if op.restart_counter is not None or op.skip_range is not None or op.no_skip_range:
        return _alter_identity(table, col, op)
    if op.new_definition is not None:
        new = op.new_definition
        new.name = col.name
        if col.identity is not None and new.identity is None:
            new.identity, new.default_duckdb = col.identity, col.default_duckdb
        if cat.dialect == POSTGRESQL:
            new.not_null, new.default = col.not_null, col.default
        if new.stype.scalar.code != col.stype.scalar.code and not (
            {new.stype.scalar.code, col.stype.scalar.code} <= {"STRING", "BYTES"}
        ):
            raise DdlError(
                f"Cannot change the type of column {table.name}.{col.name} from "
                f"{col.stype.code} to {new.stype.code}."
            )
        _check_column(cat, table, new)
        if new.stype.duckdb() != col.stype.duckdb():
            stmts.append(f"ALTER TABLE {tname} ALTER {cname} TYPE {new.stype.duckdb()}")
        if new.not_null and not col.not_null:
            stmts.append(f"ALTER TABLE {tname} ALTER {cname} SET NOT NULL")
        elif col.not_null and not new.not_null:
            stmts.append(f"ALTER TABLE {tname} ALTER {cname} DROP NOT NULL")
        if new.default_duckdb != col.default_duckdb:
            stmts.append(
                f"ALTER TABLE {tname} ALTER {cname} SET DEFAULT ({new.default_duckdb})"
                if new.default_duckdb
                else f"ALTER TABLE {tname} ALTER {cname} DROP DEFAULT"
            )
        table.columns[table.columns.index(col)] = new
        return stmts
    if op.set_default is not None:
        col.default = op.set_default
        _check_column(cat, table, col)
        stmts.append(f"ALTER TABLE {tname} ALTER {cname} SET DEFAULT ({col.default_duckdb})")
    if op.drop_default:
        col.default = col.default_duckdb = None
        stmts.append(f"ALTER TABLE {tname} ALTER {cname} DROP DEFAULT")
    if op.set_not_null is not None:
        col.not_null = op.set_not_null
        stmts.append(
            f"ALTER TABLE {tname} ALTER {cname} {'SET' if op.set_not_null else 'DROP'} NOT NULL"
        )
    if "allow_commit_timestamp" in op.options:
        col.allow_commit_timestamp = op.options["allow_commit_timestamp"].lower() == "true"
        _check_column(cat, table, col)
    return stmts


def _alter_identity(table: Table, col: Column, op: d.AlterColumn) -> list[str]:
    ident = col.identity
    if ident is None:
        raise DdlError(f"Column {table.name}.{col.name} is not an identity column.")
    if op.skip_range is not None:
        ident["skip_range_min"], ident["skip_range_max"] = map(str, op.skip_range)
    if op.no_skip_range:
        ident.pop("skip_range_min", None)
        ident.pop("skip_range_max", None)
    if op.restart_counter is None:
        return []
    # DuckDB sequences cannot be restarted: count on a new one from the given value.
    old = ident["sequence"]
    generation = int(ident.get("generation", "0")) + 1
    seq = identity_sequence_name(table.name, col.name, generation)
    ident["sequence"], ident["generation"] = seq, str(generation)
    col.default_duckdb = _identity_default(seq)
    return [
        f"CREATE SEQUENCE {seq} START WITH {op.restart_counter}",
        f"ALTER TABLE {duckdb_ident(table.name)} ALTER {duckdb_ident(col.name)} "
        f"SET DEFAULT ({col.default_duckdb})",
        f"DROP SEQUENCE {old}",
    ]


def _add_fk(cat: Catalog, op: d.AddForeignKey) -> list[str]:
    table = _require_table(cat, op.table)
    _check_fk(cat, table, op.foreign_key)
    table.foreign_keys.append(op.foreign_key)
    return []


def _add_check(cat: Catalog, op: d.AddCheck) -> list[str]:
    table = _require_table(cat, op.table)
    if cat.name_taken(op.check.name):
        raise DdlError(f"Duplicate name in schema: {op.check.name}.")
    table.checks.append(op.check)
    return []


def _drop_constraint(cat: Catalog, op: d.DropConstraint) -> list[str]:
    table = _require_table(cat, op.table)
    for fk in table.foreign_keys:
        if fk.name.lower() == op.name.lower():
            table.foreign_keys.remove(fk)
            return []
    for chk in table.checks:
        if chk.name.lower() == op.name.lower():
            table.checks.remove(chk)
            return []
    raise DdlError(f"Constraint not found: {op.name}")


def _set_on_delete(cat: Catalog, op: d.SetOnDelete) -> list[str]:
    table = _require_table(cat, op.table)
    if not table.parent:
        raise DdlError(f"Table {table.name} is not interleaved.")
    table.on_delete = op.action
    return []


def _alter_database(cat: Catalog, op: d.AlterDatabase) -> list[str]:
    cat.options.update(op.options)
    return []


def _create_sequence(cat: Catalog, op: d.CreateSequence) -> list[str]:
    if op.name.lower() in cat.sequences and op.if_not_exists:
        return []
    if op.name.lower() in cat.sequences or cat.name_taken(op.name):
        raise DdlError(f"Duplicate name in schema: {op.name}.")
    cat.sequences[op.name.lower()] = {k.lower(): v for k, v in op.options.items()}
    start = int(op.options.get("start_with_counter", "1"))
    return [f"CREATE SEQUENCE {duckdb_ident(op.name.lower())} START WITH {start}"]


def _drop_sequence(cat: Catalog, op: d.DropSequence) -> list[str]:
    if op.name.lower() not in cat.sequences:
        if op.if_exists:
            return []
        raise DdlError(f"Sequence not found: {op.name}")
    del cat.sequences[op.name.lower()]
    return [f"DROP SEQUENCE {duckdb_ident(op.name.lower())}"]


def _create_view(cat: Catalog, op: d.CreateView) -> list[str]:
    existing = cat.views.get(op.name.lower())
    if existing is not None and not op.or_replace:
        raise DdlError(f"Duplicate name in schema: {op.name}.")
    if existing is None and cat.name_taken(op.name):
        raise DdlError(f"Duplicate name in schema: {op.name}.")
    relation_guard.check(op.query, cat.dialect, cat.tables, cat.views)
    tr = translate(op.query, cat.dialect)
    if tr.kind != "query":
        raise DdlError(f"View {op.name} must be defined by a query.")
    for name in tr.tables:
        if name != "*" and cat.table(name) is None and name not in cat.views:
            raise DdlError(f"Table not found: {name}", code=grpc.StatusCode.NOT_FOUND)
    cat.views[op.name.lower()] = View(
        op.name, op.query, op.security, [t for t in tr.tables if t != "*"]
    )
    return [f"CREATE OR REPLACE VIEW {duckdb_ident(op.name)} AS {tr.sql}"]


def _drop_view(cat: Catalog, op: d.DropView) -> list[str]:
    view = cat.views.get(op.name.lower())
    if view is None:
        if op.if_exists:
            return []
        raise DdlError(f"View not found: {op.name}")
    users = [v.name for v in cat.views.values() if op.name.lower() in v.tables]
    if users:
        raise DdlError(
            f"Cannot drop view {view.name} on which there are dependent views: {', '.join(users)}."
        )
    del cat.views[op.name.lower()]
    return [f"DROP VIEW {duckdb_ident(view.name)}"]


def _views_using(cat: Catalog, name: str) -> list[str]:
    return [v.name for v in cat.views.values() if name.lower() in v.tables]


def _proto_types_in_use(cat: Catalog) -> dict[str, str]:
    """Proto type name -> a column that uses it."""
    used: dict[str, str] = {}
    for table in cat.tables.values():
        for col in table.columns:
            if col.stype.scalar.fqn:
                used.setdefault(col.stype.scalar.fqn, f"{table.name}.{col.name}")
    return used


def _proto_bundle(cat: Catalog, op: d.ProtoBundle) -> list[str]:
    if op.action == "CREATE" and cat.proto_types:
        raise DdlError("Proto bundle already exists.")
    if op.action != "CREATE" and not cat.proto_types:
        raise DdlError("Proto bundle does not exist.")
    if op.action == "DROP":
        removed = list(cat.proto_types)
    else:
        removed = list(op.delete)
        for name in op.delete:
            if name not in cat.proto_types:
                raise DdlError(f"Proto type {name} is not in the proto bundle.")
        for name in op.insert:
            if name in cat.proto_types:
                raise DdlError(f"Proto type {name} is already in the proto bundle.")
        for name in op.update:
            if name not in cat.proto_types:
                raise DdlError(f"Proto type {name} is not in the proto bundle.")
    used = _proto_types_in_use(cat)
    for name in removed:
        if name in used:
            raise DdlError(
                f"Cannot remove proto type {name} from the bundle: {used[name]} uses it."
            )
    types = {n: k for n, k in cat.proto_types.items() if n not in removed}
    if op.action != "DROP":
        kept = [n for n in types if n not in op.update]
        descriptors = op.descriptors or base64.b64decode(cat.proto_descriptors)
        resolved = proto_bundle.resolve(kept + op.update + op.insert, descriptors)
        for name, kind in resolved.items():
            if name in used and types.get(name, kind) != kind:
                raise DdlError(f"Cannot change proto type {name} between message and enum.")
        types = {**types, **resolved}
        cat.proto_descriptors = base64.b64encode(descriptors).decode()
    else:
        cat.proto_descriptors = ""
    cat.proto_types = types
    return []


def _noop(cat: Catalog, op: d.NoOp) -> list[str]:
    return []


_APPLY = {
    d.CreateTable: _create_table,
    d.DropTable: _drop_table,
    d.CreateIndex: _create_index,
    d.DropIndex: _drop_index,
    d.AddColumn: _add_column,
    d.DropColumn: _drop_column,
    d.AlterColumn: _alter_column,
    d.AddForeignKey: _add_fk,
    d.AddCheck: _add_check,
    d.DropConstraint: _drop_constraint,
    d.SetOnDelete: _set_on_delete,
    d.AlterDatabase: _alter_database,
    d.CreateSequence: _create_sequence,
    d.CreateView: _create_view,
    d.DropView: _drop_view,
    d.DropSequence: _drop_sequence,
    d.ProtoBundle: _proto_bundle,
    d.NoOp: _noop,
}


def _unique_index_sql(cat: Catalog, table: str) -> tuple[list[str], list[str]]:
    """DuckDB statements that drop and recreate `table`'s unique indexes."""
    drops, creates = [], []
    for ix in cat.indexes_of(table):
        if ix.unique:
            cols = ", ".join(duckdb_ident(k.column) for k in ix.keys)
            drops.append(f"DROP INDEX {duckdb_ident(ix.name)}")
            creates.append(
                f"CREATE UNIQUE INDEX {duckdb_ident(ix.name)} ON {duckdb_ident(ix.table)} ({cols})"
            )
    return drops, creates


def apply(catalog: Catalog, op: d.Operation) -> tuple[Catalog, list[str]]:
    """Validate and apply `op` to a copy of `catalog`; return it and the DuckDB statements."""
    new = copy.deepcopy(catalog)
    stmts = _APPLY[type(op)](new, op)  # type: ignore[operator]
    if isinstance(op, (d.AddColumn, d.DropColumn, d.AlterColumn)) and any(
        s.startswith("ALTER TABLE") for s in stmts
    ):
        # DuckDB refuses to alter a table that has indexes: take them off while it changes.
        drops, _ = _unique_index_sql(catalog, op.table)
        _, creates = _unique_index_sql(new, op.table)
        stmts = [*drops, *stmts, *creates]
    return new, stmts


__all__ = ["apply"]
