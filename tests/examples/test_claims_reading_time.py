"""Reading a claim document takes time in proportion to its length, whatever it holds.

Each text below once made a reader rescan what it had read (a spelled run retried from
every token, a regex trying every split of "a-a-a-...", a label read from the start of
the line before every number). The test times 25 KB and 50 KB of the same text and holds
the ratio, not a time: twice the text may cost about twice the time, not four times.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path

import pytest
from examples.claims.ids import ids_in_text
from examples.claims.money import money_in_text
from examples.claims.reading import read
from examples.claims.spelled import spelled_ids

_DEV_DOC = Path(__file__).parents[2] / "examples" / "claims" / "dev" / "docs" / "dev-001.txt"

# Linear reading doubles the time (ratio ~2); a quadratic one quadruples it (~4).
_MAX_RATIO = 3.0
# Below this, 50 KB is read fast whatever the ratio says (a few milliseconds' noise can
# triple a ratio); every quadratic case above took 4 s or more at 50 KB.
_FAST_ENOUGH = 0.25  # seconds


def _repeated(unit: str, size: int) -> str:
    return (unit * (size // len(unit) + 1))[:size]


def _best_time(reader: Callable[[str], object], text: str) -> float:
    # The best of three runs: a neighbour's load only ever adds time.
    times = []
    for _ in range(3):
        start = time.perf_counter()
        reader(text)
        times.append(time.perf_counter() - start)
    return min(times)


def _read_uncached(text: str) -> object:
    return read.__wrapped__(text)


@pytest.mark.slow
@pytest.mark.parametrize(
    ("reader", "unit"),
    [
        pytest.param(spelled_ids, "AB ", id="spelled-letters"),
        pytest.param(_read_uncached, "ABC ", id="read-capitals"),
        pytest.param(ids_in_text, "a-", id="lower-id-joints"),
        pytest.param(money_in_text, "$1,000", id="money-one-line"),
        pytest.param(_read_uncached, "$1,000", id="read-money-one-line"),
        pytest.param(_read_uncached, None, id="read-realistic-repeated"),
    ],
)
def test_reading_time_grows_linearly(reader: Callable[[str], object], unit: str | None) -> None:
    unit = unit if unit is not None else _DEV_DOC.read_text(encoding="utf-8")
    half = _best_time(reader, _repeated(unit, 25_000))
    full = _best_time(reader, _repeated(unit, 50_000))
    assert full < _FAST_ENOUGH or full / half < _MAX_RATIO, (
        f"25 KB: {half:.3f}s, 50 KB: {full:.3f}s"
    )
