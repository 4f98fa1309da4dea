"""pg_catalog emulation: the catalog queries PostgreSQL tools send, answered locally.

Spanner's PostgreSQL dialect has information_schema but only part of pg_catalog, and none of the
functions psql's backslash commands call (pg_get_userbyid, format_type, pg_get_indexdef...).
The proxy reads information_schema once per connection (again after DDL) into a `Catalog`
snapshot and answers from it:

- psql's `\\l`, `\\dt`/`\\di`/`\\dv`, `\\dn` and `\\d NAME` queries, recognized by their shape;
- catalog reads whose answer is always empty on Spanner (policies, triggers, inheritance,
  publications, extended statistics...), answered with no rows;
- FROM-less SELECTs of session functions (`version()`, `current_schema()`,
  `current_setting('x')`, `current_database()`...) and `SHOW`.

Anything else is sent to Spanner unchanged. Relation OIDs are synthesized from names, stable for
the life of the process.

Over 800 lines because every answer reads the same `Catalog` snapshot and the recognised query
shapes are kept together, so that what the proxy answers locally can be read in one place; the
ORM-specific answers live in `orm_catalog`.
"""

from __future__ import annotations

import re
import zlib
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from .lexer import code_only, strip_comments
from .pg_type import answer_type_query
from .settings import SERVER_VERSION, lookup_setting
from .types import BY_NAME, BY_OID

OWNER = "spanner"
HIDDEN_SCHEMAS = {"information_schema", "pg_catalog", "spanner_sys"}

TEXT, NAME, OID, BOOL, INT4, INT8, CHAR = 25, 19, 26, 16, 23, 20, 18


@dataclass
class LocalResult:
    columns: list[tuple[str, int]]
    rows: list[list[Any]]
    tag: str = "SELECT"


@dataclass
class Column:
    name: str
    type_oid: int
    type_text: str  # as format_type() shows it, e.g. "character varying(20)"
    not_null: bool
    default: str | None
    position: int


@dataclass
class Index:
    name: str
    oid: int
    unique: bool
    primary: bool
    columns: list[str]
    storing: list[str] = field(default_factory=list)  # STORING columns (no key position)


@dataclass
class Table:
    schema: str
    name: str
    oid: int
    kind: str  # "r" table, "v" view
    columns: list[Column] = field(default_factory=list)
    indexes: list[Index] = field(default_factory=list)


@dataclass
class Catalog:
    database: str
    schemas: list[str]
    tables: list[Table]

    def relation(self, oid: int) -> tuple[Table, Index | None] | None:
        for t in self.tables:
            if t.oid == oid:
                return t, None
            for ix in t.indexes:
                if ix.oid == oid:
                    return t, ix
        return None


def rel_oid(*parts: str) -> int:
    """A stable synthetic OID above PostgreSQL's reserved range."""
    return 100_000 + zlib.crc32(".".join(parts).encode()) % 1_000_000_000


# --- loading from information_schema ---------------------------------------------------------

Runner = Callable[[str], list[list[Any]]]

_TABLES_SQL = (
    "SELECT table_schema, table_name, table_type FROM information_schema.tables "
    "WHERE table_schema NOT IN ('information_schema', 'pg_catalog', 'spanner_sys')"
)
_COLUMNS_SQL = (
    "SELECT table_schema, table_name, column_name, ordinal_position, data_type, is_nullable, "
    "column_default, character_maximum_length, spanner_type FROM information_schema.columns "
    "WHERE table_schema NOT IN ('information_schema', 'pg_catalog', 'spanner_sys')"
)
_COLUMNS_SQL_PLAIN = _COLUMNS_SQL.replace(", spanner_type", ", NULL")
_INDEXES_SQL = (
    "SELECT table_schema, table_name, index_name, index_type, is_unique "
    "FROM information_schema.indexes "
    "WHERE table_schema NOT IN ('information_schema', 'pg_catalog', 'spanner_sys')"
)
_INDEX_COLUMNS_SQL = (
    "SELECT table_schema, table_name, index_name, column_name, ordinal_position "
    "FROM information_schema.index_columns "
    "WHERE table_schema NOT IN ('information_schema', 'pg_catalog', 'spanner_sys') "
    "ORDER BY table_schema, table_name, index_name, ordinal_position"
)
_SCHEMAS_SQL = "SELECT schema_name FROM information_schema.schemata"


