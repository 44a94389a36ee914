"""The chart kinds, as SVG markup from plain data.

Each function takes labels, numbers and colours (no table, no view) and returns one
``<svg>`` element as :class:`markupsafe.Markup`: every text in it is escaped here, so a
page template can place it as it is. report.html uses them; any other page that must
draw the same charts (the local calculator) can too. The look (fonts, colours of text)
comes from the page's style sheet: ``svg text`` and ``svg`` rules.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

from markupsafe import Markup, escape

from .values import money, text

# (name, colour, one value per label)
Bars = Sequence[tuple[str, str, Sequence[float]]]
# (name, colour, one value per label or None for a gap): dashed step lines, e.g. limits
Steps = Sequence[tuple[str, str, Sequence[float | None]]]
# (name, colour, (x, y or None) points, dashed)
Lines = Sequence[tuple[str, str, Sequence[tuple[float, float | None]], bool]]
# (from x, to x, label): shaded intervals
Bands = Sequence[tuple[float, float, str]]


def _e(value: object) -> Markup:
    return escape(text(value))


def nice_scale(
    lo: float, hi: float, count: int = 5, integer: bool = False
) -> tuple[float, float, list[float]]:
    """Axis bounds and ticks at 1, 2, 2.5 or 5 times a power of ten (whole numbers only
    when ``integer``) covering lo..hi."""
    if hi < lo:
        lo, hi = hi, lo
    if hi == lo:
        pad = abs(hi) * 0.05 or 1.0
        lo, hi = lo - pad, hi + pad
    raw = (hi - lo) / count
    magnitude = 10 ** math.floor(math.log10(raw))
    step = next(m * magnitude for m in (1, 2, 2.5, 5, 10) if m * magnitude >= raw * 0.999)
    if integer:
        step = max(1.0, float(math.ceil(step)))
    first = math.floor(lo / step + 1e-9) * step
    last = math.ceil(hi / step - 1e-9) * step
    ticks = [round(first + i * step, 10) for i in range(round((last - first) / step) + 1)]
    return first, last, ticks


def _digits(step: float) -> int:
    """Decimals that show every multiple of ``step`` exactly (0.25 needs 2)."""
    digits = max(0, -math.floor(math.log10(step) + 1e-9))
    while digits < 6 and abs(round(step * 10**digits) - step * 10**digits) > 1e-6:
        digits += 1
    return digits


def axis_labels(ticks: Sequence[float]) -> list[str]:
    """Tick labels sharing one unit: 0, 500k, 1.0M; plain digits where the steps are too
    fine for a unit (2,211,500 and 2,212,000 rather than 2.212M twice)."""
    if not ticks:
        return []
    step = abs(ticks[1] - ticks[0]) if len(ticks) > 1 else abs(ticks[0]) or 1.0
    scale = max(abs(t) for t in ticks)
    div, suffix = 1.0, ""
    for d, s in ((1e9, "B"), (1e6, "M"), (1e3, "k")):
        if scale >= d:
            div, suffix = d, s
            break
    digits = _digits(step / div)
    if digits > 2:
        div, suffix = 1.0, ""
        digits = _digits(step)
    return ["0" if t == 0 else f"{t / div:,.{digits}f}{suffix}" for t in ticks]


def bar_chart(
    labels: Sequence[str],
    bars: Bars,
    steps: Steps,
    unit: str,
    width: int,
    height: int,
    x_title: str = "",
    integer: bool = False,
) -> Markup:
    """Stacked bars, one stack per label (negatives stack downward), with dashed step
    lines over them (limits)."""
    n = max(len(labels), 1)
    small = width < 500
    left, right, top, bottom = (48 if small else 64), 10, 12, (34 if not x_title else 48)
    pw, ph = width - left - right, height - top - bottom
    pos = [sum(max(b[2][i], 0.0) for b in bars) for i in range(len(labels))]
    neg = [sum(min(b[2][i], 0.0) for b in bars) for i in range(len(labels))]
    step_values = [v for _, _, vs in steps for v in vs if v is not None]
    lo = min([0.0, *neg, *step_values])
    hi = max([0.0, *pos, *step_values])
    lo, hi, ticks = nice_scale(lo, hi, 4 if small else 5, integer)

    def y(v: float) -> float:
        return top + ph * (hi - v) / (hi - lo)

    band = pw / n
    bw = band * (0.7 if n > 1 else 0.4)
    out = [
        f'<svg viewBox="0 0 {width} {height}" style="max-width:{width}px" role="img" '
        f'aria-label="{_e(unit)}">'
    ]
    for t, tick in zip(ticks, axis_labels(ticks), strict=True):
        out.append(
            f'<line x1="{left}" x2="{width - right}" y1="{y(t):.1f}" y2="{y(t):.1f}" '
            f'stroke="{"#9aa5b1" if t == 0 else "#e3e7ec"}" stroke-width="1"/>'
            f'<text x="{left - 6}" y="{y(t) + 4:.1f}" text-anchor="end">{_e(tick)}</text>'
        )
    out.append(
        f'<text x="12" y="{top + ph / 2:.1f}" transform="rotate(-90 12 {top + ph / 2:.1f})" '
        f'text-anchor="middle">{_e(unit)}</text>'
    )
    for i, label in enumerate(labels):
        x = left + band * i + (band - bw) / 2
        up, down = 0.0, 0.0
        for name, color, values in bars:
            v = values[i]
            if v == 0:
                continue
            if v > 0:
                y0, y1 = y(up + v), y(up)
                up += v
            else:
                y0, y1 = y(down), y(down + v)
                down += v
            out.append(
                f'<rect x="{x:.1f}" y="{y0:.1f}" width="{bw:.1f}" height="{max(y1 - y0, 0.5):.1f}" '
                f'fill="{_e(color)}"><title>{_e(label)}, {_e(name)}: {_e(money(v))}</title></rect>'
            )
    for name, color, values in steps:
        path, pen_down = [], False
        for i, v in enumerate(values):
            if v is None:
                pen_down = False
                continue
            x0, x1 = left + band * i, left + band * (i + 1)
            path.append(f"{'L' if pen_down else 'M'}{x0:.1f} {y(v):.1f} H{x1:.1f}")
            pen_down = True
        if path:
            out.append(
                f'<path d="{" ".join(path)}" fill="none" stroke="{_e(color)}" stroke-width="2" '
                f'stroke-dasharray="6 4"><title>{_e(name)}</title></path>'
            )
    every = max(1, math.ceil(n / (6 if small else 14)))
    for i, label in enumerate(labels):
        if i % every:
            continue
        x = left + band * (i + 0.5)
        out.append(f'<text x="{x:.1f}" y="{top + ph + 16}" text-anchor="middle">{_e(label)}</text>')
    if x_title:
        out.append(
            f'<text x="{left + pw / 2:.1f}" y="{height - 6}" text-anchor="middle">'
            f"{_e(x_title)}</text>"
        )
    out.append("</svg>")
    return Markup("".join(out))


def xy_chart(
    lines: Lines,
    x_title: str,
    unit: str,
    bands: Bands,
    width: int = 1090,
    height: int = 300,
) -> Markup:
    """Lines through points on numeric axes, with shaded intervals (break-even points).
    At least one point must have a value."""
    xs = [x for _, _, pts, _ in lines for x, v in pts if v is not None]
    ys = [v for _, _, pts, _ in lines for _, v in pts if v is not None]
    left, right, top, bottom = 96, 16, 22, 46
    pw, ph = width - left - right, height - top - bottom
    x_lo, x_hi = min(xs), max(xs)
    pad = (x_hi - x_lo) * 0.04 or 1.0
    x_lo, x_hi = x_lo - pad, x_hi + pad
    y_lo, y_hi = min(ys), max(ys)
    spread = (y_hi - y_lo) or abs(y_hi) * 0.01 or 1.0
    y_lo, y_hi, ticks = nice_scale(y_lo - spread * 0.08, y_hi + spread * 0.08)

    def px(x: float) -> float:
        return left + pw * (x - x_lo) / (x_hi - x_lo)

    def py(v: float) -> float:
        return top + ph * (y_hi - v) / (y_hi - y_lo)

    out = [
        f'<svg viewBox="0 0 {width} {height}" style="max-width:{width}px" role="img" '
        f'aria-label="{_e(unit)} against {_e(x_title)}">'
    ]
    for a, b, label in bands:
        x0, x1 = px(min(a, b)), px(max(a, b))
        out.append(
            f'<rect x="{x0:.1f}" y="{top}" width="{max(x1 - x0, 2):.1f}" height="{ph}" '
            f'fill="#fbe3b5" opacity="0.75"><title>break-even {_e(label)}: between '
            f"{a:g} and {b:g}</title></rect>"
            f'<text x="{(x0 + x1) / 2:.1f}" y="{top - 6}" text-anchor="middle" '
            f'style="font-weight:600;fill:#8a5a00">{_e(label)}</text>'
        )
    for t, tick in zip(ticks, axis_labels(ticks), strict=True):
        out.append(
            f'<line x1="{left}" x2="{width - right}" y1="{py(t):.1f}" y2="{py(t):.1f}" '
            f'stroke="#e3e7ec"/><text x="{left - 6}" y="{py(t) + 4:.1f}" text-anchor="end">'
            f"{_e(tick)}</text>"
        )
    distinct = sorted(set(xs))
    x_ticks = distinct if len(distinct) <= 12 else nice_scale(min(xs), max(xs), 8)[2]
    for t in x_ticks:
        if x_lo <= t <= x_hi:
            out.append(
                f'<line x1="{px(t):.1f}" x2="{px(t):.1f}" y1="{top + ph}" y2="{top + ph + 4}" '
                f'stroke="#9aa5b1"/><text x="{px(t):.1f}" y="{top + ph + 17}" '
                f'text-anchor="middle">{t:g}</text>'
            )
    out.append(
        f'<line x1="{left}" x2="{width - right}" y1="{top + ph}" y2="{top + ph}" stroke="#9aa5b1"/>'
        f'<text x="{left + pw / 2:.1f}" y="{height - 6}" text-anchor="middle">{_e(x_title)}</text>'
        f'<text x="14" y="{top + ph / 2:.1f}" transform="rotate(-90 14 {top + ph / 2:.1f})" '
        f'text-anchor="middle">{_e(unit)}</text>'
    )
    for name, color, pts, dashed in lines:
        points = sorted((x, v) for x, v in pts if v is not None)
        dash = ' stroke-dasharray="7 5"' if dashed else ""  # it may lie on another line
        if len(points) > 1:
            coords = " ".join(f"{px(x):.1f},{py(v):.1f}" for x, v in points)
            out.append(
                f'<polyline points="{coords}" fill="none" stroke="{_e(color)}" '
                f'stroke-width="2"{dash}/>'
            )
        for x, v in points:
            out.append(
                f'<circle cx="{px(x):.1f}" cy="{py(v):.1f}" r="3.5" fill="{_e(color)}">'
                f"<title>{_e(name)} at {x:g}: {_e(money(v))}</title></circle>"
            )
    out.append("</svg>")
    return Markup("".join(out))
