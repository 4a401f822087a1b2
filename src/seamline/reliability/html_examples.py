"""The HTML report's task examples: what went wrong in a task, one click away.

An escaped task shows the artifact its gates accepted beside the expected one, field by
field; a stopped task shows the verdicts that stopped it and the artifacts they judged.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from html import escape
from typing import Any

from pydantic_core import to_jsonable_python

from seamline.reliability.report import (
    ArtifactDiff,
    ModeReport,
    ReliabilityReport,
    TaskExample,
    VerdictExample,
)

__all__ = ["examples_section"]

_LEDE = (
    "Tasks that passed every gate with a wrong artifact (escaped: the accepted artifact "
    "beside the expected one), that a gate stopped (caught, or a false alarm when the "
    "artifact was right), that failed, or that wait for a person. Open one for its "
    "artifacts and verdicts."
)


def examples_section(report: ReliabilityReport, pill: Any) -> str:
    blocks = []
    for mode in report.modes:
        if not mode.examples:
            continue
        items = "".join(_example(e, n) for n, e in enumerate(mode.examples, 1))
        blocks.append(f"<h3>{pill(mode)} {escape(_counts(mode))}</h3>{items}")
    body = (
        "".join(blocks) or "<p class='empty'>Every task passed and was right. Nothing to show.</p>"
    )
    return f"<section><h2>Tasks to look at</h2><p class='lede'>{escape(_LEDE)}</p>{body}</section>"


def _counts(mode: ModeReport) -> str:
    counts: dict[str, int] = {}
    for e in mode.examples:
        counts[e.outcome] = counts.get(e.outcome, 0) + 1
    shown = ", ".join(f"{n} {outcome}" for outcome, n in counts.items())
    return f"{shown} (of {mode.end_to_end.tasks} tasks)"


def _example(task: TaskExample, n: int) -> str:
    first_reason = next((r for v in task.verdicts for r in v.reasons), task.error or "")
    if task.outcome == "escaped" and task.mismatches:
        first_reason = "; ".join(task.mismatches[:3])
    where = f" · lost at <b>{escape(task.lost_at)}</b>" if task.lost_at else ""
    pending = f" · {task.pending} approval(s) pending" if task.pending else ""
    badge = task.outcome.replace(" ", "-")
    summary = (
        f"<summary><span class='badge {escape(badge)}'>{escape(task.outcome)}</span>"
        f"<span class='run'>{escape(task.run_id or f'task {n}')}</span>"
        f"<span class='status'>{escape(task.status)}</span>{where}{pending}"
        f"<span class='reason'>{escape(_clip(first_reason, 110))}</span></summary>"
    )
    body = []
    if task.error:
        body.append(f"<p class='error'>{escape(task.error)}</p>")
    body += [_artifact_diff(a) for a in task.artifacts]
    if task.outcome != "escaped":
        body += [_verdict(v) for v in task.verdicts]
    if task.reads:
        body.append(_reads(task.reads))
    if not body and task.mismatches:
        items = "".join(f"<li><code>{escape(m)}</code></li>" for m in task.mismatches)
        body.append(f"<div class='mismatch'><h4>Differs from expected</h4><ul>{items}</ul></div>")
    if not body:
        body.append("<p class='empty'>No verdict failed in this run.</p>")
    return f"<details class='task'>{summary}<div class='task-body'>{''.join(body)}</div></details>"


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


def _artifact_diff(a: ArtifactDiff) -> str:
    """The artifact beside the expected one: every expected field, the wrong ones marked."""
    item = f"[{a.index}]" if a.index is not None else ""
    verdict = {True: "accepted by its gate", False: "rejected by its gate", None: "no gate"}[
        a.accepted
    ]
    rows = []
    wrong_fields = {d.split(":", 1)[0] for d in a.differences}
    expected = a.expected if isinstance(a.expected, dict) else {"": a.expected}
    actual = a.artifact if isinstance(a.artifact, dict) else {"": a.artifact}
    for key, want in expected.items():
        path = f"{a.step}{item}.{key}" if key else f"{a.step}{item}"
        got = actual.get(key) if isinstance(actual, dict) else None
        bad = any(
            w == path or w.startswith(path + ".") or w.startswith(path + "[") for w in wrong_fields
        ) or (not key and bool(a.differences))
        rows.append(
            f"<tr class='{'bad' if bad else 'ok'}'><th scope='row'>{escape(key or a.step)}</th>"
            f"<td><code>{escape(_short(got))}</code></td><td><code>{escape(_short(want))}</code></td>"
            f"<td>{'✗' if bad else '✓'}</td></tr>"
        )
    full = escape(json.dumps(a.artifact, indent=2, ensure_ascii=False, default=str))
    return (
        f"<div class='diff'><div class='verdict-head'><b>{escape(a.step)}{item}</b> · "
        f"{escape(verdict)} · {len(a.differences)} field(s) differ</div>"
        "<table class='fields'><thead><tr><th>field</th><th>artifact</th><th>expected</th>"
        f"<th></th></tr></thead><tbody>{''.join(rows)}</tbody></table>"
        f"<details class='raw'><summary>the whole artifact</summary><pre>{full}</pre></details></div>"
    )


def _short(value: Any) -> str:
    text = json.dumps(to_jsonable_python(value, fallback=repr), ensure_ascii=False)
    return text if len(text) <= 90 else text[:89] + "…"


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


def _clip(text: str, limit: int) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1] + "…"
