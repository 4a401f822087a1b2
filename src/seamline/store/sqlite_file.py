"""Opening an SQLite store's file: the URL and its options, modes, checks and migrations.

Three ways to open a file (`Access`):

- `create` (running a pipeline): the file and its missing parent directories are made
  if needed, and an older schema is migrated.
- `write` (resuming, deciding): the file must exist already; it is migrated if needed.
- `read` (listing and showing runs): the file must exist, and is opened read-only: no
  byte is written, so a store on read-only media or with read-only permissions is
  readable. A store one schema version older than this seamline's is read as it is.

A file that is not a seamline store, or one a newer seamline wrote, is refused before
anything is written (`SchemaMismatch`). Every other way a file cannot be opened is a
`StoreError` that says what to change.
"""

from __future__ import annotations

import errno
import math
import os
import sqlite3
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import parse_qsl, urlsplit

from seamline.exceptions import ConfigError, SchemaMismatch, StoreError
from seamline.store import _sql, lease
from seamline.store.base import Access
from seamline.store.migrations import SQLITE as MIGRATIONS

SCHEMA_VERSION = MIGRATIONS[-1].version
# The oldest schema a read-only open reads as it is (it cannot migrate): the one before
# the log rows carried checksums. Older stores are read once a writer has migrated them.
OLDEST_READABLE = 4
CHECKSUMS_SINCE = 5
_OLDEST_SQLITE = (3, 35, 0)
_SQLITE_NOTADB = 26
_SQLITE_CANTOPEN = 14
_SQLITE_READONLY = 8
_SYNCHRONOUS = ("normal", "full")
# Small pages: an append writes whole pages to the WAL, and its row is ~100 bytes.
_PAGE_SIZE = 1024


@dataclass(frozen=True, slots=True)
class Options:
    """A store URL's path and query options, checked."""

    path: Path
    synchronous: str
    busy_timeout: float
    lease_seconds: float


def parse_url(url: str) -> Options:
    """The path and options of `sqlite:///path?...`. Raises `ConfigError` naming what is wrong."""
    parts = urlsplit(url)
    if parts.scheme != "sqlite" or parts.netloc or not parts.path.startswith("/"):
        raise ConfigError(
            f"bad SQLite store URL {url!r}: use sqlite:///relative/runs.db "
            "or sqlite:////absolute/runs.db"
        )
    path = parts.path[1:]
    if not path:
        raise ConfigError(f"bad SQLite store URL {url!r}: no file name")
    options = dict(parse_qsl(parts.query, keep_blank_values=True))
    sync = options.pop("synchronous", "normal").lower()
    if sync not in _SYNCHRONOUS:
        raise ConfigError(
            f"{url}: synchronous must be one of {', '.join(_SYNCHRONOUS)} (got {sync!r})"
        )
    raw_timeout = options.pop("busy_timeout", "30")
    try:
        timeout = float(raw_timeout)
    except ValueError:
        timeout = math.nan
    if not (math.isfinite(timeout) and timeout >= 0):
        raise ConfigError(
            f"{url}: busy_timeout must be a number of seconds, 0 or more, e.g. "
            f"busy_timeout=30 (got {raw_timeout!r})"
        )
    lease_for = lease.lease_seconds(options.pop("lease", None))
    if options:
        raise ConfigError(
            f"{url}: unknown option {', '.join(options)}; "
            "known: synchronous=normal|full, busy_timeout=SECONDS, lease=SECONDS"
        )
    return Options(Path(path), sync, timeout, lease_for)


