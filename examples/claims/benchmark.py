"""The claims pipeline on its datasets, shadow against gated: what the README reports.

    python -m examples.claims.benchmark                          # dev and synthetic, local model
    python -m examples.claims.benchmark --sets dev --limit 10    # a quick look
    python -m examples.claims.benchmark --sets path/to/heldout   # a set written by someone else
    python -m examples.claims.benchmark --json > claims-bench.json
    python -m examples.claims.benchmark --sets fresh --no-model  # the readers and checks alone, in seconds
    python -m examples.claims.benchmark --gates current          # the gates before independent evidence
    python -m examples.claims.benchmark --agree 3 --modes on     # with a consensus gate, gated runs only

For each set: every document runs twice through `pipeline.py` (gates in shadow mode,
then gated), approvals decided by the simulated `expected` reviewer (it approves what
matches the expected artifacts and corrects the rest, so every run finishes; its work
is counted, and never as a person's). Reported per set and mode:

- at the claim seam: right and accepted, escaped (accepted but wrong), false alarms
  (rejected but right), escalated; the escape rate among accepted claims;
- record accuracy (the claim step's artifact is right in every field) and per-field
  accuracy;
- end to end: tasks right (final decision and claim match), passed every gate;
- model calls and model seconds per task; the gated lift over shadow, with 95%
  intervals (Newcombe);
- the parser's top candidates with no model at all, the floor the pipeline must beat;
- the bar: on documents it has never seen, gated escapes at most 1 in 15 accepted claims
  and right-and-accepted at least 40% of claims.

`--no-model` measures, in seconds, what bounds the model from outside: the parser's top
candidates (record accuracy), how often the first call's choices hold the true value of
every field, and how often the expected claim passes every check (when it does not, a
right reading will be a false alarm).

Runs go to a SQLite store (`--store`), so an interrupted benchmark resumes where it stopped.
Wall-clock figures depend on the machine and its load; counts do not.
"""

from __future__ import annotations

import argparse
import asyncio
import inspect
import json
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from pydantic_core import to_jsonable_python

from seamline.evals import EvalReport, evaluate
from seamline.events import StepFinished
from seamline.reliability import fmt
from seamline.reliability.stats import lift, wilson_interval
from seamline.store import open_store

from .checks import CLAIM_CHECKS
from .datasets import SETS, load_set, task_line
from .evidence import reading_is_conclusive
from .grounded import candidate_values, top_candidates
from .models import ClaimTask
from .pipeline import Gates, build

FIELDS = ("claimant", "policy_id", "incident_date", "incident_type", "amount", "currency")
COMPARE = {"claim.description": "ignore"}
BAR_ESCAPES = 1 / 15  # gated escaped claims per accepted claim, at most
BAR_RIGHT = 0.40  # gated right-and-accepted claims per claim, at least


def field_accuracy(
    claims: Sequence[dict[str, Any] | None], tasks: Sequence[ClaimTask]
) -> dict[str, float]:
    """Per field, the share of documents whose claim has it right (no claim: wrong)."""
    out = {}
    for field in FIELDS:
        right = 0
        for claim, task in zip(claims, tasks, strict=True):
            want = to_jsonable_python(getattr(task.expected.claim, field))
            right += claim is not None and claim.get(field) == want
        out[field] = right / len(tasks) if tasks else 0.0
    return out


async def last_claims(report: EvalReport, store_url: str, mode: str) -> list[dict[str, Any] | None]:
    """The claim step's last artifact per task (what the gate judged), from the run logs."""
    store = await open_store(store_url)
    try:
        out: list[dict[str, Any] | None] = []
        for run in sorted((r for r in report.runs if r.mode == mode), key=lambda r: r.index):
            events = await store.load(run.run_id)
            finished = [e for e in events if isinstance(e, StepFinished) and e.step == "claim"]
            out.append(to_jsonable_python(finished[-1].artifact) if finished else None)
        return out
    finally:
        await store.close()