def column_type(data_type: str, spanner_type: str | None, max_len: Any) -> tuple[int, str] | None:
    """(OID, format_type text) of an information_schema column's type; None when the type
    name is not one the proxy knows."""
    text = (spanner_type or data_type or "").strip().lower()
    is_array = text.endswith("[]") or data_type.upper() == "ARRAY"
    base = text[:-2] if text.endswith("[]") else text
    m = re.match(r"([a-z ]+?)\s*(\((\d+)\))?$", base)
    base_name = m.group(1) if m else base
    t = BY_NAME.get(base_name)
    if t is None:
        return None
    shown = t.name
    length = (m.group(3) if m and m.group(3) else None) or (str(max_len) if max_len else None)
    if length and t.oid == 1043:
        shown += f"({length})"
    if is_array:
        return t.array_oid, shown + "[]"
    return t.oid, shown


def _type_of(data_type: str, spanner_type: str | None, max_len: Any) -> tuple[int, str]:
    # the snapshot lists a column of a type it does not know as character varying
    return (
        column_type(data_type, spanner_type, max_len)
        or column_type("character varying", None, max_len)
        or (1043, "character varying")
    )


def load_catalog(run: Runner, database: str) -> Catalog:
    """Read information_schema through `run` (one SQL string → rows) into a Catalog."""
    tables: dict[tuple[str, str], Table] = {}
    for schema, name, ttype in run(_TABLES_SQL):
        kind = "v" if str(ttype).upper() == "VIEW" else "r"
        tables[(schema, name)] = Table(schema, name, rel_oid(schema, name), kind)
    try:
        col_rows = run(_COLUMNS_SQL)
    except Exception:
        col_rows = run(_COLUMNS_SQL_PLAIN)
    for schema, tname, cname, pos, dtype, nullable, default, max_len, sp_type in col_rows:
        table = tables.get((schema, tname))
        if table is None:
            continue
        oid, shown = _type_of(str(dtype or ""), sp_type, max_len)
        table.columns.append(
            Column(cname, oid, shown, str(nullable).upper() == "NO", default, int(pos or 0))
        )
    for t in tables.values():
        t.columns.sort(key=lambda c: c.position)
    index_cols: dict[tuple[str, str, str], list[str]] = {}
    storing: dict[tuple[str, str, str], list[str]] = {}
    try:
        for schema, tname, iname, cname, pos in run(_INDEX_COLUMNS_SQL):
            # information_schema lists STORING columns with no ordinal position
            into = index_cols if pos is not None else storing
            into.setdefault((schema, tname, iname), []).append(cname)
        for schema, tname, iname, itype, unique in run(_INDEXES_SQL):
            table = tables.get((schema, tname))
            if table is None:
                continue
            primary = str(itype).upper() == "PRIMARY_KEY"
            shown = f"{tname}_pkey" if primary else iname
            table.indexes.append(
                Index(
                    shown,
                    rel_oid(schema, tname, shown),
                    primary or unique in (True, "YES", "true", "t"),
                    primary,
                    index_cols.get((schema, tname, iname), []),
                    storing.get((schema, tname, iname), []),
                )
            )
    except Exception:  # a backend without information_schema.indexes: tables still list
        pass
    try:
        schemas = sorted({r[0] for r in run(_SCHEMAS_SQL)} - HIDDEN_SCHEMAS)
    except Exception:
        schemas = sorted({t.schema for t in tables.values()} | {"public"})
    ordered = sorted(tables.values(), key=lambda t: (t.schema, t.name))
    return Catalog(database, schemas, ordered)


# --- psql's backslash commands ---------------------------------------------------------------


def _norm(sql: str) -> str:
    return re.sub(r"\s+", " ", sql).strip()


