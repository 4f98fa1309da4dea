"""Where data rows come from: dump files (one streaming pass) or live databases (keyset chunks)."""

from __future__ import annotations

import contextlib
import gc
from collections.abc import Iterable, Iterator
from typing import Any, BinaryIO

from .data import Loader
from .loadplan import TablePlan
from .model import MYSQL_SPATIAL, Diagnostic, SourceSchema, Table
from .rows import read_rows
from .source import _create_engine, engine_of_url

CHUNK_ROWS = 5000


def load_dump(
    loader: Loader,
    engine: str,
    stream: BinaryIO | Iterable[bytes],
    diagnostics: list[Diagnostic],
    tables: set[str] | None = None,
) -> None:
    """Load every data row of the dump (only those of `tables`, by source name, if given)."""
    with _few_collections():
        for batch in read_rows(engine, stream, diagnostics, typed=loader.typed_reader):
            plan = loader.plans.get(batch.table)
            if tables is not None and (plan is None or plan.source.name not in tables):
                continue
            loader.add_batch(batch)


@contextlib.contextmanager
def _few_collections() -> Iterator[None]:
    """A dump load allocates millions of short-lived row lists, none of them cyclic; with the
    default threshold the cyclic GC runs every few hundred rows and costs ~10% of the time.
    Collections still happen (memory stays bounded), only less often."""
    before = gc.get_threshold()
    gc.set_threshold(max(before[0], 100_000), *before[1:])
    try:
        yield
    finally:
        gc.set_threshold(*before)


def _quote(engine: str, name: str) -> str:
    if engine == "mysql":
        return "`" + name.replace("`", "``") + "`"
    return '"' + name.replace('"', '""') + '"'


_MYSQL_TEXTUAL = {
    "char",
    "varchar",
    "tinytext",
    "text",
    "mediumtext",
    "longtext",
    "enum",
    "set",
    "json",
}
_PG_NATIVE = {
    "bool",
    "int2",
    "int4",
    "int8",
    "float4",
    "float8",
    "numeric",
    "bpchar",
    "varchar",
    "text",
    "bytea",
    "date",
    "timestamp",
    "timestamptz",
    # (not json/jsonb: drivers decode a JSON null as None, which reads as SQL NULL; as text
    # it stays the JSON value null, as in a dump)
    "char1",
    "name",
    "oid",
    "bit",
    "varbit",
    "enum",
}


def _select_list(engine: str, table: Table, loader: Loader) -> list[str]:
    return select_list(engine, table, loader.plans[table.name])


def select_list(engine: str, table: Table, plan: TablePlan) -> list[str]:
    """Columns as the converters want them: text forms where the driver's type would not do."""
    wanted = {c.source for c in plan.columns}
    out = []
    for col in table.columns:
        q = _quote(engine, col.name)
        if col.name not in wanted:
            out.append("NULL")
            continue
        name = col.type.name
        if engine == "sqlite":
            pass  # values come back in their storage class; the converters read those
        elif engine == "mysql":
            if name in MYSQL_SPATIAL:
                pass  # the stored form (SRID + WKB), as in a dump: ST_AsText rounds to 15 digits
            elif name in ("time", "year"):
                q = f"CAST({q} AS CHAR)"
            elif name == "float":
                # The text protocol prints FLOAT with 6 significant digits (16777216 reads as
                # 16777200); as DOUBLE the stored single-precision value arrives exactly.
                q = f"CAST({q} AS DOUBLE)"
        elif name not in _PG_NATIVE:
            q = f"{q}::text"
        out.append(q)
    return out


def snapshot(engine: str, conn: Any) -> None:
    """Open a read-only transaction with a consistent snapshot on `conn` (MySQL: in UTC)."""
    _snapshot(engine, conn)


def _snapshot(engine: str, conn: Any) -> None:
    from sqlalchemy import text

    if engine == "mysql":
        conn.execute(text("SET time_zone = '+00:00'"))
        conn.execute(text("START TRANSACTION WITH CONSISTENT SNAPSHOT, READ ONLY"))
    elif engine == "sqlite":
        pass  # SQLAlchemy's first query opens the transaction: one read snapshot of the file
    else:
        conn.execute(text("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY"))