def without_a_model(name: str, tasks: list[ClaimTask]) -> dict[str, Any]:
    """What the readers and the checks do on a set, no model involved."""
    tops = [top_candidates(t.doc).model_dump(mode="json") for t in tasks]
    wants = [t.expected.claim.model_dump(mode="json") for t in tasks]
    offered, rejected, inconclusive, wrong_top_accepted = [], [], [], []
    for task, want, top in zip(tasks, wants, tops, strict=True):
        if reading_is_conclusive(task.expected.claim, task.doc) is not True:
            inconclusive.append(task.id)
        # A wrong top candidate every check and the evidence accept: what escapes when
        # the model agrees with the readers.
        top_claim = top_candidates(task.doc)
        if any(top[f] != want[f] for f in FIELDS) and _accepted(top_claim, task):
            wrong_top_accepted.append(task.id)
        choices = candidate_values(task.doc)
        missing = [
            f
            for f, values in choices.items()
            if f in want and want[f] not in to_jsonable_python(values)
        ]
        if missing:
            offered.append(f"{task.id}: {', '.join(missing)}")
        failing = []
        for check in CLAIM_CHECKS:
            params = inspect.signature(check).parameters
            given = {"claim": task.expected.claim, "doc": task.doc}
            if check(**{p: given[p] for p in params}) is not True:
                failing.append(check.__name__)
        if failing:
            rejected.append(f"{task.id}: {', '.join(failing)}")
    n = len(tasks)
    return {
        "set": name,
        "documents": n,
        "parser_only": {
            "record_accuracy": sum(
                all(c.get(f) == w[f] for f in FIELDS) for c, w in zip(tops, wants, strict=True)
            )
            / n,
            "fields": field_accuracy(tops, tasks),
        },
        "truth_offered": (n - len(offered)) / n,
        "truth_not_offered": offered,
        "truth_passes_every_check": (n - len(rejected)) / n,
        "truth_rejected_by": rejected,
        "truth_inconclusive": inconclusive,
        "wrong_top_accepted": wrong_top_accepted,
    }


def _accepted(claim: Any, task: ClaimTask) -> bool:
    """Whether the gate as shipped (every check and the evidence) accepts `claim`."""
    for check in (*CLAIM_CHECKS, reading_is_conclusive):
        params = inspect.signature(check).parameters
        given = {"claim": claim, "doc": task.doc}
        if check(**{p: given[p] for p in params}) is not True:
            return False
    return True


def print_without_a_model(results: list[dict[str, Any]]) -> None:
    for r in results:
        p = r["parser_only"]
        fields = ", ".join(f"{k} {fmt.pct(v, 0)}" for k, v in p["fields"].items())
        print(f"\n== {r['set']}: {r['documents']} documents, no model")
        print(f"parser's top candidates: record accuracy {fmt.pct(p['record_accuracy'])}; {fields}")
        print(f"first call's choices hold every true value: {fmt.pct(r['truth_offered'])}")
        for line in r["truth_not_offered"]:
            print(f"  not offered  {line}")
        print(f"expected claim passes every check: {fmt.pct(r['truth_passes_every_check'])}")
        for line in r["truth_rejected_by"]:
            print(f"  rejected by  {line}")
        n = r["documents"]
        print(
            f"expected claim conclusive (else a person confirms it): "
            f"{n - len(r['truth_inconclusive'])}/{n}"
        )
        wrong = r["wrong_top_accepted"]
        print(
            f"wrong top candidates the gate accepts (they escape if the model agrees): "
            f"{len(wrong)}/{n}" + (f" ({', '.join(wrong)})" if wrong else "")
        )


