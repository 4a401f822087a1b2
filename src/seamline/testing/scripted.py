"""A model that answers from a script: for unit tests, at the model boundary."""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Mapping, Sequence
from typing import Any, TypeVar

from pydantic import BaseModel

from seamline.models.base import ModelReply, ModelRequest, validate_output

T = TypeVar("T", bound=BaseModel)

# One answer: an artifact, a dict or JSON text (validated like real model output, so a
# malformed answer becomes a failed attempt), or an exception to raise (a transport failure).
Answer = BaseModel | Mapping[str, Any] | str | BaseException
Script = Sequence[Answer] | Callable[[ModelRequest], Answer]


class ScriptedModel:
    """Answers from a list (in order), a function of the request, or one of those per
    output type (`{"JudgeScore": [...], Claim: fn}`).

    Attributes:
        requests: every request received, in order; assert on prompts and feedback with it.
    """

    offline = True  # never trips the real-model guard

    def __init__(
        self,
        script: Script | Mapping[type[BaseModel] | str, Script],
        *,
        name: str = "scripted",
        cost_per_call: float = 0.0,
    ) -> None:
        self.name = name
        self.cost_per_call = cost_per_call
        self.requests: list[ModelRequest] = []
        if isinstance(script, Mapping):
            self._scripts: dict[str, Script] = {
                k if isinstance(k, str) else k.__name__: v for k, v in script.items()
            }
        else:
            self._scripts = {"*": script}
        self._positions: dict[str, int] = {}

    def _answer(self, output_type: type[BaseModel], request: ModelRequest) -> Answer:
        key = output_type.__name__ if output_type.__name__ in self._scripts else "*"
        script = self._scripts.get(key)
        if script is None:
            raise AssertionError(
                f"{self.name}: no script for {output_type.__name__} (have {sorted(self._scripts)})"
            )
        if callable(script):
            return script(request)
        position = self._positions.get(key, 0)
        if position >= len(script):
            raise AssertionError(
                f"{self.name} ran out of answers for {output_type.__name__} after {position} calls; "
                f"last prompt: {request.prompt[:200]!r}"
            )
        self._positions[key] = position + 1
        return script[position]

    async def generate(self, output_type: type[T], request: ModelRequest) -> ModelReply[T]:
        started = time.perf_counter()
        self.requests.append(request)
        answer = self._answer(output_type, request)
        if isinstance(answer, BaseException):
            raise answer
        if isinstance(answer, BaseModel):
            raw = answer.model_dump_json()
        elif isinstance(answer, str):
            raw = answer
        else:
            raw = json.dumps(answer)
        output, error = validate_output(output_type, raw)
        return ModelReply(
            output=output,
            error=error,
            response={"scripted": True},
            raw_output=raw,
            input_tokens=len(request.prompt) // 4 + 1,
            output_tokens=len(raw) // 4 + 1,
            cost_usd=self.cost_per_call,
            seconds=time.perf_counter() - started,
        )
