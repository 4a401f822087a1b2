"""What stays open for extension: a ladder rung of one's own, a store by URL scheme, and a
hook on every event, each with no change to seamline itself."""

from __future__ import annotations

from dataclasses import dataclass

import pytest
from pydantic import BaseModel

import seamline as sl
from seamline.events import Event, GateEvaluated, RunFinished, RunStarted
from seamline.policies import Decision, Failure, Policy, Rung
from seamline.store import MemoryStore, open_store, register_store


class Doc(BaseModel):
    text: str


class Claim(BaseModel):
    amount: float


@dataclass(frozen=True)
class RetryOnceMoreIfClose(Rung):
    """A rung of a user's own: retry only when the verdict came close (one failed check)."""

    times: int = 3

    def decide(self, failure: Failure) -> Decision:
        failed = [c for c in failure.verdict.checks if c.outcome == "failed"]
        if len(failed) == 1:
            return Decision("retry-if-close", "again")
        return Decision("give-up", "fail", feedback=False)


async def test_a_rung_of_ones_own_is_one_class() -> None:
    amounts = iter([-1.0, 5.0])
    pipe = sl.Pipeline("p", inputs={"doc": Doc})

    @pipe.step
    async def claim(doc: Doc) -> Claim:
        return Claim(amount=next(amounts))

    pipe.gate(
        "claim",
        sl.check("positive", lambda claim: claim.amount > 0),
        on_fail=Policy((RetryOnceMoreIfClose(),)),
    )
    result = await pipe.run({"doc": Doc(text="x")})
    assert result["claim"] == Claim(amount=5.0)
    (failed,) = [v for v in result.verdicts if not v.verdict.passed]
    assert (failed.action, failed.effect) == ("retry-if-close", "again")
    # The reports read the recorded label like any other.
    assert "claim" in str(result.report())


async def test_a_store_registered_by_scheme_is_opened_by_url() -> None:
    opened: list[str] = []

    async def open_mine(url: str) -> MemoryStore:
        opened.append(url)
        return MemoryStore(url)

    register_store("mine", open_mine)
    store = await open_store("mine://somewhere")
    assert opened == ["mine://somewhere"] and isinstance(store, MemoryStore)
    with pytest.raises(sl.ConfigError, match=r"unknown store URL 'nope://x'.*mine://"):
        await open_store("nope://x")


async def test_on_event_sees_every_event_once_it_is_stored() -> None:
    pipe = sl.Pipeline("p", inputs={"doc": Doc})

    @pipe.step
    async def claim(doc: Doc) -> Claim:
        return Claim(amount=1)

    seen: list[tuple[str, str]] = []
    stored_at_the_time: list[int] = []
    store = MemoryStore()

    @pipe.on_event
    async def note(run_id: str, event: Event) -> None:
        seen.append((run_id, type(event).__name__))
        stored_at_the_time.append(len(await store.load(run_id)))

    @pipe.on_event
    def broken(run_id: str, event: Event) -> None:
        raise RuntimeError("an observer's bug")  # logged, never breaks the run

    result = await pipe.run({"doc": Doc(text="x")}, store=store)
    assert result.ok
    assert [kind for _, kind in seen] == [type(e).__name__ for e in result.events]
    assert all(n > i for i, n in enumerate(stored_at_the_time))
    assert isinstance(result.events[0], RunStarted) and isinstance(result.events[-1], RunFinished)


async def test_on_event_works_for_a_run_that_keeps_no_store() -> None:
    pipe = sl.Pipeline("p", inputs={"doc": Doc})

    @pipe.step
    async def claim(doc: Doc) -> Claim:
        return Claim(amount=-1)

    pipe.gate("claim", sl.check("positive", lambda claim: claim.amount > 0), on_fail=sl.fail())
    seen: list[Event] = []
    pipe.on_event(lambda run_id, event: seen.append(event))
    result = await pipe.run({"doc": Doc(text="x")}, raise_on_failure=False)
    assert [type(e) for e in seen] == [type(e) for e in result.events]
    assert any(isinstance(e, GateEvaluated) and e.effect == "fail" for e in seen)
