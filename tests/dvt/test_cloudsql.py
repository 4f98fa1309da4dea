"""Cloud SQL URLs go through dbtools-connector (here against cloudsql-local and the real servers)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import psycopg
import pymysql
import pytest
from dbtools import cloudsql_local as cl
from dbtools.connector import Connector
from dbtools.dvt import cloudsql
from dbtools.dvt.connections import parse_url
from dbtools.dvt.engines import open_engine
from dbtools.dvt.errors import QueryError
from dbtools.dvt.rows import RowSpec, RowValidator

PG_INSTANCE = "dvt-proj:local:pg"
MY_INSTANCE = "dvt-proj:local:my"


@pytest.fixture
def connector(pg_server: Any, mysql_server: Any) -> Iterator[Connector]:
    config = cl.Config(
        instances=[
            cl.Instance(PG_INSTANCE, backend=f"{pg_server.host}:{pg_server.port}"),
            cl.Instance(
                MY_INSTANCE,
                database_version="MYSQL_8_0",
                backend=f"{mysql_server.host}:{mysql_server.port}",
            ),
        ]
    )
    with cl.serve(config) as emu:
        conn = Connector(
            admin_api_endpoint=emu.admin_url, credentials=emu.credentials(), timeout=20
        )
        cloudsql.use_connector(conn)
        try:
            yield conn
        finally:
            cloudsql.use_connector(None)
            conn.close()


def test_validate_through_the_cloud_sql_connector(
    connector: Connector, pg_db: Any, mysql_db: Any
) -> None:
    rows = [(i, f"v{i}") for i in range(1, 51)]
    with psycopg.connect(pg_db.url, autocommit=True) as c:
        c.execute("CREATE TABLE t (id int PRIMARY KEY, v text)")
        c.cursor().executemany("INSERT INTO t VALUES (%s, %s)", rows)
    my = pymysql.connect(**mysql_db.pymysql_kwargs(), autocommit=True)
    with my.cursor() as cur:
        cur.execute("CREATE TABLE t (id int PRIMARY KEY, v text)")
        cur.executemany(
            "INSERT INTO t VALUES (%s, %s)", [r if r[0] != 5 else (5, "changed") for r in rows]
        )
    my.close()
    pg_url = f"postgresql://{pg_db.user}@/{pg_db.database}?cloudsql_instance={PG_INSTANCE}"
    my_url = f"mysql://{mysql_db.user}@/{mysql_db.database}?cloudsql_instance={MY_INSTANCE}"
    src, tgt = open_engine(parse_url(pg_url)), open_engine(parse_url(my_url))
    result = RowValidator(RowSpec(source_table="t"), src, tgt).run()
    assert [(f.key, f.column, f.source, f.target) for f in result.findings] == [
        ({"id": 5}, "v", "v5", "changed")
    ]
    assert result.summary["matched"] == 49


def test_unknown_instance_is_a_clear_error(connector: Connector, pg_db: Any) -> None:
    engine = open_engine(
        parse_url(f"postgresql://postgres@/{pg_db.database}?cloudsql_instance=dvt-proj:local:nope")
    )
    with pytest.raises(QueryError, match="dvt-proj:local:nope"):
        engine.columns("t")
