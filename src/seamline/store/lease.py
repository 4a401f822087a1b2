"""Who drives a run: this process's identity, leases, and whether an owner is still alive.

A store records, per running run, the process that drives it (`PROCESS.token`), and per
process when it last showed it was alive (its heartbeat, renewed every third of the lease
while it drives runs). An owner is alive while its heartbeat is younger than the lease,
unless it ran on this host and its pid is gone: then it is known dead at once, and its
runs can be resumed without waiting for the lease to expire.

Within one process, several tasks could try to drive the same run (two `pipe.resume`
calls): `Holds` keeps the runs this process drives, per store, so the second gets
`RunBusy` too.
"""

from __future__ import annotations

import os
import secrets
import socket
from dataclasses import dataclass

from seamline.exceptions import ConfigError, RunBusy

DEFAULT_LEASE_SECONDS = 30.0


@dataclass(frozen=True, slots=True)
class Process:
    token: str
    host: str
    pid: int


def _this_process() -> Process:
    host = socket.gethostname()
    pid = os.getpid()
    return Process(f"{host}:{pid}:{secrets.token_hex(4)}", host, pid)


PROCESS = _this_process()


def refresh_after_fork() -> None:
    """A forked child is another process: give it its own identity."""
    global PROCESS
    PROCESS = _this_process()


os.register_at_fork(after_in_child=refresh_after_fork)


def lease_seconds(option: str | None) -> float:
    """The `lease=SECONDS` store option, else $SEAMLINE_LEASE_SECONDS, else 30."""
    value = option if option is not None else os.environ.get("SEAMLINE_LEASE_SECONDS")
    if value is None:
        return DEFAULT_LEASE_SECONDS
    try:
        seconds = float(value)
    except ValueError:
        seconds = float("nan")
    if not seconds > 0 or seconds == float("inf"):
        raise ConfigError(f"lease={value!r}: give the lease in seconds, a positive number")
    return seconds


def alive(
    host: str | None, pid: int | None, beat_at: float | None, now: float, lease: float
) -> bool:
    """Whether a run's owner still drives it."""
    if beat_at is None or now - beat_at > lease:
        return False
    if host == PROCESS.host and pid is not None and pid != PROCESS.pid:
        return _pid_alive(pid)
    return True


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # someone else's process: alive
        return True
    return True


def describe(
    owner: str, host: str | None, pid: int | None, beat_at: float | None, now: float
) -> str:
    """The owner, for a `RunBusy` message."""
    if owner == PROCESS.token:
        return "another task of this process"
    where = f"process {pid} on {host}" if host else f"owner {owner}"
    seen = f" (last seen {now - beat_at:.0f} s ago)" if beat_at is not None else ""
    return where + seen


class Holds:
    """The runs this process drives through one store (by the store's identity)."""

    __slots__ = ("_held",)

    def __init__(self) -> None:
        self._held: set[str] = set()

    def take(self, run_id: str) -> None:
        if run_id in self._held:
            raise RunBusy(run_id, "another task of this process")
        self._held.add(run_id)

    def add(self, run_id: str) -> None:
        self._held.add(run_id)

    def drop(self, run_id: str) -> None:
        self._held.discard(run_id)

    def __contains__(self, run_id: str) -> bool:
        return run_id in self._held

    def __bool__(self) -> bool:
        return bool(self._held)


_holds: dict[str, Holds] = {}


def holds_for(identity: str) -> Holds:
    """This process's holds on the runs of the store at `identity` (a path or a URL),
    shared by every store object opened on it."""
    found = _holds.get(identity)
    if found is None:
        found = _holds[identity] = Holds()
    return found
