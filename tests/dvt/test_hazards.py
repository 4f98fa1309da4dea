"""The acceptance test: identical data validates clean on every pair of engines, and every
planted difference is found exactly once, in the right column."""

from __future__ import annotations

import itertools
from typing import Any

import pytest
from dbtools.dvt.connections import parse_url
from dbtools.dvt.engines import open_engine
from dbtools.dvt.rows import RowSpec, RowValidator

ENGINES = ["postgresql", "mysql", "sqlite", "duckdb", "spanner", "spanner_pg"]
PAIRS = list(itertools.permutations(ENGINES, 2)) + [(e, e) for e in ENGINES]


def run_rows(src: Any, tgt: Any, **kw: Any):
    spec = RowSpec(source_table=src.table, target_table=tgt.table, **kw)
    return RowValidator(
        spec, open_engine(parse_url(src.url)), open_engine(parse_url(tgt.url))
    ).run()


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


COLUMNS_UNDER_TEST = [
    "id",
    "name",
    "code",
    "amount",
    "big",
    "ratio",
    "ts",
    "tstz",
    "d",
    "flag",
    "data",
    "note",
    "a",
    "b",
]


STRATEGY_PAIRS = [("postgresql", "mysql"), ("mysql", "sqlite"), ("duckdb", "postgresql")]
STRATEGIES = {
    "stream": {"block_rows": 0},
    "partitioned": {"block_rows": 0, "partitions": 3, "workers": 2},
    "concat": {"mode": "concat"},
    "fields": {"mode": "fields", "fields": [c for c in COLUMNS_UNDER_TEST if c != "id"]},
}


@pytest.mark.parametrize("strategy", list(STRATEGIES))
@pytest.mark.parametrize(("s", "t"), STRATEGY_PAIRS, ids=[f"{a}-{b}" for a, b in STRATEGY_PAIRS])
def test_every_strategy_finds_the_same_differences(
    hazard_dbs: Any, planted_truth: dict[str, Any], s: str, t: str, strategy: str
) -> None:
    clean = run_rows(hazard_dbs[s]["same"], hazard_dbs[t]["same"], **STRATEGIES[strategy])
    assert clean.passed and clean.summary["matched"] == planted_truth["rows"]
    result = run_rows(hazard_dbs[s]["same"], hazard_dbs[t]["planted"], **STRATEGIES[strategy])
    found = sorted({(f.key["id"], f.status) for f in result.findings})
    expected = sorted(
        [(i, "mismatch") for i in planted_truth["columns"]]
        + [(planted_truth["missing"], "missing"), (planted_truth["extra"], "extra")]
    )
    assert found == expected
    assert result.summary["mismatched"] == len(planted_truth["columns"])
    if strategy == "partitioned":
        assert result.summary["partitions"] == 3


def test_excluding_the_changed_columns_hides_their_differences(hazard_dbs: Any) -> None:
    changed = [
        "amount",
        "ts",
        "name",
        "note",
        "a",
        "b",
        "flag",
        "ratio",
        "data",
        "d",
        "tstz",
        "code",
        "big",
    ]
    result = run_rows(
        hazard_dbs["postgresql"]["same"], hazard_dbs["mysql"]["planted"], exclude=changed
    )
    assert result.summary["mismatched"] == 0
    assert (result.summary["missing_in_target"], result.summary["extra_in_target"]) == (1, 1)


def test_random_rows_checks_only_that_many_keys(hazard_dbs: Any) -> None:
    result = run_rows(
        hazard_dbs["postgresql"]["same"], hazard_dbs["duckdb"]["planted"], random_rows=10
    )
    assert result.summary["source_rows"] == 10
    assert (
        result.summary["matched"]
        + result.summary["mismatched"]
        + result.summary["missing_in_target"]
        == 10
    )
    assert result.summary["extra_in_target"] == 0


def test_case_insensitive_compares_text_without_case(hazard_dbs: Any, tmp_path: Any) -> None:
    import sqlite3

    a, b = tmp_path / "a.db", tmp_path / "b.db"
    for path, word in ((a, "Hello"), (b, "HELLO")):
        with sqlite3.connect(path) as conn:
            conn.execute("CREATE TABLE t (id INTEGER PRIMARY KEY, w TEXT)")
            conn.execute("INSERT INTO t VALUES (1, ?)", (word,))
    src, tgt = open_engine(parse_url(f"sqlite:///{a}")), open_engine(parse_url(f"sqlite:///{b}"))
    strict = RowValidator(RowSpec(source_table="t"), src, tgt).run()
    loose = RowValidator(RowSpec(source_table="t", case_insensitive=True), src, tgt).run()
    assert (strict.passed, loose.passed) == (False, True)


