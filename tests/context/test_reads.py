"""Steps read the context store: snapshots per run, recorded reads, offline replay,
checks that take what the attempt read."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest
from pydantic import BaseModel

import seamline as sl
from seamline.context import make_document, open_context
from seamline.events import ContextRead
from seamline.exceptions import ConfigError, ReplayDivergence


class Question(BaseModel):
    text: str


class Answer(BaseModel):
    claims: list[str]
    versions: list[str] = []


RULE_V1 = make_document(
    "rules.md", "# Rules\n\nAt most 30 words per sentence.", media_type="text/markdown"
)
RULE_V2 = make_document(
    "rules.md", "# Rules\n\nAt most 12 words per sentence.", media_type="text/markdown"
)


def reading_pipeline(gate: bool = False, wait: asyncio.Event | None = None) -> sl.Pipeline:
    pipe = sl.Pipeline("reader", inputs={"question": Question})

    @pipe.step
    async def answer(question: Question, ctx: sl.StepContext) -> Answer:
        if wait is not None:
            await wait.wait()
        found = await ctx.search(question.text, collection="rules", k=1)
        claim = (
            found[0].text.splitlines()[-1] if ctx.attempt > 1 or not gate else "At most 99 words."
        )
        return Answer(claims=[claim], versions=[p.version for p in found])

    if gate:
        pipe.gate(
            "answer",
            sl.check("grounded", lambda answer, reads: reads.grounded(answer.claims)),
            on_fail=sl.retry(1),
        )
    return pipe


@pytest.fixture
def url(tmp_path: Path) -> str:
    return f"sqlite:///{tmp_path}/runs.db"


async def add(url: str, *docs: sl.Document) -> None:
    store = await open_context(url, embedder="local")
    try:
        await store.add("rules", docs)
    finally:
        await store.close()


async def test_a_read_is_recorded_with_its_passages_and_revision(url: str) -> None:
    await add(url, RULE_V1)
    result = await reading_pipeline().run(
        {"question": Question(text="how long may sentences be?")}, store=url
    )
    (read,) = [e for e in result.events if isinstance(e, ContextRead)]
    assert (read.step, read.attempt, read.collection, read.revision, read.kind) == (
        "answer",
        1,
        "rules",
        1,
        "search",
    )
    assert read.passages[0]["document"] == "rules.md"
    assert read.passages[0]["version"] == RULE_V1.version
    assert "30 words" in read.passages[0]["text"]
    store = await sl.open_store(url)
    try:
        (kept,) = [e for e in await store.load(result.run_id) if isinstance(e, ContextRead)]
    finally:
        await store.close()
    kept.at = read.at  # the store keeps times to the millisecond
    assert kept == read


async def test_a_run_reads_the_collection_as_of_its_start(url: str) -> None:
    await add(url, RULE_V1)
    go = asyncio.Event()
    running = asyncio.create_task(
        reading_pipeline(wait=go).run({"question": Question(text="sentence length")}, store=url)
    )
    await asyncio.sleep(0.05)  # the run has started, and waits before reading
    await add(url, RULE_V2)
    go.set()
    old = await running
    assert "30 words" in old["answer"].claims[0] and old["answer"].versions == [RULE_V1.version]
    new = await reading_pipeline().run({"question": Question(text="sentence length")}, store=url)
    assert "12 words" in new["answer"].claims[0]


async def test_a_resumed_run_keeps_its_snapshot(url: str) -> None:
    await add(url, RULE_V1)
    pipe = sl.Pipeline("waits", inputs={"question": Question})

    @pipe.step
    async def first(question: Question, ctx: sl.StepContext) -> Answer:
        found = await ctx.search(question.text, collection="rules", k=1)
        return Answer(claims=[found[0].text])

    @pipe.step
    async def second(first: Answer, ctx: sl.StepContext) -> Answer:
        found = await ctx.search("sentence length", collection="rules", k=1)
        return Answer(claims=[found[0].text])

    pipe.approval("first")
    waiting = await pipe.run({"question": Question(text="sentence length")}, store=url)
    await add(url, RULE_V2)  # while the run waits for a person
    (pending,) = waiting.pending_approvals
    done = await pipe.decide(pending.approval_id, "approve", store=url, reviewer="ana")
    assert done is not None and "30 words" in done["second"].claims[0]


async def test_replay_answers_reads_from_the_log_offline(url: str) -> None:
    await add(url, RULE_V1)
    pipe = reading_pipeline()
    recorded = await pipe.run({"question": Question(text="sentence length")}, store=url)
    await add(url, RULE_V2)
    replayed = await pipe.replay(recorded.run_id, store=url)
    assert replayed["answer"] == recorded["answer"]
    reads = [e for e in replayed.events if isinstance(e, ContextRead)]
    assert (
        reads[0].passages == next(e for e in recorded.events if isinstance(e, ContextRead)).passages
    )

    changed = sl.Pipeline("reader", inputs={"question": Question})

    @changed.step
    async def answer(question: Question, ctx: sl.StepContext) -> Answer:
        await ctx.search(question.text + " please", collection="rules", k=1)
        return Answer(claims=[])

    with pytest.raises(ReplayDivergence, match="query"):
        await changed.replay(recorded.run_id, store=url)


async def test_a_check_takes_the_attempts_reads(url: str) -> None:
    await add(url, RULE_V1)
    result = await reading_pipeline(gate=True).run(
        {"question": Question(text="sentence length")}, store=url
    )
    gates = [e for e in result.events if type(e).__name__ == "GateEvaluated"]
    assert [g.verdict.passed for g in gates] == [False, True]
    assert "not supported by what the step read" in gates[0].verdict.reasons[0]
    assert "99" in gates[0].verdict.reasons[0]


async def test_a_missing_collection_or_store_is_a_clear_failure(url: str, tmp_path: Path) -> None:
    # A configuration mistake ends the run as itself, saying what to do.
    with pytest.raises(
        ConfigError, match=r"collection 'rules', which does not exist.*seamline context add"
    ):
        await reading_pipeline().run({"question": Question(text="x")}, store=url)
    with pytest.raises(ConfigError, match="needs a context store"):
        await reading_pipeline().run({"question": Question(text="x")})
    other = f"sqlite:///{tmp_path}/context.db"
    await add(other, RULE_V1)
    result = await reading_pipeline().run({"question": Question(text="sentence")}, context=other)
    assert "30 words" in result["answer"].claims[0]


def test_a_reads_parameter_may_not_shadow_a_step() -> None:
    pipe = sl.Pipeline("p", inputs={"question": Question})

    @pipe.step
    async def reads(question: Question) -> Answer:
        return Answer(claims=[])

    @pipe.step
    async def answer(reads: Answer) -> Answer:
        return reads

    pipe.gate("answer", sl.check("c", lambda answer, reads: True))
    with pytest.raises(sl.PipelineError, match="rename the parameter"):
        pipe.validate()


def test_grounding_is_lexical_and_says_what_is_missing() -> None:
    passage = sl.Passage(
        collection="c",
        document="d",
        version="v",
        chunk=0,
        score=1.0,
        text="In a trial across 40 homes, heat pumps kept rooms at 20°C.",
    )
    reads = sl.Reads((passage,))
    assert reads.grounded(["Heat pumps kept 40 homes at 20°C."]) is True
    verdict = reads.grounded(["Heat pumps kept 45 homes at 20°C.", "Heat pumps are revolutionary."])
    assert isinstance(verdict, str) and verdict.startswith("2 of 2 statements")
    assert (
        sl.Reads().grounded(["x"])
        == "the step read nothing from the context store to ground its claims in"
    )


async def test_the_html_report_lists_what_a_failed_run_read(url: str) -> None:
    from seamline.reliability import render_html, run_report

    await add(url, RULE_V1)
    failing = sl.Pipeline("reader", inputs={"question": Question})

    @failing.step
    async def answer(question: Question, ctx: sl.StepContext) -> Answer:
        await ctx.search(question.text, collection="rules", k=1)
        return Answer(claims=["Invented: at most 99 words."])

    failing.gate(
        "answer",
        sl.check("grounded", lambda answer, reads: reads.grounded(answer.claims)),
        on_fail=sl.fail(),
    )
    result = await failing.run(
        {"question": Question(text="sentence length")}, store=url, raise_on_failure=False
    )
    html = render_html(run_report(result.events))
    assert "Read from the context store" in html
    assert f"rules.md#0@{RULE_V1.version[:8]}" in html


async def test_runs_on_postgres_read_the_context_in_the_same_database(context_url: str) -> None:
    from seamline.context.reads import close_shared

    await add(context_url, RULE_V1)
    try:
        result = await reading_pipeline().run(
            {"question": Question(text="sentence length")}, store=context_url
        )
        assert "30 words" in result["answer"].claims[0]
        await add(context_url, RULE_V2)
        replayed = await reading_pipeline().replay(result.run_id, store=context_url)
        assert replayed["answer"] == result["answer"]
    finally:
        await close_shared()


async def test_a_check_after_a_resume_takes_what_the_attempt_read_before_it(url: str) -> None:
    context = await open_context(url)
    await context.add("rules", [RULE_V1])
    await context.close()
    pipe = reading_pipeline(gate=True)
    live = await pipe.run({"question": Question(text="sentence length")}, store=url)
    assert live.ok
    # The process died after attempt 1 finished, before its verdict was written: the
    # resumed run judges attempt 1 with the passages attempt 1 read (run state, from the
    # log), and redoes it because its claim is not grounded in them.
    store = await sl.open_store(url)
    try:
        events = await store.load(live.run_id)
        cut = next(n for n, e in enumerate(events) if type(e).__name__ == "GateEvaluated")
        await store.append("cut", events[:cut])  # the same run, as the killed process left it
    finally:
        await store.close()
    resumed = await pipe.resume("cut", store=url)
    first_verdict = next(v for v in resumed.verdicts if v.attempt == 1)
    assert not first_verdict.verdict.passed  # "At most 99 words." is not in what it read
    assert resumed["answer"].claims == ["At most 30 words per sentence."]
