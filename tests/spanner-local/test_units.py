"""Pure logic without a server: codecs, DDL parsing and rendering, SQL translation."""

from __future__ import annotations

import datetime as dt
import decimal

import pytest
from dbtools.spanner_local import codec, timestamps
from dbtools.spanner_local.catalog import render_index_ddl, render_table_ddl
from dbtools.spanner_local.ddl_parser import CreateIndex, CreateTable, parse_ddl
from dbtools.spanner_local.errors import DdlError, DdlSyntaxError, InvalidArgument
from dbtools.spanner_local.translate import translate_gsql, translate_pg
from dbtools.spanner_local.typemap import GOOGLE_SQL, POSTGRESQL, SType
from google.protobuf import struct_pb2

UTC = dt.timezone.utc


@pytest.mark.parametrize(
    "text,expected",
    [
        ("2024-01-02T03:04:05Z", dt.datetime(2024, 1, 2, 3, 4, 5, tzinfo=UTC)),
        ("2024-01-02T03:04:05.123456789Z", dt.datetime(2024, 1, 2, 3, 4, 5, 123456, tzinfo=UTC)),
        ("2024-01-02T03:04:05.5+02:00", dt.datetime(2024, 1, 2, 1, 4, 5, 500000, tzinfo=UTC)),
    ],
)
def test_parse_timestamp(text, expected):
    assert codec.parse_timestamp(text) == expected


def test_bad_timestamp_is_invalid_argument():
    with pytest.raises(InvalidArgument):
        codec.parse_timestamp("yesterday")


def test_format_timestamp_drops_trailing_zeros():
    assert (
        codec.format_timestamp(dt.datetime(2024, 1, 2, 3, 4, 5, 120000, tzinfo=UTC))
        == "2024-01-02T03:04:05.12Z"
    )
    assert codec.format_timestamp(dt.datetime(2024, 1, 2, 3, 4, 5)) == "2024-01-02T03:04:05Z"


@pytest.mark.parametrize(
    "value,text",
    [
        ("1.500000000", "1.5"),
        ("0E-9", "0"),
        ("-12.000", "-12"),
        ("123456789012345678901234567890.5", "123456789012345678901234567890.5"),
    ],
)
def test_format_numeric(value, text):
    assert codec.format_numeric(decimal.Decimal(value)) == text


def test_json_normalisation_per_dialect():
    text = '{"bb": 1, "a": [1.50, {"z": null}], "c": "é"}'
    assert codec.normalize_json(text, pg=False) == '{"a":[1.50,{"z":null}],"bb":1,"c":"é"}'
    assert codec.normalize_json(text, pg=True) == '{"a": [1.50, {"z": null}], "c": "é", "bb": 1}'
    with pytest.raises(InvalidArgument):
        codec.normalize_json("{nope", pg=False)


def _v(**kw):
    return struct_pb2.Value(**kw)


def test_decode_values():
    assert codec.decode(_v(string_value="-9223372036854775808"), SType("INT64")) == -(2**63)
    assert codec.decode(_v(string_value="NaN"), SType("FLOAT64")) != codec.decode(
        _v(string_value="NaN"), SType("FLOAT64")
    )
    assert codec.decode(_v(string_value="AAE="), SType("BYTES")) == b"\x00\x01"
    assert (
        codec.decode(_v(string_value="spanner.commit_timestamp()"), SType("TIMESTAMP"))
        is codec.COMMIT_TIMESTAMP
    )
    arr = _v(list_value=struct_pb2.ListValue(values=[_v(string_value="1"), _v(null_value=0)]))
    assert codec.decode(arr, SType("ARRAY", element=SType("INT64"))) == [1, None]
    with pytest.raises(InvalidArgument):
        codec.decode(_v(string_value="x"), SType("INT64"))
    with pytest.raises(InvalidArgument):
        codec.decode(_v(string_value="***"), SType("BYTES"))
    with pytest.raises(InvalidArgument):
        codec.decode(_v(bool_value=True), SType("STRING"))


def test_encode_round_trips_through_decode():
    cases = [
        (SType("INT64"), 42),
        (SType("FLOAT64"), 0.25),
        (SType("BOOL"), True),
        (SType("STRING"), "ü"),
        (SType("BYTES"), b"\xff"),
        (SType("DATE"), dt.date(2020, 2, 29)),
        # TIMESTAMP values are nanoseconds since 0001-01-01 (see spanner_local.timestamps)
        (SType("TIMESTAMP"), timestamps.parse("2020-02-29T01:02:03.000004001Z")),
        (SType("TIMESTAMP"), timestamps.MAX),
        (SType("TIMESTAMP"), 0),
        (SType("NUMERIC"), decimal.Decimal("1.25")),
        (SType("ARRAY", element=SType("STRING")), ["a", None]),
    ]
    for stype, value in cases:
        assert codec.decode(codec.encode(value, stype), stype) == value


