"""Drawn selections over the planned course types (fields, aliases, inline and named
fragments, ``@include``/``@skip``, page sizes, the viewer's progress, content types,
universities) and over the people around them (users by id and in lists, enrollments,
chats and their messages) answer the same bytes on the planned and the general path."""

from __future__ import annotations

import re

import httpx
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from core.config import Settings
from tests.fixtures import PROPERTY_EXAMPLES, without_rate_limit
from tests.schema import test_planned_reads_people as people
from tests.schema.test_planned_reads_corpus import seed
from tests.twosigma.catalog_helpers import headers_for, user_with_headers

COURSE_SCALARS = ["id", "title", "code", "description", "level", "creditHours",
                  "isPublished", "cacheEnabled", "llmModel", "__typename"]
MODULE_SCALARS = ["id", "title", "description", "moduleType", "sequenceIndex", "__typename"]
ITEM_SCALARS = ["id", "title", "description", "dataJson", "sequenceIndex",
                "estimatedDurationSeconds", "__typename"]

names = st.sampled_from(["a", "b", "x1", "t"])
ALIAS = re.compile(r"\b(?:a|b|x1|t)\d+: ")
MAX_ALIASES = Settings.__dataclass_fields__["graphql_max_aliases"].default


def within_alias_limit(document: tuple[str, dict]) -> bool:
    """A drawn document the server does not refuse for its aliases (which would test
    the limit, not the plan)."""
    return len(ALIAS.findall(document[0])) <= MAX_ALIASES


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
    if draw(st.booleans()):
        return f"... {{ {body} }}"
    if draw(st.integers(0, 3)) == 0:
        directive = draw(st.sampled_from(["@include(if: $on)", "@skip(if: $on)",
                                          "@include(if: true)", "@skip(if: false)",
                                          "@skip(if: true)"]))
        return f"... {directive} {{ {body} }} __typename"
    return body


TYPE_SCALARS = ["id", "name", "label", "description", "requiredFields", "promptName"]
PROGRESS_SCALARS = ["progressPercent", "startedAt", "completedAt", "__typename"]


def items() -> st.SearchStrategy[str]:
    return fields(ITEM_SCALARS, [("contentType", fields(TYPE_SCALARS, [])),
                                 ("progress", fields([*PROGRESS_SCALARS, "timeSpentSeconds"],
                                                     []))])


def modules(depth: int) -> st.SearchStrategy[str]:
    nested = [("content", items()), ("progress", fields(PROGRESS_SCALARS, []))]
    if depth:
        nested.append(("children", modules(depth - 1)))
    return fields(MODULE_SCALARS, nested)


@st.composite
def documents(draw) -> tuple[str, dict]:
    page = draw(st.integers(min_value=1, max_value=4))
    edges = f"edges {{ {'cursor ' if draw(st.booleans()) else ''}node {{ {draw(modules(2))} }} }}"
    course = draw(fields(COURSE_SCALARS, [(f"modules(first: {page})", st.just(edges))]))
    # $on is declared only where a directive uses it (an unused variable is an error)
    uses = "$on" in course
    on = {"on": draw(st.booleans())} if uses else {}
    if draw(st.booleans()):
        return (f"query($id: ID!{', $on: Boolean!' if uses else ''}) {{ node(id: $id) {{ ...C "
                "} } fragment C on Course { " + course + " }",
                {"which": draw(st.sampled_from(["published", "draft"])), **on})
    first = draw(st.integers(min_value=1, max_value=3))
    return (f"query($n: Int{', $on: Boolean = true' if uses else ''}) {{ courses(first: $n) {{ "
            "edges { node { " + course + " } } } }", {"n": first, **on})


@pytest.fixture
async def seeded(clean_db, services):
    learner, headers = await user_with_headers(services, "learner@example.com")
    return await seed(services, learner), {
        "anonymous": {}, "learner": headers,
        "instructor": await headers_for(services, "teacher@example.com", ["INSTRUCTOR"])}


