"""After a migration, one command: spanner-migrate moves a MariaDB schema with SET, ENUM,
spatial, FLOAT, BLOB, a reserved column name, a partitioned table and a table without a primary
key into spanner-local (and a PostgreSQL one with arrays into the PostgreSQL dialect); then
`dvt validate migration OUT_DIR` finds 0 differences; then one planted change per type is found,
each in its own column, and nothing else is reported."""

from __future__ import annotations

import base64
import datetime as dt
import json
import subprocess
import sys
import uuid
from decimal import Decimal
from pathlib import Path
from typing import Any

import psycopg
import pymysql
import pytest

MYSQL_DDL = [
    """CREATE TABLE film (
      film_id int NOT NULL AUTO_INCREMENT,
      title varchar(50) NOT NULL,
      features set('Trailers','Commentaries','Deleted Scenes') DEFAULT NULL,
      rating enum('G','PG','R') DEFAULT 'G',
      loc geometry DEFAULT NULL,
      rate float DEFAULT NULL,
      poster blob,
      `order` int,
      price decimal(12,2),
      updated datetime(6),
      meta json,
      PRIMARY KEY (film_id)
    )""",
    """CREATE TABLE nokey (a int, b varchar(10))""",
    # no primary key either, but `code` and `n` are unique in the data: the rows pair by one of
    # them (an integer first)
    """CREATE TABLE tags (code varchar(10) NOT NULL, n int, note varchar(10))""",
    """CREATE TABLE sales (id int NOT NULL, y int NOT NULL, amount decimal(10,2),
       PRIMARY KEY (id, y)) PARTITION BY RANGE (y)
       (PARTITION p0 VALUES LESS THAN (2020), PARTITION p1 VALUES LESS THAN MAXVALUE)""",
]
FILMS = [
    ("Alpha", "Trailers,Deleted Scenes", "PG", "POINT(1.5 2.25)", 0.1, b"\x00\xff", 3,
     "19.99", dt.datetime(2024, 1, 2, 3, 4, 5, 123456), '{"b": [1, 2.5], "a": "é"}'),
    ("Beta", "", "G", "LINESTRING(0 0,10.125 -3.5)", None, None, None, None, None, None),
    # FLOAT values of at most 6 significant digits: MariaDB sends FLOAT to clients as 6-digit
    # text, so spanner-migrate's live read stores 16777216 as 16777200 (dvt reports that loss)
    ("Gamma", None, None, None, 1024.5, b"", -7, "-0.01", dt.datetime(1999, 12, 31), "[]"),
    ("Delta", "Commentaries", "R", "POLYGON((0 0,4 0,4 4,0 0))", -2.5, b"|", 0, "0.00",
     dt.datetime(2030, 6, 1, 0, 0, 0, 1), '{"n": null}'),
]  # fmt: skip


def migrate(out: Path, url: str, endpoint: Any, database: str, dialect: str) -> None:
    cmd = [
        sys.executable, "-m", "dbtools.migrate.cli", "schema-and-data", "--url", url,
        "--out", str(out), "--project", endpoint.project, "--instance", endpoint.instance,
        "--database", database, "--emulator-host", endpoint.address,
        "--identity-style", "sequence", "--dialect", dialect,
    ]  # fmt: skip
    p = subprocess.run(cmd, capture_output=True, text=True, timeout=600)
    assert p.returncode == 0, p.stdout + p.stderr


def dvt(out: Path, src: str, tgt: str) -> tuple[int, list[dict[str, Any]], str]:
    p = subprocess.run(
        [sys.executable, "-m", "dbtools.dvt.cli", "validate", "migration", str(out),
         "-sc", src, "-tc", tgt, "--format", "json"],
        capture_output=True, text=True, timeout=600,
    )  # fmt: skip
    return p.returncode, json.loads(p.stdout or "[]"), p.stderr


def _spanner_url(endpoint: Any, db: str) -> str:
    return (
        f"spanner:///projects/{endpoint.project}/instances/{endpoint.instance}/databases/{db}"
        f"?emulator_host={endpoint.address}"
    )


