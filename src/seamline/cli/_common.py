"""What every command shares: loading a pipeline by path, the store URL, JSON output."""

from __future__ import annotations

import importlib
import importlib.util
import json
import os
import sys
from collections.abc import Mapping
from pathlib import Path
from typing import Any, Literal, cast

import typer
from pydantic_core import to_jsonable_python
from rich.console import Console

from seamline.exceptions import ConfigError
from seamline.pipeline import Pipeline

console = Console()
errors = Console(stderr=True)

DEFAULT_STORE = "sqlite:///.seamline/runs.db"
STORE_HELP = (
    "Run store URL: sqlite:///path.db, postgresql://..., or memory://. "
    f"Default: $SEAMLINE_STORE, else {DEFAULT_STORE}."
)


def store_url(option: str | None) -> str:
    return option or os.environ.get("SEAMLINE_STORE") or DEFAULT_STORE


def import_file(path: Path) -> Any:
    """Import a Python file as a module. A file inside a package (folders with
    `__init__.py`) is imported under its dotted name, so its relative imports work."""
    path = path.resolve()
    parts = [path.stem]
    root = path.parent
    while (root / "__init__.py").exists():
        parts.insert(0, root.name)
        root = root.parent
    if str(root) not in sys.path:
        sys.path.insert(0, str(root))
    if len(parts) > 1:
        return importlib.import_module(".".join(parts))
    spec = importlib.util.spec_from_file_location(f"_seamline_user_{path.stem}", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


def load_pipeline(target: str) -> Pipeline:
    """`path/to/file.py:attr` or `package.module:attr` -> the Pipeline object it names."""
    location, _, attr = target.partition(":")
    attr = attr or "pipe"
    if location.endswith(".py") or os.sep in location:
        path = Path(location)
        if not path.exists():
            raise ConfigError(f"no file {location!r}; give path/to/pipeline.py:pipe")
        module = import_file(path)
    else:
        module = importlib.import_module(location)
    pipe = getattr(module, attr, None)
    if not isinstance(pipe, Pipeline):
        found = [k for k, v in vars(module).items() if isinstance(v, Pipeline)]
        raise ConfigError(
            f"{location} has no Pipeline named {attr!r}"
            + (f"; it has {found}: use {location}:{found[0]}" if found else "")
        )
    return pipe


GateMode = Literal["on", "shadow", "off"]


def gate_mode(value: str) -> GateMode:
    if value not in ("on", "shadow", "off"):
        raise fail(f"--gates {value!r}: use on, shadow or off")
    return cast(GateMode, value)


def print_json(value: Any) -> None:
    typer.echo(json.dumps(to_jsonable_python(value), indent=2, ensure_ascii=False))


def fail(message: str, code: int = 1) -> typer.Exit:
    errors.print(f"[bold red]error:[/] {message}")
    return typer.Exit(code)


def pipeline_for_run(events: list[Any], override: str | None) -> Pipeline:
    """The pipeline that made a run: `--pipeline` if given, else the file it was defined in."""
    from seamline.events import RunStarted

    if override:
        return load_pipeline(override)
    started = events[0]
    assert isinstance(started, RunStarted)
    source = started.options.get("source")
    if not source or not Path(source).exists():
        raise ConfigError(
            f"cannot find the code of pipeline {started.pipeline!r} (recorded source: {source}); "
            "pass --pipeline path/to/pipeline.py:pipe"
        )
    found = _pipelines_in(source)
    for pipe in found:
        if pipe.name == started.pipeline:
            return pipe
    raise ConfigError(
        f"{source} defines no pipeline named {started.pipeline!r}; pass --pipeline path/to/pipeline.py:pipe"
    )


def _pipelines_in(path: str) -> list[Pipeline]:
    return [v for v in vars(import_file(Path(path))).values() if isinstance(v, Pipeline)]


def print_agreement(agreement: Mapping[str, Mapping[str, float]]) -> None:
    """Judge/human agreement per gate, when humans (never simulated reviewers) decided on
    gated work."""
    for step, a in agreement.items():
        console.print(
            f"gate on {step}: a human agreed with the gate on {a['agree']:.0f} of "
            f"{a['decisions']:.0f} decisions ({a['rate']:.0%})"
        )
