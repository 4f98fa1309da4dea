"""The certificate cache of one (instance, IAM) pair, with its refresh strategy.

Runs on the connector's event loop. `current` may be read from any thread: it is replaced
atomically, so the sync connect path can use a fresh result without a hop to the loop.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable

from .admin_api import AdminAPIError
from .connection_info import ConnectionInfo
from .errors import ConnectTimeoutError, CredentialsError
from .options import RefreshStrategy
from .schedule import REFRESH_BUFFER, TokenBucket, needs_refresh, refresh_delay
from .telemetry import Telemetry


def is_transient(exc: BaseException) -> bool:
    """Errors worth retrying in the background: server-side or network trouble."""
    if isinstance(exc, AdminAPIError):
        return exc.status is None or exc.status >= 500
    return isinstance(exc, (ConnectTimeoutError, OSError, asyncio.TimeoutError, CredentialsError))


class RefreshCache:
    def __init__(
        self,
        label: str,
        fetch: Callable[[float], Awaitable[ConnectionInfo]],
        *,
        strategy: RefreshStrategy,
        limiter: TokenBucket,
        buffer: float = REFRESH_BUFFER,
        refresh_timeout: float = 60.0,
        telemetry: Telemetry | None = None,
    ) -> None:
        self._telemetry = telemetry or Telemetry()
        self._label = label
        self._fetch = fetch
        self._strategy = strategy
        self._limiter = limiter
        self._buffer = buffer
        self._refresh_timeout = refresh_timeout
        self.current: ConnectionInfo | None = None
        self._stale = False
        self._inflight: asyncio.Task[ConnectionInfo] | None = None
        self._timer: asyncio.TimerHandle | None = None
        self._closed = False
        self.refreshes = 0  # completed fetches, for tests and diagnostics

    def usable(self, info: ConnectionInfo | None) -> bool:
        """Can `info` be dialled with now, without waiting for a refresh?"""
        if info is None or self._stale:
            return False
        remaining = info.remaining()
        if remaining <= 0:
            return False
        if self._strategy is RefreshStrategy.LAZY:
            return not needs_refresh(remaining, info.lifetime, self._buffer)
        return True

    async def get(self) -> ConnectionInfo:
        info = self.current
        if self.usable(info):
            assert info is not None
            return info
        # A connect is waiting: no rate-limit pause (that would only eat its deadline).
        return await asyncio.shield(self._ensure_refresh(limited=False))

    def force_refresh(self) -> None:
        """After a failed connect: the certificate may be the reason, fetch a new one soon.

        Rate-limited without waiting: when a refresh happened just now, the request is dropped
        (a wrong password would otherwise turn every connect into two Admin API calls)."""
        if self._closed or not self._limiter.try_take():
            return
        if self._strategy is RefreshStrategy.LAZY:
            self._stale = True
        else:
            self._ensure_refresh(limited=False)

    def _ensure_refresh(self, limited: bool = True) -> asyncio.Task[ConnectionInfo]:
        if self._inflight is None or self._inflight.done():
            self._inflight = asyncio.ensure_future(self._refresh(limited))
            # A background refresh may fail with nobody awaiting it; mark the error retrieved.
            self._inflight.add_done_callback(lambda t: t.cancelled() or t.exception())
        return self._inflight

    async def _refresh(self, limited: bool) -> ConnectionInfo:
        # Scheduled refreshes (ahead of expiry, retries after failures) respect the limiter,
        # which bounds how often one instance can be refreshed whatever the certificates say.
        wait = self._limiter.take() if limited else 0.0
        if wait > 0:
            await asyncio.sleep(wait)
        started = time.monotonic()
        with self._telemetry.tracer.start_as_current_span(
            "dbtools.connector.refresh", attributes={"instance": self._label}
        ) as span:
            try:
                info = await self._fetch(started + self._refresh_timeout)
            except BaseException as exc:
                self._telemetry.refresh_count.add(1, {"instance": self._label, "status": "failure"})
                span.record_exception(exc)
                self._after_failure(exc)
                raise
        self._telemetry.refresh_count.add(1, {"instance": self._label, "status": "success"})
        self._telemetry.refresh_latency.record(
            (time.monotonic() - started) * 1000, {"instance": self._label}
        )
        self.refreshes += 1
        self.current = info
        self._stale = False
        if self._strategy is RefreshStrategy.BACKGROUND and not self._closed:
            self._schedule(refresh_delay(info.remaining(), self._buffer))
        return info

    def _after_failure(self, exc: BaseException) -> None:
        if self._closed or self._strategy is RefreshStrategy.LAZY:
            return
        if isinstance(exc, asyncio.CancelledError):
            return
        info = self.current
        # Keep trying while the failure looks temporary; the limiter spaces the attempts.
        if is_transient(exc):
            delay = 0.0 if info is None else min(refresh_delay(info.remaining(), self._buffer), 5)
            self._schedule(max(delay, 1.0))

    def _schedule(self, delay: float) -> None:
        if self._timer is not None:
            self._timer.cancel()
        loop = asyncio.get_running_loop()
        self._timer = loop.call_later(delay, self._ensure_refresh)

    async def close(self) -> None:
        self._closed = True
        if self._timer is not None:
            self._timer.cancel()
        if self._inflight is not None and not self._inflight.done():
            self._inflight.cancel()
            try:
                await self._inflight
            except BaseException:
                pass
