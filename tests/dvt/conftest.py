"""The hazard dataset: every normalization trap, loadable into each engine dvt supports.

`HAZARD_ROWS` is the source truth; `planted()` returns the target copy with one difference per
listed row, and `PLANTED` says which column each one touches.
"""

from __future__ import annotations

import datetime as dt
import sqlite3
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any

import psycopg
import pymysql
import pytest

UTC = dt.timezone.utc
PLUS2 = dt.timezone(dt.timedelta(hours=2))

COLUMNS = [
    "id",
    "name",
    "code",
    "amount",
    "big",
    "ratio",
    "ts",
    "tstz",
    "d",
    "flag",
    "data",
    "note",
    "a",
    "b",
]

# column → DDL type per engine
DDL: dict[str, dict[str, str]] = {
    "postgresql": {
        "id": "integer PRIMARY KEY",
        "name": "varchar(50)",
        "code": "char(5)",
        "amount": "numeric(12,2)",
        "big": "numeric(30,9)",
        "ratio": "double precision",
        "ts": "timestamp(6)",
        "tstz": "timestamptz",
        "d": "date",
        "flag": "boolean",
        "data": "bytea",
        "note": "text",
        "a": "varchar(10)",
        "b": "varchar(10)",
    },
    "mysql": {
        "id": "INT PRIMARY KEY",
        "name": "VARCHAR(50)",
        "code": "CHAR(5)",
        "amount": "DECIMAL(12,2)",
        "big": "DECIMAL(30,9)",
        "ratio": "DOUBLE",
        "ts": "DATETIME(6)",
        "tstz": "TIMESTAMP(6) NULL",
        "d": "DATE",
        "flag": "BOOLEAN",
        "data": "VARBINARY(64)",
        "note": "TEXT",
        "a": "VARCHAR(10)",
        "b": "VARCHAR(10)",
    },
    "sqlite": {
        "id": "INTEGER PRIMARY KEY",
        "name": "VARCHAR(50)",
        "code": "CHAR(5)",
        "amount": "DECIMAL(12,2)",
        "big": "DECIMAL(30,9)",
        "ratio": "DOUBLE",
        "ts": "TIMESTAMP",
        "tstz": "TIMESTAMP WITH TIME ZONE",
        "d": "DATE",
        "flag": "BOOLEAN",
        "data": "BLOB",
        "note": "TEXT",
        "a": "VARCHAR(10)",
        "b": "VARCHAR(10)",
    },
    "spanner": {
        "id": "INT64 NOT NULL",
        "name": "STRING(50)",
        "code": "STRING(5)",
        "amount": "NUMERIC",
        "big": "NUMERIC",
        "ratio": "FLOAT64",
        "ts": "TIMESTAMP",
        "tstz": "TIMESTAMP",
        "d": "DATE",
        "flag": "BOOL",
        "data": "BYTES(64)",
        "note": "STRING(MAX)",
        "a": "STRING(10)",
        "b": "STRING(10)",
    },
    "spanner_pg": {
        "id": "bigint NOT NULL",
        "name": "varchar(50)",
        "code": "varchar(5)",
        "amount": "numeric",
        "big": "numeric",
        "ratio": "float8",
        "ts": "timestamptz",
        "tstz": "timestamptz",
        "d": "date",
        "flag": "boolean",
        "data": "bytea",
        "note": "varchar",
        "a": "varchar(10)",
        "b": "varchar(10)",
    },
    "duckdb": {
        "id": "INTEGER PRIMARY KEY",
        "name": "VARCHAR",
        "code": "VARCHAR",
        "amount": "DECIMAL(12,2)",
        "big": "DECIMAL(30,9)",
        "ratio": "DOUBLE",
        "ts": "TIMESTAMP",
        "tstz": "TIMESTAMPTZ",
        "d": "DATE",
        "flag": "BOOLEAN",
        "data": "BLOB",
        "note": "VARCHAR",
        "a": "VARCHAR",
        "b": "VARCHAR",
    },
}


