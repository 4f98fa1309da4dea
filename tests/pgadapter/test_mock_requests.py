"""ABORTED handling, checked against the scripted mock server that ships with
google-cloud-spanner: the exact requests the proxy sends are visible, and aborts are injected."""

from __future__ import annotations

import asyncio
from typing import Any

import asyncpg
import grpc
import psycopg
import pytest
from dbtools.pgadapter import Proxy
from google.cloud.spanner_v1 import ResultSetMetadata, StructType, Type, TypeCode
from google.cloud.spanner_v1.types import result_set
from google.protobuf import struct_pb2
from grpc_status.rpc_status import _Status

SELECT = "select v from t where id = 1"
UPDATE = "update t set v = 11 where id = 1"


def _rows(value: int) -> result_set.ResultSet:
    field = StructType.Field(name="v", type_=Type(code=TypeCode.INT64))
    return result_set.ResultSet(
        metadata=ResultSetMetadata(row_type=StructType(fields=[field])),
        rows=[struct_pb2.ListValue(values=[struct_pb2.Value(string_value=str(value))])],
    )


def _update_count(n: int) -> result_set.ResultSet:
    return result_set.ResultSet(
        metadata=ResultSetMetadata(row_type=StructType(fields=[])),
        stats=result_set.ResultSetStats(row_count_exact=n),
    )


def _aborted() -> _Status:
    return _Status(
        code=grpc.StatusCode.ABORTED, details="Transaction was aborted.", trailing_metadata=()
    )


def _count(servicer: Any, kind: str, sql: str | None = None) -> int:
    return sum(
        1
        for r in servicer.requests
        if type(r).__name__ == kind and (sql is None or getattr(r, "sql", "") == sql)
    )


def test_abort_at_commit_is_replayed_transparently(mock: tuple[Any, Proxy]) -> None:
    servicer, proxy = mock
    servicer.mock_spanner.add_result(SELECT, _rows(10))
    servicer.mock_spanner.add_result(UPDATE, _update_count(1))
    servicer.clear_requests()
    before = proxy.server.stats["aborts_retried"]
    with psycopg.connect(proxy.dsn(), autocommit=True) as conn:
        conn.execute("begin")
        assert conn.execute(SELECT).fetchone() == (10,)
        assert conn.execute(UPDATE).rowcount == 1
        servicer.mock_spanner.add_error("Commit", _aborted())
        conn.execute("commit")
    assert proxy.server.stats["aborts_retried"] == before + 1
    assert _count(servicer, "ExecuteSqlRequest", SELECT) == 2  # once, then replayed
    assert _count(servicer, "ExecuteSqlRequest", UPDATE) == 2
    assert _count(servicer, "CommitRequest") == 2


def test_abort_with_different_results_is_40001(mock: tuple[Any, Proxy]) -> None:
    servicer, proxy = mock
    servicer.mock_spanner.add_result(SELECT, _rows(10))
    servicer.mock_spanner.add_result(UPDATE, _update_count(1))
    with psycopg.connect(proxy.dsn(), autocommit=True) as conn:
        conn.execute("begin")
        assert conn.execute(SELECT).fetchone() == (10,)
        conn.execute(UPDATE)
        servicer.mock_spanner.add_result(SELECT, _rows(99))  # a concurrent writer changed it
        servicer.mock_spanner.add_error("Commit", _aborted())
        with pytest.raises(psycopg.errors.SerializationFailure) as info:
            conn.execute("commit")
        assert "saw different data" in str(info.value)
        assert conn.execute(SELECT).fetchone() == (99,)  # the connection is usable again


def test_autocommit_read_uses_single_use_snapshot(mock: tuple[Any, Proxy]) -> None:
    servicer, proxy = mock
    servicer.mock_spanner.add_result(SELECT, _rows(10))
    servicer.clear_requests()
    with psycopg.connect(proxy.dsn(), autocommit=True) as conn:
        conn.execute(SELECT).fetchall()
    (req,) = [r for r in servicer.requests if type(r).__name__ == "ExecuteSqlRequest"]
    assert "single_use" in req.transaction and req.transaction.single_use.read_only.strong
    assert _count(servicer, "CommitRequest") == 0


