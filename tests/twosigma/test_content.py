"""Content items and content types over REST and GraphQL."""

from __future__ import annotations

import asyncio

from strawberry import relay

from tests.fixtures import error_codes, gql, gql_raw
from tests.twosigma.catalog_helpers import (
    ContentItem,
    ContentType,
    Course,
    Module,
    add,
    headers_for,
    role_headers,
    user_with_headers,
)

API = "/api/v1"


async def _setup(services):
    owner, teacher = await user_with_headers(services, "t@example.com", ["INSTRUCTOR"])
    course = await add(services, Course, title="CS", code="CS1", is_published=True,
                       created_by_id=owner.id)
    module = await add(services, Module, course_id=course.id, title="Week 1")
    video = await add(services, ContentType, name="video", label="Video",
                      required_fields=["video_url"])
    return teacher, course, module, video


async def test_create_and_read_content(client, services):
    teacher, course, module, video = await _setup(services)
    body = {"module_id": module.id, "course_id": course.id, "content_type_id": video.id,
            "title": "Lecture Video", "description": "First lecture",
            "data_json": {"video_url": "https://example.com/video.mp4"},
            "estimated_duration_seconds": 1800, "sequence_index": 1}
    response = await client.post(f"{API}/content/", json=body, headers=teacher)
    assert response.status_code == 201
    lecture = response.json()
    assert lecture == {"id": 1, "module_id": module.id, "title": "Lecture Video",
                       "content_type_id": video.id,
                       "content_type": {"name": "video", "label": "Video"},
                       "description": "First lecture",
                       "data_json": {"video_url": "https://example.com/video.mp4"},
                       "sequence_index": 1, "estimated_duration_seconds": 1800}
    intro = (await client.post(f"{API}/content/", headers=teacher, json={
        **body, "title": "Intro", "sequence_index": 0, "estimated_duration_seconds": None})
    ).json()
    appended = (await client.post(f"{API}/content/", headers=teacher, json={
        **body, "title": "Outro", "sequence_index": None})).json()
    assert appended["sequence_index"] == 2

    assert (await client.get(f"{API}/content/1")).json() == lecture
    listed = (await client.get(f"{API}/content/modules/{module.id}/content")).json()
    assert listed == [intro, lecture, appended]
    missing = await client.get(f"{API}/content/999")
    assert missing.status_code == 404 and missing.json() == {"detail": "Content item not found"}
    assert (await client.get(f"{API}/content/modules/999/content")).status_code == 404
    assert (await client.get(f"{API}/content/x")).status_code == 422


async def test_content_rules(client, services):
    teacher, course, module, video = await _setup(services)
    student = await headers_for(services, "s@example.com")
    other_teacher = await headers_for(services, "o@example.com", ["INSTRUCTOR"])
    other_course = await add(services, Course, title="Other", code="O1")
    body = {"module_id": module.id, "course_id": course.id, "content_type_id": video.id,
            "title": "V", "data_json": {"video_url": "u"}}

    assert (await client.post(f"{API}/content/", json=body)).status_code == 401
    assert (await client.post(f"{API}/content/", json=body, headers=student)).status_code == 403
    assert (await client.post(f"{API}/content/", json=body, headers=other_teacher)
            ).status_code == 403
    cases = [({"course_id": other_course.id}, 400,
              f"Module {module.id} does not belong to course {other_course.id}"),
             ({"content_type_id": 999}, 400, "Content type 999 does not exist"),
             ({"data_json": {"duration": 3}}, 400,
              "data_json is missing required fields for content type 'video': video_url"),
             ({"module_id": 999}, 404, "Module not found")]
    for extra, status, detail in cases:
        response = await client.post(f"{API}/content/", json={**body, **extra}, headers=teacher)
        assert (response.status_code, response.json()) == (status, {"detail": detail}), extra
    for bad in ({"estimated_duration_seconds": -5}, {"sequence_index": -1},
                {"data_json": [1]}, {"title": ""}):
        response = await client.post(f"{API}/content/", json={**body, **bad}, headers=teacher)
        assert response.status_code == 422, bad
        assert response.json()["detail"][0]["loc"] == ["body", *bad], bad
    assert (await client.get(f"{API}/content/modules/{module.id}/content")).json() == []


