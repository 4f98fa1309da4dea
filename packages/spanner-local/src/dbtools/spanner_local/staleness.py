"""Timestamp bounds of read-only reads, served exactly or refused.

spanner-local keeps no row versions: a read at a past timestamp T (`exact_staleness`,
`read_timestamp`) returns the current data only when nothing has changed in the database since
T, in which case the current data is the data as of T. Otherwise the read fails with
FAILED_PRECONDITION instead of quietly returning newer data. `max_staleness` and
`min_read_timestamp` allow any timestamp at or after a bound, so a strong read (now) satisfies
them exactly. A read timestamp in the future waits until then, as Spanner does.
"""

from __future__ import annotations

import datetime as dt
import time
from typing import Any

from . import codec, protos
from .errors import FailedPrecondition, InvalidArgument

# Spanner's default version_retention_period.
VERSION_RETENTION = dt.timedelta(hours=1)
MAX_FUTURE_WAIT_SECONDS = 60.0


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
        wait_until(codec.timestamp_from_pb(options.min_read_timestamp))
    return None


def is_exact(options: protos.TransactionOptions.ReadOnly) -> bool:
    return options.WhichOneof("timestamp_bound") in ("read_timestamp", "exact_staleness")


def wait_until(ts: dt.datetime) -> None:
    delay = (ts - dt.datetime.now(dt.timezone.utc)).total_seconds()
    if delay > 0:
        time.sleep(min(delay, MAX_FUTURE_WAIT_SECONDS))


def check(db: Any, at: dt.datetime, retention: dt.timedelta = VERSION_RETENTION) -> None:
    """Refuse a read at `at` unless the current data is exactly the data as of `at`."""
    wait_until(at)
    now = db.clock.now()
    if at < now - retention:
        raise FailedPrecondition(
            f"Read timestamp {codec.format_timestamp(at)} is too old: it is before the "
            f"database's version retention period ({_period(retention)})."
        )
    # A commit whose timestamp is at or before `at` but that has not landed yet must be seen.
    deadline = time.monotonic() + 10
    while any(ts <= at for ts in list(db.committing)) and time.monotonic() < deadline:
        time.sleep(0.001)
    if db.last_change > at:
        raise FailedPrecondition(
            f"spanner-local keeps no version history: the database changed at "
            f"{codec.format_timestamp(db.last_change)}, after the read timestamp "
            f"{codec.format_timestamp(at)}. Read strong, or with max_staleness or "
            "min_read_timestamp, or at a later timestamp."
        )


def _period(retention: dt.timedelta) -> str:
    seconds = int(retention.total_seconds())
    return f"{seconds // 3600}h" if seconds % 3600 == 0 else f"{seconds}s"
