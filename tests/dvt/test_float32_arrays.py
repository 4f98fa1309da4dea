"""Arrays of 32-bit floats compare element by element as 32-bit floats: Spanner ARRAY<FLOAT32>
(GoogleSQL) and float4[] (PostgreSQL dialect) against PostgreSQL real[] and DuckDB FLOAT[].

A driver hands a real[] element over as the double nearest its decimal text (0.1), Spanner as
the double holding the 32-bit value (0.10000000149011612): the same stored number, which must
compare equal; the next 32-bit float must not."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import psycopg
import pytest
from dbtools.dvt.connections import parse_url
from dbtools.dvt.engines import open_engine
from dbtools.dvt.rows import RowSpec, RowValidator
from dbtools.dvt.types import make_column

ROWS: list[tuple[int, list[float | None] | None]] = [
    (1, [0.1, -3.5, 16777216.0, 3.4e38, None]),
    (2, []),
    (3, None),
    (4, [1e-10, 2.5e-38, 1.0]),
]
CHANGED = (4, [1e-10, 2.5e-38, 1.0000001192092896])  # the 32-bit float after 1.0

DDL = {
    "postgresql": "CREATE TABLE {t} (id int PRIMARY KEY, fa real[])",
    "duckdb": "CREATE TABLE {t} (id INTEGER PRIMARY KEY, fa FLOAT[])",
    "spanner": "CREATE TABLE {t} (id INT64 NOT NULL, fa ARRAY<FLOAT32>) PRIMARY KEY (id)",
    "spanner_pg": "CREATE TABLE {t} (id bigint NOT NULL, fa float4[], PRIMARY KEY (id))",
}


def _rows(table: str) -> list[tuple[int, Any]]:
    out = dict(ROWS)
    if table == "changed":
        out[CHANGED[0]] = CHANGED[1]
    return sorted(out.items())


@pytest.fixture(scope="module")
def float32_dbs(
    make_spanner_db: Any,
    pg_server: Any,
    tmp_path_factory: pytest.TempPathFactory,
    make_duckdb: Any,
) -> Iterator[dict[str, str]]:
    import duckdb

    name = "dvt_f32_" + uuid.uuid4().hex[:8]
    with psycopg.connect(pg_server.url, autocommit=True) as admin:
        admin.execute(f'CREATE DATABASE "{name}"')
    pg = pg_server.with_database(name)
    urls = {"postgresql": pg.url}
    with psycopg.connect(pg.url) as c:
        for t in ("same", "changed"):
            c.execute(DDL["postgresql"].format(t=t))
            c.cursor().executemany(f"INSERT INTO {t} VALUES (%s, %s)", _rows(t))
    tmp: Path = tmp_path_factory.mktemp("f32")
    urls["duckdb"] = make_duckdb(tmp / "f32.duckdb")
    duck = duckdb.connect(str(tmp / "f32.duckdb"))
    for t in ("same", "changed"):
        duck.execute(DDL["duckdb"].format(t=t))
        duck.executemany(f"INSERT INTO {t} VALUES (?, ?)", _rows(t))
    duck.close()
    for dialect in ("spanner", "spanner_pg"):
        database, urls[dialect] = make_spanner_db(
            dialect, [DDL[dialect].format(t=t) for t in ("same", "changed")]
        )
        for t in ("same", "changed"):
            with database.batch() as batch:
                batch.insert(t, columns=["id", "fa"], values=_rows(t))
    try:
        yield urls
    finally:
        with psycopg.connect(pg_server.url, autocommit=True) as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


PAIRS = [("postgresql", t) for t in ("spanner", "spanner_pg", "duckdb")] + [("duckdb", "spanner")]


def _validate(urls: dict[str, str], s: str, t: str, target_table: str) -> Any:
    src, tgt = open_engine(parse_url(urls[s])), open_engine(parse_url(urls[t]))
    spec = RowSpec(source_table="same", target_table=target_table, primary_keys=["id"])
    return RowValidator(spec, src, tgt).run()


@pytest.mark.parametrize("s,t", PAIRS, ids=[f"{s}-{t}" for s, t in PAIRS])
def test_float32_arrays_compare_as_32_bit_floats(
    float32_dbs: dict[str, str], s: str, t: str
) -> None:
    same = _validate(float32_dbs, s, t, "same")
    assert same.passed, [f.as_dict() for f in same.findings]
    assert same.summary["matched"] == len(ROWS)
    changed = _validate(float32_dbs, s, t, "changed")
    assert not changed.passed
    assert [(f.key, f.column) for f in changed.findings] == [({"id": 4}, "fa")]


@pytest.mark.parametrize(
    "engine,native", [("postgresql", "real[]"), ("spanner", "ARRAY<FLOAT32>"),
                      ("duckdb", "FLOAT[]"), ("spanner", "float4[]")],
)  # fmt: skip
def test_32_bit_float_arrays_are_recognised(engine: str, native: str) -> None:
    assert make_column(engine, "fa", native).element_float32


@pytest.mark.parametrize(
    "engine,native", [("postgresql", "double precision[]"), ("spanner", "ARRAY<FLOAT64>"),
                      ("duckdb", "DOUBLE[]"), ("postgresql", "integer[]")],
)  # fmt: skip
def test_other_arrays_are_not_32_bit(engine: str, native: str) -> None:
    assert not make_column(engine, "fa", native).element_float32
