"""A labelled query set over the examples' documents, for benchmarks/bench_context.py.

Written by hand from reading the documents (examples/content/style_guide.md and the
content notes, the film briefs and their characters, examples/claims/policies.csv and
the claim documents), phrased the way a step would ask rather than copied from the
text. Each query names what counts as a hit: a document id (or an id prefix ending in
`*`) and, where one document holds several answers (the style guide's sections, the
policy table's rows), a marker the passage must contain. Written once, before any
retrieval was run; not edited to fit the results.
"""

from __future__ import annotations

from typing import NamedTuple


class Query(NamedTuple):
    text: str
    document: str  # an id, or a prefix ending in "*"
    marker: str | None = None  # the passage must contain this (case ignored)


GUIDE = "content/style_guide.md"

QUERIES: list[Query] = [
    # The style guide: which section answers.
    Query("which words must writers avoid", GUIDE, "Banned words"),
    Query("is the word synergy allowed in an article", GUIDE, "Banned words"),
    Query("maximum number of words in one sentence", GUIDE, "Sentence length"),
    Query("what line has to close every article", GUIDE, "Disclosure"),
    Query("how do we tell readers AI helped write this", GUIDE, "Disclosure"),
    Query("what tone should the writing have", GUIDE, "Voice"),
    # Content research notes.
    Query("do heat pumps still work in extreme cold", "notes/heat-pumps/n1"),
    Query("efficiency of a heat pump at minus twenty-two degrees", "notes/heat-pumps/n1"),
    Query("how much does installing a cold-climate heat pump cost", "notes/heat-pumps/n2"),
    Query("yearly savings after replacing oil heating", "notes/heat-pumps/n2"),
    Query("insulating the attic first means a smaller unit", "notes/heat-pumps/n3"),
    Query("how many firms kept the shorter week after the pilot", "notes/four-day-week/n1"),
    Query("number of employees enrolled in the four-day week trial", "notes/four-day-week/n1"),
    Query("did burnout go down during the pilot", "notes/four-day-week/n2"),
    Query("change in sick days", "notes/four-day-week/n2"),
    Query("what happened to company revenue in the trial", "notes/four-day-week/n3"),
    Query("how much cooler are streets with lots of tree cover", "notes/street-trees/n1"),
    Query("price of planting one street tree", "notes/street-trees/n2"),
    Query("what share of newly planted trees die", "notes/street-trees/n2"),
    Query("would residents help water a tree outside their home", "notes/street-trees/n3"),
    Query("how many repairs did volunteers attempt last year", "notes/repair-cafes/n1"),
    Query("what fraction of broken items got fixed", "notes/repair-cafes/n1"),
    Query("most common kind of item brought in for repair", "notes/repair-cafes/n2"),
    Query("tonnes of goods kept out of landfill", "notes/repair-cafes/n3"),
    # The film briefs and their character bible.
    Query("woman with green eyes in a yellow raincoat", "characters/Mara Quinn"),
    Query("old man with a white beard who sells tickets", "characters/Tomas"),
    Query("what does Mara carry from the second scene on", "film/last-ferry", "lantern"),
    Query("the ferry horn sounds while she runs along the pier", "film/last-ferry"),
    Query("apprentice boy with curly red hair", "characters/Pip"),
    Query("the baker wearing a green cardigan", "characters/Mrs Adeyemi"),
    Query("who keeps a copper key in his hand", "film/clockwork-bakery"),
    Query("a mixer that runs out of control in the kitchen", "film/clockwork-bakery"),
    Query("commander in an orange flight suit with a silver buzz cut", "characters/Ines Varga"),
    Query("doctor in a white lab coat with black locs", "characters/Kofi Asante"),
    Query("what is found in the airlock", "film/signal-lost"),
    Query("broken relay dish at sunrise on a mining moon", "film/signal-lost"),
    Query("woman with a long auburn braid and a red scarf", "characters/Lena Sato"),
    Query("man with a shaved head and a denim jacket", "characters/Baptiste"),
    Query("who buys a bouquet at the flower market", "film/market-day"),
    Query("a meeting on the bridge over the river at dusk", "film/market-day"),
    # The policy table: the row that answers.
    Query("coverage of policy HOM-296217", "claims/policies.csv", "HOM-296217"),
    Query("Samuel Chen home insurance deductible", "claims/policies.csv", "Samuel Chen"),
    Query("renters insurance held by Victor Moreau", "claims/policies.csv", "Victor Moreau"),
    Query("limit on James Okafor's auto policy", "claims/policies.csv", "James Okafor"),
    Query("does Arjun Alvarez have water damage cover", "claims/policies.csv", "Arjun Alvarez"),
    Query("when does Laura Kowalski's policy expire", "claims/policies.csv", "Laura Kowalski"),
    Query("Marcus Castillo renter policy", "claims/policies.csv", "Marcus Castillo"),
    Query("policy AUT-667894 start and end dates", "claims/policies.csv", "AUT-667894"),
    # Claim documents: any claim that tells of this incident.
    Query(
        "a truck threw up a stone that cracked the windshield", "claims/claim-*", "stone thrown up"
    ),
    Query(
        "catalytic converter stolen from a car at the station",
        "claims/claim-*",
        "catalytic converter",
    ),
    Query("the car engine caught fire on the motorway", "claims/claim-*", "caught fire"),
    Query("back window of the parked car shattered", "claims/claim-*", "windscreen"),
    Query("another driver sideswiped the car and dented the doors", "claims/claim-*", "sideswiped"),
    Query("voicemail reporting damage to the car", "claims/claim-*", "voicemail"),
]


