"""Keeping secrets out of what seamline shows and stores.

Two tools, used wherever text may reach a run log, a store's tables or a terminal:

- `redact_url(url)`: a URL without its credentials: the password of `user:password@`,
  and the values of query parameters that carry one (`?token=`, `?api_key=`, `?key=`,
  `?password=`, `?sig=`, ...). The user name, host, path and other parameters stay, so
  the URL still says where it points.
- `scrub(text)`: any text (an error message, a provider's error body) with every URL in
  it redacted, and every known secret value replaced by `***`. Known secrets are the
  values of environment variables whose names say they hold one (`OPENAI_API_KEY`,
  `*_TOKEN`, `*_SECRET`, `*_PASSWORD`, ...), the credentials inside URLs the
  environment configures (`*_URL`), and the values registered with `register_secret`
  (tokens an MCP server declaration names, passwords of store URLs).

Scrubbing runs only on error paths and on what is displayed: never per step.
"""

from __future__ import annotations

import base64
import os
import re
import threading
from collections.abc import Iterable, Mapping
from urllib.parse import parse_qsl, quote, unquote, urlencode, urlsplit, urlunsplit

__all__ = [
    "MASK",
    "Scrubber",
    "known_secrets",
    "redact_url",
    "register_secret",
    "scrub",
    "url_secrets",
]

MASK = "***"

# Query parameters whose values are credentials (compared lower-case, `-` as `_`).
_SECRET_PARAMS = frozenset(
    {
        "access_token",
        "api_key",
        "apikey",
        "auth",
        "authorization",
        "client_secret",
        "code",
        "credential",
        "credentials",
        "key",
        "pass",
        "passwd",
        "password",
        "pwd",
        "refresh_token",
        "secret",
        "sig",
        "signature",
        "sslpassword",
        "token",
        "x_amz_credential",
        "x_amz_security_token",
        "x_amz_signature",
    }
)
# ... or whose names have one of these words (`x_api_key`, `github_token`; not `max_tokens`).
_SECRET_PARAM_WORDS = frozenset(
    {"token", "secret", "password", "passwd", "key", "apikey", "signature", "credential"}
)
# Environment variables whose values are secrets, by name.
_SECRET_ENV = re.compile(
    r"(API_?KEY|TOKEN|SECRET|PASSWORD|PASSWD|CREDENTIALS?|PRIVATE_KEY|ACCESS_KEY)($|_)",
    re.IGNORECASE,
)
_URL_ENV = re.compile(r"(URL|URI|DSN|ENDPOINT|HOST|STORE)$", re.IGNORECASE)
# Shorter values are not treated as secrets: replacing every "1" or "true" in a message
# would make it unreadable, and a key that short is no key.
_MIN_SECRET = 6
_URL = re.compile(r"[A-Za-z][A-Za-z0-9+.\-]*://[^\s'\"<>`]+")

_registered: set[str] = set()
_lock = threading.Lock()


def register_secret(value: str | None) -> None:
    """Treat `value` as a secret from now on: `scrub` replaces it wherever it appears."""
    if value and len(value) >= _MIN_SECRET:
        with _lock:
            _registered.add(value)


def redact_url(url: str) -> str:
    """`url` without the password of its user info or the values of its secret query
    parameters; anything that is not a URL comes back unchanged."""
    try:
        parts = urlsplit(url)
        password = parts.password
    except ValueError:  # a malformed port or bracket: keep only what is surely safe
        return url.split("://", 1)[0] + "://" + MASK if "://" in url else url
    netloc = parts.netloc
    if password is not None:
        user, _, host = netloc.rpartition("@")
        name = user.split(":", 1)[0]
        netloc = f"{name}:{MASK}@{host}"
    query = parts.query
    if query:
        pairs = parse_qsl(query, keep_blank_values=True)
        if any(_secret_param(name) for name, _ in pairs):
            query = urlencode(
                [(name, MASK if _secret_param(name) else value) for name, value in pairs],
                safe="*",
                quote_via=quote,
            )
    if netloc == parts.netloc and query == parts.query:
        return url
    return urlunsplit(parts._replace(netloc=netloc, query=query))


def _secret_param(name: str) -> bool:
    key = name.lower().replace("-", "_")
    return key in _SECRET_PARAMS or not _SECRET_PARAM_WORDS.isdisjoint(key.split("_"))


def known_secrets(environ: Mapping[str, str] | None = None) -> set[str]:
    """Every secret value `scrub` replaces: registered ones, and the environment's."""
    env = os.environ if environ is None else environ
    found = set(_registered)
    for item in env.items():
        derived = _from_env.get(item)
        if derived is None:
            derived = _from_env[item] = _env_secrets(*item)
            if len(_from_env) > 4096:  # a process that churns its environment
                _from_env.clear()
        found.update(derived)
    return found


# What each (name, value) of the environment holds, decided once: scrubbing an error
# then costs a walk over the environment's items, without a regular expression each.
_from_env: dict[tuple[str, str], tuple[str, ...]] = {}


def _env_secrets(name: str, value: str) -> tuple[str, ...]:
    if len(value) < _MIN_SECRET:
        return ()
    if _SECRET_ENV.search(name):
        return (value,)
    if _URL_ENV.search(name) and "://" in value:
        return tuple(url_secrets(value))
    return ()


def url_secrets(url: str) -> Iterable[str]:
    """The credentials inside a URL: its password, its secret query parameters' values."""
    try:
        parts = urlsplit(url)
        password = parts.password
    except ValueError:
        return []
    values = [] if password is None else [password, unquote(password)]
    if password is not None:
        # An HTTP client sends `user:password@` as a Basic Authorization header, which an
        # error body may quote back: its base64 form is the same secret.
        pair = f"{unquote(parts.username or '')}:{unquote(password)}"
        values.append(base64.b64encode(pair.encode()).decode())
    values += [v for k, v in parse_qsl(parts.query) if _secret_param(k)]
    return [v for v in values if len(v) >= _MIN_SECRET]


class Scrubber:
    """`scrub` with the known secrets looked up once: for scrubbing many texts at once."""

    __slots__ = ("_secrets",)

    def __init__(self, environ: Mapping[str, str] | None = None) -> None:
        self._secrets = sorted(known_secrets(environ), key=len, reverse=True)

    def __call__(self, text: str) -> str:
        if not text:
            return text
        if "://" in text:
            text = _URL.sub(_redact_match, text)
        for secret in self._secrets:
            if secret in text:
                text = text.replace(secret, MASK)
        return text


def _redact_match(match: re.Match[str]) -> str:
    url = match.group(0)
    body = url.rstrip(".,;:!?)]}")  # punctuation after a URL in prose is not part of it
    return redact_url(body) + url[len(body) :]


def scrub(text: str, environ: Mapping[str, str] | None = None) -> str:
    """`text` with every URL in it redacted and every known secret replaced by `***`."""
    return Scrubber(environ)(text) if text else text
