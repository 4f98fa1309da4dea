"""Result handler: every run written to two tables in PostgreSQL, MySQL/MariaDB, SQLite or DuckDB
(`--result-url URL`), created if missing, so a run history can be queried and charted.

dvt_runs      one row per validation of a run
  run_id        text      the run's id (one per dvt invocation; also in the JSON output)
  run_at        text      ISO 8601 UTC start time of the run ("2026-12-07T19:30:00.123456+00:00")
  labels        text      JSON object of the run's `--label key=value` pairs
  validation    text      the validation's name ("row:public.orders")
  kind          text      row | column | schema | custom-query-row | custom-query-column
  source_table  text
  target_table  text
  source_conn   text      the source URL, password masked
  target_conn   text      the target URL, password masked
  status        text      success | fail | error | skipped
  differences   bigint    exact count: mismatched + missing + extra rows, failed checks
  summary       text      JSON of the validation's summary
  message       text      why it could not run or was skipped (NULL otherwise)
dvt_findings  one row per listed finding (as in the JSON output)
  run_id, validation, status, row_key (JSON), column_name, check_name,
  source_value, target_value (exact text; NULL stays NULL), difference, severity
"""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

from .connections import ConnSpec
from .errors import ConnectError, ConnectionSpecError, QueryError
from .results import ValidationResult

RUN_COLUMNS = (
    "run_id",
    "run_at",
    "labels",
    "validation",
    "kind",
    "source_table",
    "target_table",
    "source_conn",
    "target_conn",
    "status",
    "differences",
    "summary",
    "message",
)
FINDING_COLUMNS = (
    "run_id",
    "validation",
    "status",
    "row_key",
    "column_name",
    "check_name",
    "source_value",
    "target_value",
    "difference",
    "severity",
)
# engine → (text type, big integer type, placeholder)
TYPES: dict[str, tuple[str, str, str]] = {
    "postgresql": ("text", "bigint", "%s"),
    "mysql": ("LONGTEXT", "BIGINT", "%s"),
    "sqlite": ("TEXT", "INTEGER", "?"),
    "duckdb": ("VARCHAR", "BIGINT", "?"),
}


def differences(r: ValidationResult) -> int:
    if r.kind.endswith("row"):
        s = r.summary
        return int(
            s.get("mismatched", 0) + s.get("missing_in_target", 0) + s.get("extra_in_target", 0)
        )
    return sum(1 for f in r.findings if f.status not in ("success",))


def _text(value: Any) -> str | None:
    if value is None:
        return None
    if isinstance(value, (dict, list, tuple)):
        return json.dumps(value, default=str, ensure_ascii=False, sort_keys=True)
    return str(value)


def run_rows(
    results: list[ValidationResult],
    run_id: str,
    run_at: dt.datetime,
    labels: dict[str, str],
    conns: tuple[str, str],
) -> tuple[list[tuple[Any, ...]], list[tuple[Any, ...]]]:
    runs, findings = [], []
    for r in results:
        runs.append(
            (
                run_id,
                run_at.isoformat(),
                json.dumps(labels, sort_keys=True),
                r.name,
                r.kind,
                r.source_table,
                r.target_table,
                conns[0],
                conns[1],
                r.status,
                differences(r),
                _text(r.summary),
                r.error or r.skipped,
            )
        )
        for f in r.findings:
            findings.append(
                (
                    run_id,
                    r.name,
                    f.status,
                    _text(f.key),
                    f.column,
                    f.check,
                    _text(f.source),
                    _text(f.target),
                    f.difference,
                    f.severity,
                )
            )
    return runs, findings


def _connect(spec: ConnSpec) -> Any:
    """A DB-API connection for writing (a SQLite/DuckDB file is created if missing)."""
    t = spec.timeouts
    if spec.engine == "sqlite":
        import sqlite3

        return sqlite3.connect(spec.database or ":memory:", timeout=t.connect)
    if spec.engine == "duckdb":
        import duckdb

        return duckdb.connect(spec.database or ":memory:")
    if spec.engine == "postgresql":
        import psycopg

        options: dict[str, Any] = {
            "host": spec.host or "127.0.0.1",
            "port": spec.port or 5432,
            "user": spec.user or "postgres",
            "password": spec.password,
            "dbname": spec.database or "postgres",
            "connect_timeout": t.whole_connect_seconds(),
            **spec.query,
        }
        return psycopg.connect(**options)
    if spec.engine == "mysql":
        from .engines import import_pymysql, mysql_options

        return import_pymysql().connect(
            host=spec.host or "127.0.0.1",
            port=spec.port or 3306,
            user=spec.user or "root",
            password=spec.password or "",
            database=spec.database,
            charset="utf8mb4",
            connect_timeout=t.connect,
            read_timeout=t.query,
            write_timeout=t.query,
            **mysql_options(spec.query),
        )
    raise ConnectionSpecError(
        f"--result-url: results can be written to PostgreSQL, MySQL/MariaDB, SQLite or DuckDB, "
        f"not {spec.engine}"
    )


def ddl(engine: str) -> list[str]:
    text, big, _ = TYPES[engine]
    cols = ", ".join(f"{c} {big if c == 'differences' else text}" for c in RUN_COLUMNS)
    fcols = ", ".join(f"{c} {text}" for c in FINDING_COLUMNS)
    return [
        f"CREATE TABLE IF NOT EXISTS dvt_runs ({cols})",
        f"CREATE TABLE IF NOT EXISTS dvt_findings ({fcols})",
    ]


def write(spec: ConnSpec, runs: list[tuple[Any, ...]], findings: list[tuple[Any, ...]]) -> None:
    ph = TYPES.get(spec.engine, ("", "", "?"))[2]
    try:
        conn = _connect(spec)
    except ConnectionSpecError:
        raise
    except Exception as exc:
        raise ConnectError(f"--result-url: cannot connect to {spec.display}: {exc}") from exc
    try:
        cur = conn.cursor()
        for stmt in ddl(spec.engine):
            cur.execute(stmt)
        inserts: list[tuple[str, tuple[str, ...], list[tuple[Any, ...]]]] = [
            ("dvt_runs", RUN_COLUMNS, runs),
            ("dvt_findings", FINDING_COLUMNS, findings),
        ]
        for table, cols, rows in inserts:
            if rows:
                values = ", ".join([ph] * len(cols))
                cur.executemany(f"INSERT INTO {table} ({', '.join(cols)}) VALUES ({values})", rows)
        conn.commit()
    except Exception as exc:
        raise QueryError(f"--result-url: writing results to {spec.display} failed: {exc}") from exc
    finally:
        conn.close()


def read_runs(spec: ConnSpec) -> list[dict[str, Any]]:
    """Every dvt_runs row, oldest first (for `dvt report`)."""
    conn = _connect(spec)
    try:
        cur = conn.cursor()
        cur.execute(f"SELECT {', '.join(RUN_COLUMNS)} FROM dvt_runs ORDER BY run_at, validation")
        return [dict(zip(RUN_COLUMNS, row, strict=True)) for row in cur.fetchall()]
    except Exception as exc:
        raise QueryError(f"cannot read dvt_runs from {spec.display}: {exc}") from exc
    finally:
        conn.close()
