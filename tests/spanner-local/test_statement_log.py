"""The statement log shows exactly which SQL, params and tags reached the server."""

from __future__ import annotations

from google.cloud import spanner
from google.cloud.spanner_v1 import RequestOptions, param_types


def test_statement_log_records_sql_params_and_tags(local):
    db = local.new_database(ddl=["CREATE TABLE L (K INT64, V STRING(MAX)) PRIMARY KEY (K)"])
    log = local.endpoint.statement_log
    with db.snapshot() as s:
        list(
            s.execute_sql(
                "SELECT V FROM L WHERE K = @k",
                params={"k": 7},
                param_types={"k": param_types.INT64},
                request_options=RequestOptions(request_tag="app=test,action=lookup"),
            )
        )

    def work(txn):
        txn.execute_update(
            "INSERT INTO L (K, V) VALUES (1, 'a')",
            request_options=RequestOptions(request_tag="ins"),
        )

    db.run_in_transaction(work, transaction_tag="txn-tag-1")
    mine = log.for_database(db.name)
    query = next(r for r in mine if r.sql == "SELECT V FROM L WHERE K = @k")
    assert query.kind == "query"
    assert query.params == {"k": 7}
    assert query.request_tag == "app=test,action=lookup"
    dml = next(r for r in mine if r.kind == "dml")
    assert dml.request_tag == "ins" and dml.transaction_tag == "txn-tag-1"
    commit = next(r for r in mine if r.kind == "commit")
    assert commit.transaction_tag == "txn-tag-1"
    with db.batch() as b:
        b.insert("L", ["K", "V"], [(2, "b"), (3, "c")])
        b.delete("L", spanner.KeySet(keys=[[1]]))
    last_commit = [r for r in log.for_database(db.name) if r.kind == "commit"][-1]
    assert last_commit.mutations == (("insert", "L", 2), ("delete", "L", 1))
    assert "SELECT V FROM L WHERE K = @k" in log.sqls
    db.drop()


def test_statement_log_can_be_turned_off():
    from dbtools import spanner_local

    with spanner_local.serve(statement_log=False) as ep:
        db = ep.client().instance(ep.instance).database("quiet")
        db.create().result(30)
        with db.snapshot() as s:
            list(s.execute_sql("SELECT 1"))
        assert len(ep.statement_log) == 0


def test_statement_log_records_the_deadline_and_request_headers(local):
    """Each record keeps the time the caller allowed (seconds left on arrival) and its gRPC
    headers, so tests can see what a client sent besides the request message."""
    db = local.new_database(ddl=["CREATE TABLE D (K INT64) PRIMARY KEY (K)"])
    log = local.endpoint.statement_log
    with db.snapshot() as s:
        list(s.execute_sql("SELECT K FROM D", timeout=7.5))

    def work(txn):
        txn.execute_update("INSERT INTO D (K) VALUES (1)", timeout=4.0)
        txn.batch_update(["INSERT INTO D (K) VALUES (2)"], timeout=3.0)

    db.run_in_transaction(work)
    mine = log.for_database(db.name)
    query = next(r for r in mine if r.sql == "SELECT K FROM D")
    assert query.deadline is not None and 0 < query.deadline < 8  # sent rounded up
    dml = next(r for r in mine if r.kind == "dml")
    assert dml.deadline is not None and 0 < dml.deadline < 4.5
    batch = next(r for r in mine if r.kind == "batch_dml")
    assert batch.deadline is not None and 0 < batch.deadline < 3.5
    # without a timeout argument the client library sends its default (an hour for Commit)
    commit = next(r for r in mine if r.kind == "commit")
    assert commit.deadline is not None and commit.deadline > 600
    for record in (query, dml, commit):
        assert "grpc-python" in record.user_agent
        assert "gl-python/" in (record.header("x-goog-api-client") or "")
        assert record.header("google-cloud-resource-prefix") == db.name
    assert query.header("no-such-header") is None
    db.drop()
