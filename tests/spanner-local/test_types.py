"""Every Spanner type round-trips exactly, with Spanner's result metadata, in both dialects."""

from __future__ import annotations

import base64
import datetime as dt
import decimal
import math

import pytest
from google.cloud import spanner
from google.cloud.spanner_v1 import JsonObject, TypeAnnotationCode, TypeCode, param_types

UTC = dt.timezone.utc

GSQL_DDL = (
    "CREATE TABLE AllTypes (Id INT64 NOT NULL, I INT64, F FLOAT64, F32 FLOAT32, B BOOL, "
    "S STRING(MAX), By BYTES(MAX), D DATE, Ts TIMESTAMP, N NUMERIC, J JSON, "
    "AI ARRAY<INT64>, AF ARRAY<FLOAT64>, AF32 ARRAY<FLOAT32>, AB ARRAY<BOOL>, AS_ ARRAY<STRING(MAX)>, "
    "ABy ARRAY<BYTES(MAX)>, AD ARRAY<DATE>, ATs ARRAY<TIMESTAMP>, AN ARRAY<NUMERIC>, AJ ARRAY<JSON>"
    ") PRIMARY KEY (Id)"
)
PG_DDL = (
    "create table alltypes (id bigint primary key, i bigint, f double precision, f32 real, b boolean, "
    "s varchar, by bytea, d date, ts timestamptz, n numeric, j jsonb, "
    "ai bigint[], af float8[], af32 float4[], ab bool[], as_ text[], aby bytea[], ad date[], "
    "ats timestamptz[], an numeric[], aj jsonb[])"
)
COLUMNS = [
    "id",
    "i",
    "f",
    "f32",
    "b",
    "s",
    "by",
    "d",
    "ts",
    "n",
    "j",
    "ai",
    "af",
    "af32",
    "ab",
    "as_",
    "aby",
    "ad",
    "ats",
    "an",
    "aj",
]

TS = dt.datetime(2024, 2, 29, 23, 59, 58, 123456, tzinfo=UTC)
ROW = [
    1,
    -(2**63),
    1.0000000000000002,
    1.5,
    True,
    "héllo 🌍 \x00 end",
    base64.b64encode(b"\x00\xff\x10bytes"),
    dt.date(1, 1, 1),
    TS,
    decimal.Decimal("99999999999999999999999999999.123456789"),
    JsonObject({"b": [1, 2.5, None], "a": "x"}),
    [1, None, 2**63 - 1],
    [0.5, None, -1e300],
    [0.25, None],
    [True, None, False],
    ["a", None, ""],
    [base64.b64encode(b"x"), None],
    [dt.date(2020, 1, 1), None],
    [TS, None],
    [decimal.Decimal("-0.000000001"), None],
    [JsonObject({"k": 1}), None],
]
NULL_ROW = [2] + [None] * 20
EMPTY_ROW = [3] + [None] * 10 + [[] for _ in range(10)]

GSQL_CODES = [
    "INT64",
    "INT64",
    "FLOAT64",
    "FLOAT32",
    "BOOL",
    "STRING",
    "BYTES",
    "DATE",
    "TIMESTAMP",
    "NUMERIC",
    "JSON",
]


def _ddl(db):
    return GSQL_DDL if db.dialect_name == "GOOGLE_STANDARD_SQL" else PG_DDL


def _cols(db):
    if db.dialect_name == "GOOGLE_STANDARD_SQL":
        return [
            "Id",
            "I",
            "F",
            "F32",
            "B",
            "S",
            "By",
            "D",
            "Ts",
            "N",
            "J",
            "AI",
            "AF",
            "AF32",
            "AB",
            "AS_",
            "ABy",
            "AD",
            "ATs",
            "AN",
            "AJ",
        ]
    return COLUMNS


