"""``check_value``'s fast path (no paths built while everything is within bounds) holds
input to exactly the rules of the full walk: the same values pass, and a value past a
bound gets the same error at the same place. The server's event loop is uvloop's."""

from __future__ import annotations

import asyncio
import enum
import uuid
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import pytest

from core.cli import _run_server
from core.input_bounds import MAX_DEPTH, MAX_INT64, MIN_INT64, OutOfBounds, check_value


class Colour(enum.StrEnum):
    RED = "red"


class Text(str):
    pass


def _nested(depth: int):
    value: object = "leaf"
    for _ in range(depth):
        value = {"a": [value]}
    return value


WITHIN = [
    None, True, False, 0, 1.5, "", "x" * 100, MAX_INT64, MIN_INT64,
    {"event_id": "e", "page_number": 3, "tags": ["a", "b"], "nested": {"x": None}},
    [1, [2, [3]], (4, 5)], {1: "non-string keys are not strings to check"},
    Colour.RED, {"colour": Colour.RED},
    # What a validated body's dump holds besides strings and integers.
    {"event_id": uuid.UUID(int=7), "at": datetime(2026, 1, 2, tzinfo=UTC),
     "day": date(2026, 1, 2), "price": Decimal("1.50"), "wait": timedelta(seconds=3)},
    _nested(MAX_DEPTH // 2),
]

PAST = [
    ("x" * 101, "too_long", ()),
    ({"key": "a\x00b"}, "nul", ("key",)),
    ({"a\x00": 1}, "nul", ("a\x00",)),
    ({"k" * 101: 1}, "too_long", ("k" * 101,)),
    ([1, MAX_INT64 + 1], "int_range", (1,)),
    ({"n": {"m": [MIN_INT64 - 1]}}, "int_range", ("n", "m", 0)),
    (Text("a\x00"), "nul", ()),
    ({"colour": "x" * 200}, "too_long", ("colour",)),
]


@pytest.mark.parametrize("value", WITHIN)
def test_values_within_bounds_pass(value):
    check_value(value, max_length=100)


@pytest.mark.parametrize(("value", "kind", "path"), PAST)
def test_values_past_a_bound_are_refused_where_they_are(value, kind, path):
    with pytest.raises(OutOfBounds) as refused:
        check_value(value, max_length=100)
    assert refused.value.kind == kind
    assert refused.value.path == path


def test_depth_counts_from_the_given_path():
    deep = _nested(MAX_DEPTH)  # leaf at 2 * MAX_DEPTH
    with pytest.raises(OutOfBounds) as refused:
        check_value(deep)
    assert refused.value.kind == "depth"
    assert len(refused.value.path) == MAX_DEPTH + 1
    # Within depth at the root, but not below a path that already uses some of it.
    check_value(_nested(MAX_DEPTH // 2 - 1))
    with pytest.raises(OutOfBounds) as refused:
        check_value(_nested(MAX_DEPTH // 2 - 1), path=("input", "x", "y", "z"))
    assert refused.value.kind == "depth"
    assert refused.value.path[:4] == ("input", "x", "y", "z")


def test_a_bool_is_not_an_integer_and_a_subclass_of_int_is_checked():
    class Big(int):
        pass

    check_value([True, False, Big(5)])
    with pytest.raises(OutOfBounds) as refused:
        check_value({"n": Big(MAX_INT64 + 1)})
    assert (refused.value.kind, refused.value.path) == ("int_range", ("n",))


def test_the_server_runs_on_uvloop():
    uvloop = pytest.importorskip("uvloop")
    seen = []

    async def record():
        seen.append(type(asyncio.get_running_loop()))

    _run_server(record())
    assert seen == [uvloop.Loop]


def test_a_validated_models_dump_takes_the_fast_path():
    """A body is bounded again once validated (text turned into integers may pass 64
    bits): its dump of ids, times and amounts must not cost the full walk."""
    from core.input_bounds import _within

    dump = WITHIN[-2]
    assert _within(dump, 100, MAX_DEPTH)
    assert not _within({**dump, "word": "a\x00"}, 100, MAX_DEPTH)
