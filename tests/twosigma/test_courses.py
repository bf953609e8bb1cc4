"""Courses, offerings and course statistics over REST and GraphQL."""

from __future__ import annotations

from strawberry import relay

from models.community import CourseReview
from models.course import Enrollment
from tests.fixtures import error_codes, gql, gql_raw
from tests.twosigma.catalog_helpers import (
    ContentItem,
    ContentType,
    Course,
    CourseOffering,
    Department,
    Module,
    Subject,
    University,
    add,
    add_many,
    headers_for,
    role_headers,
    user_with_headers,
)

API = "/api/v1"
NEW_COURSE = {"title": "Data Structures", "code": "CS201", "description": "Study of data "
              "structures", "level": "INTERMEDIATE", "credit_hours": 4}


async def _world(services):
    mit = await add(services, University, name="MIT")
    cs = await add(services, Department, university_id=mit.id, name="CS")
    math = await add(services, Subject, name="Math")
    return mit, cs, math


async def test_create_course_answers_201_with_the_detail_shape(client, services):
    _, teacher, _ = await role_headers(services)
    mit, cs, math = await _world(services)
    body = {**NEW_COURSE, "university_id": mit.id, "department_id": cs.id,
            "primary_subject_id": math.id, "cache_enabled": True}
    response = await client.post(f"{API}/courses/", json=body, headers=teacher)
    assert response.status_code == 201
    course = response.json()
    assert course == {"id": 1, "title": "Data Structures", "code": "CS201",
                      "description": "Study of data structures", "level": "INTERMEDIATE",
                      "credit_hours": 4, "is_published": False, "university_id": mit.id,
                      "department_id": cs.id, "primary_subject_id": math.id,
                      "cache_enabled": True, "created_at": course["created_at"],
                      "updated_at": course["updated_at"]}
    assert course["created_at"].endswith("Z")
    got = await client.get(f"{API}/courses/1", headers=teacher)
    assert got.status_code == 200 and got.json() == course


async def test_create_course_defaults_and_department_implies_university(client, services):
    _, teacher, _ = await role_headers(services)
    mit, cs, _ = await _world(services)
    response = await client.post(f"{API}/courses/", headers=teacher,
                                 json={"title": "T", "code": "C", "department_id": cs.id})
    course = response.json()
    assert response.status_code == 201
    assert (course["level"], course["credit_hours"], course["is_published"],
            course["cache_enabled"], course["university_id"]) == (
        "INTRODUCTORY", 0, False, True, mit.id)


async def test_create_course_permissions_and_validation(client, services):
    student, teacher, admin = await role_headers(services)
    _, cs, _ = await _world(services)
    other = await add(services, University, name="Other")
    assert (await client.post(f"{API}/courses/", json=NEW_COURSE)).status_code == 401
    forbidden = await client.post(f"{API}/courses/", json=NEW_COURSE, headers=student)
    assert forbidden.status_code == 403
    assert forbidden.json() == {"detail": "You do not have permission to do this"}
    assert (await client.post(f"{API}/courses/", json=NEW_COURSE, headers=admin)
            ).status_code == 201

    bad_level = await client.post(f"{API}/courses/", json={**NEW_COURSE, "level": "EASY"},
                                  headers=teacher)
    assert bad_level.status_code == 422
    assert bad_level.json()["detail"][0]["loc"] == ["body", "level"]
    negative = await client.post(f"{API}/courses/", json={**NEW_COURSE, "credit_hours": -1},
                                 headers=teacher)
    assert negative.status_code == 422
    assert negative.json()["detail"][0]["loc"] == ["body", "credit_hours"]
    missing = await client.post(f"{API}/courses/", json={"title": "x"}, headers=teacher)
    assert missing.status_code == 422
    assert missing.json()["detail"][0]["loc"] == ["body", "code"]

    cases = [({"university_id": 99}, "University 99 does not exist"),
             ({"department_id": 99}, "Department 99 does not exist"),
             ({"primary_subject_id": 99}, "Subject 99 does not exist"),
             ({"university_id": other.id, "department_id": cs.id},
              f"Department {cs.id} does not belong to university {other.id}")]
    for extra, message in cases:
        response = await client.post(f"{API}/courses/", json={**NEW_COURSE, **extra},
                                     headers=teacher)
        assert response.status_code == 400, extra
        assert response.json() == {"detail": message}
    stored = (await client.get(f"{API}/courses/", headers=admin)).json()
    assert [(c["id"], c["code"]) for c in stored] == [(1, "CS201")]


