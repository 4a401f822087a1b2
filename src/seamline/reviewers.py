"""Simulated reviewers: code that decides approvals in a person's place, for evals and demos.

An eval of a pipeline with human checkpoints (`pipe.approval`) or gates that escalate
would leave every run waiting. A simulated reviewer decides instead, through the same
public API a person's decision takes (`seamline.approvals.decide`), marked
`reviewer_kind="simulated"`: reports label those decisions simulated and never count them
as human agreement.

- `"approve"`: approves everything, as a rubber stamp would. It measures what ships when
  nobody really looks.
- `"expected"`: approves an artifact that matches the task's expected one, and otherwise
  edits it into the expected one, as a careful person with the answer key would. It
  measures the work a person would have to do (`EndToEnd.helped`) to make every task right.
- `"none"` (or None): nobody decides; runs stay waiting and are reported as waiting.

```python
report = await sl.evaluate(pipe, tasks, expected="expected", reviewer="expected")
```
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Literal, Protocol

from pydantic_core import to_jsonable_python

from seamline.approvals import decide
from seamline.events import ApprovalRequested, Event, RunStatus
from seamline.exceptions import ApprovalError, ConfigError
from seamline.reliability.compare import Matcher
from seamline.reliability.correctness import MISSING, expected_for

if TYPE_CHECKING:
    from seamline.pipeline import Pipeline
    from seamline.runtime.result import RunResult
    from seamline.store.base import RunStore

__all__ = [
    "REVIEWERS",
    "ApproveAll",
    "ExpectedReviewer",
    "Review",
    "Reviewer",
    "pending_requests",
    "review_run",
    "reviewer_for",
]

ReviewerName = Literal["none", "approve", "expected"]
MAX_ROUNDS = 8  # decisions per run before giving up: a reviewer must not loop forever


@dataclass(frozen=True, slots=True)
class Review:
    """What a simulated reviewer decided about one approval request."""

    decision: Literal["approve", "reject", "edit"]
    edit: Any = None
    reason: str | None = None


class Reviewer(Protocol):
    """Decides approval requests in a person's place. `name` is recorded as the reviewer."""

    name: str

    def review(
        self, request: ApprovalRequested, expected: Mapping[str, Any] | None, matcher: Matcher
    ) -> Review: ...


class ApproveAll:
    """Approves every request that has an artifact to approve."""

    name = "simulated: approve"

    def review(
        self, request: ApprovalRequested, expected: Mapping[str, Any] | None, matcher: Matcher
    ) -> Review:
        if request.artifact is None:  # an attempt whose output did not validate
            return Review(
                "reject", reason="there is nothing to approve: the step produced no artifact"
            )
        return Review("approve")


class ExpectedReviewer:
    """Approves what matches the expected artifact; edits anything else into it."""

    name = "simulated: expected"

    def review(
        self, request: ApprovalRequested, expected: Mapping[str, Any] | None, matcher: Matcher
    ) -> Review:
        want = expected_for(expected, request.step, request.index)
        if want is MISSING:
            return Review("approve")  # no answer key for this step: nothing to correct
        if request.artifact is not None and not list(matcher(request.step, request.artifact, want)):
            return Review("approve")
        return Review("edit", edit=_merged(request.artifact, want))


def _merged(artifact: Any, expected: Any) -> Any:
    """The artifact with every field the expected one sets replaced (a partial expectation
    keeps the artifact's other fields)."""
    have, want = to_jsonable_python(artifact), to_jsonable_python(expected)
    if isinstance(have, dict) and isinstance(want, dict):
        return {**have, **{k: _merged(have.get(k), v) for k, v in want.items()}}
    return want


REVIEWERS: dict[str, type[ApproveAll] | type[ExpectedReviewer]] = {
    "approve": ApproveAll,
    "expected": ExpectedReviewer,
}


def reviewer_for(spec: str | Reviewer | None) -> Reviewer | None:
    """A reviewer from its name ("none", "approve", "expected") or an object of your own."""
    if spec is None or spec == "none":
        return None
    if isinstance(spec, str):
        if spec not in REVIEWERS:
            raise ConfigError(
                f"reviewer {spec!r}: use 'none' (runs wait for a person), 'approve' or "
                "'expected' (approve what matches the expected artifact, edit the rest)"
            )
        return REVIEWERS[spec]()
    if not callable(getattr(spec, "review", None)) or not isinstance(
        getattr(spec, "name", None), str
    ):
        raise ConfigError(
            "a reviewer needs a `name` and a `review(request, expected, matcher)` method"
        )
    return spec


async def review_run(
    pipe: Pipeline,
    store: RunStore,
    run_id: str,
    reviewer: Reviewer,
    expected: Mapping[str, Any] | None,
    matcher: Matcher,
    *,
    model: str | None = None,
    deps: Any = None,
) -> RunResult | None:
    """Decide the run's pending approvals and resume it (with `deps`, as the run was
    started), until nothing is pending.

    Returns the last resumed result, or None when nothing was pending.
    """
    result = None
    for _ in range(MAX_ROUNDS):
        pending = pending_requests(await store.load(run_id))
        if not pending:
            break
        for request in pending:
            review = reviewer.review(request, expected, matcher)
            await _decide(pipe, store, request, review, reviewer, matcher, expected)
        result = await pipe.resume(
            run_id, store=store, model=model, raise_on_failure=False, deps=deps
        )
        if result.status not in (RunStatus.WAITING, RunStatus.NEEDS_REVIEW):
            break
    return result


def pending_requests(events: Sequence[Event]) -> list[ApprovalRequested]:
    """The approval requests of a run log that are still open (read through the run-state
    reducer: decided or superseded ones are not)."""
    from seamline.runtime.state import fold

    return fold("", events).pending_approvals


async def _decide(
    pipe: Pipeline,
    store: RunStore,
    request: ApprovalRequested,
    review: Review,
    reviewer: Reviewer,
    matcher: Matcher,
    expected: Mapping[str, Any] | None,
) -> None:
    try:
        await decide(
            store,
            request.approval_id,
            review.decision,
            reason=review.reason,
            edit=review.edit,
            reviewer=reviewer.name,
            pipeline=pipe,
            reviewer_kind="simulated",
        )
    except ApprovalError:
        if review.decision != "edit":
            raise
        # The expected artifact is partial and the step produced nothing to complete it
        # with: send the work back with the differences, as a person would.
        want = expected_for(expected, request.step, request.index)
        differences = list(matcher(request.step, request.artifact, want)) or ["wrong"]
        await decide(
            store,
            request.approval_id,
            "reject",
            reason="; ".join(differences),
            reviewer=reviewer.name,
            pipeline=pipe,
            reviewer_kind="simulated",
        )
