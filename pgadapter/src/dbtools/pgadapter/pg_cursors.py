"""The pg_cursors view: the session's open SQL cursors (DECLARE), which only the proxy knows.

psycopg2 asks it before closing a named cursor it never executed
(`SELECT 1 FROM pg_catalog.pg_cursors WHERE name = '...'`); tools list it. A query that reads
only pg_cursors, with an optional `WHERE name = <literal or $n>`, is answered here.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from .catalog import LocalResult
from .errors import PgError

TEXT, BOOL, INT4, TIMESTAMPTZ = 25, 16, 23, 1184

COLUMNS = (
    ("name", TEXT),
    ("statement", TEXT),
    ("is_holdable", BOOL),
    ("is_binary", BOOL),
    ("is_scrollable", BOOL),
    ("creation_time", TIMESTAMPTZ),
)


@dataclass(frozen=True)
class OpenCursor:
    name: str
    statement: str
    holdable: bool
    scrollable: bool


_QUERY = re.compile(
    r"(?is)^\s*SELECT\s+(?P<list>.+?)\s+FROM\s+(?:pg_catalog\.)?pg_cursors\b(?:\s+\w+)?"
    r"(?:\s+WHERE\s+(?:\w+\.)?name\s*=\s*(?P<value>\$\d+|'(?:[^']|'')*'))?\s*;?\s*$"
)


def answer_pg_cursors(
    sql: str, params: dict[str, Any] | None, cursors: list[OpenCursor]
) -> LocalResult | None:
    if "pg_cursors" not in sql:
        return None
    m = _QUERY.match(sql)
    if not m:
        raise PgError(
            "pgadapter answers pg_cursors queries of the form SELECT ... FROM pg_cursors"
            " [WHERE name = ...] only",
            "0A000",
        )
    wanted: str | None = None
    if m.group("value"):
        token = m.group("value")
        if token.startswith("$"):
            wanted = str((params or {}).get(f"p{token[1:]}"))
        else:
            wanted = token[1:-1].replace("''", "'")
    rows = [
        {
            "name": c.name,
            "statement": c.statement,
            "is_holdable": c.holdable,
            "is_binary": False,
            "is_scrollable": c.scrollable,
            "creation_time": None,
        }
        for c in cursors
        if wanted is None or c.name == wanted
    ]
    items = [x.strip() for x in m.group("list").split(",")]
    cols: list[tuple[str, int]] = []
    getters: list[Any] = []
    for item in items:
        if item == "*":
            cols += list(COLUMNS)
            getters += [name for name, _ in COLUMNS]
        elif re.fullmatch(r"\d+", item):
            cols.append(("?column?", INT4))
            getters.append(int(item))
        else:
            name = item.split(".")[-1].strip('"').lower()
            types = dict(COLUMNS)
            if name not in types:
                raise PgError(f'column "{item}" does not exist', "42703")
            cols.append((name, types[name]))
            getters.append(name)
    out = [[r[g] if isinstance(g, str) else g for g in getters] for r in rows]
    return LocalResult(cols, out)
