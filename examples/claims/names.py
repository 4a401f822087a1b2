"""Find the people a document names, and write a name the one way the pipeline keeps it.

A claim document names people in many ways: "Thomas Whitaker", "Mrs Margaret Ellison",
"KOWALCZYK, Anna", "WATANABE Kenji", "Surname: MURPHY  Forename(s): Siobhan",
"Jean-Marc Lefebvre", "Declan O'Sullivan", "Lucía Fernández". `names_in_text` finds
every full name (a given name and a surname) with where it is; `canonical_name` writes
any of those forms as "Given Surname".
"""

from __future__ import annotations

import calendar
import re
import unicodedata
from dataclasses import dataclass

__all__ = [
    "NameMention",
    "canonical_name",
    "names_in_text",
    "normalize_name",
    "one_spelling_each",
    "same_person",
    "text_contains_name",
]

# A word of letters, not glued to digits ("LS11" is a postcode, not the name "LS").
_WORD = re.compile(
    r"(?<![\w-])[^\W\d_]+(?:['’][^\W\d_]+)*(?:-[^\W\d_]+(?:['’][^\W\d_]+)*)*(?![\d])"
)
_PARTICLES = frozenset(
    [
        "van",
        "von",
        "de",
        "der",
        "den",
        "da",
        "di",
        "du",
        "la",
        "le",
        "del",
        "della",
        "dos",
        "das",
        "do",
        "bin",
        "ben",
        "al",
        "el",
        "ter",
        "ten",
        "y",
    ]
)
_TITLES = frozenset(
    [
        "mr",
        "mrs",
        "ms",
        "miss",
        "mx",
        "dr",
        "prof",
        "sir",
        "dame",
        "madam",
        "mme",
        "mlle",
        "herr",
        "frau",
        "sr",
        "sra",
        # Dutch, Italian, Spanish and Portuguese forms of address
        "mevrouw",
        "mevr",
        "dhr",
        "heer",
        "meneer",
        "signor",
        "signora",
        "sig",
        "sigra",
        "don",
        "doña",
        "señor",
        "señora",
        "senhor",
        "senhora",
        # Polish, Czech, Slovak and Turkish forms of address (and their cases): "Pana Piotra"
        "pan",
        "pani",
        "pana",
        "panią",
        "panem",
        "panu",
        "paní",
        "pán",
        "sayın",
        "bay",
        "bayan",
    ]
)
# Capitalised words that are not names: sentence openers, closings in a few languages, form
# labels, words of streets and places, and words that make a run of capitals a firm.
_WORDS_THAT_ARE_NOT_NAMES = """
I I'm I’m I've It's It’s That's There's Here's Hi Hello Hey Hiya Dear Sir Madam Sirs
Regards Best Kind Thanks Thank Cheers Yours Faithfully Sincerely Truly Very Many Good
Morning Afternoon Evening Day Please The This That These Those My Our Your His Her Their
We You He She It They On At In Of For From To By With And Or But If As So Re Fw Fwd Cc
Bcc Subject Sent Date Time Policy Policyholder Claim Claims Claimant Form Section Page
Part Name Names Surname Forename Forenames Given First Last Insured Insurer Insurance
Assurance Mutual Direct Department Team Services Service Company Bank Police Hospital
Clinic Clinique Street Road Lane Avenue Grove Wharf Quay Close Drive Court Place Square
Suite Unit Box Ltd Limited LLP Inc Corp GmbH Sons Co Esq Attorney Attorneys Law
Solicitor Solicitors Property Manager Lettings Agent Officer Adjuster Assessor Broker
Rep Caller Customer Member Patient Party Driver Vehicle Other Total Amount Estimate
Estimated Quote Invoice Facture Type Loss Incident Accident Damage Details Description
Statement Signature Signed Notes Note Report Reported Received Submitted Notification
Online Via Email Call Phone Mobile Tel Reference Ref Number No Chat Transcript Voicemail
Automated Agent Field Visit Contract Declaration Travel Medical Global Home Motor Auto
Car House Fire Theft Storm Water Glass Collision Vandalism Liability Other Yes North
South East West Store Building Emergency Cause Tick Escape Accidental Details Amount
Claimed Witnesses Injuries Place Location Narrative Category Country Treatment Reason
Itemised Expenses Item Declaration Mit Freundlichen Grüssen Kia Ngā Mihi Hola Gracias
Saludo Merci Bonjour Objet Madame Monsieur Veuillez Estimados Señores Asunto Von An
Betreff Brokers Brokerage Associates Partners Group Holdings Solutions Motors Garage
Bodyworks Bodyshop Builders Building Roofing Plumbing Plumbers Plomberie Talleres
Glaziers Glass Restoration Lettings Estates Agency Agencies Assist Assistance Healthcare
Health Care Medical Centre Center University College School Hotel Café Cafe Restaurant
Shop Store Mall Station Airport Direct Plus
Row Park Way Crescent Terrace Hill Gardens Casualty Indemnity Underwriters Underwriting
Consulting Consultants Executive Assistant Secretary Office Cabinet Assurances Assurance
Versicherung Versicherungen Betrag Schaden Schadenmeldung Schadensmeldung Meldung Kantoor
Advocatenkantoor Advocaten Notariskantoor Afdeling Schadeafdeling Verzekeringen Avocats
Abogados Rechtsanwälte Kanzlei Studio Legale Despacho Seguros Assicurazioni
Kære Kæreste Kjære Hej Hei Hallo Moi Hilsen Hilsner Venlig Vennlig Vänliga Hälsningar Mvh
Szanowni Szanowny Szanowna Państwo Pozdrawiam Pozdrowienia Poważaniem Vážení Vážený Vážená
Pozdravem Úctou Dobrý Sayın Yetkili Saygılarımla Saygılar Selamlar Atenciosamente
Cordialmente Cumprimentos Prezados Prezado Prezada Saludos Atentamente Estimado Estimada
Cordiali Distinti Saluti Gentile Gentili Groeten Groet Vriendelijke Geachte Sehr Geehrte
Geehrter Damen Herren Liebe Lieber Grüße Grüßen Gruß Cordialement Terveisin Ystävällisin
Hyvä Üdvözlettel Tisztelt Adım Llamo Nome Navn Heter Jmenuji Nazywam
Beim Bei Am Im Zum Zur Laut Mein Meine Ich Wir Nr Numer Polisa Polisy Poliçe Poliçem
Başlangıç Bitiş Hasar Tarihi Tutar Toplam Muafiyet Adres Adresa Adresse Dirección Endereço
Versicherungsnummer Policenummer Polisenummer Försäkringsnummer Pojistka Pojistník
Apólice Póliza Polizza Kwota Miejsce Opis Popis Beløb Belopp Celkem Importe Valor
Skadedato Selvrisiko Självrisk Egenandel Spoluúčast Franquicia Franquia Selbstbeteiligung
Schadenhöhe Numero Número Datum Data Fecha
"""
# A firm's legal form, in the countries claims come from: a run of capitalised words
# beside one is a company ("Trans-Bud Sp. z o.o.", "Bolig Partner ApS", "Reformas Ibéricas
# S.A.", "UAB Vilniaus Remontas"), never a person.
_LEGAL_FORM = re.compile(
    # written as firms write them (case matters: "as" and "me" are words too)
    r"(?<![\w&])(?:Sp\.\s?z\s?o\.\s?o\.|sp\.\s?z\s?o\.\s?o\.|S\.A\.|SA|S\.L\.|SL|S\.A\.S\.|SAS|"
    r"S\.r\.l\.|Srl|SRL|S\.p\.A\.|SpA|S\.à\s?r\.l\.|SARL|Sarl|s\.r\.o\.|spol\.|a\.s\.|A/S|ApS|"
    r"I/S|AS|ASA|AB|Oy|Oyj|Kft\.?|Zrt\.?|Nyrt\.?|Bt\.|Ltda\.?|LTDA|Lda\.?|Ltd\.?|LTD|Limited|"
    r"Pty|PTY|Plc|PLC|plc|LLC|LLP|Inc\.?|Corp\.?|GmbH|AG|KG|OHG|UG|e\.K\.|B\.V\.|BV|N\.V\.|NV|"
    r"BVBA|KK|K\.K\.|Kabushiki|Kōgyō|Kogyo|UAB|SIA|OÜ|d\.o\.o\.|Şti\.?|A\.Ş\.|Sti\.)"
    r"(?![\w])"
)
_LEGAL_FORM_BESIDE = re.compile(rf"[ \t,]*(?:&\s*Co\.?\s*)?{_LEGAL_FORM.pattern}")
# Words of a street, alone ("Holloway St", "Rua das Flores", "Bağdat Caddesi", "ul.
# Marszałkowska") or as a street name's ending ("Nørrebrogade", "Storgatan", "Hauptstraße").
_STREET_WORDS = frozenset(
    [
        "rd",
        "st",
        "ave",
        "av",
        "avda",
        "avenida",
        "avenue",
        "blvd",
        "boulevard",
        "hwy",
        "highway",
        "pde",
        "parade",
        "cres",
        "tce",
        "ulica",
        "ul",
        "aleje",
        "aleja",
        "osiedle",
        "ulice",
        "nám",
        "náměstí",
        "třída",
        "gade",
        "vej",
        "gata",
        "gatan",
        "vägen",
        "väg",
        "veien",
        "vei",
        "gate",
        "plass",
        "plads",
        "torv",
        "allé",
        "alle",
        "rua",
        "travessa",
        "praça",
        "calle",
        "carrer",
        "paseo",
        "via",
        "viale",
        "piazza",
        "vicolo",
        "straße",
        "strasse",
        "str",
        "gasse",
        "weg",
        "platz",
        "allee",
        "rue",
        "chemin",
        "impasse",
        "quai",
        "straat",
        "laan",
        "plein",
        "gracht",
        "sokak",
        "sokağı",
        "sokagi",
        "caddesi",
        "cad",
        "bulvarı",
        "mahallesi",
        "pr",
        "prospektas",
        "gatvė",
        "iela",
        "katu",
        "kuja",
        "utca",
        "út",
        "tér",
    ]
)
_STREET_ENDINGS = (
    "gade",
    "vej",
    "gatan",
    "vägen",
    "veien",
    "vegen",
    "straße",
    "strasse",
    "gasse",
    "allee",
    "plads",
    "torv",
    "straat",
    "gracht",
    "caddesi",
    "sokağı",
    "gatvė",
    "katu",
    "utca",
)
# A product or plan's words ("Subaru Outback", "Annual Multi-Trip Europe", "Home
# Essentials Plus"), and an amount written in words ("Eighty-Seven Thousand Pounds").
_PRODUCT_WORDS = frozenset(
    [
        "subaru",
        "toyota",
        "honda",
        "volkswagen",
        "vw",
        "bmw",
        "audi",
        "skoda",
        "škoda",
        "renault",
        "peugeot",
        "citroën",
        "citroen",
        "fiat",
        "opel",
        "volvo",
        "hyundai",
        "nissan",
        "mazda",
        "mitsubishi",
        "tesla",
        "dacia",
        "suzuki",
        "lexus",
        "jeep",
        "chevrolet",
        "porsche",
        "outback",
        "corolla",
        "passat",
        "octavia",
        "annual",
        "multi-trip",
        "single-trip",
        "trip",
        "europe",
        "worldwide",
        "essentials",
        "essential",
        "premium",
        "comfort",
        "basic",
        "standard",
        "platinum",
        "complete",
        "completo",
        "cover",
        "plan",
    ]
)
_NUMBER_WORDS = frozenset(
    [
        "zero",
        "one",
        "two",
        "three",
        "four",
        "five",
        "six",
        "seven",
        "eight",
        "nine",
        "ten",
        "eleven",
        "twelve",
        "thirteen",
        "fourteen",
        "fifteen",
        "sixteen",
        "seventeen",
        "eighteen",
        "nineteen",
        "twenty",
        "thirty",
        "forty",
        "fifty",
        "sixty",
        "seventy",
        "eighty",
        "ninety",
        "hundred",
        "thousand",
        "million",
        "only",
        "pounds",
        "pound",
        "euro",
        "euros",
        "dollars",
        "dollar",
        "cents",
        "pence",
        "kronor",
        "kroner",
        "krone",
        "zloty",
        "złotych",
        "lira",
        "rand",
        "francs",
        "yen",
    ]
)
_NOT_NAMES = (
    frozenset(w.lower() for w in _WORDS_THAT_ARE_NOT_NAMES.split())
    | {m.lower() for m in calendar.month_name[1:]}
    | {d.lower() for d in calendar.day_name}
)


