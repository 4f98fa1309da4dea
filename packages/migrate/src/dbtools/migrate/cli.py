"""`spanner-migrate`: convert a MySQL/PostgreSQL schema to Spanner, then create it there.

Every subcommand's options, progress output and exit codes are here, so the command line's
surface reads in one place (about 880 lines); the work itself is done by the public API
(`api`), the Beam launcher (`beamcli`) and the live-migration package (`live`).
"""

from __future__ import annotations

import gc
import json
import sys
import threading
import time
from pathlib import Path
from typing import Any, cast

import click
from rich.console import Console

from . import __version__, ddl, report, session
from .api import (
    DataLoad,
    Dialect,
    build_report,
    convert_schema,
    load_data,
    read_source,
    restart_identities,
    schema_statements,
    write_outputs,
)
from .apply import CONNECT_TIMEOUT, apply_schema, split_ddl
from .convert import DIALECTS, Conversion
from .errors import MigrateError
from .model import SourceSchema
from .source import engine_of_url

EXIT_OK, EXIT_ISSUES, EXIT_USAGE, EXIT_SOURCE, EXIT_SPANNER, EXIT_BAD_ROWS = 0, 1, 2, 3, 4, 5
_SEVERITY_RANK = {"error": 0, "warning": 1, "note": 2, "suggestion": 3}


_CONNECT_TIMEOUT = click.option(
    "--connect-timeout",
    type=click.FloatRange(0.1, 3600),
    default=CONNECT_TIMEOUT,
    show_default=True,
    metavar="SECONDS",
    help="Give up (exit 4, naming the endpoint) when Spanner cannot be reached in this time.",
)
_ALLOW_INCOMPLETE = click.option(
    "--allow-incomplete",
    is_flag=True,
    help="Go on (exit 0) when the dump lacks its tool's completion line or has statements "
    "that do not parse; the report lists what was not read.",
)


def _console(err: bool = False) -> Console:
    stream = sys.stderr if err else sys.stdout
    # soft_wrap: a message stays one line (greppable, and whole in logs), whatever the width;
    # markup off: messages quote source text and runner errors, whose [brackets] rich would
    # otherwise take for style tags and drop (a Beam failure's "[while running 'Load/...']")
    return Console(
        file=stream,
        highlight=False,
        markup=False,
        soft_wrap=True,
        color_system="auto" if stream.isatty() else None,
    )


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="spanner-migrate")
def main() -> None:
    """Migrate a MySQL or PostgreSQL schema to Cloud Spanner (GoogleSQL or PostgreSQL dialect).

    \b
    Examples:
      spanner-migrate schema --source mysql --file sakila.sql --out out/
      pg_dump --schema-only app | spanner-migrate schema --source postgres --file - \\
          --dialect postgresql --out out/
      spanner-migrate schema --url mysql+pymysql://root@127.0.0.1/shop --out out/
      spanner-migrate schema --session out/session.json --out out2/
      spanner-migrate apply-schema --out out/ --project p --instance i --database shop \\
          --emulator-host localhost:9010
    """


def _load_source(source: str | None, file: str | None, url: str | None) -> tuple[SourceSchema, str]:
    if file and url:
        raise click.UsageError("give either --file or --url, not both")
    if url:
        engine = engine_of_url(url)
        if source and source != engine:
            raise click.UsageError(f"--source {source} does not match the URL ({engine})")
        return read_source(url=url), _redact(url)
    if not source:
        raise click.UsageError("--source mysql|postgres is required with --file")
    return read_source(engine=source, file=file or "-"), file or "-"


def _redact(url: str) -> str:
    if "@" in url and "://" in url:
        scheme, rest = url.split("://", 1)
        auth, host = rest.rsplit("@", 1)
        if ":" in auth:
            auth = auth.split(":", 1)[0] + ":***"
        return f"{scheme}://{auth}@{host}"
    return url


def run_conversion(
    src: SourceSchema, dialect: str, session_data: dict[str, Any] | None, **options: Any
) -> Conversion:
    return convert_schema(src, dialect, session_data=session_data, **options)  # type: ignore[arg-type]


