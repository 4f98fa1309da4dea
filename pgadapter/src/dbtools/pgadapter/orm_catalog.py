"""Answers to the parameterized pg_catalog queries of ORMs (SQLAlchemy's has_table /
get_table_names), from the Catalog read out of information_schema.

Spanner has no pg_table_is_visible() and only part of pg_class, so these queries cannot go to
Spanner; they are recognized by their shape and evaluated here with their bind values.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from .catalog import FK_COLUMNS_FROM, Catalog, LocalResult, Table, _select_list_names
from .django_catalog import answer_django_catalog
from .errors import PgError
from .jdbc_catalog import answer_jdbc_catalog
from .node_catalog import answer_node_catalog
from .typeorm_catalog import answer_typeorm_catalog

NAME = 19
OID = 26

_RELNAME_SELECT = re.compile(
    r"(?is)^\s*SELECT\s+pg_catalog\.pg_class\.relname\s+FROM\s+pg_catalog\.pg_class\s+JOIN\s+"
    r"pg_catalog\.pg_namespace\b"
)
_OID_RELNAME_SELECT = re.compile(
    r"(?is)^\s*SELECT\s+pg_catalog\.pg_class\.oid,\s*pg_catalog\.pg_class\.relname\s+FROM\s+"
    r"pg_catalog\.pg_class\s+JOIN\s+pg_catalog\.pg_namespace\b"
)
_IN = re.compile(r"(?is)pg_class\.relname\s+IN\s*\(([^)]*)\)")
_NAME_EQ = re.compile(r"(?is)pg_class\.relname\s*=\s*(\$\d+)")  # has_table
_KINDS = re.compile(r"(?is)pg_class\.relkind\s*=\s*ANY\s*\(\s*ARRAY\s*\[([^\]]*)\]")
_SCHEMA = re.compile(r"(?is)pg_namespace\.nspname\s*=\s*\$(\d+)")
_PARAM = re.compile(r"\$(\d+)")


def _values(text: str, params: dict[str, Any]) -> list[Any]:
    return [params.get(f"p{m}") for m in _PARAM.findall(text)]


TEXT, BOOL, JSON = 25, 16, 114
_COLUMNS_SELECT = re.compile(
    r"(?is)^\s*SELECT\s+pg_catalog\.pg_attribute\.attname\s+AS\s+name,\s*"
    r"pg_catalog\.format_type\("
)


def _tables(sql: str, params: dict[str, Any], cat: Catalog) -> list[Table]:
    """The tables a reflection query filters on: relname IN (...) or = ..., relkind = ANY(...),
    the schema (pg_table_is_visible means the search path: public)."""
    names_m = _IN.search(sql) or _NAME_EQ.search(sql)
    names = {str(v) for v in _values(names_m.group(1), params)} if names_m else None
    kinds_m = _KINDS.search(sql)
    kinds = {str(v) for v in _values(kinds_m.group(1), params)} if kinds_m else {"r", "v"}
    schema_m = _SCHEMA.search(sql)
    schema = str(params.get(f"p{schema_m.group(1)}")) if schema_m else "public"
    return sorted(
        (
            t
            for t in cat.tables
            if (t.schema or "public") == schema
            and t.kind in kinds
            and (names is None or t.name in names)
        ),
        key=lambda t: t.name,
    )


_CONSTRAINT_SELECT = re.compile(
    r"(?is)^\s*SELECT\s+attr\.conrelid,\s*array_agg\(.*FROM\s+pg_catalog\.pg_constraint\s+JOIN\s+"
    r"pg_catalog\.pg_index\b"
)
_CONTYPE = re.compile(r"(?is)pg_constraint\.contype\s*=\s*\$(\d+)")
_CONRELID_IN = re.compile(r"(?is)pg_constraint\.conrelid\s+IN\s*\(([^)]*)\)")
_FK_SELECT = re.compile(
    r"(?is)^\s*SELECT\s+pg_catalog\.pg_class\.relname,\s*pg_catalog\.pg_constraint\.conname,"
    r".*pg_get_constraintdef"
)
FK_SQL = (
    "SELECT kcu.table_name, rc.constraint_name, kcu.column_name, ukcu.table_name,"
    " ukcu.column_name, ukcu.table_schema" + FK_COLUMNS_FROM + " WHERE kcu.table_schema = 'public'"
    " ORDER BY kcu.table_name, rc.constraint_name, kcu.ordinal_position"
)


def _quote(name: str) -> str:
    return name if re.fullmatch(r"[a-z_][a-z0-9_$]*", name) else '"' + name.replace('"', '""') + '"'


def foreign_keys(rows: list[list[Any]]) -> dict[str, list[tuple[str, str, str]]]:
    """table → [(constraint name, definition as pg_get_constraintdef prints it, ref schema)]."""
    grouped: dict[tuple[str, str], list[list[Any]]] = {}
    for row in rows:
        grouped.setdefault((str(row[0]), str(row[1])), []).append(row)
    out: dict[str, list[tuple[str, str, str]]] = {}
    for (table, name), items in grouped.items():
        cols = ", ".join(_quote(str(r[2])) for r in items)
        ref_cols = ", ".join(_quote(str(r[4])) for r in items)
        definition = f"FOREIGN KEY ({cols}) REFERENCES {_quote(str(items[0][3]))}({ref_cols})"
        out.setdefault(table, []).append((name, definition, str(items[0][5] or "public")))
    return out


_STRING_LITERAL = re.compile(r"'((?:[^']|'')*)'")
_NUMBER_LIST = re.compile(r"(?i)\bIN\s*\(\s*(\d+(?:\s*,\s*\d+)*)\s*\)")


def literals_as_params(sql: str) -> tuple[str, dict[str, Any]]:
    """The same query with its literals as $n parameters: drivers that interpolate on the
    client (psycopg2) send SQLAlchemy's reflection queries with the values inlined, and this
    module matches the parameterized shape."""
    params: dict[str, Any] = {}

    def bind(value: Any) -> str:
        params[f"p{len(params) + 1}"] = value
        return f"${len(params)}"

    sql = _STRING_LITERAL.sub(lambda m: bind(m.group(1).replace("''", "'")), sql)
    sql = _NUMBER_LIST.sub(
        lambda m: "IN (" + ", ".join(bind(int(v)) for v in m.group(1).split(",")) + ")", sql
    )
    return sql, params


def answer_orm_catalog(
    sql: str,
    params: dict[str, Any] | None,
    cat_provider: Callable[[], Catalog],
    run: Callable[[str], list[list[Any]]] | None = None,
) -> LocalResult | None:
    found = answer_jdbc_catalog(sql, cat_provider, run)
    if found is None:
        found = answer_django_catalog(sql, params, cat_provider, run)
    if found is None:
        found = answer_node_catalog(sql, cat_provider)
    if found is None:
        found = answer_typeorm_catalog(sql, cat_provider, run)
    if found is not None:
        return found
    if not params and not _PARAM.search(sql):
        sql, params = literals_as_params(sql)
    params = params or {}
    rows: list[list[Any]]
    out: list[list[Any]]
    if _CONSTRAINT_SELECT.match(sql):
        # SQLAlchemy's primary key ('p') and unique constraint ('u') reflection: Spanner's
        # unique indexes are not constraints, so only primary keys have rows
        contype_m = _CONTYPE.search(sql)
        contype = str(params.get(f"p{contype_m.group(1)}")) if contype_m else "p"
        oids_m = _CONRELID_IN.search(sql)
        oids = (
            {int(v) for v in _values(oids_m.group(1), params) if v is not None} if oids_m else set()
        )
        cols = [
            ("conrelid", OID),
            ("cols", 1009),
            ("conname", NAME),
            ("description", TEXT),
            ("indnkeyatts", 23),
            ("indnullsnotdistinct", BOOL),
        ]
        out = []
        if contype == "p":
            for t in sorted(cat_provider().tables, key=lambda t: t.oid):
                if t.oid not in oids:
                    continue
                for ix in t.indexes:
                    if ix.primary:
                        out.append(
                            [
                                t.oid,
                                list(ix.columns),
                                f"{t.name}_pkey",
                                None,
                                len(ix.columns),
                                False,
                            ]
                        )
        return LocalResult(cols, out)
    if re.match(
        r"(?is)^\s*SELECT\s+pg_catalog\.pg_am\.oid,\s*pg_catalog\.pg_am\.amname\s+FROM", sql
    ):
        # Spanner indexes are all of one kind: PostgreSQL's btree (OID 403)
        return LocalResult([("oid", OID), ("amname", NAME)], [[403, "btree"]])
    if re.match(
        r"(?is)^\s*SELECT\s+pg_catalog\.pg_index\.indrelid,\s*pg_catalog\.pg_class\.relname,"
        r"\s*pg_catalog\.pg_index\.indisunique",
        sql,
    ):
        return _indexes(sql, params, cat_provider())
    if _FK_SELECT.match(sql) and "nsp_ref" not in sql:
        # check constraints: not reflected (each table listed with none)
        cols = [("relname", NAME), ("conname", NAME), ("src", TEXT), ("description", TEXT)]
        return LocalResult(
            cols, [[t.name, None, None, None] for t in _tables(sql, params, cat_provider())]
        )
    if _FK_SELECT.match(sql) and run is not None:
        fks = foreign_keys(run(FK_SQL))
        cols = [
            ("relname", NAME),
            ("conname", NAME),
            ("condef", TEXT),
            ("nspname", NAME),
            ("description", TEXT),
        ]
        out = []
        for t in _tables(sql, params, cat_provider()):
            table_fks = fks.get(t.name, [])
            if not table_fks:
                out.append([t.name, None, None, None, None])
            for name, definition, ref_schema in sorted(table_fks):
                out.append([t.name, name, definition, ref_schema, None])
        return LocalResult(cols, out)
    if _RELNAME_SELECT.match(sql):
        rows = [[t.name] for t in _tables(sql, params, cat_provider())]
        return LocalResult([("relname", NAME)], rows)
    if re.match(
        r"(?is)^\s*SELECT\s+pg_catalog\.pg_class\.oid,\s*pg_catalog\.pg_class\.relname,"
        r"\s*pg_catalog\.pg_class\.reloptions",
        sql,
    ):
        # table options (storage parameters, access method, tablespace, inheritance): none
        cols = [
            ("oid", OID),
            ("relname", NAME),
            ("reloptions", 1009),
            ("relhasoids", BOOL),
            ("access_method_name", NAME),
            ("tablespace_name", NAME),
            ("parent_table_names", 1009),
        ]
        rows = [
            [t.oid, t.name, None, None, None, None, None]
            for t in _tables(sql, params, cat_provider())
        ]
        return LocalResult(cols, rows)
    if _OID_RELNAME_SELECT.match(sql):
        rows = [[t.oid, t.name] for t in _tables(sql, params, cat_provider())]
        return LocalResult([("oid", OID), ("relname", NAME)], rows)
    if _COLUMNS_SELECT.match(sql):
        # SQLAlchemy's get_multi_columns: one row per column, ordered by table and position
        columns = [
            ("name", NAME),
            ("format_type", TEXT),
            ("default", TEXT),
            ("not_null", BOOL),
            ("table_name", NAME),
            ("comment", TEXT),
            ("generated", TEXT),
            ("identity_options", JSON),
            ("collation", JSON),
        ]
        out = []
        for t in _tables(sql, params, cat_provider()):
            for c in t.columns:
                out.append(
                    [c.name, c.type_text, c.default, c.not_null, t.name, None, "", None, None]
                )
        return LocalResult(columns, out)
    return None


_INDRELID_IN = re.compile(r"(?is)pg_index\.indrelid\s+IN\s*\(([^)]*)\)")


# the columns SQLAlchemy's get_multi_indexes may select (2.0 and 2.1 differ), by name
_INDEX_COLUMN_TYPES = {
    "indrelid": OID,
    "relname": NAME,
    "indisunique": BOOL,
    "indisvalid": BOOL,
    "has_constraint": BOOL,
    "indoption": 22,  # int2vector: text "0 0"
    "reloptions": 1009,
    "relam": OID,
    "amname": NAME,
    "filter_definition": TEXT,
    "indnkeyatts": 23,
    "indnullsnotdistinct": BOOL,
    "elements": 1009,
    "elements_is_expr": 1000,
    "elements_opclass": 1009,
    "elements_opdefault": 1000,
}


def _indexes(sql: str, params: dict[str, Any], cat: Catalog) -> LocalResult:
    """SQLAlchemy's get_multi_indexes: secondary indexes of the tables with the given OIDs,
    with the columns its select list names (in its order)."""
    m = _INDRELID_IN.search(sql)
    oids = {int(v) for v in _values(m.group(1), params) if v is not None} if m else set()
    names = _select_list_names(sql)
    unknown = [n for n in names if n not in _INDEX_COLUMN_TYPES]
    if unknown:
        raise PgError(f"index reflection column {unknown[0]} is not answered by pgadapter", "0A000")
    rows: list[list[Any]] = []
    for t in sorted(cat.tables, key=lambda t: t.oid):
        if t.oid not in oids:
            continue
        for ix in sorted(t.indexes, key=lambda i: i.name):
            if ix.primary:
                continue
            n = len(ix.columns)
            values = {
                "indrelid": t.oid,
                "relname": ix.name,
                "indisunique": ix.unique,
                "indisvalid": True,
                "has_constraint": False,
                "indoption": " ".join(["0"] * n),
                "reloptions": None,
                "relam": 403,
                "amname": "btree",
                "filter_definition": None,
                "indnkeyatts": n,
                "indnullsnotdistinct": False,
                "elements": list(ix.columns),
                "elements_is_expr": [False] * n,
                "elements_opclass": [None] * n,  # Spanner has no operator classes
                "elements_opdefault": [True] * n,
            }
            rows.append([values[name] for name in names])
    return LocalResult([(name, _INDEX_COLUMN_TYPES[name]) for name in names], rows)
