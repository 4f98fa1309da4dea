"""The SQL lexer shared by the query translator and the DDL parser, in both Spanner dialects.

Tokens keep their source span, so that callers can rebuild a statement with a few tokens
replaced and everything else (spacing, comments inside expressions) verbatim. Comments and
whitespace produce no token.

The dialects lex differently where their languages do: GoogleSQL has `#` line comments,
backquoted names, triple-quoted strings, r/b string prefixes and backslash escapes in every
string, and its block comments do not nest. (A plain "..." stays an `ident` token in both
dialects: GoogleSQL queries are parsed by sqlglot, which reads it as the string it is there.) PostgreSQL's block comments nest, it has dollar-quoted strings
(`$tag$ ... $tag$`), and a backslash escapes only inside E'...' strings (standard conforming
strings, which Spanner's PostgreSQL interface always uses).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass

from .typemap import GOOGLE_SQL, POSTGRESQL

_OPERATORS = r"::|<=|>=|<>|!=|\|\||[(),.<>=*+\-/;\[\]{}:%!@$?&|^~#]"
_NUMBER = r"\d+(?:\.\d*)?(?:[eE][+-]?\d+)?"
_WORD = r"[A-Za-z_][A-Za-z0-9_$]*"
# GoogleSQL's triple-quoted strings, with or without an r/b prefix
_GSQL_TRIPLE = (
    r"[rRbB]{0,2}(?:'''(?:[^'\\]|\\.|'(?!''))*'''"
    r'|"""(?:[^"\\]|\\.|"(?!""))*""")'
)

_GSQL_TOKEN = re.compile(
    rf"""
    (?P<ws>\s+|--[^\n]*|\#[^\n]*)
  | (?P<bq>`(?:[^`\\]|\\.)*`)
  | (?P<sq>{_GSQL_TRIPLE})
  | (?P<dq>"(?:[^"]|"")*")
  | (?P<sq1>[rRbB]{{1,2}}"(?:[^"\\]|\\.)*"|[rRbB]{{0,2}}'(?:[^'\\]|\\.|'')*')
  | (?P<num>{_NUMBER})
  | (?P<word>{_WORD})
  | (?P<op>{_OPERATORS})
    """,
    re.VERBOSE | re.DOTALL,
)
_PG_TOKEN = re.compile(
    rf"""
    (?P<ws>\s+|--[^\n]*)
  | (?P<dq>"(?:[^"]|"")*")
  | (?P<sq>[eE]'(?:[^'\\]|\\.|'')*'|[bBxX]?'(?:[^']|'')*')
  | (?P<num>{_NUMBER})
  | (?P<word>{_WORD})
  | (?P<op>{_OPERATORS})
    """,
    re.VERBOSE | re.DOTALL,
)
_DOLLAR_TAG = re.compile(r"\$(?:[A-Za-z_\x80-\U0010ffff][A-Za-z0-9_\x80-\U0010ffff]*)?\$")
_TOKEN_RES = {GOOGLE_SQL: _GSQL_TOKEN, POSTGRESQL: _PG_TOKEN}


@dataclass
class Tok:
    kind: str  # word | ident (quoted) | str | num | op | eof
    text: str
    start: int
    end: int

    @property
    def upper(self) -> str:
        return self.text.upper() if self.kind == "word" else ""


class LexError(ValueError):
    """Text that is no token of the dialect: where, and what is wrong there."""

    def __init__(self, position: int, problem: str) -> None:
        super().__init__(problem)
        self.position = position
        self.problem = problem


def _block_comment_end(sql: str, start: int, nested: bool) -> int:
    """End of the block comment opening at `start`; PostgreSQL's nest, GoogleSQL's do not."""
    depth, pos = 0, start
    while pos < len(sql):
        pair = sql[pos : pos + 2]
        if pair == "/*":
            depth = depth + 1 if nested or depth == 0 else depth
            pos += 2
        elif pair == "*/":
            depth -= 1
            pos += 2
            if depth == 0:
                return pos
        else:
            pos += 1
    raise LexError(start, "unterminated /* comment")


def iter_tokens(sql: str, dialect: str = GOOGLE_SQL) -> Iterator[Tok]:
    """Tokens of `sql` one by one (a caller that needs only the first few stops early), then
    an `eof` token."""
    token_re = _TOKEN_RES[dialect]
    pg = dialect == POSTGRESQL
    pos = 0
    while pos < len(sql):
        if sql.startswith("/*", pos):
            pos = _block_comment_end(sql, pos, nested=pg)
            continue
        if pg and sql[pos] == "$":
            tag = _DOLLAR_TAG.match(sql, pos)
            if tag is not None:
                close = sql.find(tag.group(), tag.end())
                if close < 0:
                    raise LexError(pos, "unterminated dollar-quoted string")
                end = close + len(tag.group())
                yield Tok("str", sql[pos:end], pos, end)
                pos = end
                continue
        m = token_re.match(sql, pos)
        if not m:
            raise LexError(pos, f"Unexpected character {sql[pos]!r}")
        kind = m.lastgroup or "op"
        text = m.group()
        if kind == "bq":
            yield Tok("ident", text[1:-1], m.start(), m.end())
        elif kind == "dq":
            yield Tok("ident", text[1:-1].replace('""', '"'), m.start(), m.end())
        elif kind in ("sq", "sq1"):
            yield Tok("str", text, m.start(), m.end())
        elif kind != "ws":
            yield Tok(kind, text, m.start(), m.end())
        pos = m.end()
    yield Tok("eof", "", len(sql), len(sql))


def tokenize(sql: str, dialect: str = GOOGLE_SQL) -> list[Tok]:
    """All tokens of `sql`, ending with an `eof` token; LexError where none fits."""
    return list(iter_tokens(sql, dialect))
