"""Server-rendered SVG charts for the inspector dashboard: no script, no outside request.

`line_chart` draws one polyline per series over the same x labels, a circle
per data point carrying its value (`data-value`), and a legend; names and
labels are escaped.
"""

from __future__ import annotations

from markupsafe import Markup, escape

WIDTH, HEIGHT, PAD = 640, 240, 36
COLOURS = ("#1d4ed8", "#b91c1c", "#047857", "#a16207", "#7c3aed", "#be185d", "#0e7490", "#4b5563")


def line_chart(title: str, labels: list[str], series: dict[str, list[int]]) -> Markup:
    top = max([1, *(v for values in series.values() for v in values)])
    step = (WIDTH - 2 * PAD) / max(1, len(labels) - 1)

    def xy(i: int, v: int) -> tuple[float, float]:
        return PAD + i * step, HEIGHT - PAD - (HEIGHT - 2 * PAD) * v / top

    parts = [f'<svg class="chart" role="img" viewBox="0 0 {WIDTH} {HEIGHT + 20 * len(series)}" '
             f'xmlns="http://www.w3.org/2000/svg" aria-label="{escape(title)}"><title>{escape(title)}</title>',
             f'<line x1="{PAD}" y1="{HEIGHT - PAD}" x2="{WIDTH - PAD}" y2="{HEIGHT - PAD}" stroke="#999"/>',
             f'<text x="4" y="{PAD}" font-size="11">{top}</text>']
    for i, label in enumerate(labels):
        x, _ = xy(i, 0)
        parts.append(f'<text x="{x:.1f}" y="{HEIGHT - PAD + 14}" font-size="9" text-anchor="middle">'
                     f'{escape(label[5:])}</text>')
    for n, (name, values) in enumerate(series.items()):
        colour = COLOURS[n % len(COLOURS)]
        points = " ".join(f"{x:.1f},{y:.1f}" for x, y in (xy(i, v) for i, v in enumerate(values)))
        parts.append(f'<polyline class="series" data-series="{escape(name)}" fill="none" stroke="{colour}" '
                     f'stroke-width="2" points="{points}"/>')
        for i, v in enumerate(values):
            x, y = xy(i, v)
            parts.append(f'<circle class="point" data-series="{escape(name)}" data-value="{v}" cx="{x:.1f}" '
                         f'cy="{y:.1f}" r="3" fill="{colour}"/>')
        parts.append(f'<text x="{PAD}" y="{HEIGHT + 14 + 20 * n}" font-size="12" fill="{colour}">■ '
                     f'{escape(name)}: {sum(values)}</text>')
    parts.append("</svg>")
    return Markup("".join(parts))
