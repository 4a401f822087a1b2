"""Steps, their retry policy, and the `StepContext` a step receives.

A step is a function whose parameters name what it reads (pipeline inputs or
upstream steps) and whose return annotation is the artifact it writes. Everything
here is read once, when the step is declared; the executor only looks things up.
"""

from __future__ import annotations

import inspect
import typing
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import TYPE_CHECKING, Any, Generic, Literal, TypeVar

from pydantic import BaseModel

from seamline._typing import Shape, describe, shape_of
from seamline.exceptions import PipelineError
from seamline.models.registry import as_model
from seamline.tools.specs import Allowlist, ToolSpec, parse_tools

if TYPE_CHECKING:
    from seamline.context.documents import Example, Passage, Where
    from seamline.context.store import Mode
    from seamline.mcp.servers import MCPServer
    from seamline.models.base import Model
    from seamline.runtime.executor import Execution

T = TypeVar("T", bound=BaseModel)
DepsT = TypeVar("DepsT")
_NO_TOOLS = Allowlist()
_NO_SERVERS: Mapping[str, Any] = MappingProxyType({})


@dataclass(frozen=True, slots=True)
class StepPolicy:
    """What to do when step code raises (gates handle bad artifacts; this handles crashes).

    Args:
        attempts: total tries, first included.
        backoff: seconds before the 2nd attempt; doubles each time, capped at `max_backoff`.
        jitter: spread each wait uniformly over [0.5, 1.0] × wait, so retries do not stampede.
        timeout: seconds one attempt may take; exceeding it is a failed attempt.
    """

    attempts: int = 1
    backoff: float = 0.1
    max_backoff: float = 10.0
    jitter: bool = True
    timeout: float | None = None

    def __post_init__(self) -> None:
        if self.attempts < 1:
            raise ValueError(f"attempts must be at least 1, got {self.attempts}")
        if self.timeout is not None and self.timeout <= 0:
            raise ValueError(f"timeout must be positive seconds, got {self.timeout}")


@dataclass(frozen=True, slots=True)
class Param:
    name: str
    annotation: Any
    shape: Shape


def _hints(fn: Callable[..., Any], owner: str) -> dict[str, Any]:
    try:
        return typing.get_type_hints(fn)
    except NameError as e:
        raise PipelineError(
            f"cannot resolve an annotation ({e}); define the artifact types at module level",
            step=owner,
        ) from e


def _is_context(annotation: Any) -> bool:
    return annotation is StepContext or typing.get_origin(annotation) is StepContext


def read_params(
    fn: Callable[..., Any], *, owner: str, what: str = "step"
) -> tuple[list[Param], str | None]:
    """The data parameters of `fn` and the name of its `StepContext` parameter, if any."""
    hints = _hints(fn, owner)
    params: list[Param] = []
    ctx_name = None
    for p in inspect.signature(fn).parameters.values():
        if p.kind in (p.VAR_POSITIONAL, p.VAR_KEYWORD):
            raise PipelineError(
                f"*{p.name} / **{p.name} cannot be resolved by name; "
                f"list the inputs and steps this {what} reads as named parameters",
                step=owner,
                param=p.name,
            )
        annotation = hints.get(p.name, inspect.Parameter.empty)
        if _is_context(annotation) or (p.name == "ctx" and annotation is inspect.Parameter.empty):
            ctx_name = p.name
            continue
        params.append(Param(p.name, annotation, shape_of(annotation)))
    return params, ctx_name


@dataclass(frozen=True, slots=True, eq=False)
class Step:
    """A declared step. Built by `Pipeline.step`; read by validation and the executor."""

    name: str
    fn: Callable[..., Any]
    params: tuple[Param, ...]
    ctx_param: str | None
    returns: Shape  # the artifact one call returns
    is_async: bool
    policy: StepPolicy
    map: str | None = None  # the list artifact fanned out over; its parameter gets one item
    concurrency: int = 16  # items of a map= step in flight at once
    when: Callable[..., Any] | None = None
    when_params: tuple[Param, ...] = ()
    model: str | Model | None = None  # default model for ctx.generate in this step
    tools: Allowlist = _NO_TOOLS  # what ctx.agent may call: the step's allowlist
    # The pipeline's MCP servers by name (the pipeline's own dict: servers may be declared
    # after the step).
    tool_servers: Mapping[str, MCPServer] = field(default_factory=dict)
    # The parameter names in call order, when the step can be called positionally (no
    # context, not a map= step): the executor's cheapest way to pass the artifacts.
    arg_names: tuple[str, ...] | None = None

    @property
    def artifact(self) -> Shape:
        """The shape of what readers receive: a list of items for a map= step."""
        return self.returns.as_list() if self.map else self.returns

    @property
    def reads(self) -> tuple[str, ...]:
        return tuple(p.name for p in self.params) + tuple(p.name for p in self.when_params)


