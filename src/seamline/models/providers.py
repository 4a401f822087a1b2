"""Remote models behind `Model`, through pydantic-ai's model layer.

(`local` is built by `seamline.models.local`, which needs none of this.)

One adapter, `ProviderModel`, serves every provider. It sends a single request with
`pydantic_ai.direct.model_request` (no agent loop: retrying a bad artifact is the gate's job,
with the validation error as feedback) and validates the output itself, so a malformed output
becomes `ModelReply.error` instead of an exception.

Structured output, per provider, is what the model's pydantic-ai profile says it does best:
the provider's native JSON-schema output (OpenAI `response_format`, Gemini `response_schema`,
Anthropic structured outputs, llama.cpp / Ollama grammar-constrained decoding) when the model
supports it, otherwise a forced call to one output tool. `output_mode` in the provider's
settings overrides the choice.

Transport: each remote provider gets an httpx client whose transport retries 408/409/429/5xx and
connection errors with exponential backoff, waiting what `Retry-After` (or `retry-after-ms`) asks
(pydantic-ai's tenacity transport); the SDKs' own retries are off so attempts are not multiplied.
"""

from __future__ import annotations

import asyncio
import importlib.util
import os
import re
import threading
import time
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any, Generic, Literal, TypeVar
from weakref import WeakKeyDictionary

import httpx2
from pydantic_ai.direct import model_request
from pydantic_ai.exceptions import ModelAPIError, UnexpectedModelBehavior, UserError
from pydantic_ai.messages import (
    ModelMessage,
    ModelMessagesTypeAdapter,
    ModelResponse,
    SystemPromptPart,
    TextPart,
    ToolCallPart,
    UserPromptPart,
)
from pydantic_ai.messages import ModelRequest as PaiRequest
from pydantic_ai.models import ModelRequestParameters
from pydantic_ai.output import OutputObjectDefinition
from pydantic_ai.retries import AsyncHTTPX2TenacityTransport, RetryConfig, wait_retry_after
from pydantic_ai.settings import ModelSettings as PaiSettings
from pydantic_ai.tools import ToolDefinition
from tenacity import RetryCallState, retry_if_exception, stop_after_attempt, wait_exponential

from seamline.exceptions import ConfigError
from seamline.models.base import (
    OUTPUT_TOOL,
    Model,
    ModelCallFailed,
    ModelReply,
    ModelRequest,
    T,
    traced_by_seamline,
    validate_output,
    without_output,
)
from seamline.models.config import PROVIDERS, ModelConfig, ProviderConfig
from seamline.redact import register_secret, scrub, url_secrets

if TYPE_CHECKING:
    from pydantic_ai.models import Model as PaiModel

    from seamline.models.agent import AgentModel

__all__ = [
    "ProviderModel",
    "build_model",
    "parse_model_string",
    "retrying_client",
    "wrap_pydantic_model",
]

DEFAULT_OLLAMA_BASE_URL = "http://127.0.0.1:11434/v1"
MAX_RETRY_WAIT = 60.0

API_KEY_ENV: dict[str, tuple[str, ...]] = {
    "openai": ("OPENAI_API_KEY",),
    "anthropic": ("ANTHROPIC_API_KEY",),
    "google": ("GOOGLE_API_KEY", "GEMINI_API_KEY"),
    "openai-compatible": ("SEAMLINE_OPENAI_COMPATIBLE_API_KEY",),
}
# Providers that run without a key (a local server); the others refuse to build without one.
_KEY_OPTIONAL = frozenset({"openai-compatible"})

Sleep = Callable[[float], Awaitable[None]]


def parse_model_string(spec: str) -> tuple[str, str]:
    """Split `"provider:name"` into its parts; `"local"` is `("local", "")`.

    Raises:
        ConfigError: no provider prefix, or an unknown one.
    """
    spec = spec.strip()
    if spec == "local":
        return "local", ""
    provider, sep, name = spec.partition(":")
    if not sep or not name:
        raise ConfigError(
            f"model string {spec!r} needs a provider prefix, e.g. 'openai:{spec}' or 'local'; "
            f"known providers: {', '.join(PROVIDERS)}"
        )
    if provider == "gemini":
        provider = "google"
    if provider not in PROVIDERS:
        raise ConfigError(
            f"unknown model provider {provider!r} in {spec!r}; "
            f"known providers: {', '.join(PROVIDERS)}"
        )
    return provider, name


