"""`seamline mcp serve`: pipelines as MCP tools, plus the runs and approvals behind them.

Every pipeline served is one tool, named after it, whose input schema is the pipeline's
inputs and whose structured output is the run: its id, status, artifacts (each step's,
typed by its return annotation), error and pending approvals. Five more tools read and
decide: `list_runs`, `show_run`, `list_approvals`, `approve`, `reject`.

A run that takes longer than `wait_seconds` is not held on the call: the tool answers
with the run id and status "running", the run goes on in the server process, and
`show_run` tells when it is done. Approving or rejecting resumes the run the same way.

The server reads and writes one run store, the same one `seamline runs` and
`seamline approve` use, so runs started over MCP are visible everywhere else.
"""

from __future__ import annotations

import asyncio
import json
import re
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

from pydantic import BaseModel, ValidationError, create_model
from pydantic_core import to_jsonable_python

from seamline.events import RunFinished, RunStarted, StepFinished
from seamline.exceptions import SeamlineError
from seamline.pipeline import Pipeline, new_run_id

if TYPE_CHECKING:
    from seamline.runtime.result import RunResult
    from seamline.store.base import RunStore

__all__ = ["PipelineTools", "build_server"]

_NAME = re.compile(r"[^A-Za-z0-9_-]")
RUN_TOOLS = ("list_runs", "show_run", "list_approvals", "approve", "reject")

_RUN_OUTPUT: dict[str, Any] = {
    "type": "object",
    "properties": {
        "run_id": {"type": "string"},
        "pipeline": {"type": "string"},
        "status": {
            "type": "string",
            "enum": ["running", "waiting", "needs_review", "succeeded", "failed", "cancelled"],
        },
        "error": {"type": ["string", "null"]},
        "pending_approvals": {"type": "array", "items": {"type": "object"}},
        "next": {"type": "string", "description": "what to do next, for a run not finished"},
    },
    "required": ["run_id", "pipeline", "status"],
}


def _pending(approval: Any) -> dict[str, Any]:
    return {
        "approval_id": approval.approval_id,
        "run_id": getattr(approval, "run_id", None),
        "step": approval.step,
        "index": approval.index,
        "reason": approval.reason,
    }


