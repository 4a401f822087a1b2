"""The claims benchmark, on a scripted model: the numbers the README reports, per set and mode."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from examples.claims import benchmark
from examples.claims.datasets import load_set

from seamline.models import registry
from seamline.models.base import ModelRequest
from seamline.testing import ScriptedModel


def careless_reader() -> ScriptedModel:
    """Reads the first three dev documents right, except, on a first reading, the first
    one's claimant (the email's sender, "Tom Whitaker", where "Thomas Whitaker" signs)."""
    tasks = load_set("dev")[:3]

    def read(request: ModelRequest) -> dict[str, Any]:
        task = next(t for t in tasks if t.doc.text in request.prompt)
        answer = task.expected.claim.model_dump(mode="json", exclude={"currency"})
        answer["description"] = "what happened"
        names = request.output_schema["properties"]["claimant"]
        choices = names.get("enum", [names.get("const")])
        if task is tasks[0] and "rejected" not in request.prompt:
            answer["claimant"] = next(c for c in choices if c != answer["claimant"])
        return answer

    return ScriptedModel(read, name="careless")


def test_the_benchmark_reports_the_claim_seam_and_the_bar(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setitem(registry._cache, "careless", careless_reader())
    store = f"sqlite:///{tmp_path / 'bench.db'}"
    args = ["--sets", "dev", "--limit", "3", "--model", "careless", "--store", store]
    benchmark.main([*args, "--json"])
    (result,) = json.loads(capsys.readouterr().out)
    assert (result["set"], result["documents"], result["model"]) == ("dev", 3, "careless")
    shadow, gated = result["modes"]["shadow"], result["modes"]["on"]
    # in shadow the wrong claimant goes through (the gate only watches); gated, it is caught
    assert shadow["record_accuracy"] == pytest.approx(2 / 3)
    assert gated["claim_seam"]["right_and_accepted"] == 3
    assert gated["claim_seam"]["escaped"] == 0 and gated["claim_seam"]["escape_rate"] == 0.0
    assert gated["model_calls_per_task"] == pytest.approx(4 / 3)
    assert gated["fields"]["claimant"] == 1.0 and shadow["fields"]["claimant"] == pytest.approx(
        2 / 3
    )
    assert result["lift"]["right_and_accepted"]["difference"] == pytest.approx(1 / 3)
    assert result["bar"] == {
        "escapes_per_accepted": 0.0,
        "escapes_ok": True,
        "right_and_accepted": 1.0,
        "right_ok": True,
    }
    assert result["parser_only"]["record_accuracy"] == 1.0

    benchmark.main(args)  # the same runs, read back from the store, as text
    out = capsys.readouterr().out
    assert "bar: escapes per accepted 0.0% (≤ 6.7%: met)" in out
    assert "| claim seam: right and accepted | 2/3 (67%)" in out  # the shadow column
    assert "| dev (3) shadow | dev (3) gated |" in out


def test_without_a_model_the_benchmark_bounds_what_a_model_can_do(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """--no-model: the parser's floor, whether the first call can choose the truth, and
    whether the checks accept it (a right reading they reject is a false alarm to come)."""
    folder = tmp_path / "mine"
    (folder / "docs").mkdir(parents=True)
    (folder / "docs" / "m-1.txt").write_text(
        "Policy HX88213. Thomas Whitaker. On 11 March 2024 a pipe burst; the repair is "
        "£2,340.00, which I claim.\n",
        encoding="utf-8",
    )
    truth = {
        "claimant": "Thomas Whitaker",
        "policy_id": "HX88213",
        "incident_date": "2024-03-11",
        "incident_type": "water_damage",
        "amount": 2430.0,  # written by mistake: the document says 2,340.00
        "currency": "GBP",
    }
    decision = {"outcome": "approve", "amount": 2180.0, "reasons": []}
    line = {
        "id": "m-1",
        "kind": "note",
        "decoys": [],
        "expected": {"claim": truth, "decision": decision},
    }
    (folder / "expected.jsonl").write_text(json.dumps(line) + "\n", encoding="utf-8")

    benchmark.main(["--sets", f"dev,{folder}", "--limit", "3", "--no-model", "--json"])
    dev, mine = json.loads(capsys.readouterr().out)
    assert (dev["set"], dev["documents"], mine["set"], mine["documents"]) == ("dev", 3, "mine", 1)
    assert dev["parser_only"]["record_accuracy"] == 1.0
    assert dev["truth_offered"] == 1.0 and dev["truth_passes_every_check"] == 1.0
    assert mine["parser_only"]["fields"]["amount"] == 0.0
    assert mine["truth_not_offered"] == ["m-1: amount"]
    assert mine["truth_rejected_by"] == ["m-1: amount_in_document"]

    benchmark.main(["--sets", str(folder), "--no-model"])
    out = capsys.readouterr().out
    assert "expected claim passes every check: 0.0%" in out
    assert "rejected by  m-1: amount_in_document" in out
