"""Streaming statement readers for mysqldump and pg_dump plain-format files.

The input is read line by line as bytes, so a dump of any size (or stdin) is processed in constant
memory apart from the statement being assembled. Each line is decoded as UTF-8; a line that is not
valid UTF-8 is decoded with `surrogateescape` (bytes preserved for the data path) and reported
with its line number. Quotes, comments, MySQL conditional comments (`/*!50003 ... */`),
`DELIMITER` changes, PostgreSQL dollar quoting and `COPY ... FROM stdin` blocks are understood,
so a `;` inside a string never ends a statement.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import BinaryIO

from .dumpkind import COMPLETION_MARKERS, missing_marker_message
from .model import Diagnostic


@dataclass
class Statement:
    text: str
    line: int  # line where the statement starts (1-based)
    invalid_utf8: int = 0  # first line of the statement holding bytes that are not UTF-8


@dataclass
class CopyRow:
    """One data line of a pg_dump COPY block (without the newline)."""

    text: str
    line: int
    invalid_utf8: bool = False


@dataclass
class CopyEnd:
    line: int


Event = Statement | CopyRow | CopyEnd

_MY_SPECIAL: dict[str, re.Pattern[str]] = {}
_PG_SPECIAL = re.compile(r"['\";]|--|/\*|\$(?:[A-Za-z_][A-Za-z0-9_]*)?\$")
_DELIMITER = re.compile(r"^\s*DELIMITER\s+(\S+)\s*$", re.IGNORECASE)
_COND_COMMENT = re.compile(r"/\*!(\d{5,6})?\s?")
_COPY_FROM_STDIN = re.compile(r"^\s*COPY\b.*\bFROM\s+stdin\b", re.IGNORECASE | re.DOTALL)


def _whole_line_insert(line: str) -> str | None:
    """The statement of an `INSERT INTO ... VALUES ...;` line, by counting instead of scanning
    (a few C-level passes instead of a Python step per string), or None when the line is not
    one whole statement (a string goes on to the next line, a comment, two statements ...):
    the scanner then reads it."""
    body = line.rstrip(" \t\r\n")
    if not body.endswith(";"):
        return None
    values = body.find("VALUES ")
    first_quote = body.find("'")
    if values == -1 or -1 < first_quote < values:
        return None
    # After VALUES every backslash is inside a string, where mysqldump pairs it with the next
    # character: dropping the escaped backslashes from the left (as str.replace does) leaves
    # every remaining \' an escaped quote, and every other quote opens or closes a string (a
    # doubled '' closes and reopens).
    # (one-character searches and counts are far cheaper than longer ones: they come first)
    backslashes = body.count("\\")
    if not backslashes:
        plain, escaped_quotes = body, 0
    elif backslashes == (escaped_quotes := body.count("\\'")):
        plain = body  # every backslash escapes a quote: no escaped backslash
    else:
        plain = body.replace("\\\\", "")
        escaped_quotes = plain.count("\\'")
    comment = "#" in body or "--" in body or ("*" in body and "/*" in body)
    if body.count(";") == 1 and not comment:
        # the common case: the final ';' is outside every string if the quotes pair up
        return body[:-1] if (plain.count("'") - escaped_quotes) % 2 == 0 else None
    pieces = (plain.replace("\\'", "") if escaped_quotes else plain).split("'")
    if len(pieces) % 2 == 0:
        return None  # the last string is still open
    outside = "".join(pieces[::2])  # everything between the strings
    if outside.count(";") != 1 or "#" in outside or "--" in outside or "/*" in outside:
        return None
    return body[:-1]


def _decode_lines(stream: BinaryIO | Iterable[bytes]) -> Iterator[tuple[int, str, bool]]:
    for lineno, raw in enumerate(stream, 1):
        try:
            yield lineno, raw.decode("utf-8"), False
        except UnicodeDecodeError:
            # keep the bytes (surrogateescape) so that the data path can judge each value
            yield lineno, raw.decode("utf-8", "surrogateescape"), True


class _MySQLSplitter:
    def __init__(self) -> None:
        self.delimiter = ";"
        self.buf: list[str] = []
        self.start = 0
        self.quote: str | None = None
        self.comment = False  # inside /* ... */
        self.cond = 0  # depth of /*! ... */ conditional comments (their content is code)
        self.bad_line = 0

    def _special(self) -> re.Pattern[str]:
        pat = _MY_SPECIAL.get(self.delimiter)
        if pat is None:
            pat = re.compile(r"['\"`#]|--(?=[ \t\r\n]|$)|/\*|\*/|" + re.escape(self.delimiter))
            _MY_SPECIAL[self.delimiter] = pat
        return pat

    def feed(self, line: str, lineno: int) -> Iterator[Statement]:
        if not self.buf and self.quote is None and not self.comment:
            if line.startswith("INSERT INTO ") and self.delimiter == ";" and not self.cond:
                # mysqldump writes one INSERT per line; when the whole line is one statement
                # (the final ';' outside every string), take it in one step
                whole = _whole_line_insert(line)
                if whole is not None:
                    yield Statement(whole, lineno, self.bad_line)
                    self.bad_line = 0
                    return
            m = _DELIMITER.match(line)
            if m:
                self.delimiter = m.group(1)
                return
        pos, n = 0, len(line)
        special = self._special()
        while pos < n:
            if self.quote is not None:
                q = self.quote
                i = pos
                while True:
                    j = line.find(q, i)
                    k = line.find("\\", i) if q != "`" else -1
                    if k != -1 and (j == -1 or k < j):
                        i = k + 2
                        if i >= n:
                            j = -1
                            break
                        continue
                    break
                if j == -1:
                    self._add(line[pos:], lineno)
                    return
                if j + 1 < n and line[j + 1] == q:  # doubled quote
                    self._add(line[pos : j + 2], lineno)
                    pos = j + 2
                    continue
                self._add(line[pos : j + 1], lineno)
                self.quote = None
                pos = j + 1
                continue
            if self.comment:
                j = line.find("*/", pos)
                if j == -1:
                    return
                self.comment = False
                pos = j + 2
                continue
            m = special.search(line, pos)
            if m is None:
                self._add(line[pos:], lineno)
                return
            tok = m.group(0)
            s = m.start()
            if s > pos:
                self._add(line[pos:s], lineno)
            if tok in ("'", '"', "`"):
                self.quote = tok
                self._add(tok, lineno)
                pos = s + 1
            elif tok == "#" or tok == "--":
                self._add("\n", lineno)
                return
            elif tok == "/*":
                cm = _COND_COMMENT.match(line, s)
                if cm:
                    self.cond += 1
                    self._add(" ", lineno)
                    pos = cm.end()
                else:
                    self.comment = True
                    pos = s + 2
            elif tok == "*/" and self.cond:
                self.cond -= 1
                self._add(" ", lineno)
                pos = s + 2
            elif tok == self.delimiter or (tok == ";" and self.delimiter == ";"):
                text = "".join(self.buf).strip()
                self.buf = []
                self.cond = 0
                pos = s + len(tok)
                if text:
                    yield Statement(text, self.start, self.bad_line)
                self.bad_line = 0
            else:  # a stray */ outside a conditional comment is just text
                self._add(tok, lineno)
                pos = s + len(tok)

    def _add(self, piece: str, lineno: int) -> None:
        if not self.buf:
            if not piece.strip():
                return
            self.start = lineno
        self.buf.append(piece)

    def finish(self) -> Statement | None:
        text = "".join(self.buf).strip()
        self.buf = []
        return Statement(text, self.start) if text else None


class _PgSplitter:
    def __init__(self, copy_rows: bool = True) -> None:
        self.copy_rows = copy_rows  # False: COPY data lines are passed over (schema reading)
        self.buf: list[str] = []
        self.start = 0
        self.quote: str | None = None  # "'", '"', "E'" or a $tag$
        self.comment = 0  # nesting depth of /* */
        self.copying = False
        self.bad_line = 0

    def feed(self, line: str, lineno: int) -> Iterator[Event]:
        if self.copying:
            stripped = line.rstrip("\r\n")
            if stripped == "\\.":
                self.copying = False
                yield CopyEnd(lineno)
            elif self.copy_rows:
                bad, self.bad_line = self.bad_line == lineno, 0
                yield CopyRow(stripped, lineno, bad)
            else:
                self.bad_line = 0
            return
        if not self.buf and self.quote is None and not self.comment and line.startswith("\\"):
            yield Statement(line.strip(), lineno)  # psql meta-command (\connect, \restrict ...)
            return
        pos, n = 0, len(line)
        while pos < n:
            if self.quote is not None:
                q = self.quote
                if q.startswith("$"):
                    j = line.find(q, pos)
                    if j == -1:
                        self._add(line[pos:], lineno)
                        return
                    self._add(line[pos : j + len(q)], lineno)
                    self.quote = None
                    pos = j + len(q)
                    continue
                escapes = q == "E'"
                qc = "'" if escapes else q
                i = pos
                while True:
                    j = line.find(qc, i)
                    k = line.find("\\", i) if escapes else -1
                    if k != -1 and (j == -1 or k < j):
                        i = k + 2
                        continue
                    break
                if j == -1:
                    self._add(line[pos:], lineno)
                    return
                if j + 1 < n and line[j + 1] == qc:
                    self._add(line[pos : j + 2], lineno)
                    pos = j + 2
                    continue
                self._add(line[pos : j + 1], lineno)
                self.quote = None
                pos = j + 1
                continue
            if self.comment:
                m = re.compile(r"/\*|\*/").search(line, pos)
                if m is None:
                    return
                self.comment += 1 if m.group(0) == "/*" else -1
                pos = m.end()
                continue
            m = _PG_SPECIAL.search(line, pos)
            if m is None:
                self._add(line[pos:], lineno)
                return
            tok, s = m.group(0), m.start()
            if s > pos:
                self._add(line[pos:s], lineno)
            if tok == "'":
                escapes = s > 0 and line[s - 1] in "eE" and (s < 2 or not line[s - 2].isalnum())
                self.quote = "E'" if escapes else "'"
                self._add(tok, lineno)
                pos = s + 1
            elif tok == '"':
                self.quote = '"'
                self._add(tok, lineno)
                pos = s + 1
            elif tok.startswith("$"):
                if s > 0 and (line[s - 1].isalnum() or line[s - 1] == "_"):
                    self._add(tok, lineno)  # part of an identifier such as a$b$
                else:
                    self.quote = tok
                    self._add(tok, lineno)
                pos = s + len(tok)
            elif tok == "--":
                self._add("\n", lineno)
                return
            elif tok == "/*":
                self.comment = 1
                pos = s + 2
            else:  # ;
                text = "".join(self.buf).strip()
                self.buf = []
                pos = s + 1
                bad_at, self.bad_line = self.bad_line, 0
                if text:
                    yield Statement(text, self.start, bad_at)
                    if _COPY_FROM_STDIN.match(text):
                        self.copying = True
                        return

    def _add(self, piece: str, lineno: int) -> None:
        if not self.buf:
            if not piece.strip():
                return
            self.start = lineno
        self.buf.append(piece)

    def finish(self) -> Statement | None:
        text = "".join(self.buf).strip()
        self.buf = []
        return Statement(text, self.start) if text else None


def read_events(
    engine: str,
    stream: BinaryIO | Iterable[bytes],
    diagnostics: list[Diagnostic],
    copy_rows: bool = True,
    whole: bool = True,
) -> Iterator[Event]:
    """Yield statements (and COPY rows, unless `copy_rows` is False) from a dump, in order, in
    constant memory. A `whole` dump must end with its tool's completion line (else an
    "incomplete" diagnostic); a fragment (False) need not."""
    splitter: _MySQLSplitter | _PgSplitter = (
        _MySQLSplitter() if engine == "mysql" else _PgSplitter(copy_rows)
    )
    last = completed = 0
    marker = COMPLETION_MARKERS[engine].decode()
    for lineno, line, bad in _decode_lines(stream):
        last = lineno
        if bad and not splitter.bad_line:
            splitter.bad_line = lineno
        if line.startswith(marker):  # a comment: the splitters drop it
            completed = lineno
        yield from splitter.feed(line, lineno)
    tail = splitter.finish()
    if tail is not None:
        tail.invalid_utf8 = splitter.bad_line
        diagnostics.append(
            Diagnostic(
                tail.line,
                "incomplete",
                "the dump ends inside a statement (missing ';' or an unclosed quote/comment); "
                "the file may be truncated",
            )
        )
    if isinstance(splitter, _PgSplitter) and splitter.copying:
        diagnostics.append(
            Diagnostic(last, "incomplete", "the dump ends inside a COPY block (no '\\.' line)")
        )
    if whole and not completed:
        diagnostics.append(Diagnostic(last, "incomplete", missing_marker_message(engine)))


def read_statements(
    engine: str,
    stream: BinaryIO | Iterable[bytes],
    diagnostics: list[Diagnostic],
    whole: bool = True,
) -> Iterator[Statement]:
    for ev in read_events(engine, stream, diagnostics, copy_rows=False, whole=whole):
        if isinstance(ev, Statement):
            yield ev
