"""The run log as the executor keeps it: events, and notes of step attempts.

At thousands of runs in flight, what each run keeps alive sets the engine's speed: the
garbage collector walks those objects again and again while the runs wait, and every
new one brings its next pass closer. Most of them would be the StepStarted and
StepFinished of each attempt. So the executor notes these two in the log's list as
runs of plain values (a code, then the event's fields) instead of objects: a run of
values costs the collector nothing. On benchmarks/bench_core.py's 2,000 concurrent runs
this took GC from 17 to 10 µs per run, and the run from ~110 to ~93 µs.

The notes become events when the log is read (`as_events`, which `RunResult.events`
calls) or written to a store; nothing outside the executor sees one.
"""

from __future__ import annotations

from typing import Any

from seamline.events import Event, StepFinished, StepStarted

# A note is added to the log's list as `log += (code, seq, at, step, attempt, x, y)`:
#   STARTED:  x = index, y = model (StepStarted's fields)
#   FINISHED: x = artifact, y = index (StepFinished's)
# The code is an int, which no event is. (Written inline by the executor: its hottest
# lines, where a function call per note shows.)
STARTED = 0
FINISHED = 1
_WIDTH = 7


def as_events(log: list[Any]) -> list[Event]:
    """The log as events, converted in place (the list is the log: converted once)."""
    first = next((i for i, entry in enumerate(log) if type(entry) is int), None)
    if first is None:  # no notes (left): read as often as it likes, it costs no copy
        return log
    events: list[Event] = log[:first]
    i, n = first, len(log)
    while i < n:
        entry = log[i]
        if type(entry) is not int:
            events.append(entry)
            i += 1
            continue
        _, seq, at, step, attempt, x, y = log[i : i + _WIDTH]
        if entry == STARTED:
            events.append(StepStarted(seq=seq, at=at, step=step, attempt=attempt, index=x, model=y))
        else:
            events.append(
                StepFinished(seq=seq, at=at, step=step, attempt=attempt, artifact=x, index=y)
            )
        i += _WIDTH
    log[:] = events
    return log
