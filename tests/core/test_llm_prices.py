"""The price table: shipped defaults, overrides by file and environment, prefix matching."""

from __future__ import annotations

import json
from decimal import Decimal

import pytest

from core.config import ConfigError, load_settings
from core.llm_prices import DEFAULT_PRICES, PriceTable, load_prices, parse_prices


def test_models_are_priced_by_their_longest_prefix():
    table = PriceTable(DEFAULT_PRICES)

    assert table.price_of("claude-sonnet-4-6").input == Decimal("3")
    assert table.price_of("claude-opus-4-5-20251101").output == Decimal("25")
    assert table.price_of("claude-opus-4-1-20250805").output == Decimal("75")
    assert table.price_of("us.anthropic.claude-sonnet-4-5-20250929-v1:0").cache_read == \
        Decimal("0.30")
    assert table.price_of("gpt-4o") is None


def test_cost_is_exact_per_kind_of_token():
    cost = PriceTable(DEFAULT_PRICES).cost(
        "claude-haiku-4-5", input_tokens=1_000, output_tokens=2_000,
        cache_write_tokens=4_000, cache_read_tokens=10_000)

    assert cost == Decimal("0.017")  # (1,000×1 + 2,000×5 + 4,000×1.25 + 10,000×0.1) / 1e6
    assert PriceTable(DEFAULT_PRICES).cost("mystery", input_tokens=1, output_tokens=1,
                                           cache_write_tokens=0, cache_read_tokens=0) is None


def test_file_then_environment_override_the_defaults(tmp_path):
    path = tmp_path / "prices.json"
    path.write_text(json.dumps({"claude-sonnet-4": {"input": 2, "output": 10},
                                "house-model": {"input": "0.5", "output": 1}}))

    table = load_prices(file=str(path), value='{"house-model": {"input": 1, "output": 2, '
                                              '"cache_read": 0}}')

    sonnet = table.price_of("claude-sonnet-4-6")
    assert (sonnet.input, sonnet.output, sonnet.cache_write, sonnet.cache_read) == (
        Decimal(2), Decimal(10), Decimal("2.50"), Decimal("0.2"))
    house = table.price_of("house-model-v2")
    assert (house.input, house.cache_write, house.cache_read) == (
        Decimal(1), Decimal("1.25"), Decimal(0))
    assert table.price_of("claude-haiku-4-5") == DEFAULT_PRICES["claude-haiku-4-5"]


@pytest.mark.parametrize("text, problem", [
    ("not json", "is not valid JSON"),
    ("[1, 2]", "must be a JSON object"),
    ('{"m": 3}', "must map to an object"),
    ('{"m": {"input": 1}}', "needs input and output"),
    ('{"m": {"input": 1, "output": -1}}', "must be 0 or more"),
    ('{"m": {"input": 1, "output": "lots"}}', "is not a number"),
    ('{"m": {"input": 1, "output": true}}', "is not a number"),
    ('{"m": {"input": 1, "output": 1, "batch": 1}}', "unknown kinds"),
])
def test_bad_price_tables_are_refused_with_what_is_wrong(text, problem):
    with pytest.raises(ValueError, match=problem):
        parse_prices(text, source="LEARNGRAPH_LLM_PRICES")


def test_a_bad_setting_stops_start_up_with_one_line(monkeypatch, tmp_path):
    monkeypatch.setenv("LEARNGRAPH_DATA_DIR", str(tmp_path))
    monkeypatch.setenv("LEARNGRAPH_LLM_PRICES", '{"m": {"input": 1}}')
    with pytest.raises(ConfigError, match="LEARNGRAPH_LLM_PRICES: 'm' needs input and output"):
        load_settings()
    monkeypatch.delenv("LEARNGRAPH_LLM_PRICES")
    monkeypatch.setenv("LEARNGRAPH_LLM_PRICES_FILE", str(tmp_path / "missing.json"))
    with pytest.raises(ConfigError, match="LEARNGRAPH_LLM_PRICES_FILE cannot be read"):
        load_settings()
    monkeypatch.setenv("LEARNGRAPH_LLM_PRICES_FILE", "")
    monkeypatch.setenv("LEARNGRAPH_LLM_PRICES", '{"claude-sonnet-4": {"input": 9, "output": 9}}')
    assert load_settings().llm_prices.price_of("claude-sonnet-4-6").input == Decimal(9)
