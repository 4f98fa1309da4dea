"""Positions in a source's change stream, as text that sorts and survives a restart."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field, replace

_BINLOG_SEQ = re.compile(r"\.(\d+)$")


_GTID = " gtid="


@dataclass(frozen=True, order=True)
class BinlogPosition:
    """A MySQL/MariaDB binlog coordinate: the next event to read is at `pos` in `file`. On
    MariaDB also the GTID position there (the last transaction of each replication domain,
    `0-1-42,1-2-7`), which a stream resumes from in preference to the file and offset: it
    survives binlog purges and renames, and means the same on every server of a cluster."""

    seq: int  # the file's number: files sort by it, not by name
    pos: int
    file: str
    gtid: str | None = field(default=None, compare=False)

    @classmethod
    def of(cls, file: str, pos: int, gtid: str | None = None) -> BinlogPosition:
        m = _BINLOG_SEQ.search(file)
        if m is None:
            raise ValueError(f"binlog file name {file!r} has no sequence number")
        return cls(int(m.group(1)), int(pos), file, gtid or None)

    def text(self) -> str:
        return f"{self.file}:{self.pos}" + (f"{_GTID}{self.gtid}" if self.gtid else "")

    @classmethod
    def parse(cls, text: str) -> BinlogPosition:
        coordinate, _, gtid = text.partition(_GTID)
        file, sep, pos = coordinate.rpartition(":")
        if not sep or not pos.isdigit():
            raise ValueError(f"{text!r} is not a binlog position FILE:POS[ gtid=GTIDS]")
        return cls.of(file, int(pos), gtid or None)

    def with_gtid(self, gtid: str | None) -> BinlogPosition:
        return replace(self, gtid=gtid or None)


def gtid_domains(gtids: str) -> dict[int, str]:
    """A MariaDB GTID position `d-s-n,...` -> {domain: its GTID}."""
    out = {}
    for part in filter(None, (p.strip() for p in gtids.split(","))):
        domain, server, seq = part.split("-")
        out[int(domain)] = f"{int(domain)}-{int(server)}-{int(seq)}"
    return out


def gtid_text(domains: dict[int, str]) -> str:
    return ",".join(domains[d] for d in sorted(domains))


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
