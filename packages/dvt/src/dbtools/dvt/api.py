"""dvt's Python API: what the `dvt` command runs, for programs.

    from dbtools import dvt

    result = dvt.validate_rows("postgresql://postgres@db/shop", "mysql://root@db/shop", "orders")
    if not result.passed:
        for finding in result.findings:
            print(finding.key, finding.column, finding.source, finding.target)

Connections are URLs or names saved with `dvt connections add`. Each function returns
`ValidationResult`s (`results.py`): `passed`, `status`, `summary`, `findings` (`Finding`: key,
column, check, source and target values, exactly as compared), and `error`/`skipped` for a
validation that could not run or was deliberately not run. `exit_code(results)` is the code the
CLI would exit with. A database that cannot be reached raises `ConnectError`; a bad setting
raises `ConfigError` (both `DvtError`).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator, Sequence
from contextlib import AbstractContextManager, contextmanager
from pathlib import Path
from typing import Any

from .beamcli import beam_settings, run_row_beam
from .columns import ColumnSpec
from .config import run_spec
from .connections import resolve
from .engines import Engine, open_engine
from .errors import ConfigError, ConnectError, ConnectionSpecError, DvtError
from .results import ValidationResult
from .rows import RowSpec
from .schema import SchemaSpec
from .timeouts import Timeouts

Validation = RowSpec | ColumnSpec | SchemaSpec
# A database: a URL, a saved connection name, or an engine from `connect`.
Database = str | Engine
# progress(label) → a context giving (advance by n rows, set the total): for a progress bar
Progress = Callable[
    [str], AbstractContextManager[tuple[Callable[[int], None], Callable[[int | None], None]]]
]

EXIT_PASSED, EXIT_FAILED, EXIT_CONFIG, EXIT_DATABASE = 0, 1, 2, 3


def connect(database: Database, timeouts: Timeouts | None = None) -> Engine:
    """An open engine for a URL or saved connection name (an engine is returned as it is)."""
    if isinstance(database, Engine):
        return database
    return open_engine(resolve(database, timeouts or Timeouts()))


@contextmanager
def _quiet(label: str) -> Iterator[tuple[Callable[[int], None], Callable[[int | None], None]]]:
    yield (lambda n: None), (lambda t: None)


def label_of(spec: Validation) -> str:
    """How a validation is named in progress and dry-run output."""
    kind = type(spec).__name__[:-4].lower()
    return f"{kind} {getattr(spec, 'source_table', None) or 'query'}"


def run_one(
    spec: Validation,
    source: Engine,
    target: Engine,
    progress: Callable[[int], None] | None = None,
    on_total: Callable[[int | None], None] | None = None,
) -> ValidationResult:
    """Run one validation; one that cannot run (no usable key, a missing table, a failed query)
    becomes an error result, so a run can go on with the next. An unreachable database raises
    `ConnectError`: every other validation would wait for it too."""
    try:
        beam = beam_settings()  # set by `dvt validate row --runner beam`
        if beam is not None and isinstance(spec, RowSpec):
            return run_row_beam(spec, source, target, beam)
        return run_spec(spec, source, target, progress, on_total)
    except (ConnectError, ConnectionSpecError):
        raise  # every other validation would fail the same way
    except DvtError as exc:
        kind = type(spec).__name__[:-4].lower()
        src = getattr(spec, "source_table", None) or "(custom query)"
        tgt = getattr(spec, "target_table", None) or src
        return ValidationResult(
            name=getattr(spec, "name", None) or f"{kind}:{src}",
            kind=kind,
            source_table=src,
            target_table=tgt,
            passed=False,
            error=str(exc),
            error_kind="config" if isinstance(exc, ConfigError) else "database",
        )


def run(
    source: Database,
    target: Database,
    validations: Sequence[Validation],
    *,
    timeouts: Timeouts | None = None,
    progress: Progress | None = None,
) -> list[ValidationResult]:
    """Run validations between two databases, in order, one result each. Engines made here
    from URLs are closed at the end; an engine passed in stays open (`engine.close()`)."""
    src, tgt = connect(source, timeouts), connect(target, timeouts)
    results = []
    try:
        for spec in validations:
            with (progress or _quiet)(label_of(spec)) as (advance, total):
                results.append(run_one(spec, src, tgt, advance, total))
    finally:
        for given, engine in ((source, src), (target, tgt)):
            if given is not engine:
                engine.close()
    return results


def validate_rows(
    source: Database,
    target: Database,
    table: str,
    target_table: str | None = None,
    *,
    timeouts: Timeouts | None = None,
    **options: Any,
) -> ValidationResult:
    """Compare every row by key (a hash of each row computed inside both databases).

    `options` are `RowSpec` fields: primary_keys, mode ("hash", "concat", "fields"), fields,
    exclude, column_map, case_insensitive, source_filter, target_filter, random_rows,
    partitions, workers, max_differences, block_rows."""
    spec = _spec(RowSpec, source_table=table, target_table=target_table, **options)
    return run(source, target, [spec], timeouts=timeouts)[0]


def validate_columns(
    source: Database,
    target: Database,
    table: str,
    target_table: str | None = None,
    *,
    aggregates: dict[str, list[str]] | None = None,
    timeouts: Timeouts | None = None,
    **options: Any,
) -> ValidationResult:
    """Compare aggregates computed in each database, e.g. `aggregates={"count": ["*"],
    "sum": ["amount"], "max": ["*"]}` ('*': every column the aggregate fits; default: count).

    `options` are `ColumnSpec` fields: group_by, exclude, column_map, source_filter,
    target_filter, threshold (percent)."""
    spec = _spec(
        ColumnSpec,
        source_table=table,
        target_table=target_table,
        aggregates=aggregates or {"count": ["*"]},
        **options,
    )
    return run(source, target, [spec], timeouts=timeouts)[0]


def validate_schema(
    source: Database,
    target: Database,
    table: str,
    target_table: str | None = None,
    *,
    timeouts: Timeouts | None = None,
    **options: Any,
) -> ValidationResult:
    """Compare columns, types (with narrowing reported by severity) and nullability.

    `options` are `SchemaSpec` fields: exclude, allow_list ("src:tgt,…"), check_nullability,
    column_map, expected_types."""
    spec = _spec(SchemaSpec, source_table=table, target_table=target_table, **options)
    return run(source, target, [spec], timeouts=timeouts)[0]


def plan_migration(
    out_dir: str | Path,
    source: Database | None = None,
    *,
    rows: bool = True,
    tables: Sequence[str] | None = None,
    timeouts: Timeouts | None = None,
) -> tuple[list[Validation], list[ValidationResult]]:
    """The validations of a spanner-migrate run (from OUT_DIR/report.json), and a skipped
    result for each table or row validation that will not run, saying why. The source is asked
    for row keys of tables whose primary key the migration made up."""
    from .migration import plan_migration as plan
    from .migration import read_report

    migrated = read_report(out_dir)
    wanted = {t.lower() for t in tables or []}
    unknown = wanted - {m.source.lower() for m in migrated}
    if unknown:
        raise ConfigError(f"not in {Path(out_dir) / 'report.json'}: {', '.join(sorted(unknown))}")
    chosen = [m for m in migrated if not wanted or m.source.lower() in wanted]
    needs_source = rows and any(m.synthetic_key and m.target for m in chosen)
    engine = connect(source, timeouts) if source is not None and needs_source else None
    try:
        return plan(chosen, engine, rows)
    finally:
        if engine is not None and engine is not source:
            engine.close()


def validate_migration(
    out_dir: str | Path,
    source: Database,
    target: Database,
    *,
    rows: bool = True,
    tables: Sequence[str] | None = None,
    timeouts: Timeouts | None = None,
    progress: Progress | None = None,
) -> list[ValidationResult]:
    """Validate every table a spanner-migrate run migrated: schema against the chosen Spanner
    types, aggregates, and rows. Tables and row validations that cannot run are in the results
    as skipped, with the reason; none is left out."""
    src, tgt = connect(source, timeouts), connect(target, timeouts)
    specs, notes = plan_migration(out_dir, src, rows=rows, tables=tables, timeouts=timeouts)
    return run(src, tgt, specs, timeouts=timeouts, progress=progress) + notes


def read_results(path: str | Path) -> list[ValidationResult]:
    """Results that `dvt … --format json -o PATH` wrote."""
    p = Path(path)
    try:
        data = json.loads(p.read_text())
    except OSError as exc:
        raise ConfigError(f"cannot read {p}: {exc.strerror}") from None
    except ValueError as exc:
        raise ConfigError(f"{p} is not JSON ({exc})") from None
    if not isinstance(data, list):
        raise ConfigError(f"{p} is not dvt's JSON output (a list of results)")
    try:
        return [ValidationResult.from_dict(item) for item in data]
    except (KeyError, TypeError, ValueError) as exc:
        raise ConfigError(f"{p} is not dvt's JSON output ({exc})") from None


def read_history(result_url: str, timeouts: Timeouts | None = None) -> list[dict[str, Any]]:
    """Every run a `--result-url` database holds (the dvt_runs rows, oldest first)."""
    from . import store

    return store.read_runs(resolve(result_url, timeouts or Timeouts()))


def exit_code(results: Sequence[ValidationResult]) -> int:
    """The worst result decides: a validation that could not run (2 config, 3 database) is
    worse than one that found differences (1)."""
    codes = [EXIT_PASSED]
    for r in results:
        if r.error is not None:
            codes.append(EXIT_CONFIG if r.error_kind == "config" else EXIT_DATABASE)
        elif not r.passed:
            codes.append(EXIT_FAILED)
    return max(codes)


def _spec(cls: type[Any], **fields: Any) -> Any:
    try:
        return cls(**fields)
    except TypeError as exc:
        raise ConfigError(f"{cls.__name__}: {exc}") from None
