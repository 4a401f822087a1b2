"""Shared fixtures: recorded provider exchanges served through httpx, and clean settings."""

from __future__ import annotations

import copy
import json
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx2
import pytest
from pydantic import BaseModel

from seamline.models import ModelConfig, ModelRequest, config, registry

FIXTURES = Path(__file__).parent / "fixtures"

ENV_VARS = (
    "OPENAI_API_KEY",
    "OPENAI_BASE_URL",
    "ANTHROPIC_API_KEY",
    "ANTHROPIC_BASE_URL",
    "GOOGLE_API_KEY",
    "GEMINI_API_KEY",
    "OLLAMA_BASE_URL",
    "OLLAMA_API_KEY",
    "SEAMLINE_CONFIG",
    "SEAMLINE_OPENAI_COMPATIBLE_BASE_URL",
    "SEAMLINE_OPENAI_COMPATIBLE_API_KEY",
    "SEAMLINE_LOCAL_MODEL",
    "SEAMLINE_LOCAL_THREADS",
    "SEAMLINE_LOCAL_ENGINES",
    "SEAMLINE_LOCAL_SLOTS",
    "SEAMLINE_LOCAL_SOLO",
    "SEAMLINE_LOCAL_WAIT",
    "SEAMLINE_LOCAL_FLASH_ATTENTION",
)


class Claim(BaseModel):
    """An insurance claim."""

    claimant: str
    amount: float
    policy_id: str


def claim_request(model: str, **overrides: Any) -> ModelRequest:
    fields: dict[str, Any] = {
        "model": model,
        "prompt": "Extract the claim from:\nJane Doe claims $1,250.00 under policy PX-1234.",
        "system": "You extract insurance claims.",
        "output_schema": Claim.model_json_schema(),
    }
    fields.update(overrides)
    return ModelRequest(**fields)


def fixture(name: str) -> dict[str, Any]:
    data: dict[str, Any] = json.loads((FIXTURES / name).read_text())
    return data


def with_content(name: str, content: str, **choice: Any) -> dict[str, Any]:
    """An OpenAI chat completion fixture with the assistant's content replaced."""
    data = copy.deepcopy(fixture(name))
    data["choices"][0]["message"]["content"] = content
    data["choices"][0].update(choice)
    return data


Reply = httpx2.Response | Callable[[httpx2.Request], httpx2.Response] | Exception


class Exchange:
    """Serves queued responses in order and records every request (an httpx2 mock handler)."""

    def __init__(self, *replies: Reply) -> None:
        self.replies = list(replies)
        self.requests: list[httpx2.Request] = []

    def __call__(self, request: httpx2.Request) -> httpx2.Response:
        self.requests.append(request)
        if not self.replies:
            raise AssertionError(f"unexpected request {request.method} {request.url}")
        reply = self.replies.pop(0)
        if isinstance(reply, Exception):
            raise reply
        if callable(reply):
            return reply(request)
        return reply

    @property
    def transport(self) -> httpx2.MockTransport:
        return httpx2.MockTransport(self)

    def body(self, index: int = -1) -> dict[str, Any]:
        data: dict[str, Any] = json.loads(self.requests[index].content)
        return data


class Sleeps(list[float]):
    """Stands in for asyncio.sleep between retries, recording each wait instead of waiting."""

    async def __call__(self, seconds: float) -> None:
        self.append(seconds)


@pytest.fixture(autouse=True)
def clean_settings(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[None]:
    """No real keys, no seamline.toml, default settings, empty model cache."""
    for var in ENV_VARS:
        monkeypatch.delenv(var, raising=False)
    monkeypatch.chdir(tmp_path)
    monkeypatch.setattr(config, "_current", ModelConfig())
    registry.clear_cache()
    yield
    registry.clear_cache()


@pytest.fixture
def sleeps() -> Sleeps:
    return Sleeps()
