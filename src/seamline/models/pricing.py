"""Turn token usage into US dollars.

Provider models (`openai:`, `anthropic:`, `google:`) are priced from the `genai-prices`
snapshot, counting cached input tokens at their cached rate (reasoning tokens are part of
the output tokens providers report). A `PriceTable` entry, from `[prices]` in `seamline.toml`
or `PriceTable.with_overrides()`, replaces that with a flat rate in USD per million tokens
(for a model genai-prices does not know, or a negotiated price); self-hosted models
(`local`, `ollama:`, `openai-compatible:`) cost nothing unless you give them a price.
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


# Empty: every provider model is priced from the `genai-prices` snapshot (kept current by
# its maintainers, with cached-input rates), which a hand-kept copy only went stale beside.
# Entries here, or `[prices]` in seamline.toml, override it with a flat rate.
DEFAULT_PRICES: Mapping[str, Price] = {}

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

    def cost(
        self,
        model: str,
        input_tokens: int,
        output_tokens: int,
        *,
        cache_read_tokens: int = 0,
        cache_write_tokens: int = 0,
    ) -> float:
        """The cost in USD of a call to `model` that used these tokens. Unknown models cost 0.

        `input_tokens` counts every input token, cached ones included (as providers report
        them); genai-prices charges the cached ones at their own rate. A table entry is a
        flat rate: every input token at its input price.
        """
        if price := self.lookup(model):
            return price.cost(input_tokens, output_tokens)
        provider, _, name = model.partition(":")
        if provider in _FREE_PROVIDERS or model == "local":
            return 0.0
        if self._fallback and (provider_id := _GENAI_PROVIDER_IDS.get(provider)):
            return _genai_cost(
                provider_id,
                name,
                input_tokens,
                output_tokens,
                cache_read_tokens,
                cache_write_tokens,
            )
        return 0.0


def _genai_cost(
    provider_id: str,
    name: str,
    input_tokens: int,
    output_tokens: int,
    cache_read_tokens: int,
    cache_write_tokens: int,
) -> float:
    try:
        from genai_prices import Usage, calc_price

        usage = Usage(
            input_tokens=input_tokens,
            output_tokens=output_tokens,
            cache_read_tokens=cache_read_tokens or None,
            cache_write_tokens=cache_write_tokens or None,
        )
        result = calc_price(usage, model_ref=name, provider_id=provider_id)
    except Exception:  # an unknown model, or a snapshot that cannot be read
        logger.debug("no price for %s:%s; counting it as free", provider_id, name)
        return 0.0
    return float(result.total_price)
