"""Capitalised words that are not a person's name, and runs of them that are something else.

A claim document capitalises much besides people: greetings and closings ("Szanowni
Państwo", "Med vänliga hälsningar"), form labels ("Hasar Tarihi"), streets ("Holloway St",
"Nørrebrogade", "Bağdat Caddesi"), firms by their legal form in many countries ("Bolig
Partner ApS", "Trans-Bud Sp. z o.o.", "UAB Vilniaus Remontas"), cars and insurance plans
("Subaru Outback", "Annual Multi-Trip Europe"), amounts in words ("Eighty-Seven Thousand
Pounds") and a scanner's fragments ("Po licy"). `names.py` asks this module which words
and runs to leave out; the vocabularies are general (a language's words), never one
document's.
"""

from __future__ import annotations

import calendar
import re

from .money import NUMBER_WORDS

__all__ = ["firm_label_or_fragment", "not_a_name_word"]

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
Cordiali Distinti Saluti Gentili Groeten Groet Vriendelijke Geachte Sehr Geehrte
Geehrter Damen Herren Liebe Lieber Grüße Grüßen Gruß Cordialement Terveisin Ystävällisin
Hyvä Üdvözlettel Tisztelt Adım Llamo Nome Navn Heter Jmenuji Nazywam
Beim Am Zum Zur Laut Mein Meine Ich Wir Nr Numer Polisa Polisy Poliçe Poliçem
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
        "lexus",
        "jeep",
        "chevrolet",
        "porsche",
        "outback",
        "accord",
        "civic",
        "camry",
        "prius",
        "yaris",
        "fabia",
        "qashqai",
        "micra",
        "clio",
        "megane",
        "mégane",
        "fiesta",
        "mondeo",
        "kuga",
        "sprinter",
        "vivaro",
        "astra",
        "corsa",
        "tucson",
        "sportage",
        "cr-v",
        "hilux",
        "navara",
        "ranger",
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
# Amounts in words ("Eighty-Seven Thousand Three Hundred ... only"): no name.
_NUMBER_WORDS = NUMBER_WORDS | frozenset(
    [
        "only",
        "pounds",
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
        "francs",
        "yen",
    ]
)
_NOT_NAMES = (
    frozenset(w.lower() for w in _WORDS_THAT_ARE_NOT_NAMES.split())
    | {m.lower() for m in calendar.month_name[1:]}
    | {d.lower() for d in calendar.day_name}
)


def not_a_name_word(word: str) -> bool:
    """A word that is not part of a person's name, whatever stands around it."""
    lower = word.lower()
    if lower in _NOT_NAMES or lower in _STREET_WORDS or lower in _PRODUCT_WORDS:
        return True
    if all(part in _NUMBER_WORDS for part in lower.split("-")):
        return True
    return len(lower) > 6 and lower.endswith(_STREET_ENDINGS)


def firm_label_or_fragment(text: str, run: list[re.Match[str]]) -> bool:
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