# ---------------------------------------------------------------------------------------------
# Per-event-loop state. Semaphores and HTTP connection pools belong to the loop that made them,
# and a process may run several loops (tests, `run_sync`), so each loop gets its own.

V = TypeVar("V")


class _PerLoop(Generic[V]):
    def __init__(self, factory: Callable[[], V]) -> None:
        self._factory = factory
        self._values: WeakKeyDictionary[asyncio.AbstractEventLoop, V] = WeakKeyDictionary()
        self._lock = threading.Lock()

    def get(self) -> V:
        loop = asyncio.get_running_loop()
        with self._lock:
            value = self._values.get(loop)
            if value is None:
                value = self._values[loop] = self._factory()
            return value


_limiters: dict[tuple[str, int], _PerLoop[asyncio.Semaphore]] = {}
_limiters_lock = threading.Lock()


def _limiter(provider: str, concurrency: int) -> _PerLoop[asyncio.Semaphore]:
    """The semaphore shared by every model of `provider` in this process."""
    with _limiters_lock:
        key = (provider, concurrency)
        if key not in _limiters:
            _limiters[key] = _PerLoop(lambda: asyncio.Semaphore(concurrency))
        return _limiters[key]


def clear_limiters() -> None:
    with _limiters_lock:
        _limiters.clear()


# ---------------------------------------------------------------------------------------------
# HTTP with retries


def _is_retryable(exc: BaseException) -> bool:
    if isinstance(exc, httpx2.HTTPStatusError):
        return _retryable_status(exc.response.status_code)
    return isinstance(exc, httpx2.TransportError)


def _retryable_status(status: int) -> bool:
    return status in (408, 409, 429) or status >= 500


def _raise_for_retryable_status(response: httpx2.Response) -> None:
    if _retryable_status(response.status_code):
        response.raise_for_status()


def _give_up(state: RetryCallState) -> httpx2.Response:
    # Out of retries: hand the SDK the last error response, so it raises its usual, specific
    # error (status, body, provider error code) rather than a bare connection error.
    exc = state.outcome.exception() if state.outcome else None
    if isinstance(exc, httpx2.HTTPStatusError):
        return exc.response
    assert exc is not None
    raise exc


class _BufferErrorBodies(httpx2.AsyncBaseTransport):
    """Reads error bodies before the retry layer closes them, so the last one can be returned."""

    def __init__(self, wrapped: httpx2.AsyncBaseTransport) -> None:
        self.wrapped = wrapped

    async def handle_async_request(self, request: httpx2.Request) -> httpx2.Response:
        response = await self.wrapped.handle_async_request(request)
        if response.status_code >= 400:
            await response.aread()
        return response

    async def aclose(self) -> None:
        await self.wrapped.aclose()


def retrying_client(
    config: ProviderConfig,
    *,
    transport: httpx2.AsyncBaseTransport | None = None,
    sleep: Sleep | None = None,
) -> httpx2.AsyncClient:
    """An httpx client that retries 408/409/429/5xx and connection errors, honouring Retry-After.

    Args:
        config: `max_retries` and `timeout` come from here.
        transport: The transport to wrap (default: a real network transport). Tests pass a mock.
        sleep: How to wait between attempts (default `asyncio.sleep`). Tests pass a recorder.
    """
    retry = RetryConfig(
        retry=retry_if_exception(_is_retryable),
        wait=wait_retry_after(
            fallback_strategy=wait_exponential(multiplier=0.5, min=0.5, max=20),
            max_wait=MAX_RETRY_WAIT,
        ),
        stop=stop_after_attempt(config.max_retries + 1),
        retry_error_callback=_give_up,
    )
    if sleep is not None:
        retry["sleep"] = sleep
    wrapped = _BufferErrorBodies(transport or httpx2.AsyncHTTPTransport())
    return httpx2.AsyncClient(
        transport=AsyncHTTPX2TenacityTransport(
            retry, wrapped=wrapped, validate_response=_raise_for_retryable_status
        ),
        timeout=httpx2.Timeout(config.timeout, connect=min(10.0, config.timeout)),
    )


# ---------------------------------------------------------------------------------------------
# Building pydantic-ai models


