"""Each package's version is written once, in its pyproject.toml, and `__version__` reports it."""

from __future__ import annotations

import importlib
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
PACKAGES = sorted([*ROOT.glob("packages/*/pyproject.toml"), ROOT / "pgadapter" / "pyproject.toml"])


def _module(pyproject: Path) -> str:
    (pkg,) = [p for p in (pyproject.parent / "src" / "dbtools").iterdir() if p.is_dir()]
    return f"dbtools.{pkg.name}"


@pytest.mark.parametrize("pyproject", PACKAGES, ids=lambda p: p.parent.name)
def test_version_comes_from_the_pyproject(pyproject: Path) -> None:
    # the [project] table's version line (tomllib is 3.11+, and the floors run on 3.10)
    found = re.search(r'^version = "([^"]+)"$', pyproject.read_text(), re.M)
    assert found, f"{pyproject}: no version line"
    declared = found.group(1)
    module = importlib.import_module(_module(pyproject))
    assert module.__version__ == declared


@pytest.mark.parametrize("pyproject", PACKAGES, ids=lambda p: p.parent.name)
def test_no_version_literal_in_the_sources(pyproject: Path) -> None:
    src = pyproject.parent / "src"
    written = [
        str(f.relative_to(ROOT))
        for f in src.rglob("*.py")
        if "__version__ = " in f.read_text()
        and "__version__ = _distribution_version(" not in f.read_text()
    ]
    assert written == []
