"""GoogleSQL translation and PostgreSQL-dialect SQL, as clients see them."""

from __future__ import annotations

import base64

import pytest
from google.api_core import exceptions
from google.cloud.spanner_v1 import TypeCode, param_types


def _one(db, sql, **kw):
    with db.snapshot() as s:
        results = s.execute_sql(sql, **kw)
        rows = list(results)
    return rows, results.fields


def test_farm_fingerprint_matches_spanner(gsql_db):
    rows, _ = _one(
        gsql_db,
        "SELECT FARM_FINGERPRINT(CONCAT(CAST(x AS STRING), y, CAST(z AS STRING))) FROM "
        "(SELECT 1 AS x, 'foo' AS y, true AS z UNION ALL SELECT 2, 'apple', false UNION ALL SELECT 3, '', true) "
        "ORDER BY x",
    )
    assert rows == [[-1541654101129638711], [2794438866806483259], [-4880158226897771312]]


def test_googlesql_float_literals_are_float64(gsql_db):
    rows, fields = _one(gsql_db, "SELECT 1.5, 2, ROUND(2.5), 1e3")
    assert rows == [[1.5, 2, 3.0, 1000.0]]
    assert [TypeCode(f.type_.code).name for f in fields] == [
        "FLOAT64",
        "INT64",
        "FLOAT64",
        "FLOAT64",
    ]


def test_googlesql_format_is_printf_style(gsql_db):
    rows, _ = _one(gsql_db, "SELECT FORMAT('%d-%s', 7, 'x')")
    assert rows == [["7-x"]]


def test_googlesql_backticks_hints_and_sha(gsql_db):
    gsql_db.update_ddl(
        ["CREATE TABLE `Order` (`Key` INT64, V STRING(MAX)) PRIMARY KEY (`Key`)"]
    ).result(60)
    with gsql_db.batch() as b:
        b.insert("Order", ["Key", "V"], [(1, "abc")])
    rows, _ = _one(
        gsql_db,
        "@{OPTIMIZER_VERSION=latest} SELECT TO_HEX(SHA256(V)) FROM `Order`@{FORCE_INDEX=_BASE_TABLE} WHERE `Key` = 1",
    )
    assert rows == [["ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"]]


def test_postgresql_integer_division_and_functions(pg_spanner_db):
    rows, _ = _one(
        pg_spanner_db,
        "select 10 / 4, 10 % 4, spanner.farm_fingerprint('alphabet'), jsonb_build_object('a', 1)",
    )
    assert rows == [[2, 2, -2427165924636348523, {"a": 1}]]


def test_postgresql_syntax_error_is_invalid_argument(pg_spanner_db):
    with pytest.raises(exceptions.InvalidArgument):
        _one(pg_spanner_db, "selec 1")


def test_googlesql_unknown_function_is_invalid_argument(gsql_db):
    with pytest.raises(exceptions.InvalidArgument):
        _one(gsql_db, "SELECT NO_SUCH_FUNCTION(1)")


def test_null_ordering_per_dialect(any_db):
    pg = any_db.dialect_name == "POSTGRESQL"
    sql = (
        "select x from unnest(array[2, null, 1]) as x order by x"
        if pg
        else "SELECT x FROM UNNEST([2, NULL, 1]) AS x ORDER BY x"
    )
    rows, _ = _one(any_db, sql)
    assert rows == ([[1], [2], [None]] if pg else [[None], [1], [2]])


def test_googlesql_integer_arithmetic_is_int64(gsql_db):
    rows, _ = _one(gsql_db, "SELECT 2147483647 + 1, 3000000 * 3000000")
    assert rows == [[2147483648, 9000000000000]]
    with pytest.raises(exceptions.OutOfRange):
        _one(gsql_db, "SELECT 9223372036854775807 + 1")


