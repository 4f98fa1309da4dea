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

from .dumpencoding import DeclaredEncoding, decode, encode
from .dumpkind import COMPLETION_MARKERS, missing_marker_message
from .insertruns import counted_run
from .model import Diagnostic


@dataclass
class Statement:
    text: str
    line: int  # line where the statement starts (1-based)
    invalid_utf8: int = 0  # first line of the statement holding bytes that are not UTF-8
    # A run of one-row INSERTs of one table with the same head (mysqldump
    # --skip-extended-insert, pg_dump --inserts), read as one statement `head piece,piece...`:
    # the head and each statement's VALUES part, to read them one by one if the whole fails.
    head: str = ""
    pieces: list[str] | None = None

    @property
    def count(self) -> int:
        """How many statements of the dump this one stands for."""
        return 1 if self.pieces is None else len(self.pieces)

    def each(self) -> list[Statement]:
        """The statements of the dump this one stands for, each with its own line."""
        if self.pieces is None:
            return [self]
        out, line = [], self.line
        for piece in self.pieces:
            out.append(Statement(self.head + piece, line))
            line += piece.count("\n") + 1
        return out


@dataclass
class CopyRow:
    """One data line of a pg_dump COPY block (without the newline)."""

    text: str
    line: int
    invalid_utf8: bool = False


@dataclass
class CopyRows:
    """Consecutive data lines of a COPY block (without their newlines), the first at `line`."""

    texts: list[str]
    line: int


@dataclass
class CopyEnd:
    line: int


Event = Statement | CopyRow | CopyRows | CopyEnd

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


def _whole_line_pg_insert(line: str) -> str | None:
    """The statement of a pg_dump --inserts line `INSERT INTO ... VALUES (...);` when its
    strings (standard: '' doubles a quote, no backslash escapes) all close on it and nothing
    outside them is a comment, a dollar quote, a quoted name or a `;` but the last; None
    sends the line to the scanner."""
    body = line.rstrip(" \t\r\n")
    if not body.endswith(";"):
        return None
    pieces = body.split("'")
    if len(pieces) % 2 == 0:
        return None
    before = pieces[0:-1:2]  # the text before each string
    if any(p[-1:] in ("E", "e") and not p[-2:-1].isalnum() for p in before):
        return None  # an E'' string has backslash escapes: the scanner reads it
    outside = "".join(pieces[::2])
    if outside.count(";") != 1 or _PG_LINE_SPECIAL.search(outside) is not None:
        return None
    return body[:-1]


_PG_LINE_SPECIAL = re.compile(r"--|/\*|[$\"\\]")
_ROW_SPECIAL = re.compile(r"[;#\"`]|--|/\*")


def _whole_row_line(line: str) -> str | None:
    """The text of a row line `(...),` or `(...);` of a multi-line INSERT (MariaDB's mysqldump
    writes its extended INSERTs one row per line) when every string on it closes on it and
    nothing outside the strings is a comment, a quote of another kind or a `;` but the last:
    found by counting, as in _whole_line_insert; None sends the line to the scanner."""
    body = line.rstrip(" \t\r\n")
    if body[:1] != "(" or not body.endswith(("),", ");")):
        return None
    backslashes = body.count("\\")
    if not backslashes:
        plain, escaped_quotes = body, 0
    elif backslashes == (escaped_quotes := body.count("\\'")):
        plain = body
    else:
        plain = body.replace("\\\\", "")
        escaped_quotes = plain.count("\\'")
    if _ROW_SPECIAL.search(body, 0, len(body) - 1) is None:  # the common case
        return body if (plain.count("'") - escaped_quotes) % 2 == 0 else None
    pieces = (plain.replace("\\'", "") if escaped_quotes else plain).split("'")
    if len(pieces) % 2 == 0:
        return None  # a string goes on to the next line
    outside = "".join(pieces[::2])
    if outside.count(";") > (body[-1] == ";") or any(
        mark in outside for mark in ("#", "--", "/*", '"', "`")
    ):
        return None
    return body


