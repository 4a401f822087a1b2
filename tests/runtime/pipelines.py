"""Random pipelines for the property tests of run state: gates with ladders (retry, reroute,
fallback to a model object, escalate) and consensus gates (sl.agree), map= steps, approvals (per step and per item),
budgets and crashing steps, all deterministic, and a reviewer whose decisions depend only
on the run's log, so a run cut anywhere and resumed meets the same decisions."""

from __future__ import annotations

import dataclasses
import inspect
import zlib
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from hypothesis import strategies as st
from pydantic import BaseModel

import seamline as sl
from seamline.events import ApprovalDecided, ApprovalRequested, Event, StepStarted
from seamline.models.base import ModelRequest
from seamline.store.base import RunStore
from seamline.testing import ScriptedModel


class Val(BaseModel):
    v: int


@dataclass(frozen=True)
class StepSpec:
    name: str
    kind: str  # "plain" (reads Vals), "fan" (Val -> list[Val]), "map" (over a fan), "join" (list -> Val)
    reads: tuple[str, ...]
    gate: int | None = None  # the check fails when v % gate == 0
    retries: int = 1
    then: str | None = None  # "fallback", "reroute:<step>", or None
    escalate: bool = False
    approval: str | None = None  # "step" or "item"
    crash_first: bool = False  # the first attempt raises
    pure: bool = False  # a plain step with no model call and no context: the fast path
    agree: bool = False  # the gate also takes a consensus of 3 samples (sl.agree)


@dataclass(frozen=True)
class Spec:
    steps: tuple[StepSpec, ...]
    budget: int | None = None
    seed: int = 1


@st.composite
def specs(draw: st.DrawFn) -> Spec:
    """A chain of steps, each reading the one before it, and map= steps whose items run one
    at a time: a schedule with no races, so every way of running it must end the same.
    (Races between branches are tested on their own, in test_executor and test_approvals.)"""
    steps: list[StepSpec] = []
    previous, kind_before = "seed", "plain"
    for i in range(draw(st.integers(1, 5))):
        if kind_before == "fan":
            kind = "map"
        elif kind_before == "map":
            kind = "join"
        else:
            kind = draw(st.sampled_from(["plain", "plain", "fan"]))
        name = f"s{i}"
        gate = then = None
        retries, escalate, approval, crash = 1, False, None, False
        if kind != "fan" and draw(st.booleans()):
            gate = draw(st.sampled_from([2, 3, 4]))
            retries = draw(st.integers(1, 2))
            ancestors = [s.name for s in steps]
            then = draw(st.sampled_from([None, "fallback"] + [f"reroute:{a}" for a in ancestors]))
            escalate = draw(st.booleans())
        if kind != "fan" and draw(st.integers(0, 3)) == 0:
            approval = "item" if kind == "map" and draw(st.booleans()) else "step"
        pure = kind == "plain" and draw(st.booleans())
        if kind == "plain" and not pure:
            crash = draw(st.integers(0, 4)) == 0
        agree = gate is not None and not pure and draw(st.integers(0, 2)) == 0
        steps.append(
            StepSpec(
                name, kind, (previous,), gate, retries, then, escalate, approval, crash, pure, agree
            )
        )
        previous, kind_before = name, kind
    budget = draw(st.one_of(st.none(), st.integers(3, 25)))
    return Spec(tuple(steps), budget, draw(st.integers(0, 1000)))


def _ancestors(steps: list[StepSpec], reads: tuple[str, ...]) -> list[str]:
    by_name = {s.name: s for s in steps}
    seen: list[str] = []
    stack = [r for r in reads if r in by_name]
    while stack:
        name = stack.pop()
        if name not in seen:
            seen.append(name)
            stack.extend(r for r in by_name[name].reads if r in by_name)
    return sorted(seen)


def _value(request: ModelRequest, salt: str) -> Val:
    value = zlib.crc32((request.prompt + salt).encode()) % 60
    if request.seed is not None and zlib.crc32(f"{request.prompt}/{request.seed}".encode()) % 3:
        value = (value + 1) % 60  # a consensus gate's sample (sl.agree) that reads otherwise
    return Val(v=value)


