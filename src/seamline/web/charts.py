"""Inline SVG for the pages: a run's graph, and pass rates over time. No script, no network."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from html import escape

from seamline.reliability.stats import Interval
from seamline.runtime.shape import StepShape

STATUS_COLORS = {
    "done": "#16a34a",
    "skipped": "#94a3b8",
    "waiting": "#d97706",
    "running": "#2563eb",
    "failed": "#dc2626",
    "stopped": "#64748b",
    "not started": "#cbd5e1",
}
_NODE_W, _NODE_H, _GAP_X, _GAP_Y = 210, 54, 56, 22


@dataclass(frozen=True, slots=True)
class Node:
    name: str
    status: str
    attempts: int
    gate: bool
    approval: bool
    map: bool


def run_graph(shape: Mapping[str, StepShape], nodes: Sequence[Node], inputs: Sequence[str]) -> str:
    """The run's steps left to right by data flow, each coloured by its status; an edge
    per parameter that reads another step or an input. Each node links to its section."""
    depth: dict[str, int] = {name: 0 for name in inputs}

    def depth_of(name: str, seen: frozenset[str] = frozenset()) -> int:
        if name in depth:
            return depth[name]
        if name in seen or name not in shape:
            return 0
        reads = [r for r in shape[name].reads if r in shape or r in inputs]
        d = 1 + max((depth_of(r, seen | {name}) for r in reads), default=0)
        depth[name] = d
        return d

    for node in nodes:
        depth_of(node.name)
    columns: dict[int, list[str]] = {}
    for name in [*inputs, *(n.name for n in nodes)]:
        columns.setdefault(depth.get(name, 0), []).append(name)
    position: dict[str, tuple[float, float]] = {}
    for d, names in columns.items():
        for row, name in enumerate(names):
            position[name] = (10 + d * (_NODE_W + _GAP_X), 10 + row * (_NODE_H + _GAP_Y))
    width = 20 + (max(columns, default=0) + 1) * (_NODE_W + _GAP_X) - _GAP_X
    height = 20 + max((len(c) for c in columns.values()), default=1) * (_NODE_H + _GAP_Y) - _GAP_Y
    body: list[str] = [
        '<defs><marker id="arrow" viewBox="0 0 10 10" refX="10" refY="5" markerWidth="7" '
        'markerHeight="7" orient="auto-start-reverse"><path d="M 0 0 L 10 5 L 0 10 z" '
        'fill="#94a3b8"/></marker></defs>'
    ]
    for node in nodes:
        x2, y2 = position[node.name]
        for read in shape[node.name].reads if node.name in shape else ():
            if read in position:
                x1, y1 = position[read]
                body.append(
                    f'<path d="M {x1 + _NODE_W:.0f} {y1 + _NODE_H / 2:.0f} C {x1 + _NODE_W + 30:.0f} '
                    f"{y1 + _NODE_H / 2:.0f}, {x2 - 30:.0f} {y2 + _NODE_H / 2:.0f}, {x2:.0f} "
                    f'{y2 + _NODE_H / 2:.0f}" fill="none" stroke="#94a3b8" stroke-width="1.5" '
                    'marker-end="url(#arrow)"/>'
                )
    for name in inputs:
        x, y = position[name]
        body.append(
            f'<rect x="{x:.0f}" y="{y + 10:.0f}" width="{_NODE_W}" height="{_NODE_H - 20}" rx="17" '
            f'fill="#f1f5f9" stroke="#cbd5e1"/><text x="{x + _NODE_W / 2:.0f}" y="{y + _NODE_H / 2 + 4:.0f}" '
            f'text-anchor="middle" font-size="12" fill="#475569">input: {escape(name)}</text>'
        )
    for node in nodes:
        x, y = position[node.name]
        color = STATUS_COLORS.get(node.status, "#64748b")
        marks = " ".join(
            m
            for m, on in (("gate", node.gate), ("approval", node.approval), ("map", node.map))
            if on
        )
        tries = f"{node.attempts} attempt{'s' if node.attempts != 1 else ''}"
        body.append(
            f'<a href="#step-{escape(node.name)}" class="node" data-step="{escape(node.name)}" '
            f'data-status="{escape(node.status)}"><rect x="{x:.0f}" y="{y:.0f}" width="{_NODE_W}" '
            f'height="{_NODE_H}" rx="8" fill="#fff" stroke="{color}" stroke-width="2.5"/>'
            f'<rect x="{x:.0f}" y="{y:.0f}" width="8" height="{_NODE_H}" rx="4" fill="{color}"/>'
            f'<text x="{x + 16:.0f}" y="{y + 21:.0f}" font-size="14" font-weight="600" '
            f'fill="#0f172a">{escape(node.name)}</text>'
            f'<text x="{x + 16:.0f}" y="{y + 40:.0f}" font-size="11" fill="#475569">'
            f"{escape(node.status)} · {tries}{' · ' + marks if marks else ''}</text>"
            f"<title>{escape(node.name)}: {escape(node.status)}, {tries}</title></a>"
        )
    return (
        f'<svg class="graph" viewBox="0 0 {width:.0f} {height:.0f}" width="{width:.0f}" '
        f'role="img" aria-label="the run\'s graph">{"".join(body)}</svg>'
    )


@dataclass(frozen=True, slots=True)
class Point:
    label: str  # the bucket, e.g. a date
    value: float | None
    interval: Interval | None
    n: int


def trend(series: Mapping[str, Sequence[Point]], colors: Mapping[str, str], title: str) -> str:
    """Pass rate per bucket, one line per series, with its 95% interval as a band."""
    labels = sorted({p.label for points in series.values() for p in points})
    if not labels:
        return '<p class="muted">no finished runs yet</p>'
    left, top, width, height = 48, 14, 760, 240
    plot_w, plot_h = width - left - 16, height - top - 40
    step = plot_w / max(len(labels) - 1, 1)

    def x(label: str) -> float:
        return left + (labels.index(label) * step if len(labels) > 1 else plot_w / 2)

    def y(value: float) -> float:
        return top + plot_h * (1 - value)

    body: list[str] = []
    for tick in (0, 0.25, 0.5, 0.75, 1.0):
        body.append(
            f'<line x1="{left}" x2="{left + plot_w}" y1="{y(tick):.1f}" y2="{y(tick):.1f}" '
            f'stroke="#e2e8f0"/><text x="{left - 6}" y="{y(tick) + 4:.1f}" font-size="11" '
            f'text-anchor="end" fill="#64748b">{tick:.0%}</text>'
        )
    every = max(1, len(labels) // 8)
    for i, label in enumerate(labels):
        if i % every == 0:
            body.append(
                f'<text x="{x(label):.1f}" y="{height - 18}" font-size="11" text-anchor="middle" '
                f'fill="#64748b">{escape(label)}</text>'
            )
    for name, points in series.items():
        color = colors.get(name, "#334155")
        known = [p for p in points if p.value is not None]
        band = [p for p in known if p.interval is not None]
        if len(band) > 1:
            upper = " ".join(
                f"{x(p.label):.1f},{y(p.interval.high):.1f}" for p in band if p.interval
            )
            lower = " ".join(
                f"{x(p.label):.1f},{y(p.interval.low):.1f}" for p in reversed(band) if p.interval
            )
            body.append(f'<polygon points="{upper} {lower}" fill="{color}" opacity="0.15"/>')
        if len(known) > 1:
            line = " ".join(f"{x(p.label):.1f},{y(p.value or 0):.1f}" for p in known)
            body.append(
                f'<polyline points="{line}" fill="none" stroke="{color}" stroke-width="2"/>'
            )
        for p in known:
            note = f"{name} {p.label}: {p.value:.0%} of {p.n}"
            if p.interval is not None:
                note += f" [{p.interval.low:.0%}, {p.interval.high:.0%}]"
                body.append(
                    f'<line x1="{x(p.label):.1f}" x2="{x(p.label):.1f}" y1="{y(p.interval.low):.1f}" '
                    f'y2="{y(p.interval.high):.1f}" stroke="{color}" opacity="0.5"/>'
                )
            body.append(
                f'<circle cx="{x(p.label):.1f}" cy="{y(p.value or 0):.1f}" r="3.5" fill="{color}">'
                f"<title>{escape(note)}</title></circle>"
            )
    lx = left
    for name in series:
        body.append(
            f'<rect x="{lx}" y="{height - 10}" width="10" height="10" fill="{colors.get(name, "#334155")}"/>'
            f'<text x="{lx + 14}" y="{height - 1}" font-size="11" fill="#334155">{escape(name)}</text>'
        )
        lx += 30 + 7 * len(name)
    return (
        f'<svg class="chart" viewBox="0 0 {width} {height + 6}" width="100%" role="img" '
        f'aria-label="{escape(title)}"><title>{escape(title)}</title>{"".join(body)}</svg>'
    )