@dataclass(frozen=True, slots=True)
class NameMention:
    """A full name as the document writes it, and as the pipeline keeps it."""

    name: str  # canonical: "Given Surname"
    start: int
    end: int
    text: str


def _is_name_word(word: str) -> bool:
    lower = word.lower()
    if lower in _NOT_NAMES or lower in _TITLES or lower in _STREET_WORDS:
        return False
    if lower in _PRODUCT_WORDS or all(p in _NUMBER_WORDS for p in lower.split("-")):
        return False
    if len(lower) > 6 and lower.endswith(_STREET_ENDINGS):
        return False
    core = word.replace("'", "").replace("’", "").replace("-", "")
    if len(core) < 2 or not core[0].isupper():
        return False
    return word.isupper() or any(c.islower() for c in core)


def _title(word: str) -> str:
    """KOWALCZYK -> Kowalczyk, O'SULLIVAN -> O'Sullivan; mixed case stays as written."""
    if not word.isupper():
        return word
    return re.sub(r"[^\W\d_]+", lambda m: m.group(0).capitalize(), word.lower())


def canonical_name(name: str) -> str:
    """ "KOWALCZYK, Anna" / "WATANABE Kenji" / "Mrs Anna Kowalczyk" -> "Anna Kowalczyk"."""
    name = " ".join(name.replace("\n", " ").split())
    if "," in name:
        surname, _, given = name.partition(",")
        name = f"{given.strip()} {surname.strip()}"
    words = [w for w in name.split() if w.lower().rstrip(".") not in _TITLES]
    # Surname first, marked by capitals: "WATANABE Kenji".
    if len(words) == 2 and words[0].isupper() and not words[1].isupper() and len(words[0]) > 1:
        words = [words[1], words[0]]
    return " ".join(_title(w) for w in words)


