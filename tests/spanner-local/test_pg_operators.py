"""PostgreSQL-dialect operators, compared with what the real PostgreSQL answers."""

from __future__ import annotations

import base64
import datetime
import decimal

import psycopg
import pytest
from google.cloud.spanner_v1 import param_types

JSONB_CASES = [
    ('\'{"a": 1, "b": [1, 2]}\'', "@>", "'{\"a\": 1}'"),
    ('\'{"a": 1, "b": [1, 2]}\'', "@>", "'{\"b\": [2]}'"),
    ('\'{"a": 1, "b": [1, 2]}\'', "@>", "'{\"a\": 2}'"),
    ('\'{"a": {"c": 1}}\'', "@>", "'{\"a\": {}}'"),
    ("'[1, 2, [3]]'", "@>", "'[[3], 1]'"),
    ("'[1, 2]'", "@>", "'1'"),
    ("'[[1, 2]]'", "@>", "'[1]'"),
    ("'1'", "@>", "'1'"),
    ("'\"1\"'", "@>", "'1'"),
    ("'{\"a\": 1}'", "?", "'a'"),
    ("'{\"a\": 1}'", "?", "'b'"),
    ("'[\"a\", 1]'", "?", "'a'"),
    ("'[\"a\", 1]'", "?", "'1'"),
    ("'\"a\"'", "?", "'a'"),
    ('\'{"x": {"a": 1}}\'', "?", "'a'"),
]


@pytest.fixture(scope="module")
def pg_answers(pg_server):
    with psycopg.connect(pg_server.url) as conn:
        return [
            conn.execute(
                f"select {left}::jsonb {op} {right}{'::jsonb' if op == '@>' else ''}"
            ).fetchone()[0]
            for left, op, right in JSONB_CASES
        ]


def test_jsonb_operators_match_postgresql(pg_spanner_db, pg_answers):
    pg_spanner_db.update_ddl(["create table j (id bigint primary key, v jsonb)"]).result(60)
    got = []
    with pg_spanner_db.snapshot(multi_use=True) as s:
        for left, op, right in JSONB_CASES:
            cast = "::jsonb" if op == "@>" else ""
            (row,) = list(s.execute_sql(f"select {left}::jsonb {op} {right}{cast}"))
            got.append(row[0])
    assert got == pg_answers


def test_jsonb_operators_on_columns_and_parameters(pg_spanner_db):
    from google.cloud.spanner_v1 import JsonObject, param_types

    pg_spanner_db.update_ddl(["create table j (id bigint primary key, v jsonb)"]).result(60)
    pg_spanner_db.run_in_transaction(
        lambda tx: tx.execute_update(
            'insert into j (id, v) values (1, \'{"tag": ["x", "y"]}\'), (2, \'{"n": 1}\')'
        )
    )
    with pg_spanner_db.snapshot(multi_use=True) as s:
        rows = list(
            s.execute_sql(
                "select id from j where v @> $1 order by id",
                params={"p1": JsonObject({"tag": ["y"]})},
                param_types={"p1": param_types.PG_JSONB},
            )
        )
        assert rows == [[1]]
        assert list(s.execute_sql("select id from j where v ? 'n' order by id")) == [[2]]
        assert list(s.execute_sql("select id from j where v->'tag' ? 'x'")) == [[1]]


ARRAY_CONTAINS_CASES = [
    "array[1, 2, 3] @> array[3, 1]",
    "array[1, 2] @> array[2, 2]",
    "array[1, 2] @> array[4]",
    "array[1, 2]::bigint[] @> array[]::bigint[]",
    "array[1, null]::bigint[] @> array[null]::bigint[]",
    "array['x', 'y,z'] @> (array['y,z'])::text[]",
    "'{a,b}'::text[] @> '{b}'::text[]",
    "array[true] @> array[false]",
]


def test_array_contains_matches_postgresql(pg_spanner_db, pg_db):
    with psycopg.connect(pg_db.url) as conn:
        expected = [conn.execute(f"select {case}").fetchone()[0] for case in ARRAY_CONTAINS_CASES]
    with pg_spanner_db.snapshot(multi_use=True) as s:
        got = [next(iter(s.execute_sql(f"select {case}")))[0] for case in ARRAY_CONTAINS_CASES]
    assert got == expected
    assert expected == [True, True, False, True, False, True, True, False]


def test_array_contains_on_columns_as_django_writes_it(pg_spanner_db):
    pg_spanner_db.update_ddl(
        ["create table a (id bigint primary key, tags text[], attrs jsonb)"]
    ).result(60)
    pg_spanner_db.run_in_transaction(
        lambda tx: tx.execute_update(
            "insert into a (id, tags, attrs) values (1, array['x', 'y'], '{\"k\": [\"x\"]}'), "
            "(2, array['y'], '{\"k\": \"x\"}'), (3, null, null)"
        )
    )
    with pg_spanner_db.snapshot(multi_use=True) as s:
        rows = list(
            s.execute_sql(
                'select id from "a" where "a"."tags" @> (ARRAY[$1])::text[] order by id',
                params={"p1": "x"},
                param_types={"p1": param_types.STRING},
            )
        )
        assert rows == [[1]]
        assert list(s.execute_sql("select id from a where tags @> array['y'] order by id")) == [
            [1],
            [2],
        ]
        # Django's key lookup that follows it in its workload, attrs__k="x"
        rows = list(
            s.execute_sql(
                'select id from "a" where ("a"."attrs" -> $1) = $2 order by id',
                params={"p1": "k", "p2": '"x"'},
                param_types={"p1": param_types.STRING, "p2": param_types.PG_JSONB},
            )
        )
        assert rows == [[2]]
        # the same operator on jsonb keeps jsonb's containment
        assert list(s.execute_sql('select id from a where attrs @> \'{"k": "x"}\'')) == [[2]]


