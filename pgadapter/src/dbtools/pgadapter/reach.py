"""Where the proxy's Spanner calls go, and whether anything answers there.

A Spanner client pointed at a closed port does not fail: its calls retry UNAVAILABLE for
minutes. The proxy checks the endpoint with a TCP connection first, so that a client is told
at once, and by name, which endpoint is not answering.
"""

from __future__ import annotations

import asyncio
import os
from urllib.parse import urlsplit

DEFAULT_ENDPOINT = "spanner.googleapis.com:443"


def spanner_address(emulator_host: str | None, endpoint: str | None) -> tuple[str, int]:
    """(host, port) of the Spanner API: the emulator's, the --endpoint's, or Google's."""
    target = emulator_host or endpoint or DEFAULT_ENDPOINT
    if "://" not in target:
        target = "//" + target
    parts = urlsplit(target)
    default_port = 80 if parts.scheme == "http" else 443
    if emulator_host:
        default_port = 9010
    return parts.hostname or "localhost", parts.port or default_port


async def probe(host: str, port: int, timeout: float) -> str | None:
    """None when a TCP connection to host:port opens within `timeout`, else why not."""
    try:
        _, writer = await asyncio.wait_for(asyncio.open_connection(host, port), timeout)
    except asyncio.TimeoutError:
        return f"no answer within {timeout:g} s"
    except OSError as exc:  # asyncio's text ("Connect call failed") does not say why
        return os.strerror(exc.errno) if exc.errno else str(exc)
    writer.close()
    try:
        await asyncio.wait_for(writer.wait_closed(), timeout)
    except (OSError, asyncio.TimeoutError):
        pass
    return None
