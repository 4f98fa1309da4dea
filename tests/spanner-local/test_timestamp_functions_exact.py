"""Timestamp functions on the nanosecond storage, through the official client: exact to the
nanosecond or refused; text in Spanner's default time zone (America/Los_Angeles). PostgreSQL
semantics are compared with the local PostgreSQL, its session in that time zone."""

from __future__ import annotations

import datetime as dt
from typing import Any

import psycopg
import pytest
from google.api_core import exceptions


def _one(db: Any, sql: str, params: dict[str, Any] | None = None) -> Any:
    with db.snapshot() as snap:
        rows = list(snap.execute_sql(sql, params=params))
    return rows[0][0]


def _rfc3339(value: Any) -> str:
    """A result timestamp as RFC 3339 in UTC, every nanosecond shown, trailing zeros dropped."""
    nanos = getattr(value, "nanosecond", 0) or value.microsecond * 1000
    fraction = f".{nanos:09d}".rstrip("0") if nanos else ""
    return f"{value.astimezone(dt.timezone.utc):%Y-%m-%dT%H:%M:%S}{fraction}Z"


# ---------------------------------------------------------------- GoogleSQL

GSQL_TEXT = [
    ("CAST(TIMESTAMP '2024-01-01 00:00:00+00' AS STRING)", "2023-12-31 16:00:00-08"),
    (
        "CAST(TIMESTAMP '2024-07-01 12:00:00.123456789+00' AS STRING)",
        "2024-07-01 05:00:00.123456789-07",
    ),
    ("STRING(TIMESTAMP '2024-01-01 00:00:00+00')", "2023-12-31 16:00:00-08"),
    ("STRING(TIMESTAMP '2024-01-01 00:00:00.5+00', 'Asia/Kolkata')", "2024-01-01 05:30:00.5+05:30"),
    ("STRING(TIMESTAMP '2024-01-01 00:00:00+00', 'UTC')", "2024-01-01 00:00:00+00"),
]


@pytest.mark.parametrize(("expr", "text"), GSQL_TEXT)
def test_timestamp_as_string_is_in_the_default_time_zone(gsql_db, expr, text) -> None:
    assert _one(gsql_db, f"SELECT {expr}") == text


GSQL_EXACT = [
    ("TIMESTAMP('2024-01-01 00:00:00', 'Asia/Kolkata')", "2023-12-31T18:30:00Z"),
    (
        "TIMESTAMP('2024-01-01 00:00:00.123456789', 'Asia/Kolkata')",
        "2023-12-31T18:30:00.123456789Z",
    ),
    (
        "TIMESTAMP('2024-01-01 00:00:00.000000001+02', 'Asia/Kolkata')",
        "2023-12-31T22:00:00.000000001Z",
    ),
    ("TIMESTAMP(DATE '2024-07-01', 'America/Los_Angeles')", "2024-07-01T07:00:00Z"),
    (
        "PARSE_TIMESTAMP('%Y-%m-%d %H:%M:%E*S', '2024-01-01 00:00:00.123456789')",
        "2024-01-01T08:00:00.123456789Z",
    ),
    (
        "PARSE_TIMESTAMP('%d.%m.%Y %H:%M:%E*S', '08.01.2024 10:00:00', 'UTC')",
        "2024-01-08T10:00:00Z",
    ),
    ("PARSE_TIMESTAMP('%F %T', '2024-07-01 10:00:00', 'Asia/Kolkata')", "2024-07-01T04:30:00Z"),
    ("PARSE_TIMESTAMP('%Y-%m-%d %H:%M:%S%z', '2024-01-01 10:00:00+0200')", "2024-01-01T08:00:00Z"),
]


@pytest.mark.parametrize(("expr", "rfc3339"), GSQL_EXACT)
def test_timestamp_functions_keep_every_digit(gsql_db, expr, rfc3339) -> None:
    assert _rfc3339(_one(gsql_db, f"SELECT {expr}")) == rfc3339


def test_parse_timestamp_refuses_more_than_nine_digits(gsql_db) -> None:
    sql = "SELECT PARSE_TIMESTAMP('%F %H:%M:%E*S', '2024-01-01 10:00:00.1234567891', 'UTC')"
    with pytest.raises(exceptions.InvalidArgument, match="more than nine fractional digits"):
        _one(gsql_db, sql)