# A second, harder set: paraphrases that share (almost) no content word with the text
# they should find, written the same way, before any was run. This is where keyword
# search alone is expected to fail and the dense half to earn its keep.
PARAPHRASES: list[Query] = [
    Query("terms that overstate things and may not be printed", GUIDE, "Banned words"),
    Query("cap on the length of each statement in prose", GUIDE, "Sentence length"),
    Query("closing note admitting a machine helped", GUIDE, "Disclosure"),
    Query("desired register: sober and precise, for laypeople", GUIDE, "Voice"),
    Query("do they keep a house warm during a frigid spell", "notes/heat-pumps/n1"),
    Query("what it costs to have one fitted", "notes/heat-pumps/n2"),
    Query("sealing drafts beforehand lets you buy a more modest system", "notes/heat-pumps/n3"),
    Query("how many businesses stuck with the shortened schedule", "notes/four-day-week/n1"),
    Query("exhaustion among workers fell", "notes/four-day-week/n2"),
    Query("did the firms earn less money", "notes/four-day-week/n3"),
    Query("leafy roads are less scorching", "notes/street-trees/n1"),
    Query("mortality of saplings along roads", "notes/street-trees/n2"),
    Query("locals willing to irrigate a sapling by their door", "notes/street-trees/n3"),
    Query("gatherings where broken stuff is mended: how often it works", "notes/repair-cafes/n1"),
    Query("toasters and blenders were brought in most", "notes/repair-cafes/n2"),
    Query("weight of rubbish diverted from dumps", "notes/repair-cafes/n3"),
    Query("woman whose eyes are emerald and whose coat is lemon-coloured", "characters/Mara Quinn"),
    Query("elderly man with snowy whiskers in a sailor's jacket", "characters/Tomas"),
    Query("astronaut leader with cropped grey hair", "characters/Ines Varga"),
    Query("ginger-haired boy assistant", "characters/Pip"),
    Query("sweethearts exchange blooms above the water at twilight", "film/market-day"),
    Query(
        "a pebble kicked up by a lorry broke the front glass", "claims/claim-*", "stone thrown up"
    ),
    Query(
        "exhaust part taken by thieves near the railway", "claims/claim-*", "catalytic converter"
    ),
    Query("the motor burst into flames on a highway", "claims/claim-*", "caught fire"),
]
