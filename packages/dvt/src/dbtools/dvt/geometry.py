"""Spatial values as one canonical WKT, from WKB (what MySQL/MariaDB store) or from WKT text
(what a migration writes into a STRING column).

Coordinates are IEEE doubles written as the shortest text that round-trips them, so two values
are equal exactly when every coordinate is the same double: a WKT written with fewer digits than
the source holds is a difference, not a match. Type names are upper case, no spaces but one
between a point's coordinates; MULTIPOINT members are written without their own parentheses
(`MULTIPOINT(1 2,3 4)`, whichever form the input used).
"""

from __future__ import annotations

import re
import struct
from typing import Any

WKB_TYPES = {
    1: "POINT",
    2: "LINESTRING",
    3: "POLYGON",
    4: "MULTIPOINT",
    5: "MULTILINESTRING",
    6: "MULTIPOLYGON",
    7: "GEOMETRYCOLLECTION",
}
DIMS = {0: 2, 1000: 3, 2000: 3, 3000: 4}  # ISO WKB: +1000 Z, +2000 M, +3000 ZM

# A geometry is (TYPE, body); body is None for EMPTY, else a list of items: a point (tuple of
# floats), a nested list, or a member geometry (GEOMETRYCOLLECTION).


class GeometryError(ValueError):
    """The bytes or text are not a geometry this module can read."""


def coordinate(x: float) -> str:
    text = repr(float(x))
    if text.endswith(".0"):
        text = text[:-2]
    return "0" if text == "-0" else text


def _render_items(name: str, items: list[Any]) -> str:
    parts = []
    for item in items:
        if isinstance(item, tuple) and item and isinstance(item[0], str):
            parts.append(_render(item))
        elif isinstance(item, tuple):
            parts.append(" ".join(coordinate(c) for c in item))
        elif name == "MULTIPOINT" and len(item) == 1 and isinstance(item[0], tuple):
            parts.append(" ".join(coordinate(c) for c in item[0]))
        else:
            parts.append(_render_items("", item))
    return "(" + ",".join(parts) + ")"


def _render(geom: tuple[str, Any]) -> str:
    name, body = geom
    return name + (" EMPTY" if body is None else _render_items(name, body))


# --- WKB ----------------------------------------------------------------------------------
def _read_wkb(data: bytes, pos: int) -> tuple[tuple[str, Any], int]:
    if pos + 5 > len(data):
        raise GeometryError("WKB ends early")
    order = "<" if data[pos] == 1 else ">"
    (code,) = struct.unpack_from(order + "I", data, pos + 1)
    pos += 5
    base, dims = code % 1000, DIMS.get(code - code % 1000)
    name = WKB_TYPES.get(base)
    if name is None or dims is None:
        raise GeometryError(f"unknown WKB geometry type {code}")
    point = struct.Struct(order + "d" * dims)

    def points(n: int) -> list[Any]:
        nonlocal pos
        out = []
        for _ in range(n):
            out.append(point.unpack_from(data, pos))
            pos += point.size
        return out

    def count() -> int:
        nonlocal pos
        (n,) = struct.unpack_from(order + "I", data, pos)
        pos += 4
        return int(n)

    if name == "POINT":
        (xy,) = points(1)
        if all(c != c for c in xy):  # NaN coordinates: the WKB spelling of POINT EMPTY
            return (name, None), pos
        return (name, [xy]), pos
    n = count()
    if n == 0:
        return (name, None), pos
    if name == "LINESTRING":
        return (name, points(n)), pos
    if name == "POLYGON":
        return (name, [points(count()) for _ in range(n)]), pos
    members = []
    for _ in range(n):
        member, pos = _read_wkb(data, pos)
        members.append(member if name == "GEOMETRYCOLLECTION" else member[1])
    if name == "MULTIPOINT":
        members = [m[0] if m else m for m in members]
    return (name, members), pos


def wkb_text(value: Any) -> str:
    """Canonical WKT of a WKB value (bytes, memoryview or a hex string)."""
    data = bytes.fromhex(value) if isinstance(value, str) else bytes(value)
    try:
        geom, end = _read_wkb(data, 0)
    except struct.error as exc:
        raise GeometryError(f"WKB ends early ({exc})") from None
    if end != len(data):
        raise GeometryError(f"{len(data) - end} bytes after the WKB geometry")
    return _render(geom)


# --- WKT ----------------------------------------------------------------------------------
_TOKEN = re.compile(r"\s*(?:([A-Za-z]+)|([(),])|([-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?))")


def _tokens(text: str) -> list[str]:
    out, pos = [], 0
    text = text.rstrip()
    while pos < len(text):
        m = _TOKEN.match(text, pos)
        if not m or m.end() == pos:
            raise GeometryError(f"unexpected {text[pos : pos + 10]!r} in WKT")
        out.append(m.group(1) or m.group(2) or m.group(3))
        pos = m.end()
    return out


def _parse(tokens: list[str], i: int) -> tuple[tuple[str, Any], int]:
    name = tokens[i].upper()
    i += 1
    while i < len(tokens) and tokens[i].upper() in ("Z", "M", "ZM"):
        i += 1  # the coordinates themselves say how many dimensions there are
    if i < len(tokens) and tokens[i].upper() == "EMPTY":
        return (name, None), i + 1
    items, i = _parse_list(tokens, i)
    return (name, items), i


def _parse_list(tokens: list[str], i: int) -> tuple[list[Any], int]:
    if i >= len(tokens) or tokens[i] != "(":
        raise GeometryError("expected '(' in WKT")
    i += 1
    items: list[Any] = []
    while True:
        if i >= len(tokens):
            raise GeometryError("WKT ends early")
        tok = tokens[i]
        if tok == "(":
            sub, i = _parse_list(tokens, i)
            items.append(sub)
        elif tok[0].isalpha():
            geom, i = _parse(tokens, i)
            items.append(geom)
        else:
            coords = []
            while i < len(tokens) and tokens[i] not in (",", ")"):
                coords.append(float(tokens[i]))
                i += 1
            items.append(tuple(coords))
        if i < len(tokens) and tokens[i] == ",":
            i += 1
            continue
        if i < len(tokens) and tokens[i] == ")":
            return items, i + 1
        raise GeometryError("expected ',' or ')' in WKT")


def wkt_text(text: str) -> str:
    """Canonical WKT of WKT text (any spacing, case and MULTIPOINT spelling)."""
    tokens = _tokens(text)
    if not tokens or not tokens[0][0].isalpha():
        raise GeometryError("WKT starts with a geometry type name")
    geom, i = _parse(tokens, 0)
    if i != len(tokens):
        raise GeometryError("text after the WKT geometry")
    return _render(geom)