def names_in_text(text: str) -> list[NameMention]:
    """Every full name in `text` (two to four name words), in order of appearance."""
    found: list[NameMention] = []
    words = list(_WORD.finditer(text))
    n = 0
    while n < len(words):
        run = [words[n]]
        k = n + 1
        while k < len(words) and len(run) < 5:
            gap = text[run[-1].end() : words[k].start()]
            if gap not in (" ", "\u00a0"):
                break
            word = words[k].group(0)
            if not (_is_name_word(word) or word.lower() in _PARTICLES):
                break
            run.append(words[k])
            k += 1
        while run and run[-1].group(0).lower() in _PARTICLES:
            run.pop()
        names = [w.group(0) for w in run]
        # Capitals right after a number are a postcode's letters ("1016 GC Amsterdam").
        postcode = bool(
            names and names[0].isupper() and re.search(r"\d[ \t]$", text[: run[0].start()][-2:])
        )
        if len(run) >= 2 and _is_firm_street_or_fragment(text, run):
            n = k
            continue
        if len(run) >= 2 and _is_name_word(names[0]) and _plausible(names) and not postcode:
            start, end = run[0].start(), run[-1].end()
            if _surname_first_field(text, start) and canonical_name(" ".join(names)).split()[
                0
            ] == _title(names[0]):
                names = [names[-1], *names[:-1]]  # "(surname, first name): Brennan Aoife"
            found.append(NameMention(canonical_name(" ".join(names)), start, end, text[start:end]))
            n = k
        else:
            n += 1
    found += _surname_first(text)
    fields = _form_fields(text)
    found = [m for m in found if not any(f.start <= m.start < f.end for f in fields)]
    found += fields
    unique: dict[tuple[int, int], NameMention] = {}
    for mention in found:
        unique.setdefault((mention.start, mention.end), mention)
    return sorted(unique.values(), key=lambda m: m.start)


