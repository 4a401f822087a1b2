"""Settings from seamline.toml and the environment."""

from __future__ import annotations

from pathlib import Path

import pytest

from seamline.exceptions import ConfigError
from seamline.models import (
    ModelConfig,
    ProviderConfig,
    configure,
    get_config,
    get_model,
    load_config,
)


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "seamline.toml"
    path.write_text(text)
    return path


def test_defaults_without_a_file() -> None:
    config = load_config()

    assert config.provider("openai") == ProviderConfig()
    assert config.local.max_tokens == 256
    assert config.local.temperature == 0.0


def test_provider_tables_inherit_from_models(tmp_path: Path) -> None:
    write(
        tmp_path,
        """
[models]
timeout = 30
max_retries = 5

[models.openai]
concurrency = 2
timeout = 10

[models.local]
threads = 1
max_tokens = 128
""",
    )

    config = load_config()

    assert config.provider("openai") == ProviderConfig(concurrency=2, timeout=10, max_retries=5)
    assert config.provider("anthropic") == ProviderConfig(timeout=30, max_retries=5)
    assert (config.local.threads, config.local.max_tokens) == (1, 128)


def test_environment_wins_over_the_file(tmp_path: Path) -> None:
    write(tmp_path, '[models.ollama]\nbase_url = "http://from-file:11434/v1"\n')
    env = {
        "OLLAMA_BASE_URL": "http://from-env:11434/v1",
        "SEAMLINE_OPENAI_COMPATIBLE_BASE_URL": "http://vllm:8000/v1",
        "SEAMLINE_LOCAL_MODEL": "/models/qwen.gguf",
        "SEAMLINE_LOCAL_THREADS": "3",
    }

    config = load_config(environ=env)

    assert config.provider("ollama").base_url == "http://from-env:11434/v1"
    assert config.provider("openai-compatible").base_url == "http://vllm:8000/v1"
    assert (config.local.path, config.local.threads) == ("/models/qwen.gguf", 3)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("[models.openai]\nconcurency = 2\n", r"\[models.openai\]: concurency: Extra inputs"),
        ("[models]\ntimeout = 'soon'\n", r"\[models\]: timeout: Input should be a valid number"),
        ("[models.mistral]\nconcurrency = 2\n", "unknown provider table \\[models.mistral\\]"),
        ("[models.local]\ncontext = 16\n", r"\[models.local\]: context: Input should be greater"),
        ("[prices]\n'openai:x' = { input = 1 }\n", "'openai:x': expected \\{ input = "),
        ("[models\n", "is not valid TOML"),
    ],
)
def test_mistakes_in_the_file_name_the_table_and_key(
    tmp_path: Path, text: str, message: str
) -> None:
    write(tmp_path, text)

    with pytest.raises(ConfigError, match=message):
        load_config()


def test_seamline_config_names_another_file(tmp_path: Path) -> None:
    other = tmp_path / "other.toml"
    other.write_text("[models]\nconcurrency = 3\n")

    assert load_config(environ={"SEAMLINE_CONFIG": str(other)}).defaults.concurrency == 3
    with pytest.raises(ConfigError, match="does not exist"):
        load_config(environ={"SEAMLINE_CONFIG": str(tmp_path / "missing.toml")})


def test_configure_replaces_settings_and_forgets_built_models(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("OPENAI_API_KEY", "sk-test")
    before = get_model("openai:gpt-4o-mini")

    new = configure(ModelConfig(defaults=ProviderConfig(timeout=5)))

    assert get_config() is new
    assert get_model("openai:gpt-4o-mini") is not before