class _MySQLSplitter:
    def __init__(self) -> None:
        self.delimiter = ";"
        self.buf: list[str] = []
        self.start = 0
        self.quote: str | None = None
        self.comment = False  # inside /* ... */
        self.cond = 0  # depth of /*! ... */ conditional comments (their content is code)
        self.bad_line = 0
        self.rows_follow = False  # buf holds `INSERT INTO t VALUES` alone: row lines follow

    def idle(self) -> bool:
        """Between statements, outside quotes and comments, with the standard delimiter."""
        return self.quote is None and not self.comment and not self.cond and self.delimiter == ";"

    def _special(self) -> re.Pattern[str]:
        pat = _MY_SPECIAL.get(self.delimiter)
        if pat is None:
            pat = re.compile(r"['\"`#]|--(?=[ \t\r\n]|$)|/\*|\*/|" + re.escape(self.delimiter))
            _MY_SPECIAL[self.delimiter] = pat
        return pat

    def feed(self, line: str, lineno: int) -> Iterator[Statement]:
        if self.rows_follow:
            # one row per line (MariaDB's extended INSERTs): whole rows join the statement
            # in one step, the last one ends it
            row = _whole_row_line(line)
            if row is not None:
                if row[-1] == ",":
                    self.buf.append(line)
                    return
                self.buf.append(row[:-1])
                text = "".join(self.buf)
                self.buf, self.rows_follow = [], False
                yield Statement(text, self.start, self.bad_line)
                self.bad_line = 0
                return
            self.rows_follow = False
        if not self.buf and self.quote is None and not self.comment:
            if line.startswith("INSERT INTO ") and self.delimiter == ";" and not self.cond:
                # mysqldump writes one INSERT per line; when the whole line is one statement
                # (the final ';' outside every string), take it in one step
                whole = _whole_line_insert(line)
                if whole is not None:
                    yield Statement(whole, lineno, self.bad_line)
                    self.bad_line = 0
                    return
                # the head of a multi-line INSERT, alone or with its first row (MariaDB's
                # --complete-insert): rows follow, one per line
                at = line.find(" VALUES")
                head = line[:at]
                first = line[at + 7 :].strip(" \t\r\n")
                if (
                    at > 0
                    and head.count("`") % 2 == 0
                    and not any(mark in head for mark in ("'", '"', "#", "--", "/*", ";"))
                    and (not first or ((row := _whole_row_line(first)) and row[-1] == ","))
                ):
                    self.buf, self.start, self.rows_follow = [line], lineno, True
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

    def idle(self) -> bool:
        """Between statements: nothing buffered, outside quotes, comments and COPY data."""
        return not self.buf and self.quote is None and not self.comment and not self.copying

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


# --- whole statements found in a block of the dump at once ------------------------------------
# Most of a dump is INSERT statements (and COPY data). Read line by line, each costs a Python
# step per line; read as blocks of ~1 MiB decoded at once, a whole INSERT is found with one
# regex match over its text (quotes and escapes tokenized in C), and COPY data is cut into rows
# with one split. Anything the patterns do not take whole (a comment, a quoted name of the
# other kind, bytes that are not UTF-8 ...) goes line by line through the splitters, as before.

BLOCK_BYTES = 1 << 20
MAX_STATEMENT_BYTES = 64 << 20  # an INSERT longer than this is read line by line