async def test_students_see_published_courses_only(client, services):
    student, teacher, _ = await role_headers(services)
    mit, _, _ = await _world(services)
    await add(services, Course, title="Open", code="A1", is_published=True, university_id=mit.id)
    hidden = await add(services, Course, title="Draft", code="A2")
    await add(services, Course, title="Elsewhere", code="A3", is_published=True)

    public = (await client.get(f"{API}/courses/")).json()
    assert public == [
        {"id": 1, "title": "Open", "code": "A1", "description": "", "level": "INTRODUCTORY",
         "credit_hours": 0, "is_published": True, "university_id": mit.id,
         "department_id": None},
        {"id": 3, "title": "Elsewhere", "code": "A3", "description": "", "level": "INTRODUCTORY",
         "credit_hours": 0, "is_published": True, "university_id": None,
         "department_id": None}]
    assert [c["code"] for c in (await client.get(f"{API}/courses/", headers=student)).json()
            ] == ["A1", "A3"]
    assert [c["code"] for c in (await client.get(f"{API}/courses/", headers=teacher)).json()
            ] == ["A1", "A2", "A3"]
    by_university = await client.get(f"{API}/courses/", params={"university_id": mit.id})
    assert [c["code"] for c in by_university.json()] == ["A1"]
    paged = await client.get(f"{API}/courses/", params={"skip": 1, "limit": 1},
                             headers=teacher)
    assert [c["code"] for c in paged.json()] == ["A2"]
    assert (await client.get(f"{API}/courses/", params={"limit": 0})).status_code == 422
    assert (await client.get(f"{API}/courses/", params={"university_id": "x"})
            ).status_code == 422

    not_found = await client.get(f"{API}/courses/{hidden.id}", headers=student)
    assert not_found.status_code == 404
    assert not_found.json() == {"detail": "Course not found"}
    seen = await client.get(f"{API}/courses/{hidden.id}", headers=teacher)
    assert seen.status_code == 200
    assert seen.json() == {
        "id": hidden.id, "title": "Draft", "code": "A2", "description": "",
        "level": "INTRODUCTORY", "credit_hours": 0, "is_published": False,
        "university_id": None, "department_id": None, "primary_subject_id": None,
        "cache_enabled": True, "created_at": seen.json()["created_at"],
        "updated_at": seen.json()["updated_at"]}
    assert (await client.get(f"{API}/courses/999")).status_code == 404
    assert (await client.get(f"{API}/courses/abc")).status_code == 422