def _base_rows() -> list[dict[str, Any]]:
    names = [
        "café",
        "naïve  ",
        "tab\there",
        "",
        "日本語",
        "emoji 😀",
        "plain",
        "trail ",
        "NULL",
        "~",
    ]
    notes: list[str | None] = [None, "", "NULL", "~", "3:abc", "text", None, "x y", "", "null"]
    amounts = [
        "100.50",
        "-437.00",
        "0.10",
        "0",
        "99999999.99",
        "-0.01",
        "1.00",
        "12.34",
        "5",
        "7.70",
    ]
    bigs = [
        "12345.678901234",
        "0.000000001",
        "-99999.999999999",
        "1",
        "3.5",
        None,
        "10",
        "0.5",
        "2",
        "42.420000000",
    ]
    ratios = [0.1, 1 / 3, 1e20, 1.5e-7, -2.5, 123456.789, 0.30000000000000004, 1e-5, 100000.0, None]
    rows = []
    for i in range(1, 41):
        j = i % 10
        ts = dt.datetime(2024, 1, 1, 12, 0, 0) + dt.timedelta(
            days=i, seconds=i * 37, microseconds=(i * 123457) % 1_000_000
        )
        rows.append(
            {
                "id": i,
                "name": names[j] if i != 17 else None,
                "code": ["ab", "abcde", "x", "", "zz  "][i % 5] if i != 19 else None,
                "amount": Decimal(amounts[j]),
                "big": Decimal(bigs[j]) if bigs[j] is not None else None,
                "ratio": ratios[j],
                "ts": ts if i % 3 else ts.replace(microsecond=0),
                "tstz": ts.replace(tzinfo=PLUS2) if i % 4 != 3 else None,
                "d": dt.date(2000 + i, (i % 12) + 1, (i % 28) + 1),
                "flag": [True, False, None][i % 3],
                "data": bytes([i, 0, 255, i * 3 % 256]) if i % 5 else (b"" if i % 2 else None),
                "note": notes[j],
                "a": ["ab", "a", "", None, "x"][i % 5],
                "b": ["c", "bc", "abc", "", None][i % 5],
            }
        )
    # the planted rows start from the exact hazard each one needs
    rows[3]["note"], rows[4]["note"] = None, ""  # ids 4 and 5
    rows[5]["a"], rows[5]["b"] = "ab", "c"  # id 6
    rows[6]["name"] = "caf\u00e9"  # id 7, composed
    rows[7]["flag"] = True  # id 8
    rows[8]["ratio"] = 1 / 3  # id 9
    rows[9]["data"] = bytes([10, 0, 255, 30])  # id 10
    rows[14]["big"] = Decimal("12345.678901234")  # id 15
    rows[15]["a"], rows[15]["b"] = "x|", "y"  # id 16: the separator inside a value
    rows[16]["note"] = None  # id 17
    rows[17]["name"] = "back\\slash|pipe"  # id 18: both escapes, unchanged
    return rows


HAZARD_ROWS = _base_rows()

# id → column changed in the target (None: the row is deleted / added)
PLANTED: dict[int, str | None] = {
    1: "amount",
    2: "ts",
    3: "name",
    4: "note",
    5: "note",
    6: "a",
    7: "name",
    8: "flag",
    9: "ratio",
    10: "data",
    11: "d",
    12: "tstz",
    14: "code",
    15: "big",
    16: "a",
    17: "note",
}
MISSING_ID = 13
EXTRA_ID = 1001


def planted() -> list[dict[str, Any]]:
    rows = {r["id"]: dict(r) for r in HAZARD_ROWS}
    rows[1]["amount"] = rows[1]["amount"] + Decimal("0.01")  # one cent
    rows[2]["ts"] = rows[2]["ts"] + dt.timedelta(microseconds=1)  # one microsecond
    rows[3]["name"] = (rows[3]["name"] or "") + " "  # a trailing space in a VARCHAR
    rows[4]["note"] = ""  # NULL → ''
    rows[5]["note"] = "NULL"  # '' → the string 'NULL'
    rows[6]["a"], rows[6]["b"] = "a", "bc"  # ('ab','c') → ('a','bc'): same concatenation
    rows[7]["name"] = "cafe\u0301"  # same glyphs, different code points
    rows[8]["flag"] = False
    rows[9]["ratio"] = 1 / 3 + 5.551115123125783e-17  # one ulp
    rows[10]["data"] = bytes([10, 0, 255, 31])
    rows[11]["d"] = rows[11]["d"] + dt.timedelta(days=1)
    rows[12]["tstz"] = rows[12]["tstz"] + dt.timedelta(microseconds=1)
    rows[14]["code"] = "ac"
    rows[15]["big"] = Decimal("12345.678901235")
    rows[16]["a"], rows[16]["b"] = "x", "|y"  # same text once joined with the separator
    rows[17]["note"] = "\\N"  # NULL's own frame text, as a string
    del rows[MISSING_ID]
    extra = dict(HAZARD_ROWS[0])
    extra["id"] = EXTRA_ID
    rows[EXTRA_ID] = extra
    return list(rows.values())


