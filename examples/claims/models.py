"""The artifacts of the claims pipeline, one type per seam.

doc (ClaimDoc) -> claim (Claim, the model's extraction) -> policy_check (PolicyCheck)
-> assessment (Assessment) -> decision (Decision, then a human approval)
"""

from __future__ import annotations

from datetime import date
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, WithJsonSchema

IncidentType = Literal[
    "collision",
    "theft",
    "fire",
    "water_damage",
    "storm",
    "vandalism",
    "glass",
    "liability",  # the insured is asked to pay for harm to someone else
    "medical",  # treatment of an illness or injury (travel and health policies)
    "other",
]

# Why a decision is not a plain approval. Codes, not prose, so an eval can compare them.
ReasonCode = Literal[
    "policy_not_found",  # the policy id is not in the policy table
    "policy_inactive",  # the incident date is outside the policy period
    "type_not_covered",  # the policy does not cover this incident type
    "below_deductible",  # nothing is payable once the deductible is taken off
    "holder_mismatch",  # the claimant is not the policy holder (filed on someone's behalf)
    "over_limit",  # the claimed amount exceeds the per-incident limit; payment is capped
    "above_authority",  # the payable amount exceeds what may be approved without a human
    "currency_mismatch",  # claimed in another currency than the policy's: a person converts
]

Outcome = Literal["approve", "deny", "refer"]

# What the model is shown (and, with constrained decoding, held to) for two fields whose
# shape is known in advance. A 135M model otherwise writes years like 1812; the patterns
# cannot make a value *right*, only well-formed, so the checks still decide. Policy ids
# come in any shape (POL-4471-22, HX88213, LM/AUTO/0048812, MED 4419 2207): letters and
# digits joined by "-", "/", "." or single spaces.
POLICY_ID_PATTERN = r"^[A-Za-z0-9]+(?:[-/. ][A-Za-z0-9]+){0,5}$"
IncidentDate = Annotated[
    date,
    WithJsonSchema(
        {
            "type": "string",
            "pattern": r"^20[0-9]{2}-(0[1-9]|1[0-2])-(0[1-9]|[12][0-9]|3[01])$",
            "description": "Date of the incident, YYYY-MM-DD",
        }
    ),
]


class ClaimDoc(BaseModel):
    """The pipeline input: a claim as the insurer received it (email, form, call, letter)."""

    text: str


class ClaimReading(BaseModel):
    """What the model writes when it reads a claim document (the `claim` step's model call)."""

    model_config = ConfigDict(extra="forbid")

    claimant: str = Field(description="Full name of the person making the claim")
    policy_id: str = Field(
        description="Policy number exactly as written, e.g. ABC-123456", pattern=POLICY_ID_PATTERN
    )
    incident_date: IncidentDate
    incident_type: IncidentType
    amount: float = Field(description="The amount claimed, as a number, e.g. 15750.00")
    description: str = Field(description="What happened, in a few words", max_length=160)


class Claim(BaseModel):
    """The claim the `claim` step hands on: the model's reading, written as the pipeline keeps
    it (the claimant as "Given Surname", the policy id as the document writes it) with the
    currency of the amount, read from where the document writes it."""

    model_config = ConfigDict(extra="forbid")

    claimant: str = Field(description="Full name of the person making the claim")
    policy_id: str = Field(description="Policy number exactly as written")
    incident_date: date
    incident_type: IncidentType
    amount: float = Field(description="The amount claimed, in `currency`")
    currency: str = Field("USD", description="ISO 4217 code of the amount's currency")
    description: str = Field("", description="What happened, in a few words", max_length=160)


class Policy(BaseModel):
    """One row of `policies.csv`."""

    policy_id: str
    holder: str
    coverage: list[IncidentType]
    limit: float = Field(description="Per-incident limit in dollars")
    deductible: float
    active_from: date
    active_to: date
    currency: str = Field("USD", description="ISO 4217 code of the limit and deductible")


class PolicyCheck(BaseModel):
    """The claim matched against the policy table (deterministic)."""

    policy_id: str
    policy: Policy | None = Field(description="The policy row; None when the id is unknown")
    active_on_incident_date: bool
    covers_incident_type: bool
    holder_matches: bool
    currency_matches: bool = True


class Assessment(BaseModel):
    """Coverage and the payable amount: min(claimed, limit) - deductible, never below 0."""

    covered: bool
    payable_amount: float
    reasons: list[ReasonCode]
    notes: list[str] = Field(default_factory=list, description="Human-readable explanation")


class Decision(BaseModel):
    """The outcome a human approves: approve and pay, deny, or refer to an adjuster."""

    outcome: Outcome
    amount: float = Field(description="Amount to pay (approve) or proposed (refer); 0 on deny")
    reasons: list[ReasonCode] = Field(default_factory=list)


class ExpectedClaim(BaseModel):
    """The artifacts a correct run produces (a dataset line's "expected")."""

    claim: Claim
    decision: Decision


class ClaimTask(BaseModel):
    """One line of a claims dataset: the input and the artifacts a correct run produces."""

    id: str
    scenario: str = Field("", description="How make_data.py built it, e.g. deny_expired")
    kind: str = Field("", description="The document's kind, e.g. 'voicemail transcript'")
    decoys: list[str] = Field(default_factory=list, description="Values meant to mislead")
    doc: ClaimDoc
    expected: ExpectedClaim