def test_generate_timestamp_array_is_exact(gsql_db) -> None:
    sql = (
        "SELECT GENERATE_TIMESTAMP_ARRAY(TIMESTAMP '2024-01-01 00:00:00.000000001+00', "
        "TIMESTAMP '2024-01-01 00:00:02+00', INTERVAL 1 SECOND)"
    )
    assert [_rfc3339(v) for v in _one(gsql_db, sql)] == [
        "2024-01-01T00:00:00.000000001Z",
        "2024-01-01T00:00:01.000000001Z",
    ]
    nanos = (
        "SELECT GENERATE_TIMESTAMP_ARRAY(TIMESTAMP '2024-01-01 00:00:00.000000003+00', "
        "TIMESTAMP '2024-01-01 00:00:00.000000001+00', INTERVAL -1 NANOSECOND)"
    )
    assert [_rfc3339(v) for v in _one(gsql_db, nanos)] == [
        "2024-01-01T00:00:00.000000003Z",
        "2024-01-01T00:00:00.000000002Z",
        "2024-01-01T00:00:00.000000001Z",
    ]
    backwards = sql.replace("INTERVAL 1 SECOND", "INTERVAL 1 SECOND").replace(
        "'2024-01-01 00:00:02+00'", "'2023-01-01 00:00:00+00'"
    )
    assert _one(gsql_db, backwards) == []
    with pytest.raises(exceptions.InvalidArgument, match="step cannot be 0"):
        _one(gsql_db, sql.replace("INTERVAL 1 SECOND", "INTERVAL 0 SECOND"))
    with pytest.raises(exceptions.InvalidArgument, match="MONTH"):
        _one(gsql_db, sql.replace("INTERVAL 1 SECOND", "INTERVAL 1 MONTH"))


def test_untyped_string_parameters_meet_timestamp_columns(gsql_db) -> None:
    gsql_db.update_ddl(["CREATE TABLE t (id INT64, ts TIMESTAMP) PRIMARY KEY (id)"]).result(60)
    value = "2024-01-01T00:00:00.123456789Z"
    gsql_db.run_in_transaction(
        lambda tx: tx.execute_update("INSERT INTO t (id, ts) VALUES (1, @ts)", params={"ts": value})
    )
    for cond, param in (
        ("ts = @ts", value),
        ("ts < @ts", "2025-01-01T00:00:00Z"),
        ("ts BETWEEN @ts AND TIMESTAMP '2030-01-01 00:00:00+00'", "2024-01-01T00:00:00Z"),
    ):
        assert _one(gsql_db, f"SELECT id FROM t WHERE {cond}", {"ts": param}) == 1, cond
    assert _one(gsql_db, "SELECT COUNT(*) FROM t WHERE ts > @ts", {"ts": value}) == 0
    assert _rfc3339(_one(gsql_db, "SELECT ts FROM t")) == value


# ---------------------------------------------------------------- PostgreSQL


@pytest.fixture
def pg(pg_db):
    conn = psycopg.connect(pg_db.url, autocommit=True)
    conn.execute("set timezone = 'America/Los_Angeles'")  # Spanner's default time zone
    yield conn
    conn.close()


PG_SAME = [
    "'2024-01-01 10:00:00.5+00'::timestamptz::text",
    "'2024-07-01 10:00:00+00'::timestamptz::varchar",
    "'NaN'::float8::text",
    "'-Infinity'::float4::text",
    "'\\x01ff'::bytea::text",
    "to_char('2024-01-01 10:00:00+00'::timestamptz, 'YYYY-MM-DD HH24:MI:SS')",
    "to_char('2024-07-04 22:05:09.123456+00'::timestamptz, 'YYYY-MM-DD\"T\"HH12:MI:SS.US AM')",
    "to_char('2024-07-04 22:05:09.123+00'::timestamptz, 'DD Mon YY, Dy, DDD MS')",
    "to_char('2024-07-04 22:05:09+00'::timestamptz, 'FMDay FMMonth 100%')",
    "to_char('2024-07-04 22:05:09.123456789+00'::timestamptz, 'HH24:MI')",
    "to_char('2024-07-04'::date, 'YYYY/MM/DD')",
]


def test_pg_timestamp_text_matches_postgresql(pg_spanner_db, pg) -> None:
    expected = {e: pg.execute(f"select {e}").fetchone()[0] for e in PG_SAME}
    assert {e: _one(pg_spanner_db, f"select {e}") for e in PG_SAME} == expected


