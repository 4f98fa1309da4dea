"""Bearer tokens: which ones the emulator accepts, who they stand for, and with what scopes.

Static tokens come from the config; the token endpoint mints short-lived ones from refresh
tokens (the OAuth refresh-token grant that google-auth's user credentials speak).
"""

from __future__ import annotations

import secrets
import threading
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone

from .config import ALL_SCOPES, Config, Token

_PRUNE_ABOVE = 1000  # tokens kept before expired ones are forgotten


@dataclass(frozen=True)
class AccessToken:
    principal: str
    scopes: frozenset[str]
    expiry: datetime | None  # None: never expires (static tokens)

    def expired(self, now: datetime | None = None) -> bool:
        return self.expiry is not None and (now or datetime.now(timezone.utc)) >= self.expiry


class TokenStore:
    """Thread-safe registry of accepted tokens."""

    def __init__(self, config: Config) -> None:
        self._lock = threading.Lock()
        self._lifetime = config.token_lifetime
        self._access: dict[str, AccessToken] = {}
        for tok, spec in config.tokens.items():
            if not isinstance(spec, Token):
                spec = Token(spec)
            self._access[tok] = AccessToken(spec.principal, frozenset(spec.scopes), None)
        self._refresh: dict[str, str] = dict(config.refresh_tokens)

    def lookup(self, token: str) -> AccessToken | None:
        with self._lock:
            return self._access.get(token)

    def add_refresh_token(self, principal: str) -> str:
        refresh = "csl-refresh-" + secrets.token_urlsafe(18)
        with self._lock:
            self._refresh[refresh] = principal
        return refresh

    def add_access_token(
        self,
        principal: str,
        scopes: tuple[str, ...] = ALL_SCOPES,
        lifetime: timedelta | None = None,
    ) -> tuple[str, AccessToken]:
        token = "csl-access-" + secrets.token_urlsafe(24)
        expiry = datetime.now(timezone.utc) + (lifetime or self._lifetime)
        info = AccessToken(principal, frozenset(scopes), expiry)
        with self._lock:
            self._access[token] = info
            if len(self._access) > _PRUNE_ABOVE:
                now = datetime.now(timezone.utc)
                for old in [t for t, i in self._access.items() if i.expired(now)]:
                    del self._access[old]
        return token, info

    def mint(self, refresh_token: str, scopes: tuple[str, ...]) -> tuple[str, AccessToken] | None:
        """Exchange a refresh token for an access token; None if the refresh token is unknown."""
        with self._lock:
            principal = self._refresh.get(refresh_token)
        if principal is None:
            return None
        return self.add_access_token(principal, scopes or ALL_SCOPES)
