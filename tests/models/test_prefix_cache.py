"""Prefix cache files: naming, checking, rejecting, the size limit (no model needed here;
`test_local.py` has a second process reusing a file llama.cpp wrote)."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from seamline.models.prefix_cache import PrefixCache, PrefixCacheWarning, default_cache_dir

SETUP = {"model": "/models/m.gguf", "model_bytes": 10, "llama_cpp": "1.0"}
PREFIX = [{"role": "system", "content": "You extract claims."}]


def written(cache: PrefixCache, key: str, data: bytes = b"kv" * 100) -> None:
    """What an engine does: llama.cpp writes the scratch file, then it is committed."""
    scratch = cache.scratch_name(key)
    (cache.directory / scratch).write_bytes(data)
    cache.commit(key, scratch, tokens=42)


@pytest.fixture
def cache(tmp_path: Path) -> PrefixCache:
    return PrefixCache(tmp_path / "prefixes", SETUP, limit_bytes=1 << 20)


def test_keys_depend_on_the_messages_and_the_setup(cache: PrefixCache, tmp_path: Path) -> None:
    other_setup = PrefixCache(tmp_path / "prefixes", {**SETUP, "llama_cpp": "2.0"}, limit_bytes=1)
    key = cache.key(PREFIX)

    assert key is not None and key == cache.key([dict(PREFIX[0])])
    assert cache.key([{"role": "system", "content": "Other."}]) != key
    assert other_setup.key(PREFIX) != key
    assert cache.key([]) is None  # nothing before the prompt: nothing worth keeping


def test_a_committed_file_is_found_and_described(cache: PrefixCache) -> None:
    key = cache.key(PREFIX)
    assert key is not None
    assert cache.lookup(key) is None

    written(cache, key)

    assert cache.lookup(key) == f"{key}.bin"
    sidecar = json.loads((cache.directory / f"{key}.json").read_text())
    assert (sidecar["setup"], sidecar["tokens"], sidecar["bytes"]) == (SETUP, 42, 200)
    assert not list(cache.directory.glob("*.tmp*"))
    assert cache.directory.stat().st_mode & 0o777 == 0o700


def test_a_key_is_claimed_once_per_process_and_not_when_written(cache: PrefixCache) -> None:
    key = cache.key(PREFIX)
    other = cache.key([{"role": "system", "content": "Other."}])
    assert key is not None and other is not None

    assert cache.claim(key) is True
    assert cache.claim(key) is False
    written(cache, other)
    assert cache.claim(other) is False


@pytest.mark.parametrize(
    ("damage", "reason"),
    [
        (lambda d, k: (d / f"{k}.bin").write_bytes(b"kx" * 100), "do not match their checksum"),
        (lambda d, k: (d / f"{k}.bin").write_bytes(b"kv"), "holds 2 bytes, not the 200"),
        (lambda d, k: (d / f"{k}.json").unlink(), "description .* is missing"),
        (lambda d, k: (d / f"{k}.json").write_text("{not json"), "description .* is unreadable"),
        (
            lambda d, k: (d / f"{k}.json").write_text(
                json.dumps({**json.loads((d / f"{k}.json").read_text()), "setup": {"x": 1}})
            ),
            "another model or engine setup",
        ),
        (
            lambda d, k: (d / f"{k}.json").write_text(json.dumps({"format": 99})),
            "another version of seamline",
        ),
    ],
    ids=["corrupt", "truncated", "no-sidecar", "bad-sidecar", "other-setup", "other-format"],
)
def test_a_damaged_or_mismatched_file_is_ignored_with_a_warning_and_removed(
    cache: PrefixCache, damage, reason: str
) -> None:  # type: ignore[no-untyped-def]
    key = cache.key(PREFIX)
    assert key is not None
    written(cache, key)
    damage(cache.directory, key)

    with pytest.warns(PrefixCacheWarning, match=reason):
        assert cache.lookup(key) is None

    assert not (cache.directory / f"{key}.bin").exists()
    assert cache.claim(key) is True  # so this process writes it again


def test_a_file_llama_cpp_refuses_is_rejected(cache: PrefixCache) -> None:
    key = cache.key(PREFIX)
    assert key is not None
    written(cache, key)
    assert cache.lookup(key) is not None

    with pytest.warns(PrefixCacheWarning, match="llama.cpp said no"):
        cache.reject(key, "llama.cpp said no")

    assert cache.lookup(key) is None


def test_the_least_recently_used_files_go_past_the_size_limit(tmp_path: Path) -> None:
    cache = PrefixCache(tmp_path / "prefixes", SETUP, limit_bytes=2500)
    keys = [cache.key([{"role": "system", "content": str(n)}]) for n in range(3)]
    assert None not in keys
    first, second, third = (k for k in keys if k is not None)
    written(cache, first, b"a" * 1000)
    written(cache, second, b"b" * 1000)
    os.utime(cache.directory / f"{first}.json", (1, 1))  # first: not used for ages
    os.utime(cache.directory / f"{second}.json", (2, 2))
    assert cache.lookup(second) is not None  # ... and second was just used

    written(cache, third, b"c" * 1000)

    assert cache.lookup(first) is None
    assert cache.lookup(second) is not None
    assert cache.lookup(third) is not None


def test_stale_scratch_files_of_a_dead_writer_are_removed(cache: PrefixCache) -> None:
    stale = cache.directory / "abc.123-deadbeef.tmp"
    stale.write_bytes(b"half")
    os.utime(stale, (1, 1))
    key = cache.key(PREFIX)
    assert key is not None

    written(cache, key)

    assert not stale.exists()


def test_the_default_directory_follows_xdg() -> None:
    assert default_cache_dir({"XDG_CACHE_HOME": "/x"}) == Path("/x/seamline/local")
    assert default_cache_dir({}).parts[-3:] == (".cache", "seamline", "local")