def _is_firm_street_or_fragment(text: str, run: list[re.Match[str]]) -> bool:
    """A run of capitalised words that is a firm (a legal form in it or beside it: "Bolig
    Partner ApS", "UAB Vilniaus Remontas"), a form's label ("Hasar Tarihi: 05.03.2025"),
    or a scanner's fragments ("Po licy", "Da te": every word of two letters or fewer)."""
    words = [w.group(0) for w in run]
    if all(len(w) <= 2 for w in words):
        return True
    if any(_LEGAL_FORM.fullmatch(w) for w in words):
        return True
    if _LEGAL_FORM_BESIDE.match(text, run[-1].end()) or _LEGAL_FORM.match(text, run[-1].start()):
        return True
    before = text[max(0, run[0].start() - 5) : run[0].start()]
    if re.search(rf"(?:{_LEGAL_FORM.pattern})[ \t]+$", before):
        return True
    return bool(re.match(r"[ \t]*:[ \t]*\d", text[run[-1].end() : run[-1].end() + 6]))


def _plausible(words: list[str]) -> bool:
    # A heading in capitals ("GLOBAL TRAVEL MEDICAL") is not a name; a name has at most
    # one word in capitals (the surname, as forms write it).
    return sum(w.isupper() for w in words) <= 1 and len(words) <= 4


