"""Dumps as the real tools write them, whole, cut short, of the other engine, in a legacy
encoding, or not dumps at all: each is converted exactly or refused with a message that names
the problem (exit 3), never read as a perfect migration.

Every dump here is written by the real mysqldump / pg_dump from a database built in the local
MariaDB / PostgreSQL, in each variant of `realdumps` (conftest.py).
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest
from click.testing import CliRunner
from dbtools.migrate.cli import main

N_CUSTOMERS, N_ORDERS = 30, 60

MYSQL_SHOP = [
    "CREATE TABLE customer (id int NOT NULL AUTO_INCREMENT PRIMARY KEY, "
    "name varchar(40) NOT NULL DEFAULT 'café', kind enum('a','b'), photo blob)",
    "CREATE TABLE orders (id int NOT NULL PRIMARY KEY, customer_id int NOT NULL, "
    "total decimal(10,2), FOREIGN KEY (customer_id) REFERENCES customer (id))",
    "CREATE TABLE zeta (id int NOT NULL PRIMARY KEY, note text)",
    *[
        f"INSERT INTO customer (name, kind, photo) VALUES ('c{i} it''s', 'a', x'00ff{i:02x}')"
        for i in range(N_CUSTOMERS)
    ],
    *[
        f"INSERT INTO orders VALUES ({i}, {i % N_CUSTOMERS + 1}, {i}.25)"
        for i in range(1, N_ORDERS + 1)
    ],
    "INSERT INTO zeta VALUES (1, 'last table')",
]
PG_SHOP = [
    "CREATE TABLE customer (id serial PRIMARY KEY, name text NOT NULL DEFAULT 'café', photo bytea)",
    "CREATE TABLE orders (id int PRIMARY KEY, customer_id int NOT NULL REFERENCES customer (id),"
    " total numeric(10,2))",
    "CREATE TABLE zeta (id int PRIMARY KEY, note text)",
    f"INSERT INTO customer (name, photo) SELECT 'c' || g || ' it''s', '\\x00ff'::bytea "
    f"FROM generate_series(1, {N_CUSTOMERS}) g",
    f"INSERT INTO orders SELECT g, g % {N_CUSTOMERS} + 1, g + 0.25 "
    f"FROM generate_series(1, {N_ORDERS}) g",
    "INSERT INTO zeta VALUES (1, 'last table')",
]
SOURCE_ROWS = N_CUSTOMERS + N_ORDERS + 1
MARKERS = {"mysql": b"-- Dump completed", "postgres": b"-- PostgreSQL database dump complete"}


@pytest.fixture(scope="module")
def mysql_dumps(mysql_server: Any, realdumps: SimpleNamespace) -> Iterator[dict[str, bytes]]:
    with realdumps.mysql_database(mysql_server, MYSQL_SHOP) as db:
        yield {
            name: realdumps.mysqldump(db, *opts) for name, opts in realdumps.MYSQL_VARIANTS.items()
        } | {
            # MariaDB's mysqldump writes SET NAMES latin1 but leaves SHOW CREATE TABLE text in
            # UTF-8; older MySQL tools (and editors) write the whole file in Latin-1, as here
            "latin1": realdumps.mysqldump(db, "--default-character-set=latin1")
            .decode("utf-8", "surrogateescape")  # (the BLOB bytes stay as they are)
            .encode("latin-1", "surrogateescape")
        }


@pytest.fixture(scope="module")
def pg_dumps(pg_server: Any, realdumps: SimpleNamespace) -> Iterator[dict[str, bytes]]:
    with realdumps.pg_database(pg_server, PG_SHOP) as db:
        yield {
            name: realdumps.pg_dump(db, *opts) for name, opts in realdumps.PG_VARIANTS.items()
        } | {"latin1": realdumps.pg_dump(db, "--encoding=LATIN1")}


def run(*args: str) -> Any:
    return CliRunner().invoke(main, list(args))


def schema(engine: str, dump: bytes, tmp_path: Path, *extra: str) -> tuple[Any, Path]:
    path = tmp_path / "dump.sql"
    path.write_bytes(dump)
    out = tmp_path / "out"
    res = run("schema", "--source", engine, "--file", str(path), "--out", str(out), *extra)
    return res, out


def dry_run_data(engine: str, dump: bytes, tmp_path: Path, *extra: str) -> tuple[Any, Path]:
    path = tmp_path / "dump.sql"
    path.write_bytes(dump)
    out = tmp_path / "data"
    res = run(
        "schema-and-data",
        "--source",
        engine,
        "--file",
        str(path),
        "--out",
        str(out),
        "--project",
        "p",
        "--instance",
        "i",
        "--database",
        "d",
        "--dry-run",
        "--format",
        "json",
        *extra,
    )
    return res, out


def report_of(out: Path) -> dict[str, Any]:
    return json.loads((out / "report.json").read_text())


ALL = [("mysql", v) for v in ("default", "skip-extended-insert", "complete-insert", "hex-blob")]
ALL += [("postgres", v) for v in ("default", "inserts", "column-inserts")]


def dumps_of(engine: str, request: pytest.FixtureRequest) -> dict[str, bytes]:
    return request.getfixturevalue("mysql_dumps" if engine == "mysql" else "pg_dumps")


@pytest.mark.parametrize(("engine", "variant"), ALL)
def test_whole_dumps_convert_with_every_row(
    engine: str, variant: str, request: pytest.FixtureRequest, tmp_path: Path
) -> None:
    dump = dumps_of(engine, request)[variant]
    res, out = schema(engine, dump, tmp_path)
    assert res.exit_code == 0, res.output
    summary = report_of(out)["summary"]
    assert summary["source_incomplete"] is False and summary["tables"] == 3
    res, data = dry_run_data(engine, dump, tmp_path)
    assert res.exit_code == 0, res.output
    rep = json.loads((data / "data_report.json").read_text())
    assert (rep["rows_read"], rep["bad_rows"], rep["rows_written"]) == (SOURCE_ROWS, 0, 0)
    assert rep["rows_converted"] == SOURCE_ROWS and rep["dry_run"] is True
    events = [json.loads(x) for x in res.output.splitlines() if '"progress"' in x]
    assert events and all("rows_written" not in e and "rows_converted" in e for e in events)


def _cut(engine: str, dump: bytes) -> tuple[bytes, str]:
    """A dump cut where real truncations hurt: inside the data of `orders` (pg_dump's COPY,
    or between mysqldump's INSERT lines), or before the last table."""
    if engine == "postgres":
        at = dump.index(b"COPY public.orders") if b"COPY public.orders" in dump else -1
        if at >= 0:  # inside the COPY block, after a few rows
            return dump[: dump.index(b"\n", at + 200) + 1], "COPY block"
    at = dump.rindex(b"zeta")  # the last table's data and everything after it
    at = dump.rindex(b"\n", 0, dump.rindex(b"CREATE TABLE", 0, at)) + 1
    return dump[:at], MARKERS[engine].decode()


@pytest.mark.parametrize(("engine", "variant"), ALL)
def test_truncated_dumps_are_refused_unless_allowed(
    engine: str, variant: str, request: pytest.FixtureRequest, tmp_path: Path
) -> None:
    cut, named = _cut(engine, dumps_of(engine, request)[variant])
    res, out = schema(engine, cut, tmp_path)
    assert res.exit_code == 3, res.output
    assert "the source is incomplete" in res.output and named in res.output
    assert "--allow-incomplete" in res.output
    # the files are written all the same, and say so
    summary = report_of(out)["summary"]
    assert summary["source_incomplete"] is True and summary["rating"] == "POOR"
    assert "not read whole" in (out / "report.txt").read_text()

    res, _ = schema(engine, cut, tmp_path, "--allow-incomplete")
    assert res.exit_code == 0, res.output

    res, data = dry_run_data(engine, cut, tmp_path)
    assert res.exit_code == 3 and "nothing was loaded" in res.output, res.output
    assert not (data / "data_report.json").exists()
    res, data = dry_run_data(engine, cut, tmp_path, "--allow-incomplete")
    assert res.exit_code == 0, res.output
    rep = json.loads((data / "data_report.json").read_text())
    assert rep["source_incomplete"] is True and rep["rating"] == "POOR"
    assert rep["rows_read"] < SOURCE_ROWS
    kinds = {d["kind"] for d in rep["diagnostics"]}
    assert "incomplete" in kinds


@pytest.mark.parametrize(
    ("engine", "other", "named"),
    [("mysql", "postgres", "PostgreSQL dump"), ("postgres", "mysql", "MySQL/MariaDB dump")],
)
def test_a_dump_of_the_other_engine_is_refused_naming_what_it_looks_like(
    engine: str, other: str, named: str, request: pytest.FixtureRequest, tmp_path: Path
) -> None:
    dump = dumps_of(other, request)["default"]
    res, out = schema(engine, dump, tmp_path)
    assert res.exit_code == 3, res.output
    assert f"looks like a {named}" in res.output and f"use --source {other}" in res.output
    assert not out.exists()  # nothing misread was written


@pytest.mark.parametrize("engine", ["mysql", "postgres"])
def test_random_bytes_are_refused(engine: str, tmp_path: Path) -> None:
    res, out = schema(engine, os.urandom(200_000), tmp_path)
    assert res.exit_code == 3, res.output
    assert "binary data, not a SQL dump" in res.output
    assert not out.exists()


@pytest.mark.parametrize("engine", ["mysql", "postgres"])
def test_an_empty_file_is_incomplete(engine: str, tmp_path: Path) -> None:
    res, _ = schema(engine, b"", tmp_path)
    assert res.exit_code == 3 and MARKERS[engine].decode() in res.output, res.output


# rows whose number of values does not match: MySQL and PostgreSQL refuse them, so must we
WRONG_COUNTS = {
    "mysql": (
        b"INSERT INTO `orders` VALUES (1000,1,2.00,7),(1001,1);\n"
        b"INSERT INTO `orders` VALUES (1002,1,3.00,8);\n"
        b"INSERT INTO `orders` (`id`, `customer_id`) VALUES (1003,1,5);\n"
        b"INSERT INTO `orders` VALUES (1004,1,4.00);\n",
        {"4 values for 3 columns": 2, "2 values for 3 columns": 1, "3 values for 2 columns": 1},
    ),
    "postgres": (
        b"INSERT INTO public.orders VALUES (1000, 1, 2.00, 7);\n"
        b"INSERT INTO public.orders (id, customer_id) VALUES (1003, 1, 5);\n"
        b"COPY public.orders (id, customer_id, total) FROM stdin;\n"
        b"1001\t1\n1002\t1\t3.00\t9\n1004\t1\t4.00\n\\.\n",
        {"4 values for 3 columns": 2, "2 values for 3 columns": 1, "3 values for 2 columns": 1},
    ),
}


@pytest.mark.parametrize(("engine", "variant"), ALL)
def test_rows_with_the_wrong_number_of_values_are_bad_rows(
    engine: str, variant: str, request: pytest.FixtureRequest, tmp_path: Path
) -> None:
    dump = dumps_of(engine, request)[variant]
    extra, reasons = WRONG_COUNTS[engine]
    at = dump.index(MARKERS[engine])
    res, data = dry_run_data(engine, dump[:at] + extra + dump[at:], tmp_path)
    assert res.exit_code == 0, res.output
    rep = json.loads((data / "data_report.json").read_text())
    bad = [json.loads(x) for x in (data / "bad_rows.jsonl").read_text().splitlines()]
    found: dict[str, int] = {}
    for b in bad:
        found[b["reason"]] = found.get(b["reason"], 0) + 1
    assert found == reasons
    assert rep["bad_rows"] == sum(reasons.values())
    assert rep["rows_read"] == SOURCE_ROWS + rep["bad_rows"] + 1  # + the one good extra row
    assert {str(b["key"]) for b in bad} == {"1000", "1001", "1002", "1003"}


@pytest.mark.parametrize("engine", ["mysql", "postgres"])
def test_latin1_bytes_in_the_ddl_are_reported_and_the_conversion_goes_on(
    engine: str, request: pytest.FixtureRequest, tmp_path: Path
) -> None:
    dump = dumps_of(engine, request)["latin1"]
    assert "café".encode("latin-1") in dump  # the tool wrote the byte itself
    res, out = schema(engine, dump, tmp_path)
    assert res.exit_code == 0, res.output
    ddl = (out / "schema.ddl").read_bytes().decode("utf-8")  # valid UTF-8, whole
    assert "'café'" in ddl and "CREATE TABLE" in ddl and "orders" in ddl
    diags = report_of(out)["diagnostics"]
    enc = [d for d in diags if d["kind"] == "encoding"]
    if engine == "postgres":
        # pg_dump declares it (SET client_encoding = 'LATIN1'): read as such, nothing guessed
        assert b"SET client_encoding = 'LATIN1'" in dump and enc == []
        return
    # here the CREATE TABLE is in Latin-1 although the dump declares utf8mb4 for it
    assert enc and "0xE9 as 'é'" in enc[0]["message"] and "Latin-1" in enc[0]["message"]
    line = dump.split(b"\n")[enc[0]["line"] - 1]
    assert b"caf\xe9" in line  # the reported line is the one holding the byte