@main.command("schema")
@click.option("--source", type=click.Choice(["mysql", "postgres"]), help="Source engine.")
@click.option("--file", "file", metavar="PATH", help="mysqldump / pg_dump plain file; '-' = stdin.")
@click.option(
    "--url",
    metavar="URL",
    help="Live source: SQLAlchemy URL (mysql+pymysql://, postgresql+psycopg://).",
)
@click.option(
    "--dialect",
    type=click.Choice(DIALECTS),
    default=None,
    help="Target dialect [google_standard_sql].",
)
@click.option(
    "--out", "out", required=True, type=click.Path(file_okay=False), help="Output directory."
)
@click.option(
    "--session",
    "session_file",
    type=click.Path(exists=True, dir_okay=False),
    help="Edited session file to apply.",
)
@click.option(
    "--dry-run",
    is_flag=True,
    help="Offline: only read the source and write files (this command never touches Spanner).",
)
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["text", "json"]),
    default="text",
    help="Summary format on stdout.",
)
@click.option(
    "--fail-on",
    type=click.Choice(["error", "warning", "never"]),
    default="never",
    help="Exit 1 when an issue of this severity (or worse) exists.",
)
@click.option(
    "--identity-style",
    type=click.Choice(["identity", "sequence", "none"]),
    default="identity",
    show_default=True,
    help="Auto-increment columns as IDENTITY, as a DEFAULT from a bit-reversed SEQUENCE, or plain.",
)
@click.option(
    "--identity/--no-identity",
    default=True,
    help="AUTO_INCREMENT/SERIAL as bit-reversed IDENTITY [on]; off keeps plain INT64 (targets without IDENTITY).",
)
@click.option(
    "--uuid-default/--no-uuid-default",
    default=True,
    help="DEFAULT (GENERATE_UUID()) on synthetic keys [on].",
)
@_ALLOW_INCOMPLETE
def schema_cmd(
    source: str | None,
    file: str | None,
    url: str | None,
    dialect: str | None,
    out: str,
    session_file: str | None,
    dry_run: bool,
    fmt: str,
    fail_on: str,
    identity: bool,
    identity_style: str,
    uuid_default: bool,
    allow_incomplete: bool,
) -> None:
    """Convert a schema; writes schema.ddl, report.txt, report.json and session.json to --out.

    \b
    Exit codes: 0 converted; 1 issues at --fail-on level; 2 usage; 3 source unreadable, of the
    other engine, or incomplete (cut short or with statements that do not parse: the files are
    written all the same; --allow-incomplete makes that exit 0).
    """
    err = _console(err=True)
    # A schema is many small, long-lived objects: the cyclic GC only costs time here (~15%).
    gc.disable()
    try:
        session_data = session.read(session_file) if session_file else None
        if session_data is not None and not file and not url:
            src = session.source_schema(session_data)
            label = f"session {session_file}"
        else:
            src, label = _load_source(source, file, url)
        dialect = dialect or (session_data or {}).get("dialect") or "google_standard_sql"
        conv = run_conversion(
            src,
            dialect,
            session_data,
            identity=identity_style if identity else "none",
            uuid_default=uuid_default,
        )
    except click.UsageError:
        raise
    except MigrateError as exc:
        err.print(f"error: {exc}")
        sys.exit(EXIT_SOURCE)
    outdir = Path(out)
    outdir.mkdir(parents=True, exist_ok=True)
    rep = report.build(conv, source_label=label)
    write_outputs(conv, rep, outdir)
    summary = rep["summary"]
    if fmt == "json":
        click.echo(json.dumps({"out": str(outdir), "dry_run": dry_run, **summary}))
    else:
        con = _console()
        con.print(f"{summary['text']}.")
        c = summary["issues"]
        con.print(
            f"{summary['tables']} tables; {c['error']} errors, {c['warning']} warnings, "
            f"{c['note']} notes, {c['suggestion']} suggestions; {summary['diagnostics']} input problems."
        )
        con.print(f"Wrote {outdir}/schema.ddl, report.txt, report.json, session.json")
    _refuse_incomplete(src, allow_incomplete, "the files above describe only what was read")
    if fail_on != "never":
        worst = min((_SEVERITY_RANK[i.severity] for i in conv.issues), default=9)
        if worst <= _SEVERITY_RANK[fail_on]:
            sys.exit(EXIT_ISSUES)


