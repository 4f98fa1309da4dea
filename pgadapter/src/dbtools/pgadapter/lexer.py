"""The SQL lexer: where strings, quoted identifiers, dollar quotes and comments start and end.

Every scan of SQL text in the proxy (statement splitting, keyword lookup, $n placeholders,
argument lists) goes through `skip`, so that a keyword or a `;` inside a string or a comment is
never taken for structure. Nested block comments (`/* /* */ */`) are handled as PostgreSQL does.
"""

from __future__ import annotations

import re

from .errors import PgError

_DOLLAR = re.compile(r"\$([A-Za-z_][A-Za-z_0-9]*)?\$")
# Quoted text, each matched by the regex engine rather than a Python loop per character (a
# statement may be megabytes). Possessive repeats: an unterminated literal must not match a
# shorter one by backtracking, it runs to the end of the text.
_STRING = re.compile(r"'[^']*+(?:''[^']*+)*+'")
_ESCAPE_STRING = re.compile(r"(?s)'(?:[^'\\]++|\\.|'')*+'")
_IDENTIFIER = re.compile(r'"[^"]*+(?:""[^"]*+)*+"')
_COMMENT_MARK = re.compile(r"/\*|\*/")
# where something `skip` may jump over can start (and `;`, for splitting)
_START = re.compile(r"[-/'\"$]")
_START_OR_SEMICOLON = re.compile(r"[-/'\"$;]")


def skip(sql: str, i: int) -> int:
    """If a string/identifier/comment/dollar quote starts at i, return the index after it."""
    c = sql[i]
    n = len(sql)
    if c == "-" and sql.startswith("--", i):
        j = sql.find("\n", i)
        return n if j < 0 else j + 1
    if c == "/" and sql.startswith("/*", i):
        depth = 1
        for mark in _COMMENT_MARK.finditer(sql, i + 2):
            depth += 1 if mark.group() == "/*" else -1
            if depth == 0:
                return mark.end()
        return n
    if c == "'":
        backslash = (
            i > 0
            and sql[i - 1] in "eE"
            and (i < 2 or not (sql[i - 2].isalnum() or sql[i - 2] == "_"))
        )
        m = (_ESCAPE_STRING if backslash else _STRING).match(sql, i)
        return m.end() if m else n
    if c == '"':
        m = _IDENTIFIER.match(sql, i)
        return m.end() if m else n
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
    while (m := _START_OR_SEMICOLON.search(sql, i)) is not None:
        i = m.start()
        j = skip(sql, i)
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
    while (m := _START.search(sql, i)) is not None:
        i = m.start()
        j = skip(sql, i)
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


def code_only(sql: str, keep_identifiers: bool = False) -> str:
    """The SQL with comments removed and string/identifier contents blanked, for keyword scans
    (`keep_identifiers`: quoted identifiers stay, for scans that read table and column names)."""
    parts: list[str] = []
    i = last = 0
    while (m := _START.search(sql, i)) is not None:
        i = m.start()
        j = skip(sql, i)
        if j != i and keep_identifiers and sql[i] == '"':
            i = j
        elif j != i:
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


_PARAM = re.compile(r"\$(\d+)")


def max_param_index(sql: str) -> int:
    """The highest $n placeholder outside strings and comments."""
    found = [int(m.group(1)) for m in _PARAM.finditer(code_only(sql))]
    return max(found, default=0)


MAX_PARAMETERS = 65_535  # as in PostgreSQL: the protocol counts parameters in 16 bits


def check_parameter_count(sql: str) -> int:
    """The highest $n placeholder, refused (42P02, as PostgreSQL) past 65535 before anything
    is sized by it."""
    highest = max_param_index(sql)
    if highest > MAX_PARAMETERS:
        raise PgError(
            f"there is no parameter ${highest}",
            "42P02",
            hint=f"A statement has at most {MAX_PARAMETERS} parameters.",
        )
    return highest


def split_args(text: str) -> list[str]:
    """Top-level comma-separated expressions (strings, quotes and parentheses respected)."""
    out: list[str] = []
    depth = start = i = 0
    while i < len(text):
        j = skip(text, i)
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
        j = skip(sql, i)
        if j != i:
            i = j
            continue
        m = _PARAM.match(sql, i) if sql[i] == "$" else None
        if m:
            index = int(m.group(1))
            if not 1 <= index <= len(values):
                raise PgError(f"there is no parameter ${index}", "42P02")
            parts.append(sql[last:i])
            parts.append(values[index - 1])
            last = i = m.end()
            continue
        i += 1
    parts.append(sql[last:])
    return "".join(parts)
