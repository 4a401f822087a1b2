"""The ledger: a scratch git repository whose history books each payment received.

Built fresh (deterministic contents, dates and authors, so the same commits everywhere)
by `make_ledger(path)`; the git MCP server reads it.
"""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

# (invoice, customer, amount, currency) per booking, oldest first; None amount: no payment.
BOOKINGS = [
    ("INV-1001", "Acme Corporation", "1234.50", "EUR"),
    ("INV-1003", "Initech GmbH", "2450.00", "EUR"),
    ("INV-1002", "Globex", "500.00", "USD"),
    ("INV-1005", "Stark Industries", "15750.00", "USD"),
    ("INV-1007", "Soylent Foods", "1000.00", "USD"),
    ("INV-1008", "Tyrell Corp", "45000", "JPY"),
]


def make_ledger(path: Path) -> Path:
    """Create the ledger repository at `path` (which must not exist yet)."""
    path.mkdir(parents=True)
    env = {
        **os.environ,
        "GIT_AUTHOR_NAME": "Ledger Bot",
        "GIT_AUTHOR_EMAIL": "ledger@example.invalid",
        "GIT_COMMITTER_NAME": "Ledger Bot",
        "GIT_COMMITTER_EMAIL": "ledger@example.invalid",
    }

    def git(*args: str, day: int = 1) -> None:
        stamp = f"2026-11-{day:02d}T10:00:00+00:00"
        subprocess.run(
            ["git", "-C", str(path), *args],
            check=True,
            capture_output=True,
            env={**env, "GIT_AUTHOR_DATE": stamp, "GIT_COMMITTER_DATE": stamp},
        )

    git("init", "-q", "-b", "main")
    lines = ["invoice,customer,amount,currency"]
    (path / "ledger.csv").write_text("\n".join(lines) + "\n")
    git("add", "ledger.csv")
    git("commit", "-q", "-m", "Open the ledger for November")
    for day, (invoice, customer, amount, currency) in enumerate(BOOKINGS, start=3):
        lines.append(f"{invoice},{customer},{amount},{currency}")
        (path / "ledger.csv").write_text("\n".join(lines) + "\n")
        git("add", "ledger.csv", day=day)
        git(
            "commit",
            "-q",
            "-m",
            f"Payment received for {invoice} from {customer}: {amount} {currency}",
            day=day,
        )
    return path
