"""What kind of incident a document describes, by the words it uses and the boxes it ticks.

`described_types(text)` lists every incident type the document has a word for ("stolen"
for theft, "hail" for storm, "slipped" for liability), in order of first mention;
`ticked_types(text)` the types a form marks (`[x] Vandalism`, `☒ Fire`) or names in a
"Type of loss:" field. An unticked option (`[ ] Collision`) describes nothing.
"""

from __future__ import annotations

import re
from typing import get_args

from .keys import as_field
from .models import IncidentType

__all__ = ["KEYWORDS", "described_types", "liability_claimed", "ticked_types"]

# Words for each type: a regular expression matched at the start of a word ("burgl"
# matches "burgled"); "wind" must end there, or "windscreen" would be a storm.
KEYWORDS: dict[IncidentType, str] = {
    "collision": (
        r"collision|collided|crash|rear[- ]?end(?:ed)?|accident(?!al)|ran into|hit\b|struck|"
        r"reversed (?:into|out)|backed into|sideswip|bump(?:ed|s)?\b|pile-?up|fender|left the road|"
        r"rolled (?:onto|over)|braked|t-boned|write-off|written off|"
        # in other languages: German, Dutch, French, Italian, Spanish, Portuguese, Swedish,
        # Danish/Norwegian, Polish, Czech, Turkish
        r"unfall|zusammensto(?:ß|ss)|kollision|auffahr|aufgefahren|angefahren|"
        r"aanrijding|botsing|aangereden|ongeval|accroch|percut|carambolage|"
        r"incidente stradale|tamponament|tamponat|scontro|collisione|urtat|"
        r"accidente|choque|chocó|chocaron|colisión|alcance|acidente|colisão|batida|embat|"
        r"krock|kollisjon|olycka|påkörd|sammenstød|påkørt|påkjørt|"
        r"kolizj|stłuczk|zderzeni|wypadek|wypadku|nehod|srážk|naboural|"
        r"kaza\b|kazası|kazada|çarpış|"
        # Finnish, and Japanese in romaji ("jiko" alone: an accident, not "jiko-bi", its date)
        r"kolari|törmä|peräänajo|ajoi perään|k[oō]u?ts[uū]u? jiko|sh[oō]u?totsu|tsuitotsu|"
        r"jiko(?![- ]?(?:bi|futan|h[oō]u?koku|hassei|bang))"
    ),
    "theft": (
        r"stolen|theft|stole|steal|broke in\b|broken into|break-? ?ins?\b|burglar|burgl|thie(?:f|ves)|"
        r"pickpocket|mugged|robbe[dr]|robbery|snatched|larceny|forced the|cut off|"
        r"(?:they|someone|thieves|who) took|took (?:my|our|his|her)|vol\b|robo\b|diebstahl|"
        # in other languages: French, Italian, Spanish, Portuguese, German, Dutch
        r"volé|volée|cambriol|furto|rubat|rubare|scippo|robad|hurt(?:o|ado)|roubad|roubo|"
        r"gestohlen|einbruch|gestolen|diefstal|inbraak|"
        # Swedish, Danish/Norwegian, Polish, Czech, Turkish
        r"stöld|stulen|stulna|inbrott|tyveri|stjålet|indbrud|innbrudd|kradzież|skradzion|"
        r"włamani|krádež|ukraden|vloupán|hırsız|çalındı|"
        # Finnish, Czech, Polish, Turkish, Japanese in romaji
        r"varka|varastet|murto|murtau|odcizen|ukradzion|çalın|t[oō]u?nan|nusuma|akisu"
    ),
    "fire": (
        r"fire|burn|burnt|flame|smoke|blaze|scorch|incendie|ignit|short circuit|explo(?:sion|ded)|"
        r"incendio|brand\b|feuer|fuego|incêndio|brandskad|brandskade|pożar|požár|yangın|"
        # Norwegian, Finnish, Czech, Polish, Turkish, Japanese in romaji
        r"brann|brant\b|brenne|røykskade|tulipalo|palovahin|syttyi|vyhořel|shořel|spłon|"
        r"spalił|yandı|kaji\b|kasai\b"
    ),
    "water_damage": (
        r"water|leak|flood|burst|soaked|overflow|escape of water|damp|drip|plumb|mou?ld\b|"
        r"dégât des eaux|inund|infiltra|allagam|wasserschaden|waterschade|fuite d'eau|"
        r"lekkage|rohrbruch|vattenskad|vattenläck|läck|vandskade|lækage|vannskade|lekkasje|"
        r"zalani|zalał|przeciek|wyciek|vytop|únik vody|su baskın|sızıntı|su sızdı|"
        r"fuga de agua|fuga d'acqua|perdita d'acqua|fuga de água|água|"
        # Finnish, Norwegian, Czech, Polish, Japanese in romaji
        r"vesivahin|vuoto|vuoti|kastui|putkivuoto|vannlekkasje|vodovod|zatekl|zatékal|"
        r"zatopen|voda\b|vody\b|woda\b|wody\b|suigai|mizumore|r[oō]u?sui|shinsui"
    ),
    "storm": (
        r"storm|hail(?:storm|ed|ing|stones?)?\b|wind(?:s|y|storm)?\b|gales?\b|hurricane|tornado|"
        r"typhoon|cyclone|lightning|"
        r"fallen tree|southerly|northerly|blizzard|tempest|heavy rain|downpour|snowfall|"
        r"weight of snow|tempête|tormenta|granizo|sturm|unwetter|hagel|orkaan|tempestade|"
        r"stormskad|burza|nawałnic|gradobic|bouřk|vichřic|krupobit|fırtına|"
        # Turkish hail, Finnish, Norwegian/Danish, Czech, Polish, Japanese in romaji
        r"dolu (?:yağ|tane|nedeniyle)|doludan|myrsky|raekuuro|rakeet|uvær|uvejr|hagl\b|"
        r"bouře|kroupy|wichur|grad\b|taif[uū]u?|b[oō]u?f[uū]u?|tatsumaki|rakurai"
    ),
    "vandalism": (
        r"vandal|graffiti|keyed|slashed|spray[- ]painted|deliberately|malicious|kicked in|"
        r"scratched the paint|wandal|hærverk|hærværk|skadegörelse|ilkivalta|itazura"
    ),
    "glass": (
        r"windshield|windscreen|glass|window|glazing|glazed|glazier|"
        # a windscreen or a pane in other languages (see collision for the list)
        r"windschutzscheibe|frontscheibe|heckscheibe|scheibe|glasbruch|glasschade|voorruit|"
        r"achterruit|autoruit|ruit\b|pare-brise|bris de glace|vitre|parabrezza|cristall|"
        r"vetro|parabrisas|luneta|para-brisa|lunotto|vidro|vindrut|bakrut|glasrut|forrude|bagrude|"
        r"frontrute|glasskade|szyb|čelní skl|sklo\b|skla\b|ön cam|arka cam|camı|"
        r"tuulilasi|lasi\b|ikkuna|garasu"
    ),
    "liability": (
        r"liability|liable|third-party claim|sued\b|sue\b|lawsuit|legal action|court\b|compensation|"
        r"slipped|tripped|claim against me|asking me to pay|personal injury claim|"
        r"(?:asks?|asked|wants?|demands?|demanded|expects?) (?:me|us) to pay|"
        r"hold(?:s|ing)? (?:me|us) (?:responsible|liable)|"
        # a suit tendered to the insurer: "filed suit", "we tender the defense"
        r"filed (?:a )?suit|(?:above|this|the) suit\b|tender(?:s|ed|ing)? (?:the |its |our )?"
        r"defen[cs]e|seek(?:s|ing)? damages|"
        # third-party liability in other languages
        r"haftpflicht|aansprakelijk|responsabilit[éà]|responsabilidad|responsabilidade|"
        r"ansvarsförsäkring|ansvarsforsikring|odpowiedzialnoś|odpovědnost|sorumluluk|"
        r"me demande de (?:payer|rembourser)|mi chiede di pagare|me pide que pague"
    ),
    "medical": (
        r"medical|hospital|clinic|doctor|treated|treatment|injur|fracture|illness|ill\b|fever(?:s|ish)?\b|"
        r"sick|urgent care|emergency (?:department|room)|ambulance|medication|surgery|physio|"
        r"x-ray|ultrasound|poisoning|infection|allergic|reaction|sting|sprain|diagnos|"
        r"therap|physician|"
        # illness, a doctor, a hospital or a clinic, treatment, a sprain in other languages
        r"médic|medic|médecin|hôpita|clinique|entorse|soins|urgences|"
        r"ospedal|clinica|pronto soccorso|distorsion|"
        r"clínica|esguince|tratamiento|diagnóstico|urgencias|hospital|tratamento|"
        r"arzt|ärzt|krankenhaus|klinik|behandlung|diagnose|verstauch|krank|"
        r"ziekenhuis|dokter|huisarts|behandeling|verstuik|ziek\b|"
        r"sjukhus|läkare|vårdcentral|stukad|læge|skadestue|forstuv|sykehus|lege\b|"
        r"szpital|lekarz|leczeni|skręceni|nemocnic|lékař|ošetřen|výron|"
        r"hastane|doktor|tedavi|burkul|"
        # a dentist or a tooth, in the languages above; a doctor or a hospital in Finnish,
        # Norwegian and Japanese in romaji
        r"dental|dentist|tooth|teeth|toothache|root canal|endodon|odontol|muela|diente|"
        r"dentaire|zahnarzt|zahnbehandl|zahn\b|tandläkar|tandlæge|tannlege|tandarts|"
        r"dentyst|stomatolog|zubař|zubn|ząb|diş hekim|dişim|hammas|lääkäri|sairaala|"
        r"terveyskesk|legevakt|by[oō]u?in|kega\b"
    ),
    # Not a kind the policy tables name, but a kind all the same: luggage lost or
    # delayed, a trip cancelled.
    "other": (
        r"baggage|luggage|suitcase|(?:trip|holiday|flight|travel|booking) cancell?ation|"
        r"cancell?ation of (?:the |my |our )?(?:trip|holiday|flight|travel|booking)|"
        r"cancell?ed (?:the |my |our )?"
        r"(?:whole )?(?:trip|holiday|vacation|flight|booking)|missed (?:the |my )?"
        r"(?:flight|connection)|flight (?:delay|cancel)|"
        r"bagage|valise|annulation d[eu] (?:mon |notre )?(?:voyage|séjour|vol)|bagaglio|valigia|annullament|equipaje|maleta|cancelaci|"
        r"bagagem|extraviad|cancelament|gepäck|koffer|reiserücktritt|"
        r"annulering|resväska|avbokning|kuffert|afbestilling|bagaż|walizk|"
        r"zavazadl|kufr|bagaj|valiz|iptal"
    ),
}
assert set(KEYWORDS) == set(get_args(IncidentType))

