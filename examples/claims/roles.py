"""What a document says a value *is*: the words around an amount, a date, a name or an id.

A claim document holds many values of each kind, and most are not the claim's: the
deductible is an amount, the day a claim was reported is a date, the attorney has a
name, the police report has a number. A claims handler tells them apart by the words
around them ("Excess: £250", "Received: 08/05/2024", "Michael Brandt, Esq.", "crime ref
12240927-0913"). These functions read those words: each returns the roles a mention
has, from the text before it on its line (or the form label it follows), the text after
it, and the heading of the section it sits in.

The vocabulary is what claims documents in general use, in English and in the labels of
a few other languages; nothing here names a particular document.
"""

from __future__ import annotations

import re
from collections.abc import Mapping

from .keys import key_words
from .money import line_before
from .superseded import ENDED, OLD_POLICY

__all__ = [
    "AMOUNT_DECOYS",
    "DATE_DECOYS",
    "ID_DECOYS",
    "NAME_DECOYS",
    "amount_roles",
    "date_roles",
    "id_roles",
    "name_roles",
]


def _vocabulary(spec: Mapping[str, str]) -> dict[str, re.Pattern[str]]:
    return {role: re.compile(words, re.IGNORECASE) for role, words in spec.items()}


# ------------------------------------------------------------------ words before a value

_AMOUNT_BEFORE = _vocabulary(
    {
        "deductible": r"deductible|excess|\bded\b\.?|franchise|own risk|self[- ]insured|"
        r"co-?pay(?:ment)?|eigenanteil|selbstbehalt|selbstbeteiligung|franquicia|"
        r"eigen risico|franchigia|franquia|självrisk|selvrisiko|egenandel|udział własn|"
        r"spoluúčast|muafiyet|omavastuu|menseki|jiko[- ]?futan|udzial wlasn|spoluucast",
        "limit": r"\blimit\b|sum insured|maximum|cover(?:ed)? up to|capped at",
        "premium": r"premium|instal(?:l)?ment",
        "superseded": r"\binitial(?:ly)?\b|\boriginal(?:ly)?\b|\bearlier\b|previous(?:ly)?|"
        r"first (?:quote|estimate)|\bold (?:quote|estimate|figure)|\bnot\s*$|instead of\s*$|"
        r"rather than\s*$|replac\w+\s*$|down from\s*$|up from\s*$|\bI thought\b|"
        r"\bthought it (?:was|would be)\b",
        "claimed": r"\btotal\b|\bclaim(?:s|ed|ing)?\b|revised|\bfinal\b|corrected|updated|"
        r"comes? to|all up|amount claimed|\bactual(?:ly)?\b|\bestimate[ds]?\b|"
        r"\bquot(?:e|ed|ation)\b|\binvoice\b|\bbill\b|repair costs?|valued at|montant|"
        r"importe|betrag|\bseek(?:s|ing)?\b|reimburse(?:ment)? (?:of|for)|\bsum of\b|"
        r"request(?:s|ing)? (?:payment|reimbursement|compensation)|please (?:pay|reimburse)|"
        r"to be reimbursed|ask(?:s|ing)? (?:you )?(?:to pay|for)\b|"
        # asking to be paid, and the total or the estimate, in other languages (not the
        # bare word for an amount: "Částka za díl" is one line of an invoice)
        r"réclam|rembours|demande|somme de|indemni|devis|prendre en charge|"
        r"risarciment|rimborso|chiedo|richiedo|\btotale\b|ammont|preventivo|"
        r"reembolso|reclam|solicito|presupuesto|peço|montante|orçamento|"
        r"vergoed|totaal|schadebedrag|offerte|"
        r"schadenhöhe|schadensumme|forder|erstatt|beantrag|kostenvoranschlag|gesamt|"
        r"reparaturkosten|ersättning|begär|erstatning|\bi alt\b|totalt|"
        r"odszkodowani|wypłat|kosztorys|łącznie|razem|proplacen|náhrad|celkem|"
        r"faktur|talep|toplam|fatura|kr[eæä]ver|til ?sammen|sammanlagt|samlet|"
        # totals and asking to be paid in Finnish, Icelandic, Polish, Czech, Portuguese and
        # Japanese in romaji
        r"yhteensä|yhteensa|\bsumma\b|\bsuma\b|samtals|celkov|total geral|korvaus|haen\b|"
        r"g[oō]u?kei|seiky[uū]|合計|総額|請求",
        "other_party": r"party b|other (?:driver|party|vehicle)|third[- ]party's|"
        r"their (?:estimate|quote|costs?)|for reference only|not claimed",
        "converted_from": r"converted (?:[\w ]{0,30})?from\s*$|original currency|local currency",
        "paid_already": r"already (?:paid|reimbursed|refunded)|advance paid|deposit|"
        r"déjà (?:payé|versé|remboursé)|già (?:pagat|rimborsat)|ya (?:pagó|pagado|reembols)|"
        r"já (?:pagou|pago|reembols)|bereits (?:bezahlt|erstattet|gezahlt)|al betaald|"
        r"redan (?:betalat|ersatt)|allerede (?:betalt|udbetalt)",
        # an expense beside the loss: "I also paid 30 USD for a taxi"
        "extra": r"\balso (?:paid|spent|had to pay|incurred)\b[^.\n]{0,12}$|\bplus\s*$|"
        r"in addition\b[^.\n]{0,12}$",
        # a figure that replaces earlier ones of its kind ("the revised quote ... is")
        "revision": r"\brevised\b|\bupdated\b|\bcorrected\b|\bamended\b|\bnew (?:quote|estimate|"
        r"figure|total)\b|\bfinal (?:quote|estimate|figure|invoice)\b|révisé|aggiornat|korrigiert|"
        # revised in other languages (Finnish, Scandinavian, Polish, Czech, Turkish, Spanish,
        # Portuguese, German, Italian, Dutch, Japanese in romaji)
        r"korjat|päivitet|\brevider|\bkorriger|oppdatert|uppdaterad|opdateret|poprawion|"
        r"skorygowan|zaktualizowan|opraven|aktualizovan|düzeltil|güncellen|\brevize|corregid|"
        r"revisad|actualizad|corrigid|atualizad|überarbeitet|aktualisiert|rivist|corrett|"
        r"herzien|gecorrigeerd|bijgewerkt|sh[uū]u?sei|teisei",
    }
)
# A total before tax, or one of several partial totals: the claim is the total after them
# ("I alt ekskl. moms" above "I alt inkl. moms", "Ara toplam" above "Genel toplam").
_SUBTOTAL = re.compile(
    r"sub-?total|subtotale|zwischensumme|mellemsum|mellomsum|delsumma|välisumma|"
    r"ara toplam|sh[oō]u?kei|小計|税抜|"
    r"(?:\bexcl(?:\.|uding)?|\bex\.?|\bbefore|\bpre-?|\bwithout|\bnet of)\s*(?:vat|tax|gst)\b|"
    r"\b(?:ekskl|exkl|excl)\.?\s*(?:moms|mva|mwst|btw|vat)\b|ohne mwst|\bnetto\b|"
    r"hors tax|sin iva|sem iva|senza iva|bez (?:dph|vat|podatku)|kdv hariç|veroton",
    re.IGNORECASE,
)
_AMOUNT_AFTER = _vocabulary(
    {
        # (never past the end of the value's line: the next line is another field)
        "superseded": r"^[^\w\n]{0,3}(?:as I (?:wrote|said|mentioned)|superseded|no longer|"
        r"was wrong|is wrong)",
        "other_party": r"^[^\w\n]{0,3}(?:for reference only|not claimed|their side)",
        "claimed": r"^[^.\n]{0,40}(?:(?:that'?s|is|this is) what (?:I'?m|I am|we'?re|we are|"
        r"they'?re|he'?s|she'?s) claiming|I'?d like to claim|claimed|to claim|"
        r"\b(?:is|are|am) claiming\b|which is the amount|"
        r"réclamé|te vergoeden|zu erstatten|da rimborsare|a reembolsar|ödenmesini)",
        "deductible": r"^[^\w\n]{0,3}(?:excess|deductible|franchise|own risk)\b",
    }
)

