"""PostgreSQL-dialect casts and literals, through the official client, against the real
PostgreSQL's answer for the same SQL (where the type exists in both), and refused where
Spanner's types cannot hold what PostgreSQL would accept."""

from __future__ import annotations

import math
from typing import Any

import psycopg
import pytest
from google.api_core import exceptions

# Casts of text both answer; each is `select <expr>`, compared value for value.
ANSWERED = [
    "' 12 '::int8",
    "'+12'::int8",
    "'-9223372036854775808'::int8",
    "CAST(' 7' AS bigint)",
    "int8 '42'",
    "'1.5'::float8",
    "' 1.5e3 '::float8",
    "'NaN'::float8",
    "'nan'::float8",
    "'Infinity'::float8",
    "' -inf '::float8",
    "'0x1p3'::float8",
    "'1e-320'::float8",
    "'1.5'::float4",
    "'infinity'::float4",
    "'t'::bool",
    "' yes '::bool",
    "'of'::bool",
    "'OFF'::bool",
    "'0'::bool",
    "'abc'::varchar",
    "'abc'::varchar(2)",
    "CAST('abcd' AS varchar(3))",
    "'abc'::text",
    "encode('\\x0001ff'::bytea, 'hex')",
    "encode('\\001a'::bytea, 'hex')",
    "encode(bytea '\\x41', 'hex')",
    "'2024-02-29'::date",
    "'2024-2-3'::date",
    "' 2024-02-03 '::date",
    "'20240229'::date",
    "'Feb 29 2024'::date",
    "'29 Feb 2024'::date",
    "'February 29, 2024'::date",
    "'2/29/2024'::date",
    "'2024-Feb-29'::date",
    "'2024.02.29'::date",
    "'2024-01-01 10:00'::date",
    "'2024-01-01T10:00:00Z'::date",
    "'epoch'::date",
    "date '2024-03-01'",
    "'2024-01-01T10:00:00Z'::timestamptz",
    "'2024-01-01 10:00:00+05:30'::timestamptz",
    "'2024-01-01'::timestamptz",
    '\'{"b":1,"a":2,"a":3}\'::jsonb::text',
    "'[1, 2,  {\"x\" : 1}]'::jsonb::text",
    '\'{"bb":1, "a":[1 , 2], "c":1e-3}\'::jsonb::text',
    "'1.50'::jsonb::text",
    "'1e2'::jsonb::text",
    "'-0.0'::jsonb::text",
    'jsonb \'{"z": 1, "y": 2}\'::text',
    "jsonb_typeof('{\"a\":1}'::jsonb)",
    "jsonb_typeof('[1]'::jsonb)",
    "jsonb_typeof('1.5'::jsonb)",
    "jsonb_typeof('\"x\"'::jsonb)",
    "jsonb_typeof('true'::jsonb)",
    "jsonb_typeof('null'::jsonb)",
    "jsonb_typeof(null::jsonb)",
]

# Casts of text both refuse, with the same message.
REFUSED = [
    "'1.5'::int8",
    "('1.5')::int8",
    "CAST('1.5' AS bigint)",
    "int8 '1.5'",
    "'0x1F'::int8",
    "'1_000'::int8",
    "'1e3'::int8",
    "''::int8",
    "'9223372036854775808'::int8",
    "'abc'::float8",
    "'1e400'::float8",
    "'1e-400'::float8",
    "'1e39'::float4",
    "'1e-50'::float4",
    "'2'::bool",
    "'onn'::bool",
    "''::bool",
    "'2024-02-30'::date",
    "'2024-13-01'::date",
    "date '2024-02-30'",
    "'x'::date",
    "'{\"a\":1,}'::jsonb",
]

