"""Fixtures for the real database servers the tests use.

PostgreSQL and MariaDB run on this machine (127.0.0.1:5432 and :3306). When a server is installed
but stopped, the session starts it; when it is missing, the run fails with a message that says how
to provide one. Nothing is skipped. `DBTOOLS_TEST_PG_URL` / `DBTOOLS_TEST_MYSQL_URL` point the tests
at other servers (`postgresql://user:pw@host:port/db`, `mysql://user:pw@host:port/db`).

Each test that asks for `pg_db` or `mysql_db` gets a database of its own, dropped afterwards.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, replace
from pathlib import Path
from urllib.parse import quote, unquote, urlsplit

import psycopg
import pymysql
import pytest

DEFAULT_PG_URL = "postgresql://postgres@127.0.0.1:5432/test"
DEFAULT_MYSQL_URL = "mysql://root@127.0.0.1:3306/test"


@dataclass(frozen=True)
class DbServer:
    """Where a test database lives, and the URL forms the different clients want."""

    engine: str  # "postgresql" | "mysql"
    host: str
    port: int
    user: str
    password: str
    database: str

    @classmethod
    def from_url(cls, url: str) -> DbServer:
        parts = urlsplit(url)
        engine = "postgresql" if parts.scheme.startswith("postgres") else "mysql"
        return cls(
            engine=engine,
            host=parts.hostname or "127.0.0.1",
            port=parts.port or (5432 if engine == "postgresql" else 3306),
            user=unquote(parts.username or ("postgres" if engine == "postgresql" else "root")),
            password=unquote(parts.password or ""),
            database=(parts.path or "/").lstrip("/") or "test",
        )

    def with_database(self, name: str) -> DbServer:
        return replace(self, database=name)

    def sqlalchemy_url(self, driver: str | None = None) -> str:
        """`driver` as SQLAlchemy names it: psycopg, asyncpg, pg8000, pymysql, aiomysql..."""
        default = "psycopg" if self.engine == "postgresql" else "pymysql"
        auth = quote(self.user, safe="")
        if self.password:
            auth += ":" + quote(self.password, safe="")
        return f"{self.engine}+{driver or default}://{auth}@{self.host}:{self.port}/{self.database}"

    @property
    def url(self) -> str:
        """Plain URL (libpq accepts the postgresql:// form as a conninfo string)."""
        auth = quote(self.user, safe="")
        if self.password:
            auth += ":" + quote(self.password, safe="")
        return f"{self.engine}://{auth}@{self.host}:{self.port}/{self.database}"

    @property
    def dsn(self) -> str:
        """libpq key/value conninfo (PostgreSQL only)."""
        pw = f" password={self.password}" if self.password else ""
        return f"host={self.host} port={self.port} user={self.user} dbname={self.database}{pw}"

    def pymysql_kwargs(self) -> dict[str, object]:
        return {
            "host": self.host,
            "port": self.port,
            "user": self.user,
            "password": self.password,
            "database": self.database,
        }


def _port_open(host: str, port: int) -> bool:
    try:
        with socket.create_connection((host, port), timeout=1):
            return True
    except OSError:
        return False


def _start_postgres() -> str | None:
    """Start a locally installed but stopped cluster; returns why it could not, or None."""
    versions = sorted(os.listdir("/etc/postgresql")) if Path("/etc/postgresql").is_dir() else []
    if not versions or not shutil.which("pg_ctlcluster"):
        return "PostgreSQL is not installed (no /etc/postgresql, no pg_ctlcluster)"
    cmd = ["pg_ctlcluster", "--skip-systemctl-redirect", versions[-1], "main", "start"]
    proc = subprocess.run(cmd, capture_output=True, text=True, check=False)
    if proc.returncode not in (0, 2):  # 2: already running
        return f"`{' '.join(cmd)}` failed: {proc.stderr.strip()}"
    return None


def _start_mariadb() -> str | None:
    if not Path("/usr/sbin/mariadbd").exists():
        return "MariaDB is not installed (no /usr/sbin/mariadbd)"
    cmd = [
        "start-stop-daemon",
        "--start",
        "--oknodo",
        "--background",
        "--exec",
        "/usr/sbin/mariadbd",
    ]
    proc = subprocess.run(cmd, capture_output=True, text=True, check=False)
    if proc.returncode != 0:
        return f"`{' '.join(cmd)}` failed: {proc.stderr.strip()}"
    return None


def _ensure_server(server: DbServer, env_var: str, starter: object) -> None:
    if _port_open(server.host, server.port):
        return
    local = server.host in ("127.0.0.1", "localhost", "::1")
    why = starter() if local and env_var not in os.environ else "it is not reachable"  # type: ignore[operator]
    if why is None:
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            if _port_open(server.host, server.port):
                return
            time.sleep(0.25)
        why = "it was started but did not accept connections within 30 s"
    pytest.fail(
        f"The tests need a {server.engine} server at {server.host}:{server.port}, but {why}. "
        f"Install and start one (see ARCHITECTURE.md: 'Real services used by the tests'), "
        f"or point {env_var} at a server you have, e.g. {env_var}="
        f"{DEFAULT_PG_URL if server.engine == 'postgresql' else DEFAULT_MYSQL_URL}",
        pytrace=False,
    )


@pytest.fixture(scope="session")
def pg_server() -> DbServer:
    """The PostgreSQL server (started if installed and stopped)."""
    server = DbServer.from_url(os.environ.get("DBTOOLS_TEST_PG_URL", DEFAULT_PG_URL))
    _ensure_server(server, "DBTOOLS_TEST_PG_URL", _start_postgres)
    return server


@pytest.fixture(scope="session")
def mysql_server() -> DbServer:
    """The MariaDB/MySQL server (started if installed and stopped)."""
    server = DbServer.from_url(os.environ.get("DBTOOLS_TEST_MYSQL_URL", DEFAULT_MYSQL_URL))
    _ensure_server(server, "DBTOOLS_TEST_MYSQL_URL", _start_mariadb)
    return server


def unique_name(prefix: str = "dbt") -> str:
    return f"{prefix}_{uuid.uuid4().hex[:10]}"


@pytest.fixture
def pg_db(pg_server: DbServer) -> Iterator[DbServer]:
    """A fresh PostgreSQL database for this test, dropped afterwards."""
    name = unique_name()
    with psycopg.connect(pg_server.url, autocommit=True) as admin:
        admin.execute(f'CREATE DATABASE "{name}"')
    try:
        yield pg_server.with_database(name)
    finally:
        with psycopg.connect(pg_server.url, autocommit=True) as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture
def mysql_db(mysql_server: DbServer) -> Iterator[DbServer]:
    """A fresh MariaDB/MySQL database for this test, dropped afterwards."""
    name = unique_name()
    kwargs = mysql_server.pymysql_kwargs()
    admin = pymysql.connect(**kwargs, autocommit=True)  # type: ignore[arg-type]
    try:
        with admin.cursor() as cur:
            cur.execute(f"CREATE DATABASE `{name}` CHARACTER SET utf8mb4 COLLATE utf8mb4_bin")
    finally:
        admin.close()
    try:
        yield mysql_server.with_database(name)
    finally:
        admin = pymysql.connect(**kwargs, autocommit=True)  # type: ignore[arg-type]
        try:
            with admin.cursor() as cur:
                cur.execute(f"DROP DATABASE IF EXISTS `{name}`")
        finally:
            admin.close()


@pytest.fixture
def closed_port() -> int:
    """A TCP port on 127.0.0.1 where nothing listens: connections to it are refused."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


class SilentListener:
    """Accepts TCP connections and never sends a byte (a hung server, a wrong port behind a
    firewall that completes the handshake). Holds what it accepted until closed."""

    def __init__(self, host: str = "127.0.0.1") -> None:
        import threading

        self._sock = socket.create_server((host, 0), backlog=128)
        self.host = host
        self.port = int(self._sock.getsockname()[1])
        self.accepted: list[socket.socket] = []
        self._thread = threading.Thread(target=self._accept, daemon=True)
        self._thread.start()

    def _accept(self) -> None:
        while True:
            try:
                conn, _ = self._sock.accept()
            except OSError:
                return  # closed
            self.accepted.append(conn)

    def close(self) -> None:
        self._sock.close()
        for conn in self.accepted:
            conn.close()


@pytest.fixture
def silent_listener() -> Iterator[Callable[..., SilentListener]]:
    """Factory: `silent_listener(host="127.0.0.1")` starts one; all are closed afterwards."""
    made: list[SilentListener] = []

    def make(host: str = "127.0.0.1") -> SilentListener:
        made.append(SilentListener(host))
        return made[-1]

    yield make
    for listener in made:
        listener.close()
