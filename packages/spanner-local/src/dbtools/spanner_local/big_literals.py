"""Long string literals become query parameters before a statement is parsed.

The SQL parser costs a couple of hundred bytes of memory per character of a literal, and the
translation cache would keep every distinct statement alive. A literal of
`HOIST_MIN_CHARS` or more is therefore cut out of the text and bound as a parameter of the same
value, so the statement that is parsed and cached is short whatever the literal's size.

Only literals whose meaning cannot change are moved: plain (or raw) string literals that stand
where an expression stands. Typed literals (`DATE '...'`, `JSON '...'`), bytes, escape strings
and dollar quoting stay in the text, as do literals with escape sequences in GoogleSQL.
"""

from __future__ import annotations

from typing import Any

from .typemap import POSTGRESQL, SType

HOIST_MIN_CHARS = 1024
PARAM_PREFIX = "sl_literal_"
# Words after which a string literal is an expression operand, not a typed literal's value.
_OPERAND_AFTER = frozenset(
    "SELECT THEN ELSE WHEN AND OR NOT LIKE DISTINCT ALL IN BY RETURN SET VALUES WHERE ON "
    "HAVING CASE IS BETWEEN".split()
)
_STRING = SType("STRING")


def hoist(
    sql: str, dialect: str, values: dict[str, Any], types: dict[str, SType]
) -> tuple[str, dict[str, Any], dict[str, SType]]:
    """`sql` with its long literals replaced by parameters, and the parameters extended."""
    if len(sql) < HOIST_MIN_CHARS:
        return sql, values, types
    pg = dialect == POSTGRESQL
    spans = _pg_literals(sql) if pg else _gsql_literals(sql)
    if not spans:
        return sql, values, types
    values, types = dict(values), dict(types)
    pieces: list[str] = []
    done = 0
    next_pg = 1 + max((int(k[1:]) for k in values if k[:1] == "p" and k[1:].isdigit()), default=0)
    for i, (start, end, value) in enumerate(spans):
        if pg:
            key = f"p{next_pg + i}"
            ref = f"${next_pg + i}"
            # An unknown-typed literal in PostgreSQL: no type, so the context decides.
        else:
            key = f"{PARAM_PREFIX}{i}"
            ref = f"@{key}"
            types[key] = _STRING
        values[key] = value
        pieces += [sql[done:start], ref]
        done = end
    pieces.append(sql[done:])
    return "".join(pieces), values, types


def _operand_position(sql: str, start: int) -> bool:
    """Whether the literal starting at `start` stands as an expression operand."""
    j = start - 1
    while j >= 0 and sql[j].isspace():
        j -= 1
    if j < 0:
        return False
    if not (sql[j].isalnum() or sql[j] == "_"):
        return sql[j] not in ".@$"
    if j == start - 1:
        return False  # a prefix glued to the quote: r'', b'', E'', X'' ...
    k = j
    while k >= 0 and (sql[k].isalnum() or sql[k] == "_"):
        k -= 1
    return sql[k + 1 : j + 1].upper() in _OPERAND_AFTER


def _skip_comment(sql: str, i: int, hash_comments: bool) -> int | None:
    """The index after a comment starting at i, or None if none starts there."""
    if sql.startswith("--", i) or (hash_comments and sql[i] == "#"):
        end = sql.find("\n", i)
        return len(sql) if end < 0 else end + 1
    if sql.startswith("/*", i):
        depth, j = 1, i + 2
        while j < len(sql) and depth:
            if sql.startswith("/*", j) and not hash_comments:  # PostgreSQL nests them
                depth, j = depth + 1, j + 2
            elif sql.startswith("*/", j):
                depth, j = depth - 1, j + 2
            else:
                j += 1
        return j
    return None


def _gsql_literals(sql: str) -> list[tuple[int, int, str]]:
    found = []
    i, n = 0, len(sql)
    while i < n:
        skipped = _skip_comment(sql, i, hash_comments=True)
        if skipped is not None:
            i = skipped
            continue
        c = sql[i]
        if c == "`":
            end = sql.find("`", i + 1)
            i = n if end < 0 else end + 1
            continue
        if c not in "'\"":
            i += 1
            continue
        prefix_end = i
        k = i - 1
        while k >= 0 and sql[k].isalpha():
            k -= 1
        prefix = sql[k + 1 : prefix_end].lower()
        quote = sql[i : i + 3] if sql.startswith(c * 3, i) else c
        j = i + len(quote)
        has_escape = False
        while j < n and not sql.startswith(quote, j):
            if sql[j] == "\\":
                has_escape = True
                j += 1
            j += 1
        end = min(j + len(quote), n)
        body = sql[i + len(quote) : j]
        raw = prefix == "r"
        start = prefix_end - len(prefix) if raw else i
        if (
            len(body) >= HOIST_MIN_CHARS
            and prefix in ("", "r")
            and (raw or not has_escape)
            and j < n
            and _operand_position(sql, start)
        ):
            found.append((start, end, body))
        i = end
    return found


def _pg_literals(sql: str) -> list[tuple[int, int, str]]:
    found = []
    i, n = 0, len(sql)
    while i < n:
        skipped = _skip_comment(sql, i, hash_comments=False)
        if skipped is not None:
            i = skipped
            continue
        c = sql[i]
        if c == '"':
            j = i + 1
            while j < n:
                if sql[j] == '"' and sql.startswith('""', j):
                    j += 2
                elif sql[j] == '"':
                    break
                else:
                    j += 1
            i = j + 1
            continue
        if c == "$" and i + 1 < n and (sql[i + 1] == "$" or sql[i + 1].isalpha()):
            close = sql.find("$", i + 1)
            tag = sql[i : close + 1] if close > 0 else ""
            if tag and all(ch.isalnum() or ch == "_" for ch in tag[1:-1]):
                end = sql.find(tag, close + 1)
                i = n if end < 0 else end + len(tag)
                continue
            i += 1
            continue
        if c != "'":
            i += 1
            continue
        j = i + 1
        parts = []
        while j < n:
            if sql.startswith("''", j):
                parts.append("'")
                j += 2
            elif sql[j] == "'":
                break
            else:
                nxt = sql.find("'", j)
                nxt = n if nxt < 0 else nxt
                parts.append(sql[j:nxt])
                j = nxt
        end = j + 1
        body = "".join(parts)
        after = sql[end:].lstrip()
        if (
            j < n
            and len(body) >= HOIST_MIN_CHARS
            and _operand_position(sql, i)
            and not after.startswith("::")
        ):
            found.append((i, end, body))
        i = end
    return found
