"""Conversion reports: per-table and overall ratings, every issue, every column.

Ratings (HarbourBridge's scheme with its quirks fixed):
- a table with no columns: NONE; a table with an error-severity issue: POOR;
- otherwise by the share of columns touched by a warning (table-level warnings count as one
  column each): none -> EXCELLENT, < 1/20 -> GOOD, < 1/3 -> OK, else POOR;
- a table that needed a synthetic primary key is never better than GOOD.
The overall rating uses the same thresholds over all columns, and is POOR when any error exists
or the source was not read whole (a truncated dump, statements that do not parse).
"""

from __future__ import annotations

import functools
import json
from typing import Any

from .convert import Conversion
from .ddl import spell_type
from .issues import SEVERITIES, Issue


def _rate(columns: int, affected: int, errors: int, synthetic: bool) -> str:
    if columns == 0:
        return "NONE"
    if errors:
        return "POOR"
    if affected == 0:
        rating = "EXCELLENT"
    elif affected < columns / 20:
        rating = "GOOD"
    elif affected < columns / 3:
        rating = "OK"
    else:
        rating = "POOR"
    if synthetic and rating == "EXCELLENT":
        rating = "GOOD"
    return rating


def _counts(issues: list[Issue]) -> dict[str, int]:
    out = dict.fromkeys(SEVERITIES, 0)
    for i in issues:
        out[i.severity] += 1
    return out


def build(conv: Conversion, *, source_label: str = "") -> dict[str, Any]:
    by_table: dict[str, list[Issue]] = {}
    general: list[Issue] = []
    target_to_source = {r.name: src for src, r in conv.tables.items()}
    for issue in conv.issues:
        src = target_to_source.get(issue.table or "")
        if src is None:
            general.append(issue)
        else:
            by_table.setdefault(src, []).append(issue)
    tables = []
    total_cols = total_affected = 0
    for src, res in conv.tables.items():
        issues = by_table.get(src, [])
        counts = _counts(issues)
        affected_cols = {
            i.column for i in issues if i.severity in ("warning", "error") and i.column
        }
        table_level = sum(1 for i in issues if i.severity == "warning" and not i.column)
        ncols = len(res.columns)
        affected = min(ncols, len(affected_cols) + table_level)
        rating = (
            "NONE"
            if res.skipped
            else _rate(ncols, affected, counts["error"], bool(res.synthetic_pk))
        )
        if not res.skipped:
            total_cols += ncols
            total_affected += affected
        col_issues: dict[str, list[str]] = {}
        for i in issues:
            if i.column:
                col_issues.setdefault(i.column, []).append(i.code)
        tables.append(
            {
                "source_table": src,
                "table": res.name,
                "skipped": res.skipped,
                "rating": rating,
                "columns_total": ncols,
                "columns_clean": ncols - affected,
                "primary_key_missing": bool(res.synthetic_pk),
                "synthetic_primary_key": res.synthetic_pk,
                "interleave_candidates": res.interleave_candidates,
                "counts": counts,
                "columns": [
                    {
                        "source_column": c.source_name,
                        "source_type": c.source_type,
                        "column": c.name,
                        "type": c.type,
                        "spanner_type": _spelled(c.type, conv.dialect) if c.type else None,
                        "alternatives": c.alternatives,
                        "issues": col_issues.get(c.source_name, []),
                    }
                    for c in res.columns
                ],
                "issues": [i.to_json() for i in issues],
            }
        )
    counts = _counts(conv.issues)
    overall = _rate(total_cols, total_affected, 0, False)
    incomplete = conv.source.incomplete()
    if counts["error"] or incomplete:
        overall = "POOR"  # an error, or a source not read whole, is never a fair result
    clean = 100.0 * (total_cols - total_affected) / total_cols if total_cols else 0.0
    diags = [
        {"line": d.line, "kind": d.kind, "message": d.message} for d in conv.source.diagnostics
    ]
    return {
        "format": "dbtools-migrate-report",
        "version": 1,
        "source": {
            "engine": conv.source.origin or conv.source.engine,
            "parsed_as": conv.source.engine,
            "label": source_label,
            "live": conv.source.live,
        },
        "dialect": conv.dialect,
        "summary": {
            "rating": overall,
            "tables": len(conv.tables),
            "columns": total_cols,
            "columns_clean_percent": round(clean, 1),
            "issues": counts,
            "diagnostics": len(diags),
            "not_migrated_objects": len(conv.source.ignored),
            "source_incomplete": bool(incomplete),
            "text": f"Schema conversion: {overall} ({clean:.0f}% of {total_cols} columns mapped cleanly)"
            + (
                f"; the source was not read whole ({len(incomplete)} input problems say where)"
                if incomplete
                else ""
            ),
        },
        "statements": dict(sorted(conv.source.statements.items())),
        "diagnostics": diags,
        "name_changes": [
            i.to_json()
            for i in conv.issues
            if i.code
            in ("illegal_name", "reserved_name", "name_clash", "name_too_long", "user_rename")
        ],
        "not_migrated": [
            {"kind": o.kind, "name": o.name, "line": o.line, "detail": o.detail}
            for o in conv.source.ignored
        ],
        "general_issues": [i.to_json() for i in general],
        "tables": tables,
    }


