"""The Coordination Gap report: one self-contained HTML file.

Inline CSS and inline SVG only: no script, no font, no stylesheet from anywhere, so
the file opens offline and can be attached to an issue or archived with a release.
Failing tasks sit in `<details>` elements: their verdicts and artifacts are one
click away.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from html import escape
from pathlib import Path
from typing import Any

from seamline.reliability import fmt, svg
from seamline.reliability.html_examples import examples_section
from seamline.reliability.html_style import CSS
from seamline.reliability.report import ModeReport, ReliabilityReport, SeamMetrics
from seamline.reliability.stats import Lift
from seamline.reliability.terminal import notes

__all__ = ["COLORS", "render_html", "write_html"]

COLORS = {
    "predicted": "#94a3b8",
    "shadow": "#f59e0b",
    "on": "#2563eb",
    "off": "#a855f7",
    "step": "#2563eb",
    "judge": "#14b8a6",
    "gates": "#cbd5e1",
}


def write_html(
    report: ReliabilityReport | ModeReport,
    path: str | Path,
    *,
    title: str | None = None,
    generated_at: float | None = None,
) -> Path:
    """Write the HTML report to `path` and return the path."""
    target = Path(path)
    html = render_html(report, title=title, generated_at=generated_at)
    target.write_text(html, encoding="utf-8")
    return target


def render_html(
    report: ReliabilityReport | ModeReport,
    *,
    title: str | None = None,
    generated_at: float | None = None,
) -> str:
    """The report as one HTML document (a string), with inline CSS and SVG charts."""
    if isinstance(report, ModeReport):
        report = ReliabilityReport((report,))
    pipelines = ", ".join(report.pipelines) or "pipeline"
    models = ", ".join(report.models)
    heading = title or f"Coordination Gap — {pipelines}" + (f" on {models}" if models else "")
    stamp = time.strftime(
        "%Y-%m-%d %H:%M UTC", time.gmtime(time.time() if generated_at is None else generated_at)
    )
    tasks = " · ".join(
        f"{m.end_to_end.tasks} {m.label} run{'' if m.end_to_end.tasks == 1 else 's'}"
        for m in report.modes
    )
    if models:
        tasks += f" · model{'s' if len(report.models) > 1 else ''}: {models}"
    said = "".join(f"<p class='note'>{escape(n)}</p>" for n in notes(report))
    parts = [
        f"<header><p class='eyebrow'>seamline reliability report</p><h1>{escape(heading)}</h1>"
        f"<p class='sub'>{escape(tasks or 'no runs')} · generated {escape(stamp)}</p>"
        f"{_headline(report)}{said}</header>"
    ]
    known = any(m.end_to_end.right is not None for m in report.modes)
    if report.modes:
        parts += [
            _kpis(report),
            _section(
                "End-to-end pass rate",
                (
                    "Share of tasks whose final artifacts match the expected ones (right), "
                    "next to the share that passed every gate, with 95% Wilson intervals. "
                    if known
                    else "Share of tasks that passed every gate, with 95% Wilson intervals. "
                )
                + "The predicted rate multiplies the first-pass yield of every seam: what "
                "you get if each seam's losses compound independently.",
                svg.pass_rates(_rate_bars(report), "End-to-end pass rate"),
            ),
            _section(
                "Where tasks are lost",
                "Cumulative share of work still on track after each seam. First pass: the "
                "product of first-pass yields so far (in shadow runs gates only watch, so "
                "this is the ungated pipeline). After gates: the product of each seam's "
                "eventual pass rate, once retries and re-routes had their turn. The last "
                "group is the measured end-to-end pass rate.",
                _funnel(report),
            ),
            _section(
                "Cost per successful task",
                "All model spend, failed tasks included, divided by the tasks that "
                + ("were right; " if known else "passed; ")
                + "split into the steps' own calls and the gates' judges.",
                _cost(report),
            ),
            _section("Per seam", "", _seam_table(report)),
        ]
        if any(s.scored for m in report.modes for s in m.seams):
            parts.append(
                _section(
                    "Correctness per seam",
                    "Against the expected artifacts. A unit is accepted when its gate's last "
                    "verdict passed it; the artifact judged is the step's last attempt, not "
                    "a reviewer's edit. Escaped: accepted but wrong. Caught: rejected and "
                    "wrong. False alarm: rejected but right.",
                    _correctness_table(report),
                )
            )
            checks = _checks_table(report)
            if checks:
                parts.append(
                    _section(
                        "Checks, against the expected artifacts",
                        f"In the {(report.gated or report.modes[-1]).label} runs, every "
                        "evaluation of an attempt whose task has an expected artifact. "
                        "Precision: of the attempts a check failed, the share that were wrong. "
                        "Recall: of the wrong attempts, the share it failed. Let through: "
                        "wrong attempts it passed.",
                        checks,
                    )
                )
        parts += [
            _section("End to end", "", _end_to_end_table(report)),
            examples_section(report, _pill),
        ]
    else:
        parts.append("<p class='empty'>No runs to report on.</p>")
    return (
        "<!doctype html>\n<html lang='en'><head><meta charset='utf-8'>"
        "<meta name='viewport' content='width=device-width, initial-scale=1'>"
        f"<title>{escape(heading)}</title><style>{CSS}</style></head>"
        f"<body><main>{''.join(parts)}<footer>seamline · every number here is derived from "
        "the runs' append-only event logs</footer></main></body></html>\n"
    )


def _headline(report: ReliabilityReport) -> str:
    """One sentence with the answer, for the reader who reads nothing else."""
    shadow, gated = report.shadow, report.gated
    if shadow is not None and gated is not None:
        before, after = shadow.end_to_end, gated.end_to_end
        if before.pass_rate is None or after.pass_rate is None:
            return ""
        gain = report.lift()
        what = "tasks right end to end" if after.right is not None else "the end-to-end pass rate"
        text = (
            f"Gates took {what} from <b>{fmt.pct(before.pass_rate)}</b> "
            f"(shadow: gates watching, not acting) to <b>{fmt.pct(after.pass_rate)}</b> "
            f"({_lift_text(gain)}); the seams' first-pass yields predicted "
            f"{fmt.pct(report.predicted)}."
        )
        if after.right is not None:
            text += (
                f" Passed every gate: {fmt.pct(before.gates_pass_rate)} shadow, "
                f"{fmt.pct(after.gates_pass_rate)} gated, of which "
                f"{after.escaped_defects} gated task{'s' if after.escaped_defects != 1 else ''} "
                "escaped wrong."
            )
        if after.cost_per_success and before.cost_per_success:
            text += (
                f" A successful task costs {fmt.usd(after.cost_per_success)} gated, "
                f"{fmt.usd(before.cost_per_success)} ungated."
            )
    elif report.modes:
        e = report.modes[0].end_to_end
        if e.right is not None:
            text = (
                f"{e.right} of {e.tasks} tasks right ({fmt.pct(e.pass_rate)}); {e.passed} passed "
                f"every gate, {e.escaped_defects} of them wrong; the seams' first-pass yields "
                f"predict {fmt.pct(e.predicted)}."
            )
        else:
            text = (
                f"{e.passed} of {e.tasks} tasks passed ({fmt.pct(e.pass_rate)}); the seams' "
                f"first-pass yields predict {fmt.pct(e.predicted)}."
            )
    else:
        return ""
    if report.modes and (worst := report.modes[-1].end_to_end.worst_seam) is not None:
        text += f" Most tasks are lost at <b>{escape(worst)}</b>."
    return f"<p class='headline'>{text}</p>"


def _lift_text(gain: Lift | None) -> str:
    if gain is None:
        return "–"
    return (
        f"{gain.difference * 100:+.1f} points, 95% CI {gain.interval.low * 100:+.1f} to "
        f"{gain.interval.high * 100:+.1f}"
    )


def _section(title: str, lede: str, body: str) -> str:
    lede_html = f"<p class='lede'>{escape(lede)}</p>" if lede else ""
    return f"<section><h2>{escape(title)}</h2>{lede_html}{body}</section>"


def _kpis(report: ReliabilityReport) -> str:
    cards = [
        _card(
            "Predicted",
            fmt.pct(report.predicted),
            "∏ first-pass yields",
            COLORS["predicted"],
        )
    ]
    for mode in report.modes:
        e = mode.end_to_end
        if e.right is not None:
            note = (
                f"{e.right} of {e.tasks} right · 95% CI {fmt.interval(e.interval)} · passed "
                f"every gate {fmt.pct(e.gates_pass_rate)}"
            )
            label = f"Right, {mode.label}"
        else:
            note = f"{e.passed} of {e.tasks} tasks · 95% CI {fmt.interval(e.interval)}"
            label = f"Measured, {mode.label}"
        cards.append(_card(label, fmt.pct(e.pass_rate), note, COLORS.get(mode.mode, "#64748b")))
    main = report.gated or report.modes[-1]
    e = main.end_to_end
    if e.escaped_defects is not None:
        accepted = (e.right_accepted or 0) + e.escaped_defects
        cards.append(
            _card(
                f"Escaped, {main.label}",
                f"{e.escaped_defects} of {accepted}",
                "tasks that passed every gate but were wrong",
                "#f59e0b",
            )
        )
    cards.append(
        _card(
            "Cost per successful task",
            fmt.usd(e.cost_per_success),
            f"{main.label} · {fmt.number(e.per_task(e.model_calls), 2)} model calls per task",
            COLORS["judge"],
        )
    )
    worst = e.worst_seam
    if worst is not None:
        lost = e.losses[0][1]
        cards.append(
            _card("Loses most tasks", worst, f"{lost} {main.label} tasks lost here", "#ef4444")
        )
    return f"<section class='kpis'>{''.join(cards)}</section>"


def _card(label: str, value: str, note: str, color: str) -> str:
    return (
        f"<div class='kpi' style='--accent:{color}'><div class='kpi-label'>{escape(label)}</div>"
        f"<div class='kpi-value'>{escape(value)}</div><div class='kpi-note'>{escape(note)}</div>"
        "</div>"
    )


def _rate_bars(report: ReliabilityReport) -> list[svg.RateBar]:
    bars = [svg.RateBar("Predicted", report.predicted, None, COLORS["predicted"], "∏ yields")]
    for mode in report.modes:
        e = mode.end_to_end
        color = COLORS.get(mode.mode, "#64748b")
        if e.right is not None:
            bars.append(
                svg.RateBar(
                    f"{mode.label.capitalize()}: right",
                    e.pass_rate,
                    e.interval,
                    color,
                    f"{e.right}/{e.tasks} right",
                )
            )
            bars.append(
                svg.RateBar(
                    f"{mode.label.capitalize()}: passed gates",
                    e.gates_pass_rate,
                    e.gates_interval,
                    COLORS["gates"],
                    f"{e.passed}/{e.tasks} passed",
                )
            )
        else:
            bars.append(
                svg.RateBar(
                    mode.label.capitalize(),
                    e.pass_rate,
                    e.interval,
                    color,
                    f"{e.passed}/{e.tasks} tasks",
                )
            )
    return bars


def _funnel(report: ReliabilityReport) -> str:
    steps = list(dict.fromkeys(s.step for m in report.modes for s in m.seams))
    base = report.shadow or report.mode("off") or report.modes[0]
    gated = report.gated
    ungated = base is not gated
    first_pass = _cumulative(steps, base.seams, lambda s: s.first_pass_yield)
    series = [
        svg.Series(
            f"first pass ({base.label}), then measured" if ungated else "first pass",
            COLORS.get(base.mode, COLORS["predicted"]) if ungated else COLORS["predicted"],
            [*first_pass, base.end_to_end.pass_rate if ungated else None],
        )
    ]
    if gated is not None:
        eventual = _cumulative(
            steps, gated.seams, lambda s: s.passed_units / s.units if s.units else None
        )
        series.append(
            svg.Series(
                "after gates (gated), then measured",
                COLORS["on"],
                [*eventual, gated.end_to_end.pass_rate],
            )
        )
    return svg.funnel(steps, series, "Per-seam funnel", total="measured")


def _cumulative(
    steps: Sequence[str], seams: Sequence[SeamMetrics], rate: Any
) -> list[float | None]:
    by_step = {s.step: s for s in seams}
    out: list[float | None] = []
    running = 1.0
    for step in steps:
        seam = by_step.get(step)
        value = rate(seam) if seam is not None else None
        if value is None:
            out.append(None)
            continue
        running *= value
        out.append(running)
    return out


def _cost(report: ReliabilityReport) -> str:
    rows = []
    for mode in report.modes:
        e = mode.end_to_end
        judge = sum(s.judge_cost_usd for s in mode.seams)
        step_per = e.per_success(e.cost_usd - judge)
        judge_per = e.per_success(judge)
        segments = []
        if step_per is not None and judge_per is not None:
            segments = [
                svg.Segment("step calls", step_per, COLORS["step"]),
                svg.Segment("judges", judge_per, COLORS["judge"]),
            ]
        rows.append((mode.label, segments))
    return svg.stacked(rows, "Cost per successful task")


# (header, cell, shown): optional columns appear only when some seam has a count.
_COLUMNS: list[tuple[str, Callable[[SeamMetrics], str], Callable[[SeamMetrics], bool]]] = [
    ("units", lambda s: str(s.units), lambda s: True),
    ("first-pass yield", lambda s: _meter(s.first_pass_yield), lambda s: True),
    (
        "catches",
        lambda s: (
            f"{s.catches} <small>{fmt.pct(s.catch_rate, 0)}</small>" if s.evaluations else "–"
        ),
        lambda s: True,
    ),
    ("retries to pass", lambda s: escape(fmt.number(s.retries_to_pass, 2)), lambda s: True),
    ("escalated", lambda s: str(s.escalations), lambda s: s.escalations > 0),
    ("gate errors", lambda s: str(s.gate_errors), lambda s: s.gate_errors > 0),
    (
        "judges skipped",
        lambda s: (
            str(s.judges_skipped)
            + (
                f" <small>saved {fmt.usd(s.judge_cost_saved_usd)}</small>"
                if s.judge_cost_saved_usd
                else ""
            )
        ),
        lambda s: s.judges_skipped > 0,
    ),
    (
        "false rejections",
        lambda s: str(s.false_rejections),
        lambda s: s.false_rejections > 0 and not s.scored,
    ),
    ("model calls", lambda s: str(s.model_calls), lambda s: True),
    ("tokens", lambda s: escape(fmt.number(s.input_tokens + s.output_tokens)), lambda s: True),
    ("cost", lambda s: escape(fmt.usd(s.cost_usd)), lambda s: True),
    ("model time", lambda s: escape(fmt.seconds(s.seconds)), lambda s: True),
]


def _seam_table(report: ReliabilityReport) -> str:
    seams = [s for m in report.modes for s in m.seams]
    columns = [(name, cell) for name, cell, shown in _COLUMNS if any(shown(s) for s in seams)]
    return _per_seam_rows(report, columns)


def _pill(mode: ModeReport) -> str:
    return f"<span class='pill {escape(mode.mode)}'>{escape(mode.label)}</span>"


def _meter(value: float | None) -> str:
    if value is None:
        return "–"
    return (
        f"<span class='meter'><span style='width:{value * 100:.1f}%'></span></span>"
        f"{escape(fmt.pct(value))}"
    )


def _per_seam_rows(
    report: ReliabilityReport, columns: list[tuple[str, Any]], keep: Any = lambda s: True
) -> str:
    several = len(report.modes) > 1
    head = (
        "<tr><th>seam</th>"
        + ("<th class='mode'>mode</th>" if several else "")
        + "".join(f"<th>{escape(name)}</th>" for name, _ in columns)
        + "</tr>"
    )
    rows = []
    steps = dict.fromkeys(s.step for m in report.modes for s in m.seams if keep(s))
    for step in steps:
        for n, mode in enumerate(report.modes):
            seam = next((s for s in mode.seams if s.step == step), None)
            cls = " class='group'" if n == 0 else ""
            name = f"<th scope='row'>{escape(step)}</th>" if n == 0 else "<td></td>"
            mode_cell = f"<td class='mode'>{_pill(mode)}</td>" if several else ""
            cells = [cell(seam) for _, cell in columns] if seam else ["–"] * len(columns)
            rows.append(
                f"<tr{cls}>{name}{mode_cell}" + "".join(f"<td>{c}</td>" for c in cells) + "</tr>"
            )
    return _table(head, "".join(rows))


def _of(count: int, total: int) -> str:
    if not total:
        return "–"
    return f"{count} <small>of {total} · {fmt.pct(count / total, 0)}</small>"


def _correctness_table(report: ReliabilityReport) -> str:
    def gated(s: SeamMetrics, text: str) -> str:
        return text if s.gated else "–"

    columns: list[tuple[str, Any]] = [
        ("scored", lambda s: str(s.scored)),
        ("right", lambda s: _of(s.right, s.scored)),
        ("right and accepted", lambda s: gated(s, _of(s.right_accepted, s.scored))),
        ("escaped (of accepted)", lambda s: gated(s, _of(s.escaped_defects or 0, s.accepted))),
        ("caught", lambda s: gated(s, str(s.caught))),
        ("false alarms", lambda s: gated(s, str(s.false_alarms))),
    ]
    return _per_seam_rows(report, columns, keep=lambda s: s.scored > 0)


def _checks_table(report: ReliabilityReport) -> str:
    """Per check of each seam, for the gated runs (or the only mode run)."""
    mode = report.gated or report.modes[-1]
    head = (
        "<tr><th>seam</th><th class='name'>check</th><th>evaluated</th><th>flagged</th>"
        "<th>precision</th><th>recall</th><th>let through</th></tr>"
    )
    rows = []
    for seam in mode.seams:
        for n, c in enumerate(seam.checks):
            name = f"<b>{escape(c.name)}</b>" if c.kind == "gate" else escape(c.name)
            step = f"<th scope='row'>{escape(c.step)}</th>" if n == 0 else "<td></td>"
            rows.append(
                f"<tr{' class=group' if n == 0 else ''}>{step}"
                f"<td class='name'>{name} <small>{escape(c.kind)}</small></td>"
                f"<td>{c.evaluated}</td><td>{c.flagged}</td><td>{_meter(c.precision)}</td>"
                f"<td>{_meter(c.recall)}</td><td>{c.false_negatives}</td></tr>"
            )
    return _table(head, "".join(rows), "checks") if rows else ""


def _rate(count: int | None, total: int, interval: Any) -> str:
    if count is None or not total:
        return "–"
    return f"{count} / {total} ({fmt.pct(count / total)}) · {fmt.interval(interval)}"


def _end_to_end_table(report: ReliabilityReport) -> str:
    modes = report.modes
    e2e = [m.end_to_end for m in modes]
    with_lift = report.shadow is not None and report.gated is not None
    known = any(e.right is not None for e in e2e)
    head = (
        "<tr><th></th>"
        + "".join(f"<th>{_pill(m)}</th>" for m in modes)
        + ("<th>gated − shadow</th>" if with_lift else "")
    )
    rows: list[tuple[str, list[str], str]] = []
    if known:
        rows += [
            (
                "result right (matches expected)",
                [_rate(e.right, e.tasks, e.interval) for e in e2e],
                _lift_text(report.lift()),
            ),
            (
                "right with no person's help",
                [_rate(e.right_unaided, e.tasks, e.right_unaided_interval) for e in e2e],
                _lift_text(report.lift("right_unaided")),
            ),
        ]
    rows.append(
        (
            "passed every gate",
            [_rate(e.passed, e.tasks, e.gates_interval) for e in e2e],
            _lift_text(report.lift("passed")),
        )
    )
    if known:
        rows += [
            ("passed every gate, right", [str(e.right_accepted) for e in e2e], ""),
            ("passed every gate, wrong (escaped)", [str(e.escaped_defects) for e in e2e], ""),
            ("stopped by a gate, wrong (caught)", [str(e.caught) for e in e2e], ""),
            ("stopped by a gate, right (false alarm)", [str(e.false_alarms) for e in e2e], ""),
        ]
    rows += [
        ("predicted (∏ first-pass yields)", [fmt.pct(e.predicted) for e in e2e], ""),
        ("escalated to a person", [str(e.escalated) for e in e2e], ""),
        (
            "waiting for a person",
            [f"{e.waiting} ({e.pending_approvals} pending)" if e.waiting else "0" for e in e2e],
            "",
        ),
        (
            "reviewer decisions",
            [", ".join(f"{n} {kind}" for kind, n in e.decisions) or "0" for e in e2e],
            "",
        ),
        ("model calls per task", [fmt.number(e.per_task(e.model_calls), 2) for e in e2e], ""),
        ("model time per task", [fmt.seconds(e.per_task(e.model_seconds)) for e in e2e], ""),
        (
            "wall time per task (not waiting)",
            [fmt.seconds(e.per_task(e.wall_seconds)) for e in e2e],
            "",
        ),
        (
            "waiting for a person per task",
            [fmt.seconds(e.per_task(e.waiting_seconds)) for e in e2e],
            "",
        ),
        ("cost per successful task", [fmt.usd(e.cost_per_success) for e in e2e], ""),
        (
            "tasks lost, by seam",
            [", ".join(f"{k} ({v})" for k, v in e.losses) or "–" for e in e2e],
            "",
        ),
    ]
    body = "".join(
        f"<tr><th scope='row'>{escape(name)}</th>"
        + "".join(f"<td>{escape(c)}</td>" for c in cells)
        + (f"<td>{escape(gain)}</td>" if with_lift else "")
        + "</tr>"
        for name, cells, gain in rows
    )
    return _table(head + "</tr>", body, "e2e")


def _table(head: str, body: str, cls: str = "") -> str:
    return (
        f"<div class='scroll'><table class='{cls}'><thead>{head}</thead>"
        f"<tbody>{body}</tbody></table></div>"
    )
