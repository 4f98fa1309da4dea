"""SQLAlchemy 2.0 support: the workspace has the newest SQLAlchemy (2.1), so this test builds a
throwaway virtualenv with `sqlalchemy>=2.0,<2.1` and the package, and runs the SQLAlchemy
integration tests there (against the same real servers) as a subprocess.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
PACKAGE = ROOT / "packages" / "sqlcommenter"
SQLALCHEMY_TESTS = [
    "tests/sqlcommenter/test_sqlalchemy_pg.py",
    "tests/sqlcommenter/test_sqlalchemy_paths.py",
    "tests/sqlcommenter/test_mysql_dbapi.py::test_sqlalchemy_pymysql_comment_reaches_mariadb",
    "tests/sqlcommenter/test_mysql_dbapi.py::test_prepend_for_mysql",
]


def _uv() -> str:
    found = shutil.which("uv") or shutil.which("uv", path=str(Path(sys.executable).parent))
    if found is None:
        pytest.fail("this test needs `uv` (pip install uv); it builds a SQLAlchemy 2.0 venv")
    return found


def _run(*cmd: str, cwd: Path = ROOT) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k not in ("VIRTUAL_ENV", "PYTHONPATH")}
    return subprocess.run(cmd, cwd=cwd, env=env, capture_output=True, text=True, timeout=280)


@pytest.mark.slow
@pytest.mark.timeout(300)
def test_sqlalchemy_integration_passes_on_sqlalchemy_2_0(tmp_path: Path) -> None:
    uv = _uv()
    venv = tmp_path / "sa20"
    python = venv / "bin" / "python"
    made = _run(uv, "venv", "-q", "-p", sys.executable, str(venv))
    assert made.returncode == 0, made.stderr
    installed = _run(
        uv, "pip", "install", "-q", "-p", str(python),
        "sqlalchemy[asyncio]>=2.0,<2.1", str(PACKAGE),
        "psycopg[binary]>=3.1", "asyncpg", "pymysql", "opentelemetry-sdk",
        "pytest>=8", "pytest-asyncio>=0.24", "pytest-timeout", "hypothesis",
    )  # fmt: skip
    assert installed.returncode == 0, installed.stderr
    probe = _run(
        str(python), "-c",
        "import sqlalchemy, dbtools.sqlcommenter.sqlalchemy as m; print(sqlalchemy.__version__)",
    )  # fmt: skip
    assert probe.returncode == 0, probe.stderr
    assert probe.stdout.strip().startswith("2.0."), probe.stdout
    result = _run(str(python), "-m", "pytest", "-q", "-p", "no:cacheprovider", *SQLALCHEMY_TESTS)
    assert result.returncode == 0, result.stdout[-4000:] + result.stderr[-2000:]
    assert " passed" in result.stdout and "failed" not in result.stdout, result.stdout
    print(result.stdout[-300:])
