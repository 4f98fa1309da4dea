"""Every failure is fast and clear: closed ports, servers that accept and never answer, queries
that overrun their deadline, URL parameters, missing extras and missing files.

Each case runs the real `dvt` command in its own process and checks the exit code, the one-line
message (which names the endpoint), and that the answer came within the configured timeout
(measured against `dvt --version` started the same way, so slow machines do not matter).
"""

from __future__ import annotations

import socket
import sqlite3
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pymysql
import pytest

DVT = [sys.executable, "-m", "dbtools.dvt.cli"]
TIMEOUT = 2.0  # the configured limit in these tests, seconds


def dvt(*args: str, pre: str | None = None) -> tuple[int, str, float]:
    """(exit code, stderr + stdout, seconds) of one `dvt` process."""
    cmd = DVT if pre is None else [sys.executable, "-c", pre + "\nmain()"]
    start = time.monotonic()
    p = subprocess.run([*cmd, *args], capture_output=True, text=True, timeout=120)
    return p.returncode, p.stderr + p.stdout, time.monotonic() - start


# A URL of each engine that dvt refuses after loading that engine's driver, before any network
# call: what a run costs before it can start waiting (the Spanner client alone takes seconds
# to import on a busy machine).
REFUSED_EARLY = {
    "mysql": "mysql://root@127.0.0.1:1/x?bogus=1",
    "postgresql": "postgresql://postgres@127.0.0.1:1/x?bogus=1",
    "spanner": "spanner:///projects/p/not-a-database-path",
}


@pytest.fixture(scope="module")
def startups() -> dict[str, float]:
    """Per engine, the baseline for time bounds (the slower of two runs)."""
    out = {}
    for engine, url in REFUSED_EARLY.items():
        runs = [dvt("validate", "row", "-sc", url, "-tc", "sqlite:///x", "-t", "t") for _ in "ab"]
        assert all(code == 2 for code, _, _ in runs), runs
        out[engine] = max(took for _, _, took in runs)
    out["other"] = max(dvt("--version")[2] for _ in "ab")
    return out


def closed_port() -> int:
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return int(port)


@contextmanager
def silent_listener() -> Iterator[int]:
    """A TCP port that accepts connections and never sends a byte."""
    srv = socket.socket()
    srv.bind(("127.0.0.1", 0))
    srv.listen(16)
    held: list[socket.socket] = []
    stop = threading.Event()

    def accept() -> None:
        srv.settimeout(0.2)
        while not stop.is_set():
            try:
                conn, _ = srv.accept()
                held.append(conn)
            except OSError:
                continue

    t = threading.Thread(target=accept, daemon=True)
    t.start()
    try:
        yield int(srv.getsockname()[1])
    finally:
        stop.set()
        t.join()
        for c in held:
            c.close()
        srv.close()


def _urls(port: int) -> dict[str, str]:
    return {
        "mysql": f"mysql://root@127.0.0.1:{port}/x",
        "postgresql": f"postgresql://postgres@127.0.0.1:{port}/x",
        "spanner": (
            f"spanner:///projects/p/instances/i/databases/d?emulator_host=127.0.0.1:{port}"
        ),
    }


def _row(url: str, other: str, *extra: str) -> tuple[int, str, float]:
    return dvt(
        "--connect-timeout", str(TIMEOUT), *extra, "validate", "row", "-sc", url, "-tc", other,
        "-t", "t",
    )  # fmt: skip


@pytest.fixture
def lite(tmp_path: Path) -> str:
    path = tmp_path / "ok.db"
    with sqlite3.connect(path) as c:
        c.execute("CREATE TABLE t (id INTEGER PRIMARY KEY, v TEXT)")
        c.execute("INSERT INTO t VALUES (1, 'a')")
    return f"sqlite:///{path}"


