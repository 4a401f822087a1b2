"""Approvals teach the next run, measured: few-shot examples from approved claims against the static prompt.

    python -m examples.claims.learning                      # dev, split in two, local model
    python -m examples.claims.learning --set synthetic --k 2
    python -m examples.claims.learning --limit 10 --json    # a quick look

1. The set is split in two: documents at even positions (the first half) and at odd
   positions (the second), so both halves have every kind of document.
2. The first half runs gated, and the simulated `expected` reviewer decides every
   approval (it approves a decision that matches the expected one and edits the rest;
   it edits a claim the gate escalated into the expected claim). Each approved decision
   writes the claim reading it came from, with its document, to the `claim` step's
   examples collection; each edited claim writes the edit (`seamline.context.learn`).
3. The second half runs twice, gated, with nothing more learned meanwhile: with the
   static prompt (its two fixed examples), and with `LearnFromApprovals(examples=k)`,
   where the extraction's few-shot examples are the k approved claims whose documents
   are nearest this one (`ctx.examples`, learned.py).

Reported for each arm, at the claim seam: first-pass yield (accepted on the first
attempt), record accuracy (the claim's last attempt is right in every field but the
description), escaped defects (accepted but wrong), and model calls per task; with 95%
intervals (Wilson; Newcombe for the differences; a paired bootstrap for calls). Also: how
many examples the first half wrote, and how many of them were right (a decision can be
right while the reading it came from is not: the reviewer approved the decision).

The reviewer is simulated and labelled so; runs go to a SQLite store (`--store`), so an
interrupted measurement resumes where it stopped. Counts are exact; seconds depend on the
machine and its load.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import random
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from pydantic_core import to_jsonable_python

from seamline.context.learn import example_document, upstream_documents
from seamline.evals import EvalReport, evaluate
from seamline.events import ApprovalDecided, ApprovalRequested, ContextRead, ModelCalled
from seamline.reliability import fmt
from seamline.reliability.stats import lift, wilson_interval
from seamline.store import open_store

from .benchmark import COMPARE, FIELDS
from .datasets import SETS, load_set, task_line
from .learned import LearnFromApprovals
from .models import ClaimTask
from .pipeline import pipe


def halves(tasks: Sequence[ClaimTask]) -> tuple[list[ClaimTask], list[ClaimTask]]:
    """Even positions teach, odd positions are measured."""
    return list(tasks[0::2]), list(tasks[1::2])


async def run_arm(
    name: str, tasks: list[ClaimTask], args: argparse.Namespace, deps: Any = None
) -> EvalReport:
    return await evaluate(
        pipe,
        [json.loads(task_line(t)) for t in tasks],
        name=name,
        expected="expected",
        gates="on",
        concurrency=args.concurrency,
        store=args.store,
        model=args.model,
        compare=COMPARE,
        reviewer="expected",
        deps=deps,
    )


async def per_run(report: EvalReport, store_url: str) -> list[dict[str, int]]:
    """Per task, in order: model calls, prompt tokens, and the approved examples read."""
    store = await open_store(store_url)
    try:
        out = []
        for run in sorted(report.runs, key=lambda r: r.index):
            events = await store.load(run.run_id)
            out.append(
                {
                    "model_calls": sum(isinstance(e, ModelCalled) for e in events),
                    "input_tokens": sum(
                        e.input_tokens for e in events if isinstance(e, ModelCalled)
                    ),
                    "examples_read": sum(
                        len(e.passages)
                        for e in events
                        if isinstance(e, ContextRead) and e.kind == "examples"
                    ),
                }
            )
        return out
    finally:
        await store.close()


def arm_figures(report: EvalReport, runs: list[dict[str, int]]) -> dict[str, Any]:
    gated = report.gated
    assert gated is not None
    seam = gated.seam("claim")
    n = seam.units
    escaped = seam.escaped_defects or 0
    return {
        "tasks": n,
        "first_pass": seam.first_pass,
        "first_pass_interval": _interval(seam.first_pass, n),
        "right": seam.right,
        "record_accuracy_interval": _interval(seam.right, seam.scored),
        "escaped": escaped,
        "accepted": seam.accepted,
        "escaped_interval": _interval(escaped, n),
        "escalated": seam.escalations,
        "model_calls_per_task": sum(r["model_calls"] for r in runs) / max(1, len(runs)),
        "input_tokens_per_task": sum(r["input_tokens"] for r in runs) / max(1, len(runs)),
        "model_seconds_per_task": gated.end_to_end.per_task(gated.end_to_end.model_seconds),
        "examples_read_per_task": sum(r["examples_read"] for r in runs) / max(1, len(runs)),
        "end_to_end_right": gated.end_to_end.right,
        "seconds": report.seconds,
    }


def _interval(successes: int, trials: int) -> list[float] | None:
    if not trials:
        return None
    i = wilson_interval(successes, trials)
    return [i.low, i.high]


def paired_bootstrap(a: list[int], b: list[int], repeats: int = 5000) -> list[float]:
    """A 95% interval for mean(b - a) over tasks, resampling tasks (seeded)."""
    rng = random.Random(20261202)
    diffs = [y - x for x, y in zip(a, b, strict=True)]
    if not diffs:
        return [0.0, 0.0]
    means = sorted(sum(rng.choice(diffs) for _ in diffs) / len(diffs) for _ in range(repeats))
    return [means[int(0.025 * repeats)], means[int(0.975 * repeats) - 1]]


async def written_examples(
    report: EvalReport, store_url: str, teach: list[ClaimTask]
) -> dict[str, Any]:
    """The claim examples the first half's decisions wrote (found with the code that
    wrote them, from the run logs): how many, how, and how many are right."""
    store = await open_store(store_url)
    try:
        docs = []
        for run in sorted(report.runs, key=lambda r: r.index):
            events = await store.load(run.run_id)
            requests = {e.approval_id: e for e in events if isinstance(e, ApprovalRequested)}
            for e in events:
                if not isinstance(e, ApprovalDecided) or e.approval_id not in requests:
                    continue
                request = requests[e.approval_id]
                if request.step == "claim":
                    own = example_document(pipe, events, request, e)
                    docs += [(run.index, own)] if own is not None else []
                docs += [
                    (run.index, doc)
                    for step, doc in upstream_documents(pipe, events, request, e)
                    if step == "claim"
                ]
    finally:
        await store.close()
    right = 0
    for index, doc in docs:
        want, have = teach[index].expected.claim, doc.metadata["artifact"] or {}
        right += all(have.get(f) == to_jsonable_python(getattr(want, f)) for f in FIELDS)
    return {
        "written": len(docs),
        "right": right,
        "from_approved_decisions": sum(d.metadata.get("taught_by") is not None for _, d in docs),
        "from_edited_escalations": sum(d.metadata.get("decision") == "edit" for _, d in docs),
    }


async def measure(args: argparse.Namespace) -> dict[str, Any]:
    tasks = load_set(args.set)[: args.limit]
    label = args.set if args.set in SETS else Path(args.set).name
    teach, test = halves(tasks)
    model_name = getattr(args.model, "name", args.model)  # a model object in tests
    base = f"claims-learn-{label}-{model_name}"
    # Both arms must see the same examples: the first half's. A run reads the collection
    # as of its start, and nothing the second half decides is written.
    pipe.learn_from_approvals = True
    taught = await run_arm(f"{base}-teach", teach, args)
    wrote = await written_examples(taught, args.store, teach)
    pipe.learn_from_approvals = False
    try:
        arms = {}
        runs = {}
        for arm, deps in (("static", None), ("examples", LearnFromApprovals(examples=args.k))):
            report = await run_arm(f"{base}-{arm}-k{args.k}", test, args, deps)
            runs[arm] = await per_run(report, args.store)
            arms[arm] = arm_figures(report, runs[arm])
    finally:
        pipe.learn_from_approvals = True
    a, b = arms["static"], arms["examples"]
    differences: dict[str, Any] = {}
    for key in ("first_pass", "right", "escaped"):
        gain = lift(a[key], a["tasks"], b[key], b["tasks"])
        if gain is not None:
            differences[key] = {
                "difference": gain.difference,
                "interval": [gain.interval.low, gain.interval.high],
            }
    calls = paired_bootstrap(
        [r["model_calls"] for r in runs["static"]], [r["model_calls"] for r in runs["examples"]]
    )
    differences["model_calls_per_task"] = {
        "difference": b["model_calls_per_task"] - a["model_calls_per_task"],
        "interval": calls,
    }
    return {
        "set": label,
        "model": model_name,
        "k": args.k,
        "taught": len(teach),
        "measured": len(test),
        "reviewer": {"name": taught.reviewer, "kind": "simulated"},
        "examples_written": wrote,
        "arms": arms,
        "differences": differences,
    }


def table(result: dict[str, Any]) -> str:
    a, b = result["arms"]["static"], result["arms"]["examples"]
    d = result["differences"]

    def ratio(arm: dict[str, Any], key: str, of: str = "tasks") -> str:
        interval = arm.get(f"{key}_interval")
        text = f"{arm[key]}/{arm[of]} ({fmt.pct(arm[key] / arm[of] if arm[of] else None, 0)})"
        return text + (f" [{interval[0] * 100:.0f}–{interval[1] * 100:.0f}%]" if interval else "")

    def points(key: str) -> str:
        gain = d.get(key)
        if gain is None:
            return ""
        low, high = gain["interval"]
        return f"{gain['difference'] * 100:+.1f} pts [{low * 100:+.1f} to {high * 100:+.1f}]"

    accuracy = {**a, "right_interval": a["record_accuracy_interval"]}
    accuracy_b = {**b, "right_interval": b["record_accuracy_interval"]}
    calls = d["model_calls_per_task"]
    rows = [
        f"| {result['set']}, second half ({result['measured']}) | static prompt | "
        f"{result['k']} approved examples | examples − static |",
        "|---|---|---|---|",
        f"| first-pass yield (claim seam) | {ratio(a, 'first_pass')} | "
        f"{ratio(b, 'first_pass')} | {points('first_pass')} |",
        f"| record accuracy (claim step) | {ratio(accuracy, 'right')} | "
        f"{ratio(accuracy_b, 'right')} | {points('right')} |",
        f"| escaped defects (accepted, wrong) | {ratio(a, 'escaped')} | "
        f"{ratio(b, 'escaped')} | {points('escaped')} |",
        f"| model calls per task | {a['model_calls_per_task']:.2f} | "
        f"{b['model_calls_per_task']:.2f} | {calls['difference']:+.2f} "
        f"[{calls['interval'][0]:+.2f} to {calls['interval'][1]:+.2f}] |",
        f"| prompt tokens per task | {a['input_tokens_per_task']:.0f} | "
        f"{b['input_tokens_per_task']:.0f} | |",
        f"| model seconds per task (under load) | {_seconds(a)} | {_seconds(b)} | |",
        f"| escalated to the reviewer | {a['escalated']} | {b['escalated']} | |",
        f"| approved examples read per task | {a['examples_read_per_task']:.1f} | "
        f"{b['examples_read_per_task']:.1f} | |",
    ]
    return "\n".join(rows)


def _seconds(arm: dict[str, Any]) -> str:
    value = arm.get("model_seconds_per_task")
    return "" if value is None else f"{value:.1f}"


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--set", default="dev", help="dev, synthetic, fresh, or a folder")
    parser.add_argument("--k", type=int, default=2, help="approved examples per extraction")
    parser.add_argument("--limit", type=int, default=None, help="documents of the set")
    parser.add_argument("--model", default="local")
    parser.add_argument("--concurrency", type=int, default=2)
    parser.add_argument("--store", default="sqlite:///.seamline/claims-learning.db")
    parser.add_argument("--json", action="store_true", help="print the results as JSON")
    args = parser.parse_args(argv)
    if args.k < 1:
        parser.error("--k must be at least 1")
    if args.store.startswith("sqlite:///"):
        Path(args.store.removeprefix("sqlite:///")).parent.mkdir(parents=True, exist_ok=True)
    result = asyncio.run(measure(args))
    if args.json:
        json.dump(result, sys.stdout, indent=2)
        print()
        return
    w = result["examples_written"]
    print(
        f"first half: {result['taught']} documents; {w['written']} claim examples written "
        f"({w['from_approved_decisions']} from approved decisions, "
        f"{w['from_edited_escalations']} from edited escalations), {w['right']} of them right; "
        f"reviewer: {result['reviewer']['name']}"
    )
    print(table(result))


if __name__ == "__main__":
    main()
