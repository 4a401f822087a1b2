"""How gate feedback reaches the next attempt's prompt."""

from __future__ import annotations

from collections.abc import Sequence


def with_feedback(prompt: str, feedback: Sequence[str]) -> str:
    """`prompt`, followed by the reasons earlier attempts at this seam were rejected."""
    if not feedback:
        return prompt
    reasons = "\n".join(f"- {reason}" for reason in feedback)
    return (
        f"{prompt}\n\nA previous answer was rejected for these reasons:\n{reasons}\n"
        "Produce a corrected answer that fixes every one of them."
    )
