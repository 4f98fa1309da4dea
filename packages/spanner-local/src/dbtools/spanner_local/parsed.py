"""DuckDB statements parsed once and run many times.

DuckDB's Python API has no reusable prepared statements, but it runs a parsed `Statement`
(from `extract_statements`) without parsing the text again: for a point query by key that is a
fifth to a third of DuckDB's work. Applications send the same statement texts again and again
(a translated query differs only in its parameters), so parsed statements are kept by text
and dialect.
A `Statement` is a parse tree that every execution copies, so one can serve every cursor and
thread at once.
"""

from __future__ import annotations

import threading
from typing import Any

import duckdb

# Texts longer than this are not kept: a cache must not keep huge statements alive.
CACHED_SQL_CHARS = 8192
CACHE_SIZE = 4096

# (dialect, text) -> parsed statement, or the text when it is not exactly one statement
# (DuckDB runs such a text statement by statement). Parsing depends on the
# connection's settings (PostgreSQL's integer_division turns `/` into `//` as it parses),
# which database.py sets the same for every database of a dialect: so the dialect is part of
# the key, and the cursor of the statement's own database parses it.
_cache: dict[tuple[str, str], Any] = {}
_lock = threading.Lock()


def statement(cur: duckdb.DuckDBPyConnection, dialect: str, sql: str) -> Any:
    """What to hand `cur.execute` for `sql`: its parsed statement when it parses as one."""
    if len(sql) > CACHED_SQL_CHARS:
        return sql
    key = (dialect, sql)
    found = _cache.get(key)
    if found is not None:
        return found
    try:
        statements = cur.extract_statements(sql)
    except duckdb.Error:
        return sql  # not kept: running the text gives DuckDB's own error, as it always did
    parsed: Any = statements[0] if len(statements) == 1 else sql
    with _lock:
        if len(_cache) >= CACHE_SIZE:
            _cache.pop(next(iter(_cache)))  # the oldest entry
        _cache[key] = parsed
    return parsed
