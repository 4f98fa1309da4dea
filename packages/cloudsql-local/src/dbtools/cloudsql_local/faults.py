"""Fault knobs: make the emulator misbehave the ways real Cloud SQL sometimes does.

One `Faults` object per emulator (`emu.faults`); change it at any time from any thread.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from datetime import timedelta

OPERATIONS = ("connectSettings", "generateEphemeralCert")

_STATUS_TEXT = {
    400: "INVALID_ARGUMENT",
    401: "UNAUTHENTICATED",
    403: "PERMISSION_DENIED",
    404: "NOT_FOUND",
    409: "ABORTED",
    429: "RESOURCE_EXHAUSTED",
    500: "INTERNAL",
    502: "UNAVAILABLE",
    503: "UNAVAILABLE",
    504: "DEADLINE_EXCEEDED",
}


def status_name(code: int) -> str:
    return _STATUS_TEXT.get(code, "UNKNOWN")


@dataclass
class _Failure:
    status: int
    remaining: int | None  # None: until cleared
    operation: str | None  # None: every Admin API operation
    message: str


@dataclass
class Faults:
    """Knobs (all off by default).

    - `latency`: seconds between the emulator and its clients, added where a distant server
      adds them: to every Admin API response, and to every TLS handshake at the proxies (the
      ServerHello is held back, so a client that handshakes on one thread at a time waits
      once per connection). Per instance, `Instance.latency` adds to it.
    - `fail_admin(status, times=..., operation=...)`: the next `times` Admin API calls (or all,
      with `times=None`) answer `status` (e.g. 503, 429) with a Google-style error body.
    - `cert_lifetime`: lifetime of ephemeral client certs issued from now on (default: the
      config's, one hour). `expired_certs=True` issues certs that have already expired.
    - `wrong_server_identity=True`: the proxy presents a certificate, chained to the right CA,
      for another instance: legacy instances get CN `project:wrong-instance`; CAS instances get
      a different DNS SAN with this instance's own CN `project:instance` (an impostor that only
      a check by DNS name catches).
    - `refuse_connections=True`: the proxy hangs up on new connections before TLS (an instance
      that is down or restarting); open sessions are not touched (`emu.close_connections()`).
    """

    latency: float = 0.0  # seconds; see the class docstring
    cert_lifetime: timedelta | None = None
    expired_certs: bool = False
    wrong_server_identity: bool = False
    refuse_connections: bool = False
    _failures: list[_Failure] = field(default_factory=list, repr=False)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def fail_admin(
        self,
        status: int = 503,
        *,
        times: int | None = 1,
        operation: str | None = None,
        message: str | None = None,
    ) -> None:
        if operation is not None and operation not in OPERATIONS:
            raise ValueError(f"operation must be one of {OPERATIONS} or None, got {operation!r}")
        if not 400 <= status <= 599:
            raise ValueError(f"status must be an HTTP error status (4xx/5xx), got {status}")
        text = message or (
            "Quota exceeded for quota metric 'Connect Queries' (cloudsql-local fault)"
            if status == 429
            else f"cloudsql-local injected {status} {status_name(status)}"
        )
        with self._lock:
            self._failures.append(_Failure(status, times, operation, text))

    def take_admin_failure(self, operation: str) -> tuple[int, str] | None:
        """The injected failure for this call, if any (consumes one of its `times`)."""
        with self._lock:
            for failure in self._failures:
                if failure.operation not in (None, operation):
                    continue
                if failure.remaining is not None:
                    failure.remaining -= 1
                    if failure.remaining <= 0:
                        self._failures.remove(failure)
                return failure.status, failure.message
        return None

    def clear(self) -> None:
        """Turn every knob off."""
        with self._lock:
            self._failures.clear()
        self.latency = 0.0
        self.cert_lifetime = None
        self.expired_certs = False
        self.wrong_server_identity = False
        self.refuse_connections = False