_SURNAME_COMMA = re.compile(
    r"(?<![\w'’-])([^\W\d_]+(?:['’-][^\W\d_]+)*),[ \t]+([^\W\d_]+(?:-[^\W\d_]+)*(?:[ \t][^\W\d_]+)?)"
)


def _surname_first(text: str) -> list[NameMention]:
    """ "KOWALCZYK, Anna" (a surname in capitals, or after a name label)."""
    out = []
    for m in _SURNAME_COMMA.finditer(text):
        surname, given = m.group(1), m.group(2).split()
        given = [w for w in given if _is_name_word(w) and not w.isupper()][:2]
        if not given or not _is_name_word(surname) or given[0] != m.group(2).split()[0]:
            continue
        label = text[text.rfind("\n", 0, m.start()) + 1 : m.start()].lower()
        if surname.isupper() or re.search(
            r"(insured|name|holder|assuré|claimant|patient|member)\b[^\n]{0,12}$", label
        ):
            end = m.start(2) + len(" ".join(given))
            name = canonical_name(f"{surname}, {' '.join(given)}")
            out.append(NameMention(name, m.start(), end, text[m.start() : end]))
    return out


# A form's label that says the name is written surname first: "Insured person (surname,
# first name):", "Nom, prénom :", "Name, Vorname:", "Apellidos y nombre:".
_SURNAME_LABEL = (
    r"surname|last[ _-]?name|family[ _-]?name|nom(?:\s+de\s+famille)?|nachname|familienname|"
    r"apellidos?|achternaam|familienaam|cognome|sobrenome|apelidos?"
)
_GIVEN_LABEL = (
    r"forenames?|forename\(s\)|first[ _-]?names?|given[ _-]?names?|pr[ée]noms?|vornamen?|"
    r"nombres?|voornamen?|voornaam|nome|primeiro[ _-]nome"
)
_SURNAME_FIRST = re.compile(
    rf"(?:{_SURNAME_LABEL}|\bname)\s*[,/&]?\s*(?:and|y|und|en|et|e)?\s*(?:{_GIVEN_LABEL})\W{{0,4}}$",
    re.IGNORECASE,
)


def _surname_first_field(text: str, start: int) -> bool:
    line_start = text.rfind("\n", 0, start) + 1
    return bool(_SURNAME_FIRST.search(text[max(line_start, start - 80) : start]))


# One of a form's name fields: "Surname: MURPHY", "last_name: Raghunathan", "Vorname:
# Katrin", "Apellidos: Márquez Olmedo", "Nom : Dubois"; the value ends at the line's end,
# at two spaces, or at the next field.
_NAME_LABEL = re.compile(
    rf"(?<![\w])(?:(?P<surname>{_SURNAME_LABEL}|name)|(?P<given>{_GIVEN_LABEL}))"
    r"\s*(?:\([^)\n]{0,24}\))?\s*[:=]\s*",
    re.IGNORECASE,
)
_VALUE = re.compile(r"[^\W\d_][^\W\d_'’-]*(?:(?:[ '’-]|(?<=\w)\. )[^\W\d_][^\W\d_'’-]*)*")