_BOX = r"[\[(]\s*(?P<mark>[xX✓✔*]?)\s*[\])]|(?P<glyph>[☒☑☐□■])"
_OPTION = re.compile(
    rf"(?:{_BOX})\s*(?P<label>[^\[\]()☒☑☐□■\n|]{{2,40}}?)(?=\s{{2,}}|\s*[\[(☒☑☐□■]|\s*$|\s*\|)",
    re.MULTILINE,
)
_TYPE_FIELD = re.compile(
    r"(?:type of (?:loss|claim|incident|damage)|claim type|cause(?: of (?:loss|damage))?|"
    r"nature(?: of (?:loss|damage))?|(?:loss|incident|damage|event) type|peril|"
    # the same field in the languages the label reader knows (an export's keys included)
    r"tipo (?:de |do |del )?(?:sinistro|siniestro|dano|daño|evento)|rodzaj (?:szkody|zdarzenia)|"
    r"typ (?:události|udalosti|škody|skody)|skadetyp|skadeart|schadenart|art des schadens|"
    r"type de sinistre|nature du sinistre|hasar türü|vahinkolaji|jiko shubetsu)"
    r"\s*:\s*(?P<value>[^\n\[]{3,60})$",
    re.IGNORECASE | re.MULTILINE,
)


_PATTERNS = {kind: re.compile(rf"(?<![\w-])(?:{words})") for kind, words in KEYWORDS.items()}


