"""Splitting SQL strings into statements and classifying each one.

The proxy must know, before sending anything to Spanner, whether a statement is a query, DML,
DDL (which goes through UpdateDatabaseDdl, not ExecuteSql), transaction control, a session
command answered locally, or a catalog query that Spanner cannot answer. The lexer skips
strings, quoted identifiers, dollar quotes and comments so that keywords inside them are
never mistaken for structure.
"""

from __future__ import annotations

import itertools
import re
from dataclasses import dataclass, field
from enum import Enum


class Kind(str, Enum):
    QUERY = "query"
    DML = "dml"
    DDL = "ddl"
    BEGIN = "begin"
    COMMIT = "commit"
    ROLLBACK = "rollback"
    SET = "set"
    SHOW = "show"
    RESET = "reset"
    COPY = "copy"
    START_BATCH = "start_batch"  # START BATCH DDL|DML (PGAdapter)
    RUN_BATCH = "run_batch"
    ABORT_BATCH = "abort_batch"
    PREPARE = "prepare"  # SQL-level PREPARE / EXECUTE
    EXECUTE = "execute"
    DECLARE = "declare"  # cursors
    FETCH = "fetch"
    CLOSE = "close"
    TRUNCATE = "truncate"  # no TRUNCATE in Spanner: a DELETE of every row, as PGAdapter does
    SAVEPOINT = "savepoint"
    RELEASE = "release"
    ROLLBACK_TO = "rollback_to"
    EMPTY = "empty"
    NOOP = "noop"  # accepted and ignored (DISCARD, DEALLOCATE, LISTEN...)
    UNSUPPORTED = "unsupported"


# spanner.ddl_transaction_mode values, as PGAdapter names them (lower-cased)
DDL_MODES = (
    "single",
    "batch",
    "autocommit_implicit_transaction",
    "autocommit_explicit_transaction",
)


_DOLLAR = re.compile(r"\$([A-Za-z_][A-Za-z_0-9]*)?\$")


def _skip(sql: str, i: int) -> int:
    """If a string/identifier/comment/dollar quote starts at i, return the index after it."""
    c = sql[i]
    n = len(sql)
    if c == "-" and sql.startswith("--", i):
        j = sql.find("\n", i)
        return n if j < 0 else j + 1
    if c == "/" and sql.startswith("/*", i):
        depth, j = 1, i + 2
        while j < n and depth:
            if sql.startswith("/*", j):
                depth, j = depth + 1, j + 2
            elif sql.startswith("*/", j):
                depth, j = depth - 1, j + 2
            else:
                j += 1
        return j
    if c == "'":
        backslash = (
            i > 0
            and sql[i - 1] in "eE"
            and (i < 2 or not (sql[i - 2].isalnum() or sql[i - 2] == "_"))
        )
        j = i + 1
        while j < n:
            if backslash and sql[j] == "\\":
                j += 2
                continue
            if sql[j] == "'":
                if sql.startswith("''", j):
                    j += 2
                    continue
                return j + 1
            j += 1
        return n
    if c == '"':
        j = i + 1
        while j < n:
            if sql[j] == '"':
                if sql.startswith('""', j):
                    j += 2
                    continue
                return j + 1
            j += 1
        return n
    if c == "$" and (i == 0 or not (sql[i - 1].isalnum() or sql[i - 1] == "_")):
        m = _DOLLAR.match(sql, i)
        if m:
            end = sql.find(m.group(0), m.end())
            return n if end < 0 else end + len(m.group(0))
    return i


def split_statements(sql: str) -> list[str]:
    """Split on top-level semicolons; empty statements are dropped, except that a string with
    no statement at all yields [""] so the caller can answer EmptyQueryResponse."""
    out: list[str] = []
    start = i = 0
    n = len(sql)
    while i < n:
        j = _skip(sql, i)
        if j != i:
            i = j
            continue
        if sql[i] == ";":
            out.append(sql[start:i])
            start = i + 1
        i += 1
    out.append(sql[start:])
    stmts = [s.strip() for s in out if strip_comments(s).strip()]
    return stmts or [""]


def strip_comments(sql: str) -> str:
    """The SQL with comments replaced by a space (strings kept verbatim)."""
    parts: list[str] = []
    i = last = 0
    n = len(sql)
    while i < n:
        j = _skip(sql, i)
        if j != i:
            if sql.startswith("--", i) or sql.startswith("/*", i):
                parts.append(sql[last:i])
                parts.append(" ")
                last = j
            i = j
        else:
            i += 1
    parts.append(sql[last:])
    return "".join(parts)