def _check_key(provider: str, spec: str, config: ProviderConfig) -> None:
    names = API_KEY_ENV.get(provider)
    if not names or provider in _KEY_OPTIONAL or any(os.environ.get(name) for name in names):
        return
    if provider == "openai" and (config.base_url or os.environ.get("OPENAI_BASE_URL")):
        return  # a self-hosted OpenAI-style endpoint may need no key
    alternatives = f" (or {' or '.join(names[1:])})" if len(names) > 1 else ""
    raise ConfigError(
        f"model {spec!r} needs an API key: set the {names[0]} environment variable{alternatives}"
    )


# The SDK each provider needs, and the extra that installs it.
_SDKS = {
    "openai": ("openai", "openai"),
    "ollama": ("openai", "openai"),
    "openai-compatible": ("openai", "openai"),
    "anthropic": ("anthropic", "anthropic"),
    "google": ("google.genai", "google"),
}


def _check_sdk(provider: str, spec: str) -> None:
    """A clear hint instead of an ImportError when the provider's SDK is not installed
    (`pip install seamline` brings none of them)."""
    module, extra = _SDKS[provider]
    try:
        found = importlib.util.find_spec(module) is not None
    except (ModuleNotFoundError, ValueError):  # a parent package ("google") is missing
        found = False
    if not found:
        raise ConfigError(
            f"model {spec!r} needs the {module} package, which is not installed: "
            f"pip install 'seamline[{extra}]'"
        )


def _pydantic_model(
    provider: str,
    name: str,
    config: ProviderConfig,
    client: httpx2.AsyncClient,
) -> PaiModel:
    if provider == "openai":
        from pydantic_ai.models.openai import OpenAIChatModel
        from pydantic_ai.providers.openai import OpenAIProvider

        return OpenAIChatModel(
            name, provider=OpenAIProvider(base_url=config.base_url, http_client=client)
        )
    if provider == "anthropic":
        from pydantic_ai.models.anthropic import AnthropicModel
        from pydantic_ai.providers.anthropic import AnthropicProvider

        return AnthropicModel(
            name, provider=AnthropicProvider(base_url=config.base_url, http_client=client)
        )
    if provider == "google":
        from pydantic_ai.models.google import GoogleModel
        from pydantic_ai.providers.google import GoogleProvider

        return GoogleModel(
            name, provider=GoogleProvider(base_url=config.base_url, http_client=client)
        )
    if provider == "ollama":
        from pydantic_ai.models.openai import OpenAIChatModel
        from pydantic_ai.providers.ollama import OllamaProvider

        base_url = config.base_url or DEFAULT_OLLAMA_BASE_URL
        return OpenAIChatModel(name, provider=OllamaProvider(base_url=base_url, http_client=client))
    if provider == "openai-compatible":
        from pydantic_ai.models.openai import OpenAIChatModel
        from pydantic_ai.providers.openai import OpenAIProvider

        key = os.environ.get("SEAMLINE_OPENAI_COMPATIBLE_API_KEY") or "not-needed"
        return OpenAIChatModel(
            name,
            provider=OpenAIProvider(base_url=config.base_url, api_key=key, http_client=client),
        )
    raise AssertionError(f"unhandled provider {provider!r}")  # parse_model_string guards this


