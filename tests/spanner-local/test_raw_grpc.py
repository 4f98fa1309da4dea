"""Request-level behaviour over raw gRPC: inline begin, batch DML status, error codes."""

from __future__ import annotations

import grpc
import pytest
from google.cloud.spanner_v1.types import commit_response as cr
from google.cloud.spanner_v1.types import result_set as rs
from google.cloud.spanner_v1.types import spanner as sp
from google.cloud.spanner_v1.types import transaction as tx
from google.cloud.spanner_v1.types import type as ty
from google.protobuf import empty_pb2, struct_pb2
from google.rpc import error_details_pb2

SERVICE = "/google.spanner.v1.Spanner/"
TypeCodeInt64 = ty.TypeCode.INT64.value


class Raw:
    def __init__(self, address: str) -> None:
        self.channel = grpc.insecure_channel(address)

    def call(self, method: str, request, response_cls, stream: bool = False):
        pb = request._pb if hasattr(request, "_pb") else request
        factory = self.channel.unary_stream if stream else self.channel.unary_unary
        fn = factory(
            SERVICE + method,
            request_serializer=lambda m: m.SerializeToString(),
            response_deserializer=response_cls.pb().FromString,
        )
        result = fn(pb, timeout=30)
        return list(result) if stream else result


@pytest.fixture
def raw(target, gsql_db):
    gsql_db.update_ddl(["CREATE TABLE R (K INT64 NOT NULL, V STRING(MAX)) PRIMARY KEY (K)"]).result(
        60
    )
    with gsql_db.batch() as b:
        b.insert("R", ["K", "V"], [(1, "a"), (2, "b")])
    r = Raw(target.address)
    r.db = gsql_db
    r.session = r.call(
        "CreateSession", sp.CreateSessionRequest(database=gsql_db.name), sp.Session
    ).name
    yield r
    r.channel.close()


def _begin_rw():
    return tx.TransactionSelector(
        begin=tx.TransactionOptions(read_write=tx.TransactionOptions.ReadWrite())
    )


def test_inline_begin_returns_transaction_in_first_partial_result_set(raw):
    parts = raw.call(
        "ExecuteStreamingSql",
        sp.ExecuteSqlRequest(
            session=raw.session, sql="SELECT K FROM R ORDER BY K", transaction=_begin_rw()
        ),
        rs.PartialResultSet,
        stream=True,
    )
    txn_id = parts[0].metadata.transaction.id
    assert txn_id
    assert [f.name for f in parts[0].metadata.row_type.fields] == ["K"]
    assert parts[0].metadata.row_type.fields[0].type_.code == TypeCodeInt64
    values = [v.string_value for p in parts for v in p.values]
    assert values == ["1", "2"]
    dml = raw.call(
        "ExecuteSql",
        sp.ExecuteSqlRequest(
            session=raw.session,
            sql="UPDATE R SET V = 'z' WHERE K = 1",
            transaction=tx.TransactionSelector(id=txn_id),
            seqno=1,
        ),
        rs.ResultSet,
    )
    assert dml.stats.row_count_exact == 1
    commit = raw.call(
        "Commit", sp.CommitRequest(session=raw.session, transaction_id=txn_id), cr.CommitResponse
    )
    assert commit.commit_timestamp.seconds > 0


def test_batch_dml_status_semantics(raw):
    begin = raw.call(
        "BeginTransaction",
        sp.BeginTransactionRequest(
            session=raw.session,
            options=tx.TransactionOptions(read_write=tx.TransactionOptions.ReadWrite()),
        ),
        tx.Transaction,
    )
    stmts = [
        sp.ExecuteBatchDmlRequest.Statement(sql="UPDATE R SET V = 'x' WHERE TRUE"),
        sp.ExecuteBatchDmlRequest.Statement(sql="INSERT INTO R (K, V) VALUES (1, 'dup')"),
        sp.ExecuteBatchDmlRequest.Statement(sql="DELETE FROM R WHERE TRUE"),
    ]
    resp = raw.call(
        "ExecuteBatchDml",
        sp.ExecuteBatchDmlRequest(
            session=raw.session,
            transaction=tx.TransactionSelector(id=begin.id),
            statements=stmts,
            seqno=1,
        ),
        sp.ExecuteBatchDmlResponse,
    )
    assert resp.status.code == grpc.StatusCode.ALREADY_EXISTS.value[0]
    assert [r.stats.row_count_exact for r in resp.result_sets] == [2]
    raw.call("Rollback", sp.RollbackRequest(session=raw.session, transaction_id=begin.id), _Empty)
    with raw.db.snapshot() as s:
        assert list(s.execute_sql("SELECT V FROM R ORDER BY K")) == [["a"], ["b"]]


class _Empty:
    @staticmethod
    def pb():
        return empty_pb2.Empty


def _code(excinfo) -> grpc.StatusCode:
    return excinfo.value.code()


