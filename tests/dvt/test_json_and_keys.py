"""JSON columns compare by their canonical JSON, and keys of every type merge across engines."""

from __future__ import annotations

import datetime as dt
import json
import sqlite3
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import psycopg
import pymysql
import pytest
from dbtools.dvt import canon
from dbtools.dvt.connections import parse_url
from dbtools.dvt.engines import open_engine
from dbtools.dvt.rows import RowSpec, RowValidator

# (id, occurred_at, doc as each engine is given it). The documents use different whitespace and
# key order; the Spanner copy is written in Spanner's own canonical form.
DOCS = [
    (1, dt.datetime(2024, 1, 1, 0, 0, 0), '{"a": 1, "b": [1, 2]}'),
    (2, dt.datetime(2024, 1, 1, 0, 0, 0, 500000), '{"b": {"y": 2, "x": "é"}, "a": null}'),
    (3, dt.datetime(2023, 12, 31, 23, 59, 59), '[1.5, true, "s"]'),
    (4, dt.datetime(2024, 6, 1, 12, 0, 0, 250000), '{"n": 10, "s": "a|b"}'),
    (5, dt.datetime(2024, 6, 1, 12, 0, 1), None),
]
CHANGED_ID = 4
CHANGED_DOC = '{"n": 11, "s": "a|b"}'


def _rows(changed: bool) -> list[tuple[int, dt.datetime, str | None]]:
    return [(i, t, CHANGED_DOC if changed and i == CHANGED_ID else d) for i, t, d in DOCS]


@pytest.fixture(scope="module")
def json_dbs(
    make_spanner_db: Any,
    pg_server: Any,
    mysql_server: Any,
    tmp_path_factory: Any,
    make_duckdb: Any,
) -> Iterator[dict[str, str]]:
    """{engine: url}, each with tables `j_same` and `j_changed` (doc of id 4 differs)."""
    name = "dvtj_" + uuid.uuid4().hex[:8]
    tmp: Path = tmp_path_factory.mktemp("json")
    urls: dict[str, str] = {}
    with psycopg.connect(pg_server.url, autocommit=True) as admin:
        admin.execute(f'CREATE DATABASE "{name}"')
    pg = pg_server.with_database(name)
    with psycopg.connect(pg.url, autocommit=True) as conn:
        for table, changed in (("j_same", False), ("j_changed", True)):
            conn.execute(
                f"CREATE TABLE {table} (id int PRIMARY KEY, occurred_at timestamp, doc json)"
            )
            with conn.cursor() as cur:
                cur.executemany(f"INSERT INTO {table} VALUES (%s, %s, %s)", _rows(changed))
    urls["postgresql"] = pg.url
    my_admin = pymysql.connect(**mysql_server.pymysql_kwargs(), autocommit=True)
    with my_admin.cursor() as cur:
        cur.execute(f"CREATE DATABASE `{name}` CHARACTER SET utf8mb4")
    my = mysql_server.with_database(name)
    conn = pymysql.connect(**my.pymysql_kwargs(), autocommit=True)
    with conn.cursor() as cur:
        for table, changed in (("j_same", False), ("j_changed", True)):
            cur.execute(
                f"CREATE TABLE {table} (id int PRIMARY KEY, occurred_at datetime(6), doc json)"
            )
            cur.executemany(f"INSERT INTO {table} VALUES (%s, %s, %s)", _rows(changed))
    conn.close()
    urls["mysql"] = my.url
    path = tmp / "j.sqlite"
    with sqlite3.connect(path) as lite:
        for table, changed in (("j_same", False), ("j_changed", True)):
            lite.execute(
                f"CREATE TABLE {table} (id INTEGER PRIMARY KEY, occurred_at TIMESTAMP, doc JSON)"
            )
            lite.executemany(
                f"INSERT INTO {table} VALUES (?, ?, ?)",
                [(i, t.isoformat(sep=" "), d) for i, t, d in _rows(changed)],
            )
    urls["sqlite"] = f"sqlite:///{path}"
    from dbtools.dvt.engines import DuckDBEngine

    duck_url = make_duckdb(tmp / "j.duckdb")
    duck = DuckDBEngine(parse_url(duck_url))._database().cursor()
    for table, changed in (("j_same", False), ("j_changed", True)):
        duck.execute(
            f"CREATE TABLE {table} (id INTEGER PRIMARY KEY, occurred_at TIMESTAMP, doc JSON)"
        )
        duck.executemany(f"INSERT INTO {table} VALUES (?, ?, ?)", _rows(changed))
    urls["duckdb"] = duck_url
    from google.cloud.spanner_v1 import JsonObject

    for key, ddl in (
        ("spanner", "CREATE TABLE {} (id INT64, occurred_at TIMESTAMP, doc JSON) PRIMARY KEY (id)"),
        (
            "spanner_pg",
            "CREATE TABLE {} (id bigint PRIMARY KEY, occurred_at timestamptz, doc jsonb)",
        ),
    ):
        database, urls[key] = make_spanner_db(key, [ddl.format(t) for t in ("j_same", "j_changed")])
        with database.batch() as batch:
            for table, changed in (("j_same", False), ("j_changed", True)):
                batch.insert(
                    table,
                    columns=["id", "occurred_at", "doc"],
                    values=[
                        (
                            i,
                            t.replace(tzinfo=dt.timezone.utc),
                            None if d is None else JsonObject(json.loads(d)),
                        )
                        for i, t, d in _rows(changed)
                    ],
                )
    try:
        yield urls
    finally:
        with psycopg.connect(pg_server.url, autocommit=True) as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        with my_admin.cursor() as cur:
            cur.execute(f"DROP DATABASE IF EXISTS `{name}`")
        my_admin.close()


