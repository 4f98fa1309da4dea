"""Column-typed row readers for mysqldump and pg_dump INSERT statements.

The general fast path (rows.py) reads every value as "a quoted string or a bare token", and the
row converter then tests each value before converting it. A typed reader is made for one table
layout: its pattern admits, per column, only the text form that the column's converter handles
without a test (an INT64 column: at most 18 digits; a fixed-zone TIMESTAMP:
'YYYY-MM-DD hh:mm:ss[.ffffff]'; ...), so the generated code converts straight from the matched
text. A statement holding any other value does not match and is read by the general fast path;
a value the pattern admits but Python refuses (a 31st of February) raises ValueError, and the
loader then takes the general path too. So nothing is decided here that the converters would
decide differently. What differs between the two tools is only how literals are written (a
`Lexicon`: quoting, NULL, how the general path reads a plain value); the column forms are
the converters'.
"""

from __future__ import annotations

import base64
import datetime as dt
import decimal
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from .rows import (
    _P,
    BINARY_FORM,
    FAST_NAMES,
    HEX_FORM,
    NUMBER_FORM,
    PG_BARE_FORM,
    PG_NAMES,
    PG_STRING_FORM,
    STRING_FORM,
    WORD_FORM,
    bare_or_string_expr,
    pg_bare_or_string_expr,
    pg_unescape_expr,
    row_pattern,
    unescape_expr,
)
from .values import Converter, inline_form, text_form

_D = "[0-9]"  # not \d: that admits every Unicode digit
# kind -> (pattern with one group: the value's text, Python expression over that text `{v}`)
TEXT_FORMS: dict[str, tuple[str, str]] = {
    "int": (rf"(-?{_D}{{1,18}}{_P})", "int({v})"),  # 18 digits always fit INT64
    "float": (
        rf"(-?(?:{_D}+{_P}(?:\.{_D}*{_P})?{_P}|\.{_D}+{_P})(?:[eE][-+]?{_D}+{_P})?{_P})",
        "float({v})",
    ),
    # within NUMERIC's 29 integer and 9 fractional digits
    "numeric": (rf"(-?{_D}{{1,29}}{_P}(?:\.{_D}{{1,9}}{_P})?{_P})", "_Dec({v})"),
    "date": (rf"'({_D}{{4}}-{_D}{{2}}-{_D}{{2}})'", "_date({v})"),
    # the wall time read as UTC, then shifted by the zone's fixed offset (values.py, _timestamp)
    "timestamp": (
        rf"'({_D}{{4}}-{_D}{{2}}-{_D}{{2}} {_D}{{2}}:{_D}{{2}}:{_D}{{2}}(?:\.{_D}{{1,6}}{_P})?{_P})'",
        "_stamp({v} + '+00:00')",
    ),
    # these two: the expression depends on the length limit (build)
    "string": (STRING_FORM, ""),
    "bytes": (rf"(0x[0-9A-Fa-f]*{_P})", ""),  # as mysqldump --hex-blob writes them
}


@dataclass(frozen=True)
class Lexicon:
    """How one dump tool writes literals, as its general fast path (rows.py) reads them."""

    string: str  # a quoted string; one group: the text between the quotes
    unescape: Callable[[str], str]  # expression of a string group -> expression of its value
    null: str  # NULL; one group
    plain: str  # any other plain value; two groups: (quoted string, bare word or number)
    plain_expr: Callable[[int, int], str]  # (bare group, string group) -> the value read
    any: str  # a column the load does not use: any single value; no group
    hex_bytes: bool  # BYTES columns written as 0x.. (mysqldump --hex-blob)
    names: dict[str, Any]  # what the expressions above use


def _no_groups(form: str) -> str:
    return form.replace("(", "(?:", 1)


MYSQL = Lexicon(
    STRING_FORM,
    unescape_expr,
    "((?i:NULL))",
    rf"{STRING_FORM}|({WORD_FORM}|{NUMBER_FORM})",
    bare_or_string_expr,
    rf"{_no_groups(STRING_FORM)}|{WORD_FORM}|{NUMBER_FORM}|{HEX_FORM}|{BINARY_FORM}",
    True,
    {},
)
# pg_dump --inserts: standard strings ('' doubles a quote); E'' strings, casts and the like
# match nothing here, and the statement takes the general path (PostgreSQL's parser)
POSTGRES = Lexicon(
    PG_STRING_FORM,
    pg_unescape_expr,
    "(NULL)",
    rf"{PG_STRING_FORM}|{PG_BARE_FORM}",
    pg_bare_or_string_expr,
    rf"{_no_groups(PG_STRING_FORM)}|NULL|{_no_groups(PG_BARE_FORM)}",
    False,
    PG_NAMES,
)
LEXICONS = {"mysql": MYSQL, "postgres": POSTGRES}
_NAMES: dict[str, Any] = {
    "_Dec": decimal.Decimal,
    "_date": dt.date.fromisoformat,
    "_stamp": dt.datetime.fromisoformat,
    "_b64": base64.b64encode,
}


