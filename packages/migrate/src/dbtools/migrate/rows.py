"""Data rows from dumps: mysqldump INSERT statements, pg_dump COPY blocks and INSERTs.

Values come out typed: None for NULL, `Num` for numeric literals, `Bits` for b'..', bytes for
hex and _binary literals, str for quoted strings (with the dump's bytes kept via surrogateescape
when they are not UTF-8). The value tokenizer is a compiled regular expression over the VALUES
list; statement structure (table, column list) comes from the same parsers as the schema.

About 800 lines, kept whole for now: the mysqldump and pg_dump readers share the value forms
(NUMBER_FORM, the string forms) and the batching of `read_rows`; the pg_dump half is the
part to move into a module of its own when this grows.
"""

from __future__ import annotations

import re
import sys
from collections.abc import Callable, Iterable, Iterator
from operator import itemgetter
from typing import Any, BinaryIO, Protocol

from .dumpencoding import UTF8, DeclaredEncoding
from .dumpread import CopyEnd, CopyRow, CopyRows, Statement, read_events
from .model import Diagnostic
from .values import Bits, Num


class RowBatch:
    """Rows of one table from one statement (or a run of COPY lines).

    A mysqldump INSERT read by the fast path also keeps the raw regex matches (`raw`, see
    `fast_value_expr`), so that the loader can convert them without building typed rows first;
    `rows` is then built from them on first use. When a column-typed reader of the loader
    matched the statement (`reader`, see typedrows.py), `raw` holds its matches instead.
    """

    __slots__ = tuple("_rows _typed codec columns errors groups line raw reader table".split())

    def __init__(
        self,
        table: str,
        columns: list[str] | None,  # None: all columns in table order
        rows: list[list[Any]] | None,
        line: int,  # line of the statement / first COPY line
        errors: list[tuple[int, str]],  # (line, message) for rows that could not be tokenized
        raw: list[tuple[str, ...]] | None = None,
        typed: Callable[[list[tuple[str, ...]]], list[list[Any]]] | None = None,
        groups: int = 0,  # capture groups per value in `raw`
        reader: TypedReader | None = None,  # the reader whose pattern gave `raw`
    ) -> None:
        self.table = table
        self.columns = columns
        self._rows = rows
        self.line = line
        self.errors = errors
        self.raw = raw
        self._typed = typed
        self.groups = groups
        self.reader = reader
        # the character set of a mysqldump's strings (SET NAMES): a string bound for a BYTES
        # column stands for its bytes in it (rowconvert._binary_in)
        self.codec = UTF8

    @property
    def rows(self) -> list[list[Any]]:
        if self._rows is None:
            assert self.raw is not None and self._typed is not None
            self._rows = self._typed(self.raw)
        return self._rows

    def __repr__(self) -> str:
        return (
            f"RowBatch({self.table!r}, {self.columns!r}, {len(self.rows)} rows, line {self.line})"
        )


class DumpSyntaxError(ValueError):
    pass


class TypedReader(Protocol):
    """A row pattern made for one table's columns (typedrows.py); only `pattern` is used here."""

    pattern: re.Pattern[str]


# (table, columns of the INSERT or None, values per row, engine[, codec]) -> the typed reader to
# try first
TypedLookup = Callable[..., "TypedReader | None"]


_MY_HEAD = re.compile(
    r"\s*(?:INSERT|REPLACE)\s+(?:(?:LOW_PRIORITY|DELAYED|HIGH_PRIORITY|IGNORE)\s+)*(?:INTO\s+)?"
    r"((?:`(?:[^`]|``)+`|\w+)(?:\s*\.\s*(?:`(?:[^`]|``)+`|\w+))?)\s*"
    r"(\((?:[^()`]|`(?:[^`]|``)*`)*\))?\s*VALUES\s*",
    re.IGNORECASE,
)
_MY_ESCAPES = {
    "0": "\0",
    "b": "\b",
    "n": "\n",
    "r": "\r",
    "t": "\t",
    "Z": "\x1a",
    "\\": "\\",
    "'": "'",
    '"': '"',
}
_MY_ESCAPE = re.compile(r"\\(.)|''", re.DOTALL)
# escapes whose meaning is not the escaped character itself
_MY_SPECIAL_ESCAPE = re.compile(r"\\[0bnrtZ]|''")