_DATE_BEFORE = _vocabulary(
    {
        "reported": r"received|reported|report date|date of report|submitted|filed|\bsent\b|"
        r"date of (?:the |this )?call|call date|date of call|date of (?:this |the )?statement|"
        r"statement date|form completed|(?:chat|call|conversation|session) started|"
        r"date of (?:the )?claim|\bdue\b|pay by|"
        r"completed|declaration|\bvisit(?:ed)?\b\s*(?:on|date|:)|date of (?:the )?visit|invoice|"
        r"quote[d ]+(?:dated|on)|\bdated\b|written on|"
        r"transcri|notif|date of (?:the )?(?:letter|email)|\bwrote\b|dictated|"
        r"\bfait (?:à|a|le)\b|\bdone at\b|\bsigned at\b|\binsp(?:ection)?\.? date\b|"
        # reported or registered, in an export's keys and in other languages
        r"\bcreated\b|date prepared|prepared on|h[oō]u?koku-?bi|bildirim|ilmoitus|zgłos|zglos|data\s*(?:de |da )?comunica|podán|podani|"
        r"registrerad|anmäld|anmeldt|hlášen|hlasen",
        "signature": r"\bsign(?:ed|ature)?\b",
        "policy": r"policy start|start date|effective|inception|renew|valid (?:from|until|to)|"
        r"expir|period of (?:insurance|cover)|policy period|cover (?:starts|began|from)|"
        r"issued",
        "purchase": r"purchased|bought|date of purchase|purchase date",
        "birth": r"date of birth|\bdob\b|d\.o\.b|\bborn\b|naissance|nacimiento|narozen|urodzeni|"
        r"fødsels|födelse|syntymä|doğum|dogum|nascimento|nascita|geburt",
        "later": r"repair(?:ed|s)? on|mitigation|tarpaulin|fitted on|came (?:down|out) on|"
        r"inspect|crew|assessed on|the next day|\bpaid\b|discharge|follow-up|appointment",
        "incident": r"date of (?:the )?(?:loss|incident|accident|damage|collision|illness|injury|"
        r"treatment|event|theft|fire|storm|break-in|burglary)|loss date|\bloss\b\s*:|"
        r"incident date|accident date|damage occurred|illness/injury|happened|occurred|"
        r"\bdol\b|\bd\.o\.l\b|"
        r"took place|sinistre|siniestro|sinistro|schadensdatum|schadendatum|schadentag|"
        r"schadedatum|skadedatum|skadedag|data zdarzenia|datum (?:události|škody)|"
        r"hasar tarihi|olay tarihi|on the night of|date of damage|"
        r"date of service|service date|admitted|admission|"
        # the date of loss and "it happened on" in Danish/Norwegian, Finnish, Japanese in
        # romaji, Spanish, Portuguese, Polish, Czech, Turkish, Swedish
        r"skadedato|vahinkop[äa]iv|jiko-?bi\b|hassei-?bi\b|事故日|発生日|ocurrencia|ocorr[êe]ncia|"
        r"data szkody|datum vzniku|kaza tarihi|ocorreu|doszło|doszlo|došlo|skjedde|"
        r"inträffade|tapahtui|sucedió|ocurrió",
    }
)
_DATE_AFTER = _vocabulary(
    {
        "reported": r"^[^\n]{0,3}(?:wrote|\(received\))",
        # Turkish puts the verb last: "14.07.2024 tarihinde ... meydana geldi"
        "incident": r"^\s*(?:tarihinde|günü)\b[^\n.]{0,80}(?:meydana gel|oldu|yaşandı|gerçekleşti)",
    }
)