def _connect_seconds(url: str) -> tuple[str, float]:
    """(error message, seconds) of one connection attempt in this process: the wait alone,
    without a new interpreter's imports (which a busy machine makes slow and uneven)."""
    from dbtools.dvt.connections import parse_url
    from dbtools.dvt.engines import open_engine, require_extra
    from dbtools.dvt.errors import ConnectError
    from dbtools.dvt.timeouts import Timeouts

    spec = parse_url(url, Timeouts(connect=TIMEOUT))
    require_extra(spec.engine)  # the driver's import is not part of the wait
    start = time.monotonic()
    with pytest.raises(ConnectError) as info:
        open_engine(spec).columns("t")  # Spanner asks for the dialect on opening
    return str(info.value), time.monotonic() - start


@pytest.mark.parametrize("engine", ["mysql", "postgresql", "spanner"])
def test_closed_port_fails_at_once_naming_the_endpoint(engine: str, lite: str) -> None:
    port = closed_port()
    url = _urls(port)[engine]
    code, out, _ = _row(url, lite)
    assert code == 3, out
    assert f"127.0.0.1:{port}" in out and "cannot connect" in out, out
    assert "Traceback" not in out
    assert len(out.strip().splitlines()) == 1, out
    message, took = _connect_seconds(url)
    assert f"127.0.0.1:{port}" in message
    assert took < TIMEOUT, took  # refused: no need to wait the limit


@pytest.mark.parametrize("engine", ["mysql", "postgresql", "spanner"])
def test_server_that_never_answers_fails_within_the_connect_timeout(engine: str, lite: str) -> None:
    with silent_listener() as port:
        code, out, _ = _row(_urls(port)[engine], lite)
        message, took = _connect_seconds(_urls(port)[engine])
    assert code == 3, out
    assert f"127.0.0.1:{port}" in out and "connect timeout" in out, out
    assert len(out.strip().splitlines()) == 1, out
    assert "connect timeout" in message
    # it waited for the server, for the limit and not much more (libpq: whole seconds, ≥ 2)
    assert TIMEOUT * 0.9 <= took < TIMEOUT * 2 + 1, took


def test_url_timeout_overrides_the_option(lite: str, startups: dict[str, float]) -> None:
    startup = startups["mysql"]
    with silent_listener() as port:
        url = f"mysql://root@127.0.0.1:{port}/x?connect_timeout=1"
        code, out, took = dvt(
            "--connect-timeout", "30", "validate", "row", "-sc", url, "-tc", lite, "-t", "t"
        )
    assert code == 3 and "1 s connect timeout" in out, out
    assert took - startup < 15, (took, startup)  # far below the option's 30 s


SLOW_QUERIES = {
    "postgresql": "SELECT pg_sleep(30)::text AS s",
    "mysql": "SELECT SLEEP(30) AS s",
    "sqlite": "WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c) SELECT x FROM c",
    "duckdb": "SELECT a.range * b.range AS x FROM range(100000000) a, range(1000000) b",
}


@pytest.fixture
def db_urls(pg_db: Any, mysql_db: Any, tmp_path: Path, make_duckdb: Any) -> dict[str, str]:
    lite = tmp_path / "slow.db"
    sqlite3.connect(lite).close()
    return {
        "postgresql": pg_db.url,
        "mysql": mysql_db.url,
        "sqlite": f"sqlite:///{lite}",
        "duckdb": make_duckdb(tmp_path / "slow.duckdb"),
    }


@pytest.mark.parametrize("engine", list(SLOW_QUERIES))
def test_query_past_its_deadline_is_stopped(
    engine: str, db_urls: dict[str, str], startups: dict[str, float]
) -> None:
    startup = startups.get(engine, startups["other"])
    url = db_urls[engine]
    code, out, took = dvt(
        "--query-timeout", "1", "validate", "custom-query", "column", "-sc", url, "-tc", url,
        "-sq", SLOW_QUERIES[engine], "--count", "*",
    )  # fmt: skip
    assert code == 3, out
    assert "1 s query timeout" in out, out
    assert took - startup < 15, (took, startup)  # the query alone would run 30 s or forever


