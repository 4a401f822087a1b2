"""Which code a command may run: pipelines the person names, or has configured.

A stored run says which pipeline it belongs to (its name, and its graph), never which
code to import: anyone who can write a shared store could otherwise make every
approver's machine run a file of their choosing. Commands that continue a stored run
(`seamline resume`, `approve`, `reject`, `replay`) therefore load the pipeline from

- `--pipeline path/to/pipeline.py:pipe` (or `package.module:pipe`), or
- the registry of pipelines the person trusts, looked up by the run's pipeline name: a
  `[pipelines]` table in `seamline.toml`, or `[tool.seamline.pipelines]` in
  `pyproject.toml`, in the working directory or the nearest directory above it that
  has one (or the file `$SEAMLINE_CONFIG` names):

```toml
[pipelines]
claims = "examples/claims/pipeline.py:pipe"   # relative to this file's directory
billing = "billing.pipelines:pipe"            # a module, importable from there
```

The pipeline found must carry the run's name (`IncompatibleRun` otherwise, before
anything is changed); a graph that changed since the run started is reported, and the
resume's own checks decide whether the run can go on.
"""

from __future__ import annotations

import hashlib
import importlib
import importlib.util
import json
import os
import re
import sys
import tomllib
import traceback
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from types import ModuleType
from typing import Any

from seamline.exceptions import ConfigError, IncompatibleRun
from seamline.pipeline import Pipeline

__all__ = [
    "Registry",
    "find_registry",
    "fingerprint",
    "graph_changes",
    "import_file",
    "load_pipeline",
    "pipeline_for_run",
]


def import_file(path: Path) -> ModuleType:
    """Import a Python file as a module. A file inside a package (folders with
    `__init__.py`) is imported under its dotted name, so its relative imports work.

    Raises:
        ConfigError: the file raised while it was imported; the message names the line.
    """
    path = path.resolve()
    parts = [path.stem]
    root = path.parent
    while (root / "__init__.py").exists():
        parts.insert(0, root.name)
        root = root.parent
    if str(root) not in sys.path:
        sys.path.insert(0, str(root))
    try:
        if len(parts) > 1:
            return importlib.import_module(".".join(parts))
        spec = importlib.util.spec_from_file_location(f"_seamline_user_{path.stem}", path)
        if spec is None or spec.loader is None:
            raise ConfigError(f"{path} cannot be imported as Python; name a .py file")
        module = importlib.util.module_from_spec(spec)
        sys.modules[spec.name] = module
        spec.loader.exec_module(module)
        return module
    except ConfigError:
        raise
    except BaseException as exc:  # the user's code: SyntaxError, NameError, SystemExit ...
        if isinstance(exc, KeyboardInterrupt):
            raise
        raise ConfigError(f"importing {path} failed: {_where(exc, path)}") from None


def _where(exc: BaseException, path: Path) -> str:
    """The exception, and the innermost line of the user's file it came from."""
    if isinstance(exc, SyntaxError):
        return f"SyntaxError: {exc.msg} (line {exc.lineno})"
    lines = [
        f"{Path(frame.filename).name}, line {frame.lineno}"
        for frame in traceback.extract_tb(exc.__traceback__)
        if Path(frame.filename).resolve().parent == path.parent or frame.filename == str(path)
    ]
    where = f" ({lines[-1]})" if lines else ""
    return f"{type(exc).__name__}: {exc}{where}"


def load_pipeline(target: str, *, base: Path | None = None) -> Pipeline:
    """`path/to/file.py:attr` or `package.module:attr` -> the Pipeline object it names.

    Args:
        target: where the pipeline is; `attr` defaults to `pipe`.
        base: the directory relative paths and modules are found from (default: the
            working directory).

    Raises:
        ConfigError: no such file or module, it fails to import, or it has no such
            Pipeline (the message lists the pipelines it has).
    """
    location, _, attr = target.strip().partition(":")
    attr = attr or "pipe"
    folder = base or Path.cwd()
    if not location:
        raise ConfigError(f"pipeline {target!r}: give path/to/pipeline.py:pipe or module:pipe")
    if location.endswith(".py") or "/" in location or os.sep in location:
        path = folder / location
        if not path.is_file():
            raise ConfigError(
                f"no file {location!r}"
                + (f" in {folder}" if base else "")
                + "; give path/to/pipeline.py:pipe"
            )
        module = import_file(path)
    else:
        module = _import_module(location, folder)
    pipe = getattr(module, attr, None)
    if not isinstance(pipe, Pipeline):
        found = [k for k, v in vars(module).items() if isinstance(v, Pipeline)]
        raise ConfigError(
            f"{location} has no Pipeline named {attr!r}"
            + (f"; it has {found}: use {location}:{found[0]}" if found else "")
        )
    return pipe


def _import_module(name: str, folder: Path) -> ModuleType:
    """Import `package.module` as `python -m` would from `folder`: the folder comes first."""
    if str(folder) not in sys.path:
        sys.path.insert(0, str(folder))
    try:
        return importlib.import_module(name)
    except ModuleNotFoundError as exc:
        if exc.name is not None and name.startswith(exc.name):  # the module itself
            raise ConfigError(
                f"no module {name!r} importable from {folder} ({exc}); give "
                "path/to/pipeline.py:pipe, or run from the directory that holds the package"
            ) from None
        raise ConfigError(f"importing {name} failed: {type(exc).__name__}: {exc}") from None
    except ConfigError:
        raise
    except Exception as exc:
        raise ConfigError(f"importing {name} failed: {type(exc).__name__}: {exc}") from None


