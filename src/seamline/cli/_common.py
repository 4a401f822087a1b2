"""What every command shares: the store URL, loading pipelines, errors, JSON and tables.

Exit codes, for every command: 0 it did what was asked; 1 it could not (a failed run,
a refused decision, a store that cannot be read, a pass rate below its threshold);
2 the command line itself is wrong (an unknown option, a bad choice, a missing argument).
"""

from __future__ import annotations

import json
import os
import shutil
import sys
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path
from typing import Any

import typer
from pydantic_core import to_jsonable_python
from rich.console import Console
from rich.markup import escape

from seamline.events import Event, RunStarted
from seamline.exceptions import ConfigError, SeamlineError
from seamline.pipeline import Pipeline
from seamline.redact import Scrubber, scrub
from seamline.registry import import_file, load_pipeline, pipeline_for_run
from seamline.store import RunStore

__all__ = [
    "DEFAULT_STORE",
    "STORE_HELP",
    "Column",
    "GateMode",
    "console",
    "errors",
    "escape",
    "fail",
    "import_file",
    "load_pipeline",
    "print_json",
    "read_json_file",
    "shown_store",
    "store_hint",
    "store_url",
    "table",
    "trusted_pipeline",
]

console = Console()
errors = Console(stderr=True)

DEFAULT_STORE = "sqlite:///.seamline/runs.db"
STORE_HELP = (
    "Run store URL: sqlite:///path.db, postgresql://..., or memory://. "
    f"Default: $SEAMLINE_STORE, else {DEFAULT_STORE}."
)
PIPELINE_HELP = (
    "The pipeline's code: path/to/pipeline.py:pipe or module:pipe. Default: the pipeline "
    "of the run's name in seamline.toml [pipelines] (or pyproject.toml "
    "[tool.seamline.pipelines]). Never taken from the store."
)


class GateMode(StrEnum):
    """How gates act in a run."""

    ON = "on"
    SHADOW = "shadow"
    OFF = "off"


def store_url(option: str | None) -> str:
    return option or os.environ.get("SEAMLINE_STORE") or DEFAULT_STORE


def shown_store(option: str | None) -> str:
    """The store URL as it may be printed: without credentials."""
    return scrub(store_url(option))


def store_hint(option: str | None) -> str:
    """` --store URL` to repeat in a printed hint, unless the default store was used."""
    if option is None:
        return ""
    return f" --store {shown_store(option)}"


def print_json(value: Any) -> None:
    typer.echo(json.dumps(to_jsonable_python(value), indent=2, ensure_ascii=False))


def fail(message: str, code: int = 1) -> typer.Exit:
    """Print `error: message` (its secrets scrubbed, its text never read as markup) and
    return the `typer.Exit` to raise."""
    errors.print(f"[bold red]error:[/] {escape(scrub(message))}", soft_wrap=True)
    return typer.Exit(code)


def read_json_file(path: Path, what: str) -> Any:
    """The JSON value in a file the person named, or a `ConfigError` naming the file."""
    try:
        text = path.read_bytes()
    except FileNotFoundError:
        raise ConfigError(f"{what} {path}: no such file") from None
    except IsADirectoryError:
        raise ConfigError(f"{what} {path} is a directory; name a JSON file") from None
    except OSError as exc:
        raise ConfigError(f"{what} {path} cannot be read: {exc.strerror or exc}") from None
    try:
        return json.loads(text)
    except UnicodeDecodeError:
        raise ConfigError(f"{what} {path} is not UTF-8 text; save it as UTF-8 JSON") from None
    except json.JSONDecodeError as exc:
        raise ConfigError(
            f"{what} {path} is not valid JSON: {exc.msg} at line {exc.lineno}, column {exc.colno}"
        ) from None
    except RecursionError:
        raise ConfigError(f"{what} {path} nests too deeply to read") from None


async def trusted_pipeline(
    store: RunStore, run_id: str, override: str | None
) -> tuple[Pipeline, list[Event]]:
    """The pipeline to continue a stored run with (never code the store names: see
    `seamline.registry`), and the run's log. Says on stderr when the pipeline's graph
    changed since the run started.

    Raises:
        StoreError: no such run, or its log is damaged.
        ConfigError, IncompatibleRun: see `seamline.registry.pipeline_for_run`.
    """
    from seamline.registry import graph_changes

    events = await store.load(run_id)
    started = events[0] if events else None
    if not isinstance(started, RunStarted):
        raise ConfigError(f"run {run_id!r}: its log does not begin with RunStarted")
    source = started.options.get("source") if isinstance(started.options, dict) else None
    pipe = pipeline_for_run(
        started.pipeline,
        run_id,
        override=override,
        hint=source if isinstance(source, str) else None,
    )
    changes = graph_changes(started.options.get("graph"), pipe.validate().graph)
    if changes:
        errors.print(
            f"[yellow]note:[/] pipeline {escape(pipe.name)!r} changed since run "
            f"{escape(run_id)} started ({escape('; '.join(changes))}); it goes on only if "
            "its log still fits the pipeline"
        )
    return pipe, events


def run_or_fail(coro: Any) -> Any:
    """Run a command's coroutine; a seamline error is a message and exit 1, never a
    traceback."""
    import asyncio

    try:
        return asyncio.run(coro)
    except SeamlineError as e:
        raise fail(str(e)) from None
    except KeyboardInterrupt:
        errors.print("interrupted")
        sys.exit(130)


@dataclass(frozen=True, slots=True)
class Column:
    """A table column. `keep`: never shortened (ids); other columns give up width, from
    the right, down to `least` characters, when the table is wider than the terminal."""

    name: str
    keep: bool = False
    least: int = 8


def table(
    columns: Sequence[Column], rows: Sequence[Sequence[str]], width: int | None = None
) -> str:
    """Rows as plain text columns that fit `width` (default: the terminal's, else 80).

    Ids are never cut; free text is shortened with `…` (the whole of it is in `--json`
    and `seamline show`). Plain text on purpose: thousands of rows print at once.
    """
    width = width or shutil.get_terminal_size((80, 24)).columns
    clean = Scrubber()
    cells = [[_one_line(clean(cell)) for cell in row] for row in rows]
    widths = [max([len(c.name), *(len(row[i]) for row in cells)]) for i, c in enumerate(columns)]
    excess = sum(widths) + 2 * (len(columns) - 1) - width
    for i in reversed(range(len(columns))):
        if excess <= 0:
            break
        if not columns[i].keep:
            least = max(columns[i].least, len(columns[i].name))
            give = min(excess, max(0, widths[i] - least))
            widths[i] -= give
            excess -= give
    lines = ["  ".join(c.name.ljust(w) for c, w in zip(columns, widths, strict=True)).rstrip()]
    for row in cells:
        lines.append("  ".join(_fit(cell, w) for cell, w in zip(row, widths, strict=True)).rstrip())
    return "\n".join(lines)


def _one_line(text: str) -> str:
    return " ".join(text.split()) if ("\n" in text or "\t" in text or "\r" in text) else text


def _fit(cell: str, width: int) -> str:
    return cell.ljust(width) if len(cell) <= width else cell[: width - 1] + "…"


def print_agreement(agreement: Mapping[str, Mapping[str, float]]) -> None:
    """Judge/human agreement per gate, when humans (never simulated reviewers) decided on
    gated work."""
    for step, a in agreement.items():
        console.print(
            f"gate on {escape(step)}: a human agreed with the gate on {a['agree']:.0f} of "
            f"{a['decisions']:.0f} decisions ({a['rate']:.0%})"
        )
