"""The content notes reader, on small notes written for these tests."""

from __future__ import annotations

from examples.content.facts import read_notes
from examples.content.models import ContentBrief, SourceNote, SourceNotes
from examples.content.rules import style_guide

BRIEF = ContentBrief(
    id="t", topic="Bus fares in Dunmore", audience="commuters", angle="Fares fell.", max_words=120
)


def _sheet(*notes: SourceNote):  # type: ignore[no-untyped-def]
    return read_notes(SourceNotes(notes=list(notes)), BRIEF, style_guide())


def _status(sheet) -> dict[str, str]:  # type: ignore[no-untyped-def]
    return {f.id: f.status for f in sheet.facts}


def test_a_newer_note_replaces_an_older_figure_for_the_same_measure() -> None:
    sheet = _sheet(
        SourceNote(
            id="n1",
            title="Fare table",
            date="2021-01",
            text="A single bus fare in Dunmore cost $3.20.",
        ),
        SourceNote(
            id="n2",
            title="Fare table",
            date="2025-01",
            text="A single bus fare in Dunmore costs $2.50.",
        ),
    )
    assert _status(sheet) == {"n1.1": "outdated", "n2.1": "current"}
    assert sheet.must_use == ["n2.1"] and sheet.bad_figures == ["3.20"]


def test_without_dates_a_conflict_is_disputed_not_settled() -> None:
    sheet = _sheet(
        SourceNote(id="n1", title="Flyer", text="A single bus fare in Dunmore cost $3.20."),
        SourceNote(id="n2", title="Leaflet", text="A single bus fare in Dunmore costs $2.50."),
    )
    assert set(_status(sheet).values()) == {"disputed"}


def test_a_note_that_calls_a_figure_wrong_discredits_every_fact_using_it() -> None:
    sheet = _sheet(
        SourceNote(
            id="n1", title="Blog", date="2024-01", text="Bus fares in Dunmore fell 60 percent."
        ),
        SourceNote(
            id="n2",
            title="Council",
            date="2024-02",
            text="The 60 percent figure is misleading. Fares fell 12 percent.",
        ),
    )
    status = _status(sheet)
    assert status["n1.1"] in ("discredited", "outdated")  # both: unusable
    assert (status["n2.1"], status["n2.2"]) == ("discredited", "current")
    assert "60" in sheet.bad_figures and "12" not in sheet.bad_figures


def test_a_corrected_figure_after_to_is_the_current_one() -> None:
    sheet = _sheet(
        SourceNote(
            id="n1",
            title="Council",
            date="2024-02",
            text="The fare estimate was revised to $2.50 in Dunmore.",
        ),
    )
    assert sheet.facts[0].status == "current"


def test_the_odd_note_out_is_off_topic_and_different_units_do_not_conflict() -> None:
    sheet = _sheet(
        SourceNote(
            id="n1", title="Fares", date="2024-01", text="A bus fare in Dunmore costs $2.50."
        ),
        SourceNote(
            id="n2",
            title="Timetable",
            date="2024-01",
            text="Buses in Dunmore run every 15 minutes.",
        ),
        SourceNote(
            id="n3",
            title="Gardening club",
            date="2024-01",
            text="Tomato seedlings go on sale in May.",
        ),
    )
    assert _status(sheet) == {"n1.1": "current", "n2.1": "current", "n3.1": "off_topic"}


def test_the_word_limit_sets_how_many_fact_paragraphs_fit() -> None:
    facts = [
        "A single bus fare in Dunmore costs $2.50.",
        "Dunmore buses run every 15 minutes.",
        "The night bus to Dunmore leaves at midnight.",
        "Dunmore commuters can buy weekly bus passes.",
        "Children ride Dunmore buses free.",
        "Dunmore bus drivers started a new rota.",
    ]
    notes = [SourceNote(id=f"n{i}", title="Fares", text=t) for i, t in enumerate(facts, 1)]
    short = read_notes(
        SourceNotes(notes=notes), BRIEF.model_copy(update={"max_words": 60}), style_guide()
    )
    long = read_notes(
        SourceNotes(notes=notes), BRIEF.model_copy(update={"max_words": 200}), style_guide()
    )
    assert short.paragraphs < long.paragraphs
    assert short.paragraphs * short.paragraph_words <= 60
