"""spanner.* session settings, observed in the requests that reach Spanner: spanner-local's
statement log (tags, partitioned DML) and the client library's mock server (staleness,
priority)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from typing import Any

import psycopg
import pytest
from dbtools import spanner_local
from dbtools.pgadapter import Proxy, serve
from google.cloud.spanner_v1 import ResultSetMetadata, StructType, Type, TypeCode
from google.cloud.spanner_v1.testing.mock_spanner import start_mock_server
from google.cloud.spanner_v1.types import result_set
from google.protobuf import struct_pb2


def _records(spanner: spanner_local.Endpoint, database: str, kind: str) -> list[Any]:
    return [r for r in spanner.statement_log.for_database(database) if r.kind == kind]


def test_statement_tag_applies_to_the_next_statement_only(
    dsn: str, database: str, spanner: spanner_local.Endpoint
) -> None:
    with psycopg.connect(dsn, autocommit=True) as conn:
        conn.execute("create table t (id bigint primary key, v bigint)")
        conn.execute("set spanner.statement_tag = 'insert-one'")
        assert conn.execute("show spanner.statement_tag").fetchone() == ("insert-one",)
        conn.execute("insert into t (id, v) values (1, 1)")
        conn.execute("insert into t (id, v) values (2, 2)")
        conn.execute("set spanner.statement_tag = 'read-it'")
        conn.execute("select v from t where id = 1").fetchall()
        conn.execute("select v from t where id = 2").fetchall()
        assert conn.execute("show spanner.statement_tag").fetchone() == ("",)
    tags = {
        r.sql: r.request_tag
        for r in spanner.statement_log.for_database(database)
        if r.kind in ("dml", "query") and r.sql and ("from t" in r.sql or "into t" in r.sql)
    }
    assert tags["insert into t (id, v) values (1, 1)"] == "insert-one"
    assert not tags["insert into t (id, v) values (2, 2)"]
    assert tags["select v from t where id = 1"] == "read-it"
    assert not tags["select v from t where id = 2"]


def test_transaction_tag_on_every_request_of_the_transaction(
    dsn: str, database: str, spanner: spanner_local.Endpoint
) -> None:
    with psycopg.connect(dsn, autocommit=True) as conn:
        conn.execute("create table t (id bigint primary key, v bigint)")
        conn.execute("begin")
        conn.execute("set spanner.transaction_tag = 'nightly-load'")
        conn.execute("insert into t (id, v) values (1, 1)")
        conn.execute("update t set v = 2 where id = 1")
        with pytest.raises(psycopg.errors.ActiveSqlTransaction):
            conn.execute("set spanner.transaction_tag = 'too-late'")
        conn.execute("rollback")
        conn.execute("begin")
        conn.execute("set spanner.transaction_tag = 'nightly-load'")
        conn.execute("insert into t (id, v) values (1, 1)")
        conn.execute("commit")
        conn.execute("insert into t (id, v) values (2, 2)")  # a new transaction: untagged
    dml = _records(spanner, database, "dml")
    commits = _records(spanner, database, "commit")
    tagged = [r.sql for r in dml if r.transaction_tag == "nightly-load"]
    assert tagged == [
        "insert into t (id, v) values (1, 1)",
        "update t set v = 2 where id = 1",
        "insert into t (id, v) values (1, 1)",
    ]
    assert not next(r for r in dml if "(2, 2)" in r.sql).transaction_tag
    assert [c.transaction_tag or "" for c in commits][-2:] == ["nightly-load", ""]


def test_partitioned_non_atomic_dml(
    dsn: str, database: str, spanner: spanner_local.Endpoint
) -> None:
    with psycopg.connect(dsn, autocommit=True) as conn:
        conn.execute("create table t (id bigint primary key, v bigint)")
        with conn.cursor().copy("COPY t FROM STDIN") as cp:
            for i in range(50):
                cp.write_row((i, i))
        with pytest.raises(psycopg.errors.InvalidParameterValue):
            conn.execute("set spanner.autocommit_dml_mode = 'sometimes'")
        conn.execute("set spanner.autocommit_dml_mode = 'partitioned_non_atomic'")
        assert conn.execute("show spanner.autocommit_dml_mode").fetchone() == (
            "PARTITIONED_NON_ATOMIC",
        )
        cur = conn.execute("update t set v = v + 100 where id >= 10")
        assert cur.rowcount == 40
        conn.execute("reset spanner.autocommit_dml_mode")
        conn.execute("update t set v = 0 where id = 0")
    pdml = _records(spanner, database, "partitioned_dml")
    assert [r.sql for r in pdml] == ["update t set v = v + 100 where id >= 10"]
    assert [r.sql for r in _records(spanner, database, "dml")][
        -1
    ] == "update t set v = 0 where id = 0"


SELECT = "select v from t where id = 1"


@pytest.fixture(scope="module")
def mock() -> Iterator[tuple[Any, Proxy]]:
    server, servicer, _admin, port = start_mock_server()
    field = StructType.Field(name="v", type_=Type(code=TypeCode.INT64))
    servicer.mock_spanner.add_result(
        SELECT,
        result_set.ResultSet(
            metadata=ResultSetMetadata(row_type=StructType(fields=[field])),
            rows=[struct_pb2.ListValue(values=[struct_pb2.Value(string_value="1")])],
        ),
    )
    try:
        with serve("p", "i", "d", emulator_host=f"localhost:{port}") as proxy:
            yield servicer, proxy
    finally:
        server.stop(0)


def _last_query(servicer: Any) -> Any:
    return [r for r in servicer.requests if type(r).__name__ == "ExecuteSqlRequest"][-1]


def test_read_only_staleness_reaches_the_read(mock: tuple[Any, Proxy]) -> None:
    servicer, proxy = mock
    with psycopg.connect(proxy.dsn(), autocommit=True) as conn:
        conn.execute("set spanner.read_only_staleness = 'MAX_STALENESS 10s'")
        assert conn.execute(SELECT).fetchone() == (1,)
        ro = _last_query(servicer).transaction.single_use.read_only
        assert ro.max_staleness == dt.timedelta(seconds=10)
        conn.execute("set spanner.read_only_staleness = 'EXACT_STALENESS 1500ms'")
        conn.execute(SELECT).fetchall()
        ro = _last_query(servicer).transaction.single_use.read_only
        assert ro.exact_staleness == dt.timedelta(seconds=1.5)
        conn.execute("set spanner.read_only_staleness = 'READ_TIMESTAMP 2024-01-02T03:04:05Z'")
        conn.execute(SELECT).fetchall()
        ro = _last_query(servicer).transaction.single_use.read_only
        assert ro.read_timestamp == dt.datetime(2024, 1, 2, 3, 4, 5, tzinfo=dt.timezone.utc)
        assert conn.execute("show spanner.read_only_staleness").fetchone() == (
            "READ_TIMESTAMP 2024-01-02T03:04:05Z",
        )
        with pytest.raises(psycopg.errors.InvalidParameterValue):
            conn.execute("set spanner.read_only_staleness = 'MAX_STALENESS ten'")
        conn.execute("set spanner.read_only_staleness = 'strong'")
        conn.execute(SELECT).fetchall()
        assert _last_query(servicer).transaction.single_use.read_only.strong


def test_rpc_priority_reaches_the_request(mock: tuple[Any, Proxy]) -> None:
    servicer, proxy = mock
    with psycopg.connect(
        proxy.dsn(), autocommit=True, options="-c spanner.rpc_priority=LOW"
    ) as conn:
        conn.execute(SELECT).fetchall()
        assert _last_query(servicer).request_options.priority == 1  # PRIORITY_LOW
        conn.execute("set spanner.rpc_priority = 'HIGH'")
        conn.execute(SELECT).fetchall()
        assert _last_query(servicer).request_options.priority == 3
        with pytest.raises(psycopg.errors.InvalidParameterValue):
            conn.execute("set spanner.rpc_priority = 'urgent'")
        conn.execute("reset spanner.rpc_priority")
        conn.execute(SELECT).fetchall()
        assert _last_query(servicer).request_options.priority == 0


def test_time_zone_renders_timestamps(dsn: str) -> None:
    with psycopg.connect(dsn, autocommit=True) as conn:
        conn.execute("set time zone 'Asia/Tokyo'")
        cur = conn.cursor(binary=False)
        cur.execute(
            "select '2024-01-01T00:00:00Z'::timestamptz::text, '2024-01-01T00:00:00Z'::timestamptz"
        )
        row = cur.fetchone()
        assert row is not None
        assert row[1] == dt.datetime(2024, 1, 1, 9, tzinfo=dt.timezone(dt.timedelta(hours=9)))


def test_unknown_settings_fail_as_in_postgresql_custom_ones_are_kept(dsn: str) -> None:
    with psycopg.connect(dsn, autocommit=True) as conn:
        with pytest.raises(psycopg.errors.UndefinedObject, match='parameter "foo"'):
            conn.execute("SET foo = 1")
        with pytest.raises(psycopg.errors.UndefinedObject, match=r"spanner\.nope"):
            conn.execute("SET spanner.nope = 1")
        with pytest.raises(psycopg.errors.FeatureNotSupported, match=r"spanner\.optimizer_version"):
            conn.execute("SET spanner.optimizer_version = '3'")
        conn.execute("SET myapp.tenant = 't1'")
        assert conn.execute("SHOW myapp.tenant").fetchone() == ("t1",)
        # set_config is SET (asyncpg turns jit off with it)
        row = conn.execute("SELECT current_setting('jit') AS cur, set_config('jit', 'off', false)")
        assert row.fetchone() == ("off", "off")
        with pytest.raises(psycopg.errors.FeatureNotSupported, match="jit"):
            conn.execute("SELECT set_config('jit', 'on', false)")


def test_startup_options_quotes_and_several_c(proxy: Proxy, database: str) -> None:
    options = (
        "-c spanner.read_only_staleness='MAX_STALENESS 10s'"
        " -c spanner.autocommit_dml_mode='partitioned_non_atomic' -c application_name=a\\ b"
    )
    with psycopg.connect(proxy.dsn(database), options=options, autocommit=True) as conn:
        assert conn.execute("SHOW spanner.read_only_staleness").fetchone() == ("MAX_STALENESS 10s",)
        assert conn.execute("SHOW spanner.autocommit_dml_mode").fetchone() == (
            "PARTITIONED_NON_ATOMIC",
        )
        assert conn.execute("SHOW application_name").fetchone() == ("a b",)


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ("-c spanner.read_only_staleness=SOMETIMES", "spanner.read_only_staleness"),
        ("-c foo=1", 'unrecognized configuration parameter "foo"'),
        ("-B 100", "invalid command-line argument"),
    ],
)
def test_invalid_startup_settings_refuse_the_connection(
    proxy: Proxy, database: str, options: str, message: str
) -> None:
    with pytest.raises(psycopg.OperationalError, match=message):
        psycopg.connect(proxy.dsn(database), options=options)
