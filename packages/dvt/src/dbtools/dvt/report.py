"""Rendering results as a table (rich), JSON or CSV."""

from __future__ import annotations

import io
import json
from typing import Any

from .results import ValidationResult

FORMATS = ("table", "json", "csv")
CSV_FIELDS = (
    "validation",
    "kind",
    "source_table",
    "target_table",
    "validation_status",
    "status",
    "key",
    "column",
    "check",
    "source",
    "target",
    "difference",
    "severity",
    "summary",
)
SUMMARY_ORDER = (
    "source_rows",
    "target_rows",
    "matched",
    "mismatched",
    "missing_in_target",
    "extra_in_target",
)


def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, (dict, list, tuple)):
        return json.dumps(value, default=str, ensure_ascii=False)
    return str(value)


def _visible_pair(a: Any, b: Any) -> tuple[str, str]:
    """Mismatched values as shown in the table: NULL spelled out, look-alike strings escaped."""
    import unicodedata

    def tricky(v: Any) -> bool:
        return isinstance(v, str) and (v == "" or v != v.strip() or v.upper() == "NULL")

    def plain(v: Any) -> str:
        return "NULL" if v is None else _text(v)

    look_alike = (
        isinstance(a, str)
        and isinstance(b, str)
        and unicodedata.normalize("NFC", a).strip() == unicodedata.normalize("NFC", b).strip()
    )
    if look_alike or tricky(a) or tricky(b):
        return tuple(ascii(v) if isinstance(v, str) else plain(v) for v in (a, b))  # type: ignore[return-value]
    return plain(a), plain(b)


def to_json(results: list[ValidationResult]) -> str:
    return json.dumps([r.as_dict() for r in results], indent=2, default=str, ensure_ascii=False)


def _csv_field(value: Any) -> str:
    """NULL is an empty unquoted field; every value, the empty string too, is quoted."""
    if value is None:
        return ""
    text = _text(value)
    return '"' + text.replace('"', '""') + '"'


def to_csv(results: list[ValidationResult]) -> str:
    """One line per finding. A NULL value is an empty, unquoted field and an empty string is
    `""`, so the two stay distinct (any CSV reader reads both as text)."""
    lines = [",".join(CSV_FIELDS)]
    for r in results:
        base = {
            "validation": r.name,
            "kind": r.kind,
            "source_table": r.source_table,
            "target_table": r.target_table,
            "validation_status": r.status,
            "summary": r.summary,
        }
        rows: list[dict[str, Any]] = []
        if not r.findings:
            rows.append({**base, "status": r.status, "difference": r.error or r.skipped})
        for f in r.findings:
            d = f.as_dict()
            row = {**base, "status": d["status"]}
            for k in ("key", "column", "check", "source", "target", "difference", "severity"):
                row[k] = getattr(f, k)
            rows.append(row)
        for row in rows:
            lines.append(",".join(_csv_field(row.get(k)) for k in CSV_FIELDS))
    return "\n".join(lines) + "\n"


