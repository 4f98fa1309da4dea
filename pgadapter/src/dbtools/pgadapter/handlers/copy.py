"""COPY FROM STDIN and COPY TO STDOUT (text, csv, binary).

COPY FROM is atomic by default: every row is read and checked, then written in one commit (or
in the open transaction). With spanner.autocommit_dml_mode PARTITIONED_NON_ATOMIC and no
transaction, rows are committed in batches while data still arrives (see CopyInPipeline), so
memory does not grow with the input. statement_timeout covers the whole COPY."""

from __future__ import annotations

import asyncio
from asyncio import FIRST_COMPLETED
from collections.abc import Callable
from typing import Any, TypeVar

from .. import protocol as p
from ..catalog import Catalog, Table
from ..codecs import param_decoder, text_value_parser, value_encoder
from ..copy import (
    BINARY_HEADER,
    BINARY_TRAILER,
    CopyBatcher,
    CopySpec,
    binary_row,
    check_atomic,
    convert_rows,
    format_csv_row,
    format_text_row,
    mutations_per_row,
    read_rows,
)
from ..copy_stream import CopyInPipeline
from ..errors import PgError, QueryCanceled
from ..portal import Portal
from ..session import Session
from .queries import FETCH_CHUNK

T = TypeVar("T")

COPY_PARALLEL_COMMITS = 4  # non-atomic COPY: commits in flight at once
COPY_COALESCE_BYTES = 1 << 20  # non-atomic COPY: data waiting for the converter, at most


async def run_copy(s: Session, portal: Portal, max_rows: int, describe: bool) -> None:
    spec = portal.prepared.stmt.command(CopySpec)
    if spec.direction == "from":
        await _copy_from(s, spec)
    else:
        await _copy_to(s, spec)


def _copy_table(cat: Catalog, name: str) -> Table:
    schema, _, table = name.rpartition(".")
    for t in cat.tables:
        if t.name.lower() == table.lower() and (schema or "public") == (t.schema or "public"):
            return t
    raise PgError(f'relation "{name}" does not exist', "42P01")


def _copy_failed(body: bytes) -> PgError:
    reason = body.rstrip(b"\0").decode("utf-8", "replace")
    return PgError(f"COPY from stdin failed: {reason}", "57014")


def _unexpected(kind: bytes) -> PgError:
    return PgError(f"unexpected message type {kind!r} during COPY from stdin", "08P01")


async def _copy_from(s: Session, spec: CopySpec) -> None:
    backend = s.require_backend()
    assert spec.table is not None
    cat = await s.run_blocking(s.catalog_snapshot)
    table = _copy_table(cat, spec.table)
    by_name = {c.name.lower(): c for c in table.columns}
    names = spec.columns or [c.name for c in table.columns]
    missing = [n for n in names if n.lower() not in by_name]
    if missing:
        raise PgError(f'column "{missing[0]}" of relation "{table.name}" does not exist', "42703")
    cols = [by_name[n.lower()] for n in names]
    binary = spec.format == "binary"
    parsers = [
        param_decoder(c.type_oid, 1) if binary else text_value_parser(c.type_oid, s.tz)
        for c in cols
    ]
    per_row = mutations_per_row(
        len(cols), [len(ix.columns) + len(ix.storing) for ix in table.indexes if not ix.primary]
    )
    s.send(p.copy_in_response(len(cols), 1 if binary else 0))
    await s.flush()
    column_names = [c.name for c in cols]
    mode = s.settings.get("spanner.autocommit_dml_mode", "").lower()
    in_block = s.status == "T" or backend.in_transaction
    if not in_block and mode == "partitioned_non_atomic":
        count = await _copy_from_streaming(s, spec, table.name, column_names, parsers, per_row)
        s.send(p.command_complete(f"COPY {count}"))
        return
    chunks: list[bytes] = []
    # a CancelRequest while the client still sends data ends the COPY at once, as in
    # PostgreSQL: the open transaction block is then failed, nothing of it written
    messages = _CopyInput(s)
    with s.cancellable(messages.cancelled):
        while (body := await messages.data()) is not None:
            chunks.append(body)
    data = b"".join(chunks)
    chunks.clear()
    rows = await s.run_blocking(
        lambda: convert_rows(read_rows(data, spec), table.name, column_names, parsers)
    )
    # atomic: one commit (or the open transaction), so everything is read and checked first
    check_atomic(rows, per_row, table.name)
    groups = [rows] if rows else []
    if s.status == "T" and not backend.in_transaction:
        backend.begin(read_only=s.settings.get("transaction_read_only") == "on")
    count = await s.run_blocking(
        lambda: backend.insert_rows(table.name, column_names, groups, parallel=1, upsert=_upsert(s))
    )
    s.send(p.command_complete(f"COPY {count}"))


