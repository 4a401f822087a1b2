"""The Coordination Gap report: one self-contained HTML file.

Inline CSS and inline SVG only: no script, no font, no stylesheet from anywhere, so
the file opens offline and can be attached to an issue or archived with a release.
Failing tasks sit in `<details>` elements: their verdicts and artifacts are one
click away.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Sequence
from html import escape
from pathlib import Path
from typing import Any

from seamline.reliability import fmt, svg
from seamline.reliability.report import (
    ModeReport,
    ReliabilityReport,
    SeamMetrics,
    TaskExample,
    VerdictExample,
)

__all__ = ["COLORS", "render_html", "write_html"]

COLORS = {
    "predicted": "#94a3b8",
    "shadow": "#f59e0b",
    "on": "#2563eb",
    "off": "#a855f7",
    "step": "#2563eb",
    "judge": "#14b8a6",
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
    heading = title or f"Coordination Gap — {pipelines}"
    stamp = time.strftime(
        "%Y-%m-%d %H:%M UTC", time.gmtime(time.time() if generated_at is None else generated_at)
    )
    tasks = " · ".join(
        f"{m.end_to_end.tasks} {m.label} run{'' if m.end_to_end.tasks == 1 else 's'}"
        for m in report.modes
    )
    parts = [
        f"<header><p class='eyebrow'>seamline reliability report</p><h1>{escape(heading)}</h1>"
        f"<p class='sub'>{escape(tasks or 'no runs')} · generated {escape(stamp)}</p>"
        f"{_headline(report)}</header>"
    ]
    if report.modes:
        parts += [
            _kpis(report),
            _section(
                "End-to-end pass rate",
                "Share of tasks the pipeline got through, with 95% Wilson intervals. The "
                "predicted rate multiplies the first-pass yield of every seam: what you get "
                "if each seam's losses compound independently.",
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
                "All model spend, failed tasks included, divided by the tasks that passed; "
                "split into the steps' own calls and the gates' judges.",
                _cost(report),
            ),
            _section("Per seam", "", _seam_table(report)),
            _section("End to end", "", _end_to_end_table(report)),
            _examples(report),
        ]
    else:
        parts.append("<p class='empty'>No runs to report on.</p>")
    return (
        "<!doctype html>\n<html lang='en'><head><meta charset='utf-8'>"
        "<meta name='viewport' content='width=device-width, initial-scale=1'>"
        f"<title>{escape(heading)}</title><style>{_CSS}</style></head>"
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
        points = (after.pass_rate - before.pass_rate) * 100
        text = (
            f"Gates took the end-to-end pass rate from <b>{fmt.pct(before.pass_rate)}</b> "
            f"(shadow: gates watching, not acting) to <b>{fmt.pct(after.pass_rate)}</b> "
            f"({points:+.1f} points); the seams' first-pass yields predicted "
            f"{fmt.pct(report.predicted)}."
        )
        if after.cost_per_success and before.cost_per_success:
            text += (
                f" A successful task costs {fmt.usd(after.cost_per_success)} gated, "
                f"{fmt.usd(before.cost_per_success)} ungated."
            )
    elif report.modes:
        e = report.modes[0].end_to_end
        text = (
            f"{e.passed} of {e.tasks} tasks passed ({fmt.pct(e.pass_rate)}); the seams' "
            f"first-pass yields predict {fmt.pct(e.predicted)}."
        )
    else:
        return ""
    if report.modes and (worst := report.modes[-1].end_to_end.worst_seam) is not None:
        text += f" Most tasks are lost at <b>{escape(worst)}</b>."
    return f"<p class='headline'>{text}</p>"


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
        cards.append(
            _card(
                f"Measured, {mode.label}",
                fmt.pct(e.pass_rate),
                f"{e.passed} of {e.tasks} tasks · 95% CI {fmt.interval(e.interval)}",
                COLORS.get(mode.mode, "#64748b"),
            )
        )
    main = report.gated or report.modes[-1]
    cards.append(
        _card(
            "Cost per successful task",
            fmt.usd(main.end_to_end.cost_per_success),
            f"{main.label} · {fmt.number(main.end_to_end.calls_per_success)} model calls",
            COLORS["judge"],
        )
    )
    worst = main.end_to_end.worst_seam
    if worst is not None:
        lost = main.end_to_end.losses[0][1]
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
        bars.append(
            svg.RateBar(
                mode.label.capitalize(),
                e.pass_rate,
                e.interval,
                COLORS.get(mode.mode, "#64748b"),
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
    ("false rejections", lambda s: str(s.false_rejections), lambda s: s.false_rejections > 0),
    (
        "escaped defects",
        lambda s: "–" if s.escaped_defects is None else str(s.escaped_defects),
        lambda s: s.escaped_defects is not None,
    ),
    ("model calls", lambda s: str(s.model_calls), lambda s: True),
    ("tokens", lambda s: escape(fmt.number(s.input_tokens + s.output_tokens)), lambda s: True),
    ("cost", lambda s: escape(fmt.usd(s.cost_usd)), lambda s: True),
    ("model time", lambda s: escape(fmt.seconds(s.seconds)), lambda s: True),
]


def _seam_table(report: ReliabilityReport) -> str:
    several = len(report.modes) > 1
    seams = [s for m in report.modes for s in m.seams]
    columns = [c for c in _COLUMNS if any(c[2](s) for s in seams)]
    head = (
        "<tr><th>seam</th>"
        + ("<th class='mode'>mode</th>" if several else "")
        + "".join(f"<th>{escape(name)}</th>" for name, _, _ in columns)
        + "</tr>"
    )
    rows = []
    for step in dict.fromkeys(s.step for s in seams):
        for n, mode in enumerate(report.modes):
            seam = next((s for s in mode.seams if s.step == step), None)
            cls = " class='group'" if n == 0 else ""
            name = f"<th scope='row'>{escape(step)}</th>" if n == 0 else "<td></td>"
            mode_cell = f"<td class='mode'>{_pill(mode)}</td>" if several else ""
            cells = [cell(seam) for _, cell, _ in columns] if seam else ["–"] * len(columns)
            rows.append(
                f"<tr{cls}>{name}{mode_cell}" + "".join(f"<td>{c}</td>" for c in cells) + "</tr>"
            )
    return _table(head, "".join(rows))


def _pill(mode: ModeReport) -> str:
    return f"<span class='pill {escape(mode.mode)}'>{escape(mode.label)}</span>"


def _meter(value: float | None) -> str:
    if value is None:
        return "–"
    return (
        f"<span class='meter'><span style='width:{value * 100:.1f}%'></span></span>"
        f"{escape(fmt.pct(value))}"
    )


def _end_to_end_table(report: ReliabilityReport) -> str:
    modes = report.modes
    head = "<tr><th></th>" + "".join(f"<th>{_pill(m)}</th>" for m in modes)
    rows: list[tuple[str, list[str]]] = [
        ("tasks passed", [f"{m.end_to_end.passed} / {m.end_to_end.tasks}" for m in modes]),
        ("pass rate", [fmt.pct(m.end_to_end.pass_rate) for m in modes]),
        ("95% Wilson interval", [fmt.interval(m.end_to_end.interval) for m in modes]),
        ("predicted (∏ first-pass yields)", [fmt.pct(m.end_to_end.predicted) for m in modes]),
        ("escalated to a human", [str(m.end_to_end.escalated) for m in modes]),
        (
            "escaped defects",
            [
                "–" if m.end_to_end.escaped_defects is None else str(m.end_to_end.escaped_defects)
                for m in modes
            ],
        ),
        ("cost per successful task", [fmt.usd(m.end_to_end.cost_per_success) for m in modes]),
        ("model calls per success", [fmt.number(m.end_to_end.calls_per_success) for m in modes]),
        ("tokens per success", [fmt.number(m.end_to_end.tokens_per_success, 0) for m in modes]),
        ("model time per success", [fmt.seconds(m.end_to_end.seconds_per_success) for m in modes]),
        (
            "wall time per success",
            [fmt.seconds(m.end_to_end.wall_seconds_per_success) for m in modes],
        ),
        (
            "tasks lost, by seam",
            [", ".join(f"{k} ({v})" for k, v in m.end_to_end.losses) or "–" for m in modes],
        ),
    ]
    body = "".join(
        f"<tr><th scope='row'>{escape(name)}</th>"
        + "".join(f"<td>{escape(c)}</td>" for c in cells)
        + "</tr>"
        for name, cells in rows
    )
    return _table(head + "</tr>", body, "e2e")


def _table(head: str, body: str, cls: str = "") -> str:
    return (
        f"<div class='scroll'><table class='{cls}'><thead>{head}</thead>"
        f"<tbody>{body}</tbody></table></div>"
    )


def _examples(report: ReliabilityReport) -> str:
    blocks = []
    for mode in report.modes:
        if not mode.examples:
            continue
        items = "".join(_example(e, n) for n, e in enumerate(mode.examples, 1))
        shown = len(mode.examples)
        lost = mode.end_to_end.tasks - mode.end_to_end.passed
        blocks.append(
            f"<h3>{_pill(mode)} "
            f"{shown} example{'s' if shown != 1 else ''} "
            f"<small>({lost} failed task{'s' if lost != 1 else ''})</small></h3>{items}"
        )
    body = "".join(blocks) or "<p class='empty'>Every task passed. Nothing to show.</p>"
    return _section(
        "Failing tasks",
        "Tasks that did not pass, and tasks that passed every gate with a wrong artifact "
        "(escaped defects). Open one for its verdicts and artifacts.",
        body,
    )


def _example(task: TaskExample, n: int) -> str:
    first_reason = next((r for v in task.verdicts for r in v.reasons), task.error or "")
    where = f" · lost at <b>{escape(task.lost_at)}</b>" if task.lost_at else ""
    summary = (
        f"<summary><span class='badge {escape(task.outcome)}'>{escape(task.outcome)}</span>"
        f"<span class='run'>{escape(task.run_id or f'task {n}')}</span>"
        f"<span class='status'>{escape(task.status)}</span>{where}"
        f"<span class='reason'>{escape(_clip(first_reason, 110))}</span></summary>"
    )
    body = []
    if task.error:
        body.append(f"<p class='error'>{escape(task.error)}</p>")
    if task.mismatches:
        items = "".join(f"<li><code>{escape(m)}</code></li>" for m in task.mismatches)
        body.append(f"<div class='mismatch'><h4>Differs from expected</h4><ul>{items}</ul></div>")
    body += [_verdict(v) for v in task.verdicts]
    if task.reads:
        body.append(_reads(task.reads))
    if not body:
        body.append("<p class='empty'>No verdict failed in this run.</p>")
    return f"<details class='task'>{summary}<div class='task-body'>{''.join(body)}</div></details>"


def _verdict(v: VerdictExample) -> str:
    item = f"[{v.index}]" if v.index is not None else ""
    checks = "".join(
        f"<li class='check {escape(str(c.outcome))}'><span class='outcome'>{escape(str(c.outcome))}"
        f"</span><b>{escape(c.name)}</b> <small>{escape(c.kind)}"
        f"{f' · score {c.score:.2f}' if c.score is not None else ''}</small>"
        f"{f'<div class=why>{escape(c.reason)}</div>' if c.reason else ''}</li>"
        for c in v.checks
    )
    if v.artifact is not None:
        artifact = f"<pre>{escape(json.dumps(v.artifact, indent=2, ensure_ascii=False))}</pre>"
    else:
        artifact = f"<p class='error'>{escape(v.error or 'no artifact')}</p>"
    return (
        f"<div class='verdict'><div class='verdict-head'><b>{escape(v.step)}{item}</b> · attempt "
        f"{v.attempt} · action <code>{escape(v.action)}</code></div><div class='verdict-grid'>"
        f"<ul class='checks'>{checks}</ul><div class='artifact'>{artifact}</div></div></div>"
    )


def _reads(reads: Sequence[dict[str, Any]]) -> str:
    """What the run's steps read from the context store: the provenance of its artifacts."""
    items = []
    for r in reads:
        item = f"[{r['index']}]" if r.get("index") is not None else ""
        found = ", ".join(
            f"<code>{escape(str(doc))}#{chunk}@{escape(str(version))[:8]}</code> ({score:.3f})"
            for doc, chunk, version, score in r["passages"]
        )
        items.append(
            f"<li><b>{escape(r['step'])}{item}</b> attempt {r['attempt']} read "
            f"<code>{escape(r['collection'])}</code> at revision {r['revision']}: "
            f"<q>{escape(_clip(r['query'], 90))}</q> → {found or 'nothing'}</li>"
        )
    return f"<div class='reads'><h4>Read from the context store</h4><ul>{''.join(items)}</ul></div>"


