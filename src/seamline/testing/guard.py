"""The switch that lets tests forbid real model calls (see `seamline.testing`)."""

from __future__ import annotations

from typing import Any

_allow_real_models = True


def allow_real_models(allowed: bool) -> bool:
    """Set whether real (non-scripted) models may be called; returns the previous setting."""
    global _allow_real_models
    previous, _allow_real_models = _allow_real_models, allowed
    return previous


def check_model_allowed(model: Any) -> None:
    if _allow_real_models or getattr(model, "offline", False):
        return
    raise RuntimeError(
        f"a test tried to call the real model {getattr(model, 'name', model)!r}. Give the step a "
        "seamline.testing.ScriptedModel, or mark the test with @pytest.mark.local_model / "
        "use the `allow_model_requests` fixture if it means to."
    )
