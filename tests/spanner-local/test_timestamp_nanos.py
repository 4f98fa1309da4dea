"""TIMESTAMP keeps Spanner's nanoseconds over its whole range, 0001-01-01 to 9999-12-31, in both
dialects: in keys, mutations, reads, parameters, literals, comparisons, ORDER BY, arrays and the
GoogleSQL timestamp functions; what would lose digits is refused, never truncated."""

from __future__ import annotations

import datetime as dt

import pytest
from google.api_core import exceptions
from google.api_core.datetime_helpers import DatetimeWithNanoseconds
from google.cloud.spanner_v1 import KeySet, param_types

UTC = dt.timezone.utc

FIRST = DatetimeWithNanoseconds(1, 1, 1, 0, 0, 0, nanosecond=1, tzinfo=UTC)
LAST = DatetimeWithNanoseconds(9999, 12, 31, 23, 59, 59, nanosecond=999_999_999, tzinfo=UTC)
# three values that differ only below the microsecond
BASE = dict(year=2024, month=2, day=29, hour=12, minute=30, second=15, tzinfo=UTC)
NS_1 = DatetimeWithNanoseconds(**BASE, nanosecond=123_456_001)
NS_2 = DatetimeWithNanoseconds(**BASE, nanosecond=123_456_002)
NS_0 = DatetimeWithNanoseconds(**BASE, nanosecond=123_456_000)
VALUES = [FIRST, LAST, NS_2, NS_0, NS_1]

DDL = {
    "GOOGLE_STANDARD_SQL": (
        "CREATE TABLE Ts (K TIMESTAMP NOT NULL, V TIMESTAMP, A ARRAY<TIMESTAMP>) PRIMARY KEY (K)"
    ),
    "POSTGRESQL": "create table ts (k timestamptz primary key, v timestamptz, a timestamptz[])",
}


def _rfc3339(value: DatetimeWithNanoseconds) -> str:
    """Every digit (== on the datetimes ignores nanoseconds; the client's rfc3339() does not
    pad year 1 to four digits)."""
    v = value  # astimezone() would return a plain datetime, without the nanoseconds
    assert v.utcoffset() == dt.timedelta(0)
    nanos = v.nanosecond
    text = f"{v.year:04d}-{v.month:02d}-{v.day:02d}T{v.hour:02d}:{v.minute:02d}:{v.second:02d}"
    return text + (f".{nanos:09d}".rstrip("0") if nanos else "") + "Z"


def _table(db) -> str:
    return "Ts" if db.database_dialect.name == "GOOGLE_STANDARD_SQL" else "ts"


def _param(db, name: str) -> str:
    return f"@{name}" if db.database_dialect.name == "GOOGLE_STANDARD_SQL" else "$1"


def _key(db) -> str:
    return "K" if db.database_dialect.name == "GOOGLE_STANDARD_SQL" else "k"


@pytest.fixture
def ts_db(any_db):
    any_db.update_ddl([DDL[any_db.database_dialect.name]]).result(60)
    table = _table(any_db)
    cols = ("K", "V", "A") if table == "Ts" else ("k", "v", "a")
    with any_db.batch() as b:
        b.insert(table, cols, [(v, v, [v, None, NS_1]) for v in VALUES])
    return any_db


def test_nanoseconds_round_trip_at_the_range_edges(ts_db):
    table, key = _table(ts_db), _key(ts_db)
    with ts_db.snapshot(multi_use=True) as s:
        value = "V" if key == "K" else "v"
        rows = list(s.read(table, (key, value), KeySet(all_=True)))
        by_key = {_rfc3339(k): (k, v) for k, v in rows}
        assert set(by_key) == {_rfc3339(v) for v in VALUES}
        assert _rfc3339(by_key[_rfc3339(FIRST)][1]) == "0001-01-01T00:00:00.000000001Z"
        assert _rfc3339(by_key[_rfc3339(LAST)][1]) == "9999-12-31T23:59:59.999999999Z"
        # a point read by key finds exactly the row whose key has those nanoseconds
        found = list(s.read(table, (key,), KeySet(keys=[[LAST]])))
        assert [_rfc3339(r[0]) for r in found] == [_rfc3339(LAST)]


def test_values_differing_only_in_nanoseconds_order_and_stay_distinct(ts_db):
    table, key = _table(ts_db), _key(ts_db)
    with ts_db.snapshot() as s:
        rows = list(s.execute_sql(f"SELECT {key} FROM {table} ORDER BY {key} DESC"))
    got = [_rfc3339(r[0]) for r in rows]
    assert got == [_rfc3339(v) for v in (LAST, NS_2, NS_1, NS_0, FIRST)]


@pytest.mark.parametrize("op,expected", [("=", [NS_1]), (">", [NS_2, LAST]), ("<", [FIRST, NS_0])])
def test_nanosecond_parameters_in_where(ts_db, op, expected):
    table, key = _table(ts_db), _key(ts_db)
    sql = f"SELECT {key} FROM {table} WHERE {key} {op} {_param(ts_db, 'p')} ORDER BY {key}"
    name = "p" if table == "Ts" else "p1"
    with ts_db.snapshot() as s:
        rows = list(
            s.execute_sql(sql, params={name: NS_1}, param_types={name: param_types.TIMESTAMP})
        )
    assert [_rfc3339(r[0]) for r in rows] == [_rfc3339(v) for v in expected]