class PipelineTools:
    """The tools of `seamline mcp serve`, independent of the transport."""

    def __init__(
        self, pipelines: Sequence[Pipeline], store: RunStore, *, wait_seconds: float = 20.0
    ) -> None:
        self.store = store
        self.wait_seconds = wait_seconds
        self.pipelines: dict[str, Pipeline] = {}
        for pipe in pipelines:
            pipe.validate()
            name = _NAME.sub("_", pipe.name)[:64]
            if name in self.pipelines or name in RUN_TOOLS:
                raise SeamlineError(
                    f"two served pipelines (or a pipeline and a built-in tool) are both named "
                    f"{name!r}; rename one"
                )
            self.pipelines[name] = pipe
        self._inputs = {name: _inputs_model(p) for name, p in self.pipelines.items()}
        self._running: dict[str, asyncio.Task[RunResult]] = {}

    # -- what is listed ------------------------------------------------------------------

    def tools(self) -> list[dict[str, Any]]:
        """Every tool as (name, description, inputSchema, outputSchema) dicts."""
        listed = []
        for name, pipe in self.pipelines.items():
            steps = " → ".join(pipe.validate().order)
            listed.append(
                {
                    "name": name,
                    "description": (
                        f"Run the seamline pipeline {pipe.name!r} (steps: {steps}). Returns "
                        f"the run's id, status and artifacts; a run still going after "
                        f"{self.wait_seconds:g} s returns status 'running': poll show_run."
                    ),
                    "inputSchema": self._inputs[name].model_json_schema(),
                    "outputSchema": _run_output(pipe),
                }
            )
        listed += [
            {
                "name": "list_runs",
                "description": "List recent runs, newest first.",
                "inputSchema": _object(
                    status={"type": "string", "description": "waiting, succeeded, failed, ..."},
                    pipeline={"type": "string"},
                    limit={"type": "integer", "minimum": 1, "default": 20},
                ),
                "outputSchema": _object(runs={"type": "array", "items": {"type": "object"}}),
            },
            {
                "name": "show_run",
                "description": "A run's status, artifacts, error and pending approvals.",
                "inputSchema": _object(["run_id"], run_id={"type": "string"}),
                "outputSchema": _RUN_OUTPUT,
            },
            {
                "name": "list_approvals",
                "description": "Approvals waiting for a decision (optionally of one run).",
                "inputSchema": _object(run_id={"type": "string"}),
                "outputSchema": _object(approvals={"type": "array", "items": {"type": "object"}}),
            },
            {
                "name": "approve",
                "description": "Approve a pending approval (optionally with an edited artifact); the run resumes.",
                "inputSchema": _object(
                    ["approval_id"],
                    approval_id={"type": "string"},
                    reviewer={"type": "string"},
                    edit={"type": "object", "description": "a corrected artifact"},
                ),
                "outputSchema": _RUN_OUTPUT,
            },
            {
                "name": "reject",
                "description": "Reject a pending approval with a reason; the work is redone with the reason as feedback.",
                "inputSchema": _object(
                    ["approval_id", "reason"],
                    approval_id={"type": "string"},
                    reason={"type": "string"},
                    reviewer={"type": "string"},
                    route_to={"type": "string"},
                ),
                "outputSchema": _RUN_OUTPUT,
            },
        ]
        return listed

    # -- calls ---------------------------------------------------------------------------

    async def call(self, name: str, arguments: Mapping[str, Any]) -> dict[str, Any]:
        """Run one tool. Bad arguments raise `ValueError` with a message for the caller."""
        if name in self.pipelines:
            return await self._run(name, arguments)
        if name == "list_runs":
            return await self._list_runs(arguments)
        if name == "show_run":
            return await self.show(_required(arguments, "run_id"))
        if name == "list_approvals":
            pending = await self.store.pending_approvals(run_id=arguments.get("run_id"))
            return {"approvals": [_pending(a) for a in pending]}
        if name in ("approve", "reject"):
            return await self._decide(name, arguments)
        raise ValueError(f"no tool {name!r}; tools: {[t['name'] for t in self.tools()]}")

    async def _run(self, name: str, arguments: Mapping[str, Any]) -> dict[str, Any]:
        pipe = self.pipelines[name]
        try:
            inputs = self._inputs[name].model_validate(dict(arguments))
        except ValidationError as e:
            raise ValueError(f"the inputs of {pipe.name!r} do not validate: {e}") from None
        run_id = new_run_id()
        values = {k: getattr(inputs, k) for k in pipe.inputs}
        task = asyncio.create_task(
            pipe.run(values, store=self.store, run_id=run_id, raise_on_failure=False)
        )
        return await self._answer(run_id, task)

    async def _decide(self, name: str, arguments: Mapping[str, Any]) -> dict[str, Any]:
        approval_id = _required(arguments, "approval_id")
        pending = {a.approval_id: a for a in await self.store.pending_approvals()}
        approval = pending.get(approval_id)
        if approval is None:
            raise ValueError(
                f"approval {approval_id!r} is not pending; list_approvals lists the pending ones"
            )
        pipe = self._pipeline(approval.pipeline)
        decision = "approve" if name == "approve" else "reject"
        if decision == "approve" and arguments.get("edit") is not None:
            decision = "edit"
        if decision == "reject" and not arguments.get("reason"):
            raise ValueError("a rejection needs a reason: it becomes the feedback for the redo")
        await pipe.decide(
            approval_id,
            decision,  # type: ignore[arg-type]
            store=self.store,
            reason=arguments.get("reason"),
            edit=arguments.get("edit"),
            reviewer=arguments.get("reviewer") or "mcp client",
            route_to=arguments.get("route_to"),
            resume=False,
        )
        task = asyncio.create_task(
            pipe.resume(approval.run_id, store=self.store, raise_on_failure=False)
        )
        return await self._answer(approval.run_id, task)

    async def _answer(self, run_id: str, task: asyncio.Task[RunResult]) -> dict[str, Any]:
        self._running[run_id] = task
        task.add_done_callback(lambda _: self._running.pop(run_id, None))
        try:
            result = await asyncio.wait_for(asyncio.shield(task), self.wait_seconds)
        except TimeoutError:
            return await self.show(run_id)
        return _summary(result)

    async def _list_runs(self, arguments: Mapping[str, Any]) -> dict[str, Any]:
        from seamline.events import RunStatus

        status = arguments.get("status")
        try:
            wanted = RunStatus(status) if status else None
        except ValueError:
            raise ValueError(
                f"status {status!r}: use one of {[s.value for s in RunStatus]}"
            ) from None
        runs = await self.store.runs(
            status=wanted,
            pipeline=arguments.get("pipeline"),
            limit=int(arguments.get("limit") or 20),
        )
        return {
            "runs": [
                {
                    "run_id": r.run_id,
                    "pipeline": r.pipeline,
                    "status": r.status.value,
                    "created_at": r.created_at,
                    "updated_at": r.updated_at,
                    "error": r.error,
                }
                for r in runs
            ]
        }

    async def show(self, run_id: str) -> dict[str, Any]:
        """A run as its log tells it."""
        from seamline.exceptions import StoreError

        try:
            events = await self.store.load(run_id)
        except StoreError:
            events = []
        if not events:
            if run_id in self._running:
                return {"run_id": run_id, "pipeline": "", "status": "running", "next": _POLL}
            raise ValueError(f"no run {run_id!r}; list_runs lists them")
        started = events[0]
        assert isinstance(started, RunStarted)
        finished = next((e for e in reversed(events) if isinstance(e, RunFinished)), None)
        status = "running" if run_id in self._running or finished is None else finished.status.value
        answer: dict[str, Any] = {
            "run_id": run_id,
            "pipeline": started.pipeline,
            "status": status,
            "error": finished.error if finished is not None else None,
            "artifacts": _artifacts(events),
            "pending_approvals": [
                _pending(a) for a in await self.store.pending_approvals(run_id=run_id)
            ],
        }
        if status == "running":
            answer["next"] = _POLL
        elif status in ("waiting", "needs_review"):
            answer["next"] = _DECIDE
        return answer

    def _pipeline(self, name: str) -> Pipeline:
        for pipe in self.pipelines.values():
            if pipe.name == name:
                return pipe
        raise ValueError(f"run of pipeline {name!r}, which this server does not serve")

    async def close(self) -> None:
        """Wait for the runs this server started (they are in the store either way)."""
        if self._running:
            await asyncio.gather(*self._running.values(), return_exceptions=True)


