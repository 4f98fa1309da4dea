"""Answers to Django's PostgreSQL introspection (connection.introspection: table_names,
get_table_description, get_relations, get_constraints), from the Catalog read out of
information_schema and Spanner's foreign keys.

Django filters every one of these with pg_table_is_visible() and reads pg_constraint/pg_index
arrays through unnest(... WITH ORDINALITY), none of which Spanner has; the table name Django
asks about is a bind value, inlined by Django's client-side binding or sent as $1.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from .catalog import Catalog, LocalResult, Table
from .jdbc_catalog import FOREIGN_KEYS_SQL

TEXT, NAME, BOOL, TEXT_ARRAY, NAME_ARRAY = 25, 19, 16, 1009, 1003

Runner = Callable[[str], list[list[Any]]]


def _norm(sql: str) -> str:
    return re.sub(r"\s+", " ", sql).strip()


def _bound(sql: str, params: dict[str, Any] | None, column: str) -> str | None:
    """The value `column = <value>` compares with: a $n bind value or an inlined literal."""
    m = re.search(re.escape(column) + r" = (\$\d+|'(?:[^']|'')*')", sql)
    if not m:
        return None
    token = m.group(1)
    if token.startswith("$"):
        value = (params or {}).get(f"p{token[1:]}")
        return None if value is None else str(value)
    return token[1:-1].replace("''", "'")


def _visible(cat: Catalog, name: str | None) -> list[Table]:
    """pg_table_is_visible: the search path is `public`."""
    return [t for t in cat.tables if t.schema == "public" and name in (None, t.name)]


def _table_list(sql: str, params: dict[str, Any] | None, cat: Catalog, run: Runner) -> LocalResult:
    rows = [[t.name, "v" if t.kind == "v" else "t", None] for t in _visible(cat, None)]
    return LocalResult([("relname", NAME), ("case", TEXT), ("obj_description", TEXT)], rows)


def _description(sql: str, params: dict[str, Any] | None, cat: Catalog, run: Runner) -> LocalResult:
    cols = [
        ("column_name", NAME),
        ("is_nullable", BOOL),
        ("column_default", TEXT),
        ("collation", NAME),
        ("is_autofield", BOOL),
        ("column_comment", TEXT),
    ]
    rows = [
        [c.name, not c.not_null, c.default, None, False, None]
        for t in _visible(cat, _bound(sql, params, "c.relname"))
        for c in t.columns
    ]
    return LocalResult(cols, rows)


def _foreign_keys(run: Runner, table: str) -> dict[str, list[tuple[str, str, str]]]:
    """constraint name → [(column, referenced table, referenced column)] of `table`."""
    out: dict[str, list[tuple[int, str, str, str]]] = {}
    for fs, ft, name, fcol, pos, _ps, pt, pcol, *_ in run(FOREIGN_KEYS_SQL):
        if fs == "public" and ft == table:
            out.setdefault(str(name), []).append((int(pos), str(fcol), str(pt), str(pcol)))
    return {n: [c[1:] for c in sorted(cols)] for n, cols in out.items()}


def _relations(sql: str, params: dict[str, Any] | None, cat: Catalog, run: Runner) -> LocalResult:
    table = _bound(sql, params, "c1.relname") or ""
    rows = [[cols[0][0], cols[0][1], cols[0][2]] for cols in _foreign_keys(run, table).values()]
    return LocalResult([("attname", NAME), ("relname", NAME), ("attname", NAME)], rows)


def _constraints(sql: str, params: dict[str, Any] | None, cat: Catalog, run: Runner) -> LocalResult:
    name = _bound(sql, params, "cl.relname")
    rows: list[list[Any]] = []
    for t in _visible(cat, name):
        for ix in t.indexes:
            if ix.primary:
                rows.append([ix.name, list(ix.columns), "p", None, None])
        for fk_name, cols in sorted(_foreign_keys(run, t.name).items()):
            ref = f"{cols[0][1]}.{cols[0][2]}"
            rows.append([fk_name, [c[0] for c in cols], "f", ref, None])
    columns = [("conname", NAME), ("array", NAME_ARRAY), ("contype", TEXT)]
    return LocalResult([*columns, ("?column?", TEXT), ("reloptions", TEXT_ARRAY)], rows)


def _indexes(sql: str, params: dict[str, Any] | None, cat: Catalog, run: Runner) -> LocalResult:
    name = _bound(sql, params, "c.relname")
    rows: list[list[Any]] = []
    for t in _visible(cat, name):
        for ix in t.indexes:
            n = len(ix.columns)
            rows.append([ix.name, list(ix.columns), ix.unique, ix.primary, ["ASC"] * n, "btree"])
            rows[-1] += [None, None]
    cols = [
        ("indexname", NAME),
        ("array_agg", NAME_ARRAY),
        ("indisunique", BOOL),
        ("indisprimary", BOOL),
        ("array_agg", TEXT_ARRAY),
        ("amname", NAME),
        ("exprdef", TEXT),
        ("attoptions", TEXT_ARRAY),
    ]
    return LocalResult(cols, rows)


Answer = Callable[[str, dict[str, Any] | None, Catalog, Runner], LocalResult]
# (how Django's query starts, whitespace normalized) → its answer
SHAPES: tuple[tuple[str, Answer], ...] = (
    ("SELECT c.relname, CASE WHEN c.relispartition THEN 'p'", _table_list),
    ("SELECT a.attname AS column_name, NOT (a.attnotnull OR", _description),
    ("SELECT a1.attname, c2.relname, a2.attname FROM pg_constraint con", _relations),
    ("SELECT c.conname, array( SELECT attname FROM unnest(c.conkey)", _constraints),
    ("SELECT indexname, array_agg(attname ORDER BY arridx), indisunique", _indexes),
)


def answer_django_catalog(
    sql: str, params: dict[str, Any] | None, cat_provider: Callable[[], Catalog], run: Runner | None
) -> LocalResult | None:
    s = _norm(sql)
    for prefix, answer in SHAPES:
        if s.startswith(prefix):
            if run is None:
                raise RuntimeError("Django introspection needs information_schema: no runner")
            return answer(s, params, cat_provider(), run)
    return None
