"""Keeps DuckDB's own catalog out of reach of a client's SQL, in both dialects.

DuckDB resolves names Spanner does not have: its system views (`duckdb_tables`, `sqlite_master`,
its own `pg_catalog` views such as `pg_enum` or `pg_proc`, found unqualified through its search
path), its catalogs and schemas (`system`, `temp`, `main`, the file's catalog, spanner-local's
internal schemas) and its table functions (`duckdb_tables()`, `range()`, `read_csv()` ...).
Answering from those would be a silent wrong answer, so every relation a statement names in a
FROM list is checked here first and refused as Spanner refuses a relation it does not have.
"""

from __future__ import annotations

from collections.abc import Container
from functools import lru_cache

import duckdb

from .errors import InvalidArgument
from .lexer import LexError, Tok, tokenize
from .translate import PG_CATALOG_ALLOWED, pg_catalog_check
from .typemap import GOOGLE_SQL, POSTGRESQL

# DuckDB's built-in catalog and schema names, reachable as qualifiers in any database.
DUCKDB_QUALIFIERS = frozenset({"system", "temp", "main", "memory"})
# spanner-local names its own schemas (information_schema's and pg_catalog's tables, the
# catalog, row versions) with this prefix; Spanner's only schema of that name is SPANNER_SYS.
INTERNAL_PREFIX = "spanner_"
SPANNER_SCHEMAS = frozenset({"spanner_sys"})
# The table functions a client may call, per dialect: UNNEST, and in PostgreSQL
# generate_series (a computation, no catalog; pgadapter's clients and tests use it for bulk
# rows and long queries, and DuckDB's counts inclusively as PostgreSQL's does).
TABLE_FUNCTIONS = {
    GOOGLE_SQL: frozenset({"unnest"}),
    POSTGRESQL: frozenset({"unnest", "generate_series"}),
}
# Words after which the next item of a list at the same depth is no longer a FROM item.
_CLAUSE_WORDS = frozenset(
    {
        "SELECT",
        "FROM",
        "WHERE",
        "GROUP",
        "HAVING",
        "ORDER",
        "LIMIT",
        "OFFSET",
        "WINDOW",
        "QUALIFY",
        "UNION",
        "INTERSECT",
        "EXCEPT",
        "SET",
        "VALUES",
        "RETURNING",
        "WITH",
        "THEN",
    }
)
_RELATION_STARTERS = frozenset({"JOIN", "LATERAL", "TABLE"})  # TABLE x: PostgreSQL
_OPENING = frozenset({"(", "[", "{"})  # braces: GoogleSQL hints, @{A=1, B=2}
_CLOSING = frozenset({")", "]", "}"})


def _lists_relations(prev: Tok | None, clauses: list[str]) -> bool:
    """Whether a FROM starts a FROM list: at the top, in a subquery after its SELECT list or
    first in parentheses (DuckDB's FROM-first form), not in a function's arguments or after
    IS [NOT] DISTINCT."""
    if prev is not None and prev.upper == "DISTINCT":
        return False
    return (
        len(clauses) == 1
        or clauses[-1] in ("SELECT", "FROM")
        or (prev is not None and prev.text == "(")
    )


@lru_cache(maxsize=1)
def duckdb_relations() -> frozenset[str]:
    """Names DuckDB resolves unqualified to its own views (asked of DuckDB itself, so that a new
    DuckDB version's views are covered too)."""
    with duckdb.connect() as conn:
        rows = conn.execute(
            "SELECT view_name FROM duckdb_views() WHERE internal AND database_name = 'system' "
            "AND schema_name IN ('main', 'pg_catalog')"
        ).fetchall()
    return frozenset(r[0].lower() for r in rows)


def _name_of(tok: Tok) -> str | None:
    """A name token's name as the catalog compares it: unquoted ones fold to lower case."""
    if tok.kind == "word":
        return tok.text.lower()
    if tok.kind == "ident":
        return tok.text
    return None


Item = tuple[str, ...] | str