async def test_update_and_delete_course(client, services):
    student, teacher, admin = await role_headers(services)
    other_teacher = await headers_for(services, "other@example.com", ["INSTRUCTOR"])
    mit, cs, _ = await _world(services)
    course = (await client.post(f"{API}/courses/", json=NEW_COURSE, headers=teacher)).json()
    url = f"{API}/courses/{course['id']}"

    changed = await client.put(url, json={"is_published": True, "credit_hours": 5},
                               headers=teacher)
    assert changed.status_code == 200
    assert {k: changed.json()[k] for k in ("is_published", "credit_hours", "title")} == {
        "is_published": True, "credit_hours": 5, "title": "Data Structures"}
    moved = await client.put(url, json={"department_id": cs.id}, headers=teacher)
    assert (moved.json()["university_id"], moved.json()["department_id"]) == (mit.id, cs.id)
    bad = await client.put(url, json={"department_id": 99}, headers=teacher)
    assert bad.status_code == 400 and bad.json() == {"detail": "Department 99 does not exist"}
    assert (await client.put(url, json={"level": "HARD"}, headers=teacher)).status_code == 422
    assert (await client.put(url, json={"title": None}, headers=teacher)).status_code == 422

    assert (await client.put(url, json={"title": "x"})).status_code == 401
    refused = await client.put(url, json={"title": "x"}, headers=student)
    assert refused.status_code == 403
    assert refused.json() == {"detail": "You do not have permission to do this"}
    foreign = await client.put(url, json={"title": "x"}, headers=other_teacher)
    assert foreign.status_code == 403
    assert foreign.json() == {
        "detail": "Only the course's creator or a platform admin can change this course"}
    assert (await client.get(url, headers=teacher)).json() == moved.json()
    assert (await client.put(url, json={"title": "By admin"}, headers=admin)
            ).json()["title"] == "By admin"
    assert (await client.put(f"{API}/courses/999", json={}, headers=admin)).status_code == 404

    kept = (await client.get(url, headers=teacher)).json()
    assert kept["title"] == "By admin"
    assert (await client.delete(url, headers=other_teacher)).status_code == 403
    assert (await client.delete(url)).status_code == 401
    assert (await client.get(url, headers=teacher)).json() == kept
    deleted = await client.delete(url, headers=teacher)
    assert (deleted.status_code, deleted.content) == (204, b"")
    assert (await client.get(url, headers=teacher)).status_code == 404
    assert (await client.delete(url, headers=teacher)).status_code == 404


async def test_offerings(client, services):
    student, teacher, _ = await role_headers(services)
    other_teacher = await headers_for(services, "other@example.com", ["INSTRUCTOR"])
    course = (await client.post(f"{API}/courses/", json={**NEW_COURSE, "is_published": True},
                                headers=teacher)).json()
    url = f"{API}/courses/{course['id']}/offerings"
    body = {"term_name": "Spring 2026", "starts_at": "2026-01-15T00:00:00Z",
            "ends_at": "2026-05-15T00:00:00Z", "enrollment_start": "2025-12-01T00:00:00Z",
            "enrollment_end": "2026-01-31T00:00:00Z", "visibility": "PUBLIC"}
    response = await client.post(url, json=body, headers=teacher)
    assert response.status_code == 201
    offering = response.json()
    assert offering == {"id": 1, "course_id": course["id"], **body,
                        "created_at": offering["created_at"]}
    private = await client.post(url, json={"term_name": "Staff", "visibility": "PRIVATE"},
                                headers=teacher)
    assert private.status_code == 201
    assert private.json()["starts_at"] is None

    assert [o["term_name"] for o in (await client.get(url, headers=student)).json()] == [
        "Spring 2026"]
    assert [o["term_name"] for o in (await client.get(url, headers=teacher)).json()] == [
        "Spring 2026", "Staff"]
    assert [o["term_name"] for o in (await client.get(url, headers=teacher,
                                                      params={"skip": 1})).json()] == ["Staff"]

    backwards = await client.post(url, headers=teacher, json={
        "term_name": "X", "starts_at": "2026-05-01T00:00:00Z", "ends_at": "2026-01-01T00:00:00Z"})
    assert backwards.status_code == 400
    assert backwards.json() == {"detail": "ends_at must be after starts_at"}
    window = await client.post(url, headers=teacher, json={
        "term_name": "X", "enrollment_start": "2026-05-01T00:00:00Z",
        "enrollment_end": "2026-05-01T00:00:00Z"})
    assert window.status_code == 400
    assert window.json() == {"detail": "enrollment_end must be after enrollment_start"}
    assert (await client.post(url, headers=teacher, json={"term_name": "X",
                                                          "visibility": "SECRET"})
            ).status_code == 422
    assert (await client.post(url, headers=teacher, json={"term_name": "X",
                                                          "starts_at": "soon"})
            ).status_code == 422
    assert (await client.post(url, json=body)).status_code == 401
    assert (await client.post(url, json=body, headers=student)).status_code == 403
    assert (await client.post(url, json=body, headers=other_teacher)).status_code == 403
    missing = await client.post(f"{API}/courses/999/offerings", json=body, headers=teacher)
    assert (missing.status_code, missing.json()) == (404, {"detail": "Course not found"})
    assert (await client.get(f"{API}/courses/999/offerings")).status_code == 404
    stored = (await client.get(url, headers=teacher)).json()
    assert stored == [offering, private.json()]


