"""The encoding a dump declares (mysqldump's SET NAMES, pg_dump's client_encoding) is the one
its bytes are read in: real dumps in latin1 and in UTF-8 give the same Spanner values."""

from __future__ import annotations

import base64
import json
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest
from dbtools import migrate
from dbtools.migrate.dumpencoding import DeclaredEncoding

from .conftest import spanner_args, spanner_database, spanner_values

TEXTS = ["café", "naïve – €", "Ærøskøbing ß ÿ", "plain"]  # all in Windows-1252
ISO_TEXTS = ["café", "naïve", "Ærøskøbing ß ÿ", "plain"]  # all in ISO-8859-1


def _expected(texts: list[str]) -> set[Any]:
    return {(("id", str(i + 1)), ("note", t)) for i, t in enumerate(texts)}


def _values(engine: str, dump: bytes, tmp: Path) -> set[Any]:
    path = tmp / "dump.sql"
    path.write_bytes(dump)
    source = migrate.read_source(engine=engine, file=path)
    assert source.diagnostics == []
    table = source.tables["t"]
    assert table.comment == "café"  # the schema statement is read in its own declared encoding
    conv = migrate.convert_schema(source)
    rows = spanner_values(source, conv, tmp / "out", file=path)["t"]
    return {tuple((k, str(v)) for k, v in r) for r in rows}


@pytest.mark.parametrize("charset", ["latin1", "utf8mb4"])
def test_mysqldump_declared_charset_is_honoured(
    mysql_server: Any, realdumps: SimpleNamespace, tmp_path: Path, charset: str
) -> None:
    inserts = ", ".join(f"({i + 1}, '{t}')" for i, t in enumerate(TEXTS))
    with realdumps.mysql_database(
        mysql_server,
        [
            "CREATE TABLE t (id INT PRIMARY KEY, note VARCHAR(40)) CHARSET=latin1 COMMENT='café'",
            f"INSERT INTO t VALUES {inserts}",
        ],
    ) as db:
        dump = realdumps.mysqldump(db, f"--default-character-set={charset}")
    assert f"SET NAMES {charset}".encode() in dump
    assert (b"na\xefve \x96 \x80" in dump) == (charset == "latin1")  # the bytes of that charset
    assert _values("mysql", dump, tmp_path) == _expected(TEXTS)


@pytest.mark.parametrize(
    ("encoding", "texts"), [("LATIN1", ISO_TEXTS), ("WIN1252", TEXTS), ("UTF8", TEXTS)]
)
def test_pg_dump_client_encoding_is_honoured(
    pg_server: Any, realdumps: SimpleNamespace, tmp_path: Path, encoding: str, texts: list[str]
) -> None:
    inserts = ", ".join(f"({i + 1}, '{t}')" for i, t in enumerate(texts))
    with realdumps.pg_database(
        pg_server,
        [
            "CREATE TABLE t (id int PRIMARY KEY, note text)",
            "COMMENT ON TABLE t IS 'café'",
            f"INSERT INTO t VALUES {inserts}",
        ],
    ) as db:
        for options in ([], ["--inserts"]):
            dump = realdumps.pg_dump(db, "-E", encoding, *options)
            assert f"SET client_encoding = '{encoding}'".encode() in dump
            assert _values("postgres", dump, tmp_path) == _expected(texts)


def test_an_encoding_that_cannot_be_read_is_reported() -> None:
    declared = DeclaredEncoding("postgres")
    problem = declared.follow("SET client_encoding = 'MULE_INTERNAL'")
    assert problem and "MULE_INTERNAL" in problem and declared.codec == "utf-8"
    mysql = DeclaredEncoding("mysql")
    assert mysql.follow("SET NAMES armscii8") is not None and mysql.codec == "utf-8"


def test_mysqldump_restores_the_saved_client_charset() -> None:
    declared = DeclaredEncoding("mysql")
    for statement in (
        "SET NAMES latin1",
        "SET @saved_cs_client     = @@character_set_client",
        "SET character_set_client = utf8mb4",
    ):
        assert declared.follow(statement) is None
    assert declared.codec == "utf-8"
    declared.follow("SET character_set_client = @saved_cs_client")
    assert declared.codec == "mysql-latin1"


# every byte value, and the sequences a latin1 reading or a UTF-8 reading would change: quotes,
# backslashes, NUL, CR/LF, bytes that are not UTF-8, a valid UTF-8 pair, Windows-1252's holes
BLOBS = [
    bytes(range(256)),
    b"\x00\\'\"\r\n\x1a",
    b"\xc3\xa9 \xe9 \x81\x8d\x8f\x90\x9d",
    b"",
]


