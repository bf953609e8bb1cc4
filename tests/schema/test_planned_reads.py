"""Planned reads answer exactly as the general executor does: the same bytes for data
and errors, for every kind of viewer, in one SQL statement."""

from __future__ import annotations

import httpx
import pytest
from sqlalchemy import text
from strawberry import relay

from tests.fixtures import count_statements, without_rate_limit
from tests.twosigma.catalog_helpers import (
    ContentItem,
    ContentType,
    Course,
    Module,
    add,
    add_many,
    headers_for,
)

TREE = """query A($id: ID!) { node(id: $id) { ... on Course { id title
  modules(first: 20) { edges { node { id title sequenceIndex content { id title }
    children { id title sequenceIndex content { id title } } } } } } } }"""
COURSES = """{ courses(first: 20) { edges { node { id title
  modules(first: 20) { edges { node { id title } } } } } } }"""
ONE = "query C($id: ID!) { node(id: $id) { ... on Course { id title } } }"

CORPUS = [
    ("{ __typename }", {}),
    (TREE, "published"),
    (TREE, "draft"),
    (COURSES, {}),
    (ONE, "published"),
    (ONE, "draft"),
    (ONE, "missing"),
    (ONE, "module"),
    ("query($id: ID!) { node(id: $id) { __typename id ... on Course { code level "
     "creditHours isPublished cacheEnabled llmModel description } } }", "published"),
    ("query($id: ID!) { a: node(id: $id) { ...C } b: __typename } "
     "fragment C on Course { t: title title ...D modules(first: 2) { __typename edges { "
     "__typename cursor node { __typename ...M } } } } fragment D on Node { id } "
     "fragment M on Module { moduleType description children { title } }", "published"),
    ("query($n: Int) { courses(first: $n) { edges { cursor node { title } } } }", {"n": 2}),
    ("query($n: Int, $a: String) { courses(first: $n, after: $a) { edges { node { title } } "
     "} }", "after"),
    ("query($n: Int) { courses(first: $n) { edges { node { title } } } }", {"n": 0}),
    ("query($n: Int) { courses(first: $n) { edges { node { title } } } }", {"n": 101}),
    ("query($a: String) { courses(first: 1, after: $a) { edges { node { title } } } }",
     {"a": "not a cursor"}),
    ("query($id: ID!) { node(id: $id) { ... on Course { modules(first: 1, after: \"x\") { "
     "edges { node { id } } } } } }", "published"),
    ("query($id: ID!) { node(id: $id) { id } }", {"id": "bm90IGFuIGlk"}),
    ("query($id: ID!) { node(id: $id) { ... on Course { modules(first: 5) { edges { node { "
     "content { id sequenceIndex estimatedDurationSeconds } } } } } } }", "published"),
    ("query($id: ID!) { node(id: $id) { ... on Course { createdAt modules(first: 2) { "
     "pageInfo { hasNextPage hasPreviousPage startCursor endCursor __typename } "
     "edges { cursor } } } } }", "published"),
    ("query($id: ID!) { node(id: $id) { ... on Course { modules(first: 3) { "
     "p: pageInfo { hasNextPage endCursor } } } } }", "published"),
    ("query($n: Int, $a: String) { courses(first: $n, after: $a) { pageInfo { "
     "hasNextPage hasPreviousPage startCursor endCursor } edges { node { createdAt } } } }",
     "after"),
    ("{ courses(first: 1) { pageInfo { hasNextPage endCursor } } }", {}),
    ("{ courses(first: 3) { nodes { id title } edges { node { id } } n: nodes { code } } }",
     {}),
    ("query($id: ID!) { node(id: $id) { ... on Course { modules(first: 2) { nodes { title "
     "children { title } } pageInfo { hasNextPage } } } } }", "published"),
    ("{ courses(first: 5) { pageInfo { hasNextPage startCursor } } }", {}),
]