@pytest.mark.parametrize(
    "duck,code,annotation,dialect",
    [
        ("BIGINT", "INT64", None, GOOGLE_SQL),
        ("DECIMAL(38,9)", "NUMERIC", None, GOOGLE_SQL),
        ("DECIMAL(38,9)", "NUMERIC", "PG_NUMERIC", POSTGRESQL),
        ("JSON", "JSON", "PG_JSONB", POSTGRESQL),
        ("TIMESTAMP WITH TIME ZONE", "TIMESTAMP", None, GOOGLE_SQL),
        ("UHUGEINT", "TIMESTAMP", None, GOOGLE_SQL),
        ("UHUGEINT[]", "ARRAY", None, POSTGRESQL),
        ("FLOAT", "FLOAT32", None, GOOGLE_SQL),
    ],
)
def test_duckdb_result_types(duck, code, annotation, dialect):
    stype = codec.stype_from_duckdb(duck, dialect)
    assert (stype.code, stype.annotation) == (code, annotation)


def test_duckdb_array_and_struct_types():
    arr = codec.stype_from_duckdb("DECIMAL(38,9)[]", POSTGRESQL)
    assert arr.code == "ARRAY" and arr.element == SType("NUMERIC", annotation="PG_NUMERIC")
    st = codec.stype_from_duckdb('STRUCT(a INTEGER, "b c" VARCHAR)', GOOGLE_SQL)
    assert st.fields == (("a", SType("INT64")), ("b c", SType("STRING")))


def test_gsql_ddl_round_trip():
    sql = (
        "CREATE TABLE Albums (SingerId INT64 NOT NULL, AlbumId INT64 NOT NULL, Title STRING(100), "
        "Tags ARRAY<STRING(MAX)>, Ts TIMESTAMP OPTIONS (allow_commit_timestamp = true)) "
        "PRIMARY KEY (SingerId, AlbumId DESC), INTERLEAVE IN PARENT Singers ON DELETE CASCADE"
    )
    op = parse_ddl(sql, GOOGLE_SQL)
    assert isinstance(op, CreateTable)
    text = render_table_ddl(op.table, GOOGLE_SQL)
    assert "PRIMARY KEY(SingerId, AlbumId DESC)" in text
    assert "INTERLEAVE IN PARENT Singers ON DELETE CASCADE" in text
    again = parse_ddl(text, GOOGLE_SQL)
    assert isinstance(again, CreateTable) and again.table == op.table


def test_pg_ddl_round_trip():
    op = parse_ddl(
        "CREATE TABLE public.t (id bigint PRIMARY KEY, v character varying(10) NOT NULL, "
        "n numeric, j jsonb, a text[], ts timestamp with time zone)",
        POSTGRESQL,
    )
    assert isinstance(op, CreateTable)
    assert op.table.name == "t"
    text = render_table_ddl(op.table, POSTGRESQL)
    assert "v character varying(10) NOT NULL" in text and "a character varying[]" in text
    again = parse_ddl(text, POSTGRESQL)
    assert isinstance(again, CreateTable) and again.table == op.table


def test_index_ddl_both_dialects():
    g = parse_ddl(
        "CREATE UNIQUE NULL_FILTERED INDEX I ON T (A DESC) STORING (B), INTERLEAVE IN P", GOOGLE_SQL
    )
    assert isinstance(g, CreateIndex)
    assert (
        render_index_ddl(g.index, GOOGLE_SQL)
        == "CREATE UNIQUE NULL_FILTERED INDEX I ON T(A DESC) STORING (B), INTERLEAVE IN P"
    )
    p = parse_ddl("create index i on t (a) include (b) where a is not null", POSTGRESQL)
    assert isinstance(p, CreateIndex) and p.index.null_filtered and p.index.storing == ["b"]


@pytest.mark.parametrize(
    "sql,dialect,error",
    [
        ("CREATE TABLE T (A INT64)", GOOGLE_SQL, DdlSyntaxError),
        ("CREATE TABLE T (A FOO) PRIMARY KEY (A)", GOOGLE_SQL, DdlSyntaxError),
        (
            "create table t (a bigint generated always as identity primary key)",
            POSTGRESQL,
            DdlError,
        ),
        ("create table t (a timestamp primary key)", POSTGRESQL, DdlError),
        ("create table t (a bigint)", POSTGRESQL, DdlError),
        ('create table t (a bigint, constraint "PK_1a" primary key (a))', POSTGRESQL, DdlError),
        ("DROP FUNCTION F", GOOGLE_SQL, DdlSyntaxError),
        ("CREATE VIEW V AS SELECT 1", GOOGLE_SQL, DdlError),
    ],
)
def test_ddl_rejections(sql, dialect, error):
    with pytest.raises(error):
        parse_ddl(sql, dialect)


