"""`seamline.evals`: a dataset through a real pipeline, shadow and gated, with expectations."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

import pytest
from pydantic import BaseModel

import seamline as sl
from seamline.evals import (
    TaskRun,
    approx,
    evaluate,
    exact,
    field_matcher,
    load_tasks,
    run_id_for,
    same_text,
)
from seamline.exceptions import ConfigError
from seamline.store.memory import MemoryStore


class Doc(BaseModel):
    text: str
    amount: float
    behaviour: str = "good"  # good | flaky | broken | wrong


class Claim(BaseModel):
    claimant: str
    amount: float


class Decision(BaseModel):
    pay: float


def claims_pipeline(calls: list[str] | None = None, delay: float = 0.0) -> sl.Pipeline:
    """A pipeline without models: the document says how its claim step misbehaves."""
    pipe = sl.Pipeline("claims", inputs={"doc": Doc})
    running = {"now": 0, "peak": 0}

    @pipe.step
    async def claim(doc: Doc, ctx: sl.StepContext[None]) -> Claim:
        running["now"] += 1
        running["peak"] = max(running["peak"], running["now"])
        await asyncio.sleep(delay)
        running["now"] -= 1
        if calls is not None:
            calls.append(f"{doc.text}/{ctx.attempt}")
        amount = doc.amount
        if doc.behaviour == "broken" or (doc.behaviour == "flaky" and ctx.attempt == 1):
            amount = -amount  # the gate catches this
        if doc.behaviour == "wrong":
            amount += 1  # the gate cannot see this: an escaped defect
        return Claim(claimant=doc.text, amount=amount)

    @pipe.step
    async def decision(claim: Claim) -> Decision:
        return Decision(pay=claim.amount)

    pipe.gate(
        "claim", sl.check("amount is positive", lambda claim: claim.amount > 0), on_fail=sl.retry(1)
    )
    pipe.running = running  # type: ignore[attr-defined]
    return pipe


def tasks() -> list[dict[str, object]]:
    return [
        {
            "doc": {"text": name, "amount": amount, "behaviour": name},
            "expected": {"claim": {"claimant": name, "amount": amount}},
        }
        for name, amount in [("good", 10.0), ("flaky", 20.0), ("broken", 30.0), ("wrong", 40.0)]
    ]


async def test_shadow_and_gated_on_a_dataset() -> None:
    report = await evaluate(claims_pipeline(), tasks(), expected="expected", gates="both")

    assert [(r.index, r.mode, r.status) for r in report.runs] == [
        (0, "shadow", "succeeded"),
        (1, "shadow", "succeeded"),
        (2, "shadow", "succeeded"),
        (3, "shadow", "succeeded"),
        (0, "on", "succeeded"),
        (1, "on", "succeeded"),
        (2, "on", "failed"),
        (3, "on", "succeeded"),
    ]
    shadow, gated = report.shadow, report.gated
    assert shadow is not None and gated is not None

    # ungated: the negative amounts of flaky and broken would have gone through
    assert shadow.seam("claim").first_pass_yield == 0.5
    assert shadow.seam("claim").catches == 2
    assert (shadow.end_to_end.passed, shadow.end_to_end.tasks) == (2, 4)
    assert shadow.end_to_end.predicted == 0.5
    assert shadow.end_to_end.escaped_defects == 1  # "wrong" passed every gate

    claim = gated.seam("claim")
    assert (claim.units, claim.first_pass, claim.evaluations, claim.catches) == (4, 2, 6, 3)
    assert claim.retries_to_pass == pytest.approx(1 / 3)  # good 0, flaky 1, wrong 0
    assert claim.escaped_defects == 1
    assert claim.false_rejections == 0
    assert (gated.end_to_end.passed, gated.end_to_end.tasks) == (3, 4)
    assert gated.end_to_end.losses == (("claim", 1),)
    assert gated.end_to_end.escaped_defects == 1
    (escaped, failed_task) = gated.examples  # the wrong answer that passed comes first
    assert failed_task.run_id == run_id_for("claims", 2, "on")
    assert escaped.mismatches == ("claim.amount: got 41.0, expected 40.0",)

    assert "eval 'claims': 8 runs" in str(report)
    assert json.loads(json.dumps(report.to_dict()))["runs"][0]["run_id"] == (
        "eval-claims-00000-shadow"
    )
    assert "<svg" in report.to_html()


async def test_a_finished_eval_is_not_run_again(tmp_path: Path) -> None:
    calls: list[str] = []
    store = MemoryStore()
    first = await evaluate(
        claims_pipeline(calls), tasks()[:2], expected="expected", gates="on", store=store
    )
    ran = len(calls)
    assert ran == 3  # good/1, flaky/1, flaky/2
    again = await evaluate(
        claims_pipeline(calls), tasks()[:2], expected="expected", gates="on", store=store
    )
    assert len(calls) == ran
    assert all(r.reused for r in again.runs)
    assert again.reliability.to_dict() == first.reliability.to_dict()
    assert "(2 reused from the store)" in str(again)
    # a new eval name is a new set of runs
    await evaluate(
        claims_pipeline(calls), tasks()[:2], expected="expected", gates="on", store=store, name="v2"
    )
    assert len(calls) == 2 * ran


async def test_an_eval_in_a_sqlite_store(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'evals.db'}"
    calls: list[str] = []
    await evaluate(claims_pipeline(calls), tasks(), expected="expected", gates="shadow", store=url)
    report = await evaluate(
        claims_pipeline(calls), tasks(), expected="expected", gates="shadow", store=url
    )
    assert len(calls) == 4 and all(r.reused for r in report.runs)
    assert report.shadow is not None and report.shadow.end_to_end.escaped_defects == 1


async def test_concurrency_is_bounded_and_progress_reported() -> None:
    pipe = claims_pipeline(delay=0.01)
    seen: list[TaskRun] = []
    many = [{"doc": {"text": f"t{n}", "amount": 1.0}} for n in range(12)]
    report = await evaluate(pipe, many, gates="on", concurrency=3, on_run=seen.append)
    assert pipe.running["peak"] == 3  # type: ignore[attr-defined]
    assert len(seen) == 12 and {r.status for r in seen} == {"succeeded"}
    assert report.gated is not None and report.gated.end_to_end.pass_rate == 1.0


async def test_a_task_that_cannot_run_is_reported_not_raised() -> None:
    report = await evaluate(
        claims_pipeline(),
        [{"doc": {"text": "no amount"}}, {"doc": {"text": "a", "amount": 1}}],
        gates="on",
    )
    (bad,) = report.errors
    assert bad.index == 0 and bad.status == "error" and "amount" in (bad.error or "")
    assert report.gated is not None and report.gated.end_to_end.tasks == 1
    assert "task 0 (on) could not run" in str(report)


async def test_bad_arguments_are_refused() -> None:
    pipe = claims_pipeline()
    with pytest.raises(ConfigError, match="concurrency=0"):
        await evaluate(pipe, tasks(), concurrency=0)
    with pytest.raises(ConfigError, match="gates='off'"):
        await evaluate(pipe, tasks(), gates="off")  # type: ignore[arg-type]
    with pytest.raises(ConfigError, match="task 0: 'expected' must map step names"):
        await evaluate(
            pipe, [{"doc": {"text": "a", "amount": 1}, "expected": [1]}], expected="expected"
        )


def test_comparators() -> None:
    assert exact()(Claim(claimant="a", amount=1), {"claimant": "a", "amount": 1.0})
    assert approx(abs_tol=0.01)(10.0, 10.005) and not approx(abs_tol=0.01)(10.0, 10.02)
    assert approx()(True, True) and not approx()("1", 1)
    assert same_text()("  Ada   LOVELACE.", "ada lovelace")
    assert not same_text(punctuation=True)("Ada.", "ada")
    assert same_text()("ﬁle", "file")  # NFKC


def test_field_matcher_rules_by_step_field_and_artifact() -> None:
    match = field_matcher(
        {
            "claim.amount": approx(abs_tol=0.5),
            "claimant": "text",
            "decision": lambda actual, expected: actual["pay"] >= expected["pay"],
        }
    )
    got = {"claimant": "ADA", "amount": 10.2, "extra": 1}
    assert match("claim", got, {"claimant": "ada", "amount": 10}) == []
    assert match("claim", got, {"amount": 11}) == ["claim.amount: got 10.2, expected 11"]
    assert match("other", got, {"amount": 10}) == ["other.amount: got 10.2, expected 10"]
    assert match("decision", {"pay": 5}, {"pay": 4}) == []
    assert match("decision", {"pay": 3}, {"pay": 4}) == [
        "decision: got {'pay': 3}, expected {'pay': 4}"
    ]
    lines = [{"total": 1}, {"total": 2}]
    assert match("lines", lines, [{"total": 1}, {"total": 3}]) == [
        "lines[1].total: got 2, expected 3"
    ]
    assert match("lines", lines, [{"total": 1}]) == ["lines: got 2 items, expected 1"]
    with pytest.raises(ConfigError, match="use one of"):
        field_matcher({"x": "fuzzy"})


def test_load_tasks(tmp_path: Path) -> None:
    path = tmp_path / "tasks.jsonl"
    path.write_text('{"doc": {"text": "a", "amount": 1}}\n\n{"doc": {"text": "b", "amount": 2}}\n')
    assert [t["doc"]["text"] for t in load_tasks(path)] == ["a", "b"]
    path.write_text("[1]\n")
    with pytest.raises(ConfigError, match="line 1: a task is a JSON object"):
        load_tasks(path)
    path.write_text("{nope\n")
    with pytest.raises(ConfigError, match="line 1: not JSON"):
        load_tasks(path)


async def test_tasks_from_a_file(tmp_path: Path) -> None:
    path = tmp_path / "tasks.jsonl"
    path.write_text("\n".join(json.dumps(t) for t in tasks()))
    report = await evaluate(claims_pipeline(), path, expected="expected", gates="on")
    assert report.gated is not None and report.gated.end_to_end.tasks == 4


def test_run_ids_are_stable_and_safe() -> None:
    assert run_id_for("claims v2/β", 7, "shadow") == "eval-claims-v2-00007-shadow"


async def test_an_interrupted_task_is_resumed_not_restarted() -> None:
    calls: list[str] = []
    pipe = claims_pipeline(calls)
    task = {"doc": {"text": "good", "amount": 10.0}}
    # A run killed after its claim step finished: the log stops there.
    finished = await pipe.run(task, gates="on", run_id=run_id_for("claims", 0, "on"))
    cut = next(n for n, e in enumerate(finished.events) if type(e).__name__ == "GateEvaluated")
    store = MemoryStore()
    await store.append(finished.run_id, finished.events[: cut + 1])
    assert calls == ["good/1"]

    report = await evaluate(pipe, [task], gates="on", store=store)

    assert calls == ["good/1"]  # the claim attempt was not run again
    (run,) = report.runs
    assert (run.status, run.reused) == ("succeeded", False)
    assert report.gated is not None and report.gated.end_to_end.passed == 1


async def test_a_task_waiting_for_a_human_is_reused_until_decided() -> None:
    calls: list[str] = []
    pipe = sl.Pipeline("claims", inputs={"doc": Doc})

    @pipe.step
    async def claim(doc: Doc) -> Claim:
        calls.append(doc.text)
        return Claim(claimant=doc.text, amount=-1)

    pipe.gate(
        "claim",
        sl.check("positive", lambda claim: claim.amount > 0),
        on_fail=sl.escalate_to_human(),
    )
    store = MemoryStore()
    task = {"doc": {"text": "x", "amount": 1.0}}
    first = await evaluate(pipe, [task], gates="on", store=store)
    assert [r.status for r in first.runs] == ["needs_review"]
    assert first.gated is not None
    assert (first.gated.end_to_end.passed, first.gated.end_to_end.escalated) == (0, 1)
    assert first.gated.end_to_end.losses == (("claim", 1),)
    again = await evaluate(pipe, [task], gates="on", store=store)
    assert [(r.status, r.reused) for r in again.runs] == [("needs_review", True)]
    assert calls == ["x"]


class Note(BaseModel):
    text: str


class Said(BaseModel):
    by: str


async def test_deps_reach_every_run_and_the_resume_after_a_decision() -> None:
    pipe = sl.Pipeline("deps", inputs={"note": Note})
    seen: list[object] = []

    @pipe.step
    def first(note: Note, ctx: sl.StepContext) -> Said:
        seen.append(ctx.deps)
        return Said(by=str(ctx.deps))

    @pipe.step
    def second(first: Said, ctx: sl.StepContext) -> Said:
        seen.append(ctx.deps)  # runs after the approval: in the resume
        return Said(by=str(ctx.deps))

    pipe.approval("first")
    report = await evaluate(
        pipe,
        [{"note": {"text": "a"}}, {"note": {"text": "b"}}],
        gates="on",
        reviewer="approve",
        deps="options",
    )
    assert [r.status for r in report.runs] == ["succeeded", "succeeded"]
    assert seen == ["options"] * 4
