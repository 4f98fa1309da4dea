"""Cancel stops the Spanner work in every state: a CancelRequest, statement_timeout or a client
that hangs up, inside a transaction block, in a cursor's FETCH and in COPY, as in autocommit.

That the work stopped is measured on spanner-local's side: it runs in a process of its own,
and the CPU it uses in a second after the cancel is compared with a second while the statement
ran (a ratio within the same test, not a time). A transaction left by a cancel is rolled back
where PostgreSQL rolls it back: a follow-up connection sees none of its writes.
"""

from __future__ import annotations

import os
import socket
import struct
import threading
import time
import uuid
from collections.abc import Callable, Iterator

import psycopg
import pytest
from psycopg import errors

from .conftest import Processes

# DuckDB counts about 10^10 rows a second here: this runs until something interrupts it
ENDLESS = (
    "select count(*) from generate_series(1, 10000) a, generate_series(1, 10000) b, "
    "generate_series(1, 10000) c, generate_series(1, 10000) d"
)


def _cpu(pid: int) -> float:
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _cpu_in(pid: int, seconds: float) -> float:
    start = _cpu(pid)
    time.sleep(seconds)
    return _cpu(pid) - start


class _Work:
    """spanner-local's CPU while the statement runs, then after `stop()` was called."""

    def __init__(self, pid: int) -> None:
        self.pid = pid
        self.during = self.after = 0.0

    def measure(self, stop: Callable[[], None]) -> None:
        time.sleep(1.0)  # the statement reaches spanner-local and starts
        self.during = _cpu_in(self.pid, 1.0)
        stop()
        time.sleep(0.5)  # the cancel travels
        self.after = _cpu_in(self.pid, 1.0)

    def assert_stopped(self) -> None:
        assert self.during > 0, "the statement did not run on spanner-local"
        assert self.after < 0.25 * self.during, (self.during, self.after)


def _in_thread(fn: Callable[[], None]) -> threading.Thread:
    thread = threading.Thread(target=fn)
    thread.start()
    return thread


@pytest.fixture
def dsn_with_table(processes: Processes) -> Iterator[str]:
    dsn = processes.dsn(f"c{uuid.uuid4().hex[:10]}")
    with psycopg.connect(dsn, autocommit=True) as conn:
        conn.execute("create table t (id bigint primary key)")
    yield dsn


def _rows(dsn: str) -> int:
    with psycopg.connect(dsn, autocommit=True) as conn:
        row = conn.execute("select count(*) from t").fetchone()
        assert row is not None
        return int(row[0])


def _rolled_back(conn: psycopg.Connection, dsn: str) -> None:  # type: ignore[type-arg]
    # as in PostgreSQL, the block is failed until the client rolls it back
    with pytest.raises(errors.InFailedSqlTransaction):
        conn.execute("select 1")
    conn.rollback()
    assert conn.execute("select 1").fetchone() == (1,)
    assert _rows(dsn) == 0


def _cancelled_in_a_block(
    processes: Processes,
    dsn: str,
    run: Callable[[psycopg.Connection], object],  # type: ignore[type-arg]
    before: tuple[str, ...] = (),
) -> None:
    """In a transaction block that inserted a row, `before` runs, then `run` is interrupted by
    a CancelRequest while spanner-local works on it: the work stops, the block is failed
    (25P02) until ROLLBACK, the inserted row is gone and holds nothing."""
    work = _Work(processes.spanner.pid)
    with psycopg.connect(dsn) as conn:
        conn.execute("insert into t values (1)")
        for sql in before:
            conn.execute(sql)
        thread = _in_thread(lambda: work.measure(conn.cancel))
        with pytest.raises(errors.QueryCanceled, match="user request"):
            run(conn)
        thread.join()
        work.assert_stopped()
        _rolled_back(conn, dsn)
    _unlocked(dsn)


def _timed_out_in_a_block(processes: Processes, dsn: str, statement: str) -> None:
    """The same for statement_timeout: the statement ends with 57014 and its work stops."""
    with psycopg.connect(dsn) as conn:
        conn.execute("set statement_timeout = '2s'")
        conn.execute("insert into t values (1)")
        started = _cpu(processes.spanner.pid)
        with pytest.raises(errors.QueryCanceled, match="statement timeout"):
            conn.execute(statement)
        during = _cpu(processes.spanner.pid) - started
        time.sleep(0.5)
        after = _cpu_in(processes.spanner.pid, 2.0)
        assert during > 0 and after < 0.25 * during, (during, after)
        _rolled_back(conn, dsn)
    _unlocked(dsn)


def _hung_up(processes: Processes, dsn: str, setup: list[str], statement: str) -> None:
    """A raw client runs `setup`, sends `statement` and hangs up while it runs: the work stops
    and nothing of the session's transaction stays or holds locks."""
    database = dsn.split("dbname=")[1].split()[0]
    sock = _raw_session(processes.port, database)
    for sql in setup:
        _query(sock, sql)
        assert b"E" not in _read_until_ready(sock)
    _query(sock, statement)
    work = _Work(processes.spanner.pid)
    work.measure(sock.close)
    work.assert_stopped()
    assert _rows(dsn) == 0
    _unlocked(dsn)


