"""The acceptance test: identical data validates clean on every pair of engines, and every
planted difference is found exactly once, in the right column."""

from __future__ import annotations

import itertools
from typing import Any

import pytest

from dbtools.dvt.connections import parse_url
from dbtools.dvt.engines import open_engine
from dbtools.dvt.rows import RowSpec, RowValidator

ENGINES = ["postgresql", "mysql", "sqlite", "duckdb"]
PAIRS = list(itertools.permutations(ENGINES, 2)) + [(e, e) for e in ENGINES]


def run_rows(src: Any, tgt: Any, **kw: Any):
    spec = RowSpec(source_table=src.table, target_table=tgt.table, **kw)
    return RowValidator(spec, open_engine(parse_url(src.url)), open_engine(parse_url(tgt.url))).run()


@pytest.mark.parametrize(("s", "t"), PAIRS, ids=[f"{a}-{b}" for a, b in PAIRS])
def test_identical_data_validates_clean(hazard_dbs: Any, s: str, t: str) -> None:
    result = run_rows(hazard_dbs[s]["same"], hazard_dbs[t]["same"])
    assert [f.as_dict() for f in result.findings] == []
    assert result.passed
    assert result.summary["matched"] == 40


@pytest.mark.parametrize(("s", "t"), PAIRS, ids=[f"{a}-{b}" for a, b in PAIRS])
def test_each_planted_difference_found_once(
    hazard_dbs: Any, planted_truth: dict[str, Any], s: str, t: str
) -> None:
    result = run_rows(hazard_dbs[s]["same"], hazard_dbs[t]["planted"])
    assert not result.passed
    found = {}
    for f in result.findings:
        found.setdefault(f.key["id"], []).append((f.status, f.column))
    expected = {i: [("mismatch", c)] for i, c in planted_truth["columns"].items()}
    expected[6] = expected[16] = [("mismatch", "a"), ("mismatch", "b")]
    expected[planted_truth["missing"]] = [("missing", None)]
    expected[planted_truth["extra"]] = [("extra", None)]
    assert found == expected
    assert result.summary["mismatched"] == len(planted_truth["columns"])
    assert result.summary["missing_in_target"] == 1
    assert result.summary["extra_in_target"] == 1
