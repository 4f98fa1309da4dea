"""Every use of PyMySQL's private API, in one place.

dvt needs two things PyMySQL does not export: changing a connection's read and write timeouts
after the login (the login waits at most the connect timeout, every query after it the query
timeout; PyMySQL takes both only as constructor arguments and reads them before each socket
operation), and its `_auth` module, whose RSA password exchange dvt wraps so that
`cryptography` is imported on the first exchange instead of with PyMySQL. Each is reached
through a function here and nowhere else, and `PRIVATE_NAMES` lists every private name so that
`tests/dvt/test_pymysql_private.py` can check each against the installed PyMySQL and name the
one an upgrade moved.
"""

from __future__ import annotations

from typing import Any

# (where, name): where is a module (the name is one of its attributes), a function (a global
# it reads) or a class (an attribute its methods read); the test resolves each.
PRIVATE_NAMES: tuple[tuple[str, str], ...] = (
    ("pymysql", "_auth"),
    ("pymysql._auth", "sha2_rsa_encrypt"),
    ("pymysql._auth.sha2_rsa_encrypt", "_have_cryptography"),
    ("pymysql._auth.sha2_rsa_encrypt", "default_backend"),
    ("pymysql._auth.sha2_rsa_encrypt", "hashes"),
    ("pymysql._auth.sha2_rsa_encrypt", "serialization"),
    ("pymysql._auth.sha2_rsa_encrypt", "padding"),
    ("pymysql.connections.Connection", "_read_timeout"),
    ("pymysql.connections.Connection", "_write_timeout"),
)


def set_io_timeouts(conn: Any, seconds: float) -> None:
    """From now on every socket read and write of `conn` waits at most `seconds`."""
    conn._read_timeout = conn._write_timeout = seconds


def defer_rsa_crypto(pymysql: Any) -> None:
    """Make PyMySQL (imported while `cryptography` was hidden) import cryptography on its first
    RSA password exchange, and give it the names its exchange reads."""
    auth = pymysql._auth
    eager = auth.sha2_rsa_encrypt

    def sha2_rsa_encrypt(password: bytes, salt: bytes, public_key: bytes) -> bytes:
        try:
            from cryptography.hazmat.backends import default_backend
            from cryptography.hazmat.primitives import hashes, serialization
            from cryptography.hazmat.primitives.asymmetric import padding
        except ImportError:
            pass  # PyMySQL's own error says that cryptography is required
        else:
            auth.default_backend, auth.hashes = default_backend, hashes
            auth.serialization, auth.padding = serialization, padding
            auth._have_cryptography = True
        return eager(password, salt, public_key)

    auth.sha2_rsa_encrypt = sha2_rsa_encrypt
