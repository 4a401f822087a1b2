"""Word lists the brief reader uses: general English, not the vocabulary of any dataset.

They say what kind of thing a word names (a colour, a garment, a place, a time of day),
so the reader can offer the model the brief's own phrases as choices and the gates can
tell whose eyes a colour belongs to. A word missing here makes the reader miss a
candidate, and the gate then escalates rather than accept a guess.
"""

from __future__ import annotations

import calendar

from .models import TimeOfDay


def _words(text: str) -> frozenset[str]:
    return frozenset(text.split())


COLOURS = _words(
    """black brown blue green grey gray hazel amber violet purple red ginger auburn blonde
    blond golden gold silver white yellow orange pink dark pale light bright deep steel
    ice watery sea emerald sapphire chestnut copper bronze jet coal honey olive turquoise
    teal navy crimson scarlet cream ivory beige tan khaki charcoal mahogany platinum
    strawberry sandy mousy mousey ash raven"""
)

# What a look's phrase ends with, for each attribute.
HAIR = _words(
    """hair hairs beard beards moustache mustache moustaches bun buns ponytail ponytails
    plait plaits braid braids locs twists bob curls curl dreadlocks locks ringlets crop cut fringe
    bangs mohawk quiff afro cornrows stubble whiskers sideburns mullet topknot pigtails
    perm mane tresses"""
)
BALD = frozenset({"bald", "balding", "shaven-headed", "shaved-headed"})
HEADS = frozenset({"head", "scalp"})  # "a shaved head", "a bald head"

GARMENTS = _words(
    """coat coats raincoat overcoat greatcoat parka anorak jacket jackets blazer cardigan
    jumper sweater pullover hoodie sweatshirt shirt shirts blouse tunic vest waistcoat
    gilet dress gown frock skirt kilt trousers jeans slacks shorts leggings overalls
    dungarees boilersuit jumpsuit suit tuxedo uniform scrubs apron pinafore smock robe
    robes cassock habit cloak cape poncho shawl scarf headscarf hijab turban kimono sari
    qipao kaftan leotard tracksuit windbreaker fleece jersey tee t-shirt singlet corset
    bodice sash cap hat beanie beret fedora bowler helmet hood balaclava boots wellies
    wellingtons sandals trainers sneakers gloves mittens peacoat duffle mac trench
    puffer macintosh donkey-jacket bomber tabard sarong dhoti salwar abaya"""
)

PLACES = _words(
    """room kitchen hallway hall corridor landing stairwell staircase stairs attic cellar
    basement loft bedroom bathroom lounge parlour parlor study library office lobby
    reception foyer canteen cafeteria café cafe diner restaurant bar pub tavern inn hotel
    motel kiosk booth shop store stall market bakery butcher laundrette launderette
    salon barbershop pharmacy bank garage workshop shed barn stable stables farmhouse
    farm yard courtyard porch veranda balcony terrace roof rooftop garden allotment
    orchard vineyard field meadow paddock pasture wood woods forest clearing glade
    hill hillside mountain peak summit ridge valley gorge cliff cliffs clifftop headland
    beach shore shoreline coast cove bay harbour harbor port pier jetty quay dock docks
    marina wharf boathouse lighthouse gallery river riverbank steps bank lake pond
    canal lock bridge footbridge viaduct tunnel road street lane alley avenue square
    plaza park playground car carpark path track trail stile gate crossroads junction
    station platform depot terminal airport runway hangar bus tram train carriage
    shelter stop box tower church chapel cathedral crypt churchyard graveyard cemetery
    temple mosque synagogue school classroom playground gym gymnasium rink pool arena
    stadium pitch court theatre theater cinema stage studio museum factory warehouse
    mill mine quarry lab laboratory hospital ward clinic surgery prison cell courtroom
    lift elevator basement bunker camp tent cabin hut cottage flat apartment house
    mansion castle palace fort ruins chamber vault deck ship boat ferry
    yacht island desert dunes tundra swamp marsh moor moors heath fen quayside waterfront
    promenade boardwalk arcade fairground funfair carousel greenhouse conservatory
    pavilion bandstand boathouse hangar barracks embassy"""
)
TIME_WORDS: dict[str, TimeOfDay] = {
    "dawn": "dawn",
    "sunrise": "dawn",
    "daybreak": "dawn",
    "first light": "dawn",
    "early morning": "dawn",
    "morning": "day",
    "midday": "day",
    "noon": "day",
    "afternoon": "day",
    "day": "day",
    "daytime": "day",
    "daylight": "day",
    "lunchtime": "day",
    "dusk": "dusk",
    "sunset": "dusk",
    "sundown": "dusk",
    "evening": "dusk",
    "twilight": "dusk",
    "golden hour": "dusk",
    "nightfall": "dusk",
    "night": "night",
    "midnight": "night",
    "nighttime": "night",
    "night-time": "night",
    "tonight": "night",
    "after dark": "night",
    "mid-morning": "day",
    "late morning": "day",
    "mid-afternoon": "day",
    "late afternoon": "day",
    "broad daylight": "day",
    "in the morning": "day",
    "breakfast": "day",
    "sunup": "dawn",
    "crack of dawn": "dawn",
    "early hours": "night",
    "small hours": "night",
    "wee hours": "night",
    "pitch dark": "night",
    "pitch black": "night",
    "still dark": "night",
    "in the dark": "night",
    "overnight": "night",
    "late at night": "night",
    "last light": "dusk",
    "sun goes down": "dusk",
    "sun sets": "dusk",
    "sun comes up": "dawn",
    "sun rises": "dawn",
}

