"""The loader's fast paths (whole statements converted from the tokenizer's raw matches, or a
list in one map) must give exactly what the row-by-row loop gives: rows, bad rows, counts,
identity maxima; whatever they cannot handle goes back to the loop."""

from __future__ import annotations

import io
import itertools
import json
from pathlib import Path
from typing import Any

from dbtools.migrate import ddl
from dbtools.migrate.apply import apply_schema, open_database
from dbtools.migrate.convert import convert
from dbtools.migrate.data import Loader, NullDatabase
from dbtools.migrate.datasource import load_dump
from dbtools.migrate.model import Diagnostic
from dbtools.migrate.rows import read_rows
from dbtools.migrate.source import parse_text
from dbtools.migrate.values import UTC

_ids = itertools.count()

SCHEMA = """
CREATE TABLE `pairs` (`a` int NOT NULL, `b` varchar(10) NOT NULL, `d` date DEFAULT NULL,
  `n` decimal(10,2) DEFAULT NULL, `t` text, PRIMARY KEY (`a`,`b`));
CREATE TABLE `counter` (`id` bigint NOT NULL AUTO_INCREMENT, `v` varchar(3) DEFAULT NULL,
  PRIMARY KEY (`id`));
"""
ROWS = r"""
INSERT INTO `pairs` VALUES (1,'x','2024-01-02',1.50,'it\'s'),(1,'y',NULL,NULL,NULL),(2,'bad','0000-00-00',3.00,'z'),(3,'toolongvalue',NULL,NULL,NULL),(4,'ok','2024-02-29',-7.25,'a\\b\nc');
INSERT INTO `pairs` (`a`,`b`) VALUES (5,'short'),(6,'s2');
INSERT INTO `pairs` VALUES (7,'hex',NULL,NULL,0x41),(8,'w',NULL,12345678901.5,NULL);
INSERT INTO `counter` VALUES (1,'a'),(41,'b'),(9,'c'),(10,'four');
INSERT INTO `counter` VALUES (12,'d'),(99,'e');
"""


def _load(spanner: Any, tmp: Path, fast: bool) -> tuple[Any, Loader, list[dict[str, Any]]]:
    text = SCHEMA + ROWS
    conv = convert(
        parse_text("mysql", text), "google_standard_sql", identity=False, uuid_default=False
    )
    name = f"fast{next(_ids)}"
    where = {
        "project": spanner.project,
        "instance": spanner.instance,
        "database": name,
        "emulator_host": spanner.address,
    }
    apply_schema(ddl.statements(conv.schema), dialect="google_standard_sql", **where)
    db = open_database(**where)
    out = tmp / ("fast" if fast else "loop")
    loader = Loader(conv, db, out, source_label="t", tz=UTC, parallelism=2)
    if fast:
        load_dump(loader, "mysql", io.BytesIO(text.encode()), [])
    else:
        diags: list[Diagnostic] = []
        for batch in read_rows("mysql", io.BytesIO(text.encode()), diags):
            # an iterator, not a list: the row-by-row loop, as for live tables
            loader.add_rows(batch.table, batch.columns, iter(batch.rows))
    loader.close()
    bad = [json.loads(line) for line in (out / "bad_rows.jsonl").read_text().splitlines()]
    return db, loader, bad


def _table(db: Any, sql: str) -> list[list[Any]]:
    with db.snapshot() as snap:
        return [list(r) for r in snap.execute_sql(sql)]


def test_fast_paths_match_the_row_loop(spanner: Any, tmp_path: Path) -> None:
    db_fast, fast, bad_fast = _load(spanner, tmp_path, fast=True)
    db_loop, loop, bad_loop = _load(spanner, tmp_path, fast=False)
    for sql in ("SELECT * FROM pairs ORDER BY a, b", "SELECT * FROM counter ORDER BY id"):
        assert _table(db_fast, sql) == _table(db_loop, sql)
    rows = _table(db_fast, "SELECT a, b, t FROM pairs ORDER BY a, b")
    assert [r[:2] for r in rows] == [
        [1, "x"],
        [1, "y"],
        [4, "ok"],
        [5, "short"],
        [6, "s2"],
        [7, "hex"],
        [8, "w"],
    ]
    assert rows[0][2] == "it's" and rows[2][2] == "a\\b\nc" and rows[5][2] == "A"
    # bad rows: same records, composite keys reported as lists of source values
    assert sorted(bad_fast, key=json.dumps) == sorted(bad_loop, key=json.dumps)
    assert {(json.dumps(b["key"]), b["column"]) for b in bad_fast} == {
        ('["2", "bad"]', "d"),
        ('["3", "toolongvalue"]', "b"),
        ('"10"', "v"),
    }
    for name in ("pairs", "counter"):
        f, lp = fast.result.tables[name], loop.result.tables[name]
        assert (f.read, f.written, f.bad) == (lp.read, lp.written, lp.bad)
    assert fast.result.tables["pairs"].read == 9


def test_identity_maxima_from_fast_and_loop_paths(tmp_path: Path) -> None:
    # a dry run (NullDatabase) with IDENTITY columns, which spanner-local does not have yet
    text = SCHEMA + ROWS
    conv = convert(parse_text("mysql", text), "google_standard_sql")
    maxima = []
    for fast in (True, False):
        loader = Loader(conv, NullDatabase(), tmp_path / str(fast), source_label="t", tz=UTC)
        if fast:
            load_dump(loader, "mysql", io.BytesIO(text.encode()), [])
        else:
            for batch in read_rows("mysql", io.BytesIO(text.encode()), []):
                loader.add_rows(batch.table, batch.columns, iter(batch.rows))
        loader.close()
        maxima.append(loader.identity_max)
    assert maxima[0] == maxima[1] == {("counter", "id"): 99}