_NAME_BEFORE = _vocabulary(
    {
        "professional": r"attorney|solicitor|lawyer|counsel|broker|corredor|\bagent\b|"
        r"adjuster|assessor|property manager|lettings|managing agent|\brep\b|officer|"
        r"adviser|advisor|notes typed by|completed by|typed by|dictated to|handler|"
        r"case manager|interpreter|translator|attending|treating|physician|surgeon|"
        r"\bnurse\b|paramedic|notary",
        "third_party": r"other (?:driver|party|vehicle)|party b|third party|neighbou?r|"
        r"otro conductor|autre conducteur|andere[rn]? (?:fahrer|partei)|unfallgegner|"
        r"andere bestuurder|tegenpartij|altro conducente|controparte|"
        r"\ba customer\b|witness(?:es)?|passenger|tenant|landlord|van driver|\bdriver'?s\b|"
        r"claimant against|injured party",
        "principal": r"on behalf of\b[^.\n]{0,30}$|represents?\s+(?:Mr\.?|Mrs\.?|Ms\.?|Dr\.?)?\s*$|"
        r"\bmy (?:wife|husband|partner|father|mother|dad|mum|mom|son|"
        r"daughter|brother|sister|parents?|spouse)\b,?\s*$",
        # The insured a representative or an employee files for: a solicitor's, a broker's
        # or an assistant's principal, who is the claimant ("we act for your insured, Mr X",
        # "Namens cliënte, mevrouw X", "the message of my boss, Mr X", "Re: Insured: X").
        # (Not "our customer": a shop's customer who fell claims against the shop.)
        "client": r"\b(?:our|my) (?:client|insured|policyholder)s?\b[^\n]{0,24}$|"
        r"\bwe (?:act|are acting) (?:for|on behalf of)\b[^\n]{0,30}$|"
        r"\b(?:we|i|this firm|this office) represents?\b[^\n]{0,24}$|"
        r"\b(?:we are|i am|we have been|i have been) instructed by\b[^\n]{0,24}$|"
        r"\b(?:wir vertreten|in vertretung (?:von|f[üu]r)|nous repr[ée]sentons|representamos a|"
        r"rappresentiamo|wij vertegenwoordigen|wij treden op (?:namens|voor))\b[^\n]{0,24}$|"
        # (an employee files the boss's claim; a boss who drove them to hospital is not it)
        r"\b(?:message|e-?mail|claim|letter|behalf|for) (?:of |from )?my (?:boss|employer|"
        r"manager|director|principal)\b[^\n]{0,12}$|"
        r"\bnamens\s+(?:onze\s+|mijn\s+)?(?:cli[ëe]nte?|verzekerde)\b[^\n]{0,24}$|"
        r"\bonze cli[ëe]nte?\b[^\n]{0,24}$|"
        r"\b(?:pour le compte|au nom) de (?:notre|mon|ma) (?:client|cliente|assur[ée]e?)\b[^\n]{0,24}$|"
        r"\bnotre (?:client|cliente|assur[ée]e?)\b[^\n]{0,16}$|"
        r"\bunser(?:e|er|em|en)? (?:mandant(?:in)?|kundin|kunden?|versicherungsnehmer(?:in)?)\b[^\n]{0,24}$|"
        r"\bnuestr[oa] (?:cliente|clienta|asegurad[oa])\b[^\n]{0,24}$|"
        r"\b(?:il nostro|la nostra) (?:cliente|assicurat[oa]|assistit[oa])\b[^\n]{0,24}$|"
        r"\bper conto del(?:la)? (?:nostr[oa] )?(?:cliente|assicurat[oa])\b[^\n]{0,24}$|"
        r"^\s*(?:re|subject|betreff|objet|asunto|oggetto|betreft)\s*:[^\n]{0,30}\binsured\s*:\s*$",
        "holder": r"policy ?holder|\binsured\b|name of insured|claimant|\bpatient\b|\bmember\b|"
        r"\bcaller\b|customer\s*:|your name|\bname\s*:|assuré|asegurado|versicherungsnehmer|"
        r"in the name of|insured party|"
        # the policyholder or the insured, in the languages claims come in
        r"\bpojistník|\bpojištěn[ýá]|\bpoistník|\bpoisten[ýá]|\bubezpieczon\w*|"
        r"\bubezpieczając\w*|försäkringstagare|\bförsäkrad\b|forsikringstager|forsikringstaker|"
        r"\bforsikrede?\b|sigortalı|\bsegurad[oa]\b|\btitular\b|\btomador\b|vakuutettu|"
        r"vakuutuksenottaja|biztosított|draudėjas|apdraustas\w*|kindlustatu|verzekerde|"
        r"verzekeringnemer|assicurat[oa]|contraente",
        # Cues that a name is a person's, not a street's or a firm's.
        "person": r"(?:\b(?:mr|mrs|ms|miss|mx|dr|prof|mme|sr|sra|herr|frau)\.?\s*$)|"
        r"(?:\b(?:i'?m|i am|this is|my name is|it'?s|name is|called|signed|from)\s*:?\s*$)|"
        r"\bname\s*:|\b(?:driver|caller|patient|member|customer)\s*:",
        # The writer says who they are: "my name is", "I am", in the languages claims come in.
        "self": r"\b(?:my name is|i am|i'?m|this is|mein name ist|ich bin|ich heiße|je suis|"
        r"je m'appelle|me llamo|mi nombre es|soy|meu nome é|chamo-me|eu sou|sou|mi chiamo|sono|"
        r"mijn naam is|ik ben|jag heter|mitt namn är|jag är|jeg hedder|mit navn er|jeg heter|"
        r"mitt navn er|jeg er|nazywam się|mam na imię|jestem|jmenuji se|jsem|volám sa|"
        r"benim adım|adım|nimeni on|olen|a nevem|mano vardas)\s*:?\s*$",
        # A relative merely mentioned beside the claimant: "Sp ouse:", "manžel Petr Dvořák",
        # "Min kone Anne Kristensen". (Who files for whom is "principal" and "client".)
        "relative": r"\b(?:sp ?ouse|husband|wife|partner|manžel(?:ka)?|mąż|żona|małżon\w*|"
        r"ehemann|ehefrau|ehepartner(?:in)?|kone|mand|hustru|maka|make|esposa|espos[oa]|"
        r"marido|mulher|moglie|marito|époux|épouse|mari|femme|echtgeno(?:ot|te)|man|vrouw|"
        r"eşim|eşi|sutuoktin\w*|žmona|vyras|syn|córka|dcera|son|daughter)\b[\s:,]*$",
    }
)
_NAME_AFTER = _vocabulary(
    {
        "professional": r"^[^\n]{0,3}(?:esq\b|attorney|solicitor|property manager|\bagent\b|"
        r"adjuster|broker|corredor)|"
        # the role on the line under a signature: "Jeroen Bakker\nadvocaat"
        r"^[ \t,]*\n\s*(?:advocaat|avocat|avocate|abogad[oa]|rechtsanw[äa]lt(?:in)?|avvocato|"
        r"makelaar|courtier|mediador|versicherungsmakler|(?:executive |personal )?assistant|"
        r"secretary|\bpa\b)\b|"
        # the firm in brackets after the name: "Ann Lee (Lee Insurance Brokers) <ann@...>"
        r"^\s*\([^)\n]{0,40}\b(?:brokers?|brokerage|solicitors?|attorneys?|law (?:firm|office)|"
        r"lettings|letting agents?|property management|loss adjusters?|makelaar|courtier)\b|^\W*\n\s*(?:property manager|attorney|solicitor|"
        r"broker|corredor|loss adjuster|claims (?:handler|adviser))|"
        # the firm on the line under a signature: "Harriet Lowe\nLowe & Finch Solicitors"
        r"^[ \t,]*\n[^\n]{0,40}\b(?:solicitors|attorneys(?: at law)?|law (?:firm|office)s?|"
        r"llp|insurance brokers|brokers|lettings|property management|loss adjusters)\b",
        # a business the insured trades as: "Marcus Delaney d/b/a Delaney Roofing"
        "client": r"^\s*,?\s*(?:d/b/a|dba|t/a|trading as)\b|"
        # "my boss Mr X asked me to send his claim": the one who asks is the claimant
        r"^[^\n.]{0,12}\basked me to (?:send|forward|submit|file|pass on|report)\b",
        "holder": r"^[^\n]{0,6}(?:\(?policy ?holder\)?|\(me\)|your insured|is the policyholder)|"
        # ", who is the policyholder", ", som är försäkringstagare", ", que es el titular"
        r"^,?\s*(?:who|which|som|der|die|qui|que|quien|che|die|który|która|kdo|ki)\s+"
        r"(?:is|är|er|ist|est|es|é|è|jest|je|is de)\s+(?:the\s+|der\s+|die\s+|la\s+|el\s+|o\s+|a\s+)?"
        r"(?:policy ?holder|insured|försäkringstagare|försäkrad|forsikringstager|forsikringstaker|"
        r"forsikret|versicherungsnehmer\w*|versichert|assurée?|titular|asegurad[oa]|segurad[oa]|"
        r"assicurat[oa]|verzekerde|ubezpieczon\w*|pojistník\w*)|"
        r"^\s*-\s*he is the policyholder|^\s*-\s*she is the policyholder",
        "person": r"^\s*<[^>\s]+@|^\s*\((?:mr|mrs|ms|me)\b|^\s*\(policyholder\)",
        # the filer's job under their name or beside it: a fleet or office manager, HR
        "filer": r"^[ \t,]*(?:\n\s*)?(?:fleet manager|office manager|hr manager|hr officer|"
        r"human resources|facilities manager|administrator|kontorsjef|kontorchef|personalchef|"
        r"flådechef|kierownik\w*|fuhrparkleiter\w*|flottenmanager\w*|büroleiter\w*|"
        r"vedoucí|filo yöneticisi|gestor de frota|jefe de flota)\b",
    }
)

