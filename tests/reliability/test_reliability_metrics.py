"""Every metric of `measure`, on hand-built logs, with numbers derived by hand."""

from __future__ import annotations

import json
import math

import pytest
from reliability_logs import Claim, Run, failed, gate_error, judged, passed, schema_failure

from seamline.events import Event, decode, encode
from seamline.reliability import diff_artifacts, measure, run_report, wilson_interval


def gated_runs() -> dict[str, list[Event]]:
    """Four gated runs of claim (gated) -> decision (no gate)."""
    g1 = Run().ok("claim", verdict=passed()).ok("decision").finish("succeeded")
    g2 = (
        Run()
        .ok("claim", verdict=failed(skipped_judge=True), action="retry")
        .ok("claim", attempt=2, verdict=judged(0.41, passed=False), action="retry")
        .call("claim", 2, purpose="judge", cost=0.002)
        .ok("claim", attempt=3, verdict=judged(0.9, passed=True))
        .ok("decision")
        .finish("succeeded")
    )
    g3 = (
        Run()
        .error("claim", kind="retry", verdict=schema_failure())  # malformed output: a catch
        .ok("claim", attempt=2, verdict=gate_error(), action="retry")
        .ok("claim", attempt=3, verdict=failed(), action="escalate")
        .escalation("claim", "approve")  # the human says the gate was wrong
        .ok("decision")
        .finish("succeeded")
    )
    g4 = (
        Run()
        .ok("claim", verdict=passed())
        .error("decision", kind="exception")
        .finish("failed", "step 'decision' failed")
    )
    return {"g1": g1, "g2": g2, "g3": g3, "g4": g4}


def shadow_runs() -> list[list[Event]]:
    """Four shadow runs: claim (gated) -> decision, and a map step `line` in the last."""
    s1 = Run("shadow").ok("claim", verdict=passed(), action="shadow").ok("decision")
    s2 = Run("shadow").ok("claim", verdict=failed(), action="shadow").ok("decision")
    s3 = Run("shadow").ok("claim", verdict=passed(), action="shadow").error("decision")
    s4 = (
        Run("shadow")
        .ok("claim", verdict=passed(), action="shadow")
        .ok("line", index=0, verdict=passed(), action="shadow")
        .ok("line", index=1, verdict=failed("total is wrong"), action="shadow")
    )
    return [
        s1.finish("succeeded"),
        s2.finish("succeeded"),  # succeeded, but the claim gate would have stopped it
        s3.finish("failed"),
        s4.finish("succeeded"),
    ]


def test_gated_seam_with_retries_escalation_gate_error_and_skipped_judge() -> None:
    claim = measure(gated_runs()).gated.seam("claim")  # type: ignore[union-attr]

    assert claim.gated
    assert claim.units == 4
    assert claim.first_pass == 2  # g1 and g4 passed on their first attempt
    assert claim.first_pass_yield == 0.5
    assert claim.attempts == 1 + 3 + 3 + 1
    assert claim.evaluations == 8
    # g2 x2 (check, judge), g3's schema failure and its escalated attempt; not the gate error
    assert claim.catches == 4
    assert claim.catch_rate == 0.5
    assert claim.gate_errors == 1
    assert claim.escalations == 1
    assert claim.passed_units == 3  # g3 never passed the gate: a human let it through
    assert claim.retries_to_pass == pytest.approx(2 / 3)  # (0 + 2 + 0) / 3
    assert claim.judges_skipped == 1
    # the skipped judge, priced at the mean cost of the same judge where it ran
    assert claim.judge_cost_saved_usd == pytest.approx(0.002)
    assert claim.false_rejections == 1  # the human approved what the gate escalated
    assert claim.escaped_defects is None  # no expected artifacts given
    # one step call per finished attempt (7), plus one judge call
    assert (claim.model_calls, claim.judge_calls) == (8, 1)
    assert claim.input_tokens + claim.output_tokens == 8 * 120
    assert claim.cost_usd == pytest.approx(7 * 0.001 + 0.002)
    assert claim.judge_cost_usd == pytest.approx(0.002)
    assert claim.seconds == pytest.approx(8 * 0.5)


