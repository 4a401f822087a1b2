"""What a traced run's steps do, inside their attempt's span: tool calls, context reads,
pydantic-ai's own instrumented calls; content only when asked for, secrets never."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from pydantic import BaseModel
from pydantic_ai import Agent
from pydantic_ai.models.instrumented import InstrumentationSettings
from pydantic_ai.models.test import TestModel

import seamline as sl
import seamline.otel
from seamline.context import make_document, open_context
from seamline.testing import ScriptedModel

from .conftest import Otel
from .pipelines import Doc, claims_pipeline, scripted


class Question(BaseModel):
    text: str


class Answer(BaseModel):
    text: str
    rate: float = 0.0


def rate(currency: str) -> float:
    """The exchange rate of a currency to EUR."""
    return {"USD": 0.92}.get(currency, 1.0)


async def test_tool_calls_and_context_reads_are_spans_of_the_attempt(
    otel: Otel, tmp_path: Path
) -> None:
    url = f"sqlite:///{tmp_path}/runs.db"
    context = await open_context(url, embedder=None)
    try:
        await context.add(
            "rules",
            [make_document("rules.md", "# Rules\n\nAt most 30 words per sentence.")],
        )
    finally:
        await context.close()
    pipe = sl.Pipeline("reader", inputs={"question": Question})

    @pipe.step(tools=[rate])
    async def answer(question: Question, ctx: sl.StepContext) -> Answer:
        found = await ctx.search(question.text, collection="rules", k=2, mode="keyword")
        usd = await ctx.call_tool("rate", rate, currency="USD")
        return Answer(text=found[0].text, rate=usd)

    result = await pipe.run({"question": Question(text="words per sentence")}, store=url)
    assert result.status is sl.RunStatus.SUCCEEDED

    attempt = otel.one("step answer")
    retrieval = otel.one("retrieval rules")
    tool = otel.one("execute_tool rate")
    assert otel.parent_of(retrieval) is attempt and otel.parent_of(tool) is attempt
    assert retrieval.attributes is not None and tool.attributes is not None
    assert retrieval.attributes["gen_ai.operation.name"] == "retrieval"
    assert retrieval.attributes["gen_ai.data_source.id"] == "rules"
    assert retrieval.attributes["gen_ai.request.top_k"] == 2.0
    documents = json.loads(str(retrieval.attributes["gen_ai.retrieval.documents"]))
    assert [d["id"] for d in documents] == ["rules.md#0"]
    assert documents[0]["score"] > 0
    assert "gen_ai.retrieval.query.text" not in retrieval.attributes  # content is opt-in
    assert tool.attributes["gen_ai.operation.name"] == "execute_tool"
    assert tool.attributes["gen_ai.tool.name"] == "rate"
    assert tool.attributes["gen_ai.tool.type"] == "function"
    assert "gen_ai.tool.call.arguments" not in tool.attributes
    assert retrieval.start_time is not None and attempt.start_time is not None
    assert attempt.start_time <= retrieval.start_time


async def test_pydantic_ai_calls_in_a_step_nest_under_its_attempt(otel: Otel) -> None:
    """A step using pydantic-ai directly, with pydantic-ai's own instrumentation on: its
    spans are children of the attempt that made them, not root traces of their own."""
    pipe = sl.Pipeline("nesting", inputs={"question": Question})
    agent = Agent(TestModel(custom_output_text="fine"))
    agent.instrument = InstrumentationSettings(tracer_provider=otel.tracer_provider)

    @pipe.step
    async def answer(question: Question) -> Answer:
        reply = await agent.run(question.text)
        return Answer(text=reply.output)

    result = await pipe.run({"question": Question(text="how are you?")})
    assert result.artifacts["answer"].text == "fine"
    attempt = otel.one("step answer")
    theirs = [s for s in otel.spans if s.instrumentation_scope.name != "seamline"]  # type: ignore[union-attr]
    assert theirs, "pydantic-ai's instrumentation made no span"
    assert {s.context.trace_id for s in theirs} == {attempt.context.trace_id}
    outermost = [s for s in theirs if otel.parent_of(s) not in theirs]
    assert all(otel.parent_of(s) is attempt for s in outermost)
    assert any(
        (s.attributes or {}).get("gen_ai.operation.name") == "chat" for s in theirs
    )  # their chat span, under ours


async def test_content_is_recorded_only_when_asked_and_secrets_never(
    otel: Otel, monkeypatch: pytest.MonkeyPatch
) -> None:
    secret = "sk-proj-0123456789abcdefghijKLMN"
    monkeypatch.setenv("OPENAI_API_KEY", secret)
    seamline.otel.instrument(
        tracer_provider=otel.tracer_provider, capture_content=True
    )  # the fixture's providers, content on
    doc = Doc(text=f"Ana claims $15750. Her key is {secret}, and Bearer abcdefgh12345678.")
    result = await claims_pipeline(scripted()).run({"doc": doc})
    assert result.status is sl.RunStatus.WAITING

    chat = otel.named("chat scripted")[0]
    assert chat.attributes is not None
    messages = json.loads(str(chat.attributes["gen_ai.input.messages"]))
    assert messages[-1]["role"] == "user"
    prompt = messages[-1]["parts"][0]["content"]
    assert "15750" in prompt and "[redacted]" in prompt
    assert "gen_ai.output.messages" in chat.attributes
    session = otel.one("invoke_workflow otel-claims")
    assert session.attributes is not None and "seamline.run.inputs" in session.attributes
    everything = json.dumps(
        [
            [dict(s.attributes or {}), [dict(e.attributes or {}) for e in s.events]]
            for s in otel.spans
        ],
        default=str,
    )
    assert secret not in everything
    assert "abcdefgh12345678" not in everything


class Report(BaseModel):
    total: float


async def test_escalations_and_escapes_are_counted_per_seam(otel: Otel, tmp_path: Path) -> None:
    store = f"sqlite:///{tmp_path}/runs.db"
    pipe = sl.Pipeline(
        "counted", inputs={"doc": Doc}, model=ScriptedModel({Report: [Report(total=1)] * 2})
    )

    @pipe.step
    async def report(doc: Doc, ctx: sl.StepContext) -> Report:
        return await ctx.generate(Report, doc.text)

    pipe.gate(
        "report",
        sl.check("positive", lambda report: report.total > 5),
        on_fail=sl.escalate_to_human(),
    )
    run = await pipe.run({"doc": Doc(text="total 7")}, store=store)
    (pending,) = run.pending_approvals
    escalation = otel.counts("seamline.seam.escalations", "seamline.step")
    assert escalation == {"report": 1}
    assert otel.counts("seamline.seam.catches", "seamline.step") == {"report": 1}

    passed = sl.Pipeline(
        "escaped",
        inputs={"doc": Doc},
        model=ScriptedModel({Report: [Report(total=9), Report(total=7)]}),
    )

    @passed.step
    async def total(doc: Doc, ctx: sl.StepContext) -> Report:
        return await ctx.generate(Report, doc.text)

    passed.gate("total", sl.check("positive", lambda total: total.total > 5))
    passed.approval("total")
    waiting = await passed.run({"doc": Doc(text="total 7")}, store=store)
    (asked,) = waiting.pending_approvals
    await passed.decide(asked.approval_id, "reject", store=store, reason="the total is 7")
    # The gate passed what the person rejected: an escape at that seam.
    assert otel.counts("seamline.seam.escapes", "seamline.step") == {"total": 1}
    assert pending.approval_id
