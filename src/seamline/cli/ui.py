"""`seamline ui`: the web dashboard and HTTP API over a run store."""

from __future__ import annotations

import asyncio
import getpass
import os
import sys
from pathlib import Path
from typing import Annotated

import typer

from seamline.cli._common import STORE_HELP, errors, fail, load_pipeline, store_url
from seamline.exceptions import SeamlineError

LOOPBACK = ("127.0.0.1", "localhost", "::1")


def ui_command(
    pipeline: Annotated[
        list[str] | None,
        typer.Option(
            "--pipeline",
            help="A pipeline this server may start, resume and decide for "
            "(path/to/file.py:pipe); repeat for several. Runs of others are read-only.",
        ),
    ] = None,
    store: Annotated[str | None, typer.Option(help=STORE_HELP)] = None,
    host: Annotated[
        str, typer.Option(help="The address to listen on (loopback by default).")
    ] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="The port.")] = 8765,
    token_file: Annotated[
        Path | None,
        typer.Option(
            help="Tokens, one a line: TOKEN [reviewer|viewer [NAME]]. Without it, one reviewer "
            "token is generated and printed."
        ),
    ] = None,
    reports: Annotated[
        Path | None, typer.Option(help="A folder of `seamline eval --html` reports to list.")
    ] = None,
    webhook: Annotated[
        list[str] | None,
        typer.Option(
            help="TYPE=URL: POST events of TYPE (approval_requested, run_finished, run_failed, "
            "pass_rate_below) to URL, signed with $SEAMLINE_WEBHOOK_SECRET; repeatable."
        ),
    ] = None,
    webhook_secret_file: Annotated[
        Path | None, typer.Option(help="A file holding the webhooks' signing secret.")
    ] = None,
    webhook_log: Annotated[
        Path | None, typer.Option(help="Append every webhook delivery to this JSON Lines file.")
    ] = None,
    pass_rate_threshold: Annotated[
        float, typer.Option(help="pass_rate_below fires when the gated pass rate falls below this.")
    ] = 0.9,
    pass_rate_window: Annotated[
        int, typer.Option(help="... over this many most recent gated runs of the pipeline.")
    ] = 50,
    reason_code: Annotated[
        list[str] | None,
        typer.Option(help="A reason code reviewers may pick when rejecting; repeatable."),
    ] = None,
) -> None:
    """Serve the dashboard: the approval inbox, runs, reliability, and a JSON HTTP API.

    Every page and endpoint needs a token; the server listens on loopback unless told
    otherwise. Decisions are made as the token's name (the audit trail in the run log).

    Example:

        seamline ui --pipeline examples/claims/pipeline.py:pipe --store sqlite:///runs.db

        seamline ui --token-file tokens.txt --webhook approval_requested=https://hooks.example/seamline
    """
    try:
        from seamline.web import create_app, server
        from seamline.web.auth import TokenBook
        from seamline.web.service import DEFAULT_REASON_CODES
        from seamline.web.webhooks import WebhookConfig
    except (ImportError, SeamlineError) as e:
        raise fail(str(e)) from None
    try:
        loaded = [load_pipeline(p) for p in pipeline or []]
        if token_file is not None:
            tokens, shown = TokenBook.from_file(token_file), None
        else:
            tokens, shown = TokenBook.generated(getpass.getuser())
        secret = os.environ.get("SEAMLINE_WEBHOOK_SECRET")
        if webhook_secret_file is not None:
            secret = webhook_secret_file.read_text(encoding="utf-8").strip()
        hooks = WebhookConfig.parse(
            webhook or [],
            secret,
            log_path=webhook_log,
            pass_rate_threshold=pass_rate_threshold,
            pass_rate_window=pass_rate_window,
        )
        if reports is not None and not reports.is_dir():
            raise SeamlineError(f"--reports {reports}: not a folder")
    except (SeamlineError, OSError) as e:
        raise fail(str(e)) from None
    if host not in LOOPBACK:
        errors.print(
            f"[yellow]warning:[/] listening on {host}, not loopback: anyone who can reach it "
            "and holds a token can decide approvals; put TLS in front of it"
        )

    async def main() -> None:
        from seamline.store import open_store

        opened = await open_store(store_url(store))
        try:
            app = create_app(
                opened,
                loaded,
                tokens,
                webhooks=hooks,
                reports=reports,
                reason_codes=tuple(reason_code or DEFAULT_REASON_CODES),
            )
            for pipe in loaded:
                await pipe.connect()  # the MCP servers the pipelines use, checked up front
            address = f"http://{host}:{port}/"
            errors.print(f"seamline ui: {address}" + (f"?token={shown}" if shown else ""))
            if shown:
                errors.print(
                    "(a reviewer token was generated for this run of the server; give --token-file to keep tokens)"
                )
            await server(app, host, port).serve()
        finally:
            await opened.close()

    try:
        asyncio.run(main())
    except SeamlineError as e:
        raise fail(str(e)) from None
    except KeyboardInterrupt:
        sys.exit(130)
