"""`seamline demo film|content`: datasets, comparators, and the per-mode summary."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from seamline.cli import app
from seamline.cli.demo import examples_dir
from seamline.cli.demo_examples import (
    DEMOS,
    ModeSummary,
    context_preparer,
    load_example,
    run_example,
    summarize,
)
from seamline.exceptions import ConfigError
from seamline.reliability.report import EndToEnd
from seamline.testing import ScriptedModel


def _end(mode: str, tasks: int, passed: int, escaped: int) -> EndToEnd:
    return EndToEnd(
        mode=mode,
        tasks=tasks,
        passed=passed,
        predicted=None,
        escalated=2,
        escaped_defects=escaped,
        model_calls=30,
        input_tokens=0,
        output_tokens=0,
        cost_usd=0.0,
        model_seconds=12.0,
        wall_seconds=0.0,
        losses=(),
    )


def test_correct_is_passed_and_equal_to_the_expected_artifacts() -> None:
    row = summarize(_end("on", tasks=10, passed=6, escaped=1))
    assert (row.correct, row.escaped, row.escalated) == (5, 1, 2)
    assert row.calls_per_task == 3.0 and row.seconds_per_task == 1.2
    low, high = row.interval
    assert 0.2 < low < 0.5 < high < 0.8
    assert row.to_dict()["correct_rate"] == 0.5


@pytest.mark.parametrize("example", sorted(DEMOS))
@pytest.mark.parametrize("dataset", ["dev", "generated"])
def test_every_dataset_loads_with_comparable_expectations(example: str, dataset: str) -> None:
    pipe, compare, tasks = load_example(examples_dir(), DEMOS[example], dataset)
    assert pipe.name == example and compare
    assert tasks and all(
        set(t["expected"]) <= {"scene_graph", "continuity", "verification", "publication"}
        for t in tasks
    )
    compared = {key.split(".")[0] for key in compare}
    assert all(compared <= set(t["expected"]) for t in tasks)


def test_an_unknown_dataset_names_the_known_ones() -> None:
    with pytest.raises(ConfigError, match="use dev, generated or a path"):
        load_example(examples_dir(), DEMOS["film"], "nope")


def test_an_unknown_example_is_refused_with_the_choices() -> None:
    result = CliRunner().invoke(app, ["demo", "cooking", "--model", "scripted"])
    assert result.exit_code != 0 and "use claims, film, content" in result.output


async def test_the_demo_signs_off_only_the_final_checkpoint(tmp_path: Path) -> None:
    """A run a gate escalated stays waiting for a person; a run at the sign-off resumes."""
    pipe, compare, tasks = load_example(examples_dir(), DEMOS["content"], "dev")
    task = next(t for t in tasks if t["id"] == "library-hours")
    # The scripted model uses nothing: the gate escalates the missing correction.
    model = ScriptedModel({"SelectionChoice": lambda r: {"use": False}, "ParagraphChoice": []})
    report = await run_example(
        pipe,
        compare,
        [task],
        name="t",
        store_url=f"sqlite:///{tmp_path / 'd.db'}",
        model=model,
        concurrency=1,  # type: ignore[arg-type]
        prepare=context_preparer(examples_dir(), DEMOS["content"]),
    )
    gated = summarize(report.reliability.gated.end_to_end)  # type: ignore[union-attr]
    assert isinstance(gated, ModeSummary)
    assert (gated.correct, gated.escalated) == (0, 1)


def test_json_output_is_the_json_alone(tmp_path: Path) -> None:
    """`--json` prints the summary alone on stdout (the human report goes to stderr)."""
    brief = {"id": "b", "title": "B", "text": "Somebody somewhere, maybe."}
    dataset = tmp_path / "briefs.jsonl"
    # The reading gate escalates this brief before any model call: no model is loaded.
    dataset.write_text(json.dumps({"id": "b", "brief": brief, "expected": {}}) + "\n")
    args = ["demo", "film", "--dataset", str(dataset), "--json", "--out", str(tmp_path)]
    result = CliRunner().invoke(app, [*args, "--model", "openai:gpt-4o-mini"])
    assert result.exit_code == 0, result.output
    summary = json.loads(result.stdout)
    assert summary["example"] == "film" and summary["dataset"] == str(dataset)
    assert "seamline demo film" in result.stderr