_MY_IDENT = r"(?:`(?:[^`]|``)++`|\w++)"
# `INSERT INTO t [(cols)] VALUES` then the values: strings with backslash escapes, and outside
# them anything but a quote, `;`, a comment opener or a quote of another kind. Possessive:
# the match stops, without backtracking, where the text stops being such a statement.
_MY_VALUES = r"(?:[^';#/`\"\\-]++|'(?:[^'\\]++|\\.)*+'|-(?!-)|/(?!\*))*+"
_MY_INSERT = re.compile(
    rf"(INSERT INTO {_MY_IDENT}(?:\.{_MY_IDENT})?[ \t]*+(?:\((?:{_MY_IDENT}|[ ,\t])*+\)[ \t]*+)?"
    rf"VALUES){_MY_VALUES}",
    re.DOTALL,
)
_PG_IDENT = r'(?:[A-Za-z_][\w$]*+|"(?:[^"]|"")++")'
# pg_dump --inserts: standard strings ('' doubles a quote, no escapes); an E'' string, a
# dollar quote or a comment stops the match (the splitter reads those)
_PG_VALUES = r"(?:[^';\"$/eE-]++|[eE](?!')|'(?:[^']++|'')*+'|-(?!-)|/(?!\*))*+"
_PG_INSERT = re.compile(
    rf"(INSERT INTO {_PG_IDENT}(?:\.{_PG_IDENT})?[ \t]*+(?:\((?:{_PG_IDENT}|[ ,\t])*+\)[ \t]*+)?"
    rf"VALUES){_PG_VALUES}",
    re.DOTALL,
)
_INSERT_PATTERNS = {"mysql": (_MY_INSERT, _MY_VALUES), "postgres": (_PG_INSERT, _PG_VALUES)}
_RUNS: dict[tuple[str, str], tuple[re.Pattern[str], re.Pattern[str]]] = {}
RUN_STATEMENTS = 5000  # one-row INSERTs read as one statement, at most (about a block)
_ONE_ROW = re.compile(r"\)\s*,\s*\(")  # (a cheap test: a string holding "),(" only costs the run)


def _run_patterns(head: str, values: str) -> tuple[re.Pattern[str], re.Pattern[str]]:
    """For one INSERT head: a run of such one-line statements, and each one's VALUES part."""
    found = _RUNS.get((head, values))
    if found is None:
        if len(_RUNS) > 256:  # many tables: keep the cache small
            _RUNS.clear()
        one = rf"{re.escape(head)}({values});\n"
        found = (
            re.compile(rf"(?:{one}){{1,{RUN_STATEMENTS}}}+", re.DOTALL),
            re.compile(one, re.DOTALL),
        )
        _RUNS[head, values] = found
    return found


_COPY_END = "\n\\.\n"


def _counted_end(text: str, pos: int) -> int:
    """Where the mysqldump INSERT at `pos` ends (its ';', followed by a newline), found by
    counting as in _whole_line_insert: a few C-level passes over the statement instead of a
    tokenizing one; -1 when counting cannot tell (a comment mark, a quote of another kind or
    a ';' inside a string before the end ...): the tokenizing pattern decides then."""
    cand = text.find(";\n", pos)
    if cand == -1:
        return -1
    seg = text[pos:cand]
    values = seg.find(" VALUES")
    if values == -1 or seg.find("'", 0, values) != -1 or seg.find("`", values) != -1:
        return -1
    if "#" in seg or "--" in seg or "/*" in seg or '"' in seg:
        return -1
    backslashes = seg.count("\\")
    if not backslashes:
        plain, escaped = seg, 0
    elif backslashes == (escaped := seg.count("\\'")):
        plain = seg
    else:
        plain = seg.replace("\\\\", "")
        escaped = plain.count("\\'")
    return cand if (plain.count("'") - escaped) % 2 == 0 else -1


def _blocks(stream: BinaryIO | Iterable[bytes]) -> Iterator[bytes]:
    """The dump in blocks of whole lines, about BLOCK_BYTES each (the last may lack its
    newline). A file is read a block at a time; other iterables of bytes are joined."""
    read = getattr(stream, "read", None)
    chunks: Iterable[bytes] = iter(lambda: read(BLOCK_BYTES), b"") if read else stream
    buf: list[bytes] = []
    size = 0
    for chunk in chunks:
        buf.append(chunk)
        size += len(chunk)
        if size >= BLOCK_BYTES:
            data = b"".join(buf)
            cut = data.rfind(b"\n") + 1
            if cut:
                yield data[:cut]
                buf, size = [data[cut:]], len(data) - cut
            else:
                buf, size = [data], len(data)
    if size:
        yield b"".join(buf)