def _refuse_incomplete(src: SourceSchema, allow: bool, what: str) -> None:
    """Exit 3 naming the first problem when part of the source was not read, unless allowed."""
    problems = src.incomplete()
    if not problems or allow:
        return
    first = problems[0]
    more = f" (and {len(problems) - 1} more input problems)" if len(problems) > 1 else ""
    _console(err=True).print(
        f"error: the source is incomplete: line {first.line}: {first.message}{more}; {what}. "
        "Pass --allow-incomplete to accept that."
    )
    sys.exit(EXIT_SOURCE)


@main.command("apply-schema")
@click.option(
    "--out",
    "out",
    type=click.Path(file_okay=False, exists=True),
    help="Directory written by `schema` (uses schema.ddl and session.json).",
)
@click.option(
    "--ddl",
    "ddl_file",
    type=click.Path(dir_okay=False, exists=True),
    help="A schema.ddl file (instead of --out).",
)
@click.option(
    "--dialect",
    type=click.Choice(DIALECTS),
    default=None,
    help="Dialect of the DDL (read from the file when omitted).",
)
@click.option("--project", required=True)
@click.option("--instance", required=True)
@click.option("--database", required=True)
@click.option(
    "--emulator-host",
    metavar="HOST:PORT",
    help="Spanner emulator or spanner-local (also SPANNER_EMULATOR_HOST).",
)
@click.option(
    "--endpoint", metavar="HOST:PORT", help="Custom Spanner API endpoint (authenticated)."
)
@click.option(
    "--create-instance", is_flag=True, help="Create the instance when missing (emulators only)."
)
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text")
@_CONNECT_TIMEOUT
def apply_schema_cmd(
    out: str | None,
    ddl_file: str | None,
    dialect: str | None,
    project: str,
    instance: str,
    database: str,
    emulator_host: str | None,
    endpoint: str | None,
    create_instance: bool,
    fmt: str,
    connect_timeout: float,
) -> None:
    """Create the converted schema on a Spanner database (creating the database if needed).

    \b
    Exit codes: 0 applied; 2 usage; 4 Spanner rejected the DDL or could not be reached within
    --connect-timeout.
    """
    if not out and not ddl_file:
        raise click.UsageError("give --out DIR (from `schema`) or --ddl FILE")
    path = Path(ddl_file) if ddl_file else Path(out or ".") / "schema.ddl"
    if not path.exists():
        raise click.UsageError(
            f"{path} does not exist; run `spanner-migrate schema --out DIR` first"
        )
    text = path.read_text(encoding="utf-8")
    if dialect is None:
        first = text.splitlines()[0] if text else ""
        dialect = "postgresql" if "(postgresql)" in first else "google_standard_sql"
    statements = split_ddl(text)
    try:
        result = apply_schema(
            statements,
            project=project,
            instance=instance,
            database=database,
            dialect=dialect,
            emulator_host=emulator_host,
            endpoint=endpoint,
            create_instance=create_instance,
            connect_timeout=connect_timeout,
        )
    except MigrateError as exc:
        _console(err=True).print(f"error: {exc}")
        sys.exit(EXIT_SPANNER)
    if fmt == "json":
        click.echo(json.dumps(result))
    else:
        verb = "Created" if result["created"] else "Updated"
        _console().print(
            f"{verb} database {database} ({dialect}): {result['statements']} DDL statements applied."
        )


class _DryRun(Exception):
    """Internal: skip every Spanner call."""


