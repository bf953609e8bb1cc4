"""The module tree over REST and GraphQL: listing, creating, reordering, moving, deleting."""

from __future__ import annotations

import asyncio

from strawberry import relay

from tests.fixtures import error_codes, gql, gql_raw
from tests.twosigma.catalog_helpers import (
    Course,
    Module,
    add,
    headers_for,
    role_headers,
    user_with_headers,
)

API = "/api/v1"


async def _course(services, owner, **values):
    return await add(services, Course, created_by_id=owner.id,
                     **{"title": "CS", "code": "CS1", "is_published": True, **values})


def gid(module_id: int) -> str:
    return relay.to_base64("Module", module_id)


async def test_create_and_read_modules(client, services):
    owner, teacher = await user_with_headers(services, "t@example.com", ["INSTRUCTOR"])
    course = await _course(services, owner)
    body = {"course_id": course.id, "parent_module_id": None, "title": "Week 1: Introduction",
            "description": "Course introduction", "module_type": "UNIT", "sequence_index": 0}
    response = await client.post(f"{API}/modules/", json=body, headers=teacher)
    assert response.status_code == 201
    week1 = response.json()
    assert week1 == {"id": 1, **body, "created_at": week1["created_at"],
                     "updated_at": week1["updated_at"]}
    week2 = (await client.post(f"{API}/modules/", headers=teacher, json={
        "course_id": course.id, "title": "Week 2"})).json()
    assert (week2["sequence_index"], week2["module_type"]) == (1, "UNIT")
    lesson_b = (await client.post(f"{API}/modules/", headers=teacher, json={
        "course_id": course.id, "parent_module_id": 1, "title": "B", "module_type": "LESSON",
        "sequence_index": 1})).json()
    lesson_a = (await client.post(f"{API}/modules/", headers=teacher, json={
        "course_id": course.id, "parent_module_id": 1, "title": "A", "module_type": "LESSON",
        "sequence_index": 0})).json()

    flat = (await client.get(f"{API}/modules/courses/{course.id}/modules")).json()
    assert [m["title"] for m in flat] == ["Week 1: Introduction", "Week 2", "A", "B"]
    roots = (await client.get(f"{API}/modules/courses/{course.id}/modules/root")).json()
    assert roots == [week1, week2]
    assert (await client.get(f"{API}/modules/1")).json() == week1
    assert (await client.get(f"{API}/modules/1/children")).json() == [lesson_a, lesson_b]
    assert (await client.get(f"{API}/modules/2/children")).json() == []

    missing = await client.get(f"{API}/modules/999")
    assert missing.status_code == 404 and missing.json() == {"detail": "Module not found"}
    assert (await client.get(f"{API}/modules/999/children")).status_code == 404
    assert (await client.get(f"{API}/modules/courses/999/modules")).status_code == 404
    assert (await client.get(f"{API}/modules/courses/999/modules/root")).status_code == 404
    assert (await client.get(f"{API}/modules/abc")).status_code == 422


async def test_modules_of_unpublished_courses_are_hidden_from_students(client, services):
    owner, teacher = await user_with_headers(services, "t@example.com", ["INSTRUCTOR"])
    student = await headers_for(services, "s@example.com")
    course = await _course(services, owner, is_published=False)
    module = await add(services, Module, course_id=course.id, title="M")
    child = await add(services, Module, course_id=course.id, title="C",
                      parent_module_id=module.id)
    shown = (await client.get(f"{API}/modules/{module.id}", headers=teacher)).json()
    assert shown == {"id": module.id, "course_id": course.id, "parent_module_id": None,
                     "title": "M", "description": "", "module_type": "UNIT",
                     "sequence_index": 0, "created_at": shown["created_at"],
                     "updated_at": shown["updated_at"]}
    kid = (await client.get(f"{API}/modules/{child.id}", headers=teacher)).json()
    assert kid["parent_module_id"] == module.id
    expected = {f"/modules/{module.id}": shown, f"/modules/{module.id}/children": [kid],
                f"/modules/courses/{course.id}/modules": [shown, kid],
                f"/modules/courses/{course.id}/modules/root": [shown]}
    for path, body in expected.items():
        hidden = await client.get(API + path, headers=student)
        assert hidden.status_code == 404, path
        assert hidden.json() == {"detail": "Course not found" if "courses" in path
                                 else "Module not found"}, path
        anonymous = await client.get(API + path)
        assert anonymous.status_code == 404, path
        seen = await client.get(API + path, headers=teacher)
        assert seen.status_code == 200, path
        assert seen.json() == body, path