# What PostgreSQL accepts and Spanner cannot hold or does not have: refused with a message
# naming the problem.
SPANNER_REFUSES = [
    ("'infinity'::timestamptz", "infinite timestamps"),
    ("'-infinity'::timestamptz", "infinite timestamps"),
    ("timestamptz 'infinity'", "infinite timestamps"),
    ("'infinity'::date", "no infinity"),
    ("'-infinity'::date", "no -infinity"),
    ("'10000-01-01'::date", "date out of range"),
    ("'2024-01-01'::timestamp", "Type <timestamp> is not supported"),
    ("timestamp '2024-01-01'", "Type <timestamp> is not supported"),
    (
        "'2024-01-01'::timestamp without time zone",
        "Type <timestamp without time zone> is not supported",
    ),
    ("'10:00'::time", "Type <time> is not supported"),
    ("CAST('10:00' AS time)", "Type <time> is not supported"),
    ("'{}'::json", "Type <json> is not supported"),
    ("CAST('{}' AS json)", "Type <json> is not supported"),
]


def _comparable(value: Any) -> Any:
    """Floats by their text (NaN equals NaN), everything else as it comes."""
    if isinstance(value, float):
        return "nan" if math.isnan(value) else repr(value)
    return value


def _spanner_value(db: Any, sql: str) -> Any:
    with db.snapshot() as snap:
        rows = list(snap.execute_sql(sql))
    return _comparable(rows[0][0])


@pytest.fixture
def pg(pg_db):
    conn = psycopg.connect(pg_db.url, autocommit=True)
    yield conn
    conn.close()


def test_casts_of_text_match_postgresql(pg_spanner_db, pg) -> None:
    expected = {e: _comparable(pg.execute(f"select {e}").fetchone()[0]) for e in ANSWERED}
    got = {e: _spanner_value(pg_spanner_db, f"select {e}") for e in ANSWERED}
    assert got == expected


@pytest.mark.parametrize("expr", REFUSED)
def test_casts_postgresql_refuses_are_refused_with_its_message(pg_spanner_db, pg, expr) -> None:
    with pytest.raises(psycopg.errors.DataError) as pg_err:
        pg.execute(f"select {expr}")
    message = str(pg_err.value).splitlines()[0]
    with pytest.raises(exceptions.InvalidArgument) as err:
        _spanner_value(pg_spanner_db, f"select {expr}")
    assert message in str(err.value)


@pytest.mark.parametrize(("expr", "words"), SPANNER_REFUSES)
def test_what_spanner_lacks_is_refused(pg_spanner_db, pg, expr, words) -> None:
    try:
        pg.execute(f"select {expr}").fetchone()
    except psycopg.errors.DataError:
        pass  # PostgreSQL refuses infinite or too large values for its own reasons
    with pytest.raises(exceptions.InvalidArgument, match=words):
        _spanner_value(pg_spanner_db, f"select {expr}")


# Text values cast when the statement runs (a column): the same rules as literals.
TEXTS = ["1.5", " 12 ", "+7", "1e400", "yes", " of ", "nan", "-inf", "2024-03-01", "abcd", "0"]
TARGETS = ["int8", "bool", "float8", "float4", "date", "varchar(2)"]


@pytest.fixture
def texts(pg_spanner_db, pg):
    ddl = "create table texts (id bigint primary key, s text)"
    rows = "insert into texts (id, s) values " + ", ".join(
        f"({i}, '{s}')" for i, s in enumerate(TEXTS)
    )
    pg_spanner_db.update_ddl([ddl]).result(60)
    pg_spanner_db.run_in_transaction(lambda tx: tx.execute_update(rows))
    pg.execute(ddl)
    pg.execute(rows)
    return pg_spanner_db, pg


def _answer(run: Any, sql: str) -> Any:
    try:
        return ("value", _comparable(run(sql)))
    except (psycopg.errors.DataError, exceptions.InvalidArgument) as exc:
        return ("error", str(getattr(exc, "message", exc)).splitlines()[0])


def test_casts_of_text_columns_match_postgresql(texts) -> None:
    db, pg = texts
    cases = [
        f"select {form.format(target)} from texts where id = {i}"
        for i in range(len(TEXTS))
        for target in TARGETS
        for form in ("s::{}", "cast(s as {})")
    ]

    def on_pg(sql: str) -> Any:
        return pg.execute(sql).fetchone()[0]

    expected = {sql: _answer(on_pg, sql) for sql in cases}
    got = {sql: _answer(lambda q: _spanner_value(db, q), sql) for sql in cases}
    # the same value, or an error both give; PostgreSQL's date errors word the field that is
    # out of range, spanner-local's the input it could not read
    for sql in cases:
        if expected[sql][0] == "error":
            assert got[sql][0] == "error", sql
        else:
            assert got[sql] == expected[sql], sql
    assert sum(1 for v in expected.values() if v[0] == "error") >= 10
    assert sum(1 for v in expected.values() if v[0] == "value") >= 20


