"""The reliability report as a terminal table (rich), and as plain text for `str()`.

Tables, in order: per seam (yields, catches, retries, cost); with expected artifacts,
correctness per seam (right, accepted and right, escaped, caught, false alarms) and each
check's precision and recall; then end to end, modes side by side, with the gated lift
over shadow when both ran; then notes (runs waiting for a person, simulated reviewers).
"""

from __future__ import annotations

import io
from collections.abc import Callable

from rich import box
from rich.console import Console, Group, RenderableType
from rich.table import Table
from rich.text import Text

from seamline.reliability import fmt
from seamline.reliability.report import EndToEnd, ModeReport, ReliabilityReport, SeamMetrics
from seamline.reliability.stats import Interval, Lift

__all__ = ["notes", "plain_text", "print_report", "render"]

_MODE_STYLE = {"shadow": "yellow", "on": "cyan", "off": "magenta"}
_SHORT = {"shadow": "shadow", "on": "gated", "off": "off"}


def render(report: ReliabilityReport | ModeReport) -> RenderableType:
    """A rich renderable: seams, correctness and checks when known, then end to end."""
    full = report if isinstance(report, ReliabilityReport) else ReliabilityReport((report,))
    modes = full.modes
    if not modes:
        return Text("no runs to report on", style="dim")
    parts: list[RenderableType] = [_seam_table(modes)]
    if any(s.scored for m in modes for s in m.seams):
        parts.append(_correctness_table(modes))
        checks = _checks_table(modes)
        if checks is not None:
            parts.append(checks)
    parts.append(_end_to_end_table(full))
    said = notes(full)
    if said:
        parts.append(Text("\n".join(said), style="dim"))
    return Group(*parts)


def print_report(report: ReliabilityReport | ModeReport, console: Console | None = None) -> None:
    """Print the report to the terminal (or to `console`)."""
    (console or Console()).print(render(report))


def plain_text(report: ReliabilityReport | ModeReport, width: int = 140) -> str:
    """The terminal table without colour: what `str(report)` gives."""
    buffer = io.StringIO()
    console = Console(file=buffer, width=width, color_system=None, force_terminal=False)
    console.print(render(report))
    return "\n".join(line.rstrip() for line in buffer.getvalue().splitlines()).strip("\n") + "\n"


def notes(report: ReliabilityReport) -> list[str]:
    """What a reader must know to read the numbers right: waiting runs, simulated reviewers."""
    out = []
    for mode in report.modes:
        e = mode.end_to_end
        if e.waiting:
            out.append(
                f"{mode.label}: {e.waiting} run{'s' if e.waiting != 1 else ''} waiting for a person "
                f"({e.pending_approvals} approval{'s' if e.pending_approvals != 1 else ''} pending) "
                "are not counted as passed: decide them (seamline approvals) and re-run, or "
                "evaluate with --reviewer approve|expected."
            )
    simulated = [m for m in report.modes if m.end_to_end.simulated_decisions]
    if simulated:
        names = sorted({r for m in simulated for r in m.end_to_end.reviewers if "simulated" in r})
        out.append(
            "Reviewer decisions were simulated"
            + (f" ({', '.join(names)})" if names else "")
            + ": they stand in for a person, and are never counted as human agreement."
        )
    return out


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
    (
        "false\nrejects",
        lambda s: str(s.false_rejections),
        lambda s: s.false_rejections > 0 and not s.scored,
    ),
    ("model\ncalls", lambda s: str(s.model_calls), lambda s: s.model_calls > 0),
    ("cost", lambda s: fmt.usd(s.cost_usd), lambda s: True),
    ("model\ntime", lambda s: fmt.seconds(s.seconds), lambda s: True),
]


def _table(title: str) -> Table:
    return Table(
        title=title, title_justify="left", box=box.SIMPLE_HEAD, show_edge=False, pad_edge=False
    )


def _mode_label(mode: ModeReport) -> str:
    return f"[{_MODE_STYLE.get(mode.mode, '')}]{_SHORT.get(mode.mode, mode.mode)}[/]"


