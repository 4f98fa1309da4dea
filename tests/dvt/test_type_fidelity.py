"""Every type a migration to Spanner produces compares exactly against its source type.

The same rows are loaded as each engine stores them after a migration: MySQL SET and PostgreSQL
`text[]` → Spanner ARRAY<STRING> (DuckDB VARCHAR[], SQLite a JSON array text); MySQL spatial →
WKT text at full precision; MariaDB FLOAT / PostgreSQL real → FLOAT32; ENUM → STRING;
BLOB/bytea → BYTES; NUMERIC(38,9) at its widest; instants; JSON. Identical data must validate
clean (row and column validation), and one planted change per type must be found in exactly
that column and nowhere else.
"""

from __future__ import annotations

import base64
import datetime as dt
import json
import sqlite3
import uuid
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path
from typing import Any

import psycopg
import pymysql
import pytest
from dbtools.dvt.columns import ColumnSpec, ColumnValidator
from dbtools.dvt.connections import parse_url
from dbtools.dvt.engines import open_engine
from dbtools.dvt.rows import RowSpec, RowValidator

UTC = dt.timezone.utc
COLS = ["id", "arr", "geo", "f32", "en", "bin", "num", "tstz", "js"]

DDL = {
    "mysql": "id INT PRIMARY KEY, arr SET('a','b','c'), geo GEOMETRY, f32 FLOAT, "
    "en ENUM('x','y'), bin BLOB, num DECIMAL(38,9), tstz TIMESTAMP(6) NULL, js JSON",
    "postgresql": "id int PRIMARY KEY, arr text[], geo text, f32 real, en mood, bin bytea, "
    "num numeric(38,9), tstz timestamptz, js jsonb",
    "spanner": "id INT64 NOT NULL, arr ARRAY<STRING(MAX)>, geo STRING(MAX), f32 FLOAT32, "
    "en STRING(MAX), bin BYTES(MAX), num NUMERIC, tstz TIMESTAMP, js JSON",
    "spanner_pg": "id bigint NOT NULL, arr varchar[], geo varchar, f32 float4, en varchar, "
    "bin bytea, num numeric, tstz timestamptz, js jsonb",
    "duckdb": "id INTEGER PRIMARY KEY, arr VARCHAR[], geo VARCHAR, f32 FLOAT, en VARCHAR, "
    "bin BLOB, num DECIMAL(38,9), tstz TIMESTAMPTZ, js JSON",
    # SQLite keeps DECIMAL as doubles (a documented limit): num is left out there
    "sqlite": "id INTEGER PRIMARY KEY, arr JSON, geo TEXT, f32 REAL, en TEXT, bin BLOB, "
    "num TEXT, tstz TIMESTAMP, js TEXT",
}

# WKT as MariaDB stores it (full double precision) and as a migration may spell it
GEO = [
    ("POINT(1.123456789012345 -2.5)", "POINT (1.123456789012345 -2.5)"),
    ("LINESTRING(0 0,1e-07 3.141592653589793)", "LINESTRING(0 0, 0.0000001 3.141592653589793)"),
    ("POLYGON((0 0,10 0,10 10,0 0))", "polygon((0 0, 10 0, 10 10, 0 0))"),
    ("MULTIPOINT(1 2,3 4)", "MULTIPOINT((1 2),(3 4))"),
    (None, None),
    ("POINT(-0.30000000000000004 7)", "POINT(-0.30000000000000004 7)"),
]

ROWS: list[dict[str, Any]] = [
    {
        "id": i + 1,
        "arr": arr,
        "geo": GEO[i],
        "f32": f32,
        "en": en,
        "bin": bn,
        "num": num,
        "tstz": ts,
        "js": js,
    }
    for i, (arr, f32, en, bn, num, ts, js) in enumerate(
        [
            # one below DECIMAL(38,9)'s largest: spanner-local stores a numeric NaN as that value
            # and cannot tell the two apart (packages/spanner-local/README.md, "NaN")
            (["a", "c"], 16777216.0, "x", b"\x00\xff", Decimal("99999999999999999999999999999.999999998"),
             dt.datetime(2024, 3, 1, 12, 0, 0, 123456, UTC), {"b": [1, 2.5], "a": "é"}),
            ([], 0.1, "y", b"", Decimal("-0.000000001"),
             dt.datetime(1999, 12, 31, 23, 59, 59, 999999, UTC), [1, "two", None]),
            (None, -3.5, None, None, Decimal("0"), None, None),
            (["b"], 1e-10, "x", bytes(range(256)), Decimal("1.5"),
             dt.datetime(2030, 1, 1, tzinfo=UTC), {"n": 1e20}),
            (["a", "b", "c"], 3.4e38, "y", b"|\\", Decimal("-12345678901234567890.123456789"),
             dt.datetime(2024, 3, 1, tzinfo=UTC), "text"),
            (["c"], None, "x", b"a", None, dt.datetime(1970, 1, 2, tzinfo=UTC), {}),
        ]
    )
]  # fmt: skip

