"""Generate `policies.csv` and `claims.jsonl` for the claims example (seeded, reproducible).

    python -m examples.claims.make_data          # rewrites both files beside this one

Each claim is built from a *scenario* (approve, deny: expired / uncovered / below the
deductible, refer: over the limit / above approval authority / filed on someone's
behalf), then written in one of ten document styles (email, web form, phone
transcript, letter, chat, voicemail, adjuster note, broker submission, ...), with
the amount and the date each in a randomly chosen written form, and some
distractors a weak model may copy by mistake (a claim reference that looks like a
policy id, a second date, a second amount, the agent's name).

The expected decision is computed here from the scenario with its own arithmetic,
independently of `rules.py`; `tests/examples/test_example_data.py` checks that the
two agree. This file uses only the standard library on purpose.
"""

from __future__ import annotations

import csv
import json
import random
from datetime import date, timedelta
from pathlib import Path

SEED = 20251121
HERE = Path(__file__).parent
AUTHORITY = 20_000  # keep in step with rules.APPROVAL_AUTHORITY

FIRST = [
    "Maria",
    "James",
    "Aisha",
    "Daniel",
    "Mei",
    "Robert",
    "Sofia",
    "Kwame",
    "Laura",
    "Hiroshi",
    "Emily",
    "Carlos",
    "Fatima",
    "George",
    "Ingrid",
    "Samuel",
    "Nadia",
    "Patrick",
    "Olga",
    "Victor",
    "Grace",
    "Arjun",
    "Helen",
    "Marcus",
    "Yuki",
    "Teresa",
    "Omar",
    "Claire",
    "Dmitri",
    "Rosa",
]
LAST = [
    "Chen",
    "Okafor",
    "Lindqvist",
    "Alvarez",
    "Brennan",
    "Kowalski",
    "Haddad",
    "Nakamura",
    "O'Brien",
    "Duarte",
    "Fischer",
    "Mensah",
    "Petrov",
    "Gallagher",
    "Singh",
    "Moreau",
    "Castillo",
    "Holm",
    "Abara",
    "Whitfield",
    "Romano",
    "Tanaka",
    "Ivanova",
    "Byrne",
]
AGENTS = ["Beth", "Tom Reyes", "Kelly Armstrong", "Raj", "Sandra Lowe", "Michael Grant"]
RELATIONS = ["partner", "spouse", "parent", "sibling"]

LINES = {
    # prefix: (incident types the line can cover, limits, deductibles)
    "AUT": (
        ["collision", "theft", "vandalism", "glass", "storm", "fire"],
        [15_000, 25_000, 40_000],
        [250, 500, 1_000],
    ),
    "HOM": (
        ["fire", "water_damage", "theft", "storm", "vandalism", "glass"],
        [50_000, 100_000, 250_000],
        [500, 1_000, 2_500],
    ),
    "RNT": (["theft", "fire", "water_damage"], [10_000, 20_000], [250, 500]),
}

