"""`dvt validate row --runner beam` (DirectRunner, two worker processes) against the in-process
run, PostgreSQL source and MariaDB target: the same JSON, whole. The one field set apart is
`run_id`, new on every invocation whichever the runner (the JSON has no timing fields)."""

from __future__ import annotations

import json
from typing import Any

import psycopg
import pymysql
import pytest
from click.testing import CliRunner
from dbtools.dvt.cli import main

TWO_WORKERS = "--direct_num_workers=2 --direct_running_mode=multi_processing"
# the fields that differ on every run, in both paths alike
PER_RUN = ("run_id",)


def _fill(pg_db: Any, mysql_db: Any) -> None:
    with psycopg.connect(pg_db.url, autocommit=True) as conn:
        conn.execute(
            "CREATE TABLE orders (id bigint PRIMARY KEY, note text, amount numeric(12,2));"
            "INSERT INTO orders SELECT CASE WHEN g <= 2000 THEN g ELSE g * 1000 END, 'note ' || g,"
            " g * 1.25 FROM generate_series(1, 2400) g"
        )
    conn = pymysql.connect(**mysql_db.pymysql_kwargs(), autocommit=True)
    with conn.cursor() as cur:
        cur.execute("CREATE TABLE orders (id bigint PRIMARY KEY, note text, amount decimal(12,2))")
        rows = [
            (g if g <= 2000 else g * 1000, f"note {g}", f"{g * 1.25:.2f}") for g in range(1, 2401)
        ]
        cur.executemany("INSERT INTO orders VALUES (%s, %s, %s)", rows)
        cur.execute("UPDATE orders SET note = 'changed' WHERE id IN (17, 1500)")  # mismatches
        cur.execute("DELETE FROM orders WHERE id = 2300000")  # missing in target
        cur.execute("INSERT INTO orders VALUES (9999999, 'extra', 2)")  # extra in target
    conn.close()


def _run(pg_db: Any, mysql_db: Any, *extra: str) -> list[dict[str, Any]]:
    res = CliRunner().invoke(
        main,
        [
            *("validate", "row", "-sc", pg_db.url, "-tc", mysql_db.url, "-t", "orders"),
            *("--format", "json", *extra),
        ],
    )
    assert res.exit_code == 1, res.output  # differences found
    out = json.loads(res.output)
    for v in out:
        for name in PER_RUN:
            assert v.pop(name)  # present, and set apart
    return out


def test_beam_row_validation_gives_the_in_process_json(pg_db: Any, mysql_db: Any) -> None:
    _fill(pg_db, mysql_db)
    # automatic split: in-process checksum blocks, against ~5 ranges of 500 rows in the pipeline
    local = _run(pg_db, mysql_db)
    beam = _run(
        pg_db, mysql_db, "--runner", "beam", "--beam-range-rows", "500", "--beam-args", TWO_WORKERS
    )
    assert beam == local
    s = local[0]["summary"]
    assert (s["mismatched"], s["missing_in_target"], s["extra_in_target"]) == (2, 1, 1)
    assert s["matched"] == 2400 - 3
    assert s["partitions"] is None  # the split asked for: automatic
    # an explicit split: in-process threads over 6 ranges, against 6 ranges in the pipeline
    six = ("--partitions", "6")
    local6 = _run(pg_db, mysql_db, *six)
    beam6 = _run(pg_db, mysql_db, *six, "--runner", "beam", "--beam-args", TWO_WORKERS)
    assert beam6 == local6
    assert local6[0]["summary"] == {**s, "partitions": 6}


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        # the checks are dbtools-beam-cli's (tests/beam-cli); here: dvt's settings reach them
        (["--runner", "beam", "--workers", "8"], "--workers does not apply to --runner beam"),
        (["--runner", "beam", "--block-rows", "10"], "--block-rows does not apply to --runner"),
        (["--runner", "beam", "--beam-args", "--runnr=X"], "knows no option --runnr"),
        (["--beam-files", "/tmp/x"], "--beam-files applies only to --runner beam"),
    ],
)
def test_settings_the_chosen_runner_would_ignore_are_refused(
    extra: list[str], message: str
) -> None:
    # refused before any connection is opened: the URLs name no server
    res = CliRunner().invoke(
        main,
        [
            *("validate", "row", "-sc", "postgresql://nohost.invalid/db"),
            *("-tc", "mysql://nohost.invalid/db", "-t", "orders", *extra),
        ],
    )
    assert res.exit_code == 2 and message in res.output, res.output


def test_a_failed_pipeline_is_one_line_naming_what_failed() -> None:
    # what a worker raised reaches the user as a PipelineError (exit 3, one line), not as
    # dvt's "unexpected error, a bug in dvt" with a traceback
    import apache_beam as beam
    from dbtools.dvt.beamrows import _run_to_the_end
    from dbtools.dvt.errors import PipelineError

    def boom(x: int) -> int:
        raise RuntimeError(f"worker refused row {x}")

    pipe = beam.Pipeline()
    _ = pipe | beam.Create([7]) | beam.Map(boom)
    with pytest.raises(PipelineError, match=r"the Beam pipeline failed: .*worker refused row 7"):
        _run_to_the_end(pipe)