def connect(options: Options, url: str, access: Access) -> tuple[sqlite3.Connection, int]:
    """A connection to the store's file, and the file's schema version.

    Raises:
        StoreError: the file does not exist (unless `access` is "create"), or cannot be
            opened or written as `access` needs.
        SchemaMismatch: the file is not a seamline store, or a newer seamline wrote it.
    """
    if sqlite3.sqlite_version_info < _OLDEST_SQLITE:
        raise ConfigError(
            f"{url}: the SQLite store needs SQLite {'.'.join(map(str, _OLDEST_SQLITE))} or "
            f"newer (RETURNING, DROP COLUMN), but this Python uses {sqlite3.sqlite_version}. "
            "Use a Python built with a newer SQLite (python.org and most current "
            "distributions' builds are), or a PostgreSQL store."
        )
    path = options.path
    if path.is_dir():
        raise StoreError(
            f"cannot open {url}: {path} is a directory; name a file in it, e.g. {path / 'runs.db'}"
        )
    if not path.exists():
        if access != "create":
            raise StoreError(_missing(url, path))
        _make_parent(url, path)
    elif access != "read":
        _check_untouched(path, url)  # refuse before writing a single byte
    if access == "read":
        return _open_read_only(path, url)
    try:
        conn = sqlite3.connect(
            path, timeout=options.busy_timeout, isolation_level=None, check_same_thread=False
        )
    except sqlite3.Error as exc:
        raise StoreError(_unwritable(url, path, exc)) from exc
    try:
        conn.execute(f"PRAGMA page_size = {_PAGE_SIZE:d}")  # a new file only: before WAL
        conn.execute("PRAGMA journal_mode = WAL")
        # PRAGMAs take no bound parameters; `synchronous` was checked against _SYNCHRONOUS.
        conn.execute(f"PRAGMA synchronous = {options.synchronous.upper()}")
        _migrate(conn, url)
        conn.execute("PRAGMA wal_autocheckpoint = 0")  # see SQLiteStore._append_and_checkpoint
        conn.execute("PRAGMA busy_timeout = 0")  # see the SQLiteStore module docstring
    except UnicodeDecodeError as exc:
        conn.close()
        raise StoreError(f"cannot open {url}: the file is damaged (undecodable text)") from exc
    except sqlite3.Error as exc:
        conn.close()
        if error_code(exc) in (_SQLITE_READONLY, _SQLITE_CANTOPEN):
            raise StoreError(_unwritable(url, path, exc)) from exc
        raise StoreError(f"cannot open {url}: {exc}") from exc
    except BaseException:
        conn.close()
        raise
    return conn, SCHEMA_VERSION


def _missing(url: str, path: Path) -> str:
    return (
        f"no store at {url}: {path.resolve()} does not exist. Check --store (or "
        "$SEAMLINE_STORE): it names the store a run was written to; `seamline run` "
        "creates one"
    )


def _make_parent(url: str, path: Path) -> None:
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise StoreError(
            f"cannot create the store {url}: making {path.parent} failed "
            f"({exc.strerror or exc}); choose another --store, or a directory you can write"
        ) from exc


def _unwritable(url: str, path: Path, exc: Exception) -> str:
    folder = path.parent.resolve()
    if path.exists() and not os.access(path, os.W_OK):
        why = f"{path} is read-only for this user"
    elif not os.access(folder, os.W_OK):
        why = f"its directory {folder} is not writable for this user"
    else:
        why = str(exc)
    return (
        f"cannot write the store {url}: {why}. Commands that only read "
        "(seamline runs, show, approvals) still work; to write, fix the permissions "
        "or choose another --store"
    )


def _open_read_only(path: Path, url: str) -> tuple[sqlite3.Connection, int]:
    """Open without writing a byte. WAL needs its -shm file: when it cannot be made (a
    read-only directory) and no -wal file holds commits, the file is read as immutable."""
    uri = path.resolve().as_uri()

    def attempt(mode: str) -> tuple[sqlite3.Connection, int]:
        conn = sqlite3.connect(f"{uri}?{mode}", uri=True, check_same_thread=False)
        try:
            return conn, _check_version(conn, url)
        except BaseException:
            conn.close()
            raise

    try:
        conn, version = attempt("mode=ro")
    except SchemaMismatch:
        raise
    except UnicodeDecodeError as exc:
        raise StoreError(f"cannot read {url}: the file is damaged (undecodable text)") from exc
    except (sqlite3.Error, StoreError) as exc:
        wal = path.with_name(path.name + "-wal")
        if wal.exists() or not _cannot_open(exc):
            raise StoreError(f"cannot read {url}: {exc}") from exc
        conn, version = attempt("mode=ro&immutable=1")
    if version == 0:
        conn.close()
        raise StoreError(f"{url} is an empty file, not a seamline store yet: no runs to read")
    if version < OLDEST_READABLE:
        conn.close()
        raise StoreError(
            f"{url} was written by an older seamline (schema version {version}); a command "
            "that writes (seamline resume, seamline run) upgrades it, then it can be read"
        )
    conn.execute("PRAGMA busy_timeout = 0")
    return conn, version


