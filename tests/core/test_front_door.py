"""The front door (core.front_door) answers anonymous planned reads as the stack does:
the same status, headers and body, the same access line and metrics. A request sent
without ``Content-Length`` (chunked) passes it, so the stack's own planned path answers
that one: the two answers are compared."""

from __future__ import annotations

import re

import httpx
import pytest
from strawberry import relay

from core.auth.viewer import ACCESS_COOKIE
from tests.fixtures import (
    Passes,
    bearer_for,
    count_statements,
    front_door,
    without_rate_limit,
)
from tests.twosigma.catalog_helpers import Course, add

T = {"query": "{ __typename }"}
C_QUERY = "query C($id: ID!) { node(id: $id) { ... on Course { id title } } }"
# Compared apart: what the budget spent in between, and an id each request is given.
APART = (b"x-ratelimit-used", b"x-ratelimit-remaining", b"x-request-id")
_RATE_LIMIT_REPORT = re.compile(rb'"rateLimit":\{[^{}]*\}')


async def chunked(body: bytes):
    yield body


async def both(http: httpx.AsyncClient, server, body: dict, headers: dict
               ) -> tuple[httpx.Response, httpx.Response]:
    """The stack's answer (the body sent chunked) and the front door's (sent with its
    length), once the plan is learned."""
    raw = httpx.Request("POST", "/graphql", json=body).content
    headers = {"Content-Type": "application/json", **headers}
    await http.post("/graphql", content=raw, headers=headers)  # the plan is learned
    with Passes(front_door(server)) as passes:
        stack = await http.post("/graphql", content=chunked(raw), headers=headers)
        assert passes.count == 1
        door = await http.post("/graphql", content=raw, headers=headers)
        assert passes.count == 1, "the front door did not answer"
    return stack, door


def assert_same(stack: httpx.Response, door: httpx.Response, cost: int) -> None:
    """Byte for byte, but for what the query budget spent in between (the door's answer
    came second: it reports ``cost`` more points used)."""
    assert door.status_code == stack.status_code == 200
    assert without_rate_limit(door.content) == without_rate_limit(stack.content)

    def head(response: httpx.Response) -> list:
        return [(k, b"apart" if k in APART else v)
                for k, v in response.headers.raw if k not in (b"date", b"server")]

    assert head(door) == head(stack)
    assert int(door.headers["x-ratelimit-used"]) == int(stack.headers["x-ratelimit-used"]) + cost
    assert int(door.headers["x-ratelimit-remaining"]) == (
        int(stack.headers["x-ratelimit-remaining"]) - cost)
    reports = [_RATE_LIMIT_REPORT.search(r.content).group() for r in (stack, door)]
    assert reports[0] != reports[1]


@pytest.fixture
async def course_id(services, client) -> str:
    course = await add(services, Course, title="Front door", code="FD1", is_published=True)
    return relay.to_base64("Course", course.id)


@pytest.mark.parametrize("headers", [{}, {"X-Request-Id": "front-door-1"},
                                     {"Origin": "https://elsewhere.example"},
                                     {"Accept": "application/graphql-response+json"}])
async def test_t_and_c_are_answered_as_the_stack_answers_them(server, client, course_id,
                                                              services, headers):
    c = {"query": C_QUERY, "variables": {"id": course_id}}
    for body in (T, c):
        stack, door = await both(client, server, body, headers)
        assert_same(stack, door, cost=1)
    assert door.json()["data"] == {"node": {"id": course_id, "title": "Front door"}}
    given = headers.get("X-Request-Id")
    if given:
        assert door.headers["x-request-id"] == stack.headers["x-request-id"] == given
    else:  # each its own new id
        assert re.fullmatch("[0-9a-f]{32}", door.headers["x-request-id"])
        assert door.headers["x-request-id"] != stack.headers["x-request-id"]
    # T sends no statement, C one.
    with count_statements(services) as counter:
        await client.post("/graphql", json=T)
        await client.post("/graphql", json=c)
    assert len(counter.statements) == 1


def sample(services, name: str, **labels) -> float:
    return services.metrics.registry.get_sample_value(name, labels) or 0.0


