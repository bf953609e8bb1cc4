"""Malformed ids through GraphQL: a node lookup answers null, an argument BAD_USER_INPUT
("Invalid <Type> id"), never INTERNAL_SERVER_ERROR. Ids are ASCII digits in 1..2**63-1."""

from __future__ import annotations

import logging

import pytest
from strawberry import relay

from models.course import Course
from tests.fixtures import bearer_for, create_user, error_codes, gql, gql_raw

NODE = "query($id: ID!) { node(id: $id) { __typename id } }"
NODES = "query($ids: [ID!]!) { nodes(ids: $ids) { __typename } }"
REVIEWS = """
query($courseId: ID!) {
  courseReviews(courseId: $courseId, first: 10) { edges { node { id } } } }"""
ENGAGEMENT = """
query($course: ID) { adminAnalytics { engagement(course: $course) { avgSessionDurationSeconds } }
}"""
UPDATE_REQUEST = """
mutation($input: UpdateFeatureRequestInput!) {
  updateFeatureRequest(input: $input) { featureRequest { number } } }"""
REVOKE_KEY = "mutation($id: ID!) { revokeApiKey(id: $id) { ok } }"
SET_ROLES = """
mutation($input: SetUserRolesInput!) { setUserRoles(input: $input) { user { roles } } }"""
DELETE_TYPE = "mutation($id: ID!) { deleteContentType(id: $id) { deletedId } }"

BAD_NUMBERS = ["99999999999999999999", "9223372036854775808", "²", "0", "-1", " 7", "1_0",
               "١٢"]


async def _course(services) -> Course:
    course = Course(title="Algebra", code="MATH101", is_published=True)
    async with services.db.transaction() as session:
        session.add(course)
    return course


@pytest.mark.parametrize("type_name", ["Course", "CourseOffering", "Module", "FeatureRequest"])
async def test_node_with_a_malformed_number_is_null(client, services, type_name):
    admin = await create_user(services, email="root@example.com", roles=["PLATFORM_ADMIN"])
    headers = await bearer_for(services, admin)
    for raw in BAD_NUMBERS:
        body = await gql_raw(client, NODE, {"id": relay.to_base64(type_name, raw)},
                             headers=headers)
        assert "errors" not in body, (type_name, raw, body)
        assert body["data"] == {"node": None}
    ids = [relay.to_base64(type_name, raw) for raw in BAD_NUMBERS]
    body = await gql_raw(client, NODES, {"ids": ids}, headers=headers)
    assert "errors" not in body, body
    assert body["data"] == {"nodes": [None] * len(BAD_NUMBERS)}


async def test_a_normal_course_id_still_works(client, services):
    course = await _course(services)
    course_gid = relay.to_base64("Course", course.id)
    node = (await gql(client, NODE, {"id": course_gid}))["node"]
    assert node == {"__typename": "Course", "id": course_gid}
    largest = relay.to_base64("Course", 2**63 - 1)
    assert (await gql(client, NODE, {"id": largest}))["node"] is None
    for course_id in (str(course.id), course_gid):
        reviews = await gql(client, REVIEWS, {"courseId": course_id})
        assert reviews == {"courseReviews": {"edges": []}}


async def test_course_reviews_with_a_malformed_course_id(client, services):
    await _course(services)
    for raw in BAD_NUMBERS:
        for value in (raw, relay.to_base64("Course", raw)):
            body = await gql_raw(client, REVIEWS, {"courseId": value})
            assert body["data"] is None
            assert error_codes(body) == ["BAD_USER_INPUT"], (value, body)
            assert body["errors"][0]["message"] == f"Invalid Course id: {value!r}"


async def test_typed_id_arguments_reject_malformed_ids(client, services):
    admin = await create_user(services, email="root@example.com", roles=["PLATFORM_ADMIN"])
    headers = await bearer_for(services, admin)
    for raw in BAD_NUMBERS:
        course = relay.to_base64("Course", raw)
        body = await gql_raw(client, ENGAGEMENT, {"course": course}, headers=headers)
        assert error_codes(body) == ["BAD_USER_INPUT"], (raw, body)
        assert body["errors"][0]["message"] == f"Invalid Course id: {course!r}"

        request = relay.to_base64("FeatureRequest", raw)
        body = await gql_raw(client, UPDATE_REQUEST, {
            "input": {"id": request, "status": "PLANNED"}}, headers=headers)
        assert error_codes(body) == ["BAD_USER_INPUT"], (raw, body)
        assert body["errors"][0]["message"] == f"Invalid FeatureRequest id: {request!r}"

        content_type = relay.to_base64("ContentType", raw)
        body = await gql_raw(client, DELETE_TYPE, {"id": content_type}, headers=headers)
        assert error_codes(body) == ["BAD_USER_INPUT"], (raw, body)
        assert body["errors"][0]["message"] == f"Invalid ContentType id: {content_type!r}"


async def test_uuid_id_arguments_reject_malformed_ids(client, services):
    admin = await create_user(services, email="root@example.com", roles=["PLATFORM_ADMIN"])
    headers = await bearer_for(services, admin)
    for raw in ["not-a-uuid", "²", "99999999999999999999"]:
        key = relay.to_base64("ApiKey", raw)
        body = await gql_raw(client, REVOKE_KEY, {"id": key}, headers=headers)
        assert error_codes(body) == ["BAD_USER_INPUT"], (raw, body)
        assert body["errors"][0]["message"] == f"Invalid ApiKey id: {key!r}"

        user = relay.to_base64("User", raw)
        body = await gql_raw(client, SET_ROLES, {"input": {"userId": user, "roles": []}},
                             headers=headers)
        assert error_codes(body) == ["BAD_USER_INPUT"], (raw, body)
        assert body["errors"][0]["message"] == f"Invalid User id: {user!r}"
    admin_gid = relay.to_base64("User", str(admin.id))
    body = await gql(client, SET_ROLES, {"input": {"userId": admin_gid,
                                                   "roles": ["PLATFORM_ADMIN"]}},
                     headers=headers)
    assert body == {"setUserRoles": {"user": {"roles": ["PLATFORM_ADMIN"]}}}


async def test_node_with_an_id_that_names_no_node_type_is_null(client, caplog):
    values = ["", "nope", "Zm9v", "not base64!", relay.to_base64("Query", "1"),
              relay.to_base64("Nope", "1"), relay.to_base64("CourseConnection", "1"), "x" * 5000]
    with caplog.at_level(logging.ERROR):
        for value in values:
            body = await gql_raw(client, NODE, {"id": value})
            assert body == {"data": {"node": None},
                            "extensions": body["extensions"]}, (value, body)
        literal = await gql_raw(client, '{ node(id: "") { id } }')
        body = await gql_raw(client, NODES, {"ids": values})
    assert literal["data"] == {"node": None} and "errors" not in literal
    assert "errors" not in body and body["data"] == {"nodes": [None] * len(values)}
    assert [r.getMessage() for r in caplog.records if r.levelno >= logging.ERROR] == []


async def test_nodes_keeps_the_order_of_mixed_ids(client, services):
    course = await _course(services)
    course_gid = relay.to_base64("Course", course.id)
    body = await gql(client, "query($ids: [ID!]!) { nodes(ids: $ids) { id } }",
                     {"ids": ["nope", course_gid, relay.to_base64("Course", 2**62), course_gid]})
    assert body == {"nodes": [None, {"id": course_gid}, None, {"id": course_gid}]}