def test_ungated_seam_passes_by_finishing() -> None:
    decision = measure(gated_runs()).gated.seam("decision")  # type: ignore[union-attr]

    assert not decision.gated
    assert (decision.units, decision.first_pass, decision.passed_units) == (4, 3, 3)
    assert decision.first_pass_yield == 0.75
    assert decision.evaluations == decision.catches == 0
    assert decision.catch_rate is None
    assert decision.retries_to_pass == 0


def test_gated_end_to_end() -> None:
    e = measure(gated_runs()).gated.end_to_end  # type: ignore[union-attr]

    # g3 completed, but only because a person approved what its gate escalated: it did not
    # pass every gate.
    assert (e.mode, e.tasks, e.passed, e.completed) == ("on", 4, 2, 3)
    assert e.pass_rate == 0.5
    assert e.interval == wilson_interval(2, 4)
    assert e.right is None  # no expected artifacts: correctness is unknown
    assert e.predicted == pytest.approx(0.5 * 0.75)
    assert e.escalated == 1
    assert e.escaped_defects is None
    # g3 was stopped at claim (a person let it through), g4 where its step errored
    assert e.losses == (("claim", 1), ("decision", 1))
    assert e.worst_seam == "claim"
    assert e.model_calls == 8 + 3
    assert e.cost_usd == pytest.approx(0.009 + 0.003)
    assert e.cost_per_success == pytest.approx(0.012 / 2)  # failures paid for by successes
    assert e.calls_per_success == pytest.approx(11 / 2)
    assert e.tokens_per_success == pytest.approx(11 * 120 / 2)
    assert e.seconds_per_success == pytest.approx(11 * 0.5 / 2)
    assert e.per_task(e.model_calls) == pytest.approx(11 / 4)
    # events are one second apart: a run lasts (number of events - 1) seconds
    walls = sum(len(events) - 1 for events in gated_runs().values())
    assert e.wall_seconds == walls
    assert e.waiting_seconds == 1  # g3's escalation was decided a second after it was asked


def test_shadow_runs_measure_the_ungated_pipeline() -> None:
    report = measure(shadow_runs())
    shadow = report.shadow
    assert shadow is not None and report.gated is None

    assert [s.step for s in shadow.seams] == ["claim", "decision", "line"]
    assert [(s.units, s.first_pass) for s in shadow.seams] == [(4, 3), (3, 2), (2, 1)]
    assert shadow.seam("claim").catches == 1
    assert shadow.seam("line").catch_rate == 0.5
    e = shadow.end_to_end
    assert e.predicted == pytest.approx(0.75 * (2 / 3) * 0.5)
    assert report.predicted == e.predicted
    # s2 and s4 succeeded, but a gate would have stopped them; s3 failed outright
    assert (e.tasks, e.passed) == (4, 1)
    assert e.losses == (("claim", 1), ("decision", 1), ("line", 1))
    assert [x.outcome for x in shadow.examples] == ["caught", "failed", "caught"]
    assert [x.lost_at for x in shadow.examples] == ["claim", "decision", "line"]


def test_shadow_and_gated_side_by_side() -> None:
    report = measure([*shadow_runs(), *gated_runs().values()])

    assert [m.mode for m in report.modes] == ["shadow", "on"]
    assert report.predicted == pytest.approx(0.25)  # from the ungated (shadow) runs
    assert report.seams == report.gated.seams  # type: ignore[union-attr]
    data = json.loads(json.dumps(report.to_dict()))
    assert data["modes"]["on"]["end_to_end"]["pass_rate"] == 0.5
    assert data["modes"]["shadow"]["end_to_end"]["interval"] == pytest.approx(
        [wilson_interval(1, 4).low, wilson_interval(1, 4).high]
    )
    assert data["modes"]["on"]["seams"][0]["retries_to_pass"] == pytest.approx(2 / 3)


