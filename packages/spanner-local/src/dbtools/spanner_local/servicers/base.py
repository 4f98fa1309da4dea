"""Registering servicers on raw protobuf classes, and turning engine errors into gRPC status."""

from __future__ import annotations

import functools
import logging
import random
from collections.abc import Callable, Iterator
from typing import Any

import grpc
from google.protobuf import duration_pb2
from google.rpc import error_details_pb2

from .. import cancellation, limits
from ..errors import Aborted, InvalidArgument, SpannerLocalError

log = logging.getLogger("dbtools.spanner_local")

# The parser recurses once per nesting level: a statement nested deeper than the stack allows
# (parentheses, subqueries, expressions) is the request's fault, not the server's.
TOO_DEEP = (
    "The statement is nested too deeply (parentheses, subqueries or expressions) to be "
    "analyzed. Simplify the statement."
)

# (method name) -> (streaming response?, request class, response class, handler)
MethodTable = dict[str, tuple[bool, Any, Any, Callable[..., Any]]]


def _retry_metadata() -> tuple[tuple[str, bytes], ...]:
    # Without RetryInfo the client backs off 2**attempt seconds; Spanner sends a short delay.
    info = error_details_pb2.RetryInfo(
        retry_delay=duration_pb2.Duration(nanos=random.randint(1, 10) * 1_000_000)
    )
    return (("google.rpc.retryinfo-bin", info.SerializeToString()),)


def fail(context: grpc.ServicerContext, err: SpannerLocalError) -> None:
    if isinstance(err, Aborted):
        context.set_trailing_metadata(_retry_metadata())
    context.abort(err.code, err.message)


class Received(tuple[Any, int]):
    """A request as deserialized, with its size on the wire: protobuf computes a message's
    size by encoding it again, which for a large commit or read cost as much as decoding it."""


def _deserializer(from_bytes: Callable[[bytes], Any]) -> Callable[[bytes], Received]:
    def deserialize(data: bytes) -> Received:
        return Received((from_bytes(data), len(data)))

    return deserialize


def guarded(fn: Callable[..., Any]) -> Callable[..., Any]:
    @functools.wraps(fn)
    def wrapper(received: Received, context: grpc.ServicerContext) -> Any:
        request, size = received
        try:
            limits.check_request_size(fn.__name__, size)
            with cancellation.call_scope(context), limits.received(size):
                return fn(request, context)
        except SpannerLocalError as err:
            fail(context, err)
        except RecursionError:
            fail(context, InvalidArgument(TOO_DEEP))
        except Exception as exc:  # an engine bug must not kill the server thread silently
            if isinstance(exc, grpc.RpcError) or type(exc).__name__ == "_AbortError":
                raise
            log.exception("internal error in %s", fn.__name__)
            context.abort(grpc.StatusCode.INTERNAL, f"spanner-local internal error: {exc!r}")

    return wrapper


def guarded_stream(fn: Callable[..., Iterator[Any]]) -> Callable[..., Iterator[Any]]:
    @functools.wraps(fn)
    def wrapper(received: Received, context: grpc.ServicerContext) -> Iterator[Any]:
        request, size = received
        try:
            limits.check_request_size(fn.__name__, size)
            with cancellation.call_scope(context), limits.received(size):
                yield from fn(request, context)
        except SpannerLocalError as err:
            fail(context, err)
        except RecursionError:
            fail(context, InvalidArgument(TOO_DEEP))
        except Exception as exc:
            if type(exc).__name__ == "_AbortError":
                raise
            log.exception("internal error in %s", fn.__name__)
            context.abort(grpc.StatusCode.INTERNAL, f"spanner-local internal error: {exc!r}")

    return wrapper


def _serialize(to_bytes: Callable[[Any], bytes], message: Any) -> bytes:
    """A streamed response: a message, or one already serialized (see wire)."""
    return message if isinstance(message, bytes) else to_bytes(message)


def generic_handler(service: str, methods: MethodTable) -> grpc.GenericRpcHandler:
    handlers = {}
    for name, (streaming, req_cls, resp_cls, fn) in methods.items():
        if streaming:
            handlers[name] = grpc.unary_stream_rpc_method_handler(
                guarded_stream(fn),
                request_deserializer=_deserializer(req_cls.FromString),
                response_serializer=functools.partial(_serialize, resp_cls.SerializeToString),
            )
        else:
            handlers[name] = grpc.unary_unary_rpc_method_handler(
                guarded(fn),
                request_deserializer=_deserializer(req_cls.FromString),
                response_serializer=resp_cls.SerializeToString,
            )
    return grpc.method_handlers_generic_handler(service, handlers)
