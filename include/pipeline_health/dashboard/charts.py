"""Inline SVG charts rendered on the server: no script, no network, nothing to download.

Every text that reaches the SVG goes through `escape`; the functions return Markup so
the template inserts them as they are.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from markupsafe import Markup, escape

BAND_COLOURS = {"Red": "#c62828", "Amber": "#ef8f00", "Green": "#2e7d32"}


def _num(value: float) -> str:
    return f"{value:.1f}".removesuffix(".0")


def sparkline(values: Sequence[int | None], colour: str = "#555", width: int = 96,
              height: int = 24) -> Markup:
    """Scores 0-100, oldest first; a missing week breaks the line."""
    if not any(v is not None for v in values):
        return Markup('<span class="muted">no history</span>')
    step = width / max(len(values) - 1, 1)

    def y(v: int) -> float:
        return height - 2 - (height - 4) * max(0, min(v, 100)) / 100

    segments: list[list[str]] = [[]]
    for i, v in enumerate(values):
        if v is None:
            segments.append([])
        else:
            segments[-1].append(f"{_num(i * step)},{_num(y(v))}")
    paths = "".join(f'<polyline points="{" ".join(s)}" fill="none" stroke="{colour}" stroke-width="1.5"/>'
                    for s in segments if len(s) > 1)
    dots = "".join(f'<circle cx="{_num(i * step)}" cy="{_num(y(v))}" r="1.8" fill="{colour}"/>'
                   for i, v in enumerate(values) if v is not None)
    label = escape("Risk score, last 8 weeks: " + ", ".join("-" if v is None else str(v) for v in values))
    return Markup(f'<svg class="spark" role="img" width="{width}" height="{height}" '
                  f'viewBox="0 0 {width} {height}"><title>{label}</title>{paths}{dots}</svg>')


@dataclass(frozen=True)
class Series:
    label: str
    colour: str
    values: Sequence[float | None]


def line_chart(title: str, x_labels: Sequence[str], series: Sequence[Series], width: int = 640,
               height: int = 220) -> Markup:
    """A weekly line chart with a zero-based y axis, first/middle/last x labels and a legend."""
    # Weeks before a series has data (e.g. status counts before the first snapshot) are left out.
    first = next((i for i in range(len(x_labels)) if any(s.values[i] is not None for s in series)), 0)
    x_labels = x_labels[first:]
    series = [Series(s.label, s.colour, s.values[first:]) for s in series]
    left, right, top, bottom = 44, 12, 26, 34
    plot_w, plot_h = width - left - right, height - top - bottom
    peak = max([v for s in series for v in s.values if v is not None] + [1])
    step = plot_w / max(len(x_labels) - 1, 1)

    def xy(i: int, v: float) -> str:
        return f"{_num(left + i * step)},{_num(top + plot_h - plot_h * v / peak)}"

    parts = [f'<text x="{left}" y="16" class="chart-title">{escape(title)}</text>']
    for frac in (0, 0.5, 1):
        y = top + plot_h - plot_h * frac
        parts.append(f'<line x1="{left}" x2="{width - right}" y1="{_num(y)}" y2="{_num(y)}" class="grid"/>'
                     f'<text x="{left - 6}" y="{_num(y + 4)}" text-anchor="end">{_num(peak * frac)}</text>')
    for i in sorted({0, len(x_labels) // 2, len(x_labels) - 1}) if x_labels else []:
        anchor = "start" if i == 0 else "end" if i == len(x_labels) - 1 else "middle"
        parts.append(f'<text x="{_num(left + i * step)}" y="{height - bottom + 16}" '
                     f'text-anchor="{anchor}">{escape(x_labels[i])}</text>')
    legend_x = left
    for s in series:
        points = " ".join(xy(i, v) for i, v in enumerate(s.values) if v is not None)
        parts.append(f'<polyline points="{points}" fill="none" stroke="{s.colour}" stroke-width="2">'
                     f"<title>{escape(s.label)}</title></polyline>")
        parts.append(f'<rect x="{legend_x}" y="{height - 10}" width="10" height="10" fill="{s.colour}"/>'
                     f'<text x="{legend_x + 14}" y="{height - 1}">{escape(s.label)}</text>')
        legend_x += 24 + 7 * len(s.label)
    return Markup(f'<svg class="chart" role="img" aria-label="{escape(title)}" width="{width}" '
                  f'height="{height}" viewBox="0 0 {width} {height}">{"".join(parts)}</svg>')


def interval(gap: float | None, low: float | None, high: float | None, span: float,
             width: int = 120, height: int = 16) -> Markup:
    """A gap and its 95 % interval on a symmetric axis [-span, span] centred on zero."""
    if gap is None or low is None or high is None or span <= 0:
        return Markup("")

    def x(v: float) -> str:
        return _num(width / 2 + (width / 2 - 3) * max(-1.0, min(v / span, 1.0)))

    excludes_zero = low > 0 or high < 0
    colour = "#1565c0" if excludes_zero else "#888"
    return Markup(
        f'<svg class="ci" width="{width}" height="{height}" viewBox="0 0 {width} {height}" '
        f'aria-hidden="true"><line x1="{_num(width / 2)}" x2="{_num(width / 2)}" y1="0" '
        f'y2="{height}" class="zero"/><line x1="{x(low)}" x2="{x(high)}" y1="{height / 2}" '
        f'y2="{height / 2}" stroke="{colour}" stroke-width="2"/><circle cx="{x(gap)}" '
        f'cy="{height / 2}" r="3" fill="{colour}"/></svg>')
