"""psycopg 3 through the proxy: simple and extended protocol, binary, prepared, executemany."""

from __future__ import annotations

import datetime as dt
import math
from decimal import Decimal

import psycopg
import pytest
from psycopg import sql
from psycopg.types.json import Jsonb

ROW = (
    1,
    "héllo",
    Decimal("12345.678901234"),
    2.5,
    1.25,
    True,
    b"\x00\x01\xfe\xff",
    dt.datetime(2024, 1, 2, 3, 4, 5, 123456, tzinfo=dt.timezone.utc),
    dt.date(1999, 12, 31),
    {"b": [1, 2, None], "a": "x"},
    "some text",
    [1, None, -(2**63)],
    ["a", None, "b c", ""],
    [0.5, None, -1e300],
    [True, None, False],
    [Decimal("1.5"), None, Decimal("-2")],
    [dt.date(2000, 2, 29), None],
    [dt.datetime(2020, 5, 6, 7, 8, 9, tzinfo=dt.timezone.utc)],
    [b"\x01", None, b""],
    [Jsonb({"k": 1}), None],
)
COLUMNS = (
    "id, name, v, f8, f4, b, byt, ts, d, j, txt, a_i, a_s, a_f8, a_b, a_n, a_d, a_ts, a_by, a_j"
)
PLACEHOLDERS = ", ".join(["%s"] * 20)


def _params(row: tuple) -> tuple:  # type: ignore[type-arg]
    return tuple(Jsonb(v) if isinstance(v, dict) else v for v in row)


def _check_row(got: tuple) -> None:  # type: ignore[type-arg]
    expected = list(ROW)
    expected[19] = [{"k": 1}, None]
    assert list(got) == expected


@pytest.mark.parametrize("binary", [False, True])
def test_every_type_round_trip(typed_db: str, binary: bool) -> None:
    with psycopg.connect(typed_db, autocommit=True) as conn:
        cur = conn.cursor(binary=binary)
        cur.execute(f"insert into all_types ({COLUMNS}) values ({PLACEHOLDERS})", _params(ROW))
        assert cur.rowcount == 1
        cur.execute(f"select {COLUMNS} from all_types where id = %s", (1,))
        row = cur.fetchone()
        assert row is not None
        _check_row(row)
        oids = [d.type_code for d in cur.description]
        assert oids == [
            20,
            1043,
            1700,
            701,
            700,
            16,
            17,
            1184,
            1082,
            3802,
            1043,
            1016,
            1015,
            1022,
            1000,
            1231,
            1182,
            1185,
            1001,
            3807,
        ]


def test_simple_protocol_literals(dsn: str) -> None:
    with psycopg.connect(dsn, autocommit=True) as conn:
        cur = psycopg.ClientCursor(conn)
        cur.execute("select %s::bigint as a, %s as b, %s::float8 as c", (7, "it's", 1.5))
        assert cur.fetchone() == (7, "it's", 1.5)
        assert [d.name for d in cur.description] == ["a", "b", "c"]


def test_multi_statement_simple_query(dsn: str) -> None:
    with psycopg.connect(dsn, autocommit=True) as conn:
        conn.execute("create table t (id bigint primary key, n varchar)")
        cur = conn.execute(
            "insert into t values (1, 'a'); insert into t values (2, 'b'); select count(*) from t"
        )
        assert cur.statusmessage == "INSERT 0 1"
        assert cur.nextset() and cur.statusmessage == "INSERT 0 1"
        assert cur.nextset() and cur.fetchone() == (2,)
        with pytest.raises(psycopg.errors.SyntaxError):
            conn.execute("insert into t values (3, 'c'); select * from t where")
        # the failed batch was one implicit transaction: the first insert is rolled back too
        assert conn.execute("select count(*) from t").fetchone() == (2,)


def test_numeric_nan_and_float_specials(dsn: str) -> None:
    with psycopg.connect(dsn, autocommit=True) as conn:
        for binary in (False, True):
            cur = conn.cursor(binary=binary)
            cur.execute(
                "select %s::float8 as a, %s::float8 as b, %s::float8 as c",
                (math.inf, -math.inf, math.nan),
            )
            a, b, c = cur.fetchone()  # type: ignore[misc]
            assert a == math.inf and b == -math.inf and math.isnan(c)