def test_postgresql_hashing_and_encoding_functions(pg_spanner_db):
    rows, _ = _one(
        pg_spanner_db,
        "select encode(sha256(convert_to('abc', 'UTF8')), 'hex'), encode('abc'::bytea, 'base64'), "
        "convert_from(decode('616263', 'hex'), 'UTF8'), md5('abc')",
    )
    assert rows == [
        [
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad",
            "YWJj",
            "abc",
            "900150983cd24fb0d6963f7d28e17f72",
        ]
    ]


@pytest.mark.parametrize(
    "sql",
    [
        "SELECT * FROM read_csv('/etc/passwd')",
        "ATTACH '/tmp/other.db'",
        "PRAGMA database_list",
        "SET enable_external_access = true",
        "COPY (SELECT 1) TO '/tmp/x.csv'",
    ],
)
def test_non_spanner_statements_are_rejected(gsql_db, sql):
    with pytest.raises(exceptions.InvalidArgument):
        _one(gsql_db, sql)


def test_postgresql_session_functions(pg_spanner_db):
    rows, _ = _one(pg_spanner_db, "select version(), current_database(), current_schema()")
    assert rows[0][0].startswith("PostgreSQL ")
    assert rows[0][1:] == [pg_spanner_db.database_id, "public"]


def test_googlesql_insert_needs_a_column_list(gsql_db):
    gsql_db.update_ddl(["CREATE TABLE C (K INT64) PRIMARY KEY (K)"]).result(60)
    with pytest.raises(exceptions.InvalidArgument):
        gsql_db.run_in_transaction(lambda txn: txn.execute_update("INSERT INTO C VALUES (1)"))
    assert (
        gsql_db.run_in_transaction(lambda txn: txn.execute_update("INSERT INTO C (K) VALUES (1)"))
        == 1
    )


def test_result_column_names(any_db):
    pg = any_db.dialect_name == "POSTGRESQL"
    sql = "select count(*), 1 as one, 2" if pg else "SELECT COUNT(*), 1 AS one, 2"
    _, fields = _one(any_db, sql)
    assert [f.name for f in fields] == (["count", "one", "?column?"] if pg else ["", "one", ""])


def test_format_timestamp_with_explicit_time_zone(gsql_db):
    rows, _ = _one(
        gsql_db,
        "SELECT FORMAT_TIMESTAMP('%F %H:%M', TIMESTAMP '2024-01-01 23:30:00+00', 'America/Los_Angeles'), "
        "FORMAT_TIMESTAMP('%F %H:%M', TIMESTAMP '2024-01-01 23:30:00+00', 'UTC')",
    )
    assert rows == [["2024-01-01 15:30", "2024-01-01 23:30"]]


def test_pg_result_column_names_follow_postgresql(pg_spanner_db):
    _, fields = _one(
        pg_spanner_db,
        "select x::text, cast(x as text), 'a'::text, 1::bigint, upper('a'), x + 1, "
        "array[1, 2], (x), case when x = 1 then 2 end "
        "from (select 1 as x) s",
    )
    assert [f.name for f in fields] == [
        "x",
        "x",
        "text",
        "int8",
        "upper",
        "?column?",
        "array",
        "x",
        "case",
    ]


def test_googlesql_unnamed_columns_are_empty(gsql_db):
    _, fields = _one(gsql_db, "SELECT x, CAST(x AS STRING), UPPER('a'), x + 1 FROM (SELECT 1 AS x)")
    assert [f.name for f in fields] == ["x", "", "", ""]


def _b64(data: bytes) -> bytes:
    # the Python client hands BYTES values back base64-encoded, as they travel
    import base64

    return base64.b64encode(data)


def test_pg_bytea_literals(pg_spanner_db):
    rows, fields = _one(
        pg_spanner_db,
        "select '\\x0102ff'::bytea, decode('0102ff', 'hex'), '\\x'::bytea, 'ab'::bytea",
    )
    assert rows == [[_b64(b"\x01\x02\xff"), _b64(b"\x01\x02\xff"), _b64(b""), _b64(b"ab")]]
    assert {TypeCode(f.type_.code).name for f in fields} == {"BYTES"}
    with pytest.raises(exceptions.InvalidArgument, match="hexadecimal"):
        _one(pg_spanner_db, "select '\\x0g'::bytea")