def error_code(exc: BaseException | None) -> int:
    """SQLite's primary result code for an error, 0 when it has none: the sqlite3 module
    raises some errors itself (an undecodable text column, "Could not decode to UTF-8"),
    and those carry no `sqlite_errorcode`."""
    return getattr(exc, "sqlite_errorcode", 0) & 0xFF


def _cannot_open(exc: BaseException) -> bool:
    cause = exc.__cause__ if isinstance(exc, StoreError) else exc
    code = error_code(cause)
    return code in (_SQLITE_CANTOPEN, _SQLITE_READONLY) or getattr(cause, "errno", 0) in (
        errno.EACCES,
        errno.EROFS,
    )


def _check_untouched(path: Path, url: str) -> None:
    """Refuse a file that is not a seamline store, or is a newer one, without writing."""
    # Without a -wal file, the main file holds everything: read it as immutable, so that
    # no -wal/-shm files are left next to a file that is refused. (The check is repeated
    # inside the migration transaction, which catches what a concurrent writer changed.)
    wal = path.with_name(path.name + "-wal")
    mode = "mode=ro" if wal.exists() else "mode=ro&immutable=1"
    try:
        conn = sqlite3.connect(f"{path.resolve().as_uri()}?{mode}", uri=True)
    except sqlite3.Error as exc:
        raise StoreError(f"cannot open {url}: {exc}") from exc
    try:
        _check_version(conn, url)
    finally:
        conn.close()


def _check_version(conn: sqlite3.Connection, url: str) -> int:
    """The store's schema version: 0 for an empty database. Raises `SchemaMismatch`."""
    try:
        tables = {
            name
            for (name,) in conn.execute(
                "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'"
            )
        }
        if not tables:
            return 0
        if "seamline_meta" not in tables:
            raise SchemaMismatch(
                f"{url} is an SQLite database but not a seamline store "
                f"(it has tables {', '.join(sorted(tables))}); it was left untouched. "
                "Point the store URL at a new file."
            )
        row = conn.execute(
            "SELECT value FROM seamline_meta WHERE key = 'schema_version'"
        ).fetchone()
    except UnicodeDecodeError as exc:
        raise StoreError(f"cannot read {url}: the file is damaged (undecodable text)") from exc
    except sqlite3.Error as exc:
        if error_code(exc) != _SQLITE_NOTADB:  # locked, unreadable, ...
            raise StoreError(f"cannot read {url}: {exc}") from exc
        raise SchemaMismatch(
            f"{url} is not a seamline store ({exc}); it was left untouched. "
            "Point the store URL at a new file."
        ) from exc
    try:
        version = int(row[0]) if row else 0
    except (TypeError, ValueError):
        raise SchemaMismatch(
            f"{url} has a damaged schema version ({row[0]!r}); it was left untouched"
        ) from None
    if version > SCHEMA_VERSION:
        raise SchemaMismatch(_sql.newer_schema(url, version, SCHEMA_VERSION))
    return version


def _migrate(conn: sqlite3.Connection, url: str) -> None:
    conn.execute("BEGIN IMMEDIATE")  # one migrator at a time; others wait, then see it done
    try:
        version = _check_version(conn, url)
        if version == 0:
            conn.execute("CREATE TABLE seamline_meta (key TEXT PRIMARY KEY, value TEXT NOT NULL)")
        for migration in MIGRATIONS:
            if migration.version > version:
                for statement in migration.statements:
                    conn.execute(statement)
                if migration.convert is not None:
                    migration.convert(conn)
        if version < SCHEMA_VERSION:
            conn.execute(
                "INSERT OR REPLACE INTO seamline_meta (key, value) VALUES ('schema_version', ?)",
                (str(SCHEMA_VERSION),),
            )
        conn.execute("COMMIT")
    except BaseException:
        if conn.in_transaction:
            conn.execute("ROLLBACK")
        raise