def test_server_side_prepared_statements(dsn: str) -> None:
    with psycopg.connect(dsn, autocommit=True, prepare_threshold=0) as conn:
        conn.execute("create table t (id bigint primary key, n varchar)")
        for i in range(5):
            conn.execute("insert into t (id, n) values (%s, %s)", (i, f"n{i}"))
        for i in range(5):
            assert conn.execute("select n from t where id = %s", (i,)).fetchone() == (f"n{i}",)
        # the statements were really prepared under a name and reused
        assert len(conn._prepared._names) >= 2  # type: ignore[attr-defined]


def test_executemany(dsn: str) -> None:
    with psycopg.connect(dsn, autocommit=True) as conn:
        conn.execute("create table t (id bigint primary key, n varchar, f float8)")
        with conn.cursor() as cur:
            cur.executemany(
                "insert into t (id, n, f) values (%s, %s, %s)",
                [(i, f"row {i}", i / 2) for i in range(50)],
            )
        cur = conn.execute("select count(*), sum(f) from t")
        assert cur.fetchone() == (50, sum(i / 2 for i in range(50)))


def test_transactions_commit_and_rollback(dsn: str) -> None:
    with psycopg.connect(dsn) as conn:  # psycopg's default: BEGIN before the first statement
        conn.execute("create table t (id bigint primary key)")
        conn.commit()
        conn.execute("insert into t values (1)")
        conn.execute("insert into t values (2)")
        assert conn.info.transaction_status == psycopg.pq.TransactionStatus.INTRANS
        conn.rollback()
        assert conn.execute("select count(*) from t").fetchone() == (0,)
        conn.rollback()
        with conn.transaction():
            conn.execute("insert into t values (3)")
        assert conn.execute("select id from t").fetchall() == [(3,)]


def test_read_only_transaction_rejects_dml(dsn: str) -> None:
    with psycopg.connect(dsn, autocommit=True) as conn:
        conn.execute("create table t (id bigint primary key)")
        conn.execute("begin read only")
        assert conn.execute("select count(*) from t").fetchone() == (0,)
        with pytest.raises(psycopg.errors.ReadOnlySqlTransaction):
            conn.execute("insert into t values (1)")
        conn.execute("rollback")
        conn.execute("insert into t values (1)")


def test_error_then_connection_still_usable(dsn: str) -> None:
    with psycopg.connect(dsn, autocommit=True) as conn:
        with pytest.raises(psycopg.errors.UndefinedTable) as info:
            conn.execute("select * from missing_table")
        assert info.value.diag.sqlstate == "42P01"
        assert info.value.diag.message_detail == "Spanner status INVALID_ARGUMENT"
        assert conn.execute("select 1").fetchone() == (1,)


def test_unique_violation_sqlstate(dsn: str) -> None:
    with psycopg.connect(dsn, autocommit=True) as conn:
        conn.execute("create table t (id bigint primary key)")
        conn.execute("insert into t values (1)")
        with pytest.raises(psycopg.errors.UniqueViolation):
            conn.execute("insert into t values (1)")


def test_failed_transaction_state(dsn: str) -> None:
    with psycopg.connect(dsn) as conn:
        conn.execute("create table t (id bigint primary key)")
        conn.commit()
        conn.execute("insert into t values (1)")
        with pytest.raises(psycopg.errors.UndefinedTable):
            conn.execute("select * from nope")
        assert conn.info.transaction_status == psycopg.pq.TransactionStatus.INERROR
        with pytest.raises(psycopg.errors.InFailedSqlTransaction):
            conn.execute("select 1")
        conn.rollback()
        assert conn.execute("select count(*) from t").fetchone() == (0,)


def test_server_side_cursor_fetches_in_chunks(dsn: str) -> None:
    """A named cursor uses DECLARE in psycopg; itersize over a plain query uses portals."""
    with psycopg.connect(dsn, autocommit=True) as conn:
        conn.execute("create table t (id bigint primary key)")
        conn.execute("insert into t select * from generate_series(1, 2500)")
        cur = conn.cursor()
        rows = list(cur.stream("select id from t order by id"))
        assert len(rows) == 2500 and rows[0] == (1,) and rows[-1] == (2500,)


