"""Validation, and the plan it produces: the data-flow graph the executor walks.

Every mistake found here is a `PipelineError` naming the step, the parameter, what is
wrong and the fix, raised before any step or model runs.
"""

from __future__ import annotations

import dataclasses
import inspect
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from seamline._typing import Shape, describe, shape_of
from seamline.exceptions import PipelineError
from seamline.gates import Gate
from seamline.models.base import Model
from seamline.runtime.shape import RunShape, StepShape
from seamline.steps import Param, Step


@dataclass(frozen=True, slots=True)
class ApprovalSpec:
    """A human checkpoint after a step (and its gate)."""

    step: str
    route_to: str | None = None  # where a rejection sends the work; default: the step itself
    timeout: float | None = None  # seconds; then `on_timeout` decides
    on_timeout: str = "reject"  # "approve" or "reject"
    per_item: bool = False  # a map= step: one approval per item, each decided on its own


@dataclass(frozen=True, slots=True)
class Plan:
    pipeline: str
    inputs: Mapping[str, Shape]
    steps: Mapping[str, Step]
    upstream: Mapping[str, tuple[str, ...]]  # steps (not inputs) a step waits for
    dependents: Mapping[str, tuple[str, ...]]
    downstream: Mapping[str, frozenset[str]]  # a step and everything computed from it
    order: tuple[str, ...]  # a topological order
    roots: tuple[str, ...]
    initial_remaining: Mapping[str, int]
    gates: Mapping[str, Gate]
    approvals: Mapping[str, ApprovalSpec]
    branches: bool  # some step has several dependents: the run can fan out into tasks
    reroutes: bool  # some gate can send work back to an earlier step
    # One root, and no step with several dependents: the steps run one after another.
    chain: bool
    # Some of a run's work can be in flight at once (branches, or the items of a map=
    # step), so two of its flushes can be too.
    concurrent: bool
    # A chain's last step (not a map=): once it completes, the run's next event is its
    # end, so its events can reach the store in the same batch as RunFinished.
    last: str | None
    # Steps whose first attempt the executor makes in its driving loop (see `_drive`):
    # async, called with positional artifacts, and no map=, when=, gate, approval or timeout.
    direct: frozenset[str]
    # Model objects by name, for the models a run records by name and finds again when
    # it resumes: the run's default model and the models ladders fall back to. (Steps'
    # and judges' own models are taken from the code, never from the log.)
    models: Mapping[str, Model]
    # What a run records of the plan in its RunStarted (see runtime/state.py's RunShape).
    graph: Mapping[str, Any]
    # The shape of its runs per gate mode, as their state reads it from `graph`.
    shapes: Mapping[str, RunShape]

    def model_for(self, name: str) -> str | Model:
        """The model a run recorded by `name`: a registered object, or the model string."""
        return self.models.get(name, name)

    def ancestors(self, name: str) -> set[str]:
        seen: set[str] = set()
        stack = list(self.upstream[name])
        while stack:
            s = stack.pop()
            if s not in seen:
                seen.add(s)
                stack.extend(self.upstream[s])
        return seen