async def test_course_stats_count_exactly(client, services):
    _, student = await user_with_headers(services, "s@example.com")
    course = await add(services, Course, title="C", code="C1", is_published=True)
    other = await add(services, Course, title="D", code="D1", is_published=True)
    spring = await add(services, CourseOffering, course_id=course.id, term_name="Spring")
    fall = await add(services, CourseOffering, course_id=course.id, term_name="Fall")
    elsewhere = await add(services, CourseOffering, course_id=other.id, term_name="Other")
    learners = [(await user_with_headers(services, f"l{i}@example.com"))[0] for i in range(5)]
    statuses = ["ACTIVE", "ACTIVE", "COMPLETED", "DROPPED"]
    await add_many(services, Enrollment, [
        {"user_id": u.id, "course_offering_id": spring.id, "status": s}
        for u, s in zip(learners, statuses, strict=False)]
        + [{"user_id": learners[4].id, "course_offering_id": fall.id, "status": "COMPLETED"},
           {"user_id": learners[0].id, "course_offering_id": elsewhere.id}])
    root = await add(services, Module, course_id=course.id, title="Root")
    await add(services, Module, course_id=course.id, title="Child", parent_module_id=root.id)
    video = await add(services, ContentType, name="video", label="Video")
    await add_many(services, ContentItem, [
        {"module_id": root.id, "course_id": course.id, "content_type_id": video.id,
         "title": f"V{i}"} for i in range(3)])
    await add_many(services, CourseReview, [
        {"course_id": course.id, "user_id": learners[0].id, "rating": 5},
        {"course_id": course.id, "user_id": learners[1].id, "rating": 4},
        {"course_id": course.id, "user_id": learners[2].id, "rating": 4},
        {"course_id": other.id, "user_id": learners[0].id, "rating": 1}])

    url = f"{API}/courses/{course.id}/stats"
    response = await client.get(url, headers=student)
    assert response.status_code == 200
    assert response.json() == {
        "course_id": course.id, "offerings_count": 2, "total_enrollments": 5,
        "active_enrollments": 2,
        "enrollments_by_status": {"ACTIVE": 2, "COMPLETED": 2, "DROPPED": 1, "WITHDRAWN": 0,
                                  "PENDING": 0},
        "modules_count": 2, "content_items_count": 3, "average_rating": 4.33,
        "review_count": 3, "completion_rate": 40.0}
    empty = await add(services, Course, title="E", code="E1", is_published=True)
    assert (await client.get(f"{API}/courses/{empty.id}/stats", headers=student)).json() == {
        "course_id": empty.id, "offerings_count": 0, "total_enrollments": 0,
        "active_enrollments": 0,
        "enrollments_by_status": {"ACTIVE": 0, "COMPLETED": 0, "DROPPED": 0, "WITHDRAWN": 0,
                                  "PENDING": 0},
        "modules_count": 0, "content_items_count": 0, "average_rating": None,
        "review_count": 0, "completion_rate": 0.0}
    unauthenticated = await client.get(url)
    assert unauthenticated.status_code == 401
    assert unauthenticated.headers["www-authenticate"] == "Bearer"
    assert (await client.get(f"{API}/courses/999/stats", headers=student)).status_code == 404


