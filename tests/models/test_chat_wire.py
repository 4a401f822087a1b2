"""The local model's wire format against the path it replaced: pydantic-ai's OpenAI chat model.

Until 0.1 the local model went through `ProviderModel` over pydantic-ai's `OpenAIChatModel`
and an in-process transport. That path is the reference here: for every output type below, the
body `chat_wire` writes must be the one pydantic-ai sent llama.cpp (so decoding is constrained
by the same grammar), and the record `chat_wire` reads from llama.cpp's answer must be the one
pydantic-ai recorded (so the run log keeps its meaning).
"""

from __future__ import annotations

import copy
import datetime as dt
import enum
import json
import uuid
from typing import Annotated, Any, Literal

import httpx2
import pytest
from examples.claims.grounded import grounded_claim_type
from examples.claims.models import Claim as DemoClaim
from examples.claims.models import ClaimDoc
from examples.content.models import Draft, ResearchSummary
from examples.film.models import Frame, SceneGraph
from pydantic import BaseModel, ConfigDict, Field
from pydantic_ai.settings import ModelSettings as PaiSettings

from seamline.gates import JudgeScore
from seamline.models import ModelConfig, ModelRequest, chat_wire
from seamline.models.providers import ProviderModel

from .conftest import Claim

# What llama.cpp answered to a claim extraction (SmolLM2, recorded), with its timings.
ANSWER: dict[str, Any] = {
    "choices": [
        {
            "finish_reason": "stop",
            "index": 0,
            "message": {"role": "assistant", "content": '{"claimant":"Jane Doe","amount":1250}'},
        }
    ],
    "created": 1796165141,
    "model": "/models/SmolLM2-135M-Instruct.Q4_1.gguf",
    "system_fingerprint": "b0-unknown",
    "object": "chat.completion",
    "usage": {
        "completion_tokens": 78,
        "prompt_tokens": 655,
        "total_tokens": 733,
        "prompt_tokens_details": {"cached_tokens": 501},
    },
    "id": "chatcmpl-Kf1VvuUTnIC4kCRGUbbqkG81xzUInttM",
    "timings": {"cache_n": 501, "prompt_n": 154, "predicted_n": 78, "predicted_ms": 2658.1},
}


class Address(BaseModel):
    street: str
    city: str = Field(description="the city")


class Colour(enum.Enum):
    RED = "red"
    BLUE = "blue"


class Person(BaseModel):
    """A person, with nested and optional parts."""

    name: str = Field(min_length=1, max_length=40)
    home: Address = Field(description="where they live")
    work: Address | None = None
    nicknames: list[str] = []
    scores: dict[str, int]
    extra: dict[str, Any] = Field(default_factory=dict)
    colour: Colour
    born: dt.date
    seen: dt.datetime | None = None
    ident: uuid.UUID
    age: Annotated[int, Field(ge=0, le=150)]
    ratio: float = Field(multiple_of=0.5)


class Tree(BaseModel):
    label: str
    children: list[Tree] = []


class Cat(BaseModel):
    kind: Literal["cat"]
    lives: int


class Dog(BaseModel):
    kind: Literal["dog"]
    good: bool


class Pet(BaseModel):
    pet: Cat | Dog = Field(discriminator="kind")
    tags: set[str]
    pair: tuple[int, str]
    single: tuple[int]
    many: tuple[int, ...]
    anything: Any


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")
    code: str = Field(pattern=r"^[A-Z]{3}$")
    level: Literal[1, 2, 3]


DOC = ClaimDoc(text="Jane Doe, policy PX-1234, claims $1,250.00 for hail on 2024-05-02.")
OUTPUT_TYPES: list[type[BaseModel]] = [
    Claim,
    DemoClaim,
    grounded_claim_type(DOC),
    JudgeScore,
    Person,
    Tree,
    Pet,
    Strict,
    SceneGraph,
    Frame,
    ResearchSummary,
    Draft,
]


def reference(output_type: type[BaseModel], request: ModelRequest, answer: dict[str, Any]):  # type: ignore[no-untyped-def]
    """What the 0.1 local model sent and recorded: ProviderModel over pydantic-ai's OpenAI model."""
    from pydantic_ai.models.openai import OpenAIChatModel
    from pydantic_ai.providers.openai import OpenAIProvider

    sent: list[dict[str, Any]] = []

    def handler(http: httpx2.Request) -> httpx2.Response:
        body = json.loads(http.content)
        body.setdefault("temperature", 0.0)  # what the in-process transport added
        body.setdefault("seed", 42)
        sent.append(body)
        return httpx2.Response(200, json=answer)

    def factory() -> OpenAIChatModel:
        client = httpx2.AsyncClient(transport=httpx2.MockTransport(handler))
        provider = OpenAIProvider(
            base_url="http://seamline.local/v1", api_key="local", http_client=client
        )
        return OpenAIChatModel("SmolLM2-135M-Instruct.Q4_1", provider=provider)

    model = ProviderModel(
        "local",
        provider="local",
        factory=factory,
        settings=PaiSettings(max_retries=0, temperature=0.0, seed=42),
        max_tokens=256,
        concurrency=1,
        output_mode="native",
        config=ModelConfig(),
    )
    return model, sent


