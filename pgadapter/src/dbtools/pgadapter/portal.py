"""Prepared statements, portals and how their rows go on the wire (PostgreSQL's objects of the
extended query protocol, which SQL-level PREPARE and DECLARE create too)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from . import protocol as p
from .backend import ColumnInfo, Cursor
from .catalog import LocalResult
from .classify import Statement
from .codecs import TextOut, ValueEncoder, python_encoder, value_encoder
from .errors import PgError, ProtocolError
from .loopread import LoopCursor
from .scroll import CursorPosition
from .types import type_size


@dataclass
class Output:
    """How a statement's rows go on the wire: RowDescription and one encoder per column. Kept
    with the prepared statement, so that executing it again with the same columns and formats
    builds neither again."""

    columns: list[ColumnInfo]
    formats: list[int]
    text_out: TextOut
    raw: bool  # rows are Spanner's protobuf Values (else Python values built by the proxy)
    description: bytes
    encoders: list[ValueEncoder]

    @classmethod
    def build(
        cls, columns: list[ColumnInfo], formats: list[int], text_out: TextOut, raw: bool
    ) -> Output:
        make = value_encoder if raw else python_encoder
        encoders = [make(c.oid, f, text_out) for c, f in zip(columns, formats, strict=False)]
        return cls(
            columns, formats, text_out, raw, p.row_description(fields(columns), formats), encoders
        )

    def matches(
        self, columns: list[ColumnInfo], formats: list[int], text_out: TextOut, raw: bool
    ) -> bool:
        return (
            self.raw == raw
            and self.text_out == text_out
            and self.formats == formats
            and self.columns == columns
        )

    def rows(self, rows: list[list[Any]]) -> bytes:
        """DataRow messages for rows."""
        return p.data_rows(self.encoders, rows)


@dataclass
class Prepared:
    name: str
    stmt: Statement
    param_oids: list[int]
    columns: list[ColumnInfo] | None = None
    planned: bool = False
    output: Output | None = None  # the last execution's, reused while the columns match


@dataclass
class Portal:
    name: str
    prepared: Prepared
    params: dict[str, Any]
    types: dict[str, Any]
    result_formats: list[int]
    cursor: Cursor | LoopCursor | None = None
    local: LocalResult | None = None
    local_pos: int = 0
    sent: int = 0
    started: bool = False
    output: Output | None = None
    row_count: int | None = None
    hold: bool = False  # a WITH HOLD cursor: survives the end of its transaction
    scroll: bool = False  # a SCROLL cursor: FETCH may go backward
    position: CursorPosition | None = None  # where FETCH/MOVE left a DECLAREd cursor
    declared: bool = False  # opened by DECLARE: FETCH reads it through the synchronous client

    @classmethod
    def of(cls, stmt: Statement, name: str = "", **options: Any) -> Portal:
        """A portal for a statement run without parameters (simple query, EXECUTE, DECLARE)."""
        return cls(name, Prepared(name, stmt, []), {}, {}, [0], **options)


def local_columns(local: LocalResult) -> list[ColumnInfo]:
    return [ColumnInfo(name, oid) for name, oid in local.columns]


def fields(columns: list[ColumnInfo]) -> list[p.Column]:
    return [p.Column(c.name, c.oid, type_size(c.oid)) for c in columns]


def formats(requested: list[int], n: int) -> list[int]:
    """Bind's result formats for n columns: none (all text), one for all, or one each."""
    if not requested:
        return [0] * n
    if len(requested) == 1:
        return requested * n
    if len(requested) != n:
        raise ProtocolError(
            f"bind message has {len(requested)} result formats but query has {n} columns"
        )
    return list(requested)


def dml_tag(tag: str, count: int) -> str:
    return f"INSERT 0 {count}" if tag == "INSERT" else f"{tag} {count}"


def aborted() -> PgError:
    return PgError(
        "current transaction is aborted, commands ignored until end of transaction block",
        "25P02",
    )
