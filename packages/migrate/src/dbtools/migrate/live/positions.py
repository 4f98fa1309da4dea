"""Positions in a source's change stream, as text that sorts and survives a restart."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

_BINLOG_SEQ = re.compile(r"\.(\d+)$")


@dataclass(frozen=True, order=True)
class BinlogPosition:
    """A MySQL/MariaDB binlog coordinate: the next event to read is at `pos` in `file`."""

    seq: int  # the file's number: files sort by it, not by name
    pos: int
    file: str

    @classmethod
    def of(cls, file: str, pos: int) -> BinlogPosition:
        m = _BINLOG_SEQ.search(file)
        if m is None:
            raise ValueError(f"binlog file name {file!r} has no sequence number")
        return cls(int(m.group(1)), int(pos), file)

    def text(self) -> str:
        return f"{self.file}:{self.pos}"

    @classmethod
    def parse(cls, text: str) -> BinlogPosition:
        file, sep, pos = text.rpartition(":")
        if not sep or not pos.isdigit():
            raise ValueError(f"{text!r} is not a binlog position FILE:POS")
        return cls.of(file, int(pos))


@dataclass(frozen=True, order=True)
class Lsn:
    """A PostgreSQL WAL location."""

    value: int

    @classmethod
    def parse(cls, text: str) -> Lsn:
        hi, sep, lo = text.partition("/")
        if not sep:
            raise ValueError(f"{text!r} is not an LSN X/Y")
        return cls((int(hi, 16) << 32) | int(lo, 16))

    def text(self) -> str:
        return f"{self.value >> 32:X}/{self.value & 0xFFFFFFFF:X}"


PARSERS: dict[str, Callable[[str], BinlogPosition | Lsn]] = {
    "mysql": BinlogPosition.parse,
    "postgres": Lsn.parse,
}


def parse(engine: str, text: str) -> BinlogPosition | Lsn:
    return PARSERS[engine](text)


def distance(engine: str, applied: str, head: str) -> int:
    """How far `applied` is behind `head`, in bytes of the log (0 when caught up). Binlog
    files after the applied one count the head's offset only: sizes of files in between are
    not known here, and any positive number says 'behind'."""
    a, h = parse(engine, applied), parse(engine, head)
    if isinstance(a, BinlogPosition) and isinstance(h, BinlogPosition):
        if a >= h:
            return 0
        return h.pos - a.pos if a.seq == h.seq else h.pos
    assert isinstance(a, Lsn) and isinstance(h, Lsn)
    return max(0, h.value - a.value)