_RELNAME_PATTERN = re.compile(r"c\.relname OPERATOR\(pg_catalog\.~\) '(.*?)' COLLATE")
_NSPNAME_PATTERN = re.compile(r"n\.nspname OPERATOR\(pg_catalog\.~\) '(.*?)' COLLATE")
_OID_EQ = re.compile(r"(?:c\.oid|a\.attrelid|\w+\.?\w*relid) = '(\d+)'")


def _pattern_match(pattern: str | None, value: str) -> bool:
    if pattern is None:
        return True
    try:
        return re.search(pattern.replace("''", "'"), value) is not None
    except re.error:
        return False


def _visible(t_schema: str, has_schema_pattern: bool) -> bool:
    return has_schema_pattern or t_schema == "public"


_RELKIND_NAMES = {"r": "table", "v": "view", "i": "index"}


def _list_relations(sql: str, cat: Catalog) -> LocalResult:
    kinds_m = re.search(r"c\.relkind IN \(([^)]*)\)", sql)
    kinds = set(re.findall(r"'(\w)'", kinds_m.group(1))) if kinds_m else {"r", "v", "i"}
    name_pat = _RELNAME_PATTERN.search(sql)
    nsp_pat = _NSPNAME_PATTERN.search(sql)
    aliases = re.findall(r'(?i)\bAS "([^"]+)"', sql)
    rows: list[list[Any]] = []
    for t in cat.tables:
        if not _visible(t.schema, nsp_pat is not None):
            continue
        if nsp_pat and not _pattern_match(nsp_pat.group(1), t.schema):
            continue
        rels: list[tuple[str, str, str]] = []
        if t.kind in kinds:
            rels.append((t.name, t.kind, ""))
        if "i" in kinds:
            rels += [(ix.name, "i", t.name) for ix in t.indexes]
        for name, kind, parent in rels:
            if name_pat and not _pattern_match(name_pat.group(1), name):
                continue
            values = {
                "Schema": t.schema,
                "Name": name,
                "Type": _RELKIND_NAMES[kind],
                "Owner": OWNER,
                "Table": parent,
                "Persistence": "permanent",
                "Access method": "btree" if kind == "i" else ("" if kind == "v" else "heap"),
                "Size": "0 bytes",
                "Description": None,
            }
            rows.append([values.get(a) for a in aliases])
    rows.sort(key=lambda r: (r[0], r[1]))
    return LocalResult(
        [(a, NAME if a in ("Schema", "Name", "Owner", "Table") else TEXT) for a in aliases], rows
    )


def _list_schemas(sql: str, cat: Catalog) -> LocalResult:
    aliases = re.findall(r'(?i)\bAS "([^"]+)"', sql)
    pat = _NSPNAME_PATTERN.search(sql)
    rows = []
    for s in cat.schemas:
        if s.startswith("pg_") or not _pattern_match(pat.group(1) if pat else None, s):
            continue
        values = {"Name": s, "Owner": OWNER, "Access privileges": None, "Description": None}
        rows.append([values.get(a) for a in aliases])
    return LocalResult([(a, NAME if a in ("Name", "Owner") else TEXT) for a in aliases], rows)


def _list_databases(sql: str, cat: Catalog, databases: list[str]) -> LocalResult:
    aliases = re.findall(r'(?i)\bAS "([^"]+)"', sql)
    rows = []
    for db in databases:
        values = {
            "Name": db,
            "Owner": OWNER,
            "Encoding": "UTF8",
            "Collate": "C",
            "Ctype": "C",
            "ICU Locale": None,
            "Locale Provider": "libc",
            "Access privileges": None,
            "Size": "0 bytes",
            "Tablespace": "pg_default",
            "Description": None,
        }
        rows.append([values.get(a) for a in aliases])
    return LocalResult([(a, NAME if a in ("Name", "Owner") else TEXT) for a in aliases], rows)


