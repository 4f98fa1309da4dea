"""An async client for the two Cloud SQL Admin API calls a connector needs.

Transient failures (5xx, dropped connections) are retried with jittered exponential backoff
within the caller's deadline. 429 is *not* retried: it means the project is over quota, and
retrying only burns more of it; it is raised at once as `QuotaExceededError` with advice.
"""

from __future__ import annotations

import asyncio
import json
import random
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import aiohttp

from .auth import TokenSource
from .errors import (
    AdminAPIError,
    ConnectorError,
    ConnectTimeoutError,
    CredentialsError,
    InstanceNotFoundError,
    QuotaExceededError,
)
from .instance import InstanceName
from .version import __version__

API_VERSION = "v1beta4"


@dataclass
class RetryPolicy:
    attempts: int = 6  # the first try and five retries
    base: float = 0.2
    factor: float = 1.618
    max_delay: float = 10.0

    def delay(self, retry: int) -> float:
        """Backoff before retry number `retry` (0-based), jittered upwards."""
        return min(self.max_delay, self.base * self.factor ** (retry + random.random()))


@dataclass
class AdminClientConfig:
    endpoint: str
    user_agent: str
    quota_project: str | None = None
    retry: RetryPolicy = field(default_factory=RetryPolicy)


def _error_message(body: bytes) -> tuple[str, str]:
    """(message, status) from a Google API error body; the raw text when it is not JSON."""
    try:
        data = json.loads(body)
        err = data.get("error", {}) if isinstance(data, dict) else {}
        if isinstance(err, dict):
            return str(err.get("message") or body.decode(errors="replace")), str(
                err.get("status", "")
            )
        return str(err), ""
    except ValueError:
        return body.decode(errors="replace")[:500], ""


def _retry_after(headers: Mapping[str, str]) -> float | None:
    value = headers.get("Retry-After")
    try:
        return float(value) if value is not None else None
    except ValueError:
        return None


class AdminAPIClient:
    """connectSettings and generateEphemeralCert; one aiohttp session per event loop."""

    def __init__(self, config: AdminClientConfig, tokens: TokenSource) -> None:
        self._config = config
        self._tokens = tokens
        self._session: aiohttp.ClientSession | None = None

    @property
    def endpoint(self) -> str:
        return self._config.endpoint.rstrip("/")

    def _session_for_loop(self) -> aiohttp.ClientSession:
        if self._session is None or self._session.closed:
            self._session = aiohttp.ClientSession(
                connector=aiohttp.TCPConnector(limit=50, ttl_dns_cache=300),
            )
        return self._session

    def forget_session(self) -> None:
        """After a fork: the session belongs to the parent's loop; never touch it again."""
        self._session = None

    async def close(self) -> None:
        if self._session is not None and not self._session.closed:
            await self._session.close()

    async def _headers(self) -> dict[str, str]:
        token, _ = await self._tokens.token()
        headers = {
            "Authorization": f"Bearer {token}",
            "User-Agent": self._config.user_agent,
            "x-goog-api-client": self._config.user_agent,
        }
        if self._config.quota_project:
            headers["x-goog-user-project"] = self._config.quota_project
        return headers

    async def _call(
        self,
        method: str,
        path: str,
        name: InstanceName,
        *,
        body: dict[str, Any] | None = None,
        deadline: float,
    ) -> dict[str, Any]:
        url = f"{self.endpoint}/sql/{API_VERSION}/{path}"
        policy = self._config.retry
        last: ConnectorError | None = None
        for attempt in range(policy.attempts):
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                break
            try:
                headers = await self._headers()
                session = self._session_for_loop()
                async with session.request(
                    method,
                    url,
                    json=body,
                    headers=headers,
                    timeout=aiohttp.ClientTimeout(total=remaining),
                ) as resp:
                    raw = await resp.read()
                    if resp.status < 300:
                        data = json.loads(raw) if raw else {}
                        return data if isinstance(data, dict) else {}
                    message, status = _error_message(raw)
                    error = self._error_for(resp.status, status, message, resp.headers, name)
                    if resp.status < 500:
                        raise error
                    last = error
            except asyncio.TimeoutError:
                last = ConnectTimeoutError(
                    f"the Cloud SQL Admin API at {self.endpoint} did not answer for {name} within "
                    "the connect timeout; check network access to the endpoint (or the admin "
                    "API endpoint option), or raise timeout= if it is just slow"
                )
            except (aiohttp.ClientError, ConnectionError) as exc:
                last = AdminAPIError(
                    f"could not reach the Cloud SQL Admin API at {self.endpoint} ({exc}); "
                    "check network access to the endpoint (or the admin API endpoint option)"
                )
            if attempt + 1 < policy.attempts:
                pause = policy.delay(attempt)
                if time.monotonic() + pause >= deadline:
                    break
                await asyncio.sleep(pause)
        if last is None:
            raise ConnectTimeoutError(
                f"no answer from the Cloud SQL Admin API at {self.endpoint} for {name} before "
                "the connect deadline; check network access to the endpoint"
            )
        raise last

    def _error_for(
        self,
        http_status: int,
        status: str,
        message: str,
        headers: Mapping[str, str],
        name: InstanceName,
    ) -> ConnectorError:
        prefix = f"Cloud SQL Admin API error for {name} (HTTP {http_status}"
        prefix += f" {status})" if status else ")"
        message = message.rstrip(". ")  # Google's messages often end in "."; ours add one
        if http_status == 429:
            retry_after = _retry_after(headers)
            hint = f" The API asks to retry after {retry_after:g} s." if retry_after else ""
            return QuotaExceededError(
                f"{prefix}: quota exceeded: {message}.{hint} Share one Connector per process "
                "(each Connector refreshes certificates on its own), prefer the lazy refresh "
                "strategy on serverless platforms, or ask for more Admin API quota for the "
                "project billed (quota_project)",
                retry_after=retry_after,
            )
        if http_status in (403, 404):
            return InstanceNotFoundError(
                f"{prefix}: {message}. Check that instance {name.instance!r} exists in project "
                f"{name.project!r} and that the credentials have the Cloud SQL Client role "
                "(cloudsql.instances.connect)",
                status=http_status,
                reason=status,
            )
        if http_status == 401:
            return CredentialsError(
                f"{prefix}: {message}. The access token was rejected: it may have expired or "
                "been revoked; supply fresh credentials"
            )
        return AdminAPIError(f"{prefix}: {message}", status=http_status, reason=status)

    async def connect_settings(self, name: InstanceName, *, deadline: float) -> dict[str, Any]:
        path = f"projects/{name.project}/instances/{name.instance}/connectSettings"
        return await self._call("GET", path, name, deadline=deadline)

    async def generate_ephemeral_cert(
        self,
        name: InstanceName,
        public_key_pem: str,
        *,
        login_token: str | None,
        deadline: float,
    ) -> dict[str, Any]:
        path = f"projects/{name.project}/instances/{name.instance}:generateEphemeralCert"
        body: dict[str, Any] = {"public_key": public_key_pem}
        if login_token:
            body["access_token"] = login_token
        return await self._call("POST", path, name, body=body, deadline=deadline)


def default_user_agent(extra: str | None = None) -> str:
    agent = f"dbtools-connector/{__version__}"
    return f"{agent} {extra}" if extra else agent
