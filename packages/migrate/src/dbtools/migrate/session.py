"""Session files: versioned JSON that records the source schema and the user's choices.

Write one with `schema --out`, edit the `tables` section (rename a table or column, retype a
column with one of its `alternatives`, skip a table or column, interleave a table in another,
set an IDENTITY start counter), and feed it back with `--session`. Issues are stored by name,
never by number, so a session stays readable across versions.
"""

from __future__ import annotations

import json
from dataclasses import fields
from pathlib import Path
from typing import Any

from .convert import Conversion
from .errors import SessionError
from .model import (
    Check,
    Column,
    Diagnostic,
    ForeignKey,
    Ignored,
    Index,
    IndexKey,
    SourceSchema,
    SourceType,
    Table,
)

FORMAT = "dbtools-migrate-session"
VERSION = 1


def build(conv: Conversion) -> dict[str, Any]:
    tables: dict[str, Any] = {}
    by_name = {t.name: t for t in conv.schema.tables}
    for src, res in conv.tables.items():
        sp = by_name.get(res.name)
        cols: dict[str, Any] = {}
        for c in res.columns:
            entry: dict[str, Any] = {
                "name": c.name or c.source_name,
                "type": c.type,
                "skip": c.name is None,
            }
            entry["alternatives"] = c.alternatives
            spc = sp.column(c.name) if sp is not None and c.name else None
            if spc is not None and (spc.identity or spc.sequence):
                entry["start_counter"] = spc.start_counter
            cols[c.source_name] = entry
        tables[src] = {
            "name": res.name,
            "skip": res.skipped,
            "interleave_in": sp.parent
            and next((s for s, r in conv.tables.items() if r.name == sp.parent), sp.parent)
            if sp is not None
            else None,
            "on_delete": sp.on_delete_parent if sp is not None else "NO ACTION",
            "interleave_candidates": res.interleave_candidates,
            "columns": cols,
        }
    schema = conv.source
    source: dict[str, Any] = {k: v for k, v in schema.__dict__.items() if k != "identity_max"}
    source["identity_max"] = [[t, c, v] for (t, c), v in schema.identity_max.items()]
    return {
        "format": FORMAT,
        "version": VERSION,
        "dialect": conv.dialect,
        "source_schema": source,
        "tables": tables,
    }


def overrides(session: dict[str, Any], defaults: dict[str, Any] | None = None) -> dict[str, Any]:
    """The user's choices: entries of `tables` that differ from what the tool would choose."""
    out: dict[str, Any] = {}
    base = (defaults or {}).get("tables", {})
    for src, entry in (session.get("tables") or {}).items():
        default = base.get(src, {})
        t: dict[str, Any] = {}
        for key in ("name", "skip", "interleave_in", "on_delete"):
            if key in entry and entry[key] != default.get(key):
                t[key] = entry[key]
        cols: dict[str, Any] = {}
        for cname, centry in (entry.get("columns") or {}).items():
            cdef = (default.get("columns") or {}).get(cname, {})
            c = {
                k: centry[k]
                for k in ("name", "type", "skip", "start_counter")
                if k in centry and centry[k] != cdef.get(k)
            }
            if c:
                cols[cname] = c
        if cols:
            t["columns"] = cols
        if t:
            out[src] = t
    return out


def _load(cls: Any, data: dict[str, Any]) -> Any:
    names = {f.name for f in fields(cls)}
    return cls(**{k: v for k, v in data.items() if k in names})


