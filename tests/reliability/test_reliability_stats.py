"""The Wilson interval, and the predicted pass rate as the product of first-pass yields."""

from __future__ import annotations

import math

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from reliability_logs import Run, failed, passed

from seamline.reliability import measure, wilson_interval


@pytest.mark.parametrize(
    ("successes", "trials", "low", "high"),
    [
        # Reference values (Wilson 1927; e.g. statsmodels proportion_confint method="wilson")
        (0, 10, 0.0, 0.2775),
        (10, 10, 0.7225, 1.0),
        (5, 10, 0.2366, 0.7634),
        (81, 100, 0.7222, 0.8749),
        (1, 1, 0.2065, 1.0),
    ],
)
def test_wilson_known_values(successes: int, trials: int, low: float, high: float) -> None:
    interval = wilson_interval(successes, trials)
    assert interval.low == pytest.approx(low, abs=5e-5)
    assert interval.high == pytest.approx(high, abs=5e-5)


def test_wilson_rejects_impossible_counts() -> None:
    with pytest.raises(ValueError, match="trials must be positive"):
        wilson_interval(0, 0)
    with pytest.raises(ValueError, match=r"successes must be in \[0, 3\]"):
        wilson_interval(4, 3)


@given(st.integers(1, 500).flatmap(lambda n: st.tuples(st.integers(0, n), st.just(n))))
def test_wilson_contains_the_estimate(counts: tuple[int, int]) -> None:
    successes, trials = counts
    interval = wilson_interval(successes, trials)
    assert 0 <= interval.low <= successes / trials <= interval.high <= 1


# Per run, per seam: did the first attempt pass the gate? Seams run in order, always.
outcomes = st.integers(1, 5).flatmap(
    lambda seams: st.lists(st.lists(st.booleans(), min_size=seams, max_size=seams), min_size=1)
)


# No deadline: this machine's load is not what the test is about (timings live in benchmarks/).
@settings(deadline=None)
@given(outcomes, st.sampled_from(["on", "shadow"]))
def test_predicted_is_the_product_of_first_pass_yields(runs: list[list[bool]], gates: str) -> None:
    logs = []
    for firsts in runs:
        run = Run(gates)
        for n, ok in enumerate(firsts):
            if gates == "shadow":
                run.ok(f"s{n}", verdict=passed() if ok else failed(), action="shadow")
            else:
                if not ok:
                    run.ok(f"s{n}", verdict=failed(), action="retry")
                run.ok(f"s{n}", attempt=1 + (not ok), verdict=passed())
        logs.append(run.finish("succeeded"))

    report = measure(logs).modes[0]

    yields = [sum(r[n] for r in runs) / len(runs) for n in range(len(runs[0]))]
    assert [s.first_pass_yield for s in report.seams] == pytest.approx(yields)
    assert report.end_to_end.predicted == pytest.approx(math.prod(yields))
    every_seam_passed = sum(all(r) for r in runs)
    expected_passed = every_seam_passed if gates == "shadow" else len(runs)
    assert report.end_to_end.passed == expected_passed