def _form_fields(text: str) -> list[NameMention]:
    """A name a form splits over two fields, in either order, on one line or two:
    "Surname: MURPHY   Forename(s): Siobhan", "first_name: Priya / last_name: ...",
    "Vorname: ... Nachname: ...", "Nombre: ... Apellidos: ...". Kept as "Given Surname"."""
    fields: list[tuple[str, str, str, int, int]] = []  # kind, label, value, start, value end
    for m in _NAME_LABEL.finditer(text):
        value = _VALUE.match(text, m.end())
        words = _field_words(value.group(0), bool(m.group("surname"))) if value else []
        if words:
            kind = "surname" if m.group("surname") else "given"
            label = (m.group("surname") or m.group("given")).lower()
            end = text.find(words[-1], m.end()) + len(words[-1])
            fields.append((kind, label, " ".join(words), m.start(), end))
    out = []
    for kind, label, surname, start, end in fields:
        if kind != "surname":
            continue
        pairs = [
            f
            for f in fields
            if f[0] == "given"
            and abs(f[3] - start) <= 200
            and text.count("\n", min(f[3], start), max(f[3], start)) <= 2
            # German forms write "Name:" for the surname beside a "Vorname:".
            and (label != "name" or f[1].startswith(("vorname", "voorna", "prénom", "prenom")))
        ]
        if not pairs:
            continue
        given = min(pairs, key=lambda f: abs(f[3] - start))
        first, last = min(start, given[3]), max(end, given[4])
        name = canonical_name(f"{surname}, {given[2]}")
        out.append(NameMention(name, first, last, text[first:last]))
    return out


def _field_words(value: str, surname: bool) -> list[str]:
    """The name in a field's value: name words up to the next label or a non-name word."""
    words: list[str] = []
    for word in value.split():
        plain = word.rstrip(".")
        if re.fullmatch(rf"(?:{_SURNAME_LABEL}|{_GIVEN_LABEL})", plain, re.IGNORECASE):
            break
        # A surname may open with a particle: "Achternaam: de Vries".
        if not (_is_name_word(plain) or ((words or surname) and plain.lower() in _PARTICLES)):
            break
        words.append(plain)
    while words and words[-1].lower() in _PARTICLES:
        words.pop()
    if not any(_is_name_word(w) for w in words):
        return []
    return words[: 3 if surname else 2]


# Letters NFKD does not take apart: "Yıldız" is "Yildiz", "Wałęsa" is "Walesa", "Søren"
# is "Soren", "Weiß" is "Weiss".
_FOLD = str.maketrans(
    {
        "ı": "i",
        "ł": "l",
        "Ł": "L",
        "ø": "o",
        "Ø": "O",
        "đ": "d",
        "Đ": "D",
        "ð": "d",
        "ß": "ss",
        "æ": "ae",
        "Æ": "Ae",
        "œ": "oe",
        "Œ": "Oe",
        "þ": "th",
        "ħ": "h",
    }
)
# German writes an umlaut without its dots as a following e: "Jürgen" is "Juergen".
_UMLAUT_E = str.maketrans({"ä": "ae", "ö": "oe", "ü": "ue", "Ä": "Ae", "Ö": "Oe", "Ü": "Ue"})


def normalize_name(name: str) -> str:
    """Lower-case, single-spaced, no punctuation or accents: "O'Neil,  Ana" -> "o neil ana",
    "Ayşe Yıldız" -> "ayse yildiz"."""
    plain = unicodedata.normalize("NFKD", name.translate(_FOLD))
    plain = "".join(c for c in plain if not unicodedata.combining(c))
    return " ".join(re.sub(r"[^\w]+", " ", plain.lower()).split())


def _keys(name: str) -> set[tuple[str, ...]]:
    keys = {tuple(sorted(normalize_name(name).split()))}
    keys.add(tuple(sorted(normalize_name(name.translate(_UMLAUT_E)).split())))
    return keys


