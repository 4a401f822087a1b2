"""Number formatting shared by the terminal and HTML renderers."""

from __future__ import annotations

from seamline.reliability.stats import Interval

DASH = "–"


def pct(value: float | None, digits: int = 1) -> str:
    return DASH if value is None else f"{value * 100:.{digits}f}%"


def interval(value: Interval | None) -> str:
    return DASH if value is None else f"{value.low * 100:.0f}–{value.high * 100:.0f}%"


def usd(value: float | None) -> str:
    if value is None:
        return DASH
    if value == 0:
        return "$0"
    if abs(value) < 0.01:
        return f"${value:.5f}".rstrip("0")
    return f"${value:,.2f}"


def number(value: float | None, digits: int = 1) -> str:
    if value is None:
        return DASH
    if float(value).is_integer():
        return f"{int(value):,}"
    return f"{value:,.{digits}f}"


def seconds(value: float | None) -> str:
    if value is None:
        return DASH
    if value < 1:
        return f"{value * 1000:.0f} ms"
    if value < 10:
        return f"{value:.1f} s"
    if value < 120:
        return f"{value:.0f} s"
    return f"{value / 60:.1f} min"