def code_only(sql: str) -> str:
    """The SQL with comments removed and string/identifier contents blanked, for keyword scans."""
    parts: list[str] = []
    i = last = 0
    n = len(sql)
    while i < n:
        j = _skip(sql, i)
        if j != i:
            parts.append(sql[last:i])
            parts.append(" " if sql[i] in "-/" else sql[i] * 2)
            last = i = j
        else:
            i += 1
    parts.append(sql[last:])
    return "".join(parts)


_WORD = re.compile(r"[A-Za-z_][A-Za-z_0-9]*")


def words(sql: str, limit: int = 8) -> list[str]:
    """The first keywords of a statement, upper-cased (comments and leading parens skipped)."""
    return [w.upper() for w in _WORD.findall(code_only(sql))[:limit]]


@dataclass
class Statement:
    sql: str
    kind: Kind
    tag: str  # CommandComplete tag (without row count)
    words: list[str] = field(default_factory=list)
    returning: bool = False
    read_only: bool | None = None  # BEGIN READ ONLY / READ WRITE
    not_local: bool = False  # known not to be answerable without Spanner (set by the connection)


_DDL_FIRST = {"CREATE", "ALTER", "DROP", "ANALYZE", "GRANT", "REVOKE", "COMMENT", "RENAME"}
_NOOP = {
    "DISCARD": "DISCARD ALL",
    "DEALLOCATE": "DEALLOCATE",
    "LISTEN": "LISTEN",
    "UNLISTEN": "UNLISTEN",
    "NOTIFY": "NOTIFY",
    "VACUUM": "VACUUM",
    "CHECKPOINT": "CHECKPOINT",
    "LOAD": "LOAD",
}
_QUERY_FIRST = {"SELECT", "WITH", "VALUES", "TABLE", "EXPLAIN"}
_DML_FIRST = {"INSERT": "INSERT", "UPDATE": "UPDATE", "DELETE": "DELETE"}
_DDL_TAG_SKIP = {
    "UNIQUE",
    "OR",
    "REPLACE",
    "IF",
    "NOT",
    "EXISTS",
    "CONCURRENTLY",
    "TEMP",
    "TEMPORARY",
}


def _ddl_tag(ws: list[str]) -> str:
    if ws[0] in ("ANALYZE", "GRANT", "REVOKE", "COMMENT"):
        return ws[0]
    rest = [w for w in ws[1:] if w not in _DDL_TAG_SKIP]
    if rest[:2] == ["CHANGE", "STREAM"]:
        return f"{ws[0]} CHANGE STREAM"
    return f"{ws[0]} {rest[0]}" if rest else ws[0]


