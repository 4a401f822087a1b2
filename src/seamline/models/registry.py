"""`get_model()`: model strings to models, built once per process and configuration."""

from __future__ import annotations

import threading

from seamline.models.base import Model
from seamline.models.config import get_config

__all__ = ["clear_cache", "resolve"]

_cache: dict[str, Model] = {}
_lock = threading.Lock()


def resolve(spec: str | Model) -> Model:
    """The model for a model string, built on first use; a `Model` object passes through."""
    if not isinstance(spec, str):
        return spec
    key = spec.strip()
    with _lock:
        if (model := _cache.get(key)) is not None:
            return model
    from seamline.models.providers import build_model

    built = build_model(key, get_config())
    with _lock:
        return _cache.setdefault(key, built)


def clear_cache() -> None:
    """Forget every built model (after `configure()`). The local engine stays loaded."""
    from seamline.models.providers import clear_limiters

    with _lock:
        _cache.clear()
    clear_limiters()
