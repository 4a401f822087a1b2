"""A seeded fault injector: corrupts a given fraction of a step's or a model's outputs,
in a way a gate check can detect, to measure what gates catch."""

from __future__ import annotations

import dataclasses
import functools
import inspect
import random
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

from pydantic import BaseModel

from seamline.exceptions import ConfigError
from seamline.gates import Check, check
from seamline.models.base import Model, ModelReply, ModelRequest

T = TypeVar("T", bound=BaseModel)
MARK = "\u27c2corrupted\u27c2"


def mark_corrupted(artifact: BaseModel) -> BaseModel:
    """The default corruption: the first text field gets a marker appended."""
    for name, info in type(artifact).model_fields.items():
        if info.annotation is str:
            return artifact.model_copy(update={name: f"{getattr(artifact, name)}{MARK}"})
    raise ConfigError(
        f"{type(artifact).__name__} has no str field to corrupt; pass "
        "FaultInjector(corrupt=...) with a corruption your gate can detect"
    )


def _is_marked(value: Any) -> bool:
    if isinstance(value, list):
        return any(_is_marked(v) for v in value)
    if isinstance(value, BaseModel):
        return any(isinstance(v, str) and MARK in v for v in value.__dict__.values())
    return False


class FaultInjector:
    """Corrupts each output with probability `rate`, drawn from a seeded generator.

    ```python
    faults = sl.testing.FaultInjector(0.03, seed=7)
    pipe.step(faults.step(extract))           # corrupt a step's artifacts
    pipe.gate("extract", faults.detects("extract"))  # a check that catches the corruption
    ```
    Draws happen in call order, so a run is reproducible when its scheduling is.
    """

    def __init__(
        self,
        rate: float,
        *,
        seed: int = 0,
        corrupt: Callable[[BaseModel], BaseModel] = mark_corrupted,
    ) -> None:
        if not 0.0 <= rate <= 1.0:
            raise ValueError(f"rate must be within [0, 1], got {rate}")
        self.rate = rate
        self.corrupt = corrupt
        self._random = random.Random(seed)
        self.outputs = 0
        self.injected = 0

    def _maybe_corrupt(self, artifact: Any) -> Any:
        self.outputs += 1
        if self._random.random() >= self.rate:
            return artifact
        self.injected += 1
        if isinstance(artifact, list) and artifact:
            return [self.corrupt(artifact[0]), *artifact[1:]]
        return self.corrupt(artifact)

    def step(self, fn: Callable[..., Any]) -> Callable[..., Awaitable[Any]]:
        """Wrap a step function; the pipeline reads the same signature."""

        @functools.wraps(fn)
        async def wrapper(*args: Any, **kwargs: Any) -> Any:
            result = fn(*args, **kwargs)
            if isinstance(result, Awaitable):
                result = await result
            return self._maybe_corrupt(result)

        return wrapper

    def model(self, model: Model) -> Model:
        """Wrap a model: a corrupted reply still validates, like a plausible wrong answer."""
        injector = self

        class Faulty:
            name = model.name
            offline = getattr(model, "offline", False)

            async def generate(self, output_type: type[T], request: ModelRequest) -> ModelReply[T]:
                reply = await model.generate(output_type, request)
                if reply.output is None:
                    return reply
                return dataclasses.replace(reply, output=injector._maybe_corrupt(reply.output))

        return Faulty()

    def detects(self, step: str, name: str = "output is not corrupted") -> Check:
        """A gate check for `step` that fails on the default corruption."""

        def detect(**artifacts: Any) -> bool | str:
            return "corrupted output" if _is_marked(artifacts[step]) else True

        # Give the check one parameter named after the step, so it resolves like any check.
        detect.__signature__ = _signature_for(step)  # type: ignore[attr-defined]
        return check(name, detect)


def _signature_for(param: str) -> inspect.Signature:
    return inspect.Signature([inspect.Parameter(param, inspect.Parameter.KEYWORD_ONLY)])