def _describe_lookup(sql: str, cat: Catalog) -> LocalResult:
    name_pat = _RELNAME_PATTERN.search(sql)
    nsp_pat = _NSPNAME_PATTERN.search(sql)
    rows: list[list[Any]] = []
    for t in cat.tables:
        if not _visible(t.schema, nsp_pat is not None):
            continue
        if nsp_pat and not _pattern_match(nsp_pat.group(1), t.schema):
            continue
        for name, oid in [(t.name, t.oid)] + [(ix.name, ix.oid) for ix in t.indexes]:
            if name_pat is None or _pattern_match(name_pat.group(1), name):
                rows.append([oid, t.schema, name])
    rows.sort(key=lambda r: (r[1], r[2]))
    return LocalResult([("oid", OID), ("nspname", NAME), ("relname", NAME)], rows)


def _describe_table_info(oid: int, cat: Catalog) -> LocalResult:
    cols = [
        ("relchecks", 21),
        ("relkind", CHAR),
        ("relhasindex", BOOL),
        ("relhasrules", BOOL),
        ("relhastriggers", BOOL),
        ("relrowsecurity", BOOL),
        ("relforcerowsecurity", BOOL),
        ("relhasoids", BOOL),
        ("relispartition", BOOL),
        ("?column?", TEXT),
        ("reltablespace", OID),
        ("reloftype", TEXT),
        ("relpersistence", CHAR),
        ("relreplident", CHAR),
        ("amname", NAME),
    ]
    found = cat.relation(oid)
    if found is None:
        return LocalResult(cols, [])
    table, index = found
    kind = "i" if index else table.kind
    row = [
        0,
        kind,
        bool(table.indexes) and index is None,
        False,
        False,
        False,
        False,
        False,
        False,
        "",
        0,
        "",
        "p",
        "d",
        "btree" if index else ("heap" if kind == "r" else None),
    ]
    return LocalResult(cols, [row])


def _describe_columns(sql: str, oid: int, cat: Catalog) -> LocalResult:
    if "indexdef" in sql:  # `\d index`: the index's key columns
        cols = [("attname", NAME), ("format_type", TEXT), ("is_key", TEXT), ("indexdef", TEXT)]
    else:
        cols = [
            ("attname", NAME),
            ("format_type", TEXT),
            ("pg_get_expr", TEXT),
            ("attnotnull", BOOL),
            ("attcollation", NAME),
            ("attidentity", CHAR),
            ("attgenerated", CHAR),
        ]
    extra = [] if "indexdef" in sql else [col for key, col in _ATTRIBUTE_EXTRAS if key in sql]
    found = cat.relation(oid)
    rows: list[list[Any]] = []
    if found is not None:
        table, index = found
        by_name = {c.name: c for c in table.columns}
        if index is not None:
            for cname in index.columns:
                c = by_name.get(cname)
                rows.append([cname, c.type_text if c else "unknown", "yes", cname])
        else:
            for c in table.columns:
                row = [c.name, c.type_text, c.default, c.not_null, None, "", ""]
                for name, _ in extra:
                    row.append(_attribute_extra(name, c))
                rows.append(row)
    return LocalResult(cols + extra, rows)


# `\d+`: more pg_attribute columns, in the order psql asks for them
_ATTRIBUTE_EXTRAS = (
    ("a.attstorage", ("attstorage", CHAR)),
    ("attcompression", ("attcompression", CHAR)),
    ("attstattarget", ("attstattarget", INT4)),
    ("col_description", ("col_description", TEXT)),
)


def _attribute_extra(name: str, column: Column) -> Any:
    if name == "attstorage":
        t = BY_OID.get(column.type_oid)
        return "p" if t is not None and t.size > 0 else "x"
    if name == "attcompression":
        return ""
    return None


def index_definition(table: Table, index: Index) -> str:
    unique = "UNIQUE " if index.unique else ""
    cols = ", ".join(index.columns)
    return f"CREATE {unique}INDEX {index.name} ON {table.schema}.{table.name} USING btree ({cols})"


