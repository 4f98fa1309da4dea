"""Statement classification, SQLSTATE mapping, SET parsing, catalog answers: pure logic."""

from __future__ import annotations

import datetime as dt

import pytest
from dbtools.pgadapter import sqlstate
from dbtools.pgadapter.catalog import (
    Catalog,
    Column,
    Index,
    SessionInfo,
    Table,
    answer_catalog,
    answer_function_select,
)
from dbtools.pgadapter.classify import Kind, classify
from dbtools.pgadapter.commands import SetParameter, parse_set
from dbtools.pgadapter.errors import PgError
from dbtools.pgadapter.handlers.settings import show
from dbtools.pgadapter.infer import infer_param_types, infer_returning
from dbtools.pgadapter.lexer import max_param_index, split_statements, words
from dbtools.pgadapter.scroll import FETCH_ALL, parse_fetch
from dbtools.pgadapter.settings import DEFAULT_SETTINGS, parse_setting, parse_startup_options
from dbtools.pgadapter.spanner_private import timestamp_datetime
from dbtools.pgadapter.statement_text import infer_from_casts
from google.protobuf.timestamp_pb2 import Timestamp


def test_split_respects_quotes_comments_and_dollar_quotes() -> None:
    sql = "select 'a;b'; -- c;\n select $$x;y$$; /* ; /* nested; */ */ select \"q;\" ; ;"
    assert split_statements(sql) == [
        "select 'a;b'",
        "-- c;\n select $$x;y$$",
        '/* ; /* nested; */ */ select "q;"',
    ]
    assert split_statements("  ;  -- nothing\n") == [""]
    assert split_statements("select E'it\\'s;' ; select 2") == ["select E'it\\'s;'", "select 2"]


@pytest.mark.parametrize(
    ("sql", "kind", "tag"),
    [
        ("SELECT 1", Kind.QUERY, "SELECT"),
        ("  (select 1)", Kind.QUERY, "SELECT"),
        ("/* hint */ with x as (select 1) select * from x", Kind.QUERY, "SELECT"),
        ("with x as (select 1) insert into t select * from x", Kind.DML, "INSERT"),
        ("insert into t values (1)", Kind.DML, "INSERT"),
        ("UPDATE t SET a = 1", Kind.DML, "UPDATE"),
        ("delete from t", Kind.DML, "DELETE"),
        ("create table t (id bigint primary key)", Kind.DDL, "CREATE"),
        ("CREATE UNIQUE INDEX i ON t(a)", Kind.DDL, "CREATE"),
        ("create or replace view v as select 1", Kind.DDL, "CREATE"),
        ("drop table if exists t", Kind.DDL, "DROP"),
        ("alter table t add column c bigint", Kind.DDL, "ALTER"),
        ("create change stream s for all", Kind.DDL, "CREATE"),
        ("begin", Kind.BEGIN, "BEGIN"),
        ("start transaction read only", Kind.BEGIN, "BEGIN"),
        ("commit", Kind.COMMIT, "COMMIT"),
        ("end", Kind.COMMIT, "COMMIT"),
        ("abort", Kind.ROLLBACK, "ROLLBACK"),
        ("set timezone to 'UTC'", Kind.SET, "SET"),
        ("show all", Kind.SHOW, "SHOW"),
        ("reset all", Kind.RESET, "RESET"),
        ("discard all", Kind.DISCARD, "DISCARD ALL"),
        ("", Kind.EMPTY, ""),
        ("-- just a comment", Kind.EMPTY, ""),
        ("rollback to savepoint s", Kind.ROLLBACK_TO, "ROLLBACK"),
        ("savepoint s", Kind.SAVEPOINT, "SAVEPOINT"),
        ("release savepoint s", Kind.RELEASE, "RELEASE"),
        ("copy t from stdin", Kind.COPY, "COPY"),
        ("truncate table t", Kind.TRUNCATE, "TRUNCATE TABLE"),
    ],
)
def test_classify(sql: str, kind: Kind, tag: str) -> None:
    stmt = classify(sql)
    assert (stmt.kind, stmt.tag) == (kind, tag)


def test_returning_and_access_mode() -> None:
    assert classify("insert into t values (1) returning id").returning
    assert not classify("insert into t values ('returning')").returning
    assert classify("begin read only").read_only is True
    assert classify("begin transaction read write").read_only is False
    assert classify("begin").read_only is None


def test_max_param_index_ignores_strings() -> None:
    assert max_param_index("select $1, '$9', $3 -- $7") == 3


