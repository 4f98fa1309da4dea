"""Each engine's SQL canonical text equals the Python reference, value by value, on random data
(random double bit patterns, decimals, microsecond timestamps, unicode with the separator and
escape characters)."""

from __future__ import annotations

import datetime as dt
import random
import sqlite3
import struct
from decimal import Decimal
from typing import Any

import psycopg
import pymysql
import pytest
from dbtools.dvt import canon
from dbtools.dvt.connections import parse_url
from dbtools.dvt.engines import open_engine
from dbtools.dvt.plan import Render
from dbtools.dvt.types import Kind

UTC = dt.timezone.utc
ALPHABET = "ab |\\N~é😀\t'\"0e.-"


def _double(rnd: random.Random) -> float:
    choice = rnd.random()
    if choice < 0.4:
        while True:
            x = struct.unpack("<d", rnd.getrandbits(64).to_bytes(8, "little"))[0]
            if x == x and x not in (float("inf"), float("-inf")):
                return x
    if choice < 0.6:
        return rnd.choice(
            [1e15, 1e16, 1e-5, 1e-4, 123456789012345678.0, 0.1, 2.5, 1e300, 5e-324, -0.5]
        )
    return round(rnd.uniform(-1e6, 1e6), rnd.randrange(0, 8))


def values(n: int = 300) -> list[dict[str, Any]]:
    rnd = random.Random(7)
    out = []
    for i in range(n):
        scale = rnd.randrange(0, 10)
        dec = (
            Decimal(rnd.randrange(-(10**17), 10**17))
            .scaleb(-scale)
            .quantize(Decimal(1).scaleb(-10))
        )
        # inside MySQL's TIMESTAMP range (1970–2038)
        ts = dt.datetime(1971, 1, 1) + dt.timedelta(
            microseconds=rnd.randrange(0, 66 * 365 * 86400 * 10**6)
        )
        out.append(
            {
                "id": i,
                "f": _double(rnd),
                "r": struct.unpack("<f", struct.pack("<f", rnd.uniform(-1e3, 1e3)))[0],
                "n": dec,
                "s": "".join(rnd.choice(ALPHABET) for _ in range(rnd.randrange(0, 8))),
                "ts": ts.replace(microsecond=0) if i % 4 == 0 else ts,
                "tz": ts.replace(tzinfo=UTC),
                "d": ts.date(),
                "b": rnd.randbytes(rnd.randrange(0, 6)),
            }
        )
    return out


RENDERS = {
    "f": Render(Kind.FLOAT),
    "r": Render(Kind.FLOAT),
    "n": Render(Kind.DECIMAL, 10),
    "s": Render(Kind.STRING),
    "ts": Render(Kind.TIMESTAMP),
    "tz": Render(Kind.TIMESTAMPTZ),
    "d": Render(Kind.DATE),
    "b": Render(Kind.BINARY),
}
DDL = {
    "postgresql": "id int primary key, f float8, r real, n numeric(30,10), s text, ts timestamp, tz timestamptz, d date, b bytea",
    "mysql": "id int primary key, f double, r float, n decimal(30,10), s text, ts datetime(6), tz timestamp(6) null, d date, b varbinary(16)",
    "duckdb": "id int primary key, f double, r float, n decimal(30,10), s varchar, ts timestamp, tz timestamptz, d date, b blob",
}


def _load(engine: Any, kind: str, rows: list[dict[str, Any]]) -> None:
    conn = engine.connect()
    cols = list(rows[0])
    ph = "?" if kind == "duckdb" else "%s"
    data = [
        tuple(
            (r[c].astimezone(UTC).replace(tzinfo=None) if kind == "mysql" and c == "tz" else r[c])
            for c in cols
        )
        for r in rows
    ]
    try:
        cur = conn.cursor()
        cur.execute("DROP TABLE IF EXISTS canon_probe")
        cur.execute(f"CREATE TABLE canon_probe ({DDL[kind]})")
        cur.executemany(f"INSERT INTO canon_probe VALUES ({', '.join([ph] * len(cols))})", data)
        if kind != "duckdb":
            conn.commit()
    finally:
        conn.close()


@pytest.fixture(scope="module")
def urls(
    pg_server: Any, mysql_server: Any, tmp_path_factory: pytest.TempPathFactory, make_duckdb: Any
) -> Any:
    name = "dvt_canon_" + str(random.randrange(10**8))
    with psycopg.connect(pg_server.url, autocommit=True) as admin:
        admin.execute(f'CREATE DATABASE "{name}"')
    my = pymysql.connect(**mysql_server.pymysql_kwargs(), autocommit=True)
    with my.cursor() as cur:
        cur.execute(f"CREATE DATABASE `{name}`")
    yield {
        "postgresql": pg_server.with_database(name).url,
        "mysql": mysql_server.with_database(name).url,
        "duckdb": make_duckdb(tmp_path_factory.mktemp("canon") / "c.duckdb"),
    }
    with psycopg.connect(pg_server.url, autocommit=True) as admin:
        admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    with my.cursor() as cur:
        cur.execute(f"DROP DATABASE IF EXISTS `{name}`")
    my.close()


@pytest.mark.parametrize("kind", ["postgresql", "mysql", "duckdb"])
def test_sql_canonical_text_equals_python(urls: dict[str, str], kind: str) -> None:
    rows = values()
    engine = open_engine(parse_url(urls[kind]))
    _load(engine, kind, rows)
    d = engine.dialect
    exprs = [d.canonical(r, d.quote(c)) for c, r in RENDERS.items()]
    hash_expr = d.row_hash([(e, RENDERS[c].escaped) for e, c in zip(exprs, RENDERS, strict=True)])
    got = engine.query(f"SELECT id, {', '.join(exprs)}, {hash_expr} FROM canon_probe ORDER BY id")
    assert len(got) == len(rows)
    for row, values_ in zip(rows, got, strict=True):
        want = [
            canon.canonical(r.kind, row[c], r.scale)
            if c != "r"
            else canon.float_text(row[c])  # float32 widened exactly to double
            for c, r in RENDERS.items()
        ]
        assert list(values_[1:-1]) == want, row
        want_hash = canon.row_hash(canon.row_text(want, [r.escaped for r in RENDERS.values()]))
        assert values_[-1] == want_hash


def test_sqlite_runs_the_reference_itself(tmp_path: Any) -> None:
    path = tmp_path / "c.db"
    with sqlite3.connect(path) as conn:
        conn.execute(
            "CREATE TABLE t (id INTEGER PRIMARY KEY, n DECIMAL(12,2), s TEXT, ts TIMESTAMP)"
        )
        conn.execute(
            "INSERT INTO t VALUES (1, '100.50', 'a|b', '2024-01-01T10:00:00.120000+02:00')"
        )
    engine = open_engine(parse_url(f"sqlite:///{path}"))
    d = engine.dialect
    exprs = [
        d.canonical(Render(Kind.DECIMAL, 2), "n"),
        d.canonical(Render(Kind.STRING), "s"),
        d.canonical(Render(Kind.TIMESTAMPTZ), "ts"),
    ]
    assert engine.query(f"SELECT {', '.join(exprs)} FROM t") == [
        ("100.5", "a|b", "2024-01-01 08:00:00.12")
    ]
