"""The public Python API: read a source, convert its schema, load its data, read a report.

`spanner-migrate` is built on these functions, and so are the examples; everything else in the
package is internal and may change. The steps, each usable alone:

    source = read_source(engine="mysql", file="dump.sql")      # or url="mysql+pymysql://..."
    conv = convert_schema(source, "google_standard_sql")
    ddl = schema_statements(conv)                               # CREATE TABLE ..., then indexes, FKs
    report = build_report(conv)                                 # what changed, table by table
    load = load_data(conv, source, database=db, out=Path("out"), file="dump.sql")
    write_outputs(conv, report, Path("out"))  ...  read_report(Path("out"))

`database` is a google-cloud-spanner `Database` (see `open_database`) or anything with the same
`batch()` context manager taking `insert_or_update(table, columns, rows)`; `NullDatabase()`
converts every row and keeps none (a dry run).
"""

from __future__ import annotations

import datetime as dt
import json
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from . import ddl, report, session
from .apply import apply_schema, open_database
from .convert import Conversion, convert
from .errors import MigrateError
from .model import Diagnostic, SourceSchema
from .source import engine_of_url, open_dump, parse_dump, read_live
from .values import UTC, parse_timezone

if TYPE_CHECKING:
    from .data import LoadResult, TableStats

Dialect = Literal["google_standard_sql", "postgresql"]
IdentityStyle = Literal["identity", "sequence", "none"]
Report = dict[str, Any]  # the JSON document of report.json; keys listed in the README

__all__ = [
    "DataLoad",
    "Dialect",
    "IdentityStyle",
    "MigrateError",
    "NullDatabase",
    "Report",
    "apply_schema",
    "build_report",
    "convert_schema",
    "load_data",
    "open_database",
    "read_report",
    "read_source",
    "restart_identities",
    "schema_statements",
    "write_outputs",
]


def read_source(
    *, engine: str | None = None, file: str | Path | None = None, url: str | None = None
) -> SourceSchema:
    """The schema of a dump file (`engine` "mysql" or "postgres", `file` a path or "-" for
    stdin) or of a live database (`url`, a SQLAlchemy URL; `sqlite:///FILE` too).

    Raises MigrateError when the source cannot be read or is of the other engine. A dump that
    was not read whole is returned with `source.incomplete()` listing why."""
    if (file is None) == (url is None):
        raise MigrateError("give either a dump file or a database URL")
    if url is not None:
        found = engine_of_url(url)
        if engine and engine != found:
            raise MigrateError(f"engine {engine} does not match the URL ({found})")
        return read_live(url)
    if not engine:
        raise MigrateError("a dump file needs its engine: mysql or postgres")
    with open_dump(str(file)) as f:
        return parse_dump(engine, f)


def convert_schema(
    source: SourceSchema,
    dialect: Dialect = "google_standard_sql",
    *,
    identity: IdentityStyle = "identity",
    session_data: dict[str, Any] | None = None,
    uuid_default: bool = True,
) -> Conversion:
    """Apply the conversion rules; `session_data` is an edited session.json (its choices win)."""
    if session_data is None:
        return convert(source, dialect, identity=identity, uuid_default=uuid_default)
    defaults = session.build(convert(source, dialect, identity=identity, uuid_default=uuid_default))
    return convert(
        source,
        dialect,
        session.overrides(session_data, defaults),
        identity=identity,
        uuid_default=uuid_default,
    )


def schema_statements(
    conv: Conversion, *, tables: bool = True, indexes: bool = True, fks: bool = True
) -> list[str]:
    """The Spanner DDL, in an order Spanner accepts (sequences, tables, indexes, foreign keys)."""
    return ddl.statements(conv.schema, tables=tables, indexes=indexes, fks=fks)


def build_report(conv: Conversion, *, source_label: str = "") -> Report:
    """The conversion report: summary, input problems, objects not migrated, issues per table."""
    return report.build(conv, source_label=source_label)


def write_outputs(conv: Conversion, rep: Report, out: Path) -> None:
    """Write schema.ddl, report.json, report.txt and session.json into `out`. Every text is
    made before any file is written: a failure never leaves a file half done."""
    texts = {
        "schema.ddl": ddl.render(conv.schema),
        "report.json": report.to_json(rep),
        "report.txt": report.to_text(rep),
    }
    out.mkdir(parents=True, exist_ok=True)
    for name, text in texts.items():
        (out / name).write_text(text, encoding="utf-8")
    session.write(out / "session.json", session.build(conv))


