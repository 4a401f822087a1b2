"""The two ways `seamline mcp serve` answers: stdio, and streamable HTTP with a bearer token.

HTTP listens on loopback unless told otherwise, and every request must carry
`Authorization: Bearer <token>`, the token being the value of an environment variable
(never a command-line argument, which other users can read from the process list, and
never printed). Requests without it get 401 before reaching the MCP layer.
"""

from __future__ import annotations

import hmac
import os
from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any

from seamline.exceptions import ConfigError
from seamline.mcp.serve import PipelineTools, build_server

Scope = MutableMapping[str, Any]
ASGIApp = Callable[
    [Scope, Callable[[], Awaitable[Any]], Callable[[Any], Awaitable[None]]], Awaitable[None]
]
MIN_TOKEN_LENGTH = 16
LOOPBACK = ("127.0.0.1", "localhost", "::1")


async def serve_stdio(tools: PipelineTools) -> None:
    """Answer MCP over this process's stdin and stdout until the client closes them."""
    from mcp.server.stdio import stdio_server

    server = build_server(tools)
    try:
        async with stdio_server() as (read, write):
            await server.run(read, write, server.create_initialization_options())
    finally:
        await tools.close()


def bearer_token(env: str) -> str:
    """The token HTTP clients must send, from the environment variable `env`.

    Raises:
        ConfigError: unset or too short; the message says how to set it.
    """
    token = os.environ.get(env, "")
    if len(token) < MIN_TOKEN_LENGTH:
        raise ConfigError(
            f"serving MCP over HTTP needs a bearer token of at least {MIN_TOKEN_LENGTH} "
            f"characters in ${env} (e.g. export {env}=$(python -c 'import secrets; "
            "print(secrets.token_urlsafe(32))')); clients send it as 'Authorization: Bearer ...'"
        )
    return token


class RequireBearer:
    """ASGI middleware: 401 unless the request carries the bearer token."""

    def __init__(self, app: ASGIApp, token: str) -> None:
        self.app = app
        self._expected = f"Bearer {token}".encode()

    async def __call__(self, scope: Scope, receive: Any, send: Any) -> None:
        if scope["type"] == "http":
            given = dict(scope.get("headers") or ()).get(b"authorization", b"")
            if not hmac.compare_digest(given, self._expected):
                await send(
                    {
                        "type": "http.response.start",
                        "status": 401,
                        "headers": [
                            (b"content-type", b"application/json"),
                            (b"www-authenticate", b'Bearer realm="seamline"'),
                        ],
                    }
                )
                await send(
                    {
                        "type": "http.response.body",
                        "body": b'{"error": "missing or wrong bearer token"}',
                    }
                )
                return
        await self.app(scope, receive, send)


def http_app(tools: PipelineTools, token: str, host: str) -> ASGIApp:
    """The streamable-HTTP app at `/mcp`, behind the bearer-token check."""
    server = build_server(tools)
    app = server.streamable_http_app(host=host)
    return RequireBearer(app, token)


async def serve_http(tools: PipelineTools, *, host: str, port: int, token: str) -> None:
    """Answer MCP over streamable HTTP at http://host:port/mcp until interrupted."""
    import uvicorn

    config = uvicorn.Config(
        http_app(tools, token, host), host=host, port=port, log_level="warning", lifespan="on"
    )
    try:
        await uvicorn.Server(config).serve()
    finally:
        await tools.close()
