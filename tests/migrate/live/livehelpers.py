"""Running `spanner-migrate live` and `cutover` as the user does, in subprocesses."""

from __future__ import annotations

import json
import os
import queue
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

BIN = Path(sys.executable).parent


def _target(spanner: Any, database: str) -> list[str]:
    return ["--project", spanner.project, "--instance", spanner.instance,
            "--database", database, "--emulator-host", spanner.address]  # fmt: skip


class Migrator:
    """`spanner-migrate live --format json` in a subprocess; its JSON lines are collected."""

    def __init__(
        self,
        url: str,
        out: Path,
        spanner: Any,
        database: str,
        *extra: Any,
        batch_mutations: int = 20000,
    ) -> None:
        cmd = [str(BIN / "spanner-migrate"), "live", "--url", url, "--out", str(out),
               *_target(spanner, database), "--format", "json",
               "--batch-mutations", str(batch_mutations), *map(str, extra)]  # fmt: skip
        self.proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        self.records: list[dict[str, Any]] = []
        self.arrived: dict[int, float] = {}  # id(record) -> time.monotonic() when read
        self.lines: queue.Queue[dict[str, Any] | None] = queue.Queue()
        self.stderr: list[str] = []
        threading.Thread(target=self._read, daemon=True).start()
        threading.Thread(target=self._read_err, daemon=True).start()

    def _read(self) -> None:
        assert self.proc.stdout is not None
        for line in self.proc.stdout:
            rec = json.loads(line)
            self.arrived[id(rec)] = time.monotonic()
            self.records.append(rec)
            self.lines.put(rec)
        self.lines.put(None)

    def _read_err(self) -> None:
        assert self.proc.stderr is not None
        for line in self.proc.stderr:
            self.stderr.append(line)

    def wait_for(
        self, cond: Callable[[dict[str, Any]], bool], timeout: float = 600.0
    ) -> dict[str, Any]:
        """The first record from now on that meets `cond`. `timeout` only bounds a migrator
        that went wrong: a slow machine just takes longer to get there."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                rec = self.lines.get(timeout=1.0)
            except queue.Empty:
                continue
            if rec is None:
                break
            if cond(rec):
                return rec
        raise AssertionError(
            f"the migrator did not get there (exit {self.proc.poll()}); last records "
            f"{self.records[-3:]}; stderr: {''.join(self.stderr)[-2000:]}"
        )

    def when(self, event: str) -> float:
        """When the first record of this event was read."""
        return self.arrived[id(next(r for r in self.records if r.get("event") == event))]

    def last_status(self) -> dict[str, Any]:
        return [r for r in self.records if r.get("event") == "status"][-1]

    def kill9(self) -> None:
        os.kill(self.proc.pid, signal.SIGKILL)
        self.proc.wait(30)

    def stop(self) -> int:
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(30)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        return self.proc.returncode


def cutover(
    url: str, out: Path, spanner: Any, database: str, timeout: float = 300
) -> tuple[int, str]:
    """`spanner-migrate cutover`; tests call it once the migrator has caught up (see
    `caught_up`), so its wait is short and `timeout` only a bound."""
    cmd = [str(BIN / "spanner-migrate"), "cutover", "--url", url, "--out", str(out),
           *_target(spanner, database), "--timeout", str(timeout)]  # fmt: skip
    proc = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout + 600)
    return proc.returncode, proc.stdout + proc.stderr


def spanner_rows(spanner: Any, database: str, sql: str) -> list[Any]:
    db = spanner.client().instance(spanner.instance).database(database)
    with db.snapshot() as snap:
        return [list(r) for r in snap.execute_sql(sql)]


def caught_up(migrator: Migrator, url: str) -> dict[str, Any]:
    """Wait for a status record showing the migrator applied everything up to the source's
    head as it is now (call it once the source's writers have stopped): a condition, not a
    time, so a loaded machine only makes it take longer."""
    from dbtools.migrate.live import positions
    from dbtools.migrate.live.run import _capture
    from dbtools.migrate.source import engine_of_url

    engine = engine_of_url(url)
    head = _capture(engine).head_position(url)
    return migrator.wait_for(
        lambda r: (
            r.get("event") == "status"
            and r["events_pending"] == 0
            and positions.distance(engine, r["position"], head) == 0
        )
    )