async def test_create_module_rules(client, services):
    owner, teacher = await user_with_headers(services, "t@example.com", ["INSTRUCTOR"])
    student = await headers_for(services, "s@example.com")
    other_teacher = await headers_for(services, "o@example.com", ["INSTRUCTOR"])
    course = await _course(services, owner)
    other_course = await _course(services, owner, code="CS2")
    foreign = await add(services, Module, course_id=other_course.id, title="Elsewhere")
    body = {"course_id": course.id, "title": "M"}

    assert (await client.post(f"{API}/modules/", json=body)).status_code == 401
    assert (await client.post(f"{API}/modules/", json=body, headers=student)).status_code == 403
    assert (await client.post(f"{API}/modules/", json=body, headers=other_teacher)
            ).status_code == 403
    unknown_course = await client.post(f"{API}/modules/", json={**body, "course_id": 999},
                                       headers=teacher)
    assert unknown_course.status_code == 404
    assert unknown_course.json() == {"detail": "Course not found"}
    wrong_parent = await client.post(f"{API}/modules/", headers=teacher,
                                     json={**body, "parent_module_id": foreign.id})
    assert wrong_parent.status_code == 400
    assert wrong_parent.json() == {"detail": "The parent module belongs to another course"}
    no_parent = await client.post(f"{API}/modules/", headers=teacher,
                                  json={**body, "parent_module_id": 999})
    assert no_parent.status_code == 400
    assert no_parent.json() == {"detail": "Parent module 999 does not exist"}
    for bad in ({"module_type": "WEEK"}, {"sequence_index": -1}, {"title": ""}):
        response = await client.post(f"{API}/modules/", json={**body, **bad}, headers=teacher)
        assert response.status_code == 422, bad
        assert [e["loc"] for e in response.json()["detail"]] == [["body", *bad]], bad
    assert (await client.get(f"{API}/modules/courses/{course.id}/modules")).json() == []


async def test_reorder_modules(client, services):
    owner, teacher = await user_with_headers(services, "t@example.com", ["INSTRUCTOR"])
    other_teacher = await headers_for(services, "o@example.com", ["INSTRUCTOR"])
    course = await _course(services, owner)
    one, two, three = [await add(services, Module, course_id=course.id, title=t,
                                 sequence_index=i) for i, t in enumerate("123")]
    child = await add(services, Module, course_id=course.id, title="c",
                      parent_module_id=one.id)

    response = await client.post(f"{API}/modules/reorder", headers=teacher,
                                 json={"module_ids": [three.id, one.id, two.id]})
    assert response.status_code == 200
    assert [(m["id"], m["sequence_index"]) for m in response.json()] == [
        (three.id, 0), (one.id, 1), (two.id, 2)]
    roots = (await client.get(f"{API}/modules/courses/{course.id}/modules/root")).json()
    assert [m["title"] for m in roots] == ["3", "1", "2"]

    cases = [([one.id, one.id, two.id], 400, "module_ids contains duplicates"),
             ([one.id, child.id], 400,
              "All modules must be siblings: the same course and the same parent"),
             ([one.id, two.id], 400, "module_ids must list every child of the parent exactly "
                                     "once"),
             ([one.id, 999], 404, "Module not found"),
             ([999], 404, "Module not found")]
    for ids, status, detail in cases:
        response = await client.post(f"{API}/modules/reorder", json={"module_ids": ids},
                                     headers=teacher)
        assert (response.status_code, response.json()) == (status, {"detail": detail}), ids
    assert (await client.post(f"{API}/modules/reorder", json={"module_ids": []},
                              headers=teacher)).status_code == 422
    assert (await client.post(f"{API}/modules/reorder", json={"module_ids": [one.id]})
            ).status_code == 401
    foreign = await client.post(f"{API}/modules/reorder", json={
        "module_ids": [one.id, two.id, three.id]}, headers=other_teacher)
    assert foreign.status_code == 403
    assert foreign.json() == {
        "detail": "Only the course's creator or a platform admin can change this course"}
    assert (await client.get(f"{API}/modules/courses/{course.id}/modules/root")).json() == roots
    single = await client.post(f"{API}/modules/reorder", json={"module_ids": [child.id]},
                               headers=teacher)
    assert [m["sequence_index"] for m in single.json()] == [0]


TREE = """
query($id: ID!) { node(id: $id) { ... on Course { modules(first: 10) { edges { node {
  title sequenceIndex parent { title } children { title moduleType children { title } } } }
  pageInfo { hasNextPage } } } } }"""
CREATE = """
mutation($input: CreateModuleInput!) {
  createModule(input: $input) { module { id title moduleType sequenceIndex parent { title }
    course { code } } }
}"""
UPDATE = """
mutation($input: UpdateModuleInput!) {
  updateModule(input: $input) { module { title sequenceIndex parent { title } } }
}"""
REORDER = """
mutation($ids: [ID!]!) { reorderModules(input: {moduleIds: $ids}) { modules { title } } }"""
DELETE = "mutation($id: ID!) { deleteModule(id: $id) { deletedId } }"


