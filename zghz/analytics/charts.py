"""Bar charts of the 统计分析 tables, drawn as inline SVG on the server.

No chart library is loaded at all (nothing to serve, nothing from a CDN: the system runs on a government
intranet), the chart prints exactly as the page shows it, and it works without JavaScript. Every chart sits
beside the table of its numbers (SPEC §9), so the SVG only has to be readable, not interactive.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal
from html import escape

from django.utils.safestring import SafeString, mark_safe

# Two series told apart by shade as well as colour, so a black-and-white print still reads.
COLOURS = ("#1f4e8c", "#e08a1e", "#6a9f3c")
WIDTH, LABEL_W, BAR_H, GAP = 720, 170, 12, 10


@dataclass(frozen=True)
class Series:
    name: str
    values: Sequence[Decimal | int | float | None]


def _num(v: Decimal | int | float | None) -> float:
    return float(v or 0)


def _fmt(v: Decimal | int | float | None) -> str:
    if v is None:
        return "—"
    if isinstance(v, int):
        return f"{v:,}"
    return f"{float(v):,.2f}"


def bar_chart(title: str, labels: Sequence[str], series: Sequence[Series]) -> SafeString:
    """Horizontal grouped bars: one group per label, one bar per series, each bar with its value."""
    if not labels:
        return mark_safe("")  # nosec B703 B308 # empty string
    top = 28
    group_h = BAR_H * len(series) + GAP
    height = top + group_h * len(labels) + 6
    peak = max((_num(v) for s in series for v in s.values), default=0.0) or 1.0
    plot = WIDTH - LABEL_W - 90
    parts = [f'<svg class="chart" role="img" viewBox="0 0 {WIDTH} {height}" width="100%" '
             f'xmlns="http://www.w3.org/2000/svg" aria-label="{escape(title)}">',
             f"<title>{escape(title)}</title>"]
    x = LABEL_W
    for i, s in enumerate(series):  # legend
        colour = COLOURS[i % len(COLOURS)]
        parts.append(f'<rect x="{x}" y="6" width="12" height="12" fill="{colour}"/>'
                     f'<text x="{x + 16}" y="16" font-size="12">{escape(s.name)}</text>')
        x += 16 + 14 * len(s.name) + 24
    for row, label in enumerate(labels):
        y0 = top + row * group_h
        parts.append(f'<text x="{LABEL_W - 6}" y="{y0 + group_h / 2 + 2:.1f}" font-size="12" '
                     f'text-anchor="end">{escape(label[:14])}</text>')
        for i, s in enumerate(series):
            v = s.values[row] if row < len(s.values) else None
            w = max(0.0, _num(v)) / peak * plot
            y = y0 + i * BAR_H
            parts.append(f'<rect x="{LABEL_W}" y="{y}" width="{w:.1f}" height="{BAR_H - 2}" '
                         f'fill="{COLOURS[i % len(COLOURS)]}"/>'
                         f'<text x="{LABEL_W + w + 4:.1f}" y="{y + BAR_H - 3}" font-size="10">{escape(_fmt(v))}</text>')
    parts.append("</svg>")
    return mark_safe("".join(parts))  # nosec B703 B308 # every text above is escaped
