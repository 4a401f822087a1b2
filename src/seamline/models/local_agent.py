"""Agent steps on the embedded model: pydantic-ai's agent loop over the local engines.

`ctx.generate` on `local` writes llama.cpp's request itself (`chat_wire`) and imports nothing
of pydantic-ai. `ctx.agent` runs pydantic-ai's agent loop, which needs a pydantic-ai model:
here its OpenAI chat model, talking through an httpx transport that hands each
`/chat/completions` body to the same `EnginePool` in-process (no socket, no port). Only agent
steps import this module, so only they pay for pydantic-ai and the openai SDK.

SmolLM2's chat template knows no tool calls, so each turn's tools become one JSON schema the
output is constrained to (`JsonToolCalling`).
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING

import httpx2

from seamline.models.agent import AgentModel

if TYPE_CHECKING:
    from pydantic_ai.models.openai import OpenAIChatModel

    from seamline.models.config import LocalModelConfig
    from seamline.models.local import EnginePool

__all__ = ["InProcessTransport", "local_agent_model"]

_LOCAL_URL = "http://seamline.local/v1"


class InProcessTransport(httpx2.AsyncBaseTransport):
    """An httpx transport that answers `/chat/completions` from an `EnginePool`, in-process."""

    def __init__(self, pool: EnginePool, config: LocalModelConfig) -> None:
        self.pool = pool
        self.config = config

    async def handle_async_request(self, request: httpx2.Request) -> httpx2.Response:
        from seamline.models.local import compact_json_body

        if request.method != "POST" or not request.url.path.endswith("/chat/completions"):
            return _error(
                404, f"the local model only serves chat completions, not {request.url.path}"
            )
        body = json.loads(await request.aread())
        if body.get("stream"):
            return _error(400, "the local model does not stream")
        body.setdefault("temperature", self.config.temperature)
        body.setdefault("seed", self.config.seed)
        if self.config.compact_json:
            compact_json_body(body)
        try:
            # No prefix file: an agent's turns share no fixed prefix worth keeping on disk.
            result, _ = await self.pool.chat(body, None)
        except Exception as e:  # llama.cpp refused the request outright
            return _error(500, f"llama.cpp failed: {type(e).__name__}: {e}")
        if isinstance(err := result.get("error"), dict):
            status = err.get("code")
            return httpx2.Response(
                status if isinstance(status, int) and 400 <= status < 600 else 500, json=result
            )
        return httpx2.Response(200, json=result)


def _error(status: int, message: str) -> httpx2.Response:
    return httpx2.Response(
        status, json={"error": {"code": status, "message": message, "type": "local_error"}}
    )


def local_agent_model(
    name: str, pool: EnginePool, config: LocalModelConfig, *, max_tokens: int | None
) -> AgentModel:
    """The `AgentModel` for the local model `name`, served by `pool`, for this event loop."""
    from pydantic_ai.settings import ModelSettings

    from seamline.models.json_tools import JsonToolCalling

    settings: ModelSettings = {
        "max_retries": 0,
        "temperature": config.temperature,
        "seed": config.seed,
        "max_tokens": max_tokens or config.max_tokens,
    }
    return AgentModel(name, JsonToolCalling(_chat_model(pool, config)), settings)


def _chat_model(pool: EnginePool, config: LocalModelConfig) -> OpenAIChatModel:
    from pydantic_ai.models.openai import OpenAIChatModel
    from pydantic_ai.providers.openai import OpenAIProvider

    client = httpx2.AsyncClient(transport=InProcessTransport(pool, config))
    provider = OpenAIProvider(base_url=_LOCAL_URL, api_key="local", http_client=client)
    return OpenAIChatModel(pool.path.stem, provider=provider)