class ProviderModel:
    """A `Model` backed by a pydantic-ai model. Build it with `build_model()` or `get_model()`."""

    def __init__(
        self,
        name: str,
        *,
        provider: str,
        factory: Callable[[], PaiModel],
        settings: PaiSettings,
        max_tokens: int | None,
        concurrency: int,
        output_mode: Literal["auto", "native", "tool", "prompted"],
        config: ModelConfig,
        error_hint: Callable[[ModelAPIError], str] | None = None,
        tool_calling: Literal["native", "json"] = "native",
    ) -> None:
        self.name = name
        self.tool_calling = tool_calling
        self.provider = provider
        self._models = _PerLoop(factory)
        self._settings = settings
        self._max_tokens = max_tokens
        self._limiter = _limiter(provider, concurrency)
        self._output_mode = output_mode
        self._prices = config.prices
        self._error_hint = error_hint

    def __repr__(self) -> str:
        return f"ProviderModel({self.name!r})"

    def agent_model(
        self, *, max_tokens: int | None = None, output_type: type[Any] | None = None
    ) -> AgentModel:
        """The pydantic-ai model an agent step runs on, for this event loop.

        With `tool_calling="json"` (the local model, whose chat template has no tool
        calls), each turn's tools become one JSON schema the output is constrained to.
        """
        from seamline.models.agent import AgentModel

        model: PaiModel = self._models.get()
        if self.tool_calling == "json":
            from seamline.models.json_tools import JsonToolCalling

            model = JsonToolCalling(model)
        settings = self._settings.copy()
        if tokens := max_tokens or self._max_tokens:
            settings["max_tokens"] = tokens
        return AgentModel(
            self.name,
            model,
            settings,
            limiter=self._limiter.get(),
            price=lambda i, o: self._prices.cost(self.name, i, o),
        )

    async def generate(self, output_type: type[T], request: ModelRequest) -> ModelReply[T]:
        """Ask for one `output_type` artifact. Malformed output comes back as `reply.error`.

        Raises:
            ModelCallFailed: the provider could not be reached or refused the request, after
                the configured retries.
        """
        model = self._models.get()
        params = self._parameters(model, output_type, request)
        settings = self._settings.copy()
        if max_tokens := request.max_tokens or self._max_tokens:
            settings["max_tokens"] = max_tokens
        if request.temperature is not None:  # a consensus gate's sample (sl.agree)
            settings["temperature"] = request.temperature
        if request.seed is not None:  # honoured by providers that take one (OpenAI's)
            settings["seed"] = request.seed
        messages = _messages(request)
        async with self._limiter.get():
            started = time.perf_counter()
            try:
                response = await model_request(
                    model,
                    messages,
                    model_settings=settings,
                    model_request_parameters=params,
                    instrument=False if traced_by_seamline.get() else None,
                )
            except UnexpectedModelBehavior as e:
                # The provider answered, but not with anything readable as a model response.
                return ModelReply(
                    output=None,
                    error=scrub(f"the model's response could not be read: {e.message}"),
                    response={"error": scrub(e.message), "body": e.body and scrub(e.body)},
                    raw_output=None,
                    seconds=time.perf_counter() - started,
                )
            except ModelAPIError as e:
                raise self._failure(e) from e
            seconds = time.perf_counter() - started
        raw = _raw_output(response)
        output, error = validate_output(
            output_type, raw, truncated=response.finish_reason == "length"
        )
        usage = response.usage
        return ModelReply(
            output=output,
            error=error,
            response=without_output(
                ModelMessagesTypeAdapter.dump_python([response], mode="json")[0], raw
            ),
            raw_output=raw,
            input_tokens=usage.input_tokens,
            output_tokens=usage.output_tokens,
            cost_usd=self._prices.cost(
                self.name,
                usage.input_tokens,
                usage.output_tokens,
                cache_read_tokens=usage.cache_read_tokens,
                cache_write_tokens=usage.cache_write_tokens,
            ),
            seconds=seconds,
        )

    def _parameters(
        self, model: PaiModel, output_type: type[T], request: ModelRequest
    ) -> ModelRequestParameters:
        schema = dict(request.output_schema or output_type.model_json_schema())
        title = str(schema.get("title") or output_type.__name__)
        name = re.sub(r"[^A-Za-z0-9_-]", "_", title)[:64]
        description = schema.pop("description", None)
        mode = self._output_mode
        if mode == "auto":
            mode = "native" if model.profile.get("supports_json_schema_output", False) else "tool"
        if mode == "tool":
            tool = ToolDefinition(
                name=OUTPUT_TOOL,
                description=description or f"Return the {title}.",
                parameters_json_schema=schema,
                kind="output",
            )
            return ModelRequestParameters(
                output_mode="tool", output_tools=[tool], allow_text_output=False
            )
        obj = OutputObjectDefinition(json_schema=schema, name=name, description=description)
        return ModelRequestParameters(output_mode=mode, output_object=obj, allow_text_output=True)

    def _failure(self, e: ModelAPIError) -> ModelCallFailed:
        status = getattr(e, "status_code", None)
        message = str(e)
        if self._error_hint is not None:
            message += self._error_hint(e)
        # The provider's error body may echo the key or the URL it was sent to.
        return ModelCallFailed(self.name, scrub(message), status_code=status)


def _messages(request: ModelRequest) -> list[ModelMessage]:
    """System prompt, then each example as a user turn and an assistant reply, then the prompt."""
    system = [SystemPromptPart(request.system)] if request.system else []
    messages: list[ModelMessage] = []
    for user, assistant in request.examples:
        messages.append(PaiRequest(parts=[*system, UserPromptPart(user)]))
        messages.append(ModelResponse(parts=[TextPart(assistant)]))
        system = []
    messages.append(PaiRequest(parts=[*system, UserPromptPart(request.prompt)]))
    return messages