def _normalise(row):
    out = []
    for v in row:
        if isinstance(v, JsonObject):
            v = v.serialize()
        elif isinstance(v, list):
            v = [x.serialize() if isinstance(x, JsonObject) else x for x in v]
        out.append(v)
    return out


def _expected(row):
    out = []
    for v in row:
        if isinstance(v, JsonObject):
            v = v.serialize()
        elif isinstance(v, list):
            v = [x.serialize() if isinstance(x, JsonObject) else x for x in v]
        out.append(v)
    return out


@pytest.fixture
def typed_db(any_db):
    any_db.update_ddl([_ddl(any_db)]).result(60)
    with any_db.batch() as b:
        b.insert(
            "alltypes" if any_db.dialect_name == "POSTGRESQL" else "AllTypes",
            _cols(any_db),
            [ROW, NULL_ROW, EMPTY_ROW],
        )
    return any_db


def test_values_round_trip_through_mutations_and_queries(typed_db):
    table = "alltypes" if typed_db.dialect_name == "POSTGRESQL" else "AllTypes"
    with typed_db.snapshot() as snap:
        results = snap.execute_sql(f"SELECT * FROM {table} ORDER BY 1")
        rows = list(results)
    got = [_normalise(r) for r in rows]
    assert got[0][:6] == _expected(ROW)[:6]
    assert got[0][6] == ROW[6]  # bytes come back base64-encoded, as the client returns them
    assert got[0][7] == ROW[7]
    assert got[0][8] == TS and got[0][8].microsecond == 123456
    assert got[0][9] == ROW[9]
    assert got[0][10] == ROW[10].serialize()
    assert got[0][20] == [ROW[20][0].serialize(), None]
    assert got[0][11:16] == ROW[11:16]
    assert got[0][17:20] == ROW[17:20]
    assert got[1] == NULL_ROW
    assert got[2] == EMPTY_ROW


def test_result_metadata_types_and_pg_annotations(typed_db):
    pg = typed_db.dialect_name == "POSTGRESQL"
    table = "alltypes" if pg else "AllTypes"
    with typed_db.snapshot() as snap:
        results = snap.execute_sql(f"SELECT * FROM {table} WHERE {'id' if pg else 'Id'} = 1")
        list(results)
        fields = results.fields
    codes = [TypeCode(f.type_.code).name for f in fields]
    assert codes[:11] == GSQL_CODES
    assert all(c == "ARRAY" for c in codes[11:])
    elem = [TypeCode(f.type_.array_element_type.code).name for f in fields[11:]]
    assert elem == GSQL_CODES[1:]
    annotations = {f.name.lower(): TypeAnnotationCode(f.type_.type_annotation).name for f in fields}
    if pg:
        assert annotations["n"] == "PG_NUMERIC"
        assert annotations["j"] == "PG_JSONB"
        assert (
            TypeAnnotationCode(fields[19].type_.array_element_type.type_annotation).name
            == "PG_NUMERIC"
        )
        assert (
            TypeAnnotationCode(fields[20].type_.array_element_type.type_annotation).name
            == "PG_JSONB"
        )
    else:
        assert set(annotations.values()) == {"TYPE_ANNOTATION_CODE_UNSPECIFIED"}


def test_read_api_returns_same_values(typed_db):
    table = "alltypes" if typed_db.dialect_name == "POSTGRESQL" else "AllTypes"
    with typed_db.snapshot() as snap:
        rows = list(snap.read(table, _cols(typed_db), spanner.KeySet(keys=[[1], [2]])))
    assert rows[1] == NULL_ROW
    assert rows[0][9] == ROW[9]
    assert rows[0][8] == TS


