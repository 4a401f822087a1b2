"""Malformed pipelines fail at build time, with a message naming the step, the
parameter, what is wrong and the fix — before any step or model runs."""

from __future__ import annotations

import pytest
from pydantic import BaseModel

import seamline as sl


class Doc(BaseModel):
    text: str


class Claim(BaseModel):
    amount: float


class Scene(BaseModel):
    title: str


class Frame(BaseModel):
    caption: str


def claims_pipe() -> sl.Pipeline:
    return sl.Pipeline("claims", inputs={"doc": Doc})


def test_unknown_parameter_names_the_step_the_parameter_and_what_exists() -> None:
    pipe = claims_pipe()

    @pipe.step
    async def claim(document: Doc) -> Claim:
        return Claim(amount=1)

    with pytest.raises(sl.PipelineError) as err:
        pipe.validate()
    message = str(err.value)
    assert "step 'claim', parameter 'document'" in message
    assert "neither a pipeline input nor a step" in message
    assert "inputs: ['doc']" in message and "rename the parameter" in message
    assert err.value.step == "claim" and err.value.param == "document"


def test_type_mismatch_between_producer_and_reader() -> None:
    pipe = claims_pipe()

    @pipe.step
    async def claim(doc: Doc) -> Claim:
        return Claim(amount=1)

    @pipe.step
    async def decision(claim: Doc) -> Claim:
        return Claim(amount=1)

    with pytest.raises(sl.PipelineError) as err:
        pipe.validate()
    assert str(err.value) == (
        "step 'decision', parameter 'claim': is annotated Doc, but 'claim' provides Claim; "
        "annotate it as `claim: Claim`"
    )


def test_cycle_is_named_with_its_path_and_the_way_to_loop() -> None:
    pipe = claims_pipe()

    @pipe.step
    async def a(c: Claim) -> Claim:
        return c

    @pipe.step
    async def b(a: Claim) -> Claim:
        return a

    @pipe.step
    async def c(b: Claim) -> Claim:
        return b

    with pytest.raises(sl.PipelineError) as err:
        pipe.validate()
    assert "steps form a cycle: a → c → b → a" in str(err.value)
    assert "sl.reroute" in str(err.value)


def test_missing_return_annotation_fails_at_declaration() -> None:
    pipe = claims_pipe()
    with pytest.raises(sl.PipelineError) as err:

        @pipe.step
        async def claim(doc: Doc):  # type: ignore[no-untyped-def]
            return Claim(amount=1)

    assert "step 'claim': has no return annotation" in str(err.value)
    assert "-> Claim" in str(err.value)


@pytest.mark.parametrize("annotation", [dict, str, int, "list[int]", "Claim | None"])
def test_non_pydantic_artifact_fails_at_declaration(annotation: object) -> None:
    pipe = claims_pipe()

    async def claim(doc: Doc) -> Claim:
        return Claim(amount=1)

    claim.__annotations__["return"] = (
        eval(annotation) if isinstance(annotation, str) else annotation
    )
    with pytest.raises(sl.PipelineError) as err:
        pipe.step(claim)
    assert "step 'claim': returns" in str(err.value)
    assert "not an artifact; return a Pydantic model" in str(err.value)


def test_duplicate_step_name() -> None:
    pipe = claims_pipe()

    @pipe.step
    async def claim(doc: Doc) -> Claim:
        return Claim(amount=1)

    with pytest.raises(sl.PipelineError) as err:

        @pipe.step(name="claim")
        async def claim_again(doc: Doc) -> Claim:
            return Claim(amount=2)

    assert "step 'claim': is declared twice" in str(err.value)
    assert "pass name=" in str(err.value)


def test_map_over_a_non_list() -> None:
    pipe = sl.Pipeline("film", inputs={"scene": Scene})

    @pipe.step(map="scene")
    async def frame(scene: Scene) -> Frame:
        return Frame(caption=scene.title)

    with pytest.raises(sl.PipelineError) as err:
        pipe.validate()
    assert str(err.value) == (
        "step 'frame', parameter 'scene': map='scene' but 'scene' is Scene, not a list; "
        "map= fans out over a list[...] artifact"
    )