@dataclass(frozen=True)
class Column:
    """What a typed reader needs to know of one column of the row converter's output."""

    position: int | None  # in the statement's rows; None: the column is not in them
    convert: Converter
    not_null: bool


@dataclass
class TypedRowReader:
    """A pattern for whole rows of one layout and width, and what turns its matches into
    converted rows and keys (as the loader's raw converters do for the general fast path)."""

    pattern: re.Pattern[str]
    convert: Callable[[tuple[str, ...]], list[Any]]  # ValueError: take the general path
    keys: Callable[[list[tuple[str, ...]]], list[Any]]


def build(
    columns: list[Column],
    width: int,
    key: list[int | None],
    printable: Callable[[Any], Any],
    lex: Lexicon = MYSQL,
) -> TypedRowReader:
    """The reader for rows of `width` values; `key` holds the positions of the key columns
    (one: its value as read; several: a list of printable values)."""
    used = {c.position: c for c in columns if c.position is not None}
    keyed = {k for k in key if k is not None}
    values: list[str] = []
    raw: dict[int, str] = {}  # position -> expression of the value as read (None, text)
    cells: dict[int, str] = {}  # position -> expression of the converted value
    env: dict[str, Any] = dict(FAST_NAMES, **_NAMES, **lex.names, _printable=printable)
    group = 1  # group 1 is the whole row
    for p in range(width):
        col = used.get(p)
        if col is None and p not in keyed:
            values.append(lex.any)
            continue
        form = text_form(col.convert) if col is not None else None
        if form is not None and form[0] == "bytes" and not lex.hex_bytes:
            form = None
        if form is None:
            # any plain value; the converter's common case inline, as for the general fast path
            values.append(f"{lex.null}|{lex.plain}")
            n, s, b = group, group + 1, group + 2
            group += 3
            raw[p] = f"(None if t[{n}] else {lex.plain_expr(b, s)})"
            if col is None:
                continue
            env[f"c{p}"] = col.convert
            expr = f"c{p}(v{p})"
            inline = inline_form(col.convert)
            if inline is not None:
                template, names = inline
                expr = template.format(v=f"v{p}", c=f"c{p}")
                env.update(names)
            cells[p] = f"(None if (v{p} := {raw[p]}) is None else {expr})"
            continue
        assert col is not None
        env[f"c{p}"] = col.convert
        kind, arg = form
        pattern, template = TEXT_FORMS[kind]
        if kind == "string":
            pattern = lex.string
        if col.not_null:
            # (a NULL in a NOT NULL column does not match: the general path lets Spanner judge)
            values.append(pattern)
            v, null = group, ""
            group += 1
        else:
            values.append(f"{lex.null}|{pattern}")
            v, null = group + 1, f"None if t[{group}] else "
            group += 2
        env[f"a{p}"] = arg
        text = f"t[{v}]"
        if kind == "string":
            text = lex.unescape(text)
            fits = "" if arg < 0 else f" and len(v{p}) <= {int(arg)}"
            expr = f"(v{p} if (v{p} := {text}).isascii(){fits} else c{p}(v{p}))"
        elif kind == "bytes":
            text = f"_hex_bytes({text})"  # the value as read (keys): bytes, as elsewhere
            expr = (
                f"_b64({text})"
                if arg < 0
                else f"(_b64(v{p}) if len(v{p} := {text}) <= {int(arg)} else c{p}(v{p}))"
            )
        else:
            expr = template.format(v=text)
            if kind == "timestamp" and arg is not None:
                expr = f"({expr} - a{p})"
        raw[p] = f"({null}{text})"
        cells[p] = f"({null}{expr})"
    out = [cells[c.position] if c.position is not None else "None" for c in columns]
    if len(key) == 1 and key[0] is not None:
        key_expr = raw[key[0]] if key[0] in raw else "None"
    else:
        items = [f"_printable({raw[k]})" if k in raw else "None" for k in key]
        key_expr = items[0] if len(items) == 1 else "[" + ", ".join(items) + "]"
    source = (
        "def convert(t):\n    return [" + ", ".join(out) + "]\n"
        "def keys(found):\n    return [" + key_expr + " for t in found]\n"
    )
    exec(compile(source, f"<typed rows of width {width}>", "exec"), env)
    return TypedRowReader(row_pattern(values), env["convert"], env["keys"])
