"""Server-side SVG charts: no JavaScript, no library, readable without CSS.

Each chart is an <svg role="img"> named by its <title> and described by its <desc>; the numbers are
also printed on the chart, and the page always shows the table the chart is drawn from next to it.
Colours are checked against white: ink 16:1, bars and line (#0b5c8a) 7:1, axis text (#4a5560) 7.5:1.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from markupsafe import Markup, escape

INK = "#1b1f24"
MUTED = "#4a5560"
GRID = "#c9d0d6"
BAR = "#0b5c8a"
WIDTH = 480  # small, so text stays legible when a phone shrinks the chart to its width
LABEL_MAX = 44  # characters of a bar's label that fit the chart's width
FONT = "font-family=\"system-ui, -apple-system, 'Segoe UI', Roboto, sans-serif\""


@dataclass(frozen=True)
class Bar:
    label: str
    value: float
    value_label: str  # what is printed after the bar, e.g. "2.5 days"


def _svg(chart_id: str, title: str, desc: str, height: float, body: list[str]) -> Markup:
    t, d = f"{chart_id}-title", f"{chart_id}-desc"
    head = (
        f'<svg xmlns="http://www.w3.org/2000/svg" class="chart" id="{escape(chart_id)}" role="img" '
        f'aria-labelledby="{t} {d}" viewBox="0 0 {WIDTH} {height:.0f}" width="100%" focusable="false" '
        f'{FONT} font-size="16" fill="{INK}">'
        f'<title id="{t}">{escape(title)}</title><desc id="{d}">{escape(desc)}</desc>'
    )
    return Markup(head + "".join(body) + "</svg>")  # noqa: S704 - every text above went through escape()


def bar_chart(chart_id: str, title: str, desc: str, bars: Sequence[Bar]) -> Markup:
    """Horizontal bars, one row each: the label above its bar, the value printed after the bar."""
    pad, row, bar_h, value_room = 8, 52, 18, 110
    scale_w = WIDTH - 2 * pad - value_room
    top = max((b.value for b in bars), default=0) or 1
    body = []
    for n, bar in enumerate(bars):
        y = pad + n * row
        w = max(2.0, scale_w * bar.value / top)  # a zero still shows as a sliver
        label = bar.label if len(bar.label) <= LABEL_MAX else bar.label[: LABEL_MAX - 1] + "…"  # the table has it all
        body.append(
            f'<text x="{pad}" y="{y + 16}">{escape(label)}</text>'
            f'<rect x="{pad}" y="{y + 24}" width="{w:.1f}" height="{bar_h}" fill="{BAR}" rx="2"/>'
            f'<text x="{pad + w + 6:.1f}" y="{y + 38}" font-weight="600">{escape(bar.value_label)}</text>'
        )
    return _svg(chart_id, title, desc, 2 * pad + max(1, len(bars)) * row, body)


def _nice_step(top: float, ticks: int = 4) -> int:
    raw = max(1.0, top / ticks)
    magnitude = 10 ** (len(str(int(raw))) - 1)
    for multiple in (1, 2, 5, 10):
        if raw <= multiple * magnitude:
            return int(multiple * magnitude)
    return int(10 * magnitude)


def line_chart(chart_id: str, title: str, desc: str, points: Sequence[tuple[str, int]]) -> Markup:
    """A line through (label, count) points, evenly spaced; y from zero; every count printed by its point."""
    left, right, top_pad, bottom = 44, 30, 28, 44
    height = 280
    plot_w, plot_h = WIDTH - left - right, height - top_pad - bottom
    step = _nice_step(max((v for _, v in points), default=0))
    y_max = max(step, -(-max((v for _, v in points), default=0) // step) * step)
    body = []
    for tick in range(0, y_max + 1, step):
        y = top_pad + plot_h - plot_h * tick / y_max
        body.append(
            f'<line x1="{left}" x2="{WIDTH - right}" y1="{y:.1f}" y2="{y:.1f}" stroke="{GRID}"/>'
            f'<text x="{left - 6}" y="{y + 5:.1f}" text-anchor="end" fill="{MUTED}">{tick}</text>'
        )
    gap = plot_w / max(1, len(points) - 1)
    coords = [(left + n * gap, top_pad + plot_h - plot_h * v / y_max) for n, (_, v) in enumerate(points)]
    if coords:
        path = " ".join(f"{x:.1f},{y:.1f}" for x, y in coords)
        body.append(f'<polyline points="{path}" fill="none" stroke="{BAR}" stroke-width="3" stroke-linejoin="round"/>')
    last = len(points) - 1
    for n, ((label, value), (x, y)) in enumerate(zip(points, coords, strict=True)):
        body.append(
            f'<circle cx="{x:.1f}" cy="{y:.1f}" r="4.5" fill="{BAR}" stroke="#fff" stroke-width="1.5"/>'
            f'<text x="{x:.1f}" y="{y - 10:.1f}" text-anchor="middle" font-size="14" font-weight="600">'
            f"{value}</text>"
        )
        if n % 2 == last % 2:  # every other date fits at phone width; the table lists them all
            body.append(
                f'<text x="{x:.1f}" y="{height - bottom + 22}" text-anchor="middle" font-size="14" '
                f'fill="{MUTED}">{escape(label)}</text>'
            )
    body.append(
        f'<line x1="{left}" x2="{WIDTH - right}" y1="{top_pad + plot_h}" y2="{top_pad + plot_h}" stroke="{MUTED}"/>'
    )
    return _svg(chart_id, title, desc, height, body)