@pytest.mark.parametrize("variant", [[], ["--skip-extended-insert"]])
def test_raw_blob_bytes_in_a_latin1_dump_load_byte_exact(
    mysql_server: Any, realdumps: SimpleNamespace, tmp_path: Path, variant: list[str]
) -> None:
    # mysqldump without --hex-blob writes BLOB values as their raw bytes, escaped only for SQL,
    # whatever the dump's character set: they must not be read as latin1 text
    with realdumps.mysql_database(
        mysql_server,
        [
            "CREATE TABLE t (id INT PRIMARY KEY, b BLOB, note VARCHAR(20)) CHARSET=latin1 "
            "COMMENT='café'",
            "INSERT INTO t VALUES (1, 0x00, 'café')",
        ],
    ) as db:
        conn = __import__("pymysql").connect(**db.pymysql_kwargs(), autocommit=True)
        try:
            with conn.cursor() as cur:
                cur.execute("DELETE FROM t")
                for i, blob in enumerate(BLOBS):
                    cur.execute("INSERT INTO t VALUES (%s, %s, 'café')", (i + 1, blob))
        finally:
            conn.close()
        dump = realdumps.mysqldump(db, "--default-character-set=latin1", *variant)
        live_source = migrate.read_source(url=db.sqlalchemy_url())
        live = spanner_values(
            live_source,
            migrate.convert_schema(live_source),
            tmp_path / "live",
            url=db.sqlalchemy_url(),
        )["t"]
    assert b"SET NAMES latin1" in dump and bytes(range(128, 256)) in dump  # raw, not hex
    path = tmp_path / "dump.sql"
    path.write_bytes(dump)
    source = migrate.read_source(engine="mysql", file=path)
    rows = spanner_values(source, migrate.convert_schema(source), tmp_path / "out", file=path)["t"]
    got = {dict(r)["id"]: dict(r) for r in rows}
    assert {i: got[i]["b"] for i in got} == {
        i + 1: base64.b64encode(blob) for i, blob in enumerate(BLOBS)
    }
    assert {r["note"] for r in got.values()} == {"café"}
    assert rows == live  # the dump and the live read give the same Spanner values


def _beam_rows(spanner: Any, engine: str, dump: bytes, tmp: Path, sql: str) -> list[Any]:
    """Load `dump` with `--runner beam` cut into ranges of 1000 bytes (the data falls in
    ranges after the one holding the dump's encoding declaration); the rows `sql` reads back."""
    from click.testing import CliRunner
    from dbtools.migrate.cli import main

    path = tmp / "dump.sql"
    path.write_bytes(dump)
    chunk = 1000
    assert len(dump) > 4 * chunk
    database = f"beam_{engine}"
    res = CliRunner().invoke(
        main,
        [
            "schema-and-data",
            *("--source", engine, "--file", str(path), "--out", str(tmp / "out")),
            *spanner_args(spanner, database),
            *("--runner", "beam", "--beam-chunk-bytes", str(chunk), "--format", "json"),
        ],
    )
    assert res.exit_code == 0, res.output
    data = json.loads((tmp / "out" / "data_report.json").read_text())
    assert data["rows_read"] == data["rows_written"] and data["bad_rows"] == 0
    with spanner_database(spanner, database).snapshot() as snap:
        return list(snap.execute_sql(sql))


def test_raw_blob_bytes_in_a_latin1_dump_load_byte_exact_with_beam(
    mysql_server: Any, realdumps: SimpleNamespace, spanner: Any, tmp_path: Path
) -> None:
    """The Beam load reads the dump in byte ranges: a range that starts after the dump's
    `SET NAMES latin1` must still read its text as latin1 and its BLOBs as raw bytes."""
    with realdumps.mysql_database(
        mysql_server,
        ["CREATE TABLE t (id INT PRIMARY KEY, b BLOB, note VARCHAR(20)) CHARSET=latin1"],
    ) as db:
        conn = __import__("pymysql").connect(**db.pymysql_kwargs(), autocommit=True)
        try:
            with conn.cursor() as cur:
                for i, blob in enumerate(BLOBS * 8):  # rows enough for several ranges
                    cur.execute("INSERT INTO t VALUES (%s, %s, 'café')", (i + 1, blob))
        finally:
            conn.close()
        dump = realdumps.mysqldump(db, "--default-character-set=latin1", "--skip-extended-insert")
    assert b"SET NAMES latin1" in dump and bytes(range(128, 256)) in dump  # raw, not hex
    rows = _beam_rows(spanner, "mysql", dump, tmp_path, "SELECT id, b, note FROM t")
    got = {r[0]: (base64.b64decode(r[1]), r[2]) for r in rows}  # (the client's BYTES)
    assert got == {i + 1: (blob, "café") for i, blob in enumerate(BLOBS * 8)}


def test_latin1_text_of_a_pg_dump_loads_with_beam(
    pg_server: Any, realdumps: SimpleNamespace, spanner: Any, tmp_path: Path
) -> None:
    texts = ISO_TEXTS * 20
    inserts = ", ".join(f"({i + 1}, '{t}')" for i, t in enumerate(texts))
    with realdumps.pg_database(
        pg_server,
        ["CREATE TABLE t (id int PRIMARY KEY, note text)", f"INSERT INTO t VALUES {inserts}"],
    ) as db:
        dump = realdumps.pg_dump(db, "-E", "LATIN1", "--inserts")
    assert b"SET client_encoding = 'LATIN1'" in dump and "café".encode("latin-1") in dump
    rows = _beam_rows(spanner, "postgres", dump, tmp_path, "SELECT id, note FROM t")
    assert dict(rows) == {i + 1: t for i, t in enumerate(texts)}