def test_pg_array_literals(pg_spanner_db):
    rows, fields = _one(
        pg_spanner_db,
        "select '{1,2}'::bigint[], array[1, 2], '{}'::bigint[], "
        "'{a,\"b c\",NULL}'::text[], '{1.5}'::numeric[]",
    )
    import decimal

    assert rows == [[[1, 2], [1, 2], [], ["a", "b c", None], [decimal.Decimal("1.5")]]]
    assert TypeCode(fields[0].type_.code).name == "ARRAY"
    assert TypeCode(fields[0].type_.array_element_type.code).name == "INT64"
    with pytest.raises(exceptions.InvalidArgument, match="malformed array"):
        _one(pg_spanner_db, "select '1,2'::bigint[]")
    # an untyped '{}' default takes the column's array type
    pg_spanner_db.update_ddl(
        ["create table a (id bigint primary key, tags text[] not null default '{}')"]
    ).result(60)
    with pg_spanner_db.batch() as b:
        b.insert("a", ["id"], [(1,)])
    assert _one(pg_spanner_db, "select tags from a")[0] == [[[]]]


ARRAY_WRITES = [
    "insert into a (id, t, n, b) values (1, '{}', '{}', '{}')",
    "insert into a (id, t, n, b) values (2, '{x,\"y,z\",NULL}', '{1,2}', '{\"\\\\x00ff\",NULL}')",
    "update a set t = '{}', n = '{-3}' where id = 2",
    "update a set b = '{\"\\\\x\"}' where id = 1",
]


def test_pg_untyped_array_literals_take_the_column_type(pg_spanner_db, pg_db):
    """psycopg2 sends an empty list as '{}': PostgreSQL reads it as the column's array type."""
    import psycopg

    ddl = "create table a (id bigint primary key, t text[], n bigint[], b bytea[])"
    with psycopg.connect(pg_db.url, autocommit=True) as conn:
        conn.execute(ddl)
        for sql in ARRAY_WRITES:
            conn.execute(sql)
        expected = [
            [i, t, n, None if b is None else [None if v is None else bytes(v) for v in b]]
            for i, t, n, b in conn.execute("select id, t, n, b from a order by id")
        ]
    pg_spanner_db.update_ddl([ddl]).result(60)
    for sql in ARRAY_WRITES:
        pg_spanner_db.run_in_transaction(lambda tx, sql=sql: tx.execute_update(sql))
    rows, _ = _one(pg_spanner_db, "select id, t, n, b from a order by id")
    got = [
        [i, t, n, None if b is None else [None if v is None else base64.b64decode(v) for v in b]]
        for i, t, n, b in rows
    ]
    assert got == expected
    assert expected == [[1, [], [], [b""]], [2, [], [-3], [b"\x00\xff", None]]]
    with pytest.raises(exceptions.InvalidArgument, match="malformed array literal"):
        pg_spanner_db.run_in_transaction(
            lambda tx: tx.execute_update("insert into a (id, t) values (3, 'x')")
        )


def test_pg_numeric_nan(pg_spanner_db):
    import decimal

    from google.cloud import spanner

    rows, fields = _one(pg_spanner_db, "select 'NaN'::numeric, 'nan'::numeric = 'NaN'::numeric")
    assert rows[0][0].is_nan() and rows[0][1] is True
    assert fields[0].type_.type_annotation == 2  # PG_NUMERIC
    pg_spanner_db.update_ddl(["create table n (id bigint primary key, v numeric)"]).result(60)
    with pg_spanner_db.batch() as b:
        # the client refuses Decimal("NaN") (it checks precision): NaN travels as a string
        b.insert("n", ["id", "v"], [(1, "NaN"), (2, decimal.Decimal("1.5"))])
    pg_spanner_db.run_in_transaction(
        lambda txn: txn.execute_update("insert into n (id, v) values (3, 'NaN'::numeric)")
    )
    pg_spanner_db.run_in_transaction(
        lambda txn: txn.execute_update(
            "insert into n (id, v) values (4, $1)",
            params={"p1": "NaN"},
            param_types={"p1": spanner.param_types.PG_NUMERIC},
        )
    )
    rows, _ = _one(pg_spanner_db, "select id, v from n order by v, id")
    # NaN sorts above every number, as in PostgreSQL
    assert [r[0] for r in rows] == [2, 1, 3, 4]
    assert rows[0][1] == decimal.Decimal("1.5")
    assert all(r[1].is_nan() for r in rows[1:])


