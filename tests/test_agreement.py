"""The consensus gate (`sl.agree`): samples of a step must agree before its artifact crosses."""

from __future__ import annotations

import pytest
from pydantic import BaseModel

import seamline as sl
from seamline.events import GateEvaluated, ModelCalled
from seamline.models.base import ModelRequest
from seamline.testing import ScriptedModel


class Doc(BaseModel):
    text: str


class Reading(BaseModel):
    amount: float
    policy: str
    note: str = ""


def _pipe(
    model: ScriptedModel,
    *items: sl.Check | sl.Agree,
    ladder: sl.Policy | None = None,
    budget: sl.Budget | None = None,
) -> sl.Pipeline:
    pipe = sl.Pipeline("agree", inputs={"doc": Doc}, model=model, budget=budget)

    @pipe.step
    async def reading(doc: Doc, ctx: sl.StepContext) -> Reading:
        return await ctx.generate(Reading, f"read {doc.text}")

    pipe.gate("reading", *items, on_fail=ladder or sl.retry(1).then(sl.escalate_to_human()))
    return pipe


def _by_seed(answers: dict[int | None, Reading]) -> ScriptedModel:
    """Answers by the request's seed: None is the attempt's own call."""
    return ScriptedModel(lambda r: answers[r.seed])


async def test_samples_that_agree_pass_and_each_sample_is_a_recorded_call() -> None:
    same = Reading(amount=1250.0, policy="POL-1", note="first")
    model = _by_seed({None: same, 1: same.model_copy(update={"note": "x"}), 2: same})
    pipe = _pipe(model, sl.agree(n=3, fields=["amount", "policy"]))
    result = await pipe.run({"doc": Doc(text="a")})
    assert result.status is sl.RunStatus.SUCCEEDED
    assert result["reading"] == same  # the attempt's own artifact crosses, not a sample's
    log = result.events
    calls = [e for e in log if isinstance(e, ModelCalled)]
    assert [(c.purpose, c.request.get("seed"), c.request.get("temperature")) for c in calls] == [
        ("step", None, None),
        ("sample", 1, 0.7),
        ("sample", 2, 0.7),
    ]
    (gate,) = [e for e in log if isinstance(e, GateEvaluated)]
    (agreement,) = gate.verdict.checks
    assert (agreement.kind, agreement.outcome, agreement.score) == ("agree", "passed", 1.0)


async def test_a_disagreement_is_feedback_naming_the_field_and_what_the_samples_said() -> None:
    wrong = Reading(amount=125.0, policy="POL-1")
    right = Reading(amount=1250.0, policy="POL-1")
    # Attempt 1 reads 125 and its first sample 1250: the unanimous gate stops there.
    # Attempt 2 (seed 3 and 4 for its samples) reads 1250 three times.
    model = _by_seed({None: wrong, 1: right, 2: right, 3: right, 4: right})
    calls: list[ModelRequest] = model.requests
    first = {"n": 0}

    def answer(r: ModelRequest) -> Reading:
        if r.seed is None:
            first["n"] += 1
            return wrong if first["n"] == 1 else right
        return right

    model = ScriptedModel(answer)
    pipe = _pipe(model, sl.agree(n=3, fields=["amount", "policy"]))
    result = await pipe.run({"doc": Doc(text="a")})
    calls = model.requests
    assert result.status is sl.RunStatus.SUCCEEDED and result["reading"] == right
    # 1 + 1 sample (decided at the first disagreement), then 1 + 2 samples.
    assert [r.seed for r in calls] == [None, 1, None, 4, 5]
    assert "amount: this attempt gave 125, but 1 other sample gave 1250" in calls[2].prompt
    log = result.events
    verdicts = [e for e in log if isinstance(e, GateEvaluated)]
    assert [v.effect for v in verdicts] == ["again", "pass"]
    assert verdicts[0].feedback == [
        "samples agree on amount, policy: amount: this attempt gave 125, but 1 other sample "
        "gave 1250"
    ]
    assert verdicts[0].verdict.checks[0].score == 0.5


async def test_a_quorum_accepts_a_majority_and_stops_sampling_once_it_is_reached() -> None:
    right = Reading(amount=1.0, policy="P")
    model = _by_seed({None: right, 1: right, 2: right, 3: right, 4: right})
    pipe = _pipe(model, sl.agree(n=5, fields=["amount"], quorum=3))
    result = await pipe.run({"doc": Doc(text="a")})
    assert result.status is sl.RunStatus.SUCCEEDED
    assert [r.seed for r in model.requests] == [None, 1, 2]  # 3 of 5 agree: enough


async def test_strings_compare_without_case_or_spacing_and_numbers_as_numbers() -> None:
    model = _by_seed(
        {
            None: Reading(amount=2, policy="pol-1  a"),
            1: Reading(amount=2.0, policy="POL-1 A"),
        }
    )
    pipe = _pipe(model, sl.agree(n=2))
    result = await pipe.run({"doc": Doc(text="a")})
    assert result.status is sl.RunStatus.SUCCEEDED