@pytest.mark.parametrize(
    ("code", "message", "state"),
    [
        (10, "Transaction was aborted", "40001"),
        (1, "cancelled", "57014"),
        (4, "deadline", "57014"),
        (5, "Database not found: projects/p/instances/i/databases/x", "3D000"),
        (5, "Table not found: foo", "42P01"),
        (3, 'relation "foo" does not exist', "42P01"),
        (3, 'column "x" does not exist', "42703"),
        (3, "Syntax error: Unexpected keyword", "42601"),
        (6, "Row [1] in table t already exists", "23505"),
        (9, "Foreign key constraint violation", "23503"),
        # DDL syntax errors that quote constraint keywords stay syntax errors
        (3, "syntax error at or near 'primary': expecting FOREIGN KEY (line 1, column 9)", "42601"),
        (3, "syntax error at or near 'NULL': expecting NOT NULL", "42601"),
        (9, "Cannot write NULL value to non-NULL column", "23502"),
        (3, "division by zero", "22012"),
        (7, "Permission denied", "42501"),
        (8, "too many mutations", "54000"),
        (11, "out of range", "22003"),
        (12, "not implemented", "0A000"),
        (14, "unavailable", "08006"),
        (15, "lost", "XX001"),
        (16, "no credentials", "28000"),
        (13, "internal", "XX000"),
        (2, "?", "XX000"),
    ],
)
def test_sqlstate_mapping(code: int, message: str, state: str) -> None:
    assert sqlstate.sqlstate_for(code, message) == state


def test_every_grpc_code_has_its_own_default() -> None:
    assert set(sqlstate.GRPC_TO_SQLSTATE) == set(range(17))
    defaults = [state for name, state in sqlstate.GRPC_TO_SQLSTATE.values() if name != "OK"]
    assert "P0001" not in defaults


def test_pg_error_from_google_exception() -> None:
    from google.api_core import exceptions as gexc

    err = sqlstate.pg_error_from(gexc.Aborted("Transaction aborted, request_id = 1.2.3"))
    assert err.sqlstate == "40001" and err.message == "Transaction aborted"
    assert err.hint and "retry" in err.hint.lower()
    assert sqlstate.pg_error_from(gexc.AlreadyExists("dup")).sqlstate == "23505"


@pytest.mark.parametrize(
    ("sql", "expected"),
    [
        ("SET timezone TO 'Europe/Paris'", ("timezone", "Europe/Paris")),
        ("set SESSION application_name = 'a''b'", ("application_name", "a'b")),
        ("SET TIME ZONE 'UTC'", ("TimeZone", "UTC")),
        ("set names 'utf8'", ("client_encoding", "utf8")),
        ("set search_path = public, other", ("search_path", "public, other")),
        ("set datestyle to default", ("datestyle", None)),
        ("set spanner.ddl_transaction_mode = 'batch'", ("spanner.ddl_transaction_mode", "batch")),
    ],
)
def test_parse_set(sql: str, expected: tuple[str, str | None]) -> None:
    assert parse_set(sql, words(sql)) == SetParameter(*expected)


def test_parse_startup_options() -> None:
    assert parse_startup_options("-c search_path=x --application-name=y -cTimeZone=UTC") == [
        ("search_path", "x"),
        ("application_name", "y"),
        ("TimeZone", "UTC"),
    ]


@pytest.mark.parametrize(
    ("options", "parsed"),
    [
        (
            "-c spanner.read_only_staleness='MAX_STALENESS 10s'",
            [("spanner.read_only_staleness", "MAX_STALENESS 10s")],
        ),
        (
            "-c spanner.autocommit_dml_mode='partitioned_non_atomic' -c a.b=\"x y\"",
            [("spanner.autocommit_dml_mode", "partitioned_non_atomic"), ("a.b", "x y")],
        ),
        ("-c application_name=a\\ b\\\\c", [("application_name", "a b\\c")]),
        ("  -c  x.y=a'  b'c  ", [("x.y", "a  bc")]),
        ("", []),
    ],
)
def test_startup_options_quotes_and_escapes(options: str, parsed: list[tuple[str, str]]) -> None:
    assert parse_startup_options(options) == parsed


@pytest.mark.parametrize("options", ["-c", "-c x", "-B 100", "-c a='b", "--=1"])
def test_bad_startup_options_fail(options: str) -> None:
    with pytest.raises(PgError) as info:
        parse_startup_options(options)
    assert info.value.sqlstate == "42601"


def test_unknown_settings_are_42704_custom_ones_are_kept() -> None:
    for name in ("foo", "spanner.no_such_thing"):
        with pytest.raises(PgError) as info:
            parse_setting(name, "1")
        assert (info.value.sqlstate, info.value.message) == (
            "42704",
            f'unrecognized configuration parameter "{name}"',
        )
    assert parse_setting("myapp.tenant", "t1") == ("t1", "t1")
    with pytest.raises(PgError) as info:
        parse_setting("spanner.optimizer_version", "3")
    assert info.value.sqlstate == "0A000" and "spanner.optimizer_version" in info.value.message
    assert parse_setting("jit", "off") == ("off", "off")
    with pytest.raises(PgError, match="jit"):
        parse_setting("jit", "on")


