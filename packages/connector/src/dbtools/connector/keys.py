"""The connector's RSA key pair: generated once per connector, in a worker thread.

RSA-2048 generation takes tens of milliseconds of CPU; doing it on an event loop (as the
reference connector does) stalls every other task on that loop.
"""

from __future__ import annotations

import threading
from concurrent.futures import Future
from dataclasses import dataclass

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa


@dataclass(frozen=True)
class KeyPair:
    private_pem: bytes  # PKCS#8, unencrypted: only ever handed to ssl via a private temp file
    public_pem: str  # SubjectPublicKeyInfo, as generateEphemeralCert expects


def generate_key_pair() -> KeyPair:
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    private_pem = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )
    public_pem = key.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    return KeyPair(private_pem, public_pem.decode())


def start_key_generation() -> Future[KeyPair]:
    """Start generating in a daemon thread right away; the future resolves to the pair."""
    fut: Future[KeyPair] = Future()

    def work() -> None:
        if not fut.set_running_or_notify_cancel():
            return
        try:
            fut.set_result(generate_key_pair())
        except BaseException as exc:  # surfaced to whoever awaits the key
            fut.set_exception(exc)

    threading.Thread(target=work, name="dbtools-connector-keygen", daemon=True).start()
    return fut
