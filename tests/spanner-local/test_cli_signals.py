"""The `spanner-local` command stops promptly on SIGTERM/SIGINT, even with a statement running.

A DuckDB statement does not notice that its gRPC call ended, and the worker thread pool joins
its threads at exit, so before the fix a long query held the process up until it finished.
"""

from __future__ import annotations

import json
import shutil
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from .conftest import make_client

# 2.7e10 joined rows: minutes of work, so an exit before that means the query was stopped.
LONG_QUERY = (
    "SELECT COUNT(*) FROM UNNEST(GENERATE_ARRAY(1, 3000)) a"
    " CROSS JOIN UNNEST(GENERATE_ARRAY(1, 3000)) b CROSS JOIN UNNEST(GENERATE_ARRAY(1, 3000)) c"
)
EXIT_WITHIN_S = 15  # far below the query's own run time; the server's grace period is 1 s


def _command() -> str:
    here = Path(sys.executable).parent / "spanner-local"
    found = str(here) if here.exists() else shutil.which("spanner-local")
    assert found, "the spanner-local command is not installed next to this Python"
    return found


@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGINT], ids=["SIGTERM", "SIGINT"])
def test_stops_within_seconds_while_a_query_runs(signum: int) -> None:
    proc = subprocess.Popen(
        [_command(), "--port", "0", "--format", "json"], stdout=subprocess.PIPE, text=True
    )
    try:
        info = json.loads(proc.stdout.readline())
        client = make_client(info["address"], info["project"])
        db = client.instance(info["instance"]).database("sigtest")
        db.create().result(60)
        outcome: list[str] = []

        def run_query() -> None:
            try:
                with db.snapshot() as snap:
                    outcome.append(f"rows {list(snap.execute_sql(LONG_QUERY))}")
            except Exception as exc:  # the server going away is the expected end
                outcome.append(type(exc).__name__)

        worker = threading.Thread(target=run_query, daemon=True)
        worker.start()
        time.sleep(1.5)  # the statement is running by now
        assert worker.is_alive() and not outcome, outcome
        proc.send_signal(signum)
        assert proc.wait(EXIT_WITHIN_S) == 0
        worker.join(EXIT_WITHIN_S)
        assert outcome and not outcome[0].startswith("rows"), outcome
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
