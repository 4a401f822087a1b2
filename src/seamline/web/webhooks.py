"""Webhooks: a POST per event to the URL configured for its type, signed, retried, recorded.

Event types: `approval_requested`, `run_finished` (a run reached succeeded, failed or
cancelled), `run_failed`, and `pass_rate_below` (a pipeline's gated pass rate over its
last `window` finished runs fell below the threshold; sent once per fall, again only
after it recovered).

Each delivery is JSON `{"type", "id", "at", "data"}` with headers `X-Seamline-Event`,
`X-Seamline-Delivery`, `X-Seamline-Timestamp`, and `X-Seamline-Signature:
sha256=HEX`, the HMAC-SHA256 with the shared secret of `f"{timestamp}.{body}"`:
a receiver recomputes it (and refuses old timestamps) to know the call is ours. A
delivery that fails (no connection, a timeout, 429 or 5xx) is retried with exponential
backoff; every attempt is recorded (`deliveries`, and a JSON Lines file if configured).
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import json
import secrets
import time
from collections import deque
from collections.abc import Mapping
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import httpx2

from seamline.exceptions import ConfigError

EVENT_TYPES = ("approval_requested", "run_finished", "run_failed", "pass_rate_below")


def sign(secret: str, timestamp: str, body: bytes) -> str:
    """The signature header's value for a delivery."""
    mac = hmac.new(secret.encode(), timestamp.encode() + b"." + body, hashlib.sha256)
    return "sha256=" + mac.hexdigest()


def redact(url: str) -> str:
    """A URL as shown and recorded: no password, no query (it may hold a key)."""
    parts = urlsplit(url)
    host = parts.netloc.rpartition("@")[2]
    return urlunsplit(parts._replace(netloc=host, query="***" if parts.query else ""))


@dataclass(slots=True)
class Attempt:
    at: float
    status: int | None  # the HTTP status, None when no answer came
    error: str | None
    seconds: float


@dataclass(slots=True)
class Delivery:
    id: str
    type: str
    url: str  # redacted
    created_at: float
    data: dict[str, Any]
    attempts: list[Attempt] = field(default_factory=list)
    outcome: str = "pending"  # pending, delivered, failed


@dataclass(frozen=True, slots=True)
class WebhookConfig:
    urls: Mapping[str, str]  # event type -> URL
    secret: str
    attempts: int = 6
    backoff: float = 1.0  # seconds before the first retry; doubled each time
    timeout: float = 10.0
    log_path: Path | None = None
    pass_rate_threshold: float = 0.9
    pass_rate_window: int = 50

    @classmethod
    def parse(cls, specs: list[str], secret: str | None, **options: Any) -> WebhookConfig | None:
        """From `TYPE=URL` strings. Raises `ConfigError` naming what is wrong."""
        if not specs:
            return None
        urls: dict[str, str] = {}
        for spec in specs:
            kind, sep, url = spec.partition("=")
            if not sep or kind not in EVENT_TYPES:
                raise ConfigError(
                    f"--webhook {spec!r}: use TYPE=URL with TYPE one of {', '.join(EVENT_TYPES)}"
                )
            if urlsplit(url).scheme not in ("http", "https"):
                raise ConfigError(f"--webhook {kind}=...: {redact(url)!r} is not an http(s) URL")
            urls[kind] = url
        if not secret:
            raise ConfigError(
                "webhooks are signed: set $SEAMLINE_WEBHOOK_SECRET or --webhook-secret-file"
            )
        return cls(urls, secret, **options)


class Webhooks:
    """Sends deliveries in the background; `deliveries` is the record, newest last."""

    def __init__(self, config: WebhookConfig, transport: httpx2.AsyncBaseTransport | None = None):
        self.config = config
        self.deliveries: deque[Delivery] = deque(maxlen=1000)
        self._client = httpx2.AsyncClient(timeout=config.timeout, transport=transport)
        self._tasks: set[asyncio.Task[None]] = set()
        self._below: set[str] = set()  # pipelines whose pass rate is below the threshold

    def wants(self, kind: str) -> bool:
        return kind in self.config.urls

    def send(self, kind: str, data: dict[str, Any]) -> Delivery | None:
        """Queue a delivery of `kind` (if a URL is configured for it)."""
        url = self.config.urls.get(kind)
        if url is None:
            return None
        delivery = Delivery(secrets.token_hex(8), kind, redact(url), time.time(), data)
        self.deliveries.append(delivery)
        task = asyncio.get_running_loop().create_task(self._deliver(delivery, url))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)
        return delivery

    def pass_rate(self, pipeline: str, passed: int, runs: int) -> None:
        """Tell of a pipeline's latest pass rate; sends `pass_rate_below` on a fall."""
        if runs == 0:
            return
        rate = passed / runs
        if rate < self.config.pass_rate_threshold:
            if pipeline not in self._below:
                self._below.add(pipeline)
                self.send(
                    "pass_rate_below",
                    {
                        "pipeline": pipeline,
                        "pass_rate": rate,
                        "passed": passed,
                        "runs": runs,
                        "threshold": self.config.pass_rate_threshold,
                    },
                )
        else:
            self._below.discard(pipeline)

    async def _deliver(self, delivery: Delivery, url: str) -> None:
        body = json.dumps(
            {
                "type": delivery.type,
                "id": delivery.id,
                "at": delivery.created_at,
                "data": delivery.data,
            },
            ensure_ascii=False,
            default=str,
        ).encode()
        wait = self.config.backoff
        for number in range(1, self.config.attempts + 1):
            timestamp = str(int(time.time()))
            headers = {
                "content-type": "application/json",
                "user-agent": "seamline-webhooks",
                "x-seamline-event": delivery.type,
                "x-seamline-delivery": delivery.id,
                "x-seamline-timestamp": timestamp,
                "x-seamline-signature": sign(self.config.secret, timestamp, body),
            }
            began = time.perf_counter()
            status, error = None, None
            try:
                answer = await self._client.post(url, content=body, headers=headers)
                status = answer.status_code
            except httpx2.HTTPError as e:
                error = f"{type(e).__name__}: {e}" if str(e) else type(e).__name__
            delivery.attempts.append(
                Attempt(time.time(), status, error, time.perf_counter() - began)
            )
            if status is not None and status < 300:
                delivery.outcome = "delivered"
                break
            retry = status is None or status == 429 or status >= 500
            if not retry or number == self.config.attempts:
                delivery.outcome = "failed"
                break
            await asyncio.sleep(wait)
            wait *= 2
        self._record(delivery)

    def _record(self, delivery: Delivery) -> None:
        if self.config.log_path is None:
            return
        line = json.dumps(asdict(delivery), ensure_ascii=False, default=str)
        with self.config.log_path.open("a", encoding="utf-8") as out:
            out.write(line + "\n")

    async def drain(self, grace: float | None = None) -> None:
        """Wait for the deliveries under way (tests; shutting down)."""
        if self._tasks:
            await asyncio.wait(list(self._tasks), timeout=grace)

    async def close(self) -> None:
        for task in list(self._tasks):
            task.cancel()
        await self._client.aclose()
