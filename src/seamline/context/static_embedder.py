"""A static embedder: a text's vector is the mean of its tokens' vectors, looked up.

`StaticEmbedder` runs WordLlama's `l2_supercat` token embeddings (256 dimensions, 32,000
tokens of Llama 2's tokenizer, trained so that the mean of a text's token vectors is a
sentence embedding). There is no network to run: a query costs a tokenization and a
lookup (tens of microseconds), where MiniLM-L6's six transformer layers cost ~7 ms of
CPU per query and ~20 ms per 45-word chunk on this machine's cores, so it is what makes
the latency and ingest goals reachable on two cores (benchmarks/bench_context.py).

Its weights (16 MB of float16) and tokenizer file ship inside the `wordllama` wheel,
installed by the `context` extra; only the files are read (the package's own code is
never imported: it configures logging at import), so nothing is ever downloaded.
"""

from __future__ import annotations

import hashlib
import importlib.util
import json
import struct
import threading
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from seamline.context.embedders import Kind, Vectors
from seamline.exceptions import ConfigError

_INSTALL = (
    "the static embedder needs `pip install 'seamline[context]'` (its weights ship in the "
    "`wordllama` wheel)"
)
_WEIGHTS = "weights/l2_supercat_256.safetensors"
_TOKENIZER = "tokenizers/l2_supercat_tokenizer_config.json"
# The weights' SHA-256 as wordllama 0.4 ships them: a different file is refused, since
# vectors from another file would silently disagree with those already stored.
_WEIGHTS_SHA256 = "64b47a2dc493cb8e85944076601189739852d7b64e0e1eedcb1937a251cd9fd5"
_TENSOR = "embedding.weight"


def static_files() -> tuple[Path, Path]:
    """The static embedder's weights and tokenizer file. Raises `ConfigError`."""
    spec = importlib.util.find_spec("wordllama")  # locates the package without running it
    if spec is None or not spec.submodule_search_locations:
        raise ConfigError(_INSTALL)
    root = Path(next(iter(spec.submodule_search_locations)))
    weights, tokenizer = root / _WEIGHTS, root / _TOKENIZER
    if not weights.is_file() or not tokenizer.is_file():
        raise ConfigError(f"{_INSTALL} (files missing: {weights}, {tokenizer})")
    return weights, tokenizer


def read_safetensor(path: Path, name: str) -> Any:
    """One tensor of a .safetensors file as a float32 array (the format: an 8-byte
    header length, a JSON header of dtypes, shapes and offsets, then the raw data)."""
    import numpy as np

    data = path.read_bytes()
    (size,) = struct.unpack("<Q", data[:8])
    header = json.loads(data[8 : 8 + size])
    entry = header.get(name)
    dtypes = {"F16": np.float16, "F32": np.float32}
    if not isinstance(entry, dict) or entry.get("dtype") not in dtypes:
        raise ConfigError(f"{path} has no float tensor {name!r}; reinstall it")
    start, end = entry["data_offsets"]
    raw = np.frombuffer(data, dtypes[entry["dtype"]], offset=8 + size + start)
    count = (end - start) // raw.itemsize
    return raw[:count].reshape(entry["shape"]).astype(np.float32)


class StaticEmbedder:
    """WordLlama l2_supercat, 256 dimensions: the mean of the tokens' vectors, normalized.

    Args:
        dim: keep the first `dim` dimensions (the model was trained so that its prefixes
            of 64, 128 and 256 work on their own): smaller vectors, weaker matches.
    """

    def __init__(self, *, dim: int = 256) -> None:
        if dim not in (64, 128, 256):
            raise ConfigError(f"StaticEmbedder(dim={dim}): use 64, 128 or 256")
        self.dim = dim
        self.name = "wordllama-l2-supercat-256" if dim == 256 else f"wordllama-l2-supercat-{dim}"
        self._table: Any = None
        self._tokenizer: Any = None
        self._lock = threading.Lock()

    def _load(self) -> None:
        try:
            import numpy as np
            from tokenizers import Tokenizer
        except ImportError:
            raise ConfigError(_INSTALL) from None
        weights, tokenizer_file = static_files()
        digest = hashlib.sha256(weights.read_bytes()).hexdigest()
        if digest != _WEIGHTS_SHA256:
            raise ConfigError(
                f"{weights} is not the l2_supercat file seamline expects (sha256 "
                f"{digest[:12]}…); reinstall it: pip install --force-reinstall wordllama"
            )
        table = read_safetensor(weights, _TENSOR)[:, : self.dim]
        self._table = np.ascontiguousarray(table)
        tokenizer = Tokenizer.from_file(str(tokenizer_file))
        tokenizer.no_padding()
        tokenizer.no_truncation()
        self._tokenizer = tokenizer

    def embed_now(self, texts: Sequence[str]) -> Vectors:
        """Embed on the calling thread: one lookup and a mean per text."""
        import numpy as np

        if self._table is None:
            with self._lock:
                if self._table is None:
                    self._load()
        out = np.zeros((len(texts), self.dim), np.float32)
        if not texts:
            return out
        table = self._table
        encodings = self._tokenizer.encode_batch(list(texts), add_special_tokens=False)
        for row, encoding in enumerate(encodings):
            ids = encoding.ids
            if ids:
                out[row] = table[ids].mean(axis=0)
        norms = np.linalg.norm(out, axis=1, keepdims=True)
        out /= np.maximum(norms, 1e-12)
        return out

    async def embed(self, texts: Sequence[str], *, kind: Kind = "document") -> Vectors:
        # Microseconds per text: a thread hop would cost more than the work.
        return self.embed_now(texts)
