"""Where a Temporal run goes: `temporal://host:port?namespace=...&task_queue=...`.

Parsed without importing the SDK, so a mistake in the URL is reported at once, naming
the part that is wrong, and a pipeline module can name its engine without the extra.
"""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import parse_qsl, urlsplit

from seamline.exceptions import ConfigError

DEFAULT_PORT = 7233
_OPTIONS = ("namespace", "task_queue", "heartbeat")


@dataclass(frozen=True, slots=True)
class TemporalTarget:
    """A Temporal frontend, the namespace and the task queue a run's workflow uses.

    Attributes:
        address: host:port of the Temporal frontend (gRPC).
        namespace: the Temporal namespace (default "default").
        task_queue: the queue seamline's workers poll (default "seamline").
        heartbeat: seconds an attempt's activity may go without a heartbeat before
            Temporal gives it to another worker: how soon a dead worker's attempt
            continues elsewhere (default 10).
    """

    address: str
    namespace: str = "default"
    task_queue: str = "seamline"
    heartbeat: float = 10.0

    @property
    def url(self) -> str:
        return (
            f"temporal://{self.address}?namespace={self.namespace}"
            f"&task_queue={self.task_queue}&heartbeat={self.heartbeat:g}"
        )


def parse_target(url: str) -> TemporalTarget:
    """`temporal://host[:port][?namespace=...&task_queue=...&heartbeat=SECONDS]`.

    Raises:
        ConfigError: naming what is wrong and the form to use.
    """
    form = "use temporal://host:7233?namespace=default&task_queue=seamline"
    parts = urlsplit(url)
    if parts.scheme != "temporal":
        raise ConfigError(f"engine {url!r} is not a temporal:// URL; {form}")
    if not parts.hostname:
        raise ConfigError(f"engine {url!r} names no host; {form}")
    try:
        port = parts.port or DEFAULT_PORT
    except ValueError:
        raise ConfigError(f"engine {url!r}: the port is not a number; {form}") from None
    if parts.path not in ("", "/"):
        raise ConfigError(f"engine {url!r}: a path means nothing here; {form}")
    options = dict(parse_qsl(parts.query, keep_blank_values=True))
    unknown = sorted(set(options) - set(_OPTIONS))
    if unknown:
        raise ConfigError(f"engine {url!r}: unknown option(s) {unknown}; known: {list(_OPTIONS)}")
    for name in ("namespace", "task_queue"):
        if name in options and not options[name]:
            raise ConfigError(f"engine {url!r}: {name}= is empty; {form}")
    heartbeat = 10.0
    if "heartbeat" in options:
        try:
            heartbeat = float(options["heartbeat"])
        except ValueError:
            heartbeat = float("nan")
        if not heartbeat > 0 or heartbeat == float("inf"):
            raise ConfigError(
                f"engine {url!r}: heartbeat={options['heartbeat']!r}; give seconds, a positive number"
            )
    host = parts.hostname if ":" not in parts.hostname else f"[{parts.hostname}]"
    return TemporalTarget(
        address=f"{host}:{port}",
        namespace=options.get("namespace", "default"),
        task_queue=options.get("task_queue", "seamline"),
        heartbeat=heartbeat,
    )