def test_parameter_status_and_set(dsn: str) -> None:
    with psycopg.connect(dsn, autocommit=True) as conn:
        assert conn.info.parameter_status("server_version") == "14.1"
        assert conn.info.parameter_status("integer_datetimes") == "on"
        conn.execute("set application_name = 'my app'")
        assert conn.info.parameter_status("application_name") == "my app"
        conn.execute("set timezone to 'Europe/Paris'")
        assert conn.info.parameter_status("TimeZone") == "Europe/Paris"
        assert conn.execute("show timezone").fetchone() == ("Europe/Paris",)
        ts = dt.datetime(2024, 7, 1, 12, 0, tzinfo=dt.timezone.utc)
        row = psycopg.ClientCursor(conn).execute("select %s::timestamptz::text", (ts,)).fetchone()
        assert row is not None


def test_identifier_quoting_and_sql_composition(dsn: str) -> None:
    with psycopg.connect(dsn, autocommit=True) as conn:
        conn.execute('create table "Mixed" ("Id" bigint primary key, "Val" varchar)')
        q = sql.SQL("insert into {} ({}, {}) values (%s, %s)").format(
            sql.Identifier("Mixed"), sql.Identifier("Id"), sql.Identifier("Val")
        )
        conn.execute(q, (1, "x"))
        assert conn.execute('select "Val" from "Mixed"').fetchone() == ("x",)


def test_deallocate_and_discard_all(dsn: str) -> None:
    with psycopg.connect(dsn, autocommit=True) as conn:
        pg = conn.pgconn
        assert pg.prepare(b"s1", b"select 1::bigint").status == psycopg.pq.ExecStatus.COMMAND_OK
        assert pg.exec_prepared(b"s1", []).get_value(0, 0) == b"1"
        assert pg.exec_(b"deallocate s1").command_status == b"DEALLOCATE"
        gone = pg.exec_prepared(b"s1", [])
        assert gone.error_field(psycopg.pq.DiagnosticField.SQLSTATE) == b"26000"
        pg.prepare(b"s2", b"select 2::bigint")
        pg.exec_(b"set application_name = 'changed'")
        assert pg.exec_(b"discard all").command_status == b"DISCARD ALL"
        gone = pg.exec_prepared(b"s2", [])
        assert gone.error_field(psycopg.pq.DiagnosticField.SQLSTATE) == b"26000"
        assert conn.execute("show application_name").fetchone() == ("",)


def test_statement_timeout(dsn: str) -> None:
    long_query = (
        "select count(*) from generate_series(1, 15000) a, generate_series(1, 15000) b "
        "where (a.a * b.b) % 7 = 3"
    )
    with psycopg.connect(dsn, autocommit=True, options="-c statement_timeout=5min") as conn:
        assert conn.execute("show statement_timeout").fetchone() == ("5min",)
        conn.execute("set statement_timeout = '200ms'")
        with pytest.raises(psycopg.errors.QueryCanceled, match="statement timeout"):
            conn.execute(long_query)
        conn.execute("set statement_timeout = 0")
        assert conn.execute("select 1").fetchone() == (1,)
        with pytest.raises(psycopg.errors.InvalidParameterValue):
            conn.execute("set statement_timeout = 'soon'")


def test_truncate_deletes_every_row(dsn: str) -> None:
    with psycopg.connect(dsn, autocommit=True) as conn:
        conn.execute(
            "create table a (id bigint primary key); create table b (id bigint primary key)"
        )
        conn.execute("insert into a values (1), (2); insert into b values (3)")
        cur = conn.execute("truncate table a, b restart identity")
        assert cur.statusmessage == "TRUNCATE TABLE"
        assert conn.execute(
            "select (select count(*) from a) + (select count(*) from b)"
        ).fetchone() == (0,)
        conn.execute("insert into a values (1)")
        with conn.transaction():
            conn.execute("truncate a")
            raise psycopg.Rollback()  # the TRUNCATE is transactional, unlike Spanner DDL
        assert conn.execute("select count(*) from a").fetchone() == (1,)
