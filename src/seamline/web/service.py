"""What the pages and the HTTP API do, in one place: both call these, and nothing else
touches the store or decides anything.

Decisions go through `Pipeline.decide` (the run's lease, the pipeline's own validation of
edits and routes) with the fingerprint of what the reviewer saw; after one, the run is
resumed in this process. Errors are `WebError`s carrying the HTTP status they mean.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
from collections import OrderedDict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

from pydantic_core import to_jsonable_python

from seamline.approvals import fingerprint
from seamline.events import TOOL_CALL, ApprovalDecided, ApprovalRequested, Event, RunStatus
from seamline.exceptions import ApprovalError, PipelineError, RunBusy, StaleApproval, StoreError
from seamline.reliability import run_report
from seamline.store.base import PendingApproval, RunStore, RunSummary
from seamline.web import forms
from seamline.web.auth import Identity
from seamline.web.inbox import InboxItem, inbox_item
from seamline.web.runner import NotRegistered, Runner
from seamline.web.views import RunView, run_view

DEFAULT_REASON_CODES = ("wrong_value", "not_in_source", "missing_information", "policy", "other")
MAX_PAGE = 200


class WebError(Exception):
    """An error with the HTTP status it means, and a code a program can test."""

    def __init__(self, status: int, code: str, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message


@dataclass(frozen=True, slots=True)
class InboxFilters:
    pipeline: str | None = None
    step: str | None = None
    reason: str | None = None  # "approval" or "escalation"
    older_than: float | None = None  # seconds waiting, at least
    newer_than: float | None = None  # seconds waiting, at most
    after: str | None = None  # the cursor: the last approval id of the previous page
    limit: int = 25

    def checked(self) -> InboxFilters:
        if self.reason not in (None, "approval", "escalation"):
            raise WebError(400, "bad_filter", f"reason {self.reason!r}: use approval or escalation")
        if not 1 <= self.limit <= MAX_PAGE:
            raise WebError(400, "bad_filter", f"limit {self.limit}: use 1 to {MAX_PAGE}")
        for name in ("older_than", "newer_than"):
            value = getattr(self, name)
            if value is not None and value < 0:
                raise WebError(400, "bad_filter", f"{name} must be seconds, 0 or more")
        return self


@dataclass(slots=True)
class InboxRow:
    pending: PendingApproval
    fingerprint: str
    preview: str  # the artifact, as compact JSON, cut short
    decidable: bool  # its pipeline is registered here


@dataclass(slots=True)
class InboxPage:
    rows: list[InboxRow]
    next: str | None  # the cursor of the next page


@dataclass(slots=True)
class RunRow:
    summary: RunSummary
    mode: str
    cost_usd: float
    model_calls: int
    tokens: int
    passed: bool | None  # None while the run is not final


@dataclass(slots=True)
class RunsPage:
    rows: list[RunRow]
    next: str | None


@dataclass(slots=True)
class Decided:
    approval_id: str
    run_id: str
    decision: str
    resumed: bool
    message: str
    errors: list[forms.Field] = field(default_factory=list)


class Dashboard:
    def __init__(
        self,
        store: RunStore,
        runner: Runner,
        *,
        reason_codes: Sequence[str] = DEFAULT_REASON_CODES,
    ) -> None:
        self.store = store
        self.runner = runner
        self.reason_codes = tuple(reason_codes)
        # Requests never change once logged: (artifact preview, fingerprint) by approval id.
        self._requests: OrderedDict[str, tuple[str, str]] = OrderedDict()
        self._rows: OrderedDict[tuple[str, str, float], RunRow] = OrderedDict()

    # -- the inbox --------------------------------------------------------------------

    async def inbox(self, filters: InboxFilters, now: float) -> InboxPage:
        f = filters.checked()
        if f.after is not None and await self.store.approval(f.after) is None:
            raise WebError(400, "bad_cursor", f"no approval {f.after!r} to page after")
        pending = await self.store.pending_approvals(
            pipeline=f.pipeline,
            step=f.step,
            reason=f.reason,
            requested_before=now - f.older_than if f.older_than is not None else None,
            requested_after=now - f.newer_than if f.newer_than is not None else None,
            after=f.after,
            limit=f.limit + 1,
        )
        more = len(pending) > f.limit
        pending = pending[: f.limit]
        rows = []
        for p in pending:
            preview, shown = await self._request(p)
            rows.append(InboxRow(p, shown, preview, p.pipeline in self.runner.pipelines))
        return InboxPage(rows, pending[-1].approval_id if more and pending else None)

    async def _request(self, p: PendingApproval) -> tuple[str, str]:
        cached = self._requests.get(p.approval_id)
        if cached is None:
            events = await self.store.load(p.run_id)
            request = next(
                (
                    e
                    for e in events
                    if isinstance(e, ApprovalRequested) and e.approval_id == p.approval_id
                ),
                None,
            )
            if request is None:
                return "", ""
            text = json.dumps(to_jsonable_python(request.artifact), ensure_ascii=False)
            cached = (text if len(text) <= 240 else text[:239] + "…", fingerprint(request))
            self._requests[p.approval_id] = cached
            if len(self._requests) > 50_000:
                self._requests.popitem(last=False)
        return cached

    async def item(self, approval_id: str) -> InboxItem:
        record = await self.store.approval(approval_id)
        if record is None:
            raise WebError(404, "unknown_approval", f"no approval {approval_id!r}")
        run = await self.run(record.run_id)
        found = inbox_item(run, approval_id)
        if found is None:
            raise WebError(404, "unknown_approval", f"no approval {approval_id!r} in its run")
        return found

    def edit_form(self, item: InboxItem) -> list[forms.Field] | None:
        """The edit form's fields, if this server runs the item's pipeline (for a tool
        call, from the tool's input schema, filled with the arguments shown)."""
        call = _tool_call(item)
        if call is not None:
            if item.run.pipeline not in self.runner.pipelines:
                return None
            return forms.fields(call.get("parameters") or {}, call.get("arguments"))
        annotation = self._annotation(item)
        if annotation is None:
            return None
        from pydantic import TypeAdapter

        schema = TypeAdapter(annotation).json_schema()
        shown = item.approval.artifact
        return forms.fields(schema, shown)

    def schema(self, item: InboxItem) -> dict[str, Any] | None:
        call = _tool_call(item)
        if call is not None:  # an edit is of the call's arguments
            parameters = call.get("parameters")
            return dict(parameters) if isinstance(parameters, Mapping) else None
        annotation = self._annotation(item)
        if annotation is None:
            return None
        from pydantic import TypeAdapter

        schema: dict[str, Any] = TypeAdapter(annotation).json_schema()
        return schema

    def _annotation(self, item: InboxItem) -> Any:
        pipe = self.runner.pipelines.get(item.run.pipeline)
        if pipe is None:
            return None
        step = pipe.validate().steps.get(item.approval.step)
        if step is None:
            return None
        whole = item.approval.index is None and step.map is not None
        return (step.artifact if whole else step.returns).annotation

    async def decide(
        self,
        approval_id: str,
        who: Identity,
        decision: Literal["approve", "reject", "edit"],
        *,
        shown: str | None,
        reason: str | None = None,
        reason_code: str | None = None,
        edit: Any = None,
        form: dict[str, str] | None = None,
        route_to: str | None = None,
        resume: bool = True,
    ) -> Decided:
        """Decide one approval as `who`, bound to the fingerprint `shown`; resume its run.

        With `form` (an edit posted from the page), the edit is read from the form's
        fields and checked against the artifact's type first: a mistake comes back in
        `Decided.errors`, with nothing recorded.
        """
        if not who.reviewer:
            raise WebError(
                403, "forbidden", f"{who.name} is a viewer; deciding needs a reviewer token"
            )
        if decision not in ("approve", "reject", "edit"):
            raise WebError(
                422, "bad_decision", f"decision {decision!r}: use approve, reject or edit"
            )
        if not shown:
            raise WebError(
                422,
                "no_fingerprint",
                "a decision must say what was shown: send the approval's fingerprint",
            )
        if reason_code is not None and reason_code not in self.reason_codes:
            raise WebError(
                422,
                "bad_reason_code",
                f"reason code {reason_code!r}: use one of {', '.join(self.reason_codes)}",
            )
        item = await self.item(approval_id)
        if not item.approval.pending:
            raise WebError(409, "not_pending", await self._why_closed(approval_id))
        if item.run.pipeline not in self.runner.pipelines:
            raise WebError(
                409,
                "not_registered",
                str(NotRegistered(item.run.pipeline, list(self.runner.pipelines))),
            )
        call = _tool_call(item)
        if call is not None:
            route_to = None  # a rejected call goes back to the model that asked for it
        if decision == "edit" and form is not None:
            fields_ = self.edit_form(item) or []
            edit, fields_ = forms.read(fields_, form)
            if call is not None:  # checked against the tool's input schema by decide
                edit = {"arguments": edit}
            elif not any(f.errors for f in fields_):
                _, fields_ = forms.validate(self._annotation(item), edit, fields_)
            if any(f.errors for f in fields_):
                return Decided(
                    approval_id,
                    item.run.run_id,
                    decision,
                    False,
                    "the edit does not validate",
                    fields_,
                )
        try:
            await self.runner.decide(
                approval_id,
                item.run.pipeline,
                decision,
                reason=reason or None,
                reason_code=reason_code,
                edit=edit,
                reviewer=who.name,
                route_to=route_to or None,
                expected=shown,
            )
        except StaleApproval as e:
            raise WebError(409, "stale", str(e)) from None
        except RunBusy as e:
            raise WebError(409, "busy", str(e)) from None
        except ApprovalError as e:
            record = await self.store.approval(approval_id)
            if record is not None and not record.pending:  # someone else was first
                raise WebError(409, "not_pending", await self._why_closed(approval_id)) from None
            raise WebError(422, "bad_decision", str(e)) from None
        resumed = resume and self.runner.resume_soon(item.run.run_id, item.run.pipeline)
        return Decided(
            approval_id,
            item.run.run_id,
            decision,
            resumed,
            f"{decision} recorded for {item.unit_label} by {who.name}"
            + ("; the run is resuming" if resumed else ""),
        )

    async def batch_approve(
        self, who: Identity, items: Sequence[tuple[str, str]]
    ) -> list[Decided | WebError]:
        """Approve each (approval id, fingerprint shown); the runs resume once all are in,
        so that a run with several of them is not busy resuming while the next is decided."""
        out: list[Decided | WebError] = []
        runs: dict[str, str] = {}
        for approval_id, shown in items:
            try:
                done = await self.decide(approval_id, who, "approve", shown=shown, resume=False)
            except WebError as e:
                out.append(e)
                continue
            out.append(done)
            runs[done.run_id] = ""
        for run_id in runs:
            summary = await self.store.run(run_id)
            if summary is not None and summary.pipeline in self.runner.pipelines:
                resumed = self.runner.resume_soon(run_id, summary.pipeline)
                for d in out:
                    if isinstance(d, Decided) and d.run_id == run_id:
                        d.resumed = resumed
        return out

    async def _why_closed(self, approval_id: str) -> str:
        record = await self.store.approval(approval_id)
        if record is None:
            return f"no approval {approval_id!r}"
        events = await self.store.load(record.run_id)
        for e in events:
            if isinstance(e, ApprovalDecided) and e.approval_id == approval_id:
                when = dt.datetime.fromtimestamp(e.at).strftime("%Y-%m-%d %H:%M:%S")
                return (
                    f"approval {approval_id!r} was already decided: {e.decision} by "
                    f"{e.reviewer or 'someone'} at {when}. Nothing was recorded."
                )
        newer = await self.store.pending_approvals(run_id=record.run_id)
        hint = f"; the run now waits on {newer[0].approval_id}" if newer else ""
        return (
            f"approval {approval_id!r} is closed: its work was redone meanwhile (a rejection or "
            f"a reroute upstream){hint}. Nothing was recorded."
        )

    # -- runs -------------------------------------------------------------------------

    async def runs(
        self,
        *,
        status: str | None = None,
        pipeline: str | None = None,
        before: str | None = None,
        limit: int = 50,
    ) -> RunsPage:
        try:
            wanted = RunStatus(status) if status else None
        except ValueError:
            raise WebError(
                400,
                "bad_filter",
                f"status {status!r}: use one of {', '.join(s.value for s in RunStatus)}",
            ) from None
        if not 1 <= limit <= MAX_PAGE:
            raise WebError(400, "bad_filter", f"limit {limit}: use 1 to {MAX_PAGE}")
        if before is not None and await self.store.run(before) is None:
            raise WebError(400, "bad_cursor", f"no run {before!r} to page after")
        found = await self.store.runs(
            status=wanted, pipeline=pipeline, before=before, limit=limit + 1
        )
        more = len(found) > limit
        found = found[:limit]
        rows = [await self._row(s) for s in found]
        return RunsPage(rows, found[-1].run_id if more and found else None)

    async def _row(self, s: RunSummary) -> RunRow:
        key = (s.run_id, s.status.value, s.updated_at)
        cached = self._rows.get(key)
        if cached is not None:
            return dataclasses.replace(cached, summary=s)
        events = await self.store.load(s.run_id)
        row = _row(s, events)
        if s.status is not RunStatus.RUNNING:  # its log changes only with its status
            self._rows[key] = row
            if len(self._rows) > 50_000:
                self._rows.popitem(last=False)
        return row

    async def run(self, run_id: str) -> RunView:
        summary = await self.store.run(run_id)
        if summary is None:
            if self.runner.driving(run_id):
                raise WebError(
                    404, "starting", f"run {run_id!r} is starting; try again in a moment"
                )
            raise WebError(404, "unknown_run", f"no run {run_id!r}")
        try:
            events = await self.store.load(run_id)
        except StoreError as e:
            raise WebError(404, "unknown_run", str(e)) from None
        return run_view(run_id, events, summary.status.value)

    async def start(self, pipeline: str, inputs: dict[str, Any], gates: str, who: Identity) -> str:
        if not who.reviewer:
            raise WebError(
                403, "forbidden", f"{who.name} is a viewer; starting runs needs a reviewer token"
            )
        if gates not in ("on", "shadow", "off"):
            raise WebError(422, "bad_gates", f"gates {gates!r}: use on, shadow or off")
        try:
            return await self.runner.start(pipeline, inputs, gates)  # type: ignore[arg-type]
        except NotRegistered as e:
            raise WebError(404, "not_registered", str(e)) from None
        except PipelineError as e:
            raise WebError(422, "bad_inputs", str(e)) from None

    async def resume(self, run_id: str, who: Identity) -> bool:
        if not who.reviewer:
            raise WebError(
                403, "forbidden", f"{who.name} is a viewer; resuming needs a reviewer token"
            )
        summary = await self.store.run(run_id)
        if summary is None:
            raise WebError(404, "unknown_run", f"no run {run_id!r}")
        if summary.status.is_final:
            raise WebError(
                409, "final", f"run {run_id!r} is {summary.status.value}: nothing to resume"
            )
        try:
            return self.runner.resume_soon(run_id, summary.pipeline)
        except NotRegistered as e:
            raise WebError(409, "not_registered", str(e)) from None


def _row(s: RunSummary, events: Sequence[Event]) -> RunRow:
    mode = "on"
    if events:
        mode = str(getattr(events[0], "options", {}).get("gates", "on"))
    report = run_report(events)
    e2e = report.end_to_end
    return RunRow(
        s,
        mode,
        e2e.cost_usd,
        e2e.model_calls,
        e2e.input_tokens + e2e.output_tokens,
        (e2e.passed == 1) if s.status.is_final else None,
    )


def _tool_call(item: InboxItem) -> Mapping[str, Any] | None:
    """The call a tool-call approval shows (`seamline.tools.approval.ToolCallApproval`)."""
    approval = item.approval
    if approval.reason == TOOL_CALL and isinstance(approval.artifact, Mapping):
        return approval.artifact
    return None
