"""Answers to the catalog queries of Node ORMs that Spanner cannot run: Sequelize's showIndex
(pg_index.indkey, array_agg over pg_attribute, pg_get_indexdef), from the Catalog."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from .catalog import Catalog, LocalResult, index_definition

TEXT, NAME, BOOL, INT2VECTOR, INT2_ARRAY, NAME_ARRAY = 25, 19, 16, 22, 1005, 1003


def _norm(sql: str) -> str:
    return re.sub(r"\s+", " ", sql).strip()


def _show_index(sql: str, cat: Catalog) -> LocalResult:
    m = re.search(r"t\.relname = '((?:[^']|'')*)'", sql)
    name = m.group(1).replace("''", "'") if m else None
    cols = [
        ("name", NAME),
        ("primary", BOOL),
        ("unique", BOOL),
        ("indkey", INT2VECTOR),
        ("column_indexes", INT2_ARRAY),
        ("column_names", NAME_ARRAY),
        ("definition", TEXT),
    ]
    rows: list[list[Any]] = []
    for t in cat.tables:
        if t.schema != "public" or t.name != name:
            continue
        positions = {c.name: c.position for c in t.columns}
        # the query aggregates every column of the table per index: Sequelize picks the
        # index's own columns out of them with indkey
        all_pos = [c.position for c in t.columns]
        all_names = [c.name for c in t.columns]
        for ix in sorted(t.indexes, key=lambda i: i.name):
            key = " ".join(str(positions.get(c, 0)) for c in ix.columns)
            rows.append([ix.name, ix.primary, ix.unique, key, all_pos, all_names])
            rows[-1].append(index_definition(t, ix))
    return LocalResult(cols, rows)


def _describe_table(sql: str, cat: Catalog) -> LocalResult:
    """Sequelize's describeTable: information_schema.columns joined with the primary key, and
    pg_enum/pg_description subqueries (no enums or comments on Spanner)."""
    m = re.search(r"c\.table_name = '((?:[^']|'')*)'", sql)
    name = m.group(1).replace("''", "'") if m else None
    sm = re.search(r"c\.table_schema = '((?:[^']|'')*)'", sql)
    schema = sm.group(1).replace("''", "'") if sm else "public"
    cols = [("Constraint", TEXT), ("Field", TEXT), ("Default", TEXT), ("Null", TEXT)]
    cols += [("Type", TEXT), ("special", 1009), ("Comment", TEXT)]
    rows: list[list[Any]] = []
    for t in cat.tables:
        if t.schema != schema or t.name != name:
            continue
        pk = {c for ix in t.indexes if ix.primary for c in ix.columns}
        for c in t.columns:
            # information_schema's data_type: arrays are ARRAY, lengths follow in parentheses
            shown = "ARRAY" if c.type_text.endswith("[]") else c.type_text
            key = "PRIMARY KEY" if c.name in pk else None
            rows.append([key, c.name, c.default, "NO" if c.not_null else "YES", shown, None, None])
    return LocalResult(cols, rows)


SHAPES: tuple[tuple[str, Callable[[str, Catalog], LocalResult]], ...] = (
    (
        "SELECT i.relname AS name, ix.indisprimary AS primary, ix.indisunique AS unique,"
        " ix.indkey AS indkey",
        _show_index,
    ),
    ('SELECT pk.constraint_type as "Constraint",c.column_name as "Field",', _describe_table),
)


def answer_node_catalog(sql: str, cat_provider: Callable[[], Catalog]) -> LocalResult | None:
    s = _norm(sql)
    for prefix, answer in SHAPES:
        if s.startswith(prefix):
            return answer(s, cat_provider())
    return None
