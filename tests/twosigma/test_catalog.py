"""Universities, departments and subjects: REST (our extension) and GraphQL."""

from __future__ import annotations

from strawberry import relay

from tests.fixtures import error_codes, gql, gql_raw
from tests.twosigma.catalog_helpers import Department, University, add, role_headers

API = "/api/v1"


async def test_university_crud_over_rest(client, services):
    _, _, admin = await role_headers(services)
    body = {"name": "Massachusetts Institute of Technology", "short_name": "MIT",
            "country": "USA", "website_url": "https://mit.edu"}

    response = await client.post(f"{API}/universities/", json=body, headers=admin)
    assert response.status_code == 201
    created = response.json()
    assert created == {"id": 1, "name": "Massachusetts Institute of Technology",
                       "short_name": "MIT", "country": "USA", "website_url": "https://mit.edu",
                       "description": "", "created_at": created["created_at"],
                       "updated_at": created["updated_at"]}
    assert created["created_at"].endswith("Z")

    got = await client.get(f"{API}/universities/1")
    assert got.status_code == 200 and got.json() == created

    updated = await client.put(f"{API}/universities/1", json={"description": "Cambridge"},
                               headers=admin)
    assert updated.status_code == 200
    assert updated.json()["description"] == "Cambridge"
    assert updated.json()["short_name"] == "MIT"

    assert (await client.delete(f"{API}/universities/1", headers=admin)).status_code == 204
    missing = await client.get(f"{API}/universities/1")
    assert missing.status_code == 404
    assert missing.json() == {"detail": "University not found"}


async def test_university_writes_need_an_admin(client, services):
    student, teacher, _ = await role_headers(services)
    body = {"name": "Stanford"}
    no_token = await client.post(f"{API}/universities/", json=body)
    assert no_token.status_code == 401
    assert no_token.json() == {"detail": "Not authenticated"}
    for headers in (student, teacher):
        response = await client.post(f"{API}/universities/", json=body, headers=headers)
        assert response.status_code == 403
        assert response.json() == {"detail": "You do not have permission to do this"}
    assert (await client.get(f"{API}/universities/")).json() == []
    await add(services, University, name="Stanford")
    stored = (await client.get(f"{API}/universities/")).json()
    assert [u["name"] for u in stored] == ["Stanford"]
    assert (await client.put(f"{API}/universities/1", json={"name": "Renamed"},
                             headers=teacher)).status_code == 403
    assert (await client.delete(f"{API}/universities/1", headers=student)).status_code == 403
    assert (await client.delete(f"{API}/universities/1")).status_code == 401
    assert (await client.get(f"{API}/universities/")).json() == stored


async def test_university_bad_input(client, services):
    _, _, admin = await role_headers(services)
    await add(services, University, name="Stanford")
    duplicate = await client.post(f"{API}/universities/", json={"name": "Stanford"},
                                  headers=admin)
    assert duplicate.status_code == 409
    assert duplicate.json() == {"detail": "A university with this name already exists"}

    empty = await client.post(f"{API}/universities/", json={"name": ""}, headers=admin)
    assert empty.status_code == 422
    assert empty.json()["detail"][0]["loc"] == ["body", "name"]

    null_name = await client.put(f"{API}/universities/1", json={"name": None}, headers=admin)
    assert null_name.status_code == 422
    assert null_name.json()["detail"][0]["loc"] == ["body", "name"]
    assert [u["name"] for u in (await client.get(f"{API}/universities/")).json()] == [
        "Stanford"]

    bad_path = await client.get(f"{API}/universities/abc")
    assert bad_path.status_code == 422
    assert bad_path.json()["detail"][0]["loc"] == ["path", "university_id"]

    assert (await client.put(f"{API}/universities/99", json={}, headers=admin)
            ).status_code == 404
    assert (await client.delete(f"{API}/universities/99", headers=admin)).status_code == 404


async def test_university_list_pages_with_skip_and_limit(client, services):
    for name in ("A", "B", "C"):
        await add(services, University, name=name)
    names = [u["name"] for u in (await client.get(f"{API}/universities/")).json()]
    assert names == ["A", "B", "C"]
    page = await client.get(f"{API}/universities/", params={"skip": 1, "limit": 1})
    assert [u["name"] for u in page.json()] == ["B"]
    assert (await client.get(f"{API}/universities/", params={"skip": 5})).json() == []
    for params in ({"skip": -1}, {"limit": 0}, {"limit": 1001}, {"limit": "x"}):
        response = await client.get(f"{API}/universities/", params=params)
        assert response.status_code == 422, params
        assert response.json()["detail"][0]["loc"][0] == "query"