DESCRIPTIONS = {
    # incident type: [(lines, first-person clause)]
    "collision": [
        (
            "AUT",
            "my car was rear-ended while I was stopped at a red light on Elm Street, "
            "crushing the rear bumper and tailgate",
        ),
        (
            "AUT",
            "I collided with a delivery van that pulled out of a side road, damaging the "
            "front bumper, bonnet and headlights",
        ),
        (
            "AUT",
            "another driver sideswiped my car on the highway and both driver-side doors are dented",
        ),
        ("AUT", "I backed into a concrete pillar in a parking garage and cracked the rear panel"),
    ],
    "theft": [
        ("AUT", "my car was stolen from the street outside my apartment overnight"),
        ("AUT", "my catalytic converter was stolen while the car was parked at the train station"),
        (
            "HOM RNT",
            "someone broke in through the back door and stole a laptop, a television "
            "and some jewellery",
        ),
        ("HOM RNT", "thieves forced the storage room lock and took two bicycles and my tools"),
    ],
    "fire": [
        (
            "HOM RNT",
            "a fire started in the kitchen when a pan caught alight, damaging the "
            "cabinets and the ceiling",
        ),
        (
            "HOM",
            "an electrical fault in the garage caused a fire that destroyed the workbench "
            "and stored furniture",
        ),
        (
            "AUT",
            "the engine of my car caught fire on the motorway and the front of the vehicle "
            "burnt out",
        ),
        (
            "HOM RNT",
            "smoke from a fire in the flat below damaged the walls and carpets in two rooms",
        ),
    ],
    "water_damage": [
        (
            "HOM RNT",
            "a pipe burst under the upstairs bathroom and water came through the "
            "living room ceiling",
        ),
        ("HOM RNT", "the washing machine hose split and flooded the kitchen floor"),
        ("HOM", "a slow leak from the water heater soaked the basement carpet and drywall"),
    ],
    "storm": [
        ("HOM", "a storm brought a large branch down onto the roof and broke several tiles"),
        ("AUT", "hail during a storm dented the roof and bonnet of my car"),
        ("HOM", "high winds tore down part of the fence and the shed roof"),
    ],
    "vandalism": [
        ("AUT", "someone keyed both sides of my car and slashed two tyres overnight"),
        (
            "HOM",
            "vandals spray-painted graffiti across the front of the house and broke the mailbox",
        ),
        (
            "AUT",
            "my car was deliberately damaged in a parking lot and both mirrors were snapped off",
        ),
    ],
    "glass": [
        ("AUT", "a stone thrown up by a truck cracked my windshield across the driver's side"),
        ("HOM", "the large front window of the house cracked from corner to corner"),
        ("AUT", "the rear windscreen of my car shattered while it was parked"),
    ],
}

TYPE_LABELS = {
    "collision": "Collision",
    "theft": "Theft",
    "fire": "Fire",
    "water_damage": "Water damage",
    "storm": "Storm damage",
    "vandalism": "Vandalism",
    "glass": "Glass breakage",
}

# Scenario -> how many claims. 48 in all.
SCENARIOS = {
    "approve": 24,
    "deny_expired": 5,
    "deny_uncovered": 5,
    "deny_below_deductible": 3,
    "refer_over_limit": 4,
    "refer_above_authority": 4,
    "refer_holder_mismatch": 3,
}

MONTHS = [
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
]
WEEKDAYS = ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"]

_UNITS = [
    "",
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
]
_TENS = ["", "", "twenty", "thirty", "forty", "fifty", "sixty", "seventy", "eighty", "ninety"]


# ------------------------------------------------------------------------ formatting