def _my_unescape(s: str) -> str:
    if "\\" not in s and "''" not in s:
        return s
    if "''" not in s:
        # the most common escape by far is \' alone; if no other backslash is left, done
        plain = s.replace("\\'", "'")
        if "\\" not in plain:
            return plain
    if _MY_SPECIAL_ESCAPE.search(s) is None:
        # only \' \" \\ and the like: set the escaped backslashes aside (mysqldump pairs every
        # backslash with the next character, so the leftmost '\\\\' always starts a pair),
        # then drop the remaining single backslashes; every step runs in C
        if "\\\\" not in s:
            return s.replace("\\", "")
        if "\0" not in s:  # a NUL holds the place of each escaped backslash
            return s.replace("\\\\", "\0").replace("\\", "").replace("\0", "\\")
        return "\\".join([p.replace("\\", "") for p in s.split("\\\\")])
    return _MY_ESCAPE.sub(
        lambda m: "'" if m.group(0) == "''" else _MY_ESCAPES.get(m.group(1), m.group(1)), s
    )


FAST_NAMES: dict[str, Any] = {"_unescape": _my_unescape}  # and the binary helpers, below


def _my_ident(text: str) -> str:
    text = text.strip()
    if "." in text and not text.startswith("`"):
        text = text.split(".")[-1]
    elif text.count("`") >= 4:
        text = text[text.rfind("`", 0, len(text) - 1) :]
    if text.startswith("`") and text.endswith("`"):
        return text[1:-1].replace("``", "`")
    return text


_MY_TOKEN = re.compile(
    r"""'((?:[^'\\]|\\.|'')*)'"""  # 1 string
    r"|(NULL)\b"  # 2
    r"|0x([0-9A-Fa-f]*)"  # 3 hex
    r"|([-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?)"  # 4 number
    r"|(\))"  # 5 end of row
    r"|[xX]'([0-9A-Fa-f]*)'"  # 6 hex string
    r"|[bB]'([01]*)'"  # 7 bits
    r"|_binary\s*'((?:[^'\\]|\\.|'')*)'"  # 8 binary string
    r"|(TRUE|FALSE|DEFAULT)\b"  # 9
    r"|([^\s,(]+)",  # 10 anything else: an error
    re.IGNORECASE | re.DOTALL,
)


# The fast path: one compiled regular expression per row width matches a whole row, each value
# as a quoted string (without its quotes) or a bare token (NULL, TRUE, FALSE, DEFAULT in any case,
# a number), or, in statements holding binary values, a hex (0x.., x'..') or bit/_binary literal
# (one group each); findall runs it over the whole VALUES list in C. Anything else (a row of
# another width, an unknown word ...) makes the coverage check fail and the statement is read by
# the general tokenizer below instead.
# (possessive quantifiers, from Python 3.11: in a valid row nothing they take is ever given
# back, and the regex engine then keeps no backtracking state; a few % faster)
_P = "+" if sys.version_info >= (3, 11) else ""
STRING_FORM = rf"'([^'\\]*{_P}(?:(?:\\.|'')[^'\\]*{_P})*{_P})'"
NUMBER_FORM = rf"[-+]?{_P}(?:\d+{_P}\.?{_P}\d*{_P}|\.\d+{_P})(?:[eE][-+]?{_P}\d+{_P})?{_P}"
WORD_FORM = r"(?i:NULL|TRUE|FALSE|DEFAULT)"
# (no look-ahead needed: a row matches only if each value is followed by ',' or ')', so '1x'
# or 'NULLx' fail the row and the coverage check fails)
_FAST_BARE = rf"({WORD_FORM}|{NUMBER_FORM})"
# binary data: --hex-blob (0x..), x'..', MySQL 8's _binary '..', and bit literals b'..' (captured
# whole, so that an empty _binary '' is told apart from an empty string)
HEX_FORM = rf"0[xX][0-9A-Fa-f]*{_P}|[xX]'(?:[0-9A-Fa-f]{{2}})*{_P}'"
BINARY_FORM = rf"_binary\s*{_P}'[^'\\]*{_P}(?:(?:\\.|'')[^'\\]*{_P})*{_P}'|[bB]'[01]*{_P}'"
# Capture groups per value: 2 (string, bare) for statements without binary data, 4 (and hex,
# _binary/bits) for the others: the extra groups cost ~8% on every row, so only when needed.
PLAIN_GROUPS, BINARY_GROUPS = 2, 4