# A claim filed for the insured by someone who is neither a professional nor the claimant:
# a fleet or office manager for the company's driver or employee, a landlord or letting agent
# for the tenant, a neighbour, anyone with power of attorney (a son for his mother). The
# insured is the claimant: "on behalf of our driver, the insured Mr X", "på vegne af vores
# lejer, X", "w imieniu naszego kierowcy ... Pana X", "with power of attorney for my mother,
# X". Read across line breaks: a letter wraps where it likes.
_FOR_WHOM = re.compile(
    # who files: "on behalf of", "w imieniu", "på vegne af/av", "im Auftrag", ...; a bare
    # "for" only after a verb of filing ("writing for my neighbour"), since "waiting for my
    # driver, Ali" files nothing
    r"(?:\bon behalf of|\b(?:writing|write|writes|filing|file|files|submitting|submit|"
    r"reporting|report|claiming|claim|sending|send|acting)\s+(?:this\s+|the claim\s+|in\s+)?for|"
    r"\bw imieniu|\bpå vegne af|\bpå vegne av|\bpå uppdrag av|\bi stället för|\bim namen|"
    r"\bim auftrag|\bnamens|\ben nombre de|\ben representación de|\bem nome d[aeo]|"
    r"\bper conto d[ei]\w*|\bau nom de|\bpour le compte de|\bjménem|\bv zastoupení)"
    # whose: a possessive (ours, the writer's), then at most one word ("our fleet driver")
    r"\s+(?:(?:our|my|naszego|naszej|mojego|mojej|vores|min|mit|mine|vår|vårt|våre|mitt|"
    r"unseres|unserer|meines|meiner|onze|mijn|nuestro|nuestra|mi|nosso|nossa|meu|minha|"
    r"del nostro|della nostra|notre|mon|ma|našeho|naší|mého|mé|mojí)\s+)(?:[^\W\d]+\s+)?"
    r"(?:driver|employee|staff member|colleague|tenant|lodger|neighbou?r|resident|"
    r"kierowc\w*|pracowni\w*|najemc\w*|lokator\w*|sąsiad\w*|ubezpieczon\w*|"
    r"lejer|ansatte?|medarbejder|nabo|leietaker|anställd\w*|hyresgäst\w*|grann\w*|"
    r"medarbetare|fahrer\w*|mitarbeiter\w*|mieter\w*|nachbar\w*|chauffeur|werknemer|"
    r"medewerker|huurder|buurman|buurvrouw|conductor|emplead[oa]|trabajador\w*|inquilin[oa]|"
    r"vecin[oa]|motorista|funcionári[oa]|colaborador\w*|vizinh[oa]|autista|dipendente|"
    r"vicin[oa]|employée?|salariée?|locataire|voisine?|řidič\w*|zaměstnan\w*|nájemník\w*|"
    r"soused\w*)\b[^.!?]{0,40}$"
    # power of attorney *for* someone: they are the insured the holder of it files for
    r"|(?:power of attorney|\bfullmakt|\bfuldmagt|pełnomocnictw\w*|plné moci|plnej moci|"
    r"vollmacht|poder notarial|procuração|\bprocura\b|volmacht|vekalet\w*|procuration)"
    r"\s+(?:for|over|för|für|dla|pro|para|pour|per|voor|van)\b[^.!?]{0,40}$",
    re.IGNORECASE,
)