def _check_planted() -> None:
    # the planted table must really differ only where PLANTED says
    base = {r["id"]: r for r in HAZARD_ROWS}
    for row in planted():
        if row["id"] in base:
            changed = [c for c in COLUMNS if row[c] != base[row["id"]][c]]
            assert changed == ([PLANTED[row["id"]]] if row["id"] in PLANTED else []) or (
                row["id"] in (6, 16) and changed == ["a", "b"]
            ), (row["id"], changed)


_check_planted()


def _value_for(engine: str, col: str, v: Any) -> Any:
    if v is None:
        return None
    if engine.startswith("spanner") and isinstance(v, dt.datetime) and v.tzinfo is None:
        return v.replace(tzinfo=UTC)  # Spanner has only instants: naive values are UTC
    if engine.startswith("spanner") and isinstance(v, bytes):
        import base64

        return base64.b64encode(v)  # the client sends BYTES as base64
    if engine == "mysql" and col == "tstz":
        return v.astimezone(UTC).replace(tzinfo=None)
    if engine == "sqlite":
        if isinstance(v, Decimal):
            return str(v)
        if isinstance(v, (dt.datetime, dt.date)):
            return v.isoformat(sep=" ") if isinstance(v, dt.datetime) else v.isoformat()
        if isinstance(v, bool):
            return int(v)
    return v


def new_duckdb_file(path: Path | str) -> str:
    """A `duckdb:///` URL for a new, empty database file (dvt opens only existing files)."""
    import duckdb

    duckdb.connect(str(path)).close()
    return f"duckdb:///{path}"


@pytest.fixture(scope="session")
def make_duckdb() -> Callable[[Path | str], str]:
    return new_duckdb_file


@dataclass
class Loaded:
    engine: str
    url: str
    table: str


def create_and_load(
    engine: str, connect: Callable[[], Any], table: str, rows: list[dict[str, Any]]
) -> None:
    cols = ", ".join(f"{c} {DDL[engine][c]}" for c in COLUMNS)
    ph = "%s" if engine in ("postgresql", "mysql") else "?"
    insert = f"INSERT INTO {table} ({', '.join(COLUMNS)}) VALUES ({', '.join([ph] * len(COLUMNS))})"
    data = [tuple(_value_for(engine, c, r[c]) for c in COLUMNS) for r in rows]
    conn = connect()
    try:
        cur = conn.cursor()
        if engine == "mysql":
            cur.execute("SET time_zone = '+00:00'")
        cur.execute(f"CREATE TABLE {table} ({cols})")
        cur.executemany(insert, data)
        conn.commit()
    finally:
        conn.close()


def load_spanner(database: Any, dialect: str, table: str, rows: list[dict[str, Any]]) -> None:
    cols = ", ".join(f"{c} {DDL[dialect][c]}" for c in COLUMNS)
    if dialect == "spanner":
        ddl = f"CREATE TABLE {table} ({cols}) PRIMARY KEY (id)"
    else:
        ddl = f"CREATE TABLE {table} ({cols}, PRIMARY KEY (id))"
    database.update_ddl([ddl]).result()
    data = [tuple(_value_for(dialect, c, r[c]) for c in COLUMNS) for r in rows]
    with database.batch() as batch:
        batch.insert(table, columns=COLUMNS, values=data)


@pytest.fixture(scope="session")
def spanner_endpoint() -> Iterator[Any]:
    from dbtools import spanner_local

    with spanner_local.serve() as endpoint:
        yield endpoint


def spanner_url(endpoint: Any, db_id: str) -> str:
    return (
        f"spanner:///projects/{endpoint.project}/instances/{endpoint.instance}"
        f"/databases/{db_id}?emulator_host={endpoint.address}"
    )


@pytest.fixture(scope="session")
def make_spanner_db(spanner_endpoint: Any) -> Callable[[str, list[str]], tuple[Any, str]]:
    """(dialect "spanner" (GoogleSQL) or "spanner_pg", DDL statements) → a new spanner-local
    database with that schema, and its dvt URL."""
    from google.cloud.spanner_admin_database_v1.types import DatabaseDialect

    dialects = {
        "spanner": DatabaseDialect.GOOGLE_STANDARD_SQL,
        "spanner_pg": DatabaseDialect.POSTGRESQL,
    }
    instance = spanner_endpoint.client().instance(spanner_endpoint.instance)

    def make(dialect: str, ddl: list[str]) -> tuple[Any, str]:
        db_id = f"d{uuid.uuid4().hex[:12]}{dialect[-2:]}"
        database = instance.database(db_id, database_dialect=dialects[dialect])
        database.create().result()
        if ddl:
            database.update_ddl(ddl).result()
        return database, spanner_url(spanner_endpoint, db_id)

    return make


