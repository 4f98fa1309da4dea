"""COPY: the statement's options, the text and csv data formats, and Spanner's commit limits.

Pure logic, no I/O: the connection layer feeds the bytes of CopyData messages in and sends the
bytes produced here out. COPY FROM rows become insert mutations, so what fits one commit is
decided here by Spanner's rules (columns written per row plus the key and STORING columns of
each secondary index entry, at most 80,000 per commit, and at most 100 MB).
"""

from __future__ import annotations

import re
import struct
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any

from .errors import FeatureNotSupported, PgError
from .lexer import skip, strip_comments

MAX_MUTATIONS = 80_000
MAX_COMMIT_BYTES = 100 * 1024 * 1024
# a non-atomic COPY commits batches well under the size limit: the estimate is approximate
BATCH_BYTES = 32 * 1024 * 1024
ROW_OVERHEAD = 16  # bytes a row adds to a commit besides its values (estimate)
Batches = list[list[list[Any]]]  # groups of rows, each fitting one commit


@dataclass
class CopySpec:
    direction: str  # "from" (STDIN) or "to" (STDOUT)
    table: str | None
    query: str | None
    columns: list[str] | None
    format: str = "text"  # text, csv or binary
    delimiter: str = "\t"
    null: str = "\\N"
    header: bool = False
    quote: str = '"'
    escape: str = '"'
    force_quote: list[str] = field(default_factory=list)


_TOKEN = re.compile(r"'(?:[^']|'')*'|E'(?:[^'\\]|\\.|'')*'|\"(?:[^\"]|\"\")*\"|[\w.]+|[(),*]|\S")


def _unquote(tok: str) -> str:
    if tok.startswith("E'") or tok.startswith("e'"):
        return tok[2:-1].replace("''", "'").encode().decode("unicode_escape")
    if len(tok) >= 2 and tok[0] == tok[-1] == "'":
        return tok[1:-1].replace("''", "'")
    return tok


def _ident(tok: str) -> str:
    if len(tok) >= 2 and tok[0] == tok[-1] == '"':
        return tok[1:-1].replace('""', '"')
    return tok.lower()


def _matching_paren(sql: str, start: int) -> int:
    """Index of the ')' closing the '(' at start (strings and quoted names skipped)."""
    depth = 0
    i = start
    while i < len(sql):
        j = skip(sql, i)
        if j != i:
            i = j
            continue
        c = sql[i]
        if c == "(":
            depth += 1
        elif c == ")":
            depth -= 1
            if depth == 0:
                return i
        i += 1
    raise PgError("syntax error in COPY: unbalanced parentheses", "42601")


def parse_copy(sql: str) -> CopySpec:
    """`COPY table [(cols)] FROM STDIN [WITH] [(options) | legacy options]` and
    `COPY table|(query) TO STDOUT ...`."""
    text = strip_comments(sql).strip().rstrip(";").strip()
    m = re.match(r"(?is)COPY\s+", text)
    if not m:
        raise PgError("syntax error in COPY statement", "42601")
    pos = m.end()
    table = query = None
    if text[pos : pos + 1] == "(":
        end = _matching_paren(text, pos)
        query = text[pos + 1 : end].strip()
        pos = end + 1
    else:
        tm = re.compile(
            r'\s*((?:"(?:[^"]|"")*"|[\w$]+)(?:\s*\.\s*(?:"(?:[^"]|"")*"|[\w$]+))?)'
        ).match(text, pos)
        if not tm:
            raise PgError("syntax error in COPY: a table name is expected", "42601")
        parts = re.findall(r'"(?:[^"]|"")*"|[\w$]+', tm.group(1))
        names = [_ident(x) for x in parts]
        table = names[-1] if len(names) == 1 or names[0] == "public" else ".".join(names)
        pos = tm.end()
    columns = None
    rest = text[pos:].lstrip()
    if rest.startswith("("):
        end = _matching_paren(rest, 0)
        columns = [_ident(c.strip()) for c in rest[1:end].split(",") if c.strip()]
        rest = rest[end + 1 :].lstrip()
    dm = re.match(r"(?is)(FROM|TO)\s+(\S+)\s*", rest)
    if not dm:
        raise PgError("syntax error in COPY: FROM STDIN or TO STDOUT is expected", "42601")
    direction = dm.group(1).lower()
    target = dm.group(2).upper()
    # PostgreSQL takes STDIN and STDOUT alike as the client's stream, either way (PHP PDO's
    # pgsqlCopyToArray sends COPY t TO STDIN)
    if target not in ("STDIN", "STDOUT"):
        raise FeatureNotSupported(
            f"COPY {direction.upper()} {dm.group(2)} is not supported: pgadapter has no server "
            "files",
            hint="Use COPY ... FROM STDIN / TO STDOUT, e.g. psql's \\copy.",
        )
    if query is not None and direction == "from":
        raise PgError("COPY FROM needs a table, not a query", "42601")
    spec = CopySpec(direction, table, query, columns)
    _apply_options(spec, rest[dm.end() :])
    return spec


