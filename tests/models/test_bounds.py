"""max_tokens_for: the token limit that follows from an answer's schema."""

from __future__ import annotations

import json
from typing import Literal

import pytest
from pydantic import BaseModel, Field

import seamline as sl


class Pick(BaseModel):
    colour: Literal["green", "pale blue"]
    count: int = Field(ge=1, le=120)
    note: str = Field(max_length=10)
    tags: list[Literal["a", "bb"]] = Field(max_length=3)
    flag: bool


def test_the_longest_valid_answer_fits() -> None:
    longest = Pick(colour="pale blue", count=120, note="é" * 10, tags=["bb"] * 3, flag=False)
    compact = json.dumps(longest.model_dump(), separators=(",", ":"))
    # one token is at least one byte: the answer's bytes bound its tokens
    assert sl.max_tokens_for(Pick) >= len(compact.encode())


def test_a_bounded_schema_gets_a_small_limit() -> None:
    class Choice(BaseModel):
        setting: Literal["harbour pier", "ticket booth"]

    assert sl.max_tokens_for(Choice) < 40


@pytest.mark.parametrize(
    ("field", "message"),
    [
        (str, "text is a string without max_length"),
        (list[str], "text is a list without max_length"),
        (float, "text is a number value"),
    ],
)
def test_an_unbounded_field_is_named(field: type, message: str) -> None:
    Free = type("Free", (BaseModel,), {"__annotations__": {"text": field}})
    with pytest.raises(sl.ConfigError, match=message):
        sl.max_tokens_for(Free)


def test_nested_models_and_optional_fields_are_bounded() -> None:
    class Inner(BaseModel):
        name: Literal["Mara"]

    class Outer(BaseModel):
        people: list[Inner] = Field(max_length=2)
        maybe: Literal["x"] | None = None

    assert sl.max_tokens_for(Outer) >= len(
        '{"people":[{"name":"Mara"},{"name":"Mara"}],"maybe":null}'
    )