def _describe_indexes(oid: int, cat: Catalog) -> LocalResult:
    cols = [
        ("relname", NAME),
        ("indisprimary", BOOL),
        ("indisunique", BOOL),
        ("indisclustered", BOOL),
        ("indisvalid", BOOL),
        ("pg_get_indexdef", TEXT),
        ("pg_get_constraintdef", TEXT),
        ("contype", CHAR),
        ("condeferrable", BOOL),
        ("condeferred", BOOL),
        ("indisreplident", BOOL),
        ("reltablespace", OID),
    ]
    found = cat.relation(oid)
    rows: list[list[Any]] = []
    if found is not None and found[1] is None:
        table = found[0]
        for ix in sorted(table.indexes, key=lambda i: (not i.primary, i.name)):
            condef = f"PRIMARY KEY ({', '.join(ix.columns)})" if ix.primary else None
            rows.append(
                [
                    ix.name,
                    ix.primary,
                    ix.unique,
                    False,
                    True,
                    index_definition(table, ix),
                    condef,
                    "p" if ix.primary else None,
                    False,
                    False,
                    False,
                    0,
                ]
            )
    return LocalResult(cols, rows)


def _index_owner_info(oid: int, cat: Catalog) -> LocalResult:
    """psql `\\d index`: the footer query about the index and its table."""
    cols = [
        ("indisunique", BOOL),
        ("indisprimary", BOOL),
        ("indisclustered", BOOL),
        ("indisvalid", BOOL),
        ("condeferrable", BOOL),
        ("condeferred", BOOL),
        ("indisreplident", BOOL),
        ("indnullsnotdistinct", BOOL),
        ("amname", NAME),
        ("relname", NAME),
        ("pg_get_expr", TEXT),
    ]
    found = cat.relation(oid)
    if found is None or found[1] is None:
        return LocalResult(cols, [])
    table, ix = found
    assert ix is not None
    row = [
        ix.unique,
        ix.primary,
        False,
        True,
        False,
        False,
        False,
        False,
        "btree",
        table.name,
        None,
    ]
    return LocalResult(cols, [row])


# Catalog relations that are always empty on Spanner; a query reading only these gets no rows.
EMPTY_RELATIONS = {
    "pg_policy",
    "pg_statistic_ext",
    "pg_publication",
    "pg_publication_rel",
    "pg_publication_namespace",
    "pg_inherits",
    "pg_trigger",
    "pg_rewrite",
    "pg_rules",
    "pg_event_trigger",
    "pg_extension",
    "pg_foreign_table",
    "pg_foreign_server",
    "pg_foreign_data_wrapper",
    "pg_user_mapping",
    "pg_subscription",
    "pg_largeobject_metadata",
    "pg_enum",
    "pg_range",
    "pg_depend",
    "pg_description",
    "pg_shdescription",
    "pg_sequence",
    "pg_aggregate",
    "pg_language",
    "pg_cast",
    "pg_conversion",
    "pg_opclass",
    "pg_operator",
    "pg_collation",
    "pg_auth_members",
    "pg_seclabel",
    "pg_init_privs",
    "pg_default_acl",
    "pg_matviews",  # Spanner has views but no materialized views
}
_FROM_RELATION = re.compile(
    r"(?i)(?:\b(?:FROM|JOIN)\s+(?:pg_catalog\.)?(pg_\w+))|(?:pg_catalog\.(pg_\w+)\b(?!\s*\())"
)
# quoted, as ORMs write them (TypeORM: FROM "pg_matviews"): only for the always-empty rule
_FROM_QUOTED_RELATION = re.compile(r'(?i)\b(?:FROM|JOIN)\s+(?:"pg_catalog"\.)?"(pg_\w+)"')


def _select_list_names(sql: str) -> list[str]:
    """Column names of a SELECT's top-level select list (alias or last identifier)."""
    code = strip_comments(sql)
    m = re.match(r"(?is)\s*SELECT\s+(?:DISTINCT\s+)?(.*?)\s+FROM\s", code)
    body = m.group(1) if m else ""
    items, depth, start = [], 0, 0
    for i, ch in enumerate(body):
        if ch == "(":
            depth += 1
        elif ch == ")":
            depth -= 1
        elif ch == "," and depth == 0:
            items.append(body[start:i])
            start = i + 1
    items.append(body[start:])
    names = []
    for item in items:
        item = item.strip()
        alias = re.search(r'(?i)\bAS\s+("?)(\w+)\1\s*$', item)
        ident = re.findall(r"[A-Za-z_]\w*", item)
        names.append(alias.group(2) if alias else (ident[-1] if ident else "?column?"))
    return names or ["?column?"]