def read_table(
    engine: str, conn: Any, table: Table, select: list[str], start: int, chunk: int = CHUNK_ROWS
) -> Iterator[list[Any]]:
    """Rows in key order, in chunks (keyset pagination), from position `start`.

    A table without a primary key is read in one streamed query (server-side cursor) in its
    physical order (PostgreSQL: ctid); a resume skips the rows already done.
    """
    from sqlalchemy import text

    if engine == "mysql" or "." not in table.name:
        qt = _quote(engine, table.name)
    else:
        qt = ".".join(_quote(engine, p) for p in table.name.split(".", 1))
    cols = ", ".join(select)
    if not table.primary_key:
        order = " ORDER BY ctid" if engine == "postgres" else ""
        result = conn.execution_options(stream_results=True, yield_per=chunk).execute(
            text(f"SELECT {cols} FROM {qt}{order}")
        )
        for n, r in enumerate(result):
            if n >= start:
                yield list(r)
        return
    key = table.primary_key
    order = ", ".join(_quote(engine, k) for k in key)
    positions = [next(i for i, c in enumerate(table.columns) if c.name == k) for k in key]
    last: list[Any] | None = None
    offset = start  # a resume starts after the rows already done, once
    while True:
        params: dict[str, Any] = {"n": chunk}
        where = ""
        if last is not None:
            names = ", ".join(_quote(engine, k) for k in key)
            marks = ", ".join(f":k{i}" for i in range(len(key)))
            where = f" WHERE ({names}) > ({marks})"
            params.update({f"k{i}": v for i, v in enumerate(last)})
        sql = f"SELECT {cols} FROM {qt}{where} ORDER BY {order} LIMIT :n"
        if offset:
            sql += f" OFFSET {int(offset)}"
        rows = conn.execute(text(sql), params).fetchall()
        if not rows:
            return
        for r in rows:
            yield list(r)
        last = [rows[-1][p] for p in positions]
        offset = 0
        if len(rows) < chunk:
            return


def load_live(
    loader: Loader,
    url: str,
    schema: SourceSchema,
    chunk: int = CHUNK_ROWS,
    parallelism: int = 1,
    tables: set[str] | None = None,
) -> dict[str, str]:
    """Read every planned table in key order, `parallelism` tables at a time.

    PostgreSQL: one REPEATABLE READ snapshot, exported to the other reader connections, so all
    tables are read as of the same instant. MySQL/MariaDB: each reader connection has its own
    consistent snapshot (one connection: one snapshot for all tables). Returns how it read.
    """
    import concurrent.futures as cf

    engine = engine_of_url(url)
    sa = _create_engine(url)
    names = [n for n in schema.tables if n in loader.plans and (tables is None or n in tables)]
    workers = max(1, min(parallelism, len(names) or 1))
    try:
        with sa.connect() as main:
            _snapshot(engine, main)
            snapshot_id = None
            if engine == "postgres" and workers > 1:
                from sqlalchemy import text

                snapshot_id = main.execute(text("SELECT pg_export_snapshot()")).scalar()

            def read(name: str, conn: Any) -> None:
                table = schema.tables[name]
                start = loader.checkpoint.done(name)
                loader.position[name] = start
                rows = read_table(
                    engine, conn, table, _select_list(engine, table, loader), start, chunk
                )
                loader.add_rows(name, None, rows)
                loader.finish_table(name)

            if workers == 1:
                for name in names:
                    read(name, main)
                return {"snapshot": "one snapshot for all tables", "readers": "1"}

            queue = list(names)
            lock = __import__("threading").Lock()

            def worker() -> None:
                from sqlalchemy import text

                with sa.connect() as conn:
                    if engine == "postgres":
                        conn.execute(text("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY"))
                        conn.execute(text(f"SET TRANSACTION SNAPSHOT '{snapshot_id}'"))
                    else:
                        _snapshot(engine, conn)
                    while True:
                        with lock:
                            if not queue:
                                return
                            name = queue.pop(0)
                        read(name, conn)

            with cf.ThreadPoolExecutor(max_workers=workers) as pool:
                for fut in [pool.submit(worker) for _ in range(workers)]:
                    fut.result()
            how = "one exported snapshot" if engine == "postgres" else "a snapshot per reader"
            return {"snapshot": how, "readers": str(workers)}
    finally:
        sa.dispose()