async def _copy_from_streaming(
    s: Session,
    spec: CopySpec,
    table: str,
    columns: list[str],
    parsers: list[Callable[[Any], Any]],
    per_row: int,
) -> int:
    """Non-atomic COPY FROM: rows are parsed as CopyData arrives and committed in batches
    that fit Spanner's limits, several commits in flight while more data is read, so the
    memory held does not grow with the input (see CopyInPipeline). Parsing and converting
    run on a worker thread. A bad row stops the copy; batches already committed stay."""
    backend = s.require_backend()
    backend.cancel_flag.clear()
    messages = _CopyInput(s)
    deadline = messages.deadline

    async def within_deadline(fut: asyncio.Future[T]) -> T:
        if deadline is not None:
            left = deadline - asyncio.get_running_loop().time()
            await asyncio.wait((fut,), timeout=max(left, 0.0))
            if not fut.done():
                backend.cancel()  # commits not yet started stop; the others end at the
                raise s.timed_out()  # deadline they carry
        return await fut

    pipeline = CopyInPipeline(
        CopyBatcher(spec, table, columns, parsers, per_row),
        run=lambda fn, *args: asyncio.wrap_future(s.submit(fn, *args)),
        commit=lambda rows: asyncio.wrap_future(
            s.submit(backend.commit_rows, table, columns, rows, _upsert(s))
        ),
        guard=within_deadline,
        parallel=COPY_PARALLEL_COMMITS,
        max_waiting=COPY_COALESCE_BYTES,
    )
    try:
        with s.cancellable(messages.cancelled):
            while (body := await messages.data()) is not None:
                error = pipeline.failed()
                if error is not None:
                    raise error
                await pipeline.feed(body)
            return await pipeline.finish()  # raises the converter's error, if any
    finally:
        await pipeline.close()
        s.copy_peak_rows = pipeline.peak_rows


class _CopyInput:
    """The client's messages during COPY FROM STDIN. statement_timeout or a CancelRequest
    (which cancels `cancelled`, the marker of the running statement) ends the wait for the
    next one with 57014. A message half-read then is left for the main loop (which drops
    the rest of the copy data, as PostgreSQL does), so the framing is never lost.

    Without a timeout the read is awaited in the connection's own task, which a CancelRequest
    interrupts: a task and a wait per message would cost ten times the read (clients such as
    psql send one CopyData message per row)."""

    def __init__(self, s: Session) -> None:
        self.s = s
        self.deadline = s.deadline()
        self.limit = s.server.config.max_message_size
        self.cancelled: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._task = asyncio.current_task()
        self._waiting = False
        self.cancelled.add_done_callback(self._interrupt)

    def _interrupt(self, _: asyncio.Future[None]) -> None:
        if self._waiting and self._task is not None:
            self._task.cancel()

    async def data(self) -> bytes | None:
        """The next CopyData's bytes; None at CopyDone. CopyFail, or any message but Flush
        and Sync (which PostgreSQL ignores during copy-in), ends the COPY with an error."""
        while True:
            kind, body = await self.next()
            if kind == b"d":
                return body
            if kind == b"c":
                return None
            if kind == b"f":
                raise _copy_failed(body)
            if kind not in (b"H", b"S"):
                raise _unexpected(kind)

    async def next(self) -> tuple[bytes, bytes]:
        if self.cancelled.cancelled():
            raise QueryCanceled()
        if self.deadline is not None:
            return await self._next_within_deadline()
        self._waiting = True
        try:
            return await self._read()
        except asyncio.CancelledError:
            uncancel = getattr(self._task, "uncancel", None)
            # ours to take back unless something else (server shutdown) cancelled it too
            if not self.cancelled.cancelled() or (uncancel is not None and uncancel() > 0):
                raise
            raise QueryCanceled() from None
        finally:
            self._waiting = False

    async def _read(self) -> tuple[bytes, bytes]:
        reader = self.s.reader
        # cancelled while waiting for the header: nothing of the message was consumed
        kind, length = p.frame_header(await reader.readexactly(5), self.limit)
        if length == 4:
            return kind, b""
        try:
            return kind, await reader.readexactly(length - 4)
        except asyncio.CancelledError:
            self.s.pending_read = asyncio.ensure_future(_rest(reader, kind, length - 4))
            raise

    async def _next_within_deadline(self) -> tuple[bytes, bytes]:
        assert self.deadline is not None
        read = asyncio.ensure_future(p.read_message(self.s.reader, self.limit))
        left = max(self.deadline - asyncio.get_running_loop().time(), 0.0)
        await asyncio.wait((read, self.cancelled), timeout=left, return_when=FIRST_COMPLETED)
        if read.done():
            return read.result()
        self.s.pending_read = read
        if self.cancelled.cancelled():
            raise QueryCanceled()
        raise self.s.timed_out()