@settings(max_examples=PROPERTY_EXAMPLES, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(document=documents().filter(within_alias_limit))
async def test_drawn_selections_answer_alike(server, general, seeded, document):
    ids, viewers = seeded
    query, spec = document
    variables = dict(spec)
    if "which" in variables:
        variables["id"] = ids[variables.pop("which")]
    body = {"query": query, "variables": variables}
    async with httpx.AsyncClient(base_url=server.base_url, timeout=30) as planned, \
            httpx.AsyncClient(base_url=general.base_url, timeout=30) as plain:
        for headers in viewers.values():
            expected = await plain.post("/graphql", json=body, headers=headers)
            for _ in range(2):  # the first answer teaches the plan, the second uses it
                answer = await planned.post("/graphql", json=body, headers=headers)
                assert without_rate_limit(answer.content) == without_rate_limit(
                    expected.content), query
            # Drawn documents are valid; a few draw more aliases than the limit allows.
            assert expected.status_code == 200 and (
                b'"errors"' not in expected.content
                or b'aliases found. Allowed' in expected.content), (query, expected.content[:300])


USER_SCALARS = ["id", "displayName", "fullName", "avatarUrl", "roles", "createdAt", "number",
                "hasGithub", "email", "locale", "timeZone", "isActive", "lastActivityDate",
                "__typename"]
ENROLLMENT_SCALARS = ["id", "status", "enrolledAt", "completedAt", "__typename"]
CHAT_SCALARS = ["id", "contentItemId", "contentContext", "shareEnabled", "shareToken",
                "cacheNodeId", "cacheState", "createdAt", "updatedAt", "__typename"]
MESSAGE_SCALARS = ["id", "role", "content", "meta", "createdAt", "__typename"]


def enrollments() -> st.SearchStrategy[str]:
    return fields(ENROLLMENT_SCALARS, [
        ("user", fields(USER_SCALARS, [])),
        ("courseOffering", fields(["id", "termName", "visibility", "startsAt"], []))])


@st.composite
def chats(draw) -> str:
    page = draw(st.integers(min_value=1, max_value=4))
    messages = (f"edges {{ {'cursor ' if draw(st.booleans()) else ''}node {{ "
                f"{draw(fields(MESSAGE_SCALARS, []))} }} }}")
    return draw(fields(CHAT_SCALARS, [("contentItem", fields(ITEM_SCALARS, [])),
                                      (f"messages(first: {page})", st.just(messages))]))


@st.composite
def people_documents(draw) -> tuple[str, dict]:
    root = draw(st.sampled_from(["myEnrollments", "userDirectory", "users", "myChatSessions",
                                 "enrollment", "chat", "user"]))
    if root in ("enrollment", "chat", "user"):
        body = draw({"enrollment": enrollments(), "chat": chats(),
                     "user": fields(USER_SCALARS, [])}[root])
        type_name = {"enrollment": "Enrollment", "chat": "ChatSession", "user": "User"}[root]
        which = draw(st.sampled_from([root, f"other_{root}"] if root != "user" else
                                     ["learner_user", "other_user", "missing_user"]))
        uses = "$on" in body
        on = {"on": draw(st.booleans())} if uses else {}
        return (f"query($id: ID!{', $on: Boolean!' if uses else ''}) {{ node(id: $id) {{ "
                f"... on {type_name} {{ {body} }} }} }}", {"which": which, **on})
    body = draw({"myEnrollments": enrollments(), "myChatSessions": chats()}.get(
        root, fields(USER_SCALARS, [])))
    uses = "$on" in body
    on = {"on": draw(st.booleans())} if uses else {}
    first = draw(st.integers(min_value=1, max_value=3))
    return (f"query($n: Int{', $on: Boolean = true' if uses else ''}) {{ {root}(first: $n) {{ "
            f"edges {{ node {{ {body} }} }} }} }}", {"n": first, **on})


@pytest.fixture
async def people_seeded(clean_db, services):
    return await people.seed(services)


@settings(max_examples=PROPERTY_EXAMPLES, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(document=people_documents().filter(within_alias_limit))
async def test_drawn_selections_of_people_answer_alike(server, general, people_seeded,
                                                        document):
    ids, viewers = people_seeded
    query, spec = document
    variables = dict(spec)
    if "which" in variables:
        variables["id"] = ids[variables.pop("which")]
    body = {"query": query, "variables": variables}
    async with httpx.AsyncClient(base_url=server.base_url, timeout=30) as planned, \
            httpx.AsyncClient(base_url=general.base_url, timeout=30) as plain:
        for headers in viewers.values():
            expected = await plain.post("/graphql", json=body, headers=headers)
            for _ in range(2):  # the first answer teaches the plan, the second uses it
                answer = await planned.post("/graphql", json=body, headers=headers)
                assert without_rate_limit(answer.content) == without_rate_limit(
                    expected.content), query
