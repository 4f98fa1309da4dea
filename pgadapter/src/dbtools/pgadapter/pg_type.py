"""pg_type as data: the rows PostgreSQL has for the types Spanner's PostgreSQL dialect supports
(and their array types), and answers to the pg_type look-ups drivers make when they connect or
meet a type: psycopg's TypeInfo, the JDBC driver's TypeInfoCache, Ruby pg's basic type maps.

Spanner's own pg_type has no rows the drivers can use for these look-ups (and no pg_proc to join
typinput with), so they are answered here from types.py, the one table of supported types.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from .types import BY_OID, PgType

TEXT, NAME, OID, CHAR, INT2, BOOL = 25, 19, 26, 18, 21, 16


@dataclass(frozen=True)
class TypeRow:
    oid: int
    typname: str
    typelem: int
    typarray: int
    typlen: int
    typcategory: str
    typinput: str  # the input function's name (regproc's text form)
    regtype: str  # oid::regtype::text, as format_type prints it
    typdelim: str = ","


# typname and input function of each supported type, by OID (PostgreSQL's own values)
_NAMES: dict[int, tuple[str, str, str]] = {
    16: ("bool", "boolin", "B"),
    17: ("bytea", "byteain", "U"),
    19: ("name", "namein", "S"),
    20: ("int8", "int8in", "N"),
    21: ("int2", "int2in", "N"),
    23: ("int4", "int4in", "N"),
    25: ("text", "textin", "S"),
    26: ("oid", "oidin", "N"),
    114: ("json", "json_in", "U"),
    700: ("float4", "float4in", "N"),
    701: ("float8", "float8in", "N"),
    705: ("unknown", "unknownin", "X"),
    1042: ("bpchar", "bpcharin", "S"),
    1043: ("varchar", "varcharin", "S"),
    1082: ("date", "date_in", "D"),
    1114: ("timestamp", "timestamp_in", "D"),
    1184: ("timestamptz", "timestamptz_in", "D"),
    1700: ("numeric", "numeric_in", "N"),
    2950: ("uuid", "uuid_in", "U"),
    3802: ("jsonb", "jsonb_in", "U"),
    1186: ("interval", "interval_in", "T"),
}


# Types PostgreSQL has that no Spanner column can be declared with, listed because drivers
# require them by name to build their type maps (Ruby pg's BasicTypeMapForQueries wants inet
# for IPAddr; "char" is the type of catalog columns such as typdelim): oid, typname, input
# function, array oid, typlen, format_type name.
CATALOG_ONLY: tuple[tuple[int, str, str, int, int, str], ...] = (
    (18, "char", "charin", 1002, 1, '"char"'),
    (650, "cidr", "cidr_in", 651, -1, "cidr"),
    (869, "inet", "inet_in", 1041, -1, "inet"),
)


def _rows() -> list[TypeRow]:
    rows: list[TypeRow] = []
    for oid, typname, typinput, array_oid, size, shown in CATALOG_ONLY:
        rows.append(TypeRow(oid, typname, 0, array_oid, size, "I", typinput, shown))
        rows.append(TypeRow(array_oid, "_" + typname, oid, 0, -1, "A", "array_in", shown + "[]"))
    for t in BY_OID.values():
        typname, typinput, category = _NAMES[t.oid]
        rows.append(TypeRow(t.oid, typname, 0, t.array_oid, t.size, category, typinput, t.name))
        if t.array_oid:
            rows.append(
                TypeRow(t.array_oid, "_" + typname, t.oid, 0, -1, "A", "array_in", t.name + "[]")
            )
    return sorted(rows, key=lambda r: r.oid)


TYPES: list[TypeRow] = _rows()
BY_TYPE_OID: dict[int, TypeRow] = {r.oid: r for r in TYPES}
# every spelling a type name can be looked up by: typname, format_type's name, short aliases
_ALIASES = {"int": 23, "integer": 23, "decimal": 1700, "boolean": 16, "char": 1042}


def by_name(name: str) -> TypeRow | None:
    """A type by any of its names (`jsonb`, `bigint`, `_int8`, `text[]`, `pg_catalog.int8`)."""
    key = name.strip().strip('"').lower().removeprefix("pg_catalog.")
    if key.endswith("[]"):
        elem = by_name(key[:-2])
        return BY_TYPE_OID.get(elem.typarray) if elem and elem.typarray else None
    for r in TYPES:
        if key in (r.typname, r.regtype):
            return r
    oid = _ALIASES.get(key)
    return BY_TYPE_OID.get(oid) if oid else None


def element(row: TypeRow) -> PgType | None:
    return BY_OID.get(row.typelem)


# --- the drivers' queries -----------------------------------------------------------------------

Columns = list[tuple[str, int]]


def _norm(sql: str) -> str:
    return re.sub(r"\s+", " ", sql).strip()


def _param(params: dict[str, Any] | None, sql: str, pattern: str) -> Any:
    """The value compared in `pattern` (a regex with one group: `$n` or a quoted literal)."""
    m = re.search(pattern, sql)
    if not m:
        return None
    token = m.group(1)
    if token.startswith("$"):
        return (params or {}).get(f"p{token[1:]}")
    return token.strip("'").replace("''", "'")


_SQLALCHEMY_DOMAINS = (
    "SELECT pg_catalog.pg_type.typname AS name,"
    " pg_catalog.format_type(pg_catalog.pg_type.typbasetype,"
)
_SQLALCHEMY_ENUMS = (
    "SELECT pg_catalog.pg_type.typname AS name,"
    " pg_catalog.pg_type_is_visible(pg_catalog.pg_type.oid) AS visible,"
)


def answer_type_query(
    sql: str, params: dict[str, Any] | None
) -> tuple[Columns, list[list[Any]]] | None:
    """(columns, rows) for a recognized pg_type look-up, else None."""
    s = _norm(sql)
    if "pg_type" not in s:
        return None
    # Ruby pg: every type with its input function's name
    if re.search(r"(?i)FROM pg_type as t JOIN pg_proc as ti ON ti\.oid = t\.typinput", s):
        cols = [("oid", OID), ("typname", NAME), ("typelem", OID), ("typdelim", CHAR)]
        cols.append(("typinput", NAME))
        return cols, [[r.oid, r.typname, r.typelem, r.typdelim, r.typinput] for r in TYPES]
    # SQLAlchemy's reflection of domains and enums: Spanner has neither, so no rows
    if s.startswith(_SQLALCHEMY_DOMAINS):
        cols = [("name", NAME), ("attype", TEXT), ("nullable", BOOL), ("default", TEXT)]
        cols += [("visible", BOOL), ("schema", NAME), ("condefs", 1009), ("connames", 1003)]
        return [*cols, ("collname", NAME)], []
    if s.startswith(_SQLALCHEMY_ENUMS):
        cols = [("name", NAME), ("visible", BOOL), ("schema", NAME), ("labels", 1009)]
        return cols, []
    # Sequelize at connect: every base type with its range type (Spanner has no ranges)
    if re.search(
        r"(?i)FROM pg_range LEFT OUTER JOIN pg_type ON pg_type\.oid = pg_range\.rngtypid", s
    ):
        cols = [("typname", NAME), ("typtype", CHAR), ("oid", OID), ("typarray", OID)]
        cols += [("rngtypname", NAME), ("rngtypid", OID), ("rngtyparray", OID)]
        return cols, [[r.typname, "b", r.oid, r.typarray, None, None, None] for r in TYPES]
    # psycopg 3 TypeInfo.fetch: WHERE t.oid = to_regtype(name)
    if re.search(r"(?i)oid::regtype::text AS regtype", s) and "to_regtype" in s:
        name = _param(params, s, r"(?i)to_regtype\((\$\d+|'(?:[^']|'')*')")
        row = by_name(str(name)) if name is not None else None
        cols = [("name", NAME), ("oid", OID), ("array_oid", OID), ("regtype", TEXT)]
        cols.append(("delimiter", CHAR))
        rows = [[row.typname, row.oid, row.typarray, row.regtype, row.typdelim]] if row else []
        return cols, rows
    # pgjdbc TypeInfoCache.getPGType(name): SELECT pg_type.oid, typname ... WHERE typname = $1
    if s.startswith("SELECT pg_type.oid, typname FROM pg_catalog.pg_type"):
        name = _param(params, s, r"(?i)WHERE typname = (\$\d+|'(?:[^']|'')*')")
        # pgjdbc looks types up by typname exactly ("jsonb", "_int8"), not by alias
        row = next((r for r in TYPES if r.typname == name), None)
        return [("oid", OID), ("typname", NAME)], ([[row.oid, row.typname]] if row else [])
    # pgjdbc getPGType(oid): is it an array, its type and name
    if s.startswith("SELECT typinput='pg_catalog.array_in'::regproc as is_array, typtype, typname"):
        oid = _param(params, s, r"(?i)WHERE pg_type\.oid = (\$\d+|'\d+'|\d+)")
        row = BY_TYPE_OID.get(int(oid)) if oid is not None else None
        cols = [("is_array", BOOL), ("typtype", CHAR), ("typname", NAME), ("oid", OID)]
        return cols, ([[row.typelem != 0, "b", row.typname, row.oid]] if row else [])
    # pgjdbc getArrayDelimiter(oid)
    if re.match(r"(?i)SELECT e\.typdelim FROM pg_catalog\.pg_type t, pg_catalog\.pg_type e", s):
        oid = _param(params, s, r"(?i)WHERE t\.oid = (\$\d+|\d+)")
        row = BY_TYPE_OID.get(int(oid)) if oid is not None else None
        return [("typdelim", CHAR)], ([[","]] if row and row.typelem else [])
    # pgjdbc getPGArrayElement(oid) / getPGArrayType(name)
    if re.match(r"(?i)SELECT e\.oid, n\.nspname = ANY\(current_schemas\(true\)\), n\.nspname", s):
        oid = _param(params, s, r"(?i)WHERE t\.oid = (\$\d+|\d+)")
        row = BY_TYPE_OID.get(int(oid)) if oid is not None else None
        cols = [("oid", OID), ("onpath", BOOL), ("nspname", NAME), ("typname", NAME)]
        elem = BY_TYPE_OID.get(row.typelem) if row and row.typelem else None
        return cols, ([[elem.oid, True, "pg_catalog", elem.typname]] if elem else [])
    return None