def ours(output_type: type[BaseModel], request: ModelRequest) -> dict[str, Any]:
    return chat_wire.chat_body(
        request,
        type_name=output_type.__name__,
        model_name="SmolLM2-135M-Instruct.Q4_1",
        max_tokens=256,
        temperature=0.0,
        seed=42,
    )


def request_for(output_type: type[BaseModel], **fields: Any) -> ModelRequest:
    return ModelRequest(
        model="local",
        prompt=fields.pop("prompt", "Extract it from:\nJane Doe claims $1,250.00."),
        system=fields.pop("system", "You extract things."),
        output_schema=output_type.model_json_schema(),
        **fields,
    )


def without_strict(body: dict[str, Any]) -> dict[str, Any]:
    """llama.cpp reads only `json_schema.schema` of the wrapper; `strict` is OpenAI's flag."""
    body = copy.deepcopy(body)
    body["response_format"]["json_schema"].pop("strict", None)
    return body


@pytest.mark.parametrize("output_type", OUTPUT_TYPES, ids=lambda t: t.__name__)
async def test_the_body_is_the_one_pydantic_ai_sent(output_type: type[BaseModel]) -> None:
    request = request_for(output_type, examples=(("an example", '{"x": 1}'),))
    model, sent = reference(output_type, request, ANSWER)

    await model.generate(output_type, request)

    assert ours(output_type, request) == without_strict(sent[0])


@pytest.mark.parametrize(
    "fields",
    [
        {},
        {"system": None},
        {"examples": (("first", "1"), ("second", "2"))},
        {"system": None, "examples": (("first", "1"),)},
        {"max_tokens": 32},
    ],
    ids=["plain", "no-system", "examples", "examples-no-system", "max-tokens"],
)
async def test_messages_and_limits_are_the_ones_pydantic_ai_sent(fields: dict[str, Any]) -> None:
    request = request_for(Claim, **fields)
    model, sent = reference(Claim, request, ANSWER)

    await model.generate(Claim, request)

    mine = chat_wire.chat_body(
        request,
        type_name="Claim",
        model_name="SmolLM2-135M-Instruct.Q4_1",
        max_tokens=request.max_tokens or 256,
        temperature=0.0,
        seed=42,
    )
    assert mine == without_strict(sent[0])


def answers() -> list[tuple[str, dict[str, Any]]]:
    out = [("stop", ANSWER)]
    for name, change in [
        ("length", lambda a: a["choices"][0].update(finish_reason="length")),
        ("no-finish-reason", lambda a: a["choices"][0].update(finish_reason=None)),
        ("reasoning", lambda a: a["choices"][0]["message"].update(reasoning_content="Hm.")),
        ("no-content", lambda a: a["choices"][0]["message"].update(content=None)),
        ("empty-content", lambda a: a["choices"][0]["message"].update(content="")),
        ("no-cache-details", lambda a: a["usage"].pop("prompt_tokens_details")),
        ("no-created", lambda a: a.pop("created")),
        (
            "completion-details",
            lambda a: a["usage"].update(completion_tokens_details={"reasoning_tokens": 7}),
        ),
    ]:
        answer = copy.deepcopy(ANSWER)
        change(answer)
        out.append((name, answer))
    return out


@pytest.mark.parametrize(("name", "answer"), answers(), ids=[n for n, _ in answers()])
async def test_the_record_is_the_one_pydantic_ai_recorded(
    name: str, answer: dict[str, Any]
) -> None:
    request = request_for(Claim)
    model, _ = reference(Claim, request, answer)

    theirs = await model.generate(Claim, request)
    reply = chat_wire.read_reply(answer)

    assert {**reply.record, "timestamp": None} == {**theirs.response, "timestamp": None}
    assert reply.record["timestamp"].endswith("Z")
    assert reply.raw_output == theirs.raw_output
    assert (reply.input_tokens, reply.output_tokens) == (theirs.input_tokens, theirs.output_tokens)
    assert reply.truncated == (name == "length")


@pytest.mark.parametrize("answer", [{}, {"choices": []}, {"choices": [{"index": 0}]}])
def test_an_answer_without_a_message_is_a_wire_error(answer: dict[str, Any]) -> None:
    with pytest.raises(chat_wire.WireError):
        chat_wire.read_reply(answer)