GSQL_PARAMS = [
    ("INT64", param_types.INT64, 9223372036854775807),
    ("FLOAT64", param_types.FLOAT64, 2.5),
    ("FLOAT32", param_types.FLOAT32, 0.5),
    ("BOOL", param_types.BOOL, False),
    ("STRING", param_types.STRING, "ünïcode"),
    ("BYTES", param_types.BYTES, base64.b64encode(b"\x01\x02")),
    ("DATE", param_types.DATE, dt.date(2024, 12, 31)),
    ("TIMESTAMP", param_types.TIMESTAMP, TS),
    ("NUMERIC", param_types.NUMERIC, decimal.Decimal("-12345678901234567890.000000001")),
    ("ARRAY", param_types.Array(param_types.INT64), [1, None, 3]),
    ("ARRAY", param_types.Array(param_types.STRING), []),
]


@pytest.mark.parametrize(
    "code,ptype,value", GSQL_PARAMS, ids=[f"{p[0]}-{i}" for i, p in enumerate(GSQL_PARAMS)]
)
def test_typed_parameters_come_back_with_their_type(gsql_db, code, ptype, value):
    with gsql_db.snapshot() as snap:
        results = snap.execute_sql("SELECT @v AS v", params={"v": value}, param_types={"v": ptype})
        rows = list(results)
    assert TypeCode(results.fields[0].type_.code).name == code
    assert rows == [[value]]


@pytest.mark.parametrize(
    "ptype", [param_types.INT64, param_types.STRING, param_types.TIMESTAMP, param_types.NUMERIC]
)
def test_typed_null_parameters(gsql_db, ptype):
    with gsql_db.snapshot() as snap:
        results = snap.execute_sql(
            "SELECT @v IS NULL, @v", params={"v": None}, param_types={"v": ptype}
        )
        rows = list(results)
    assert rows == [[True, None]]
    assert results.fields[1].type_.code == ptype.code


def test_pg_parameters_use_dollar_numbers(pg_spanner_db):
    with pg_spanner_db.snapshot() as snap:
        results = snap.execute_sql(
            "select $1::bigint + 1 as a, $2 as b, $3::numeric as c",
            params={"p1": 41, "p2": "x", "p3": decimal.Decimal("1.5")},
            param_types={
                "p1": param_types.INT64,
                "p2": param_types.STRING,
                "p3": param_types.PG_NUMERIC,
            },
        )
        rows = list(results)
    assert rows == [[42, "x", decimal.Decimal("1.5")]]
    assert results.fields[2].type_.type_annotation == TypeAnnotationCode.PG_NUMERIC


def test_special_floats_round_trip(gsql_db):
    with gsql_db.snapshot() as snap:
        rows = list(
            snap.execute_sql(
                "SELECT @a, @b, @c",
                params={"a": float("nan"), "b": float("inf"), "c": float("-inf")},
                param_types={
                    "a": param_types.FLOAT64,
                    "b": param_types.FLOAT64,
                    "c": param_types.FLOAT64,
                },
            )
        )
    assert math.isnan(rows[0][0]) and rows[0][1] == math.inf and rows[0][2] == -math.inf


def test_json_is_normalised_like_spanner(any_db):
    pg = any_db.dialect_name == "POSTGRESQL"
    with any_db.snapshot() as snap:
        sql = "select $1::jsonb" if pg else "SELECT PARSE_JSON(@j)"
        ptype = param_types.PG_JSONB if pg else param_types.STRING
        name = "p1" if pg else "j"
        results = snap.execute_sql(
            sql, params={name: '{"bb": 1, "a": [1, 2]}'}, param_types={name: ptype}
        )
        rows = list(results)
    value = rows[0][0]
    assert value == {"a": [1, 2], "bb": 1}


def test_untyped_parameters_are_inferred(gsql_db):
    gsql_db.update_ddl(["CREATE TABLE U (K INT64, S STRING(MAX)) PRIMARY KEY (K)"]).result(60)
    with gsql_db.batch() as b:
        b.insert("U", ["K", "S"], [(5, "five")])
    with gsql_db.snapshot() as snap:
        rows = list(snap.execute_sql("SELECT S FROM U WHERE K = @k", params={"k": 5}))
    assert rows == [["five"]]
