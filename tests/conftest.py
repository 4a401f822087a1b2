"""Shared test setup: every test runs behind the real-model guard (seamline.testing),
and PostgreSQL fixtures are available everywhere."""

from postgres_fixtures import postgres_database, postgres_server, postgres_url

pytest_plugins = ["seamline.testing.pytest_plugin"]

__all__ = ["postgres_database", "postgres_server", "postgres_url"]