async def test_departments_over_rest(client, services):
    student, _, admin = await role_headers(services)
    mit = await add(services, University, name="MIT")
    other = await add(services, University, name="Other")
    response = await client.post(f"{API}/universities/{mit.id}/departments",
                                 json={"name": "Computer Science", "code": "CS"}, headers=admin)
    assert response.status_code == 201
    department = response.json()
    assert department == {"id": 1, "university_id": mit.id, "name": "Computer Science",
                          "code": "CS", "description": "",
                          "created_at": department["created_at"],
                          "updated_at": department["updated_at"]}
    duplicate = await client.post(f"{API}/universities/{mit.id}/departments",
                                  json={"name": "Computer Science"}, headers=admin)
    assert duplicate.status_code == 409
    assert duplicate.json() == {
        "detail": "This university already has a department with this name"}
    same_name_elsewhere = await client.post(f"{API}/universities/{other.id}/departments",
                                            json={"name": "Computer Science"}, headers=admin)
    assert same_name_elsewhere.status_code == 201
    twin = same_name_elsewhere.json()
    assert twin == {"id": twin["id"], "university_id": other.id, "name": "Computer Science",
                    "code": None, "description": "", "created_at": twin["created_at"],
                    "updated_at": twin["updated_at"]}
    assert twin["id"] != department["id"]

    listed = await client.get(f"{API}/universities/{mit.id}/departments")
    assert listed.json() == [department]
    assert (await client.get(f"{API}/universities/99/departments")).status_code == 404
    assert (await client.post(f"{API}/universities/99/departments", json={"name": "X"},
                              headers=admin)).status_code == 404
    assert (await client.post(f"{API}/universities/{mit.id}/departments", json={"name": "X"},
                              headers=student)).status_code == 403

    assert (await client.get(f"{API}/departments/1")).json() == department
    changed = await client.put(f"{API}/departments/1", json={"code": "EECS"}, headers=admin)
    assert changed.json()["code"] == "EECS"
    assert (await client.put(f"{API}/departments/1", json={"code": "X"})).status_code == 401
    assert (await client.delete(f"{API}/departments/1", headers=admin)).status_code == 204
    missing = await client.get(f"{API}/departments/1")
    assert missing.status_code == 404 and missing.json() == {"detail": "Department not found"}


async def test_deleting_a_university_deletes_its_departments(client, services):
    _, _, admin = await role_headers(services)
    mit = await add(services, University, name="MIT")
    other = await add(services, University, name="Other")
    cs = await add(services, Department, university_id=mit.id, name="CS")
    kept = await add(services, Department, university_id=other.id, name="Math")

    deleted = await client.delete(f"{API}/universities/{mit.id}", headers=admin)

    assert (deleted.status_code, deleted.content) == (204, b"")
    gone = await client.get(f"{API}/departments/{cs.id}")
    assert (gone.status_code, gone.json()) == (404, {"detail": "Department not found"})
    assert (await client.get(f"{API}/departments/{kept.id}")).json()["name"] == "Math"


async def test_subjects_over_rest(client, services):
    student, _, admin = await role_headers(services)
    response = await client.post(f"{API}/subjects/", json={"name": "Mathematics"}, headers=admin)
    assert response.status_code == 201
    subject = response.json()
    assert subject == {"id": 1, "name": "Mathematics", "description": "",
                       "created_at": subject["created_at"], "updated_at": subject["updated_at"]}
    assert (await client.post(f"{API}/subjects/", json={"name": "Mathematics"},
                              headers=admin)).status_code == 409
    assert (await client.post(f"{API}/subjects/", json={"name": "Art"},
                              headers=student)).status_code == 403
    assert (await client.post(f"{API}/subjects/", json={"name": "Art"})).status_code == 401
    assert (await client.get(f"{API}/subjects/")).json() == [subject]
    assert (await client.get(f"{API}/subjects/1")).json() == subject
    renamed = await client.put(f"{API}/subjects/1", json={"name": "Maths"}, headers=admin)
    assert renamed.json()["name"] == "Maths"
    assert (await client.delete(f"{API}/subjects/1", headers=admin)).status_code == 204
    missing = await client.get(f"{API}/subjects/1")
    assert missing.status_code == 404 and missing.json() == {"detail": "Subject not found"}