def _not_passing(results: list[dict[str, Any]]) -> dict[str, set[tuple[Any, ...]]]:
    out: dict[str, set[tuple[Any, ...]]] = {}
    for r in results:
        if r["status"] in ("success", "skipped"):
            continue
        bad = out.setdefault(r["name"], set())
        for f in r["findings"]:
            if f["status"] not in ("success",):
                key = json.dumps(f.get("key"), sort_keys=True) if f.get("key") else None
                bad.add((key, f.get("column"), f.get("check")))
        if r["status"] == "error":
            bad.add(("error", r.get("error"), None))
    return out


@pytest.fixture
def mariadb_source(mysql_server: Any) -> Any:
    name = "dvt_m_" + uuid.uuid4().hex[:8]
    admin = pymysql.connect(**mysql_server.pymysql_kwargs(), autocommit=True)
    with admin.cursor() as cur:
        cur.execute(f"CREATE DATABASE `{name}` CHARACTER SET utf8mb4")
    db = mysql_server.with_database(name)
    c = pymysql.connect(**db.pymysql_kwargs(), autocommit=True)
    with c.cursor() as cur:
        cur.execute("SET time_zone = '+00:00'")
        for ddl in MYSQL_DDL:
            cur.execute(ddl)
        cur.executemany(
            "INSERT INTO film (title, features, rating, loc, rate, poster, `order`, price, "
            "updated, meta) VALUES (%s, %s, %s, ST_GeomFromText(%s), %s, %s, %s, %s, %s, %s)",
            FILMS,
        )
        cur.executemany("INSERT INTO nokey VALUES (%s, %s)", [(1, "x"), (2, "y"), (2, "y")])
        cur.executemany(
            "INSERT INTO tags VALUES (%s, %s, %s)", [("a", 1, None), ("b", 2, "x"), ("c", 3, "x")]
        )
        cur.executemany(
            "INSERT INTO sales VALUES (%s, %s, %s)", [(1, 2019, "5.00"), (2, 2024, "7.25")]
        )
    c.close()
    yield db
    with admin.cursor() as cur:
        cur.execute(f"DROP DATABASE IF EXISTS `{name}`")
    admin.close()


def test_mariadb_migration_validates_in_one_command(
    mariadb_source: Any, spanner_endpoint: Any, tmp_path: Path
) -> None:
    db_id = "m" + uuid.uuid4().hex[:12]
    out = tmp_path / "out"
    migrate(out, mariadb_source.sqlalchemy_url(), spanner_endpoint, db_id, "google_standard_sql")
    src, tgt = mariadb_source.url, _spanner_url(spanner_endpoint, db_id)

    code, results, err = dvt(out, src, tgt)
    assert _not_passing(results) == {} and code == 0, (results, err)
    names = {r["name"]: r for r in results}
    assert names["row:film"]["summary"]["matched"] == len(FILMS)
    assert set(names["row:film"]["summary"]["compared_columns"]) >= {
        "features", "rating", "loc", "rate", "poster", "order", "price", "updated", "meta",
    }  # fmt: skip
    assert names["row:sales"]["summary"]["matched"] == 2  # the partitioned table
    # the table without a key: its rows cannot be paired, and the report says so
    assert names["row:nokey"]["status"] == "skipped" and "synth" in names["row:nokey"]["skipped"]
    assert "1 of 3 rows repeat" in names["row:nokey"]["skipped"]
    # a table without a key whose rows a unique column pairs: validated row by row
    assert names["row:tags"]["status"] == "success"
    assert names["row:tags"]["summary"]["matched"] == 3
    assert names["column:nokey"]["status"] == "success"
    assert names["schema:film"]["status"] == "success"

    # one planted change per type, in Spanner
    database = spanner_endpoint.client().instance(spanner_endpoint.instance).database(db_id)
    with database.snapshot() as snap:
        ids = {r[1]: r[0] for r in snap.execute_sql("SELECT film_id, title FROM film")}
    planted = {
        ("Alpha", "features"): ["Trailers"],
        ("Alpha", "loc"): "POINT(1.5 2.2500001)",
        ("Beta", "rating"): "PG",
        ("Gamma", "rate"): 1024.5001220703125,  # the next 32-bit float
        ("Gamma", "poster"): base64.b64encode(b"\x01"),
        ("Delta", "order_"): 1,
        ("Delta", "price"): Decimal("0.01"),
        ("Delta", "updated"): dt.datetime(2030, 6, 1, 0, 0, 0, 2, dt.timezone.utc),
        ("Beta", "meta"): json.dumps({"a": 1}),
    }
    with database.batch() as batch:
        for (title, col), value in planted.items():
            batch.update("film", columns=["film_id", col], values=[(ids[title], value)])
        batch.update("sales", columns=["id", "y", "amount"], values=[(2, 2024, Decimal("7.26"))])
    database.run_in_transaction(
        lambda t: t.execute_update("UPDATE tags SET note = 'y' WHERE code = 'b'")
    )

    code, results, err = dvt(out, src, tgt)
    assert code == 1, err
    bad = _not_passing(results)
    by_source_name = {"order_": "order"}
    expected_rows = {
        (json.dumps({"film_id": ids[title]}), by_source_name.get(col, col), None)
        for title, col in planted
    }
    assert bad.pop("row:film") == expected_rows
    assert bad.pop("row:sales") == {(json.dumps({"id": 2, "y": 2024}), "amount", None)}
    assert bad.pop("row:tags") == {(json.dumps({"n": 2}), "note", None)}
    # the sums of the changed numeric columns differ too (and the count of meta, which was
    # NULL in Beta), the extremes that moved (rate's max, rating's min: G became PG, updated's
    # max), and nothing else
    assert bad.pop("column:film") == {(None, c, "sum") for c in ("rate", "order", "price")} | {
        (None, "meta", "count"),
        (None, "rate", "max"),
        (None, "rating", "min"),
        (None, "updated", "max"),
    }
    assert bad.pop("column:sales") == {(None, "amount", "sum"), (None, "amount", "max")}
    assert bad.pop("column:tags") == {(None, "note", "max")}
    assert bad == {}


