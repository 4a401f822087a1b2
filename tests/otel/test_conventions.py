"""Provider and model names as the conventions spell them, and secrets kept out."""

from __future__ import annotations

import pytest

from seamline.otel.conventions import Redactor, error_type, model_attributes


@pytest.mark.parametrize(
    ("model", "response", "expected"),
    [
        ("openai:gpt-4o-mini", None, ("openai", "gpt-4o-mini")),
        ("anthropic:claude-sonnet-4-5", None, ("anthropic", "claude-sonnet-4-5")),
        ("google:gemini-2.5-flash", None, ("gcp.gemini", "gemini-2.5-flash")),
        ("local", None, ("llama.cpp", "SmolLM2-135M-Instruct")),
        ("scripted", None, ("scripted", "scripted")),
        ("my-model", {"provider_name": "mistral"}, ("mistral", "my-model")),
    ],
)
def test_model_attributes(
    model: str, response: dict[str, str] | None, expected: tuple[str, str]
) -> None:
    assert model_attributes(model, response) == expected


def test_error_type_is_the_exception_name_or_the_default() -> None:
    assert error_type("ValidationError: 1 validation error", "_OTHER") == "ValidationError"
    assert error_type("the model said no", "_OTHER") == "_OTHER"
    assert error_type(None, "timeout") == "timeout"


def test_the_redactor_removes_secrets_from_any_text(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ACME_API_KEY", "acme-4f9a8b7c6d5e")
    monkeypatch.setenv("SEAMLINE_MCP_TOKEN", "tok-1234567890")
    monkeypatch.setenv("HOME_DIRECTORY_NAME", "not-a-secret-value")
    redact = Redactor()
    text = (
        "key acme-4f9a8b7c6d5e and tok-1234567890; Authorization: Bearer eyJhbGciOiJIUzI1NiJ9; "
        "https://api.example.com/v1?api_key=abcd1234&x=1; sk-ant-api03-AAAAAAAAAAAAAAAAAAAA; "
        "AIzaSyA1234567890abcdefghijklmnopqrstu; not-a-secret-value"
    )
    said = redact(text)
    for secret in (
        "acme-4f9a8b7c6d5e",
        "tok-1234567890",
        "eyJhbGciOiJIUzI1NiJ9",
        "abcd1234",
        "sk-ant-api03",
        "AIzaSy",
    ):
        assert secret not in said, secret
    assert "Bearer [redacted]" in said and "api_key=[redacted]&x=1" in said
    assert "not-a-secret-value" in said  # a variable not named like a secret is left alone
