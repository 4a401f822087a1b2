"""Evaluated prompt prefixes kept in files, so a new process does not evaluate them again.

A pipeline's model step sends the same system prompt and few-shot examples with every
document; on SmolLM2 with two cores that prefix takes 3-4 s to evaluate, and one `seamline run`
of one document paid it every time. llama.cpp can write a slot's evaluated tokens (its KV
cache) to a file and read them back (`/slots/N?action=save|restore`); this module names,
checks and keeps those files.

- A file holds one prefix: the messages before the prompt, for one model and engine setup.
  Its name is a hash of both, so a different model, llama.cpp build or attention setting
  never finds another's file.
- Beside each file, a JSON sidecar records that setup, the file's size and SHA-256. A file
  whose sidecar is missing, unreadable, for another setup or whose bytes do not match is
  ignored with a `PrefixCacheWarning` and deleted; the prefix is evaluated and written again.
  A file that llama.cpp itself refuses is treated the same way.
- Files are written under a temporary name and renamed, so a reader (another process) never
  sees half a file. The directory is kept under `cache_mib`, least recently used first out.
- Only the prefix is written, never the document or the answer (see `LocalEngine`).
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import secrets
import threading
import time
import warnings
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

__all__ = ["FORMAT", "PrefixCache", "PrefixCacheWarning", "default_cache_dir"]

FORMAT = 1
"""The sidecar format; a change makes every older file a miss."""
_DATA = ".bin"
_SIDECAR = ".json"
_STALE_TEMP_SECONDS = 3600.0


class PrefixCacheWarning(UserWarning):
    """A prefix cache file could not be used; it is ignored and written again."""


def default_cache_dir(environ: Mapping[str, str] | None = None) -> Path:
    """`$XDG_CACHE_HOME/seamline/local`, else `~/.cache/seamline/local`."""
    env = os.environ if environ is None else environ
    base = env.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "seamline" / "local"


class PrefixCache:
    """The prefix files of one model and engine setup, in one directory.

    Args:
        directory: Where the files go (created, private to the user, if missing).
        setup: What the evaluated tokens depend on besides the messages: the model file, the
            llama.cpp build, attention settings. Part of every file's name and sidecar.
        limit_bytes: The directory's size limit.
    """

    def __init__(self, directory: Path, setup: Mapping[str, Any], *, limit_bytes: int) -> None:
        self.directory = directory
        self.setup = dict(setup)
        self.limit_bytes = limit_bytes
        self._checked: dict[str, tuple[int, int]] = {}  # key -> (size, mtime_ns) verified
        self._claimed: set[str] = set()
        self._lock = threading.Lock()
        directory.mkdir(parents=True, exist_ok=True, mode=0o700)

    def key(self, prefix: Sequence[Mapping[str, Any]]) -> str | None:
        """The key for a prompt whose messages before the last are `prefix`; None if empty."""
        if not prefix:
            return None
        text = json.dumps({"setup": self.setup, "messages": list(prefix)}, sort_keys=True)
        return hashlib.sha256(text.encode()).hexdigest()[:40]

    def lookup(self, key: str) -> str | None:
        """The file name (in `directory`) holding `key`'s prefix, checked; None if there is none.

        A file that fails a check is deleted, with a `PrefixCacheWarning`.
        """
        data = self.directory / (key + _DATA)
        try:
            stat = data.stat()
        except FileNotFoundError:
            return None
        with self._lock:
            if self._checked.get(key) == (stat.st_size, stat.st_mtime_ns):
                return data.name
        problem = self._problem(key, data, stat.st_size)
        if problem is not None:
            self.reject(key, problem)
            return None
        with self._lock:
            self._checked[key] = (stat.st_size, stat.st_mtime_ns)
        with contextlib.suppress(OSError):  # least recently used goes first
            os.utime(self.directory / (key + _SIDECAR))
        return data.name

    def _problem(self, key: str, data: Path, size: int) -> str | None:
        try:
            sidecar = json.loads((self.directory / (key + _SIDECAR)).read_text())
        except FileNotFoundError:
            return "its description (.json) is missing"
        except (OSError, ValueError) as e:
            return f"its description (.json) is unreadable ({e})"
        if not isinstance(sidecar, dict) or sidecar.get("format") != FORMAT:
            return "it was written by another version of seamline"
        if sidecar.get("setup") != self.setup:
            return "it was written for another model or engine setup"
        if sidecar.get("bytes") != size:
            return f"it holds {size} bytes, not the {sidecar.get('bytes')} written"
        if _sha256(data) != sidecar.get("sha256"):
            return "its contents do not match their checksum"
        return None

    def reject(self, key: str, problem: str) -> None:
        """Ignore and delete `key`'s file (llama.cpp refused it, or a check failed)."""
        with self._lock:
            self._checked.pop(key, None)
            self._claimed.discard(key)
        warnings.warn(
            f"ignoring the local model's prefix cache file {self.directory / (key + _DATA)}: "
            f"{problem}. The prefix is evaluated again and the file rewritten.",
            PrefixCacheWarning,
            stacklevel=2,
        )
        for suffix in (_DATA, _SIDECAR):
            with contextlib.suppress(OSError):
                (self.directory / (key + suffix)).unlink()

    def claim(self, key: str) -> bool:
        """True once per process for a key with no file: the caller writes it."""
        with self._lock:
            if key in self._claimed:
                return False
            self._claimed.add(key)
        return not (self.directory / (key + _DATA)).exists()

    def scratch_name(self, key: str) -> str:
        """A file name for llama.cpp to write `key`'s prefix into, before `commit()`."""
        return f"{key}.{os.getpid()}-{secrets.token_hex(4)}.tmp"

    def commit(self, key: str, scratch: str, tokens: int) -> None:
        """Make the written `scratch` file `key`'s prefix file, then keep the size limit."""
        path = self.directory / scratch
        size = path.stat().st_size
        sidecar = {
            "format": FORMAT,
            "setup": self.setup,
            "tokens": tokens,
            "bytes": size,
            "sha256": _sha256(path),
            "written_at": time.time(),
        }
        side_scratch = self.directory / (scratch + _SIDECAR)
        side_scratch.write_text(json.dumps(sidecar, sort_keys=True))
        # The data first: a sidecar never describes a file that is not there yet.
        os.replace(path, self.directory / (key + _DATA))
        os.replace(side_scratch, self.directory / (key + _SIDECAR))
        self._evict(keep=key)

    def discard(self, scratch: str) -> None:
        """Remove a scratch file that will not be committed."""
        with contextlib.suppress(OSError):
            (self.directory / scratch).unlink()

    def _evict(self, keep: str) -> None:
        files: list[tuple[float, int, str]] = []
        now = time.time()
        for entry in os.scandir(self.directory):
            name = entry.name
            try:
                stat = entry.stat()
            except OSError:
                continue
            if name.endswith(".tmp") or name.endswith(".tmp" + _SIDECAR):
                if now - stat.st_mtime > _STALE_TEMP_SECONDS:  # a writer that died
                    with contextlib.suppress(OSError):
                        os.unlink(entry.path)
            elif name.endswith(_DATA):
                key = name[: -len(_DATA)]
                sidecar = self.directory / (key + _SIDECAR)
                try:
                    used = sidecar.stat().st_mtime
                except OSError:
                    used = stat.st_mtime
                files.append((used, stat.st_size, key))
        total = sum(size for _, size, _ in files)
        for _, size, key in sorted(files):
            if total <= self.limit_bytes:
                break
            if key == keep:
                continue
            for suffix in (_DATA, _SIDECAR):
                with contextlib.suppress(OSError):
                    (self.directory / (key + suffix)).unlink()
            total -= size


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as f:
        while chunk := f.read(1 << 20):
            digest.update(chunk)
    return digest.hexdigest()
