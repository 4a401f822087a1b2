"""The Coordination Gap report on real work: its prediction holds on the fault-injected
benchmark, and on the claims example (local model) its numbers are the run log's."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from seamline.evals import evaluate, load_tasks
from seamline.events import GateEvaluated, RunFinished, StepStarted
from seamline.reliability import measure
from seamline.store import open_store

ROOT = Path(__file__).parent.parent
sys.path.insert(0, str(ROOT / "benchmarks"))


@pytest.mark.slow
async def test_predicted_and_measured_shadow_rates_agree_on_the_fault_benchmark() -> None:
    from bench_gates import reliability_pipeline

    from seamline.testing import FaultInjector

    logs = []
    for mode in ("shadow", "on"):
        pipe = reliability_pipeline(FaultInjector(0.03, seed=11), gated_retries=3)
        for i in range(1500):
            result = await pipe.run(
                {"task": {"text": "t", "step": "input"}},
                gates=mode,
                run_id=f"{mode}-{i}",
                raise_on_failure=False,
            )
            logs.append(result.events)
    report = measure(logs)
    assert report.shadow is not None and report.gated is not None
    shadow = report.shadow.end_to_end
    interval = shadow.interval
    assert shadow.predicted is not None and interval is not None
    # The product of per-seam first-pass yields falls inside the measured rate's interval,
    # and both sit near 0.97^6.
    assert interval.low <= shadow.predicted <= interval.high
    assert abs(shadow.predicted - 0.97**6) < 0.03
    gated = report.gated.end_to_end
    assert gated.interval is not None and gated.interval.low > 0.99
    assert gated.pass_rate == 1.0


@pytest.mark.slow
@pytest.mark.local_model
async def test_claims_report_names_the_losing_seam_and_matches_the_run_log(tmp_path: Path) -> None:
    from examples.claims.pipeline import pipe

    tasks = load_tasks(ROOT / "examples" / "claims" / "claims.jsonl")[:4]
    url = f"sqlite:///{tmp_path}/claims.db"
    report = await evaluate(
        pipe, tasks, name="gap", expected="expected", gates="both", store=url, model="local"
    )

    store = await open_store(url)
    try:
        logs = {r.run_id: await store.load(r.run_id) for r in report.runs}
    finally:
        await store.close()

    # Recompute from the log, independently of seamline.reliability.
    for mode, label in (("shadow", "shadow"), ("on", "gated")):
        runs = {run_id: events for run_id, events in logs.items() if run_id.endswith(f"-{mode}")}
        seam = report.reliability.mode(mode).seam("claim")  # type: ignore[union-attr]
        verdicts = [
            e
            for events in runs.values()
            for e in events
            if isinstance(e, GateEvaluated) and e.step == "claim"
        ]
        first = [
            next(e for e in events if isinstance(e, GateEvaluated) and e.step == "claim")
            for events in runs.values()
        ]
        attempts = [
            max(e.attempt for e in events if isinstance(e, StepStarted) and e.step == "claim")
            for events in runs.values()
        ]
        assert seam.units == len(runs), label
        assert seam.first_pass == sum(v.verdict.passed for v in first), label
        assert seam.catches == sum(
            not v.verdict.passed and not v.verdict.errored for v in verdicts
        ), label
        assert seam.attempts == sum(attempts), label
        assert seam.escalations == sum(v.action == "escalate" for v in verdicts), label
        finished = [
            next(e for e in reversed(events) if isinstance(e, RunFinished))
            for events in runs.values()
        ]
        end = report.reliability.mode(mode).end_to_end  # type: ignore[union-attr]
        assert end.tasks == len(runs)
        if mode == "on":
            assert end.passed == sum(f.status == "succeeded" for f in finished)

    # The report names the seam that loses most tasks: extraction, the only model step.
    gated = report.reliability.gated
    assert gated is not None
    lost = dict(gated.end_to_end.losses)
    if lost:
        assert gated.end_to_end.worst_seam == max(lost, key=lambda s: lost[s])
        assert gated.end_to_end.worst_seam == "claim"
