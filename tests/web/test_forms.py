"""The edit form made from an artifact's JSON schema, and what a person posts back."""

from __future__ import annotations

import datetime as dt
from enum import StrEnum
from typing import Literal

from pydantic import BaseModel, Field, TypeAdapter, field_validator

from seamline.web import forms


class Kind(StrEnum):
    storm = "storm"
    fire = "fire"


class Address(BaseModel):
    city: str
    zip: str | None = None


class Claim(BaseModel):
    claimant: str = Field(description="as written in the document")
    amount: float
    items: int = 1
    kind: Kind
    channel: Literal["mail", "web"] = "web"
    urgent: bool = False
    incident_date: dt.date
    reported_at: dt.datetime | None = None
    notes: list[str] = []
    amounts: list[float] = []
    address: Address
    extra: dict[str, int] = {}

    @field_validator("amount")
    @classmethod
    def positive(cls, value: float) -> float:
        if value <= 0:
            raise ValueError("must be positive")
        return value


SHOWN = {
    "claimant": "Ana Ruiz",
    "amount": 15.0,
    "items": 2,
    "kind": "storm",
    "channel": "web",
    "urgent": True,
    "incident_date": "2026-03-04",
    "reported_at": "2026-03-05T10:11:12",
    "notes": ["roof", "window"],
    "amounts": [1.5, 2],
    "address": {"city": "Lyon", "zip": None},
    "extra": {"a": 1},
}


def made() -> list[forms.Field]:
    return forms.fields(TypeAdapter(Claim).json_schema(), SHOWN)


def posted(**changes: str) -> dict[str, str]:
    form = {f"field.{f.name}": f.shown for f in made() if f.kind != "checkbox" or f.value}
    form.update({f"field.{k.replace('__', '.')}": v for k, v in changes.items()})
    return form


def test_every_field_gets_the_input_its_type_needs() -> None:
    kinds = {f.name: (f.kind, f.required) for f in made()}
    assert kinds == {
        "claimant": ("text", True),
        "amount": ("number", True),
        "items": ("integer", False),
        "kind": ("select", True),
        "channel": ("select", False),
        "urgent": ("checkbox", False),
        "incident_date": ("date", True),
        "reported_at": ("datetime", False),
        "notes": ("lines", False),
        "amounts": ("lines", False),
        "address.city": ("text", True),
        "address.zip": ("text", False),
        "extra": ("json", False),
    }
    by_name = {f.name: f for f in made()}
    assert by_name["kind"].options == ("storm", "fire")
    assert by_name["notes"].shown == "roof\nwindow"
    assert by_name["claimant"].description == "as written in the document"
    assert by_name["reported_at"].shown == "2026-03-05T10:11:12"


def test_what_is_posted_back_unchanged_is_the_artifact_shown() -> None:
    data, checked = forms.read(made(), posted())
    assert not any(f.errors for f in checked)
    value, _ = forms.validate(Claim, data, checked)
    assert value == Claim.model_validate(SHOWN)


def test_an_edit_is_read_and_validated() -> None:
    data, checked = forms.read(made(), posted(amount="15750", address__city="Paris", notes="a\n\nb"))
    value, _ = forms.validate(Claim, data, checked)
    assert value is not None and value.amount == 15750 and value.address.city == "Paris"
    assert value.notes == ["a", "b"]
    unticked = {k: v for k, v in posted().items() if k != "field.urgent"}
    value, _ = forms.validate(Claim, *forms.read(made(), unticked))
    assert value is not None and value.urgent is False


def test_mistakes_are_marked_on_their_fields_and_nothing_is_accepted() -> None:
    data, checked = forms.read(
        made(), posted(amount="lots", items="2.5", extra="{nope", amounts="1\nx")
    )
    errors = {f.name: f.errors for f in checked if f.errors}
    assert errors == {
        "amount": ("'lots' is not a number",),
        "items": ("'2.5' is not a whole number",),
        "amounts": ("'x' is not a number",),
        "extra": ("not valid JSON: Expecting property name enclosed in double quotes (line 1)",),
    }
    # The type's own rules too: a validator, a wrong choice, a missing required value.
    data, checked = forms.read(made(), posted(amount="-3", kind="flood", incident_date=""))
    errors = {f.name: f.errors for f in checked if f.errors}
    assert errors == {"incident_date": ("required",)}
    data, checked = forms.read(made(), posted(amount="-3", kind="flood"))
    value, marked = forms.validate(Claim, data, checked)
    errors = {f.name: f.errors for f in marked if f.errors}
    assert value is None
    assert set(errors) == {"amount", "kind"}
    assert "must be positive" in errors["amount"][0]


def test_a_non_object_artifact_is_edited_as_json() -> None:
    (field,) = forms.fields(TypeAdapter(list[int]).json_schema(), [1, 2])
    assert field.kind == "json" and field.shown == "[\n  1,\n  2\n]"
    data, checked = forms.read([field], {"field.": "[3, 4]"})
    assert forms.validate(list[int], data, checked)[0] == [3, 4]