def _apply_options(spec: CopySpec, text: str) -> None:
    toks = _TOKEN.findall(text)
    if toks[:1] and toks[0].upper() == "WITH":
        toks = toks[1:]
    if toks[:1] == ["("]:
        if toks[-1:] != [")"]:
            raise PgError("syntax error in COPY options: ')' expected", "42601")
        items: list[list[str]] = [[]]
        for tok in toks[1:-1]:
            if tok == ",":
                items.append([])
            else:
                items[-1].append(tok)
        for item in items:
            if item:
                _option(spec, item[0].lower(), [_unquote(t) for t in item[1:]])
    else:
        i = 0
        while i < len(toks):
            word = toks[i].lower()
            if word in ("binary", "csv"):
                spec.format = word
                i += 1
            elif word == "header":
                spec.header = True
                i += 1
            elif word in ("delimiter", "null", "quote", "escape", "encoding"):
                i += 1
                if i < len(toks) and toks[i].lower() == "as":
                    i += 1
                if i >= len(toks):
                    raise PgError(f"syntax error in COPY: a value for {word} is expected", "42601")
                _option(spec, word, [_unquote(toks[i])])
                i += 1
            elif word == "force" and i + 2 < len(toks) and toks[i + 1].lower() == "quote":
                i += 2
                cols = []
                while i < len(toks) and toks[i] not in (";",):
                    if toks[i] != ",":
                        cols.append(_ident(toks[i]))
                    i += 1
                spec.force_quote = cols
            else:
                raise PgError(f'syntax error in COPY at or near "{toks[i]}"', "42601")
    if spec.format == "csv":
        if spec.delimiter == "\t" and "delimiter_set" not in spec.__dict__:
            spec.delimiter = ","
        if spec.null == "\\N" and "null_set" not in spec.__dict__:
            spec.null = ""
    if len(spec.delimiter) != 1:
        raise PgError("COPY delimiter must be a single one-byte character", "22023")


def _option(spec: CopySpec, name: str, values: list[str]) -> None:
    value = values[0] if values else ""
    if name == "format":
        fmt = value.lower()
        if fmt not in ("text", "csv", "binary"):
            raise PgError(f'COPY format "{value}" not recognized', "22023")
        spec.format = fmt
    elif name == "header":
        spec.header = value.lower() not in ("false", "off", "0")
    elif name == "delimiter":
        spec.delimiter = value
        spec.__dict__["delimiter_set"] = True
    elif name == "null":
        spec.null = value
        spec.__dict__["null_set"] = True
    elif name == "quote":
        spec.quote = value
    elif name == "escape":
        spec.escape = value
    elif name == "encoding":
        if value.upper().replace("-", "") not in ("UTF8", "UNICODE"):
            raise FeatureNotSupported("COPY supports the UTF8 encoding only")
    elif name in ("freeze",):
        pass
    elif name == "force_quote":
        spec.force_quote = [_ident(v) for v in values if v not in ("(", ")", ",")]
    else:
        raise PgError(f'option "{name}" not recognized', "42601")