def test_arrays_of_timestamps_keep_nanoseconds(ts_db):
    table, key = _table(ts_db), _key(ts_db)
    a = "A" if table == "Ts" else "a"
    sql = f"SELECT {a} FROM {table} WHERE {key} = {_param(ts_db, 'p')}"
    name = "p" if table == "Ts" else "p1"
    with ts_db.snapshot() as s:
        (row,) = list(
            s.execute_sql(sql, params={name: LAST}, param_types={name: param_types.TIMESTAMP})
        )
    assert [None if v is None else _rfc3339(v) for v in row[0]] == [
        _rfc3339(LAST),
        None,
        _rfc3339(NS_1),
    ]


def test_dml_writes_nanosecond_parameters_and_literals(any_db):
    any_db.update_ddl([DDL[any_db.database_dialect.name]]).result(60)
    if any_db.database_dialect.name == "GOOGLE_STANDARD_SQL":
        statements = [
            ("INSERT INTO Ts (K, V) VALUES (@k, TIMESTAMP '2001-02-03T04:05:06.000000007Z')", "k"),
            ("UPDATE Ts SET V = @k WHERE K = @k", "k"),
        ]
        query = "SELECT K, V FROM Ts"
    else:
        statements = [
            ("insert into ts (k, v) values ($1, '2001-02-03 04:05:06.000000007+00')", "p1"),
            (
                "insert into ts (k, v) values ('2001-02-03T04:05:06.000000008Z'::timestamptz, $1)",
                "p1",
            ),
        ]
        query = "select k, v from ts"

    def work(tx):
        for sql, name in statements:
            tx.execute_update(sql, params={name: NS_2}, param_types={name: param_types.TIMESTAMP})

    any_db.run_in_transaction(work)
    with any_db.snapshot() as s:
        rows = sorted((_rfc3339(k), _rfc3339(v)) for k, v in s.execute_sql(query))
    if any_db.database_dialect.name == "GOOGLE_STANDARD_SQL":
        assert rows == [(_rfc3339(NS_2), _rfc3339(NS_2))]
    else:
        assert rows == sorted(
            [
                (_rfc3339(NS_2), "2001-02-03T04:05:06.000000007Z"),
                ("2001-02-03T04:05:06.000000008Z", _rfc3339(NS_2)),
            ]
        )


GSQL_FUNCTIONS = [
    ("EXTRACT(NANOSECOND FROM @t)", 123_456_001),
    ("EXTRACT(MICROSECOND FROM @t)", 123_456),
    ("EXTRACT(MILLISECOND FROM @t)", 123),
    ("UNIX_NANOS(@t)", 1709209815123456001),
    ("UNIX_MICROS(@t)", 1709209815123456),
    ("UNIX_SECONDS(TIMESTAMP '1969-12-31T23:59:59.999999999Z')", -1),
    ("UNIX_NANOS(TIMESTAMP_ADD(@t, INTERVAL 999 NANOSECOND))", 1709209815123457000),
    ("UNIX_NANOS(TIMESTAMP_SUB(@t, INTERVAL 2 NANOSECOND))", 1709209815123455999),
    ("UNIX_NANOS(TIMESTAMP_TRUNC(@t, SECOND))", 1709209815000000000),
    ("UNIX_NANOS(TIMESTAMP_TRUNC(@t, MICROSECOND))", 1709209815123456000),
    ("TIMESTAMP_DIFF(@t, TIMESTAMP '2024-02-29T12:30:15.123456Z', NANOSECOND)", 1),
    ("TIMESTAMP_DIFF(TIMESTAMP '2024-02-29T12:30:15.123455Z', @t, MICROSECOND)", -1),
    ("TIMESTAMP_DIFF(TIMESTAMP '2024-01-01T00:00:00Z', @t, DAY)", -59),
    ("UNIX_NANOS(TIMESTAMP_MICROS(1709209815123456))", 1709209815123456000),
    ("EXTRACT(YEAR FROM @t)", 2024),
    ("DATE(@t)", dt.date(2024, 2, 29)),
    ("TIMESTAMP_SUB(@t, INTERVAL 1 NANOSECOND) < @t", True),
    ("CAST('0001-01-01 00:00:00.000000001+00' AS TIMESTAMP) = @first", True),
    (
        "TIMESTAMP '9999-12-31T23:59:59.999999999Z' > TIMESTAMP '9999-12-31T23:59:59.999999998Z'",
        True,
    ),
    ("GREATEST(@t, TIMESTAMP_ADD(@t, INTERVAL 1 NANOSECOND)) = @t", False),
]


@pytest.mark.parametrize("expr,expected", GSQL_FUNCTIONS)
def test_googlesql_timestamp_functions_use_every_nanosecond(gsql_db, expr, expected):
    with gsql_db.snapshot() as s:
        ((value,),) = list(
            s.execute_sql(
                f"SELECT {expr}",
                params={"t": NS_1, "first": FIRST},
                param_types={"t": param_types.TIMESTAMP, "first": param_types.TIMESTAMP},
            )
        )
    assert value == expected