def to_table(
    results: list[ValidationResult],
    max_rows: int = 50,
    color: bool = True,
    width: int | None = None,
) -> str:
    from rich.console import Console
    from rich.table import Table

    buf = io.StringIO()
    if width is None:
        # on a terminal, its width (values fold, never truncated); in a file or a pipe, wide
        # enough that every value stays on one line, whole
        import shutil

        width = shutil.get_terminal_size((120, 40)).columns if color else 1000
    console = Console(file=buf, force_terminal=color, no_color=not color, width=width)
    for r in results:
        status = {
            "success": "[green]success[/]",
            "fail": "[red]FAIL[/]",
            "skipped": "[yellow]skipped[/]",
        }.get(r.status, "[red]ERROR (not validated)[/]")
        console.print(f"[bold]{r.name}[/] ({r.kind}) {r.source_table} → {r.target_table}: {status}")
        if r.error is not None or r.skipped is not None:
            from rich.markup import escape

            why, style = (r.error, "red") if r.error is not None else (r.skipped, "yellow")
            console.print(f"  [{style}]{escape(why or '')}[/]", highlight=False)
            continue
        if r.kind.endswith("row"):
            summary = Table(show_header=True, header_style="bold")
            for k in SUMMARY_ORDER:
                summary.add_column(k.replace("_", " "), justify="right")
            summary.add_row(*(f"{r.summary.get(k, 0):,}" for k in SUMMARY_ORDER))
            console.print(summary)
        shown = (
            [f for f in r.findings if f.status != "success"]
            if r.kind.endswith("row") or r.kind == "schema"
            else r.findings
        )
        if r.kind == "schema":
            shown = r.findings
        if shown:
            t = Table(show_header=True, header_style="bold")
            for col in ("status", "key", "column", "check", "source", "target", "difference"):
                t.add_column(col, overflow="fold")  # every character shown, never "…"
            for f in shown[:max_rows]:
                d = f.as_dict()
                st = d["status"]
                style = "green" if st == "success" else "red"
                if d.get("severity") == "warning":
                    st, style = "warning", "yellow"
                sv, tv = (
                    _visible_pair(d.get("source"), d.get("target"))
                    if st == "mismatch"
                    else (_text(d.get("source")), _text(d.get("target")))
                )
                t.add_row(
                    f"[{style}]{st}[/]",
                    *(_text(d.get(k)) for k in ("key", "column", "check")),
                    sv,
                    tv,
                    _text(d.get("difference")),
                )
            console.print(t)
            hidden = len(shown) - min(len(shown), max_rows) + r.truncated
            if hidden:
                console.print(f"… {hidden:,} more (use --format json/csv --output FILE for all)")
        for w in r.warnings:
            console.print(f"[yellow]warning:[/] {w}")
    failed = sum(1 for r in results if r.status == "fail")
    errors = sum(1 for r in results if r.status == "error")
    parts = [f"{failed} failed"] if failed else []
    parts += [f"{errors} could not run"] if errors else []
    console.print(
        f"[bold]{len(results)} validation(s), {', '.join(parts)}[/]"
        if parts
        else f"[bold]{len(results)} validation(s), all passed[/]"
    )
    return buf.getvalue()


def render(results: list[ValidationResult], fmt: str, color: bool = False) -> str:
    if fmt == "json":
        return to_json(results) + "\n"
    if fmt == "csv":
        return to_csv(results)
    return to_table(results, color=color)


def _cell(value: Any) -> Any:
    """A fetched value as exact JSON-safe data: decimals, dates, bytes as text."""
    import datetime as dt
    from decimal import Decimal

    from .canon import decimal_text

    if isinstance(value, Decimal):
        return decimal_text(value) if value.is_finite() else str(value)
    if isinstance(value, (bytes, bytearray, memoryview)):
        return "\\x" + bytes(value).hex()
    if isinstance(value, (dt.date, dt.time, dt.datetime)):
        return value.isoformat()
    if isinstance(value, (list, tuple)):
        return [_cell(v) for v in value]
    return value


def rows_table(names: list[str], rows: list[tuple[Any, ...]], fmt: str) -> str:
    """Query results as a table, JSON (a list of objects) or CSV (NULL empty, values quoted)."""
    cells = [[_cell(v) for v in r] for r in rows]
    if fmt == "json":
        return json.dumps([dict(zip(names, r, strict=True)) for r in cells], ensure_ascii=False,
                          indent=2, default=str) + "\n"  # fmt: skip
    if fmt == "csv":
        lines = [",".join(_csv_field(n) for n in names)]
        lines += [",".join(_csv_field(v) for v in r) for r in cells]
        return "\n".join(lines) + "\n"
    from rich.console import Console
    from rich.table import Table

    buf = io.StringIO()
    console = Console(file=buf, no_color=True, width=1000)
    t = Table(*names)
    for r in cells:
        t.add_row(*("NULL" if v is None else _text(v) for v in r))
    console.print(t)
    console.print(f"{len(rows)} row(s)")
    return buf.getvalue()