@pytest.fixture(scope="module")
def hazard_dbs(
    make_spanner_db: Callable[[str, list[str]], tuple[Any, str]],
    pg_server: Any,
    mysql_server: Any,
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[dict[str, dict[str, Loaded]]]:
    """{engine: {"same": Loaded, "planted": Loaded}} for PostgreSQL, MariaDB, SQLite, DuckDB."""
    import duckdb

    name = "dvt_" + uuid.uuid4().hex[:8]
    tmp: Path = tmp_path_factory.mktemp("hazard")
    with psycopg.connect(pg_server.url, autocommit=True) as admin:
        admin.execute(f'CREATE DATABASE "{name}"')
    my_admin = pymysql.connect(**mysql_server.pymysql_kwargs(), autocommit=True)
    with my_admin.cursor() as cur:
        cur.execute(f"CREATE DATABASE `{name}` CHARACTER SET utf8mb4 COLLATE utf8mb4_general_ci")
    pg = pg_server.with_database(name)
    my = mysql_server.with_database(name)
    sqlite_path = tmp / "hazard.sqlite"
    duck_path = tmp / "hazard.duckdb"
    connectors: dict[str, tuple[str, Callable[[], Any]]] = {
        "postgresql": (pg.url, lambda: psycopg.connect(pg.url)),
        "mysql": (my.url, lambda: pymysql.connect(**my.pymysql_kwargs())),
        "sqlite": (f"sqlite:///{sqlite_path}", lambda: sqlite3.connect(sqlite_path)),
        "duckdb": (new_duckdb_file(duck_path), None),  # type: ignore[dict-item]
    }
    out: dict[str, dict[str, Loaded]] = {}
    for engine, (url, connect) in connectors.items():
        if engine == "duckdb":
            from dbtools.dvt.connections import parse_url
            from dbtools.dvt.engines import DuckDBEngine

            db = DuckDBEngine(parse_url(url))._database()

            def connect(db: Any = db) -> Any:
                return _NoClose(db.cursor())

        create_and_load(engine, connect, "t_same", HAZARD_ROWS)
        create_and_load(engine, connect, "t_planted", planted())
        out[engine] = {
            "same": Loaded(engine, url, "t_same"),
            "planted": Loaded(engine, url, "t_planted"),
        }
    _ = duckdb
    for dialect in ("spanner", "spanner_pg"):
        database, url = make_spanner_db(dialect, [])
        load_spanner(database, dialect, "t_same", HAZARD_ROWS)
        load_spanner(database, dialect, "t_planted", planted())
        out[dialect] = {
            "same": Loaded(dialect, url, "t_same"),
            "planted": Loaded(dialect, url, "t_planted"),
        }
    try:
        yield out
    finally:
        with psycopg.connect(pg_server.url, autocommit=True) as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        with my_admin.cursor() as cur:
            cur.execute(f"DROP DATABASE IF EXISTS `{name}`")
        my_admin.close()


class _NoClose:
    def __init__(self, cur: Any) -> None:
        self._cur = cur

    def cursor(self) -> Any:
        return self._cur

    def commit(self) -> None:
        pass

    def close(self) -> None:
        pass


@pytest.fixture(scope="session")
def planted_truth() -> dict[str, Any]:
    """What the planted table differs in: {"columns": {id: column}, "missing": id, "extra": id}."""
    return {
        "columns": dict(PLANTED),
        "missing": MISSING_ID,
        "extra": EXTRA_ID,
        "rows": len(HAZARD_ROWS),
    }


@pytest.fixture(autouse=True)
def _leaves_working_directory_alone() -> Iterator[None]:
    """Every dvt test writes under tmp_path: a file left in the working directory (as
    `sqlite:///a.db` once did) fails the test that made it."""
    import os

    before = set(os.listdir())
    yield
    new = sorted(set(os.listdir()) - before)
    assert not new, f"test left {new} in the working directory {os.getcwd()}; use tmp_path"
