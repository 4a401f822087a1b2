"""`get_model()`: model strings to models, built once per process and configuration.

`local` models are built without importing the remote providers' module, which imports
pydantic-ai and the SDKs (half a second the local path has no use for).
"""

from __future__ import annotations

import sys
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
    built: Model
    if key == "local" or (key.startswith("local:") and len(key) > len("local:")):
        from seamline.models.local import local_model

        built = local_model(key, key.partition(":")[2] or None, get_config())
    else:
        from seamline.models.providers import build_model

        built = build_model(key, get_config())
    with _lock:
        return _cache.setdefault(key, built)


def clear_cache() -> None:
    """Forget every built model (after `configure()`). Local engines stay loaded."""
    with _lock:
        _cache.clear()
    if (providers := sys.modules.get("seamline.models.providers")) is not None:
        providers.clear_limiters()
