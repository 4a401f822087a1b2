"""Turn token usage into US dollars.

A `PriceTable` maps model strings to a `Price` in USD per million tokens. The built-in table
covers common models at their base (non-batch, short-context) rates; `[prices]` in
`seamline.toml` or `PriceTable.with_overrides()` change or add entries. A model the table does
not know is priced from the `genai-prices` snapshot that ships with pydantic-ai; self-hosted
models (`local`, `ollama:`) cost nothing unless you give them a price.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterator, Mapping

from pydantic import BaseModel, ConfigDict, Field

__all__ = ["DEFAULT_PRICES", "Price", "PriceTable"]

logger = logging.getLogger(__name__)


class Price(BaseModel):
    """USD per one million tokens."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    input: float = Field(ge=0)
    output: float = Field(ge=0)

    def cost(self, input_tokens: int, output_tokens: int) -> float:
        """The cost of one call, in USD."""
        return (input_tokens * self.input + output_tokens * self.output) / 1_000_000


DEFAULT_PRICES: Mapping[str, Price] = {
    # Base rates as published by each provider (late 2026 snapshot, standard tier).
    "openai:gpt-4o": Price(input=2.50, output=10.00),
    "openai:gpt-4o-mini": Price(input=0.15, output=0.60),
    "openai:gpt-4.1": Price(input=2.00, output=8.00),
    "openai:gpt-4.1-mini": Price(input=0.40, output=1.60),
    "openai:gpt-4.1-nano": Price(input=0.10, output=0.40),
    "openai:gpt-5": Price(input=1.25, output=10.00),
    "openai:gpt-5-mini": Price(input=0.25, output=2.00),
    "openai:gpt-5-nano": Price(input=0.05, output=0.40),
    "anthropic:claude-opus-4-5": Price(input=5.00, output=25.00),
    "anthropic:claude-opus-4-1": Price(input=15.00, output=75.00),
    "anthropic:claude-sonnet-4-6": Price(input=3.00, output=15.00),
    "anthropic:claude-sonnet-4-5": Price(input=3.00, output=15.00),
    "anthropic:claude-haiku-4-5": Price(input=1.00, output=5.00),
    "anthropic:claude-3-5-haiku": Price(input=0.80, output=4.00),
    "google:gemini-2.5-pro": Price(input=1.25, output=10.00),
    "google:gemini-2.5-flash": Price(input=0.30, output=2.50),
    "google:gemini-2.5-flash-lite": Price(input=0.10, output=0.40),
    "google:gemini-2.0-flash": Price(input=0.10, output=0.40),
}

_FREE_PROVIDERS = ("local", "ollama")
_VERSION_SUFFIX = re.compile(r"-(\d{4}-\d{2}-\d{2}|\d{8}|\d{3}|latest)$")
_GENAI_PROVIDER_IDS = {"openai": "openai", "anthropic": "anthropic", "google": "google"}


class PriceTable(Mapping[str, Price]):
    """Prices by model string, e.g. `"openai:gpt-4o-mini"`.

    A key may also be a bare model name (`"gpt-4o-mini"`), matching it under any provider.
    A dated or suffixed name (`"gpt-4o-mini-2024-07-18"`) matches its base entry.

    Args:
        prices: The table. Default: `DEFAULT_PRICES`.
        fallback: Price models missing from the table from the `genai-prices` snapshot.
    """

    __slots__ = ("_fallback", "_prices")

    def __init__(self, prices: Mapping[str, Price] | None = None, *, fallback: bool = True) -> None:
        self._prices: dict[str, Price] = dict(DEFAULT_PRICES if prices is None else prices)
        self._fallback = fallback

    def with_overrides(self, prices: Mapping[str, Price | Mapping[str, float]]) -> PriceTable:
        """A copy with `prices` added or replacing entries."""
        merged = dict(self._prices)
        for model, price in prices.items():
            merged[model] = price if isinstance(price, Price) else Price.model_validate(price)
        return PriceTable(merged, fallback=self._fallback)

    def __getitem__(self, model: str) -> Price:
        return self._prices[model]

    def __iter__(self) -> Iterator[str]:
        return iter(self._prices)

    def __len__(self) -> int:
        return len(self._prices)

    def __repr__(self) -> str:
        return f"PriceTable({len(self._prices)} models, fallback={self._fallback})"

    def lookup(self, model: str) -> Price | None:
        """The table's price for `model`, or None when the table has no entry for it."""
        _, sep, name = model.partition(":")
        candidates = [model, name] if sep else [model]
        for key in candidates:
            if key in self._prices:
                return self._prices[key]
        # "gpt-4o-mini-2024-07-18" and "claude-haiku-4-5-20251001" price as their base model.
        # Other suffixes ("gpt-4o-audio-preview") are other models: left to the fallback.
        for key in candidates:
            base = _VERSION_SUFFIX.sub("", key)
            if base != key and base in self._prices:
                return self._prices[base]
        return None

    def cost(self, model: str, input_tokens: int, output_tokens: int) -> float:
        """The cost in USD of a call to `model` that used these tokens. Unknown models cost 0."""
        if price := self.lookup(model):
            return price.cost(input_tokens, output_tokens)
        provider, _, name = model.partition(":")
        if provider in _FREE_PROVIDERS or model == "local":
            return 0.0
        if self._fallback and (provider_id := _GENAI_PROVIDER_IDS.get(provider)):
            return _genai_cost(provider_id, name, input_tokens, output_tokens)
        return 0.0


def _genai_cost(provider_id: str, name: str, input_tokens: int, output_tokens: int) -> float:
    try:
        from genai_prices import Usage, calc_price

        result = calc_price(
            Usage(input_tokens=input_tokens, output_tokens=output_tokens),
            model_ref=name,
            provider_id=provider_id,
        )
    except Exception:  # an unknown model, or a snapshot that cannot be read
        logger.debug("no price for %s:%s; counting it as free", provider_id, name)
        return 0.0
    return float(result.total_price)