@lru_cache(maxsize=2048)
def relation_items(sql: str, dialect: str) -> tuple[tuple[Item, ...], frozenset[str]]:
    """The FROM items `sql` names (a dotted name as its parts, a call as "name(", a string
    literal as "'"), subqueries included, and the names its WITH clauses define."""
    try:
        toks = tokenize(sql, dialect)
    except LexError:
        return (), frozenset()  # the translator reports the syntax error
    clauses: list[str] = [""]
    items: list[Item] = []
    ctes: set[str] = set()
    expect = False  # the next token starts a FROM item
    i = 0
    while i < len(toks):
        t = toks[i]
        if expect and t.upper == "LATERAL":
            i += 1
            continue
        if expect and t.text == "(":
            clauses.append("FROM")  # a subquery or a parenthesized join
            i += 1
            continue
        if expect and t.kind == "str":
            items.append("'")
        elif expect and _name_of(t) is not None and t.upper not in _CLAUSE_WORDS:
            parts = [_name_of(t) or ""]
            while i + 2 < len(toks) and toks[i + 1].text == "." and _name_of(toks[i + 2]):
                i += 2
                parts.append(_name_of(toks[i]) or "")
            if i + 1 < len(toks) and toks[i + 1].text == "(":
                items.append(".".join(parts) + "(")
            else:
                items.append(tuple(parts))
        expect = False
        if (
            _name_of(t) is not None
            and i + 2 < len(toks)
            and toks[i + 1].upper == "AS"
            and toks[i + 2].text == "("
        ):
            ctes.add((_name_of(t) or "").lower())
        prev = toks[i - 1] if i > 0 else None
        if t.text in _OPENING:
            clauses.append("")
        elif t.text in _CLOSING and len(clauses) > 1:
            clauses.pop()
        elif t.upper == "FROM" and not _lists_relations(prev, clauses):
            pass  # EXTRACT(x FROM d), SUBSTRING(s FROM 2), a IS DISTINCT FROM b
        elif t.upper in _CLAUSE_WORDS:
            clauses[-1] = t.upper
            expect = t.upper == "FROM"
        elif t.upper in _RELATION_STARTERS or (t.text == "," and clauses[-1] == "FROM"):
            expect = True
        i += 1
    return tuple(items), frozenset(ctes)


def _unknown_relation(name: str, dialect: str) -> InvalidArgument:
    if dialect == POSTGRESQL:
        return InvalidArgument(f'relation "{name}" does not exist')
    return InvalidArgument(f"Table not found: {name}")


def _unknown_function(name: str, dialect: str) -> InvalidArgument:
    if dialect == POSTGRESQL:
        return InvalidArgument(f"function {name}() does not exist")
    return InvalidArgument(f"Table-valued function not found: {name}")


def _hidden(qualifier: str, hidden: frozenset[str]) -> bool:
    return qualifier in hidden or (
        qualifier.startswith(INTERNAL_PREFIX) and qualifier not in SPANNER_SCHEMAS
    )


def check(
    sql: str,
    dialect: str,
    *user_relations: Container[str],
) -> None:
    """Raise InvalidArgument when `sql` reads a relation only DuckDB has.

    `user_relations`: the database's tables and views (by lower-case name), which take
    precedence over DuckDB's views of the same name. In the PostgreSQL dialect an unqualified name of a Spanner
    pg_catalog relation means that relation (pg_catalog comes first on the search path)."""
    items, ctes = relation_items(sql, dialect)
    if not items:
        return
    pg = dialect == POSTGRESQL
    hidden = DUCKDB_QUALIFIERS | ({"pg_catalog"} if not pg else frozenset())
    for item in items:
        if item == "'":
            raise InvalidArgument("Syntax error: a string literal is not a table name")
        if isinstance(item, str):
            name = item[:-1]
            if name.lower() not in TABLE_FUNCTIONS[dialect]:
                raise _unknown_function(name, dialect)
            continue
        if any(_hidden(part.lower(), hidden) for part in item[:-1]):
            raise _unknown_relation(".".join(item), dialect)
        if len(item) == 1:
            name = item[0]
            if name.lower() in ctes:
                continue
            if pg and name in PG_CATALOG_ALLOWED:
                pg_catalog_check(name)
            elif name.lower() in duckdb_relations() and not any(
                name.lower() in names for names in user_relations
            ):
                raise _unknown_relation(name, dialect)
