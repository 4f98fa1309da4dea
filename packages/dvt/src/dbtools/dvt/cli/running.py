"""Running validations from the command line: errors to exit codes, the progress bar, dry
runs, and the output (formats, --filter-status, --result-url)."""

from __future__ import annotations

import dataclasses
import functools
import os
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import click

from .. import api
from ..api import EXIT_CONFIG, EXIT_DATABASE, exit_code
from ..config import ValidationConfig, save_config
from ..engines import Engine
from ..errors import ConfigError, DvtError
from ..report import render
from ..results import ValidationResult
from ..rows import RowSpec, RowValidator
from ..schema import SchemaSpec
from .options import STATUSES, setting, timeouts

EXIT_INTERNAL = 4


def guard(fn: Callable[..., Any]) -> Callable[..., Any]:
    """Turn dvt errors into one clear line and the documented exit code."""

    @functools.wraps(fn)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return fn(*args, **kwargs)
        except ConfigError as exc:
            click.echo(f"error: {exc}", err=True)
            sys.exit(EXIT_CONFIG)
        except DvtError as exc:
            click.echo(f"error: {exc}", err=True)
            sys.exit(EXIT_DATABASE)
        except (click.ClickException, click.exceptions.Exit, click.Abort, SystemExit):
            raise
        except KeyboardInterrupt:
            click.echo("interrupted", err=True)
            sys.exit(130)
        except Exception as exc:
            if os.environ.get("DVT_TRACEBACK"):
                raise
            where = exc.__traceback__
            while where is not None and where.tb_next is not None:
                where = where.tb_next
            at = f" at {where.tb_frame.f_code.co_filename}:{where.tb_lineno}" if where else ""
            click.echo(
                f"error: unexpected {type(exc).__name__}: {exc}{at} — a bug in dvt; rerun with "
                "DVT_TRACEBACK=1 and report the traceback",
                err=True,
            )
            sys.exit(EXIT_INTERNAL)

    return wrapper


@contextmanager
def _progress(
    enabled: bool | None, label: str
) -> Iterator[tuple[Callable[[int], None], Callable[[int | None], None]]]:
    if enabled is None:
        enabled = sys.stderr.isatty()
    if not enabled:
        yield (lambda n: None), (lambda t: None)
        return
    from rich.console import Console
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    progress = Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=Console(stderr=True),
        transient=True,
    )
    task = progress.add_task(label, total=None)
    with progress:
        yield (lambda n: progress.advance(task, n)), (lambda t: progress.update(task, total=t))


def _shown(results: list[ValidationResult], statuses: list[str] | None) -> list[ValidationResult]:
    """The results (and their checks) whose status is wanted; None keeps everything."""
    if not statuses:
        return results
    out = []
    for r in results:
        if r.status not in statuses:
            continue
        kept = [f for f in r.findings if f.status in statuses or f.status not in STATUSES]
        out.append(dataclasses.replace(r, findings=kept))
    return out


def emit(results: list[ValidationResult]) -> None:
    import datetime as dt
    import uuid

    ctx = click.get_current_context()
    run_id = uuid.uuid4().hex
    labels = ctx.meta.get("dvt.labels") or {}
    for r in results:
        r.run_id, r.labels = run_id, labels
    target = ctx.meta.get("dvt.result_url")
    if target is not None:
        from .. import store

        conns = ctx.meta.get("dvt.conns", ("", ""))
        runs, findings = store.run_rows(
            results, run_id, ctx.meta.get("dvt.started", dt.datetime.now(dt.timezone.utc)),
            labels, conns,
        )  # fmt: skip
        store.write(target, runs, findings)
    all_results, results = results, _shown(results, ctx.meta.get("dvt.filter_status"))
    fmt, output = setting("fmt", "table"), setting("output")
    if output:
        Path(output).write_text(render(results, fmt, color=False))
        click.echo(
            render(results, "table", color=sys.stdout.isatty())
            if fmt == "table"
            else f"results written to {output}"
        )
    else:
        click.echo(render(results, fmt, color=sys.stdout.isatty()), nl=False)
    for r in all_results:
        if r.error is not None:
            click.echo(f"error: {r.name}: {r.error}", err=True)
    code = exit_code(all_results)
    if code:
        sys.exit(code)


def run_or_save(source_conn: str, target_conn: str, specs: list[Any]) -> None:
    """Run the validations and print the results, or save them with --config-file."""
    config = ValidationConfig(source_conn, target_conn, specs)
    save_to = setting("save_to")
    if save_to:
        path = save_config(config, save_to)
        click.echo(f"saved {len(specs)} validation(s) to {path}; run with: dvt configs run {path}")
        return
    emit(run(config))


def engine(conn: str) -> Engine:
    """An engine for a URL or saved name; its idle connection is closed when the command ends."""
    opened = api.connect(conn, timeouts())
    ctx = click.get_current_context(silent=True)
    if ctx is not None:
        ctx.find_root().call_on_close(opened.close)
    return opened


def run(config: ValidationConfig) -> list[ValidationResult]:
    import datetime as dt

    source, target = engine(config.source), engine(config.target)
    ctx = click.get_current_context(silent=True)
    if ctx is not None:
        ctx.meta.setdefault("dvt.started", dt.datetime.now(dt.timezone.utc))
        ctx.meta["dvt.conns"] = (source.spec.display, target.spec.display)
    if ctx is not None and ctx.meta.get("dvt.dry_run"):
        _print_dry_run(config, source, target)
        raise click.exceptions.Exit(0)
    bar = functools.partial(_progress, setting("progress"))
    return api.run(source, target, config.validations, progress=bar)


def _print_dry_run(config: ValidationConfig, source: Any, target: Any) -> None:
    from ..columns import ColumnValidator

    for spec in config.validations:
        label = getattr(spec, "name", None) or getattr(spec, "source_table", None) or "query"
        click.echo(f"-- {type(spec).__name__[:-4].lower()}: {label}")
        if isinstance(spec, RowSpec):
            steps = RowValidator(spec, source, target).dry_run()
        elif isinstance(spec, SchemaSpec):
            click.echo("-- reads the column metadata of both tables only\n")
            continue
        else:
            steps = [("aggregates", *ColumnValidator(spec, source, target).dry_run())]
        for what, src_sql, tgt_sql in steps:
            click.echo(f"-- {what}\n-- source ({source.spec.display}):\n{src_sql};")
            click.echo(f"-- target ({target.spec.display}):\n{tgt_sql};\n")