async def test_a_sample_with_malformed_output_is_a_disagreement_not_a_crash() -> None:
    def answer(r: ModelRequest) -> Reading | str:
        return Reading(amount=1, policy="P") if r.seed is None else "{not json"

    model = ScriptedModel(answer)
    pipe = _pipe(model, sl.agree(n=2), ladder=sl.escalate_to_human())
    result = await pipe.run({"doc": Doc(text="a")})
    assert result.status is sl.RunStatus.NEEDS_REVIEW
    log = result.events
    (gate,) = [e for e in log if isinstance(e, GateEvaluated)]
    (reason,) = gate.verdict.reasons
    assert "amount: this attempt gave 1, but 1 other sample gave no answer" in reason
    assert "sample 1 produced no artifact (output is not a valid Reading" in reason


async def test_a_failed_check_saves_the_samples() -> None:
    model = _by_seed({None: Reading(amount=-1, policy="P")})
    pipe = _pipe(
        model,
        sl.check("positive", lambda reading: reading.amount > 0),
        sl.agree(n=3),
        ladder=sl.fail(),
    )
    result = await pipe.run({"doc": Doc(text="a")}, raise_on_failure=False)
    assert result.status is sl.RunStatus.FAILED
    assert len(model.requests) == 1
    log = result.events
    (gate,) = [e for e in log if isinstance(e, GateEvaluated)]
    assert [(c.kind, c.outcome) for c in gate.verdict.checks] == [
        ("check", "failed"),
        ("agree", "skipped"),
    ]


async def test_samples_count_against_the_run_budget() -> None:
    same = Reading(amount=1, policy="P")
    model = _by_seed({None: same, 1: same, 2: same})
    pipe = _pipe(model, sl.agree(n=3), budget=sl.Budget(model_calls=2))
    result = await pipe.run({"doc": Doc(text="a")}, raise_on_failure=False)
    assert result.status is sl.RunStatus.FAILED
    assert isinstance(result.error, sl.BudgetExceeded)
    assert len(model.requests) == 2


async def test_replay_is_offline_and_exact() -> None:
    state = {"n": 0}

    def answer(r: ModelRequest) -> Reading:
        state["n"] += 1
        return Reading(amount=float(state["n"] % 2), policy="P")  # samples disagree at times

    model = ScriptedModel(answer)
    pipe = _pipe(model, sl.agree(n=3, fields=["amount"]))
    store = "memory://agree-replay"
    result = await pipe.run({"doc": Doc(text="a")}, store=store)
    made = len(model.requests)
    replayed = await pipe.replay(result.run_id, store=store)
    assert len(model.requests) == made  # no model was called
    assert replayed.status == result.status
    assert replayed.artifacts == result.artifacts


async def test_shadow_mode_samples_and_records_but_never_acts() -> None:
    model = _by_seed({None: Reading(amount=1, policy="P"), 1: Reading(amount=2, policy="P")})
    pipe = _pipe(model, sl.agree(n=3))
    result = await pipe.run({"doc": Doc(text="a")}, gates="shadow")
    assert result.status is sl.RunStatus.SUCCEEDED
    log = result.events
    (gate,) = [e for e in log if isinstance(e, GateEvaluated)]
    assert gate.action == "shadow" and not gate.verdict.passed


def test_bad_arguments_are_refused_with_the_fix() -> None:
    with pytest.raises(ValueError, match="n counts the attempt itself"):
        sl.agree(n=1)
    with pytest.raises(ValueError, match="more than half of n"):
        sl.agree(n=4, quorum=2)
    with pytest.raises(ValueError, match=r"temperature in \(0, 2\]"):
        sl.agree(temperature=0)


def test_a_field_the_artifact_lacks_is_a_pipeline_error() -> None:
    pipe = _pipe(ScriptedModel([]), sl.agree(fields=["amout"]))
    with pytest.raises(sl.PipelineError, match="'amout', which is not a field of Reading"):
        pipe.validate()


def test_a_step_without_a_context_cannot_be_sampled() -> None:
    pipe = sl.Pipeline("agree", inputs={"doc": Doc})

    @pipe.step
    def reading(doc: Doc) -> Reading:
        return Reading(amount=1, policy=doc.text)

    pipe.gate("reading", sl.agree())
    with pytest.raises(sl.PipelineError, match=r"takes no sl\.StepContext"):
        pipe.validate()


def test_one_agreement_per_gate() -> None:
    pipe = sl.Pipeline("agree", inputs={"doc": Doc})
    with pytest.raises(sl.PipelineError, match=r"a gate takes one sl\.agree"):
        pipe.gate("x", sl.agree(), sl.agree(n=5))


def test_the_readme_example_runs(capsys: pytest.CaptureFixture[str]) -> None:
    import re
    from pathlib import Path

    readme = (Path(__file__).parent.parent / "README.md").read_text()
    section = readme.split("### Consensus gates: `sl.agree`", 1)[1]
    (code,) = re.findall(r"```py\n(.*?)```", section.split("\n## ", 1)[0], re.DOTALL)
    exec(compile(code, "README.md", "exec"), {"__name__": "__main__"})
    out = capsys.readouterr().out.splitlines()
    assert out[0] == "succeeded amount=1250.0 policy_id='PX-2231'"
    assert out[1].startswith(
        "['samples agree on amount, policy_id: amount: this attempt gave 1250, but 1 other "
        "sample gave 125']"
    )
