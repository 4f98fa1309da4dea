"""The `live` command: check the source, backfill from a snapshot, then stream the changes.

Phases, each recorded in the checkpoint before it starts:
- backfill: a snapshot is opened together with its exact stream position; the position is
  checkpointed, then every table is copied by migrate's loader into tables without secondary
  indexes or foreign keys, which are created after the copy (a faster load, as Spanner
  recommends and `schema-and-data` does) and before the stream starts. A backfill interrupted by a
  crash is redone from scratch (target rows cleared, a new snapshot): rows the first attempt
  copied may have been deleted since, and only a fresh snapshot says so.
- streaming: the changes after the checkpointed position, applied by `apply.Applier`, each
  commit carrying the new position.
"""

from __future__ import annotations

import datetime as dt
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from .. import ddl
from ..convert import Conversion
from ..data import Loader
from ..datasource import read_table, select_list
from ..loadplan import identity_counters, interleave_levels, plan_tables
from ..source import _create_engine, engine_of_url
from . import checkpoint, positions
from .apply import Applier, LiveError, commit_atomically
from .changes import Commit, Idle, RowChange, SchemaChange, Truncate
from .checkpoint import State
from .lag import Progress

STATUS_EVERY = 1.0  # seconds between status records


def _capture(engine: str) -> Any:
    if engine == "mysql":
        from . import capture_mysql

        return capture_mysql
    if engine == "postgres":
        from . import capture_pg

        return capture_pg
    raise LiveError(f"live migration reads MySQL/MariaDB and PostgreSQL sources, not {engine}")


def preflight(
    url: str, conv: Conversion, loader_plans: dict[str, Any], publication: str | None = None
) -> Any:
    """The capture module for the URL, once the server and the schema allow a live migration."""
    engine = engine_of_url(url)
    capture = _capture(engine)
    problems = capture.check_settings(url)
    keyless = sorted(p.source.name for p in loader_plans.values() if p.synthetic or not p.key)
    if keyless:
        problems.append(
            "tables without a primary key cannot be followed by key: "
            + ", ".join(keyless)
            + " (add a primary key on the source, or skip them in the session)"
        )
    keyed = {p.source.name: list(p.key) for p in loader_plans.values() if p.key and not p.synthetic}
    problems += capture.check_tables(url, keyed, publication)
    if problems:
        raise LiveError(
            "the source is not ready for live migration:\n  - " + "\n  - ".join(problems)
        )
    return capture


def run_live(
    *,
    url: str,
    conv: Conversion,
    database: Any,
    dialect: str,
    schema_ddl: list[str],  # the tables (secondary indexes and foreign keys come after the copy)
    out: Path,
    source_label: str,
    tz: dt.tzinfo,
    stream_name: str,
    stop: threading.Event,
    emit: Callable[[dict[str, Any]], None],
    batch_mutations: int = 20_000,
    write_parallelism: int = 4,
    publication: str | None = None,
) -> State:
    """Backfill (if not done) and stream until `stop` is set; the state last written.
    `publication` (PostgreSQL): the user's, instead of one the tool creates."""
    engine = engine_of_url(url)
    plans = plan_tables(conv, tz)
    capture = preflight(url, conv, plans, publication)
    checkpoint.ensure_table(database, dialect)
    state = checkpoint.read(database, stream_name)
    if state is not None and state.engine != engine:
        raise LiveError(
            f"the checkpoint {stream_name!r} in this database follows a {state.engine} source, "
            f"not {engine}; give another --stream name or another database"
        )
    if state is not None and state.phase == "streaming" and state.publication != publication:
        own = "the tool's own"
        raise LiveError(
            f"the checkpoint {stream_name!r} follows the publication {state.publication or own}, "
            f"not {publication or own}: give the same --publication as when it started"
        )
    if state is None or state.phase == "backfill":
        state = _backfill(
            url=url,
            engine=engine,
            conv=conv,
            capture=capture,
            database=database,
            schema_ddl=schema_ddl,
            out=out,
            source_label=source_label,
            tz=tz,
            stream_name=stream_name,
            interrupted=state,
            emit=emit,
            batch_mutations=batch_mutations,
            write_parallelism=write_parallelism,
            tables=sorted(plans),
            publication=publication,
        )
    emit({"event": "streaming", "from": state.position})
    return _stream(
        url, engine, capture, database, plans, state, stream_name, stop, emit, batch_mutations
    )


