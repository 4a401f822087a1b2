"""The engine URL: every mistake named, with the form to use."""

from __future__ import annotations

import pytest

from seamline.engines.temporal import TemporalTarget, parse_target
from seamline.exceptions import ConfigError


def test_defaults() -> None:
    assert parse_target("temporal://temporal.internal") == TemporalTarget(
        "temporal.internal:7233", "default", "seamline", 10.0
    )


def test_every_option() -> None:
    target = parse_target(
        "temporal://127.0.0.1:7300?namespace=prod&task_queue=claims&heartbeat=2.5"
    )
    assert target == TemporalTarget("127.0.0.1:7300", "prod", "claims", 2.5)
    assert parse_target(target.url) == target  # what a run records reads back the same


@pytest.mark.parametrize(
    ("url", "says"),
    [
        ("http://127.0.0.1:7233", "is not a temporal:// URL"),
        ("temporal://", "names no host"),
        ("temporal://host:port", "the port is not a number"),
        ("temporal://host/ns", "a path means nothing here"),
        ("temporal://host?queue=x", "unknown option(s) ['queue']"),
        ("temporal://host?namespace=", "namespace= is empty"),
        ("temporal://host?heartbeat=0", "give seconds, a positive number"),
        ("temporal://host?heartbeat=soon", "give seconds, a positive number"),
    ],
)
def test_mistakes_are_named(url: str, says: str) -> None:
    with pytest.raises(ConfigError) as e:
        parse_target(url)
    assert says in str(e.value) and url in str(e.value)
