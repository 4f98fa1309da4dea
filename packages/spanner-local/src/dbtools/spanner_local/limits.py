"""Cloud Spanner's commit limits and the messages it gives when they are exceeded."""

from __future__ import annotations

import contextlib
import contextvars
from collections.abc import Iterator

from .errors import InvalidArgument

MAX_MUTATIONS_PER_COMMIT = 80_000
MAX_COMMIT_BYTES = 100 * 1024 * 1024
# STRING(MAX) holds 2,621,440 characters, BYTES(MAX) 10 MiB.
MAX_LENGTH = {"STRING": 2_621_440, "BYTES": 10 * 1024 * 1024}
MAX_SESSIONS_PER_BATCH = 100
# Requests other than commits (queries, DML, reads, admin calls) may be at most 10 MiB, checked
# before any work so that a huge statement cannot make the server allocate for it.
MAX_REQUEST_BYTES = 10 * 1024 * 1024
# Methods that carry mutations: bounded by the commit size instead.
MUTATION_METHODS = frozenset({"Commit", "BatchWrite"})
# gRPC messages must be able to carry a commit that is just over the limit, so that the client
# gets Spanner's INVALID_ARGUMENT rather than a transport error.
MAX_GRPC_MESSAGE_BYTES = 2 * MAX_COMMIT_BYTES

TOO_MANY_MUTATIONS = (
    "The transaction contains too many mutations. Insert and update operations count with the "
    "multiplicity of the number of columns they affect. For example, inserting values into one "
    "key column and four non-key columns count as five mutations total for the insert. Delete "
    "and delete range operations count as one mutation regardless of the number of columns "
    "affected. The total mutation count includes any changes to indexes that the transaction "
    "generates. Please reduce the number of writes, or use fewer indexes. (Maximum number: {max})"
)
TOO_LARGE = (
    "The transaction exceeds the maximum total bytes-size that can be handled by Spanner. "
    "Please reduce the size or number of the writes, or use fewer indexes. (Maximum size: {max})"
)


REQUEST_TOO_LARGE = "Request is too large: {size} bytes. (Maximum size: {max})"


def check_request_size(method: str, size: int) -> None:
    if method not in MUTATION_METHODS and size > MAX_REQUEST_BYTES:
        raise InvalidArgument(REQUEST_TOO_LARGE.format(size=size, max=MAX_REQUEST_BYTES))


def check_mutation_count(count: int) -> None:
    if count > MAX_MUTATIONS_PER_COMMIT:
        raise InvalidArgument(TOO_MANY_MUTATIONS.format(max=MAX_MUTATIONS_PER_COMMIT))


def check_commit_size(size: int) -> None:
    if size > MAX_COMMIT_BYTES:
        raise InvalidArgument(TOO_LARGE.format(max=MAX_COMMIT_BYTES))


# The size on the wire of the request being served (None outside a gRPC call).
_REQUEST_BYTES: contextvars.ContextVar[int | None] = contextvars.ContextVar(
    "request_bytes", default=None
)


@contextlib.contextmanager
def received(size: int) -> Iterator[None]:
    token = _REQUEST_BYTES.set(size)
    try:
        yield
    finally:
        _REQUEST_BYTES.reset(token)


def check_mutations_size(sizes: Iterator[int]) -> None:
    """The commit size limit for mutations whose sizes `sizes` yields. They are part of the
    request being served, so when the whole request is within the limit they are too, and
    their sizes (a re-encoding of each mutation) are not needed."""
    whole = _REQUEST_BYTES.get()
    if whole is None or whole > MAX_COMMIT_BYTES:
        check_commit_size(sum(sizes))
