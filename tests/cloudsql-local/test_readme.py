"""The README starts with a quick start that runs as written and prints what it says."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path
from typing import Any

README = Path(__file__).resolve().parents[2] / "packages" / "cloudsql-local" / "README.md"


def test_quick_start_runs_as_written(pg_server: Any) -> None:
    text = README.read_text()
    block = re.search(r"```python\n(.*?)```", text, re.S)
    assert block is not None
    assert text.index("```python") < text.index("\n## ")  # the README starts with it
    code = block.group(1)
    # Two imports, the emulator, the official connector, a connect, a query: the official
    # connector's psycopg path needs db=, which makes a one-line connect-and-query too long.
    assert len([line for line in code.splitlines() if line.strip()]) <= 6
    if (pg_server.host, pg_server.port, pg_server.user) != ("127.0.0.1", 5432, "postgres"):
        # Only when DBTOOLS_TEST_PG_URL points elsewhere: the quick start assumes the default.
        code = code.replace(
            'Instance("proj:us-central1:pg")',
            f'Instance("proj:us-central1:pg", backend="{pg_server.host}:{pg_server.port}")',
        ).replace('user="postgres"', f'user="{pg_server.user}"')
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=120, check=False
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == f"('{pg_server.user}',)"