def row_pattern(values: list[str]) -> re.Pattern[str]:
    """A whole row of these value forms, as group 1, with the ',' that follows it (or the end
    of the statement) and any spaces around it: the matches of a valid VALUES list then cover
    every one of its characters (see `covering_rows`)."""
    body = ",".join(rf"\s*{_P}(?:{v})\s*{_P}" for v in values)
    return re.compile(rf"(\s*{_P}\({body}\)\s*{_P}(?:,|\Z))", re.DOTALL)


def covering_rows(pattern: re.Pattern[str], text: str, pos: int) -> list[tuple[str, ...]] | None:
    """The matches of `pattern` over text[pos:] if they cover every character of it, else
    None. Each match ends with ',' or at the end, so rows with anything between them, or a
    trailing ',', cannot cover the text."""
    if pattern.match(text, pos) is None:
        return None  # the first row already fails: no scan over the whole statement
    found = pattern.findall(text, pos)
    if not found or sum(map(len, map(itemgetter(0), found))) != len(text) - pos:
        return None
    if found[-1][0][-1] == ",":
        return None
    return found


def fast_width(match: tuple[str, ...], groups: int) -> int:
    """Columns in one raw fast-path match."""
    return len(match) // groups


def hex_bytes(token: str) -> bytes:
    """x'..' (an even number of digits, else ValueError) or 0x.. (an odd number of digits is
    left-padded with 0, as MySQL does)."""
    if token[-1] == "'":
        return bytes.fromhex(token[2:-1])
    return bytes.fromhex("0" * (len(token) % 2) + token[2:])


def _binary_bytes(token: str) -> bytes | Bits:
    if token[0] != "_":
        return Bits(token[2:-1])
    return _my_unescape(token[token.index("'") + 1 : -1]).encode("utf-8", "surrogateescape")


# the bare words, as the general tokenizer reads them
BARE_WORDS: dict[str, Any] = {"NULL": None, "TRUE": Num("1"), "FALSE": Num("0"), "DEFAULT": None}
FAST_NAMES.update(_hex_bytes=hex_bytes, _binary_bytes=_binary_bytes, _words=BARE_WORDS)


_FAST_ROWS: dict[
    tuple[int, int], tuple[re.Pattern[str], Callable[[list[tuple[str, ...]]], list[list[Any]]]]
] = {}


def _fast_reader(
    width: int, groups: int
) -> tuple[re.Pattern[str], Callable[[list[tuple[str, ...]]], list[list[Any]]]]:
    reader = _FAST_ROWS.get((width, groups))
    if reader is None:
        forms = [STRING_FORM, _FAST_BARE]
        if groups == BINARY_GROUPS:
            forms += [f"({HEX_FORM})", f"({BINARY_FORM})"]
        pattern = row_pattern(["|".join(forms)] * width)
        # one generated comprehension per width: no Python-level loop over the columns
        cells = [fast_value_expr(n, groups) for n in range(width)]
        source = "def typed(found):\n    return [[" + ", ".join(cells) + "] for t in found]\n"
        env: dict[str, Any] = dict(FAST_NAMES)
        exec(compile(source, f"<mysql rows of width {width}>", "exec"), env)
        reader = (pattern, env["typed"])
        _FAST_ROWS[width, groups] = reader
    return reader


def first_row_width(text: str, pos: int) -> int:
    """Values in the first row of a VALUES list (0: not a row the tokenizer can read)."""
    width = 0
    for m in _MY_TOKEN.finditer(text, pos):
        if m.lastindex == 5:
            return width
        if m.lastindex == 10:
            return 0
        width += 1
    return 0


def unescape_expr(s: str) -> str:
    """Python expression for the unescaped text of the quoted-string match `s`: the common
    cases (no escape, or only \\') inline, the others through _unescape."""
    return (
        f"({s} if '\\\\' not in {s} and \"''\" not in {s} else "
        f"(_p if '\\\\' not in (_p := {s}.replace(\"\\\\'\", \"'\")) and \"''\" not in {s} "
        f"else _unescape({s})))"
    )


def bare_or_string_expr(bare: int, string: int) -> str:
    """Python expression for the value of a match `t` whose group `bare` holds a number or a
    word (TRUE ...), or else group `string` a quoted string."""
    # a number's last character is a digit or '.', a word's is a letter
    return (
        f"((t[{bare}] if t[{bare}][-1] <= '9' else _words[t[{bare}].upper()]) if t[{bare}] else "
        f"{unescape_expr(f't[{string}]')})"
    )