def answer_catalog(
    sql: str, cat_provider: Callable[[], Catalog], databases: Callable[[], list[str]]
) -> LocalResult | None:
    """A local answer to a catalog query, or None when it should go to Spanner."""
    if "pg_" not in sql:
        return None
    s = _norm(sql)
    if "FROM pg_catalog.pg_database d" in s and '"Name"' in s:
        return _list_databases(s, cat_provider(), databases())
    if "FROM pg_catalog.pg_namespace n" in s and '"Name"' in s and "pg_class" not in s:
        return _list_schemas(s, cat_provider())
    if "FROM pg_catalog.pg_class c" in s and re.search(r'(?i)c\.relname as "Name"', s):
        return _list_relations(s, cat_provider())
    if s.startswith("SELECT c.oid, n.nspname, c.relname FROM pg_catalog.pg_class c"):
        return _describe_lookup(s, cat_provider())
    oid_m = _OID_EQ.search(s)
    oid = int(oid_m.group(1)) if oid_m else None
    if oid is not None:
        if s.startswith("SELECT c.relchecks, c.relkind"):
            return _describe_table_info(oid, cat_provider())
        if s.startswith("SELECT a.attname") and "FROM pg_catalog.pg_attribute a" in s:
            return _describe_columns(s, oid, cat_provider())
        if s.startswith("SELECT c2.relname, i.indisprimary"):
            return _describe_indexes(oid, cat_provider())
        if s.startswith("SELECT i.indisunique, i.indisprimary"):
            return _index_owner_info(oid, cat_provider())
    relations = {(a or b).lower() for a, b in _FROM_RELATION.findall(s)}
    aliases = re.findall(r'(?i)\bAS "([^"]+)"', s)
    if len(aliases) >= 2 and relations and all(r.startswith("pg_") for r in relations):
        # another psql backslash command (\\dT, \\df, \\dx...): about objects Spanner does
        # not have, so an empty listing under psql's own column titles
        return LocalResult([(a, TEXT) for a in dict.fromkeys(aliases)], [])
    read = relations | {r.lower() for r in _FROM_QUOTED_RELATION.findall(s)}
    if (
        read
        and read <= EMPTY_RELATIONS | {"pg_class", "pg_namespace", "pg_attribute", "pg_roles"}
        and read & EMPTY_RELATIONS
    ):
        return LocalResult([(n, TEXT) for n in _select_list_names(sql)], [])
    if (
        relations
        and relations <= {"pg_type", "pg_namespace"}
        and re.search(r"(?i)hstore|to_regtype|typname\s*=", s)
    ):
        # type look-ups by name (psycopg TypeInfo, SQLAlchemy's hstore probe): Spanner has
        # no user-defined types, so the answer is "no such type"
        return LocalResult([(n, TEXT) for n in _select_list_names(sql)], [])
    return None


# --- driver type introspection ----------------------------------------------------------------

TYPNAMES: dict[int, str] = {
    16: "bool",
    17: "bytea",
    18: "char",
    19: "name",
    20: "int8",
    21: "int2",
    23: "int4",
    25: "text",
    26: "oid",
    114: "json",
    700: "float4",
    701: "float8",
    705: "unknown",
    1042: "bpchar",
    1043: "varchar",
    1082: "date",
    1114: "timestamp",
    1184: "timestamptz",
    1700: "numeric",
    2950: "uuid",
    3802: "jsonb",
}
_ASYNCPG_TYPEINFO_COLUMNS = [
    ("oid", OID),
    ("ns", NAME),
    ("name", NAME),
    ("kind", CHAR),
    ("basetype", OID),
    ("elemtype", OID),
    ("elemdelim", CHAR),
    ("range_subtype", OID),
    ("attrtypoids", 1028),
    ("attrnames", 1009),
    ("depth", INT4),
    ("basetype_name", TEXT),
    ("elemtype_name", TEXT),
    ("range_subtype_name", TEXT),
]


