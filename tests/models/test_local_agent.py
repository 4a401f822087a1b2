"""The in-process transport agent steps on `local` talk through (no llama.cpp loaded here)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import httpx2
import pytest

from seamline.models.config import LocalModelConfig
from seamline.models.local_agent import InProcessTransport, local_agent_model


class FakePool:
    """Stands in for an `EnginePool`: records bodies, answers what it is told."""

    path = Path("/models/SmolLM2-135M-Instruct.Q4_1.gguf")

    def __init__(self, answer: dict[str, Any] | Exception) -> None:
        self.answer = answer
        self.bodies: list[dict[str, Any]] = []

    async def chat(self, body: dict[str, Any], prefix: str | None) -> tuple[dict[str, Any], float]:
        assert prefix is None  # agent turns keep no prefix files
        self.bodies.append(body)
        if isinstance(self.answer, Exception):
            raise self.answer
        return self.answer, 0.1


async def post(pool: FakePool, path: str, body: dict[str, Any]) -> httpx2.Response:
    transport = InProcessTransport(pool, LocalModelConfig(seed=7))  # type: ignore[arg-type]
    async with httpx2.AsyncClient(transport=transport) as client:
        return await client.post(f"http://seamline.local/v1{path}", content=json.dumps(body))


async def test_a_chat_completion_goes_to_the_pool_with_the_configured_sampling() -> None:
    pool = FakePool({"choices": [{"message": {"content": "{}"}}]})

    response = await post(pool, "/chat/completions", {"messages": []})

    assert response.status_code == 200 and response.json()["choices"]
    assert pool.bodies == [{"messages": [], "temperature": 0.0, "seed": 7}]


@pytest.mark.parametrize(
    ("path", "body", "status", "says"),
    [
        ("/embeddings", {}, 404, "only serves chat completions"),
        ("/chat/completions", {"stream": True}, 400, "does not stream"),
    ],
)
async def test_what_the_local_model_cannot_do_is_an_http_error(
    path: str, body: dict[str, Any], status: int, says: str
) -> None:
    pool = FakePool({})

    response = await post(pool, path, body)

    assert response.status_code == status and says in response.json()["error"]["message"]
    assert pool.bodies == []


async def test_llama_cpp_refusing_or_failing_keeps_its_status() -> None:
    refused = FakePool({"error": {"code": 400, "message": "the request exceeds the context"}})
    crashed = FakePool(RuntimeError("boom"))

    assert (await post(refused, "/chat/completions", {})).status_code == 400
    failed = await post(crashed, "/chat/completions", {})
    assert failed.status_code == 500 and "RuntimeError: boom" in failed.json()["error"]["message"]


def test_the_agent_model_is_constrained_json_tool_calling_with_the_local_settings() -> None:
    from seamline.models.json_tools import JsonToolCalling

    agent = local_agent_model(
        "local",
        FakePool({}),  # type: ignore[arg-type]
        LocalModelConfig(temperature=0.0, seed=3),
        max_tokens=None,
    )

    assert agent.name == "local" and isinstance(agent.model, JsonToolCalling)
    assert agent.settings == {"max_retries": 0, "temperature": 0.0, "seed": 3, "max_tokens": 256}
