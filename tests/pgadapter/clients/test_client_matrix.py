"""The client matrix: each client PGAdapter supports runs its own realistic workload (a separate
process, as an application would) through the proxy against spanner-local.

Every client's toolchain is installed by the project's own files (the package's `test` extra,
node/package-lock.json, install.sh). A missing toolchain fails its client with the command that
installs it, as a missing database server would: a client is never skipped.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest
from dbtools.pgadapter import Proxy

HERE = Path(__file__).parent
INSTALL_DEBIAN = f"run {HERE / 'install.sh'} (apt-get: JDK + JDBC driver, Ruby pg, PHP pgsql)"
INSTALL_NPM = f"run `npm ci` in {HERE / 'node'} (Node >= 18)"
INSTALL_PY = "install the package's test extra: uv pip install -e 'pgadapter[test]'"
JDBC_JAR = Path("/usr/share/java/postgresql.jar")
STREAMED = 200 * 200
STREAMED_SUM = 200 * (200 * 201 // 2)


@dataclass(frozen=True)
class Client:
    command: tuple[str, ...]  # relative paths are resolved against this folder
    needs: tuple[
        str, ...
    ]  # executables on PATH, or paths (relative to this folder) that must exist
    install: str  # how to get what `needs` names
    copied: int | None = 200  # rows the workload moves with COPY (None: the client has no COPY)


PY = sys.executable
CLIENTS: dict[str, Client] = {
    "psql": Client(("bash", "psql_workload.sh"), ("psql",), "apt-get install postgresql-client"),
    "psycopg3": Client((PY, "py/psycopg3_workload.py"), (), INSTALL_PY),
    "psycopg2": Client((PY, "py/psycopg2_workload.py"), (), INSTALL_PY),
    "asyncpg": Client((PY, "py/asyncpg_workload.py"), (), INSTALL_PY),
    "pg8000": Client((PY, "py/pg8000_workload.py"), (), INSTALL_PY),
    "sqlalchemy-psycopg": Client(
        (PY, "py/sqlalchemy_workload.py", "psycopg"), (), INSTALL_PY, None
    ),
    "sqlalchemy-psycopg2": Client(
        (PY, "py/sqlalchemy_workload.py", "psycopg2"), (), INSTALL_PY, None
    ),
    "pandas": Client((PY, "py/pandas_workload.py"), (), INSTALL_PY, None),
    "django": Client((PY, "py/django_workload.py"), (), INSTALL_PY, None),
    "node-postgres": Client(
        ("node", "node/pg_workload.js"), ("node", "node/node_modules/pg"), INSTALL_NPM
    ),
    "knex": Client(
        ("node", "node/knex_workload.js"), ("node", "node/node_modules/knex"), INSTALL_NPM, None
    ),
    "sequelize": Client(
        ("node", "node/sequelize_workload.js"),
        ("node", "node/node_modules/sequelize"),
        INSTALL_NPM,
        None,
    ),
    "typeorm": Client(
        ("node", "node/typeorm_workload.js"),
        ("node", "node/node_modules/typeorm"),
        INSTALL_NPM,
        None,
    ),
    "jdbc": Client(("bash", "java/run.sh"), ("javac", "java", str(JDBC_JAR)), INSTALL_DEBIAN),
    "ruby-pg": Client(("ruby", "ruby/pg_workload.rb"), ("ruby",), INSTALL_DEBIAN),
    "php-pdo-pgsql": Client(("php", "php/pdo_workload.php"), ("php",), INSTALL_DEBIAN),
}


# What still fails, and why: each is a strict xfail, so a fix that makes a client pass fails the
# run until its entry is removed here (and from the README's compatibility table).
KNOWN_FAILURES: dict[str, str] = {}


def _params() -> list[object]:
    return [
        pytest.param(n, marks=pytest.mark.xfail(strict=True, reason=KNOWN_FAILURES[n]))
        if n in KNOWN_FAILURES
        else n
        for n in CLIENTS
    ]


def missing(client: Client) -> list[str]:
    gone = []
    for need in client.needs:
        if "/" in need:
            if not (HERE / need).exists():
                gone.append(need)
        elif shutil.which(need) is None:
            gone.append(need)
    return gone


def _extension_missing(name: str) -> str | None:
    """Debian splits Ruby's pg and PHP's pdo_pgsql from their interpreters: probe them too."""
    probes = {
        "ruby-pg": ["ruby", "-e", "require 'pg'"],
        "php-pdo-pgsql": ["php", "-r", "exit(extension_loaded('pdo_pgsql') ? 0 : 1);"],
    }
    if name not in probes:
        return None
    done = subprocess.run(probes[name], capture_output=True, text=True)
    return None if done.returncode == 0 else (done.stderr.strip() or "extension not loaded")


@pytest.mark.timeout(600)
@pytest.mark.parametrize("name", _params())
def test_client_workload(name: str, proxy: Proxy, database: str) -> None:
    client = CLIENTS[name]
    gone = missing(client)
    if gone:
        pytest.fail(f"{name}: {', '.join(gone)} not installed; to install: {client.install}")
    problem = _extension_missing(name)
    if problem:
        pytest.fail(f"{name}: {problem}; to install: {client.install}")
    env = {
        **os.environ,
        "PGHOST": proxy.host,
        "PGPORT": str(proxy.port),
        "PGDATABASE": database,
        "PGUSER": "matrix",
        "PGSSLMODE": "disable",
        "JDBC_JAR": str(JDBC_JAR),
    }
    done = subprocess.run(
        list(client.command), cwd=HERE, env=env, capture_output=True, text=True, timeout=540
    )
    output = done.stdout + done.stderr
    assert done.returncode == 0, f"{name} workload failed:\n{output[-6000:]}"
    results = [ln for ln in done.stdout.splitlines() if ln.startswith("RESULT ")]
    assert results, f"{name} printed no RESULT line:\n{output[-3000:]}"
    result = json.loads(results[-1][len("RESULT ") :])
    assert result["client"] == name
    assert result["streamed"] == STREAMED
    assert result["sum"] == STREAMED_SUM
    assert result.get("copied") == client.copied
    assert result["rows"] == 3


def test_missing_toolchain_fails_with_instructions() -> None:
    absent = Client(("nope",), ("no-such-tool-xyz", "node/no_such_module"), "do the thing")
    assert missing(absent) == ["no-such-tool-xyz", "node/no_such_module"]
    assert missing(CLIENTS["psycopg3"]) == []