BYTEA_WRITES = [
    "insert into t (id, b) values (1, '\\x0001ff')",
    "insert into t (id, b) values (2, '\\001abc')",
    "insert into t (id, b) values (3, 'a\\\\b'), (4, 'plain')",
    "insert into t (id, b) values (5, '\\x00'::bytea)",
    "update t set b = '\\x0aff' where id = 5",
    "insert into t (id, b) values (6, '\\x00')",
    "update t set b = '\\x0bff'::bytea where id = 6",
    # PGAdapter's EXECUTE writes each argument as `(value)::type`
    "insert into t (id, b) values (7, ('\\x0001feff')::bytea), (8, ('\\x')::bytea)",
    "update t set b = ('\\x0cff')::bytea where b = ('\\x0001feff')::bytea",
]

BYTEA_QUERIES = [
    "select '\\x0001feff'::bytea, ('\\x')::bytea, cast('\\xff' as bytea)",
    "select id from t where b = '\\x0cff'::bytea or b = ('\\x')::bytea order by id",
]


def test_bytea_literals_are_read_as_postgresql_reads_them(pg_spanner_db, pg_db):
    with psycopg.connect(pg_db.url, autocommit=True) as conn:
        conn.execute("create table t (id bigint primary key, b bytea)")
        for sql in BYTEA_WRITES:
            conn.execute(sql)
        expected = [[i, bytes(b)] for i, b in conn.execute("select id, b from t order by id")]
    pg_spanner_db.update_ddl(["create table t (id bigint primary key, b bytea)"]).result(60)
    for sql in BYTEA_WRITES:
        pg_spanner_db.run_in_transaction(lambda tx, sql=sql: tx.execute_update(sql))
    with pg_spanner_db.snapshot() as s:
        got = [
            [i, base64.b64decode(b)] for i, b in s.execute_sql("select id, b from t order by id")
        ]
    assert got == expected
    assert expected[0] == [1, b"\x00\x01\xff"]
    assert expected[-2:] == [[7, b"\x0c\xff"], [8, b""]]


def test_bytea_literals_in_queries_match_postgresql(pg_spanner_db, pg_db):
    with psycopg.connect(pg_db.url, autocommit=True) as conn:
        conn.execute("create table t (id bigint primary key, b bytea)")
        for sql in BYTEA_WRITES:
            conn.execute(sql)
        expected = [
            [[bytes(v) if isinstance(v, memoryview) else v for v in row] for row in conn.execute(q)]
            for q in BYTEA_QUERIES
        ]
    pg_spanner_db.update_ddl(["create table t (id bigint primary key, b bytea)"]).result(60)
    for sql in BYTEA_WRITES:
        pg_spanner_db.run_in_transaction(lambda tx, sql=sql: tx.execute_update(sql))
    with pg_spanner_db.snapshot(multi_use=True) as s:
        got = [
            [
                [base64.b64decode(v) if isinstance(v, bytes) else v for v in row]
                for row in s.execute_sql(q)
            ]
            for q in BYTEA_QUERIES
        ]
    assert got == expected
    assert expected[0] == [[b"\x00\x01\xfe\xff", b"", b"\xff"]]


def test_malformed_bytea_literal_is_invalid_argument(pg_spanner_db):
    from google.api_core import exceptions

    pg_spanner_db.update_ddl(["create table t (id bigint primary key, b bytea)"]).result(60)
    with pytest.raises(exceptions.InvalidArgument, match="bytea"):
        pg_spanner_db.run_in_transaction(
            lambda tx: tx.execute_update("insert into t (id, b) values (1, '\\x0g')")
        )


# An INSERT without a column list writes its untyped literals by position: each is read as
# input of its column's type, as with a column list.
POSITIONAL_TABLE = (
    "create table p (id bigint primary key, b bytea, n numeric, ts timestamptz, ok bool)"
)
POSITIONAL_WRITES = [
    "insert into p values (1, '\\x00ff', '218819.692292967', '2024-07-01 12:00:00+00', 'on')",
    "insert into p values (2, '\\x', '-0.5', '2024-07-01 12:00:00.123456+02', 'f'), "
    "(3, null, null, null, null)",
]


def _comparable(value: object) -> object:
    """bytes for bytea, the instant as a UTC ISO text for timestamptz (the two clients return
    different datetime classes)."""
    if isinstance(value, memoryview):
        return bytes(value)
    if isinstance(value, datetime.datetime):
        return value.astimezone(datetime.timezone.utc).isoformat()
    return value


def test_insert_without_a_column_list_reads_literals_as_postgresql(pg_spanner_db, pg_db):
    query = "select id, b, n, ts, ok from p order by id"
    with psycopg.connect(pg_db.url, autocommit=True) as conn:
        conn.execute(POSITIONAL_TABLE)
        for sql in POSITIONAL_WRITES:
            conn.execute(sql)
        expected = [[_comparable(v) for v in row] for row in conn.execute(query)]
    pg_spanner_db.update_ddl([POSITIONAL_TABLE]).result(60)
    for sql in POSITIONAL_WRITES:
        pg_spanner_db.run_in_transaction(lambda tx, sql=sql: tx.execute_update(sql))
    with pg_spanner_db.snapshot() as s:
        got = [
            [_comparable(base64.b64decode(v) if isinstance(v, bytes) else v) for v in row]
            for row in s.execute_sql(query)
        ]
    assert got == expected
    assert expected[0][0:3] == [1, b"\x00\xff", decimal.Decimal("218819.692292967")]
