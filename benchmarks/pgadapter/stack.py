"""The processes both pgadapter benchmarks run against: spanner-local, a PostgreSQL-dialect
database on it, and pgadapter in front of that database, each as its own process."""

from __future__ import annotations

import json
import re
import signal
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from google.api_core.client_options import ClientOptions
from google.auth.credentials import AnonymousCredentials
from google.cloud import spanner
from google.cloud.spanner_admin_database_v1.types import DatabaseDialect

BIN = Path(sys.executable).parent
DATABASE = "bench"


@dataclass
class Backend:
    proc: subprocess.Popen[str]
    address: str
    project: str
    instance: str


def start_spanner_local() -> Backend:
    proc = subprocess.Popen(
        [str(BIN / "spanner-local"), "--port", "0", "--format", "json", "--no-statement-log"],
        stdout=subprocess.PIPE,
        text=True,
    )
    assert proc.stdout is not None
    try:
        info = json.loads(proc.stdout.readline())
    except ValueError:
        stop(proc)
        raise
    return Backend(proc, info["address"], info["project"], info["instance"])


def create_database(backend: Backend, ddl: list[str]) -> Any:
    """A new PostgreSQL-dialect database with `ddl` applied, through the official client."""
    client = spanner.Client(
        project=backend.project,
        credentials=AnonymousCredentials(),
        client_options=ClientOptions(api_endpoint=backend.address),
        disable_builtin_metrics=True,
    )
    db = client.instance(backend.instance).database(
        DATABASE, database_dialect=DatabaseDialect.POSTGRESQL
    )
    db.create().result(120)
    db.update_ddl(ddl).result(120)
    return db


def start_proxy(
    backend: Backend, wrapper: list[str] | None = None
) -> tuple[subprocess.Popen[str], str]:
    """pgadapter (optionally run under `wrapper`, e.g. valgrind) and a libpq DSN for it."""
    cmd = [
        *(wrapper or []),
        str(BIN / "python"),
        "-m",
        "dbtools.pgadapter.cli",
        *("-p", backend.project, "-i", backend.instance, "-d", DATABASE),
        *("--emulator-host", backend.address, "--port", "0"),
    ]
    proc = subprocess.Popen(cmd, stderr=subprocess.PIPE, text=True)
    assert proc.stderr is not None
    line = proc.stderr.readline()
    while line and "listening" not in line:  # a wrapper's banner comes first
        line = proc.stderr.readline()
    m = re.search(r":(\d+) for", line)
    if not m:
        stop(proc)
        raise RuntimeError("pgadapter did not start")
    return proc, f"host=127.0.0.1 port={m.group(1)} user=bench dbname={DATABASE} sslmode=disable"


def stop(*procs: subprocess.Popen[str] | None) -> None:
    """Ask each process to stop (SIGINT, as Ctrl-C would), killing it after 30 s."""
    for proc in procs:
        if proc is None or proc.poll() is not None:
            continue
        proc.send_signal(signal.SIGINT)
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            proc.kill()