INFO = SessionInfo("db1", "alice", 77, dict(DEFAULT_SETTINGS))


@pytest.mark.parametrize(
    ("sql", "columns", "row"),
    [
        (
            "select version()",
            [("version", 25)],
            ["PostgreSQL 14.1 (dbtools-pgadapter on Cloud Spanner)"],
        ),
        ("SELECT pg_catalog.version() AS v", [("v", 25)], None),
        ("select current_schema()", [("current_schema", 19)], ["public"]),
        ("SELECT * FROM current_schema()", [("current_schema", 19)], ["public"]),
        ("select * from pg_catalog.current_database()", [("current_database", 19)], ["db1"]),
        (
            "select current_database(), current_user",
            [("current_database", 19), ("current_user", 19)],
            ["db1", "alice"],
        ),
        ("select current_setting('server_version_num')", [("current_setting", 25)], ["140001"]),
        ("select pg_backend_pid()", [("pg_backend_pid", 23)], [77]),
    ],
)
def test_function_selects(
    sql: str, columns: list[tuple[str, int]], row: list[object] | None
) -> None:
    result = answer_function_select(sql, INFO)
    assert result is not None
    assert result.columns == columns
    if row is not None:
        assert result.rows == [row]


@pytest.mark.parametrize(
    "sql",
    [
        "select 1",
        "select now()",
        "select version() from t",
        "select a",
        "select * from items",
        "select * from now()",
    ],
)
def test_function_selects_leave_other_queries_alone(sql: str) -> None:
    assert answer_function_select(sql, INFO) is None


def test_current_setting_unknown_raises() -> None:
    with pytest.raises(PgError) as info:
        answer_function_select("select current_setting('nope')", INFO)
    assert info.value.sqlstate == "42704"
    result = answer_function_select("select current_setting('nope', true)", INFO)
    assert result is not None and result.rows == [[None]]


def test_show() -> None:
    assert show(INFO.settings, "TimeZone").rows == [["UTC"]]
    assert show(INFO.settings, "transaction isolation level").rows == [["serializable"]]
    assert len(show(INFO.settings, "all").rows) == len(INFO.settings)
    with pytest.raises(PgError):
        show(INFO.settings, "no_such_thing")


CAT = Catalog(
    "db1",
    ["public"],
    [
        Table(
            "public",
            "orders",
            100,
            "r",
            [
                Column("id", 20, "bigint", True, None, 1),
                Column("placed", 1184, "timestamp with time zone", False, None, 2),
                Column("tags", 1015, "character varying[]", False, None, 3),
                Column("amount", 1700, "numeric", False, None, 4),
            ],
            [Index("orders_pkey", 101, True, True, ["id"])],
        )
    ],
)


def test_infer_param_types() -> None:
    assert infer_param_types("insert into orders (id, placed, tags) values ($1, $2, $3)", CAT) == {
        1: 20,
        2: 1184,
        3: 1015,
    }
    assert infer_param_types("insert into orders values ($1, $2, $3, $4)", CAT) == {
        1: 20,
        2: 1184,
        3: 1015,
        4: 1700,
    }
    assert infer_param_types(
        "select * from orders o where o.placed > $1 and $2 = id and amount in ($3, $4) limit $5",
        CAT,
    ) == {1: 1184, 2: 20, 3: 1700, 4: 1700, 5: 20}
    assert infer_param_types("update orders set amount = $1 where id = $2", CAT) == {1: 1700, 2: 20}
    # quoted identifiers (Knex, Sequelize, TypeORM quote every name)
    assert infer_param_types('insert into "orders" ("amount", "id") values ($1, $2)', CAT) == {
        1: 1700,
        2: 20,
    }
    assert infer_param_types("select * from orders where id = $1 and 'amount = $2' <> ''", CAT) == {
        1: 20
    }
    assert infer_from_casts("select $1::int4, $2::timestamptz[], $3::varchar(3)") == {
        1: 23,
        2: 1185,
        3: 1043,
    }


def test_infer_returning() -> None:
    assert infer_returning(
        "insert into orders (id) values ($1) returning id, amount as a", CAT
    ) == [("id", 20), ("a", 1700)]
    assert infer_returning("delete from orders returning *", CAT) == [
        ("id", 20),
        ("placed", 1184),
        ("tags", 1015),
        ("amount", 1700),
    ]
    assert infer_returning("insert into orders (id) values (1) returning id + 1", CAT) is None


