"""Write `briefs.jsonl` for the content example: four briefs, each with its source
notes, a reference research summary and a reference draft that passes verification.

    python -m examples.content.make_data

The sources are invented for the example (every organisation in them is
fictional); only their consistency matters: the reference research quotes them
verbatim and the reference draft uses no number they do not contain.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

HERE = Path(__file__).parent
DISCLOSURE = (
    "This article was drafted with AI assistance from our research notes and checked by an editor."
)


def note(id: str, title: str, text: str) -> dict[str, str]:
    return {"id": id, "title": title, "text": text}


def claim(id: str, statement: str, source_id: str, quote: str) -> dict[str, str]:
    return {"id": id, "statement": statement, "source_id": source_id, "quote": quote}


def para(text: str, *claim_ids: str) -> dict[str, Any]:
    return {"text": text, "claim_ids": list(claim_ids)}


TASKS: list[dict[str, Any]] = [
    {
        "brief": {
            "id": "heat-pumps",
            "topic": "Heat pumps in cold climates",
            "audience": "homeowners in cold regions",
            "max_words": 220,
            "angle": "They work in deep cold; the upfront price is the real hurdle.",
        },
        "notes": [
            note(
                "n1",
                "Northfield Energy Office winter trial (fictional)",
                "In a winter trial across 40 homes in northern Vermont, air-source heat pumps "
                "kept indoor temperatures at 20°C on every day of the study. On the coldest "
                "night, at -22°C, the average unit still delivered 1.9 units of heat per unit "
                "of electricity.",
            ),
            note(
                "n2",
                "Installer price survey (fictional)",
                "Installed prices for a whole-home cold-climate heat pump ranged from $14,000 "
                "to $21,000 in the survey. Households replacing oil heating saved an average "
                "of $1,100 a year.",
            ),
            note(
                "n3",
                "Utility efficiency note (fictional)",
                "Homes in the trial that added weather-stripping and attic insulation first "
                "needed units about 30 percent smaller.",
            ),
        ],
        "research": [
            claim(
                "c1",
                "Heat pumps kept 40 trial homes at 20°C all winter.",
                "n1",
                "In a winter trial across 40 homes in northern Vermont, air-source heat pumps "
                "kept indoor temperatures at 20°C on every day of the study.",
            ),
            claim(
                "c2",
                "At -22°C the average unit gave 1.9 units of heat per unit of electricity.",
                "n1",
                "at -22°C, the average unit still delivered 1.9 units of heat per unit of "
                "electricity",
            ),
            claim(
                "c3",
                "Whole-home systems cost $14,000 to $21,000 installed.",
                "n2",
                "ranged from $14,000 to $21,000",
            ),
            claim(
                "c4",
                "Households leaving oil saved about $1,100 a year.",
                "n2",
                "Households replacing oil heating saved an average of $1,100 a year.",
            ),
            claim(
                "c5",
                "Insulating first meant units about 30 percent smaller.",
                "n3",
                "needed units about 30 percent smaller",
            ),
        ],
        "draft": {
            "title": "Heat pumps and the cold: the trial data",
            "paragraphs": [
                para(
                    "Heat pumps are often said to give up in deep cold. A winter trial in 40 "
                    "Vermont homes suggests otherwise: every home stayed at 20°C on every day "
                    "of the study.",
                    "c1",
                ),
                para(
                    "Even on the coldest night, at -22°C, the average unit delivered 1.9 units "
                    "of heat for each unit of electricity it used.",
                    "c2",
                ),
                para(
                    "The price is the hurdle. Installed whole-home systems cost $14,000 to "
                    "$21,000, while households leaving oil saved about $1,100 a year. Insulating "
                    "first helped, allowing units about 30 percent smaller.",
                    "c3",
                    "c4",
                    "c5",
                ),
                para(DISCLOSURE),
            ],
        },
    },
    {
        "brief": {
            "id": "four-day-week",
            "topic": "A four-day work week pilot",
            "audience": "managers of small companies",
            "max_words": 200,
            "angle": "Most firms kept it, and revenue held up.",
        },
        "notes": [
            note(
                "n1",
                "Harbourside Institute pilot summary (fictional)",
                "The six-month pilot enrolled 58 companies and about 2,700 employees. At the "
                "end, 52 of the 58 companies chose to keep the four-day week.",
            ),
            note(
                "n2",
                "Staff survey (fictional)",
                "Reported burnout fell from 71 percent of staff at the start to 48 percent at "
                "the end. Sick days fell by about a third.",
            ),
            note(
                "n3",
                "Finance data (fictional)",
                "Among the 23 companies that shared finance data, revenue was broadly flat over "
                "the trial, rising 1.4 percent on average.",
            ),
        ],
        "research": [
            claim(
                "c1",
                "The pilot ran with 58 companies and about 2,700 employees.",
                "n1",
                "The six-month pilot enrolled 58 companies and about 2,700 employees.",
            ),
            claim(
                "c2",
                "52 of the 58 companies kept the four-day week.",
                "n1",
                "52 of the 58 companies chose to keep the four-day week",
            ),
            claim(
                "c3",
                "Burnout fell from 71 percent to 48 percent of staff.",
                "n2",
                "Reported burnout fell from 71 percent of staff at the start to 48 percent at "
                "the end.",
            ),
            claim(
                "c4",
                "Revenue rose 1.4 percent on average at the 23 firms reporting it.",
                "n3",
                "Among the 23 companies that shared finance data, revenue was broadly flat over "
                "the trial, rising 1.4 percent on average.",
            ),
        ],
        "draft": {
            "title": "What a four-day week pilot found",
            "paragraphs": [
                para(
                    "A six-month pilot put 58 companies and about 2,700 employees on a "
                    "four-day week. At the end, 52 of the 58 chose to keep it.",
                    "c1",
                    "c2",
                ),
                para(
                    "Staff felt the difference: reported burnout fell from 71 percent to 48 "
                    "percent.",
                    "c3",
                ),
                para(
                    "The money held up too. Among the 23 companies that shared finance data, "
                    "revenue rose 1.4 percent on average.",
                    "c4",
                ),
                para(DISCLOSURE),
            ],
        },
    },
    {
        "brief": {
            "id": "street-trees",
            "topic": "Street trees and summer heat",
            "audience": "city residents",
            "max_words": 200,
            "angle": "Shade cools streets a lot, but young trees need care to survive.",
        },
        "notes": [
            note(
                "n1",
                "Riverton heat mapping study (fictional)",
                "On the hottest afternoon of the summer, streets with at least 40 percent tree "
                "canopy were up to 4.5°C cooler than treeless streets nearby.",
            ),
            note(
                "n2",
                "Parks department budget memo (fictional)",
                "Planting a street tree costs about $450, including three years of watering. "
                "About 1 in 5 new street trees dies within five years.",
            ),
            note(
                "n3",
                "Resident survey (fictional)",
                "In the survey, 64 percent of residents said they would help water a tree "
                "planted outside their home.",
            ),
        ],
        "research": [
            claim(
                "c1",
                "Streets with 40 percent canopy were up to 4.5°C cooler.",
                "n1",
                "streets with at least 40 percent tree canopy were up to 4.5°C cooler than "
                "treeless streets nearby",
            ),
            claim(
                "c2",
                "A street tree costs about $450 to plant and water.",
                "n2",
                "Planting a street tree costs about $450, including three years of watering.",
            ),
            claim(
                "c3",
                "About 1 in 5 new street trees dies within five years.",
                "n2",
                "About 1 in 5 new street trees dies within five years.",
            ),
            claim(
                "c4",
                "64 percent of residents would help water a tree.",
                "n3",
                "64 percent of residents said they would help water a tree planted outside "
                "their home",
            ),
        ],
        "draft": {
            "title": "Why your street needs shade, and you",
            "paragraphs": [
                para(
                    "On the hottest afternoon of the summer, streets with at least 40 percent "
                    "tree canopy were up to 4.5°C cooler than bare streets nearby.",
                    "c1",
                ),
                para(
                    "A street tree costs about $450 to plant and water for three years. Yet "
                    "about 1 in 5 new trees dies within five years.",
                    "c2",
                    "c3",
                ),
                para(
                    "Neighbours can change that: 64 percent of residents said they would help "
                    "water a tree outside their home.",
                    "c4",
                ),
                para(DISCLOSURE),
            ],
        },
    },
    {
        "brief": {
            "id": "repair-cafes",
            "topic": "Repair cafés",
            "audience": "general readers",
            "max_words": 180,
            "angle": "Volunteers fix most of what people bring, and it adds up.",
        },
        "notes": [
            note(
                "n1",
                "Repair café network annual report (fictional)",
                "Volunteers at 120 repair cafés logged 18,400 repair attempts last year. About "
                "61 percent of the items were fixed.",
            ),
            note(
                "n2",
                "Item breakdown (fictional)",
                "Small kitchen appliances were the most common item, at 27 percent of attempts, "
                "followed by clothing at 19 percent.",
            ),
            note(
                "n3",
                "Waste estimate (fictional)",
                "The network estimates that the fixed items kept around 42 tonnes of goods out "
                "of landfill.",
            ),
        ],
        "research": [
            claim(
                "c1",
                "120 repair cafés logged 18,400 repair attempts last year.",
                "n1",
                "Volunteers at 120 repair cafés logged 18,400 repair attempts last year.",
            ),
            claim(
                "c2",
                "About 61 percent of items were fixed.",
                "n1",
                "About 61 percent of the items were fixed.",
            ),
            claim(
                "c3",
                "Kitchen appliances were 27 percent of attempts, clothing 19 percent.",
                "n2",
                "Small kitchen appliances were the most common item, at 27 percent of "
                "attempts, followed by clothing at 19 percent.",
            ),
            claim(
                "c4",
                "Fixed items kept around 42 tonnes out of landfill.",
                "n3",
                "the fixed items kept around 42 tonnes of goods out of landfill",
            ),
        ],
        "draft": {
            "title": "Repair cafés fix more than you think",
            "paragraphs": [
                para(
                    "Last year volunteers at 120 repair cafés logged 18,400 repair attempts, "
                    "and about 61 percent of the items were fixed.",
                    "c1",
                    "c2",
                ),
                para(
                    "Kettles, toasters and other small kitchen appliances made up 27 percent of "
                    "attempts, and clothing 19 percent.",
                    "c3",
                ),
                para(
                    "It adds up: the network estimates that fixed items kept around 42 tonnes "
                    "of goods out of landfill.",
                    "c4",
                ),
                para(DISCLOSURE),
            ],
        },
    },
]


def main(out_dir: Path = HERE) -> None:
    with (out_dir / "briefs.jsonl").open("w", encoding="utf-8") as f:
        for task in TASKS:
            row = {
                "id": task["brief"]["id"],
                "brief": task["brief"],
                "notes": {"notes": task["notes"]},
                "expected": {"research": {"claims": task["research"]}, "draft": task["draft"]},
            }
            f.write(json.dumps(row, ensure_ascii=False) + "\n")
    print(f"wrote {len(TASKS)} briefs to {out_dir}")


if __name__ == "__main__":
    main()