async def bench_set(
    name: str,
    tasks: list[ClaimTask],
    model: str,
    concurrency: int,
    store_url: str,
    gates: Gates = "evidence",
    agree: int = 0,
    modes: str = "both",
) -> dict[str, Any]:
    lines = [json.loads(task_line(t)) for t in tasks]
    pipe = build(gates, agree)
    variant = f"{gates}" + (f"+agree{agree}" if agree else "")
    report = await evaluate(
        pipe,
        lines,
        name=f"claims-bench-{name}-{model}-{variant}",
        expected="expected",
        gates="both" if modes == "both" else "on",
        concurrency=concurrency,
        store=store_url,
        model=model,
        compare=COMPARE,
        reviewer="expected",
    )
    n = len(tasks)
    parser_only = [top_candidates(t.doc).model_dump(mode="json") for t in tasks]
    result: dict[str, Any] = {
        "set": name,
        "documents": n,
        "model": model,
        "gates": variant,
        "parser_only": {
            "record_accuracy": sum(
                all(c.get(f) == to_jsonable_python(getattr(t.expected.claim, f)) for f in FIELDS)
                for c, t in zip(parser_only, tasks, strict=True)
            )
            / n,
            "fields": field_accuracy(parser_only, tasks),
        },
        "modes": {},
        "seconds": report.seconds,
    }
    for mode_report in report.reliability.modes:
        mode = mode_report.mode
        seam, e = mode_report.seam("claim"), mode_report.end_to_end
        claims = await last_claims(report, store_url, mode)
        accepted = seam.accepted
        result["modes"][mode] = {
            "claim_seam": {
                "right_and_accepted": seam.right_accepted,
                "escaped": seam.escaped_defects,
                "accepted": accepted,
                "escape_rate": seam.escape_rate,
                "false_alarms": seam.false_alarms,
                "caught": seam.caught,
                "escalated": seam.escalations,
                "right": seam.right,
                "right_and_accepted_interval": _interval(seam.right_accepted, n),
                "escape_interval": _interval(seam.escaped_defects or 0, accepted),
                "checks": [c.to_dict() for c in seam.checks],
            },
            "record_accuracy": seam.accuracy,
            "fields": field_accuracy(claims, tasks),
            "end_to_end": {
                "right": e.right,
                "right_unaided": e.right_unaided,
                "passed_every_gate": e.passed,
                "escaped": e.escaped_defects,
                "right_interval": _interval(e.right or 0, n),
                "helped": e.helped,
            },
            "model_calls_per_task": e.per_task(e.model_calls),
            "model_seconds_per_task": e.per_task(e.model_seconds),
            "wall_seconds_per_task": e.per_task(e.wall_seconds),
        }
    shadow, gated = result["modes"].get("shadow"), result["modes"].get("on")
    if shadow and gated:
        result["lift"] = {
            key: _lift(shadow, gated, key, n)
            for key in ("right_and_accepted", "right_end_to_end", "escaped")
        }
    if gated:
        seam = gated["claim_seam"]
        result["bar"] = {
            "escapes_per_accepted": seam["escape_rate"],
            "escapes_ok": seam["escape_rate"] is not None and seam["escape_rate"] <= BAR_ESCAPES,
            "right_and_accepted": seam["right_and_accepted"] / n,
            "right_ok": seam["right_and_accepted"] / n >= BAR_RIGHT,
        }
    return result


def _interval(successes: int, trials: int) -> list[float] | None:
    if not trials:
        return None
    i = wilson_interval(successes, trials)
    return [i.low, i.high]


def _lift(shadow: dict[str, Any], gated: dict[str, Any], key: str, n: int) -> dict[str, Any] | None:
    def count(mode: dict[str, Any]) -> tuple[int, int]:
        if key == "right_end_to_end":
            return mode["end_to_end"]["right"] or 0, n
        if key == "escaped":
            return mode["claim_seam"]["escaped"] or 0, n
        return mode["claim_seam"]["right_and_accepted"], n

    gain = lift(*count(shadow), *count(gated))
    if gain is None:
        return None
    return {
        "shadow": gain.a,
        "gated": gain.b,
        "difference": gain.difference,
        "interval": [gain.interval.low, gain.interval.high],
    }


def markdown(results: list[dict[str, Any]]) -> str:
    """The README's table: one column per set and mode."""
    cols = [(r, m) for r in results for m in ("shadow", "on") if m in r["modes"]]
    head = (
        "| | "
        + " | ".join(
            f"{r['set']} ({r['documents']}) {'shadow' if m == 'shadow' else 'gated'}"
            for r, m in cols
        )
        + " |"
    )
    rule = "|---|" + "---|" * len(cols)

    def row(label: str, cell: Any) -> str:
        return f"| {label} | " + " | ".join(cell(r, r["modes"][m]) for r, m in cols) + " |"

    def ratio(a: int | None, b: int, interval: list[float] | None = None) -> str:
        text = f"{a}/{b} ({fmt.pct(a / b if b and a is not None else None, 0)})"
        return text + (f" [{interval[0] * 100:.0f}–{interval[1] * 100:.0f}%]" if interval else "")

    rows = [
        head,
        rule,
        row(
            "claim seam: right and accepted",
            lambda r, m: ratio(
                m["claim_seam"]["right_and_accepted"],
                r["documents"],
                m["claim_seam"]["right_and_accepted_interval"],
            ),
        ),
        row(
            "claim seam: escaped / accepted",
            lambda r, m: ratio(
                m["claim_seam"]["escaped"],
                m["claim_seam"]["accepted"],
                m["claim_seam"]["escape_interval"],
            ),
        ),
        row("claim seam: false alarms", lambda r, m: str(m["claim_seam"]["false_alarms"])),
        row("claim seam: escalated", lambda r, m: str(m["claim_seam"]["escalated"])),
        row("record accuracy (claim step)", lambda r, m: fmt.pct(m["record_accuracy"], 0)),
        row(
            "end to end: right",
            lambda r, m: ratio(
                m["end_to_end"]["right"], r["documents"], m["end_to_end"]["right_interval"]
            ),
        ),
        row(
            "end to end: right, no reviewer help",
            lambda r, m: ratio(m["end_to_end"]["right_unaided"], r["documents"]),
        ),
        row("model calls per task", lambda r, m: fmt.number(m["model_calls_per_task"], 2)),
        row("model seconds per task", lambda r, m: fmt.number(m["model_seconds_per_task"], 1)),
    ]
    return "\n".join(rows)