def test_psql_queries_are_answered_locally() -> None:
    dt = answer_catalog(
        """SELECT n.nspname as "Schema", c.relname as "Name",
        CASE c.relkind WHEN 'r' THEN 'table' END as "Type",
        pg_catalog.pg_get_userbyid(c.relowner) as "Owner"
        FROM pg_catalog.pg_class c LEFT JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
        WHERE c.relkind IN ('r','p','') AND n.nspname <> 'pg_catalog'
        AND c.relname OPERATOR(pg_catalog.~) '^(ord.*)$' COLLATE pg_catalog.default
        AND pg_catalog.pg_table_is_visible(c.oid) ORDER BY 1,2;""",
        lambda: CAT,
        lambda: ["db1"],
    )
    assert dt is not None and dt.rows == [["public", "orders", "table", "spanner"]]
    policies = answer_catalog(
        "SELECT pol.polname FROM pg_catalog.pg_policy pol WHERE pol.polrelid = '100' ORDER BY 1;",
        lambda: CAT,
        lambda: [],
    )
    assert policies is not None and policies.rows == [] and policies.columns == [("polname", 25)]
    assert answer_catalog("select * from orders", lambda: CAT, lambda: []) is None


@pytest.mark.parametrize(
    ("sql", "expected"),
    [
        ("fetch c", ("FETCH", "forward", 1, "c")),
        ("FETCH NEXT FROM C", ("FETCH", "forward", 1, "c")),
        ("fetch prior in c;", ("FETCH", "backward", 1, "c")),
        ("fetch first c", ("FETCH", "absolute", 1, "c")),
        ("fetch last from c", ("FETCH", "absolute", -1, "c")),
        ("fetch absolute -3 from c", ("FETCH", "absolute", -3, "c")),
        ("fetch relative + 2 from c", ("FETCH", "relative", 2, "c")),
        ("fetch -5 from c", ("FETCH", "forward", -5, "c")),
        ("move backward all in c", ("MOVE", "backward", FETCH_ALL, "c")),
        ('move forward 7 "My Cursor"', ("MOVE", "forward", 7, "My Cursor")),
        ("fetch all from c /* psycopg */", ("FETCH", "forward", FETCH_ALL, "c")),
        ("fetch forward from forward", ("FETCH", "forward", 1, "forward")),
    ],
)
def test_parse_fetch(sql: str, expected: tuple[str, str, int, str]) -> None:
    spec = parse_fetch(sql)
    assert (spec.verb, spec.direction, spec.count, spec.cursor) == expected


@pytest.mark.parametrize(
    "sql", ["fetch", "fetch absolute from c", "fetch 1 2 c", "fetch 3000000000 from c"]
)
def test_parse_fetch_syntax_errors(sql: str) -> None:
    with pytest.raises(PgError) as err:
        parse_fetch(sql)
    assert err.value.sqlstate == "42601"


def test_set_time_zone_interval_is_a_fixed_offset() -> None:
    sql = "SET TIME ZONE INTERVAL '+05:30' HOUR TO MINUTE"
    command = parse_set(sql, words(sql))
    assert command == SetParameter("TimeZone", "<+05:30>-05:30")
    text, tz = parse_setting("TimeZone", "<+05:30>-05:30")
    assert text == "<+05:30>-05:30"
    assert dt.datetime(2024, 1, 1, tzinfo=tz).utcoffset() == dt.timedelta(hours=5, minutes=30)
    sql = "set time zone interval '-07:00' hour to minute"
    assert parse_set(sql, words(sql)) == SetParameter("TimeZone", "<-07:00>+07:00")


def test_every_grpc_code_has_a_sqlstate_by_name() -> None:
    import grpc

    for status in grpc.StatusCode:
        number, _text = status.value
        name, state = sqlstate.GRPC_TO_SQLSTATE[number]
        assert name == status.name
        assert len(state) == 5 and state.isalnum()
    # the defaults, for messages no rule recognizes
    assert sqlstate.sqlstate_for(3, "something else") == "42000"
    assert sqlstate.sqlstate_for(5, "something else") == "42704"
    assert sqlstate.sqlstate_for(9, "something else") == "55000"


@pytest.mark.parametrize(
    "seconds, nanos",
    [(0, 0), (1_700_000_000, 123_456_789), (1_700_000_000, 999), (-1, 999_999_999)],
)
def test_read_timestamp_kept_as_parts_converts_as_protobuf_does(seconds: int, nanos: int) -> None:
    expected = Timestamp(seconds=seconds, nanos=nanos).ToDatetime(tzinfo=dt.timezone.utc)
    assert timestamp_datetime((seconds, nanos)) == expected