def make_step(
    fn: Callable[..., Any],
    *,
    name: str | None,
    policy: StepPolicy,
    map: str | None,
    concurrency: int,
    when: Callable[..., Any] | None,
    model: str | Model | None,
    tools: Sequence[ToolSpec] = (),
    tool_servers: Mapping[str, MCPServer] = _NO_SERVERS,
) -> Step:
    """Read a step function's signature, checking what can be checked without the other steps."""
    step_name = name or fn.__name__
    hints = _hints(fn, step_name)
    if "return" not in hints:
        raise PipelineError(
            "has no return annotation; annotate the artifact it returns, e.g. `-> Claim` "
            "(a Pydantic model) or `-> list[Claim]`",
            step=step_name,
        )
    returns = shape_of(hints["return"])
    if not returns.is_artifact or returns.optional:
        raise PipelineError(
            f"returns {describe(hints['return'])}, which is not an artifact; return a Pydantic "
            "model (class X(BaseModel)) or a list of them. Wrap plain values in a model.",
            step=step_name,
        )
    if concurrency < 1:
        raise PipelineError(f"concurrency must be at least 1, got {concurrency}", step=step_name)
    params, ctx_param = read_params(fn, owner=step_name)
    allowlist = parse_tools(tools, step_name) if tools else _NO_TOOLS
    if allowlist and ctx_param is None:
        raise PipelineError(
            "declares tools but has no `ctx: sl.StepContext` parameter to call "
            "ctx.agent(...) with; add one",
            step=step_name,
        )
    when_params: list[Param] = []
    if when is not None:
        when_params, _ = read_params(when, owner=step_name, what="when= condition")
    positional = (
        ctx_param is None
        and map is None
        and all(
            p.kind is p.POSITIONAL_OR_KEYWORD for p in inspect.signature(fn).parameters.values()
        )
    )
    return Step(
        name=step_name,
        fn=fn,
        params=tuple(params),
        ctx_param=ctx_param,
        returns=returns,
        is_async=inspect.iscoroutinefunction(fn),
        policy=policy,
        map=map,
        concurrency=concurrency,
        when=when,
        when_params=tuple(when_params),
        model=as_model(model),
        arg_names=tuple(p.name for p in params) if positional else None,
        tools=allowlist,
        tool_servers=tool_servers,
    )


