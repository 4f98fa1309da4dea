"""Unhappy paths: a connection dropped mid-stream, a server error inside the hash query."""

from __future__ import annotations

from typing import Any

import psycopg
import pytest
from dbtools.dvt.connections import parse_url
from dbtools.dvt.engines import open_engine
from dbtools.dvt.errors import QueryError
from dbtools.dvt.rows import RowSpec, RowValidator


def test_dropped_connection_mid_stream_is_a_clear_error(pg_db: Any) -> None:
    with psycopg.connect(pg_db.url, autocommit=True) as c:
        c.execute(
            "CREATE TABLE big AS SELECT g AS id, md5(g::text) AS v FROM generate_series(1, 50000) g"
        )
    engine = open_engine(parse_url(pg_db.url))
    engine.batch_rows = 1000
    stream = engine.stream("SELECT id, v FROM big ORDER BY id")
    assert len(next(stream)) == 1000
    with psycopg.connect(pg_db.url, autocommit=True) as c:
        c.execute(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
            "WHERE datname = current_database() AND pid <> pg_backend_pid()"
        )
    with pytest.raises(QueryError, match="mid-stream"):
        for _ in stream:
            pass


def test_server_error_during_validation_names_the_query(pg_db: Any) -> None:
    with psycopg.connect(pg_db.url, autocommit=True) as c:
        c.execute("CREATE TABLE t (id int PRIMARY KEY, v numeric(5,2))")
        c.execute("INSERT INTO t VALUES (1, 1.5), (2, 0)")
    e = open_engine(parse_url(pg_db.url))
    # a filter that fails inside the server while rows are produced
    spec = RowSpec(source_table="t", source_filter="1 / (v * 0) > 0", block_rows=0)
    with pytest.raises(QueryError, match="division by zero"):
        RowValidator(spec, e, e).run()


def test_many_differences_are_counted_exactly_but_listed_up_to_the_limit(tmp_path: Any) -> None:
    import sqlite3

    a, b = tmp_path / "a.db", tmp_path / "b.db"
    for path, suffix in ((a, "x"), (b, "y")):
        with sqlite3.connect(path) as c:
            c.execute("CREATE TABLE t (k TEXT PRIMARY KEY, v TEXT)")
            c.executemany(
                "INSERT INTO t VALUES (?, ?)", [(f"k{i:05d}", f"{i}{suffix}") for i in range(3000)]
            )
    src, tgt = open_engine(parse_url(f"sqlite:///{a}")), open_engine(parse_url(f"sqlite:///{b}"))
    r = RowValidator(RowSpec(source_table="t", max_differences=10), src, tgt).run()
    assert r.summary["mismatched"] == 3000
    assert [f.key["k"] for f in r.findings] == [f"k{i:05d}" for i in range(10)]
    assert r.truncated == 2990