def source_schema(session: dict[str, Any]) -> SourceSchema:
    try:
        raw = session["source_schema"]
        schema = SourceSchema(raw["engine"])
        for name, t in raw["tables"].items():
            table = _load(Table, t)
            table.columns = []
            for c in t["columns"]:
                col = _load(Column, c)
                ty = dict(c["type"])
                ty["args"] = tuple(ty.get("args", ()))
                ty["values"] = tuple(ty.get("values", ()))
                col.type = _load(SourceType, ty)
                table.columns.append(col)
            table.indexes = [
                _load(Index, {**i, "keys": [_load(IndexKey, k) for k in i["keys"]]})
                for i in t["indexes"]
            ]
            table.foreign_keys = [_load(ForeignKey, f) for f in t["foreign_keys"]]
            table.checks = [_load(Check, c) for c in t["checks"]]
            schema.tables[name] = table
        schema.ignored = [_load(Ignored, i) for i in raw.get("ignored", [])]
        schema.diagnostics = [_load(Diagnostic, d) for d in raw.get("diagnostics", [])]
        schema.enums = {k: tuple(v) for k, v in raw.get("enums", {}).items()}
        schema.sequences = dict(raw.get("sequences", {}))
        schema.sequence_owner = {k: tuple(v) for k, v in raw.get("sequence_owner", {}).items()}
        schema.identity_max = {(t, c): v for t, c, v in raw.get("identity_max", [])}
        schema.partitions = dict(raw.get("partitions", {}))
        schema.time_zone = raw.get("time_zone")
        schema.statements = dict(raw.get("statements", {}))
        schema.live = bool(raw.get("live"))
    except (KeyError, TypeError, AttributeError) as exc:
        raise SessionError(
            f"session file has no valid source_schema ({exc!r}); write a fresh one with "
            "`spanner-migrate schema --out DIR` and edit its `tables` section only"
        ) from exc
    return schema


def read(path: str | Path) -> dict[str, Any]:
    try:
        data = json.loads(Path(path).read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError) as exc:
        raise SessionError(f"cannot read session file {path}: {exc}") from exc
    if not isinstance(data, dict) or data.get("format") != FORMAT:
        raise SessionError(
            f'{path} is not a spanner-migrate session file (no "format": "{FORMAT}")'
        )
    if data.get("version") != VERSION:
        raise SessionError(
            f"{path} is session version {data.get('version')}; this tool reads version {VERSION}"
        )
    return data


def _plain_default(obj: Any) -> Any:
    """json.dumps hook: dataclasses as their fields (the C encoder does the rest)."""
    if hasattr(obj, "__dataclass_fields__"):
        return {k: v for k, v in obj.__dict__.items() if not k.startswith("_")}
    raise TypeError(f"cannot serialise {type(obj).__name__}")


def _plain(obj: Any) -> Any:
    """dataclasses.asdict without its deep copies (much faster on big schemas)."""
    if hasattr(obj, "__dataclass_fields__"):
        return {k: _plain(v) for k, v in obj.__dict__.items()}
    if isinstance(obj, (list, tuple)):
        return [_plain(v) for v in obj]
    if isinstance(obj, dict):
        return {k if isinstance(k, str) else str(k): _plain(v) for k, v in obj.items()}
    return obj


def dumps(data: dict[str, Any]) -> str:
    """Readable where people edit (one column per line in `tables`), compact elsewhere."""
    out = ["{"]
    for key in ("format", "version", "dialect"):
        out.append(f"  {json.dumps(key)}: {json.dumps(data.get(key))},")
    out.append('  "tables": {')
    tables = data.get("tables") or {}
    for n, (name, entry) in enumerate(tables.items()):
        head = {k: v for k, v in entry.items() if k != "columns"}
        out.append(
            f'    {json.dumps(name, ensure_ascii=False)}: {json.dumps(head, ensure_ascii=False)[:-1]}, "columns": {{'
        )
        cols = list((entry.get("columns") or {}).items())
        for i, (cname, centry) in enumerate(cols):
            comma = "," if i < len(cols) - 1 else ""
            out.append(
                f"      {json.dumps(cname, ensure_ascii=False)}: {json.dumps(centry, ensure_ascii=False)}{comma}"
            )
        out.append("    }}" + ("," if n < len(tables) - 1 else ""))
    out.append("  },")
    out.append(
        f'  "source_schema": {json.dumps(data.get("source_schema"), ensure_ascii=False, default=_plain_default)}'
    )
    out.append("}")
    return "\n".join(out) + "\n"


def write(path: str | Path, data: dict[str, Any]) -> None:
    Path(path).write_text(dumps(data), encoding="utf-8")