# --- reading rows ------------------------------------------------------------------------------

_ESCAPES = {"b": "\b", "f": "\f", "n": "\n", "r": "\r", "t": "\t", "v": "\v"}


def _text_fields(line: str, delim: str) -> list[tuple[str, bool]]:
    """Split one text-format line; each field with whether it was written as an escape-free
    literal (needed to tell the NULL marker from an escaped backslash-N)."""
    if "\\" not in line:
        return [(f, True) for f in line.split(delim)]
    out: list[tuple[str, bool]] = []
    buf: list[str] = []
    raw = True
    i, n = 0, len(line)
    while i < n:
        c = line[i]
        if c == "\\" and i + 1 < n:
            nxt = line[i + 1]
            if nxt == "N" and not buf and (i + 2 == n or line[i + 2] == delim):
                buf.append("\\N")  # the NULL marker, compared verbatim
                i += 2
                continue
            raw = False
            if nxt in _ESCAPES:
                buf.append(_ESCAPES[nxt])
                i += 2
            elif nxt in "01234567":
                m = re.match(r"[0-7]{1,3}", line[i + 1 : i + 4])
                assert m
                buf.append(chr(int(m.group(0), 8) & 0xFF))
                i += 1 + len(m.group(0))
            elif nxt == "x" and re.match(r"[0-9a-fA-F]", line[i + 2 : i + 3]):
                m = re.match(r"[0-9a-fA-F]{1,2}", line[i + 2 : i + 4])
                assert m
                buf.append(chr(int(m.group(0), 16)))
                i += 2 + len(m.group(0))
            else:
                buf.append(nxt)
                i += 2
        elif c == delim:
            out.append(("".join(buf), raw))
            buf, raw = [], True
            i += 1
        else:
            buf.append(c)
            i += 1
    out.append(("".join(buf), raw))
    return out


def text_rows(
    data: str, spec: CopySpec, *, header: bool | None = None
) -> Iterator[tuple[int, list[str | None]]]:
    """(line number, fields) of text-format COPY data; NULL fields are None."""
    skip_header = spec.header if header is None else header
    lines = data.split("\n")
    if lines and lines[-1] == "":
        lines.pop()
    for number, line in enumerate(lines, start=1):
        if line.endswith("\r"):
            line = line[:-1]
        if line == "\\.":
            return
        if number == 1 and skip_header:
            continue
        yield (
            number,
            [
                None if raw and value == spec.null else value
                for value, raw in _text_fields(line, spec.delimiter)
            ],
        )


def csv_rows(
    data: str,
    spec: CopySpec,
    *,
    first_line: int = 1,
    header: bool | None = None,
    ends: list[tuple[int, int]] | None = None,
) -> Iterator[tuple[int, list[str | None]]]:
    """(line number where the record starts, fields) of csv COPY data. An unquoted field equal
    to the NULL string is NULL; a quoted one never is (so `""` is an empty string).

    A streaming reader parses the data piece by piece: `first_line` numbers the first record,
    `header` overrides spec.header, and `ends` receives (offset, next line) after every record
    so the reader knows how much was consumed."""
    delim, quote, escape = spec.delimiter, spec.quote, spec.escape
    i, n = 0, len(data)
    line = first_line
    first = True
    skip_header = spec.header if header is None else header
    while i < n:
        start_line = line
        if data.startswith("\\.", i) and data[i + 2 : i + 3] in ("", "\n", "\r"):
            return
        fields: list[str | None] = []
        while True:
            if i < n and data[i] == quote:
                i += 1
                buf: list[str] = []
                while True:
                    if i >= n:
                        raise PgError(
                            "unterminated CSV quoted field",
                            "22P04",
                            where=f"COPY, line {start_line}",
                        )
                    c = data[i]
                    if (
                        c == escape
                        and i + 1 < n
                        and data[i + 1] in (quote, escape)
                        and (escape != quote or data[i + 1] == quote)
                    ):
                        buf.append(data[i + 1])
                        i += 2
                        continue
                    if c == quote:
                        i += 1
                        break
                    if c == "\n":
                        line += 1
                    buf.append(c)
                    i += 1
                # text may follow a closing quote up to the delimiter: PostgreSQL keeps it
                j = i
                while j < n and data[j] not in (delim, "\n", "\r"):
                    j += 1
                buf.append(data[i:j])
                i = j
                fields.append("".join(buf))
            else:
                j = i
                while j < n and data[j] not in (delim, "\n", "\r"):
                    j += 1
                value = data[i:j]
                fields.append(None if value == spec.null else value)
                i = j
            if i < n and data[i] == delim:
                i += 1
                continue
            break
        if i < n and data[i] == "\r":
            i += 1
        if i < n and data[i] == "\n":
            i += 1
        line += 1
        if ends is not None:
            ends.append((i, line))
        if first and skip_header:
            first = False
            continue
        first = False
        yield start_line, fields


