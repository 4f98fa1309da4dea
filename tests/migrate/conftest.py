"""Fixtures for the dbtools.migrate tests."""

from __future__ import annotations

from pathlib import Path

import pytest

HERE = Path(__file__).parent


@pytest.fixture
def samples() -> Path:
    return HERE / "samples"
