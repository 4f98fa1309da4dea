"""Lexing and literal forms through the official client, compared with the real PostgreSQL:
dollar quotes, nested block comments, standard-conforming strings, array bounds."""

from __future__ import annotations

import base64

import psycopg
import pytest
from google.api_core import exceptions

# Queries whose answer depends on where a string or comment ends.
PG_QUERIES = [
    "select $$a ; 'b'$$",
    "select $tag$ $$ ; $tag$",
    "select $f$\n;\n$f$ as x",
    "select 1 /* a /* b */ ; */ + 1",
    "select 'a\\' || 'b'",
    "select e'a\\'b'",
    "select '[0:1]={a,b}'::text[]",
    "select '[2]={x,y}'::text[]",
    "select '[-1:0]={1,2}'::bigint[]",
    "select $$x$$ = 'x'",
]


@pytest.fixture(scope="module")
def pg_answers(pg_server):
    with psycopg.connect(pg_server.url) as conn:
        return [conn.execute(q).fetchone()[0] for q in PG_QUERIES]


def test_pg_lexing_matches_postgresql(pg_spanner_db, pg_answers):
    with pg_spanner_db.snapshot(multi_use=True) as s:
        got = [next(iter(s.execute_sql(q)))[0] for q in PG_QUERIES]
    assert got == pg_answers


@pytest.mark.parametrize(
    "sql",
    [
        "select $$never closed",
        "select 1 /* a /* b */",  # the outer comment stays open in PostgreSQL
        "select '[1:3]={a,b}'::text[]",
        "select '[1 :2]={a,b}'::text[]",
        "select '[1:1]={}'::text[]",
    ],
)
def test_pg_malformed_text_is_invalid_argument(pg_spanner_db, pg_server, sql):
    with psycopg.connect(pg_server.url) as conn:
        with pytest.raises(psycopg.Error):
            conn.execute(sql)
    with pytest.raises(exceptions.InvalidArgument):
        with pg_spanner_db.snapshot() as s:
            list(s.execute_sql(sql))


def test_googlesql_block_comments_do_not_nest(gsql_db):
    with gsql_db.snapshot() as s:
        assert list(s.execute_sql("SELECT 1 /* a /* b */ + 1")) == [[2]]


def test_array_bounds_in_dml_match_postgresql(pg_spanner_db, pg_db):
    pg_spanner_db.update_ddl(["create table a (id bigint primary key, v text[])"]).result(60)
    sql = "insert into a (id, v) values (1, '[0:2]={x,NULL,\"y z\"}')"
    pg_spanner_db.run_in_transaction(lambda tx: tx.execute_update(sql))
    with pg_spanner_db.snapshot() as s:
        (row,) = list(s.execute_sql("select v from a"))
    with psycopg.connect(pg_db.url, autocommit=True) as conn:
        conn.execute("create table a (id bigint primary key, v text[])")
        conn.execute(sql)
        expected = conn.execute("select v from a").fetchone()[0]
    assert row[0] == expected == ["x", None, "y z"]


def test_ddl_takes_dollar_quotes_and_nested_comments(pg_spanner_db):
    pg_spanner_db.update_ddl(
        [
            "/* a /* nested */ comment */ create table d (id bigint primary key, "
            "s text default $$it's$$)"
        ]
    ).result(60)
    pg_spanner_db.run_in_transaction(lambda tx: tx.execute_update("insert into d (id) values (1)"))
    with pg_spanner_db.snapshot() as s:
        assert list(s.execute_sql("select s from d")) == [["it's"]]


def test_googlesql_triple_quoted_and_raw_strings(gsql_db):
    """What SQLAlchemy's Spanner dialect renders for string literals: r\"\"\"...\"\"\"."""
    gsql_db.update_ddl(["CREATE TABLE s (id INT64, x STRING(MAX)) PRIMARY KEY (id)"]).result(60)
    values = [r"backslash one \ backslash two \\ end", """some 'text' hey "hi there" that's"""]
    gsql_db.run_in_transaction(
        lambda tx: [
            tx.execute_update(f'INSERT INTO s (id, x) VALUES ({i}, r"""{v}""")')
            for i, v in enumerate(values)
        ]
    )
    with gsql_db.snapshot(multi_use=True) as s:
        assert [r[0] for r in s.execute_sql("SELECT x FROM s ORDER BY id")] == values
        # the client hands BYTES over base64-encoded, as Spanner sends them
        assert list(s.execute_sql("SELECT '''a'b''', b'''c''', \"x\\ty\"")) == [
            ["a'b", base64.b64encode(b"c"), "x\ty"]
        ]
