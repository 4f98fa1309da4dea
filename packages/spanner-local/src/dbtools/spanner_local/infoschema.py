"""The information_schema views Spanner offers, computed from the catalog, for each dialect.

Each view is a list of (column, DuckDB type) and rows; the database stores them as tables in
the schema `translate.INFO_SCHEMA` after every schema change.
"""

from __future__ import annotations

from typing import Any

from . import lexer
from .catalog import Catalog, type_sql
from .typemap import PG_CANONICAL, POSTGRESQL

S, N, B = "VARCHAR", "BIGINT", "BOOLEAN"

# view -> columns (name, type); booleans are 'YES'/'NO' strings in the PostgreSQL dialect.
VIEWS: dict[str, list[tuple[str, str]]] = {
    "schemata": [
        ("catalog_name", S),
        ("schema_name", S),
        ("effective_timestamp", N),
        ("schema_owner", S),
    ],
    "tables": [
        ("table_catalog", S),
        ("table_schema", S),
        ("table_name", S),
        ("table_type", S),
        ("parent_table_name", S),
        ("on_delete_action", S),
        ("spanner_state", S),
        ("interleave_type", S),
        ("row_deletion_policy_expression", S),
    ],
    "columns": [
        ("table_catalog", S),
        ("table_schema", S),
        ("table_name", S),
        ("column_name", S),
        ("ordinal_position", N),
        ("column_default", S),
        ("data_type", S),
        ("is_nullable", S),
        ("spanner_type", S),
        ("is_generated", S),
        ("generation_expression", S),
        ("is_stored", S),
        ("spanner_state", S),
        ("character_maximum_length", N),
        ("numeric_precision", N),
        ("is_identity", S),
        ("identity_generation", S),
        ("identity_kind", S),
        ("identity_start_with_counter", S),
        ("identity_skip_range_min", S),
        ("identity_skip_range_max", S),
    ],
    "indexes": [
        ("table_catalog", S),
        ("table_schema", S),
        ("table_name", S),
        ("index_name", S),
        ("index_type", S),
        ("parent_table_name", S),
        ("is_unique", B),
        ("is_null_filtered", B),
        ("index_state", S),
        ("spanner_is_managed", B),
    ],
    "index_columns": [
        ("table_catalog", S),
        ("table_schema", S),
        ("table_name", S),
        ("index_name", S),
        ("index_type", S),
        ("column_name", S),
        ("ordinal_position", N),
        ("column_ordering", S),
        ("is_nullable", S),
        ("spanner_type", S),
    ],
    "table_constraints": [
        ("constraint_catalog", S),
        ("constraint_schema", S),
        ("constraint_name", S),
        ("table_catalog", S),
        ("table_schema", S),
        ("table_name", S),
        ("constraint_type", S),
        ("is_deferrable", S),
        ("initially_deferred", S),
        ("enforced", S),
    ],
    "key_column_usage": [
        ("constraint_catalog", S),
        ("constraint_schema", S),
        ("constraint_name", S),
        ("table_catalog", S),
        ("table_schema", S),
        ("table_name", S),
        ("column_name", S),
        ("ordinal_position", N),
        ("position_in_unique_constraint", N),
    ],
    "constraint_column_usage": [
        ("table_catalog", S),
        ("table_schema", S),
        ("table_name", S),
        ("column_name", S),
        ("constraint_catalog", S),
        ("constraint_schema", S),
        ("constraint_name", S),
    ],
    "referential_constraints": [
        ("constraint_catalog", S),
        ("constraint_schema", S),
        ("constraint_name", S),
        ("unique_constraint_catalog", S),
        ("unique_constraint_schema", S),
        ("unique_constraint_name", S),
        ("match_option", S),
        ("update_rule", S),
        ("delete_rule", S),
        ("spanner_state", S),
    ],
    "views": [
        ("table_catalog", S),
        ("table_schema", S),
        ("table_name", S),
        ("view_definition", S),
        ("security_type", S),
    ],
    "check_constraints": [
        ("constraint_catalog", S),
        ("constraint_schema", S),
        ("constraint_name", S),
        ("check_clause", S),
        ("spanner_state", S),
    ],
}


def _columns_named(table: Any, expression: str, dialect: str) -> list[str]:
    """The table's columns a CHECK expression refers to, in the table's column order."""
    try:
        words = {
            t.text.lower()
            for t in lexer.tokenize(expression, dialect)
            if t.kind in ("word", "ident")
        }
    except lexer.LexError:
        return []
    return [c.name for c in table.columns if c.name.lower() in words]


