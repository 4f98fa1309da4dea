"""Local inference of parameter and RETURNING types from the SQL text and the catalog.

Used when Spanner cannot be asked (a backend without PLAN mode) and, for parameters, after the
explicit casts: drivers such as asyncpg describe every statement before binding and need a real
type for each `$n`, or they refuse to encode the arguments.
"""

from __future__ import annotations

import re

from .catalog import Catalog, Table
from .lexer import code_only

_IDENT = r'(?:"[^"]+"|[A-Za-z_][\w$]*)'
_QUALIFIED = rf"(?:{_IDENT}\.)?{_IDENT}"
_TABLE_REF = re.compile(rf"(?i)\b(?:FROM|JOIN|INTO|UPDATE)\s+(?:ONLY\s+)?({_QUALIFIED})")


def _unquote(name: str) -> str:
    return name[1:-1] if name.startswith('"') else name.lower()


def _tables(sql: str, cat: Catalog) -> list[Table]:
    found: list[Table] = []
    for ref in _TABLE_REF.findall(code_only(sql, keep_identifiers=True)):
        parts = [_unquote(x) for x in re.findall(_IDENT, ref)]
        schema, name = (parts[0], parts[1]) if len(parts) == 2 else ("public", parts[0])
        for t in cat.tables:
            if (
                t.name.lower() == name.lower()
                and t.schema.lower() == schema.lower()
                and t not in found
            ):
                found.append(t)
    return found


def _column_oid(tables: list[Table], column: str) -> int | None:
    name = _unquote(column.split(".")[-1])
    for t in tables:
        for c in t.columns:
            if c.name.lower() == name.lower():
                return c.type_oid
    return None


def infer_param_types(sql: str, cat: Catalog) -> dict[int, int]:
    """{parameter index: OID} for parameters whose type follows from the statement's shape."""
    code = code_only(sql, keep_identifiers=True)
    tables = _tables(sql, cat)
    out: dict[int, int] = {}
    m = re.search(rf"(?is)\bINSERT\s+INTO\s+{_QUALIFIED}\s*(?:\(([^)]*)\))?\s*VALUES\s*(.*)", code)
    if m and tables:
        if m.group(1) is not None:
            cols = [c.strip() for c in m.group(1).split(",")]
        else:
            cols = [c.name for c in tables[0].columns]
        for row in re.findall(r"\(([^()]*)\)", m.group(2)):
            for col, value in zip(cols, row.split(","), strict=False):
                pm = re.fullmatch(r"\s*\$(\d+)\s*", value)
                if pm:
                    oid = _column_oid(tables[:1], col)
                    if oid:
                        out.setdefault(int(pm.group(1)), oid)
    for col, idx in re.findall(
        rf"({_QUALIFIED})\s*(?:=|<>|!=|<=|>=|<|>|\bLIKE\b|\bILIKE\b)\s*\$(\d+)", code, re.I
    ):
        oid = _column_oid(tables, col)
        if oid:
            out.setdefault(int(idx), oid)
    for idx, col in re.findall(rf"\$(\d+)\s*(?:=|<>|!=|<=|>=|<|>)\s*({_QUALIFIED})", code):
        oid = _column_oid(tables, col)
        if oid:
            out.setdefault(int(idx), oid)
    for col, body in re.findall(rf"(?i)({_QUALIFIED})\s+IN\s*\(([^()]*)\)", code):
        oid = _column_oid(tables, col)
        if oid:
            for idx in re.findall(r"\$(\d+)", body):
                out.setdefault(int(idx), oid)
    for idx in re.findall(r"(?i)\b(?:LIMIT|OFFSET)\s+\$(\d+)", code):
        out.setdefault(int(idx), 20)
    return out


def infer_returning(sql: str, cat: Catalog) -> list[tuple[str, int]] | None:
    """Columns of `... RETURNING a, b` / `RETURNING *` when they are plain column names."""
    code = code_only(sql, keep_identifiers=True)
    m = re.search(r"(?is)\bRETURNING\s+(.*)$", code)
    tables = _tables(sql, cat)
    if not m or not tables:
        return None
    table = tables[0]
    out: list[tuple[str, int]] = []
    for item in (x.strip() for x in m.group(1).rstrip("; ").split(",")):
        if item == "*":
            out += [(c.name, c.type_oid) for c in table.columns]
            continue
        am = re.fullmatch(rf"({_QUALIFIED})(?:\s+(?:AS\s+)?({_IDENT}))?", item, re.I)
        if not am:
            return None
        oid = _column_oid([table], am.group(1))
        if oid is None:
            return None
        name = _unquote(am.group(2)) if am.group(2) else _unquote(am.group(1).split(".")[-1])
        out.append((name, oid))
    return out
