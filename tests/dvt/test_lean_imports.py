"""Heavy modules are loaded only when a run needs them (memory is most of dvt's footprint)."""

from __future__ import annotations

import json
import subprocess
import sys
from typing import Any

PROBE = """
import json, sys
from dbtools.dvt.connections import parse_url
from dbtools.dvt.engines import open_engine

rows = open_engine(parse_url(sys.argv[1])).query("SELECT 1")
print(json.dumps({"rows": [list(r) for r in rows], "modules": sorted(sys.modules)}))
"""


def _loaded(url: str) -> tuple[list[Any], set[str]]:
    out = subprocess.run(
        [sys.executable, "-c", PROBE, url], capture_output=True, text=True, check=True
    ).stdout
    data = json.loads(out)
    return data["rows"], set(data["modules"])


def test_mariadb_run_does_not_load_cryptography_or_other_engines(mysql_db: Any) -> None:
    rows, modules = _loaded(mysql_db.url)
    assert rows == [[1]]
    heavy = {"cryptography", "duckdb", "google.cloud.spanner_v1", "sqlalchemy", "rich", "yaml"}
    assert not heavy & modules


def test_postgresql_run_loads_no_other_engine(pg_db: Any) -> None:
    rows, modules = _loaded(pg_db.url)
    assert rows == [[1]]
    assert not {"pymysql", "duckdb", "google.cloud.spanner_v1", "sqlalchemy", "rich"} & modules


RSA_PROBE = """
import sys
from dbtools.dvt.engines import import_pymysql

pymysql = import_pymysql()
assert "cryptography" not in sys.modules, "loaded before it was needed"
sealed = pymysql._auth.sha2_rsa_encrypt(b"secret", b"0123456789abcdefghij", sys.stdin.buffer.read())
print(sealed.hex())
"""


def test_mysql8_rsa_password_exchange_still_loads_cryptography_when_needed() -> None:
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import padding, rsa

    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    pem = key.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    out = subprocess.run(
        [sys.executable, "-c", RSA_PROBE], input=pem, capture_output=True, check=True
    ).stdout
    oaep = padding.OAEP(
        mgf=padding.MGF1(algorithm=hashes.SHA1()), algorithm=hashes.SHA1(), label=None
    )
    plain = key.decrypt(bytes.fromhex(out.decode().strip()), oaep)
    salt = b"0123456789abcdefghij"
    # PyMySQL's scheme: the NUL-terminated password XORed with the salt, then RSA-OAEP
    assert plain == bytes(c ^ salt[i % len(salt)] for i, c in enumerate(b"secret\0"))


def test_cli_import_loads_no_driver_nor_package_metadata() -> None:
    """The `dvt` command starts without the drivers (each side imports its own on the thread
    that connects) and without importlib.metadata (read for --version only)."""
    code = "import sys, dbtools.dvt.cli; print(' '.join(sorted(sys.modules)))"
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    ).stdout
    modules = set(out.split())
    assert not {"psycopg", "pymysql", "importlib.metadata", "yaml", "rich"} & modules
