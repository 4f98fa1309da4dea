"""Answers to TypeORM's schema reads (PostgresQueryRunner.loadTables, getUserDefinedTypeName),
which `synchronize`, `getTable` and migrations generation make.

TypeORM asks for tables with obj_description(...::regclass), for columns with `columns.*`,
col_description, `::regtype` and format_type over pg_attribute, and for constraints, indexes
and foreign keys through pg_constraint/pg_index/pg_attribute joins with pg_get_constraintdef
and UNNEST of conkey. Spanner has none of these functions or casts, so the queries are
recognized by their shape (TypeORM builds them from fixed text and inlined literals) and
answered from Spanner's information_schema and the catalog snapshot:

- comments: Spanner has no COMMENT ON, so obj_description/col_description are NULL, which is
  what PostgreSQL answers for an object without a comment;
- `columns.*`: the columns Spanner's information_schema.columns has, plus the PostgreSQL ones
  TypeORM reads that Spanner lacks (udt_schema, udt_name, numeric_scale, datetime_precision,
  collation and character set), derived from the column's type;
- constraints, indexes, foreign keys: from information_schema (constraint names as Spanner
  stores them, so that TypeORM sees the names it created).

A query of these shapes whose filter cannot be read is refused (0A000) rather than answered
with fewer rows.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from .catalog import FK_COLUMNS_FROM, Catalog, LocalResult, Table, column_type
from .errors import PgError
from .pg_type import BY_TYPE_OID
from .types import ARRAY_ELEMENT

TEXT, NAME, BOOL, INT4 = 25, 19, 16, 23
Runner = Callable[[str], list[list[Any]]]


def _norm(sql: str) -> str:
    return re.sub(r"\s+", " ", sql).strip()


def _literal(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


_LIT = r"'((?:[^']|'')*)'"


def _pairs(sql: str, schema_col: str, table_col: str) -> list[tuple[str, str]] | None:
    """The (schema, table) pairs of TypeORM's `(schema = 'a' AND table = 'b') OR ...` filter;
    None when the query has no WHERE (every table)."""
    where = re.search(r"(?i)\bWHERE\b(.*)$", sql)
    pattern = rf"\(\s*{re.escape(schema_col)}\s*=\s*{_LIT}\s+AND\s+{re.escape(table_col)}\s*=\s*{_LIT}\s*\)"
    found = [(a.replace("''", "'"), b.replace("''", "'")) for a, b in re.findall(pattern, sql)]
    if where is None:
        return None
    if not found:
        raise PgError(
            "pgadapter answers TypeORM's schema queries filtered by (schema, table) pairs only;"
            f" this filter is not understood: {where.group(1).strip()[:200]}",
            "0A000",
        )
    return found


def _tables_of(cat: Catalog, pairs: list[tuple[str, str]] | None) -> list[Table]:
    wanted = None if pairs is None else set(pairs)
    return [t for t in cat.tables if wanted is None or (t.schema, t.name) in wanted]


def _in_pairs(pairs: list[tuple[str, str]], schema_col: str, table_col: str) -> str:
    return " OR ".join(
        f"({schema_col} = {_literal(s)} AND {table_col} = {_literal(t)})" for s, t in pairs
    )


# --- tables ----------------------------------------------------------------------------------


def _tables(sql: str, cat: Catalog, run: Runner) -> LocalResult:
    pairs = _pairs(sql, '"table_schema"', '"table_name"')
    query = "SELECT table_schema, table_name FROM information_schema.tables"
    if pairs is not None:
        query += " WHERE " + _in_pairs(pairs, "table_schema", "table_name")
    rows = [[schema, name, None] for schema, name in run(query)]
    cols = [("table_schema", NAME), ("table_name", NAME), ("table_comment", TEXT)]
    return LocalResult(cols, rows)


# --- columns ---------------------------------------------------------------------------------

# information_schema.columns as Spanner's PostgreSQL dialect has it (read from Spanner); the
# counts are PostgreSQL's cardinal_number, an integer (node-postgres reads int8 as a string)
_SPANNER_COLUMNS: tuple[tuple[str, int], ...] = (
    ("table_catalog", NAME),
    ("table_schema", NAME),
    ("table_name", NAME),
    ("column_name", NAME),
    ("ordinal_position", INT4),
    ("column_default", TEXT),
    ("is_nullable", TEXT),
    ("data_type", TEXT),
    ("character_maximum_length", INT4),
    ("numeric_precision", INT4),
    ("is_generated", TEXT),
    ("generation_expression", TEXT),
    ("is_identity", TEXT),
    ("identity_generation", TEXT),
    ("spanner_type", TEXT),
)


@dataclass(frozen=True)
class _TypeFacts:
    """What PostgreSQL's information_schema.columns says of a type Spanner lacks columns for."""

    numeric_scale: int | None = None
    datetime_precision: int | None = None