BINARY_SIGNATURE = b"PGCOPY\n\xff\r\n\x00"
BINARY_HEADER = BINARY_SIGNATURE + b"\0\0\0\0" + b"\0\0\0\0"
BINARY_TRAILER = b"\xff\xff"


def binary_rows(data: bytes) -> Iterator[tuple[int, list[bytes | None]]]:
    """(row number, raw field values) of binary COPY data."""
    if not data.startswith(BINARY_SIGNATURE) or len(data) < 19:
        raise PgError("COPY file signature not recognized", "22P04", where="COPY, line 1")
    (flags, ext) = struct.unpack_from("!iI", data, 11)
    if flags & 0x10000:
        raise PgError("COPY binary data with OIDs is not supported", "0A000")
    pos = 19 + ext
    number = 0
    n = len(data)
    while True:
        number += 1
        if pos + 2 > n:
            raise PgError(
                "unexpected EOF in COPY data (no trailer)", "22P04", where=f"COPY, line {number}"
            )
        (count,) = struct.unpack_from("!h", data, pos)
        pos += 2
        if count == -1:
            return
        fields: list[bytes | None] = []
        for _ in range(count):
            if pos + 4 > n:
                raise PgError("unexpected EOF in COPY data", "22P04", where=f"COPY, line {number}")
            (length,) = struct.unpack_from("!i", data, pos)
            pos += 4
            if length == -1:
                fields.append(None)
                continue
            if length < 0 or pos + length > n:
                raise PgError("unexpected EOF in COPY data", "22P04", where=f"COPY, line {number}")
            fields.append(data[pos : pos + length])
            pos += length
        yield number, fields


def binary_row(values: Sequence[bytes | None]) -> bytes:
    parts = [struct.pack("!h", len(values))]
    for v in values:
        parts.append(b"\xff\xff\xff\xff" if v is None else struct.pack("!i", len(v)) + v)
    return b"".join(parts)


def read_rows(data: bytes, spec: CopySpec) -> Iterator[tuple[int, list[Any]]]:
    if spec.format == "binary":
        return binary_rows(data)
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        raise PgError(
            "invalid byte sequence for encoding UTF8", "22021", where=f"COPY, line {line}"
        ) from None
    return csv_rows(text, spec) if spec.format == "csv" else text_rows(text, spec)