def _types_in(words: str) -> list[IncidentType]:
    """Types described in `words`, in order of their first word ("the other driver" and a
    type's own name, like "water damage", count as words too)."""
    lowered = f" {words.lower().replace('_', ' ')} "
    found = []
    for kind, pattern in _PATTERNS.items():
        positions = [m.start()] if (m := pattern.search(lowered)) else []
        # "other" is no kind's own name ("the other driver")
        named = lowered.find(kind.replace("_", " ")) if kind != "other" else -1
        positions += [named] if named >= 0 else []
        if positions:
            found.append((min(positions), kind))
    kinds = [kind for _, kind in sorted(found)]
    if "other" in kinds and "theft" in kinds:
        # A stolen suitcase is a theft: luggage words say "other" only when nothing else does.
        kinds.remove("other")
        kinds.append("other")
    return kinds


def _options(text: str) -> tuple[list[str], list[str], str]:
    """The ticked and unticked options of a form, and the text without the unticked ones."""
    ticked, unticked = [], []
    kept = text
    for m in _OPTION.finditer(text):
        glyph = m.group("glyph")
        on = bool(m.group("mark")) if glyph is None else glyph in "☒☑■"
        (ticked if on else unticked).append(m.group("label").strip())
        if not on:
            kept = kept.replace(m.group(0), " ", 1)
    return ticked, unticked, kept