def pk_name(table: str) -> str:
    return f"PK_{table}"


def build(
    catalog: Catalog, database_id: str
) -> dict[str, tuple[list[tuple[str, str]], list[tuple[Any, ...]]]]:
    pg = catalog.dialect == POSTGRESQL
    cat_name = database_id if pg else ""
    schema = "public" if pg else ""
    is_name = "information_schema" if pg else "INFORMATION_SCHEMA"

    def yn(flag: bool) -> str:
        return "YES" if flag else "NO"

    def boolean(flag: bool) -> Any:
        return yn(flag) if pg else flag

    rows: dict[str, list[tuple[Any, ...]]] = {name: [] for name in VIEWS}
    schemas = (
        ["information_schema", "pg_catalog", "public", "spanner_sys"]
        if pg
        else ["", "INFORMATION_SCHEMA", "SPANNER_SYS"]
    )
    for s in schemas:
        rows["schemata"].append(
            (
                cat_name,
                s,
                None,
                "spanner_system" if pg and s != "public" else ("spanner_admin" if pg else None),
            )
        )

    for view in VIEWS:
        rows["tables"].append(
            (cat_name, is_name, view if pg else view.upper(), "VIEW", None, None, None, None, None)
        )

    for table in catalog.tables.values():
        rows["tables"].append(
            (
                cat_name,
                schema,
                table.name,
                "BASE TABLE",
                table.parent,
                table.on_delete if table.parent else None,
                "COMMITTED",
                "IN PARENT" if table.parent else None,
                None,
            )
        )
        key_cols = {k.column.lower() for k in table.primary_key}
        for pos, col in enumerate(table.columns, start=1):
            if pg:
                data_type = "ARRAY" if col.stype.code == "ARRAY" else PG_CANONICAL[col.stype.code]
            else:
                data_type = None
            rows["columns"].append(
                (
                    cat_name,
                    schema,
                    table.name,
                    col.name,
                    pos,
                    col.default,
                    data_type,
                    yn(not col.not_null),
                    type_sql(col, catalog.dialect),
                    "ALWAYS" if col.generated is not None else "NEVER",
                    col.generated,
                    ("YES" if col.stored else "NO") if col.generated is not None else None,
                    "COMMITTED",
                    col.length if (pg and col.stype.code == "STRING") else None,
                    64
                    if pg and col.stype.code == "INT64"
                    else (53 if pg and col.stype.code == "FLOAT64" else None),
                    *_identity_columns(col.identity, pg),
                )
            )
        # primary key as Spanner reports it: an index, a constraint and key column usage
        parent_name = table.parent or ""
        rows["indexes"].append(
            (
                cat_name,
                schema,
                table.name,
                "PRIMARY_KEY",
                "PRIMARY_KEY",
                parent_name,
                boolean(True),
                boolean(False),
                None,
                boolean(False),
            )
        )
        for pos, key in enumerate(table.primary_key, start=1):
            kcol = table.column(key.column)
            assert kcol is not None
            rows["index_columns"].append(
                (
                    cat_name,
                    schema,
                    table.name,
                    "PRIMARY_KEY",
                    "PRIMARY_KEY",
                    kcol.name,
                    pos,
                    "DESC" if key.desc else "ASC",
                    yn(not kcol.not_null),
                    type_sql(kcol, catalog.dialect),
                )
            )
        rows["table_constraints"].append(
            (
                cat_name,
                schema,
                pk_name(table.name),
                cat_name,
                schema,
                table.name,
                "PRIMARY KEY",
                "NO",
                "NO",
                "YES",
            )
        )
        usage = rows["constraint_column_usage"]
        for key in table.primary_key:
            usage.append(
                (cat_name, schema, table.name, key.column, cat_name, schema, pk_name(table.name))
            )
        for pos, key in enumerate(table.primary_key, start=1):
            rows["key_column_usage"].append(
                (
                    cat_name,
                    schema,
                    pk_name(table.name),
                    cat_name,
                    schema,
                    table.name,
                    key.column,
                    pos,
                    None,
                )
            )
        for col in table.columns:
            if col.not_null:
                cname = f"CK_IS_NOT_NULL_{table.name}_{col.name}"
                rows["table_constraints"].append(
                    (
                        cat_name,
                        schema,
                        cname,
                        cat_name,
                        schema,
                        table.name,
                        "CHECK",
                        "NO",
                        "NO",
                        "YES",
                    )
                )
                rows["check_constraints"].append(
                    (cat_name, schema, cname, f"{col.name} IS NOT NULL", "COMMITTED")
                )
                usage.append((cat_name, schema, table.name, col.name, cat_name, schema, cname))
        for chk in table.checks:
            rows["table_constraints"].append(
                (
                    cat_name,
                    schema,
                    chk.name,
                    cat_name,
                    schema,
                    table.name,
                    "CHECK",
                    "NO",
                    "NO",
                    "YES",
                )
            )
            rows["check_constraints"].append(
                (cat_name, schema, chk.name, chk.expression, "COMMITTED")
            )
            for name in _columns_named(table, chk.expression, catalog.dialect):
                usage.append((cat_name, schema, table.name, name, cat_name, schema, chk.name))
        for fk in table.foreign_keys:
            rows["table_constraints"].append(
                (
                    cat_name,
                    schema,
                    fk.name,
                    cat_name,
                    schema,
                    table.name,
                    "FOREIGN KEY",
                    "NO",
                    "NO",
                    "YES",
                )
            )
            ref = catalog.table(fk.ref_table)
            ref_pk = [k.column.lower() for k in ref.primary_key] if ref else []
            refs_pk = [c.lower() for c in fk.ref_columns] == ref_pk
            unique_name = (
                pk_name(fk.ref_table)
                if refs_pk
                else f"IDX_{fk.ref_table}_{'_'.join(fk.ref_columns)}_U"
            )
            # the columns the key references, and those of the unique index backing them
            used = [(fk.name, c) for c in fk.ref_columns]
            if not refs_pk:
                used += [(unique_name, c) for c in fk.ref_columns]
            for constraint, c in used:
                usage.append((cat_name, schema, fk.ref_table, c, cat_name, schema, constraint))
            for pos, c in enumerate(fk.columns, start=1):
                rows["key_column_usage"].append(
                    (cat_name, schema, fk.name, cat_name, schema, table.name, c, pos, pos)
                )
            rows["referential_constraints"].append(
                (
                    cat_name,
                    schema,
                    fk.name,
                    cat_name,
                    schema,
                    unique_name,
                    "SIMPLE",
                    "NO ACTION",
                    fk.on_delete,
                    "COMMITTED",
                )
            )
        del key_cols

    for user_view in catalog.views.values():
        rows["tables"].append(
            (cat_name, schema, user_view.name, "VIEW", None, None, "COMMITTED", None, None)
        )
        rows["views"].append(
            (cat_name, schema, user_view.name, user_view.query, user_view.security)
        )

    for ix in catalog.indexes.values():
        itable = catalog.table(ix.table)
        if itable is None:
            continue
        rows["indexes"].append(
            (
                cat_name,
                schema,
                ix.table,
                ix.name,
                "INDEX",
                ix.interleave_in or "",
                boolean(ix.unique),
                boolean(ix.null_filtered),
                "READ_WRITE",
                boolean(False),
            )
        )
        for pos, key in enumerate(ix.keys, start=1):
            kcol = itable.column(key.column)
            assert kcol is not None
            rows["index_columns"].append(
                (
                    cat_name,
                    schema,
                    ix.table,
                    ix.name,
                    "INDEX",
                    kcol.name,
                    pos,
                    "DESC" if key.desc else "ASC",
                    yn(not kcol.not_null and not ix.null_filtered),
                    type_sql(kcol, catalog.dialect),
                )
            )
        for name in ix.storing:
            scol = itable.column(name)
            assert scol is not None
            rows["index_columns"].append(
                (
                    cat_name,
                    schema,
                    ix.table,
                    ix.name,
                    "INDEX",
                    scol.name,
                    None,
                    None,
                    yn(not scol.not_null),
                    type_sql(scol, catalog.dialect),
                )
            )

    out = {}
    for view, cols in VIEWS.items():
        shaped = [(c if pg else c.upper(), (S if (pg and t == B) else t)) for c, t in cols]
        out[view if pg else view.upper()] = (shaped, rows[view])
    return out


def _identity_columns(identity: dict[str, str] | None, pg: bool) -> tuple[str | None, ...]:
    """IS_IDENTITY and the IDENTITY_* columns (GoogleSQL fills them; PostgreSQL leaves them)."""
    if identity is None or pg:
        return ("NO", None, None, None, None, None)
    return (
        "YES",
        "BY DEFAULT",
        "BIT_REVERSED_POSITIVE_SEQUENCE",
        identity.get("start_with_counter", "1"),
        identity.get("skip_range_min"),
        identity.get("skip_range_max"),
    )