def _per_seam(
    modes: tuple[ModeReport, ...],
    title: str,
    columns: list[tuple[str, Callable[[SeamMetrics], str]]],
    keep: Callable[[SeamMetrics], bool] = lambda s: True,
) -> Table:
    several = len(modes) > 1
    table = _table(title)
    table.add_column("seam", style="bold", no_wrap=True)
    if several:
        table.add_column("mode", no_wrap=True)
    for header, _ in columns:
        table.add_column(header, justify="right", no_wrap=True)
    steps = list(dict.fromkeys(s.step for m in modes for s in m.seams if keep(s)))
    for n, step in enumerate(steps):
        for mode in modes:
            seam = next((s for s in mode.seams if s.step == step), None)
            label = [step if mode is modes[0] else ""]
            if several:
                label.append(_mode_label(mode))
            cells = [cell(seam) for _, cell in columns] if seam else [fmt.DASH] * len(columns)
            table.add_row(*label, *cells)
        if several and n < len(steps) - 1:
            table.add_section()
    return table


def _seam_table(modes: tuple[ModeReport, ...]) -> Table:
    pipelines = ", ".join(dict.fromkeys(p for m in modes for p in m.pipelines))
    all_seams = [s for m in modes for s in m.seams]
    columns = [(h, c) for h, c, shown in _COLUMNS if any(shown(s) for s in all_seams)]
    return _per_seam(
        modes, f"Reliability per seam{f' — {pipelines}' if pipelines else ''}", columns
    )


def _of(count: int, total: int) -> str:
    return (
        f"{count}/{total} ({fmt.pct(count / total if total else None, 0)})" if total else fmt.DASH
    )


def _correctness_table(modes: tuple[ModeReport, ...]) -> Table:
    def gated(s: SeamMetrics, text: str) -> str:
        return text if s.gated else fmt.DASH

    columns: list[tuple[str, Callable[[SeamMetrics], str]]] = [
        ("scored", lambda s: str(s.scored)),
        ("right", lambda s: _of(s.right, s.scored)),
        ("right &\naccepted", lambda s: gated(s, _of(s.right_accepted, s.scored))),
        ("escaped\n(of accepted)", lambda s: gated(s, _of(s.escaped_defects or 0, s.accepted))),
        ("caught", lambda s: gated(s, str(s.caught))),
        ("false\nalarms", lambda s: gated(s, str(s.false_alarms))),
    ]
    return _per_seam(
        modes,
        "Correctness per seam (against the expected artifacts; the last attempt's artifact)",
        columns,
        keep=lambda s: s.scored > 0,
    )


def _checks_table(modes: tuple[ModeReport, ...]) -> Table | None:
    mode = next((m for m in modes if m.mode == "on"), modes[-1])
    rows = [c for s in mode.seams for c in s.checks]
    if not rows:
        return None
    table = _table(f"Checks against the expected artifacts ({mode.label} runs, every attempt)")
    table.add_column("seam", no_wrap=True, style="bold")
    table.add_column("check")
    for header in ("evaluated", "flagged", "precision", "recall", "let\nthrough"):
        table.add_column(header, justify="right", no_wrap=True)
    last = None
    for c in rows:
        table.add_row(
            c.step if c.step != last else "",
            c.name,
            str(c.evaluated),
            str(c.flagged),
            fmt.pct(c.precision, 0),
            fmt.pct(c.recall, 0),
            str(c.false_negatives),
        )
        last = c.step
    return table


def _end_to_end_table(report: ReliabilityReport) -> Table:
    modes = report.modes
    one_run = all(m.end_to_end.tasks == 1 for m in modes)
    table = _table("The run" if one_run else "End to end")
    table.add_column("", style="bold", ratio=1)  # wraps first: the numbers stay whole
    for mode in modes:
        table.add_column(
            mode.label, justify="right", style=_MODE_STYLE.get(mode.mode), no_wrap=True
        )
    if one_run:
        for name, cells in _one_run_rows(modes):
            table.add_row(name, *cells)
        return table
    with_lift = report.shadow is not None and report.gated is not None
    if with_lift:
        table.add_column("gated−shadow", justify="right", no_wrap=True)
    for name, cells, gain in _rows(report):
        table.add_row(name, *cells, *([_lift(gain)] if with_lift else []))
    return table


def _lift(gain: Lift | None) -> str:
    """ "+33 pts [-29, +79]": the difference and its 95% interval, in points; `*` when the
    interval excludes zero."""
    if gain is None:
        return ""
    mark = "*" if gain.significant else ""
    low, high = gain.interval.low * 100, gain.interval.high * 100
    return f"{gain.difference * 100:+.0f} pts [{low:+.0f}, {high:+.0f}]{mark}"


def _rate(count: int | None, total: int, interval: Interval | None) -> str:
    """ "12/20 60% 39–78%": the count, the rate and its 95% interval."""
    if count is None or not total:
        return fmt.DASH
    return f"{count}/{total} {fmt.pct(count / total, 0)} {fmt.interval(interval)}"