@functools.lru_cache(maxsize=1024)
def _spelled(key: str, dialect: str) -> str:
    from .model import SpType

    return spell_type(SpType.parse(key), dialect)


def add_data(report: dict[str, Any], data: dict[str, Any]) -> dict[str, Any]:
    """Fold a data load's counts into the schema report (per table and in the summary)."""
    for t in report["tables"]:
        d = data.get("tables", {}).get(t["source_table"])
        if d is not None:
            t["data"] = d
    report["summary"]["data"] = {k: v for k, v in data.items() if k != "tables"}
    report["summary"]["data_text"] = (
        f"Data conversion: {data['rating']} ({data['rows_written']} of {data['rows_read']} rows "
        f"written, {data['bad_rows']} bad"
        + (f"; dry run: {data['rows_converted']} converted" if data.get("dry_run") else "")
        + ("; the source was not read whole" if data.get("source_incomplete") else "")
        + ")"
    )
    return report


def to_json(report: dict[str, Any]) -> str:
    """One table per line: diffable, and written by the C encoder (indent= is pure Python)."""
    head = {k: v for k, v in report.items() if k != "tables"}
    lines = [json.dumps(t, ensure_ascii=False) for t in report["tables"]]
    text = json.dumps(head, ensure_ascii=False)[:-1] + ', "tables": [\n'
    return text + ",\n".join(lines) + "\n]}\n"


def to_text(report: dict[str, Any]) -> str:
    out: list[str] = []
    w = out.append
    s = report["summary"]
    w("Summary of conversion")
    w("=" * 21)
    w(f"Source: {report['source']['engine']} {report['source']['label']}".rstrip())
    w(f"Target dialect: {report['dialect']}")
    w(s["text"] + ".")
    if "data_text" in s:
        w(s["data_text"] + ".")
    c = s["issues"]
    w(
        f"Issues: {c['error']} errors, {c['warning']} warnings, {c['note']} notes, {c['suggestion']} suggestions."
    )
    w(
        f"Tables: {s['tables']}; objects not migrated: {s['not_migrated_objects']}; input problems: {s['diagnostics']}."
    )
    w("")
    if report["diagnostics"]:
        w("Input problems (line: problem)")
        for d in report["diagnostics"]:
            w(f"  {d['line']}: [{d['kind']}] {d['message']}")
        w("")
    if report["statements"]:
        w("Statements read: " + ", ".join(f"{k} {v}" for k, v in report["statements"].items()))
        w("")
    if report["not_migrated"]:
        w("Not migrated")
        for o in report["not_migrated"]:
            detail = f" ({o['detail']})" if o["detail"] else ""
            w(f"  {o['kind']} {o['name']}{detail}, line {o['line']}")
        w("")
    if report["general_issues"]:
        w("Schema-wide issues")
        for i in report["general_issues"]:
            w(_wrap(f"  {i['severity'].upper()}: {i['explanation']}"))
        w("")
    for t in report["tables"]:
        title = f"Table {t['source_table']}"
        if t["table"] != t["source_table"]:
            title += f" -> {t['table']}"
        w(title)
        w("-" * len(title))
        if t["skipped"]:
            w("Skipped (session).")
        else:
            pk = " + missing primary key" if t["primary_key_missing"] else ""
            w(
                f"Schema conversion: {t['rating']}{pk} ({t['columns_clean']} of {t['columns_total']} columns clean)."
            )
            if "data" in t:
                d = t["data"]
                w(
                    f"Data conversion: {d['rating']} ({d['rows_written']} of {d['rows_read']} rows "
                    f"written, {d['bad_rows']} bad)."
                )
        w("Columns:")
        for col in t["columns"]:
            target = f"{col['column']} {col['spanner_type']}" if col["column"] else "(skipped)"
            mark = "  *" if col["issues"] else "   "
            w(f"{mark} {col['source_column']} {col['source_type']} -> {target}")
        for sev in SEVERITIES:
            items = [i for i in t["issues"] if i["severity"] == sev]
            if not items:
                continue
            w(f"{sev.capitalize()}s:")
            for n, i in enumerate(items, 1):
                where = f"{i['column']}: " if i["column"] else ""
                w(_wrap(f"  {n}. {where}{i['explanation']}", indent="     "))
        w("")
    return "\n".join(out) + "\n"


def _wrap(text: str, indent: str = "    ", width: int = 100) -> str:
    """Greedy word wrap (textwrap is several times slower on big reports)."""
    if len(text) <= width:
        return text
    lines: list[str] = []
    body = text.lstrip(" ")
    line = text[: len(text) - len(body)]  # the first line keeps its own indent
    for word in body.split(" "):
        if line.strip() and len(line) + 1 + len(word) > width:
            lines.append(line)
            line = indent + word
        else:
            line = f"{line} {word}" if line.strip() else line + word
    lines.append(line)
    return "\n".join(lines)
