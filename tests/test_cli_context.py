"""`seamline context add / search / list / learn` as a person would use them."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

from pydantic import BaseModel
from typer.testing import CliRunner

import seamline as sl
from seamline.cli import app

GUIDE = "# Guide\n\n## Banned words\n\n- synergy\n- leverage\n\n## Tone\n\nPlain and calm.\n"


def invoke(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(app, list(args), terminal_width=200)
    return result.exit_code, " ".join(result.output.split())  # errors wrap at the terminal


def test_add_search_list(tmp_path: Path) -> None:
    store = f"sqlite:///{tmp_path}/runs.db"
    (tmp_path / "docs").mkdir()
    (tmp_path / "docs" / "guide.md").write_text(GUIDE)
    code, out = invoke(
        "context",
        "add",
        str(tmp_path / "docs"),
        "--collection",
        "guide",
        "--store",
        store,
        "--json",
    )
    assert code == 0, out
    assert json.loads(out)["added"] == 1 and json.loads(out)["revision"] == 1
    code, out = invoke(
        "context", "add", str(tmp_path / "docs"), "--collection", "guide", "--store", store
    )
    assert code == 0 and "0 added or changed, 1 unchanged" in out

    code, out = invoke(
        "context",
        "search",
        "which words are banned",
        "--collection",
        "guide",
        "--store",
        store,
        "--json",
        "-k",
        "1",
    )
    assert code == 0, out
    (passage,) = json.loads(out)
    assert passage["heading"] == "Guide > Banned words" and passage["document"] == "guide.md"

    code, out = invoke("context", "list", "--store", store, "--json")
    assert code == 0
    assert [(c["name"], c["documents"], c["revision"]) for c in json.loads(out)] == [
        ("guide", 1, 1)
    ]


def test_mistakes_exit_1_with_what_to_do(tmp_path: Path) -> None:
    store = f"sqlite:///{tmp_path}/runs.db"
    code, out = invoke("context", "search", "x", "--collection", "nope", "--store", store)
    assert code == 1 and "seamline context add PATH --collection nope" in out
    code, out = invoke(
        "context", "add", str(tmp_path / "missing.md"), "--collection", "c", "--store", store
    )
    assert code == 1 and "no such file" in out
    code, out = invoke(
        "context", "search", "x", "--collection", "c", "--mode", "fuzzy", "--store", store
    )
    assert code == 1 and "use hybrid, keyword or dense" in out


class Q(BaseModel):
    text: str


def test_show_lists_what_each_step_read_and_what_changed_since(tmp_path: Path) -> None:
    pipe = sl.Pipeline("shown", inputs={"q": Q})

    @pipe.step
    async def answer(q: Q, ctx: sl.StepContext) -> Q:
        found = await ctx.search(q.text, collection="guide", k=1)
        return Q(text=found[0].text)

    store = f"sqlite:///{tmp_path}/runs.db"
    (tmp_path / "guide.md").write_text(GUIDE)
    code, out = invoke(
        "context", "add", str(tmp_path / "guide.md"), "--collection", "guide", "--store", store
    )
    assert code == 0, out
    result = asyncio.run(pipe.run({"q": Q(text="banned words")}, store=store))
    code, out = invoke("show", result.run_id, "--store", store)
    assert code == 0, out
    squeezed = out.replace(" ", "")  # rich wraps long lines wherever
    assert "readguide@r1'bannedwords':" in squeezed and "guide.md#0@" in squeezed
    assert "outdated" not in out
    (tmp_path / "guide.md").write_text(GUIDE.replace("synergy", "paradigm"))
    invoke("context", "add", str(tmp_path / "guide.md"), "--collection", "guide", "--store", store)
    code, out = invoke("show", result.run_id, "--store", store)
    squeezed = out.replace(" ", "")
    assert "outdated:guide/" in squeezed and "guide.mdwasreadatversion" in squeezed
