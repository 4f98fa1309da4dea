"""Time limits for every connection and query: defaults, parsing, and the messages that name them.

Every network call dvt makes is bounded: connecting (TCP connect, TLS and the login handshake)
by `connect_timeout`, each query by `query_timeout`. Both are seconds, set per connection in the
URL (`?connect_timeout=5&query_timeout=600`) or for the whole run with `dvt --connect-timeout`
/ `--query-timeout`; the URL wins.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from .errors import ConnectionSpecError

DEFAULT_CONNECT_S = 10.0
DEFAULT_QUERY_S = 3600.0  # hashing a large table is one long query: an hour, not forever
URL_KEYS = ("connect_timeout", "query_timeout")


@dataclass(frozen=True)
class Timeouts:
    connect: float = DEFAULT_CONNECT_S
    query: float = DEFAULT_QUERY_S

    def whole_connect_seconds(self) -> int:
        """libpq takes whole seconds (and treats anything below 2 as 2)."""
        return max(2, math.ceil(self.connect))


def seconds(name: str, text: str) -> float:
    """A positive number of seconds from a URL parameter or an option."""
    try:
        value = float(text)
    except ValueError:
        raise ConnectionSpecError(f"{name}={text!r} is not a number of seconds") from None
    if not (value > 0 and math.isfinite(value)):
        raise ConnectionSpecError(f"{name}={text!r} must be a positive number of seconds")
    return value


def connect_hint(t: Timeouts) -> str:
    return (
        f"no answer within the {t.connect:g} s connect timeout; check that the server is "
        "running and reachable at that address (raise the limit with ?connect_timeout=SECONDS "
        "or dvt --connect-timeout)"
    )


def query_hint(t: Timeouts) -> str:
    return (
        f"the query did not finish within the {t.query:g} s query timeout "
        "(raise it with ?query_timeout=SECONDS or dvt --query-timeout)"
    )
