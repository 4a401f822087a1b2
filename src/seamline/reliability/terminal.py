"""The reliability report as a terminal table (rich), and as plain text for `str()`."""

from __future__ import annotations

import io
from collections.abc import Callable

from rich import box
from rich.console import Console, Group, RenderableType
from rich.table import Table
from rich.text import Text

from seamline.reliability import fmt
from seamline.reliability.report import EndToEnd, ModeReport, ReliabilityReport, SeamMetrics

__all__ = ["plain_text", "print_report", "render"]

_MODE_STYLE = {"shadow": "yellow", "on": "cyan", "off": "magenta"}
_SHORT = {"shadow": "shadow", "on": "gated", "off": "off"}


def render(report: ReliabilityReport | ModeReport) -> RenderableType:
    """A rich renderable: per-seam rows, then the end-to-end block, modes side by side."""
    modes = report.modes if isinstance(report, ReliabilityReport) else (report,)
    if not modes:
        return Text("no runs to report on", style="dim")
    return Group(_seam_table(modes), _end_to_end_table(modes))


def print_report(report: ReliabilityReport | ModeReport, console: Console | None = None) -> None:
    """Print the report to the terminal (or to `console`)."""
    (console or Console()).print(render(report))


def plain_text(report: ReliabilityReport | ModeReport, width: int = 140) -> str:
    """The terminal table without colour: what `str(report)` gives."""
    buffer = io.StringIO()
    console = Console(file=buffer, width=width, color_system=None, force_terminal=False)
    console.print(render(report))
    return "\n".join(line.rstrip() for line in buffer.getvalue().splitlines()).strip("\n") + "\n"


# (header, cell, shown) per optional column; a column nobody needs is left out.
_COLUMNS: list[tuple[str, Callable[[SeamMetrics], str], Callable[[SeamMetrics], bool]]] = [
    ("units", lambda s: str(s.units), lambda s: True),
    ("first\npass", lambda s: fmt.pct(s.first_pass_yield), lambda s: True),
    (
        "catches",
        lambda s: f"{s.catches} ({fmt.pct(s.catch_rate, 0)})" if s.evaluations else fmt.DASH,
        lambda s: True,
    ),
    ("retries\nto pass", lambda s: fmt.number(s.retries_to_pass, 2), lambda s: True),
    ("escal-\nated", lambda s: str(s.escalations), lambda s: s.escalations > 0),
    ("gate\nerrors", lambda s: str(s.gate_errors), lambda s: s.gate_errors > 0),
    ("judges\nskipped", lambda s: str(s.judges_skipped), lambda s: s.judges_skipped > 0),
    ("false\nrejects", lambda s: str(s.false_rejections), lambda s: s.false_rejections > 0),
    (
        "escaped",
        lambda s: fmt.DASH if s.escaped_defects is None else str(s.escaped_defects),
        lambda s: s.escaped_defects is not None,
    ),
    ("cost", lambda s: fmt.usd(s.cost_usd), lambda s: True),
    ("model\ntime", lambda s: fmt.seconds(s.seconds), lambda s: True),
]


def _seam_table(modes: tuple[ModeReport, ...]) -> Table:
    several = len(modes) > 1
    pipelines = ", ".join(dict.fromkeys(p for m in modes for p in m.pipelines))
    table = Table(
        title=f"Reliability per seam{f' — {pipelines}' if pipelines else ''}",
        title_justify="left",
        box=box.SIMPLE_HEAD,
        show_edge=False,
        pad_edge=False,
    )
    table.add_column("seam", style="bold", no_wrap=True)
    if several:
        table.add_column("mode", no_wrap=True)
    all_seams = [s for m in modes for s in m.seams]
    columns = [c for c in _COLUMNS if any(c[2](s) for s in all_seams)]
    for header, _, _ in columns:
        table.add_column(header, justify="right", no_wrap=True)
    steps = list(dict.fromkeys(s.step for s in all_seams))
    for n, step in enumerate(steps):
        for mode in modes:
            seam = next((s for s in mode.seams if s.step == step), None)
            label = [step if mode is modes[0] else ""]
            if several:
                style = _MODE_STYLE.get(mode.mode, "")
                label.append(f"[{style}]{_SHORT.get(mode.mode, mode.mode)}[/]")
            cells = [cell(seam) for _, cell, _ in columns] if seam else [fmt.DASH] * len(columns)
            table.add_row(*label, *cells)
        if several and n < len(steps) - 1:
            table.add_section()
    return table