def fast_value_expr(n: int, groups: int) -> str:
    """Python expression for the typed value of column `n` of a raw fast-path match `t`
    (None, str, Num, Bits or bytes); it uses the names in FAST_NAMES."""
    a, b = groups * n + 1, groups * n + 2
    plain = bare_or_string_expr(b, a)
    if groups == PLAIN_GROUPS:
        return plain
    h, x = a + 2, a + 3
    return (
        f"({plain} if not t[{h}] and not t[{x}] else "
        f"(_hex_bytes(t[{h}]) if t[{h}] else _binary_bytes(t[{x}])))"
    )


def _fast_rows(text: str, pos: int) -> list[list[Any]] | None:
    match = _fast_match(text, pos)
    if match is None:
        return None
    found, groups = match
    return _fast_reader(fast_width(found[0], groups), groups)[1](found)


def _fast_match(text: str, pos: int, width: int = 0) -> tuple[list[tuple[str, ...]], int] | None:
    """The raw matches of every row and the groups per value, or None: not for the fast path."""
    width = width or first_row_width(text, pos)
    if not width or width > 4096:  # MySQL's own limit on columns per table
        return None
    found = covering_rows(_fast_reader(width, PLAIN_GROUPS)[0], text, pos)
    if found is not None:
        return found, PLAIN_GROUPS
    # binary values: only now, so that plain statements never pay for the extra groups (a
    # statement that is neither only costs this second try, never a wrong value)
    found = covering_rows(_fast_reader(width, BINARY_GROUPS)[0], text, pos)
    if found is not None:
        return found, BINARY_GROUPS
    return None


def parse_mysql_insert(text: str, line: int = 0, typed: TypedLookup | None = None) -> RowBatch:
    """`INSERT INTO t [(cols)] VALUES (...),(...)` -> typed rows (one regex pass over VALUES).

    With `typed`, the reader it gives for the table is tried first (see typedrows.py)."""
    head = _MY_HEAD.match(text)
    if head is None:
        raise DumpSyntaxError("not an INSERT ... VALUES statement")
    table = _my_ident(head.group(1))
    columns = None
    if head.group(2):
        columns = [_my_ident(c) for c in re.findall(r"`(?:[^`]|``)+`|\w+", head.group(2)[1:-1])]
    pos = head.end()
    width = first_row_width(text, pos)
    reader = typed(table, columns, width, "mysql") if typed is not None and width else None
    if reader is not None:
        found = covering_rows(reader.pattern, text, pos)
        if found is not None:
            # (typed rows, if the loader needs them after all, come from the general readers)
            return RowBatch(
                table, columns, None, line, [], found, lambda _: _read_values(text, pos), 0, reader
            )
    match = _fast_match(text, pos, width)
    if match is not None:
        found, groups = match
        rows = _fast_reader(fast_width(found[0], groups), groups)[1]
        return RowBatch(table, columns, None, line, [], found, rows, groups)
    return RowBatch(table, columns, _general_rows(text, pos), line, [])


def _read_values(text: str, pos: int) -> list[list[Any]]:
    rows = _fast_rows(text, pos)
    return rows if rows is not None else _general_rows(text, pos)


def _general_rows(text: str, pos: int) -> list[list[Any]]:
    """Every value form MySQL accepts, one regex match per value."""
    rows: list[list[Any]] = []
    row: list[Any] = []
    append = row.append
    for m in _MY_TOKEN.finditer(text, pos):
        g = m.lastindex
        if g == 1:
            value = m.group(1)
            append(_my_unescape(value) if "\\" in value or "''" in value else value)
        elif g == 4:
            append(m.group(4))  # numbers stay text: converters parse them for their column
        elif g == 2:
            append(None)
        elif g == 5:
            rows.append(row)
            row = []
            append = row.append
        elif g == 3 or g == 6:
            append(hex_bytes(m.group(0)))
        elif g == 7:
            append(Bits(m.group(7)))
        elif g == 8:
            append(_my_unescape(m.group(8)).encode("utf-8", "surrogateescape"))
        elif g == 9:
            word = m.group(9).upper()
            append(Num("1") if word == "TRUE" else Num("0") if word == "FALSE" else None)
        else:
            raise DumpSyntaxError(f"cannot read a value at offset {m.start()}: {m.group(0)[:30]!r}")
    if row:
        raise DumpSyntaxError("the VALUES list ends inside a row")
    return rows


