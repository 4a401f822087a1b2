"""What a correct storyboard is, as comparators for `sl.evaluate(..., compare=COMPARE)`.

A film task is right when its scene graph has the expected cast with the expected
looks, the expected settings, each scene in the right setting at the right time of day
with exactly the right characters, and the right props held by the right people from
the right scene; and when the continuity critic passed the storyboard (expected
`continuity.passed: true`). Frames follow from the graph, so they are not compared.

Phrases are compared by their words, not their letters: an expected "curly red hair"
matches "a mop of curly red hair" and "black hair with a grey streak" matches "black
hair" (one look's words inside the other's, on a shared noun); "kitchen" matches
"small council-flat kitchen" but "river" does not match "river steps" (a place must end
on the same word); "grey" never matches "blue". Names match by any of their words ("Teo" is not enough: "Teodor" is). Lists
compare as sets: the order of characters or settings does not matter.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from typing import Any

_FILLER = frozenset({"a", "an", "the", "and", "with", "eyes", "eye", "her", "his", "their"})


def _words(value: Any) -> list[str]:
    return [w for w in re.findall(r"[^\W_]+", str(value).lower()) if w not in _FILLER]


def same_phrase(actual: Any, expected: Any) -> bool:
    """One phrase's words inside the other's, ending on the same word."""
    got, want = _words(actual), _words(expected)
    if not got or not want:
        return got == want
    inside = set(want) <= set(got) or set(got) <= set(want)
    return inside and got[-1] == want[-1]


def same_look(actual: Any, expected: Any) -> bool:
    """One look's words inside the other's, on a shared noun: "black hair" is "black hair
    with a grey streak"; "grey" is not "blue"."""
    got, want = _words(actual), _words(expected)
    if not got or not want:
        return got == want
    inside = set(want) <= set(got) or set(got) <= set(want)
    return inside and (got[-1] in want or want[-1] in got)


def same_name(actual: Any, expected: Any) -> bool:
    """The same person: every word of the shorter name is in the longer one."""
    got, want = set(_words(actual)), set(_words(expected))
    return bool(got and want) and (got <= want or want <= got)


def _same_set(match: Callable[[Any, Any], bool]) -> Callable[[Any, Any], bool]:
    def compare(actual: Any, expected: Any) -> bool:
        if not isinstance(actual, list) or not isinstance(expected, list):
            return False
        if len(actual) != len(expected):
            return False
        unused = list(actual)
        for want in expected:
            found = next((a for a in unused if match(a, want)), None)
            if found is None:
                return False
            unused.remove(found)
        return True

    return compare


def _character(actual: Mapping[str, Any], expected: Mapping[str, Any]) -> bool:
    return same_name(actual.get("name"), expected["name"]) and all(
        same_look(actual.get(k), expected[k]) for k in ("eye_color", "hair", "wardrobe")
    )


def _setting(actual: Mapping[str, Any], expected: Mapping[str, Any]) -> bool:
    when = expected.get("time_of_day")
    return same_phrase(actual.get("name"), expected["name"]) and (
        when is None or actual.get("time_of_day") == when
    )


def _scene(actual: Mapping[str, Any], expected: Mapping[str, Any]) -> bool:
    when = actual.get("time_of_day")
    return (
        actual.get("index") == expected["index"]
        and same_phrase(actual.get("setting"), expected["setting"])
        and ("time_of_day" not in expected or when == expected["time_of_day"])
        and _same_set(same_name)(actual.get("characters", []), expected["characters"])
    )


def _prop(actual: Mapping[str, Any], expected: Mapping[str, Any]) -> bool:
    return (
        same_phrase(actual.get("prop"), expected["prop"])
        and same_name(actual.get("holder"), expected["holder"])
        and actual.get("from_scene") == expected["from_scene"]
    )


COMPARE: dict[str, Callable[[Any, Any], bool]] = {
    "scene_graph.characters": _same_set(_character),
    "scene_graph.settings": _same_set(_setting),
    "scene_graph.scenes": _same_set(_scene),
    "scene_graph.props": _same_set(_prop),
}
"""Field comparators for `sl.evaluate` / `seamline eval --comparators`."""


_GRAPH_FIELDS = ("characters", "settings", "scenes", "props")


def comparable(expected: Mapping[str, Any]) -> dict[str, Any]:
    """The parts of a task's expected artifacts that decide correctness (see above).

    A generated task's expected frames, titles and scene actions are dropped: frames
    follow from the graph, and an action is free prose.
    """
    graph = expected.get("scene_graph", {})
    return {
        "scene_graph": {k: graph[k] for k in _GRAPH_FIELDS if k in graph},
        "continuity": {"passed": True},
    }