def _end_to_end_table(modes: tuple[ModeReport, ...]) -> Table:
    table = Table(
        title="End to end" if any(m.end_to_end.tasks != 1 for m in modes) else "The run",
        title_justify="left",
        box=box.SIMPLE_HEAD,
        show_edge=False,
        pad_edge=False,
    )
    table.add_column("", style="bold", no_wrap=True)
    for mode in modes:
        table.add_column(
            mode.label, justify="right", style=_MODE_STYLE.get(mode.mode), no_wrap=True
        )
    rows = _one_run_rows(modes) if all(m.end_to_end.tasks == 1 for m in modes) else _rows(modes)
    for name, cells in rows:
        table.add_row(name, *cells)
    return table


def _one_run_rows(modes: tuple[ModeReport, ...]) -> list[tuple[str, list[str]]]:
    def outcome(m: ModeReport) -> str:
        e = m.end_to_end
        if e.passed:
            return "passed"
        return f"did not pass (at {e.worst_seam})" if e.worst_seam else "did not pass"

    def total(m: ModeReport) -> EndToEnd:
        return m.end_to_end

    return [
        ("run status", [", ".join(s for s, _ in m.end_to_end.statuses) for m in modes]),
        ("task", [outcome(m) for m in modes]),
        ("predicted (∏ first-pass yields)", [fmt.pct(total(m).predicted) for m in modes]),
        ("model calls", [str(total(m).model_calls) for m in modes]),
        (
            "tokens",
            [fmt.number(total(m).input_tokens + total(m).output_tokens) for m in modes],
        ),
        ("cost", [fmt.usd(total(m).cost_usd) for m in modes]),
        ("model time", [fmt.seconds(total(m).model_seconds) for m in modes]),
        ("wall time", [fmt.seconds(total(m).wall_seconds) for m in modes]),
    ]


def _rows(modes: tuple[ModeReport, ...]) -> list[tuple[str, list[str]]]:
    rows: list[tuple[str, list[str]]] = [
        ("tasks passed", [_passed(m.end_to_end) for m in modes]),
        ("95% interval", [fmt.interval(m.end_to_end.interval) for m in modes]),
        ("predicted (∏ first-pass yields)", [fmt.pct(m.end_to_end.predicted) for m in modes]),
        ("escalated to a human", [str(m.end_to_end.escalated) for m in modes]),
    ]
    if any(s.judges_skipped for m in modes for s in m.seams):
        rows.append(("judges skipped (cost saved)", [_skipped(m) for m in modes]))
    if any(m.end_to_end.escaped_defects is not None for m in modes):
        rows.append(("escaped defects", [_opt(m.end_to_end.escaped_defects) for m in modes]))
    rows += [
        ("cost per successful task", [fmt.usd(m.end_to_end.cost_per_success) for m in modes]),
        ("model calls per success", [fmt.number(m.end_to_end.calls_per_success) for m in modes]),
        ("tokens per success", [fmt.number(m.end_to_end.tokens_per_success, 0) for m in modes]),
        ("model time per success", [fmt.seconds(m.end_to_end.seconds_per_success) for m in modes]),
        (
            "wall time per success",
            [fmt.seconds(m.end_to_end.wall_seconds_per_success) for m in modes],
        ),
        ("loses most tasks", [_worst(m.end_to_end) for m in modes]),
    ]
    return rows


def _skipped(mode: ModeReport) -> str:
    skipped = sum(s.judges_skipped for s in mode.seams)
    saved = sum(s.judge_cost_saved_usd for s in mode.seams)
    return f"{skipped} ({fmt.usd(saved)})"


def _passed(e: EndToEnd) -> str:
    return f"{e.passed}/{e.tasks} ({fmt.pct(e.pass_rate)})" if e.tasks else fmt.DASH


def _worst(e: EndToEnd) -> str:
    return f"{e.losses[0][0]} ({e.losses[0][1]})" if e.losses else fmt.DASH


def _opt(value: int | None) -> str:
    return fmt.DASH if value is None else str(value)
