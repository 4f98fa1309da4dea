"""SCRAM-SHA-256 client side (RFC 5802 / RFC 7677, no channel binding), as PostgreSQL speaks it.

The proxy uses it to log in to a backend role whose password is stored as SCRAM. Pure logic.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets

MECHANISM = "SCRAM-SHA-256"


class ScramError(ValueError):
    """The server's SCRAM messages are malformed or do not prove it knows the password."""


def _hmac(key: bytes, msg: bytes) -> bytes:
    return hmac.new(key, msg, hashlib.sha256).digest()


def _fields(message: str) -> dict[str, str]:
    out = {}
    for part in message.split(","):
        key, sep, value = part.partition("=")
        if not sep or len(key) != 1:
            raise ScramError(f"malformed SCRAM attribute {part!r}")
        out[key] = value
    return out


class ScramClient:
    """One SCRAM exchange: `first()`, then `final(server_first)`, then `verify(server_final)`."""

    def __init__(self, password: str, nonce: str | None = None, user: str = "") -> None:
        self._password = password.encode()
        self._nonce = nonce or secrets.token_urlsafe(18)
        # PostgreSQL takes the user from the startup packet, so by default the SCRAM user name is
        # empty. (Passwords are used as given: SASLprep changes only non-ASCII ones.)
        self._first_bare = f"n={user},r={self._nonce}"
        self._server_signature: bytes | None = None

    def first(self) -> bytes:
        return ("n,," + self._first_bare).encode()

    def final(self, server_first: bytes) -> bytes:
        text = server_first.decode()
        attrs = _fields(text)
        try:
            nonce, salt, iterations = attrs["r"], base64.b64decode(attrs["s"]), int(attrs["i"])
        except (KeyError, ValueError) as exc:
            raise ScramError(f"server-first-message {text!r} lacks r, s or i") from exc
        if not nonce.startswith(self._nonce) or nonce == self._nonce:
            raise ScramError("server nonce does not extend the client nonce")
        salted = hashlib.pbkdf2_hmac("sha256", self._password, salt, iterations)
        client_key = _hmac(salted, b"Client Key")
        stored_key = hashlib.sha256(client_key).digest()
        without_proof = f"c=biws,r={nonce}"
        auth_message = f"{self._first_bare},{text},{without_proof}".encode()
        signature = _hmac(stored_key, auth_message)
        proof = bytes(a ^ b for a, b in zip(client_key, signature, strict=True))
        self._server_signature = _hmac(_hmac(salted, b"Server Key"), auth_message)
        return f"{without_proof},p={base64.b64encode(proof).decode()}".encode()

    def verify(self, server_final: bytes) -> None:
        attrs = _fields(server_final.decode())
        if "e" in attrs:
            raise ScramError(f"server reported SCRAM error {attrs['e']!r}")
        if self._server_signature is None or "v" not in attrs:
            raise ScramError("unexpected server-final-message")
        if not hmac.compare_digest(base64.b64decode(attrs["v"]), self._server_signature):
            raise ScramError("server signature does not match: it does not know the password")