def test_map_parameter_annotated_as_the_list_gets_a_hint() -> None:
    pipe = sl.Pipeline("film", inputs={"scenes": list[Scene]})

    @pipe.step(map="scenes")
    async def frame(scenes: list[Scene]) -> Frame:
        return Frame(caption="x")

    with pytest.raises(sl.PipelineError) as err:
        pipe.validate()
    assert "receives one item, not the list" in str(err.value)
    assert "`scenes: Scene`" in str(err.value)


def test_reader_of_a_conditional_step_must_be_optional() -> None:
    pipe = claims_pipe()

    @pipe.step(when=lambda doc: "fire" in doc.text)
    async def vfx(doc: Doc) -> Claim:
        return Claim(amount=1)

    @pipe.step
    async def assemble(vfx: Claim) -> Frame:
        return Frame(caption="x")

    with pytest.raises(sl.PipelineError) as err:
        pipe.validate()
    assert str(err.value) == (
        "step 'assemble', parameter 'vfx': step 'vfx' may be skipped (it has when=), so this "
        "parameter can be None; annotate it as `vfx: Claim | None`"
    )


def test_unannotated_parameter() -> None:
    pipe = claims_pipe()

    @pipe.step
    async def claim(doc) -> Claim:  # type: ignore[no-untyped-def]
        return Claim(amount=1)

    with pytest.raises(sl.PipelineError, match=r"parameter 'doc': has no annotation; .*`doc: Doc`"):
        pipe.validate()


def test_gate_check_reading_something_unknown() -> None:
    pipe = claims_pipe()

    @pipe.step
    async def claim(doc: Doc) -> Claim:
        return Claim(amount=1)

    pipe.gate("claim", sl.check("positive", lambda c: c.amount > 0))
    with pytest.raises(sl.PipelineError) as err:
        pipe.validate()
    assert "check 'positive' reads 'c'" in str(err.value)
    assert "name the parameter 'claim'" in str(err.value)


def test_gate_on_unknown_step_and_bad_reroute() -> None:
    pipe = claims_pipe()

    @pipe.step
    async def claim(doc: Doc) -> Claim:
        return Claim(amount=1)

    pipe.gate("clam", sl.check("x", lambda clam: True))
    with pytest.raises(sl.PipelineError, match="a gate is on 'clam', which is not a step"):
        pipe.validate()

    pipe2 = claims_pipe()
    pipe2.step(claim)
    pipe2.gate("claim", sl.check("x", lambda claim: True), on_fail=sl.reroute("claim"))
    with pytest.raises(
        sl.PipelineError, match=r"reroute\('claim'\) must name a step upstream.*use sl.retry"
    ):
        pipe2.validate()


def test_input_values_are_validated_with_a_clear_message() -> None:
    pipe = claims_pipe()

    @pipe.step
    async def claim(doc: Doc) -> Claim:
        return Claim(amount=1)

    with pytest.raises(sl.PipelineError, match=r"takes inputs \['doc'\]; missing \['doc'\]"):
        pipe.run_sync({})
    with pytest.raises(sl.PipelineError, match="input 'doc' does not match"):
        pipe.run_sync({"doc": {"txt": 1}})
    assert pipe.run_sync({"doc": {"text": "hi"}}).ok


def test_validation_runs_before_any_step() -> None:
    ran = []
    pipe = claims_pipe()

    @pipe.step
    async def claim(doc: Doc) -> Claim:
        ran.append("claim")
        return Claim(amount=1)

    @pipe.step
    async def broken(nothing: Claim) -> Claim:
        return nothing

    with pytest.raises(sl.PipelineError):
        pipe.run_sync({"doc": {"text": "x"}})
    assert ran == []