def _data_options(f: Any) -> Any:
    opts = [
        click.option(
            "--source",
            type=click.Choice(["mysql", "postgres"]),
            help="Source engine (with --file).",
        ),
        click.option(
            "--file",
            "file",
            metavar="PATH",
            help="mysqldump / pg_dump plain file (schema and data).",
        ),
        click.option("--url", metavar="URL", help="Live source (SQLAlchemy URL)."),
        click.option(
            "--session",
            "session_file",
            type=click.Path(exists=True, dir_okay=False),
            help="Session file with the schema choices.",
        ),
        click.option("--dialect", type=click.Choice(DIALECTS), default=None),
        click.option(
            "--out",
            "out",
            required=True,
            type=click.Path(file_okay=False),
            help="Directory for checkpoint.json, bad_rows.jsonl, data_report.json.",
        ),
        click.option("--project", required=True),
        click.option("--instance", required=True),
        click.option("--database", required=True),
        click.option("--emulator-host", metavar="HOST:PORT"),
        click.option("--endpoint", metavar="HOST:PORT"),
        click.option(
            "--write-parallelism", type=click.IntRange(1, 64), default=4, show_default=True
        ),
        click.option(
            "--batch-mutations",
            type=click.IntRange(1, 80000),
            default=20000,
            show_default=True,
            help="Mutations per commit, index entries included.",
        ),
        click.option(
            "--max-rows-per-second", type=float, default=None, help="Rate limit for the writers."
        ),
        click.option(
            "--max-bad-rows",
            type=int,
            default=None,
            help="Exit 5 when more rows than this are bad.",
        ),
        click.option("--resume", is_flag=True, help="Go on from the checkpoint in --out."),
        click.option(
            "--checkpoint-interval",
            type=float,
            default=1.0,
            show_default=True,
            help="Seconds between checkpoint writes (0: after every commit); a resume after a "
            "hard kill rewrites at most that much.",
        ),
        click.option(
            "--source-timezone",
            default="UTC",
            show_default=True,
            help="Zone of DATETIME / timestamp-without-time-zone values.",
        ),
        click.option(
            "--identity/--no-identity", default=True, help="--no-identity = --identity-style none."
        ),
        click.option(
            "--identity-style",
            type=click.Choice(["identity", "sequence", "none"]),
            default="identity",
            show_default=True,
        ),
        click.option(
            "--dry-run",
            is_flag=True,
            help="Read and convert every row, write bad rows and the report, touch no Spanner.",
        ),
        click.option(
            "--read-parallelism",
            type=click.IntRange(1, 32),
            default=2,
            show_default=True,
            help="Live sources: tables read at once (PostgreSQL shares one snapshot).",
        ),
        click.option(
            "--indexes-before",
            is_flag=True,
            help="Create indexes and foreign keys before the load (default: after, as Spanner recommends).",
        ),
        click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text"),
        _ALLOW_INCOMPLETE,
        _CONNECT_TIMEOUT,
        *_BEAM_OPTIONS,
    ]
    for opt in reversed(opts):
        f = opt(f)
    return f


def _beam_options() -> list[Any]:
    from .beamcli import OPTIONS

    return OPTIONS


_BEAM_OPTIONS = _beam_options()


def _target_of(args: dict[str, Any]) -> dict[str, Any]:
    """The Spanner database the target options name, as `apply_schema`/`open_database` take it."""
    names = ("project", "instance", "database", "emulator_host", "endpoint", "connect_timeout")
    return {name: args[name] for name in names}


def _output_and_timezone(args: dict[str, Any]) -> tuple[Console, Path, Any]:
    """The error console, the output folder (created) and the source time zone (checked)."""
    from .values import parse_timezone

    out = Path(args["out"])
    out.mkdir(parents=True, exist_ok=True)
    try:
        tz = parse_timezone(args["source_timezone"])
    except ValueError as exc:
        raise click.UsageError(str(exc)) from exc
    return _console(err=True), out, tz


