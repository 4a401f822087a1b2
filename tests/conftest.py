"""Shared test setup: every test runs behind the real-model guard (seamline.testing),
PostgreSQL fixtures are available everywhere, and `import examples.claims` works."""

import sys
from pathlib import Path

from postgres_fixtures import postgres_database, postgres_server, postgres_url

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

pytest_plugins = ["seamline.testing.pytest_plugin"]

__all__ = ["postgres_database", "postgres_server", "postgres_url"]
