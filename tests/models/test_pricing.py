"""Prices: the built-in table, overrides, and free self-hosted models."""

from __future__ import annotations

from pathlib import Path

import httpx2
import pytest

from seamline.models import DEFAULT_PRICES, Price, PriceTable, load_config
from seamline.models.providers import build_model

from .conftest import Claim, Exchange, claim_request, fixture


def test_provider_models_are_priced_by_genai_prices() -> None:
    table = PriceTable()

    assert len(DEFAULT_PRICES) == 0  # no hand-kept copy to go stale
    assert table.cost("openai:gpt-4o-mini", 1_000_000, 1_000_000) == pytest.approx(0.75)
    assert table.cost("anthropic:claude-haiku-4-5", 2_000, 500) == pytest.approx(0.0045)
    # A dated snapshot name is the same model.
    assert table.cost("openai:gpt-4o-mini-2024-07-18", 1_000_000, 0) == pytest.approx(0.15)


def test_cached_input_tokens_cost_their_cached_rate() -> None:
    table = PriceTable()
    full = table.cost("openai:gpt-4o-mini", 1_000_000, 0)
    half_cached = table.cost("openai:gpt-4o-mini", 1_000_000, 0, cache_read_tokens=500_000)

    assert half_cached == pytest.approx(0.5 * 0.15 + 0.5 * 0.075)
    assert half_cached < full


def test_dated_names_use_their_base_entry_but_other_variants_do_not() -> None:
    table = PriceTable().with_overrides(
        {
            "openai:gpt-4o-mini": Price(input=1, output=1),
            "anthropic:claude-haiku-4-5": Price(input=2, output=2),
        }
    )

    assert table.lookup("openai:gpt-4o-mini-2024-07-18") == table["openai:gpt-4o-mini"]
    assert (
        table.lookup("anthropic:claude-haiku-4-5-20251001") == table["anthropic:claude-haiku-4-5"]
    )
    assert table.lookup("openai:gpt-4o-audio-preview") is None


def test_self_hosted_models_are_free_unless_priced() -> None:
    table = PriceTable()

    assert table.cost("local", 10_000, 10_000) == 0.0
    assert table.cost("local:/models/x.gguf", 10_000, 10_000) == 0.0
    assert table.cost("ollama:llama3.2", 10_000, 10_000) == 0.0
    priced = table.with_overrides({"ollama:llama3.2": {"input": 1.0, "output": 1.0}})
    assert priced.cost("ollama:llama3.2", 500_000, 500_000) == pytest.approx(1.0)


def test_a_bare_name_override_applies_under_any_provider() -> None:
    table = PriceTable().with_overrides({"qwen2.5": Price(input=0.2, output=0.4)})

    assert table.cost("openai-compatible:qwen2.5", 1_000_000, 0) == pytest.approx(0.2)


def test_models_missing_from_the_table_fall_back_to_genai_prices() -> None:
    assert "openai:gpt-4-turbo" not in PriceTable()

    assert PriceTable().cost("openai:gpt-4-turbo", 1_000_000, 0) > 0
    assert PriceTable(fallback=False).cost("openai:gpt-4-turbo", 1_000_000, 0) == 0.0
    assert PriceTable().cost("openai:no-such-model-xyz", 1_000_000, 0) == 0.0


def test_negative_prices_are_rejected() -> None:
    with pytest.raises(ValueError, match="greater than or equal to 0"):
        Price(input=-1, output=0)


async def test_a_seamline_toml_price_overrides_the_cost_of_a_reply(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("OPENAI_API_KEY", "sk-test")
    (tmp_path / "seamline.toml").write_text(
        '[prices]\n"openai:gpt-4o-mini" = { input = 1.0, output = 10.0 }\n'
    )
    config = load_config()
    http = Exchange(httpx2.Response(200, json=fixture("openai_claim.json")))
    model = build_model("openai:gpt-4o-mini", config, transport=http.transport)

    reply = await model.generate(Claim, claim_request(model.name))

    assert reply.cost_usd == pytest.approx((182 * 1.0 + 19 * 10.0) / 1e6)
