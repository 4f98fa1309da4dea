"""Fixtures for the dbtools.migrate tests."""

from __future__ import annotations

import contextlib
import subprocess
import uuid
from collections.abc import Iterator
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import psycopg
import pymysql
import pytest

HERE = Path(__file__).parent


@pytest.fixture
def samples() -> Path:
    return HERE / "samples"


@pytest.fixture(scope="module")
def spanner() -> Iterator[Any]:
    """An in-memory spanner-local for this test module."""
    from dbtools import spanner_local

    with spanner_local.serve() as endpoint:
        yield endpoint


def spanner_args(spanner: Any, database: str) -> list[str]:
    """The CLI's options for database `database` of spanner-local `spanner`."""
    return target_args(spanner.project, spanner.instance, database, spanner.address)


def target_args(project: str, instance: str, database: str, emulator_host: str) -> list[str]:
    return [
        *("--project", project, "--instance", instance),
        *("--database", database, "--emulator-host", emulator_host),
    ]


def spanner_database(spanner: Any, database: str) -> Any:
    """A google-cloud-spanner Database of spanner-local `spanner`."""
    from dbtools.migrate.apply import open_database

    return open_database(
        project=spanner.project,
        instance=spanner.instance,
        database=database,
        emulator_host=spanner.address,
    )


def mysql_client(db: Any, sql: bytes | Path) -> None:
    """Run SQL text or an SQL file into `db` with the real mysql client (utf8mb4)."""
    cmd = ["mysql", "--default-character-set=utf8mb4", "-h", db.host, "-P", str(db.port)]
    cmd += ["-u", db.user, db.database]
    if db.password:
        cmd.insert(1, f"-p{db.password}")
    if isinstance(sql, Path):
        with sql.open("rb") as f:
            subprocess.run(cmd, stdin=f, check=True, capture_output=True)
    else:
        subprocess.run(cmd, input=sql, check=True, capture_output=True)


GOLDEN = HERE / "golden"
GOLDEN_SECTIONS = ("google_standard_sql", "postgresql", "issues", "diagnostics")


def split_golden(text: str) -> dict[str, str]:
    """Sections of a golden file: source, input and the expected outputs."""
    out: dict[str, str] = {}
    current = None
    buf: list[str] = []
    for line in text.splitlines():
        head = line[3:] if line.startswith("-- ") else ""
        if head and head.split(":")[0].strip() in ("source", "input", *GOLDEN_SECTIONS):
            if current is not None:
                out[current] = "\n".join(buf).strip("\n")
            if head.startswith("source:"):
                out["source"] = head.split(":", 1)[1].strip()
                current, buf = None, []
                continue
            current, buf = head.strip(), []
        elif current is not None:
            buf.append(line)
    if current is not None:
        out[current] = "\n".join(buf).strip("\n")
    return out


@pytest.fixture
def golden() -> Any:
    return split_golden


# ---------------------------------------------------------------------------------------------
# Dumps written by the real mysqldump and pg_dump from databases built in the local servers,
# in the variants users meet: mysqldump's default (extended INSERTs), --skip-extended-insert
# (MariaDB's one row per line), --complete-insert and --hex-blob; pg_dump's default (COPY),
# --inserts and --column-inserts. Tests ask for the `realdumps` fixture.

MYSQL_VARIANTS = {
    "default": [],
    "skip-extended-insert": ["--skip-extended-insert"],
    "complete-insert": ["--complete-insert"],
    "hex-blob": ["--hex-blob"],
}
PG_VARIANTS = {"default": [], "inserts": ["--inserts"], "column-inserts": ["--column-inserts"]}


def mysqldump(db: Any, *options: str) -> bytes:
    cmd = ["mysqldump", "-h", db.host, "-P", str(db.port), "-u", db.user, *options, db.database]
    if db.password:
        cmd.insert(1, f"-p{db.password}")
    return subprocess.run(cmd, check=True, capture_output=True).stdout


def pg_dump(db: Any, *options: str) -> bytes:
    cmd = ["pg_dump", "--no-owner", "--no-privileges", *options, db.url]
    return subprocess.run(cmd, check=True, capture_output=True).stdout


@contextlib.contextmanager
def mysql_database(server: Any, statements: list[str]) -> Iterator[Any]:
    """A database of its own on `server`, built by `statements`, dropped afterwards."""
    name = f"dump_{uuid.uuid4().hex[:10]}"
    kwargs = server.pymysql_kwargs()
    admin = pymysql.connect(**kwargs, autocommit=True)
    try:
        with admin.cursor() as cur:
            cur.execute(f"CREATE DATABASE `{name}` CHARACTER SET utf8mb4")
            cur.execute(f"USE `{name}`")
            for st in statements:
                cur.execute(st)
        yield server.with_database(name)
    finally:
        with admin.cursor() as cur:
            cur.execute(f"DROP DATABASE IF EXISTS `{name}`")
        admin.close()


@contextlib.contextmanager
def pg_database(server: Any, statements: list[str]) -> Iterator[Any]:
    name = f"dump_{uuid.uuid4().hex[:10]}"
    with psycopg.connect(server.url, autocommit=True) as admin:
        admin.execute(f'CREATE DATABASE "{name}"')
    db = server.with_database(name)
    try:
        with psycopg.connect(db.url, autocommit=True) as conn:
            for st in statements:
                conn.execute(st)
        yield db
    finally:
        with psycopg.connect(server.url, autocommit=True) as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def psql_file(db: Any, path: Path) -> None:
    """Run an SQL file into `db` with the real psql, stopping at the first error."""
    subprocess.run(
        ["psql", "-q", "-v", "ON_ERROR_STOP=1", db.url, "-f", str(path)],
        check=True,
        capture_output=True,
    )


@pytest.fixture(scope="session")
def realdumps() -> SimpleNamespace:
    return SimpleNamespace(
        MYSQL_VARIANTS=MYSQL_VARIANTS,
        PG_VARIANTS=PG_VARIANTS,
        mysqldump=mysqldump,
        pg_dump=pg_dump,
        mysql_database=mysql_database,
        pg_database=pg_database,
        psql_file=psql_file,
    )


# ---------------------------------------------------------------------------------------------
# A target that keeps what the loader writes, to compare the Spanner values of two paths
# (dump and live) without a Spanner in between.


class RecordingDatabase:
    """Takes the loader's batches like a google-cloud-spanner Database and keeps every row."""

    def __init__(self) -> None:
        self.rows: dict[str, list[dict[str, Any]]] = {}

    def batch(self) -> Any:
        db = self

        class _Batch:
            def __enter__(self) -> Any:
                return self

            def __exit__(self, *exc: object) -> None:
                return None

            def insert_or_update(self, table: str, columns: list[str], rows: list[Any]) -> None:
                db.rows.setdefault(table, []).extend(
                    dict(zip(columns, r, strict=True)) for r in rows
                )

        return _Batch()


def spanner_values(source: Any, conv: Any, out: Path, **where: Any) -> dict[str, list[Any]]:
    """Every table's rows as the loader would write them (sorted, as tuples of column values)."""
    from dbtools import migrate

    db = RecordingDatabase()
    load = migrate.load_data(conv, source, database=db, out=out, write_parallelism=1, **where)
    assert load.bad_rows == 0, (out / "bad_rows.jsonl").read_text()
    return {
        t: sorted((tuple(sorted(r.items())) for r in rows), key=repr) for t, rows in db.rows.items()
    }