def test_failing_examples_carry_verdicts_and_artifacts() -> None:
    runs = gated_runs()
    examples = measure(runs).gated.examples  # type: ignore[union-attr]
    assert [(e.run_id, e.outcome) for e in examples] == [("g3", "escalated"), ("g4", "failed")]
    example = examples[1]
    assert (example.run_id, example.status, example.lost_at) == ("g4", "failed", "decision")
    assert example.error == "step 'decision' failed"

    g2 = measure({"g2": runs["g2"]}).modes[0]
    assert g2.examples == ()  # it passed
    g3 = Run().ok("claim", Claim(claimant="Ada", amount=-3), verdict=failed(), action="fail")
    example = measure([g3.finish("failed")]).modes[0].examples[0]
    (verdict,) = example.verdicts
    assert verdict.reasons == ["amount is positive: amount is negative"]
    assert verdict.artifact == {"claimant": "Ada", "amount": -3.0}
    assert (verdict.step, verdict.attempt, verdict.action) == ("claim", 1, "fail")


def test_expected_artifacts_give_false_rejections_and_escaped_defects() -> None:
    right = {"claimant": "Ada", "amount": 120.0}
    e1 = (  # rejected a right artifact, then passed it again
        Run()
        .ok("claim", right, verdict=failed(), action="retry")
        .ok("claim", right, attempt=2, verdict=passed())
        .finish("succeeded")
    )
    e2 = Run().ok("claim", {"claimant": "Ada", "amount": 99.0}, verdict=passed())  # escapes
    e3 = Run().ok("claim", {"amount": 5.0}, verdict=passed())  # no expectation: not judged
    e4 = (  # escalated; a human edited it right: the gate was right, and nothing escaped
        Run()
        .ok("claim", {"claimant": "Ada", "amount": -1.0}, verdict=failed(), action="escalate")
        .escalation("claim", "edit", edit=right)
    )
    runs = [e1, e2.finish("succeeded"), e3.finish("succeeded"), e4.finish("succeeded")]
    expected: list[dict[str, object] | None] = [
        {"claim": right},
        {"claim": {"amount": 120.0}},
        None,
        {"claim": right},
    ]

    report = measure(runs, expected=expected).gated
    assert report is not None
    claim = report.seam("claim")
    assert claim.false_rejections == 1
    assert claim.escaped_defects == 1
    assert report.end_to_end.escaped_defects == 1
    escaped, caught = report.examples  # the wrong answer that passed its gate comes first
    assert (escaped.outcome, caught.outcome) == ("escaped", "caught")
    assert escaped.mismatches == ("claim.amount: got 99.0, expected 120.0",)


def test_expected_items_of_a_map_step() -> None:
    run = (
        Run()
        .ok("line", {"total": 1}, index=0, verdict=passed())
        .ok("line", {"total": 5}, index=1, verdict=passed())
        .finish("succeeded")
    )
    report = measure([run], expected=[{"line": [{"total": 1}, {"total": 2}]}]).modes[0]
    assert report.seam("line").units == 2
    assert report.seam("line").escaped_defects == 1
    assert report.examples[0].mismatches == ("line.total: got 5, expected 2",)


def test_expected_must_match_the_runs() -> None:
    with pytest.raises(ValueError, match="expected has 2 entries for 1 runs"):
        measure([Run().finish("succeeded")], expected=[None, None])


def test_diff_artifacts_compares_the_fields_expected() -> None:
    claim = Claim(claimant="Ada", amount=1.0)
    assert diff_artifacts("claim", claim, {"amount": 1.0}) == []
    assert diff_artifacts("claim", claim, claim) == []
    assert diff_artifacts("claim", claim, {"claimant": "Bob"}) == [
        "claim.claimant: got 'Ada', expected 'Bob'"
    ]
    assert diff_artifacts("n", 3, 4) == ["n: got 3, expected 4"]