@dataclass(frozen=True)
class Registry:
    """The pipelines a person trusts, by name, and the file that says so (None: none)."""

    path: Path | None = None
    targets: Mapping[str, str] = field(default_factory=dict)

    def describe(self) -> str:
        if self.path is None:
            return "no seamline.toml [pipelines] or pyproject.toml [tool.seamline.pipelines] found"
        return f"{self.path} {self._table()}"

    def _table(self) -> str:
        return (
            "[tool.seamline.pipelines]"
            if self.path and self.path.name == "pyproject.toml"
            else "[pipelines]"
        )

    def load(self, name: str) -> Pipeline | None:
        """The pipeline registered as `name`, or None if the registry has none."""
        target = self.targets.get(name)
        if target is None:
            return None
        assert self.path is not None
        pipe = load_pipeline(target, base=self.path.parent)
        if pipe.name != name:
            raise ConfigError(
                f"{self.path} {self._table()} maps {name!r} to {target!r}, whose pipeline is "
                f"named {pipe.name!r}; map each name to the pipeline of that name"
            )
        return pipe


def find_registry(start: Path | None = None, environ: Mapping[str, str] | None = None) -> Registry:
    """The registry in effect: `$SEAMLINE_CONFIG`'s file, else the nearest `seamline.toml`
    with `[pipelines]` or `pyproject.toml` with `[tool.seamline.pipelines]`, from `start`
    (the working directory) up.

    Raises:
        ConfigError: such a file is not valid TOML, or its table is not name = "target".
    """
    env = os.environ if environ is None else environ
    if configured := env.get("SEAMLINE_CONFIG"):
        path = Path(configured)
        if not path.is_file():
            raise ConfigError(f"$SEAMLINE_CONFIG names {path}, which does not exist")
        return Registry(path, _table(path, ("pipelines",)) or {})
    folder = (start or Path.cwd()).resolve()
    for directory in (folder, *folder.parents):
        for name, keys in (
            ("seamline.toml", ("pipelines",)),
            ("pyproject.toml", ("tool", "seamline", "pipelines")),
        ):
            candidate = directory / name
            if candidate.is_file():
                table = _table(candidate, keys)
                if table is not None:
                    return Registry(candidate, table)
    return Registry()


def _table(path: Path, keys: tuple[str, ...]) -> dict[str, str] | None:
    try:
        with path.open("rb") as f:
            data: Any = tomllib.load(f)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path} is not valid TOML: {exc}") from None
    except UnicodeDecodeError:
        raise ConfigError(f"{path} is not UTF-8 text; save it as UTF-8 TOML") from None
    except OSError as exc:
        raise ConfigError(f"cannot read {path}: {exc.strerror or exc}") from None
    for key in keys:
        if not isinstance(data, dict) or key not in data:
            return None
        data = data[key]
    where = f"{path} [{'.'.join(keys)}]"
    if not isinstance(data, dict) or not all(isinstance(v, str) for v in data.values()):
        raise ConfigError(
            f'{where} must map pipeline names to where they are: claims = "path/to/pipeline.py:pipe"'
        )
    return dict(data)


def pipeline_for_run(
    pipeline: str,
    run_id: str,
    *,
    override: str | None = None,
    registry: Registry | None = None,
    hint: str | None = None,
) -> Pipeline:
    """The pipeline to continue run `run_id` of pipeline `pipeline` with: `override`
    (a target the person named), else the registry's entry for that name.

    Args:
        hint: where the run says it was started from: shown to help the person find the
            code, never imported.

    Raises:
        ConfigError: nothing names the pipeline, or its code cannot be loaded.
        IncompatibleRun: the pipeline given has another name than the run's.
    """
    if override:
        pipe = load_pipeline(override)
        if pipe.name != pipeline:
            raise IncompatibleRun(
                run_id,
                f"it belongs to pipeline {pipeline!r}, and --pipeline {override} is {pipe.name!r}",
            )
        return pipe
    found = registry if registry is not None else find_registry()
    registered = found.load(pipeline)
    if registered is not None:
        return registered
    started = f" (its log says it was started from {hint})" if hint else ""
    key = pipeline if _BARE_KEY.fullmatch(pipeline) else json.dumps(pipeline)
    raise ConfigError(
        f"run {run_id!r} belongs to pipeline {pipeline!r}{started}, which is not configured "
        f"here ({found.describe()}). Pass --pipeline path/to/pipeline.py:pipe, or add "
        f'{key} = "path/to/pipeline.py:pipe" under [pipelines] in seamline.toml'
    )


_BARE_KEY = re.compile(r"[A-Za-z0-9_-]+")


def fingerprint(graph: Any) -> str:
    """A short digest of a pipeline's graph (`RunStarted.options["graph"]`)."""
    text = json.dumps(graph, sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(text.encode()).hexdigest()[:12]


def graph_changes(recorded: Any, current: Mapping[str, Any]) -> list[str]:
    """How a pipeline's graph differs from the one a run recorded at its start: empty
    when they are the same (or the run is older than recorded graphs)."""
    if not isinstance(recorded, Mapping) or fingerprint(recorded) == fingerprint(current):
        return []
    changes = [f"graph {fingerprint(recorded)} then, {fingerprint(current)} now"]
    added = sorted(set(current) - set(recorded))
    removed = sorted(set(recorded) - set(current))
    changed = sorted(n for n in set(current) & set(recorded) if current[n] != recorded[n])
    for label, names in (("added", added), ("removed", removed), ("changed", changed)):
        if names:
            changes.append(f"step(s) {', '.join(map(repr, names))} {label}")
    return changes
