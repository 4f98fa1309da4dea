"""FETCH and MOVE on cursors, positioned by PostgreSQL's rules.

`parse_fetch` reads the statement; `CursorPosition` moves over a row source the way
PostgreSQL's portal code does (DoPortalRunFetch, PortalRunSelect, DoPortalRewind in
pquery.c), so that counts, end positions and errors come out the same, down to corner cases
such as FETCH ABSOLUTE 0, FETCH RELATIVE 0 and MOVE BACKWARD ALL.

Sources: a SCROLL cursor keeps the rows read so far (`BufferedRows`), so it can go back; any
other cursor reads its stream forward only (`StreamedRows`) and holds at most one fetch's rows.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Protocol

from .errors import PgError
from .lexer import strip_comments

FETCH_ALL = 2**63 - 1  # PostgreSQL's FETCH_ALL (LONG_MAX)
FORWARD, BACKWARD, ABSOLUTE, RELATIVE = "forward", "backward", "absolute", "relative"
Row = Any


@dataclass(frozen=True)
class FetchSpec:
    verb: str  # "FETCH" or "MOVE"
    direction: str  # FORWARD, BACKWARD, ABSOLUTE or RELATIVE
    count: int  # FETCH_ALL for ALL
    cursor: str


# keyword -> (direction, count) for the forms that take no number
_FIXED = {
    "NEXT": (FORWARD, 1),
    "PRIOR": (BACKWARD, 1),
    "FIRST": (ABSOLUTE, 1),
    "LAST": (ABSOLUTE, -1),
    "ALL": (FORWARD, FETCH_ALL),
    "FORWARD": (FORWARD, 1),
    "BACKWARD": (BACKWARD, 1),
}
_TOKEN = re.compile(r'"(?:[^"]|"")+"|[+-]?\s*\d+|\w+|\S')
_INT32 = 2**31


def _syntax_error(near: str | None) -> PgError:
    where = f'at or near "{near}"' if near is not None else "at end of input"
    return PgError(f"syntax error {where}", "42601")


def _ident(tok: str) -> str:
    if tok.startswith('"'):
        return tok[1:-1].replace('""', '"')
    return tok.lower()


def _number(tok: str) -> int | None:
    text = tok.replace(" ", "").replace("\t", "").replace("\n", "")
    if re.fullmatch(r"[+-]?\d+", text) is None:
        return None
    value = int(text)
    return value if -_INT32 <= value < _INT32 else None


def parse_fetch(sql: str) -> FetchSpec:
    """FETCH|MOVE [direction] [FROM|IN] cursor, in PostgreSQL's grammar (fetch_args)."""
    text = strip_comments(sql).strip().rstrip(";").strip()
    toks = _TOKEN.findall(text)
    if not toks or toks[0].upper() not in ("FETCH", "MOVE"):
        raise _syntax_error(toks[0] if toks else None)
    verb = toks[0].upper()
    rest = toks[1:]
    direction, count = FORWARD, 1
    i = 0
    head = rest[0].upper() if rest else ""
    if head in ("ABSOLUTE", "RELATIVE"):
        n = _number(rest[1]) if len(rest) > 1 else None
        if n is None:
            raise _syntax_error(rest[1] if len(rest) > 1 else None)
        direction, count, i = head.lower(), n, 2
    elif head in ("FORWARD", "BACKWARD") and len(rest) > 1 and rest[1].upper() == "ALL":
        direction, count, i = head.lower(), FETCH_ALL, 2
    elif head in ("FORWARD", "BACKWARD") and len(rest) > 1 and _number(rest[1]) is not None:
        n = _number(rest[1])
        assert n is not None
        direction, count, i = head.lower(), n, 2
    elif head in _FIXED and len(rest) > 1:
        (direction, count), i = _FIXED[head], 1
    elif rest and _number(rest[0]) is not None:
        n = _number(rest[0])
        assert n is not None
        count, i = n, 1
    names = rest[i:]
    if names and names[0].upper() in ("FROM", "IN"):
        names = names[1:]
    if len(names) != 1 or not re.fullmatch(r'"(?:[^"]|"")+"|[A-Za-z_]\w*', names[0]):
        raise _syntax_error(names[1] if len(names) > 1 else (names[0] if names else None))
    return FetchSpec(verb, direction, count, _ident(names[0]))


class RowSource(Protocol):
    """The executor under a cursor: rows before/after a position that only it knows.

    `count` 0 means every row in that direction; with `keep` False the rows are only
    counted (MOVE, and the skipping FETCH ABSOLUTE does)."""

    @property
    def ready(self) -> bool:
        """Every row is in memory: moving cannot block on I/O."""
        ...

    def forward(self, count: int, keep: bool) -> tuple[list[Row], int]: ...

    def backward(self, count: int, keep: bool) -> tuple[list[Row], int]: ...

    def rewind(self) -> None: ...