def _filed_for(text: str, start: int) -> bool:
    window = text[max(0, start - 120) : start].replace("\n", " ")
    cut = max(window.rfind(". "), window.rfind("? "), window.rfind("! "))
    return bool(_FOR_WHOM.search(window[cut + 1 :] if cut >= 0 else window))


def _old_or_others_policy(reach: int) -> str:
    """A policy not the claim's, named before its number: an old or closed one ("my old
    policy", "alte Police"), or someone else's beside it. `reach` is how far the words
    may stand before the number on its line."""
    near = rf"[^\n]{{0,{reach}}}$"
    return (
        rf"\b(?:{OLD_POLICY})\s+"
        r"(?:\w+\s+)?(?:policy|police|polis\w*|p[óo]liza|polizza|apólice|poliçe|pojistk\w*|"
        rf"contract|contrat|vertrag)\b{near}|"
        # someone else's policy beside the claim's: a spouse's, another vehicle's, the
        # writer's own when they file for another, the firm's own
        r"(?:\b(?:my|our) own |\bthe company'?s (?:own )?|"
        r"\b(?:wife|husband|spouse|partner|son|daughter)'?s |other (?:vehicle|car)'?s? )"
        r"(?:\w+\s+){0,2}?policy\b[^\n]{0,24}$|"
        r"\bpolicy (?:of|for) (?:my|his|her|the other) (?:wife|husband|spouse|partner|vehicle|car)\b"
        rf"{near}|"
        r"\b(?:minha|meu|mi|mein\w*|min|mit|moj\w*|moje\w*)\s+(?:esposa|marido|mulher|mujer|"
        r"frau|mann|kone|mand|hustru|fru|żon\w*|męż\w*|manžel\w*)\b[^\n]{0,60}$|"
        r"\b(?:firmaets|firmans|virksomhedens|der firma|des unternehmens|da empresa|de la empresa)"
        r"\b[^\n]{0,40}$|"
        r"\b(?:policy|policies|polisa|police|poliza|póliza|apólice),? (?:of|for) (?:another|the other) "
        rf"(?:vehicle|car)\b{near}|"
        r"\bother vehicle[^\n]{0,40}\bpolicy\s*$|\begen (?:bygnings)?(?:forsikring|police)\w*"
        r"[^\n]{0,40}$|\bbedriftspolise\s*$|\bbygningsforsikring\w*[^\n]{0,40}$"
    )


_ID_BEFORE = _vocabulary(
    {
        # ("Your policy ref:" is the policy's own reference.)
        "claim_ref": r"claim (?:ref|no|number|#)\b|our ref|your ref|(?<!policy )(?<!policy_)\bref\b\.?|"
        r"(?<!policy )reference|\bcase\b|\bfile\b|on file under|claim\s*:|booking|ticket|"
        r"reservation|flight|account|iban|sort code|\bswift\b|\bbic\b|tracking|\bcause\b|"
        r"\bcall (?:id|ref)|submission|"
        # a claim's or a file's number in other languages
        r"schaden-?(?:nummer|nr)|schadenummer|sinistre\s*n[°º]|n[°º]\s*(?:de\s*)?sinistre|"
        r"num[ée]ro de sinistre|n[úu]mero de siniestro|siniestro\s*n|numero (?:di |del )?sinistro|"
        r"sinistro\s*n|\bdossier\b|kenmerk|aktenzeichen|gesch[äa]ftszahl|r[ée]f[ée]rence|"
        r"referencia|riferimento|unser zeichen|ihr zeichen|\bexpediente\b|\bpratica\b|"
        # a notification's or a case's number (an export's keys too: "cislo_hlaseni")
        r"protocol|zgłoszeni|zgloszeni|hlášení|hlaseni|saksnummer|sagsnummer|ärendenummer|"
        r"dosya|vahinkonumero|uketsuke",
        # "police" is also the French, German and Italian word for a policy: "N° de police",
        # "votre police", "police d'assurance" name the policy, not a police report.
        "police": r"(?<!de )(?<!votre )(?<!ma )(?<!la )(?<!sa )(?<!° )(?<!n )(?<!nr )"
        r"\bpolice\b(?! d'assurance| n°| nr\b| no\b| number)(?!\s*[/|]\s*polic)|crime|"
        r"\b[a-z]{0,4}pd\b|spvm|\bpsp\b|report (?:no|#|number)|report\s*#|\breport\s*$|"
        r"incident (?:no|number)|polizei|politie|polic[íi]a|polizia|gendarmerie|carabinieri|"
        r"anzeige|aangifte|plainte",
        "invoice": r"invoice|facture|factura|receipt|bill (?:no|number)|\border\b",
        "phone": r"phone|\btel\b|mobile|call ?back|\bring\b|\bcell\b|\bfax\b|"
        r"(?:call|ring|reach|text)(?: me| us)? on\s*$",
        "vehicle": r"\breg\b|registration|plate|\bvin\b",
        "address": r"address|\bbox\b|postcode|zip",
        "other_party": r"party b|other party|other driver|their (?:policy|insurer)|"
        r"third party|insurer\s*/\s*policy",
        "old_policy": _old_or_others_policy(reach=16),
    }
)
_ID_AFTER = _vocabulary(
    {
        "old_policy": r"^\W{0,3}(?:\w+\s+){0,3}?(?:was |is |has been |wurde |ist )?(?:\d{4} )?"
        rf"(?:{ENDED})",
    }
)
_SECTION_OTHER_PARTY = re.compile(r"other party|party b|third party", re.IGNORECASE)