def _backfill(
    *,
    url: str,
    engine: str,
    conv: Conversion,
    capture: Any,
    database: Any,
    schema_ddl: list[str],
    out: Path,
    source_label: str,
    tz: dt.tzinfo,
    stream_name: str,
    interrupted: State | None,
    emit: Callable[[dict[str, Any]], None],
    batch_mutations: int,
    write_parallelism: int,
    tables: list[str],
    publication: str | None,
) -> State:
    targets = [t.name for t in conv.schema.tables if not t.skip]
    have = checkpoint.existing_tables(database)
    missing = [t for t in targets if t not in have]
    if missing and len(missing) < len(targets) and interrupted is None:
        raise LiveError(
            "some of the migrated tables exist in the target and some do not ("
            + ", ".join(missing)
            + " missing): start from an empty database, or create them all first"
        )
    if missing:
        database.update_ddl(schema_ddl).result(600)
    elif interrupted is not None:
        _clear(database, targets)  # rows of the interrupted copy: deletions since are unknown
        emit({"event": "backfill_restart", "cleared_tables": len(targets)})
    sa = _create_engine(url)
    try:
        with (
            sa.connect() as conn,
            capture.snapshot(conn, url, stream_name, tables, publication) as (
                position,
                slot,
                shapes,
            ),
        ):
            state = State(engine, "backfill", position, slot=slot, publication=publication,
                          shapes=shapes, source_time=time.time(), dialect=conv.dialect,
                          counters=identity_counters(conv),
                          catalog=capture.catalog(url, tables))  # fmt: skip
            # the position is in the target before any row: a crash from here on redoes the
            # backfill (see the module's doc), never streams from a position it did not read at
            commit_atomically(database, lambda b: checkpoint.write(b, stream_name, state))
            emit({"event": "backfill", "snapshot_position": position})
            result = _copy(conn, engine, conv, database, out, source_label, tz,
                           write_parallelism, batch_mutations)  # fmt: skip
    finally:
        sa.dispose()
    summary = result.to_json()
    emit(
        {
            "event": "backfill_done",
            "rows_written": summary.get("rows_written"),
            "bad_rows": summary.get("bad_rows"),
        }
    )
    if result.bad:
        raise LiveError(
            f"{result.bad} rows of the snapshot do not convert (see {out}/backfill/bad_rows.jsonl); "
            "fix them at the source or in the session, then run again"
        )
    after = _after_copy_ddl(conv, database)
    if after:
        emit({"event": "indexes", "statements": len(after)})
        database.update_ddl(after).result(3600)
    state.phase = "streaming"
    commit_atomically(database, lambda b: checkpoint.write(b, stream_name, state))
    return state


def _copy(
    conn: Any,
    engine: str,
    conv: Conversion,
    database: Any,
    out: Path,
    source_label: str,
    tz: dt.tzinfo,
    write_parallelism: int,
    batch_mutations: int,
) -> Any:
    """Every table read on `conn` (in its snapshot) and written by migrate's loader; parents
    of interleaved tables before their children."""
    loader = Loader(
        conv,
        database,
        out / "backfill",
        source_label=source_label,
        tz=tz,
        parallelism=write_parallelism,
        batch_mutations=batch_mutations,
    )
    levels = interleave_levels(conv)
    groups = list(levels) if len(levels) > 1 else [set(loader.plans)]
    for group in groups:
        for name in conv.source.tables:
            if name not in group or name not in loader.plans:
                continue
            table = conv.source.tables[name]
            select = select_list(engine, table, loader.plans[name])
            loader.position[name] = 0
            loader.add_rows(name, None, read_table(engine, conn, table, select, 0))
            loader.finish_table(name)
        loader.drain()
    return loader.close()


