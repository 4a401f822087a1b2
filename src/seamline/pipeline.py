"""`Pipeline`: typed steps wired by what they read, gates on their seams, human checkpoints."""

from __future__ import annotations

import asyncio
import dataclasses
import itertools
import os
import sys
import time
from collections.abc import Callable, Coroutine, Mapping, Sequence
from typing import TYPE_CHECKING, Any, Literal, TypeVar, overload

from pydantic import TypeAdapter, ValidationError

from seamline.agreement import Agree
from seamline.events import Event, RunStarted
from seamline.exceptions import PipelineError, RunFailed, StoreError
from seamline.gates import Check, Gate, Judge, make_gate
from seamline.models.base import Model
from seamline.models.registry import as_model
from seamline.otel.switch import for_run
from seamline.policies import Budget, Policy
from seamline.runtime.executor import Execution
from seamline.runtime.plan import ApprovalSpec, Plan, compile_plan
from seamline.runtime.result import RunResult, run_result
from seamline.runtime.writer import EventHook
from seamline.steps import Step, StepPolicy, make_step
from seamline.store import RunStore, open_store
from seamline.store.base import ApprovalRecord, PendingApproval, RunSummary
from seamline.tools.specs import ToolSpec

if TYPE_CHECKING:
    from seamline.mcp.servers import MCPServer
    from seamline.runtime.replay import Recording

F = TypeVar("F", bound=Callable[..., Any])
GateMode = Literal["on", "shadow", "off"]


_PROCESS = os.urandom(3).hex()  # one random draw per process: os.urandom costs µs per call
_counter = itertools.count()


def new_run_id() -> str:
    """Unique across processes, and time-ordered, so listings sort by creation."""
    return f"{time.time_ns() // 1000:x}-{_PROCESS}{next(_counter) & 0xFFFF:04x}"


