"""Autocommit queries served from the event loop (loopread) and results encoded straight from
Spanner's protobuf Values (codecs.value_encoder)."""

from __future__ import annotations

import threading
import time
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

import grpc
import psycopg
import pytest
from dbtools.pgadapter import Proxy
from dbtools.pgadapter import codecs as c
from dbtools.pgadapter.types import SPANNER_TO_OID, oid_for_spanner
from google.cloud.spanner_v1 import (
    ResultSetMetadata,
    StructType,
    Type,
    TypeAnnotationCode,
    TypeCode,
)
from google.cloud.spanner_v1._helpers import _parse_value_pb
from google.cloud.spanner_v1.types import result_set
from google.protobuf.struct_pb2 import ListValue, Value
from grpc_status.rpc_status import _Status


def test_autocommit_queries_need_no_worker_thread(proxy: Proxy, dsn: str) -> None:
    with psycopg.connect(dsn, autocommit=True, prepare_threshold=0) as conn:
        conn.execute("create table kv (id bigint primary key, v varchar, n numeric)")
        conn.execute(
            "insert into kv select i, 'v' || i::varchar, i * 1.5 from generate_series(1, 3000) s(i)"
        )
        conn.execute("select v from kv where id = %s", (1,)).fetchall()  # prepared before
        # were a worker thread needed, the statement would wait for one until statement_timeout
        conn.execute("set statement_timeout = '20s'")
        blocked = proxy.server.executor
        release = threading.Event()
        futures = [blocked.submit(release.wait, 60) for _ in range(blocked._max_workers)]
        try:
            for i in (7, 2999):
                row = conn.execute("select v, n from kv where id = %s", (i,)).fetchone()
                assert row == (f"v{i}", Decimal(i) * Decimal("1.5"))
            # more rows than the first read and than one fetch chunk: streamed from the loop
            rows = conn.execute("select id, v from kv order by id").fetchall()
            assert len(rows) == 3000 and rows[0] == (1, "v1") and rows[-1] == (3000, "v3000")
            cur = conn.cursor(binary=True)
            assert sum(1 for _ in cur.stream("select id, n from kv")) == 3000
            with pytest.raises(psycopg.errors.UndefinedTable):
                conn.execute("select * from no_such_table")
            assert conn.execute("select count(*) from kv").fetchone() == (3000,)
        finally:
            release.set()
            for fut in futures:
                fut.result(60)


def _type(code: int, annotation: int = 0, element: Type | None = None) -> Type:
    if element is not None:
        return Type(code=TypeCode.ARRAY, array_element_type=element)
    return Type(code=code, type_annotation=annotation)


INT64 = _type(TypeCode.INT64)
NUMERIC = _type(TypeCode.NUMERIC, TypeAnnotationCode.PG_NUMERIC)
JSONB = _type(TypeCode.JSON, TypeAnnotationCode.PG_JSONB)

# (Spanner type, the Value Spanner sends) for every result type, NULL and special values too
CASES: list[tuple[Type, Value]] = [
    (_type(TypeCode.INTERVAL), Value(string_value="P1Y2M3DT4H5M6.5S")),
    (_type(TypeCode.INTERVAL), Value(string_value="PT-1H")),
    (INT64, Value(string_value="-9223372036854775808")),
    (INT64, Value(string_value="42")),
    (INT64, Value(null_value=0)),
    (_type(TypeCode.FLOAT64), Value(number_value=0.1)),
    (_type(TypeCode.FLOAT64), Value(number_value=1e300)),
    (_type(TypeCode.FLOAT64), Value(string_value="NaN")),
    (_type(TypeCode.FLOAT64), Value(string_value="-Infinity")),
    (_type(TypeCode.FLOAT32), Value(number_value=3.4028234663852886e38)),
    (_type(TypeCode.BOOL), Value(bool_value=False)),
    (_type(TypeCode.STRING), Value(string_value='héllo, {"world"}')),
    (_type(TypeCode.STRING), Value(string_value="")),
    (_type(TypeCode.BYTES), Value(string_value="AP8Qcw==")),
    (_type(TypeCode.DATE), Value(string_value="0001-01-01")),
    (_type(TypeCode.TIMESTAMP), Value(string_value="2024-02-29T23:59:59.123456789Z")),
    (_type(TypeCode.TIMESTAMP), Value(string_value="1970-01-01T00:00:00Z")),
    (NUMERIC, Value(string_value="-0.000100")),
    (NUMERIC, Value(string_value="123456789012345678901234567890.5")),
    (NUMERIC, Value(string_value="NaN")),
    (JSONB, Value(string_value='{"b": [1, 2.5, null], "a": {"x": "y"}, "aa": true}')),
    (_type(TypeCode.INT64, TypeAnnotationCode.PG_OID), Value(string_value="1259")),
    (
        _type(0, element=INT64),
        Value(list_value=ListValue(values=[Value(string_value="1"), Value(null_value=0)])),
    ),
    (
        _type(0, element=_type(TypeCode.STRING)),
        Value(list_value=ListValue(values=[Value(string_value="a b"), Value(string_value="")])),
    ),
    (
        _type(0, element=NUMERIC),
        Value(list_value=ListValue(values=[Value(string_value="1.50")])),
    ),
    (_type(0, element=_type(TypeCode.TIMESTAMP)), Value(list_value=ListValue(values=[]))),
]