def _raw_output(response: ModelResponse) -> str | None:
    for part in response.parts:
        if isinstance(part, ToolCallPart) and part.tool_name == OUTPUT_TOOL:
            return part.args_as_json_str()
    texts = [part.content for part in response.parts if isinstance(part, TextPart)]
    return "".join(texts) if texts else None


def _remote_hint(provider: str, config: ProviderConfig) -> Callable[[ModelAPIError], str]:
    def hint(e: ModelAPIError) -> str:
        status = getattr(e, "status_code", None)
        if status in (401, 403) and provider in API_KEY_ENV:
            return f" ({_key_source(provider)})"
        if status == 429 or (status is not None and status >= 500):
            return (
                f" (gave up after {config.max_retries} retries; raise max_retries or lower "
                f"concurrency under [models.{provider}] in seamline.toml)"
            )
        if status is None and provider in ("ollama", "openai-compatible"):
            where = config.base_url or DEFAULT_OLLAMA_BASE_URL
            return f" (is the server at {where} running?)"
        return ""

    return hint


def _key_source(provider: str) -> str:
    """Which variable the key refused came from, for a 401 a person can act on."""
    names = API_KEY_ENV[provider]
    used = next((name for name in names if os.environ.get(name)), None)
    if used is None:
        return f"no API key was sent: set {' or '.join(names)}"
    others = [n for n in names if n != used and os.environ.get(n)]
    also = f"; {', '.join(others)} is set too but not used" if others else ""
    return f"the API key sent came from {used}: check its value{also}"


def _register_secrets(provider: str, config: ProviderConfig) -> None:
    """Make `scrub` know the credentials this provider is configured with, wherever
    they came from, so no error about it stores or prints them."""
    for name in API_KEY_ENV.get(provider, ()):
        register_secret(os.environ.get(name))
    if config.base_url:
        for secret in url_secrets(config.base_url):
            register_secret(secret)


def wrap_pydantic_model(model: PaiModel, config: ModelConfig) -> ProviderModel:
    """A pydantic-ai model object the person built (their own provider, client, settings)
    as a seamline `Model`: priced, limited and validated as a model string would be."""
    provider = model.system
    name = f"{provider}:{model.model_name}"
    return ProviderModel(
        name,
        provider=provider,
        factory=lambda: model,
        settings={},
        max_tokens=config.provider(provider).max_tokens,
        concurrency=config.provider(provider).concurrency,
        output_mode=config.provider(provider).output_mode,
        config=config,
    )


def build_model(
    spec: str,
    config: ModelConfig,
    *,
    transport: httpx2.AsyncBaseTransport | None = None,
    sleep: Sleep | None = None,
) -> Model:
    """Build the model a model string names. `get_model()` caches what this returns.

    Args:
        spec: The model string.
        config: Settings to build with.
        transport: Replace the network (tests: `httpx2.MockTransport`). Not used by `local`.
        sleep: Replace the wait between retries (tests).

    Raises:
        ConfigError: what is missing, and how to provide it.
    """
    provider, name = parse_model_string(spec)
    spec = spec.strip()
    if provider == "local":
        from seamline.models.local import local_model

        return local_model(spec, name or None, config)
    _check_sdk(provider, spec)
    provider_config = config.provider(provider)
    _check_key(provider, spec, provider_config)
    _register_secrets(provider, provider_config)
    if provider == "openai-compatible" and not provider_config.base_url:
        raise ConfigError(
            f"model {spec!r} needs the server's base URL: set SEAMLINE_OPENAI_COMPATIBLE_BASE_URL, "
            "or base_url under [models.openai-compatible] in seamline.toml"
        )
    settings: PaiSettings = {"max_retries": 0, "timeout": provider_config.timeout}
    if provider_config.temperature is not None:
        settings["temperature"] = provider_config.temperature

    def factory() -> PaiModel:
        client = retrying_client(provider_config, transport=transport, sleep=sleep)
        return _pydantic_model(provider, name, provider_config, client)

    try:
        factory()  # fail now, not at the first call, if the provider cannot be constructed
    except UserError as e:
        raise ConfigError(f"model {spec!r}: {e}") from e
    return ProviderModel(
        spec,
        provider=provider,
        factory=factory,
        settings=settings,
        max_tokens=provider_config.max_tokens,
        concurrency=provider_config.concurrency,
        output_mode=provider_config.output_mode,
        config=config,
        error_hint=_remote_hint(provider, provider_config),
    )