# --- PostgreSQL ------------------------------------------------------------------------------

_PG_COPY_ESC = re.compile(r"\\(?:([0-7]{1,3})|x([0-9A-Fa-f]{1,2})|(.))", re.DOTALL)
_PG_SIMPLE = {"b": "\b", "f": "\f", "n": "\n", "r": "\r", "t": "\t", "v": "\v", "\\": "\\"}


def _pg_unescape(field: str) -> str:
    if "\\" not in field:
        return field

    def repl(m: re.Match[str]) -> str:
        if m.group(1):
            return chr(int(m.group(1), 8))
        if m.group(2):
            return chr(int(m.group(2), 16))
        return _PG_SIMPLE.get(m.group(3), m.group(3))

    return _PG_COPY_ESC.sub(repl, field)


def parse_copy_row(text: str) -> list[Any]:
    """One COPY text-format line -> fields (None for \\N)."""
    if "\\" not in text:
        return text.split("\t")  # no escape, and no NULL (\N) either
    return [None if f == "\\N" else _pg_unescape(f) for f in text.split("\t")]


def copy_target(statement: str) -> tuple[str, list[str] | None]:
    """Table and columns of `COPY t (a, b) FROM stdin`, read with PostgreSQL's parser."""
    import pglast
    from pglast import ast

    from .pg_parse import _qualified

    stmt: Any = pglast.parse_sql(statement)[0].stmt
    if not isinstance(stmt, ast.CopyStmt) or stmt.relation is None:
        raise DumpSyntaxError("not a COPY ... FROM stdin statement")
    cols = [str(c.sval) for c in stmt.attlist or ()] or None
    return _qualified(stmt.relation), cols


class _NotPlain(Exception):
    """A value that is not a plain literal: the AST path reads (or refuses) it."""


def _json_literal(node: dict[str, Any]) -> Any:
    """A value of libpg_query's JSON tree, as _pg_literal reads it from the AST."""
    while "TypeCast" in node:
        node = node["TypeCast"]["arg"]
    const = node.get("A_Const")
    if const is None:
        raise _NotPlain
    if const.get("isnull"):
        return None
    if "sval" in const:
        return str(const["sval"].get("sval", ""))
    if "ival" in const:
        return Num(str(const["ival"].get("ival", 0)))
    if "fval" in const:
        return Num(str(const["fval"]["fval"]))
    if "boolval" in const:
        return "t" if const["boolval"].get("boolval") else "f"
    raise _NotPlain


# pg_dump --inserts values read by one regex pass, as the mysqldump fast path: standard strings
# ('' doubles a quote, no escapes), numbers, NULL, true, false. Anything else (E'' strings,
# casts, expressions, ARRAY[...]) makes the pass fail to cover the statement: PostgreSQL's
# parser reads it then.
_PG_STRING = rf"'((?:[^']++|'')*{_P})'"
PG_STRING_FORM = _PG_STRING
PG_BARE_FORM = rf"(true|false|{NUMBER_FORM})"  # (NULL apart: typedrows gives it its own group)
_PG_BARE = rf"(NULL|true|false|{NUMBER_FORM})"
_PG_VALUE = f"{_PG_STRING}|{_PG_BARE}"
_PG_HEAD = re.compile(r"INSERT INTO\s[^'$;]*?\sVALUES\s*+(?=\()", re.DOTALL)
_PG_FIRST_ROW = re.compile(
    rf"\s*+\(((?:\s*+(?:{_PG_STRING}|{_PG_BARE})\s*+,)*+)\s*+(?:{_PG_VALUE})\s*+\)"
)
PG_NAMES: dict[str, Any] = {"Num": Num, "_pgwords": {"NULL": None, "true": "t", "false": "f"}}
_PG_ROWS: dict[int, tuple[re.Pattern[str], Callable[[list[tuple[str, ...]]], list[list[Any]]]]] = {}
_PG_HEADS: dict[str, tuple[str, list[str] | None]] = {}


def pg_unescape_expr(s: str) -> str:
    """Python expression for the value of the standard-string match `s` ('' doubles a quote)."""
    return f'({s} if "\'\'" not in {s} else {s}.replace("\'\'", "\'"))'