COURSES = """
query($first: Int, $after: String, $university: ID) {
  courses(first: $first, after: $after, universityId: $university) {
    edges { node { id title level isPublished university { name } department { name }
      primarySubject { name }
      offerings(first: 10) { edges { node { termName visibility course { code } } } }
      stats { offeringsCount totalEnrollments averageRating completionRate } } }
    pageInfo { hasNextPage endCursor }
  }
}"""
CREATE_COURSE = """
mutation($input: CreateCourseInput!) {
  createCourse(input: $input) { course { id title code level creditHours isPublished
    cacheEnabled university { name } department { name } } }
}"""
UPDATE_COURSE = """
mutation($input: UpdateCourseInput!) {
  updateCourse(input: $input) { course { title isPublished level } }
}"""
CREATE_OFFERING = """
mutation($input: CreateCourseOfferingInput!) {
  createCourseOffering(input: $input) { courseOffering { id termName startsAt visibility
    course { title } } }
}"""
DELETE_COURSE = "mutation($id: ID!) { deleteCourse(id: $id) { deletedId } }"
NODE = "query($id: ID!) { node(id: $id) { ... on Course { title } } }"


async def test_courses_over_graphql(client, services):
    student, teacher, _ = await role_headers(services)
    mit, cs, _ = await _world(services)
    created = (await gql(client, CREATE_COURSE, {"input": {
        "title": "Algorithms", "code": "CS301", "level": "ADVANCED", "creditHours": 3,
        "departmentId": relay.to_base64("Department", cs.id)}}, headers=teacher)
               )["createCourse"]["course"]
    assert created == {"id": relay.to_base64("Course", 1), "title": "Algorithms",
                       "code": "CS301", "level": "ADVANCED", "creditHours": 3,
                       "isPublished": False, "cacheEnabled": True,
                       "university": {"name": "MIT"}, "department": {"name": "CS"}}
    offering = (await gql(client, CREATE_OFFERING, {"input": {
        "courseId": created["id"], "termName": "Fall", "startsAt": "2026-09-01T00:00:00Z"}},
        headers=teacher))["createCourseOffering"]["courseOffering"]
    assert offering == {"id": relay.to_base64("CourseOffering", 1), "termName": "Fall",
                        "startsAt": "2026-09-01T00:00:00+00:00", "visibility": "PUBLIC",
                        "course": {"title": "Algorithms"}}

    assert (await gql(client, COURSES, {"first": 10}, headers=student))["courses"]["edges"] == []
    assert (await gql(client, NODE, {"id": created["id"]}, headers=student))["node"] is None
    await gql(client, UPDATE_COURSE, {"input": {"id": created["id"], "isPublished": True}},
              headers=teacher)
    listed = (await gql(client, COURSES, {"first": 1, "university": relay.to_base64(
        "University", mit.id)}, headers=student))["courses"]
    assert listed["edges"] == [{"node": {
        "id": created["id"], "title": "Algorithms", "level": "ADVANCED", "isPublished": True,
        "university": {"name": "MIT"}, "department": {"name": "CS"}, "primarySubject": None,
        "offerings": {"edges": [{"node": {"termName": "Fall", "visibility": "PUBLIC",
                                          "course": {"code": "CS301"}}}]},
        "stats": {"offeringsCount": 1, "totalEnrollments": 0, "averageRating": None,
                  "completionRate": 0.0}}}]
    assert listed["pageInfo"]["hasNextPage"] is False

    bad = await gql_raw(client, CREATE_OFFERING, {"input": {
        "courseId": created["id"], "termName": "X", "startsAt": "2026-09-01T00:00:00Z",
        "endsAt": "2026-08-01T00:00:00Z"}}, headers=teacher)
    assert error_codes(bad) == ["BAD_USER_INPUT"]
    assert error_codes(await gql_raw(client, CREATE_COURSE, {"input": {
        "title": "x", "code": "y", "creditHours": -1}}, headers=teacher)) == ["BAD_USER_INPUT"]
    assert error_codes(await gql_raw(client, CREATE_COURSE, {"input": {
        "title": "x", "code": "y"}}, headers=student)) == ["FORBIDDEN"]
    assert error_codes(await gql_raw(client, DELETE_COURSE, {"id": created["id"]},
                                     headers=student)) == ["FORBIDDEN"]
    assert (await gql(client, DELETE_COURSE, {"id": created["id"]}, headers=teacher)) == {
        "deleteCourse": {"deletedId": created["id"]}}