def compile_plan(
    pipeline: str,
    inputs: Mapping[str, Any],
    steps: Mapping[str, Step],
    gates: Mapping[str, Gate],
    approvals: Mapping[str, ApprovalSpec],
    models: Mapping[str, Model] | None = None,
    default_model: str | Model | None = None,
) -> Plan:
    input_shapes = _input_shapes(inputs, steps)
    producers: dict[str, Shape] = dict(input_shapes)
    producers.update({name: step.artifact for name, step in steps.items()})
    known = f"inputs: {sorted(input_shapes) or 'none'}; steps: {sorted(steps) or 'none'}"

    upstream: dict[str, tuple[str, ...]] = {}
    for step in steps.values():
        reads: list[str] = []
        for p in step.params:
            _check_param(step, p, producers, steps, known)
        for p in step.when_params:  # often a lambda: names must resolve, annotations can't be asked
            if p.name not in producers:
                raise PipelineError(
                    f"its when= condition reads {p.name!r}, which is neither a pipeline input "
                    f"nor a step ({known})",
                    step=step.name,
                    param=p.name,
                )
        for p in (*step.params, *step.when_params):
            if p.name in steps and p.name not in reads:
                reads.append(p.name)
        if step.map is not None:
            _check_map(step, producers, steps)
        upstream[step.name] = tuple(reads)

    order = _topological(steps, upstream)
    dependents: dict[str, list[str]] = {name: [] for name in steps}
    for name, ups in upstream.items():
        for up in ups:
            dependents[up].append(name)
    downstream: dict[str, frozenset[str]] = {}
    for name in reversed(order):
        below: set[str] = {name}
        for d in dependents[name]:
            below |= downstream[d]
        downstream[name] = frozenset(below)

    roots = tuple(n for n in order if not upstream[n])
    branches = any(len(d) > 1 for d in dependents.values())
    # In a chain every step has one upstream step at most: several would be reached by
    # paths that split somewhere, at a step with several dependents.
    chain = len(roots) == 1 and not branches
    graph = _graph(steps, gates, approvals)
    plan = Plan(
        pipeline=pipeline,
        inputs=input_shapes,
        steps=steps,
        upstream=upstream,
        dependents={k: tuple(v) for k, v in dependents.items()},
        downstream=downstream,
        order=order,
        roots=roots,
        initial_remaining={n: len(u) for n, u in upstream.items()},
        gates=gates,
        approvals=approvals,
        branches=branches,
        reroutes=any(g.policy.reroute_targets for g in gates.values()),
        chain=chain,
        concurrent=branches or len(roots) > 1 or any(s.map is not None for s in steps.values()),
        last=order[-1] if chain and steps[order[-1]].map is None else None,
        direct=frozenset(
            name
            for name, step in steps.items()
            if step.arg_names is not None
            and step.is_async
            and step.map is None
            and step.when is None
            and step.policy.timeout is None
            and name not in gates
            and name not in approvals
        ),
        models=_model_registry(gates, models or {}, default_model),
        graph=graph,
        shapes={
            mode: RunShape.from_options({"graph": graph, "gates": mode})
            for mode in ("on", "shadow", "off")
        },
    )
    for gate in gates.values():
        _check_gate(plan, gate, known)
    for spec in approvals.values():
        _check_approval(plan, spec)
    return plan


def remote_plan(plan: Plan) -> Plan:
    """The plan for a run whose attempts are made elsewhere (`Execution(remote=...)`): no
    step's first attempt is made inline."""
    return dataclasses.replace(plan, direct=frozenset())


def _input_shapes(inputs: Mapping[str, Any], steps: Mapping[str, Step]) -> dict[str, Shape]:
    shapes = {}
    for name, annotation in inputs.items():
        shape = shape_of(annotation)
        if not shape.is_artifact:
            raise PipelineError(
                f"input {name!r} is declared as {describe(annotation)}; inputs are artifacts too: "
                "declare a Pydantic model (or a list of them)"
            )
        if name in steps:
            raise PipelineError(
                f"is also the name of a pipeline input; rename the step or the input so "
                f"{name!r} means one thing",
                step=name,
            )
        shapes[name] = shape
    return shapes