def test_float_to_bigint_rounds_half_to_even_as_postgresql(pg_spanner_db, pg) -> None:
    for value in ("2.5", "3.5", "-2.5", "1e18"):
        sql = f"select x::int8 from (select '{value}'::float8 as x) s"
        assert _spanner_value(pg_spanner_db, sql) == pg.execute(sql).fetchone()[0]
    with pytest.raises(exceptions.InvalidArgument, match="bigint out of range"):
        _spanner_value(pg_spanner_db, "select x::int8 from (select 'NaN'::float8 as x) s")


def test_untyped_literals_written_to_typed_columns(pg_spanner_db, pg) -> None:
    ddl = "create table w (id bigint primary key, d date, f float8, r float4, j jsonb)"
    pg_spanner_db.update_ddl([ddl]).result(60)
    pg.execute(ddl)
    insert = (
        "insert into w (id, d, f, r, j) values "
        "(1, 'Feb 29 2024', ' 1.5e3 ', 'infinity', '{\"b\": 1, \"a\": 1e2, \"a\": 3}')"
    )
    pg.execute(insert)
    pg_spanner_db.run_in_transaction(lambda tx: tx.execute_update(insert))
    query = "select id, d, f, r, j::text from w where d = '2024-02-29'"
    expected = [_comparable(v) for v in pg.execute(query).fetchone()]
    with pg_spanner_db.snapshot() as snap:
        rows = list(snap.execute_sql(query))
    assert [_comparable(v) for v in rows[0]] == expected
    bad = "insert into w (id, d) values (2, '2024-02-30')"
    with pytest.raises(exceptions.InvalidArgument, match="date/time field value out of range"):
        pg_spanner_db.run_in_transaction(lambda tx: tx.execute_update(bad))
    infinite = "insert into w (id, d) values (3, 'infinity')"
    with pytest.raises(exceptions.InvalidArgument, match="no infinity"):
        pg_spanner_db.run_in_transaction(lambda tx: tx.execute_update(infinite))


@pytest.mark.parametrize("name", ["timestamp", "json", "time"])
def test_column_of_a_type_spanner_lacks_is_refused(pg_spanner_db, name) -> None:
    ddl = [f"create table lacking (id bigint primary key, c {name})"]
    with pytest.raises(exceptions.InvalidArgument, match=f"Type <{name}> is not supported"):
        pg_spanner_db.update_ddl(ddl).result(60)


def test_timestamptz_is_not_taken_for_timestamp(pg_spanner_db) -> None:
    ddl = ["create table kept (id bigint primary key, c timestamp with time zone)"]
    pg_spanner_db.update_ddl(ddl).result(60)
    sql = "select '2024-01-01 00:00:00+00'::timestamp with time zone = '2024-01-01T00:00:00Z'::timestamptz"
    assert _spanner_value(pg_spanner_db, sql) is True


def test_text_and_date_columns_cast_to_timestamptz(pg_spanner_db, pg) -> None:
    ddl = "create table tz (id bigint primary key, s text, d date)"
    rows = "insert into tz (id, s, d) values (1, '2024-01-01 10:00:00+02', '2024-03-01'), (2, 'infinity', null)"
    pg_spanner_db.update_ddl([ddl]).result(60)
    pg_spanner_db.run_in_transaction(lambda tx: tx.execute_update(rows))
    pg.execute(ddl)
    pg.execute(rows)
    for sql in (
        "select s::timestamptz from tz where id = 1",
        "select cast(s as timestamptz) from tz where id = 1",
    ):
        assert _spanner_value(pg_spanner_db, sql) == pg.execute(sql).fetchone()[0]
    pg.execute("set timezone = 'UTC'")  # dates become timestamptz at midnight UTC here
    sql = "select d::timestamptz from tz where id = 1"
    assert _spanner_value(pg_spanner_db, sql) == pg.execute(sql).fetchone()[0]
    with pytest.raises(exceptions.InvalidArgument, match="infinite timestamps"):
        _spanner_value(pg_spanner_db, "select s::timestamptz from tz where id = 2")