def test_gsql_translation():
    tr = translate_gsql("SELECT * FROM information_schema.tables WHERE table_name = @t AND x = 1.5")
    assert (
        "spanner_information_schema" in tr.sql
        and "$t" in tr.sql
        and "CAST(1.5 AS DOUBLE)" in tr.sql
    )
    assert tr.kind == "query"
    dml = translate_gsql(
        "INSERT INTO T (A, B) VALUES (@a, PENDING_COMMIT_TIMESTAMP()) THEN RETURN A"
    )
    assert (
        dml.kind == "dml"
        and dml.returning
        and dml.uses_commit_ts
        and dml.sql.endswith("RETURNING A")
    )
    assert translate_gsql("INSERT OR UPDATE INTO T (A) VALUES (1)").sql.startswith(
        "INSERT OR REPLACE INTO"
    )
    with pytest.raises(InvalidArgument):
        translate_gsql("SELECT FROM WHERE")


def test_pg_translation():
    tr = translate_pg("select $1::numeric, $2 from information_schema.columns where x = $10")
    assert "$p1" in tr.sql and "$p2" in tr.sql and "$p10" in tr.sql
    assert "DECIMAL(38,9)" in tr.sql and "spanner_information_schema.columns" in tr.sql
    assert translate_pg("update t set a = 1 returning a").returning
    with pytest.raises(InvalidArgument) as err:
        translate_pg("select * from pg_catalog.pg_stat_activity")
    assert 'relation "pg_catalog.pg_stat_activity" does not exist' in err.value.message


@pytest.mark.parametrize(
    "text,items",
    [
        ("{}", []),
        ("{1,2}", ["1", "2"]),
        (' { a , "b c" ,NULL, "x\\"y", "NULL" } ', ["a", "b c", None, 'x"y', "NULL"]),
    ],
)
def test_pg_array_text(text, items):
    from dbtools.spanner_local import pg_literals

    assert pg_literals.parse_array_text(text) == items


@pytest.mark.parametrize("text", ["1,2", "{1,2", "{{1},{2}}", '{"a}', "{1 2,}x"])
def test_pg_array_text_malformed(text):
    from dbtools.spanner_local import pg_literals

    with pytest.raises(InvalidArgument, match="malformed array"):
        pg_literals.parse_array_text(text)


def test_pg_literal_sql():
    from dbtools.spanner_local import pg_literals

    assert pg_literals.array_literal_sql("'{a,''b'',NULL}'") == "['a', '''b''', NULL]"
    assert pg_literals.bytea_literal_sql("'\\x01FF'") == "unhex('01ff')"
    # the escape form: other text stands for itself, \ooo is an octal byte, \\ a backslash
    assert pg_literals.bytea_literal_sql("'ab'") == "unhex('6162')"
    assert pg_literals.bytea_value("\\001a\\\\") == b"\x01a\\"
    with pytest.raises(InvalidArgument):
        pg_literals.bytea_literal_sql("'\\x123'")
    with pytest.raises(InvalidArgument):
        pg_literals.bytea_value("\\q")


def test_identity_ddl_round_trip():
    from dbtools.spanner_local.catalog import render_identity

    op = parse_ddl(
        "CREATE TABLE T (Id INT64 GENERATED BY DEFAULT AS IDENTITY "
        "(BIT_REVERSED_POSITIVE SKIP RANGE -5, 10 START COUNTER WITH 3)) PRIMARY KEY (Id)",
        GOOGLE_SQL,
    )
    assert isinstance(op, CreateTable)
    ident = op.table.columns[0].identity
    assert ident == {
        "sequence_kind": "bit_reversed_positive",
        "skip_range_min": "-5",
        "skip_range_max": "10",
        "start_with_counter": "3",
    }
    assert render_identity(ident, POSTGRESQL) == (
        "GENERATED BY DEFAULT AS IDENTITY (BIT_REVERSED_POSITIVE SKIP RANGE -5 10 "
        "START COUNTER WITH 3)"
    )


def test_sequence_skip_moves_past_the_range():
    from dbtools.spanner_local.functions import bit_reverse, next_outside

    # rev(2) = 2^61 < rev(1) = 2^62 < rev(3) = 2^62 + 2^61; rev(4) = 2^60 is below them all
    skip = (bit_reverse(2), bit_reverse(3))
    assert next_outside(1, skip) == 4
    assert next_outside(4, skip) == 4
    assert next_outside(1, None) == 1


def test_the_cli_server_process_collects_garbage_less_often():
    """Only the `spanner-local` process tunes its collector; importing the package does not."""
    import subprocess
    import sys

    code = (
        "import gc; from dbtools.spanner_local import cli; before = gc.get_threshold(); "
        "cli.tune_collector(); print(before == (700, 10, 10), gc.get_threshold(), "
        "gc.get_freeze_count() > 0)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    from dbtools.spanner_local import cli

    assert out.stdout.split(None, 1)[0] == "True"
    assert f"({cli.COLLECT_EVERY}, 50, 100) True" in out.stdout
