"""What an annotation says about an artifact: its model type, whether it is a list, whether optional.

Validation compares these shapes between a producer's return annotation and a
reader's parameter annotation, so the messages can say exactly what to write instead.
"""

from __future__ import annotations

import types
import typing
from dataclasses import dataclass
from typing import Any

from pydantic import BaseModel

_NONE = type(None)


@dataclass(frozen=True, slots=True)
class Shape:
    """An artifact annotation, decomposed: `model`, `list[model]`, optionally `| None`."""

    model: type[BaseModel] | None  # None when the annotation is not a Pydantic model at all
    is_list: bool
    optional: bool
    annotation: Any

    @property
    def is_artifact(self) -> bool:
        return self.model is not None

    def element(self) -> Shape:
        """The shape of one item of a list artifact."""
        return Shape(self.model, False, False, self.model)

    def as_list(self) -> Shape:
        return Shape(self.model, True, False, list[self.model] if self.model else list)  # type: ignore[name-defined]

    def holds(self, value: Any) -> bool:
        """Is `value` an artifact of this shape?"""
        if self.is_list:
            return isinstance(value, list) and all(isinstance(v, self.model) for v in value)  # type: ignore[arg-type]
        return isinstance(value, self.model)  # type: ignore[arg-type]

    def accepts(self, produced: Shape) -> bool:
        """Can a parameter of this shape receive an artifact of shape `produced`?"""
        if self.model is None or produced.model is None or self.is_list != produced.is_list:
            return False
        return issubclass(produced.model, self.model)


def shape_of(annotation: Any) -> Shape:
    optional = False
    origin = typing.get_origin(annotation)
    if origin in (typing.Union, types.UnionType):
        args = [a for a in typing.get_args(annotation) if a is not _NONE]
        optional = len(args) < len(typing.get_args(annotation))
        if len(args) != 1:
            return Shape(None, False, optional, annotation)
        annotation = args[0]
        origin = typing.get_origin(annotation)
    is_list = origin is list
    inner = (
        typing.get_args(annotation)[0] if is_list and typing.get_args(annotation) else annotation
    )
    model = inner if isinstance(inner, type) and issubclass(inner, BaseModel) else None
    return Shape(model, is_list, optional, annotation)


def describe(annotation: Any) -> str:
    """A readable spelling of an annotation for error messages."""
    if isinstance(annotation, type) and typing.get_origin(annotation) is None:
        return annotation.__name__
    return repr(annotation).replace("typing.", "")