def read_report(path: Path) -> Report:
    """A report written by `write_outputs` (a directory or its report.json); with the data
    report merged under "data" when data_report.json is beside it."""
    path = Path(path)
    folder = path if path.is_dir() else path.parent
    file = folder / "report.json" if path.is_dir() else path
    try:
        rep: Report = json.loads(file.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise MigrateError(f"cannot read the report {file}: {exc}") from exc
    data = folder / "data_report.json"
    if "data" not in rep and data.exists():
        rep["data"] = json.loads(data.read_text(encoding="utf-8"))
    return rep


@dataclass
class DataLoad:
    """What `load_data` did: per-table counts, how the source was read, the dump's input
    problems, and the statements that move IDENTITY counters past the loaded rows."""

    result: LoadResult
    source_reads: dict[str, str] = field(default_factory=dict)
    diagnostics: list[Diagnostic] = field(default_factory=list)
    identity_restarts: list[str] = field(default_factory=list)

    @property
    def bad_rows(self) -> int:
        return self.result.bad

    def to_json(self) -> dict[str, Any]:
        out = self.result.to_json()
        out["identity_restarts"] = self.identity_restarts
        out["source_reads"] = self.source_reads
        out["diagnostics"] = [
            {"line": d.line, "kind": d.kind, "message": d.message} for d in self.diagnostics
        ]
        return out


def NullDatabase() -> Any:
    """A target that takes every batch and keeps nothing (dry runs)."""
    from .data import NullDatabase as _Null

    return _Null()


def load_data(
    conv: Conversion,
    source: SourceSchema,
    *,
    database: Any,
    out: Path,
    file: str | Path | None = None,
    url: str | None = None,
    source_timezone: str | dt.tzinfo = UTC,
    source_label: str | None = None,
    write_parallelism: int = 4,
    read_parallelism: int = 1,
    batch_mutations: int | None = None,
    max_rows_per_second: float | None = None,
    resume: bool = False,
    checkpoint_interval: float = 1.0,
    progress: Callable[[str, TableStats], None] | None = None,
) -> DataLoad:
    """Read every row of the source (the dump `file`, or the database at `url`), convert it
    for `conv` and write it to `database` with InsertOrUpdate.

    Bad rows go to `out`/bad_rows.jsonl, checkpoints to `out`/checkpoint.json (`resume=True`
    goes on from it). Interleaved tables are loaded parents first. On Ctrl-C the checkpoint is
    written before the KeyboardInterrupt goes on. Raises MigrateError when Spanner refuses the
    writes for good or the source cannot be read."""
    from .data import DEFAULT_BATCH_MUTATIONS, Loader, identity_restarts, interleave_levels
    from .datasource import load_dump, load_live

    if (file is None) == (url is None):
        raise MigrateError("give either a dump file or a database URL")
    tz = (
        source_timezone
        if isinstance(source_timezone, dt.tzinfo)
        else parse_timezone(source_timezone)
    )
    loader = Loader(
        conv,
        database,
        Path(out),
        source_label=source_label or str(file or url),
        tz=tz,
        parallelism=write_parallelism,
        batch_mutations=batch_mutations or DEFAULT_BATCH_MUTATIONS,
        rows_per_second=max_rows_per_second,
        resume=resume,
        progress=progress,
        checkpoint_interval=checkpoint_interval,
    )
    load = DataLoad(result=loader.result)
    started = time.monotonic()
    levels = interleave_levels(conv)
    # interleaved tables: parents are loaded (and committed) before children, one pass each
    groups: list[set[str] | None] = list(levels) if len(levels) > 1 else [None]
    try:
        for n, group in enumerate(groups):
            if url is not None:
                load.source_reads = load_live(
                    loader, url, source, parallelism=read_parallelism, tables=group
                )
            else:
                with open_dump(str(file)) as f:
                    load_dump(loader, source.engine, f, load.diagnostics if n == 0 else [], group)
            loader.drain()
        load.result = loader.close()
        load.result.elapsed = time.monotonic() - started
    except KeyboardInterrupt:
        loader.interrupt()  # the checkpoint keeps every commit: a resume goes on from there
        raise
    load.identity_restarts = identity_restarts(conv, loader.identity_max)
    return load


def restart_identities(load: DataLoad, *, dialect: Dialect, **target: Any) -> None:
    """Run the IDENTITY restarts of a load on the target (see `apply_schema` for `target`)."""
    if load.identity_restarts:
        apply_schema(load.identity_restarts, dialect=dialect, **target)
