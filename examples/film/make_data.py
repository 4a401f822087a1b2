"""Write `briefs.jsonl` for the film example: four briefs, each with a reference
scene graph and a reference storyboard that passes the continuity critic.

    python -m examples.film.make_data

The briefs are hand-written (a director's prose, with the cast's looks spelled
out, as a real brief would). The reference storyboard is derived from the scene
graph and a few per-scene choices, so the two cannot drift apart.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

HERE = Path(__file__).parent


def character(name: str, eyes: str, hair: str, wardrobe: str) -> dict[str, str]:
    return {"name": name, "eye_color": eyes, "hair": hair, "wardrobe": wardrobe}


BRIEFS: list[dict[str, Any]] = [
    {
        "id": "last-ferry",
        "title": "The Last Ferry",
        "scene_count": 4,
        "max_total_sec": 48,
        "text": (
            "A rain-soaked night in a small harbour town. MARA QUINN (green eyes, short black "
            "hair, yellow raincoat) must catch the last ferry. TOMAS (grey eyes, white beard and "
            "white hair, navy pea coat) runs the ticket booth.\n"
            "Settings: the harbour pier at night; the ticket booth at night; the ferry deck at "
            "night.\n"
            "Scenes: 1. Mara runs along the harbour pier as the ferry horn sounds. "
            "2. At the ticket booth Tomas hands Mara the last ticket and a brass lantern. "
            "3. On the ferry deck Mara watches the town lights shrink, holding the lantern. "
            "4. Tomas joins her on the ferry deck; they share a silent look.\n"
            "Continuity: from scene 2 on, Mara carries the brass lantern."
        ),
        "graph": {
            "characters": [
                character("Mara Quinn", "green", "short black hair", "yellow raincoat"),
                character("Tomas", "grey", "white beard and white hair", "navy pea coat"),
            ],
            "settings": [
                {
                    "name": "harbour pier",
                    "time_of_day": "night",
                },
                {
                    "name": "ticket booth",
                    "time_of_day": "night",
                },
                {
                    "name": "ferry deck",
                    "time_of_day": "night",
                },
            ],
            "scenes": [
                (
                    1,
                    "harbour pier",
                    ["Mara Quinn"],
                    "Mara runs along the pier as the ferry horn sounds.",
                ),
                (
                    2,
                    "ticket booth",
                    ["Mara Quinn", "Tomas"],
                    "Tomas hands Mara the last ticket and a brass lantern.",
                ),
                (
                    3,
                    "ferry deck",
                    ["Mara Quinn"],
                    "Mara watches the town lights shrink, holding the lantern.",
                ),
                (
                    4,
                    "ferry deck",
                    ["Mara Quinn", "Tomas"],
                    "Tomas joins Mara; they share a silent look.",
                ),
            ],
            "props": [{"prop": "brass lantern", "holder": "Mara Quinn", "from_scene": 2}],
        },
        "shots": [
            ("wide", "night", 10),
            ("medium", "interior_warm", 14),
            ("close_up", "night", 12),
            ("over_the_shoulder", "night", 11),
        ],
    },
    {
        "id": "clockwork-bakery",
        "title": "Clockwork Bakery",
        "scene_count": 3,
        "max_total_sec": 36,
        "text": (
            "A gentle morning fable. PIP, a boy apprentice (brown eyes, curly red hair, blue "
            "apron dusted with flour), and MRS ADEYEMI, the baker (hazel eyes, grey braids, "
            "green cardigan).\n"
            "Settings: the bakery kitchen at dawn; the shop front in the day.\n"
            "Scenes: 1. In the bakery kitchen Pip winds a clockwork mixer with a copper key. "
            "2. The mixer runs wild and Mrs Adeyemi catches the bowl. "
            "3. At the shop front they serve the first customers, laughing.\n"
            "Continuity: Pip keeps the copper key in his hand in every scene."
        ),
        "graph": {
            "characters": [
                character("Pip", "brown", "curly red hair", "blue apron dusted with flour"),
                character("Mrs Adeyemi", "hazel", "grey braids", "green cardigan"),
            ],
            "settings": [
                {
                    "name": "bakery kitchen",
                    "time_of_day": "dawn",
                },
                {
                    "name": "shop front",
                    "time_of_day": "day",
                },
            ],
            "scenes": [
                (1, "bakery kitchen", ["Pip"], "Pip winds a clockwork mixer with a copper key."),
                (
                    2,
                    "bakery kitchen",
                    ["Pip", "Mrs Adeyemi"],
                    "The mixer runs wild and Mrs Adeyemi catches the bowl.",
                ),
                (
                    3,
                    "shop front",
                    ["Pip", "Mrs Adeyemi"],
                    "They serve the first customers, laughing.",
                ),
            ],
            "props": [{"prop": "copper key", "holder": "Pip", "from_scene": 1}],
        },
        "shots": [
            ("insert", "golden_hour", 8),
            ("medium", "interior_warm", 12),
            ("wide", "daylight", 12),
        ],
    },
    {
        "id": "signal-lost",
        "title": "Signal Lost",
        "scene_count": 4,
        "max_total_sec": 50,
        "text": (
            "Hard science fiction on a mining moon. COMMANDER INES VARGA (blue eyes, silver buzz "
            "cut, orange flight suit) and DR KOFI ASANTE (dark brown eyes, black locs, white lab "
            "coat).\n"
            "Settings: the control room at night; the airlock at night; the surface ridge at "
            "dawn.\n"
            "Scenes: 1. In the control room the relay signal drops to static. "
            "2. Kofi finds a cracked helmet in the airlock and gives it to Ines. "
            "3. Ines climbs the surface ridge carrying the cracked helmet. "
            "4. On the ridge Ines sees the broken relay dish against the rising sun.\n"
            "Continuity: from scene 2 on, Ines carries the cracked helmet."
        ),
        "graph": {
            "characters": [
                character("Ines Varga", "blue", "silver buzz cut", "orange flight suit"),
                character("Kofi Asante", "dark brown", "black locs", "white lab coat"),
            ],
            "settings": [
                {
                    "name": "control room",
                    "time_of_day": "night",
                },
                {
                    "name": "airlock",
                    "time_of_day": "night",
                },
                {
                    "name": "surface ridge",
                    "time_of_day": "dawn",
                },
            ],
            "scenes": [
                (
                    1,
                    "control room",
                    ["Ines Varga", "Kofi Asante"],
                    "The relay signal drops to static.",
                ),
                (
                    2,
                    "airlock",
                    ["Ines Varga", "Kofi Asante"],
                    "Kofi finds a cracked helmet and gives it to Ines.",
                ),
                (
                    3,
                    "surface ridge",
                    ["Ines Varga"],
                    "Ines climbs the ridge carrying the cracked helmet.",
                ),
                (
                    4,
                    "surface ridge",
                    ["Ines Varga"],
                    "Ines sees the broken relay dish against the rising sun.",
                ),
            ],
            "props": [{"prop": "cracked helmet", "holder": "Ines Varga", "from_scene": 2}],
        },
        "shots": [
            ("medium", "interior_cold", 12),
            ("close_up", "interior_cold", 10),
            ("wide", "overcast", 13),
            ("establishing", "golden_hour", 14),
        ],
    },
    {
        "id": "market-day",
        "title": "Market Day",
        "scene_count": 3,
        "max_total_sec": 30,
        "text": (
            "A short romance. LENA SATO (hazel eyes, long auburn braid, red wool scarf) and "
            "BAPTISTE (grey eyes, shaved head, denim jacket).\n"
            "Settings: the flower market in the day; the river bridge at dusk.\n"
            "Scenes: 1. At the flower market Lena drops her list; Baptiste picks it up. "
            "2. Baptiste buys a bouquet of sunflowers at the flower market. "
            "3. On the river bridge Baptiste gives Lena the sunflowers.\n"
            "Continuity: from scene 2 on, Baptiste holds the sunflowers."
        ),
        "graph": {
            "characters": [
                character("Lena Sato", "hazel", "long auburn braid", "red wool scarf"),
                character("Baptiste", "grey", "shaved head", "denim jacket"),
            ],
            "settings": [
                {
                    "name": "flower market",
                    "time_of_day": "day",
                },
                {
                    "name": "river bridge",
                    "time_of_day": "dusk",
                },
            ],
            "scenes": [
                (
                    1,
                    "flower market",
                    ["Lena Sato", "Baptiste"],
                    "Lena drops her list; Baptiste picks it up.",
                ),
                (2, "flower market", ["Baptiste"], "Baptiste buys a bouquet of sunflowers."),
                (
                    3,
                    "river bridge",
                    ["Lena Sato", "Baptiste"],
                    "Baptiste gives Lena the sunflowers.",
                ),
            ],
            "props": [{"prop": "sunflowers", "holder": "Baptiste", "from_scene": 2}],
        },
        "shots": [
            ("medium", "daylight", 9),
            ("insert", "overcast", 7),
            ("wide", "golden_hour", 12),
        ],
    },
]


def build(spec: dict[str, Any]) -> dict[str, Any]:
    graph = spec["graph"]
    scenes = [
        {"index": i, "setting": setting, "characters": cast, "action": action}
        for i, setting, cast, action in graph["scenes"]
    ]
    scene_graph = {
        "title": spec["title"],
        "characters": graph["characters"],
        "settings": graph["settings"],
        "scenes": scenes,
        "props": graph["props"],
    }
    sheet = {c["name"]: c for c in graph["characters"]}
    frames = []
    for scene, (shot_type, lighting, seconds) in zip(scenes, spec["shots"], strict=True):
        visible = []
        for name in scene["characters"]:
            props = [
                p["prop"]
                for p in graph["props"]
                if p["holder"] == name and p["from_scene"] <= scene["index"]
            ]
            visible.append({**sheet[name], "props": props})
        frames.append(
            {
                "scene_index": scene["index"],
                "setting": scene["setting"],
                "shot_type": shot_type,
                "lighting": lighting,
                "description": f"{shot_type.replace('_', ' ').capitalize()} shot, "
                f"{scene['setting']}: {scene['action']}",
                "characters": visible,
                "duration_sec": float(seconds),
            }
        )
    brief = {k: spec[k] for k in ("id", "title", "text", "scene_count", "max_total_sec")}
    return {
        "id": spec["id"],
        "brief": brief,
        "expected": {"scene_graph": scene_graph, "frames": frames},
    }


def main(out_dir: Path = HERE) -> None:
    with (out_dir / "briefs.jsonl").open("w", encoding="utf-8") as f:
        for spec in BRIEFS:
            f.write(json.dumps(build(spec), ensure_ascii=False) + "\n")
    print(f"wrote {len(BRIEFS)} briefs to {out_dir}")


if __name__ == "__main__":
    main()