@pytest.mark.parametrize("engine", ["spanner", "spanner_pg", "duckdb", "sqlite", "mysql"])
def test_cli_column_and_schema_against_postgresql(hazard_dbs: Any, engine: str) -> None:
    import json

    from click.testing import CliRunner
    from dbtools.dvt.cli import main

    src, same, planted = (
        hazard_dbs["postgresql"]["same"],
        hazard_dbs[engine]["same"],
        hazard_dbs[engine]["planted"],
    )
    aggs = [
        "--count",
        "*",
        "--sum",
        "amount,big,id",
        "--min",
        "*",
        "--max",
        "*",
        "--count-distinct",
        "name,d",
    ]
    run = CliRunner().invoke
    ok = run(
        main,
        [
            "validate",
            "column",
            "-sc",
            src.url,
            "-tc",
            same.url,
            "-t",
            f"t_same={same.table}",
            *aggs,
            "--format",
            "json",
        ],
    )
    assert ok.exit_code == 0, ok.output
    bad = run(
        main,
        [
            "validate",
            "column",
            "-sc",
            src.url,
            "-tc",
            planted.url,
            "-t",
            f"t_same={planted.table}",
            *aggs,
            "--format",
            "json",
        ],
    )
    assert bad.exit_code == 1
    failed = {
        (f["check"], f["column"])
        for f in json.loads(bad.output)[0]["findings"]
        if f["status"] != "success"
    }
    assert {
        ("sum", "amount"),
        ("sum", "big"),
        ("sum", "id"),
        ("max", "id"),
        ("count", "note"),
    } <= failed
    rows = run(
        main,
        [
            "validate",
            "row",
            "-sc",
            src.url,
            "-tc",
            planted.url,
            "-t",
            f"t_same={planted.table}",
            "--format",
            "json",
        ],
    )
    assert rows.exit_code == 1 and json.loads(rows.output)[0]["summary"]["mismatched"] == 16
    # grouped by a CHAR(5) column on PostgreSQL and a VARCHAR holding the padding elsewhere
    grouped = run(
        main,
        [
            "validate",
            "column",
            "-sc",
            src.url,
            "-tc",
            same.url,
            "-t",
            f"t_same={same.table}",
            "--sum",
            "amount",
            "-gc",
            "code",
            "--format",
            "json",
        ],
    )
    assert grouped.exit_code == 0, grouped.output
    assert json.loads(grouped.output)[0]["summary"]["groups"] == 6
    schema = run(
        main,
        [
            "validate",
            "schema",
            "-sc",
            src.url,
            "-tc",
            same.url,
            "-t",
            f"t_same={same.table}",
            "--format",
            "json",
            "--ignore-nullability",
        ],
    )
    findings = json.loads(schema.output)[0]["findings"]
    assert {f["column"] for f in findings} == set(COLUMNS_UNDER_TEST)


@pytest.mark.parametrize("t", [e for e in ENGINES if e != "postgresql"])
def test_std_and_avg_agree_on_every_engine(hazard_dbs: Any, t: str) -> None:
    from dbtools.dvt.columns import ColumnSpec, ColumnValidator

    src, tgt = hazard_dbs["postgresql"]["same"], hazard_dbs[t]["same"]
    cols = ["id", "amount", "ratio"]
    spec = ColumnSpec(source_table=src.table, target_table=tgt.table,
                      aggregates={"std": cols, "avg": cols})  # fmt: skip
    r = ColumnValidator(
        spec, open_engine(parse_url(src.url)), open_engine(parse_url(tgt.url))
    ).run()
    assert r.passed, [f.as_dict() for f in r.findings if f.status != "success"]
    assert {(f.check, f.column) for f in r.findings} == {
        (a, c) for a in ("std", "avg") for c in cols
    }
    changed = ColumnSpec(
        source_table=src.table, target_table="t_planted", aggregates={"std": ["amount"]}
    )
    assert not ColumnValidator(changed, open_engine(parse_url(src.url)),
                               open_engine(parse_url(tgt.url))).run().passed  # fmt: skip