def _check_param(
    step: Step, p: Param, producers: Mapping[str, Shape], steps: Mapping[str, Step], known: str
) -> None:
    if p.name == step.name:
        raise PipelineError(
            "a step cannot read its own artifact; to improve on an earlier attempt, read "
            "ctx.feedback, or gate the step with sl.retry()",
            step=step.name,
            param=p.name,
        )
    if p.name not in producers:
        raise PipelineError(
            f"{p.name!r} is neither a pipeline input nor a step ({known}); rename the "
            "parameter to the input or step it should read, or add that step",
            step=step.name,
            param=p.name,
        )
    if p.annotation is inspect.Parameter.empty:
        raise PipelineError(
            f"has no annotation; annotate it with the artifact type it reads, "
            f"e.g. `{p.name}: {describe(producers[p.name].annotation)}`",
            step=step.name,
            param=p.name,
        )
    produced = producers[p.name]
    if step.map == p.name:
        produced = produced.element()
    producer = steps.get(p.name)
    if producer is not None and producer.when is not None and not p.shape.optional:
        raise PipelineError(
            f"step {p.name!r} may be skipped (it has when=), so this parameter can be None; "
            f"annotate it as `{p.name}: {describe(produced.annotation)} | None`",
            step=step.name,
            param=p.name,
        )
    if not p.shape.accepts(produced):
        hint = ""
        if step.map == p.name and p.shape.is_list:
            hint = " (with map=, this parameter receives one item, not the list)"
        raise PipelineError(
            f"is annotated {describe(p.annotation)}, but {p.name!r} provides "
            f"{describe(produced.annotation)}{hint}; annotate it as "
            f"`{p.name}: {describe(produced.annotation)}`",
            step=step.name,
            param=p.name,
        )


def _check_map(step: Step, producers: Mapping[str, Shape], steps: Mapping[str, Step]) -> None:
    source = step.map
    assert source is not None
    if source not in producers:
        raise PipelineError(
            f"map={source!r} names no input or step; map over a list artifact this step reads",
            step=step.name,
        )
    if source not in {p.name for p in step.params}:
        raise PipelineError(
            f"map={source!r} but the step has no parameter {source!r}; add one "
            f"(it receives one item per call)",
            step=step.name,
        )
    if not producers[source].is_list:
        raise PipelineError(
            f"map={source!r} but {source!r} is {describe(producers[source].annotation)}, "
            f"not a list; map= fans out over a list[...] artifact",
            step=step.name,
            param=source,
        )
    producer = steps.get(source)
    if producer is not None and producer.when is not None:
        raise PipelineError(
            f"map={source!r} over a step that may be skipped is ambiguous; give this step "
            f"the same when= condition and read {source!r} only when it ran",
            step=step.name,
            param=source,
        )


def _topological(
    steps: Mapping[str, Step], upstream: Mapping[str, tuple[str, ...]]
) -> tuple[str, ...]:
    order: list[str] = []
    state: dict[str, int] = {}  # 1 visiting, 2 done
    path: list[str] = []

    def visit(name: str) -> None:
        if state.get(name) == 2:
            return
        if state.get(name) == 1:
            cycle = [*path[path.index(name) :], name]
            raise PipelineError(
                f"steps form a cycle: {' → '.join(cycle)}. Data must flow one way; to send "
                "work back to an earlier step, gate a later step with sl.reroute(...)",
                step=name,
            )
        state[name] = 1
        path.append(name)
        for up in upstream[name]:
            visit(up)
        path.pop()
        state[name] = 2
        order.append(name)

    for name in steps:
        visit(name)
    return tuple(order)


def _check_agree(step: Step, gate: Gate) -> None:
    """A consensus gate samples the step's model calls, on fields its artifact has."""
    agree = gate.agree
    assert agree is not None
    if step.ctx_param is None:
        raise PipelineError(
            f"{agree.name!r} samples the step's model calls, but the step takes no "
            "sl.StepContext: every sample would be the same; give it a `ctx: sl.StepContext` "
            "parameter and call ctx.generate(...)",
            step=gate.step,
        )
    if step.returns.is_list:
        raise PipelineError(
            f"{agree.name!r} compares fields of one artifact, but the step returns a list; "
            "gate a map= step over the items instead",
            step=gate.step,
        )
    known = set(step.returns.model.model_fields) if step.returns.model is not None else set()
    unknown = [f for f in agree.fields if f not in known]
    if unknown:
        raise PipelineError(
            f"{agree.name!r} compares {unknown[0]!r}, which is not a field of "
            f"{step.returns.model.__name__ if step.returns.model else 'its artifact'} "
            f"(fields: {', '.join(sorted(known))})",
            step=gate.step,
        )


