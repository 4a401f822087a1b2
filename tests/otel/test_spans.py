"""The span tree of a traced run: a retry, a judge's reroute, a map, an approval and a resume,
read back from an in-memory exporter."""

from __future__ import annotations

from pathlib import Path

import pytest
from pydantic_core import to_jsonable_python

import seamline as sl

from .conftest import Otel
from .pipelines import Doc, claims_pipeline, scripted


async def test_a_gated_run_with_a_retry_a_reroute_a_map_an_approval_and_a_resume(
    otel: Otel, tmp_path: Path
) -> None:
    store = f"sqlite:///{tmp_path / 'runs.db'}"
    pipe = claims_pipeline(scripted())
    doc = Doc(text="Ana Ruiz claims $15750 for storm damage.")

    waiting = await pipe.run({"doc": doc}, store=store)
    assert waiting.status == sl.RunStatus.WAITING
    (pending,) = waiting.pending_approvals
    done = await pipe.decide(pending.approval_id, "approve", store=store, reviewer="ana")
    assert done is not None and done.status == sl.RunStatus.SUCCEEDED

    run_id = waiting.run_id
    first = otel.one("invoke_workflow otel-claims", **{"seamline.run.session": 1})
    second = otel.one("invoke_workflow otel-claims", **{"seamline.run.session": 2})
    # One trace for the whole run; the resume is a child of the start, linked to it.
    assert {s.context.trace_id for s in otel.spans} == {first.context.trace_id}
    assert first.parent is None
    assert otel.parent_of(second) is first
    assert [link.context.span_id for link in second.links] == [first.context.span_id]
    assert second.links[0].attributes == {"seamline.link": "earlier_session"}
    for session, status in ((first, "waiting"), (second, "succeeded")):
        assert session.attributes is not None
        assert session.attributes["gen_ai.operation.name"] == "invoke_workflow"
        assert session.attributes["gen_ai.workflow.name"] == "otel-claims"
        assert session.attributes["gen_ai.conversation.id"] == run_id
        assert session.attributes["seamline.run.status"] == status
        assert session.attributes["seamline.gates"] == "on"
    assert first.attributes is not None and first.attributes["seamline.run.model_calls"] == 5

    # The retry: two attempts of `claim` before the reroute, the first caught with its reason.
    caught = otel.one("step claim", **{"seamline.attempt": 1})
    assert otel.parent_of(caught) is first
    assert caught.attributes is not None
    assert caught.attributes["seamline.outcome"] == "retry"
    assert caught.attributes["seamline.gate.passed"] is False
    assert caught.attributes["seamline.gate.action"] == "retry"
    (evaluation,) = caught.events
    assert evaluation.name == "gen_ai.evaluation.result"
    assert evaluation.attributes == {
        "gen_ai.evaluation.name": "amount is grounded",
        "gen_ai.evaluation.score.label": "fail",
        "gen_ai.evaluation.explanation": "amount 99 is not in the document",
        "seamline.check.kind": "check",
    }
    chat = otel.children(caught)[0] if otel.children(caught)[0].name.startswith("chat") else None
    assert chat is not None and chat.attributes is not None
    assert chat.attributes["gen_ai.operation.name"] == "chat"
    assert chat.attributes["gen_ai.request.model"] == "scripted"
    assert chat.attributes["seamline.call.purpose"] == "step"
    assert chat.attributes["gen_ai.usage.input_tokens"] > 0
    assert "gen_ai.input.messages" not in chat.attributes  # content is opt-in
    assert [
        s.attributes["seamline.outcome"]  # type: ignore[index]
        for s in sorted(otel.named("step claim"), key=lambda s: s.start_time or 0)
    ] == ["retry", "accepted", "accepted"]

    # The map: three items per pass, each its own attempt span, attempts carrying on.
    items = otel.named("step checked")
    assert sorted(
        (s.attributes["seamline.item.index"], s.attributes["seamline.attempt"])  # type: ignore[index]
        for s in items
    ) == [(0, 1), (0, 2), (1, 1), (1, 2), (2, 1), (2, 2)]
    assert all(otel.parent_of(s) is first for s in items)

    # The reroute: the judge's chat call inside the gate span, its score on the attempt.
    rerouted = otel.one("step decision", **{"seamline.attempt": 1})
    assert rerouted.attributes is not None
    assert rerouted.attributes["seamline.outcome"] == "rerouted"
    assert rerouted.attributes["seamline.gate.target"] == "claim"
    (gate,) = otel.children(rerouted)
    assert gate.name == "gate decision"
    (judge_call,) = otel.children(gate)
    assert judge_call.name == "chat scripted"
    assert judge_call.attributes is not None
    assert judge_call.attributes["seamline.call.purpose"] == "judge"
    (judged,) = rerouted.events
    assert judged.attributes is not None
    assert judged.attributes["gen_ai.evaluation.name"] == "consistent with the claim"
    assert judged.attributes["gen_ai.evaluation.score.value"] == pytest.approx(0.3)
    assert judged.attributes["gen_ai.evaluation.score.label"] == "fail"
    assert judged.attributes["seamline.check.kind"] == "judge"
    (rewound,) = first.events
    assert rewound.name == "seamline.rewound"
    assert rewound.attributes is not None and rewound.attributes["seamline.step"] == "claim"
    accepted = otel.one("step decision", **{"seamline.attempt": 2})
    assert accepted.attributes is not None
    assert accepted.attributes["seamline.outcome"] == "accepted"

    # The wait for a person: requested in the first session, decided between the two.
    approval = otel.one("approval decision")
    assert otel.parent_of(approval) is first
    assert approval.attributes is not None
    assert approval.attributes["seamline.approval.kind"] == "approval"
    assert approval.attributes["seamline.approval.decision"] == "approve"
    assert approval.attributes["seamline.approval.reviewer_kind"] == "human"
    assert "seamline.approval.reviewer" not in approval.attributes  # a person: content
    assert approval.start_time is not None and approval.end_time is not None
    assert first.end_time is not None and second.start_time is not None
    # The resumed session reads the request's time from the store, which keeps milliseconds.
    ms = 1_000_000
    assert approval.start_time <= first.end_time + ms
    assert first.end_time <= approval.end_time <= second.start_time

    # Log events for every evaluation, parented to the attempt they judged.
    records = [r.log_record for r in otel.logs.get_finished_logs()]
    assert [r.event_name for r in records] == ["gen_ai.evaluation.result"] * 5
    assert {r.span_id for r in records} >= {caught.context.span_id, rerouted.context.span_id}

    # Counters per seam: passes and catches, so a dashboard can plot each seam's pass rate.
    passes = otel.counts("seamline.seam.passes", "seamline.step")
    assert passes == {"claim": 2, "lines": 2, "checked": 6, "decision": 1}
    assert otel.counts("seamline.seam.catches", "seamline.step") == {"claim": 1, "decision": 1}
    runs = otel.counts("seamline.runs", "seamline.run.status")
    assert runs == {"waiting": 1, "succeeded": 1}
    tokens = otel.metric("gen_ai.client.token.usage")
    assert {dict(k)["gen_ai.token.type"] for k in tokens} == {"input", "output"}
    durations = otel.metric("gen_ai.client.operation.duration")
    assert sum(count for count, _ in durations.values()) == 5  # 3 extractions, 2 judge calls


async def test_an_untraced_run_writes_the_same_log_as_a_traced_one(otel: Otel) -> None:
    """Tracing routes every attempt through the general path; the log must not change."""
    import seamline.otel

    traced = await claims_pipeline(scripted()).run(
        {"doc": Doc(text="Ana claims $15750.")}, run_id="same"
    )
    seamline.otel.uninstrument()
    plain = await claims_pipeline(scripted()).run(
        {"doc": Doc(text="Ana claims $15750.")}, run_id="same"
    )

    def shape(result: sl.RunResult) -> list[tuple[str, object]]:
        return [(type(e).__name__, timeless(to_jsonable_python(e))) for e in result.events]

    assert shape(traced) == shape(plain)
    assert "traceparent" in traced.events[0].options  # type: ignore[attr-defined]
    assert "traceparent" not in plain.events[0].options  # type: ignore[attr-defined]


def timeless(value: object) -> object:
    """A recorded value without what differs between two identical runs: timings, and the
    trace context only a traced run records."""
    if isinstance(value, dict):
        return {
            k: timeless(v) for k, v in value.items() if k not in ("at", "seconds", "traceparent")
        }
    if isinstance(value, list):
        return [timeless(v) for v in value]
    return value