def pg_bare_or_string_expr(bare: int, string: int) -> str:
    """Python expression for the value of a pg_dump literal whose group `bare` holds a number
    (a Num) or a word (NULL, true, false), or else group `string` a standard string."""
    return (
        f"((Num(t[{bare}]) if t[{bare}][-1] <= '9' else _pgwords[t[{bare}]]) "
        f"if t[{bare}] else {pg_unescape_expr(f't[{string}]')})"
    )


def _pg_reader(
    width: int,
) -> tuple[re.Pattern[str], Callable[[list[tuple[str, ...]]], list[list[Any]]]]:
    reader = _PG_ROWS.get(width)
    if reader is None:
        pattern = row_pattern([_PG_VALUE] * width)
        cells = [pg_bare_or_string_expr(2 * n + 2, 2 * n + 1) for n in range(width)]
        source = "def typed(found):\n    return [[" + ", ".join(cells) + "] for t in found]\n"
        env: dict[str, Any] = dict(PG_NAMES)
        exec(compile(source, f"<pg rows of width {width}>", "exec"), env)
        reader = (pattern, env["typed"])
        _PG_ROWS[width] = reader
    return reader


def _pg_target(head: str, width: int, line: int) -> tuple[str, list[str] | None]:
    """The table and columns of an INSERT head, from PostgreSQL's parser on the head and one
    dummy row (cached: a dump repeats each head thousands of times)."""
    target = _PG_HEADS.get(head)
    if target is None:
        one = parse_pg_insert_tree(head + "(" + ",".join(["NULL"] * width) + ")", line)
        target = _PG_HEADS[head] = (one.table, one.columns)
        if len(_PG_HEADS) > 256:
            _PG_HEADS.clear()
    return target


def _pg_fast_insert(statement: str, line: int, typed: TypedLookup | None = None) -> RowBatch | None:
    """The rows of a pg_dump INSERT of plain literals, or None (not for the fast path); with
    `typed`, the column-typed reader it gives for the table is tried first."""
    head = _PG_HEAD.match(statement)
    if head is None:
        return None
    first = _PG_FIRST_ROW.match(statement, head.end())
    if first is None:
        return None
    width = first.group(1).count(",") + 1 if first.group(1) else 1
    if first.group(1) and "'" in first.group(1):
        # a comma inside a string of the first row: count the values by tokenizing them
        width = len(re.findall(rf"\s*+(?:{_PG_VALUE})\s*+,", first.group(1))) + 1
    table, columns = _pg_target(head.group(0), width, line)
    start = head.end()
    pattern, rows_of = _pg_reader(width)
    reader = typed(table, columns, width, "postgres") if typed is not None else None
    if reader is not None:
        found = covering_rows(reader.pattern, statement, start)
        if found is not None:
            # (typed rows, if the loader needs them after all, come from the general pattern)
            def general(_: Any) -> list[list[Any]]:
                plain = covering_rows(pattern, statement, start)
                if plain is None:  # the typed pattern admits nothing the general one refuses
                    raise DumpSyntaxError("a row the general pattern does not read")
                return rows_of(plain)

            return RowBatch(table, columns, None, line, [], found, general, 0, reader)
    found = covering_rows(pattern, statement, start)
    if found is None:
        return None
    return RowBatch(table, columns, rows_of(found), line, [])


def parse_pg_insert(statement: str, line: int = 0, typed: TypedLookup | None = None) -> RowBatch:
    """pg_dump --inserts / --column-inserts statements: plain literals by one regex pass, the
    others with PostgreSQL's parser."""
    fast = _pg_fast_insert(statement, line, typed)
    return fast if fast is not None else parse_pg_insert_tree(statement, line)


def parse_pg_insert_tree(statement: str, line: int = 0) -> RowBatch:
    """An INSERT read with PostgreSQL's parser: from its JSON tree (built in C) when every
    value is a literal, else through the AST."""
    import json

    from pglast.parser import parse_sql_json

    from .pg_parse import _jq

    try:
        (stmt,) = json.loads(parse_sql_json(statement))["stmts"]
        ins = stmt["stmt"]["InsertStmt"]
        lists = ins["selectStmt"]["SelectStmt"]["valuesLists"]
        rows = [[_json_literal(v) for v in values["List"]["items"]] for values in lists]
        cols = [str(c["ResTarget"]["name"]) for c in ins.get("cols") or ()] or None
        return RowBatch(_jq(ins["relation"]), cols, rows, line, [])
    except (_NotPlain, KeyError, ValueError, TypeError):
        return _parse_pg_insert_ast(statement, line)


