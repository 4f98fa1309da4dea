"""PostGIS geometry against Spanner's WKT text (both dialects) and MariaDB geometry, at full
precision: the same shapes validate clean, a coordinate one digit off (or rounded to the 6
digits of %g) is a difference in that row and column only.

PostGIS comes from Debian's postgresql-15-postgis-3 (tests/system-deps.sh); the extension is
created only inside this test's own database."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from typing import Any

import psycopg
import pymysql
import pytest
from dbtools.dvt.connections import parse_url
from dbtools.dvt.engines import open_engine
from dbtools.dvt.rows import RowSpec, RowValidator
from dbtools.dvt.schema import SchemaSpec, validate_schema

# (as PostGIS and MariaDB are given it, as a migration writes it into a STRING column)
SHAPES: list[tuple[str | None, str | None]] = [
    ("POINT(1.123456789012345 -2.5)", "POINT (1.123456789012345 -2.5)"),
    ("LINESTRING(0 0,1e-07 3.141592653589793)", "LINESTRING(0 0, 0.0000001 3.141592653589793)"),
    ("POLYGON((0 0,10 0,10 10,0 0))", "polygon((0 0, 10 0, 10 10, 0 0))"),
    ("MULTIPOINT(1 2,3 4)", "MULTIPOINT((1 2),(3 4))"),
    (None, None),
    ("POINT(-0.30000000000000004 7)", "POINT(-0.30000000000000004 7)"),
    ("GEOMETRYCOLLECTION(POINT(1 1),LINESTRING(2 2,3 3))",
     "GEOMETRYCOLLECTION(POINT(1 1), LINESTRING(2 2, 3 3))"),
]  # fmt: skip
# PostGIS geography (longitude, latitude) against the same WKT in Spanner
GEOGRAPHY = [(1, "POINT(-122.0840575 37.4219999)"), (2, "LINESTRING(2.35 48.85,-0.1275 51.5072)")]
# id → the changed shape (source form, migrated form)
CHANGED = {
    1: ("POINT(1.123456789012346 -2.5)", "POINT(1.123456789012346 -2.5)"),  # last digit
    2: ("LINESTRING(0 0,1e-07 3.14159)", "LINESTRING(0 0,1e-07 3.14159)"),  # %g digits
}


def _rows(table: str, form: int) -> list[tuple[int, str | None]]:
    out = []
    for i, shape in enumerate(SHAPES, 1):
        if table == "changed" and i in CHANGED:
            shape = CHANGED[i]
        out.append((i, shape[form]))
    return out


@pytest.fixture(scope="module")
def postgis_dbs(
    pg_server: Any, mysql_server: Any, make_spanner_db: Any
) -> Iterator[dict[str, str]]:

    name = "dvt_gis_" + uuid.uuid4().hex[:8]
    with psycopg.connect(pg_server.url, autocommit=True) as admin:
        admin.execute(f'CREATE DATABASE "{name}"')
    pg = pg_server.with_database(name)
    my_admin = pymysql.connect(**mysql_server.pymysql_kwargs(), autocommit=True)
    with my_admin.cursor() as cur:
        cur.execute(f"CREATE DATABASE `{name}`")
    my = mysql_server.with_database(name)
    urls = {"postgresql": pg.url, "mysql": my.url}
    try:
        with psycopg.connect(pg.url, autocommit=True) as c:
            try:
                c.execute("CREATE EXTENSION postgis")
            except psycopg.errors.FeatureNotSupported as exc:  # the package is not installed
                pytest.fail(f"PostGIS is missing ({exc}): run tests/system-deps.sh")
            c.execute("CREATE TABLE geog (id int PRIMARY KEY, shape geography)")
            c.cursor().executemany("INSERT INTO geog VALUES (%s, ST_GeogFromText(%s))", GEOGRAPHY)
            for t in ("same", "changed"):
                c.execute(f"CREATE TABLE {t} (id int PRIMARY KEY, shape geometry(Geometry, 4326))")
                c.cursor().executemany(
                    f"INSERT INTO {t} VALUES (%s, ST_GeomFromText(%s, 4326))", _rows(t, 0)
                )
        c2 = pymysql.connect(**my.pymysql_kwargs(), autocommit=True)
        with c2.cursor() as cur:
            for t in ("same", "changed"):
                cur.execute(f"CREATE TABLE {t} (id int PRIMARY KEY, shape geometry)")
                cur.executemany(f"INSERT INTO {t} VALUES (%s, ST_GeomFromText(%s))", _rows(t, 0))
        c2.close()
        for dialect, ddl in (
            ("spanner", "CREATE TABLE {t} (id INT64 NOT NULL, shape STRING(MAX)) PRIMARY KEY (id)"),
            (
                "spanner_pg",
                "CREATE TABLE {t} (id bigint NOT NULL, shape varchar, PRIMARY KEY (id))",
            ),
        ):
            database, urls[dialect] = make_spanner_db(
                dialect, [ddl.format(t=t) for t in ("same", "changed", "geog")]
            )
            with database.batch() as batch:
                batch.insert("geog", columns=["id", "shape"], values=GEOGRAPHY)
            for t in ("same", "changed"):
                with database.batch() as batch:
                    batch.insert(t, columns=["id", "shape"], values=_rows(t, 1))
        yield urls
    finally:
        with psycopg.connect(pg_server.url, autocommit=True) as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        with my_admin.cursor() as cur:
            cur.execute(f"DROP DATABASE IF EXISTS `{name}`")
        my_admin.close()


TARGETS = ["spanner", "spanner_pg", "mysql"]


@pytest.mark.parametrize("target", TARGETS)
def test_postgis_geometry_compares_with_wkt_at_full_precision(
    postgis_dbs: dict[str, str], target: str
) -> None:
    src = open_engine(parse_url(postgis_dbs["postgresql"]))
    tgt = open_engine(parse_url(postgis_dbs[target]))
    same = RowValidator(RowSpec(source_table="same"), src, tgt).run()
    assert same.passed, [f.as_dict() for f in same.findings]
    assert same.summary["matched"] == len(SHAPES)
    changed = RowValidator(RowSpec(source_table="same", target_table="changed"), src, tgt).run()
    assert sorted((f.key["id"], f.column) for f in changed.findings if f.key) == [
        (i, "shape") for i in sorted(CHANGED)
    ]


@pytest.mark.parametrize("target", TARGETS)
def test_the_other_way_round_too(postgis_dbs: dict[str, str], target: str) -> None:
    src = open_engine(parse_url(postgis_dbs[target]))
    tgt = open_engine(parse_url(postgis_dbs["postgresql"]))
    assert RowValidator(RowSpec(source_table="same"), src, tgt).run().passed
    changed = RowValidator(RowSpec(source_table="changed", target_table="same"), src, tgt).run()
    assert sorted(f.key["id"] for f in changed.findings if f.key) == sorted(CHANGED)


def test_a_postgis_column_is_a_geometry_in_schema_validation(postgis_dbs: dict[str, str]) -> None:
    src = open_engine(parse_url(postgis_dbs["postgresql"]))
    (_, shape) = src.columns("same")
    assert shape.kind.value == "geometry"
    tgt = open_engine(parse_url(postgis_dbs["mysql"]))
    assert validate_schema(SchemaSpec("same"), src, tgt).passed


@pytest.mark.parametrize("target", ["spanner", "spanner_pg"])
def test_postgis_geography_compares_with_wkt_too(postgis_dbs: dict[str, str], target: str) -> None:
    src = open_engine(parse_url(postgis_dbs["postgresql"]))
    tgt = open_engine(parse_url(postgis_dbs[target]))
    assert src.columns("geog")[1].kind.value == "geometry"
    result = RowValidator(RowSpec(source_table="geog"), src, tgt).run()
    assert result.passed and result.summary["matched"] == len(GEOGRAPHY)
