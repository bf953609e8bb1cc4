"""What model calls cost: USD per million tokens of each kind, per model.

The shipped table holds Anthropic's list prices. A deployment changes or adds
models with a JSON file (``LEARNGRAPH_LLM_PRICES_FILE``) and/or a JSON value
(``LEARNGRAPH_LLM_PRICES``), applied in that order over the defaults::

    {"claude-sonnet-4-6": {"input": 3, "output": 15, "cache_write": 3.75, "cache_read": 0.3}}

``cache_write`` defaults to 1.25 × ``input`` and ``cache_read`` to 0.1 × ``input``
(the API's five-minute cache). A model is priced by its longest listed prefix,
after any Bedrock region and vendor prefix (``us.anthropic.``): a dated or
versioned id (``claude-sonnet-4-5-20250929-v1:0``) takes its family's price.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from pathlib import Path

MILLION = Decimal(1_000_000)
KINDS = ("input", "output", "cache_write", "cache_read")
_BEDROCK_PREFIX = re.compile(r"^(?:(?:us|eu|apac|global|us-gov)\.)?anthropic\.")


@dataclass(frozen=True)
class ModelPrice:
    """USD per million tokens."""

    input: Decimal
    output: Decimal
    cache_write: Decimal
    cache_read: Decimal

    def cost(self, *, input_tokens: int, output_tokens: int, cache_write_tokens: int,
             cache_read_tokens: int) -> Decimal:
        """The exact cost in USD of one call's tokens."""
        return (input_tokens * self.input + output_tokens * self.output
                + cache_write_tokens * self.cache_write
                + cache_read_tokens * self.cache_read) / MILLION


def _price(input: str, output: str, cache_write: str, cache_read: str) -> ModelPrice:
    return ModelPrice(Decimal(input), Decimal(output), Decimal(cache_write), Decimal(cache_read))


DEFAULT_PRICES: dict[str, ModelPrice] = {
    "claude-opus-4-5": _price("5", "25", "6.25", "0.50"),
    "claude-opus-4-1": _price("15", "75", "18.75", "1.50"),
    "claude-opus-4": _price("15", "75", "18.75", "1.50"),
    "claude-sonnet-4": _price("3", "15", "3.75", "0.30"),
    "claude-3-7-sonnet": _price("3", "15", "3.75", "0.30"),
    "claude-3-5-sonnet": _price("3", "15", "3.75", "0.30"),
    "claude-haiku-4-5": _price("1", "5", "1.25", "0.10"),
    "claude-3-5-haiku": _price("0.80", "4", "1", "0.08"),
    "claude-3-haiku": _price("0.25", "1.25", "0.30", "0.03"),
}


class PriceTable:
    """Prices by model id prefix; ``price_of`` finds the longest matching prefix."""

    def __init__(self, prices: Mapping[str, ModelPrice]) -> None:
        self.prices = dict(prices)
        self._by_length = sorted(self.prices, key=len, reverse=True)

    def price_of(self, model: str) -> ModelPrice | None:
        name = _BEDROCK_PREFIX.sub("", model)
        for prefix in self._by_length:
            if name == prefix or name.startswith(prefix):
                return self.prices[prefix]
        return None

    def cost(self, model: str, *, input_tokens: int, output_tokens: int,
             cache_write_tokens: int, cache_read_tokens: int) -> Decimal | None:
        """The call's cost in USD; None when the model has no price."""
        price = self.price_of(model)
        if price is None:
            return None
        return price.cost(input_tokens=input_tokens, output_tokens=output_tokens,
                          cache_write_tokens=cache_write_tokens,
                          cache_read_tokens=cache_read_tokens)


def parse_prices(text: str, *, source: str) -> dict[str, ModelPrice]:
    """Prices from JSON text; ValueError naming ``source`` and the problem."""
    try:
        data = json.loads(text)
    except ValueError as exc:
        raise ValueError(f"{source} is not valid JSON: {exc}") from None
    if not isinstance(data, dict):
        raise ValueError(f"{source} must be a JSON object of model: prices")
    prices = {}
    for model, entry in data.items():
        if not model or not isinstance(entry, dict):
            raise ValueError(f"{source}: {model[:50]!r} must map to an object of prices")
        unknown = sorted(set(entry) - set(KINDS))
        if unknown:
            raise ValueError(f"{source}: {model[:50]!r} has unknown kinds {unknown}")
        values = {}
        for kind in KINDS:
            if kind not in entry:
                continue
            value = entry[kind]
            try:
                if isinstance(value, bool):
                    raise InvalidOperation
                amount = Decimal(str(value))
            except InvalidOperation:
                raise ValueError(f"{source}: {model[:50]!r} {kind} is not a number") from None
            if not amount.is_finite() or amount < 0:
                raise ValueError(f"{source}: {model[:50]!r} {kind} must be 0 or more")
            values[kind] = amount
        if "input" not in values or "output" not in values:
            raise ValueError(f"{source}: {model[:50]!r} needs input and output prices")
        values.setdefault("cache_write", values["input"] * Decimal("1.25"))
        values.setdefault("cache_read", values["input"] * Decimal("0.1"))
        prices[model] = ModelPrice(**values)
    return prices


def load_prices(*, file: str | None, value: str | None) -> PriceTable:
    """The shipped prices, then the file's, then the environment value's."""
    prices = dict(DEFAULT_PRICES)
    if file:
        try:
            text = Path(file).read_text()
        except OSError as exc:
            raise ValueError(f"LEARNGRAPH_LLM_PRICES_FILE cannot be read: {exc.strerror}") \
                from None
        prices.update(parse_prices(text, source="LEARNGRAPH_LLM_PRICES_FILE"))
    if value:
        prices.update(parse_prices(value, source="LEARNGRAPH_LLM_PRICES"))
    return PriceTable(prices)