def test_pg_timestamp_text_keeps_nanoseconds(pg_spanner_db) -> None:
    sql = "select '2024-07-01 10:00:00.123456789+00'::timestamptz::text"
    assert _one(pg_spanner_db, sql) == "2024-07-01 03:00:00.123456789-07"


PG_TO_CHAR_REFUSED = [
    ("to_char('2024-07-04 22:05:09+00'::timestamptz, 'Month')", '"Month"'),
    ("to_char('2024-07-04 22:05:09+00'::timestamptz, 'TZ')", '"TZ"'),
    ("to_char('2024-07-04 22:05:09+00'::timestamptz, 'YYYY Q')", "Q"),
    ("to_char('2024-07-04 22:05:09.000000001+00'::timestamptz, 'SS.US')", "nanoseconds"),
    ("to_char(1.5::float8, 'SS')", "timestamptz and date"),
]


@pytest.mark.parametrize(("expr", "words"), PG_TO_CHAR_REFUSED)
def test_pg_to_char_refuses_what_it_cannot_print_exactly(pg_spanner_db, expr, words) -> None:
    with pytest.raises(exceptions.InvalidArgument, match=words):
        _one(pg_spanner_db, f"select {expr}")


def _interval(value: Any) -> dt.timedelta:
    """The client's Interval (months, days, nanos) or a timedelta, as a timedelta."""
    if isinstance(value, dt.timedelta):
        return value
    assert value.months == 0
    return dt.timedelta(days=value.days, microseconds=value.nanos // 1000)


def test_pg_timestamptz_difference_is_an_interval(pg_spanner_db, pg) -> None:
    ddl = "create table e (id bigint primary key, a timestamptz, b timestamptz)"
    pg_spanner_db.update_ddl([ddl]).result(60)
    pg.execute(ddl.replace("create table e", "create temp table e"))
    rows = (
        "insert into e (id, a, b) values "
        "(1, '2024-01-02 10:00:00.5+00', '2024-01-01 09:00:00+00'), "
        "(2, '2024-01-01 09:00:00+00', '2024-01-02 10:00:00+00')"
    )
    pg.execute(rows)
    pg_spanner_db.run_in_transaction(lambda tx: tx.execute_update(rows))
    queries = [
        "select a - b from e where id = 1",
        "select e.a - e.b from e where id = 2",
        "select '2024-01-02 10:00:00+00'::timestamptz - '2024-01-01 09:00:00+00'::timestamptz",
        "select timestamptz '2024-03-01 00:00:00+00' - timestamptz '2024-02-28 12:00:00+00'",
    ]
    for sql in queries:
        assert _interval(_one(pg_spanner_db, sql)) == pg.execute(sql).fetchone()[0], sql
    nanos = (
        "select '2024-01-02 10:00:00.000000001+00'::timestamptz - '2024-01-01 09:00:00+00'"
        "::timestamptz"
    )
    with pytest.raises(exceptions.InvalidArgument, match="nanoseconds"):
        _one(pg_spanner_db, nanos)


def test_pg_untyped_string_parameters_meet_timestamp_columns(pg_spanner_db) -> None:
    pg_spanner_db.update_ddl(["create table t (id bigint primary key, ts timestamptz)"]).result(60)
    value = "2024-01-01T00:00:00.123456789Z"
    pg_spanner_db.run_in_transaction(
        lambda tx: tx.execute_update("insert into t (id, ts) values (1, $1)", params={"p1": value})
    )
    assert _one(pg_spanner_db, "select id from t where ts = $1", {"p1": value}) == 1
    assert (
        _one(pg_spanner_db, "select id from t where ts < $1", {"p1": "2030-01-01T00:00:00Z"}) == 1
    )
    assert _rfc3339(_one(pg_spanner_db, "select ts from t")) == value


def test_generated_column_of_timestamp_text(gsql_db) -> None:
    gsql_db.update_ddl(
        [
            "CREATE TABLE g (id INT64, ts TIMESTAMP, "
            "txt STRING(MAX) AS (CAST(ts AS STRING)) STORED) PRIMARY KEY (id)"
        ]
    ).result(60)
    gsql_db.run_in_transaction(
        lambda tx: tx.execute_update(
            "INSERT INTO g (id, ts) VALUES (1, TIMESTAMP '2024-01-01 00:00:00.000000001+00')"
        )
    )
    assert _one(gsql_db, "SELECT txt FROM g") == "2023-12-31 16:00:00.000000001-08"
