"""`dvt report`: the run history kept by `--result-url`, as one self-contained HTML page.

A line chart (inline SVG, no script, no network) of the differences each validation found per
run, oldest to newest, and the table of runs underneath. Pure: rows in, HTML text out.
"""

from __future__ import annotations

import html
from collections import defaultdict
from typing import Any

WIDTH, HEIGHT, PAD = 900, 320, 50
COLORS = ("#1f77b4", "#d62728", "#2ca02c", "#ff7f0e", "#9467bd", "#8c564b", "#e377c2", "#17becf")


def _series(runs: list[dict[str, Any]]) -> tuple[list[str], dict[str, dict[str, int]]]:
    """Run ids in time order, and per validation: run id → differences."""
    order: list[str] = []
    seen: set[str] = set()
    series: dict[str, dict[str, int]] = defaultdict(dict)
    for r in sorted(runs, key=lambda r: (str(r["run_at"]), str(r["run_id"]))):
        if r["run_id"] not in seen:
            seen.add(r["run_id"])
            order.append(r["run_id"])
        series[r["validation"]][r["run_id"]] = int(r["differences"] or 0)
    return order, dict(series)


def chart(runs: list[dict[str, Any]]) -> str:
    order, series = _series(runs)
    top = max([1] + [v for s in series.values() for v in s.values()])
    span = max(1, len(order) - 1)

    def x(i: int) -> float:
        return PAD + (WIDTH - 2 * PAD) * i / span

    def y(v: int) -> float:
        return HEIGHT - PAD - (HEIGHT - 2 * PAD) * v / top

    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" id="chart" width="{WIDTH}" height="{HEIGHT}" '
        f'viewBox="0 0 {WIDTH} {HEIGHT}" role="img" aria-label="differences per run">',
        f'<line x1="{PAD}" y1="{HEIGHT - PAD}" x2="{WIDTH - PAD}" y2="{HEIGHT - PAD}" '
        'stroke="#444"/>',
        f'<line x1="{PAD}" y1="{PAD}" x2="{PAD}" y2="{HEIGHT - PAD}" stroke="#444"/>',
        f'<text x="{PAD - 8}" y="{PAD + 4}" text-anchor="end" font-size="12">{top}</text>',
        f'<text x="{PAD - 8}" y="{HEIGHT - PAD + 4}" text-anchor="end" font-size="12">0</text>',
    ]
    for n, (name, points) in enumerate(sorted(series.items())):
        color = COLORS[n % len(COLORS)]
        xy = [(x(i), y(points[rid])) for i, rid in enumerate(order) if rid in points]
        path = " ".join(f"{a:.1f},{b:.1f}" for a, b in xy)
        label = html.escape(name)
        parts.append(
            f'<polyline class="series" data-validation="{label}" fill="none" stroke="{color}" '
            f'stroke-width="2" points="{path}"/>'
        )
        for a, b in xy:
            parts.append(f'<circle cx="{a:.1f}" cy="{b:.1f}" r="3" fill="{color}"/>')
        parts.append(
            f'<text x="{WIDTH - PAD + 4}" y="{PAD + 14 * n}" font-size="11" fill="{color}">'
            f"{label}</text>"
        )
    parts.append("</svg>")
    return "\n".join(parts)


def page(runs: list[dict[str, Any]], title: str = "dvt validation history") -> str:
    order, _ = _series(runs)
    rows = []
    for r in sorted(runs, key=lambda r: (str(r["run_at"]), str(r["validation"]))):
        cells = [r["run_at"], r["run_id"][:8], r["labels"], r["validation"], r["status"],
                 r["differences"], r["message"] or ""]  # fmt: skip
        rows.append(
            f'<tr class="{html.escape(str(r["status"]))}">'
            + "".join(f"<td>{html.escape(str(c))}</td>" for c in cells)
            + "</tr>"
        )
    head = "".join(
        f"<th>{h}</th>"
        for h in ("run at", "run", "labels", "validation", "status", "differences", "message")
    )
    return f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>{html.escape(title)}</title>
<style>
body {{ font-family: sans-serif; margin: 2em; }}
table {{ border-collapse: collapse; }} td, th {{ border: 1px solid #ccc; padding: 2px 6px; }}
tr.fail td, tr.error td {{ background: #fdd; }} tr.skipped td {{ background: #ffd; }}
</style></head>
<body>
<h1>{html.escape(title)}</h1>
<p id="summary">{len(order)} run(s), {len(runs)} validation result(s)</p>
<h2>Differences per validation and run</h2>
{chart(runs)}
<h2>Runs</h2>
<table id="runs"><thead><tr>{head}</tr></thead><tbody>
{"".join(rows)}
</tbody></table>
</body></html>
"""
