"""Whatever SQL a client sends, the answer is a result or a Spanner error, never INTERNAL."""

from __future__ import annotations

import pytest
from google.api_core import exceptions
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

PIECES = [
    "SELECT",
    "select",
    "FROM",
    "WHERE",
    "t",
    "x",
    "1",
    "1.5",
    "'a'",
    "'\\x00'",
    "@p",
    "$1",
    "$2",
    ",",
    "(",
    ")",
    "=",
    "<",
    ">",
    "@>",
    "?",
    "::",
    "jsonb",
    "bytea",
    "numeric",
    "AS",
    "STRUCT",
    "<",
    "INT64",
    ">",
    "ARRAY",
    "[",
    "]",
    "UNNEST",
    "FOR",
    "UPDATE",
    "INSERT",
    "INTO",
    "VALUES",
    "DELETE",
    "SET",
    "INTERVAL",
    "'1 day'",
    "NULL",
    "*",
    ".",
    "--",
    "/*",
    "`",
    '"',
    "'",
    "+",
    "-",
    "||",
    "CAST",
    "THEN",
    "RETURN",
    "RETURNING",
    "ORDER",
    "BY",
    "LIMIT",
    "GROUP",
    "JOIN",
    "ON",
    "CASE",
    "WHEN",
    "END",
    "@{",
    "}",
    ";",
    "\\",
]
SQL = st.lists(st.sampled_from(PIECES), min_size=1, max_size=12).map(" ".join)


@pytest.fixture
def dbs(local):
    made = [
        local.new_database(ddl=["CREATE TABLE t (x INT64, j JSON) PRIMARY KEY (x)"]),
        local.new_database("POSTGRESQL", ["create table t (x bigint primary key, j jsonb)"]),
    ]
    yield made
    for db in made:
        db.drop()


@settings(
    max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(sql=SQL)
def test_no_statement_yields_internal(dbs, sql):
    for db in dbs:
        try:
            with db.snapshot() as snap:
                list(snap.execute_sql(sql, params={"p": 1, "p1": 1, "p2": "a"}))
        except exceptions.InternalServerError as exc:
            pytest.fail(f"INTERNAL for {sql!r}: {exc}")
        except exceptions.GoogleAPICallError:
            pass
        except ValueError:
            pass  # the client's own checks