def test_pg_cast_forms_of_literals(pg_spanner_db):
    rows, fields = _one(
        pg_spanner_db,
        "select cast('NaN' as numeric), cast('\\x01ff' as bytea), cast('{3,4}' as bigint[]), "
        "'NaN'::numeric(10, 2), cast('ab' as bytea)",
    )
    assert rows[0][0].is_nan() and rows[0][3].is_nan()
    assert rows[0][1:3] == [_b64(b"\x01\xff"), [3, 4]]
    assert rows[0][4] == _b64(b"ab")
    assert [f.name for f in fields] == ["numeric", "bytea", "int8", "numeric", "bytea"]


def test_pg_integer_type_aliases_are_bigint(pg_spanner_db):
    pg_spanner_db.update_ddl(
        ["create table ints (a int primary key, b integer, c int4, d int8, e int[])"]
    ).result(60)
    pg_spanner_db.reload()
    table = pg_spanner_db.ddl_statements[0]
    for col in "abcd":
        assert f"{col} bigint" in table
    assert "e bigint[]" in table


@pytest.mark.parametrize(
    "sql", ["insert into p (a,b) values ($1,$2)", "insert into p values($1,$2)"]
)
def test_pg_parameters_right_after_a_comma(pg_spanner_db, sql):
    pg_spanner_db.update_ddl(["create table p (a bigint primary key, b varchar)"]).result(60)
    pg_spanner_db.run_in_transaction(
        lambda tx: tx.execute_update(
            sql,
            params={"p1": 1, "p2": "x"},
            param_types={"p1": param_types.INT64, "p2": param_types.STRING},
        )
    )
    rows, _ = _one(
        pg_spanner_db,
        "select a,b,$1,$2 from p",
        params={"p1": 5, "p2": "y"},
        param_types={"p1": param_types.INT64, "p2": param_types.STRING},
    )
    assert rows == [[1, "x", 5, "y"]]


def test_googlesql_struct_parameters(gsql_db):
    elem = param_types.Struct([param_types.StructField("id", param_types.INT64)])
    arr = param_types.Array(elem)
    rows, _ = _one(
        gsql_db,
        "SELECT a.id FROM UNNEST(@p) a",
        params={"p": None},
        param_types={"p": arr},
    )
    assert rows == []
    rows, _ = _one(
        gsql_db,
        "SELECT a.id FROM UNNEST(@p) a ORDER BY a.id",
        params={"p": [(2,), (1,)]},
        param_types={"p": arr},
    )
    assert rows == [[1], [2]]
    anon = param_types.Array(
        param_types.Struct(
            [
                param_types.StructField("", param_types.INT64),
                param_types.StructField("", param_types.STRING),
            ]
        )
    )
    rows, fields = _one(
        gsql_db,
        "SELECT CAST(t AS STRUCT<id INT64, name STRING>).* FROM UNNEST(@p) t",
        params={"p": [(7, "x")]},
        param_types={"p": anon},
    )
    assert rows == [[7, "x"]]
    assert [f.name for f in fields] == ["id", "name"]
    empty = param_types.Struct([])
    for value, expected in (((), False), (None, True)):
        rows, _ = _one(gsql_db, "SELECT @r IS NULL", params={"r": value}, param_types={"r": empty})
        assert rows == [[expected]]


