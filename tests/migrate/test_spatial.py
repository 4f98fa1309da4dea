"""Spatial values keep every digit, from every mysqldump variant and from a live read, and both
paths give the same Spanner values; MySQL 8's `SRID n` column attribute is dropped with a
warning instead of making the table unreadable."""

from __future__ import annotations

import datetime as dt
import io
import threading
from types import SimpleNamespace
from typing import Any

import pytest
from dbtools.migrate.convert import convert
from dbtools.migrate.data import Loader
from dbtools.migrate.datasource import load_dump, load_live
from dbtools.migrate.source import parse_text, read_live

# coordinates that 6 (or 15) significant digits would move
WKT = [
    "POINT(153.1408538 -27.6333361)",
    "POINT(0.30000000000000004 -122.41941550000001)",
    "LINESTRING(0 0, 1.0000000000000002 2.5, -179.99999999999997 89.12345678901234)",
    "POLYGON((0 0, 10.123456789 0, 10.123456789 10.987654321, 0 0))",
    "MULTIPOINT(1.25 2.5, 3.0000001 4)",
    "POINT(1e+20 -1e-07)",
]
MYSQL_SPATIAL = [
    "CREATE TABLE place (id int NOT NULL PRIMARY KEY, g geometry, p point)",
    *[
        f"INSERT INTO place VALUES ({n}, ST_GeomFromText('{w}'), "
        f"{'ST_GeomFromText(' + repr(w) + ')' if w.startswith('POINT') else 'NULL'})"
        for n, w in enumerate(WKT, 1)
    ],
]


class Capture:
    """A database that keeps every row written (the loader's writer protocol)."""

    def __init__(self) -> None:
        self.rows: dict[str, list[list[Any]]] = {}
        self.lock = threading.Lock()

    def batch(self) -> Capture:
        return self

    def __enter__(self) -> Capture:
        return self

    def __exit__(self, *exc: object) -> None:
        return None

    def insert_or_update(self, table: str, columns: list[str], rows: list[list[Any]]) -> None:
        with self.lock:
            self.rows.setdefault(table, []).extend(rows)


def _load(conv: Any, tmp_path: Any, feed: Any) -> dict[int, list[Any]]:
    db = Capture()
    loader = Loader(conv, db, tmp_path, source_label="t", tz=dt.timezone.utc)
    feed(loader)
    loader.drain()
    result = loader.close()
    assert result.bad == 0
    return {int(r[0]): r[1:] for r in db.rows["place"]}


@pytest.fixture(scope="module")
def spatial_db(mysql_server: Any, realdumps: SimpleNamespace) -> Any:
    with realdumps.mysql_database(mysql_server, MYSQL_SPATIAL) as db:
        yield db


@pytest.mark.parametrize("variant", ["default", "skip-extended-insert", "hex-blob"])
def test_spatial_values_keep_full_precision_from_dumps_and_live_alike(
    spatial_db: Any, realdumps: SimpleNamespace, variant: str, tmp_path: Any
) -> None:
    dump = realdumps.mysqldump(spatial_db, *realdumps.MYSQL_VARIANTS[variant])
    conv = convert(parse_text("mysql", dump, whole=True), "google_standard_sql")
    from_dump = _load(conv, tmp_path / "d", lambda ld: load_dump(ld, "mysql", io.BytesIO(dump), []))
    expected = {n: [w, w if w.startswith("POINT") else None] for n, w in enumerate(WKT, 1)}
    assert from_dump == expected

    url = spatial_db.sqlalchemy_url()
    live_conv = convert(read_live(url), "google_standard_sql")
    from_live = _load(live_conv, tmp_path / "l", lambda ld: load_live(ld, url, live_conv.source))
    assert from_live == from_dump


def test_mysql8_srid_columns_are_read_and_the_srid_is_reported() -> None:
    # as mysqldump of MySQL 8 writes it (sakila's address table)
    dump = (
        "CREATE TABLE `address` (\n"
        "  `address_id` smallint unsigned NOT NULL AUTO_INCREMENT,\n"
        "  `location` geometry NOT NULL /*!80003 SRID 0 */,\n"
        "  `pos` point /*!80003 SRID 4326 */ DEFAULT NULL,\n"
        "  `city_id` smallint unsigned NOT NULL,\n"
        "  PRIMARY KEY (`address_id`),\n"
        "  KEY `idx_fk_city_id` (`city_id`),\n"
        "  SPATIAL KEY `idx_location` (`location`),\n"
        "  CONSTRAINT `fk_address_city` FOREIGN KEY (`city_id`) REFERENCES `city` (`city_id`)\n"
        ") ENGINE=InnoDB AUTO_INCREMENT=606 DEFAULT CHARSET=utf8mb4;\n"
        "CREATE TABLE `city` (`city_id` smallint unsigned NOT NULL, PRIMARY KEY (`city_id`));\n"
    )
    src = parse_text("mysql", dump)
    assert src.diagnostics == []
    table = src.tables["address"]
    assert [(c.name, c.srid) for c in table.columns] == [
        ("address_id", None),
        ("location", 0),
        ("pos", 4326),
        ("city_id", None),
    ]
    assert table.column("location").not_null
    conv = convert(src, "google_standard_sql")
    srid = [(i.column, i.severity, i.params) for i in conv.issues if i.code == "srid_dropped"]
    assert srid == [("location", "warning", {"srid": 0}), ("pos", "warning", {"srid": 4326})]
    sp = conv.schema.table("address")
    assert sp is not None and [fk.ref_table for fk in sp.foreign_keys] == ["city"]
    assert not [i for i in conv.issues if i.severity == "error"]