class CopyReader:
    """Rows of COPY data fed piece by piece, as CopyData messages arrive: only the incomplete
    tail of the input is kept, so memory does not grow with the input. Text and csv pieces are
    cut at a newline (a byte that never occurs inside a UTF-8 sequence); a csv record whose
    quoted field spans the cut waits for more data; binary rows wait until complete."""

    def __init__(self, spec: CopySpec) -> None:
        self.spec = spec
        self.buffer = b""
        self.line = 1  # number of the next line (text, csv) or row (binary)
        self.done = False  # the end marker (\. or the binary trailer) was seen
        self._header_pending = spec.header
        self._binary_started = False

    def feed(self, chunk: bytes) -> list[tuple[int, list[Any]]]:
        if self.done:
            return []
        self.buffer += chunk
        return self._take(final=False)

    def finish(self) -> list[tuple[int, list[Any]]]:
        """Rows of what is left at CopyDone; an incomplete last row is an error here."""
        if self.done:
            return []
        rows = self._take(final=True)
        if self.spec.format == "binary" and not self.done:
            raise PgError(
                "unexpected EOF in COPY data (no trailer)", "22P04", where=f"COPY, line {self.line}"
            )
        return rows

    def _take(self, final: bool) -> list[tuple[int, list[Any]]]:
        if self.spec.format == "binary":
            return self._take_binary(final)
        cut = len(self.buffer) if final else self.buffer.rfind(b"\n") + 1
        if cut <= 0:
            return []
        piece = self.buffer[:cut]
        try:
            text = piece.decode("utf-8")
        except UnicodeDecodeError as exc:
            line = self.line + piece[: exc.start].count(b"\n")
            raise PgError(
                "invalid byte sequence for encoding UTF8", "22021", where=f"COPY, line {line}"
            ) from None
        if self.spec.format == "csv":
            return self._take_csv(text, piece, final)
        rows = [
            (number + self.line - 1, fields)
            for number, fields in text_rows(text, self.spec, header=self._header_pending)
        ]
        self._header_pending = False
        if "\\." in text and any(ln.rstrip("\r") == "\\." for ln in text.split("\n")):
            self.done = True
        self.line += text.count("\n")
        self.buffer = self.buffer[cut:]
        return rows

    def _take_csv(self, text: str, piece: bytes, final: bool) -> list[tuple[int, list[Any]]]:
        ends: list[tuple[int, int]] = []
        rows: list[tuple[int, list[Any]]] = []
        try:
            for row in csv_rows(
                text, self.spec, first_line=self.line, header=self._header_pending, ends=ends
            ):
                rows.append(row)
        except PgError:
            if final:
                raise
            # a quoted field goes on past the cut: that record waits for the next piece
        used = 0
        if ends:
            self._header_pending = False
            used, self.line = ends[-1]
        if used < len(text) and _csv_marker_at(text, used):
            self.done = True
        self.buffer = b"" if final else self.buffer[len(text[:used].encode("utf-8")) :]
        return rows

    def _take_binary(self, final: bool) -> list[tuple[int, list[Any]]]:
        data = self.buffer
        pos = 0
        if not self._binary_started:
            if len(data) < 19:
                if final:
                    raise PgError(
                        "COPY file signature not recognized", "22P04", where="COPY, line 1"
                    )
                return []
            if not data.startswith(BINARY_SIGNATURE):
                raise PgError("COPY file signature not recognized", "22P04", where="COPY, line 1")
            (flags, ext) = struct.unpack_from("!iI", data, 11)
            if flags & 0x10000:
                raise PgError("COPY binary data with OIDs is not supported", "0A000")
            if len(data) < 19 + ext:
                return []
            pos = 19 + ext
            self._binary_started = True
        rows: list[tuple[int, list[Any]]] = []
        n = len(data)
        while pos + 2 <= n:
            (count,) = struct.unpack_from("!h", data, pos)
            if count == -1:
                self.done = True
                pos += 2
                break
            p = pos + 2
            fields: list[bytes | None] = []
            complete = True
            for _ in range(count):
                if p + 4 > n:
                    complete = False
                    break
                (length,) = struct.unpack_from("!i", data, p)
                p += 4
                if length == -1:
                    fields.append(None)
                    continue
                if length < 0:
                    raise PgError(
                        "invalid field size in COPY data", "22P04", where=f"COPY, line {self.line}"
                    )
                if p + length > n:
                    complete = False
                    break
                fields.append(data[p : p + length])
                p += length
            if not complete:
                if final:
                    raise PgError(
                        "unexpected EOF in COPY data", "22P04", where=f"COPY, line {self.line}"
                    )
                break
            rows.append((self.line, fields))
            self.line += 1
            pos = p
        self.buffer = data[pos:]
        return rows


