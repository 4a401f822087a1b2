"""The run graph and the trend chart: inline SVG, every name escaped."""

from __future__ import annotations

from seamline.reliability.stats import wilson_interval
from seamline.runtime.shape import StepShape
from seamline.web.charts import Node, Point, run_graph, trend


def test_the_graph_draws_each_step_after_what_it_reads_and_escapes_names() -> None:
    shape = {
        "a<b>": StepShape(reads=("doc",), gate=True),
        "c": StepShape(reads=("a<b>",), approval="step"),
        "d": StepShape(reads=("doc", "c")),
    }
    nodes = [Node("a<b>", "done", 2, True, False, False), Node("c", "waiting", 1, False, True, False), Node("d", "not started", 0, False, False, False)]
    svg = run_graph(shape, nodes, ["doc"])
    assert svg.startswith("<svg") and "a<b>" not in svg and "a&lt;b&gt;" in svg
    assert svg.count('class="node"') == 3 and svg.count('marker-end=') == 4  # one edge per read
    assert 'data-status="waiting"' in svg and "2 attempts · gate" in svg and "1 attempt · approval" in svg
    # Left to right by data flow: d reads c, so it stands right of it.
    x = {n: float(svg.split(f'data-step="{n}"')[1].split('x="')[1].split('"')[0]) for n in ("a&lt;b&gt;", "c", "d")}
    assert x["a&lt;b&gt;"] < x["c"] < x["d"]


def test_the_trend_has_a_point_and_an_interval_per_day() -> None:
    points = [Point("2026-12-01", 0.5, wilson_interval(5, 10), 10), Point("2026-12-02", 0.9, wilson_interval(9, 10), 10)]
    svg = trend({"gated": points, "shadow <x>": [Point("2026-12-01", None, None, 0)]}, {"gated": "#00f"}, "t")
    assert svg.count("<circle") == 2 and "<polygon" in svg and "shadow &lt;x&gt;" in svg
    assert "gated 2026-12-02: 90% of 10 [60%, 98%]" in svg
    assert "no finished runs" in trend({}, {}, "t")
