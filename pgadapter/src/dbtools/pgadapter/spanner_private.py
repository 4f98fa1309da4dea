"""Every use of google-cloud-spanner's private API, in one place.

The proxy needs a few things the client library does not export: encoding one query parameter
the way the client does, the metadata and end-of-stream flag of a result set it reads itself,
whether a transaction has begun on Spanner, the client behind a `Database`, and the gRPC
transport's channel (to pass statement_timeout and application_name to Spanner). Each is
reached through a function here and nowhere else, the dependency is bounded (`<4` in
pyproject.toml), and `PRIVATE_NAMES` lists every private name so that a test can check each one
against the installed library and name the one that moved.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterator
from typing import Any

from google.cloud.spanner_v1 import _helpers

# (where, private name): every private attribute this module reaches. A class is named by its
# import path; `tests/pgadapter/test_spanner_private.py` checks each against the library.
PRIVATE_NAMES: tuple[tuple[str, str], ...] = (
    ("google.cloud.spanner_v1._helpers", "_make_value_pb"),
    ("google.cloud.spanner_v1.streamed.StreamedResultSet", "_metadata"),
    ("google.cloud.spanner_v1.streamed.StreamedResultSet", "_done"),
    ("google.cloud.spanner_v1.streamed.StreamedResultSet", "_rows"),
    ("google.cloud.spanner_v1.streamed.StreamedResultSet", "_consume_next"),
    ("google.cloud.spanner_v1.transaction.Transaction", "_transaction_id"),
    ("google.cloud.spanner_v1.snapshot.Snapshot", "_transaction_read_timestamp"),
    ("google.cloud.spanner_v1.database.Database", "_instance"),
    ("google.cloud.spanner_v1.instance.Instance", "_client"),
    ("google.cloud.spanner_v1.client.Client", "_client_info"),
    ("google.cloud.spanner_v1.services.spanner.client.SpannerClient", "_transport"),
    ("google.cloud.spanner_v1.services.spanner.transports.grpc.SpannerGrpcTransport", "_stubs"),
    (
        "google.cloud.spanner_v1.services.spanner.transports.grpc.SpannerGrpcTransport",
        "_logged_channel",
    ),
    (
        "google.cloud.spanner_v1.services.spanner.transports.grpc.SpannerGrpcTransport",
        "_prep_wrapped_messages",
    ),
)


def make_value_pb(value: Any) -> Any:
    """One query parameter as the client encodes it (a protobuf `Value`)."""
    return _helpers._make_value_pb(value)


def result_metadata(rs: Any) -> Any:
    """The ResultSetMetadata of a StreamedResultSet's first response, or None before it."""
    return rs._metadata


def result_read_timestamp(rs: Any) -> tuple[int, int] | None:
    """The read timestamp a single-use read-only query's first response reported, as the
    protobuf Timestamp's (seconds, nanos) (see timestamp_datetime), or None (no response yet,
    or the query ran in a transaction already begun). Every autocommit query notes it and few
    sessions ever show it: protobuf's ToDatetime is pure Python and cost more than the rest
    of this."""
    metadata = rs._metadata
    if metadata is None:
        return None
    pb = getattr(metadata, "_pb", metadata)
    if not pb.HasField("transaction") or not pb.transaction.HasField("read_timestamp"):
        return None
    ts = pb.transaction.read_timestamp
    return ts.seconds, ts.nanos


_EPOCH = dt.datetime(1970, 1, 1, tzinfo=dt.timezone.utc)


def timestamp_datetime(parts: tuple[int, int]) -> dt.datetime:
    """A protobuf Timestamp's (seconds, nanos) as a UTC datetime, its nanoseconds cut to
    microseconds as protobuf's ToDatetime does."""
    seconds, nanos = parts
    return _EPOCH + dt.timedelta(seconds=seconds, microseconds=nanos // 1000)


def snapshot_read_timestamp(snap: Any) -> Any:
    """The read timestamp Spanner chose when a multi-use read-only snapshot began, or None."""
    return getattr(snap, "_transaction_read_timestamp", None)


def result_done(rs: Any) -> bool:
    """Whether a StreamedResultSet has read the response marked `last`."""
    return bool(rs._done)


def result_rows(rs: Any) -> Iterator[list[Any]]:
    """The rows of a StreamedResultSet, as iterating it yields them. Its own iterator takes
    each row with `list.pop(0)` from the rows of a response (thousands of them), a copy of
    the rest per row; here a response's rows are taken at once."""
    while True:
        rows = rs._rows
        if rows:
            rs._rows = []
            yield from rows
        if rs._done:
            return
        try:
            rs._consume_next()
        except StopIteration:
            return


def transaction_begun(txn: Any) -> bool:
    """Whether a client Transaction has an id on Spanner (so there is something to roll back)."""
    return getattr(txn, "_transaction_id", None) is not None


def instance_of(database: Any) -> Any:
    """The Instance a client Database belongs to."""
    return database._instance


def client_of(database: Any) -> Any:
    """The Client a client Database was made from."""
    return database._instance._client


def intercept_transport(database: Any, wrap: Callable[[Any], Any]) -> bool:
    """Put `wrap(channel)` in place of the gRPC channel of `database`'s Spanner API and rebuild
    the client's stubs on it. False when the transport is not the gRPC one this was written for
    (the caller then carries on without it)."""
    transport: Any = getattr(database.spanner_api, "_transport", None)
    if not hasattr(transport, "_logged_channel") or not hasattr(transport, "_stubs"):
        return False
    transport._logged_channel = wrap(transport._logged_channel)
    transport._stubs.clear()
    transport._prep_wrapped_messages(client_of(database)._client_info)
    return True


def spanner_transport(database: Any) -> Any:
    """The transport object of `database`'s Spanner API (None if the client has none)."""
    return getattr(database.spanner_api, "_transport", None)
