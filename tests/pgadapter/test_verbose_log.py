"""`pgadapter -v` logs connections, statements and failed statements to stderr, one line each;
without it those lines are not written. The CLI runs in a process of its own, as a user runs it."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import threading
import time
from collections.abc import Iterator

import psycopg
import pytest
from psycopg import errors

from .conftest import _drain
from .test_cancel_states import ENDLESS


def _start(verbose: bool) -> Iterator[tuple[int, list[str]]]:
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    spanner = subprocess.Popen(
        [sys.executable, "-m", "dbtools.spanner_local.cli", "--port", "0", "--format", "json",
         "--no-statement-log"],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env,
    )  # fmt: skip
    try:
        assert spanner.stdout is not None
        info = json.loads(spanner.stdout.readline())
        _drain(spanner.stderr, [])
        args = [sys.executable, "-m", "dbtools.pgadapter.cli", "--port", "0",
                "-p", info["project"], "-i", info["instance"],
                "--emulator-host", info["address"], "--auto-create-database"]  # fmt: skip
        proxy = subprocess.Popen(
            args + (["-v"] if verbose else []),
            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True, env=env,
        )  # fmt: skip
        try:
            assert proxy.stderr is not None
            m = re.search(r"listening on 127\.0\.0\.1:(\d+)", proxy.stderr.readline())
            assert m
            log: list[str] = []
            _drain(proxy.stderr, log)
            yield int(m.group(1)), log
        finally:
            proxy.terminate()
            proxy.wait(30)
    finally:
        spanner.terminate()
        spanner.wait(30)


def _workload(port: int) -> None:
    dsn = f"host=127.0.0.1 port={port} dbname=verbose_db user=u sslmode=disable"
    with psycopg.connect(dsn, autocommit=True) as conn:
        conn.execute("create table t (id bigint primary key)")
    with psycopg.connect(dsn) as conn:
        assert conn.execute("select 41 + 1").fetchone() == (42,)
        conn.rollback()
        with pytest.raises(errors.SyntaxError):
            conn.execute("selec 1")
        conn.rollback()
        conn.execute("insert into t values (1)")
        canceller = threading.Timer(1.0, conn.cancel)
        canceller.start()
        with pytest.raises(errors.QueryCanceled):
            conn.execute(ENDLESS)  # inside the transaction the insert began
        canceller.join()
    time.sleep(1.0)  # the closing connection's line and the abandoned call's thread


@pytest.mark.parametrize("verbose", [True, False], ids=["verbose", "quiet"])
def test_verbose_logs_connections_statements_and_errors(verbose: bool) -> None:
    gen = _start(verbose)
    port, log = next(gen)
    try:
        _workload(port)
    finally:
        gen.close()
    text = "".join(log)
    assert "Traceback" not in text, text
    found = {
        "connection": re.search(r"connection \d+ from .*user u, database verbose_db", text),
        "statement": re.search(r"query: select 41 \+ 1", text),
        "syntax error": re.search(r'ERROR 42601: syntax error at or near "selec"', text),
        "cancel": re.search(r"ERROR 57014: canceling statement due to user request", text),
    }
    if verbose:
        assert all(found.values()), (found, text)
        assert len(re.findall("57014", text)) == 1, text  # one line for the cancel
    else:
        assert not any(found.values()), text
