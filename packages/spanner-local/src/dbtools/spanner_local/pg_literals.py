"""PostgreSQL literal forms DuckDB reads differently: array text, hex bytea, numeric NaN.

Pure functions from a PostgreSQL string literal (as written, quotes included) to DuckDB SQL.
"""

from __future__ import annotations

import re

from .errors import InvalidArgument

# An explicit dimension before the elements, `[lower:upper]=` or `[upper]=` (lower bound 1).
# PostgreSQL allows no space inside the brackets.
_DIMENSION = re.compile(r"\[([+-]?\d+)(?::([+-]?\d+))?\]\s*=")


def unquote(literal: str) -> str:
    """The value of a '...' literal ('' stands for one quote)."""
    return literal[1:-1].replace("''", "'")


def quote(value: str) -> str:
    return "'" + value.replace("'", "''") + "'"


def parse_array_text(text: str) -> list[str | None]:
    """PostgreSQL's array input form `{a,"b c",NULL}` -> its elements (one dimension).

    Explicit bounds (`[0:1]={a,b}`) are read as PostgreSQL reads them, and must match the
    number of elements; the lower bound itself is not kept (Spanner arrays have none).
    """
    body = text.strip()
    dimension = _DIMENSION.match(body)
    if dimension is not None:
        elements = body[dimension.end() :].strip()
        if not elements.startswith("{"):  # one dimension only, and `{}` has no bounds
            raise InvalidArgument(f'malformed array literal: "{text}"')
        bounded = parse_array_text(elements)
        first, last = dimension.group(1), dimension.group(2)
        lower, upper = (1, int(first)) if last is None else (int(first), int(last))
        if not bounded or upper - lower + 1 != len(bounded):
            raise InvalidArgument(
                f'malformed array literal: "{text}" '
                "(specified array dimensions do not match array contents)"
            )
        return bounded
    if not (body.startswith("{") and body.endswith("}")):
        raise InvalidArgument(f'malformed array literal: "{text}"')
    body = body[1:-1]
    items: list[str | None] = []
    if not body.strip():
        return items
    i, n = 0, len(body)
    while True:
        while i < n and body[i].isspace():
            i += 1
        if i < n and body[i] == '"':
            i += 1
            chars = []
            while i < n and body[i] != '"':
                if body[i] == "\\" and i + 1 < n:
                    i += 1
                chars.append(body[i])
                i += 1
            if i >= n:
                raise InvalidArgument(f'malformed array literal: "{text}"')
            i += 1
            items.append("".join(chars))
        else:
            start = i
            while i < n and body[i] != ",":
                if body[i] in '{}"':
                    raise InvalidArgument(
                        f'malformed array literal: "{text}" (only one dimension is supported)'
                    )
                i += 1
            word = body[start:i].strip()
            if not word:  # `{a,}`, `{,a}`: PostgreSQL has no empty unquoted element
                raise InvalidArgument(f'malformed array literal: "{text}"')
            items.append(None if word.upper() == "NULL" else word)
        while i < n and body[i].isspace():
            i += 1
        if i >= n:
            return items
        if body[i] != ",":
            raise InvalidArgument(f'malformed array literal: "{text}"')
        i += 1


def array_literal_sql(literal: str) -> str:
    """'{1,2}' -> ['1', '2'], a DuckDB list that the following cast turns into the element type."""
    items = parse_array_text(unquote(literal))
    return "[" + ", ".join("NULL" if v is None else quote(v) for v in items) + "]"


def bytea_value(value: str) -> bytes:
    """The bytes of PostgreSQL bytea input text: `\\x0102ff` (hex) or the escape form, where
    `\\\\` is a backslash and `\\ooo` an octal byte (other characters stand for themselves)."""
    if value.lower().startswith("\\x"):
        digits = value[2:]
        if len(digits) % 2 or any(c not in "0123456789abcdefABCDEF" for c in digits):
            raise InvalidArgument(f'invalid hexadecimal data in bytea literal: "{value}"')
        return bytes.fromhex(digits)
    out = bytearray()
    i = 0
    while i < len(value):
        c = value[i]
        if c != "\\":
            out += c.encode()
            i += 1
        elif value[i + 1 : i + 2] == "\\":
            out.append(0x5C)
            i += 2
        elif len(value) >= i + 4 and all(ch in "01234567" for ch in value[i + 1 : i + 4]):
            code = int(value[i + 1 : i + 4], 8)
            if code > 0o377:
                raise InvalidArgument("invalid input syntax for type bytea")
            out.append(code)
            i += 4
        else:
            raise InvalidArgument("invalid input syntax for type bytea")
    return bytes(out)


def bytea_literal_sql(literal: str) -> str:
    """A '...' literal read as bytea input -> DuckDB SQL for those bytes, `unhex('0102ff')`."""
    return bytea_sql(unquote(literal))


def bytea_array_literal_sql(literal: str) -> str:
    """'{"\\\\x01",NULL}' -> a DuckDB list of BLOBs, each element read as bytea input."""
    items = parse_array_text(unquote(literal))
    return "[" + ", ".join("NULL" if v is None else bytea_sql(v) for v in items) + "]"


def bytea_sql(value: str) -> str:
    """bytea input text -> DuckDB SQL for those bytes, `unhex('0102ff')`."""
    return f"unhex({quote(bytea_value(value).hex())})"


# PostgreSQL's boolean input words; any prefix of these is accepted (at least two letters for
# "off", whose "o" would also begin "on").
_BOOL_WORDS = (("true", True), ("false", False), ("yes", True), ("no", False))
_INT8_MIN, _INT8_MAX = -(2**63), 2**63 - 1


def bool_input(value: str) -> bool:
    """A boolean from PostgreSQL's input text ('t', 'yes', 'off', '1', ...), or its error."""
    word = value.strip().lower()
    if word in ("1", "on"):
        return True
    if word == "0" or (len(word) >= 2 and "off".startswith(word)):
        return False
    for full, result in _BOOL_WORDS:
        if word and full.startswith(word):
            return result
    raise InvalidArgument(f'invalid input syntax for type boolean: "{value}"')


def int8_input(value: str) -> int:
    """A bigint from PostgreSQL's input text (spaces around, a sign, digits), or its error."""
    text = value.strip()
    digits = text[1:] if text[:1] in "+-" else text
    if not digits.isascii() or not digits.isdigit():
        raise InvalidArgument(f'invalid input syntax for type bigint: "{value}"')
    number = int(text)
    if not _INT8_MIN <= number <= _INT8_MAX:
        raise InvalidArgument(f'value "{value}" is out of range for type bigint')
    return number