def _type_rows(oids: list[int]) -> list[list[Any]]:
    from .types import ARRAY_ELEMENT

    rows: list[list[Any]] = []
    seen: set[int] = set()
    for oid in oids:
        elem = ARRAY_ELEMENT.get(oid)
        if elem is not None and oid not in seen:
            seen.add(oid)
            rows.append(
                [
                    oid,
                    "pg_catalog",
                    "_" + TYPNAMES.get(elem.oid, elem.name),
                    "b",
                    None,
                    elem.oid,
                    ",",
                    None,
                    None,
                    None,
                    0,
                    None,
                    elem.name,
                    None,
                ]
            )
            if elem.oid not in seen:
                seen.add(elem.oid)
                rows.append(
                    [
                        elem.oid,
                        "pg_catalog",
                        TYPNAMES.get(elem.oid, elem.name),
                        "b",
                        None,
                        0,
                        None,
                        None,
                        None,
                        None,
                        1,
                        None,
                        None,
                        None,
                    ]
                )
        elif oid in TYPNAMES and oid not in seen:
            seen.add(oid)
            rows.append(
                [
                    oid,
                    "pg_catalog",
                    TYPNAMES[oid],
                    "b",
                    None,
                    0,
                    None,
                    None,
                    None,
                    None,
                    0,
                    None,
                    None,
                    None,
                ]
            )
    rows.sort(key=lambda r: -r[10])
    return rows


def answer_with_params(sql: str, params: dict[str, Any] | None) -> LocalResult | None:
    """Parameterized catalog queries drivers send (asyncpg's type introspection, the pg_type
    look-ups of psycopg, pgjdbc and Ruby pg)."""
    typed = answer_type_query(sql, params)
    if typed is not None:
        return LocalResult(*typed)
    if "typeinfo_tree" in sql and "pg_type" in sql:
        wanted = (params or {}).get("p1") or []
        oids = [int(o) for o in wanted if o is not None]
        return LocalResult(list(_ASYNCPG_TYPEINFO_COLUMNS), _type_rows(oids))
    return None


# Foreign keys column by column: each referencing column (kcu) beside the referenced one (ukcu)
# at the same position, for the client families' foreign key queries
FK_COLUMNS_FROM = (
    " FROM information_schema.referential_constraints rc"
    " JOIN information_schema.key_column_usage kcu"
    "  ON kcu.constraint_name = rc.constraint_name AND kcu.constraint_schema = rc.constraint_schema"
    " JOIN information_schema.key_column_usage ukcu"
    "  ON ukcu.constraint_name = rc.unique_constraint_name"
    "  AND ukcu.constraint_schema = rc.unique_constraint_schema"
    "  AND ukcu.ordinal_position = kcu.position_in_unique_constraint"
)


# --- session functions ------------------------------------------------------------------------


@dataclass
class SessionInfo:
    database: str
    user: str
    pid: int
    settings: dict[str, str]
    # SET name = value with the session's rules (set_config); None: read-only use
    assign: Callable[[str, str], None] | None = None
    # the same for SET LOCAL (set_config(..., true)): until the transaction block ends
    assign_local: Callable[[str, str], None] | None = None


_SET_CONFIG = re.compile(
    r"(?is)\s*(?:pg_catalog\.)?set_config\(\s*'([^']+)'\s*,\s*'((?:[^']|'')*)'\s*,\s*"
    r"(true|false)\s*\)\s*"
)


def _set_config(expr: str, info: SessionInfo) -> tuple[str, Any, int] | None:
    """set_config(name, value, is_local): SET [LOCAL] name = value; the new value is the
    answer (outside a transaction block a local value ends with the statement)."""
    m = _SET_CONFIG.fullmatch(expr)
    if not m:
        return None
    from .errors import PgError
    from .settings import canonical_name, parse_setting

    local = m.group(3).lower() == "true"
    assign = info.assign_local if local else info.assign
    if assign is None:
        raise PgError("set_config is not allowed here", "0A000")
    name = canonical_name(m.group(1))
    value = m.group(2).replace("''", "'")
    assign(name, value)
    return ("set_config", parse_setting(name, value)[0], TEXT)