class Pipeline:
    """A pipeline: named inputs, and steps that read them and each other by parameter name.

    ```python
    pipe = sl.Pipeline("claims", inputs={"doc": ClaimDoc})

    @pipe.step
    async def claim(doc: ClaimDoc, ctx: sl.StepContext) -> Claim: ...
    ```
    """

    def __init__(
        self,
        name: str,
        inputs: Mapping[str, Any] | None = None,
        *,
        model: str | Model | None = None,
        budget: Budget | None = None,
        models: Mapping[str, Model] | None = None,
        context: Any = None,
        learn_from_approvals: bool = True,
    ) -> None:
        """
        Args:
            name: the pipeline's name, recorded by every run.
            inputs: input name -> Pydantic type.
            model: the default model of steps and judges that name none.
            budget: per-run limits (see `sl.Budget`).
            models: model objects a run may name that the pipeline does not otherwise
                hold (a `pipe.run(model=obj)` override, say), by their `.name`, so a run
                resumed in another process finds them again. Models the pipeline, its
                steps, judges and ladders name are registered by themselves.
            context: the context store steps search (`ctx.search`): a URL or a
                `ContextStore`. Default: the run store's own file (SQLite / PostgreSQL).
            learn_from_approvals: write every approved or edited artifact, with the
                inputs it was made from, to the step's examples collection, where
                `ctx.examples()` finds it for later runs.
        """
        self.name = name
        self.context = context
        self.learn_from_approvals = learn_from_approvals
        self.inputs: dict[str, Any] = dict(inputs or {})
        self.model = as_model(model)
        self.budget = budget or Budget()
        self.models: dict[str, Model] = dict(models or {})
        self._hooks: list[EventHook] = []
        self._steps: dict[str, Step] = {}
        self._gates: dict[str, Gate] = {}
        self._approvals: dict[str, ApprovalSpec] = {}
        self._servers: dict[str, MCPServer] = {}
        self._plan: Plan | None = None
        self._traced_plan: tuple[Plan, Plan] | None = None  # (plan, its traced variant)
        self._connects = False  # whether a step uses an MCP server; set by validate()
        self._input_adapters = {k: TypeAdapter(v) for k, v in self.inputs.items()}
        self.source: str | None = sys._getframe(1).f_globals.get("__file__")
        self._options_cache: dict[tuple[str, str | None], dict[str, Any]] = {}

    # -- building ------------------------------------------------------------------------

    @overload
    def step(self, fn: F) -> F: ...

    @overload
    def step(
        self,
        *,
        name: str | None = None,
        map: str | None = None,
        concurrency: int = 16,
        when: Callable[..., Any] | None = None,
        attempts: int = 1,
        backoff: float = 0.1,
        timeout: float | None = None,
        model: str | Model | None = None,
        tools: Sequence[ToolSpec] = (),
    ) -> Callable[[F], F]: ...

    def step(  # the implementation is untyped where the overloads say it all
        self,
        fn: Callable[..., Any] | None = None,
        *,
        name: str | None = None,
        map: str | None = None,
        concurrency: int = 16,
        when: Callable[..., Any] | None = None,
        attempts: int = 1,
        backoff: float = 0.1,
        timeout: float | None = None,
        model: str | Model | None = None,
        tools: Sequence[ToolSpec] = (),
    ) -> Any:
        """Declare a step. Its parameters name what it reads; its return annotation is its artifact.

        Args:
            name: defaults to the function's name.
            map: fan out over this list artifact: one call per item, run concurrently,
                collected as a list in input order. The parameter of that name gets one item.
            concurrency: items of a `map=` step in flight at once.
            when: a condition over inputs/artifacts (by parameter name); the step is
                skipped when it returns false, and its readers receive None.
            attempts, backoff, timeout: what to do when the step's code raises or hangs.
            model: the default model for `ctx.generate` and `ctx.agent` in this step.
            tools: what `ctx.agent` may call: Python functions (or `sl.tool(...)`) and MCP
                tools as `"server.tool"` / `"server.*"`, of servers declared with
                `pipe.mcp_server`. The list is the step's allowlist.
        """
        policy = StepPolicy(attempts=attempts, backoff=backoff, timeout=timeout)

        def register(f: Callable[..., Any]) -> Callable[..., Any]:
            step = make_step(
                f,
                name=name,
                policy=policy,
                map=map,
                concurrency=concurrency,
                when=when,
                model=model,
                tools=tools,
                tool_servers=self._servers,
            )
            if step.name in self._steps:
                raise PipelineError(
                    "is declared twice; step names are the keys of the shared state, so each "
                    "must be unique: rename one (or pass name=...)",
                    step=step.name,
                )
            self._steps[step.name] = step
            self._plan = None
            return f

        return register(fn) if fn is not None else register

    def gate(
        self,
        step: str,
        *checks: Check | Judge | Agree,
        on_fail: Policy | None = None,
        max_attempts: int | None = None,
        judges: Literal["when_checks_pass", "always"] = "when_checks_pass",
    ) -> Gate:
        """Put a gate on `step`'s output. Default policy: `sl.retry(2)`, then fail.

        Args:
            on_fail: the escalation ladder for a failed verdict.
            max_attempts: a budget on attempts of one unit at this seam, whatever the ladder says.
            judges: "when_checks_pass" skips judges (model calls) once a check failed;
                "always" runs them anyway, so the feedback holds every reason at once.
        """
        if step in self._gates:
            raise PipelineError(
                "already has a gate; pass all its checks to one pipe.gate(...) call", step=step
            )
        gate = make_gate(step, checks, on_fail, max_attempts, judges)
        self._gates[step] = gate
        self._plan = None
        return gate

    def approval(
        self,
        step: str,
        *,
        route_to: str | None = None,
        timeout: float | None = None,
        on_timeout: Literal["approve", "reject"] = "reject",
        per_item: bool = False,
    ) -> None:
        """A durable human checkpoint after `step` (and its gate): the run waits for a decision.

        Args:
            route_to: where a rejection sends the work (with the reason as feedback);
                defaults to `step` itself.
            timeout: seconds after which `on_timeout` is applied when the run is resumed.
            per_item: for a map= step, one approval per item, decided in any order and from
                any process; rejecting one item redoes that item only.
        """
        self._approvals[step] = ApprovalSpec(step, route_to, timeout, on_timeout, per_item)
        self._plan = None

    def mcp_server(
        self,
        name: str,
        *,
        command: str | Sequence[str] | None = None,
        url: str | None = None,
        env: Mapping[str, str] | None = None,
        cwd: str | None = None,
        headers: Mapping[str, str] | None = None,
        token_env: str | None = None,
        tools: Sequence[str] | None = None,
        requires_approval: Sequence[str] = (),
        timeout: float = 60.0,
        startup_timeout: float = 30.0,
    ) -> MCPServer:
        """Declare an MCP server whose tools steps can list as `"<name>.<tool>"`.

        Started (stdio `command`) or reached (streamable-HTTP `url`) once per process, on
        first use, and shared by every run; see `seamline.mcp`.

        Args:
            command: the stdio server to start, e.g. `["mcp-server-time"]`.
            url: a streamable-HTTP endpoint instead, e.g. `"http://127.0.0.1:8931/mcp"`.
            env, cwd: the command's extra environment and working directory.
            headers, token_env: HTTP headers, and an environment variable holding a bearer
                token (secrets are never printed or recorded).
            tools: the tools the server must have; lets allowlists be checked at build time.
            requires_approval: tool names or globs whose every call a person must approve.
            timeout: seconds one call may take before it fails the attempt.
            startup_timeout: seconds to start the server and list its tools.
        """
        from seamline.mcp.servers import make_server

        if name in self._servers:
            raise PipelineError(f"MCP server {name!r} is declared twice; declare it once")
        server = make_server(
            name,
            command=command,
            url=url,
            env=env,
            cwd=cwd,
            headers=headers,
            token_env=token_env,
            tools=tools,
            requires_approval=requires_approval,
            timeout=timeout,
            startup_timeout=startup_timeout,
        )
        self._servers[name] = server
        self._plan = None
        return server

    @property
    def mcp_servers(self) -> Mapping[str, MCPServer]:
        """The MCP servers declared on this pipeline, by name."""
        return self._servers

    async def connect(self) -> None:
        """Start (or reach) the MCP servers the steps use, and check every step's
        allowlist against the tools they list. `run` and `resume` do this before a run's
        first step; call it to find a mistake at startup instead.

        Raises:
            PipelineError: an allowlist names a tool the server does not have.
            ConfigError: a server could not be started or reached.
        """
        from seamline.mcp.check import check_connected
        from seamline.mcp.pool import connect

        for step in self.validate().steps.values():
            for server_name in step.tools.server_names:
                server = self._servers[server_name]
                connection = await connect(server)
                check_connected(server, connection, step.name, step.tools)

    def _uses_servers(self) -> bool:
        return any(step.tools.servers for step in self._steps.values())

    def on_event(self, hook: EventHook) -> EventHook:
        """Call `hook(run_id, event)` for every event of this pipeline's runs, once it is
        in the run's store (a hook may be async; one that raises is logged, never breaks
        the run). Usable as a decorator."""
        self._hooks.append(hook)
        return hook

    # -- validation ----------------------------------------------------------------------

    def validate(self) -> Plan:
        """Check the whole pipeline; raise `PipelineError` naming the first mistake and its fix."""
        if self._plan is None:
            if not self._steps:
                raise PipelineError(f"pipeline {self.name!r} has no steps; add one with @pipe.step")
            plan = compile_plan(
                self.name,
                self.inputs,
                self._steps,
                self._gates,
                self._approvals,
                self.models,
                self.model,
            )
            _check_reads_params(plan)
            if self._servers or self._uses_servers():
                from seamline.mcp.check import check_declared

                for step in self._steps.values():
                    check_declared(step.name, step.tools, self._servers)
            self._plan = plan
            self._connects = self._uses_servers()  # asked by every run: answered once
        return self._plan

    @property
    def steps(self) -> Mapping[str, Step]:
        return self._steps

    def _coerce_inputs(self, inputs: Mapping[str, Any] | None) -> dict[str, Any]:
        given = dict(inputs or {})
        declared = self.inputs
        if given.keys() == declared.keys():
            for key, value in given.items():
                if type(value) is not declared[key]:
                    break
            else:
                return given  # the common case: exactly the declared models
        missing = [k for k in self.inputs if k not in given]
        unknown = [k for k in given if k not in self.inputs]
        if missing or unknown:
            raise PipelineError(
                f"pipeline {self.name!r} takes inputs {sorted(self.inputs)}; "
                + (f"missing {missing}" if missing else "")
                + ("; " if missing and unknown else "")
                + (f"unexpected {unknown}" if unknown else "")
            )
        values = {}
        for key, value in given.items():
            expected = self.inputs[key]
            if isinstance(expected, type) and isinstance(value, expected):
                values[key] = value
                continue
            try:
                values[key] = self._input_adapters[key].validate_python(value)
            except ValidationError as e:
                raise PipelineError(f"input {key!r} does not match {expected!r}: {e}") from None
        return values

    # -- running -------------------------------------------------------------------------

    def run(
        self,
        inputs: Mapping[str, Any] | None = None,
        *,
        store: str | RunStore | None = None,
        gates: GateMode = "on",
        run_id: str | None = None,
        model: str | Model | None = None,
        budget: Budget | None = None,
        deps: Any = None,
        raise_on_failure: bool = True,
        context: Any = None,
        engine: str | None = None,
    ) -> Coroutine[Any, Any, RunResult]:
        """Run the pipeline once: `result = await pipe.run(inputs)`.

        The pipeline and the inputs are checked when this is called, before anything is
        awaited; the returned coroutine is the run itself.

        Args:
            inputs: a value per declared input (model instances, or dicts to validate).
            store: where the run log goes: a URL (`sqlite:///runs.db`, `postgresql://...`,
                `memory://name`) or an open store. Default: a private in-memory log,
                returned in the result.
            gates: "on" (gates act), "shadow" (gates evaluate and record, never act), "off".
            model: the default model for steps and judges that name none.
            budget: per-run limits; defaults to the pipeline's.
            deps: any object, available to steps as `ctx.deps`.
            raise_on_failure: when False, a failed run returns its result (status
                failed, `error` set) instead of raising.
            context: the context store for `ctx.search` in this run (default: the
                pipeline's, else the run store's file).
            engine: `"temporal://host:7233?namespace=...&task_queue=..."` runs it as a
                Temporal workflow on the workers of that task queue (`seamline worker`),
                which share `store`; see `seamline.engines.temporal`. Default: this process.

        Returns:
            The result, with status succeeded, waiting (an approval) or needs_review.

        Raises:
            StepFailed, GateRejected, BudgetExceeded: the run failed; `err.result` holds
                every artifact produced before the failure.
        """
        plan = self.validate()
        if gates not in ("on", "shadow", "off"):
            raise PipelineError(f"gates={gates!r}: use 'on', 'shadow' or 'off'")
        values = self._coerce_inputs(inputs)
        run_budget = budget or self.budget
        if engine is not None:
            from seamline.engines.temporal.start import start_run

            return start_run(
                self,
                plan,
                engine,
                store,
                values,
                gates,
                run_id or new_run_id(),
                model or self.model,
                run_budget,
                deps,
                raise_on_failure,
                context,
            )
        run_id = run_id or new_run_id()
        trace = for_run(run_id)  # decided once per run: None unless OpenTelemetry is set up
        execution = Execution(
            plan if trace is None else self._traced(plan),
            store if store is not None else _RESULT_ONLY,
            run_id,
            gates=gates,
            budget=run_budget,
            model=as_model(model) or self.model,
            deps=deps,
            hooks=self._hooks,
            trace=trace,
        )
        if context is not None or self.context is not None:
            execution.context = context if context is not None else self.context
        options = self._options(plan, gates, execution.model, run_budget)
        if trace is not None:
            options = trace.open_run(self.name, gates, options)
        ready = execution.start(values, options)
        if self._connects:
            run = self._connected_run(execution, ready, raise_on_failure)
        else:
            run = execution.execute(ready, raise_on_failure=raise_on_failure)
        return run if trace is None else trace.drive(run)

    def _traced(self, plan: Plan) -> Plan:
        """The plan a traced run executes: every attempt goes through the unit runner
        (runtime/unit.py), which opens its span; the executor's inline first attempts
        (`Plan.direct`) stay untouched for runs that are not traced. Both write the same
        log (tests/runtime/test_state_property.py)."""
        cached = self._traced_plan
        if cached is None or cached[0] is not plan:
            cached = self._traced_plan = (plan, dataclasses.replace(plan, direct=frozenset()))
        return cached[1]

    async def _connected_run(
        self, execution: Execution, ready: Sequence[str], raise_on_failure: bool
    ) -> RunResult:
        await self.connect()  # before the first step: an allowlist mistake costs no model call
        return await execution.execute(ready, raise_on_failure=raise_on_failure)

    def _options(
        self, plan: Plan, gates: str, model: str | Model | None, budget: Budget
    ) -> dict[str, Any]:
        """What RunStarted records about how the run was asked for, and the graph it runs
        (see `runtime/state.py`). Runs with the pipeline's own budget share one dict per
        (gates, model): runs by the thousand would otherwise each hold a copy."""
        name = model if model is None or isinstance(model, str) else model.name
        cached = budget is self.budget
        options = self._options_cache.get((gates, name)) if cached else None
        if options is None:
            options = {
                "gates": gates,
                "model": name,
                "budget": budget.as_dict(),
                "source": self.source,  # lets `seamline resume RUN_ID` find the pipeline's code
                "graph": plan.graph,
            }
            if cached:
                self._options_cache[gates, name] = options
        return options

    async def resume(
        self,
        run_id: str,
        *,
        store: str | RunStore,
        model: str | Model | None = None,
        deps: Any = None,
        raise_on_failure: bool = True,
        context: Any = None,
    ) -> RunResult:
        """Continue a run from its log: after a crash, or once its approvals are decided.

        Completed attempts are never re-executed; an attempt that was in flight runs again
        with the same `ctx.idempotency_key`. The run's lease is taken first, so two
        processes never drive one run.

        Args:
            model: the run's default model, when it was a model object not registered on
                the pipeline (see `Pipeline(models=...)`).

        Raises:
            RunBusy: another process drives the run.
            IncompatibleRun: the pipeline changed in a way this run cannot survive.
        """
        return await self._resume(run_id, store, model, deps, raise_on_failure, None, context)

    async def _resume(
        self,
        run_id: str,
        store: str | RunStore,
        model: str | Model | None,
        deps: Any,
        raise_on_failure: bool,
        recording: Recording | None,
        context: Any = None,
    ) -> RunResult:
        from seamline.runtime.resume import prepare_resume

        if self._uses_servers() and recording is None:
            await self.connect()  # before the run is taken: a mistake leaves it as it was
        opened = await open_store(store)
        # A replay is not traced: it re-checks a recorded run, it is not one.
        trace = for_run(run_id) if recording is None else None
        try:
            execution, ready = await prepare_resume(
                self,
                opened,
                run_id,
                model=as_model(model),
                deps=deps,
                recording=recording,
                hooks=self._hooks,
                trace=trace,
            )
            if context is not None or self.context is not None:
                execution.context = context if context is not None else self.context
            if ready is None:  # already final: nothing to do
                return run_result(execution)
            if isinstance(ready, RunFailed):  # its log holds what ended it
                run = execution.conclude(ready, raise_on_failure=raise_on_failure)
            else:
                run = execution.execute(ready, raise_on_failure=raise_on_failure)
            return await (run if trace is None else trace.drive(run))
        finally:
            if isinstance(store, str):
                await opened.close()

    async def decide(
        self,
        approval_id: str,
        decision: Literal["approve", "reject", "edit"],
        *,
        store: str | RunStore,
        reason: str | None = None,
        edit: Any = None,
        reviewer: str | None = None,
        route_to: str | None = None,
        resume: bool = True,
        model: str | Model | None = None,
        deps: Any = None,
        reviewer_kind: Literal["human", "simulated"] = "human",
        expected: str | None = None,
        reason_code: str | None = None,
    ) -> RunResult | None:
        """Decide a pending approval (from any process), then, by default, resume the run.

        A rejection sends the work back to the step (or `route_to`) with `reason` as
        feedback; an edit replaces the artifact after validating it against its type.
        The run is checked against this pipeline before the decision is written.

        Args:
            model, deps: as for `resume`.
            reviewer_kind: "simulated" marks a decision made by code in a person's place.
            expected: the approval's fingerprint as the reviewer saw it
                (`seamline.approvals.fingerprint`); a different one is refused
                (`StaleApproval`) and nothing is written.
            reason_code: a category for `reason`, kept beside it (the feedback dataset).
        """
        from seamline.approvals import decide

        opened = await open_store(store)
        try:
            run_id = await decide(
                opened,
                approval_id,
                decision,
                reason=reason,
                edit=edit,
                reviewer=reviewer,
                route_to=route_to,
                pipeline=self,
                reviewer_kind=reviewer_kind,
                expected=expected,
                reason_code=reason_code,
            )
            if not resume:
                return None
            if await _on_temporal(opened, run_id):
                from seamline.engines.temporal.client import settle

                # Its workflow writes the decision and goes on: wait until it did.
                return await settle(self, opened, run_id, decided=approval_id)
            return await self.resume(run_id, store=opened, model=model, deps=deps)
        finally:
            if isinstance(store, str):
                await opened.close()

    async def replay(self, run_id: str, *, store: str | RunStore) -> RunResult:
        """Re-run a recorded run offline against its recorded model and tool calls, and
        the decisions people took, as they took them: the run waits where it waited, the
        recorded decision is applied, and it resumes.

        Raises:
            ReplayDivergence: the first request that differs from the recording, naming the step.
        """
        from seamline.exceptions import ReplayDivergence
        from seamline.runtime.replay import Recording
        from seamline.store.memory import MemoryStore

        opened = await open_store(store)
        try:
            events = await opened.load(run_id)
        finally:
            if isinstance(store, str):
                await opened.close()
        started = events[0]
        if not isinstance(started, RunStarted) or started.pipeline != self.name:
            raise PipelineError(f"run {run_id!r} was not made by pipeline {self.name!r}")
        options = started.options
        recording = Recording(events)
        replayed = MemoryStore()  # the replay's own log, where its decisions are written
        execution = Execution(
            self.validate(),
            replayed,
            run_id,
            gates=options.get("gates", "on"),
            budget=Budget(**options.get("budget", {})),
            model=self.validate().model_for(options["model"]) if options.get("model") else None,
            deps=None,
            recording=recording,
        )
        # A recorded failure is reproduced, not raised: the replay matched.
        # A run made on another engine (Temporal) replays here, in this process.
        options = {k: v for k, v in options.items() if k != "engine"}
        start = execution.start(self._coerce_inputs(started.inputs), options)
        result = await execution.execute(start, raise_on_failure=False)
        while not result.status.is_final:
            log = await replayed.load(run_id)
            decisions = recording.decisions_for(result.pending_approvals, len(log))
            if not decisions:
                break  # the recorded run waits here too
            await replayed.append(run_id, decisions)
            result = await self._resume(run_id, replayed, execution.model, None, False, recording)
        left = recording.unused()
        if left:
            raise ReplayDivergence(
                left[0].split(" ")[0],
                "the replay made fewer calls than recorded: " + "; ".join(left),
            )
        return result

    def run_sync(self, inputs: Mapping[str, Any] | None = None, **options: Any) -> RunResult:
        """`run`, for code that is not async. Not for use inside a running event loop."""
        return asyncio.run(self.run(inputs, **options))

    def __repr__(self) -> str:
        return f"Pipeline({self.name!r}, steps={list(self._steps)})"


