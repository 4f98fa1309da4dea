"""Answers to the PostgreSQL JDBC driver's DatabaseMetaData queries (getSchemas, getTables,
getColumns, getPrimaryKeys, getImportedKeys, getIndexInfo), from the Catalog read out of
information_schema.

pgjdbc builds these from pg_catalog with functions Spanner does not have
(information_schema._pg_expandarray, pg_get_indexdef, pg_get_expr, current_schemas(), pg_settings),
so like PGAdapter they are recognized by their shape and answered here; the filters the driver
puts in (schema and name LIKE patterns, table types) are read from the query text.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from .catalog import FK_COLUMNS_FROM, Catalog, LocalResult, Table
from .settings import DEFAULT_SETTINGS

TEXT, NAME, OID, BOOL, INT2, INT4, INT8, FLOAT4, CHAR = 25, 19, 26, 16, 21, 23, 20, 700, 18

Runner = Callable[[str], list[list[Any]]]


def _norm(sql: str) -> str:
    return re.sub(r"\s+", " ", sql).strip()


def _like(pattern: str | None) -> re.Pattern[str] | None:
    """A LIKE pattern (pgjdbc escapes with backslash) as a regex; None matches everything."""
    if pattern is None:
        return None
    out, i = [], 0
    while i < len(pattern):
        ch = pattern[i]
        if ch == "\\" and i + 1 < len(pattern):
            out.append(re.escape(pattern[i + 1]))
            i += 2
            continue
        out.append(".*" if ch == "%" else "." if ch == "_" else re.escape(ch))
        i += 1
    return re.compile("".join(out), re.S)


def _match(pattern: re.Pattern[str] | None, value: str) -> bool:
    return pattern is None or pattern.fullmatch(value) is not None


def _literal(sql: str, pattern: str) -> str | None:
    m = re.search(pattern + r"\s*(?:E)?'((?:[^']|'')*)'", sql)
    return m.group(1).replace("''", "'") if m else None


def _tables(cat: Catalog, schema: str | None, name: str | None, exact: bool) -> list[Table]:
    if exact:
        return [t for t in cat.tables if schema in (None, t.schema) and name in (None, t.name)]
    sp, np = _like(schema), _like(name)
    return [t for t in cat.tables if _match(sp, t.schema) and _match(np, t.name)]


def _schemas(sql: str, cat: Catalog) -> LocalResult:
    rows = [[s, None] for s in sorted(cat.schemas)]
    return LocalResult([("table_schem", NAME), ("table_catalog", TEXT)], rows)


_TABLE_TYPES = {"r": "TABLE", "v": "VIEW"}


def _get_tables(sql: str, cat: Catalog) -> LocalResult:
    schema = _literal(sql, r"n\.nspname LIKE")
    name = _literal(sql, r"c\.relname LIKE")
    # the requested types: one `OR ( c.relkind = 'x' AND <schema test> )` clause each; user
    # tables and views are those outside pg_*/information_schema
    wanted: set[str] = set()
    typed = "(false OR" in sql
    for kind, rest in re.findall(r"c\.relkind = '(\w)'([^()]*)", sql):
        if "n.nspname !~ '^pg_'" in rest or "n.nspname <> 'pg_catalog'" in rest:
            wanted.add(kind)
    if not typed:
        wanted = {"r", "v", "i"}
    rows: list[list[Any]] = []
    for t in _tables(cat, schema, name, exact=False):
        if t.kind in wanted:
            rows.append([None, t.schema, t.name, _TABLE_TYPES[t.kind], None])
        if "i" in wanted:
            np = _like(name)
            rows += [
                [None, t.schema, ix.name, "INDEX", None] for ix in t.indexes if _match(np, ix.name)
            ]
    rows.sort(key=lambda r: (r[3], r[1], r[2]))
    cols = [
        ("table_cat", TEXT),
        ("table_schem", NAME),
        ("table_name", NAME),
        ("table_type", TEXT),
        ("remarks", TEXT),
    ]
    extra = ["type_cat", "type_schem", "type_name", "self_referencing_col_name", "ref_generation"]
    return LocalResult(cols + [(c, TEXT) for c in extra], [r + [""] * len(extra) for r in rows])


def _get_columns(sql: str, cat: Catalog) -> LocalResult:
    schema = _literal(sql, r"n\.nspname LIKE")
    name = _literal(sql, r"c\.relname LIKE")
    column = _like(_literal(sql, r"attname LIKE"))
    cols = [
        ("nspname", NAME),
        ("relname", NAME),
        ("attname", NAME),
        ("atttypid", OID),
        ("attnotnull", BOOL),
        ("atttypmod", INT4),
        ("attlen", INT2),
        ("typtypmod", INT4),
        ("attnum", INT8),
        ("attidentity", CHAR),
        ("attgenerated", CHAR),
        ("adsrc", TEXT),
        ("description", TEXT),
        ("typbasetype", OID),
        ("typtype", CHAR),
    ]
    from .types import BY_OID

    rows: list[list[Any]] = []
    for t in sorted(_tables(cat, schema, name, exact=False), key=lambda t: (t.schema, t.name)):
        for n, c in enumerate(t.columns, start=1):
            if not _match(column, c.name):
                continue
            length = re.search(r"\((\d+)\)", c.type_text)
            typmod = int(length.group(1)) + 4 if length else -1  # varchar(n): n + VARHDRSZ
            size = BY_OID[c.type_oid].size if c.type_oid in BY_OID else -1
            rows.append(
                [
                    t.schema,
                    t.name,
                    c.name,
                    c.type_oid,
                    c.not_null,
                    typmod,
                    size,
                    -1,
                    n,
                    None,
                    None,
                    c.default,
                    None,
                    0,
                    "b",
                ]
            )
    return LocalResult(cols, rows)


def _get_primary_keys(sql: str, cat: Catalog) -> LocalResult:
    schema = _literal(sql, r"n\.nspname =")
    name = _literal(sql, r"ct\.relname =")
    rows: list[list[Any]] = []
    for t in _tables(cat, schema, name, exact=True):
        for ix in t.indexes:
            if ix.primary:
                rows += [
                    [None, t.schema, t.name, c, k, ix.name] for k, c in enumerate(ix.columns, 1)
                ]
    rows.sort(key=lambda r: (r[2], r[5], r[4]))
    cols = [("table_cat", TEXT), ("table_schem", NAME), ("table_name", NAME)]
    cols += [("column_name", NAME), ("key_seq", INT4), ("pk_name", NAME)]
    return LocalResult(cols, rows)


def _get_index_info(sql: str, cat: Catalog) -> LocalResult:
    schema = _literal(sql, r"n\.nspname =")
    name = _literal(sql, r"ct\.relname =")
    unique_only = "AND i.indisunique" in sql
    rows: list[list[Any]] = []
    for t in _tables(cat, schema, name, exact=True):
        for ix in t.indexes:
            if unique_only and not ix.unique:
                continue
            for pos, c in enumerate(ix.columns, 1):
                rows.append([None, t.schema, t.name, not ix.unique, None, ix.name, 3, pos, c, "A"])
                rows[-1] += [0.0, 0, None]
    rows.sort(key=lambda r: (r[3], r[6], r[5], r[7]))
    cols = [
        ("table_cat", TEXT),
        ("table_schem", NAME),
        ("table_name", NAME),
        ("non_unique", BOOL),
        ("index_qualifier", TEXT),
        ("index_name", NAME),
        ("type", INT4),
        ("ordinal_position", INT4),
        ("column_name", TEXT),
        ("asc_or_desc", TEXT),
        ("cardinality", FLOAT4),
        ("pages", INT4),
        ("filter_condition", TEXT),
    ]
    return LocalResult(cols, rows)


FOREIGN_KEYS_SQL = (
    "SELECT kcu.table_schema, kcu.table_name, rc.constraint_name, kcu.column_name,"
    " kcu.ordinal_position, ukcu.table_schema, ukcu.table_name, ukcu.column_name,"
    " rc.update_rule, rc.delete_rule, rc.unique_constraint_name" + FK_COLUMNS_FROM
)
# DatabaseMetaData.importedKeyCascade... for information_schema's rule names
_RULES = {"CASCADE": 0, "RESTRICT": 1, "SET NULL": 2, "NO ACTION": 3, "SET DEFAULT": 4}


def _foreign_keys(sql: str, cat: Catalog, run: Runner | None) -> LocalResult:
    """getImportedKeys / getExportedKeys / getCrossReference: one query, filtered on the
    foreign-key side (fkn, fkc), the referenced side (pkn, pkc), or both."""
    filters = {
        key: _literal(sql, rf"{alias} =")
        for key, alias in (
            ("fk_schema", r"fkn\.nspname"),
            ("fk_table", r"fkc\.relname"),
            ("pk_schema", r"pkn\.nspname"),
            ("pk_table", r"pkc\.relname"),
        )
    }
    cols = [
        ("pktable_cat", TEXT),
        ("pktable_schem", NAME),
        ("pktable_name", NAME),
        ("pkcolumn_name", NAME),
        ("fktable_cat", TEXT),
        ("fktable_schem", NAME),
        ("fktable_name", NAME),
        ("fkcolumn_name", NAME),
        ("key_seq", INT4),
        ("update_rule", INT4),
        ("delete_rule", INT4),
        ("fk_name", NAME),
        ("pk_name", NAME),
        ("deferrability", INT4),
    ]
    if run is None:
        raise RuntimeError("foreign keys need information_schema: no runner was given")
    rows: list[list[Any]] = []
    for fs, ft, name, fcol, pos, ps, pt, pcol, upd, dele, unique_name in run(FOREIGN_KEYS_SQL):
        row = {"fk_schema": fs, "fk_table": ft, "pk_schema": ps, "pk_table": pt}
        if any(v is not None and row[k] != v for k, v in filters.items()):
            continue
        # the referenced key is the primary key (its index shows as <table>_pkey) or an index
        pk_name = f"{pt}_pkey" if str(unique_name).startswith("PK_") else unique_name
        rows.append(
            [
                None,
                ps,
                pt,
                pcol,
                None,
                fs,
                ft,
                fcol,
                int(pos),
                _RULES.get(str(upd), 3),
                _RULES.get(str(dele), 3),
                name,
                pk_name,
                7,
            ]
        )
    rows.sort(key=lambda r: (r[1], r[2], r[11], r[8]))
    return LocalResult(cols, rows)


def _max_index_keys(sql: str, cat: Catalog) -> LocalResult:
    return LocalResult([("setting", TEXT)], [[DEFAULT_SETTINGS["max_index_keys"]]])


# (how the query starts, after whitespace is normalized) → its answer
SHAPES: tuple[tuple[str, Callable[[str, Catalog], LocalResult]], ...] = (
    ("SELECT nspname AS TABLE_SCHEM, NULL AS TABLE_CATALOG FROM pg_catalog.pg_namespace", _schemas),
    ("SELECT NULL AS TABLE_CAT, n.nspname AS TABLE_SCHEM, c.relname AS TABLE_NAME,", _get_tables),
    ("SELECT * FROM (SELECT n.nspname,c.relname,a.attname,a.atttypid,", _get_columns),
    (
        "SELECT result.TABLE_CAT, result.TABLE_SCHEM, result.TABLE_NAME, result.COLUMN_NAME,",
        _get_primary_keys,
    ),
    ("SELECT tmp.TABLE_CAT, tmp.TABLE_SCHEM, tmp.TABLE_NAME, tmp.NON_UNIQUE,", _get_index_info),
    ("SELECT setting FROM pg_catalog.pg_settings WHERE name='max_index_keys'", _max_index_keys),
)
FOREIGN_KEYS_PREFIX = "SELECT NULL::text AS PKTABLE_CAT, pkn.nspname AS PKTABLE_SCHEM,"


def answer_jdbc_catalog(
    sql: str, cat_provider: Callable[[], Catalog], run: Runner | None = None
) -> LocalResult | None:
    s = _norm(sql)
    if s.startswith(FOREIGN_KEYS_PREFIX):
        return _foreign_keys(s, cat_provider(), run)
    for prefix, answer in SHAPES:
        if s.startswith(prefix):
            return answer(s, cat_provider())
    return None