def _oid(t: Type) -> int:
    return oid_for_spanner(t)


@pytest.mark.parametrize("fmt", [0, 1])
@pytest.mark.parametrize(
    "text_out",
    [c.DEFAULT_TEXT_OUT, c.TextOut(ZoneInfo("America/St_Johns"), "iso_8601")],
)
@pytest.mark.parametrize(("spanner_type", "value"), CASES)
def test_value_encoders_give_the_bytes_of_the_decoded_value(
    spanner_type: Type, value: Value, fmt: int, text_out: c.TextOut
) -> None:
    """Encoding Spanner's Value directly gives the bytes that encoding the client's decoded
    value gives (which the other tests compare with PostgreSQL's own output)."""
    oid = _oid(spanner_type)
    decoded = _parse_value_pb(value, spanner_type, "c")
    expected = None if decoded is None else c.encoder(oid, fmt, text_out)(decoded)
    assert c.value_encoder(oid, fmt, text_out)(value) == expected


def test_every_spanner_result_type_has_a_case() -> None:
    covered = {_oid(t) for t, _ in CASES}
    assert set(SPANNER_TO_OID.values()) - {2950} <= covered  # UUID is not a PG-dialect type


def _one_row(value: int) -> result_set.ResultSet:
    field = StructType.Field(name="v", type_=Type(code=TypeCode.INT64))
    return result_set.ResultSet(
        metadata=ResultSetMetadata(row_type=StructType(fields=[field])),
        rows=[ListValue(values=[Value(string_value=str(value))])],
    )


def _queries(servicer: Any, sql: str) -> list[Any]:
    return [r for r in servicer.requests if getattr(r, "sql", "") == sql]


def test_a_session_spanner_lost_is_fetched_again(mock: tuple[Any, Proxy]) -> None:
    servicer, proxy = mock
    sql = "select v from t where id = 7"
    servicer.mock_spanner.add_result(sql, _one_row(70))
    with psycopg.connect(proxy.dsn(), autocommit=True) as conn:
        assert conn.execute(sql).fetchone() == (70,)
        servicer.clear_requests()
        gone = _Status(
            code=grpc.StatusCode.NOT_FOUND, details="Session not found: x", trailing_metadata=()
        )
        servicer.mock_spanner.add_error("ExecuteStreamingSql", gone)
        assert conn.execute(sql).fetchone() == (70,)  # retried on the manager's session
        assert len(_queries(servicer, sql)) == 2


def test_stream_errors_become_pg_errors_and_the_connection_survives(
    mock: tuple[Any, Proxy],
) -> None:
    servicer, proxy = mock
    sql = "select v from t where id = 8"
    servicer.mock_spanner.add_result(sql, _one_row(80))
    with psycopg.connect(proxy.dsn(), autocommit=True) as conn:
        denied = _Status(
            code=grpc.StatusCode.PERMISSION_DENIED, details="no reads", trailing_metadata=()
        )
        servicer.mock_spanner.add_error("ExecuteStreamingSql", denied)
        with pytest.raises(psycopg.errors.InsufficientPrivilege):
            conn.execute(sql)
        table_gone = _Status(
            code=grpc.StatusCode.NOT_FOUND, details="Table not found: t", trailing_metadata=()
        )
        servicer.mock_spanner.add_error("ExecuteStreamingSql", table_gone)
        with pytest.raises(psycopg.errors.UndefinedTable):
            conn.execute(sql)
        assert conn.execute(sql).fetchone() == (80,)


def test_statement_timeout_counts_from_the_statement_not_the_one_before(dsn: str) -> None:
    with psycopg.connect(dsn, autocommit=True) as conn:
        conn.execute("set statement_timeout = '300ms'")
        time.sleep(1)  # longer than the timeout, between two statements
        assert conn.execute("select %s::bigint", (1,)).fetchone() == (1,)
        conn.execute("begin")
        time.sleep(1)
        assert conn.execute("select %s::bigint", (2,)).fetchone() == (2,)
        conn.execute("commit")