def _run_data(args: dict[str, Any], with_schema: bool) -> None:
    from .beamcli import check_runner_settings

    check_runner_settings(args)
    err, out, tz = _output_and_timezone(args)
    try:
        session_data = session.read(args["session_file"]) if args["session_file"] else None
        if args["file"] or args["url"]:
            src, label = _load_source(args["source"], args["file"], args["url"])
        elif session_data is not None:
            raise click.UsageError(
                "the data comes from --file or --url (the session holds only the schema)"
            )
        else:
            raise click.UsageError("give --file or --url")
        dialect = args["dialect"] or (session_data or {}).get("dialect") or "google_standard_sql"
        style = args["identity_style"] if args["identity"] else "none"
        conv = run_conversion(src, dialect, session_data, identity=style)
    except click.UsageError:
        raise
    except MigrateError as exc:
        err.print(f"error: {exc}")
        sys.exit(EXIT_SOURCE)
    _refuse_incomplete(src, args["allow_incomplete"], "nothing was loaded")
    if args["file"] == "-":
        raise click.UsageError("data from stdin is not resumable; give the dump as --file PATH")
    target = _target_of(args)
    try:
        if args["dry_run"]:
            raise _DryRun
        if with_schema and not args["resume"]:
            early = bool(args["indexes_before"])
            first = ddl.statements(conv.schema, indexes=early, fks=early)
            apply_schema(first, dialect=dialect, **target)
        from .apply import open_database

        db = open_database(**target)
    except _DryRun:
        from .data import NullDatabase

        db = NullDatabase()
    except MigrateError as exc:
        err.print(f"error: {exc}")
        sys.exit(EXIT_SPANNER)
    bars: Any = None
    tasks: dict[str, Any] = {}
    if sys.stderr.isatty():  # a bar per table (rows, rows/s); a dump's totals are not known
        from rich.progress import Progress, SpinnerColumn, TextColumn, TimeElapsedColumn

        bars = Progress(
            SpinnerColumn(),
            TextColumn("{task.description}"),
            TextColumn("{task.completed:>10,.0f} rows"),
            TextColumn("{task.fields[rate]}"),
            TimeElapsedColumn(),
            console=Console(file=sys.stderr),
        )
        bars.start()
    started = time.monotonic()
    lock = threading.Lock()

    def progress(table: str, stats: Any) -> None:
        elapsed = max(1e-6, time.monotonic() - started)
        done = stats.written + stats.bad
        if bars is not None:
            with lock:
                if table not in tasks:
                    tasks[table] = bars.add_task(table, total=None, rate="")
                rate = f"{done / elapsed:,.0f} rows/s, {stats.bad} bad"
                bars.update(tasks[table], completed=done, rate=rate)
            return
        event = {
            "event": "progress",
            "table": table,
            # a dry run converts the rows and writes none
            ("rows_converted" if args["dry_run"] else "rows_written"): stats.written,
            "bad_rows": stats.bad,
            "seconds": round(elapsed, 3),
        }
        sys.stderr.write(json.dumps(event) + "\n")

    if args["runner"] == "beam":
        from .beamcli import beam_load
        from .data import identity_restarts

        if bars is not None:
            bars.stop()  # a pipeline reports through its runner, not per-table bars
        start = time.monotonic()
        try:
            result, identity_max, read_info, diagnostics = beam_load(args, conv, tz, out, target)
        except MigrateError as exc:
            err.print(f"error: {exc}")
            sys.exit(EXIT_SPANNER)
        result.elapsed = time.monotonic() - start
        load = DataLoad(result, read_info, diagnostics, identity_restarts(conv, identity_max))
    else:
        try:
            load = load_data(
                conv,
                src,
                database=db,
                out=out,
                file=args["file"],
                url=args["url"],
                source_timezone=tz,
                source_label=label,
                write_parallelism=args["write_parallelism"],
                read_parallelism=args["read_parallelism"],
                batch_mutations=args["batch_mutations"],
                max_rows_per_second=args["max_rows_per_second"],
                resume=args["resume"],
                checkpoint_interval=args["checkpoint_interval"],
                progress=progress,
            )
        except MigrateError as exc:
            err.print(f"error: {exc}")
            sys.exit(EXIT_SPANNER)
        finally:
            if bars is not None:
                bars.stop()
        result = load.result
    result.dry_run = bool(args["dry_run"])
    if with_schema and not args["indexes_before"] and not args["dry_run"]:
        try:  # secondary indexes and foreign keys after the load, as Spanner recommends
            rest = schema_statements(conv, tables=False)
            if rest:
                apply_schema(rest, dialect=dialect, **target)
        except MigrateError as exc:
            err.print(f"error: {exc}")
            sys.exit(EXIT_SPANNER)
    restarts = load.identity_restarts
    if restarts and not args["dry_run"]:
        try:
            restart_identities(load, dialect=cast(Dialect, dialect), **target)
        except MigrateError as exc:  # the data is in; say what to run by hand
            err.print(
                f"warning: could not move IDENTITY counters past the loaded rows ({exc}); run: {'; '.join(restarts)}"
            )
    # diagnostics: data statements that could not be read at all (not in rows_read)
    data_rep = load.to_json()
    data_rep["source_incomplete"] = bool(src.incomplete())
    if data_rep["source_incomplete"]:
        data_rep["rating"] = "POOR"  # rows after the cut are missing: never a fair result
    if with_schema:
        write_outputs(conv, report.add_data(build_report(conv, source_label=label), data_rep), out)
    (out / "data_report.json").write_text(json.dumps(data_rep, indent=1) + "\n", encoding="utf-8")
    if args["fmt"] == "json":
        click.echo(json.dumps({k: v for k, v in data_rep.items() if k != "tables"}))
    else:
        dry = (
            f" (dry run: {data_rep['rows_converted']} converted, nothing written)"
            if args["dry_run"]
            else ""
        )
        _console().print(
            f"Data conversion: {data_rep['rating']}: {data_rep['rows_written']} of {data_rep['rows_read']} rows "
            f"written{dry}, {data_rep['bad_rows']} bad (see {out}/bad_rows.jsonl) in {data_rep['seconds']:.1f}s."
        )
    if args["max_bad_rows"] is not None and result.bad > args["max_bad_rows"]:
        err.print(f"error: {result.bad} bad rows, more than --max-bad-rows {args['max_bad_rows']}")
        sys.exit(EXIT_BAD_ROWS)


