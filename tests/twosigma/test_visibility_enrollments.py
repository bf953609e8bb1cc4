"""A learner enrolled in an offering sees that offering's course, even unpublished, on both
faces; others still cannot reach the course."""

from __future__ import annotations

import pytest
from strawberry import relay

from core.auth.viewer import Viewer
from core.context import Context
from core.errors import NotFound
from resolvers import courses, enrollments
from tests.fixtures import bearer_for, create_user, gql, gql_raw
from tests.twosigma.learner_helpers import API, course, enroll, offering

MINE = """query { myEnrollments(first: 10) { edges { node { status
  courseOffering { termName course { title code isPublished } } } } } }"""
COURSE = "query($id: ID!) { node(id: $id) { ... on Course { title } } }"
OFFERING_COURSE = """query($id: ID!) { node(id: $id) { ... on CourseOffering {
  course { title } } } }"""


async def test_enrolled_learner_sees_an_unpublished_course(client, services):
    hidden = await course(services, title="Drafts", code="DR1", published=False)
    shown = await course(services, title="Open", code="OP1")
    hidden_term = await offering(services, hidden, "Fall 2026")
    learner = await create_user(services, email="lea@example.com")
    await enroll(services, learner, hidden_term)
    await enroll(services, learner, await offering(services, shown, "Spring 2026"))
    headers = await bearer_for(services, learner)

    data = await gql(client, MINE, headers=headers)
    assert [e["node"] for e in data["myEnrollments"]["edges"]] == [
        {"status": "ACTIVE", "courseOffering": {"termName": "Fall 2026", "course": {
            "title": "Drafts", "code": "DR1", "isPublished": False}}},
        {"status": "ACTIVE", "courseOffering": {"termName": "Spring 2026", "course": {
            "title": "Open", "code": "OP1", "isPublished": True}}}]
    offering_id = relay.to_base64("CourseOffering", hidden_term.id)
    assert (await gql(client, OFFERING_COURSE, {"id": offering_id}, headers=headers)
            )["node"] == {"course": {"title": "Drafts"}}

    response = await client.get(f"{API}/enrollments/my-enrollments", headers=headers)
    assert response.status_code == 200
    assert [e["course_offering"]["course"] for e in response.json()] == [
        {"id": hidden.id, "title": "Drafts", "code": "DR1"},
        {"id": shown.id, "title": "Open", "code": "OP1"}]

    # A student who is not enrolled reaches neither the course nor its offering.
    other = await create_user(services, email="oth@example.com")
    other_headers = await bearer_for(services, other)
    course_id = relay.to_base64("Course", hidden.id)
    assert (await gql(client, COURSE, {"id": course_id}, headers=other_headers)
            )["node"] is None
    assert (await gql(client, OFFERING_COURSE, {"id": offering_id}, headers=other_headers)
            )["node"] is None
    body = await gql_raw(client, COURSE, {"id": course_id})
    assert body["data"] == {"node": None}
    viewer = Viewer(kind="user", user_id=other.id, roles=frozenset(), user=other)
    with pytest.raises(NotFound, match="Course not found"):
        await courses.get_course_of(Context(services=services, viewer=viewer),
                                    offering=hidden_term)


async def test_enrollments_by_id_follow_the_resolver_rule(client, services):
    learner = await create_user(services, email="lea@example.com")
    other = await create_user(services, email="oth@example.com")
    teacher = await create_user(services, email="tea@example.com", roles=["INSTRUCTOR"])
    row = await enroll(services, learner, await offering(services, await course(services)))
    ids = [row.id, row.id + 100]

    def ctx_of(user, *roles):
        viewer = Viewer(kind="user", user_id=user.id, roles=frozenset(roles), user=user)
        return Context(services=services, viewer=viewer)

    assert [r and r.id for r in await enrollments.get_many(ctx_of(learner), ids=ids)] == [
        row.id, None]
    assert [r and r.id for r in await enrollments.get_many(
        ctx_of(teacher, "INSTRUCTOR"), ids=ids)] == [row.id, None]
    assert await enrollments.get_many(ctx_of(other), ids=ids) == [None, None]
    assert await enrollments.get_many(Context(services=services), ids=ids) == [None, None]
    node = "query($id: ID!) { node(id: $id) { ... on Enrollment { status } } }"
    variables = {"id": relay.to_base64("Enrollment", row.id)}
    assert (await gql(client, node, variables, headers=await bearer_for(services, learner))
            )["node"] == {"status": "ACTIVE"}
    assert (await gql(client, node, variables, headers=await bearer_for(services, other))
            )["node"] is None