@dataclass
class Built:
    pipe: sl.Pipeline
    executed: list[tuple[str, int | None, int]] = field(default_factory=list)
    inputs: dict[str, Any] = field(default_factory=dict)


def build(spec: Spec) -> Built:
    """The pipeline `spec` describes; every attempt of step code is noted in `executed`."""
    primary = ScriptedModel(lambda r: _value(r, ""), name="primary")
    backup = ScriptedModel(lambda r: _value(r, "backup"), name="backup")
    budget = sl.Budget(model_calls=spec.budget) if spec.budget is not None else None
    pipe = sl.Pipeline("random", inputs={"seed": Val}, model=primary, budget=budget)
    built = Built(pipe, inputs={"seed": Val(v=spec.seed)})
    for s in spec.steps:
        pipe.step(
            _step_fn(s, built.executed),
            map=s.reads[0] if s.kind == "map" else None,
            concurrency=1,  # items one at a time: no races (see `specs`)
            attempts=2 if s.crash_first else 1,
            backoff=0,
        )
        if s.gate is not None:
            ladder = sl.retry(s.retries)
            if s.then == "fallback":
                ladder = ladder.then(sl.fallback_model(backup))
            elif s.then is not None:
                ladder = ladder.then(sl.reroute(s.then.split(":", 1)[1]))
            if s.escalate:
                ladder = ladder.then(sl.escalate_to_human())
            divisor = s.gate
            consensus = (sl.agree(n=3, fields=["v"]),) if s.agree else ()
            pipe.gate(
                s.name,
                sl.check(f"v not divisible by {divisor}", _check(s.name, divisor)),
                *consensus,
                on_fail=ladder,
            )
        if s.approval is not None:
            pipe.approval(s.name, per_item=s.approval == "item")
    return built


def _check(name: str, divisor: int) -> Callable[..., Any]:
    def check(**artifact: Val) -> bool | str:
        value = artifact[name]
        return value.v % divisor != 0 or f"{value.v} is divisible by {divisor}"

    check.__signature__ = inspect.Signature(  # type: ignore[attr-defined]
        [inspect.Parameter(name, inspect.Parameter.KEYWORD_ONLY, annotation=Val)]
    )
    check.__annotations__ = {name: Val}
    return check


def _pure_fn(s: StepSpec, executed: list[tuple[str, int | None, int]]) -> Callable[..., Any]:
    async def fn(*reads: Val) -> Val:
        executed.append((s.name, None, 0))  # no context: the attempt is not known here
        return Val(v=sum(r.v for r in reads) * 7 % 60 + 1)

    fn.__name__ = s.name
    fn.__signature__ = inspect.Signature(  # type: ignore[attr-defined]
        [
            inspect.Parameter(r, inspect.Parameter.POSITIONAL_OR_KEYWORD, annotation=Val)
            for r in s.reads
        ]
    )
    fn.__annotations__ = {**{r: Val for r in s.reads}, "return": Val}
    return fn


def _step_fn(s: StepSpec, executed: list[tuple[str, int | None, int]]) -> Callable[..., Any]:
    if s.pure:
        return _pure_fn(s, executed)

    async def fn(ctx: sl.StepContext, **reads: Any) -> Any:
        if ctx.sample == 0:  # a consensus gate's samples are the gate's work, not attempts
            executed.append((s.name, ctx.index, ctx.attempt))
        if s.crash_first and ctx.attempt == 1:
            raise RuntimeError("first attempts of this step crash")
        if s.kind == "fan":
            (source,) = reads.values()
            return [Val(v=source.v + k) for k in range(source.v % 4)]
        if s.kind == "join":
            (items,) = reads.values()
            total = sum(i.v for i in items)
            return await ctx.generate(Val, f"{s.name} join {total} feedback={ctx.feedback}")
        seen = ",".join(f"{k}={v.v}" for k, v in sorted(reads.items()))
        prompt = f"{s.name} {seen} item={ctx.index} attempt={ctx.attempt}"
        return await ctx.generate(Val, prompt)

    returns: Any = list[Val] if s.kind == "fan" else Val
    param_type: Any = list[Val] if s.kind == "join" else Val
    fn.__name__ = s.name
    fn.__signature__ = inspect.Signature(  # type: ignore[attr-defined]
        [
            inspect.Parameter(
                "ctx", inspect.Parameter.POSITIONAL_OR_KEYWORD, annotation=sl.StepContext
            )
        ]
        + [
            inspect.Parameter(r, inspect.Parameter.KEYWORD_ONLY, annotation=param_type)
            for r in s.reads
        ]
    )
    fn.__annotations__ = {
        "ctx": sl.StepContext,
        **{r: param_type for r in s.reads},
        "return": returns,
    }
    return fn