def test_jsonb_parameters_and_mutations_are_stored_normalised(pg_spanner_db) -> None:
    from google.cloud.spanner_v1 import param_types
    from google.cloud.spanner_v1.data_types import JsonObject

    pg_spanner_db.update_ddl(["create table jv (id bigint primary key, v jsonb)"]).result(60)
    pg_spanner_db.run_in_transaction(
        lambda tx: tx.execute_update(
            "insert into jv (id, v) values (1, $1)",
            params={"p1": JsonObject({"bb": 1, "a": 2})},
            param_types={"p1": param_types.PG_JSONB},
        )
    )
    with pg_spanner_db.batch() as batch:
        batch.insert("jv", ["id", "v"], [[2, JsonObject({"zz": 1, "a": [{"y": 1, "x": 2}]})]])
    for key, literal in ((1, '{"a":2,"bb":1}'), (2, '{"zz":1,"a":[{"x":2,"y":1}]}')):
        sql = f"select id from jv where v = '{literal}'::jsonb"
        assert _spanner_value(pg_spanner_db, sql) == key


def test_generated_column_casts_text_by_the_same_rules(pg_spanner_db, pg) -> None:
    ddl = (
        "create table gen (id bigint primary key, s text, "
        "n bigint generated always as (cast(s as bigint)) stored)"
    )
    pg_spanner_db.update_ddl([ddl]).result(60)
    pg.execute(ddl)
    good = "insert into gen (id, s) values (1, ' 12 ')"
    pg.execute(good)
    pg_spanner_db.run_in_transaction(lambda tx: tx.execute_update(good))
    sql = "select n from gen where id = 1"
    assert _spanner_value(pg_spanner_db, sql) == pg.execute(sql).fetchone()[0] == 12
    bad = "insert into gen (id, s) values (2, '1.5')"
    with pytest.raises(psycopg.errors.DataError):
        pg.execute(bad)
    with pytest.raises(exceptions.InvalidArgument, match=r'input syntax for type bigint: "1.5"'):
        pg_spanner_db.run_in_transaction(lambda tx: tx.execute_update(bad))


def test_casts_of_casts_stay_small(pg_spanner_db) -> None:
    """Each cast macro binds its argument once: twelve nested casts of a column run (copying
    the argument into every rule would make the statement grow six-fold per level)."""
    pg_spanner_db.update_ddl(["create table nest (id bigint primary key, s text)"]).result(60)
    pg_spanner_db.run_in_transaction(
        lambda tx: tx.execute_update("insert into nest (id, s) values (1, ' 7 ')")
    )
    expr = "s"
    for _ in range(6):
        expr = f"(({expr})::int8)::text"
    assert _spanner_value(pg_spanner_db, f"select {expr} from nest") == "7"


def test_chained_casts_apply_left_to_right_as_postgresql(texts) -> None:
    # each rewrite opens its macro at the same token: `s::float8::int8` must be int8(float8(s)),
    # and a function around the chain stays outside it
    db, pg = texts
    ddl = "create table chain (id bigint primary key, s text, n numeric)"
    db.update_ddl([ddl]).result(60)
    db.run_in_transaction(lambda tx: tx.execute_update("insert into chain values (1, '2.5', 7.25)"))
    pg.execute(ddl)
    pg.execute("insert into chain values (1, '2.5', 7.25)")
    for expr in (
        "s::float8::int8",
        "s::float8::int8::text",
        "(s::float8)::int8",
        "cast(s::float8 as int8)",
        "s::float8::text",
        "n::float8::int8",
        "n::text",
        "n::float8::numeric::text",
        "length(s::float8::int8::text)",
        "s::float8::int8 + n::int8",
    ):
        sql = f"select {expr} from chain where id = 1"
        assert _spanner_value(db, sql) == _comparable(pg.execute(sql).fetchone()[0]), expr
