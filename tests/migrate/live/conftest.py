"""Private database servers with the settings change data capture needs.

Live migration needs a MariaDB that writes a ROW binlog and a PostgreSQL with
`wal_level=logical`; the shared servers on 3306 / 5432 have neither and must not be
reconfigured. Each fixture here starts its own server on a free port in a temporary directory
(the data directory, socket and log all inside it) and stops it afterwards.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import psycopg
import pymysql
import pytest

PG_BIN = Path("/usr/lib/postgresql/15/bin")


@dataclass(frozen=True)
class PrivateServer:
    engine: str  # "mysql" | "postgres"
    port: int
    user: str
    database: str
    root: Path

    @property
    def url(self) -> str:
        """A SQLAlchemy URL, as spanner-migrate takes it."""
        if self.engine == "mysql":
            return f"mysql+pymysql://{self.user}@127.0.0.1:{self.port}/{self.database}"
        return f"postgresql+psycopg://{self.user}@127.0.0.1:{self.port}/{self.database}"

    @property
    def plain_url(self) -> str:
        """The URL form dvt and the drivers take."""
        scheme = "mysql" if self.engine == "mysql" else "postgresql"
        return f"{scheme}://{self.user}@127.0.0.1:{self.port}/{self.database}"

    def connect(self, autocommit: bool = True) -> object:
        if self.engine == "mysql":
            return pymysql.connect(
                host="127.0.0.1",
                port=self.port,
                user=self.user,
                database=self.database,
                autocommit=autocommit,
            )
        return psycopg.connect(self.plain_url, autocommit=autocommit)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _as(user: str, cmd: list[str]) -> list[str]:
    # both servers refuse to run as root; the tests often do
    return ["runuser", "-u", user, "--", *cmd] if os.geteuid() == 0 else cmd


def _wait(ready: object, what: str, log: Path, seconds: float = 60.0) -> None:
    deadline = time.monotonic() + seconds
    last: Exception | None = None
    while time.monotonic() < deadline:
        try:
            ready()  # type: ignore[operator]
            return
        except Exception as exc:  # not up yet
            last = exc
            time.sleep(0.2)
    tail = log.read_text(errors="replace")[-2000:] if log.exists() else "(no log)"
    raise RuntimeError(f"{what} did not start within {seconds:.0f}s ({last}); log:\n{tail}")


@contextlib.contextmanager
def private_mariadb(extra: tuple[str, ...] = ()) -> Iterator[PrivateServer]:
    """A MariaDB writing a ROW binlog with full row images (what live migration needs)."""
    if not shutil.which("mariadbd") or not shutil.which("mariadb-install-db"):
        pytest.fail(
            "live migration tests need mariadbd and mariadb-install-db (apt mariadb-server)"
        )
    root = Path(tempfile.mkdtemp(prefix="live-maria-"))
    data = root / "data"
    log = root / "error.log"
    port = _free_port()
    user = "mysql" if os.geteuid() == 0 else os.environ.get("USER", "")
    if os.geteuid() == 0:
        shutil.chown(root, "mysql")
    proc: subprocess.Popen[bytes] | None = None
    try:
        subprocess.run(
            _as(
                user,
                [
                    "mariadb-install-db",
                    "--no-defaults",
                    f"--datadir={data}",
                    "--auth-root-authentication-method=normal",
                    "--skip-test-db",
                ],
            ),
            check=True,
            capture_output=True,
        )
        cmd = [
            "mariadbd",
            "--no-defaults",
            f"--datadir={data}",
            f"--port={port}",
            "--bind-address=127.0.0.1",
            f"--socket={root / 'sock'}",
            f"--pid-file={root / 'pid'}",
            f"--log-error={log}",
            "--log-bin=binlog",
            "--binlog-format=ROW",
            "--binlog-row-image=FULL",
            "--binlog-row-metadata=FULL",
            "--server-id=1",
            "--innodb-buffer-pool-size=64M",
            "--innodb-flush-log-at-trx-commit=2",
            "--sync-binlog=0",
            "--skip-name-resolve",
            *extra,
        ]
        proc = subprocess.Popen(
            _as(user, cmd), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
        )

        def ready() -> None:
            if proc is not None and proc.poll() is not None:
                raise RuntimeError(f"mariadbd exited with {proc.returncode}")
            pymysql.connect(host="127.0.0.1", port=port, user="root", connect_timeout=2).close()

        _wait(ready, "the private MariaDB", log)
        conn = pymysql.connect(host="127.0.0.1", port=port, user="root", autocommit=True)
        with conn.cursor() as cur:
            cur.execute("CREATE DATABASE shop CHARACTER SET utf8mb4")
        conn.close()
        yield PrivateServer("mysql", port, "root", "shop", root)
    finally:
        if proc is not None:
            proc.terminate()
            try:
                proc.wait(30)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
        shutil.rmtree(root, ignore_errors=True)


@contextlib.contextmanager
def private_postgres(extra: tuple[str, ...] = ()) -> Iterator[PrivateServer]:
    """A PostgreSQL 15 with wal_level=logical and replication connections trusted locally."""
    if not (PG_BIN / "initdb").exists():
        pytest.fail(f"live migration tests need the PostgreSQL 15 server binaries in {PG_BIN}")
    root = Path(tempfile.mkdtemp(prefix="live-pg-"))
    data = root / "data"
    log = root / "log"
    port = _free_port()
    user = "postgres" if os.geteuid() == 0 else os.environ.get("USER", "")
    if os.geteuid() == 0:
        shutil.chown(root, "postgres")
    started = False
    try:
        subprocess.run(
            _as(
                user,
                [
                    str(PG_BIN / "initdb"),
                    "-D",
                    str(data),
                    "-U",
                    "postgres",
                    "--auth=trust",
                    "-E",
                    "UTF8",
                    "--no-sync",
                ],
            ),
            check=True,
            capture_output=True,
        )
        hba = [
            "local all all trust",
            "host all all 127.0.0.1/32 trust",
            "host replication all 127.0.0.1/32 trust",
        ]
        (data / "pg_hba.conf").write_text("\n".join(hba) + "\n")
        settings = [
            f"-p {port}",
            "-c listen_addresses=127.0.0.1",
            f"-k {root}",
            "-c fsync=off",
            "-c wal_level=logical",
            "-c max_replication_slots=8",
            "-c max_wal_senders=8",
            *extra,
        ]
        subprocess.run(
            _as(
                user,
                [
                    str(PG_BIN / "pg_ctl"),
                    "-D",
                    str(data),
                    "-o",
                    " ".join(settings),
                    "-l",
                    str(log),
                    "-w",
                    "start",
                ],
            ),
            check=True,
            capture_output=True,
        )
        started = True
        with psycopg.connect(
            f"postgresql://postgres@127.0.0.1:{port}/postgres", autocommit=True
        ) as admin:
            admin.execute("CREATE DATABASE shop")
        yield PrivateServer("postgres", port, "postgres", "shop", root)
    finally:
        if started:
            subprocess.run(
                _as(user, [str(PG_BIN / "pg_ctl"), "-D", str(data), "-m", "immediate", "stop"]),
                capture_output=True,
                check=False,
            )
        shutil.rmtree(root, ignore_errors=True)


@pytest.fixture(scope="module")
def mariadb_cdc() -> Iterator[PrivateServer]:
    with private_mariadb() as server:
        yield server


@pytest.fixture(scope="module")
def postgres_cdc() -> Iterator[PrivateServer]:
    with private_postgres() as server:
        yield server


@pytest.fixture(scope="module")
def spanner() -> Iterator[str]:
    """An in-memory spanner-local for this test module."""
    from dbtools import spanner_local

    with spanner_local.serve() as endpoint:
        yield endpoint