# -- a reviewer that decides from the log alone ---------------------------------------------------


def decision_for(log: list[Event], request: ApprovalRequested) -> tuple[str, dict[str, Any]]:
    """How the reviewer decides `request`: a function of the run's log only (how often this
    unit was decided before), so every replay of the same history decides the same."""
    requests = {e.approval_id: e for e in log if isinstance(e, ApprovalRequested)}
    before = sum(
        1
        for e in log
        if isinstance(e, ApprovalDecided)
        and (r := requests.get(e.approval_id)) is not None
        and (r.step, r.index, r.reason) == (request.step, request.index, request.reason)
    )
    roll = zlib.crc32(f"{request.step}/{request.index}/{request.reason}/{before}".encode()) % 3
    if request.reason == "escalation":
        if before == 0 and roll != 2:
            return "reject", {"reason": "redo it"}
        return "edit", {"edit": Val(v=7)}
    if before == 0 and roll == 0:
        return "reject", {"reason": "not yet"}
    if roll == 1:
        artifact = request.artifact
        if isinstance(artifact, list):
            return "edit", {"edit": [{"v": _v(a) + 100} for a in artifact]}
        return "edit", {"edit": {"v": _v(artifact) + 100}}
    return "approve", {}


def _v(artifact: Any) -> int:
    return int(artifact["v"] if isinstance(artifact, dict) else artifact.v)


async def drive(
    built: Built, store: RunStore, run_id: str, *, start: bool, limit: int = 40
) -> sl.RunResult:
    """Run (or resume) to the end, deciding every approval as the reviewer does."""
    from seamline.runtime.state import fold

    pipe = built.pipe
    if start:
        result = await pipe.run(built.inputs, store=store, run_id=run_id, raise_on_failure=False)
    else:
        status = fold(run_id, await store.load(run_id)).status
        if status in (sl.RunStatus.WAITING, sl.RunStatus.NEEDS_REVIEW):
            # Cut while the reviewer was deciding: they finish first, as they did.
            await _decide_all(built, store, run_id)
        result = await pipe.resume(run_id, store=store, raise_on_failure=False)
    for _ in range(limit):
        if result.status not in (sl.RunStatus.WAITING, sl.RunStatus.NEEDS_REVIEW):
            return result
        await _decide_all(built, store, run_id)
        result = await pipe.resume(run_id, store=store, raise_on_failure=False)
    raise AssertionError(f"run {run_id} did not end after {limit} rounds of decisions")


async def _decide_all(built: Built, store: RunStore, run_id: str) -> None:
    """Decide every pending approval as the reviewer does (in a fixed order)."""
    from seamline.runtime.state import fold

    state = fold(run_id, await store.load(run_id))
    pending = sorted(state.pending_approvals, key=lambda r: (r.step, r.index or -1, r.seq))
    for request in pending:
        log = await store.load(run_id)
        decision, fields = decision_for(log, request)
        await built.pipe.decide(
            request.approval_id,
            decision,  # type: ignore[arg-type]
            store=store,
            resume=False,
            **fields,
        )


def without_fast_path(pipe: sl.Pipeline) -> None:
    """Make the executor take its general path for every step (the differential test)."""
    pipe._plan = dataclasses.replace(pipe.validate(), direct=frozenset())


def outcome(result: sl.RunResult, log: list[Event]) -> dict[str, Any]:
    """What must be the same however a run was interrupted."""
    from pydantic_core import to_jsonable_python

    from seamline.runtime.state import fold

    state = fold(result.run_id, log)
    return {
        "status": str(result.status),
        "artifacts": to_jsonable_python(result.artifacts),
        "attempts": sorted((str(u), n) for u, n in state.attempts.items()),
        "model_calls": state.model_calls,
        "started": sum(isinstance(e, StepStarted) for e in log),
    }