@main.command("data")
@_data_options
def data_cmd(**args: Any) -> None:
    """Load the data into an existing Spanner schema (InsertOrUpdate: reruns are idempotent).

    \b
    Exit codes: 0 loaded; 2 usage; 3 source unreadable; 4 Spanner error; 5 more bad rows than
    --max-bad-rows.
    """
    _run_data(args, with_schema=False)


@main.command("schema-and-data")
@_data_options
def schema_and_data_cmd(**args: Any) -> None:
    """Create the tables, load the data, then create indexes and foreign keys.

    \b
    Example:
      spanner-migrate schema-and-data --source mysql --file shop.sql --out out/ \\
          --project p --instance i --database shop --emulator-host localhost:9010
    """
    _run_data(args, with_schema=True)


_TARGET_OPTIONS = [
    click.option("--project", required=True),
    click.option("--instance", required=True),
    click.option("--database", required=True),
    click.option("--emulator-host", metavar="HOST:PORT"),
    click.option("--endpoint", metavar="HOST:PORT"),
    _CONNECT_TIMEOUT,
]


def _target_options(f: Any) -> Any:
    for opt in reversed(_TARGET_OPTIONS):
        f = opt(f)
    return f


@main.command("live")
@click.option("--url", required=True, metavar="URL", help="Live source (SQLAlchemy URL).")
@click.option(
    "--session",
    "session_file",
    type=click.Path(exists=True, dir_okay=False),
    help="Session file with the schema choices.",
)
@click.option("--dialect", type=click.Choice(DIALECTS), default=None)
@click.option(
    "--out",
    required=True,
    type=click.Path(file_okay=False),
    help="Directory for the report (cutover reads it) and the backfill's files.",
)
@_target_options
@click.option(
    "--stream",
    "stream_name",
    default="live",
    show_default=True,
    help="Name of this migration's checkpoint row in the target.",
)
@click.option("--batch-mutations", type=click.IntRange(1, 80000), default=20000, show_default=True)
@click.option(
    "--write-parallelism",
    type=click.IntRange(1, 64),
    default=4,
    show_default=True,
    help="Backfill writers.",
)
@click.option("--source-timezone", default="UTC", show_default=True)
@click.option(
    "--publication",
    metavar="NAME",
    help="PostgreSQL: follow this publication (it must publish every migrated table, all "
    "actions, all rows and columns) instead of creating one named after the stream.",
)
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text")
def live_cmd(**args: Any) -> None:
    """Migrate a live MySQL/MariaDB or PostgreSQL database: backfill a consistent snapshot,
    then apply the source's changes as they happen, until stopped (SIGINT / SIGTERM).

    \b
    Restartable: the position is kept in the target with the data; run the same command
    again after any stop or crash. Status (lag, events/s, per-table counts) every second,
    on stderr, or as JSON lines on stdout with --format json.
    Exit codes: 0 stopped; 2 usage; 3 source not ready (settings named); 4 Spanner error;
    6 the stream stopped (a schema change at the source, a value that does not convert).
    """
    import signal

    from .live.apply import LiveError
    from .live.lag import render
    from .live.run import run_live

    err, out, tz = _output_and_timezone(args)
    try:
        session_data = session.read(args["session_file"]) if args["session_file"] else None
        src, label = _load_source(None, None, args["url"])
        dialect = args["dialect"] or (session_data or {}).get("dialect") or "google_standard_sql"
        conv = run_conversion(src, dialect, session_data)
    except MigrateError as exc:
        err.print(f"error: {exc}")
        sys.exit(EXIT_SOURCE)
    write_outputs(conv, build_report(conv, source_label=label), out)
    target = _target_of(args)
    try:
        apply_schema([], dialect=dialect, **target)  # creates the database when it is missing
        from .apply import open_database

        db = open_database(**target)
    except MigrateError as exc:
        err.print(f"error: {exc}")
        sys.exit(EXIT_SPANNER)
    stop = threading.Event()
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, lambda *_: stop.set())

    def emit(record: dict[str, Any]) -> None:
        if args["fmt"] == "json":
            click.echo(json.dumps(record), nl=True)
            sys.stdout.flush()
        elif record.get("event") == "status" and sys.stderr.isatty():
            # one status line, rewritten in place every second
            sys.stderr.write("\r\x1b[2K" + render(record)[: err.width - 1])
            sys.stderr.flush()
        elif record.get("event") == "status":
            err.print(render(record), highlight=False, soft_wrap=True)
        else:
            if sys.stderr.isatty():
                sys.stderr.write("\n")
            err.print(" ".join(f"{k}={v}" for k, v in record.items()), highlight=False)

    try:
        run_live(
            url=args["url"],
            conv=conv,
            database=db,
            dialect=dialect,
            schema_ddl=ddl.statements(conv.schema, indexes=False, fks=False),
            out=out,
            source_label=label,
            tz=tz,
            stream_name=args["stream_name"],
            stop=stop,
            emit=emit,
            batch_mutations=args["batch_mutations"],
            write_parallelism=args["write_parallelism"],
            publication=args["publication"],
        )
    except LiveError as exc:
        err.print(f"error: {exc}", highlight=False)
        emit({"event": "stopped", "error": str(exc)})
        sys.exit(EXIT_SOURCE if "not ready" in str(exc) else EXIT_STREAM)
    except MigrateError as exc:
        err.print(f"error: {exc}", highlight=False)
        sys.exit(EXIT_SPANNER)
    except Exception as exc:  # a lost source or Spanner connection: named, restartable
        what = f"{type(exc).__module__}.{type(exc).__name__}: {exc}".strip()
        err.print(
            f"error: the live migration stopped: {what}; what is committed is kept, run the "
            "same command again to go on",
            highlight=False,
        )
        emit({"event": "stopped", "error": what})
        sys.exit(EXIT_STREAM)