def test_postgresql_arrays_migrate_to_the_postgresql_dialect_and_validate(
    pg_server: Any, spanner_endpoint: Any, tmp_path: Path
) -> None:
    name = "dvt_p_" + uuid.uuid4().hex[:8]
    with psycopg.connect(pg_server.url, autocommit=True) as admin:
        admin.execute(f'CREATE DATABASE "{name}"')
    pg = pg_server.with_database(name)
    try:
        with psycopg.connect(pg.url, autocommit=True) as c:
            c.execute(
                "CREATE TABLE item (id int PRIMARY KEY, tags text[], nums integer[], "
                "r real, b bytea, n numeric(30,9), at timestamptz, doc jsonb)"
            )
            c.cursor().executemany(
                "INSERT INTO item VALUES (%s, %s, %s, %s, %s, %s, %s, %s)",
                [
                    (1, ["a", "b,c", ""], [1, None, 3], 0.1, b"\x00", Decimal("1.000000001"),
                     dt.datetime(2024, 1, 1, 12, tzinfo=dt.timezone.utc), '{"k": [1]}'),
                    (2, [], [], None, None, None, None, None),
                    (3, None, None, -1.5, b"", Decimal("-99999999999999999999.5"),
                     dt.datetime(2000, 2, 29, tzinfo=dt.timezone.utc), "[]"),
                ],
            )  # fmt: skip
        db_id = "p" + uuid.uuid4().hex[:12]
        out = tmp_path / "out"
        migrate(out, pg.sqlalchemy_url(), spanner_endpoint, db_id, "postgresql")
        tgt = _spanner_url(spanner_endpoint, db_id)
        code, results, err = dvt(out, pg.url, tgt)
        assert _not_passing(results) == {} and code == 0, (results, err)
        # the same run through the Python API
        from dbtools import dvt as api

        through_api = api.validate_migration(out, pg.url, tgt)
        assert {r.name: r.status for r in through_api} == {r["name"]: r["status"] for r in results}
        assert api.exit_code(through_api) == 0
        database = spanner_endpoint.client().instance(spanner_endpoint.instance).database(db_id)
        with database.batch() as batch:
            batch.update("item", columns=["id", "tags"], values=[(1, ["a", "b", "c", ""])])
        code, results, err = dvt(out, pg.url, tgt)
        assert code == 1
        assert _not_passing(results) == {"row:item": {(json.dumps({"id": 1}), "tags", None)}}
    finally:
        with psycopg.connect(pg_server.url, autocommit=True) as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
