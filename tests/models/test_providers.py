"""Provider adapters against recorded HTTP exchanges, through the real pydantic-ai classes."""

from __future__ import annotations

import asyncio
import json
import sys

import httpx2
import pytest
from pydantic import BaseModel

import seamline as sl
from seamline.exceptions import ConfigError
from seamline.models import (
    Model,
    ModelCallFailed,
    ModelConfig,
    ModelReply,
    ProviderConfig,
    get_model,
)
from seamline.models.providers import build_model, parse_model_string

from .conftest import Claim, Exchange, Sleeps, claim_request, fixture, with_content

OPENAI = "openai:gpt-4o-mini"


@pytest.fixture
def openai_key(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OPENAI_API_KEY", "sk-test")


def ok(name: str) -> httpx2.Response:
    return httpx2.Response(200, json=fixture(name))


# --- OpenAI ----------------------------------------------------------------------------------


@pytest.mark.usefixtures("openai_key")
async def test_openai_structured_output_uses_the_json_schema_response_format() -> None:
    http = Exchange(ok("openai_claim.json"))
    model = build_model(OPENAI, ModelConfig(), transport=http.transport)
    request = claim_request(
        OPENAI, examples=(("Bob Ray, policy AB-9, 300 dollars.", '{"claimant": "Bob Ray"}'),)
    )

    reply = await model.generate(Claim, request)

    assert reply.output == Claim(claimant="Jane Doe", amount=1250.0, policy_id="PX-1234")
    assert reply.error is None
    assert reply.raw_output == '{"claimant":"Jane Doe","amount":1250.0,"policy_id":"PX-1234"}'
    assert (reply.input_tokens, reply.output_tokens) == (182, 19)
    assert reply.cost_usd == pytest.approx((182 * 0.15 + 19 * 0.60) / 1e6)
    assert reply.seconds > 0
    json.dumps(reply.response)  # goes into the run log as is

    sent = http.body()
    assert str(http.requests[0].url) == "https://api.openai.com/v1/chat/completions"
    assert sent["response_format"]["type"] == "json_schema"
    assert sent["response_format"]["json_schema"]["name"] == "Claim"
    assert set(sent["response_format"]["json_schema"]["schema"]["properties"]) == {
        "claimant",
        "amount",
        "policy_id",
    }
    # Few-shot examples are earlier turns, never part of the system prompt.
    assert [(m["role"], m["content"]) for m in sent["messages"]] == [
        ("system", "You extract insurance claims."),
        ("user", "Bob Ray, policy AB-9, 300 dollars."),
        ("assistant", '{"claimant": "Bob Ray"}'),
        ("user", request.prompt),
    ]
    assert sent["max_completion_tokens"] == 4096


@pytest.mark.usefixtures("openai_key")
async def test_a_429_is_retried_after_the_time_retry_after_asks_for(sleeps: Sleeps) -> None:
    limited = httpx2.Response(
        429, headers={"retry-after": "2"}, json=fixture("openai_rate_limit.json")
    )
    http = Exchange(limited, ok("openai_claim.json"))
    model = build_model(OPENAI, ModelConfig(), transport=http.transport, sleep=sleeps)

    reply = await model.generate(Claim, claim_request(OPENAI))

    assert reply.output is not None
    assert len(http.requests) == 2
    assert sleeps == [2.0]


@pytest.mark.usefixtures("openai_key")
async def test_retries_back_off_without_retry_after_then_give_up_with_a_clear_error(
    sleeps: Sleeps,
) -> None:
    config = ModelConfig(defaults=ProviderConfig(max_retries=2))
    http = Exchange(*[httpx2.Response(503, json={"error": {"message": "upstream"}})] * 3)
    model = build_model(OPENAI, config, transport=http.transport, sleep=sleeps)

    with pytest.raises(ModelCallFailed, match="gave up after 2 retries") as caught:
        await model.generate(Claim, claim_request(OPENAI))

    assert caught.value.status_code == 503
    assert len(http.requests) == 3
    assert len(sleeps) == 2 and sleeps[0] < sleeps[1] <= 20


@pytest.mark.usefixtures("openai_key")
async def test_the_last_error_body_survives_a_streamed_response(sleeps: Sleeps) -> None:
    async def stream() -> object:
        yield b'{"error": {"message": "still overloaded", "code": "server_error"}}'

    def streamed(request: httpx2.Request) -> httpx2.Response:
        return httpx2.Response(500, content=stream())  # type: ignore[arg-type]

    config = ModelConfig(defaults=ProviderConfig(max_retries=1))
    http = Exchange(streamed, streamed)
    model = build_model(OPENAI, config, transport=http.transport, sleep=sleeps)

    with pytest.raises(ModelCallFailed, match="still overloaded"):
        await model.generate(Claim, claim_request(OPENAI))


@pytest.mark.usefixtures("openai_key")
async def test_a_bad_key_fails_at_once_and_says_which_variable(sleeps: Sleeps) -> None:
    http = Exchange(httpx2.Response(401, json=fixture("openai_unauthorized.json")))
    model = build_model(OPENAI, ModelConfig(), transport=http.transport, sleep=sleeps)

    with pytest.raises(ModelCallFailed, match="OPENAI_API_KEY") as caught:
        await model.generate(Claim, claim_request(OPENAI))

    assert caught.value.status_code == 401
    assert sleeps == []


@pytest.mark.usefixtures("openai_key")
async def test_invalid_json_output_is_a_reply_error_not_an_exception() -> None:
    broken = '{"claimant": "Jane Doe", "amount": '
    http = Exchange(httpx2.Response(200, json=with_content("openai_claim.json", broken)))
    model = build_model(OPENAI, ModelConfig(), transport=http.transport)

    reply = await model.generate(Claim, claim_request(OPENAI))

    assert reply.output is None
    assert reply.error is not None and "not valid JSON" in reply.error
    assert reply.raw_output == broken
    assert reply.input_tokens == 182  # a failed output is still paid for


@pytest.mark.usefixtures("openai_key")
async def test_a_schema_violation_names_the_bad_field() -> None:
    wrong = '{"claimant": "Jane Doe", "amount": "a lot", "policy_id": "PX-1234"}'
    http = Exchange(httpx2.Response(200, json=with_content("openai_claim.json", wrong)))
    model = build_model(OPENAI, ModelConfig(), transport=http.transport)

    reply = await model.generate(Claim, claim_request(OPENAI))

    assert reply.output is None
    assert reply.error is not None
    assert reply.error.startswith("output is not a valid Claim: amount:")
    assert "'a lot'" in reply.error


@pytest.mark.usefixtures("openai_key")
async def test_output_cut_off_at_the_token_limit_says_so() -> None:
    cut = '{"claimant": "Jane'
    data = with_content("openai_claim.json", cut, finish_reason="length")
    http = Exchange(httpx2.Response(200, json=data))
    model = build_model(OPENAI, ModelConfig(), transport=http.transport)

    reply = await model.generate(Claim, claim_request(OPENAI, max_tokens=5))

    assert reply.error is not None and "token limit" in reply.error
    assert http.body()["max_completion_tokens"] == 5


@pytest.mark.usefixtures("openai_key")
async def test_a_response_that_is_not_a_chat_completion_is_a_reply_error() -> None:
    http = Exchange(httpx2.Response(200, json={"unexpected": True}))
    model = build_model(OPENAI, ModelConfig(), transport=http.transport)

    reply = await model.generate(Claim, claim_request(OPENAI))

    assert reply.output is None
    assert reply.error is not None and "could not be read" in reply.error


@pytest.mark.usefixtures("openai_key")
async def test_concurrency_is_limited_per_provider() -> None:
    in_flight = 0
    most = 0

    async def slow(request: httpx2.Request) -> httpx2.Response:
        nonlocal in_flight, most
        in_flight += 1
        most = max(most, in_flight)
        await asyncio.sleep(0.01)
        in_flight -= 1
        return ok("openai_claim.json")

    config = ModelConfig(providers={"openai": ProviderConfig(concurrency=2)})
    mini = build_model(OPENAI, config, transport=httpx2.MockTransport(slow))
    big = build_model("openai:gpt-4o", config, transport=httpx2.MockTransport(slow))

    replies = await asyncio.gather(
        *(m.generate(Claim, claim_request(m.name)) for m in [mini, big] * 3)
    )

    assert all(r.output is not None for r in replies)
    assert most == 2


# --- Anthropic -------------------------------------------------------------------------------


async def test_anthropic_native_structured_output(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ANTHROPIC_API_KEY", "sk-ant-test")
    spec = "anthropic:claude-haiku-4-5"
    http = Exchange(ok("anthropic_claim.json"))
    model = build_model(spec, ModelConfig(), transport=http.transport)

    reply = await model.generate(Claim, claim_request(spec))

    assert reply.output == Claim(claimant="Jane Doe", amount=1250, policy_id="PX-1234")
    assert reply.cost_usd == pytest.approx((231 * 1.0 + 27 * 5.0) / 1e6)
    sent = http.body()
    assert sent["output_config"]["format"]["type"] == "json_schema"
    assert sent["system"] == "You extract insurance claims."
    assert "tools" not in sent


async def test_anthropic_tool_output_with_bad_arguments_is_a_reply_error(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # Models without native structured output (or `output_mode = "tool"`) use a forced tool call.
    monkeypatch.setenv("ANTHROPIC_API_KEY", "sk-ant-test")
    spec = "anthropic:claude-haiku-4-5"
    config = ModelConfig(providers={"anthropic": ProviderConfig(output_mode="tool")})
    http = Exchange(ok("anthropic_tool_bad_args.json"))
    model = build_model(spec, config, transport=http.transport)

    reply = await model.generate(Claim, claim_request(spec))

    assert reply.output is None
    assert reply.error is not None and "amount:" in reply.error
    assert reply.raw_output is not None
    assert json.loads(reply.raw_output)["amount"] == "twelve fifty"
    sent = http.body()
    assert [t["name"] for t in sent["tools"]] == ["final_result"]
    assert sent["tool_choice"]["type"] in ("tool", "any")


async def test_anthropic_overloaded_is_retried(
    monkeypatch: pytest.MonkeyPatch, sleeps: Sleeps
) -> None:
    monkeypatch.setenv("ANTHROPIC_API_KEY", "sk-ant-test")
    spec = "anthropic:claude-haiku-4-5"
    overloaded = httpx2.Response(529, json=fixture("anthropic_overloaded.json"))
    http = Exchange(overloaded, ok("anthropic_claim.json"))
    model = build_model(spec, ModelConfig(), transport=http.transport, sleep=sleeps)

    reply = await model.generate(Claim, claim_request(spec))

    assert reply.output is not None
    assert len(sleeps) == 1


# --- Google Gemini ---------------------------------------------------------------------------


async def test_gemini_native_structured_output_after_a_503(
    monkeypatch: pytest.MonkeyPatch, sleeps: Sleeps
) -> None:
    monkeypatch.setenv("GEMINI_API_KEY", "gm-test")  # the legacy name works too
    spec = "google:gemini-2.5-flash"
    unavailable = httpx2.Response(
        503, headers={"retry-after": "1"}, json=fixture("gemini_unavailable.json")
    )
    http = Exchange(unavailable, ok("gemini_claim.json"))
    model = build_model(spec, ModelConfig(), transport=http.transport, sleep=sleeps)

    reply = await model.generate(Claim, claim_request(spec))

    assert reply.output == Claim(claimant="Jane Doe", amount=1250, policy_id="PX-1234")
    assert (reply.input_tokens, reply.output_tokens) == (120, 24)
    assert reply.cost_usd == pytest.approx((120 * 0.30 + 24 * 2.50) / 1e6)
    assert sleeps == [1.0]
    assert http.requests[-1].url.path == "/v1beta/models/gemini-2.5-flash:generateContent"
    config = http.body()["generationConfig"]
    assert config["responseMimeType"] == "application/json"
    assert config["responseJsonSchema"]["required"] == ["claimant", "amount", "policy_id"]


# --- Model strings and missing settings ------------------------------------------------------


@pytest.mark.parametrize(
    ("spec", "variable"),
    [
        ("openai:gpt-4o-mini", "set the OPENAI_API_KEY environment variable"),
        ("anthropic:claude-haiku-4-5", "set the ANTHROPIC_API_KEY environment variable"),
        ("google:gemini-2.5-flash", "set the GOOGLE_API_KEY environment variable (or GEMINI"),
        ("gemini:gemini-2.5-flash", "GOOGLE_API_KEY"),
    ],
)
def test_a_missing_key_names_the_variable_to_set(spec: str, variable: str) -> None:
    with pytest.raises(ConfigError, match=variable.replace("(", r"\(")):
        get_model(spec)


def test_openai_compatible_needs_a_base_url() -> None:
    with pytest.raises(ConfigError, match="SEAMLINE_OPENAI_COMPATIBLE_BASE_URL"):
        get_model("openai-compatible:qwen2.5")


async def test_openai_compatible_uses_the_configured_server() -> None:
    http = Exchange(ok("openai_claim.json"))
    config = ModelConfig(
        providers={"openai-compatible": ProviderConfig(base_url="http://10.0.0.5:8000/v1")}
    )
    model = build_model("openai-compatible:qwen2.5", config, transport=http.transport)

    reply = await model.generate(Claim, claim_request(model.name))

    assert reply.output is not None
    assert str(http.requests[0].url) == "http://10.0.0.5:8000/v1/chat/completions"
    assert http.body()["model"] == "qwen2.5"
    assert reply.cost_usd == 0.0  # unknown self-hosted model: no price


async def test_ollama_defaults_to_the_local_server_and_explains_a_refused_connection(
    sleeps: Sleeps,
) -> None:
    config = ModelConfig(defaults=ProviderConfig(max_retries=1))
    refused = httpx2.ConnectError("[Errno 111] Connection refused")
    http = Exchange(refused, refused)
    model = build_model("ollama:llama3.2", config, transport=http.transport, sleep=sleeps)

    with pytest.raises(ModelCallFailed, match=r"is the server at http://127\.0\.0\.1:11434/v1"):
        await model.generate(Claim, claim_request(model.name))

    assert str(http.requests[0].url) == "http://127.0.0.1:11434/v1/chat/completions"
    assert len(http.requests) == 2


@pytest.mark.parametrize(
    ("spec", "message"),
    [
        ("gpt-4o-mini", "needs a provider prefix, e.g. 'openai:gpt-4o-mini'"),
        ("mistral:large", "unknown model provider 'mistral'"),
        ("openai:", "needs a provider prefix"),
    ],
)
def test_bad_model_strings_are_config_errors(spec: str, message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        get_model(spec)


def test_model_strings_split_on_the_first_colon() -> None:
    assert parse_model_string("ollama:llama3.2:3b") == ("ollama", "llama3.2:3b")
    assert parse_model_string(" local ") == ("local", "")
    assert parse_model_string("local:/m/x.gguf") == ("local", "/m/x.gguf")


@pytest.mark.usefixtures("openai_key")
def test_get_model_caches_and_passes_models_through() -> None:
    model = get_model(OPENAI)

    assert get_model(OPENAI) is model
    assert get_model(model) is model
    assert isinstance(model, Model)
    assert model.name == OPENAI


@pytest.mark.usefixtures("openai_key")
def test_one_model_serves_successive_event_loops() -> None:
    # `run_sync` and tests start fresh loops; semaphores and connection pools must follow.
    async def slow(request: httpx2.Request) -> httpx2.Response:
        await asyncio.sleep(0.01)
        return ok("openai_claim.json")

    config = ModelConfig(defaults=ProviderConfig(concurrency=1))
    model = build_model(OPENAI, config, transport=httpx2.MockTransport(slow))

    async def two_at_once() -> list[ModelReply[Claim]]:
        return await asyncio.gather(*(model.generate(Claim, claim_request(OPENAI)) for _ in "ab"))

    for _ in range(2):
        assert all(reply.ok for reply in asyncio.run(two_at_once()))


@pytest.mark.parametrize(
    ("spec", "module", "extra"),
    [
        ("openai:gpt-4o-mini", "openai", "openai"),
        ("anthropic:claude-haiku-4-5", "anthropic", "anthropic"),
        ("google:gemini-2.5-flash", "google.genai", "google"),
    ],
)
def test_a_missing_provider_sdk_names_the_extra_to_install(
    monkeypatch: pytest.MonkeyPatch, spec: str, module: str, extra: str
) -> None:
    monkeypatch.setitem(sys.modules, module, None)  # as if it were not installed
    with pytest.raises(ConfigError, match=rf"pip install 'seamline\[{extra}\]'"):
        build_model(spec, ModelConfig())


class Doc(BaseModel):
    text: str


class Summary(BaseModel):
    text: str
    words: int


def test_a_pydantic_ai_model_object_is_accepted_wherever_a_model_is() -> None:
    from pydantic_ai.models.test import TestModel

    from seamline.testing import allow_real_models

    model = TestModel()
    pipe = sl.Pipeline("pai", inputs={"doc": Doc}, model=model)

    @pipe.step
    async def summary(doc: Doc, ctx: sl.StepContext) -> Summary:
        return await ctx.generate(Summary, doc.text)

    @pipe.step(model=model)
    async def again(summary: Summary, ctx: sl.StepContext) -> Summary:
        return await ctx.generate(Summary, summary.text)

    previous = allow_real_models(True)
    try:
        result = pipe.run_sync({"doc": Doc(text="a b")}, model=model)
    finally:
        allow_real_models(previous)

    assert result.status == sl.RunStatus.SUCCEEDED
    assert isinstance(result["summary"], Summary)
    calls = [e for e in result.events if type(e).__name__ == "ModelCalled"]
    assert [c.model for c in calls] == ["test:test", "test:test"]


@pytest.mark.usefixtures("openai_key")
async def test_a_large_output_is_recorded_once() -> None:
    big = json.dumps({"claimant": "x" * 2_000_000, "amount": 1.0, "policy_id": "PX-1"})
    http = Exchange(httpx2.Response(200, json=with_content("openai_claim.json", big)))
    model = build_model(OPENAI, ModelConfig(), transport=http.transport)

    reply = await model.generate(Claim, claim_request(OPENAI))

    assert reply.output is not None and len(reply.output.claimant) == 2_000_000
    assert reply.raw_output == big
    assert len(json.dumps(reply.response)) < 10_000  # the parts do not carry it again