def test_cancel_request_inside_a_transaction_block(
    processes: Processes, dsn_with_table: str
) -> None:
    logged = len(processes.log)
    _cancelled_in_a_block(processes, dsn_with_table, lambda conn: conn.execute(ENDLESS))
    # a cancel is an expected outcome: at most one line in the proxy's log, no traceback
    time.sleep(1.0)  # the abandoned call's thread ends after the client got its error
    lines = processes.log[logged:]
    assert len(lines) <= 1 and not any("Traceback" in line for line in lines), lines


def _copy_out_endless(conn: psycopg.Connection) -> None:  # type: ignore[type-arg]
    with conn.cursor().copy(f"copy ({ENDLESS}) to stdout") as copy:
        for _ in copy:
            pass


# DML whose work is the same endless count: it writes one row only if it ever finishes
ENDLESS_INSERT = f"insert into t ({ENDLESS})"
ENDLESS_DELETE = f"delete from t where id < ({ENDLESS})"

# what runs first in the block, and the statement the CancelRequest interrupts
CANCELLED_IN_A_BLOCK = {
    "cursor-fetch": ((f"declare c cursor for {ENDLESS}",), lambda c: c.execute("fetch 1 from c")),
    "copy-to-stdout": ((), _copy_out_endless),
    "insert": ((), lambda c: c.execute(ENDLESS_INSERT)),
    "delete": ((), lambda c: c.execute(ENDLESS_DELETE)),
    "batch-insert": (("start batch dml", ENDLESS_INSERT), lambda c: c.execute("run batch")),
    "batch-delete": (("start batch dml", ENDLESS_DELETE), lambda c: c.execute("run batch")),
}


@pytest.mark.parametrize("case", CANCELLED_IN_A_BLOCK)
def test_cancel_request_stops_the_work_inside_a_transaction_block(
    processes: Processes, dsn_with_table: str, case: str
) -> None:
    before, run = CANCELLED_IN_A_BLOCK[case]
    _cancelled_in_a_block(processes, dsn_with_table, run, before)


@pytest.mark.parametrize("statement", [ENDLESS, ENDLESS_INSERT], ids=["query", "insert"])
def test_statement_timeout_stops_the_work_inside_a_transaction_block(
    processes: Processes, dsn_with_table: str, statement: str
) -> None:
    _timed_out_in_a_block(processes, dsn_with_table, statement)


def _raw_session(port: int, database: str) -> socket.socket:
    sock = socket.create_connection(("127.0.0.1", port), timeout=30)
    pairs = f"user\0raw\0database\0{database}\0\0".encode()
    sock.sendall(struct.pack("!ii", len(pairs) + 8, 196608) + pairs)
    _read_until_ready(sock)
    return sock


def _read_until_ready(sock: socket.socket) -> list[bytes]:
    kinds, buf = [], b""
    while True:
        while len(buf) < 5 or len(buf) < 1 + struct.unpack("!i", buf[1:5])[0]:
            chunk = sock.recv(65536)
            assert chunk, "pgadapter closed the connection"
            buf += chunk
        length = struct.unpack("!i", buf[1:5])[0]
        kinds.append(buf[:1])
        buf = buf[1 + length :]
        if kinds[-1] == b"Z":
            return kinds


def _query(sock: socket.socket, sql: str) -> None:
    body = sql.encode() + b"\0"
    sock.sendall(b"Q" + struct.pack("!i", len(body) + 4) + body)


@pytest.mark.parametrize(
    "setup, statement",
    [
        ([], ENDLESS),
        (["begin", "insert into t values (1)"], ENDLESS),
        (
            ["begin", "insert into t values (1)", f"declare c cursor for {ENDLESS}"],
            "fetch 1 from c",
        ),
        (["begin", "insert into t values (1)"], ENDLESS_INSERT),
    ],
    ids=["autocommit", "transaction", "cursor", "dml-in-a-block"],
)
def test_a_client_that_hangs_up_mid_statement_stops_it(
    processes: Processes, dsn_with_table: str, setup: list[str], statement: str
) -> None:
    _hung_up(processes, dsn_with_table, setup, statement)


def _unlocked(dsn: str) -> None:
    """Nothing of a cancelled transaction holds its locks: another client writes the row
    the block had inserted."""
    with psycopg.connect(dsn, autocommit=True) as conn:
        conn.execute("insert into t values (1)")
        conn.execute("delete from t where id = 1")


def test_cancel_request_in_copy_from_stdin_inside_a_block(
    processes: Processes, dsn_with_table: str
) -> None:
    with psycopg.connect(dsn_with_table) as conn:
        conn.execute("insert into t values (1)")
        with pytest.raises(errors.QueryCanceled, match="user request"):
            with conn.cursor().copy("copy t from stdin") as copy:
                copy.write("2\n3\n")
                time.sleep(0.5)  # the rows reach pgadapter, which is waiting for more
                conn.cancel()
                time.sleep(0.5)  # the cancel arrives while the copy is still open
                # PostgreSQL drops the rest of the copy data after the cancel
                copy.write("".join(f"{i}\n" for i in range(4, 1000)))
        _rolled_back(conn, dsn_with_table)
    _unlocked(dsn_with_table)
