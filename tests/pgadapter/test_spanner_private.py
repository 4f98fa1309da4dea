"""The private google-cloud-spanner names pgadapter relies on are still where it reaches them.

Each one is checked against the installed library (a class attribute, or an instance
attribute set by the class's own methods, found in their source), so an upgrade that moves one
fails here, naming it, instead of deep inside a query.
"""

from __future__ import annotations

import importlib
import inspect

import pytest
from dbtools.pgadapter import spanner_private
from google.cloud.spanner_v1.streamed import StreamedResultSet


def _owner(path: str) -> object:
    """A module, or a class named by its module path and class name."""
    try:
        return importlib.import_module(path)
    except ImportError:
        module, _, cls = path.rpartition(".")
        return getattr(importlib.import_module(module), cls)


@pytest.mark.parametrize("where,name", spanner_private.PRIVATE_NAMES, ids=lambda x: str(x))
def test_private_name_is_still_there(where: str, name: str) -> None:
    owner = _owner(where)
    if hasattr(owner, name):
        return
    # an instance attribute: assigned as self.<name> in the class (or a base class)
    assigned = inspect.isclass(owner) and any(
        f"self.{name} =" in inspect.getsource(k) or f"self.{name}:" in inspect.getsource(k)
        for k in owner.__mro__
        if k.__module__.startswith("google.")
    )
    assert assigned, (
        f"google-cloud-spanner no longer has the private {where}.{name} that "
        "dbtools.pgadapter.spanner_private uses: adapt that module to the new version"
    )


def test_the_adapter_reads_a_result_set_the_way_the_client_builds_it() -> None:
    rs = StreamedResultSet(iter(()))
    assert spanner_private.result_metadata(rs) is None
    assert spanner_private.result_done(rs) is False
    assert list(rs) == []
    value = spanner_private.make_value_pb(12)
    assert value.string_value == "12"  # INT64 travels as a decimal string


def test_a_missing_name_is_reported_by_name() -> None:
    with pytest.raises(AssertionError, match="_no_such_private_name"):
        test_private_name_is_still_there(
            "google.cloud.spanner_v1.streamed.StreamedResultSet", "_no_such_private_name"
        )


def test_the_dependency_has_an_upper_bound() -> None:
    from pathlib import Path

    pyproject = Path(__file__).resolve().parents[2] / "pgadapter" / "pyproject.toml"
    lines = [x for x in pyproject.read_text().splitlines() if '"google-cloud-spanner' in x]
    assert lines and all("<" in x for x in lines), lines