async def test_its_answers_are_counted_as_the_stack_counts_them(server, client, services):
    counts = {"requests": ("learngraph_http_requests_total",
                           {"route": "/graphql", "method": "POST", "status": "200"}),
              "operations": ("learngraph_graphql_operations_total",
                             {"operation": "anonymous", "type": "query"}),
              "timed": ("learngraph_graphql_operation_duration_seconds_count",
                        {"operation": "anonymous", "type": "query"}),
              "answered": ("learngraph_http_request_duration_seconds_count",
                           {"route": "/graphql", "method": "POST"})}

    def now() -> dict:
        return {key: sample(services, name, **labels) for key, (name, labels) in counts.items()}

    await client.post("/graphql", json=T)  # the plan is learned
    raw = httpx.Request("POST", "/graphql", json=T).content
    for content in (chunked(raw), raw):  # the stack, then the front door
        before = now()
        await client.post("/graphql", content=content,
                          headers={"Content-Type": "application/json"})
        assert {key: value - before[key] for key, value in now().items()} == {
            "requests": 1, "operations": 1, "timed": 1, "answered": 1}


async def test_what_it_does_not_answer_passes_to_the_stack(server, client, services, user,
                                                           course_id):
    door = front_door(server)
    c = {"query": C_QUERY, "variables": {"id": course_id}}
    await client.post("/graphql", json=c)  # the plan is learned
    token = (await bearer_for(services, user))["Authorization"].removeprefix("Bearer ")
    with Passes(door) as passes:
        # Signed in (by a bearer token, a cookie): the stack authenticates the viewer.
        signed_in = await client.post("/graphql", json=c,
                                      headers={"Authorization": f"Bearer {token}"})
        by_cookie = await client.post("/graphql", json=c,
                                      headers={"Cookie": f"{ACCESS_COOKIE}={token}"})
        # A form post signed in with a cookie is refused by the CSRF rule.
        form = await client.post("/graphql", content=httpx.Request(
            "POST", "/", json=c).content, headers={"Content-Type": "text/plain",
                                                   "Cookie": f"{ACCESS_COOKIE}={token}"})
        # A document without a plan, a mutation, and a body that is not JSON.
        unplanned = await client.post("/graphql", json={"query": "{ nosuchfield }"})
        broken = await client.post("/graphql", content=b"{", headers={
            "Content-Type": "application/json"})
        # A header given twice.
        twice = await client.post("/graphql", json=c, headers=[
            ("X-Request-Id", "one"), ("X-Request-Id", "two")])
        # Another path, and GET.
        other = await client.get("/api/health")
        get = await client.get("/graphql", params={"query": "{ __typename }"})
    assert passes.count == 8
    assert signed_in.json()["data"] == by_cookie.json()["data"] == {
        "node": {"id": course_id, "title": "Front door"}}
    assert (form.status_code, form.json()["errors"][0]["extensions"]["code"]) == (
        403, "CSRF_REJECTED")
    assert unplanned.json()["errors"][0]["extensions"]["code"] == "GRAPHQL_VALIDATION_FAILED"
    assert broken.status_code == 400
    assert twice.json()["data"] == signed_in.json()["data"]
    assert twice.headers["x-request-id"] == "two"  # the stack's rule: the last one given
    assert other.status_code == get.status_code == 200


async def test_a_plan_that_declines_is_tried_once(client, services):
    """An anonymous read whose plan declines (a row it requires is not one the viewer may
    see) is tried at the front door, then answered by the general path without the stack
    trying the plan again: one planned statement."""
    query = "query($c: ID!) { courseReviews(courseId: $c, first: 5) { totalCount } }"
    published = await add(services, Course, title="Open", code="O", is_published=True)
    draft = await add(services, Course, title="Draft", code="D", is_published=False)
    for course, planned in ((published, 0), (published, 1), (draft, 1)):
        body = {"query": query, "variables": {"c": relay.to_base64("Course", course.id)}}
        with count_statements(services) as counter:
            answer = (await client.post("/graphql", json=body)).json()
        assert len([s for s in counter.statements if "json_build_object" in s]) == planned
    assert answer["errors"][0]["extensions"]["code"] == "NOT_FOUND"
