"""Cutover: once the application has stopped writing, wait for the target to catch up,
validate every table with dvt through the migration's mapping, and say go or no-go.

dvt is another distribution; it is run as its own command (`dvt validate migration`), so
migrate does not depend on it. Without it the verdict is no-go, saying how to install it.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from ..ddl import quote
from ..loadplan import skip_range
from ..source import engine_of_url
from . import checkpoint, positions
from .checkpoint import State
from .run import _capture

POLL = 0.2  # seconds between looks at the checkpoint
STEADY = 1.0  # the source head must stay put this long: the application has stopped writing


def plain_url(url: str) -> str:
    """The SQLAlchemy URL without its driver (`mysql+pymysql://` -> `mysql://`), as dvt takes it."""
    scheme, sep, rest = url.partition("://")
    return scheme.split("+", 1)[0] + sep + rest


def spanner_url(target: dict[str, Any]) -> str:
    url = (
        f"spanner:///projects/{target['project']}/instances/{target['instance']}"
        f"/databases/{target['database']}"
    )
    if target.get("emulator_host"):
        url += f"?emulator_host={target['emulator_host']}"
    elif target.get("endpoint"):
        url += f"?endpoint={target['endpoint']}"
    return url


def wait_caught_up(
    url: str, database: Any, stream_name: str, timeout: float
) -> tuple[bool, str, dict[str, Any]]:
    """(caught up, why not, the last look) — caught up when the checkpoint is at the source's
    head and the head has not moved for STEADY seconds."""
    engine = engine_of_url(url)
    capture = _capture(engine)
    deadline = time.monotonic() + timeout
    steady_since: float | None = None
    last_head = None
    look: dict[str, Any] = {}
    while True:
        head = capture.head_position(url)
        state = checkpoint.read(database, stream_name)
        if state is None:
            return False, f"no live migration {stream_name!r} in the target (no checkpoint)", look
        behind = positions.distance(engine, state.position, head)
        look = {"phase": state.phase, "applied": state.position, "source_head": head,
                "bytes_behind": behind, "events_applied": state.events}  # fmt: skip
        now = time.monotonic()
        if head != last_head:
            steady_since, last_head = now, head
        if state.phase == "streaming" and behind == 0 and now - (steady_since or now) >= STEADY:
            return True, "", look
        if now >= deadline:
            why = (
                f"the target is {behind} bytes behind the source after {timeout:g}s "
                f"(applied {state.position}, source at {head})"
                if behind
                else f"the source kept writing (head moved within the last {STEADY:g}s)"
                if state.phase == "streaming"
                else "the backfill has not finished"
            )
            return False, why, look
        time.sleep(POLL)


def _dvt_command() -> list[str] | None:
    here = Path(sys.executable).parent / "dvt"
    found = str(here) if here.exists() else shutil.which("dvt")
    return [found] if found else None


def validate(out: Path, url: str, target: dict[str, Any]) -> tuple[bool, list[str], Any]:
    """Run dvt row validation on every migrated table; (passed, lines naming each problem,
    dvt's JSON results)."""
    cmd = _dvt_command()
    if cmd is None:
        return False, ["dvt is not installed: pip install 'dbtools-dvt[spanner]'"], None
    args = [*cmd, "validate", "migration", str(out), "-sc", plain_url(url),
            "-tc", spanner_url(target), "--format", "json", "--no-progress"]  # fmt: skip
    env = dict(os.environ)
    proc = subprocess.run(args, capture_output=True, text=True, env=env, timeout=3600)
    try:
        results = json.loads(proc.stdout)
    except ValueError:
        msg = (proc.stderr or proc.stdout).strip().splitlines()[-1:] or ["no output"]
        return False, [f"dvt failed (exit {proc.returncode}): {msg[0]}"], None
    lines = []
    for r in results:
        status = r.get("status")
        if status in ("success", "skipped"):
            continue
        what = f"{r.get('kind')} validation of {r.get('source_table')} -> {r.get('target_table')}"
        if r.get("error"):
            lines.append(f"{what}: could not run: {r['error']}")
            continue
        diffs = [f for f in r.get("findings", []) if f.get("status") not in ("success",)]
        lines.append(f"{what}: {len(diffs) + r.get('findings_not_listed', 0)} differences")
        for f in diffs[:10]:
            col = f" column {f['column']}" if f.get("column") else ""
            check = f" {f['check']}" if f.get("check") else ""
            lines.append(
                f"  {f.get('status')}{check} key {f.get('key')}{col}: "
                f"source {f.get('source')!r}, target {f.get('target')!r}"
            )
    passed = proc.returncode == 0 and not lines
    if proc.returncode != 0 and not lines:
        lines.append(f"dvt exited {proc.returncode}: {proc.stderr.strip()[-500:]}")
    return passed, lines, results


def cutover(
    *,
    url: str,
    out: Path,
    database: Any,
    target: dict[str, Any],
    stream_name: str,
    timeout: float,
) -> dict[str, Any]:
    """The verdict: {"go": bool, "lines": what was checked and what is wrong, ...}."""
    caught_up, why, look = wait_caught_up(url, database, stream_name, timeout)
    if not caught_up:
        return {"go": False, "lag": look, "lines": [f"not caught up: {why}"], "validation": None}
    lines = [
        f"caught up: target at {look['applied']} = source head, "
        f"{look['events_applied']} changes applied"
    ]
    state = checkpoint.read(database, stream_name)
    assert state is not None  # wait_caught_up saw it
    lines += move_counters(database, state)
    passed, problems, results = validate(out, url, target)
    tables = len({r.get("source_table") for r in results or []})
    lines.append(
        f"validation of {tables} tables: "
        + ("0 differences" if passed else f"{len(problems)} problem lines")
    )
    lines += problems
    return {"go": passed, "lag": look, "lines": lines, "validation": results}


def move_counters(database: Any, state: State) -> list[str]:
    """Keep each generated key column from producing a value the stream already wrote: the
    application's first insert after the cutover would collide with a streamed row. A skip
    range up to the column's largest value in the target (see `loadplan.skip_range`); lines
    saying what moved."""
    moves: list[tuple[str, str, str]] = []  # (table, column, statement)
    with database.snapshot(multi_use=True) as snap:
        for table, column, sequence in state.counters:
            assert table is not None and column is not None
            sql = f"SELECT MAX({quote(column, state.dialect)}) FROM {quote(table, state.dialect)}"
            top = next(iter(snap.execute_sql(sql)))[0]
            if top is not None and top >= 1:
                moves.append(
                    (table, column, skip_range(state.dialect, table, column, sequence, top))
                )
    if moves:
        database.update_ddl([stmt for _, _, stmt in moves]).result(600)
    return [
        f"generated key {table}.{column}: values up to the largest streamed one skipped ({stmt})"
        for table, column, stmt in moves
    ]
