"""Tags that come from where the code runs: a web request (set by the middlewares) or a block of
code (`tagged(...)`). Both live in context variables, so they follow threads' and asyncio tasks'
own contexts and never leak between concurrent requests.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from contextvars import ContextVar, Token

__all__ = [
    "RequestContext",
    "current_block_tags",
    "current_request",
    "request_context",
    "reset_request",
    "set_request",
    "tagged",
]

_BLOCK: ContextVar[Mapping[str, object] | None] = ContextVar(
    "dbtools_sqlcommenter_block", default=None
)
_REQUEST: ContextVar[RequestContext | None] = ContextVar(
    "dbtools_sqlcommenter_request", default=None
)


class RequestContext:
    """The request-level keys of one request: `framework`, `route`, `controller`, `action`.

    Middlewares usually learn the route only after URL routing, which happens after they run, so
    `resolve` is called lazily when a statement needs the keys; once it returns a route the answer
    is kept for the rest of the request.
    """

    __slots__ = ("_done", "_resolve", "_tags")

    def __init__(
        self,
        tags: Mapping[str, str | None] | None = None,
        resolve: Callable[[], Mapping[str, str | None] | None] | None = None,
    ) -> None:
        self._tags: dict[str, str] = {k: v for k, v in (tags or {}).items() if v is not None}
        self._resolve = resolve
        self._done = resolve is None

    def update(self, **tags: str | None) -> None:
        """Set keys for the rest of the request (e.g. from a view: `action="export"`)."""
        self._tags.update({k: v for k, v in tags.items() if v is not None})

    def tags(self) -> dict[str, str]:
        if not self._done and self._resolve is not None:
            found = self._resolve()
            if found:
                for key, value in found.items():
                    if value is not None:
                        self._tags.setdefault(key, value)
                self._done = "route" in self._tags
        return self._tags


def current_request() -> RequestContext | None:
    """The request context a middleware set for the code running now, if any."""
    return _REQUEST.get()


def set_request(ctx: RequestContext) -> Token[RequestContext | None]:
    """Make `ctx` the current request; give the token to `reset_request` when it ends."""
    return _REQUEST.set(ctx)


def reset_request(token: Token[RequestContext | None]) -> None:
    _REQUEST.reset(token)


@contextmanager
def request_context(**tags: str | None) -> Iterator[RequestContext]:
    """Request keys for a framework without a ready-made middleware.

    >>> with request_context(framework="bottle:0.13", route="/users/<id>"):
    ...     ...  # statements issued here carry framework= and route=
    """
    ctx = RequestContext(tags)
    token = _REQUEST.set(ctx)
    try:
        yield ctx
    finally:
        _REQUEST.reset(token)


def current_block_tags() -> Mapping[str, object] | None:
    return _BLOCK.get()


@contextmanager
def tagged(tags: Mapping[str, object] | None = None, /, **more: object) -> Iterator[None]:
    """Add keys to every statement issued inside the block (threads and asyncio tasks alike).

    Blocks nest; inner keys win. `None` removes a key set by an outer block.

    >>> with tagged(job="nightly-report"):
    ...     conn.execute(...)   # /*...,job='nightly-report',...*/
    """
    merged: dict[str, object] = dict(_BLOCK.get() or {})
    merged.update(tags or {})
    merged.update(more)
    token = _BLOCK.set({k: v for k, v in merged.items() if v is not None})
    try:
        yield
    finally:
        _BLOCK.reset(token)