def test_bad_requests_get_spanner_error_codes(raw):
    with pytest.raises(grpc.RpcError) as err:
        raw.call(
            "ExecuteSql",
            sp.ExecuteSqlRequest(session=raw.db.name + "/sessions/nope", sql="SELECT 1"),
            rs.ResultSet,
        )
    assert _code(err) == grpc.StatusCode.NOT_FOUND
    with pytest.raises(grpc.RpcError) as err:
        raw.call(
            "ExecuteSql",
            sp.ExecuteSqlRequest(session=raw.session, sql="UPDATE R SET V = 'q' WHERE TRUE"),
            rs.ResultSet,
        )
    assert _code(err) == grpc.StatusCode.INVALID_ARGUMENT  # DML needs a read-write transaction
    bad_param = sp.ExecuteSqlRequest(
        session=raw.session,
        sql="SELECT @x",
        params=struct_pb2.Struct(fields={"x": struct_pb2.Value(string_value="abc")}),
        param_types={"x": ty.Type(code=ty.TypeCode.INT64)},
    )
    with pytest.raises(grpc.RpcError) as err:
        raw.call("ExecuteSql", bad_param, rs.ResultSet)
    assert _code(err) == grpc.StatusCode.INVALID_ARGUMENT
    with pytest.raises(grpc.RpcError) as err:
        raw.call(
            "ExecuteSql",
            sp.ExecuteSqlRequest(session=raw.session, sql="SELECT @missing"),
            rs.ResultSet,
        )
    assert _code(err) == grpc.StatusCode.INVALID_ARGUMENT
    with pytest.raises(grpc.RpcError) as err:
        raw.call(
            "ExecuteSql", sp.ExecuteSqlRequest(session=raw.session, sql="SELEC 1"), rs.ResultSet
        )
    assert _code(err) == grpc.StatusCode.INVALID_ARGUMENT
    with pytest.raises(grpc.RpcError) as err:
        raw.call(
            "Commit",
            sp.CommitRequest(session=raw.session, transaction_id=b"no-such-transaction"),
            _Commit,
        )
    assert _code(err) in (grpc.StatusCode.NOT_FOUND, grpc.StatusCode.INVALID_ARGUMENT)
    with pytest.raises(grpc.RpcError) as err:
        raw.call("CreateSession", sp.CreateSessionRequest(database=raw.db.name + "x"), sp.Session)
    assert _code(err) == grpc.StatusCode.NOT_FOUND


_Commit = cr.CommitResponse


def test_aborted_carries_retry_info(local, raw):
    opts = tx.TransactionOptions(read_write=tx.TransactionOptions.ReadWrite())
    a = raw.call(
        "BeginTransaction",
        sp.BeginTransactionRequest(session=raw.session, options=opts),
        tx.Transaction,
    )
    b = raw.call(
        "BeginTransaction",
        sp.BeginTransactionRequest(session=raw.session, options=opts),
        tx.Transaction,
    )
    upd = "UPDATE R SET V = 'w' WHERE K = 1"
    raw.call(
        "ExecuteSql",
        sp.ExecuteSqlRequest(
            session=raw.session, sql=upd, transaction=tx.TransactionSelector(id=a.id), seqno=1
        ),
        rs.ResultSet,
    )
    with pytest.raises(grpc.RpcError) as err:
        raw.call(
            "ExecuteSql",
            sp.ExecuteSqlRequest(
                session=raw.session, sql=upd, transaction=tx.TransactionSelector(id=b.id), seqno=1
            ),
            rs.ResultSet,
        )
    assert _code(err) == grpc.StatusCode.ABORTED
    trailers = dict(err.value.trailing_metadata())
    info = error_details_pb2.RetryInfo.FromString(trailers["google.rpc.retryinfo-bin"])
    assert info.retry_delay.seconds == 0 and info.retry_delay.nanos > 0
    # the aborted transaction stays aborted; the winner commits
    with pytest.raises(grpc.RpcError) as err:
        raw.call("Commit", sp.CommitRequest(session=raw.session, transaction_id=b.id), _Commit)
    assert _code(err) == grpc.StatusCode.ABORTED
    raw.call("Commit", sp.CommitRequest(session=raw.session, transaction_id=a.id), _Commit)


def test_multiplexed_sessions_and_session_lifecycle(raw):
    s = raw.call(
        "CreateSession",
        sp.CreateSessionRequest(database=raw.db.name, session=sp.Session(multiplexed=True)),
        sp.Session,
    )
    assert s.multiplexed
    batch = raw.call(
        "BatchCreateSessions",
        sp.BatchCreateSessionsRequest(database=raw.db.name, session_count=3),
        sp.BatchCreateSessionsResponse,
    )
    assert len(batch.session) == 3
    got = raw.call("GetSession", sp.GetSessionRequest(name=batch.session[0].name), sp.Session)
    assert got.name == batch.session[0].name
    raw.call("DeleteSession", sp.DeleteSessionRequest(name=batch.session[0].name), _Empty)
    with pytest.raises(grpc.RpcError) as err:
        raw.call("GetSession", sp.GetSessionRequest(name=batch.session[0].name), sp.Session)
    assert _code(err) == grpc.StatusCode.NOT_FOUND


def test_streaming_resumes_after_the_resume_token(local, raw):
    with raw.db.batch() as b:
        b.insert("R", ["K", "V"], [(k, "v" * 2000) for k in range(3, 1500)])
    req = sp.ExecuteSqlRequest(session=raw.session, sql="SELECT K, V FROM R ORDER BY K")
    parts = raw.call("ExecuteStreamingSql", req, rs.PartialResultSet, stream=True)
    assert len(parts) > 1 and parts[0].resume_token and parts[-1].last
    token = parts[0].resume_token
    first_count = len(parts[0].values) // 2
    resumed = raw.call(
        "ExecuteStreamingSql",
        sp.ExecuteSqlRequest(
            session=raw.session, sql="SELECT K, V FROM R ORDER BY K", resume_token=token
        ),
        rs.PartialResultSet,
        stream=True,
    )
    keys = [int(v.string_value) for p in resumed for v in p.values[::2]]
    assert keys[0] == [1, 2, *range(3, 1500)][first_count]
    assert keys[-1] == 1499