# by element type OID; numeric is unconstrained on Spanner (no precision, no scale)
_FACTS: dict[int, _TypeFacts] = {
    20: _TypeFacts(numeric_scale=0),
    1082: _TypeFacts(datetime_precision=0),
    # timestamptz without a typmod: PostgreSQL reports its default precision, 6
    1184: _TypeFacts(datetime_precision=6),
}
_DERIVED: tuple[tuple[str, int], ...] = (
    ("udt_catalog", NAME),
    ("udt_schema", NAME),
    ("udt_name", NAME),
    ("numeric_scale", INT4),
    ("datetime_precision", INT4),
    ("character_set_name", NAME),
    ("collation_name", NAME),
)


def _derived(catalog_name: str, oid: int) -> list[Any]:
    row = BY_TYPE_OID[oid]
    elem = ARRAY_ELEMENT.get(oid)
    facts = _FACTS.get(elem.oid if elem else oid, _TypeFacts())
    scale = None if elem else facts.numeric_scale
    precision = None if elem else facts.datetime_precision
    # no collation or character set is declared on a Spanner column
    return [catalog_name, "pg_catalog", row.typname, scale, precision, None, None]


def _columns(sql: str, cat: Catalog, run: Runner) -> LocalResult:
    pairs = _pairs(sql, '"table_schema"', '"table_name"')
    names = ", ".join(name for name, _ in _SPANNER_COLUMNS)
    query = f"SELECT {names} FROM information_schema.columns"
    if pairs is not None:
        query += " WHERE " + _in_pairs(pairs, "table_schema", "table_name")
    rows = []
    for values in run(query):
        data_type, max_len, spanner_type = values[7], values[8], values[14]
        found = column_type(str(data_type or ""), spanner_type, max_len)
        if found is None or found[0] not in BY_TYPE_OID:
            raise PgError(
                f"column {values[1]}.{values[2]}.{values[3]} has type"
                f" {spanner_type or data_type}, which pgadapter cannot describe to TypeORM",
                "0A000",
            )
        oid, shown = found
        rows.append(
            [
                *values,
                *_derived(str(values[0]), oid),
                None,  # col_description: Spanner columns carry no comments
                BY_TYPE_OID[oid].regtype,
                shown,
            ]
        )
    cols = [
        *_SPANNER_COLUMNS,
        *_DERIVED,
        ("description", TEXT),
        ("regtype", TEXT),
        ("format_type", TEXT),
    ]
    return LocalResult(list(cols), rows)


_UDT_FILTER = re.compile(
    rf'"table_schema"\s*=\s*{_LIT}\s+AND\s+"table_name"\s*=\s*{_LIT}\s+AND\s+"column_name"\s*=\s*{_LIT}'
)


def _udt(sql: str, cat: Catalog, run: Runner) -> LocalResult:
    """getUserDefinedTypeName: udt_schema and udt_name of one column (typname, `_` for arrays)."""
    m = _UDT_FILTER.search(sql)
    if m is None:
        raise PgError("pgadapter does not understand this udt_name query's filter", "0A000")
    schema, table_name, column_name = (g.replace("''", "'") for g in m.groups())
    rows = [
        ["pg_catalog", BY_TYPE_OID[c.type_oid].typname]
        for table in _tables_of(cat, [(schema, table_name)])
        for c in table.columns
        if c.name == column_name and c.type_oid in BY_TYPE_OID
    ]
    return LocalResult([("udt_schema", NAME), ("udt_name", NAME)], rows)


# --- constraints, indexes, foreign keys ------------------------------------------------------