UNIVERSITIES = """
query($first: Int, $after: String) {
  universities(first: $first, after: $after) {
    edges { cursor node { id name shortName departments(first: 10) {
      edges { node { name university { name } } } } } }
    pageInfo { hasNextPage hasPreviousPage endCursor }
  }
}"""
NODE = "query($id: ID!) { node(id: $id) { __typename ... on University { name } } }"
CREATE = """
mutation($input: CreateUniversityInput!) {
  createUniversity(input: $input) { university { id name country } }
}"""
UPDATE = """
mutation($input: UpdateUniversityInput!) {
  updateUniversity(input: $input) { university { name country } }
}"""
DELETE = "mutation($id: ID!) { deleteUniversity(id: $id) { deletedId } }"
CREATE_DEPARTMENT = """
mutation($input: CreateDepartmentInput!) {
  createDepartment(input: $input) { department { name university { name } } }
}"""
SUBJECTS = "{ subjects(first: 5) { edges { node { name } } } }"
CREATE_SUBJECT = """
mutation { createSubject(input: {name: "Physics"}) { subject { id name } } }"""


async def test_universities_over_graphql(client, services):
    _, _, admin = await role_headers(services)
    created = (await gql(client, CREATE, {"input": {"name": "MIT", "country": "USA"}},
                         headers=admin))["createUniversity"]["university"]
    assert created["id"] == relay.to_base64("University", 1)
    department = await gql(client, CREATE_DEPARTMENT,
                           {"input": {"universityId": created["id"], "name": "CS"}},
                           headers=admin)
    assert department["createDepartment"]["department"] == {"name": "CS",
                                                            "university": {"name": "MIT"}}
    await add(services, University, name="Stanford")

    first = (await gql(client, UNIVERSITIES, {"first": 1}))["universities"]
    assert [e["node"]["name"] for e in first["edges"]] == ["MIT"]
    assert first["edges"][0]["node"]["departments"]["edges"] == [
        {"node": {"name": "CS", "university": {"name": "MIT"}}}]
    assert first["pageInfo"]["hasNextPage"] is True
    second = (await gql(client, UNIVERSITIES,
                        {"first": 1, "after": first["pageInfo"]["endCursor"]}))["universities"]
    assert [e["node"]["name"] for e in second["edges"]] == ["Stanford"]
    assert second["pageInfo"] == {"hasNextPage": False, "hasPreviousPage": True,
                                  "endCursor": second["edges"][0]["cursor"]}

    assert (await gql(client, NODE, {"id": created["id"]}))["node"] == {
        "__typename": "University", "name": "MIT"}
    updated = await gql(client, UPDATE, {"input": {"id": created["id"], "country": None}},
                        headers=admin)
    assert updated["updateUniversity"]["university"] == {"name": "MIT", "country": None}
    assert (await gql(client, DELETE, {"id": created["id"]}, headers=admin)) == {
        "deleteUniversity": {"deletedId": created["id"]}}
    assert (await gql(client, NODE, {"id": created["id"]}))["node"] is None


async def test_graphql_catalog_errors(client, services):
    student, _, admin = await role_headers(services)
    assert error_codes(await gql_raw(client, CREATE, {"input": {"name": "X"}})) == [
        "UNAUTHENTICATED"]
    assert error_codes(await gql_raw(client, CREATE, {"input": {"name": "X"}},
                                     headers=student)) == ["FORBIDDEN"]
    await gql(client, CREATE, {"input": {"name": "X"}}, headers=admin)
    assert error_codes(await gql_raw(client, CREATE, {"input": {"name": "X"}},
                                     headers=admin)) == ["CONFLICT"]
    too_many = "{ universities(first: 101) { edges { node { name } } } }"
    assert error_codes(await gql_raw(client, too_many)) == ["BAD_USER_INPUT"]
    assert error_codes(await gql_raw(client, UNIVERSITIES, {"first": 1, "after": "zz"})) == [
        "BAD_USER_INPUT"]
    wrong_type = relay.to_base64("Subject", 1)
    assert error_codes(await gql_raw(client, DELETE, {"id": wrong_type}, headers=admin)) == [
        "BAD_USER_INPUT"]
    gone = relay.to_base64("University", 99)
    assert error_codes(await gql_raw(client, DELETE, {"id": gone}, headers=admin)) == [
        "NOT_FOUND"]


async def test_subjects_over_graphql(client, services):
    student, _, admin = await role_headers(services)
    assert error_codes(await gql_raw(client, CREATE_SUBJECT, headers=student)) == ["FORBIDDEN"]
    created = await gql(client, CREATE_SUBJECT, headers=admin)
    assert created["createSubject"]["subject"]["name"] == "Physics"
    assert (await gql(client, SUBJECTS))["subjects"]["edges"] == [{"node": {"name": "Physics"}}]