def same_person(a: str, b: str) -> bool:
    """Same words in any order, with or without their diacritics: "O'Brien, Fatima" is
    "Fatima O'Brien", "Ayse Celik" is "Ayşe Çelik", "Juergen Weiss" is "Jürgen Weiß". A
    surname's other form is another person: "Petr Dvořák" is not "Jana Dvořáková"."""
    return bool(_keys(a) & _keys(b))


# The case endings Polish, Czech and Slovak give a name in a sentence ("w imieniu Pana
# Piotra Wiśniewskiego" is Piotr Wiśniewski): a word is an inflected form of another when
# it is that word with one of these (feminine -a and adjectival -i/-y forms change their
# last letter first). A woman's surname (Dvořáková, Kowalska, Nowakowa) is a name of its
# own, never an inflection of a man's.
_MASCULINE_CASES = ("a", "u", "owi", "em", "ie", "ovi", "om")
_FEMININE_CASES = ("y", "i", "ie", "ę", "ą", "ej", "iej", "ou", "é", "u")
_ADJECTIVE_CASES = ("ego", "emu", "m", "ch", "ho", "mu")


def _inflects(word: str, base: str) -> bool:
    w, b = normalize_name(word), normalize_name(base)
    if w == b or len(b) < 3:
        return False
    if b[-1] in "iy":  # Wiśniewski -> Wiśniewskiego, Nový -> Nového
        stems = [b + e for e in _ADJECTIVE_CASES] + [
            b[:-1] + e for e in ("ego", "emu", "eho", "ému")
        ]
        return w in stems
    if b[-1] == "a":  # Kowalska -> Kowalskiej, Anna -> Anny
        return w in [b[:-1] + normalize_name(e) for e in _FEMININE_CASES]
    return w in [b + e for e in _MASCULINE_CASES]


def _inflected_form_of(name: str, base: str) -> bool:
    words, bases = name.split(), base.split()
    if len(words) != len(bases) or same_person(name, base):
        return False
    pairs = list(zip(words, bases, strict=True))
    return all(same_person(w, b) or _inflects(w, b) for w, b in pairs)


def _shortened_form_of(name: str, full: str) -> bool:
    """ "Lucía Ortega" is "Lucía Ortega Ruiz" (a given name and the first of two surnames,
    as Spanish and Portuguese names are shortened): same first word, the rest in order."""
    words, fulls = normalize_name(name).split(), normalize_name(full).split()
    if len(words) < 2 or len(fulls) < 3 or len(words) >= len(fulls) or words[0] != fulls[0]:
        return False
    rest = iter(fulls[1:])
    return all(w in rest for w in words[1:])


def one_spelling_each(names: list[str]) -> dict[str, str]:
    """Each name the document writes, mapped to the one spelling of that person: the same
    person written with and without diacritics is one ("Ayse Celik", "Ayşe Çelik": the
    spelling with them); a name in a sentence's case is its plain form ("Piotra
    Wiśniewskiego" is "Piotr Wisniewski" when the document also writes that)."""
    out: dict[str, str] = {}
    distinct = list(dict.fromkeys(names))
    for name in distinct:
        bases = [b for b in distinct if b != name and _inflected_form_of(name, b)]
        bases = bases or [b for b in distinct if _shortened_form_of(name, b)]
        if bases:
            out[name] = bases[0]
    for name in distinct:
        base = out.get(name, name)
        same = [n for n in distinct if same_person(n, base)]
        # the spelling that keeps its letters: "Wiśniewski" over "Wisniewski"
        best = max(same, key=lambda n: sum(not c.isascii() for c in n))
        out[name] = best
    for name in distinct:
        out[name] = out.get(out[name], out[name])
    return out


def text_contains_name(text: str, name: str) -> bool:
    """True when the full name appears in the text as whole words, in either order."""
    words = normalize_name(name).split()
    if len(words) < 2:
        return False
    if any(same_person(m.name, name) for m in names_in_text(text)):
        return True
    haystack = f" {normalize_name(text)} "
    orders = [words[k:] + words[:k] for k in range(len(words))]
    return any(f" {' '.join(order)} " in haystack for order in orders)
