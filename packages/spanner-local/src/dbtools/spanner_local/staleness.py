"""Timestamp bounds of read-only reads.

`exact_staleness` and `read_timestamp` read the data as of one past timestamp, which the
database's version history serves (see versions) within its retention period. `max_staleness`
and `min_read_timestamp` allow any timestamp at or after a bound, so a strong read (now)
satisfies them exactly. A read timestamp in the future waits until then, as Spanner does.
"""

from __future__ import annotations

import datetime as dt
import time
from typing import Any

from . import codec, protos
from .errors import InvalidArgument

MAX_FUTURE_WAIT_SECONDS = 60.0
COMMIT_WAIT_SECONDS = 10.0


def read_at(options: protos.TransactionOptions.ReadOnly, now: dt.datetime) -> dt.datetime | None:
    """The exact timestamp a read-only bound asks for, or None when reading now satisfies it."""
    bound = options.WhichOneof("timestamp_bound")
    if bound == "read_timestamp":
        return codec.timestamp_from_pb(options.read_timestamp)
    if bound == "exact_staleness":
        staleness = options.exact_staleness.ToTimedelta()
        if staleness < dt.timedelta(0):
            raise InvalidArgument("exact_staleness must not be negative.")
        return now - staleness
    if bound == "max_staleness" and options.max_staleness.ToTimedelta() < dt.timedelta(0):
        raise InvalidArgument("max_staleness must not be negative.")
    if bound == "min_read_timestamp":
        wait_until(codec.timestamp_from_pb(options.min_read_timestamp), now)
    return None


def is_exact(options: protos.TransactionOptions.ReadOnly) -> bool:
    return options.WhichOneof("timestamp_bound") in ("read_timestamp", "exact_staleness")


def wait_until(ts: dt.datetime, now: dt.datetime) -> None:
    """Sleep until `ts` when it is after `now` (the database clock's time)."""
    delay = (ts - now).total_seconds()
    if delay > 0:
        time.sleep(min(delay, MAX_FUTURE_WAIT_SECONDS))


def check(db: Any, at: dt.datetime, tables: tuple[str, ...] = (), age: bool = True) -> None:
    """Fail when a read at `at` cannot be served (older than the retention period unless
    `age` is False because that was just checked, or a schema change of a table it reads came
    after it); otherwise wait until every commit at or before `at` has landed."""
    now = db.clock.now()
    db.versions.check(at, now, list(tables), age)
    wait_until(at, now)
    # Commits take their timestamps under the commit lock: once it is free, any commit still
    # to come is later than now, hence than `at` ...
    with db.commit_lock:
        pass
    # ... except one whose timestamp was fixed early by PENDING_COMMIT_TIMESTAMP().
    deadline = time.monotonic() + COMMIT_WAIT_SECONDS
    while any(ts <= at for ts in list(db.committing)) and time.monotonic() < deadline:
        time.sleep(0.001)
