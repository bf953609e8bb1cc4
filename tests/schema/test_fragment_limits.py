"""Fragment-spread expansion is bounded before any rule walks it, and cost is linear in
the size of the document (each fragment is costed once)."""

from __future__ import annotations

import time

from graphql import parse

from schema.limits import MAX_FRAGMENT_SPREADS, cost_variables, operation_cost
from tests.fixtures import error_codes, gql, gql_raw


def doubling_fragments(n: int) -> str:
    """``F0`` spreads ``F1`` twice, ... : 2**n leaves from a document of ~40*n characters."""
    chain = " ".join(f"fragment F{i} on Query {{ ...F{i + 1} ...F{i + 1} }}" for i in range(n))
    return "query { ...F0 } " + chain + f" fragment F{n} on Query {{ viewer {{ kind }} }}"


async def test_an_exponential_fragment_chain_is_refused_quickly(client):
    started = time.monotonic()
    body = await gql_raw(client, doubling_fragments(25))
    elapsed = time.monotonic() - started
    assert elapsed < 2.0
    assert body.get("data") is None
    assert error_codes(body) == ["QUERY_TOO_COMPLEX"]
    message = body["errors"][0]["message"]
    assert message == (f"Fragment spreads expand to more than {MAX_FRAGMENT_SPREADS} "
                       "selections; use fewer or less nested fragment spreads.")


async def test_fragments_within_the_cap_still_work(client):
    # Eight levels expand to 1 + 2 + ... + 2**8 = 511 spreads; nine to 1023, over the cap.
    body = await gql_raw(client, doubling_fragments(8))
    assert body.get("errors") is None, body
    assert body["data"] == {"viewer": {"kind": "ANONYMOUS"}}
    assert body["extensions"]["cost"]["requestedQueryCost"] == 2 * 2 ** 8
    assert error_codes(await gql_raw(client, doubling_fragments(9))) == ["QUERY_TOO_COMPLEX"]


async def test_ordinary_fragments_work(client):
    data = await gql(client, "query { ...V viewer { ...K } } fragment V on Query { viewer { "
                             "...K } } fragment K on Viewer { kind }")
    assert data == {"viewer": {"kind": "ANONYMOUS"}}


def test_cost_of_a_deep_fragment_chain_is_computed_in_linear_time():
    document = parse(doubling_fragments(40))
    started = time.monotonic()
    cost = operation_cost(document, None, {})
    assert time.monotonic() - started < 0.5
    assert cost == 2 * 2 ** 40


def test_fragment_cost_scales_with_the_page_size_around_it():
    document = parse("query { users(first: 10) { ...E } } "
                     "fragment E on UserConnection { edges { node { id } } }")
    assert operation_cost(document, None, {}) == 1 + 10 * 3


def test_the_cost_reads_only_the_variables_of_page_sizes_and_id_lists():
    """A planned read whose request gives none of them is charged the document's cost
    without variables, which is computed once."""
    document = parse(
        "query Q($id: ID!, $n: Int, $ids: [ID!]!, $on: Boolean!) { node(id: $id) { id } "
        "nodes(ids: $ids) { id } users(first: 2) @include(if: $on) { ...E } } "
        "fragment E on UserConnection { edges { node { courses(last: $n) { totalCount } } } }")
    assert cost_variables(document) == {"n", "ids"}
    # Any other variable leaves the cost as it is without variables.
    assert operation_cost(document, "Q", {"id": "Q291cnNlOjE=", "on": False}) == (
        operation_cost(document, "Q", {}))
    assert operation_cost(document, "Q", {"n": 5}) != operation_cost(document, "Q", {})
    assert cost_variables(parse("query C($id: ID!) { node(id: $id) { id } }")) == set()