class _BlockText:
    """The decoded text of the blocks, taken from the front; one more block is appended when a
    statement goes on past the end of those read."""

    def __init__(self, stream: BinaryIO | Iterable[bytes], encoding: DeclaredEncoding) -> None:
        self.blocks = _blocks(stream)
        self.encoding = encoding
        self.text = ""
        self.pos = 0
        self.raw: bytes | None = None  # a block that does not decode: read line by line

    def recode(self, old: str) -> None:
        """The encoding changed: the text not yet read is decoded again, in the new one."""
        rest = encode(self.text[self.pos :], old)
        self.text, self.pos = "", 0
        try:
            self.text = decode(rest, self.encoding.codec)
        except UnicodeDecodeError:
            self.raw = rest + (self.raw or b"")

    def more(self) -> bool:
        """Append the next block (False at the end, or when it is not UTF-8: kept in raw)."""
        if self.raw is not None:
            return False
        block = next(self.blocks, None)
        if block is None:
            return False
        try:
            decoded = decode(block, self.encoding.codec)
        except UnicodeDecodeError:
            self.raw = block
            return False
        self.text = self.text[self.pos :] + decoded
        self.pos = 0
        return True


def read_events(
    engine: str,
    stream: BinaryIO | Iterable[bytes],
    diagnostics: list[Diagnostic],
    copy_rows: bool = True,
    whole: bool = True,
    encoding: DeclaredEncoding | None = None,
) -> Iterator[Event]:
    """Yield statements (and COPY rows, unless `copy_rows` is False) from a dump, in order, in
    constant memory. A `whole` dump must end with its tool's completion line (else an
    "incomplete" diagnostic); a fragment (False) need not. A fragment read from the middle of
    a dump starts in the `encoding` in force there (see encoding_of_data)."""
    splitter: _MySQLSplitter | _PgSplitter = (
        _MySQLSplitter() if engine == "mysql" else _PgSplitter(copy_rows)
    )
    completed = 0
    marker = COMPLETION_MARKERS[engine].decode()
    # the middle rows of a multi-line INSERT (most lines of a MariaDB dump) join the statement
    # here, without a generator per line; the splitter does the rest
    rows_of = splitter if isinstance(splitter, _MySQLSplitter) else None
    pg = splitter if isinstance(splitter, _PgSplitter) else None
    whole_row = _whole_row_line

    def by_line(line: str, lineno: int) -> Iterator[Event]:
        nonlocal completed
        if rows_of is not None and rows_of.rows_follow:
            row = whole_row(line)
            if row is not None and row[-1] == ",":
                rows_of.buf.append(line)
                return
            yield from rows_of.feed(line, lineno)
            return
        if line.startswith(marker):  # a comment: the splitters drop it
            completed = lineno
        elif (
            rows_of is not None
            and line.startswith("INSERT INTO ")
            and not rows_of.buf
            and rows_of.idle()
            and (one_line := _whole_line_insert(line)) is not None
        ):
            yield Statement(one_line, lineno, rows_of.bad_line)  # --skip-extended-insert
            rows_of.bad_line = 0
            return
        elif (
            pg is not None
            and line.startswith("INSERT INTO ")
            and pg.idle()
            and (one_line := _whole_line_pg_insert(line)) is not None
        ):
            yield Statement(one_line, lineno, pg.bad_line)  # pg_dump --inserts
            pg.bad_line = 0
            return
        yield from splitter.feed(line, lineno)

    insert, values = _INSERT_PATTERNS[engine]
    declared = encoding.copy() if encoding is not None else DeclaredEncoding(engine)
    src = _BlockText(stream, declared)
    lineno = 0

    def follow(ev: Event) -> None:
        """A SET statement may change the encoding of the bytes that follow it."""
        if isinstance(ev, Statement) and ev.text[:3].upper() == "SET":
            old = declared.codec
            problem = declared.follow(ev.text)
            if problem:
                diagnostics.append(Diagnostic(ev.line, "encoding", problem))
            elif declared.codec != old and src.text:
                src.recode(old)

    while True:
        text, pos = src.text, src.pos
        n = len(text)
        if pos >= n:
            if src.more():
                continue
            if src.raw is None:
                break
            # a block with bytes that are not UTF-8: line by line, each decoded alone (the
            # bytes kept with surrogateescape, so that the data path can judge each value)
            parts = src.raw.split(b"\n")
            src.raw = None
            for i, raw in enumerate(parts):
                if i == len(parts) - 1 and not raw:
                    break
                lineno += 1
                try:
                    line = decode(raw, declared.codec)
                except UnicodeDecodeError:
                    line = decode(raw, declared.codec, "surrogateescape")
                    if not splitter.bad_line:
                        splitter.bad_line = lineno
                for ev in by_line(line + "\n" if i < len(parts) - 1 else line, lineno):
                    yield ev
                    follow(ev)
            src.text, src.pos = "", 0
            continue
        if pg is not None and pg.copying and not text.startswith("\\.", pos):
            # COPY data up to the line before the next one starting with \. (data never
            # starts with it: a backslash in data is written \\)
            j = text.find("\n\\.", pos)
            stop = n if j == -1 else j + 1
            chunk = text[pos:stop]
            if chunk.endswith("\n") and "\r" not in chunk:
                rows = chunk.split("\n")
                rows.pop()
                if copy_rows:
                    yield CopyRows(rows, lineno + 1)
                lineno += len(rows)
                src.pos = stop
                continue
        elif (
            text.startswith("INSERT INTO ", pos)
            and splitter.idle()
            and not splitter.buf
            and not (rows_of is not None and rows_of.rows_follow)
        ):
            end = _counted_end(text, pos) if rows_of is not None else -1
            if end != -1 and _ONE_ROW.search(text, pos, end) is not None:
                # a statement of many rows (mysqldump's extended INSERT): found by counting
                after = end + 2
                yield Statement(text[pos:end].rstrip(), lineno + 1, 0)
                lineno += text.count("\n", pos, after)
                src.pos = after
                continue
            m = insert.match(text, pos)
            end = m.end() if m is not None else pos
            if end == n and n - pos < MAX_STATEMENT_BYTES:
                # the statement goes on past the blocks read: read on until the text pending
                # has doubled (so that a long statement costs a few matches, not one a block)
                grew, want = False, 2 * (n - pos)
                while len(src.text) - src.pos < want and src.more():
                    grew = True
                if grew:
                    continue
            if m is not None and text.startswith((";\n", ";\r\n"), end):
                after = text.index("\n", end) + 1
                head = m.group(1)
                if (
                    text.startswith(head, after)
                    and end == after - 2
                    and _ONE_ROW.search(text, pos, end) is None
                ):
                    counted = counted_run(engine, text, pos, head, RUN_STATEMENTS)
                    if counted is not None:
                        stop, pieces = counted
                        yield Statement(head + ",".join(pieces), lineno + 1, 0, head, pieces)
                        lineno += len(pieces)
                        src.pos = stop
                        continue
                    run, one = _run_patterns(head, values)
                    r = run.match(text, pos)
                    if r is not None and r.end() > after:
                        pieces = one.findall(text, pos, r.end())
                        yield Statement(head + ",".join(pieces), lineno + 1, 0, head, pieces)
                        lineno += text.count("\n", pos, r.end())
                        src.pos = r.end()
                        continue
                yield Statement(text[pos:end].rstrip(), lineno + 1, 0)
                lineno += text.count("\n", pos, after)
                src.pos = after
                continue
        # one line through the splitters
        j = text.find("\n", pos)
        stop = n if j == -1 else j + 1
        lineno += 1
        src.pos = stop
        for ev in by_line(text[pos:stop], lineno):
            yield ev
            follow(ev)
    last = lineno
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


_DATA_HEADS = ("INSERT", "REPLACE", "COPY")


def encoding_of_data(engine: str, stream: BinaryIO | Iterable[bytes]) -> DeclaredEncoding:
    """The encoding in force at a dump's first data statement: what its SET statements before
    it declare (mysqldump's SET NAMES, pg_dump's client_encoding). Both tools declare it once,
    at the head, and restore what they change around a CREATE TABLE before its rows, so every
    data statement of the dump is read in it: a reader of a byte range starts there."""
    declared = DeclaredEncoding(engine)
    for st in read_statements(engine, stream, [], whole=False):
        if st.text[:7].upper().startswith(_DATA_HEADS):
            break
        declared.follow(st.text)
    return declared
