"""The exception hierarchy of spanner-local.

Every error the engine raises carries the gRPC status code that Cloud Spanner would answer with,
so that servicers only translate, never decide.
"""

from __future__ import annotations

import grpc


class SpannerLocalError(Exception):
    """Base class: an error with the gRPC status code Cloud Spanner uses for it."""

    code: grpc.StatusCode = grpc.StatusCode.UNKNOWN

    def __init__(self, message: str, code: grpc.StatusCode | None = None) -> None:
        super().__init__(message)
        if code is not None:
            self.code = code

    @property
    def message(self) -> str:
        return str(self.args[0]) if self.args else ""


class InvalidArgument(SpannerLocalError):
    code = grpc.StatusCode.INVALID_ARGUMENT


class NotFound(SpannerLocalError):
    code = grpc.StatusCode.NOT_FOUND


class AlreadyExists(SpannerLocalError):
    code = grpc.StatusCode.ALREADY_EXISTS


class FailedPrecondition(SpannerLocalError):
    code = grpc.StatusCode.FAILED_PRECONDITION


class Aborted(SpannerLocalError):
    """A conflicting concurrent transaction won; the client retries the whole transaction."""

    code = grpc.StatusCode.ABORTED


class OutOfRange(SpannerLocalError):
    code = grpc.StatusCode.OUT_OF_RANGE


class Cancelled(SpannerLocalError):
    code = grpc.StatusCode.CANCELLED


class DdlError(SpannerLocalError):
    """A DDL statement that Cloud Spanner would reject."""

    code = grpc.StatusCode.FAILED_PRECONDITION


class DdlSyntaxError(DdlError):
    code = grpc.StatusCode.INVALID_ARGUMENT