async def test_content_of_unpublished_courses_is_hidden(client, services):
    teacher, _, _, video = await _setup(services)
    student = await headers_for(services, "s@example.com")
    draft = await add(services, Course, title="Draft", code="D")
    hidden_module = await add(services, Module, course_id=draft.id, title="M")
    item = await add(services, ContentItem, module_id=hidden_module.id, course_id=draft.id,
                     content_type_id=video.id, title="Hidden")
    hidden = await client.get(f"{API}/content/{item.id}", headers=student)
    assert (hidden.status_code, hidden.json()) == (404, {"detail": "Content item not found"})
    listing = await client.get(f"{API}/content/modules/{hidden_module.id}/content",
                               headers=student)
    assert (listing.status_code, listing.json()) == (404, {"detail": "Module not found"})
    seen = await client.get(f"{API}/content/{item.id}", headers=teacher)
    assert seen.status_code == 200
    assert seen.json() == {"id": item.id, "module_id": hidden_module.id, "title": "Hidden",
                           "content_type_id": video.id,
                           "content_type": {"name": "video", "label": "Video"},
                           "description": "", "data_json": {}, "sequence_index": 0,
                           "estimated_duration_seconds": None}
    assert (await client.get(f"{API}/content/modules/{hidden_module.id}/content",
                             headers=teacher)).json() == [seen.json()]


async def test_content_types_over_rest(client, services):
    student, teacher, admin = await role_headers(services)
    body = {"name": "quiz", "label": "Quiz", "required_fields": ["questions"],
            "prompt_name": "quiz-tutor"}
    response = await client.post(f"{API}/content-types/", json=body, headers=admin)
    assert response.status_code == 201
    quiz = response.json()
    assert quiz == {"id": 1, "name": "quiz", "label": "Quiz", "description": "",
                    "required_fields": ["questions"], "prompt_name": "quiz-tutor",
                    "created_at": quiz["created_at"], "updated_at": quiz["updated_at"]}
    assert (await client.post(f"{API}/content-types/", json=body)).status_code == 401
    for headers in (student, teacher):
        assert (await client.post(f"{API}/content-types/", json=body, headers=headers)
                ).status_code == 403
    duplicate = await client.post(f"{API}/content-types/", json=body, headers=admin)
    assert duplicate.status_code == 409
    assert duplicate.json() == {"detail": "A content type with this name already exists"}
    assert (await client.post(f"{API}/content-types/", json={"name": "x"}, headers=admin)
            ).status_code == 422
    assert (await client.post(f"{API}/content-types/", headers=admin, json={
        "name": "x", "label": "X", "required_fields": "questions"})).status_code == 422

    assert (await client.get(f"{API}/content-types/")).json() == [quiz]
    assert (await client.get(f"{API}/content-types/", params={"skip": 1})).json() == []
    assert (await client.get(f"{API}/content-types/1")).json() == quiz
    changed = await client.put(f"{API}/content-types/1", json={"label": "Graded quiz"},
                               headers=admin)
    assert changed.json()["label"] == "Graded quiz"
    assert changed.json()["required_fields"] == ["questions"]
    refused = await client.put(f"{API}/content-types/1", json={"label": "x"}, headers=teacher)
    assert (refused.status_code, refused.json()) == (
        403, {"detail": "You do not have permission to do this"})
    assert (await client.get(f"{API}/content-types/1")).json() == changed.json()
    assert (await client.put(f"{API}/content-types/9", json={}, headers=admin)).status_code == 404

    course = await add(services, Course, title="C", code="C")
    module = await add(services, Module, course_id=course.id, title="M")
    item = await add(services, ContentItem, module_id=module.id, course_id=course.id,
                     content_type_id=1, title="Q")
    in_use = await client.delete(f"{API}/content-types/1", headers=admin)
    assert in_use.status_code == 409
    assert in_use.json() == {"detail": "This content type is used by content items"}
    async with services.db.transaction() as session:
        await session.delete(await session.get(ContentItem, item.id))
    assert (await client.get(f"{API}/content-types/1")).json() == changed.json()
    assert (await client.delete(f"{API}/content-types/1", headers=student)).status_code == 403
    assert (await client.get(f"{API}/content-types/1")).json() == changed.json()
    deleted = await client.delete(f"{API}/content-types/1", headers=admin)
    assert (deleted.status_code, deleted.content) == (204, b"")
    missing = await client.get(f"{API}/content-types/1")
    assert missing.status_code == 404 and missing.json() == {"detail": "Content type not found"}


CREATE_TYPE = """
mutation($input: CreateContentTypeInput!) {
  createContentType(input: $input) { contentType { id name label requiredFields } }
}"""
UPDATE_TYPE = """
mutation($input: UpdateContentTypeInput!) {
  updateContentType(input: $input) { contentType { label requiredFields } }
}"""
DELETE_TYPE = "mutation($id: ID!) { deleteContentType(id: $id) { deletedId } }"
TYPES = "{ contentTypes(first: 10) { edges { node { name } } } }"
CREATE_ITEM = """
mutation($input: CreateContentItemInput!) {
  createContentItem(input: $input) { contentItem { id title dataJson sequenceIndex
    contentType { name } module { title } } }
}"""
MODULE_CONTENT = """
query($id: ID!) { node(id: $id) { ... on Module { content { title contentType { label } } } } }
"""