def _parse_pg_insert_ast(statement: str, line: int = 0) -> RowBatch:
    import pglast
    from pglast import ast

    from .pg_parse import _qualified, deparse

    stmt: Any = pglast.parse_sql(statement)[0].stmt
    if not isinstance(stmt, ast.InsertStmt):
        raise DumpSyntaxError("not an INSERT statement")
    cols = [str(c.name) for c in stmt.cols or ()] or None
    rows = []
    select: Any = stmt.selectStmt
    for values in select.valuesLists or ():
        row: list[Any] = []
        for v in values:
            row.append(_pg_literal(v, deparse))
        rows.append(row)
    return RowBatch(_qualified(stmt.relation), cols, rows, line, [])


def _pg_literal(node: Any, deparse: Any) -> Any:
    from pglast import ast

    while isinstance(node, ast.TypeCast):
        node = node.arg
    if isinstance(node, ast.A_Const):
        if node.isnull:
            return None
        val = node.val
        if isinstance(val, ast.String):
            return str(val.sval)
        if isinstance(val, ast.Integer):
            return Num(str(val.ival))
        if isinstance(val, ast.Float):
            return Num(str(val.fval))
        if isinstance(val, ast.Boolean):
            return "t" if val.boolval else "f"
    if isinstance(node, ast.A_Expr) and node.lexpr is None and isinstance(node.rexpr, ast.A_Const):
        inner = _pg_literal(node.rexpr, deparse)  # -5
        return Num("-" + inner) if isinstance(inner, Num) else inner
    raise DumpSyntaxError(f"value {deparse(node)[:40]!r} is an expression, not a literal")


# --- whole dumps -----------------------------------------------------------------------------


# Consecutive INSERTs of one table (mysqldump --skip-extended-insert, pg_dump --inserts: one
# row per statement) are read as one statement of up to this many rows: the per-statement cost
# (head match, reader lookup, batch) is paid once per group instead of once per row.
COALESCE_ROWS = 1000
COALESCE_CHARS = 1 << 20


def _values_head(text: str) -> str:
    """`INSERT INTO t [(cols)] VALUES ` of a one-row statement, or "" for another form (a
    statement of several rows is read well alone; ")," in a string only costs the grouping)."""
    at = text.find(" VALUES (")
    if at <= 0 or not text.startswith("INSERT INTO ") or ")," in text:
        return ""
    return text[: at + 8]


def read_rows(
    engine: str,
    stream: BinaryIO | Iterable[bytes],
    diagnostics: list[Diagnostic],
    copy_batch: int = 1000,
    typed: TypedLookup | None = None,
    encoding: DeclaredEncoding | None = None,
) -> Iterator[RowBatch]:
    """Every data row of a dump, in dump order, in batches; schema statements are skipped.
    `typed` gives column-typed readers for mysqldump INSERTs (see parse_mysql_insert). A
    mysqldump's batches carry the character set its SET NAMES declares (RowBatch.codec). A
    part of a dump is read from the `encoding` in force where it starts (None: the start of
    a dump, UTF-8 until a SET says otherwise)."""
    if engine != "mysql":  # (pg_dump writes bytea as text: no raw bytes in its strings)
        yield from _read_rows(engine, stream, diagnostics, copy_batch, typed, start=encoding)
        return
    declared = encoding.copy() if encoding is not None else DeclaredEncoding(engine)

    def lookup(table: str, columns: list[str] | None, width: int, engine: str) -> Any:
        assert typed is not None
        return typed(table, columns, width, engine, declared.codec)

    for batch in _read_rows(
        engine, stream, diagnostics, copy_batch, lookup if typed else None, declared, encoding
    ):
        batch.codec = declared.codec
        yield batch