def _one_run_rows(modes: tuple[ModeReport, ...]) -> list[tuple[str, list[str]]]:
    def outcome(m: ModeReport) -> str:
        e = m.end_to_end
        if e.waiting:
            where = ", ".join(step for step, _ in e.waiting_at)
            pending = f"{e.pending_approvals} approval{'s' if e.pending_approvals != 1 else ''}"
            return f"waiting for a person ({pending} pending{f' at {where}' if where else ''})"
        if e.right is not None:
            if e.right:
                return "right"
            return "wrong" + (" (passed every gate)" if e.passed else "")
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
        ("wall time (not waiting)", [fmt.seconds(total(m).wall_seconds) for m in modes]),
        ("waiting for a person", [fmt.seconds(total(m).waiting_seconds) for m in modes]),
    ]


def _rows(report: ReliabilityReport) -> list[tuple[str, list[str], Lift | None]]:
    modes = report.modes
    e2e = [m.end_to_end for m in modes]
    known = any(e.right is not None for e in e2e)
    rows: list[tuple[str, list[str], Lift | None]] = []
    if known:
        rows += [
            (
                "right (matches expected)",
                [_rate(e.right, e.tasks, e.interval) for e in e2e],
                report.lift("pass_rate"),
            ),
            (
                "  with no person's help",
                [_rate(e.right_unaided, e.tasks, e.right_unaided_interval) for e in e2e],
                report.lift("right_unaided"),
            ),
        ]
    rows.append(
        (
            "passed every gate",
            [_rate(e.passed, e.tasks, e.gates_interval) for e in e2e],
            report.lift("passed"),
        )
    )
    if known:
        rows += [
            ("  and right", [_opt(e.right_accepted) for e in e2e], None),
            ("  but wrong (escaped)", [_opt(e.escaped_defects) for e in e2e], None),
            ("stopped, wrong (caught)", [_opt(e.caught) for e in e2e], None),
            ("stopped, right (false alarm)", [_opt(e.false_alarms) for e in e2e], None),
        ]
    rows += [
        ("predicted (∏ first-pass)", [fmt.pct(e.predicted) for e in e2e], None),
        ("escalated to a person", [str(e.escalated) for e in e2e], None),
    ]
    if any(e.waiting for e in e2e):
        rows.append(("waiting for a person", [_waiting(e) for e in e2e], None))
    if any(e.decisions for e in e2e):
        rows.append(("reviewer decisions", [_decisions(e) for e in e2e], None))
    if any(s.judges_skipped for m in modes for s in m.seams):
        rows.append(("judges skipped (cost saved)", [_skipped(m) for m in modes], None))
    rows += [
        ("model calls per task", [fmt.number(e.per_task(e.model_calls), 2) for e in e2e], None),
        ("model time per task", [fmt.seconds(e.per_task(e.model_seconds)) for e in e2e], None),
        ("wall time per task", [fmt.seconds(e.per_task(e.wall_seconds)) for e in e2e], None),
    ]
    if any(e.waiting_seconds for e in e2e):
        rows.append(
            (
                "  + waiting for a person",
                [fmt.seconds(e.per_task(e.waiting_seconds)) for e in e2e],
                None,
            )
        )
    good = "right task" if known else "successful task"
    rows += [
        (f"cost per {good}", [fmt.usd(e.cost_per_success) for e in e2e], None),
        ("loses most tasks", [_worst(e) for e in e2e], None),
    ]
    return rows


def _waiting(e: EndToEnd) -> str:
    if not e.waiting:
        return "0"
    where = ", ".join(f"{step} {n}" for step, n in e.waiting_at)
    return f"{e.waiting} ({e.pending_approvals} pending: {where})"


def _decisions(e: EndToEnd) -> str:
    return ", ".join(f"{n} {kind}" for kind, n in e.decisions) or "0"


def _skipped(mode: ModeReport) -> str:
    skipped = sum(s.judges_skipped for s in mode.seams)
    saved = sum(s.judge_cost_saved_usd for s in mode.seams)
    return f"{skipped} ({fmt.usd(saved)})"


def _worst(e: EndToEnd) -> str:
    return f"{e.losses[0][0]} ({e.losses[0][1]})" if e.losses else fmt.DASH


def _opt(value: int | None) -> str:
    return fmt.DASH if value is None else str(value)
