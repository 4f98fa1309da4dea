"""The lexer decides two things: is there already a comment, and where does ours go."""

from __future__ import annotations

import pytest
from dbtools.sqlcommenter.lexer import dialect_family, find_comments, insert_position


def where(sql: str, dialect: str) -> int:
    return insert_position(sql, dialect_family(dialect))


# (sql, dialect, expected position or -1)
CASES = [
    ("select 1", "postgresql", 8),
    ("select 1;", "postgresql", 8),
    ("select 1 ;\n", "postgresql", 8),
    ("select 1;;  ", "generic", 8),
    ("", "postgresql", -1),
    ("   ", "postgresql", -1),
    (" ; ;", "mysql", -1),
    # comment markers and ; inside string literals are not comments
    ("select '/* not a comment */'", "postgresql", 28),
    ("select '-- nope;'", "postgresql", 17),
    ("select 'it''s -- fine';", "generic", 22),
    ('select "weird--name" from t', "postgresql", 27),
    # dollar quotes, with and without tag, containing markers and other tags
    ("select $$ -- $$", "postgresql", 15),
    ("select $fn$ /* $$ ' $fn$;", "postgresql", 24),
    ("select $1::int -- c", "postgresql", -1),
    ("select a$b$ -- x", "postgresql", -1),  # $b$ is part of an identifier, not a quote
    # E'' strings: backslash escapes the quote
    ("select E'\\' -- '", "postgresql", 16),
    ("select e'a\\'b' -- real comment", "postgresql", -1),
    # standard strings: backslash is an ordinary character
    ("select '\\' -- real comment", "postgresql", -1),
    # existing comments of every kind
    ("select 1 -- trailing", "postgresql", -1),
    ("select /* inline */ 1", "postgresql", -1),
    ("select /*+ IndexScan(t) */ * from t", "postgresql", -1),
    ("/*+ SeqScan(a) */ select * from a", "postgresql", -1),
    ("select /*+ MAX_EXECUTION_TIME(1000) */ 1", "mysql", -1),
    ("select /*!50000 1 */", "mysql", -1),
    ("select 1 # mysql comment", "mysql", -1),
    ("select 1; -- after", "postgresql", -1),
    # MySQL: backslash escapes in both quote kinds, backticks, '--' needs a space
    ("select 'a\\' # b'", "mysql", 16),
    ('select "x\\" -- y"', "mysql", 17),
    ("select `a--b`, `c``#d` from t;", "mysql", 29),
    ("select 1--1", "mysql", 11),
    ("select 1 -- c", "mysql", -1),
    ("select '#' from t", "mysql", 17),
    ("select '#' from t # c", "mysql", -1),
    # '#' is an operator in PostgreSQL, not a comment
    ("select 5 # 3", "postgresql", 12),
    # SQLite [identifiers]
    ("select [a--b] from t", "sqlite", 20),
    # multiple statements: after the final one, before its ';'
    ("insert into t values (';'); select 2;", "postgresql", 36),
    # unterminated quotes/comments: hands off
    ("select 'abc", "postgresql", -1),
    ("select $$abc", "postgresql", -1),
    ("select /* abc", "postgresql", -1),
    ("select `abc", "mysql", -1),
]


@pytest.mark.parametrize(("sql", "dialect", "expected"), CASES)
def test_insert_position(sql: str, dialect: str, expected: int) -> None:
    assert where(sql, dialect) == expected


def test_long_statements_are_scanned_without_cache() -> None:
    sql = "select '" + "-- " * 3000 + "' from t;"
    assert where(sql, "postgresql") == len(sql) - 1
    assert where(sql + " -- c", "postgresql") == -1


def test_dialect_family_names() -> None:
    assert dialect_family("postgresql") == "postgresql"
    assert dialect_family("MariaDB") == "mysql"
    assert dialect_family("pysqlite") == "sqlite"
    assert dialect_family("oracle") == "generic"
    assert dialect_family(None) == "generic"


def test_find_comments_ignores_quoted_markers() -> None:
    sql = "select '/*x*/', $$--$$ /* a */ from t -- b\nwhere 1=1 /* c */"
    found = find_comments(sql, "postgresql")
    assert [c.text for c in found] == ["/* a */", "-- b", "/* c */"]
    assert [c.body for c in found] == [" a ", " b", " c "]
    assert sql[found[0].start : found[0].end] == "/* a */"


def test_find_comments_mysql_hash() -> None:
    found = find_comments("select '#' # real\n", "mysql")
    assert [c.text for c in found] == ["# real"]
    assert found[0].body == " real"