EXIT_STREAM = 6


@main.command("cutover")
@click.option("--url", required=True, metavar="URL", help="The live source (SQLAlchemy URL).")
@click.option(
    "--out",
    required=True,
    type=click.Path(file_okay=False, exists=True),
    help="The --out directory of `spanner-migrate live` (its report maps the tables).",
)
@_target_options
@click.option("--stream", "stream_name", default="live", show_default=True)
@click.option(
    "--timeout",
    type=click.FloatRange(0.1, None),
    default=300.0,
    show_default=True,
    metavar="SECONDS",
    help="No-go when the target has not caught up with the source in this time.",
)
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text")
def cutover_cmd(**args: Any) -> None:
    """After the application stops writing: wait until the target has applied every change,
    validate every table row by row with dvt, and say go or no-go.

    \b
    Exit codes: 0 go; 1 no-go (lag, or differences: each named); 2 usage; 3 source error;
    4 Spanner error.
    """
    from .live.cutover import cutover

    target = _target_of(args)
    try:
        from .apply import open_database

        db = open_database(**target)
    except MigrateError as exc:
        _console(err=True).print(f"error: {exc}")
        sys.exit(EXIT_SPANNER)
    verdict = cutover(
        url=args["url"],
        out=Path(args["out"]),
        database=db,
        target=target,
        stream_name=args["stream_name"],
        timeout=args["timeout"],
    )
    if args["fmt"] == "json":
        click.echo(json.dumps(verdict))
    else:
        for line in verdict["lines"]:
            click.echo(line)
        click.echo(f"verdict: {'GO' if verdict['go'] else 'NO-GO'}")
    sys.exit(EXIT_OK if verdict["go"] else EXIT_ISSUES)


if __name__ == "__main__":  # pragma: no cover
    main()