def test_timestamp_functions_refuse_to_leave_the_range(gsql_db):
    sql = "SELECT TIMESTAMP_ADD(TIMESTAMP '9999-12-31T23:59:59.999999999Z', INTERVAL 1 NANOSECOND)"
    with pytest.raises(exceptions.GoogleAPICallError, match=r"(?i)overflow"):
        with gsql_db.snapshot() as s:
            list(s.execute_sql(sql))


def test_a_timestamp_literal_with_more_than_nine_digits_is_refused(any_db):
    if any_db.database_dialect.name == "GOOGLE_STANDARD_SQL":
        sql = "SELECT TIMESTAMP '2024-01-01T00:00:00.1234567891Z'"
    else:
        sql = "select '2024-01-01 00:00:00.1234567891+00'::timestamptz"
    with pytest.raises(exceptions.InvalidArgument, match=r"(?i)timestamp"):
        with any_db.snapshot() as s:
            list(s.execute_sql(sql))


PG_EXPRESSIONS = [
    ("ts + interval '1 day'", "2024-03-01T12:30:15.123456001Z"),
    ("ts - interval '1 month'", "2024-01-29T12:30:15.123456001Z"),
    ("date_trunc('second', ts)", "2024-02-29T12:30:15Z"),
    ("date_trunc('microseconds', ts)", "2024-02-29T12:30:15.123456Z"),
    ("extract(year from ts)", 2024),
    ("ts > ts - interval '1 microsecond'", True),
    ("ts = '2024-02-29 12:30:15.123456001+00'", True),
    ("ts = '2024-02-29 12:30:15.123456+00'", False),
]


@pytest.mark.parametrize("expr,expected", PG_EXPRESSIONS)
def test_postgresql_timestamptz_operators_keep_nanoseconds(pg_spanner_db, expr, expected):
    pg_spanner_db.update_ddl(["create table tsx (k bigint primary key, ts timestamptz)"]).result(60)
    with pg_spanner_db.batch() as b:
        b.insert("tsx", ("k", "ts"), [(1, NS_1)])
    with pg_spanner_db.snapshot() as s:
        ((value,),) = list(s.execute_sql(f"select {expr} from tsx"))
    assert (_rfc3339(value) if isinstance(value, dt.datetime) else value) == expected


def test_postgresql_extract_refuses_to_drop_nanoseconds(pg_spanner_db):
    pg_spanner_db.update_ddl(["create table tsy (k bigint primary key, ts timestamptz)"]).result(60)
    with pg_spanner_db.batch() as b:
        b.insert("tsy", ("k", "ts"), [(1, NS_1)])
    with pytest.raises(exceptions.InvalidArgument, match="nanoseconds"):
        with pg_spanner_db.snapshot() as s:
            list(s.execute_sql("select extract(epoch from ts) from tsy"))


def test_postgresql_at_time_zone_gives_the_wall_clock_time_or_refuses_nanoseconds(
    pg_spanner_db,
):
    """`ts AT TIME ZONE z` is a timestamp without time zone, which keeps microseconds: a value
    with them reads as PostgreSQL prints it; one with nanoseconds is refused, not cut."""
    pg_spanner_db.update_ddl(["create table tsz (k bigint primary key, ts timestamptz)"]).result(60)
    micros = DatetimeWithNanoseconds(2024, 2, 29, 12, 30, 15, 123456, tzinfo=dt.timezone.utc)
    with pg_spanner_db.batch() as b:
        b.insert("tsz", ("k", "ts"), [(1, micros), (2, NS_1)])
    with pg_spanner_db.snapshot(multi_use=True) as s:
        got = list(
            s.execute_sql(
                "select (ts AT TIME ZONE 'UTC')::text, (ts at time zone 'Asia/Kolkata')::text "
                "from tsz where k = 1"
            )
        )
        assert got == [["2024-02-29 12:30:15.123456", "2024-02-29 18:00:15.123456"]]
        with pytest.raises(exceptions.InvalidArgument, match="nanoseconds"):
            list(s.execute_sql("select ts AT TIME ZONE 'UTC' from tsz where k = 2"))


def test_a_database_file_with_microsecond_timestamps_is_refused(tmp_path):
    """Files written before TIMESTAMP kept nanoseconds hold DuckDB TIMESTAMPTZ columns: opening
    one fails with a message naming them, rather than mixing the two storages."""
    import duckdb
    from dbtools.spanner_local.database import Database
    from dbtools.spanner_local.errors import FailedPrecondition

    path = tmp_path / "old.duckdb"
    conn = duckdb.connect(str(path))
    conn.execute("CREATE TABLE Events (Happened TIMESTAMPTZ PRIMARY KEY)")
    conn.close()
    with pytest.raises(FailedPrecondition, match=r"older spanner-local .*\(Events\.Happened\)"):
        Database(
            name="projects/p/instances/i/databases/old", dialect="GOOGLE_STANDARD_SQL", path=path
        )