_KEY_CONSTRAINTS_SQL = (
    "SELECT tc.table_schema, tc.table_name, tc.constraint_name, tc.constraint_type,"
    " kcu.column_name FROM information_schema.table_constraints tc"
    " JOIN information_schema.key_column_usage kcu"
    "  ON kcu.constraint_schema = tc.constraint_schema"
    "  AND kcu.constraint_name = tc.constraint_name"
    " WHERE tc.constraint_type IN ('PRIMARY KEY', 'UNIQUE') AND ({pairs})"
    " ORDER BY tc.table_schema, tc.table_name, tc.constraint_name, kcu.ordinal_position"
)
_CHECKS_SQL = (
    "SELECT tc.table_schema, tc.table_name, tc.constraint_name, cc.check_clause,"
    " ccu.column_name FROM information_schema.table_constraints tc"
    " JOIN information_schema.check_constraints cc"
    "  ON cc.constraint_schema = tc.constraint_schema AND cc.constraint_name = tc.constraint_name"
    " LEFT JOIN information_schema.constraint_column_usage ccu"
    "  ON ccu.constraint_schema = tc.constraint_schema"
    "  AND ccu.constraint_name = tc.constraint_name"
    " WHERE tc.constraint_type = 'CHECK' AND ({pairs})"
    " ORDER BY tc.table_schema, tc.table_name, tc.constraint_name, ccu.column_name"
)
# Spanner lists each NOT NULL as a CHECK constraint; PostgreSQL has them in attnotnull only
_NOT_NULL_CHECK = "CK_IS_NOT_NULL_"
_CONSTRAINT_KINDS = {"PRIMARY KEY": "PRIMARY", "UNIQUE": "UNIQUE"}


def _quote_ident(name: str) -> str:
    return name if re.fullmatch(r"[a-z_][a-z0-9_$]*", name) else '"' + name.replace('"', '""') + '"'


def _constraints(sql: str, cat: Catalog, run: Runner) -> LocalResult:
    pairs = _pairs(sql, '"ns"."nspname"', '"t"."relname"')
    if pairs is None:
        raise PgError("pgadapter answers TypeORM's constraint query per table only", "0A000")
    where = _in_pairs(pairs, "tc.table_schema", "tc.table_name")
    keys = run(_KEY_CONSTRAINTS_SQL.format(pairs=where))
    grouped: dict[tuple[str, str, str], list[str]] = {}
    kinds: dict[tuple[str, str, str], str] = {}
    for schema, table_name, name, kind, column in keys:
        grouped.setdefault((schema, table_name, name), []).append(column)
        kinds[(schema, table_name, name)] = kind
    rows: list[list[Any]] = []
    for key, columns in grouped.items():
        definition = f"{kinds[key]} ({', '.join(_quote_ident(c) for c in columns)})"
        for column in columns:
            rows.append([*key, definition, _CONSTRAINT_KINDS[kinds[key]], column])
    for schema, table_name, name, clause, column in run(_CHECKS_SQL.format(pairs=where)):
        if str(name).startswith(_NOT_NULL_CHECK):
            continue
        rows.append([schema, table_name, name, f"CHECK ({clause})", "CHECK", column])
    cols = [
        ("table_schema", NAME),
        ("table_name", NAME),
        ("constraint_name", NAME),
        ("expression", TEXT),
        ("constraint_type", TEXT),
        ("column_name", NAME),
    ]
    return LocalResult(cols, rows)


_INDEXES_SQL = (
    "SELECT table_schema, table_name, index_name, is_null_filtered"
    " FROM information_schema.indexes"
    " WHERE index_type = 'INDEX' AND spanner_is_managed = false AND ({pairs})"
)


def _yes(value: Any) -> bool:
    return value in (True, "YES", "true", "t")