def test_pg_select_for_update_and_bytea_cast_in_update(pg_spanner_db):
    pg_spanner_db.update_ddl(["create table fb (id bigint primary key, b bytea)"]).result(60)
    pg_spanner_db.run_in_transaction(
        lambda tx: tx.execute_update("insert into fb (id, b) values (1, '\\x00'::bytea)")
    )

    def work(tx):
        rows = list(tx.execute_sql("select id from fb where id = 1 for update"))
        assert rows == [[1]]
        # what psycopg2 sends for a bytes parameter; the WHERE after the cast must survive
        return tx.execute_update("update fb set b = '\\x0aff'::bytea where id = 2")

    assert pg_spanner_db.run_in_transaction(work) == 0
    rows, _ = _one(pg_spanner_db, "select b from fb where id = 1")
    assert rows == [[base64.b64encode(b"\x00")]]  # the Python client hands BYTES back base64
    with pytest.raises(exceptions.InvalidArgument, match="NOWAIT"):
        _one(pg_spanner_db, "select id from fb for update nowait")


@pytest.mark.parametrize(
    ("sql", "expected"),
    [
        ("select interval '1 month 2 days 3 hours'", (1, 2, 3 * 3600 * 10**9)),
        ("select interval '-90 minutes'", (0, 0, -90 * 60 * 10**9)),
        ("select interval '1.5 seconds'", (0, 0, 1_500_000_000)),
    ],
)
def test_pg_interval_values_keep_every_part(pg_spanner_db, sql, expected):
    rows, fields = _one(pg_spanner_db, sql)
    value = rows[0][0]
    assert (value.months, value.days, value.nanos) == expected
    assert TypeCode(fields[0].type_.code).name == "INTERVAL"


def test_generated_not_null_key_column(any_db):
    if any_db.dialect_name == "POSTGRESQL":
        ddl = (
            "create table g (a bigint not null, b bigint not null generated always as (a * 2) "
            "stored, c bigint, primary key (a, b))"
        )
    else:
        ddl = (
            "CREATE TABLE g (a INT64 NOT NULL, b INT64 NOT NULL AS (a * 2) STORED, c INT64) "
            "PRIMARY KEY (a, b)"
        )
    any_db.update_ddl([ddl]).result(60)
    with any_db.batch() as b:
        b.insert("g", ["a", "c"], [(1, 5)])
    rows, _ = _one(any_db, "select a, b, c from g")
    assert rows == [[1, 2, 5]]


def test_untyped_bytes_parameter_takes_the_column_type(gsql_db):
    gsql_db.update_ddl(["CREATE TABLE ub (id INT64, b BYTES(MAX)) PRIMARY KEY (id)"]).result(60)
    encoded = base64.b64encode(b"\x00\x01\xff")
    gsql_db.run_in_transaction(
        lambda tx: tx.execute_update("INSERT INTO ub (id, b) VALUES (1, @b)", params={"b": encoded})
    )
    rows, _ = _one(gsql_db, "SELECT id, b FROM ub WHERE b = @b", params={"b": encoded})
    assert rows == [[1, encoded]]
    rows, _ = _one(gsql_db, "SELECT LENGTH(b) FROM ub")
    assert rows == [[3]]


def test_for_update_and_keyword_named_columns(any_db):
    pg = any_db.dialect_name == "POSTGRESQL"
    ddl = (
        'create table kw (id bigint primary key, "by" varchar, "at" varchar)'
        if pg
        else "CREATE TABLE kw (id INT64, `by` STRING(MAX), `at` STRING(MAX)) PRIMARY KEY (id)"
    )
    any_db.update_ddl([ddl]).result(60)
    q = '"' if pg else "`"
    any_db.run_in_transaction(
        lambda tx: tx.execute_update(
            f"INSERT INTO kw (id, {q}by{q}, {q}at{q}) VALUES (1, 'x', 'y')"
        )
    )

    def work(tx):
        return list(tx.execute_sql(f"SELECT {q}by{q}, {q}at{q} FROM kw WHERE id = 1 FOR UPDATE"))

    assert any_db.run_in_transaction(work) == [["x", "y"]]
