"""Inline SVG charts for the HTML report: no plotting library, no script, no network.

Each function returns one `<svg>` element sized by its `viewBox`, so it scales with
the page. Text is escaped; colours come from the caller.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from html import escape

from seamline.reliability import fmt
from seamline.reliability.stats import Interval

FONT = 'font-family="inherit"'
AXIS = "#cbd5e1"
INK = "#0f172a"
MUTED = "#64748b"


@dataclass(frozen=True, slots=True)
class Series:
    """One line of bars: a label, a colour, and a value per category (None: no data)."""

    label: str
    color: str
    values: Sequence[float | None]


@dataclass(frozen=True, slots=True)
class RateBar:
    label: str
    value: float | None
    interval: Interval | None
    color: str
    note: str = ""


@dataclass(frozen=True, slots=True)
class Segment:
    label: str
    value: float
    color: str


def _svg(width: int, height: int, body: list[str], title: str) -> str:
    return (
        f'<svg class="chart" viewBox="0 0 {width} {height}" width="100%" role="img" '
        f'aria-label="{escape(title)}" '
        f'preserveAspectRatio="xMinYMin meet">'
        f"<title>{escape(title)}</title>{''.join(body)}</svg>"
    )


def _text(
    x: float,
    y: float,
    text: str,
    *,
    anchor: str = "start",
    size: int = 12,
    color: str = INK,
    weight: int = 400,
) -> str:
    return (
        f'<text x="{x:.1f}" y="{y:.1f}" text-anchor="{anchor}" font-size="{size}" '
        f'fill="{color}" font-weight="{weight}" {FONT}>{escape(text)}</text>'
    )


def funnel(
    categories: Sequence[str], series: Sequence[Series], title: str, *, total: str | None = None
) -> str:
    """Grouped vertical bars per category, 0-100%, with a value label on each bar.

    With `total`, the series carry one more value: a final group set apart by a rule.
    """
    if total is not None:
        categories = [*categories, total]
    width, height = 760, 300
    left, right, top, bottom = 44, 16, 34, 56
    plot_w, plot_h = width - left - right, height - top - bottom
    body: list[str] = []
    for tick in (0, 0.25, 0.5, 0.75, 1.0):
        y = top + plot_h * (1 - tick)
        body.append(
            f'<line x1="{left}" x2="{width - right}" y1="{y:.1f}" y2="{y:.1f}" '
            f'stroke="{AXIS}" stroke-width="1" stroke-dasharray="{"0" if tick == 0 else "3 3"}"/>'
        )
        body.append(_text(left - 6, y + 4, f"{tick:.0%}", anchor="end", size=11, color=MUTED))
    n = max(1, len(categories))
    group_w = plot_w / n
    bar_w = min(46.0, group_w * 0.8 / max(1, len(series)))
    for i, category in enumerate(categories):
        x0 = left + group_w * i + (group_w - bar_w * len(series)) / 2
        for j, s in enumerate(series):
            value = s.values[i] if i < len(s.values) else None
            x = x0 + j * bar_w
            if value is None:
                continue
            h = plot_h * max(0.0, min(1.0, value))
            body.append(
                f'<rect class="bar" x="{x + 2:.1f}" y="{top + plot_h - h:.1f}" '
                f'width="{bar_w - 4:.1f}" height="{max(h, 1.0):.1f}" rx="3" fill="{s.color}">'
                f"<title>{escape(f'{s.label}, {category}: {value:.1%}')}</title></rect>"
            )
            body.append(
                _text(
                    x + bar_w / 2,
                    top + plot_h - h - 5,
                    fmt.pct(value, 0),
                    anchor="middle",
                    size=11,
                    color=INK,
                    weight=600,
                )
            )
        label = category if len(category) <= 16 else category[:15] + "…"
        if total is not None and i == n - 1:  # the measured group, set apart
            rule = left + group_w * i
            body.append(
                f'<line x1="{rule:.1f}" x2="{rule:.1f}" y1="{top - 12}" '
                f'y2="{height - bottom + 24}" stroke="{MUTED}" stroke-dasharray="4 4"/>'
            )
        body.append(
            _text(
                left + group_w * (i + 0.5),
                height - bottom + 18,
                label,
                anchor="middle",
                size=12,
                weight=600,
            )
        )
    body += _legend(series, left, height - 14)
    return _svg(width, height, body, title)


def _legend(series: Sequence[Series | Segment | RateBar], x: float, y: float) -> list[str]:
    out: list[str] = []
    for s in series:
        out.append(
            f'<rect x="{x:.1f}" y="{y - 10:.1f}" width="12" height="12" rx="2" fill="{s.color}"/>'
        )
        out.append(_text(x + 17, y, s.label, size=12, color=MUTED))
        x += 30 + 7 * len(s.label)
    return out


def pass_rates(bars: Sequence[RateBar], title: str) -> str:
    """Horizontal bars 0-100% with 95% interval whiskers."""
    row_h, left, right, top = 44, 190, 70, 12
    width = 760
    height = top + row_h * len(bars) + 30
    plot_w = width - left - right
    body: list[str] = []
    for tick in (0, 0.25, 0.5, 0.75, 1.0):
        x = left + plot_w * tick
        body.append(
            f'<line x1="{x:.1f}" x2="{x:.1f}" y1="{top}" y2="{height - 26}" stroke="{AXIS}" '
            f'stroke-dasharray="{"0" if tick == 0 else "3 3"}"/>'
        )
        body.append(_text(x, height - 10, f"{tick:.0%}", anchor="middle", size=11, color=MUTED))
    for i, bar in enumerate(bars):
        y = top + row_h * i + 8
        body.append(_text(left - 12, y + 17, bar.label, anchor="end", size=13, weight=600))
        if bar.note:
            body.append(_text(left - 12, y + 31, bar.note, anchor="end", size=11, color=MUTED))
        if bar.value is None:
            body.append(_text(left + 6, y + 18, "no runs", size=12, color=MUTED))
            continue
        w = plot_w * bar.value
        body.append(
            f'<rect class="bar" x="{left}" y="{y + 4:.1f}" width="{max(w, 1.0):.1f}" height="20" '
            f'rx="3" fill="{bar.color}"><title>{escape(bar.label)}: {bar.value:.1%}</title></rect>'
        )
        end = w
        if bar.interval is not None:
            lo, hi = left + plot_w * bar.interval.low, left + plot_w * bar.interval.high
            mid = y + 14
            body.append(
                f'<g class="whisker" stroke="{INK}" stroke-width="1.6">'
                f'<line x1="{lo:.1f}" x2="{hi:.1f}" y1="{mid:.1f}" y2="{mid:.1f}"/>'
                f'<line x1="{lo:.1f}" x2="{lo:.1f}" y1="{mid - 7:.1f}" y2="{mid + 7:.1f}"/>'
                f'<line x1="{hi:.1f}" x2="{hi:.1f}" y1="{mid - 7:.1f}" y2="{mid + 7:.1f}"/></g>'
            )
            end = hi - left
        body.append(_text(left + end + 8, y + 18, fmt.pct(bar.value), size=13, weight=700))
    return _svg(width, height, body, title)


def stacked(rows: Sequence[tuple[str, Sequence[Segment]]], title: str) -> str:
    """Horizontal stacked bars (e.g. cost per successful task split by kind of call)."""
    row_h, left, right, top = 40, 190, 90, 10
    width = 760
    height = top + row_h * len(rows) + 34
    plot_w = width - left - right
    peak = max((sum(s.value for s in segs) for _, segs in rows), default=0.0) or 1.0
    body: list[str] = []
    legend: dict[str, Segment] = {}
    for i, (label, segments) in enumerate(rows):
        y = top + row_h * i + 6
        body.append(_text(left - 12, y + 17, label, anchor="end", size=13, weight=600))
        x = float(left)
        total = sum(s.value for s in segments)
        for seg in segments:
            legend.setdefault(seg.label, seg)
            w = plot_w * seg.value / peak
            if w <= 0:
                continue
            body.append(
                f'<rect class="bar" x="{x:.1f}" y="{y + 4:.1f}" width="{w:.1f}" height="20" '
                f'fill="{seg.color}"><title>{escape(seg.label)}: {fmt.usd(seg.value)}</title>'
                "</rect>"
            )
            x += w
        text = fmt.usd(total) if segments else "no successful task"
        body.append(_text(x + 8, y + 18, text, size=13, weight=700))
    body += _legend(list(legend.values()), left, height - 8)
    return _svg(width, height, body, title)
