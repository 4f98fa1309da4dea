"""Credentials: OAuth2 tokens for the Admin API and the IAM database login token.

google-auth refreshes synchronously over HTTP; every refresh here runs in a worker thread so the
event loop never blocks on it (the reference refreshes on its loop).
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import datetime as dt
import threading
from typing import Any

import google.auth
import google.auth.exceptions
from google.auth.credentials import Credentials, Scoped
from google.auth.transport.requests import Request
from google.oauth2 import credentials as oauth2

from .errors import ConfigurationError, CredentialsError

CLOUD_PLATFORM_SCOPE = "https://www.googleapis.com/auth/cloud-platform"
LOGIN_SCOPE = "https://www.googleapis.com/auth/sqlservice.login"


def default_credentials(quota_project: str | None = None) -> Credentials:
    """Application Default Credentials, with a clear error when there are none."""
    try:
        creds, _ = google.auth.default(
            scopes=[CLOUD_PLATFORM_SCOPE], quota_project_id=quota_project
        )
    except google.auth.exceptions.DefaultCredentialsError as exc:
        raise CredentialsError(
            "no credentials were given and Application Default Credentials are not set up: "
            "run `gcloud auth application-default login`, set GOOGLE_APPLICATION_CREDENTIALS to "
            f"a service account key file, or pass credentials=... ({exc})"
        ) from exc
    return creds


def login_credentials(creds: Credentials) -> Credentials:
    """Credentials whose token can log in to the database (sqlservice.login scope).

    Scoped credentials are down-scoped on a copy; others (user credentials, static tokens)
    are used as they are.
    """
    if isinstance(creds, Scoped):
        return creds.with_scopes([LOGIN_SCOPE])
    if isinstance(creds, oauth2.Credentials) and creds.refresh_token:
        # User credentials are not `Scoped`, but a refresh may ask for a narrower scope.
        return oauth2.Credentials(
            token=None,
            refresh_token=creds.refresh_token,
            token_uri=creds.token_uri,
            client_id=creds.client_id,
            client_secret=creds.client_secret,
            scopes=[LOGIN_SCOPE],
            quota_project_id=creds.quota_project_id,
        )
    return creds


def _expiry_utc(creds: Credentials) -> dt.datetime | None:
    expiry = getattr(creds, "expiry", None)
    if expiry is None:
        return None
    # google-auth keeps naive UTC datetimes.
    return expiry if expiry.tzinfo else expiry.replace(tzinfo=dt.timezone.utc)


TOKEN_TIMEOUT = 30.0  # seconds for one token refresh (google-auth's own default is 120)


def token_endpoint(creds: Credentials) -> str:
    """Where the credentials refresh their token, for error messages."""
    for attr in ("token_uri", "_token_uri"):
        value = getattr(creds, attr, None)
        if isinstance(value, str) and value:
            return value
    if type(creds).__module__.startswith("google.auth.compute_engine"):
        return "the GCE metadata server"
    return f"the token endpoint of the {type(creds).__name__} credentials"


class _BoundedRequest(Request):
    """google-auth's transport with a bounded timeout (google-auth asks for 120 s)."""

    def __init__(self, timeout: float) -> None:
        super().__init__()
        self._timeout = timeout

    def __call__(
        self,
        url: str,
        method: str = "GET",
        body: Any = None,
        headers: Any = None,
        timeout: float | None = None,
        **kwargs: Any,
    ) -> Any:
        bound = self._timeout if timeout is None else min(timeout, self._timeout)
        return super().__call__(url, method, body, headers, timeout=bound, **kwargs)