AMOUNT_DECOYS = frozenset(
    {
        "deductible",
        "limit",
        "premium",
        "superseded",
        "other_party",
        "converted_from",
        "paid_already",
        "extra",
        "line_item",
        "subtotal",
    }
)
DATE_DECOYS = frozenset({"reported", "signature", "policy", "birth", "later", "purchase"})
NAME_DECOYS = frozenset({"professional", "third_party"})
ID_DECOYS = frozenset(
    {"claim_ref", "police", "invoice", "phone", "vehicle", "address", "other_party", "old_policy"}
)


# ------------------------------------------------------------------ context


def _before(text: str, start: int, width: int = 48) -> str:
    """The words before a value on its line, back to the start of its sentence or cell."""
    line_start = text.rfind("\n", 0, start) + 1
    before = text[max(line_start, start - width) : start]
    # A table cell or a sentence ends the context: "| Total | USD 2,710" keeps "Total |".
    # A full stop before a lower-case word ends an abbreviation, not a sentence ("I alt
    # inkl. moms", "excl. VAT" keeps its label).
    stops = [m.start() for m in re.finditer(r"\. (?![a-zà-ÿ])", before)]
    cut = max(
        stops[-1] if stops and not re.search(r"\b\w{1,4}\. $", before) else -1,
        before.rfind("; "),
    )
    return before[cut + 1 :] if cut > 0 else before


def _row_label(text: str, start: int) -> str:
    """A form or table row's label, when the value is its field: "Date of birth ........
    02/11/1987" -> "Date of birth". A generic "Date:" under a "Signature:" line is the
    signature's date."""
    line_start = text.rfind("\n", 0, start) + 1
    line = text[line_start:start]
    match = re.match(r"\s*\|?\s*([^|:\n]{2,40}?)\s*(?:\.{2,}|:|\|)\s*(?:\|\s*)?$", line)
    if match is None:
        return ""
    label = match.group(1)
    if label.strip().lower() in ("date", "datum", "fecha", "data"):
        previous = text[text.rfind("\n", 0, max(0, line_start - 1)) + 1 : max(0, line_start - 1)]
        if re.match(r"\s*sign(?:ed|ature)\b", previous, re.IGNORECASE):
            return "signature date"
        if _LOSS_SECTION.search(_section_heading(text, line_start)):
            return "date of loss"
    return label


# A form section about the loss itself: "2. Sinistre / Loss", "INCIDENT DETAILS".
_LOSS_SECTION = re.compile(
    r"\b(?:loss|incident|accident|sinistre|siniestro|sinistro|schaden|schade|ongeval|"
    r"what happened|details of (?:the )?(?:loss|incident|claim))\b",
    re.IGNORECASE,
)


def _section_heading(text: str, line_start: int) -> str:
    """The heading of the form section a line is in: the nearest line above it, within the
    section (no blank line between), that is not a field (has no ':')."""
    lines = text[:line_start].split("\n")[:-1]
    for line in reversed(lines[-8:]):
        if not line.strip():
            return ""
        if ":" not in line and "|" not in line and len(line.split()) <= 8:
            return line
    return ""


def _after(text: str, end: int, width: int = 60) -> str:
    return text[end : end + width]


def _roles(
    text: str,
    start: int,
    end: int,
    before: Mapping[str, re.Pattern[str]],
    after: Mapping[str, re.Pattern[str]],
) -> set[str]:
    # "previous_claim_ref:" is "previous claim ref:" (a web form's field names).
    # An export's keys are labels too ("deductibleAmount": -> "deductible Amount:").
    context = key_words(_before(text, start)).replace("_", " ")
    label = key_words(_row_label(text, start)).replace("_", " ")
    roles = {role for role, words in before.items() if words.search(context)}
    if label and label not in context:
        roles |= {role for role, words in before.items() if words.search(label)}
    tail = _after(text, end)
    roles |= {role for role, words in after.items() if words.search(tail)}
    return roles


def amount_roles(text: str, start: int, end: int) -> set[str]:
    roles = _roles(text, start, end, _AMOUNT_BEFORE, _AMOUNT_AFTER)
    # The whole label before it on its line ("I alt ekskl. moms" holds a full stop), from
    # the last figure on (the clause of a sentence that names this figure); a label is
    # short, so no further back than money's labels (splitting the whole line was quadratic).
    line = line_before(text, start)
    if _SUBTOTAL.search(re.split(r"\d[\d.,\s]*\d", line)[-1]):
        roles.add("subtotal")
    if roles & {"superseded", "converted_from", "subtotal"}:
        roles.discard("claimed")  # "initial est." is an estimate, but not the one claimed
    return roles


def date_roles(text: str, start: int, end: int) -> set[str]:
    roles = _roles(text, start, end, _DATE_BEFORE, _DATE_AFTER)
    # A date alone on its line is a letter's or a header's, unless its label calls it the
    # date of loss (a form's "Date:" under its loss section).
    if "incident" not in roles and _is_header_date(text, start, end):
        roles.add("reported")
    if roles & DATE_DECOYS and "incident" in roles:
        # "Date of loss ... (reported 3 days later)": the label nearest the date decides.
        nearest = _before(text, start, 24)
        if _DATE_BEFORE["incident"].search(nearest):
            roles -= DATE_DECOYS
        else:
            roles.discard("incident")
    return roles


