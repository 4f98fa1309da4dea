"""SQLite as a live source (`--url sqlite:///file.db`): schema from sqlite_master, data by value."""

from __future__ import annotations

import base64
import datetime as dt
import decimal
import itertools
import json
import sqlite3
from pathlib import Path
from typing import Any

from click.testing import CliRunner
from dbtools.migrate.cli import main

_ids = itertools.count()

SCHEMA = """
CREATE TABLE kinds (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    label TEXT NOT NULL CHECK (label IN ('a', 'b')),
    price DECIMAL(10, 2),
    ratio REAL,
    flag BOOLEAN NOT NULL DEFAULT 0,
    seen DATETIME,
    doc JSON,
    raw BLOB
);
CREATE TABLE child (
    kind_id INTEGER NOT NULL REFERENCES kinds (id) ON DELETE CASCADE,
    n INTEGER NOT NULL,
    note VARCHAR(5),
    PRIMARY KEY (kind_id, n)
);
CREATE TABLE loose (a TEXT, b INTEGER);
CREATE INDEX child_by_note ON child (note DESC, n);
CREATE UNIQUE INDEX loose_a ON loose (a) WHERE a IS NOT NULL;
CREATE VIEW labels AS SELECT label FROM kinds;
CREATE TRIGGER kinds_touch AFTER UPDATE ON kinds BEGIN SELECT 1; END;
INSERT INTO kinds (label, price, ratio, flag, seen, doc, raw) VALUES
    ('a', 19.99, 0.5, 1, '2024-02-29 23:59:59.123456', '{"k":[1,2]}', X'00FF'),
    ('b', NULL, NULL, 0, NULL, NULL, NULL);
INSERT INTO child VALUES (1, 1, 'x'), (1, 2, NULL), (2, 1, 'zz');
INSERT INTO loose VALUES ('p', 1), (NULL, 2);
"""


def make_db(tmp_path: Path) -> str:
    path = tmp_path / "src.db"
    conn = sqlite3.connect(path)
    conn.executescript(SCHEMA)
    conn.commit()
    conn.close()
    return "sqlite:///" + str(path)


def test_schema_from_sqlite(tmp_path: Path) -> None:
    url = make_db(tmp_path)
    out = tmp_path / "out"
    res = CliRunner().invoke(
        main, ["schema", "--url", url, "--dialect", "postgresql", "--out", str(out)]
    )
    assert res.exit_code == 0, res.output
    report = json.loads((out / "report.json").read_text())
    # named as what it is, though its DDL is read through the PostgreSQL parser
    assert report["source"]["engine"] == "sqlite"
    assert report["source"]["parsed_as"] == "postgres"
    assert (out / "report.txt").read_text().splitlines()[2].startswith("Source: sqlite ")
    tables = {t["table"]: t for t in report["tables"]}
    assert sorted(tables) == ["child", "kinds", "loose"]
    types = {c["column"]: c["spanner_type"] for c in tables["kinds"]["columns"]}
    assert types["price"] == "numeric"
    assert types["ratio"] == "double precision"
    assert types["flag"] == "boolean"
    assert types["seen"] == "timestamp with time zone"
    assert types["doc"] == "jsonb"
    assert types["raw"] == "bytea"
    # a UNIQUE index on a nullable column cannot be the key: the table gets a synthetic one
    assert tables["loose"]["synthetic_primary_key"] == "synth_id"
    assert tables["kinds"]["synthetic_primary_key"] is None
    ddl = (out / "schema.ddl").read_text()
    assert 'CREATE INDEX "child_by_note" ON "child" ("note" DESC, "n")' in ddl
    assert "ON DELETE CASCADE" in ddl
    assert 'CREATE UNIQUE INDEX "loose_a" ON "loose" ("a") WHERE "a" IS NOT NULL' in ddl
    assert "CHECK (\"label\" IN ('a', 'b'))" in ddl
    kinds = {(o["kind"], o["name"]) for o in report["not_migrated"]}
    assert ("view", "labels") in kinds and ("trigger", "kinds_touch") in kinds


def test_missing_sqlite_file_is_a_source_error(tmp_path: Path) -> None:
    missing = tmp_path / "nope.db"
    res = CliRunner().invoke(
        main, ["schema", "--url", f"sqlite:///{missing}", "--out", str(tmp_path / "out")]
    )
    assert res.exit_code == 3, res.output
    assert "does not exist" in " ".join(res.output.split())
    assert not missing.exists()  # SQLite did not create an empty database on the way


def test_data_from_sqlite_into_spanner(tmp_path: Path, spanner: Any) -> None:
    url = make_db(tmp_path)
    database = f"lite{next(_ids)}"
    res = CliRunner().invoke(
        main,
        [
            "schema-and-data", "--url", url, "--dialect", "postgresql", "--out",
            str(tmp_path / "out"), "--project", spanner.project, "--instance", spanner.instance,
            "--database", database, "--emulator-host", spanner.address, "--no-identity",
        ],
    )  # fmt: skip
    assert res.exit_code == 0, res.output
    db = spanner.client().instance(spanner.instance).database(database)
    with db.snapshot(multi_use=True) as snap:
        kinds = list(
            snap.execute_sql(
                "SELECT id, label, price, ratio, flag, seen, doc, raw FROM kinds ORDER BY id"
            )
        )
        child = list(snap.execute_sql("SELECT kind_id, n, note FROM child ORDER BY kind_id, n"))
        loose = list(snap.execute_sql("SELECT a, b FROM loose ORDER BY b"))
    first, second = kinds
    assert first[:2] == [1, "a"]
    assert first[2] == decimal.Decimal("19.99")  # stored as REAL by SQLite, exact in Spanner
    assert first[3] == 0.5
    assert first[4] is True
    assert first[5] == dt.datetime(2024, 2, 29, 23, 59, 59, 123456, tzinfo=dt.timezone.utc)
    assert json.loads(json.dumps(first[6])) == {"k": [1, 2]}
    assert bytes(first[7]) in (b"\x00\xff", base64.b64encode(b"\x00\xff"))
    assert second[2:] == [None, None, False, None, None, None]
    assert child == [[1, 1, "x"], [1, 2, None], [2, 1, "zz"]]
    assert loose == [["p", 1], [None, 2]]
