"""Shared test setup: every test runs behind the real-model guard (seamline.testing),
PostgreSQL fixtures are available everywhere, and `import examples.claims` works."""

import os
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from postgres_fixtures import postgres_database, postgres_server, postgres_url

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

pytest_plugins = ["seamline.testing.pytest_plugin"]

__all__ = ["postgres_database", "postgres_server", "postgres_url"]


@pytest.fixture(scope="session", autouse=True)
def local_prefix_cache(tmp_path_factory: pytest.TempPathFactory) -> Iterator[None]:
    """The local model's prefix cache files go to a directory of the test session, never to
    the user's ~/.cache (and neither reuse nor leave files there)."""
    previous = os.environ.get("SEAMLINE_LOCAL_CACHE")
    os.environ["SEAMLINE_LOCAL_CACHE"] = str(tmp_path_factory.mktemp("local-prefix-cache"))
    yield
    if previous is None:
        os.environ.pop("SEAMLINE_LOCAL_CACHE", None)
    else:
        os.environ["SEAMLINE_LOCAL_CACHE"] = previous
