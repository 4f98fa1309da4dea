"""When to refresh a certificate, and how often we may: pure logic, no I/O."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field

# Refresh this long before expiry (the reference connectors use 4 minutes).
REFRESH_BUFFER = 240.0


def refresh_delay(remaining: float, buffer: float = REFRESH_BUFFER) -> float:
    """Seconds to wait before refreshing a certificate that has `remaining` seconds left.

    Long-lived results refresh at half-life; otherwise `buffer` before expiry. A result that
    lives less than the buffer refreshes at half of what is left, rather than at once, so very
    short-lived certificates (or tokens) do not turn into a refresh loop.
    """
    if remaining <= 0:
        return 0.0
    if remaining >= 3600:
        return remaining / 2
    if remaining > 2 * buffer:
        return remaining - buffer
    return remaining / 2


def needs_refresh(remaining: float, lifetime: float, buffer: float = REFRESH_BUFFER) -> bool:
    """Lazy strategy: is a result with `remaining` of `lifetime` seconds left too old to use?"""
    margin = buffer if lifetime > 2 * buffer else lifetime / 2
    return remaining <= margin


@dataclass
class TokenBucket:
    """A rate limiter: `burst` tokens, one more every `interval` seconds."""

    burst: int = 2
    interval: float = 30.0
    clock: Callable[[], float] = time.monotonic
    _tokens: float = field(init=False)
    _stamp: float = field(init=False)

    def __post_init__(self) -> None:
        self._tokens = float(self.burst)
        self._stamp = self.clock()

    def _fill(self) -> None:
        now = self.clock()
        if self.interval <= 0:
            self._tokens = float(self.burst)
        else:
            self._tokens = min(self.burst, self._tokens + (now - self._stamp) / self.interval)
        self._stamp = now

    def wait_time(self) -> float:
        """Seconds until a token is available (0 when one is)."""
        self._fill()
        return 0.0 if self._tokens >= 1 else (1 - self._tokens) * self.interval

    def try_take(self) -> bool:
        """Take a token only if one is available now."""
        if self.wait_time() > 0:
            return False
        self._tokens -= 1
        return True

    def take(self) -> float:
        """Take a token, returning how long the caller must wait before using it."""
        wait = self.wait_time()
        self._tokens -= 1
        return wait
