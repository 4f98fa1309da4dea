"""Cutting a load into independent work units, for a distributed runner (Apache Beam).

- A live table with a primary key is cut into ranges of its first key column, with split points
  taken from the key itself: every n-th key in key order (one scan of the key, in the database),
  so that ranges hold about the same number of rows however unevenly the keys are spread. A
  table without a key is one unit, read in its physical order (as the threaded path reads it):
  its synthetic keys are numbered in that order.
- A dump file is cut into byte ranges; a range owns the data statements that *begin* inside it,
  reads on past its end to finish the last one, and skips what comes before its first
  statement start (which belongs to the range before). Statement starts are lines that begin
  with a data statement's head (`INSERT INTO`, `REPLACE INTO`, PostgreSQL's `COPY ... FROM
  stdin;`) outside a COPY block. mysqldump and pg_dump's COPY format escape newlines inside
  values, so a range that starts between statements finds the next one exactly. Limits: a
  range that starts inside a COPY block skips to the first line that looks like a statement
  start, so a one-column COPY row whose text is itself `INSERT INTO ...` or `COPY ... FROM
  stdin;` would be taken for one; pg_dump --inserts writes newlines raw inside strings, so a
  string holding a newline followed by `INSERT INTO ` would be too. Such dumps load correctly
  with one range (a chunk size larger than the file).

Units are numbered per table in source order; a unit's rows are numbered from 1 within it, and
the pipeline adds the rows of the units before it to get the row's position in its table.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any, BinaryIO


@dataclass(frozen=True)
class KeyRange:
    """Rows of `table` whose first key column is >= lo (None: no lower bound) and < hi."""

    table: str
    index: int
    lo: Any
    hi: Any


@dataclass(frozen=True)
class DumpRange:
    """The data statements of a dump that begin in bytes [start, end)."""

    index: int
    start: int
    end: int
    last: bool  # the range that holds the end of the file (and its completion line)


def balanced_bounds(sorted_keys: Sequence[Any], parts: int) -> list[Any]:
    """At most `parts` - 1 split points that cut `sorted_keys` (a sample in key order) into
    parts of about equal size; repeated values give one bound (a range is never empty by
    construction, but two equal bounds would make one)."""
    if parts <= 1 or not sorted_keys:
        return []
    n = len(sorted_keys)
    bounds: list[Any] = []
    for i in range(1, parts):
        k = sorted_keys[min(n - 1, (i * n) // parts)]
        if not bounds or k > bounds[-1]:
            bounds.append(k)
    if bounds and bounds[0] <= sorted_keys[0]:
        bounds = bounds[1:]  # a bound at the smallest key would leave the first range empty
    return bounds


def ranges_of(table: str, bounds: Sequence[Any]) -> list[KeyRange]:
    edges = [None, *bounds, None]
    return [KeyRange(table, i, edges[i], edges[i + 1]) for i in range(len(edges) - 1)]


def quote(engine: str, name: str) -> str:
    if engine == "mysql":
        return "`" + name.replace("`", "``") + "`"
    if "." in name:
        return ".".join('"' + p.replace('"', '""') + '"' for p in name.split(".", 1))
    return '"' + name.replace('"', '""') + '"'


def sample_keys(engine: str, conn: Any, table: str, key: str, every: int) -> tuple[int, list[Any]]:
    """(rows in the table, every `every`-th value of `key` in key order), computed by the
    database in one scan of the key (a window function: MariaDB 10.2+, MySQL 8, PostgreSQL)."""
    from sqlalchemy import text

    qt, qk = quote(engine, table), quote(engine, key)
    total = int(conn.execute(text(f"SELECT COUNT(*) FROM {qt}")).scalar() or 0)
    sql = (
        f"SELECT k FROM (SELECT {qk} AS k, ROW_NUMBER() OVER (ORDER BY {qk}) AS rn FROM {qt}) s "
        f"WHERE MOD(rn, {int(every)}) = 0 ORDER BY k"
    )
    return total, [r[0] for r in conn.execute(text(sql))]


def plan_key_ranges(
    engine: str, conn: Any, table: str, key: Sequence[str], rows_per_range: int
) -> list[KeyRange]:
    """Ranges of about `rows_per_range` rows (one range for a table without a key)."""
    if not key:
        return [KeyRange(table, 0, None, None)]
    from sqlalchemy import text

    qt = quote(engine, table)
    total = int(conn.execute(text(f"SELECT COUNT(*) FROM {qt}")).scalar() or 0)
    parts = max(1, -(-total // max(1, rows_per_range)))
    if parts == 1:
        return [KeyRange(table, 0, None, None)]
    # 16 samples per range: the bounds land within ~1/16 of a range of the ideal cut
    every = max(1, total // (parts * 16))
    _total, sample = sample_keys(engine, conn, table, key[0], every)
    return ranges_of(table, balanced_bounds(sample, parts))


def range_query(
    engine: str, table: str, select: Sequence[str], key: Sequence[str], r: KeyRange
) -> tuple[str, dict[str, Any]]:
    """The SELECT of one range, in key order (the threaded path's order), and its parameters."""
    where, params = [], {}
    if r.lo is not None:
        where.append(f"{quote(engine, key[0])} >= :lo")
        params["lo"] = r.lo
    if r.hi is not None:
        where.append(f"{quote(engine, key[0])} < :hi")
        params["hi"] = r.hi
    sql = f"SELECT {', '.join(select)} FROM {quote(engine, table)}"
    if where:
        sql += " WHERE " + " AND ".join(where)
    if key:
        sql += " ORDER BY " + ", ".join(quote(engine, k) for k in key)
    elif engine == "postgres":
        sql += " ORDER BY ctid"
    return sql, params


# -- dumps ------------------------------------------------------------------------------------

_STARTS = {
    "mysql": re.compile(rb"(INSERT|REPLACE)( IGNORE)? INTO "),
    "postgres": re.compile(rb"(INSERT INTO |COPY [^\n]* FROM stdin;\r?\n)"),
}
_COPY_END = (b"\\.\n", b"\\.\r\n")


def dump_ranges(size: int, chunk_bytes: int) -> list[DumpRange]:
    cuts = list(range(0, size, max(1, chunk_bytes))) or [0]
    return [
        DumpRange(i, s, min(size, s + chunk_bytes), i == len(cuts) - 1) for i, s in enumerate(cuts)
    ]


class RangeLines:
    """The lines of the statements that begin in `r` (see the module's docstring), when
    iterated; `first_byte` is then the offset of the first line given (None: none given), from
    which the launcher turns line numbers counted from it into the dump's own
    (`dump_line_numbers`)."""

    def __init__(self, engine: str, f: BinaryIO, r: DumpRange) -> None:
        self.engine, self.f, self.r = engine, f, r
        self.first_byte: int | None = None

    def __iter__(self) -> Iterator[bytes]:
        f, r = self.f, self.r
        start = _STARTS[self.engine]
        # the line holding byte start - 1 belongs to the range before (when that byte ends a
        # line, the line read is just that newline, and the line at `start` is ours)
        at = max(0, r.start - 1)
        f.seek(at)
        if r.start:
            at += len(f.readline())
        in_copy = False
        started = r.start == 0
        for line in iter(f.readline, b""):
            here = at
            at += len(line)
            if in_copy:
                in_copy = line not in _COPY_END
                if started:
                    yield line
                continue
            is_start = start.match(line) is not None
            if is_start and here >= r.end:
                return  # the next range's first statement
            if not started:
                if not is_start:
                    continue
                started = True
            if self.first_byte is None:
                self.first_byte = here
            if self.engine == "postgres" and line.startswith(b"COPY ") and is_start:
                in_copy = True
            yield line


def dump_line_numbers(f: BinaryIO, offsets: Iterable[int]) -> dict[int, int]:
    """For each byte offset (the start of a line), the dump's line number of that line: one
    read of the dump up to the largest offset (only when a range reported something)."""
    out: dict[int, int] = {}
    f.seek(0)
    at, lines = 0, 0
    for off in sorted(set(offsets)):
        while at < off:
            chunk = f.read(min(1 << 20, off - at))
            if not chunk:
                break
            lines += chunk.count(b"\n")
            at += len(chunk)
        out[off] = lines + 1
    return out
