"""A small SQL lexer: just enough to find comments and the place where a comment can go.

It knows the quoting rules that decide whether `--`, `/*`, `#` or `;` are really what they look
like: standard '' strings, PostgreSQL E'' strings, $tag$ dollar quotes and nested block
comments (`/* a /* b */ c */` is one comment there), MySQL backslash escapes, backtick
identifiers and `#` comments, SQLite [bracket] identifiers. Everything here is
pure and cheap; results for short statements are cached because applications repeat them.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

__all__ = ["Comment", "dialect_family", "find_comments", "insert_position"]

# Each family: the pieces that can hide comment markers (skipped whole), complete comments, and
# openers that were never closed (then we cannot tell where the statement ends).
_STD_STRING = r"'(?:[^']|'')*'"
_STD_IDENT = r'"(?:[^"]|"")*"'
_BACKTICK = r"`(?:[^`]|``)*`"
_BLOCK = r"/\*.*?\*/"
_LINE_DASH = r"--[^\n]*"

_PATTERNS: dict[str, str] = {
    "postgresql": (
        r"(?P<skip>(?<![\w$])[eE]'(?:[^'\\]|\\.|'')*'"
        rf"|{_STD_STRING}|{_STD_IDENT}"
        r"|(?<![\w$])\$(?P<tag>[A-Za-z_\x80-\U0010ffff][\w\x80-\U0010ffff]*|)\$.*?\$(?P=tag)\$)"
        # Block comments nest in PostgreSQL: only the opener is matched here, `_block_end`
        # finds the matching close.
        rf"|(?P<nested>/\*)|(?P<line>{_LINE_DASH})"
        r"|(?P<open>['\"]|(?<![\w$])\$(?:[A-Za-z_\x80-\U0010ffff][\w\x80-\U0010ffff]*|)\$)"
    ),
    "mysql": (
        r"(?P<skip>'(?:[^'\\]|\\.|'')*'|\"(?:[^\"\\]|\\.|\"\")*\"" + rf"|{_BACKTICK})"
        rf"|(?P<block>{_BLOCK})|(?P<line>--(?=\s|$)[^\n]*|#[^\n]*)"
        r"|(?P<open>['\"`]|/\*)"
    ),
    "sqlite": (
        rf"(?P<skip>{_STD_STRING}|{_STD_IDENT}|{_BACKTICK}|\[[^\]]*\])"
        rf"|(?P<block>{_BLOCK})|(?P<line>{_LINE_DASH})"
        r"|(?P<open>['\"`\[]|/\*)"
    ),
    "generic": (
        rf"(?P<skip>{_STD_STRING}|{_STD_IDENT}|{_BACKTICK})"
        rf"|(?P<block>{_BLOCK})|(?P<line>{_LINE_DASH})"
        r"|(?P<open>['\"`]|/\*)"
    ),
}
_COMPILED = {name: re.compile(p, re.S) for name, p in _PATTERNS.items()}

# Characters that, when absent, prove there is no comment and no quoting to worry about.
_INTERESTING = {
    "postgresql": ("'", '"', "$", "--", "/*"),
    "mysql": ("'", '"', "`", "--", "/*", "#"),
    "sqlite": ("'", '"', "`", "[", "--", "/*"),
    "generic": ("'", '"', "`", "--", "/*"),
}

_FAMILIES = {
    "postgresql": "postgresql",
    "postgres": "postgresql",
    "psycopg": "postgresql",
    "psycopg2": "postgresql",
    "asyncpg": "postgresql",
    "pg8000": "postgresql",
    "cockroachdb": "postgresql",
    "mysql": "mysql",
    "mariadb": "mysql",
    "pymysql": "mysql",
    "mysqldb": "mysql",
    "sqlite": "sqlite",
    "sqlite3": "sqlite",
    "pysqlite": "sqlite",
}

_TRAILER = " \t\r\n\f\v;"
_CACHE_MAX_LEN = 4096


def dialect_family(name: str | None) -> str:
    """Map a dialect or driver name to the lexer family used for it ("generic" if unknown)."""
    if not name:
        return "generic"
    return _FAMILIES.get(name.lower(), "generic")


@dataclass(frozen=True)
class Comment:
    """One comment found in a statement: its text including delimiters, and where it is."""

    start: int
    end: int
    text: str

    @property
    def is_block(self) -> bool:
        return self.text.startswith("/*")

    @property
    def closed(self) -> bool:
        """False for a block comment that runs to the end of the text without its `*/`."""
        return not self.is_block or (len(self.text) >= 4 and self.text.endswith("*/"))

    @property
    def body(self) -> str:
        """The text between `/*` and `*/` (or after `--` / `#`)."""
        if self.is_block:
            return self.text[2:-2]
        return self.text[2:] if self.text.startswith("--") else self.text[1:]


_NESTING = re.compile(r"/\*|\*/")


def _block_end(sql: str, start: int) -> int:
    """End of the (nesting) block comment opened at `start`; -1 if it is never closed."""
    depth, pos = 0, start
    while True:
        m = _NESTING.search(sql, pos)
        if m is None:
            return -1
        depth += 1 if m.group() == "/*" else -1
        pos = m.end()
        if depth == 0:
            return pos


def find_comments(sql: str, dialect: str = "generic") -> list[Comment]:
    """Every comment outside strings and quoted identifiers, in order.

    A block comment that is never closed runs to the end of the text: it comes last, with
    `closed` False (nothing after its opener can be told apart from comment text).
    """
    family = dialect_family(dialect) if dialect not in _COMPILED else dialect
    pattern = _COMPILED[family]
    found = []
    pos = 0
    while (m := pattern.search(sql, pos)) is not None:
        kind = m.lastgroup if m.lastgroup != "tag" else "skip"
        end = m.end()
        if kind == "nested":
            end = _block_end(sql, m.start())
            if end < 0:
                found.append(Comment(m.start(), len(sql), sql[m.start() :]))
                break
            found.append(Comment(m.start(), end, sql[m.start() : end]))
        elif kind in ("block", "line"):
            found.append(Comment(m.start(), end, m.group()))
        elif kind == "open" and m.group() == "/*":
            found.append(Comment(m.start(), len(sql), sql[m.start() :]))
            break
        pos = max(end, m.start() + 1)
    return found


def _scan(sql: str, family: str) -> int:
    """Where an appended comment goes, or -1 when the statement must be left alone."""
    if not any(marker in sql for marker in _INTERESTING[family]):
        end = len(sql.rstrip(_TRAILER))
        return end if end else -1
    for m in _COMPILED[family].finditer(sql):
        if m.group("skip") is None:
            # A comment (the spec forbids touching the statement) or an unterminated quote
            # (we cannot know where the statement really ends).
            return -1
    end = len(sql.rstrip(_TRAILER))
    return end if end else -1


@lru_cache(maxsize=4096)
def _scan_cached(sql: str, family: str) -> int:
    return _scan(sql, family)


def insert_position(sql: str, family: str = "generic") -> int:
    """Index just after the last statement's final token (before any trailing `;` and spaces).

    Returns -1 when nothing may be added: the statement already carries a comment (optimizer
    hints `/*+ ... */` included), it is empty, or it ends inside an unterminated quote.
    `family` must be one of the names `dialect_family` returns.
    """
    if len(sql) <= _CACHE_MAX_LEN:
        return _scan_cached(sql, family)
    return _scan(sql, family)