async def seed(services) -> dict:
    """A published and a draft course, each with a small tree."""
    kind = await add(services, ContentType, name="video", label="Video")
    ids = {}
    for name, published in (("published", True), ("draft", False)):
        course = await add(services, Course, title=f"{name} course", code=name[:4],
                           is_published=published)
        roots = await add_many(services, Module, [
            {"course_id": course.id, "title": f"{name} root {i}", "sequence_index": i}
            for i in range(3)])
        children = await add_many(services, Module, [
            {"course_id": course.id, "parent_module_id": r, "title": f"child {r}-{i}",
             "sequence_index": 2 - i} for r in roots for i in range(2)])
        await add_many(services, ContentItem, [
            {"module_id": m, "course_id": course.id, "content_type_id": kind.id,
             "title": f"item {m}-{i}", "sequence_index": i,
             "estimated_duration_seconds": 60 * i or None}
            for m in roots + children for i in range(2)])
        ids[name] = relay.to_base64("Course", course.id)
        ids["module"] = relay.to_base64("Module", roots[0])
    ids["missing"] = relay.to_base64("Course", 10 ** 9)
    return ids


def variables_for(spec, ids: dict) -> dict:
    if isinstance(spec, dict):
        return spec
    if spec == "after":
        from core.pagination import encode_cursor

        return {"n": 5, "a": encode_cursor([0])}
    return {"id": ids[spec]}



async def test_planned_and_general_answers_are_the_same_bytes(server, general, clean_db,
                                                               services):
    ids = await seed(services)
    viewers = {"anonymous": {},
               "learner": await headers_for(services, "learner@example.com"),
               "instructor": await headers_for(services, "teacher@example.com",
                                               ["INSTRUCTOR"]),
               "admin": await headers_for(services, "admin@example.com", ["PLATFORM_ADMIN"])}
    planned_answers = 0
    async with httpx.AsyncClient(base_url=server.base_url, timeout=10) as planned, \
            httpx.AsyncClient(base_url=general.base_url, timeout=10) as plain:
        for query, spec in CORPUS:
            body = {"query": query, "variables": variables_for(spec, ids)}
            for viewer, headers in viewers.items():
                expected = await plain.post("/graphql", json=body, headers=headers)
                learning = await planned.post("/graphql", json=body, headers=headers)
                with count_statements(services) as counter:
                    answer = await planned.post("/graphql", json=body, headers=headers)
                assert (answer.status_code, without_rate_limit(answer.content)) == (
                    expected.status_code, without_rate_limit(expected.content)), (
                    viewer, query, spec)
                assert without_rate_limit(learning.content) == without_rate_limit(
                    expected.content)
                planned_answers += any("json_build_object" in s for s in counter.statements)
    # Every query with a value the general path refuses (page sizes, cursors) or a part
    # without a SQL form (a page after a cursor of modules) ran there; the rest planned
    # (``{ __typename }`` too, without a statement).
    assert planned_answers == 4 * (len(CORPUS) - 6)


async def test_a_planned_read_is_one_statement(server, clean_db, services, client):
    ids = await seed(services)
    body = {"query": TREE, "variables": {"id": ids["published"]}}
    first = (await client.post("/graphql", json=body)).json()
    with count_statements(services) as counter:
        second = (await client.post("/graphql", json=body)).json()
    assert second["data"] == first["data"]
    tree = second["data"]["node"]
    assert [e["node"]["title"] for e in tree["modules"]["edges"]] == [
        "published root 0", "published root 1", "published root 2"]
    assert [len(e["node"]["children"]) for e in tree["modules"]["edges"]] == [2, 2, 2]
    # One statement builds the answer; the points the instance took from the viewer's
    # query budget with the first answer pay for it.
    assert len(counter.statements) == 1
    assert "json_build_object" in counter.statements[0]
    assert "query_budgets" not in counter.statements[0]
    assert second["extensions"]["rateLimit"]["cost"] == 4  # 304 / 100, rounded up
    assert second["extensions"]["rateLimit"]["used"] == (
        first["extensions"]["rateLimit"]["used"] + 4) == 8

    # A document that reads no table sends no statement at all
    await client.post("/graphql", json={"query": "{ a: __typename }"})
    with count_statements(services) as counter:
        body = (await client.post("/graphql", json={"query": "{ a: __typename }"})).json()
    assert body["data"] == {"a": "Query"}
    assert counter.statements == []
    assert body["extensions"]["rateLimit"]["used"] == 10


