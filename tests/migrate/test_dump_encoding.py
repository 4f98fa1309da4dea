"""The encoding a dump declares (mysqldump's SET NAMES, pg_dump's client_encoding) is the one
its bytes are read in: real dumps in latin1 and in UTF-8 give the same Spanner values."""

from __future__ import annotations

import base64
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest
from dbtools import migrate
from dbtools.migrate.dumpencoding import DeclaredEncoding

from .conftest import spanner_values

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
