"""What a correct article is, as comparators for `sl.evaluate(..., compare=COMPARE)`.

A content task is right when its verification passed (every claim quotes its note,
every number in a paragraph is in a claim it cites, the brand rules and the word limit
hold, no replaced or discredited figure), no paragraph says more than the claims it
cites (at most two new content words: `verification.unsupported_wording` is empty), and, against what the task's author expects,
the article uses the figures it must (`publication.figures.include`: a corrected
figure), none it must not (`exclude`: the outdated, the misleading, the off-topic),
and cites none of the notes it must not (`publication.sources.exclude`).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from .rules import numbers


def _figures(actual: Any, expected: Any) -> bool:
    used = set().union(*(numbers(str(f)) for f in actual)) if actual else set()
    include = (
        set().union(*(numbers(str(f)) for f in expected.get("include", [])))
        if expected.get("include")
        else set()
    )
    exclude = (
        set().union(*(numbers(str(f)) for f in expected.get("exclude", [])))
        if expected.get("exclude")
        else set()
    )
    return include <= used and not used & exclude


def _sources(actual: Any, expected: Any) -> bool:
    cited = {str(s).casefold() for s in actual or []}
    include = {str(s).casefold() for s in expected.get("include", [])}
    exclude = {str(s).casefold() for s in expected.get("exclude", [])}
    return include <= cited and not cited & exclude


COMPARE: dict[str, Callable[[Any, Any], bool]] = {
    "publication.figures": _figures,
    "publication.sources": _sources,
}
"""Field comparators for `sl.evaluate` / `seamline eval --comparators`."""


def comparable(expected: Mapping[str, Any]) -> dict[str, Any]:
    """The parts of a task's expected artifacts that decide correctness (see above).

    A generated task's reference research and draft are prose a correct article need
    not repeat: it is held to verification and to the figures its notes hold.
    """
    verified = {"passed": True, "unsupported_wording": []}
    if "publication" in expected:
        return {"verification": verified, "publication": dict(expected["publication"])}
    return {
        "verification": verified,
        "publication": {"figures": {"include": [], "exclude": []}, "sources": {"exclude": []}},
    }