# An email header's date line and its other fields, in the languages a mail client writes
# them in (English, French, Spanish, Portuguese, Italian, German, Dutch, Swedish, Danish,
# Norwegian, Polish, Czech, Turkish).
_HEADER_DATE = (
    r"date|sent|submitted|received|envoyé|fecha|enviado|data|inviato|datum|gesendet|"
    r"verzonden|skickat|dato|sendt|wysłano|odesláno|tarih"
)
_HEADER_FIELD = (
    r"from|to|subject|submitted|de|von|à|objet|para|asunto|assunto|da|a|oggetto|an|betreff|"
    r"van|aan|onderwerp|från|till|ämne|fra|til|emne|od|do|temat|předmět|kimden|kime|konu"
)


def _is_header_date(text: str, start: int, end: int) -> bool:
    """A letter's date on a line of its own, or an email header's "Date:" / "Sent:"."""
    line_start = text.rfind("\n", 0, start) + 1
    line_end = text.find("\n", end)
    line = text[line_start : line_end if line_end != -1 else len(text)]
    rest = (line[: start - line_start] + line[end - line_start :]).strip(" ,.()")
    # Alone on its line but for a place, a weekday, a time or one word ("Started", "Sent").
    if re.fullmatch(
        r"(?:[A-ZÀ-Þ][\w'-]+:?,?\s*(?:le|den|el)?\s*)?(?:\w+(?:day|tag|dag|di|dì)\s*,?)?\s*"
        r"(?:\d{1,2}:\d{2}(?::\d{2})?\s*(?:[ap]m)?)?\s*(?:\(?[A-Z]{2,4}\)?|[+-]\d{4})?",
        rest,
    ):
        return True
    # A chat export's or a log's message stamp: the date (and a time) open the line, and
    # a speaker or a dash follows: "3/11/24, 10:02 - Customer: ...", "[11/03/2024 10:02] Ana:".
    lead = line[: start - line_start].strip(" [(")
    after_date = line[end - line_start :]
    if not lead and re.match(
        r"[,\sT]*\d{1,2}[:.]\d{2}(?::\d{2})?\s*(?:[ap]\.?m\.?)?\s*[\])]?\s*(?:-|–|—|:|\w[^:\n]{0,30}:)",
        after_date,
        re.IGNORECASE,
    ):
        return True
    header = re.match(rf"\s*>?\s*(?:{_HEADER_DATE})\s*:", line, re.IGNORECASE)
    if header is None:
        return False
    nearby = text[max(0, line_start - 200) : line_end + 200].lower()
    return bool(re.search(rf"^\s*>?\s*(?:{_HEADER_FIELD})\s*:", nearby, re.MULTILINE))


_CLOSING = re.compile(
    r"^\s*(?:(?:kind|best|warm|many)?\s*(?:regards|wishes|thanks)|thank you|cheers|yours"
    r"(?: faithfully| sincerely| truly)?|sincerely|faithfully|very truly yours|cordially|"
    r"(?:un )?saludos?(?: cordiales)?|mit freundlichen gr(?:ü|ue)(?:ss|ß)en|ngā mihi|merci|"
    r"gracias|best|"
    # closings in the other languages claims come in
    r"med venlig hilsen|venlig hilsen|med vennlig hilsen|vennlig hilsen|hilsen|mvh|"
    r"med vänliga hälsningar|vänliga hälsningar|hälsningar|pozdrawiam|z poważaniem|"
    r"z wyrazami szacunku|s pozdravem|s úctou|saygılarımla|saygılar|atenciosamente|"
    r"cordialmente|cumprimentos|atentamente|cordiali saluti|distinti saluti|saluti|"
    r"met vriendelijke groet(?:en)?|vriendelijke groet(?:en)?|groeten|cordialement|"
    r"bien à vous|ystävällisin terveisin|terveisin|üdvözlettel|viele grüße|liebe grüße|"
    r"freundliche grüße|beste grüße|pagarbiai),?\s*$",
    re.IGNORECASE,
)


def _ocr_joined(line: str) -> str:
    """A scanned line whose words the OCR split ("Po licy ho lder:", "Si gned:"), joined
    again so its label reads; a line without such fragments is returned as it is."""
    # only a short field label right before its value: "Po licy ho lder: X"
    if len(line) > 30 or not re.search(r":\s*$", line):
        return line
    if not re.search(r"\b[A-Za-z]{1,2} [a-z]{2,}", line):
        return line
    return re.sub(r"\b([A-Za-z]{1,2}) (?=[a-z]{2,})", r"\1", line)


def name_roles(text: str, start: int, end: int) -> set[str]:
    # Words in brackets before a name are about someone else: "broker Ann Lee (Acme
    # Brokers) for our client Bo Chan" makes Bo Chan the client, not a broker.
    bracket = max(text.rfind(")", 0, start), text.rfind("(", 0, start))
    line_start = text.rfind("\n", 0, start) + 1
    if bracket >= line_start:
        context = text[bracket + 1 : start]
        roles = {role for role, words in _NAME_BEFORE.items() if words.search(context)}
        roles |= {role for role, words in _NAME_AFTER.items() if words.search(_after(text, end))}
    else:
        roles = _roles(text, start, end, _NAME_BEFORE, _NAME_AFTER)
    joined = _ocr_joined(text[line_start:start])
    if joined != text[line_start:start]:
        roles |= {role for role, words in _NAME_BEFORE.items() if words.search(joined)}
    if re.search(r"[:=]", text[start:end]):
        # A name a form splits over fields ("Nachname: ... Vorname: ..."): the form's
        # person, the insured's unless the section is another party's or an agent's.
        above = text[:line_start].split("\n")[-4:-1]
        block = []
        for line in reversed(above):  # the lines above it, up to a blank line
            if not line.strip():
                break
            block.append(line)
        heading = "\n".join(block)
        about = {role for role, words in _NAME_BEFORE.items() if words.search(heading)}
        roles |= {"person"} | (about & NAME_DECOYS or {"holder"})
    if _filed_for(text, start):
        # someone files for the insured: the neighbour or the tenant named is the client
        # (and not a professional: "power of attorney for my mother, X" names no attorney)
        roles = (roles - {"third_party", "principal", "professional"}) | {"client"}
    if "filer" in roles:
        roles.add("professional")  # a fleet or an office manager files; they do not claim
    if "client" in roles:
        roles.discard("principal")  # a professional's client claims; a relative's does not
        if _ADDRESSED_TO_THE_INSURED.search(text):
            # A letter of claim to the insured ("please pass this to your insurer"): the
            # solicitor's client claims against the insured, and is the other party.
            roles = (roles - {"client"}) | {"third_party"}
    if _in_other_party_section(text, start):
        roles.add("third_party")
    if _signs_off(text, start):
        roles |= {"signed", "person"}
    if roles & {"holder", "professional", "third_party", "principal", "client", "self"}:
        roles.add("person")
    return roles


