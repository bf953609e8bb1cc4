"""Enrollments over REST and GraphQL: windows, visibility, duplicates, status changes."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

from sqlalchemy import func, select
from strawberry import relay

from models.course import Enrollment
from tests.fixtures import error_codes, gql, gql_raw
from tests.twosigma.catalog_helpers import (
    Course,
    CourseOffering,
    add,
    headers_for,
    user_with_headers,
)

API = "/api/v1"
NOW = datetime.now(UTC)


async def _offering(services, owner=None, **values):
    course = await add(services, Course, title="Intro to CS", code="CS101", is_published=True,
                       created_by_id=owner.id if owner else None)
    offering = await add(services, CourseOffering, course_id=course.id, term_name="Spring 2026",
                         starts_at=datetime(2026, 1, 15, tzinfo=UTC),
                         ends_at=datetime(2026, 5, 15, tzinfo=UTC), **values)
    return course, offering


async def test_enroll_and_list_my_enrollments(client, services):
    learner, headers = await user_with_headers(services, "s@example.com")
    course, offering = await _offering(services)
    assert (await client.get(f"{API}/enrollments/my-enrollments", headers=headers)).json() == []

    response = await client.post(f"{API}/enrollments/",
                                 json={"course_offering_id": offering.id}, headers=headers)
    assert response.status_code == 201
    enrollment = response.json()
    assert enrollment == {
        "id": 1, "user_id": learner.number, "course_offering_id": offering.id,
        "status": "ACTIVE", "enrolled_at": enrollment["enrolled_at"], "completed_at": None,
        "course_offering": {"id": offering.id, "term_name": "Spring 2026",
                            "starts_at": "2026-01-15T00:00:00Z",
                            "ends_at": "2026-05-15T00:00:00Z",
                            "course": {"id": course.id, "title": "Intro to CS",
                                       "code": "CS101"}}}
    assert enrollment["enrolled_at"].endswith("Z")
    mine = await client.get(f"{API}/enrollments/my-enrollments", headers=headers)
    assert mine.status_code == 200 and mine.json() == [enrollment]
    assert (await client.get(f"{API}/enrollments/my-enrollments", headers=headers,
                             params={"skip": 1})).json() == []
    assert (await client.get(f"{API}/enrollments/my-enrollments", headers=headers,
                             params={"limit": 0})).status_code == 422

    again = await client.post(f"{API}/enrollments/", json={"course_offering_id": offering.id},
                              headers=headers)
    assert again.status_code == 409 and again.json() == {"detail": "Already enrolled"}

    other = await headers_for(services, "t@example.com")
    assert (await client.get(f"{API}/enrollments/my-enrollments", headers=other)).json() == []


async def test_enrollment_needs_a_token(client, services):
    _, offering = await _offering(services)
    assert (await client.get(f"{API}/enrollments/my-enrollments")).status_code == 401
    response = await client.post(f"{API}/enrollments/", json={"course_offering_id": offering.id})
    assert response.status_code == 401 and response.json() == {"detail": "Not authenticated"}
    assert (await client.put(f"{API}/enrollments/1", json={"status": "ACTIVE"})
            ).status_code == 401


async def test_concurrent_enrollments_make_one_row(client, services):
    _, headers = await user_with_headers(services, "s@example.com")
    _, offering = await _offering(services)
    responses = await asyncio.gather(*[
        client.post(f"{API}/enrollments/", json={"course_offering_id": offering.id},
                    headers=headers) for _ in range(4)])
    assert sorted(r.status_code for r in responses) == [201, 409, 409, 409]
    [created] = [r.json() for r in responses if r.status_code == 201]
    assert [r.json() for r in responses if r.status_code == 409] == [
        {"detail": "Already enrolled"}] * 3
    assert (await client.get(f"{API}/enrollments/my-enrollments", headers=headers)
            ).json() == [created]
    async with services.db.session() as session:
        assert (await session.execute(select(func.count()).select_from(Enrollment))
                ).scalar_one() == 1


async def test_enrollment_rules(client, services):
    _, headers = await user_with_headers(services, "s@example.com")
    course, _ = await _offering(services)
    later = await add(services, CourseOffering, course_id=course.id, term_name="Later",
                      enrollment_start=NOW + timedelta(days=3))
    closed = await add(services, CourseOffering, course_id=course.id, term_name="Closed",
                       enrollment_start=NOW - timedelta(days=30),
                       enrollment_end=NOW - timedelta(days=1))
    open_now = await add(services, CourseOffering, course_id=course.id, term_name="Open",
                         enrollment_start=NOW - timedelta(days=1),
                         enrollment_end=NOW + timedelta(days=1))
    private = await add(services, CourseOffering, course_id=course.id, term_name="Private",
                        visibility="PRIVATE")
    draft = await add(services, Course, title="Draft", code="D")
    hidden = await add(services, CourseOffering, course_id=draft.id, term_name="Hidden")

    async def enroll(offering_id):
        return await client.post(f"{API}/enrollments/", json={"course_offering_id": offering_id},
                                 headers=headers)

    not_yet = await enroll(later.id)
    assert not_yet.status_code == 400
    assert not_yet.json() == {"detail": "Enrollment for this offering has not opened yet"}
    too_late = await enroll(closed.id)
    assert too_late.status_code == 400
    assert too_late.json() == {"detail": "Enrollment for this offering has closed"}
    opened = await enroll(open_now.id)
    assert opened.status_code == 201
    assert (opened.json()["course_offering_id"], opened.json()["status"]) == (
        open_now.id, "ACTIVE")
    refused = await enroll(private.id)
    assert refused.status_code == 403
    assert refused.json() == {
        "detail": "This offering is private: learners cannot enroll themselves"}
    for unknown in (999, hidden.id):
        missing = await enroll(unknown)
        assert missing.status_code == 404
        assert missing.json() == {"detail": "Course offering not found"}
    invalid = await client.post(f"{API}/enrollments/", json={"course_offering_id": "x"},
                                headers=headers)
    assert invalid.status_code == 422
    assert invalid.json()["detail"][0]["loc"] == ["body", "course_offering_id"]
    assert (await client.post(f"{API}/enrollments/", json={}, headers=headers)
            ).status_code == 422
    mine = (await client.get(f"{API}/enrollments/my-enrollments", headers=headers)).json()
    assert mine == [opened.json()]


async def _stored(services, enrollment_id: int) -> tuple[str, bool]:
    async with services.db.session() as session:
        row = await session.get(Enrollment, enrollment_id)
        return row.status, row.completed_at is not None


async def test_update_enrollment_status(client, services):
    learner, headers = await user_with_headers(services, "s@example.com")
    other = await headers_for(services, "o@example.com")
    owner, teacher = await user_with_headers(services, "t@example.com", ["INSTRUCTOR"])
    stranger = await headers_for(services, "x@example.com", ["INSTRUCTOR"])
    admin = await headers_for(services, "a@example.com", ["PLATFORM_ADMIN"])
    _, offering = await _offering(services, owner)
    enrollment = await add(services, Enrollment, user_id=learner.id,
                           course_offering_id=offering.id)
    url = f"{API}/enrollments/{enrollment.id}"

    done = await client.put(url, json={"status": "COMPLETED"}, headers=teacher)
    assert done.status_code == 200
    body = done.json()
    assert (body["id"], body["user_id"], body["status"]) == (enrollment.id, learner.number,
                                                             "COMPLETED")
    assert body["completed_at"].endswith("Z")
    assert body["course_offering"]["term_name"] == "Spring 2026"

    refusals = [(other, "DROPPED", "You can only change your own enrollments"),
                (stranger, "ACTIVE", "Only the course's creator or a platform admin can "
                                     "change this course"),
                (headers, "ACTIVE", "You can only drop your own enrollment; to rejoin, "
                                    "enroll again"),
                (headers, "COMPLETED", "You can only drop your own enrollment; to rejoin, "
                                       "enroll again")]
    for who, status, detail in refusals:
        refused = await client.put(url, json={"status": status}, headers=who)
        assert (refused.status_code, refused.json()) == (403, {"detail": detail}), status
    assert await _stored(services, enrollment.id) == ("COMPLETED", True)
    assert (await client.get(f"{API}/enrollments/my-enrollments", headers=headers)
            ).json() == [body]
    by_admin = await client.put(url, json={"status": "ACTIVE"}, headers=admin)
    assert by_admin.status_code == 200
    assert (by_admin.json()["status"], by_admin.json()["completed_at"]) == ("ACTIVE", None)
    dropped = await client.put(url, json={"status": "DROPPED"}, headers=headers)
    assert (dropped.status_code, dropped.json()["status"]) == (200, "DROPPED")

    bad = await client.put(url, json={"status": "FINISHED"}, headers=headers)
    assert bad.status_code == 422 and bad.json()["detail"][0]["loc"] == ["body", "status"]
    assert (await client.get(f"{API}/enrollments/my-enrollments", headers=headers)
            ).json() == [dropped.json()]
    missing = await client.put(f"{API}/enrollments/999", json={"status": "ACTIVE"},
                               headers=headers)
    assert missing.status_code == 404 and missing.json() == {"detail": "Enrollment not found"}
    assert (await client.put(f"{API}/enrollments/x", json={"status": "ACTIVE"},
                             headers=headers)).status_code == 422


async def test_a_dropped_learner_rejoins_by_enrolling_again(client, services):
    headers = await headers_for(services, "s@example.com")
    owner, teacher = await user_with_headers(services, "t@example.com", ["INSTRUCTOR"])
    _, offering = await _offering(services, owner)
    enroll = {"course_offering_id": offering.id}
    first = (await client.post(f"{API}/enrollments/", json=enroll, headers=headers)).json()
    url = f"{API}/enrollments/{first['id']}"
    assert (await client.put(url, json={"status": "DROPPED"}, headers=headers)
            ).json()["status"] == "DROPPED"

    again = await client.post(f"{API}/enrollments/", json=enroll, headers=headers)
    assert again.status_code == 201
    assert again.json() == {**first, "status": "ACTIVE"}
    duplicate = await client.post(f"{API}/enrollments/", json=enroll, headers=headers)
    assert (duplicate.status_code, duplicate.json()) == (409, {"detail": "Already enrolled"})

    # Enrolling again goes through enroll's own checks: a closed window refuses it.
    await client.put(url, json={"status": "DROPPED"}, headers=headers)
    async with services.db.transaction() as session:
        (await session.get(CourseOffering, offering.id)).enrollment_end = NOW - timedelta(days=1)
    closed = await client.post(f"{API}/enrollments/", json=enroll, headers=headers)
    assert (closed.status_code, closed.json()) == (
        400, {"detail": "Enrollment for this offering has closed"})
    assert await _stored(services, first["id"]) == ("DROPPED", False)

    # A withdrawal by the course's owner is not undone by the learner.
    async with services.db.transaction() as session:
        (await session.get(CourseOffering, offering.id)).enrollment_end = None
    withdrawn = await client.put(url, json={"status": "WITHDRAWN"}, headers=teacher)
    assert withdrawn.json()["status"] == "WITHDRAWN"
    refused = await client.post(f"{API}/enrollments/", json=enroll, headers=headers)
    assert (refused.status_code, refused.json()) == (403, {
        "detail": "You were withdrawn from this offering: only its course's instructor can "
                  "enroll you again"})
    refused = await client.put(url, json={"status": "ACTIVE"}, headers=headers)
    assert (refused.status_code, refused.json()) == (403, {
        "detail": "You can only drop your own enrollment; to rejoin, enroll again"})
    assert await _stored(services, first["id"]) == ("WITHDRAWN", False)
    restored = await client.put(url, json={"status": "ACTIVE"}, headers=teacher)
    assert restored.json()["status"] == "ACTIVE"


ENROLL = """
mutation($input: EnrollInput!) {
  enroll(input: $input) { enrollment { id status courseOffering { termName } user { id } } }
}"""
MINE = """
query($first: Int, $after: String) {
  myEnrollments(first: $first, after: $after) {
    edges { node { status completedAt courseOffering { termName course { code } } } }
    pageInfo { hasNextPage endCursor }
  }
}"""
UPDATE = """
mutation($input: UpdateEnrollmentStatusInput!) {
  updateEnrollmentStatus(input: $input) { enrollment { status completedAt } }
}"""


async def test_enrollments_over_graphql(client, services):
    learner, headers = await user_with_headers(services, "s@example.com")
    other = await headers_for(services, "o@example.com")
    owner, teacher = await user_with_headers(services, "t@example.com", ["INSTRUCTOR"])
    course, offering = await _offering(services, owner)
    second = await add(services, CourseOffering, course_id=course.id, term_name="Fall 2026")
    enrolled = (await gql(client, ENROLL, {"input": {"courseOfferingId": relay.to_base64(
        "CourseOffering", offering.id)}}, headers=headers))["enroll"]["enrollment"]
    assert enrolled == {"id": relay.to_base64("Enrollment", 1), "status": "ACTIVE",
                        "courseOffering": {"termName": "Spring 2026"},
                        "user": {"id": relay.to_base64("User", str(learner.id))}}
    await gql(client, ENROLL, {"input": {"courseOfferingId": relay.to_base64(
        "CourseOffering", second.id)}}, headers=headers)
    duplicate = await gql_raw(client, ENROLL, {"input": {"courseOfferingId": relay.to_base64(
        "CourseOffering", offering.id)}}, headers=headers)
    assert error_codes(duplicate) == ["CONFLICT"]

    first = (await gql(client, MINE, {"first": 1}, headers=headers))["myEnrollments"]
    assert first["edges"] == [{"node": {"status": "ACTIVE", "completedAt": None,
                                        "courseOffering": {"termName": "Spring 2026",
                                                           "course": {"code": "CS101"}}}}]
    assert first["pageInfo"]["hasNextPage"] is True
    rest = (await gql(client, MINE, {"first": 5, "after": first["pageInfo"]["endCursor"]},
                      headers=headers))["myEnrollments"]
    assert [e["node"]["courseOffering"]["termName"] for e in rest["edges"]] == ["Fall 2026"]
    assert rest["pageInfo"]["hasNextPage"] is False

    refused = await gql_raw(client, UPDATE, {"input": {"id": enrolled["id"],
                                                       "status": "COMPLETED"}}, headers=headers)
    assert error_codes(refused) == ["FORBIDDEN"]
    updated = await gql(client, UPDATE, {"input": {"id": enrolled["id"], "status": "COMPLETED"}},
                        headers=teacher)
    assert updated["updateEnrollmentStatus"]["enrollment"]["status"] == "COMPLETED"
    assert updated["updateEnrollmentStatus"]["enrollment"]["completedAt"] is not None
    assert error_codes(await gql_raw(client, UPDATE, {"input": {
        "id": enrolled["id"], "status": "DROPPED"}}, headers=other)) == ["FORBIDDEN"]
    assert error_codes(await gql_raw(client, MINE, {"first": 1})) == ["UNAUTHENTICATED"]
    node = "query($id: ID!) { node(id: $id) { ... on Enrollment { status } } }"
    assert (await gql(client, node, {"id": enrolled["id"]}, headers=other))["node"] is None
    assert (await gql(client, node, {"id": enrolled["id"]}, headers=headers))["node"] == {
        "status": "COMPLETED"}
