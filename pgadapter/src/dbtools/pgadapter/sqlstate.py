"""gRPC status → PostgreSQL SQLSTATE, as data.

Spanner reports errors as gRPC status codes with a message; PostgreSQL clients branch on the
SQLSTATE (psycopg's exception classes, SQLAlchemy's retry logic, ORMs' unique-violation handling),
so every code gets the closest class, refined by the message where Spanner folds several PG
conditions into one code (NOT_FOUND for tables, columns and databases alike, for example).
"""

from __future__ import annotations

import re
from typing import Any

from .errors import PgError

# gRPC status code number → (name, default SQLSTATE).
GRPC_TO_SQLSTATE: dict[int, tuple[str, str]] = {
    0: ("OK", "00000"),
    1: ("CANCELLED", "57014"),  # query_canceled
    2: ("UNKNOWN", "XX000"),  # internal_error
    3: ("INVALID_ARGUMENT", "42000"),  # syntax_error_or_access_rule_violation
    4: ("DEADLINE_EXCEEDED", "57014"),  # PG reports statement_timeout as query_canceled
    5: ("NOT_FOUND", "42704"),  # undefined_object
    6: ("ALREADY_EXISTS", "23505"),  # unique_violation
    7: ("PERMISSION_DENIED", "42501"),  # insufficient_privilege
    8: ("RESOURCE_EXHAUSTED", "53000"),  # insufficient_resources
    9: ("FAILED_PRECONDITION", "55000"),  # object_not_in_prerequisite_state
    10: ("ABORTED", "40001"),  # serialization_failure: clients retry on it
    11: ("OUT_OF_RANGE", "22003"),  # numeric_value_out_of_range
    12: ("UNIMPLEMENTED", "0A000"),  # feature_not_supported
    13: ("INTERNAL", "XX000"),  # internal_error
    14: ("UNAVAILABLE", "08006"),  # connection_failure
    15: ("DATA_LOSS", "XX001"),  # data_corrupted
    16: ("UNAUTHENTICATED", "28000"),  # invalid_authorization_specification
}

# (gRPC code names or "*", message regex, SQLSTATE): first match wins, checked before the default.
MESSAGE_RULES: tuple[tuple[frozenset[str] | None, re.Pattern[str], str], ...] = tuple(
    (frozenset(codes) if codes else None, re.compile(pattern, re.IGNORECASE), state)
    for codes, pattern, state in (
        (("NOT_FOUND",), r"database.*not found|database .* does not exist", "3D000"),
        # before the constraint rules: a syntax error quoting "FOREIGN KEY" or "NOT NULL" (DDL)
        # is a syntax error, not a violation
        (None, r"syntax error|parse error|unexpected token|mismatched input", "42601"),
        (None, r"(table|relation) .*(not found|does not exist)", "42P01"),
        (None, r"unrecognized name|column .*(not found|does not exist)", "42703"),
        (None, r"function .*(not found|does not exist)|no function matches", "42883"),
        (None, r"(schema|namespace) .*(not found|does not exist)", "3F000"),
        (None, r"index .*(not found|does not exist)", "42704"),
        (("NOT_FOUND",), r"row .*not found", "02000"),
        (("ALREADY_EXISTS",), r"row .*already exists", "23505"),
        (("ALREADY_EXISTS", "FAILED_PRECONDITION"), r"duplicate name in schema", "42P07"),
        (("ALREADY_EXISTS",), r"(table|relation|index) .*already exists", "42P07"),
        (None, r"foreign key", "23503"),
        (None, r"(cannot be null|not[ -]null|null value)", "23502"),
        (None, r"check constraint", "23514"),
        (None, r"unique|duplicate key|already exists", "23505"),
        (None, r"read[- ]only transaction", "25006"),
        (None, r"division by zero|divide by zero", "22012"),
        (None, r"invalid input syntax|could not parse|invalid (timestamp|date|number)", "22P02"),
        (None, r"out of range|overflow", "22003"),
        (
            None,
            r"(type mismatch|cannot (be )?(cast|coerce)|operator does not exist|no matching signature)",
            "42804",
        ),
        (
            ("RESOURCE_EXHAUSTED", "INVALID_ARGUMENT"),
            r"too many mutations|mutation limit|exceeds the maximum",
            "54000",
        ),
        (("FAILED_PRECONDITION", "ABORTED"), r"transaction .*(aborted|no longer valid)", "40001"),
    )
)


def sqlstate_for(code: int, message: str) -> str:
    """The SQLSTATE for a gRPC status code and its message."""
    name, default = GRPC_TO_SQLSTATE.get(code, ("UNKNOWN", "XX000"))
    if name in (
        "ABORTED",
        "CANCELLED",
        "DEADLINE_EXCEEDED",
        "UNAUTHENTICATED",
        "PERMISSION_DENIED",
    ):
        return default  # the code itself is precise; messages would only mislead
    for codes, pattern, state in MESSAGE_RULES:
        if (codes is None or name in codes) and pattern.search(message):
            return state
    return default


_HINTS: dict[str, str] = {
    "40001": "The Spanner transaction was aborted by a concurrent one; retry the transaction.",
    "08006": "Spanner is unreachable; check the endpoint/emulator address and retry.",
    "28000": "Check the credentials given to pgadapter (--credentials or the password sent).",
    "42501": "The credentials lack the Spanner IAM permission for this operation.",
}


def _grpc_code_number(exc: BaseException) -> int | None:
    """Find the gRPC code of a google.api_core or grpc exception, without importing them here."""
    grpc_code = getattr(exc, "grpc_status_code", None)
    if grpc_code is not None:
        value = getattr(grpc_code, "value", None)
        if isinstance(value, tuple):
            return int(value[0])
    code = getattr(exc, "code", None)
    if callable(code):
        try:
            code = code()
        except Exception:
            code = None
    value = getattr(code, "value", None)
    if isinstance(value, tuple) and value and isinstance(value[0], int):
        return value[0]
    return None


_REQUEST_ID = re.compile(r",? request_id = [\d.]+\s*$")


def _message_of(exc: BaseException) -> str:
    msg: Any = getattr(exc, "message", None)
    if not isinstance(msg, str) or not msg:
        details = getattr(exc, "details", None)
        msg = details() if callable(details) else str(exc)
    # the client appends its request id for support cases; PG clients show messages verbatim
    return _REQUEST_ID.sub("", str(msg))


def pg_error_from(exc: BaseException) -> PgError:
    """Turn any exception raised by the Spanner client into a PgError for the client."""
    if isinstance(exc, PgError):
        return exc
    code = _grpc_code_number(exc)
    message = _message_of(exc)
    if code is None:
        if isinstance(exc, ValueError):
            return PgError(message, "22023")  # invalid_parameter_value (rejected client-side)
        return PgError(message or type(exc).__name__, "XX000")
    state = sqlstate_for(code, message)
    name = GRPC_TO_SQLSTATE.get(code, ("UNKNOWN", ""))[0]
    return PgError(
        message.strip() or name,
        state,
        detail=f"Spanner status {name}",
        hint=_HINTS.get(state),
    )
