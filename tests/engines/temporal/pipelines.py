"""Pipelines the Temporal tests run, in the test process and in worker processes
(`seamline worker tests/engines/temporal/pipelines.py:gated`): deterministic from their
inputs, so every process computes the same thing."""

from __future__ import annotations

import os
import time
from pathlib import Path

from pydantic import BaseModel

import seamline as sl
from seamline.gates import JudgeScore
from seamline.models import ModelRequest
from seamline.testing import ScriptedModel


class Doc(BaseModel):
    words: list[str]
    trace: str = ""  # a folder where steps note what they did (the durability tests)


class Word(BaseModel):
    text: str


class Upper(BaseModel):
    text: str


class Summary(BaseModel):
    words: list[str]


def _answer(request: ModelRequest) -> Upper | JudgeScore:
    if "JudgeScore" in str(request.output_schema.get("title", "")):
        return JudgeScore(score=0.9, reasons=[])
    word = request.prompt.split("word:")[1].split()[0]
    # The model misreads "b" until the gate's feedback is in its prompt.
    if word == "b" and "is not B" not in request.prompt:
        return Upper(text="b?")
    return Upper(text=word.upper())


model = ScriptedModel(_answer, name="scripted-upper")

# A gated map= step whose item "b" fails its check once and passes on the retry with the
# gate's feedback, a judge on every item, and a person's approval of the summary.
gated = sl.Pipeline("gated", inputs={"doc": Doc}, model=model)


@gated.step
async def split(doc: Doc) -> list[Word]:
    return [Word(text=w) for w in doc.words]


@gated.step(map="split", concurrency=1)
async def upper(split: Word, ctx: sl.StepContext) -> Upper:
    return await ctx.generate(Upper, f"Upper-case this word:{split.text} ")


def _is_upper(upper: Upper, split: Word) -> bool | str:
    return upper.text == split.text.upper() or f"{upper.text} is not {split.text.upper()}"


gated.gate(
    "upper",
    sl.check("is the word in upper case", _is_upper),
    sl.judge("reads well", rubric="The word is in upper case.", threshold=0.5),
    on_fail=sl.retry(2, feedback=True),
)


@gated.step
async def summary(upper: list[Upper]) -> Summary:
    return Summary(words=[u.text for u in upper])


gated.approval("summary")


# Three steps; the middle one takes a while and notes each attempt's idempotency key, so
# a test can kill its worker mid-step and see what ran again.
slow = sl.Pipeline("slow", inputs={"doc": Doc})


def _note(doc: Doc, what: str) -> None:
    with (Path(doc.trace) / "notes").open("a") as f:
        f.write(f"{what} {os.getpid()} {time.time()}\n")


@slow.step
async def first(doc: Doc) -> Summary:
    _note(doc, "first")
    return Summary(words=doc.words)


@slow.step
async def middle(first: Summary, doc: Doc, ctx: sl.StepContext) -> Summary:
    import asyncio

    _note(doc, f"middle-start {ctx.idempotency_key}")
    await asyncio.sleep(float(os.environ.get("SLOW_STEP_SECONDS", "3")))
    _note(doc, f"middle-done {ctx.idempotency_key}")
    return Summary(words=[w.upper() for w in first.words])


@slow.step
async def last(middle: Summary, doc: Doc) -> Summary:
    _note(doc, "last")
    return Summary(words=[*middle.words, "END"])


# Small and quick, for many runs at once: a chain and a map with a gate.
many = sl.Pipeline("many", inputs={"doc": Doc})


@many.step
async def words(doc: Doc) -> list[Word]:
    return [Word(text=w) for w in doc.words]


class Shouted(BaseModel):
    text: str
    pid: int  # the worker process that made it


@many.step(map="words")
async def shout(words: Word) -> Shouted:
    return Shouted(text=words.text.upper(), pid=os.getpid())


many.gate("shout", sl.check("upper", lambda shout: shout.text.isupper()))


@many.step
async def joined(shout: list[Shouted]) -> Summary:
    return Summary(words=[s.text for s in shout])


# A step that always raises: out of attempts, the run fails as it does locally.
failing = sl.Pipeline("failing", inputs={"doc": Doc})


@failing.step(attempts=2, backoff=0.01)
async def broken(doc: Doc) -> Summary:
    raise ValueError(f"cannot read {len(doc.words)} words")


# A step that searches the context store, and a gate that checks its claim against what
# the attempt read (sl.Reads): the first attempt claims what it did not read.
reader = sl.Pipeline("reader", inputs={"doc": Doc})


class Claims(BaseModel):
    claims: list[str]
    versions: list[str]


@reader.step
async def cite(doc: Doc, ctx: sl.StepContext) -> Claims:
    found = await ctx.search(" ".join(doc.words), collection="rules", k=1)
    claim = found[0].text.splitlines()[-1] if ctx.attempt > 1 else "At most 99 words."
    return Claims(claims=[claim], versions=[p.version for p in found])


reader.gate(
    "cite",
    sl.check("grounded", lambda cite, reads: reads.grounded(cite.claims)),
    on_fail=sl.retry(1, feedback=True),
)