def classify(sql: str) -> Statement:
    ws = words(sql)
    if not ws:
        return Statement(sql, Kind.EMPTY, "", ws)
    first = ws[0]
    if first in _QUERY_FIRST:
        code = code_only(sql).upper()
        if first == "WITH":
            for dml in _DML_FIRST:
                if re.search(rf"\)\s*{dml}\b", code):
                    return Statement(
                        sql, Kind.DML, _DML_FIRST[dml], ws, returning="RETURNING" in code
                    )
        return Statement(sql, Kind.QUERY, "SELECT", ws)
    if first in _DML_FIRST:
        code = code_only(sql).upper()
        return Statement(
            sql, Kind.DML, _DML_FIRST[first], ws, returning=bool(re.search(r"\bRETURNING\b", code))
        )
    if ws[:2] == ["START", "BATCH"]:
        return Statement(sql, Kind.START_BATCH, "START BATCH", ws)
    if ws[:2] == ["RUN", "BATCH"]:
        return Statement(sql, Kind.RUN_BATCH, "RUN BATCH", ws)
    if ws[:2] == ["ABORT", "BATCH"]:
        return Statement(sql, Kind.ABORT_BATCH, "ABORT BATCH", ws)
    if first == "PREPARE" and ws[1:2] != ["TRANSACTION"]:
        return Statement(sql, Kind.PREPARE, "PREPARE", ws)
    if first == "EXECUTE":
        return Statement(sql, Kind.EXECUTE, "EXECUTE", ws)
    if first == "DECLARE":
        return Statement(sql, Kind.DECLARE, "DECLARE CURSOR", ws)
    if first in ("FETCH", "MOVE"):
        return Statement(sql, Kind.FETCH, first, ws)
    if first == "CLOSE":
        return Statement(sql, Kind.CLOSE, "CLOSE CURSOR", ws)
    if first == "COPY":
        return Statement(sql, Kind.COPY, "COPY", ws)
    if first == "TRUNCATE":
        return Statement(sql, Kind.TRUNCATE, "TRUNCATE TABLE", ws)
    if first in _DDL_FIRST:
        return Statement(sql, Kind.DDL, _ddl_tag(ws), ws)
    if first in ("BEGIN", "START"):
        if first == "START" and ws[1:2] != ["TRANSACTION"]:
            return Statement(sql, Kind.UNSUPPORTED, first, ws)
        return Statement(sql, Kind.BEGIN, "BEGIN", ws, read_only=_access_mode(ws))
    if first in ("COMMIT", "END"):
        return Statement(sql, Kind.COMMIT, "COMMIT", ws)
    if first in ("ROLLBACK", "ABORT"):
        if "TO" in ws[:3]:
            return Statement(sql, Kind.ROLLBACK_TO, "ROLLBACK", ws)
        return Statement(sql, Kind.ROLLBACK, "ROLLBACK", ws)
    if first == "SAVEPOINT":
        return Statement(sql, Kind.SAVEPOINT, "SAVEPOINT", ws)
    if first == "RELEASE":
        return Statement(sql, Kind.RELEASE, "RELEASE", ws)
    if first == "SET":
        if ws[1:2] == ["TRANSACTION"] or ws[1:3] == ["SESSION", "CHARACTERISTICS"]:
            return Statement(sql, Kind.SET, "SET", ws, read_only=_access_mode(ws))
        return Statement(sql, Kind.SET, "SET", ws)
    if first == "RESET":
        return Statement(sql, Kind.RESET, "RESET", ws)
    if first == "SHOW":
        return Statement(sql, Kind.SHOW, "SHOW", ws)
    if first in _NOOP:
        return Statement(sql, Kind.NOOP, _NOOP[first] if first == "DISCARD" else first, ws)
    return Statement(sql, Kind.UNSUPPORTED, first, ws)


def _access_mode(ws: list[str]) -> bool | None:
    for a, b in itertools.pairwise(ws):
        if a == "READ" and b == "ONLY":
            return True
        if a == "READ" and b == "WRITE":
            return False
    return None


_PARAM = re.compile(r"\$(\d+)")


_TRUNCATE = re.compile(r"(?is)^\s*TRUNCATE\s+(?:TABLE\s+)?(?:ONLY\s+)?(.*?)\s*;?\s*$")


def truncate_targets(sql: str) -> list[str]:
    """The tables of `TRUNCATE [TABLE] [ONLY] a, b [RESTART IDENTITY] [CASCADE]`."""
    m = _TRUNCATE.match(strip_comments(sql))
    body = m.group(1) if m else ""
    body = re.sub(r"(?i)\s+(RESTART|CONTINUE)\s+IDENTITY\b|\s+(CASCADE|RESTRICT)\s*$", "", body)
    return [t.strip() for t in body.split(",") if t.strip()]


def max_param_index(sql: str) -> int:
    """The highest $n placeholder outside strings and comments."""
    found = [int(m.group(1)) for m in _PARAM.finditer(code_only(sql))]
    return max(found, default=0)


def split_args(text: str) -> list[str]:
    """Top-level comma-separated expressions (strings, quotes and parentheses respected)."""
    out: list[str] = []
    depth = start = i = 0
    while i < len(text):
        j = _skip(text, i)
        if j != i:
            i = j
            continue
        c = text[i]
        if c in "([":
            depth += 1
        elif c in ")]":
            depth -= 1
        elif c == "," and depth == 0:
            out.append(text[start:i].strip())
            start = i + 1
        i += 1
    if text[start:].strip():
        out.append(text[start:].strip())
    return out


def substitute_params(sql: str, values: list[str]) -> str:
    """Replace $n placeholders outside strings and comments by SQL expressions (EXECUTE)."""
    parts: list[str] = []
    i = last = 0
    while i < len(sql):
        j = _skip(sql, i)
        if j != i:
            i = j
            continue
        m = _PARAM.match(sql, i) if sql[i] == "$" else None
        if m:
            index = int(m.group(1))
            if not 1 <= index <= len(values):
                from .errors import PgError

                raise PgError(f"there is no parameter ${index}", "42P02")
            parts.append(sql[last:i])
            parts.append(values[index - 1])
            last = i = m.end()
            continue
        i += 1
    parts.append(sql[last:])
    return "".join(parts)