def ticked_types(text: str) -> list[IncidentType]:
    """Types a form marks, or names in a "Type of loss:" field."""
    ticked, _, _ = _options(text)
    found: list[IncidentType] = []
    for label in ticked:
        found += _types_in(label)
    fields = "\n".join(as_field(line) for line in _options(text)[2].split("\n"))
    for field in _TYPE_FIELD.finditer(fields):
        found += _types_in(field.group("value"))
    return list(dict.fromkeys(found))


# What a document says did not happen: "no injuries", "Injuries: none", "nobody was hurt".
_NEGATED = re.compile(
    r"\b(?:no|not|nobody|none|nothing|without|never|neither|nor)\b[^.;:\n]{0,24}?"
    r"(?=\b\w)|\b(\w[\w ]{0,24}?)\s*:\s*(?:none|no|nil|n/?a)\b",
    re.IGNORECASE,
)


def _without_negations(text: str) -> str:
    """The text without what it says did not happen: the words right after a negation (up
    to the next punctuation or "but", "and"..., at most a few words), and fields answered
    "none"."""
    out = []
    last = 0
    for m in _NEGATED.finditer(text):
        if m.group(1) is not None:  # "Injuries: none": drop the field's label
            out.append(text[last : m.start()])
            last = m.end()
            continue
        out.append(text[last : m.end()])
        end = re.search(
            r"[.;:\n,]|\b(?:but|and|although|though|yet|while|however)\b|$",
            text[m.end() : m.end() + 40],
        )
        last = m.end() + (end.start() if end else 0)
    out.append(text[last:])
    return "".join(out)


# Words that start a sentence (or a subject line) capitalised without starting a name.
_OPENER_WORDS = """the a an during on in at after before since when while last this that our my
your his her their its from to for of by with and or but re fw fwd subject
der die das ein eine einen einem dem den des mein meine meinen unser unsere am im beim vom
zum zur bei nach het een mijn onze le la les un une mon ma mes notre au du des el los las una
mi nuestro il lo gli uno mio o os um uma meu minha min mitt vår en ett"""
# (German capitalises every noun, so "Mein Koffer", "Die Windschutzscheibe" open with an
# article, as "The" does in English; those are no names.)
_OPENERS = frozenset(_OPENER_WORDS.split())
_CAPITALISED = re.compile(r"[A-ZÀ-Þ][\w'’&-]*(?:[ \t]+[A-ZÀ-Þ][\w'’&-]*)+")


def _without_names(text: str) -> str:
    """The text without the inner words of names: "Global Travel Medical" (an insurer) and
    "Dent Doctors" (a garage) describe no incident; "Storm Isha" still describes a storm, and
    "FIRE CLAIM" a fire (the first word of a name is kept)."""

    def blank(m: re.Match[str]) -> str:
        words = m.group(0).split(" ")
        keep = 2 if words[0].lower() in _OPENERS else 1  # "During Storm Isha": keep "Storm"
        kept = " ".join(words[:keep])
        return kept + " " * (len(m.group(0)) - len(kept))

    return _CAPITALISED.sub(blank, text)


def described_types(text: str) -> list[IncidentType]:
    """Types the document has a word for, first mentioned first (unticked options, what it
    says did not happen, and words inside names left out)."""
    _, _, kept = _options(text)
    return _types_in(_without_names(_without_negations(kept)))


# A fall ("slipped", "tripped") is liability only when someone holds the insured to pay
# for it; the insured's own fall, treated at a clinic, is a medical claim.
_FALLS = re.compile(r"slipped|tripped")


def liability_claimed(text: str) -> bool:
    """Whether the document says someone claims against the insured: a word for liability
    other than a fall's."""
    kept = _without_names(_without_negations(_options(text)[2])).lower()
    return any(not _FALLS.fullmatch(m.group(0)) for m in _PATTERNS["liability"].finditer(kept))