def _csv_marker_at(text: str, pos: int) -> bool:
    return text.startswith("\\.", pos) and text[pos + 2 : pos + 3] in ("", "\n", "\r")


def converted_rows(
    rows: Iterator[tuple[int, list[Any]]],
    table: str,
    columns: Sequence[str],
    parsers: Sequence[Callable[[Any], Any]],
) -> Iterator[list[Any]]:
    """Values for the Spanner client, row by row; a bad row raises with its line number."""
    ncols = len(columns)
    for number, fields in rows:
        if len(fields) != ncols:
            if len(fields) > ncols:
                message = "extra data after last expected column"
            else:
                message = f'missing data for column "{columns[len(fields)]}"'
            raise PgError(
                f"{message} (line {number})", "22P04", where=f"COPY {table}, line {number}"
            )
        values: list[Any] = []
        for name, parse, raw in zip(columns, parsers, fields, strict=True):
            if raw is None:
                values.append(None)
                continue
            try:
                values.append(parse(raw))
            except PgError as exc:
                shown = raw if isinstance(raw, str) else raw.hex()
                shown = shown if len(shown) <= 40 else shown[:40] + "..."
                raise PgError(
                    f"{exc.message} (line {number}, column {name})",
                    exc.sqlstate,
                    where=f'COPY {table}, line {number}, column {name}: "{shown}"',
                ) from None
        yield values


def convert_rows(
    rows: Iterator[tuple[int, list[Any]]],
    table: str,
    columns: Sequence[str],
    parsers: Sequence[Callable[[Any], Any]],
) -> list[list[Any]]:
    """Values for the Spanner client; a bad row stops everything with its line number."""
    return list(converted_rows(rows, table, columns, parsers))


# --- commit limits -----------------------------------------------------------------------------


def mutations_per_row(ncols: int, index_columns: Sequence[int]) -> int:
    """Mutations one inserted row costs in Spanner's per-commit limit.

    An insert counts once per column it writes, and every secondary index of the table adds
    one per column its entry holds: the index's key columns and its STORING columns
    (`index_columns` gives that sum per index). Spanner's documentation states the index
    part for deletes only; for inserts this is the rule Google's backend team gave in
    googleapis/google-cloud-go#1721.
    """
    return ncols + sum(index_columns)


def row_bytes(row: Sequence[Any]) -> int:
    size = ROW_OVERHEAD
    for v in row:
        if v is None or isinstance(v, (bool, int, float)):
            size += 8
        elif isinstance(v, (str, bytes)):
            size += len(v)
        elif isinstance(v, list):
            size += sum(len(str(x)) + 2 for x in v)
        else:
            size += len(str(v))
    return size