def _check_gate(plan: Plan, gate: Gate, known: str) -> None:
    if gate.step not in plan.steps:
        raise PipelineError(f"a gate is on {gate.step!r}, which is not a step ({known})")
    readable = plan.ancestors(gate.step) | set(plan.inputs) | {gate.step}
    step = plan.steps[gate.step]
    if step.map is not None:
        readable.add(step.map)
    for c, names in zip(gate.checks, gate.check_params, strict=True):
        for name in names:
            if name not in readable:
                raise PipelineError(
                    f"check {c.name!r} reads {name!r}, which is not the gated artifact, an input, "
                    f"or a step upstream of {gate.step!r}; name the parameter {gate.step!r} to "
                    f"read the artifact under review",
                    step=gate.step,
                    param=name,
                )
    for j in gate.judges:
        for name in j.reads:
            if name not in readable:
                raise PipelineError(
                    f"judge {j.name!r} reads {name!r}, which is not an input or a step upstream "
                    f"of {gate.step!r}",
                    step=gate.step,
                    param=name,
                )
    if gate.agree is not None:
        _check_agree(step, gate)
    for target in gate.policy.reroute_targets:
        if target not in plan.ancestors(gate.step):
            raise PipelineError(
                f"reroute({target!r}) must name a step upstream of {gate.step!r} "
                f"(upstream: {sorted(plan.ancestors(gate.step)) or 'none'}); to run "
                f"{gate.step!r} itself again, use sl.retry()",
                step=gate.step,
            )


def _model_registry(
    gates: Mapping[str, Gate], named: Mapping[str, Model], default: str | Model | None
) -> dict[str, Model]:
    """The model objects a run may record by name; two objects under one name would make
    a recorded name ambiguous, so that is an error."""
    registry: dict[str, Model] = {}
    where: dict[str, str] = {}

    def add(model: Any, place: str) -> None:
        if model is None or isinstance(model, str):
            return
        name = model.name
        if name in registry and registry[name] is not model:
            raise PipelineError(
                f"two different model objects are both named {name!r} ({where[name]} and "
                f"{place}); a run records models by name, so give each its own name"
            )
        registry[name], where[name] = model, place

    for name, model in named.items():
        if getattr(model, "name", name) != name:
            raise PipelineError(
                f"models={{{name!r}: ...}} names a model whose .name is "
                f"{getattr(model, 'name', None)!r}; use its own name as the key"
            )
        add(model, f"models[{name!r}]")
    add(default, "the pipeline's model")
    for gate in gates.values():
        for fallback in gate.policy.models:
            add(fallback, f"the ladder of the gate on {gate.step!r}")
    return registry


def _graph(
    steps: Mapping[str, Step], gates: Mapping[str, Gate], approvals: Mapping[str, ApprovalSpec]
) -> dict[str, Any]:
    graph = {}
    for name, step in steps.items():
        spec = approvals.get(name)
        graph[name] = StepShape(
            map=step.map,
            gate=name in gates,
            approval=None if spec is None else ("item" if spec.per_item else "step"),
            route_to=spec.route_to if spec is not None else None,
            on_timeout=spec.on_timeout if spec is not None else "reject",
            reads=step.reads,
            returns=describe(step.returns.annotation),
        ).to_json()
    return graph


def _check_approval(plan: Plan, spec: ApprovalSpec) -> None:
    if spec.step not in plan.steps:
        raise PipelineError(f"an approval is on {spec.step!r}, which is not a step")
    if spec.per_item and plan.steps[spec.step].map is None:
        raise PipelineError(
            "per_item=True asks for one approval per item of a map= step, but this step has "
            "no map=; drop per_item",
            step=spec.step,
        )
    if spec.route_to is not None and spec.route_to not in plan.ancestors(spec.step) | {spec.step}:
        raise PipelineError(
            f"approval route_to={spec.route_to!r} must be {spec.step!r} or a step upstream of it",
            step=spec.step,
        )