class BufferedRows:
    """Rows kept as they are read, for cursors that scroll. `more(n)` reads up to n further
    rows of the underlying stream (fewer at its end); None when everything is given."""

    def __init__(self, rows: list[Row], more: Callable[[int], list[Row]] | None = None) -> None:
        self.rows = rows
        self._more = more
        self._pos = 0  # 0 before the first row, k on row k, len(rows) + 1 after the last

    @property
    def ready(self) -> bool:
        return self._more is None

    def _next(self) -> bool:
        """Make row _pos + 1 available if there is one."""
        while self._pos >= len(self.rows) and self._more is not None:
            got = self._more(2000)
            self.rows.extend(got)
            if not got:
                self._more = None
        return self._pos < len(self.rows)

    def forward(self, count: int, keep: bool) -> tuple[list[Row], int]:
        out: list[Row] = []
        done = 0
        while count == 0 or done < count:
            if not self._next():
                self._pos = len(self.rows) + 1
                break
            self._pos += 1
            done += 1
            if keep:
                out.append(self.rows[self._pos - 1])
        return out, done

    def backward(self, count: int, keep: bool) -> tuple[list[Row], int]:
        out: list[Row] = []
        done = 0
        while count == 0 or done < count:
            if self._pos <= 1:
                self._pos = 0
                break
            self._pos -= 1
            done += 1
            if keep:
                out.append(self.rows[self._pos - 1])
        return out, done

    def rewind(self) -> None:
        self._pos = 0


class StreamedRows:
    """A forward-only cursor over a stream: `fetch(n)` returns up to n rows (all for 0) and
    `exhausted` tells whether the rest is in memory. Nothing is kept once handed out."""

    CHUNK = 2000

    def __init__(self, stream: Any) -> None:
        self._stream = stream

    @property
    def ready(self) -> bool:
        return bool(self._stream.exhausted)

    def forward(self, count: int, keep: bool) -> tuple[list[Row], int]:
        if keep:
            rows = self._stream.fetch(count)
            return rows, len(rows)
        done = 0  # skipped in chunks, so that MOVE ALL holds no more than a chunk
        while count == 0 or done < count:
            want = self.CHUNK if count == 0 else min(self.CHUNK, count - done)
            got = len(self._stream.fetch(want))
            done += got
            if got < want:
                break
        return [], done

    def backward(self, count: int, keep: bool) -> tuple[list[Row], int]:
        raise AssertionError("a forward-only cursor was moved backward")

    def rewind(self) -> None:
        raise AssertionError("a forward-only cursor was rewound")


def _no_scroll() -> PgError:
    return PgError(
        "cursor can only scan forward",
        "55000",
        hint="Declare it with SCROLL option to enable backward scan.",
    )


class CursorPosition:
    """Where a cursor stands, in PostgreSQL's terms: before the first row (at_start), after
    the last (at_end), or on row `pos`."""

    def __init__(self, source: RowSource, scroll: bool) -> None:
        self.source = source
        self.scroll = scroll
        self.at_start = True
        self.at_end = False
        self.pos = 0

    def run(self, direction: str, count: int, keep: bool) -> tuple[list[Row], int]:
        """Rows fetched (with `keep`, i.e. FETCH) and the count for the command tag."""
        if direction == FORWARD and count < 0:
            direction, count = BACKWARD, -count
        elif direction == BACKWARD and count < 0:
            direction, count = FORWARD, -count
        elif direction == ABSOLUTE:
            return self._absolute(count, keep)
        elif direction == RELATIVE:
            if count > 0:
                if count > 1:
                    self._select(True, count - 1, False)
                return self._select(True, 1, keep)
            if count < 0:
                if count < -1:
                    self._select(False, -count - 1, False)
                return self._select(False, 1, keep)
            direction = FORWARD  # RELATIVE 0 is FORWARD 0
        forward = direction == FORWARD
        if count == 0:  # the current row again, if the cursor is on one
            on_row = not self.at_start and not self.at_end
            if not keep:
                return [], 1 if on_row else 0
            if on_row:
                self._select(False, 1, False)
                count, forward = 1, True
        if not forward and count == FETCH_ALL and not keep:  # MOVE BACKWARD ALL: a rewind
            moved = self.pos - 1 if self.pos > 0 and not self.at_end else self.pos
            self._rewind()
            return [], moved
        return self._select(forward, count, keep)

    def _absolute(self, count: int, keep: bool) -> tuple[list[Row], int]:
        if count > 0:
            # from the start, unless the target is nearer the current position
            if count - 1 <= self.pos // 2:
                self._rewind()
                if count > 1:
                    self._select(True, count - 1, False)
            else:
                pos = self.pos + 1 if self.at_end else self.pos
                if count <= pos:
                    self._select(False, pos - count + 1, False)
                elif count > pos + 1:
                    self._select(True, count - pos - 1, False)
            return self._select(True, 1, keep)
        if count < 0:  # from the end
            self._select(True, FETCH_ALL, False)
            if count < -1:
                self._select(False, -count - 1, False)
            return self._select(False, 1, keep)
        self._rewind()  # ABSOLUTE 0: before the first row, nothing returned
        return self._select(True, 0, keep)

    def _select(self, forward: bool, count: int, keep: bool) -> tuple[list[Row], int]:
        if forward:
            if self.at_end or count <= 0:
                return [], 0
            want = 0 if count == FETCH_ALL else count
            rows, done = self.source.forward(want, keep)
            if done > 0:
                self.at_start = False
            if want == 0 or done < want:
                self.at_end = True
            self.pos += done
            return rows, done
        if not self.scroll:
            raise _no_scroll()
        if self.at_start or count <= 0:
            return [], 0
        want = 0 if count == FETCH_ALL else count
        rows, done = self.source.backward(want, keep)
        if done > 0 and self.at_end:
            self.at_end = False
            self.pos += 1
        if want == 0 or done < want:
            self.at_start = True
            self.pos = 0
        else:
            self.pos -= done
        return rows, done

    def _rewind(self) -> None:
        if self.at_start and not self.at_end:
            return  # nothing read yet: nothing to rewind (and no error for NO SCROLL)
        if not self.scroll:
            raise _no_scroll()
        self.source.rewind()
        self.at_start, self.at_end, self.pos = True, False, 0