async def test_content_over_graphql(client, services):
    teacher, course, module, _ = await _setup(services)
    student, _, admin = await role_headers(services)
    created = (await gql(client, CREATE_TYPE, {"input": {
        "name": "lab", "label": "Lab", "requiredFields": ["repo"]}}, headers=admin)
    )["createContentType"]["contentType"]
    assert created == {"id": relay.to_base64("ContentType", 2), "name": "lab", "label": "Lab",
                       "requiredFields": ["repo"]}
    assert error_codes(await gql_raw(client, CREATE_TYPE, {"input": {
        "name": "x", "label": "X"}}, headers=student)) == ["FORBIDDEN"]
    updated = await gql(client, UPDATE_TYPE, {"input": {"id": created["id"], "label": "Labs"}},
                        headers=admin)
    assert updated["updateContentType"]["contentType"] == {"label": "Labs",
                                                           "requiredFields": ["repo"]}
    assert [e["node"]["name"] for e in (await gql(client, TYPES))["contentTypes"]["edges"]] == [
        "video", "lab"]

    item_input = {"moduleId": relay.to_base64("Module", module.id),
                  "courseId": relay.to_base64("Course", course.id),
                  "contentTypeId": created["id"], "title": "Lab 1",
                  "dataJson": {"repo": "git://x"}}
    item = (await gql(client, CREATE_ITEM, {"input": item_input}, headers=teacher)
            )["createContentItem"]["contentItem"]
    assert item == {"id": relay.to_base64("ContentItem", 1), "title": "Lab 1",
                    "dataJson": {"repo": "git://x"}, "sequenceIndex": 0,
                    "contentType": {"name": "lab"}, "module": {"title": "Week 1"}}
    missing = await gql_raw(client, CREATE_ITEM, {"input": {**item_input, "dataJson": {}}},
                            headers=teacher)
    assert error_codes(missing) == ["BAD_USER_INPUT"]
    assert missing["errors"][0]["extensions"]["details"] == {"field": "data_json",
                                                             "missing": ["repo"]}
    assert error_codes(await gql_raw(client, CREATE_ITEM, {"input": {
        **item_input, "dataJson": [1]}}, headers=teacher)) == ["BAD_USER_INPUT"]
    assert error_codes(await gql_raw(client, CREATE_ITEM, {"input": item_input},
                                     headers=student)) == ["FORBIDDEN"]
    content = (await gql(client, MODULE_CONTENT, {"id": relay.to_base64("Module", module.id)})
               )["node"]["content"]
    assert content == [{"title": "Lab 1", "contentType": {"label": "Labs"}}]
    assert error_codes(await gql_raw(client, DELETE_TYPE, {"id": created["id"]},
                                     headers=admin)) == ["CONFLICT"]


async def test_concurrent_creates_get_consecutive_indexes(client, services):
    teacher, course, module, video = await _setup(services)
    body = {"module_id": module.id, "course_id": course.id, "content_type_id": video.id,
            "data_json": {"video_url": "u"}}
    responses = await asyncio.gather(*[
        client.post(f"{API}/content/", json={**body, "title": f"V{i}"}, headers=teacher)
        for i in range(5)])
    assert [r.status_code for r in responses] == [201] * 5
    assert sorted(r.json()["sequence_index"] for r in responses) == [0, 1, 2, 3, 4]
    listed = (await client.get(f"{API}/content/modules/{module.id}/content")).json()
    assert [i["sequence_index"] for i in listed] == [0, 1, 2, 3, 4]


async def test_pass_mark_must_be_a_number_from_0_to_100(client, services):
    teacher, course, module, _ = await _setup(services)
    quiz = await add(services, ContentType, name="quiz", label="Quiz")
    body = {"module_id": module.id, "course_id": course.id, "content_type_id": quiz.id,
            "title": "Q"}
    for bad in ("sixty", None, [], True, -1, 100.5, {"value": 60}):
        response = await client.post(f"{API}/content/", headers=teacher,
                                      json={**body, "data_json": {"pass_mark": bad}})
        assert (response.status_code, response.json()) == (400, {
            "detail": "data_json.pass_mark must be a number between 0 and 100"}), bad
    assert (await client.get(f"{API}/content/modules/{module.id}/content")).json() == []
    for good in (0, 75, 62.5, 100):
        response = await client.post(f"{API}/content/", headers=teacher,
                                      json={**body, "data_json": {"pass_mark": good}})
        assert response.status_code == 201, good
        assert response.json()["data_json"] == {"pass_mark": good}
    data = await gql_raw(client, CREATE_ITEM, {"input": {
        "moduleId": relay.to_base64("Module", module.id), "title": "Q",
        "courseId": relay.to_base64("Course", course.id),
        "contentTypeId": relay.to_base64("ContentType", quiz.id),
        "dataJson": {"pass_mark": "sixty"}}}, headers=teacher)
    assert error_codes(data) == ["BAD_USER_INPUT"]
    assert data["errors"][0]["message"] == "data_json.pass_mark must be a number between 0 and 100"
