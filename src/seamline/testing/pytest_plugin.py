"""pytest plugin: real model calls fail a test unless it is marked `local_model` or asks
for the `allow_model_requests` fixture."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from seamline.testing.guard import allow_real_models


@pytest.fixture(autouse=True)
def _block_real_models(request: pytest.FixtureRequest) -> Iterator[None]:
    allowed = request.node.get_closest_marker("local_model") is not None
    previous = allow_real_models(allowed)
    yield
    allow_real_models(previous)


@pytest.fixture
def allow_model_requests() -> Iterator[None]:
    previous = allow_real_models(True)
    yield
    allow_real_models(previous)