_ADDRESSED_TO_THE_INSURED = re.compile(
    r"\byour (?:\w+ )?insurers?\b|your insurance company|votre assureur|ihre versicherung\b|"
    r"uw verzekeraar|su aseguradora|la vostra assicurazione",
    re.IGNORECASE,
)


def _signs_off(text: str, start: int) -> bool:
    """The name that signs the document: after a closing ("Regards,") or "Signed:"."""
    line_start = text.rfind("\n", 0, start) + 1
    if re.search(
        r"sign(?:ed|ature)\s*:?[^\n]*$", _ocr_joined(text[line_start:start]), re.IGNORECASE
    ):
        return True
    previous = [line for line in text[:line_start].split("\n")[-3:] if line.strip()]
    if previous and _CLOSING.match(previous[-1]):
        return True
    # a closing and the name on one line: "Saludos, Lucía Ortega", "Hilsen Ingrid Bakke"
    lead = text[line_start:start]
    if lead.strip() and _CLOSING.match(lead.rstrip(" \t,") + ","):
        return True
    # A name alone on the document's last line.
    line_end = text.find("\n", start)
    line_end = len(text) if line_end == -1 else line_end
    line = text[line_start:line_end]
    alone = bool(re.fullmatch(r"[^\W\d_][^\d\n]*?[.,]?", line.strip()))
    return alone and not text[line_start:start].strip() and not text[line_end:].strip()


def id_roles(text: str, start: int, end: int, value: str) -> set[str]:
    # The label nearest an id is its own: "Claim ref HM-C-55812 (policy HX90177)".
    cut = max(text.rfind(c, 0, start) for c in "(),;")
    line_start = text.rfind("\n", 0, start) + 1
    # A sentence ends the context too ("... with the receipts. His policy number is X").
    sentence = text.rfind(". ", line_start, start)
    cut = max(cut, sentence)
    context = text[cut + 1 : start].replace("_", " ")
    if cut >= line_start and re.search(r"\w", context):
        roles = {role for role, words in _ID_BEFORE.items() if words.search(context)}
        roles |= {role for role, words in _ID_AFTER.items() if words.search(_after(text, end))}
    else:
        # (a label with a note in brackets: "Claim no. (for office use): ...")
        roles = _roles(text, start, end, _ID_BEFORE, _ID_AFTER)
    if "policy" not in roles and _OTHERS_POLICY.search(_sentence_before(text, start)):
        roles.add("old_policy")
    field = text[line_start:start]
    if re.fullmatch(r"\s*[^:\n]{1,60}:\s*", field) and _OLD_CUE.search(field):
        roles.add(
            "old_policy"
        )  # a form's field for a closed policy: "Póliza anterior (cancelada):"
    if re.fullmatch(r"\(?\d{3}\)?[- .]\d{3}[- .]\d{4}|0\d{2,3}[- ]\d{3}[- ]\d{3,4}", value):
        roles.add("phone")
    if _postcode(text, start, end, value):
        roles.add("address")
    if _in_other_party_section(text, start):
        roles.add("other_party")
    return roles


# Someone else's policy, said before its number in the same sentence, brackets and commas
# and a line break notwithstanding: "A apólice da minha esposa (Fernanda Almeida), nº X",
# "Other vehicle in our fleet (not involved), policy X", "Póliza anterior (cancelada): X".
_OTHERS_POLICY = re.compile(_old_or_others_policy(reach=40), re.IGNORECASE)


# A form's field for a policy not the current one, in the languages claims come in.
_OLD_CUE = re.compile(rf"\b(?:{OLD_POLICY})\b", re.IGNORECASE)


def _sentence_before(text: str, start: int) -> str:
    """The sentence before a value, across line breaks, but not past a form's label line
    ("Policenummer: X" is about X alone) nor a blank line."""
    window = text[max(0, start - 100) : start]
    cut = max(window.rfind(". "), window.rfind(".\n"), window.rfind("\n\n"))
    window = window[cut + 1 :]
    lines = window.split("\n")
    if len(lines) > 1 and re.match(r"\s*[^\W\d][\w .#°º/-]{0,40}:", lines[-1]):
        window = lines[-1]
    return window.replace("\n", " ")


def _postcode(text: str, start: int, end: int, value: str) -> bool:
    """A postal code: digits before a town ("67000 Strasbourg") or after a state ("IL 60606")."""
    if re.fullmatch(r"\d{4,6}", value):
        return bool(re.match(r"[ \t]+[A-ZÀ-Þ][^\W\d_]+", text[end : end + 30]))
    if re.fullmatch(r"[A-Z]{2} \d{5}(?:-\d{4})?", value):
        return text[max(0, start - 2) : start] == ", "
    return False


def _in_other_party_section(text: str, start: int) -> bool:
    """Under a heading like "Other party" or in a "PARTY B" column of a table."""
    lines = text[:start].split("\n")
    current = lines[-1]
    header_line = next((line for line in reversed(lines[:-1]) if "|" in line), "")
    if "|" in current and header_line:
        column = current.count("|")
        cells = header_line.split("|")
        if column < len(cells) and _SECTION_OTHER_PARTY.search(cells[column]):
            return True
    for line in reversed(lines[-6:-1]):
        if not line.strip():
            return False  # a blank line ends the section
        if ":" in line or "|" in line:
            continue  # a field of the section: keep looking up for its heading
        if len(line.split()) <= 4:
            return bool(_SECTION_OTHER_PARTY.search(line))
        return False  # prose, not a form
    return False
