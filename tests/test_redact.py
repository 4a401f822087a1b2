"""Credentials never shown: URLs redacted, known secret values masked."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from seamline.redact import MASK, Scrubber, redact_url, register_secret, scrub, url_secrets


@pytest.mark.parametrize(
    ("url", "shown"),
    [
        ("http://user:sk-abc123@host/v1", "http://user:***@host/v1"),
        ("https://api.example.com/v1?token=abcdef123", "https://api.example.com/v1?token=***"),
        ("https://h/v1?api_key=abcdef123&page=2", "https://h/v1?api_key=***&page=2"),
        ("https://h/v1?key=abcdef123", "https://h/v1?key=***"),
        ("https://h/v1?X-Api-Key=abcdef123", "https://h/v1?X-Api-Key=***"),
        (
            "postgresql://app@db:5432/runs?password=hunter22&sslmode=require",
            "postgresql://app@db:5432/runs?password=***&sslmode=require",
        ),
        ("postgresql://app:hunter22@db/runs", "postgresql://app:***@db/runs"),
        ("https://h/v1?max_tokens=10&model=x", "https://h/v1?max_tokens=10&model=x"),
        ("sqlite:///runs.db", "sqlite:///runs.db"),
        ("not a url", "not a url"),
    ],
)
def test_redact_url_hides_credentials_and_keeps_where_it_points(url: str, shown: str) -> None:
    assert redact_url(url) == shown


def test_scrub_redacts_urls_in_prose_and_keeps_trailing_punctuation() -> None:
    text = "could not reach http://bot:s3cr3t-pw@10.0.0.5:8000/v1. Is it up?"
    assert scrub(text, environ={}) == "could not reach http://bot:***@10.0.0.5:8000/v1. Is it up?"


def test_scrub_masks_keys_the_environment_configures() -> None:
    environ = {
        "OPENAI_API_KEY": "sk-live-0123456789",
        "GITHUB_TOKEN": "ghp_abcdefabcdef",
        "SEAMLINE_STORE": "postgresql://u:pgpass-777@db/x",
        "MAX_TOKENS": "4096",  # not a secret, by name and by length
        "HOME": "/root/home/of/someone",
    }
    text = "401: key sk-live-0123456789 / ghp_abcdefabcdef / pgpass-777 rejected; home /root"
    assert scrub(text, environ=environ) == f"401: key {MASK} / {MASK} / {MASK} rejected; home /root"


def test_short_values_are_not_treated_as_secrets() -> None:
    assert scrub("attempt 1 of 3", environ={"API_KEY": "1"}) == "attempt 1 of 3"


def test_registered_secrets_are_masked() -> None:
    register_secret("registered-secret-42")
    assert MASK in Scrubber(environ={})("got registered-secret-42 back")


def test_a_basic_auth_header_from_url_credentials_counts_as_the_secret() -> None:
    found = set(url_secrets("http://reader:pa55word@h/v1"))
    assert {"pa55word", "cmVhZGVyOnBhNTV3b3Jk"} <= found


@given(st.text())
def test_redact_url_never_raises(text: str) -> None:
    assert isinstance(redact_url(text), str)
    assert isinstance(scrub(text, environ={}), str)


@given(st.text(alphabet=st.characters(codec="ascii", categories=["L", "N"]), min_size=6))
def test_a_password_never_survives_redaction(password: str) -> None:
    url = f"https://user:{password}@example.com/v1?token={password}"
    assert password not in redact_url(url).replace("example.com", "").replace("user", "")
