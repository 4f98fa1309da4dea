"""With a data directory, databases, schema and rows survive a restart."""

from __future__ import annotations

from dbtools import spanner_local
from google.cloud.spanner_admin_database_v1 import DatabaseDialect


def test_databases_survive_restart(tmp_path):
    with spanner_local.serve(data_dir=tmp_path) as ep:
        inst = ep.client().instance(ep.instance)
        db = inst.database(
            "keep",
            ddl_statements=[
                "CREATE TABLE T (K INT64, V STRING(MAX)) PRIMARY KEY (K)",
                "CREATE INDEX TV ON T(V)",
            ],
        )
        db.create().result(30)
        with db.batch() as b:
            b.insert("T", ["K", "V"], [(1, "one"), (2, "two")])
        pg = inst.database("keep-pg", database_dialect=DatabaseDialect.POSTGRESQL)
        pg.create().result(30)
        pg.update_ddl(["create table p (id bigint primary key, n numeric)"]).result(30)
        gone = inst.database("dropped")
        gone.create().result(30)
        gone.drop()
        other = ep.client().instance("second-instance").database("elsewhere")
        other.create().result(30)

    with spanner_local.serve(data_dir=tmp_path) as ep:
        client = ep.client()
        inst = client.instance(ep.instance)
        names = sorted(d.name.rsplit("/", 1)[-1] for d in inst.list_databases())
        assert names == ["keep", "keep-pg"]
        db = inst.database("keep")
        with db.snapshot() as s:
            assert list(s.execute_sql("SELECT K, V FROM T ORDER BY K")) == [[1, "one"], [2, "two"]]
        ddl = list(client.database_admin_api.get_database_ddl(database=db.name).statements)
        assert any("CREATE INDEX TV ON T(V)" in s for s in ddl)
        pg = inst.database("keep-pg")
        pg.reload()
        assert pg.database_dialect == DatabaseDialect.POSTGRESQL
        assert client.instance("second-instance").database("elsewhere").exists()


def test_in_memory_by_default_leaves_nothing(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    with spanner_local.serve() as ep:
        db = ep.client().instance(ep.instance).database("mem")
        db.create().result(30)
    assert list(tmp_path.iterdir()) == []
