"""The scaling plot: every measure against data size, log-log, ours vs theirs, as one SVG file.

Hand-written SVG (no plotting dependency for a handful of lines): one small panel per measure
(section, workload, metric), x = nominal size in triples, y = the figure, heritage-kg as a solid
line with filled dots, the other side dashed with squares. A figure that was extrapolated rather
than measured (plain pyshacl beyond the size it runs at) is drawn hollow; a side not run at a
size simply has no point there. Read it beside BENCHMARKS.md, whose table has the exact figures.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from pathlib import Path
from xml.sax.saxutils import escape

from bench.rows import Row

__all__ = ["write_plot"]

_W, _H = 330, 250  # one panel
_LEFT, _RIGHT, _TOP, _BOTTOM = 58, 12, 50, 52
_COLUMNS = 3
_OURS, _THEIRS = "#1f5fa8", "#c0392b"


def _panels(rows: Sequence[Row], sizes: Mapping[str, int]) -> dict[tuple[str, str, str], dict[
        int, Row]]:
    """Rows grouped by measure, then by size in triples (a later row replaces an earlier one)."""
    panels: dict[tuple[str, str, str], dict[int, Row]] = {}
    for row in rows:
        if row.size not in sizes or row.section == "synth" or (
                row.ours is None and row.theirs is None):
            continue
        panels.setdefault((row.section, row.workload, row.metric), {})[sizes[row.size]] = row
    return panels


def _decades(low: float, high: float) -> list[float]:
    """Tick values: powers of ten in range, with 2 and 5 between when the range is narrow."""
    steps = (1, 2, 5) if math.log10(high / low) < 2 else (1,)
    ticks = []
    for exponent in range(math.floor(math.log10(low)), math.ceil(math.log10(high)) + 1):
        ticks += [s * 10.0 ** exponent for s in steps if low <= s * 10.0 ** exponent <= high]
    return ticks


def _short(value: float) -> str:
    for factor, suffix in ((1e9, "G"), (1e6, "M"), (1e3, "k")):
        if value >= factor:
            return f"{value / factor:g}{suffix}"
    return f"{value:g}"


def _panel(x0: float, y0: float, measure: tuple[str, str, str], points: dict[int, Row],
           x_ticks: list[int]) -> list[str]:
    section, workload, metric = measure
    values = [v for r in points.values() for v in (r.ours, r.theirs) if v]
    low, high = min(values) / 1.6, max(values) * 1.6
    plot_w, plot_h = _W - _LEFT - _RIGHT, _H - _TOP - _BOTTOM
    x_range = (x_ticks[0] / 2.5, x_ticks[-1] * 2.5)

    def x_of(size: float) -> float:
        span = math.log10(x_range[1] / x_range[0])
        return x0 + _LEFT + plot_w * math.log10(size / x_range[0]) / span

    def y_of(value: float) -> float:
        return y0 + _TOP + plot_h * (1 - math.log10(value / low) / math.log10(high / low))

    first = next(iter(points.values()))
    better = "higher" if first.higher_is_better else "lower"
    title = f"{section}: {workload}"
    cut = title.rfind(" ", 0, 52) if len(title) > 52 else len(title)
    lines = [title[:cut], title[cut:].strip()[:52]]
    out = ['<g font-family="sans-serif" font-size="10">']
    out += [f'<text x="{x0 + 8}" y="{y0 + 12 + 12 * i}" font-size="11" font-weight="bold">'
            f"{escape(line)}</text>" for i, line in enumerate(lines) if line]
    out += [f'<text x="{x0 + 8}" y="{y0 + 38}" fill="#555">{escape(metric)}, {better} is better'
            "</text>",
            f'<rect x="{x0 + _LEFT}" y="{y0 + _TOP}" width="{plot_w}" height="{plot_h}" '
            'fill="none" stroke="#999"/>']
    for tick in _decades(low, high):
        y = y_of(tick)
        out.append(f'<line x1="{x0 + _LEFT}" x2="{x0 + _LEFT + plot_w}" y1="{y:.1f}" '
                   f'y2="{y:.1f}" stroke="#eee"/>')
        out.append(f'<text x="{x0 + _LEFT - 4}" y="{y + 3:.1f}" text-anchor="end">'
                   f"{_short(tick)}</text>")
    for size in x_ticks:
        x = x_of(size)
        out.append(f'<text x="{x:.1f}" y="{y0 + _TOP + plot_h + 13}" text-anchor="middle">'
                   f"{_short(size)}</text>")
    out.append(f'<text x="{x0 + _LEFT + plot_w / 2}" y="{y0 + _TOP + plot_h + 26}" '
               'text-anchor="middle" fill="#555">triples (log)</text>')
    for side, colour, dash in (("ours", _OURS, ""), ("theirs", _THEIRS, ' stroke-dasharray="5,3"')):
        series = sorted((size, getattr(row, side), row) for size, row in points.items()
                        if getattr(row, side))
        if len(series) > 1:
            line = " ".join(f"{x_of(s):.1f},{y_of(v):.1f}" for s, v, _ in series)
            out.append(f'<polyline points="{line}" fill="none" stroke="{colour}" '
                       f'stroke-width="1.6"{dash}/>')
        for size, value, row in series:
            hollow = side == "theirs" and row.theirs_estimated
            fill = "white" if hollow else colour
            x, y = x_of(size), y_of(value)
            tip = f"{_short(size)} triples: {value:,.2f} {metric}" + (
                " (extrapolated)" if hollow else "")
            shape = (f'<circle cx="{x:.1f}" cy="{y:.1f}" r="3.2"' if side == "ours" else
                     f'<rect x="{x - 3:.1f}" y="{y - 3:.1f}" width="6" height="6"')
            out.append(f'{shape} fill="{fill}" stroke="{colour}"><title>{escape(tip)}</title>'
                       + ("</circle>" if side == "ours" else "</rect>"))
    legend_y = y0 + _H - 10
    out.append(f'<text x="{x0 + 8}" y="{legend_y}" fill="{_OURS}">● {escape(first.ours_name)}'
               f'</text><text x="{x0 + _W / 2}" y="{legend_y}" fill="{_THEIRS}">■ '
               f"{escape(first.theirs_name)}</text>")
    out.append("</g>")
    return out


def write_plot(rows: Sequence[Row], sizes: Mapping[str, int], path: Path) -> int:
    """Write the SVG to `path`; return the number of panels (0: nothing to plot, no file)."""
    panels = _panels(rows, sizes)
    if not panels:
        return 0
    present = sorted({size for points in panels.values() for size in points})
    columns = min(_COLUMNS, len(panels))
    height = _H * math.ceil(len(panels) / columns) + 40
    width = _W * columns
    out = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
           f'viewBox="0 0 {width} {height}">',
           '<rect width="100%" height="100%" fill="white"/>',
           '<text x="8" y="22" font-family="sans-serif" font-size="14" font-weight="bold">'
           "heritage-kg (● solid) vs the other side (■ dashed; hollow = extrapolated), "
           "log-log</text>"]
    for index, (measure, points) in enumerate(panels.items()):
        row_number, column = divmod(index, columns)
        out += _panel(column * _W, 40 + row_number * _H, measure, points, present)
    out.append("</svg>")
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("\n".join(out) + "\n", encoding="utf-8")
    return len(panels)