def print_results(results: list[dict[str, Any]]) -> None:
    for r in results:
        print(
            f"\n== {r['set']}: {r['documents']} documents on {r['model']}, gates "
            f"{r['gates']} ({r['seconds']:.0f} s)"
        )
        print(
            f"parser's top candidates, no model: record accuracy {fmt.pct(r['parser_only']['record_accuracy'])}"
        )
        for mode, m in r["modes"].items():
            label = "shadow" if mode == "shadow" else "gated"
            fields = ", ".join(f"{k} {fmt.pct(v, 0)}" for k, v in m["fields"].items())
            print(f"{label:6} record accuracy {fmt.pct(m['record_accuracy'])}; fields: {fields}")
        for key, gain in (r.get("lift") or {}).items():
            if gain:
                print(
                    f"lift {key}: {gain['shadow']:.1%} -> {gain['gated']:.1%} "
                    f"({gain['difference'] * 100:+.1f} pts, 95% CI {gain['interval'][0] * 100:+.1f} "
                    f"to {gain['interval'][1] * 100:+.1f})"
                )
        if "bar" in r:
            b = r["bar"]
            print(
                f"bar: escapes per accepted {fmt.pct(b['escapes_per_accepted'])} (≤ 6.7%: "
                f"{'met' if b['escapes_ok'] else 'NOT met'}); right and accepted "
                f"{fmt.pct(b['right_and_accepted'])} (≥ 40%: {'met' if b['right_ok'] else 'NOT met'})"
            )
    print()
    print(markdown(results))


async def main_async(args: argparse.Namespace) -> list[dict[str, Any]]:
    results = []
    for name in args.sets.split(","):
        tasks = load_set(name)[: args.limit]
        label = name if name in SETS else Path(name).name
        results.append(
            await bench_set(
                label,
                tasks,
                args.model,
                args.concurrency,
                args.store,
                args.gates,
                args.agree,
                args.modes,
            )
        )
    return results


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sets", default="dev,synthetic", help="comma-separated names or folders")
    parser.add_argument("--limit", type=int, default=None, help="documents per set")
    parser.add_argument("--model", default="local")
    parser.add_argument("--concurrency", type=int, default=2)
    parser.add_argument("--store", default="sqlite:///.seamline/claims-bench.db")
    parser.add_argument("--json", action="store_true", help="print the results as JSON")
    parser.add_argument(
        "--gates",
        choices=("evidence", "current"),
        default="evidence",
        help="evidence: as shipped (with independent evidence); current: the checks alone",
    )
    parser.add_argument(
        "--agree", type=int, default=0, help="add a consensus gate of N samples (sl.agree)"
    )
    parser.add_argument(
        "--modes",
        choices=("both", "on"),
        default="both",
        help="both: shadow then gated; on: gated runs only",
    )
    parser.add_argument(
        "--no-model",
        action="store_true",
        help="only the readers and the checks: parser accuracy, choices, checks on the truth",
    )
    args = parser.parse_args(argv)
    if args.no_model:
        names = args.sets.split(",")
        found = [(n if n in SETS else Path(n).name, load_set(n)[: args.limit]) for n in names]
        plain = [without_a_model(label, tasks) for label, tasks in found]
        if args.json:
            json.dump(plain, sys.stdout, indent=2)
            print()
        else:
            print_without_a_model(plain)
        return
    if args.store.startswith("sqlite:///"):
        Path(args.store.removeprefix("sqlite:///")).parent.mkdir(parents=True, exist_ok=True)
    results = asyncio.run(main_async(args))
    if args.json:
        json.dump(results, sys.stdout, indent=2)
        print()
    else:
        print_results(results)


if __name__ == "__main__":
    main()
