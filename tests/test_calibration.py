"""Judge calibration against human decisions; simulated reviewers never count."""

from __future__ import annotations

import json
from pathlib import Path

from typer.testing import CliRunner

from seamline.calibration import Labelled, best_threshold, calibrate, is_simulated
from seamline.cli import app
from seamline.events import ApprovalDecided, ApprovalRequested, Event, GateEvaluated, RunStarted
from seamline.verdict import CheckResult, Outcome, Verdict


def decided_run(run: str, score: float, decision: str, reviewer: str = "ana") -> list[Event]:
    threshold = 0.7
    outcome = Outcome.PASSED if score >= threshold else Outcome.FAILED
    verdict = Verdict(
        score >= threshold, (CheckResult("faithful", "judge", outcome, None, score),), score
    )
    return [
        RunStarted(seq=0, pipeline="p", inputs={}),
        GateEvaluated(seq=1, step="claim", attempt=1, verdict=verdict, action="pass"),
        ApprovalRequested(seq=2, approval_id=f"{run}.2", step="claim", artifact={}),
        ApprovalDecided(seq=3, approval_id=f"{run}.2", decision=decision, reviewer=reviewer),
    ]


def test_agreement_and_the_threshold_that_maximizes_it() -> None:
    # People approved the 0.9 and 0.6 artifacts and rejected the 0.5 and 0.3 ones: at the
    # judge's 0.7 it agrees on 3 of 4; any threshold in (0.5, 0.6] agrees on all 4.
    logs = {
        "r1": decided_run("r1", 0.9, "approve"),
        "r2": decided_run("r2", 0.6, "approve"),
        "r3": decided_run("r3", 0.5, "reject"),
        "r4": decided_run("r4", 0.3, "edit"),
        "r5": decided_run("r5", 0.1, "approve", reviewer="simulated:expected"),
        "r6": decided_run("r6", 0.95, "reject", reviewer="scripted reviewer (demo)"),
    }
    (cal,) = calibrate(logs, {("claim", "faithful"): 0.7})
    assert (cal.decisions, cal.agree, cal.simulated) == (4, 3, 2)
    assert cal.best_agree == 4 and 0.5 < cal.best_threshold <= 0.6
    assert cal.interval[0] < 0.75 < cal.interval[1]


def test_ties_go_to_the_threshold_nearest_the_current_one() -> None:
    labelled = [Labelled(0.2, False), Labelled(0.8, True)]
    threshold, agree = best_threshold(labelled, 0.75)
    assert agree == 2 and threshold == 0.75


def test_simulated_reviewers_are_recognised_by_name() -> None:
    assert is_simulated("simulated:expected") and is_simulated("scripted reviewer (demo)")
    assert not is_simulated("ana@example.com") and not is_simulated(None)


def test_seamline_calibrate_reports_per_judge(tmp_path: Path) -> None:
    pipeline = tmp_path / "judged.py"
    pipeline.write_text(
        "from pydantic import BaseModel\nimport seamline as sl\n"
        "class Doc(BaseModel):\n    text: str\n"
        "pipe = sl.Pipeline('p', inputs={'doc': Doc})\n"
        "@pipe.step\nasync def claim(doc: Doc) -> Doc:\n    return doc\n"
        "pipe.gate('claim', sl.judge('faithful', rubric='faithful', threshold=0.7))\n"
    )
    store = f"sqlite:///{tmp_path}/runs.db"
    import asyncio

    from seamline.store import open_store

    async def fill() -> None:
        opened = await open_store(store)
        for run, score, decision in (("r1", 0.9, "approve"), ("r2", 0.4, "approve")):
            await opened.append(run, decided_run(run, score, decision))
        await opened.close()

    asyncio.run(fill())
    result = CliRunner().invoke(app, ["calibrate", f"{pipeline}:pipe", "--store", store, "--json"])
    assert result.exit_code == 0, result.output
    (row,) = json.loads(result.output)
    assert (row["judge"], row["decisions"], row["agree"], row["best_agree"]) == (
        "faithful",
        2,
        1,
        2,
    )
    assert row["best_threshold"] <= 0.4