def test_events_read_back_from_a_store_measure_the_same() -> None:
    runs = gated_runs()
    stored = {k: [decode(*_kind_seq_payload(e)) for e in v] for k, v in runs.items()}
    assert measure(stored).to_dict() == measure(runs).to_dict()


def test_unfinished_and_waiting_runs_are_tasks_that_did_not_pass() -> None:
    running = Run().ok("claim", verdict=passed()).events
    waiting = Run().ok("claim", verdict=failed(), action="escalate").escalation("claim", None)
    report = measure([running, waiting.finish("needs_review")]).modes[0]
    assert (report.end_to_end.tasks, report.end_to_end.passed) == (2, 0)
    assert report.end_to_end.losses == (("claim", 2),)


def test_gates_off_runs_are_their_own_mode() -> None:
    off = Run("off").ok("claim").ok("decision").finish("succeeded")
    report = measure([off, *gated_runs().values()])
    assert [m.mode for m in report.modes] == ["off", "on"]
    assert report.mode("off").end_to_end.pass_rate == 1.0  # type: ignore[union-attr]


def test_run_report_is_one_run_with_a_readable_table() -> None:
    report = run_report(gated_runs()["g2"])
    assert [s.step for s in report.seams] == ["claim", "decision"]
    assert report.seam("claim").retries_to_pass == 2
    text = str(report)
    assert "claim" in text and "decision" in text and "first" in text
    assert "The run" in text and "succeeded" in text and "passed" in text
    assert "95% interval" not in text  # meaningless for one run
    assert all(line == line.rstrip() for line in text.splitlines())


def test_run_report_of_an_empty_log() -> None:
    report = run_report([])
    assert report.seams == ()
    assert report.end_to_end.tasks == 0
    assert report.end_to_end.pass_rate is None
    assert "seam" in str(report) or "no runs" in str(report)


def test_an_empty_report() -> None:
    report = measure([])
    assert report.modes == () and report.seams == () and report.predicted is None
    assert "no runs" in str(report)


def test_keyerror_names_the_seams() -> None:
    report = run_report(gated_runs()["g1"])
    with pytest.raises(KeyError, match="no seam 'nope'"):
        report.seam("nope")


def test_predicted_is_a_product() -> None:
    report = measure(shadow_runs())
    yields = [s.first_pass_yield for s in report.seams]
    assert report.predicted == pytest.approx(math.prod(y for y in yields if y is not None))


def _kind_seq_payload(event: Event) -> tuple[str, int, dict[str, object]]:
    kind, payload = encode(event)
    return kind, event.seq, payload


def test_reroute_fallback_and_budget_actions() -> None:
    run = (
        Run()
        .ok("outline", verdict=passed())
        .ok("draft", verdict=failed(), action="reroute:outline")  # sends work back upstream
        .ok("outline", attempt=2, verdict=passed())
        .ok("draft", attempt=2, verdict=failed(), action="fallback:big-model")
        .ok("draft", attempt=3, verdict=failed(), action="budget")  # the run's budget ran out
        .finish("failed", "budget 'cost_usd' exceeded at step 'draft'")
    )
    report = run_report(run)
    outline, draft = report.seam("outline"), report.seam("draft")
    assert (outline.attempts, outline.first_pass, outline.catches) == (2, 1, 0)
    assert (draft.attempts, draft.first_pass, draft.catches, draft.passed_units) == (3, 0, 3, 0)
    assert draft.retries_to_pass is None  # never passed
    assert report.end_to_end.losses == (("draft", 1),)
    assert report.examples[0].error == "budget 'cost_usd' exceeded at step 'draft'"
    assert [v.action for v in report.examples[0].verdicts] == [
        "reroute:outline",
        "fallback:big-model",
        "budget",
    ]