def in_words(n: int) -> str:
    def small(k: int) -> str:
        words = []
        if k >= 100:
            words += [_UNITS[k // 100], "hundred"]
            k %= 100
            if k:
                words.append("and")
        if k >= 20:
            words.append(_TENS[k // 10] + (f"-{_UNITS[k % 10]}" if k % 10 else ""))
        elif k:
            words.append(_UNITS[k])
        return " ".join(words)

    thousands, rest = divmod(n, 1000)
    parts = [small(thousands) + " thousand"] if thousands else []
    if rest:
        parts.append(small(rest))
    return " ".join(parts)


def write_amount(rng: random.Random, amount: float, words: bool) -> str:
    whole = amount == int(amount)
    if words:
        return f"{in_words(int(amount))} dollars"
    grouped = f"{amount:,.0f}" if whole else f"{amount:,.2f}"
    plain = f"{amount:.0f}" if whole else f"{amount:.2f}"
    forms = [
        f"${grouped}",
        f"{plain} USD",
        f"USD {grouped}",
        f"{grouped} dollars",
        f"${plain}",
        f"US${grouped}",
    ]
    if whole:
        forms.append(f"${amount:,.2f}")
    return rng.choice(forms)


def write_date(rng: random.Random, d: date) -> str:
    month = MONTHS[d.month - 1]
    suffix = "th" if 11 <= d.day <= 13 else {1: "st", 2: "nd", 3: "rd"}.get(d.day % 10, "th")
    forms = [
        d.isoformat(),
        f"{d.month:02d}/{d.day:02d}/{d.year}",
        f"{d.day:02d}/{d.month:02d}/{d.year}",
        f"{month} {d.day}, {d.year}",
        f"{d.day} {month} {d.year}",
        f"the {d.day}{suffix} of {month}, {d.year}",
        f"{month[:3]}{'.' if len(month) > 3 else ''} {d.day}, {d.year}",
        f"{WEEKDAYS[d.weekday()]}, {month} {d.day}, {d.year}",
    ]
    return rng.choice(forms)


# ------------------------------------------------------------------------ documents

# Each template gets: name, holder, surname_first, policy_id, date, amount, desc, Desc,
# type_label, report_date, ref, agent, behalf, extra.
TEMPLATES = [
    # email, formal
    "Subject: New claim - {type_label} (ref {ref})\nFrom: {name}\nSent: {report_date}\n\n"
    "Dear Claims Team,\n\nI would like to make a claim under policy {policy_id}.{behalf} "
    "On {date}, {desc}. The repair estimate I received comes to {amount}.{extra}\n\n"
    "Kind regards,\n{name}",
    # web form
    "ONLINE CLAIM FORM\nReference: {ref}\nPolicy number: {policy_id}\nPolicyholder: {holder}\n"
    "Person submitting: {name}\nDate of loss: {date}\nType of loss: {type_label}\n"
    "Amount claimed: {amount}\nWhat happened: {Desc}.{extra}\nSubmitted: {report_date}",
    # phone transcript
    "Claims line - call transcript\nAgent: Thanks for calling, my name is {agent}. "
    "Who am I speaking with?\nCaller: This is {name}.{behalf}\n"
    "Agent: And the policy number?\nCaller: It's {policy_id}.\nAgent: What happened?\n"
    "Caller: Well, {desc}. That was on {date}.\nAgent: Do you have a figure for the damage?\n"
    "Caller: The quote says {amount}.{extra}\nAgent: Thank you, I've logged it as {ref}.",
    # letter
    "{report_date}\n\nClaims Department\n\nRe: policy {policy_id}\n\nDear Sir or Madam,\n\n"
    "I am writing to report a loss.{behalf} On {date}, {desc}. I am claiming {amount} "
    "to cover the cost.{extra} Please find the receipts enclosed.\n\nYours faithfully,\n\n{name}",
    # chat
    "[chat started {report_date}]\ncustomer: hi, my name is {name}, my policy is {policy_id}"
    "{behalf_lower}\ncustomer: {desc} on {date}\ncustomer: the garage/contractor quoted "
    "{amount}{extra_lower}\nbot: Thanks! A claims handler will be in touch. Ref {ref}.",
    # voicemail
    'Voicemail transcription (received {report_date}):\n"Hi, this is {name} calling about '
    "policy {policy_id}.{behalf} I need to report that on {date} {desc}. The estimate is "
    '{amount}.{extra} Please call me back. Thanks."',
    # adjuster note
    "Adjuster field note - {agent}\nInsured party: {surname_first}\nContract no.: {policy_id}\n"
    'Loss date: {date}\nReported: {report_date}\nNotes: insured states: "{Desc}."{behalf} '
    "Loss amount claimed: {amount}.{extra} Photos on file under {ref}.",
    # broker submission
    "Submitted by broker {agent} (Brightline Brokers) for our client {name}.\n"
    "Policy: {policy_id}\nIncident date: {date}\nCategory: {type_label}\n"
    "Claimed: {amount}\nSummary: {Desc}.{behalf}{extra}\nBroker ref: {ref}",
    # email, informal
    "hello,\n\nI'm {name} (policy {policy_id}).{behalf} Bad news - {desc}. It happened "
    "{date}. I got a quote for {amount} to put it right.{extra}\n\nthanks,\n{first}",
    # statement
    "CLAIMANT STATEMENT\nI, {name}, holder of policy {policy_id}, state the following.{behalf}\n"
    "On {date}, {desc}.\nI claim the sum of {amount}.{extra}\nSigned: {name}   "
    "Date: {report_date}",
]
MISMATCH_TEMPLATES = [0, 2, 3, 5, 8]


def render(template: str, fields: dict[str, str]) -> str:
    behalf = fields["behalf"]
    extra = fields["extra"]
    return template.format(
        **fields,
        behalf_lower=(" - " + behalf.strip().lower().rstrip(".")) if behalf else "",
        extra_lower=(" " + extra.strip().lower()) if extra else "",
    )


# ------------------------------------------------------------------------ generation


def make_policies(rng: random.Random) -> list[dict]:
    policies, used = [], set()
    plan = ["AUT"] * 10 + ["HOM"] * 9 + ["RNT"] * 5
    for i, line in enumerate(plan):
        types, limits, deductibles = LINES[line]
        while True:
            number = rng.randint(100_000, 999_999)
            if number not in used:
                used.add(number)
                break
        # Every other policy lacks one or two of its line's types: room for denials.
        drop = rng.sample(types, k=1 + (i % 3 == 0)) if i % 2 else []
        coverage = [t for t in types if t not in drop]
        start = date(2023, 1, 1) + timedelta(days=rng.randint(0, 660))
        holder = f"{FIRST[i % len(FIRST)]} {rng.choice(LAST)}"
        policies.append(
            {
                "policy_id": f"{line}-{number}",
                "holder": holder,
                "coverage": coverage,
                "limit": rng.choice(limits),
                "deductible": rng.choice(deductibles),
                "active_from": start,
                "active_to": start.replace(year=start.year + 1) - timedelta(days=1),
            }
        )
    return policies


def pick_amount(rng: random.Random, low: float, high: float, words: bool) -> float:
    value = rng.uniform(low, high)
    if words:
        return float(max(100, round(value / 100) * 100))
    if rng.random() < 0.25:
        return round(value, 2)
    return float(round(value / 10) * 10)


def make_claim(rng: random.Random, scenario: str, policies: list[dict], words: bool) -> dict:
    line_of = lambda p: p["policy_id"][:3]  # noqa: E731
    if scenario == "deny_uncovered":
        candidates = [p for p in policies if set(LINES[line_of(p)][0]) - set(p["coverage"])]
    elif scenario == "refer_above_authority":
        candidates = [p for p in policies if p["limit"] - p["deductible"] > AUTHORITY + 5_000]
    elif scenario == "refer_over_limit":
        candidates = [p for p in policies if p["limit"] <= AUTHORITY]
    else:
        candidates = policies
    policy = rng.choice(candidates)
    line = line_of(policy)

    if scenario == "deny_uncovered":
        incident_type = rng.choice(sorted(set(LINES[line][0]) - set(policy["coverage"])))
    else:
        incident_type = rng.choice(policy["coverage"])
    descriptions = [d for lines, d in DESCRIPTIONS[incident_type] if line in lines.split()]
    if not descriptions:  # e.g. storm on a renters policy cannot happen; pick again
        return make_claim(rng, scenario, policies, words)
    desc = rng.choice(descriptions)

    start, end = policy["active_from"], policy["active_to"]
    if scenario == "deny_expired":
        if rng.random() < 0.7:
            incident = end + timedelta(days=rng.randint(5, 200))
        else:
            incident = start - timedelta(days=rng.randint(5, 120))
    else:
        incident = start + timedelta(days=rng.randint(3, (end - start).days - 3))

    limit, deductible = policy["limit"], policy["deductible"]
    if scenario == "deny_below_deductible":
        amount = pick_amount(rng, 60, deductible * 0.95, words=False)
    elif scenario == "refer_over_limit":
        amount = pick_amount(rng, limit * 1.05, limit * 1.6, words)
    elif scenario == "refer_above_authority":
        amount = pick_amount(rng, AUTHORITY + deductible + 1_000, limit - 1_000, words)
    else:
        amount = pick_amount(rng, deductible + 150, min(limit, AUTHORITY + deductible), words)

    holder = policy["holder"]
    name, behalf = holder, ""
    if scenario == "refer_holder_mismatch":
        first = rng.choice([f for f in FIRST if not holder.startswith(f)])
        name = f"{first} {holder.split(' ', 1)[1]}"
        behalf = (
            f" I am filing this on behalf of my {rng.choice(RELATIONS)}, {holder}, "
            "who holds the policy."
        )

    extra = ""
    roll = rng.random()
    if roll < 0.2:
        extra = f" My deductible is {write_amount(rng, float(deductible), False)}, I believe."
    elif roll < 0.35:
        extra = (
            f" I also paid {write_amount(rng, float(rng.randint(2, 9) * 15), False)} for a taxi."
        )
    elif roll < 0.45:
        extra = f" The policy was renewed on {write_date(rng, start)}."

    report = incident + timedelta(days=rng.randint(1, 21))
    fields = {
        "name": name,
        "first": name.split()[0],
        "holder": holder,
        "surname_first": f"{name.split(' ', 1)[1]}, {name.split()[0]}",
        "policy_id": policy["policy_id"],
        "date": write_date(rng, incident),
        "amount": write_amount(rng, amount, words),
        "desc": desc,
        "Desc": desc[0].upper() + desc[1:],
        "type_label": TYPE_LABELS[incident_type],
        "report_date": write_date(rng, report),
        "ref": f"CLM-{rng.randint(10_000, 99_999)}",
        "agent": rng.choice(AGENTS),
        "behalf": behalf,
        "extra": extra,
    }
    # Forms that label the writer as the insured cannot carry an "on behalf of" claim.
    usable = MISMATCH_TEMPLATES if scenario == "refer_holder_mismatch" else range(len(TEMPLATES))
    template = TEMPLATES[rng.choice(list(usable))]
    text = render(template, fields)

    claim = {
        "claimant": name,
        "policy_id": policy["policy_id"],
        "incident_date": incident.isoformat(),
        "incident_type": incident_type,
        "amount": amount,
        "description": fields["Desc"] + ".",
    }
    return {
        "doc": {"text": text},
        "expected": {"claim": claim, "decision": expected_decision(scenario, policy, amount)},
    }


def expected_decision(scenario: str, policy: dict, amount: float) -> dict:
    limit, deductible = policy["limit"], policy["deductible"]
    if scenario.startswith("deny"):
        reason = {
            "deny_expired": "policy_inactive",
            "deny_uncovered": "type_not_covered",
            "deny_below_deductible": "below_deductible",
        }[scenario]
        return {"outcome": "deny", "amount": 0.0, "reasons": [reason]}
    payable = round(min(amount, limit) - deductible, 2)
    reason = {
        "refer_over_limit": "over_limit",
        "refer_above_authority": "above_authority",
        "refer_holder_mismatch": "holder_mismatch",
    }.get(scenario)
    if reason is None:
        return {"outcome": "approve", "amount": payable, "reasons": []}
    return {"outcome": "refer", "amount": payable, "reasons": [reason]}


def main(out_dir: Path = HERE) -> None:
    rng = random.Random(SEED)
    policies = make_policies(rng)
    order = [s for s, n in SCENARIOS.items() for _ in range(n)]
    rng.shuffle(order)
    words_at = set(rng.sample([i for i, s in enumerate(order) if s == "approve"], k=4))

    tasks = []
    for i, scenario in enumerate(order):
        task = make_claim(rng, scenario, policies, words=i in words_at)
        tasks.append({"id": f"claim-{i + 1:03d}", "scenario": scenario, **task})

    with (out_dir / "policies.csv").open("w", newline="", encoding="utf-8") as f:
        writer = csv.writer(f, lineterminator="\n")
        writer.writerow(
            ["policy_id", "holder", "coverage", "limit", "deductible", "active_from", "active_to"]
        )
        for p in policies:
            writer.writerow(
                [
                    p["policy_id"],
                    p["holder"],
                    ";".join(p["coverage"]),
                    p["limit"],
                    p["deductible"],
                    p["active_from"],
                    p["active_to"],
                ]
            )
    with (out_dir / "claims.jsonl").open("w", encoding="utf-8") as f:
        for task in tasks:
            f.write(json.dumps(task, ensure_ascii=False) + "\n")
    print(f"wrote {len(policies)} policies and {len(tasks)} claims to {out_dir}")


if __name__ == "__main__":
    main()
