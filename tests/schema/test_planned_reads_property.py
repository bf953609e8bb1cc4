"""Drawn selections over the planned course types (fields, aliases, inline and named
fragments, page sizes) answer the same bytes on the planned and the general path."""

from __future__ import annotations

import httpx
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.fixtures import start_instance, without_rate_limit
from tests.schema.test_planned_reads import seed
from tests.twosigma.catalog_helpers import headers_for

COURSE_SCALARS = ["id", "title", "code", "description", "level", "creditHours",
                  "isPublished", "cacheEnabled", "llmModel", "__typename"]
MODULE_SCALARS = ["id", "title", "description", "moduleType", "sequenceIndex", "__typename"]
ITEM_SCALARS = ["id", "title", "description", "sequenceIndex", "estimatedDurationSeconds",
                "__typename"]

names = st.sampled_from(["a", "b", "x1", "t"])


@st.composite
def fields(draw, scalars: list[str], nested) -> str:
    """A selection set body: some scalars (maybe aliased), maybe nested lists, maybe
    wrapped in an inline fragment."""
    chosen = draw(st.lists(st.sampled_from(scalars), min_size=1, max_size=4))
    parts = []
    for i, name in enumerate(chosen):
        alias = draw(st.one_of(st.none(), names))
        parts.append(f"{alias}{i}: {name}" if alias else name)
    for field, inner in nested:
        if draw(st.booleans()):
            parts.append(f"{field} {{ {draw(inner)} }}")
    body = " ".join(parts)
    return f"... {{ {body} }}" if draw(st.booleans()) else body


def items() -> st.SearchStrategy[str]:
    return fields(ITEM_SCALARS, [])


def modules(depth: int) -> st.SearchStrategy[str]:
    nested = [("content", items())]
    if depth:
        nested.append(("children", modules(depth - 1)))
    return fields(MODULE_SCALARS, nested)


@st.composite
def documents(draw) -> tuple[str, dict]:
    page = draw(st.integers(min_value=1, max_value=4))
    edges = f"edges {{ {'cursor ' if draw(st.booleans()) else ''}node {{ {draw(modules(2))} }} }}"
    course = draw(fields(COURSE_SCALARS, [(f"modules(first: {page})", st.just(edges))]))
    if draw(st.booleans()):
        return ("query($id: ID!) { node(id: $id) { ...C } } fragment C on Course { "
                + course + " }", {"which": draw(st.sampled_from(["published", "draft"]))})
    first = draw(st.integers(min_value=1, max_value=3))
    return ("query($n: Int) { courses(first: $n) { edges { node { " + course + " } } } }",
            {"n": first})


@pytest.fixture
async def general(database_url):
    running = await start_instance(database_url, graphql_planned_reads=False,
                                   jobs_enabled=False)
    yield running
    await running.stop()


@pytest.fixture
async def seeded(clean_db, services):
    return await seed(services), {
        "anonymous": {},
        "instructor": await headers_for(services, "teacher@example.com", ["INSTRUCTOR"])}


@settings(max_examples=25, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(document=documents())
async def test_drawn_selections_answer_alike(server, general, seeded, document):
    ids, viewers = seeded
    query, spec = document
    variables = {"id": ids[spec["which"]]} if "which" in spec else spec
    body = {"query": query, "variables": variables}
    async with httpx.AsyncClient(base_url=server.base_url, timeout=10) as planned, \
            httpx.AsyncClient(base_url=general.base_url, timeout=10) as plain:
        for headers in viewers.values():
            expected = await plain.post("/graphql", json=body, headers=headers)
            for _ in range(2):  # the first answer teaches the plan, the second uses it
                answer = await planned.post("/graphql", json=body, headers=headers)
                assert without_rate_limit(answer.content) == without_rate_limit(
                    expected.content), query
            assert expected.status_code == 200 and b'"errors"' not in expected.content, (
                query, expected.content[:300])
