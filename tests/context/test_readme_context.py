"""The README's Context example runs as written."""

from __future__ import annotations

import re
import runpy
from pathlib import Path

import pytest

README = (Path(__file__).parents[2] / "README.md").read_text()


def test_the_readme_context_example_runs(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    section = README.split("## Context", 1)[1]
    (code,) = re.findall(r"```py\n(.*?)```", section.split("\n## ", 1)[0], re.DOTALL)
    script = tmp_path / "context_tour.py"
    script.write_text(code)
    monkeypatch.chdir(tmp_path)
    runpy.run_path(str(script), run_name="__main__")
    assert capsys.readouterr().out == "['At most 30 words per sentence.']\n"