def _after_copy_ddl(conv: Conversion, database: Any) -> list[str]:
    """The secondary indexes and foreign keys not in the target yet (a backfill redone after a
    crash may find some made by the first attempt)."""
    with database.snapshot(multi_use=True) as snap:
        have = {
            r[0]
            for r in snap.execute_sql(
                "SELECT index_name FROM information_schema.indexes WHERE index_type = 'INDEX'"
            )
        }
        have |= {r[0] for r in snap.execute_sql(
            "SELECT constraint_name FROM information_schema.table_constraints "
            "WHERE constraint_type = 'FOREIGN KEY'")}  # fmt: skip
    out: list[str] = []
    tables = [t for t in conv.schema.tables if not t.skip]
    for t in tables:
        made = zip(t.indexes, ddl.create_indexes(t, conv.dialect), strict=True)
        out += [stmt for ix, stmt in made if ix.name not in have]
    for t in tables:
        made_fk = zip(t.foreign_keys, ddl.foreign_keys(t, conv.dialect), strict=True)
        out += [stmt for fk, stmt in made_fk if fk.name not in have]
    return out


def _clear(database: Any, tables: list[str]) -> None:
    from google.cloud.spanner_v1 import KeySet

    def write(batch: Any) -> None:
        for t in tables:
            batch.delete(t, KeySet(all_=True))

    commit_atomically(database, write)


def _stream(
    url: str,
    engine: str,
    capture: Any,
    database: Any,
    plans: dict[str, Any],
    state: State,
    stream_name: str,
    stop: threading.Event,
    emit: Callable[[dict[str, Any]], None],
    batch_mutations: int,
) -> State:
    progress = Progress(engine)
    applier = Applier(
        database,
        plans,
        stream_name,
        state,
        batch_mutations=batch_mutations,
        on_commit=lambda st, _n: progress.committed(st),
    )
    progress.committed(state)
    next_status = 0.0
    head: str | None = None
    drift: tuple[list[str], str] | None = None  # DDL seen in the catalog, and a position past it

    def pending() -> int:
        return applier.state.events - applier.written.events + len(applier.txn)

    def on_schema(ev: SchemaChange) -> None:
        applier.flush()
        raise LiveError(
            f"the source's schema changed: {ev.statement!r}; the stream stopped before it, at "
            f"{ev.position} (everything before is applied). Change the Spanner schema to match, "
            "then migrate again (a new --stream, or this one from a fresh target)"
        )

    dispatch: dict[type, Callable[[Any], None]] = {
        RowChange: applier.row,
        Truncate: applier.truncate,
        Commit: applier.commit,
        Idle: lambda ev: applier.idle(ev.position),
        SchemaChange: on_schema,
    }

    def acked() -> str | None:
        return applier.written.position if applier.written.phase == "streaming" else None

    def tick() -> None:
        nonlocal next_status, head, drift
        if drift is not None and positions.distance(engine, applier.state.position, drift[1]) == 0:
            # every change before the DDL is in (a row after it whose columns differ stops the
            # stream first, in the applier): stop here, naming it
            applier.flush()
            raise LiveError(
                "the source's schema changed: " + "; ".join(drift[0]) + f"; the stream stopped "
                f"at {applier.written.position}, past the change (everything before is applied). "
                "Change the Spanner schema to match, then migrate again from a fresh target"
            )
        now = time.monotonic()
        if now < next_status:
            return
        next_status = now + STATUS_EVERY
        if drift is None:
            try:
                drift = capture.schema_drift(url, state.catalog)
            except Exception as exc:  # looked at again at the next status
                emit({"event": "warning", "message": f"source catalog not read: {exc}"})
        try:
            head = capture.head_position(url)
        except Exception as exc:  # the status says so; the stream itself goes on
            emit({"event": "warning", "message": f"source head position unknown: {exc}"})
            head = None
        emit(progress.status(applier.written, head, pending()))

    try:
        events = capture.stream(url, state.position, stop, stream_name, acked,
                                publication=state.publication, shapes=state.shapes)  # fmt: skip
        _follow(events, dispatch, tick)
    except LiveError:
        applier.flush()  # what came before the change that stops the stream is kept
        raise
    except ValueError as exc:  # a change the decoder cannot read: stop, naming it
        applier.flush()
        raise LiveError(f"the stream stopped at {applier.written.position}: {exc}") from None
    applier.flush()
    emit(progress.status(applier.written, head, 0))
    return applier.written


def _follow(
    events: Any, dispatch: dict[type, Callable[[Any], None]], tick: Callable[[], None]
) -> None:
    for ev in events:
        dispatch[type(ev)](ev)
        tick()