async def test_module_tree_over_graphql(client, services):
    owner, teacher = await user_with_headers(services, "t@example.com", ["INSTRUCTOR"])
    course = await _course(services, owner)
    course_id = relay.to_base64("Course", course.id)
    root = (await gql(client, CREATE, {"input": {"courseId": course_id, "title": "Root",
                                                 "moduleType": "CHAPTER"}}, headers=teacher)
            )["createModule"]["module"]
    assert root == {"id": gid(1), "title": "Root", "moduleType": "CHAPTER", "sequenceIndex": 0,
                    "parent": None, "course": {"code": "CS1"}}
    child = (await gql(client, CREATE, {"input": {"courseId": course_id, "title": "Child",
                                                  "parentModuleId": root["id"]}},
                       headers=teacher))["createModule"]["module"]
    assert child["parent"] == {"title": "Root"}
    other = (await gql(client, CREATE, {"input": {"courseId": course_id, "title": "Other"}},
                       headers=teacher))["createModule"]["module"]
    assert other["sequenceIndex"] == 1

    tree = (await gql(client, TREE, {"id": course_id}))["node"]["modules"]
    assert tree == {"edges": [
        {"node": {"title": "Root", "sequenceIndex": 0, "parent": None,
                  "children": [{"title": "Child", "moduleType": "UNIT", "children": []}]}},
        {"node": {"title": "Other", "sequenceIndex": 1, "parent": None, "children": []}}],
        "pageInfo": {"hasNextPage": False}}

    reordered = await gql(client, REORDER, {"ids": [other["id"], root["id"]]}, headers=teacher)
    assert reordered["reorderModules"]["modules"] == [{"title": "Other"}, {"title": "Root"}]

    moved = await gql(client, UPDATE, {"input": {"id": other["id"], "parentModuleId": child["id"],
                                                 "title": "Moved"}}, headers=teacher)
    assert moved["updateModule"]["module"] == {"title": "Moved", "sequenceIndex": 0,
                                               "parent": {"title": "Child"}}
    for target in (root["id"], child["id"], other["id"]):
        cycle = await gql_raw(client, UPDATE, {"input": {"id": root["id"],
                                                         "parentModuleId": target}},
                              headers=teacher)
        assert error_codes(cycle) == ["BAD_USER_INPUT"], target
    assert cycle["errors"][0]["message"] in (
        "A module cannot be moved under itself or one of its descendants",)
    to_top = await gql(client, UPDATE, {"input": {"id": other["id"], "parentModuleId": None}},
                       headers=teacher)
    assert to_top["updateModule"]["module"]["parent"] is None

    student = await headers_for(services, "s@example.com")
    assert error_codes(await gql_raw(client, DELETE, {"id": root["id"]}, headers=student)) == [
        "FORBIDDEN"]
    assert (await gql(client, DELETE, {"id": root["id"]}, headers=teacher)) == {
        "deleteModule": {"deletedId": root["id"]}}
    remaining = (await gql(client, TREE, {"id": course_id}))["node"]["modules"]["edges"]
    assert [e["node"]["title"] for e in remaining] == ["Moved"]
    assert error_codes(await gql_raw(client, DELETE, {"id": child["id"]}, headers=teacher)) == [
        "NOT_FOUND"]


async def test_concurrent_moves_never_make_a_cycle(client, services):
    owner, teacher = await user_with_headers(services, "t@example.com", ["INSTRUCTOR"])
    course = await _course(services, owner)
    for _ in range(5):
        a = await add(services, Module, course_id=course.id, title="a")
        b = await add(services, Module, course_id=course.id, title="b")
        results = await asyncio.gather(
            gql_raw(client, UPDATE, {"input": {"id": gid(a.id), "parentModuleId": gid(b.id)}},
                    headers=teacher),
            gql_raw(client, UPDATE, {"input": {"id": gid(b.id), "parentModuleId": gid(a.id)}},
                    headers=teacher))
        assert sorted(error_codes(r) for r in results) == [[], ["BAD_USER_INPUT"]]


async def test_module_mutations_need_the_owner(client, services):
    owner, _ = await user_with_headers(services, "t@example.com", ["INSTRUCTOR"])
    student, other_teacher, admin = await role_headers(services)
    course = await _course(services, owner)
    module = await add(services, Module, course_id=course.id, title="m")
    change = {"input": {"id": gid(module.id), "title": "x"}}
    assert error_codes(await gql_raw(client, UPDATE, change)) == ["UNAUTHENTICATED"]
    assert error_codes(await gql_raw(client, UPDATE, change, headers=student)) == ["FORBIDDEN"]
    assert error_codes(await gql_raw(client, UPDATE, change, headers=other_teacher)) == [
        "FORBIDDEN"]
    assert (await gql(client, UPDATE, change, headers=admin))["updateModule"]["module"][
        "title"] == "x"
    assert error_codes(await gql_raw(client, UPDATE, {"input": {
        "id": gid(module.id), "sequenceIndex": -1}}, headers=admin)) == ["BAD_USER_INPUT"]
    assert error_codes(await gql_raw(client, UPDATE, {"input": {
        "id": gid(999), "title": "x"}}, headers=admin)) == ["NOT_FOUND"]
