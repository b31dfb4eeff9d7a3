"""Charts drawn on the server as SVG: no script, no chart library, readable without colour.

`columns` draws a figure per day (one or two series side by side), `rows` one bar per
named thing (tiers, tills, expiry windows). Each bar carries a `<title>` (what a pointer or
a screen reader shows) and `data-value` (what the browser tests read); the page shows the
same figures as a table beside the chart. Sizes are in the SVG's own units and the chart
scales to its box (CSS), so it reads the same on a laptop and a tablet. Coordinates are
worked out with Decimals like every figure here.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import ROUND_CEILING, Decimal
from html import escape

from markupsafe import Markup

#: A chart's own units, near the pixels of the panel it fills at 1366 wide (a whole row of
#: the page, or half of it), so its 13-unit text reads as 13 to 17 px there, 10 on a tablet.
WIDE, HALF = 960, 580
HEIGHT = 270
LEFT, RIGHT, TOP, BOTTOM = 64, 12, 16, 52
ROW_HEIGHT, ROW_LABEL = 30, 150


@dataclass(frozen=True)
class Series:
    name: str
    css: str  # the bars' class: their colour and pattern in console.css
    values: list[Decimal]


def step_for(top: Decimal) -> Decimal:
    """A round step (1, 2 or 5 times a power of ten) for at most 4 grid lines up to `top`."""
    step = Decimal(1)
    while step * 4 < top:
        for factor in (2, Decimal("2.5"), 2):
            step *= factor
            if step * 4 >= top:
                break
    return step


def _n(value: Decimal) -> str:
    return f"{value.quantize(Decimal('0.1'))}"


def figure(value: Decimal) -> str:
    return f"{value:,.2f}" if value % 1 else f"{value:,.0f}"


def columns(title: str, labels: list[str], series: list[Series], unit: str, width: int = WIDE) -> Markup:
    """Bars per label (a day), the series side by side, on a grid with round numbers."""
    top = max((value for s in series for value in s.values), default=Decimal(0))
    step = step_for(max(top, Decimal(1)))
    scale_top = step * max(1, int((top / step).to_integral_value(rounding=ROUND_CEILING)))
    plot_w, plot_h = Decimal(width - LEFT - RIGHT), Decimal(HEIGHT - TOP - BOTTOM)
    slot = plot_w / max(len(labels), 1)
    bar = slot * Decimal("0.8") / max(len(series), 1)
    parts = [_open(title, width, HEIGHT)]
    grid = Decimal(0)
    while grid <= scale_top:
        y = TOP + plot_h - plot_h * grid / scale_top
        parts.append(f'<line class="grid" x1="{LEFT}" x2="{width - RIGHT}" y1="{_n(y)}" y2="{_n(y)}"/>')
        parts.append(f'<text class="axis" x="{LEFT - 6}" y="{_n(y + 4)}" text-anchor="end">{figure(grid)}</text>')
        grid += step
    every = max(1, -(-len(labels) * 90 // width))  # a label every 90 units at most
    for index, label in enumerate(labels):
        x0 = LEFT + slot * index + slot * Decimal("0.1")
        for number, s in enumerate(series):
            value = s.values[index]
            h = plot_h * value / scale_top
            x, y = x0 + bar * number, TOP + plot_h - h
            said = f"{label}: {figure(value)} {unit} {s.name}"
            parts.append(
                f'<rect class="{s.css}" x="{_n(x)}" y="{_n(y)}" width="{_n(bar)}" height="{_n(h)}" '
                f'data-label="{escape(label)}" data-series="{escape(s.name)}" data-value="{value}">'
                f"<title>{escape(said)}</title></rect>"
            )
        if index % every == 0:
            parts.append(
                f'<text class="axis" x="{_n(x0 + bar * len(series) / 2)}" y="{HEIGHT - BOTTOM + 16}" '
                f'text-anchor="middle">{escape(label)}</text>'
            )
    parts.append(_legend(series))
    parts.append("</svg>")
    return Markup("".join(parts))


def rows(title: str, items: list[tuple[str, Decimal]], unit: str, css: str = "bar-a", width: int = HALF) -> Markup:
    """One horizontal bar per (label, value), the value written at its end."""
    height = TOP + ROW_HEIGHT * max(len(items), 1) + 8
    top = max((value for _label, value in items), default=Decimal(0))
    room = Decimal(width - ROW_LABEL - 130)
    parts = [_open(title, width, height)]
    for index, (label, value) in enumerate(items):
        y = TOP + ROW_HEIGHT * index
        w = room * value / top if top > 0 else Decimal(0)
        said = f"{label}: {figure(value)} {unit}"
        parts.append(f'<text class="label" x="{ROW_LABEL - 8}" y="{y + 18}" text-anchor="end">{escape(label)}</text>')
        parts.append(
            f'<rect class="{css}" x="{ROW_LABEL}" y="{y + 4}" width="{_n(w)}" height="{ROW_HEIGHT - 10}" '
            f'data-label="{escape(label)}" data-value="{value}"><title>{escape(said)}</title></rect>'
        )
        parts.append(f'<text class="value" x="{_n(ROW_LABEL + w + 6)}" y="{y + 18}">{figure(value)} {escape(unit)}</text>')
    parts.append("</svg>")
    return Markup("".join(parts))


def _open(title: str, width: int, height: int) -> str:
    return (
        f'<svg class="chart" viewBox="0 0 {width} {height}" role="img" aria-label="{escape(title)}" '
        f'xmlns="http://www.w3.org/2000/svg"><title>{escape(title)}</title>'
    )


def _legend(series: list[Series]) -> str:
    if len(series) < 2:
        return ""
    parts, x = [], LEFT
    for s in series:
        parts.append(f'<rect class="{s.css}" x="{x}" y="{HEIGHT - 16}" width="12" height="12"/>')
        parts.append(f'<text class="label" x="{x + 18}" y="{HEIGHT - 6}">{escape(s.name)}</text>')
        x += 30 + 8 * len(s.name)
    return "".join(parts)
