"""Measurement: per-seam and end-to-end reliability from run logs, the Coordination Gap report.

```python
from seamline.reliability import measure, print_report, write_html

report = measure([await store.load(run_id) for run_id in run_ids])
print_report(report)                  # rich table: seams, then end to end, modes side by side
write_html(report, "reliability.html")  # one self-contained file with charts
report.to_dict()                      # JSON-ready
```

`run_report(events)` measures one run (what `RunResult.report()` returns).
Definitions of every metric are in `seamline.reliability.metrics`.
"""

from __future__ import annotations

from seamline.reliability.compare import (
    Comparator,
    Matcher,
    approx,
    diff_artifacts,
    exact,
    field_matcher,
    same_text,
)
from seamline.reliability.html import render_html, write_html
from seamline.reliability.metrics import Runs, measure, run_report
from seamline.reliability.report import (
    EndToEnd,
    ModeReport,
    ReliabilityReport,
    SeamMetrics,
    TaskExample,
    VerdictExample,
)
from seamline.reliability.stats import Interval, wilson_interval
from seamline.reliability.terminal import plain_text, print_report, render

__all__ = [
    "Comparator",
    "EndToEnd",
    "Interval",
    "Matcher",
    "ModeReport",
    "ReliabilityReport",
    "Runs",
    "SeamMetrics",
    "TaskExample",
    "VerdictExample",
    "approx",
    "diff_artifacts",
    "exact",
    "field_matcher",
    "measure",
    "plain_text",
    "print_report",
    "render",
    "render_html",
    "run_report",
    "same_text",
    "wilson_interval",
    "write_html",
]