async def _rest(reader: asyncio.StreamReader, kind: bytes, size: int) -> tuple[bytes, bytes]:
    return kind, await reader.readexactly(size)


def _quote_ident(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


async def _copy_to(s: Session, spec: CopySpec) -> None:
    backend = s.require_backend()
    if spec.query is not None:
        sql = spec.query
    else:
        assert spec.table is not None
        cols = ", ".join(_quote_ident(c) for c in spec.columns) if spec.columns else "*"
        target = ".".join(_quote_ident(x) for x in spec.table.split("."))
        sql = f"SELECT {cols} FROM {target}"
    cursor = await s.run_blocking(lambda: backend.query(sql, None, None))
    try:
        columns = cursor.columns or []
        binary = spec.format == "binary"
        encoders = [value_encoder(c.oid, 1 if binary else 0, s.text_out) for c in columns]
        forced = [c.name.lower() in spec.force_quote for c in columns]
        fmt_row = (
            (lambda vals: format_csv_row(vals, spec, forced))
            if spec.format == "csv"
            else (lambda vals: format_text_row(vals, spec))
        )
        s.send(p.copy_out_response(len(columns), 1 if binary else 0))
        if binary:
            s.send(p.copy_data(BINARY_HEADER))
        if spec.header and spec.format == "csv":
            s.send(p.copy_data(fmt_row([c.name for c in columns]).encode("utf-8")))
        sent = 0
        while True:

            def fetch() -> tuple[bytes, int]:
                rows = cursor.fetch(FETCH_CHUNK)
                if binary:
                    return b"".join(
                        p.copy_data(binary_row([e(v) for e, v in zip(encoders, row, strict=False)]))
                        for row in rows
                    ), len(rows)
                return b"".join(
                    p.copy_data(
                        fmt_row(
                            [
                                None if (b := e(v)) is None else b.decode("utf-8")
                                for e, v in zip(encoders, row, strict=False)
                            ]
                        ).encode("utf-8")
                    )
                    for row in rows
                ), len(rows)

            data, n = fetch() if cursor.exhausted else await s.run_blocking(fetch)
            s.send(data)
            sent += n
            if s.out_size > 1 << 16:
                await s.flush()
            if cursor.done:
                break
    finally:
        cursor.close()
    if binary:
        s.send(p.copy_data(BINARY_TRAILER))
    s.send(p.COPY_DONE)
    s.send(p.command_complete(f"COPY {sent}"))


def _upsert(s: Session) -> bool:
    """spanner.copy_upsert: COPY FROM overwrites rows whose key exists (PGAdapter's setting)."""
    return s.settings.get("spanner.copy_upsert") == "on"