def test_mysql_url_parameters_are_honoured(mysql_db: Any, lite: str) -> None:
    c = pymysql.connect(**mysql_db.pymysql_kwargs(), autocommit=True)
    with c.cursor() as cur:
        cur.execute("CREATE TABLE t (id INT PRIMARY KEY, v VARCHAR(5))")
        cur.execute("INSERT INTO t VALUES (1, 'a')")
    c.close()
    for query in ("connect_timeout=5", "ssl=false", "ssl_mode=DISABLED&query_timeout=60"):
        code, out, _ = dvt("validate", "row", "-sc", f"{mysql_db.url}?{query}", "-tc", lite,
                           "-t", "t")  # fmt: skip
        assert code == 0, (query, out)
    # a server without TLS refuses ssl=true: a connection error, not a crash
    code, out, _ = dvt("validate", "row", "-sc", f"{mysql_db.url}?ssl=true", "-tc", lite, "-t", "t")
    assert code == 3 and "cannot connect" in out and "Traceback" not in out, out


@pytest.mark.parametrize(
    ("query", "words"),
    [
        ("bogus=1", "unknown parameter 'bogus'"),
        ("connect_timeout=soon", "is not a number of seconds"),
        ("query_timeout=0", "must be a positive number"),
        ("ssl=maybe", "must be true or false"),
        ("ssl_mode=SOMETIMES", "use one of"),
    ],
)
def test_bad_mysql_parameters_are_usage_errors(
    mysql_db: Any, lite: str, query: str, words: str
) -> None:
    code, out, _ = dvt("validate", "row", "-sc", f"{mysql_db.url}?{query}", "-tc", lite, "-t", "t")
    assert code == 2 and words in out and "Traceback" not in out, out
    assert len(out.strip().splitlines()) == 1, out


def test_postgresql_parameters_are_checked_by_libpq(pg_db: Any, lite: str) -> None:
    code, out, _ = dvt("validate", "row", "-sc", f"{pg_db.url}?sslmode=disable&connect_timeout=4",
                       "-tc", lite, "-t", "t")  # fmt: skip
    assert code == 3 and "not found" in out, out  # connected; the table is not there
    code, out, _ = dvt("validate", "row", "-sc", f"{pg_db.url}?nosuch=1", "-tc", lite, "-t", "t")
    assert code == 2 and "nosuch" in out and "Traceback" not in out, out


@pytest.mark.parametrize(
    ("module", "url", "extra"),
    [
        ("google.cloud.spanner", "spanner:///projects/p/instances/i/databases/d", "spanner"),
        ("duckdb", "duckdb:///x.duckdb", "duckdb"),
    ],
)
def test_missing_extra_says_what_to_install(lite: str, module: str, url: str, extra: str) -> None:
    # the driver made unimportable, as on a machine where the extra is not installed
    pre = f"import sys\nsys.modules[{module!r}] = None\nfrom dbtools.dvt.cli import main"
    code, out, _ = dvt("validate", "row", "-sc", url, "-tc", lite, "-t", "t", pre=pre)
    assert code == 2, out
    assert f"pip install 'dbtools-dvt[{extra}]'" in out and "Traceback" not in out, out


@pytest.mark.parametrize("scheme", ["sqlite", "duckdb"])
def test_missing_database_file_is_refused_not_created(
    scheme: str, lite: str, tmp_path: Path
) -> None:
    missing = tmp_path / f"missing.{scheme}"
    code, out, _ = dvt("validate", "row", "-sc", f"{scheme}:///{missing}", "-tc", lite, "-t", "t")
    assert code == 2 and "does not exist" in out and str(missing) in out, out
    assert not missing.exists()


def test_version() -> None:
    from dbtools.dvt import __version__

    code, out, _ = dvt("--version")
    assert code == 0 and __version__ in out


def test_bad_timeout_option_is_a_usage_error() -> None:
    code, out, _ = dvt("--query-timeout", "-3", "validate", "--help")
    assert code == 2 and "positive" in out