def _check_reads_params(plan: Plan) -> None:
    """A check's `sl.Reads` parameter must not shadow an input or a step of that name."""
    for gate in plan.gates.values():
        if not gate.check_reads:
            continue
        for check, name in zip(gate.checks, gate.check_reads, strict=True):
            if name is not None and (name in plan.steps or name in plan.inputs):
                raise PipelineError(
                    f"check {check.name!r} takes what the step read as {name!r}, which is also "
                    f"the name of {'a step' if name in plan.steps else 'an input'}; rename the "
                    "parameter (and annotate it `sl.Reads`)",
                    step=gate.step,
                    param=name,
                )


async def _on_temporal(store: RunStore, run_id: str) -> bool:
    """Whether the run is driven by a Temporal workflow (its RunStarted says so)."""
    events = await store.load(run_id)
    return isinstance(events[0], RunStarted) and bool(events[0].options.get("engine"))


class _ResultOnlyLog:
    """The default store: the run log lives only in the result the run returns."""

    url = "memory://"
    append_never_yields = True
    keeps_nothing = True

    async def append(self, run_id: str, events: Sequence[Event]) -> None:
        pass  # the execution keeps the log it writes

    async def load(self, run_id: str) -> list[Event]:
        raise StoreError("this run's log is only in its result; pass store=... to keep runs")

    async def runs(self, **filters: Any) -> list[RunSummary]:
        return []

    async def pending_approvals(self, **filters: Any) -> list[PendingApproval]:
        return []

    async def run(self, run_id: str) -> RunSummary | None:
        return None

    async def approval(self, approval_id: str) -> ApprovalRecord | None:
        return None

    async def acquire(self, run_id: str) -> None:
        raise StoreError("this run's log is only in its result; pass store=... to keep runs")

    async def release(self, run_id: str) -> None:
        pass

    async def close(self) -> None:
        pass


_RESULT_ONLY = _ResultOnlyLog()  # stateless: one for every run that keeps no store
