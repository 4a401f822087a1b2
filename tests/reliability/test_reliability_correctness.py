"""Correctness against expected artifacts, waiting runs, time, reviewers: what a report shows."""

from __future__ import annotations

import json

import pytest
from reliability_logs import Claim, Run, failed, passed

from seamline.events import (
    ApprovalDecided,
    ApprovalRequested,
    Event,
    RunFinished,
    RunResumed,
    RunStatus,
)
from seamline.reliability import measure, plain_text, render_html, run_report
from seamline.reliability.stats import lift, wilson_interval
from seamline.verdict import CheckResult, Outcome, Verdict

RIGHT = {"claimant": "Ada", "amount": 120.0}
WRONG = {"claimant": "Ada", "amount": 99.0}


def two_checks(amount_flags: bool, name_flags: bool) -> Verdict:
    """A verdict of two checks: "amount" and "name", each failing or passing."""
    checks = (
        CheckResult("amount", "check", Outcome.FAILED if amount_flags else Outcome.PASSED),
        CheckResult("name", "check", Outcome.FAILED if name_flags else Outcome.PASSED),
    )
    return Verdict(not (amount_flags or name_flags), checks)


def confusion_runs() -> tuple[list[list[Event]], list[dict[str, object]]]:
    """Gated runs of one gated seam, one of each outcome."""
    right_accepted = Run().ok("claim", RIGHT, verdict=two_checks(False, False)).finish("succeeded")
    escaped = Run().ok("claim", WRONG, verdict=two_checks(False, False)).finish("succeeded")
    caught_then_fixed = (
        Run()
        .ok("claim", WRONG, verdict=two_checks(True, False), action="retry")
        .ok("claim", RIGHT, attempt=2, verdict=two_checks(False, False))
        .finish("succeeded")
    )
    caught = (
        Run()
        .ok("claim", WRONG, verdict=two_checks(True, False), action="escalate")
        .escalation("claim", None)
        .finish("needs_review")
    )
    false_alarm = (
        Run()
        .ok("claim", RIGHT, verdict=two_checks(False, True), action="escalate")
        .escalation("claim", None)
        .finish("needs_review")
    )
    runs = [right_accepted, escaped, caught_then_fixed, caught, false_alarm]
    return runs, [{"claim": RIGHT}] * len(runs)


def test_a_seam_counts_right_and_accepted_escaped_caught_and_false_alarms() -> None:
    runs, expected = confusion_runs()
    seam = measure(runs, expected=expected).gated.seam("claim")  # type: ignore[union-attr]

    assert (seam.scored, seam.right) == (5, 3)  # the last attempt's artifact is judged
    assert seam.right_accepted == 2  # right_accepted and caught_then_fixed
    assert seam.escaped_defects == 1 and seam.accepted == 3
    assert seam.escape_rate == pytest.approx(1 / 3)
    assert (seam.caught, seam.false_alarms) == (1, 1)
    assert seam.accuracy == pytest.approx(3 / 5)


def test_each_check_has_a_precision_and_a_recall() -> None:
    runs, expected = confusion_runs()
    seam = measure(runs, expected=expected).gated.seam("claim")  # type: ignore[union-attr]

    # Six evaluations: wrong artifacts in escaped, caught_then_fixed/1 and caught.
    amount, name, gate = seam.check("amount"), seam.check("name"), seam.check("(the gate)")
    assert (amount.evaluated, amount.flagged, amount.true_positives) == (6, 2, 2)
    assert (amount.precision, amount.recall) == (1.0, pytest.approx(2 / 3))
    assert amount.false_negatives == 1  # it let the escaped artifact through
    assert (name.flagged, name.false_positives, name.precision, name.recall) == (1, 1, 0.0, 0.0)
    assert (gate.kind, gate.flagged, gate.precision) == ("gate", 3, pytest.approx(2 / 3))


