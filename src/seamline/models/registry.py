"""`get_model()`: model strings to models, built once per process and configuration.

`local` models are built without importing the remote providers' module, which imports
pydantic-ai and the SDKs (half a second the local path has no use for).
"""

from __future__ import annotations

import sys
import threading
from typing import Any

from seamline.exceptions import SeamlineError
from seamline.models.base import Model
from seamline.models.config import get_config

__all__ = ["as_model", "clear_cache", "preload", "resolve"]

_cache: dict[str, Model] = {}
_lock = threading.Lock()
# pydantic-ai model objects by id, with the object itself so the id stays its own.
_wrapped: dict[int, tuple[Any, Model]] = {}


def as_model(spec: Any) -> Any:
    """`spec` as seamline calls it: a pydantic-ai model object (`OpenAIChatModel(...)`,
    `AnthropicModel(...)`, a `FallbackModel` ...) becomes a `Model` named
    "provider:model_name", the same object each time; anything else passes through."""
    if spec is None or isinstance(spec, str) or not type(spec).__module__.startswith("pydantic_ai"):
        return spec
    from pydantic_ai.models import Model as PaiModel

    if not isinstance(spec, PaiModel):
        return spec
    with _lock:
        if (known := _wrapped.get(id(spec))) is not None:
            return known[1]
    from seamline.models.providers import wrap_pydantic_model

    wrapped = wrap_pydantic_model(spec, get_config())
    with _lock:
        return _wrapped.setdefault(id(spec), (spec, wrapped))[1]


def resolve(spec: str | Model) -> Model:
    """The model for a model string, built on first use; a `Model` object passes through
    (a pydantic-ai model object is wrapped, see `as_model`)."""
    if not isinstance(spec, str):
        return as_model(spec)  # type: ignore[no-any-return]
    key = spec.strip()
    with _lock:
        if (model := _cache.get(key)) is not None:
            return model
    built: Model
    if _is_local(key):
        from seamline.models.local import local_model

        built = local_model(key, key.partition(":")[2] or None, get_config())
    else:
        from seamline.models.providers import build_model

        built = build_model(key, get_config())
    with _lock:
        return _cache.setdefault(key, built)


def preload(spec: str | Model | None) -> None:
    """Start loading an embedded (`local`) model's weights in the background, so that the load
    overlaps what the process does before its first call. Any other model: nothing (building
    it early would import pydantic-ai and the SDKs for nothing). A problem, such as missing
    weights, is left for the first call to report."""
    if isinstance(spec, str):
        if not _is_local(spec.strip()):
            return
        try:
            model: Any = resolve(spec)
        except SeamlineError:
            return
    else:
        model = spec
    start = getattr(model, "preload", None)
    if callable(start):
        start()


def _is_local(key: str) -> bool:
    return key == "local" or (key.startswith("local:") and len(key) > len("local:"))


def clear_cache() -> None:
    """Forget every built model (after `configure()`). Local engines stay loaded."""
    with _lock:
        _cache.clear()
    if (providers := sys.modules.get("seamline.models.providers")) is not None:
        providers.clear_limiters()
