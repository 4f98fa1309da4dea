"""Malformed and oversized requests are INVALID_ARGUMENT, and the server keeps serving."""

from __future__ import annotations

import grpc
import pytest
from google.cloud.spanner_v1.types import commit_response as cr
from google.cloud.spanner_v1.types import mutation as mu
from google.cloud.spanner_v1.types import result_set as rs
from google.cloud.spanner_v1.types import spanner as sp
from google.cloud.spanner_v1.types import transaction as tx
from google.cloud.spanner_v1.types import type as ty
from google.protobuf import struct_pb2

from .test_raw_grpc import Raw

RW = tx.TransactionOptions(read_write=tx.TransactionOptions.ReadWrite())


@pytest.fixture
def raw(local):
    db = local.new_database(
        ddl=["CREATE TABLE R (K INT64 NOT NULL, V STRING(MAX)) PRIMARY KEY (K)"]
    )
    r = Raw(local.address)
    r.session = r.call("CreateSession", sp.CreateSessionRequest(database=db.name), sp.Session).name
    yield r
    r.channel.close()
    db.drop()


def _invalid(raw, method, request, response_cls, match):
    with pytest.raises(grpc.RpcError) as info:
        raw.call(method, request, response_cls)
    assert info.value.code() == grpc.StatusCode.INVALID_ARGUMENT, info.value.details()
    assert match in info.value.details()


def _still_serves(raw):
    out = raw.call(
        "ExecuteSql", sp.ExecuteSqlRequest(session=raw.session, sql="SELECT 1"), rs.ResultSet
    )
    assert out.rows[0].values[0].string_value == "1"


def _query(raw, sql, params=None, types=None):
    return sp.ExecuteSqlRequest(
        session=raw.session, sql=sql, params=params or struct_pb2.Struct(), param_types=types or {}
    )


def test_empty_mutation(raw):
    req = sp.CommitRequest(
        session=raw.session, single_use_transaction=RW, mutations=[mu.Mutation()]
    )
    _invalid(raw, "Commit", req, cr.CommitResponse, "Invalid mutation")
    _still_serves(raw)


@pytest.mark.parametrize(
    ("ptype", "match"),
    [
        (ty.Type(code=ty.TypeCode.ARRAY), "ARRAY type must have an element type"),
        (
            ty.Type(code=ty.TypeCode.ARRAY, array_element_type=ty.Type()),
            "ARRAY type must have an element type",
        ),
        (ty.Type(), "not a Spanner type"),
        (ty.Type(code=999), "not a Spanner type"),
    ],
)
def test_malformed_parameter_types(raw, ptype, match):
    params = struct_pb2.Struct(fields={"p": struct_pb2.Value(list_value=struct_pb2.ListValue())})
    _invalid(raw, "ExecuteSql", _query(raw, "SELECT @p", params, {"p": ptype}), rs.ResultSet, match)
    _still_serves(raw)


@pytest.mark.parametrize(
    "sql",
    [
        "SELECT " + "(" * 5000 + "1" + ")" * 5000,
        "SELECT " + "(SELECT " * 500 + "1" + ")" * 500,
        "SELECT 1 FROM R WHERE " + "NOT " * 5000 + "TRUE",
    ],
)
def test_deeply_nested_statements(raw, sql):
    _invalid(raw, "ExecuteSql", _query(raw, sql), rs.ResultSet, "nested too deeply")
    _still_serves(raw)


def test_request_over_the_size_limit_is_refused_before_work(raw):
    sql = "SELECT '" + "x" * (10 * 1024 * 1024) + "'"
    _invalid(raw, "ExecuteSql", _query(raw, sql), rs.ResultSet, "Request is too large")
    with pytest.raises(grpc.RpcError) as info:
        raw.call("ExecuteStreamingSql", _query(raw, sql), rs.PartialResultSet, stream=True)
    assert info.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    _still_serves(raw)