async def test_a_viewer_without_spare_points_pays_in_the_planned_statement(
        server, clean_db, services):
    ids = await seed(services)
    body = {"query": TREE, "variables": {"id": ids["published"]}}
    async with httpx.AsyncClient(base_url=server.base_url, timeout=10) as http:
        await http.post("/graphql", json=body)  # the plan is learned
        services.budgets.forget()  # as on an instance that took no points yet
        with count_statements(services) as counter:
            answer = (await http.post("/graphql", json=body)).json()
    # One statement takes the points (the operation's 4 and 50 to spare) and answers.
    assert len(counter.statements) == 1
    assert "json_build_object" in counter.statements[0]
    assert "query_budgets" in counter.statements[0]
    assert answer["data"]["node"]["title"] == "published course"
    async with services.db.session() as session:
        assert (await session.execute(text("SELECT used FROM query_budgets"))).scalar_one() == (
            4 + 4 + 50 + 50)  # the learning answer took its 4 and 50 to spare too


async def test_a_refused_bearer_token_is_refused_on_a_planned_document_too(
        server, general, clean_db, services):
    ids = await seed(services)
    body = {"query": ONE, "variables": {"id": ids["published"]}}
    stale = {"Authorization": "Bearer not-a-token"}
    async with httpx.AsyncClient(base_url=server.base_url, timeout=10) as planned, \
            httpx.AsyncClient(base_url=general.base_url, timeout=10) as plain:
        assert (await planned.post("/graphql", json=body)).json()["data"]["node"]["title"] == (
            "published course")  # the plan is learned
        expected = await plain.post("/graphql", json=body, headers=stale)
        answer = await planned.post("/graphql", json=body, headers=stale)
    assert answer.json()["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"
    assert answer.json()["data"] is None
    assert (answer.status_code, without_rate_limit(answer.content)) == (
        expected.status_code, without_rate_limit(expected.content))


async def test_a_planned_answer_has_the_general_paths_headers(server, general, clean_db,
                                                             services):
    ids = await seed(services)
    body = {"query": ONE, "variables": {"id": ids["published"]}}
    async with httpx.AsyncClient(base_url=server.base_url, timeout=10) as planned, \
            httpx.AsyncClient(base_url=general.base_url, timeout=10) as plain:
        await planned.post("/graphql", json=body)
        with count_statements(services) as counter:
            answer = await planned.post("/graphql", json=body)
        expected = await plain.post("/graphql", json=body)
    assert len(counter.statements) == 1 and "json_build_object" in counter.statements[0]
    assert without_rate_limit(answer.content) == without_rate_limit(expected.content)
    assert answer.json()["data"]["node"] == {"id": ids["published"], "title": "published course"}
    # (Their lengths differ as their budgets' figures do.)
    same = ("content-type", "x-ratelimit-limit", "x-ratelimit-resource")
    assert {h: answer.headers[h] for h in same} == {h: expected.headers[h] for h in same}
    # The planned instance's second operation; the other instance reports the points
    # this one holds to spare among those used.
    assert answer.headers["x-ratelimit-used"] == "2"
    assert expected.headers["x-ratelimit-used"] == str(1 + 50 + 1)
    assert answer.headers["x-request-id"]


@pytest.mark.parametrize("variables", [0, "x", ["a"], True])
async def test_variables_that_are_not_an_object_are_refused_after_a_plan_is_learned(
        server, general, clean_db, variables):
    """A document with a plan still goes through the request checks: ``variables`` that
    are not an object (or null) are a 400 request error, as on the general path."""
    async with httpx.AsyncClient(base_url=server.base_url, timeout=10) as planned, \
            httpx.AsyncClient(base_url=general.base_url, timeout=10) as plain:
        for _ in range(2):  # the first answer teaches the plan
            assert (await planned.post("/graphql", json={"query": "{ __typename }"})).json()[
                "data"] == {"__typename": "Query"}
        body = {"query": "{ __typename }", "variables": variables}
        answer = await planned.post("/graphql", json=body)
        expected = await plain.post("/graphql", json=body)
    assert answer.status_code == expected.status_code == 400
    assert answer.content == expected.content
    assert answer.json() == {"errors": [{
        "message": "The GraphQL operation's `variables` must be an object or null, if provided.",
        "extensions": {"code": "BAD_REQUEST"}}]}
