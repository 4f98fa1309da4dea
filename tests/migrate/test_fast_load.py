"""The loader's fast paths (whole statements converted from the tokenizer's raw matches, or a
list in one map) must give exactly what the row-by-row loop gives: rows, bad rows, counts,
identity maxima; whatever they cannot handle goes back to the loop."""

from __future__ import annotations

import base64
import io
import itertools
import json
import math
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
from dbtools.migrate.typedrows import TypedRowReader
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


def _load(
    spanner: Any, tmp: Path, fast: bool, text: str = SCHEMA + ROWS, engine: str = "mysql"
) -> tuple[Any, Loader, list[dict[str, Any]]]:
    conv = convert(
        parse_text(engine, text.encode("utf-8", "surrogateescape")),
        "google_standard_sql",
        identity=False,
        uuid_default=False,
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
        load_dump(loader, engine, io.BytesIO(text.encode("utf-8", "surrogateescape")), [])
    else:
        diags: list[Diagnostic] = []
        dump = io.BytesIO(text.encode("utf-8", "surrogateescape"))
        for batch in read_rows(engine, dump, diags):
            # an iterator, not a list: the row-by-row loop, as for live tables
            loader.add_rows(batch.table, batch.columns, iter(batch.rows))
    loader.close()
    bad = [json.loads(line) for line in (out / "bad_rows.jsonl").read_text().splitlines()]
    return db, loader, bad


def _table(db: Any, sql: str) -> list[list[Any]]:
    with db.snapshot() as snap:
        return [list(r) for r in snap.execute_sql(sql)]


def _kinds_fast_and_loop(
    spanner: Any, tmp: Path, text: str, engine: str = "mysql"
) -> tuple[dict[Any, list[Any]], list[dict[str, Any]], Any]:
    """`text` loaded by the fast paths and by the row loop: the same `kinds` rows (compared as
    text: NaN is not NaN), bad-row records and counts. The fast path's rows by id, bad-row
    records and counts."""
    db_fast, fast, bad_fast = _load(spanner, tmp / "a", True, text, engine)
    db_loop, loop, bad_loop = _load(spanner, tmp / "b", False, text, engine)
    sql = "SELECT * FROM kinds ORDER BY id"
    assert repr(_table(db_fast, sql)) == repr(_table(db_loop, sql))
    # (Spanner's refusals carry a request id of their own)
    same = [{**b, "reason": b["reason"].split(", request_id")[0]} for b in bad_fast + bad_loop]
    half = len(bad_fast)
    assert sorted(same[:half], key=json.dumps) == sorted(same[half:], key=json.dumps)
    f, lp = fast.result.tables["kinds"], loop.result.tables["kinds"]
    assert (f.read, f.written, f.bad) == (lp.read, lp.written, lp.bad)
    return {r[0]: r for r in _table(db_fast, sql)}, bad_fast, f


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


# Every kind of column a typed reader converts without a test (typedrows.py), with values inside
# and just outside the forms it admits; TIMESTAMP columns are in the dump's +05:30.
KINDS_SCHEMA = """/*!40103 SET TIME_ZONE='+05:30' */;
CREATE TABLE `kinds` (`id` bigint NOT NULL, `i` int DEFAULT NULL, `big` bigint DEFAULT NULL,
  `f` double DEFAULT NULL, `n` decimal(38,9) DEFAULT NULL, `d` date DEFAULT NULL,
  `dt` datetime(6) DEFAULT NULL, `ts` timestamp(6) NULL DEFAULT NULL, `s` varchar(5) NOT NULL,
  `txt` text, `flag` tinyint(1) DEFAULT NULL, PRIMARY KEY (`id`));
"""
KINDS_ROWS = r"""INSERT INTO `kinds` VALUES (1,-5,-999999999999999999,1.5e3,12345678901234567890123456789.123456789,'2024-02-29','2024-03-31 02:30:00.5','2024-01-01 00:00:00.000001','abcde','it\'s \\ ok',1),(2,NULL,123456789012345678,-.5,-0.10,NULL,NULL,NULL,'NULL','',0),(3,null,0,0,0,'1999-12-31','1999-12-31 23:59:59','1970-01-02 00:00:00','é','emoji 😀 ''q''',NULL);
INSERT INTO `kinds` VALUES (4,1,9223372036854775807,1,1.1234567891,'2024-01-01',NULL,NULL,'a',NULL,NULL);
INSERT INTO `kinds` VALUES (5,1,1,1,1,'2023-02-29',NULL,NULL,'abcdef',NULL,NULL),(6,2,9223372036854775808,1,1,NULL,NULL,NULL,'x',NULL,NULL);
INSERT INTO `kinds` VALUES (7,1,1,1,1,'0000-00-00','0000-00-00 00:00:00',NULL,'x','bad <FF> byte',NULL),(8,1,1,1,1,NULL,'2024-13-01 00:00:00',NULL,'y',NULL,NULL);
INSERT INTO `kinds` VALUES (9, 2 , 3, 4.0e-2 ,5,'2024-05-05' , '2024-05-05 05:05:05', '2024-05-05 05:05:05','q', 'a\nb', TRUE) , (10,NULL,NULL,NULL,NULL,NULL,NULL,NULL,'',NULL,NULL);
INSERT INTO `kinds` VALUES (11,1,1,1,1,NULL,NULL,NULL,NULL,NULL,NULL),(12,0x31,1,1,1,NULL,NULL,NULL,'z',NULL,NULL);
INSERT INTO `kinds` (`id`,`s`,`ts`) VALUES (13,'cols','2000-01-01 05:30:00'),(14,'c2',NULL);
""".replace("<FF>", "\udcff")  # a byte that is not UTF-8 (written back as \xff)


def test_typed_readers_match_the_row_loop(spanner: Any, tmp_path: Path) -> None:
    rows, bad_fast, f = _kinds_fast_and_loop(spanner, tmp_path, KINDS_SCHEMA + KINDS_ROWS)
    assert rows[1][1:3] == [-5, -999999999999999999]
    assert str(rows[1][4]) == "12345678901234567890123456789.123456789"
    assert rows[1][7].isoformat() == "2023-12-31T18:30:00.000001+00:00"  # +05:30 taken off
    assert rows[1][9] == "it's \\ ok" and rows[3][9] == "emoji 😀 'q'" and rows[3][8] == "é"
    assert rows[2][8] == "NULL" and rows[2][9] == "" and rows[3][1] is None
    assert rows[9][3] == 0.04 and rows[9][9] == "a\nb" and rows[9][10] is True
    assert rows[13][7].isoformat() == "2000-01-01T00:00:00+00:00" and rows[14][8] == "c2"
    assert {b["key"]: b["column"] for b in bad_fast} == {
        "4": "n",  # 10 fractional digits
        "5": "d",  # no 29th of February in 2023 (the first bad column is reported)
        "6": "big",  # past INT64
        "7": "d",  # zero date
        "8": "dt",  # month 13
        "11": None,  # NULL in a NOT NULL column: Spanner refuses the row
    }
    assert (f.read, f.written, f.bad) == (14, 8, 6)
    # where each bad row is in the source (ids are positions here), refused by Spanner or not
    assert all((b["source_table"], b["source_row"]) == ("kinds", int(b["key"])) for b in bad_fast)


def test_plain_statements_take_the_typed_reader(tmp_path: Path) -> None:
    text = KINDS_SCHEMA + KINDS_ROWS
    conv = convert(
        parse_text("mysql", text.encode("utf-8", "surrogateescape")), "google_standard_sql"
    )
    loader = Loader(conv, NullDatabase(), tmp_path, source_label="t", tz=UTC)
    dump = io.BytesIO(text.encode("utf-8", "surrogateescape"))
    typed = [b.reader is not None for b in read_rows("mysql", dump, [], typed=loader.typed_reader)]
    # 19 digits (2, 3), a hex value in an INT64 column and a NULL in a NOT NULL one (6) are
    # not in the typed forms: the general fast path. Values of the right form that are still
    # wrong (4: zero dates, month 13) match, and fail in conversion instead.
    assert typed == [True, False, False, True, True, False, True]
    loader.close()


# The same for pg_dump --inserts (standard strings, true/false, numbers as they are written)
PG_KINDS_SCHEMA = """CREATE TABLE public.kinds (id bigint NOT NULL, small integer,
  big bigint, f double precision, n numeric(38,9), d date, dt timestamp(6) without time zone,
  s character varying(5) NOT NULL, txt text, flag boolean, b bytea,
  CONSTRAINT kinds_pkey PRIMARY KEY (id));
"""
PG_KINDS_ROWS = [
    "(1, -5, -999999999999999999, 1500, 12345678901234567890123456789.123456789, "
    "'2024-02-29', '2024-03-31 02:30:00.5', 'abcde', 'it''s \\ ok', true, '\\x6869')",
    "(2, NULL, 123456789012345678, -0.5, -0.10, NULL, NULL, 'NULL', '', false, NULL)",
    "(3, NULL, 0, 'NaN', 0, '1999-12-31', '1999-12-31 23:59:59', 'é', 'emoji 😀', NULL, NULL)",
    "(4, 1, 9223372036854775807, 1, 1.1234567891, '2024-01-01', NULL, 'a', NULL, NULL, NULL)",
    "(5, 1, 1, 1, 1, '2023-02-29', NULL, 'abcdef', NULL, NULL, NULL)",
    "(6, 2, 1, 'Infinity', 1, '2024-01-01 BC', 'infinity', 'x', 'a\\b', true, NULL)",
    "(7, 2, 1, 1e+20, 1, NULL, '2024-13-01 00:00:00', 'y', 'two lines', NULL, NULL)",
    "(8, 3, NULL, NULL, NULL, NULL, NULL, 'z', 'new\nline', NULL, NULL)",
]


def _pg_kinds_dump(one_per_statement: bool) -> str:
    head = "INSERT INTO public.kinds VALUES "
    if one_per_statement:
        return PG_KINDS_SCHEMA + "".join(f"{head}{r};\n" for r in PG_KINDS_ROWS)
    return PG_KINDS_SCHEMA + head + ", ".join(PG_KINDS_ROWS) + ";\n"


def test_pg_typed_readers_match_the_row_loop(spanner: Any, tmp_path: Path) -> None:
    for one_per_statement in (True, False):
        text = _pg_kinds_dump(one_per_statement)
        tmp = tmp_path / str(one_per_statement)
        rows, bad_fast, f = _kinds_fast_and_loop(spanner, tmp, text, "postgres")
        assert rows[1][1:3] == [-5, -999999999999999999] and rows[1][3] == 1500.0
        assert (
            rows[1][8] == "it's \\ ok"
            and rows[1][9] is True
            and base64.b64decode(rows[1][10]) == b"hi"
        )
        assert rows[2][7] == "NULL" and rows[2][8] == "" and rows[2][9] is False
        assert math.isnan(rows[3][3]) and rows[3][7] == "é" and rows[8][8] == "new\nline"
        # 10 fractional digits; no 29th of February in 2023; a BC date; month 13
        assert {b["key"]: b["column"] for b in bad_fast} == {
            "4": "n",
            "5": "d",
            "6": "d",
            "7": "dt",
        }
        assert (f.read, f.written, f.bad) == (8, 4, 4)


def test_plain_pg_statements_take_the_typed_reader(tmp_path: Path) -> None:
    text = _pg_kinds_dump(True)
    conv = convert(parse_text("postgres", text.encode()), "google_standard_sql")
    loader = Loader(conv, NullDatabase(), tmp_path, source_label="t", tz=UTC)
    batches = list(read_rows("postgres", io.BytesIO(text.encode()), [], typed=loader.typed_reader))
    # one run of one-row INSERTs (its last read alone); a typed reader whenever every value is in
    # its column's form: never here in the run ('NaN' and 'Infinity' in a FLOAT64 column), in
    # the last statement (a NULL BIGINT is still a plain value) yes
    assert [(len(b.rows), isinstance(b.reader, TypedRowReader)) for b in batches] == [
        (7, False),
        (1, True),
    ]
    loader.close()


BLOBS = """CREATE TABLE `blobs` (`id` int NOT NULL, `b` varbinary(3) DEFAULT NULL, `l` blob,
  PRIMARY KEY (`id`));
INSERT INTO `blobs` VALUES (1,0x616263,0x),(2,NULL,0x00FF),(3,0x6162,NULL);
INSERT INTO `blobs` VALUES (4,0x61626364,0x01),(5,0xabc,0x02);
INSERT INTO `blobs` VALUES (6,'abc',_binary 'x\\0y'),(7,x'6162',b'0101');
CREATE TABLE `bkeys` (`k` varbinary(4) NOT NULL, `v` varchar(2) NOT NULL, PRIMARY KEY (`k`));
INSERT INTO `bkeys` VALUES (0xAB01,'ok'),(0xCD02,'too long');
"""


def test_hex_blob_columns_take_the_typed_reader(spanner: Any, tmp_path: Path) -> None:
    db_fast, _, bad_fast = _load(spanner, tmp_path, True, BLOBS)
    db_loop, _, bad_loop = _load(spanner, tmp_path, False, BLOBS)
    sql = "SELECT * FROM blobs ORDER BY id"
    assert _table(db_fast, sql) == _table(db_loop, sql)
    # (BYTES come back base64-encoded)
    rows = {
        r[0]: [None if v is None else base64.b64decode(v) for v in r[1:]]
        for r in _table(db_fast, sql)
    }
    assert rows[1] == [b"abc", b""] and rows[2] == [None, b"\x00\xff"] and rows[3] == [b"ab", None]
    assert rows[5] == [b"\n\xbc", b"\x02"]  # 0xabc is 0x0abc
    assert rows[6] == [b"abc", b"x\x00y"] and rows[7] == [b"ab", b"\x05"]
    # 4 bytes in BYTES(3); a BYTES key is reported as 0x.. of its bytes on every path
    expected = [("4", "b"), ("0xcd02", "v")]
    assert [(b["key"], b["column"]) for b in bad_fast] == expected
    assert [(b["key"], b["column"]) for b in bad_loop] == expected
    conv = convert(parse_text("mysql", BLOBS), "google_standard_sql")
    loader = Loader(conv, NullDatabase(), tmp_path / "dry", source_label="t", tz=UTC)
    batches = list(read_rows("mysql", io.BytesIO(BLOBS.encode()), [], typed=loader.typed_reader))
    # strings, _binary, x'..' and b'..' in BYTES columns: the general fast path
    assert [b.reader is not None for b in batches] == [True, True, False, True]
    # keys as read are the key's bytes, as on the other paths (bad-row reports print them)
    reader = batches[3].reader
    assert isinstance(reader, TypedRowReader) and batches[3].raw is not None
    assert reader.keys(batches[3].raw) == [b"\xab\x01", b"\xcd\x02"]
    assert batches[3].rows == [[b"\xab\x01", "ok"], [b"\xcd\x02", "too long"]]
    loader.close()
