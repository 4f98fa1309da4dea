"""Interval parameters: PostgreSQL's interval input, text and binary, sent to Spanner as INTERVAL.

The parser is compared with PostgreSQL's own (interval_in, read back in IntervalStyle iso_8601),
and timestamptz ± interval through pgadapter with the same query on PostgreSQL.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import struct

import asyncpg
import psycopg
import pytest
from dbtools.pgadapter.errors import PgError
from dbtools.pgadapter.intervals import Interval, parse_binary, parse_text

REAL_PG = "host=127.0.0.1 port=5432 user=postgres dbname=postgres"

INPUTS = [
    "1 year 2 mons -3 days 04:05:06.5",
    "-1 day 23:59:59.000005",
    "-1 day -23:59:59",
    "@ 1 hour 30 minutes ago",
    "1.5 years",
    "1.7 months",
    "0.5 weeks",
    "-1.5 days",
    "2.25 hours",
    "1.000001 seconds",
    "5",
    "1-2",
    "-1-2",
    "3 4:05:06",
    "10:30",
    "1 day, 2:03:04",
    "1 decade 2 centuries",
    "1 millennium",
    "3 ms 4 us",
    "2 weeks 1 day",
    "1y 2mon 3d 4h 5m 6s",
    "P1Y2M3DT4H5M6.5S",
    "P-1Y2M-3DT-4H5M-6.25S",
    "P1.5Y",
    "PT36H",
    "P2W",
    "0",
    "00:00:00",
]


@pytest.fixture(scope="module")
def postgres() -> psycopg.Connection:
    conn = psycopg.connect(REAL_PG, autocommit=True)
    conn.execute("SET IntervalStyle = iso_8601")
    yield conn
    conn.close()


@pytest.mark.parametrize("text", INPUTS)
def test_text_input_reads_as_postgresql_reads_it(postgres: psycopg.Connection, text: str) -> None:
    shown = postgres.execute("SELECT %s::interval::text", (text,)).fetchone()[0]
    assert parse_text(text) == parse_text(shown), f"PostgreSQL: {shown}"


@pytest.mark.parametrize(
    ("text", "iso"),
    [
        ("1 year 2 mons -3 days 04:05:06.5", "P1Y2M-3DT4H5M6.5S"),
        ("-1 day 23:59:59.000005", "P-1DT23H59M59.000005S"),
        ("-14 mons", "P-1Y-2M"),
        ("-00:00:01.5", "PT-1.5S"),
        ("0", "P0D"),
    ],
)
def test_spanner_text_keeps_each_field_and_its_sign(text: str, iso: str) -> None:
    assert parse_text(text).iso() == iso


@pytest.mark.parametrize(
    ("text", "sqlstate", "words"),
    [
        ("1 fortnight", "22007", "invalid input syntax"),
        ("", "22007", "invalid input syntax"),
        ("1 day 2 days extra", "22007", "invalid input syntax"),
        ("P1Y2", "22007", "invalid input syntax"),
        ("P0001-02-03T04:05:06", "0A000", "alternative"),
        ("infinity", "22008", "infinite"),
        ("3000000000 days", "22015", "out of range"),
    ],
)
def test_bad_text_is_refused_with_postgresql_sqlstates(
    postgres: psycopg.Connection, text: str, sqlstate: str, words: str
) -> None:
    with pytest.raises(PgError, match=words) as err:
        parse_text(text)
    assert err.value.sqlstate == sqlstate
    if sqlstate != "0A000" and text != "infinity":  # PostgreSQL takes both of those
        with pytest.raises(psycopg.Error) as real:
            postgres.execute("SELECT %s::interval", (text,))
        assert real.value.sqlstate == sqlstate


def test_binary_is_microseconds_days_months() -> None:
    raw = struct.pack("!qii", -1_500_000, 3, -14)
    assert parse_binary(raw) == Interval(-14, 3, -1_500_000)
    with pytest.raises(PgError, match="incorrect binary data") as err:
        parse_binary(raw[:12])
    assert err.value.sqlstate == "22P03"
    with pytest.raises(PgError, match="infinite"):
        parse_binary(struct.pack("!qii", (1 << 63) - 1, (1 << 31) - 1, (1 << 31) - 1))


# queries whose answers PostgreSQL and Spanner share: timestamptz ± interval, interval echo
SHARED = [
    ("SELECT '2024-01-31 10:00:00+00'::timestamptz + %s::interval", "1 month 1 day"),
    ("SELECT '2024-03-31 23:30:00+00'::timestamptz - %s::interval", "1 mon 00:45:00"),
    ("SELECT '2024-01-01 00:00:00+00'::timestamptz + %s::interval", "-1 year 2 days -03:00:00"),
    ("SELECT '2024-02-29 12:00:00+00'::timestamptz + %s::interval", "1.5 years"),
    ("SELECT %s::interval", "1 day 02:03:04.000005"),
    ("SELECT %s::interval", "-2 days 01:00:00"),
]


@pytest.mark.parametrize(("sql", "value"), SHARED)
def test_psycopg_text_parameters_match_postgresql(dsn: str, sql: str, value: str) -> None:
    with psycopg.connect(REAL_PG, autocommit=True) as real:
        real.execute("SET TimeZone = 'UTC'")
        expected = real.execute(sql, (value,)).fetchone()
    with psycopg.connect(dsn, autocommit=True) as conn:
        assert conn.execute(sql, (value,)).fetchone() == expected


@pytest.mark.parametrize(
    "value",
    [
        dt.timedelta(days=-1, seconds=5, microseconds=7),
        dt.timedelta(days=40, hours=3),
        dt.timedelta(microseconds=-1),
    ],
)
def test_psycopg_binary_and_timedelta_parameters(dsn: str, value: dt.timedelta) -> None:
    sql = "SELECT '2024-01-31 10:00:00+00'::timestamptz + %b, %b::interval"
    with psycopg.connect(REAL_PG, autocommit=True) as real:
        expected = real.execute(sql, (value, value)).fetchone()
    with psycopg.connect(dsn, autocommit=True) as conn:
        assert conn.execute(sql, (value, value)).fetchone() == expected
        assert conn.execute("SELECT %s::interval", (value,)).fetchone() == (value,)


def test_asyncpg_interval_parameters_match_postgresql(url: str) -> None:
    sql = "SELECT '2024-01-31 10:00:00+00'::timestamptz + $1::interval, $1::interval"
    values = [dt.timedelta(days=1, microseconds=1), dt.timedelta(hours=-5), dt.timedelta(0)]

    async def run(target: str) -> list[object]:
        conn = await asyncpg.connect(target, ssl=False)
        try:
            return [tuple(await conn.fetchrow(sql, v)) for v in values]
        finally:
            await conn.close()

    expected = asyncio.run(run("postgresql://postgres@127.0.0.1:5432/postgres"))
    assert asyncio.run(run(url)) == expected


def test_bad_interval_parameter_is_refused_through_the_proxy(dsn: str) -> None:
    with psycopg.connect(dsn, autocommit=True) as conn:
        with pytest.raises(psycopg.errors.InvalidDatetimeFormat, match="interval"):
            conn.execute("SELECT %s::interval", ("1 fortnight",))
        with pytest.raises(psycopg.errors.FeatureNotSupported, match="alternative"):
            conn.execute("SELECT %s::interval", ("P0001-02-03T04:05:06",))
        # an interval array parameter travels as Spanner's ARRAY<INTERVAL>
        got = conn.execute("SELECT %s::interval[]", (["1 day", "-2 hours"],)).fetchone()
        assert got == ([dt.timedelta(days=1), dt.timedelta(hours=-2)],)
