"""kill -9 during DDL and writes: the reopened database matches what was acknowledged.

A spanner-local subprocess with a data dir runs a fixed workload (DDL batches that create and
drop tables and indexes, and commits of rows) until it is killed at a random moment (fixed seed).
After each kill the server is reopened and compared with a model of the acknowledged work: every
acknowledged change is there, the one in flight is either absent or (for a DDL batch, a prefix
of its statements) applied, tables absent from the schema are really gone, and the workload
carries on from there.
"""

from __future__ import annotations

import json
import random
import signal
import subprocess
import sys
import threading
from dataclasses import dataclass, field

import pytest
from google.api_core import exceptions
from google.auth.credentials import AnonymousCredentials
from google.cloud import spanner
from google.cloud.spanner_v1 import Mutation, TransactionOptions

SEED = 20261207
CYCLES = 4
PROJECT, INSTANCE, DATABASE = "crash-project", "crash-instance", "crashdb"


def _start(data_dir) -> tuple[subprocess.Popen, str]:
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "dbtools.spanner_local.cli",
            "--port",
            "0",
            "--data-dir",
            str(data_dir),
            "--project",
            PROJECT,
            "--instance",
            INSTANCE,
            "--format",
            "json",
            "--no-statement-log",
        ],
        stdout=subprocess.PIPE,
        text=True,
    )
    line = proc.stdout.readline()
    assert line, "spanner-local did not start"
    return proc, json.loads(line)["address"]


def _database(address: str):
    client = spanner.Client(
        project=PROJECT,
        credentials=AnonymousCredentials(),
        client_options={"api_endpoint": address},
        disable_builtin_metrics=True,
    )
    return client.instance(INSTANCE).database(DATABASE)


@dataclass
class Model:
    """What the client has been told: the schema objects and the logged rows."""

    tables: set[str] = field(default_factory=lambda: {"Log"})
    indexes: set[str] = field(default_factory=set)
    rows: set[int] = field(default_factory=set)
    next_table: int = 0
    next_row: int = 0
    # The operation in flight when the server died: its possible outcomes.
    pending_schema: list[tuple[frozenset[str], frozenset[str]]] = field(default_factory=list)
    pending_row: int | None = None

    def schema(self) -> tuple[frozenset[str], frozenset[str]]:
        return frozenset(self.tables), frozenset(self.indexes)


def _apply(statement: str, tables: set[str], indexes: set[str]) -> None:
    words = statement.split()
    if words[:2] == ["CREATE", "TABLE"]:
        tables.add(words[2])
    elif words[:2] == ["DROP", "TABLE"]:
        tables.discard(words[2])
    elif words[:2] == ["CREATE", "INDEX"]:
        indexes.add(words[2])
    elif words[:2] == ["DROP", "INDEX"]:
        indexes.discard(words[2])


def _next_batch(model: Model, rng: random.Random) -> list[str]:
    live = sorted(t for t in model.tables if t != "Log")
    if live and rng.random() < 0.4:
        victim = rng.choice(live)
        batch = [f"DROP INDEX {i}" for i in sorted(model.indexes) if i.startswith(victim + "By")]
        return [*batch, f"DROP TABLE {victim}"]
    n = model.next_table
    model.next_table += 1
    return [
        f"CREATE TABLE T{n} (K INT64 NOT NULL, V STRING(MAX), W INT64) PRIMARY KEY (K)",
        f"CREATE INDEX T{n}ByV ON T{n}(V)",
        f"ALTER TABLE T{n} ADD COLUMN X BOOL",
    ]