# id → (column, new value): one change per type; each is the kind of loss a migration can make
PLANTED: dict[int, tuple[str, Any]] = {
    1: ("arr", ["a", "b", "c"]),
    2: ("geo", ("LINESTRING(0 0,1e-07 3.14159)", "LINESTRING(0 0,1e-07 3.14159)")),  # %g digits
    3: ("f32", -3.4999998),  # the next 32-bit float
    4: ("en", "y"),
    5: ("bin", b"|/"),
    6: ("tstz", dt.datetime(1970, 1, 2, 0, 0, 0, 1, UTC)),
}
PLANTED_NUM = (4, "num", Decimal("1.500000001"))
PLANTED_JS = (1, "js", {"b": [1, 2.5], "a": "e"})


def planted_rows() -> list[dict[str, Any]]:
    out = {r["id"]: dict(r) for r in ROWS}
    for i, (col, value) in PLANTED.items():
        out[i][col] = value
    for i, col, value in (PLANTED_NUM, PLANTED_JS):
        out[i] = {**out[i], col: value}
    return list(out.values())


def value_for(engine: str, col: str, v: Any) -> Any:
    if col == "geo":
        source_form, migrated_form = v
        if engine == "mysql":
            return source_form
        return migrated_form
    if v is None:
        return None
    if col == "arr":
        if engine == "mysql":
            return ",".join(v)
        if engine == "sqlite":
            return json.dumps(v)
        return v
    if col == "js":
        return json.dumps(v)
    if col == "bin" and engine.startswith("spanner"):
        return base64.b64encode(v)
    if col == "tstz":
        if engine == "mysql":
            return v.astimezone(UTC).replace(tzinfo=None)
        if engine == "sqlite":
            return v.isoformat(sep=" ")
    if col == "num" and engine == "sqlite":
        return str(v)
    return v


def _insert_sql(engine: str, table: str) -> str:
    ph = "%s" if engine in ("mysql", "postgresql") else "?"
    values = [ph] * len(COLS)
    if engine == "mysql":
        values[COLS.index("geo")] = f"ST_GeomFromText({ph})"
    return f"INSERT INTO {table} ({', '.join(COLS)}) VALUES ({', '.join(values)})"


def _load_dbapi(engine: str, conn: Any, table: str, rows: list[dict[str, Any]]) -> None:
    cur = conn.cursor()
    if engine == "mysql":
        cur.execute("SET time_zone = '+00:00'")
    cur.execute(f"CREATE TABLE {table} ({DDL[engine]})")
    data = [tuple(value_for(engine, c, r[c]) for c in COLS) for r in rows]
    cur.executemany(_insert_sql(engine, table), data)
    conn.commit()


@pytest.fixture(scope="module")
def typed_dbs(
    make_spanner_db: Any,
    pg_server: Any,
    mysql_server: Any,
    tmp_path_factory: pytest.TempPathFactory,
    make_duckdb: Any,
) -> Iterator[dict[str, str]]:
    """{engine: URL}, each database holding `same` (the source rows) and `planted`."""
    import duckdb

    name = "dvt_t_" + uuid.uuid4().hex[:8]
    tmp: Path = tmp_path_factory.mktemp("typed")
    with psycopg.connect(pg_server.url, autocommit=True) as admin:
        admin.execute(f'CREATE DATABASE "{name}"')
    my_admin = pymysql.connect(**mysql_server.pymysql_kwargs(), autocommit=True)
    with my_admin.cursor() as cur:
        cur.execute(f"CREATE DATABASE `{name}` CHARACTER SET utf8mb4")
    pg, my = pg_server.with_database(name), mysql_server.with_database(name)
    urls = {"postgresql": pg.url, "mysql": my.url}
    with psycopg.connect(pg.url) as c:
        c.execute("CREATE TYPE mood AS ENUM ('x', 'y')")
        for table, rows in (("same", ROWS), ("planted", planted_rows())):
            _load_dbapi("postgresql", c, table, rows)
    c2 = pymysql.connect(**my.pymysql_kwargs())
    for table, rows in (("same", ROWS), ("planted", planted_rows())):
        _load_dbapi("mysql", c2, table, rows)
    c2.close()
    lite = tmp / "typed.db"
    with sqlite3.connect(lite) as c3:
        for table, rows in (("same", ROWS), ("planted", planted_rows())):
            _load_dbapi("sqlite", c3, table, rows)
    urls["sqlite"] = f"sqlite:///{lite}"
    urls["duckdb"] = make_duckdb(tmp / "typed.duckdb")
    duck = duckdb.connect(str(tmp / "typed.duckdb"))
    for table, rows in (("same", ROWS), ("planted", planted_rows())):
        _load_dbapi("duckdb", duck, table, rows)
    duck.close()
    for dialect in ("spanner", "spanner_pg"):
        pk = " PRIMARY KEY (id)" if dialect == "spanner" else ""
        inner = ", PRIMARY KEY (id)" if dialect == "spanner_pg" else ""
        database, urls[dialect] = make_spanner_db(
            dialect, [f"CREATE TABLE {t} ({DDL[dialect]}{inner}){pk}" for t in ("same", "planted")]
        )
        for table, rows in (("same", ROWS), ("planted", planted_rows())):
            data = [tuple(value_for(dialect, c, r[c]) for c in COLS) for r in rows]
            with database.batch() as batch:
                batch.insert(table, columns=COLS, values=data)
    try:
        yield urls
    finally:
        with psycopg.connect(pg_server.url, autocommit=True) as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        with my_admin.cursor() as cur:
            cur.execute(f"DROP DATABASE IF EXISTS `{name}`")
        my_admin.close()