def test_end_to_end_correctness_is_the_pass_rate() -> None:
    runs, expected = confusion_runs()
    e = measure(runs, expected=expected).gated.end_to_end  # type: ignore[union-attr]

    assert (e.right, e.right_unaided, e.passed) == (2, 2, 3)
    assert e.pass_rate == pytest.approx(2 / 5)  # right, not "passed every gate"
    assert e.interval == wilson_interval(2, 5)
    assert e.gates_pass_rate == pytest.approx(3 / 5) and e.gates_interval == wilson_interval(3, 5)
    assert (e.right_accepted, e.escaped_defects, e.caught, e.false_alarms) == (2, 1, 1, 1)
    assert (e.waiting, e.pending_approvals, e.waiting_at) == (2, 2, (("claim", 2),))


def test_the_claim_seams_escapes_agree_with_the_end_to_end_row() -> None:
    """An accepted wrong claim flows into a decision that a checkpoint waits on: the seam's
    escape and the end-to-end escape are the same task."""
    run = (
        Run()
        .ok("claim", WRONG, verdict=passed())
        .ok("decision", {"pay": 99.0}, verdict=passed())
        .approval("decision", {"pay": 99.0})
        .finish("waiting")
    )
    report = measure([run], expected=[{"claim": RIGHT, "decision": {"pay": 120.0}}]).gated
    assert report is not None
    assert report.seam("claim").escaped_defects == 1
    assert report.seam("decision").escaped_defects == 1
    assert report.end_to_end.escaped_defects == 1  # it passed every gate so far, wrong
    assert report.end_to_end.right == 0  # not finished, and wrong
    (example,) = report.examples
    assert example.outcome == "escaped"
    assert [a.step for a in example.artifacts] == ["claim", "decision"]
    assert example.artifacts[0].artifact == WRONG and example.artifacts[0].expected == RIGHT
    assert example.artifacts[0].differences == ("claim.amount: got 99.0, expected 120.0",)


def test_a_run_waiting_at_a_checkpoint_is_waiting_not_lost() -> None:
    run = Run().ok("claim", RIGHT, verdict=passed()).approval("claim", RIGHT).finish("waiting")
    report = run_report(run)
    e = report.end_to_end
    assert (e.waiting, e.pending_approvals, e.losses, e.passed) == (1, 1, (), 0)
    (example,) = report.examples
    assert (example.outcome, example.pending) == ("waiting", 1)
    text = str(report)
    assert "waiting for a person (1 approval pending at claim)" in text
    assert "did not pass" not in text


def test_an_eval_of_waiting_runs_says_so_and_what_to_do() -> None:
    waiting = [
        Run().ok("claim", RIGHT, verdict=passed()).approval("claim", RIGHT).finish("waiting")
        for _ in range(3)
    ]
    text = plain_text(measure(waiting, expected=[{"claim": RIGHT}] * 3))
    assert "3 runs waiting for a person (3 approvals pending)" in text
    assert "--reviewer approve|expected" in text
    assert "loses most tasks" in text and "claim (" not in text.split("loses most tasks")[1]


def timed(events: list[tuple[float, Event]]) -> list[Event]:
    out = []
    for seq, (at, event) in enumerate(events):
        event.seq, event.at = seq, at
        out.append(event)
    return out


def test_wall_time_leaves_out_the_wait_for_a_person() -> None:
    run = Run().ok("claim", RIGHT, verdict=passed()).events  # five events: t = 1000 .. 1004
    run.append(ApprovalRequested(seq=0, approval_id="a", step="claim", artifact=RIGHT))
    run.append(RunFinished(seq=0, status=RunStatus.WAITING))
    run.append(ApprovalDecided(seq=0, approval_id="a", decision="approve"))
    run.append(RunResumed(seq=0, pid=1))
    run.append(RunFinished(seq=0, status=RunStatus.SUCCEEDED))
    times = [1000.0, 1001.0, 1002.0, 1003.0, 1004.0, 1005.0, 1005.5, 1600.0, 1601.0, 1603.0]
    run = timed(list(zip(times, run, strict=True)))
    e = run_report(run).end_to_end
    assert e.wall_seconds == pytest.approx(5.5 + 2.0)  # the two times a process drove it
    assert e.waiting_seconds == pytest.approx(1600.0 - 1005.0)  # request to decision
    assert "waiting for a person" in str(run_report(run))


