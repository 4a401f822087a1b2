"""The questions the model is asked, as bounded JSON schemas.

Each retry asks a smaller question, with the gate's reasons in the prompt: level 0 is
the first attempt; level 1 the same question after the reasons; level 2 (the last
retry) leaves only what the reader established (a fact it found outdated can only be
left out; a paragraph can only be the fact's own sentence). A shadow run shows what
the model does alone; where the reader is wrong, so is the gated article.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, create_model

from .models import Fact, FactSheet

_FORBID = ConfigDict(extra="forbid")
_CHARS_PER_WORD = 8  # a long English word and its space


def selection_type(fact: Fact, sheet: FactSheet, *, level: int) -> type[BaseModel]:
    use: Any = bool
    if level >= 2 and fact.status != "current":
        use = Literal[False]
    elif level >= 2 and fact.id in sheet.must_use:
        use = Literal[True]
    return create_model("SelectionChoice", __config__=_FORBID, use=(use, ...))


def paragraph_type(fact: Fact, sheet: FactSheet, *, level: int) -> type[BaseModel]:
    limit = sheet.paragraph_words * _CHARS_PER_WORD
    text: Any = (str, Field(max_length=limit, description="One paragraph"))
    if level >= 2 and len(fact.text.split()) <= sheet.paragraph_words:
        text = (Literal[fact.text], ...)  # the fact's own sentence
    return create_model("ParagraphChoice", __config__=_FORBID, text=text)