def _indices(sql: str, cat: Catalog, run: Runner) -> LocalResult:
    """Secondary indexes that back no constraint (Spanner's unique indexes are not constraints),
    one row per key column; a NULL_FILTERED index is a partial index on `col IS NOT NULL`."""
    pairs = _pairs(sql, '"ns"."nspname"', '"t"."relname"')
    if pairs is None:
        raise PgError("pgadapter answers TypeORM's index query per table only", "0A000")
    found = run(_INDEXES_SQL.format(pairs=_in_pairs(pairs, "table_schema", "table_name")))
    null_filtered = {(s, t, i): _yes(nf) for s, t, i, nf in found}
    rows: list[list[Any]] = []
    for table in _tables_of(cat, pairs):
        types = {c.name: c.type_oid for c in table.columns}
        for ix in sorted(table.indexes, key=lambda i: i.name):
            key = (table.schema, table.name, ix.name)
            if ix.primary or key not in null_filtered:
                continue
            condition = (
                " AND ".join(f"({_quote_ident(c)} IS NOT NULL)" for c in ix.columns)
                if null_filtered[key]
                else None
            )
            for column in ix.columns:
                typname = BY_TYPE_OID[types[column]].typname
                unique = "TRUE" if ix.unique else "FALSE"
                rows.append(
                    [table.schema, table.name, ix.name, column, unique, condition, typname, "btree"]
                )
    cols = [
        ("table_schema", NAME),
        ("table_name", NAME),
        ("constraint_name", NAME),
        ("column_name", NAME),
        ("is_unique", TEXT),
        ("condition", TEXT),
        ("type_name", NAME),
        ("index_type", NAME),
    ]
    return LocalResult(cols, rows)


_FOREIGN_KEYS_SQL = (
    "SELECT rc.constraint_name, kcu.table_schema, kcu.table_name, kcu.column_name,"
    " ukcu.table_schema, ukcu.table_name, ukcu.column_name, rc.delete_rule, rc.update_rule"
    + FK_COLUMNS_FROM
    + " WHERE {pairs}"
    " ORDER BY kcu.table_schema, kcu.table_name, rc.constraint_name, kcu.ordinal_position"
)


def _foreign_keys(sql: str, cat: Catalog, run: Runner) -> LocalResult:
    """Foreign keys of the tables named (TypeORM filters the referencing side's schema and
    table under the aliases ns/cl); Spanner's are never deferrable."""
    pairs = _pairs(sql.split(') "con"', 1)[0], '"ns"."nspname"', '"cl"."relname"')
    if pairs is None:
        raise PgError("pgadapter answers TypeORM's foreign key query per table only", "0A000")
    where = _in_pairs(pairs, "kcu.table_schema", "kcu.table_name")
    # the query's columns are TypeORM's first nine, in its order; Spanner's keys are never
    # deferrable
    rows = [
        [*row, False, "INITIALLY IMMEDIATE"] for row in run(_FOREIGN_KEYS_SQL.format(pairs=where))
    ]
    cols = [
        ("constraint_name", NAME),
        ("table_schema", NAME),
        ("table_name", NAME),
        ("column_name", NAME),
        ("referenced_table_schema", NAME),
        ("referenced_table_name", NAME),
        ("referenced_column_name", NAME),
        ("on_delete", TEXT),
        ("on_update", TEXT),
        ("deferrable", BOOL),
        ("deferred", TEXT),
    ]
    return LocalResult(cols, rows)


# TypeORM's query texts start so (whitespace collapsed), whatever tables they name
SHAPES: tuple[tuple[str, Callable[[str, Catalog, Runner], LocalResult]], ...] = (
    (
        'SELECT "table_schema", "table_name", obj_description((\'"\' || "table_schema" ||',
        _tables,
    ),
    ("SELECT columns.*, pg_catalog.col_description((", _columns),
    ('SELECT "udt_schema", "udt_name" FROM "information_schema"."columns" WHERE', _udt),
    (
        'SELECT "ns"."nspname" AS "table_schema", "t"."relname" AS "table_name",'
        ' "cnst"."conname" AS "constraint_name", pg_get_constraintdef(',
        _constraints,
    ),
    (
        'SELECT "ns"."nspname" AS "table_schema", "t"."relname" AS "table_name",'
        ' "i"."relname" AS "constraint_name", "a"."attname" AS "column_name",',
        _indices,
    ),
    (
        'SELECT "con"."conname" AS "constraint_name", "con"."nspname" AS "table_schema",'
        ' "con"."relname" AS "table_name", "att2"."attname" AS "column_name",',
        _foreign_keys,
    ),
)


def answer_typeorm_catalog(
    sql: str, cat_provider: Callable[[], Catalog], run: Runner | None
) -> LocalResult | None:
    s = _norm(sql)
    for prefix, answer in SHAPES:
        if s.startswith(prefix):
            if run is None:
                raise PgError("TypeORM's schema queries need a Spanner connection", "08003")
            return answer(s, cat_provider(), run)
    return None