class TokenSource:
    """Hands out fresh tokens from google-auth credentials without blocking the loop."""

    def __init__(self, creds: Credentials, timeout: float = TOKEN_TIMEOUT) -> None:
        self._creds = creds
        self._lock = threading.Lock()
        self._timeout = timeout
        self.refreshing = False  # a refresh is under way (to name the culprit of a timeout)
        # The one refresh under way, shared by every caller that needs a token meanwhile: a
        # hung token endpoint then holds one thread, not one per waiting connect.
        self._inflight: concurrent.futures.Future[tuple[str, dt.datetime | None]] | None = None
        self._guard = threading.Lock()  # for _inflight only: never held while refreshing

    def after_fork(self) -> None:
        self._lock = threading.Lock()
        self._guard = threading.Lock()
        self._inflight = None

    @property
    def credentials(self) -> Credentials:
        return self._creds

    def _refresh_blocking(self) -> tuple[str, dt.datetime | None]:
        with self._lock:
            if not self._creds.valid:
                self.refreshing = True
                try:
                    self._creds.refresh(_BoundedRequest(self._timeout))
                except google.auth.exceptions.RefreshError as exc:
                    raise CredentialsError(
                        f"the credentials could not be refreshed ({exc}); they may have expired "
                        "or been revoked: log in again (`gcloud auth application-default login`)"
                        " or supply fresh credentials"
                    ) from exc
                except google.auth.exceptions.TransportError as exc:
                    raise CredentialsError(
                        f"could not refresh the credentials at {token_endpoint(self._creds)} "
                        f"within {self._timeout:g} s: {exc}; check network access to it"
                    ) from exc
                finally:
                    self.refreshing = False
            token = self._creds.token
            if not token:
                raise CredentialsError("the credentials produced no access token")
            expiry = _expiry_utc(self._creds)
            if expiry is not None and expiry <= dt.datetime.now(dt.timezone.utc):
                raise CredentialsError(
                    f"the access token expired at {expiry.isoformat()} and the credentials "
                    "cannot refresh it: supply fresh credentials"
                )
            return token, expiry

    async def token(self) -> tuple[str, dt.datetime | None]:
        """(token, expiry in UTC or None)."""
        if self._creds.valid and self._creds.token:
            expiry = _expiry_utc(self._creds)
            return self._creds.token, expiry
        return await asyncio.wrap_future(self._refresh_started())

    def _refresh_started(self) -> concurrent.futures.Future[tuple[str, dt.datetime | None]]:
        with self._guard:
            if self._inflight is not None and not self._inflight.done():
                return self._inflight
            future: concurrent.futures.Future[tuple[str, dt.datetime | None]]
            future = concurrent.futures.Future()
            self._inflight = future

        def run() -> None:
            # Once running, the future cannot be cancelled: a caller that gives up (an asyncio
            # wait_for cancels the wrapped future) no longer cancels the refresh that other
            # callers share, and the result below can always be set.
            if not future.set_running_or_notify_cancel():
                return  # every caller gave up before the refresh began; the next one starts anew
            try:
                result = self._refresh_blocking()
            except BaseException as exc:  # handed to every waiter
                future.set_exception(exc)
            else:
                future.set_result(result)

        threading.Thread(target=run, name="dbtools-connector-token", daemon=True).start()
        return future

    def in_trouble(self) -> bool:
        """A refresh is under way, or the last one failed: the token endpoint may be why a
        connect ran out of time."""
        future = self._inflight
        if self.refreshing or (future is not None and not future.done()):
            return True
        return future is not None and not future.cancelled() and future.exception() is not None

    def wait_idle(self, timeout: float) -> None:
        """Wait up to `timeout` s for a refresh under way to end (tests, orderly shutdown)."""
        future = self._inflight
        if future is not None:
            concurrent.futures.wait([future], timeout=timeout)

    def universe_domain(self) -> str:
        return str(getattr(self._creds, "universe_domain", "googleapis.com") or "googleapis.com")


def check_universe(creds: Credentials, configured: str) -> None:
    ours = str(getattr(creds, "universe_domain", "googleapis.com") or "googleapis.com")
    if ours != configured:
        raise ConfigurationError(
            f"the credentials belong to universe domain {ours!r} but the connector is set to "
            f"{configured!r}: pass universe_domain={ours!r} or credentials for {configured!r}"
        )


def service_account_email(creds: Any) -> str | None:
    email = getattr(creds, "service_account_email", None)
    return email if isinstance(email, str) and "@" in email else None
