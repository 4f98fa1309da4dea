"""A small SQL lexer: just enough to find comments and the place where a comment can go.

It knows the quoting rules that decide whether `--`, `/*`, `#` or `;` are really what they look
like: standard '' strings, PostgreSQL E'' strings and $tag$ dollar quotes, MySQL backslash
escapes, backtick identifiers and `#` comments, SQLite [bracket] identifiers. Everything here is
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
        rf"|(?P<block>{_BLOCK})|(?P<line>{_LINE_DASH})"
        r"|(?P<open>['\"]|/\*|(?<![\w$])\$(?:[A-Za-z_\x80-\U0010ffff][\w\x80-\U0010ffff]*|)\$)"
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
    def body(self) -> str:
        """The text between `/*` and `*/` (or after `--` / `#`)."""
        if self.is_block:
            return self.text[2:-2]
        return self.text[2:] if self.text.startswith("--") else self.text[1:]


def find_comments(sql: str, dialect: str = "generic") -> list[Comment]:
    """Every comment outside strings and quoted identifiers, in order."""
    family = dialect_family(dialect) if dialect not in _COMPILED else dialect
    found = []
    for m in _COMPILED[family].finditer(sql):
        kind = m.lastgroup if m.lastgroup != "tag" else "skip"
        if kind in ("block", "line"):
            found.append(Comment(m.start(), m.end(), m.group()))
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