def _workload(db, model: Model, rng: random.Random, stop: threading.Event) -> None:
    """DDL batches and row commits, recording each acknowledgement, until the server dies."""
    session = db.spanner_api.create_session(database=db.name).name
    while not stop.is_set():
        if rng.random() < 0.5:
            batch = _next_batch(model, rng)
            outcomes = []
            tables, indexes = set(model.tables), set(model.indexes)
            outcomes.append((frozenset(tables), frozenset(indexes)))
            for stmt in batch:
                _apply(stmt, tables, indexes)
                outcomes.append((frozenset(tables), frozenset(indexes)))
            model.pending_schema = outcomes
            # No retries: a call to a dead server must fail, not wait for it to come back.
            op = db._instance._client.database_admin_api.update_database_ddl(
                database=db.name, statements=batch, retry=None, timeout=10
            )
            op.result(30)
            model.tables, model.indexes = tables, indexes
            model.pending_schema = []
        else:
            k = model.next_row
            model.next_row += 1
            model.pending_row = k
            mutation = Mutation(
                insert=Mutation.Write(
                    table="Log",
                    columns=["K", "V"],
                    values=[[str(k), "x" * rng.randint(1, 2000)]],
                )
            )
            db.spanner_api.commit(
                session=session,
                mutations=[mutation],
                single_use_transaction=TransactionOptions(
                    read_write=TransactionOptions.ReadWrite()
                ),
                retry=None,
                timeout=10,
            )
            model.rows.add(k)
            model.pending_row = None


def _actual_schema(db) -> tuple[frozenset[str], frozenset[str]]:
    tables, indexes = set(), set()
    for stmt in db._instance._client.database_admin_api.get_database_ddl(
        database=db.name
    ).statements:
        words = stmt.split()
        if words[:2] == ["CREATE", "TABLE"]:
            tables.add(words[2])
        elif words[:2] == ["CREATE", "INDEX"]:
            indexes.add(words[2])
    return frozenset(tables), frozenset(indexes)


def _check(db, model: Model) -> None:
    actual = _actual_schema(db)
    allowed = model.pending_schema or [model.schema()]
    assert actual in allowed, f"schema {actual} is none of the possible {allowed}"
    model.tables, model.indexes = set(actual[0]), set(actual[1])
    model.pending_schema = []
    # No zombie: every table the workload ever made is queryable exactly when it is listed.
    for n in range(model.next_table):
        name = f"T{n}"
        try:
            with db.snapshot() as s:
                list(s.execute_sql(f"SELECT COUNT(*) FROM {name}"))
            queryable = True
        except exceptions.InvalidArgument as exc:  # Spanner's code for a query on no table
            assert "Table not found" in str(exc)
            queryable = False
        assert queryable == (name in model.tables), name
    with db.snapshot() as s:
        rows = {r[0] for r in s.execute_sql("SELECT K FROM Log")}
    assert model.rows <= rows, f"acknowledged rows lost: {sorted(model.rows - rows)}"
    extra = rows - model.rows
    assert extra <= ({model.pending_row} if model.pending_row is not None else set()), extra
    model.rows = rows
    model.pending_row = None


@pytest.mark.skipif(not hasattr(signal, "SIGKILL"), reason="needs POSIX signals")
def test_kill_9_during_ddl_and_writes_keeps_what_was_acknowledged(tmp_path):
    rng = random.Random(SEED)
    model = Model()
    proc, address = _start(tmp_path)
    try:
        db = _database(address)
        db.create().result(30)
        db.update_ddl(
            ["CREATE TABLE Log (K INT64 NOT NULL, V STRING(MAX)) PRIMARY KEY (K)"]
        ).result(30)
        for _ in range(CYCLES):
            stop = threading.Event()
            killer = threading.Timer(rng.uniform(0.3, 1.5), lambda p=proc: p.send_signal(9))
            killer.start()
            try:
                _workload(db, model, rng, stop)
            except (exceptions.GoogleAPIError, OSError):
                pass  # the server died under the call: its outcome is checked below
            killer.join()
            proc.wait(30)
            assert proc.returncode == -signal.SIGKILL
            proc, address = _start(tmp_path)
            db = _database(address)
            _check(db, model)
        assert model.next_table > CYCLES, "the workload hardly ran: the test proves nothing"
    finally:
        if proc.poll() is None:
            proc.send_signal(signal.SIGKILL)
            proc.wait(30)
