"""What the claims reader tests share: a check called with the artifacts it names, and a
claim that differs from a plain one only in the fields a test gives."""

from __future__ import annotations

import inspect
from datetime import date
from typing import Any

from examples.claims.models import Claim


def call(fn: Any, **artifacts: Any) -> Any:
    return fn(**{name: artifacts[name] for name in inspect.signature(fn).parameters})


def claim(**fields: Any) -> Claim:
    base: dict[str, Any] = {
        "claimant": "Anna Kowalczyk",
        "policy_id": "POL-4471-22",
        "incident_date": date(2024, 1, 18),
        "incident_type": "storm",
        "amount": 1250.0,
        "currency": "EUR",
    }
    return Claim(**{**base, **fields})