def test_read_only_transaction_never_commits(mock: tuple[Any, Proxy]) -> None:
    servicer, proxy = mock
    servicer.mock_spanner.add_result(SELECT, _rows(10))
    servicer.clear_requests()
    with psycopg.connect(proxy.dsn(), autocommit=True) as conn:
        conn.execute("begin read only")
        conn.execute(SELECT).fetchall()
        conn.execute(SELECT).fetchall()
        conn.execute("commit")
    assert _count(servicer, "BeginTransactionRequest") == 1
    assert _count(servicer, "CommitRequest") == 0
    reqs = [r for r in servicer.requests if type(r).__name__ == "ExecuteSqlRequest"]
    assert len(reqs) == 2 and all(r.transaction.id for r in reqs)


def test_untyped_parameters_are_typed_by_plan_mode(mock: tuple[Any, Proxy]) -> None:
    """asyncpg describes statements before binding: the parameter types come from Spanner's
    PLAN mode (undeclared_parameters), and the query is then sent with those types."""
    servicer, proxy = mock
    sql = "select v from t where id = $1 and name = $2"
    fields = [
        StructType.Field(name="p1", type_=Type(code=TypeCode.INT64)),
        StructType.Field(name="p2", type_=Type(code=TypeCode.STRING)),
    ]
    result = _rows(10)
    result.metadata.undeclared_parameters = StructType(fields=fields)
    servicer.mock_spanner.add_result(sql, result)
    servicer.clear_requests()

    async def run() -> list[Any]:
        conn = await asyncpg.connect(proxy.url())
        try:
            stmt = await conn.prepare(sql)
            assert [t.name for t in stmt.get_parameters()] == ["int8", "varchar"]
            return [tuple(r) for r in await stmt.fetch(1, "x")]
        finally:
            await conn.close()

    assert asyncio.run(run()) == [(10,)]
    sql_requests = [r for r in servicer.requests if type(r).__name__ == "ExecuteSqlRequest"]
    plan = [r for r in sql_requests if r.query_mode == r.QueryMode.PLAN]
    normal = [r for r in sql_requests if r.query_mode == r.QueryMode.NORMAL]
    assert len(plan) == 1
    assert normal and normal[-1].param_types["p1"].code == TypeCode.INT64
    assert normal[-1].params["p1"] == "1" and normal[-1].params["p2"] == "x"


@pytest.mark.parametrize("boost", [True, False])
def test_data_boost_is_sent_with_partitioned_queries(mock: tuple[Any, Proxy], boost: bool) -> None:
    """spanner.data_boost_enabled reaches the ExecuteSql requests of each partition."""
    from google.cloud.spanner_v1.types import spanner as spanner_types

    servicer, proxy = mock
    parts = [spanner_types.Partition(partition_token=t) for t in (b"p1", b"p2")]
    servicer.mock_spanner.add_partition_result(
        SELECT, spanner_types.PartitionResponse(partitions=parts)
    )
    servicer.mock_spanner.add_result(SELECT, _rows(10))
    servicer.clear_requests()
    with psycopg.connect(proxy.dsn(), autocommit=True) as conn:
        conn.execute(f"set spanner.data_boost_enabled = {'on' if boost else 'off'}")
        assert conn.execute(f"run partitioned query {SELECT}").fetchall() == [(10,), (10,)]
    sent = [
        r
        for r in servicer.requests
        if type(r).__name__ == "ExecuteSqlRequest" and r.partition_token
    ]
    assert sorted(r.partition_token for r in sent) == [b"p1", b"p2"]
    assert all(r.data_boost_enabled is boost for r in sent)
    assert _count(servicer, "PartitionQueryRequest", SELECT) == 1


@pytest.mark.parametrize("setting", [0, 7])
def test_max_partitions_is_sent_with_partition_requests(
    mock: tuple[Any, Proxy], setting: int
) -> None:
    """spanner.max_partitions is PartitionOptions.max_partitions of PartitionQuery (0: none)."""
    from google.cloud.spanner_v1.types import spanner as spanner_types

    servicer, proxy = mock
    parts = [spanner_types.Partition(partition_token=b"p1")]
    servicer.mock_spanner.add_partition_result(
        SELECT, spanner_types.PartitionResponse(partitions=parts)
    )
    servicer.mock_spanner.add_result(SELECT, _rows(10))
    servicer.clear_requests()
    with psycopg.connect(proxy.dsn(), autocommit=True) as conn:
        conn.execute(f"set spanner.max_partitions = {setting}")
        assert len(conn.execute(f"partition {SELECT}").fetchall()) == 1
    sent = [r for r in servicer.requests if type(r).__name__ == "PartitionQueryRequest"]
    assert [r.partition_options.max_partitions for r in sent] == [setting]
