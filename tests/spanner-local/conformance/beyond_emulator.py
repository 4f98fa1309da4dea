"""pytest plugin: run the official system tests that skip only because the emulator lacks a
feature ("Emulator does not support DML Returning / json / ..."), and only those.

Loaded by `run_official.py --beyond-emulator` (`-p beyond_emulator`); it removes just those
skip markers and selects the tests that carried one, so nothing in the suite is edited.
"""

from __future__ import annotations

import pytest

REASON_PREFIX = "Emulator does not support"


def _emulator_only_skip(mark: pytest.Mark) -> bool:
    return mark.name == "skipif" and str(mark.kwargs.get("reason", "")).startswith(REASON_PREFIX)


@pytest.hookimpl(tryfirst=True)
def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    selected, deselected = [], []
    for item in items:
        marks = [m for m in item.own_markers if _emulator_only_skip(m)]
        if marks:
            item.own_markers = [m for m in item.own_markers if not _emulator_only_skip(m)]
            selected.append(item)
        else:
            deselected.append(item)
    if deselected:
        config.hook.pytest_deselected(items=deselected)
    items[:] = selected