def _clip(text: str, limit: int) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


_CSS = """
:root{--ink:#0f172a;--muted:#64748b;--line:#e2e8f0;--bg:#f8fafc;--card:#fff;
--shadow:#f59e0b;--on:#2563eb;--off:#a855f7;--bad:#ef4444;--good:#16a34a}
*{box-sizing:border-box}
body{margin:0;background:var(--bg);color:var(--ink);
font:15px/1.5 system-ui,-apple-system,"Segoe UI",Roboto,"Helvetica Neue",Arial,sans-serif}
main{max-width:1120px;margin:0 auto;padding:40px 28px 64px}
header{margin-bottom:28px}
.eyebrow{margin:0;color:var(--on);font-weight:700;font-size:12px;letter-spacing:.08em;
text-transform:uppercase}
h1{margin:6px 0 4px;font-size:30px;letter-spacing:-.02em}
.sub{margin:0;color:var(--muted)}
.headline{margin:14px 0 0;font-size:17px;max-width:80ch;line-height:1.55}
h2{margin:0 0 6px;font-size:19px;letter-spacing:-.01em}
h3{font-size:15px;margin:22px 0 10px;display:flex;gap:8px;align-items:center}
h3 small{color:var(--muted);font-weight:400}
h4{margin:0 0 6px;font-size:13px}
section{background:var(--card);border:1px solid var(--line);border-radius:14px;
padding:22px 24px;margin:0 0 20px;box-shadow:0 1px 2px rgba(15,23,42,.04)}
.lede{margin:0 0 14px;color:var(--muted);max-width:78ch;font-size:14px}
.kpis{display:grid;grid-template-columns:repeat(auto-fit,minmax(190px,1fr));gap:14px;
background:none;border:0;padding:0;box-shadow:none}
.kpi{background:var(--card);border:1px solid var(--line);border-radius:14px;padding:16px 18px;
border-top:4px solid var(--accent)}
.kpi-label{color:var(--muted);font-size:12px;font-weight:600;text-transform:uppercase;
letter-spacing:.05em}
.kpi-value{font-size:30px;font-weight:750;letter-spacing:-.02em;margin:4px 0 2px;
font-variant-numeric:tabular-nums;overflow-wrap:anywhere}
.kpi-note{color:var(--muted);font-size:13px}
svg.chart{display:block;max-width:100%;height:auto}
.scroll{overflow-x:auto}
table{border-collapse:collapse;width:100%;font-size:13.5px;font-variant-numeric:tabular-nums}
th,td{padding:7px 10px;text-align:right;white-space:nowrap;border-bottom:1px solid var(--line)}
thead th{color:var(--muted);font-weight:600;font-size:12px;text-transform:uppercase;
letter-spacing:.03em;border-bottom:2px solid var(--line);white-space:normal}
th:first-child,td:first-child,.mode{text-align:left}
tbody th{font-weight:650}
tr.group>*{border-top:2px solid var(--line)}
table.e2e td{font-weight:600}
small{color:var(--muted)}
.meter{display:inline-block;width:56px;height:7px;border-radius:4px;background:var(--line);
margin-right:8px;vertical-align:middle;overflow:hidden}
.meter span{display:block;height:100%;background:var(--good)}
.pill{display:inline-block;padding:1px 9px;border-radius:999px;font-size:12px;font-weight:650;
color:#fff;background:var(--muted)}
.pill.shadow{background:var(--shadow)}.pill.on{background:var(--on)}.pill.off{background:var(--off)}
details.task{border:1px solid var(--line);border-radius:10px;margin:8px 0;background:#fff}
details.task[open]{box-shadow:0 4px 14px rgba(15,23,42,.07)}
summary{cursor:pointer;padding:10px 14px;display:flex;gap:10px;align-items:baseline;
flex-wrap:wrap;list-style-position:inside}
summary .run{font-family:ui-monospace,SFMono-Regular,Menlo,Consolas,monospace;font-size:13px}
summary .status{color:var(--muted);font-size:13px}
summary .reason{color:var(--muted);font-size:13px;flex-basis:100%;padding-left:18px}
.badge{font-size:11px;font-weight:700;text-transform:uppercase;letter-spacing:.05em;
padding:2px 8px;border-radius:6px;background:#fee2e2;color:#b91c1c}
.badge.escaped{background:#fef3c7;color:#92400e}
.badge.caught{background:#ffedd5;color:#9a3412}
.task-body{padding:4px 16px 16px}
.verdict{border-top:1px dashed var(--line);padding-top:12px;margin-top:12px}
.verdict-head{font-size:14px;margin-bottom:8px}
.verdict-grid{display:grid;grid-template-columns:minmax(0,1fr) minmax(0,1fr);gap:16px}
@media (max-width:760px){.verdict-grid{grid-template-columns:1fr}}
ul.checks{list-style:none;margin:0;padding:0}
li.check{padding:6px 0;border-bottom:1px solid var(--line);font-size:13.5px}
li.check .outcome{display:inline-block;min-width:62px;font-size:11px;font-weight:700;
text-transform:uppercase;color:var(--good)}
li.check.failed .outcome,li.check.error .outcome{color:var(--bad)}
li.check.skipped .outcome{color:var(--muted)}
.why{color:#334155;margin:2px 0 0 62px}
pre{margin:0;background:#0f172a;color:#e2e8f0;border-radius:8px;padding:12px 14px;font-size:12.5px;
overflow:auto;max-height:340px}
code{font-family:ui-monospace,SFMono-Regular,Menlo,Consolas,monospace;font-size:12.5px}
.error{color:#b91c1c;font-size:13.5px;margin:8px 0}
.mismatch ul{margin:0;padding-left:18px}
.empty{color:var(--muted)}
footer{color:var(--muted);font-size:12px;text-align:center;margin-top:28px}
"""