def version_string() -> str:
    return f"PostgreSQL {SERVER_VERSION} (dbtools-pgadapter on Cloud Spanner)"


def _function_value(expr: str, info: SessionInfo) -> tuple[str, Any, int] | None:
    if "set_config" in expr.lower():
        return _set_config(expr, info)
    e = re.sub(r"\s+", "", expr).lower().replace("pg_catalog.", "")
    simple: dict[str, tuple[str, Any, int]] = {
        "version()": ("version", version_string(), TEXT),
        "current_schema()": ("current_schema", "public", NAME),
        "current_schema": ("current_schema", "public", NAME),
        "current_database()": ("current_database", info.database, NAME),
        "current_catalog": ("current_catalog", info.database, NAME),
        "current_user": ("current_user", info.user, NAME),
        "session_user": ("session_user", info.user, NAME),
        "user": ("user", info.user, NAME),
        "current_role": ("current_role", info.user, NAME),
        "pg_backend_pid()": ("pg_backend_pid", info.pid, INT4),
        "pg_is_in_recovery()": ("pg_is_in_recovery", False, BOOL),
        "current_schemas(true)": ("current_schemas", ["pg_catalog", "public"], 1003),
        "current_schemas(false)": ("current_schemas", ["public"], 1003),
    }
    if e in simple:
        return simple[e]
    m = re.fullmatch(r"current_setting\('([^']+)'(?:,(?:true|false))?\)", e)
    if m:
        value = lookup_setting(info.settings, m.group(1))
        if value is None and ",true" not in e:
            from .errors import PgError

            raise PgError(f'unrecognized configuration parameter "{m.group(1)}"', "42704")
        return ("current_setting", value, TEXT)
    return None


def answer_function_select(sql: str, info: SessionInfo) -> LocalResult | None:
    """`SELECT version()`, `select current_setting('x') AS y, current_schema()`... with no FROM."""
    code = code_only(sql).strip().rstrip(";")
    from_m = re.fullmatch(r"(?is)\s*SELECT\s+\*\s+FROM\s+((?:pg_catalog\.)?\w+\s*\(\s*\))", code)
    if from_m:
        # a function in FROM (TypeORM: `SELECT * FROM current_schema()`): one row, one column
        # named after the function
        value = _function_value(from_m.group(1), info)
        return None if value is None else LocalResult([(value[0], value[2])], [[value[1]]])
    m = re.fullmatch(r"(?is)\s*SELECT\s+(.+)", code)
    if not m or re.search(r"(?i)\b(FROM|WHERE|UNION)\b", code):
        return None
    items, depth, start = [], 0, 0
    body = sql.strip().rstrip(";")
    body = body[re.match(r"(?is)\s*SELECT\s+", body).end() :]  # type: ignore[union-attr]
    for i, ch in enumerate(body):
        if ch == "(":
            depth += 1
        elif ch == ")":
            depth -= 1
        elif ch == "," and depth == 0:
            items.append(body[start:i])
            start = i + 1
    items.append(body[start:])
    cols: list[tuple[str, int]] = []
    row: list[Any] = []
    for item in items:
        item = item.strip()
        am = re.fullmatch(r'(?is)(.*\)|[\w.]+)\s+(?:AS\s+)?("?)([A-Za-z_]\w*)\2', item)
        expr, alias = (am.group(1), am.group(3)) if am else (item, None)
        value = _function_value(expr, info)
        if value is None:
            return None
        name, v, oid = value
        cols.append((alias or name, oid))
        row.append(v)
    return LocalResult(cols, [row])


__all__ = [
    "BY_OID",
    "Catalog",
    "LocalResult",
    "answer_catalog",
    "answer_function_select",
    "load_catalog",
]