_POLL = "the run is still going: call show_run with this run_id later"
_DECIDE = "the run waits for a person: list_approvals, then approve or reject"


def _summary(result: RunResult) -> dict[str, Any]:
    answer: dict[str, Any] = {
        "run_id": result.run_id,
        "pipeline": result.pipeline,
        "status": result.status.value,
        "error": str(result.error) if result.error is not None else None,
        "artifacts": {k: to_jsonable_python(v) for k, v in result.artifacts.items()},
        "pending_approvals": [
            {**_pending(a), "run_id": result.run_id} for a in result.pending_approvals
        ],
    }
    if result.status.value in ("waiting", "needs_review"):
        answer["next"] = _DECIDE
    return answer


def _artifacts(events: Sequence[Any]) -> dict[str, Any]:
    """Each step's latest artifact (a list, by item, for a map= step)."""
    single: dict[str, Any] = {}
    items: dict[str, dict[int, Any]] = {}
    for e in events:
        if isinstance(e, StepFinished):
            if e.index is None:
                single[e.step] = e.artifact
            else:
                items.setdefault(e.step, {})[e.index] = e.artifact
    out = {k: to_jsonable_python(v) for k, v in single.items()}
    out.update({k: [to_jsonable_python(v[i]) for i in sorted(v)] for k, v in items.items()})
    return out


def _inputs_model(pipe: Pipeline) -> type[BaseModel]:
    fields: dict[str, Any] = {name: (annotation, ...) for name, annotation in pipe.inputs.items()}
    model: type[BaseModel] = create_model(f"{_NAME.sub('_', pipe.name)}_inputs", **fields)
    return model


def _run_output(pipe: Pipeline) -> dict[str, Any]:
    artifact_fields: dict[str, Any] = {
        name: (step.artifact.annotation | None, None)
        for name, step in pipe.validate().steps.items()
    }
    artifacts = create_model(f"{_NAME.sub('_', pipe.name)}_artifacts", **artifact_fields)
    schema = json.loads(json.dumps(_RUN_OUTPUT))
    artifacts_schema = artifacts.model_json_schema()
    schema["$defs"] = artifacts_schema.pop("$defs", {})
    schema["properties"]["artifacts"] = artifacts_schema
    return dict(schema)


def _object(required: Sequence[str] = (), **properties: Any) -> dict[str, Any]:
    return {"type": "object", "properties": properties, "required": list(required)}


def _required(arguments: Mapping[str, Any], name: str) -> str:
    value = arguments.get(name)
    if not isinstance(value, str) or not value:
        raise ValueError(f"{name!r} is required")
    return value


def build_server(tools: PipelineTools) -> Any:
    """The MCP SDK server (low-level `Server`) answering with `tools`."""
    from mcp import types
    from mcp.server.lowlevel import Server

    from seamline import __version__

    listed = [
        types.Tool(
            name=t["name"],
            description=t["description"],
            input_schema=t["inputSchema"],
            output_schema=t["outputSchema"],
        )
        for t in tools.tools()
    ]

    async def list_tools(ctx: Any, params: Any) -> Any:
        return types.ListToolsResult(tools=listed)

    async def call_tool(ctx: Any, params: Any) -> Any:
        try:
            answer = await tools.call(params.name, params.arguments or {})
        except (ValueError, SeamlineError) as e:
            return types.CallToolResult(
                content=[types.TextContent(type="text", text=str(e))], is_error=True
            )
        text = json.dumps(answer, ensure_ascii=False, default=str)
        return types.CallToolResult(
            content=[types.TextContent(type="text", text=text)],
            structured_content=json.loads(text),
        )

    return Server(
        "seamline",
        version=__version__,
        instructions=(
            "Each pipeline tool runs a seamline pipeline and answers with the run's id, status "
            "and artifacts. Poll show_run for a run still 'running'; decide a waiting run's "
            "approvals with approve or reject."
        ),
        on_list_tools=list_tools,
        on_call_tool=call_tool,
    )