# Verbs by which a character comes to hold or keeps hold of an object: the subject
# holds it, except after giving verbs, where the one given to does.
GIVING = frozenset({"gives", "hands", "passes", "offers", "lends", "throws", "tosses", "slips"})
HOLDING = _words(
    """takes picks grabs holds carries clutches pockets buys receives catches keeps
    lifts raises wields brandishes holding carrying clutching gripping grips lifting
    raising taking grabbing flies flying"""
)
WITH = frozenset({"with"})
BODY = _words(
    """hand hands arm arms chest head face eyes eye shoulder shoulders lap feet foot fingers
    knees back neck mouth lips"""
)

# Words that end a phrase: a look, a place or an object never runs across them.
FUNCTION_WORDS = _words(
    """a an the and but or so then than that this these those there here we us our you
    your i me my he she it they them his her hers its their him who whom whose what when
    where while which why how as at by for from in into of off on onto out over to up
    down with without under after before during until since all both each every some any
    no not one two three four five six seven eight nine ten first second third fourth
    fifth next last later finally meanwhile suddenly back now still again soon"""
)

# Capitalised words that start sentences or name roles, never characters.
NOT_NAMES = (
    FUNCTION_WORDS
    | _words(
        """open opening close closing cut fade scene scenes act int ext continuous day night dawn dusk
    morning evening afternoon noon midday midnight old young little big grandad grandpa
    grandma granny nan nana auntie aunt uncle mum mom dad father mother brother sister
    son daughter grandson granddaughter niece nephew cousin wife husband boy girl man
    woman kid child baby reverend father sister brother doctor dr mr mrs ms miss sir
    madam lady lord nurse coach captain chief officer sergeant detective professor
    skater stationmaster driver receptionist courier commander lieutenant
    general major private constable inspector her his its their cast settings
    props continuity notes brief it's we're they're she's he's"""
    )
    | {m.lower() for m in calendar.month_name[1:]}
    | {d.lower() for d in calendar.day_name}
)

# Prepositions before where a scene is set.
LOCATIVE = _words(
    """to at in inside on outside into onto aboard beneath under behind across by near
    through within atop"""
)
# Heads after a locative that are not where a scene is set ("in the rain", "on the phone").
NOT_SETTINGS = _words(
    """rain snow wind fog dark darkness light sun sunlight moonlight distance end middle
    moment time meantime way silence background foreground phone radio air mirror
    window doorway door corner edge hand hands arms lap pocket pockets bag face head
    back side top bottom front shadows shadow heat cold quiet noise crowd queue line
    row turn case fact end afternoon morning evening night day dawn dusk week weekend
    minute minutes hour hours years year future past present meantime"""
)
# Words that may come before a setting that opens a scene ("Smash to inside the caravan").
SCENE_OPENING = _words(
    """open opens opening on in at inside outside into onto aboard by to smash cut then
    later next first finally meanwhile we end ends close back and so with fade up
    dissolve match the a an"""
)
