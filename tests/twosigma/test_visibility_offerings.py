"""Who reaches a course offering by id: PRIVATE ones are for instructors, platform admins
and learners enrolled in them; UNLISTED ones are left out of lists but open by id."""

from __future__ import annotations

import pytest
from strawberry import relay

from core.auth.viewer import Viewer
from core.context import Context
from core.errors import NotFound
from models.course import CourseOffering
from models.user import User
from resolvers import courses
from tests.fixtures import bearer_for, create_user, gql
from tests.twosigma.learner_helpers import API, add, course, enroll

NODE = """query($id: ID!) { node(id: $id) { ... on CourseOffering { termName visibility } } }"""


def viewer_of(user: User, *roles: str) -> Viewer:
    return Viewer(kind="user", user_id=user.id, roles=frozenset(roles), user=user)


async def offerings(services, course_row) -> dict[str, CourseOffering]:
    return {v: await add(services, CourseOffering(course_id=course_row.id, term_name=v.title(),
                                                  visibility=v))
            for v in ("PUBLIC", "UNLISTED", "PRIVATE")}


async def node(client, row: CourseOffering, headers: dict | None = None) -> dict | None:
    return (await gql(client, NODE, {"id": relay.to_base64("CourseOffering", row.id)},
                      headers=headers))["node"]


async def test_private_offering_is_hidden_from_anonymous_and_students(client, services):
    rows = await offerings(services, await course(services))
    student = await create_user(services, email="stu@example.com")
    as_student = await bearer_for(services, student)
    for headers in (None, as_student):
        assert await node(client, rows["PRIVATE"], headers) is None
        assert await node(client, rows["UNLISTED"], headers) == {
            "termName": "Unlisted", "visibility": "UNLISTED"}
        assert await node(client, rows["PUBLIC"], headers) == {
            "termName": "Public", "visibility": "PUBLIC"}

    # The resolver applies the same rule to every face.
    for ctx in (Context(services=services), Context(services=services,
                                                    viewer=viewer_of(student))):
        with pytest.raises(NotFound, match="Course offering not found"):
            await courses.get_offering(ctx, offering_id=rows["PRIVATE"].id)
        assert (await courses.get_offering(ctx, offering_id=rows["UNLISTED"].id)).id == \
            rows["UNLISTED"].id
    with pytest.raises(NotFound, match="Course offering not found"):
        await courses.get_offering(Context(services=services), offering_id=rows["PUBLIC"].id + 9)

    # REST lists show students the PUBLIC offering only.
    course_id = rows["PUBLIC"].course_id
    for headers in ({}, as_student):
        response = await client.get(f"{API}/courses/{course_id}/offerings", headers=headers)
        assert response.status_code == 200
        assert [o["visibility"] for o in response.json()] == ["PUBLIC"]


async def test_private_offering_is_open_to_staff_and_its_learners(client, services):
    rows = await offerings(services, await course(services))
    learner = await create_user(services, email="lea@example.com")
    await enroll(services, learner, rows["PRIVATE"], status="WITHDRAWN")
    teacher = await create_user(services, email="tea@example.com", roles=["INSTRUCTOR"])
    admin = await create_user(services, email="adm@example.com", roles=["PLATFORM_ADMIN"])
    for who in (learner, teacher, admin):
        assert await node(client, rows["PRIVATE"], await bearer_for(services, who)) == {
            "termName": "Private", "visibility": "PRIVATE"}
    ctx = Context(services=services, viewer=viewer_of(learner))
    assert (await courses.get_offering(ctx, offering_id=rows["PRIVATE"].id)).id == \
        rows["PRIVATE"].id


async def test_offerings_of_an_unpublished_course(client, services):
    rows = await offerings(services, await course(services, published=False))
    learner = await create_user(services, email="lea@example.com")
    await enroll(services, learner, rows["PUBLIC"])
    stranger = await bearer_for(services, await create_user(services, email="x@example.com"))
    for row in rows.values():
        assert await node(client, row, stranger) is None
        assert await node(client, row) is None
    as_learner = await bearer_for(services, learner)
    assert await node(client, rows["PUBLIC"], as_learner) == {"termName": "Public",
                                                              "visibility": "PUBLIC"}
    assert await node(client, rows["UNLISTED"], as_learner) is None
    teacher = await bearer_for(services, await create_user(services, email="t@example.com",
                                                           roles=["INSTRUCTOR"]))
    assert await node(client, rows["PRIVATE"], teacher) == {"termName": "Private",
                                                            "visibility": "PRIVATE"}