# the migrations this checks: a MariaDB or PostgreSQL source, every other engine as target
PAIRS = [
    (s, t)
    for s in ("mysql", "postgresql")
    for t in ("spanner", "spanner_pg", "duckdb", "sqlite", "postgresql", "mysql")
    if s != t
]
IDS = [f"{s}-{t}" for s, t in PAIRS]


def _exclude(s: str, t: str) -> list[str]:
    out = []
    if "sqlite" in (s, t):
        out.append("num")  # SQLite stores DECIMAL as doubles
    return out


def _rows(urls: dict[str, str], s: str, t: str, target_table: str) -> Any:
    spec = RowSpec(source_table="same", target_table=target_table, exclude=_exclude(s, t))
    src, tgt = open_engine(parse_url(urls[s])), open_engine(parse_url(urls[t]))
    return RowValidator(spec, src, tgt).run()


@pytest.mark.parametrize(("s", "t"), PAIRS, ids=IDS)
def test_migrated_types_validate_clean(typed_dbs: dict[str, str], s: str, t: str) -> None:
    r = _rows(typed_dbs, s, t, "same")
    assert [(f.key, f.column, f.source, f.target) for f in r.findings] == []
    assert r.passed and r.summary["matched"] == len(ROWS)
    assert set(r.summary["compared_columns"]) == set(COLS) - {"id"} - set(_exclude(s, t))


@pytest.mark.parametrize(("s", "t"), PAIRS, ids=IDS)
def test_each_planted_type_change_is_found_in_its_column(
    typed_dbs: dict[str, str], s: str, t: str
) -> None:
    r = _rows(typed_dbs, s, t, "planted")
    found: dict[int, list[str]] = {}
    for f in r.findings:
        assert f.status == "mismatch", f
        found.setdefault(f.key["id"], []).append(f.column or "")
    expected = {i: [col] for i, (col, _) in PLANTED.items()}
    expected[PLANTED_JS[0]].append("js")
    if "num" not in _exclude(s, t):
        expected[PLANTED_NUM[0]].append("num")
    assert {k: sorted(v) for k, v in found.items()} == {k: sorted(v) for k, v in expected.items()}


@pytest.mark.parametrize(("s", "t"), PAIRS, ids=IDS)
def test_float32_column_aggregates_compare_as_32_bit(
    typed_dbs: dict[str, str], s: str, t: str
) -> None:
    spec = ColumnSpec(
        source_table="same",
        aggregates={"count": ["*", "f32"], "sum": ["f32"], "min": ["f32"], "max": ["f32"]},
    )
    src, tgt = open_engine(parse_url(typed_dbs[s])), open_engine(parse_url(typed_dbs[t]))
    r = ColumnValidator(spec, src, tgt).run()
    failed = [f.as_dict() for f in r.findings if f.status != "success"]
    assert failed == [] and r.passed
    planted = ColumnValidator(
        ColumnSpec(source_table="same", target_table="planted", aggregates={"min": ["f32"]}),
        src,
        tgt,
    ).run()
    assert not planted.passed  # -3.5 → -3.4999998 is the minimum


def test_the_float32_extremes_are_exact_on_mariadb_and_postgresql(
    typed_dbs: dict[str, str],
) -> None:
    """MariaDB sends MAX(float) as 6-digit text and PostgreSQL sums real in 32 bits: dvt asks
    both for doubles, so the values shown are the stored 32-bit values, exactly."""
    from dbtools.dvt.canon import decimal_text, round32

    spec = ColumnSpec(source_table="same", aggregates={"max": ["f32"], "sum": ["f32"]})
    src = open_engine(parse_url(typed_dbs["mysql"]))
    tgt = open_engine(parse_url(typed_dbs["postgresql"]))
    r = ColumnValidator(spec, src, tgt).run()
    shown = {f.check: (f.source, f.target) for f in r.findings}
    stored_max = decimal_text(Decimal(repr(round32(3.4e38))))
    assert shown["max"] == (stored_max, stored_max)
    assert r.passed
