"""`seamline context ...`: add documents to the context store, search it, list it."""

from __future__ import annotations

import asyncio
import datetime as dt
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from seamline.cli._common import console, fail, load_pipeline, print_json, store_url
from seamline.exceptions import SeamlineError

context_app = typer.Typer(
    help="The context store: versioned documents that steps search with ctx.search.",
    no_args_is_help=True,
)

CONTEXT_HELP = (
    "Context store URL (sqlite:///path.db, postgresql://...). Default: the run store "
    "($SEAMLINE_STORE, else sqlite:///.seamline/runs.db): the context has tables of its own there."
)
EMBEDDER_HELP = (
    "local (the embedded MiniLM, the default when installed; also: minilm), static "
    "(WordLlama's static vectors: ~100x faster, fewer paraphrases found) or none "
    "(keyword search only). Search a collection with the embedder it was added with."
)


def _embedder(name: str | None) -> Any:
    from seamline.context.embedders import local_available

    if name is None:
        return "local" if local_available() else None
    if name == "none":
        return None
    if name in ("local", "minilm", "static"):
        return name
    raise fail(f"--embedder {name!r}: use local (or minilm), static or none")


async def _open(store: str | None, embedder: str | None) -> Any:
    from seamline.context import open_context

    return await open_context(store_url(store), embedder=_embedder(embedder))


def _run(coro: Any) -> Any:
    try:
        return asyncio.run(coro)
    except SeamlineError as e:
        raise fail(str(e)) from None


@context_app.command("add")
def add_command(
    paths: Annotated[
        list[Path], typer.Argument(help="Files or directories (.md .txt .json .jsonl .csv).")
    ],
    collection: Annotated[str, typer.Option(help="The collection to add them to.")],
    store: Annotated[str | None, typer.Option(help=CONTEXT_HELP)] = None,
    embedder: Annotated[str | None, typer.Option(help=EMBEDDER_HELP)] = None,
    max_chars: Annotated[int, typer.Option(help="Largest chunk, in characters.")] = 800,
    overlap: Annotated[int, typer.Option(help="Characters shared by consecutive chunks.")] = 120,
    as_json: Annotated[bool, typer.Option("--json", help="Print what changed as JSON.")] = False,
) -> None:
    """Add documents to a collection: new ones, and new versions of changed ones.

    Unchanged documents are skipped; a changed one becomes a new version, and runs that
    already started keep reading the version they started with.

    Example:

        seamline context add examples/content/style_guide.md --collection style-guide
    """
    from seamline.context import load_paths

    async def go() -> Any:
        docs = list(load_paths(paths))
        if not docs:
            raise fail(
                f"no documents found in {', '.join(map(str, paths))} (.md .txt .json .jsonl .csv)"
            )
        opened = await _open(store, embedder)
        try:
            with Progress(
                TextColumn("adding"),
                BarColumn(),
                MofNCompleteColumn(),
                TimeElapsedColumn(),
                console=console,
                transient=True,
                disable=as_json or len(docs) < 20,
            ) as bar:
                task = bar.add_task("add", total=len(docs))
                return await opened.add(
                    collection,
                    docs,
                    max_chars=max_chars,
                    overlap=overlap,
                    progress=lambda done, total: bar.update(task, completed=done),
                )
        finally:
            await opened.close()

    result = _run(go())
    if as_json:
        print_json(result)
        return
    console.print(
        f"{result.collection}: {result.added} added or changed, {result.unchanged} unchanged, "
        f"{result.chunks} chunks; revision {result.revision}"
    )


@context_app.command("search")
def search_command(
    query: Annotated[str, typer.Argument(help="What to look for.")],
    collection: Annotated[str, typer.Option(help="The collection to search.")],
    k: Annotated[int, typer.Option("-k", "--k", help="How many passages.")] = 5,
    mode: Annotated[str, typer.Option(help="hybrid, keyword or dense.")] = "hybrid",
    revision: Annotated[
        int | None, typer.Option(help="Search the collection as it was at this revision.")
    ] = None,
    store: Annotated[str | None, typer.Option(help=CONTEXT_HELP)] = None,
    embedder: Annotated[str | None, typer.Option(help=EMBEDDER_HELP)] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print the passages as JSON.")] = False,
) -> None:
    """Search a collection as a step would, and show the passages it returns.

    Example:

        seamline context search "which words are banned?" --collection style-guide --json
    """
    if mode not in ("hybrid", "keyword", "dense"):
        raise fail(f"--mode {mode!r}: use hybrid, keyword or dense")

    async def go() -> Any:
        opened = await _open(store, embedder)
        try:
            return await opened.search(
                query,
                collection=collection,
                k=k,
                revision=revision,
                mode=mode,
            )
        finally:
            await opened.close()

    passages = _run(go())
    if as_json:
        print_json(passages)
        return
    if not passages:
        console.print("nothing found")
    for p in passages:
        where = f"{p.document}#{p.chunk} @{p.version[:8]}"
        console.print(
            f"[bold]{p.score:.4f}[/]  {where}" + (f"  [dim]{p.heading}[/]" if p.heading else "")
        )
        console.print("  " + p.text.replace("\n", "\n  ")[:600], markup=False, highlight=False)


@context_app.command("list")
def list_command(
    store: Annotated[str | None, typer.Option(help=CONTEXT_HELP)] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
) -> None:
    """List the collections: documents, chunks, revision, embedder, last change.

    Example:

        seamline context list --json
    """

    async def go() -> Any:
        opened = await _open(store, "none")
        try:
            return await opened.collections()
        finally:
            await opened.close()

    found = _run(go())
    if as_json:
        print_json(found)
        return
    table = Table("collection", "documents", "chunks", "revision", "embedder", "updated")
    for c in found:
        updated = (
            dt.datetime.fromtimestamp(c.updated_at).strftime("%Y-%m-%d %H:%M")
            if c.updated_at
            else "-"
        )
        table.add_row(
            c.name,
            str(c.documents),
            str(c.chunks),
            str(c.revision),
            c.embedder or "none (keyword)",
            updated,
        )
    console.print(
        table
        if found
        else "no collections; add some with `seamline context add PATH --collection NAME`"
    )


@context_app.command("learn")
def learn_command(
    target: Annotated[str, typer.Argument(help="The pipeline: path/to/pipeline.py:pipe.")],
    store: Annotated[str | None, typer.Option(help=CONTEXT_HELP)] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print the count as JSON.")] = False,
) -> None:
    """Write the examples of every approve / edit decision in the run store that is not
    written yet (decisions are written as they are taken; this catches up).

    Example:

        seamline context learn examples/claims/pipeline.py:pipe
    """
    from seamline.context.learn import learn_from_runs
    from seamline.store import open_store

    async def go() -> int:
        pipe = load_pipeline(target)
        runs = await open_store(store_url(store))
        context = await _open(store, None)
        try:
            return await learn_from_runs(context, pipe, runs)
        finally:
            await context.close()
            await runs.close()

    new = _run(go())
    if as_json:
        print_json({"written": new})
        return
    console.print(f"{new} new example(s) written")
