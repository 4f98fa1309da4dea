"""What the proxy reads from a statement's text when it is parsed: its statements split and
classified, its highest `$n`, the types its casts give to `$n`.

Pure and light to import (no Spanner client), so that the work, which grows with the text,
can run in a worker process (`text_workers`) for a large statement.
"""

from __future__ import annotations

import re

from .classify import Statement, classify
from .errors import PgError
from .lexer import check_parameter_count, split_statements
from .types import BY_NAME

_CAST = re.compile(
    r"\$(\d+)\s*::\s*(?:pg_catalog\.)?"
    r"(double precision|character varying|timestamp with time zone|timestamp without time zone"
    r"|[A-Za-z_]\w*)(?:\s*\(\s*\d+(?:\s*,\s*\d+)?\s*\))?(\[\])?",
    re.IGNORECASE,
)


def infer_from_casts(sql: str) -> dict[int, int]:
    """`$1::int8`, `$2::timestamptz[]`... → {1: 20, 2: 1185}."""
    out: dict[int, int] = {}
    for m in _CAST.finditer(sql):
        name = m.group(2).strip().lower()
        t = BY_NAME.get(name)
        if t is None:
            continue
        out[int(m.group(1))] = t.array_oid if m.group(3) else t.oid
    return out


def classify_all(sql: str) -> list[Statement]:
    """The statements of a simple Query message, classified ([] when there is none)."""
    statements = split_statements(sql)
    if statements == [""]:
        return []
    return [classify(text) for text in statements]


def analyze_one(sql: str) -> tuple[Statement, int, dict[int, int]]:
    """A Parse message's statement: classified, its highest $n, and the types of its casts."""
    statements = split_statements(sql)
    if len(statements) > 1:
        raise PgError("cannot insert multiple commands into a prepared statement", "42601")
    stmt = classify(statements[0])
    return stmt, check_parameter_count(stmt.sql), infer_from_casts(stmt.sql)