def _read_rows(
    engine: str,
    stream: BinaryIO | Iterable[bytes],
    diagnostics: list[Diagnostic],
    copy_batch: int,
    typed: TypedLookup | None,
    declared: DeclaredEncoding | None = None,
    start: DeclaredEncoding | None = None,
) -> Iterator[RowBatch]:
    copy: RowBatch | None = None
    group: list[Statement] = []  # consecutive INSERTs with the same head
    head = ""
    size = 0
    for ev in read_events(engine, stream, diagnostics, encoding=start):
        if isinstance(ev, Statement) and ev.pieces is not None:
            if group:  # a run of one-row INSERTs, found by the reader: already one statement
                yield from _grouped(engine, group, head, typed, diagnostics)
                group, head, size = [], "", 0
            yield from _run_rows(engine, ev, typed, diagnostics)
            continue
        if isinstance(ev, Statement) and not ev.invalid_utf8:
            this = _values_head(ev.text)
            if this and (this == head or not group):
                if size + len(ev.text) < COALESCE_CHARS and len(group) < COALESCE_ROWS:
                    group.append(ev)
                    head = this
                    size += len(ev.text)
                    continue
            if group:
                yield from _grouped(engine, group, head, typed, diagnostics)
                group, head, size = [], "", 0
                if this:
                    group, head, size = [ev], this, len(ev.text)
                    continue
        elif group:
            yield from _grouped(engine, group, head, typed, diagnostics)
            group, head, size = [], "", 0
        if isinstance(ev, CopyRows):
            if copy is None:
                continue
            texts, at = ev.texts, 0
            while at < len(texts):
                part = texts[at : at + copy_batch - len(copy.rows)]
                copy.rows.extend(map(parse_copy_row, part))
                at += len(part)
                if len(copy.rows) >= copy_batch:
                    yield copy
                    copy = RowBatch(copy.table, copy.columns, [], ev.line + at, [])
            continue
        if isinstance(ev, CopyRow):
            if copy is None:
                continue
            copy.rows.append(parse_copy_row(ev.text))
            if len(copy.rows) >= copy_batch:
                yield copy
                copy = RowBatch(copy.table, copy.columns, [], ev.line + 1, [])
            continue
        if isinstance(ev, CopyEnd):
            if copy is not None and copy.rows:
                yield copy
            copy = None
            continue
        if engine == "postgres" and ev.text[:4].upper() == "COPY":
            if "FROM STDIN" in ev.text.upper():
                try:
                    table, cols = copy_target(ev.text)
                except Exception as exc:
                    diagnostics.append(
                        Diagnostic(ev.line, "syntax", f"data statement skipped: {exc}")
                    )
                else:
                    copy = RowBatch(table, cols, [], ev.line + 1, [])
            continue
        if declared is not None and ev.text[:3].upper() == "SET":
            declared.follow(ev.text)  # (the reader reports what cannot be honoured)
        yield from _statement_rows(engine, ev, typed, diagnostics)
    if group:
        yield from _grouped(engine, group, head, typed, diagnostics)


def _grouped(
    engine: str,
    group: list[Statement],
    head: str,
    typed: TypedLookup | None,
    diagnostics: list[Diagnostic],
) -> Iterator[RowBatch]:
    """The rows of consecutive INSERTs with the same head, read as one statement; when that
    fails, each statement alone (so that a broken one is reported with its own line)."""
    if len(group) == 1:
        yield from _statement_rows(engine, group[0], typed, diagnostics)
        return
    cut = len(head)
    text = head + ",".join([st.text[cut:] for st in group])
    try:
        batch = (
            parse_mysql_insert(text, group[0].line, typed)
            if engine == "mysql"
            else parse_pg_insert(text, group[0].line, typed)
        )
    except Exception:
        for st in group:
            yield from _statement_rows(engine, st, typed, diagnostics)
        return
    yield batch


def _run_rows(
    engine: str, run: Statement, typed: TypedLookup | None, diagnostics: list[Diagnostic]
) -> Iterator[RowBatch]:
    """The rows of a run of one-row INSERTs, read as one statement; when that fails, each
    statement alone (so that a broken one is reported with its own line)."""
    try:
        yield (
            parse_mysql_insert(run.text, run.line, typed)
            if engine == "mysql"
            else parse_pg_insert(run.text, run.line, typed)
        )
        return
    except Exception:
        pass
    for statement in run.each():
        yield from _statement_rows(engine, statement, typed, diagnostics)


def _statement_rows(
    engine: str, ev: Statement, typed: TypedLookup | None, diagnostics: list[Diagnostic]
) -> Iterator[RowBatch]:
    head = ev.text[:12].upper()
    try:
        if engine == "mysql" and (head.startswith("INSERT") or head.startswith("REPLACE")):
            yield parse_mysql_insert(ev.text, ev.line, typed)
        elif engine == "postgres" and head.startswith("INSERT"):
            yield parse_pg_insert(ev.text, ev.line, typed)
    except (DumpSyntaxError, Exception) as exc:
        diagnostics.append(Diagnostic(ev.line, "syntax", f"data statement skipped: {exc}"))
