"""What an agent step needs from a model: a pydantic-ai model to run the tool loop on.

`ctx.generate` asks a `Model` for one artifact. `ctx.agent` lets the model call tools over
several turns, which runs on pydantic-ai's agent; a seamline model that supports this
offers `agent_model()`, returning an `AgentModel`. `ProviderModel` (every remote provider),
`LocalModel` (`local`) and `seamline.testing.ScriptedModel` do.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Protocol, runtime_checkable

if TYPE_CHECKING:
    from pydantic_ai.models import Model as PaiModel
    from pydantic_ai.settings import ModelSettings

__all__ = ["AgentCapable", "AgentModel", "agent_model_for"]


@dataclass(frozen=True, slots=True)
class AgentModel:
    """A pydantic-ai model, and how seamline calls it.

    Attributes:
        name: the model string recorded in the run log.
        model: the pydantic-ai model each turn is sent to.
        settings: model settings for every turn (max tokens, temperature, seed).
        limiter: shared with the model's `generate` calls: turns queue behind it.
        price: (input tokens, output tokens) -> USD.
        offline: never trips the real-model guard of `seamline.testing`.
    """

    name: str
    model: PaiModel
    settings: ModelSettings
    limiter: asyncio.Semaphore | None = None
    price: Callable[[int, int], float] = lambda _in, _out: 0.0
    offline: bool = False


@runtime_checkable
class AgentCapable(Protocol):
    """A seamline model that can run agent steps."""

    name: str

    def agent_model(
        self, *, max_tokens: int | None = None, output_type: type[Any] | None = None
    ) -> AgentModel:
        """The pydantic-ai model for this event loop, with settings and limiter.

        `output_type` is the artifact type the agent call asks for."""
        ...


def agent_model_for(
    spec: Any, *, max_tokens: int | None = None, output_type: type[Any] | None = None
) -> AgentModel:
    """The `AgentModel` for a model string, a seamline model, or a pydantic-ai model.

    Raises:
        ConfigError: the model cannot call tools (it has no `agent_model()`).
    """
    from pydantic_ai.models import Model as PaiModel

    from seamline.exceptions import ConfigError
    from seamline.models.base import get_model

    if isinstance(spec, PaiModel):  # e.g. pydantic-ai's FunctionModel or TestModel in tests
        from pydantic_ai.models.function import FunctionModel
        from pydantic_ai.models.test import TestModel

        settings: ModelSettings = {"max_tokens": max_tokens} if max_tokens else {}
        return AgentModel(
            spec.model_name,
            spec,
            settings,
            offline=isinstance(spec, FunctionModel | TestModel),
        )
    model = get_model(spec)
    if not isinstance(model, AgentCapable):
        raise ConfigError(
            f"model {getattr(model, 'name', model)!r} cannot run an agent step: it has no "
            "agent_model(). Use a model string ('local', 'openai:...'), a pydantic-ai model, "
            "or seamline.testing.ScriptedModel"
        )
    return model.agent_model(max_tokens=max_tokens, output_type=output_type)