class BatchFiller:
    """Rows gathered into batches that each fit one commit (mutations and bytes)."""

    def __init__(self, per_row: int, max_bytes: int) -> None:
        self.max_rows = max(1, MAX_MUTATIONS // max(per_row, 1))
        self.max_bytes = max_bytes
        self.batch: list[list[Any]] = []  # the batch being filled
        self._size = 0

    def add(self, row: list[Any]) -> list[list[Any]] | None:
        """The full batch that `row` does not fit in any more (`row` starts the next one)."""
        rb = row_bytes(row)
        full = None
        if self.batch and (len(self.batch) >= self.max_rows or self._size + rb > self.max_bytes):
            full, self.batch, self._size = self.batch, [], 0
        self.batch.append(row)
        self._size += rb
        return full

    def rest(self) -> list[list[Any]] | None:
        """The last, possibly short, batch."""
        last, self.batch, self._size = self.batch, [], 0
        return last or None


def batches(rows: list[list[Any]], per_row: int, max_bytes: int) -> Iterator[list[list[Any]]]:
    """Split rows into groups that each fit one commit."""
    filler = BatchFiller(per_row, max_bytes)
    for row in rows:
        full = filler.add(row)
        if full is not None:
            yield full
    last = filler.rest()
    if last is not None:
        yield last


class CopyBatcher:
    """A streaming COPY FROM's data, parsed and converted piece by piece and cut into batches
    that each fit one commit. CPU work only: the connection runs it on a worker thread, one
    piece at a time, so that the event loop stays free for other connections."""

    def __init__(
        self,
        spec: CopySpec,
        table: str,
        columns: Sequence[str],
        parsers: Sequence[Callable[[Any], Any]],
        per_row: int,
        max_bytes: int = BATCH_BYTES,
    ) -> None:
        self.reader = CopyReader(spec)
        self.table = table
        self.columns = columns
        self.parsers = parsers
        self.filler = BatchFiller(per_row, max_bytes)

    def feed(self, chunk: bytes) -> tuple[Batches, PgError | None]:
        """The batches this piece of COPY data completed, and the error of a bad row that
        stopped it (the batches completed before that row still stand)."""
        return self._add(lambda: self.reader.feed(chunk))

    def finish(self) -> tuple[Batches, PgError | None]:
        """At CopyDone: the remaining batches, the last one possibly short."""
        full, error = self._add(self.reader.finish)
        last = self.filler.rest() if error is None else None
        return (full if last is None else [*full, last]), error

    def _add(
        self, read: Callable[[], list[tuple[int, list[Any]]]]
    ) -> tuple[Batches, PgError | None]:
        full: Batches = []
        try:
            for values in converted_rows(iter(read()), self.table, self.columns, self.parsers):
                done = self.filler.add(values)
                if done is not None:
                    full.append(done)
        except PgError as exc:
            return full, exc
        return full, None


def check_atomic(rows: list[list[Any]], per_row: int, table: str) -> None:
    """An atomic COPY is one commit: refuse before writing anything when it cannot fit."""
    mutations = len(rows) * per_row
    if mutations > MAX_MUTATIONS:
        raise PgError(
            f"COPY into {table} would write {len(rows)} rows = {mutations} mutations (columns "
            f"plus index entries), more than the {MAX_MUTATIONS} Spanner allows in one commit; "
            "nothing was written",
            "54000",
            hint="SET spanner.autocommit_dml_mode = 'partitioned_non_atomic' to commit in "
            "batches, or split the data into smaller COPY statements.",
        )
    size = sum(row_bytes(r) for r in rows)
    if size > MAX_COMMIT_BYTES:
        raise PgError(
            f"COPY into {table} would write about {size} bytes, more than the "
            f"{MAX_COMMIT_BYTES} bytes Spanner allows in one commit; nothing was written",
            "54000",
            hint="SET spanner.autocommit_dml_mode = 'partitioned_non_atomic' to commit in "
            "batches, or split the data into smaller COPY statements.",
        )


# --- writing rows ------------------------------------------------------------------------------

_TEXT_ESCAPE = str.maketrans({"\\": "\\\\", "\n": "\\n", "\r": "\\r", "\t": "\\t"})


def format_text_row(values: Sequence[str | None], spec: CopySpec) -> str:
    delim = spec.delimiter
    table = _TEXT_ESCAPE
    if delim != "\t":
        table = str.maketrans(
            {"\\": "\\\\", "\n": "\\n", "\r": "\\r", "\t": "\\t", delim: "\\" + delim}
        )
    return delim.join(spec.null if v is None else v.translate(table) for v in values) + "\n"


def format_csv_row(
    values: Sequence[str | None], spec: CopySpec, forced: Sequence[bool] = ()
) -> str:
    q, e, d = spec.quote, spec.escape, spec.delimiter
    out: list[str] = []
    for i, v in enumerate(values):
        if v is None:
            out.append(spec.null)
            continue
        must = (
            (forced[i] if i < len(forced) else False)
            or v == spec.null
            or any(ch in v for ch in (d, q, "\n", "\r"))
            or (e != q and e in v)
            or v.startswith("\\.")
        )
        if must:
            body = v.replace(e, e + e) if e != q else v
            body = body.replace(q, e + q)
            out.append(q + body + q)
        else:
            out.append(v)
    return d.join(out) + "\n"
