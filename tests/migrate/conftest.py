"""Fixtures for the dbtools.migrate tests."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

HERE = Path(__file__).parent


@pytest.fixture
def samples() -> Path:
    return HERE / "samples"


@pytest.fixture(scope="module")
def spanner() -> Iterator[Any]:
    """An in-memory spanner-local for this test module."""
    from dbtools import spanner_local

    with spanner_local.serve() as endpoint:
        yield endpoint


GOLDEN = HERE / "golden"
GOLDEN_SECTIONS = ("google_standard_sql", "postgresql", "issues", "diagnostics")


def split_golden(text: str) -> dict[str, str]:
    """Sections of a golden file: source, input and the expected outputs."""
    out: dict[str, str] = {}
    current = None
    buf: list[str] = []
    for line in text.splitlines():
        head = line[3:] if line.startswith("-- ") else ""
        if head and head.split(":")[0].strip() in ("source", "input", *GOLDEN_SECTIONS):
            if current is not None:
                out[current] = "\n".join(buf).strip("\n")
            if head.startswith("source:"):
                out["source"] = head.split(":", 1)[1].strip()
                current, buf = None, []
                continue
            current, buf = head.strip(), []
        elif current is not None:
            buf.append(line)
    if current is not None:
        out[current] = "\n".join(buf).strip("\n")
    return out


@pytest.fixture
def golden() -> Any:
    return split_golden
