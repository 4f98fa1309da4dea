"""PostgreSQL's pgoutput messages (logical replication protocol version 1) -> records (no I/O).

psycopg2 speaks the replication protocol (the copy stream, keepalives, feedback); what it hands
over is each message's payload, in the documented binary layout of the "Logical Replication
Message Formats" chapter. No maintained Python package decodes it (the ones on PyPI are
abandoned pre-releases), and the layout is a handful of fixed fields, so it is read here.

Values arrive as the server's text output (the same text as COPY and pg_dump, which migrate's
converters read). A Relation message describes a table before its first change in a session
and again after any change of its definition: `RelationDiff` compares it with the columns the
migration was planned for, which is how a DDL change (a column added, dropped, renamed, or its
type changed) is seen.
"""

from __future__ import annotations

import datetime as dt
import struct
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

PG_EPOCH = dt.datetime(2000, 1, 1, tzinfo=dt.timezone.utc).timestamp()
UNCHANGED_TOAST = object()  # a value left out: unchanged and stored out of line


class DecodeError(ValueError):
    pass


@dataclass(frozen=True)
class Column:
    name: str
    type_oid: int
    typmod: int
    key: bool = False


@dataclass(frozen=True)
class Relation:
    oid: int
    namespace: str
    name: str
    columns: tuple[Column, ...]

    @property
    def source_name(self) -> str:
        """The table's name as migrate's plans know it (schema-qualified outside public)."""
        return self.name if self.namespace == "public" else f"{self.namespace}.{self.name}"


@dataclass(frozen=True)
class Begin:
    final_lsn: int
    commit_time: float  # seconds since the epoch


@dataclass(frozen=True)
class CommitMsg:
    commit_lsn: int
    end_lsn: int
    commit_time: float


@dataclass(frozen=True)
class Change:
    relation_oid: int
    op: str  # "insert" | "update" | "delete"
    old: list[Any] | None  # the old key ('K') or the whole old row ('O'), None when not sent
    old_is_key: bool
    new: list[Any] | None


@dataclass(frozen=True)
class TruncateMsg:
    relation_oids: tuple[int, ...]


@dataclass(frozen=True)
class Other:
    kind: str  # Origin, Type, Message: nothing to apply


Message = Relation | Begin | CommitMsg | Change | TruncateMsg | Other


class _Reader:
    def __init__(self, data: bytes, encoding: str, at: int = 0) -> None:
        self.data = data
        self.at = at
        self.encoding = encoding

    def take(self, fmt: str) -> Any:
        size = struct.calcsize(fmt)
        if self.at + size > len(self.data):
            raise DecodeError(f"a pgoutput message ends early: {self.data[:60]!r}")
        (value,) = struct.unpack_from(fmt, self.data, self.at)
        self.at += size
        return value

    def string(self) -> str:
        end = self.data.index(b"\0", self.at)
        text = self.data[self.at : end].decode(self.encoding)
        self.at = end + 1
        return text

    def tuple_data(self) -> list[Any]:
        values: list[Any] = []
        for _ in range(self.take("!H")):
            kind = self.take("!c")
            if kind == b"n":
                values.append(None)
            elif kind == b"u":
                values.append(UNCHANGED_TOAST)
            elif kind == b"t":
                size = self.take("!I")
                values.append(self.data[self.at : self.at + size].decode(self.encoding))
                self.at += size
            else:  # 'b' (binary) only comes with the binary option, which is not asked for
                raise DecodeError(f"a pgoutput value of kind {kind!r} is not read here")
        return values


def _time(micros: int) -> float:
    return PG_EPOCH + micros / 1_000_000


def _relation(r: _Reader) -> Relation:
    oid = r.take("!I")
    namespace = r.string() or "pg_catalog"
    name = r.string()
    r.take("!b")  # replica identity setting
    cols = []
    for _ in range(r.take("!H")):
        flags = r.take("!b")
        cols.append(Column(r.string(), r.take("!I"), r.take("!i"), bool(flags & 1)))
    return Relation(oid, namespace, name, tuple(cols))


def _begin(r: _Reader) -> Begin:
    final_lsn = r.take("!Q")
    return Begin(final_lsn, _time(r.take("!q")))


def _commit(r: _Reader) -> CommitMsg:
    r.take("!b")  # flags (unused)
    commit_lsn, end_lsn = r.take("!Q"), r.take("!Q")
    return CommitMsg(commit_lsn, end_lsn, _time(r.take("!q")))


def _insert(r: _Reader) -> Change:
    oid = r.take("!I")
    if r.take("!c") != b"N":
        raise DecodeError("an insert without its new tuple")
    return Change(oid, "insert", None, False, r.tuple_data())


def _update(r: _Reader) -> Change:
    oid = r.take("!I")
    kind = r.take("!c")
    old = None
    if kind in (b"K", b"O"):
        old = r.tuple_data()
        old_is_key = kind == b"K"
        kind = r.take("!c")
    else:
        old_is_key = False
    if kind != b"N":
        raise DecodeError("an update without its new tuple")
    return Change(oid, "update", old, old_is_key, r.tuple_data())


def _delete(r: _Reader) -> Change:
    oid = r.take("!I")
    kind = r.take("!c")
    if kind not in (b"K", b"O"):
        raise DecodeError("a delete that carries no key (REPLICA IDENTITY NOTHING)")
    return Change(oid, "delete", r.tuple_data(), kind == b"K", None)


def _truncate(r: _Reader) -> TruncateMsg:
    count = r.take("!I")
    r.take("!b")  # options: CASCADE / RESTART IDENTITY (the rows go either way)
    return TruncateMsg(tuple(r.take("!I") for _ in range(count)))


_DECODERS: dict[bytes, Callable[[_Reader], Message]] = {
    b"R": _relation,
    b"B": _begin,
    b"C": _commit,
    b"I": _insert,
    b"U": _update,
    b"D": _delete,
    b"T": _truncate,
    b"O": lambda r: Other("origin"),
    b"Y": lambda r: Other("type"),
    b"M": lambda r: Other("message"),
}


def decode(payload: bytes, encoding: str = "utf-8") -> Message:
    """One pgoutput message -> its record."""
    if not payload:
        raise DecodeError("an empty pgoutput message")
    decoder = _DECODERS.get(payload[:1])
    if decoder is None:
        raise DecodeError(f"a pgoutput message of unknown kind {payload[:1]!r}")
    return decoder(_Reader(payload, encoding, at=1))


# -- a Relation against the columns the migration was planned for ------------------------------
Shape = list[list[Any]]  # [[name, type oid, typmod, type name], ...] in column order


def relation_diff(planned: Shape, rel: Relation, type_name: Callable[[int, int], str]) -> list[str]:
    """What differs between the planned columns and a Relation message (empty: the same)."""
    before = {c[0]: c for c in planned}
    after = {c.name: c for c in rel.columns}
    out = []
    added = [n for n in after if n not in before]
    gone = [n for n in before if n not in after]
    if added:
        out.append("new columns " + ", ".join(added))
    if gone:
        out.append("columns gone " + ", ".join(gone))
    for name, col in after.items():
        was = before.get(name)
        if was is not None and (was[1], was[2]) != (col.type_oid, col.typmod):
            out.append(f"column {name} type {was[3]} -> {type_name(col.type_oid, col.typmod)}")
    return out
