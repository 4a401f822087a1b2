"""Shared test setup: every test runs behind the real-model guard (seamline.testing)."""

pytest_plugins = ["seamline.testing.pytest_plugin"]