def _run(urls: dict[str, str], s: str, t: str, target_table: str, **kw: Any) -> Any:
    spec = RowSpec(source_table="j_same", target_table=target_table, **kw)
    return RowValidator(
        spec, open_engine(parse_url(urls[s])), open_engine(parse_url(urls[t]))
    ).run()


JSON_PAIRS = [
    ("postgresql", "spanner"),
    ("mysql", "spanner"),
    ("sqlite", "spanner"),
    ("duckdb", "postgresql"),
    ("sqlite", "mysql"),
    ("spanner", "duckdb"),
    ("postgresql", "spanner_pg"),
    ("spanner_pg", "spanner"),
]
MODES = [{}, {"mode": "concat"}, {"block_rows": 0}, {"mode": "fields", "fields": ["doc"]}]


@pytest.mark.parametrize(("s", "t"), JSON_PAIRS, ids=[f"{a}-{b}" for a, b in JSON_PAIRS])
@pytest.mark.parametrize("kw", MODES, ids=["hash", "concat", "stream", "fields"])
def test_equal_json_written_differently_is_equal(
    json_dbs: dict[str, str], s: str, t: str, kw: dict[str, Any]
) -> None:
    result = _run(json_dbs, s, t, "j_same", **kw)
    assert [f.as_dict() for f in result.findings] == []
    assert result.passed and result.summary["matched"] == len(DOCS)


@pytest.mark.parametrize(("s", "t"), JSON_PAIRS, ids=[f"{a}-{b}" for a, b in JSON_PAIRS])
def test_a_changed_json_value_is_found_with_canonical_texts(
    json_dbs: dict[str, str], s: str, t: str
) -> None:
    result = _run(json_dbs, s, t, "j_changed")
    assert not result.passed
    assert [(f.status, f.key, f.column, f.source, f.target) for f in result.findings] == [
        ("mismatch", {"id": CHANGED_ID}, "doc", '{"n":10,"s":"a|b"}', '{"n":11,"s":"a|b"}')
    ]


@pytest.mark.parametrize(
    ("s", "t"),
    [
        ("sqlite", "spanner"),
        ("spanner", "sqlite"),
        ("sqlite", "postgresql"),
        ("mysql", "sqlite"),
        ("spanner_pg", "sqlite"),
    ],
)
def test_timestamp_keys_merge_across_engines(json_dbs: dict[str, str], s: str, t: str) -> None:
    same = _run(json_dbs, s, t, "j_same", primary_keys=["occurred_at"])
    assert [f.as_dict() for f in same.findings] == []
    assert same.summary["matched"] == len(DOCS)
    changed = _run(json_dbs, s, t, "j_changed", primary_keys=["occurred_at"])
    assert [(f.status, f.column) for f in changed.findings] == [("mismatch", "doc")]
    assert changed.findings[0].key == {"occurred_at": dt.datetime(2024, 6, 1, 12, 0, 0, 250000)}


def test_timestamp_keys_partitioned_and_random(json_dbs: dict[str, str]) -> None:
    for kw in ({"partitions": 2, "workers": 2}, {"random_rows": 3}):
        result = _run(json_dbs, "sqlite", "spanner", "j_same", primary_keys=["occurred_at"], **kw)
        assert result.passed, [f.as_dict() for f in result.findings]


@pytest.mark.parametrize(
    ("text", "canonical"),
    [
        ('{"b": 1, "a": [1, 2]}', '{"a":[1,2],"b":1}'),
        ('{"a": 1.50, "b": 1e2, "c": -0.0}', '{"a":1.5,"b":100,"c":0}'),
        ('"é\\u00e9"', '"éé"'),
        ('{"k": "a\\"b"}', '{"k":"a\\"b"}'),
        ("not json", "not json"),
    ],
)
def test_json_canonical_text(text: str, canonical: str) -> None:
    assert canon.json_text(text) == canonical