def test_simulated_decisions_are_labelled_and_counted_apart() -> None:
    run = (
        Run()
        .ok("claim", RIGHT, verdict=passed())
        .approval(
            "claim", RIGHT, decision="approve", reviewer="simulated: expected", kind="simulated"
        )
        .finish("succeeded")
    )
    report = measure([run, run], expected=[{"claim": RIGHT}] * 2)
    e = report.gated.end_to_end  # type: ignore[union-attr]
    assert e.decisions == (("simulated", 2),) and e.human_decisions == 0
    assert e.reviewers == ("simulated: expected",)
    text = str(report)
    assert "2 simulated" in text
    assert "Reviewer decisions were simulated (simulated: expected)" in text
    assert "never counted as human agreement" in render_html(report)


def test_lift_of_gated_over_shadow_with_an_interval() -> None:
    shadow = [
        Run("shadow").ok("claim", WRONG, verdict=failed(), action="shadow").finish("succeeded")
    ] * 4
    gated = [Run().ok("claim", RIGHT, verdict=passed()).finish("succeeded")] * 4
    report = measure([*shadow, *gated], expected=[{"claim": RIGHT}] * 8)
    gain = report.lift()
    assert gain is not None
    assert (gain.a, gain.b, gain.difference) == (0.0, 1.0, 1.0)
    assert gain.interval.low > 0 and gain.significant
    assert report.lift("right_accepted", step="claim") == lift(0, 4, 4, 4)
    data = json.loads(json.dumps(report.to_dict()))
    assert data["lift"]["pass_rate"]["difference"] == 1.0
    assert "gated−shadow" in str(report) and "+100 pts [+" in str(report)


def test_newcombe_interval_matches_the_published_example() -> None:
    gain = lift(48, 80, 56, 70)  # Newcombe (1998), example (a): 56/70 - 48/80
    assert gain is not None
    assert gain.difference == pytest.approx(0.2)
    assert (round(gain.interval.low, 4), round(gain.interval.high, 4)) == (0.0524, 0.3339)


def test_the_html_shows_the_escaped_artifact_against_the_expected_one() -> None:
    run = Run().ok("claim", Claim(claimant="Ada", amount=99.0), verdict=passed())
    run.call("claim", model="local")
    html = render_html(measure([run.finish("succeeded")], expected=[{"claim": RIGHT}]))
    assert "Coordination Gap — claims on scripted, local" in html  # the models actually used
    card = html[html.index("<details class='task'>") :]
    assert "badge escaped" in card and "accepted by its gate" in card
    assert (
        "<tr class='bad'><th scope='row'>amount</th><td><code>99.0</code></td><td><code>120.0</code>"
        in card
    )
    assert "<tr class='ok'><th scope='row'>claimant</th>" in card
    assert "Correctness per seam" in html and "precision" in html


def test_an_approval_whose_work_was_reset_is_not_waiting() -> None:
    from seamline.events import Rewound

    run = Run().ok("claim", WRONG, verdict=passed()).approval("claim", WRONG)
    first = run.events[-1]
    assert isinstance(first, ApprovalRequested)
    run._add(
        Rewound,
        step="claim",
        steps=["claim"],
        feedback=["redo"],
        cause="reroute",
        closes=[first.approval_id],
    )
    run.ok("claim", RIGHT, attempt=2, verdict=passed()).approval("claim", RIGHT)
    e = run_report(run.finish("waiting")).end_to_end
    assert (e.waiting, e.pending_approvals) == (1, 1)  # only the second one is open
