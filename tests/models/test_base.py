"""The interface values: requests as records, replies, output validation."""

from __future__ import annotations

import json

import pytest
from pydantic import BaseModel

from seamline.models import ModelReply, ModelRequest, validate_output

from .conftest import Claim, claim_request


def test_a_request_record_is_json_and_round_trips() -> None:
    request = claim_request("local", examples=(("user text", '{"a": 1}'),), max_tokens=64)

    record = request.to_record()

    assert json.loads(json.dumps(record)) == record
    assert record["examples"] == [["user text", '{"a": 1}']]
    assert ModelRequest.from_record(json.loads(json.dumps(record))) == request


def test_requests_with_different_examples_differ_on_replay() -> None:
    plain = claim_request("local")
    shown = claim_request("local", examples=(("u", "{}"),))

    assert plain.to_record() != shown.to_record()


def test_valid_output_is_parsed() -> None:
    output, error = validate_output(Claim, '{"claimant": "A", "amount": 1, "policy_id": "P"}')

    assert output == Claim(claimant="A", amount=1, policy_id="P")
    assert error is None


def test_output_in_a_markdown_fence_is_accepted() -> None:
    raw = '```json\n{"claimant": "A", "amount": 1, "policy_id": "P"}\n```'

    assert validate_output(Claim, raw)[0] == Claim(claimant="A", amount=1, policy_id="P")


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ('{"claimant": "A", "amount": "lots", "policy_id": "P"}', "amount: Input should be"),
        ('{"claimant": "A", "amount": 1}', "policy_id: Field required"),
        ('{"claimant": "A", "amount": 1, "policy_id": ', "not valid JSON"),
        ("[1, 2]", "(the whole object): Input should be an object"),
        ("", "returned no output"),
        (None, "returned no output"),
    ],
)
def test_invalid_output_explains_what_is_wrong(raw: str | None, expected: str) -> None:
    output, error = validate_output(Claim, raw)

    assert output is None
    assert error is not None and expected in error


def test_nested_errors_name_the_path() -> None:
    class Batch(BaseModel):
        claims: list[Claim]

    raw = '{"claims": [{"claimant": "A", "amount": 1, "policy_id": "P"}, {"claimant": "B"}]}'
    _, error = validate_output(Batch, raw)

    assert error is not None
    assert "claims.1.amount: Field required" in error
    assert "claims.1.policy_id: Field required" in error


def test_truncated_output_says_the_token_limit_was_hit() -> None:
    _, error = validate_output(Claim, '{"claimant": "A', truncated=True)

    assert error is not None and error.startswith("the output was cut off at the token limit")


def test_a_reply_is_ok_only_with_an_output() -> None:
    good = ModelReply(
        output=Claim(claimant="A", amount=1, policy_id="P"),
        error=None,
        response={},
        raw_output="{}",
    )
    bad: ModelReply[Claim] = ModelReply(output=None, error="x", response={}, raw_output="{")

    assert good.ok and not bad.ok
    assert (bad.input_tokens, bad.cost_usd, bad.seconds) == (0, 0.0, 0.0)


def test_the_public_api_is_pinned() -> None:
    import seamline.models

    assert seamline.models.__all__ == sorted(seamline.models.__all__)
    assert seamline.models.__all__ == [
        "DEFAULT_PRICES",
        "LocalModelConfig",
        "Model",
        "ModelCallFailed",
        "ModelConfig",
        "ModelReply",
        "ModelRequest",
        "PrefixCacheWarning",
        "Price",
        "PriceTable",
        "ProviderConfig",
        "configure",
        "get_config",
        "get_model",
        "load_config",
        "max_tokens_for",
        "validate_output",
    ]
