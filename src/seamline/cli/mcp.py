"""`seamline mcp serve`: expose pipelines as MCP tools, over stdio or streamable HTTP."""

from __future__ import annotations

import asyncio
import sys
from typing import Annotated

import typer

from seamline.cli._common import STORE_HELP, errors, fail, load_pipeline, store_url
from seamline.exceptions import SeamlineError

mcp_app = typer.Typer(
    help="The Model Context Protocol: serve pipelines as MCP tools.", no_args_is_help=True
)


@mcp_app.command("serve")
def serve_command(
    pipelines: Annotated[
        list[str], typer.Argument(help="Pipelines to serve, each path/to/pipeline.py:pipe.")
    ],
    http: Annotated[
        bool, typer.Option("--http", help="Serve streamable HTTP at /mcp instead of stdio.")
    ] = False,
    host: Annotated[
        str, typer.Option(help="HTTP: the address to listen on (loopback by default).")
    ] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="HTTP: the port.")] = 8765,
    token_env: Annotated[
        str,
        typer.Option(
            help="HTTP: the environment variable holding the bearer token clients must send."
        ),
    ] = "SEAMLINE_MCP_TOKEN",
    wait: Annotated[
        float,
        typer.Option(help="Seconds a pipeline tool waits for its run before answering 'running'."),
    ] = 20.0,
    store: Annotated[str | None, typer.Option(help=STORE_HELP)] = None,
) -> None:
    """Serve pipelines as MCP tools, with tools to list runs, show a run and decide approvals.

    Each pipeline is a tool taking its inputs and answering with the run's id, status and
    artifacts; a run longer than --wait answers 'running' (poll show_run). Over HTTP a
    bearer token from $SEAMLINE_MCP_TOKEN is required, and it listens on loopback.

    Example:

        seamline mcp serve examples/ledger/pipeline.py:pipe --store sqlite:///runs.db

        SEAMLINE_MCP_TOKEN=... seamline mcp serve examples/ledger/pipeline.py:pipe --http --port 8765
    """
    from seamline.mcp.serve import PipelineTools
    from seamline.mcp.transports import LOOPBACK, bearer_token, serve_http, serve_stdio
    from seamline.store import open_store

    try:
        loaded = [load_pipeline(p) for p in pipelines]
        token = bearer_token(token_env) if http else ""
    except SeamlineError as e:
        raise fail(str(e)) from None
    if http and host not in LOOPBACK:
        errors.print(
            f"[yellow]warning:[/] listening on {host}, not loopback: anyone who can reach it "
            "and has the token can run these pipelines"
        )

    async def main() -> None:
        opened = await open_store(store_url(store))
        try:
            tools = PipelineTools(loaded, opened, wait_seconds=wait)
            for pipe in loaded:
                await pipe.connect()  # the MCP servers the pipelines use, checked up front
            if http:
                errors.print(f"seamline: serving MCP at http://{host}:{port}/mcp")
                await serve_http(tools, host=host, port=port, token=token)
            else:
                await serve_stdio(tools)
        finally:
            await opened.close()

    try:
        asyncio.run(main())
    except SeamlineError as e:
        raise fail(str(e)) from None
    except KeyboardInterrupt:
        sys.exit(130)