class StepContext(Generic[DepsT]):
    """What a step knows about the attempt it is running, and its door to the models.

    Attributes:
        run_id: the run this attempt belongs to.
        step: the step's name.
        attempt: 1 for the first try of this unit of work, counting every retry.
        index: the item number for a `map=` step, else None.
        feedback: the reasons of every failed verdict at this seam so far, oldest first.
            Empty on a first attempt. `generate` adds them to the prompt for you.
        idempotency_key: stable across a crash and resume of the same attempt; pass it
            to external systems so a replayed attempt does not act twice.
        deps: the object given as `pipe.run(..., deps=...)`.
        sample: 0 for the attempt itself; 1, 2, ... for the extra samples a consensus
            gate (`sl.agree`) takes of it, whose `generate` calls sample at the gate's
            temperature with a seed of their own (both recorded in the call).
    """

    __slots__ = (
        "_execution",
        "_sampling",
        "attempt",
        "deps",
        "feedback",
        "index",
        "model",
        "run_id",
        "sample",
        "step",
    )

    def __init__(
        self,
        execution: Execution,
        step: str,
        attempt: int,
        index: int | None,
        feedback: Sequence[str],
        model: str | Model | None,
    ) -> None:
        self._execution = execution
        self.run_id: str = execution.run_id
        self.step = step
        self.attempt = attempt
        self.index = index
        self.feedback: tuple[str, ...] = tuple(feedback)
        self.model = model
        self.deps: DepsT = execution.deps
        self.sample = 0
        self._sampling: tuple[float, int] | None = None  # (temperature, seed) of a sample

    @property
    def idempotency_key(self) -> str:
        item = "" if self.index is None else f"[{self.index}]"
        return f"{self.run_id}/{self.step}{item}/{self.attempt}"

    async def generate(
        self,
        output_type: type[T],
        prompt: str,
        *,
        system: str | None = None,
        model: str | Model | None = None,
        examples: Sequence[tuple[str, str]] = (),
        max_tokens: int | None = None,
    ) -> T:
        """Ask a model for an artifact of `output_type`, validated.

        The prompt gets this seam's feedback appended. The call, its usage and cost are
        recorded in the run log. Output that does not validate raises `InvalidOutput`,
        which fails this attempt with the validation error as the reason.

        Args:
            examples: few-shot pairs (user text, assistant JSON) sent as prior turns.
            max_tokens: a cap on the output; None uses the model's configured default.
        """
        from seamline.runtime.calls import generate

        return await generate(
            self._execution, self, output_type, prompt, system, model, examples, max_tokens
        )

    async def agent(
        self,
        output_type: type[T],
        prompt: str,
        *,
        tools: Sequence[ToolSpec] | None = None,
        system: str | None = None,
        model: Any = None,
        max_turns: int = 8,
        on_tool_error: Literal["retry", "fail"] = "retry",
        tool_retries: int = 2,
        max_tokens: int | None = None,
        must_use_tools: bool = False,
    ) -> T:
        """Let the model call the step's tools, over several turns, until it returns an
        artifact of `output_type`.

        Runs on pydantic-ai's agent loop. Every model turn and every tool call is recorded
        in the run log (and replayed from it), and counted against the run's `Budget`
        (`model_calls`, `tokens`, `cost_usd`, `tool_calls`). The prompt gets this seam's
        feedback appended, as with `generate`. The last turn offers only the final answer.

        Args:
            tools: a subset of the step's `tools=[...]` for this call (default: all of
                them). Naming a tool the step does not declare is a `PipelineError`.
            system: instructions for the model.
            model: a model string, a seamline model, or a pydantic-ai model (default:
                the step's).
            max_turns: model turns at most; no valid answer by then fails the attempt.
            on_tool_error: an exception from a Python tool goes back to the model
                ("retry", counted against `tool_retries`) or fails the attempt ("fail").
            tool_retries: errors fed back per tool before the attempt fails.
            max_tokens: a cap on each turn's output.
            must_use_tools: withhold the final answer until a tool has answered (the last
                turn offers it regardless): for models that answer without looking.

        Raises:
            InvalidOutput: no valid final answer (a failed attempt, handled by the seam's
                policy like a failed gate).
            ToolError: a tool could not answer (its server died, ...): a failed attempt.
        """
        from seamline.tools.agent import run_agent

        return await run_agent(
            self._execution,
            self,
            output_type,
            prompt,
            tools=tools,
            system=system,
            model=model,
            max_turns=max_turns,
            on_tool_error=on_tool_error,
            tool_retries=tool_retries,
            max_tokens=max_tokens,
            must_use_tools=must_use_tools,
        )

    async def call_tool(
        self,
        name: str,
        fn: Callable[..., Any],
        /,
        *,
        returns: type[T] | None = None,
        **arguments: Any,
    ) -> Any:
        """Call a tool and record the call (request and response) for replay.

        In a replay the recorded response is returned instead of calling `fn`. Give
        `returns` a Pydantic type when the tool returns a model, so a replay rebuilds it.
        """
        from seamline.runtime.calls import call_tool

        return await call_tool(self._execution, self, name, fn, returns, arguments)

    async def search(
        self,
        query: str,
        *,
        collection: str,
        k: int = 5,
        where: Where | None = None,
        mode: Mode = "hybrid",
    ) -> list[Passage]:
        """Search a context collection, as it was when this run started.

        The read (query, revision, every passage returned) is recorded in the run log, so
        `seamline show` lists it, a replay answers it offline, and a gate check with a
        parameter annotated `sl.Reads` receives this attempt's passages.

        Args:
            where: metadata filters, e.g. {"kind": "policy"} or {"lang": ["en", "fr"]}.
            mode: "hybrid" (BM25 fused with dense vectors), "keyword" or "dense".
        """
        from seamline.context.reads import search

        return await search(self._execution, self, query, collection, k, where, mode)

    async def examples(self, k: int = 3, *, query: str | None = None) -> list[Example]:
        """The `k` approved (or edited) artifacts of this step whose inputs are nearest to
        this attempt's: few-shot examples (`[e.as_pair() for e in examples]` is what
        `generate(..., examples=...)` takes). Empty until a person approved one. Recorded
        like `search`; `query` overrides the text matched against the examples' inputs."""
        from seamline.context.reads import examples

        return await examples(self._execution, self, k, query)

    def __repr__(self) -> str:
        return f"StepContext(run_id={self.run_id!r}, step={self.step!r}, attempt={self.attempt})"
