"""2Sigma /api/v1/feature-requests and the GraphQL feature request fields."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

from strawberry import relay

from models.feedback import FeatureRequest
from tests.fixtures import (
    bearer_for,
    count_statements,
    create_user,
    error_codes,
    gql,
    gql_raw,
)

BASE = "/api/v1/feature-requests"
ISO_Z = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z$")
DARK_MODE = {"title": "Dark mode support",
             "description": "Add a dark mode toggle to the settings page for better "
                            "readability at night."}

SUBMIT = """
mutation Submit($input: SubmitFeatureRequestInput!) {
  submitFeatureRequest(input: $input) {
    featureRequest { id number title description status adminNotes userNumber userName
                     userEmail user { displayName } }
  }
}"""
MINE = """
query Mine($first: Int, $after: String) {
  myFeatureRequests(first: $first, after: $after) {
    edges { cursor node { number title } }
    pageInfo { hasNextPage hasPreviousPage endCursor }
  }
}"""
ALL = """
query All($status: FeatureRequestStatus, $first: Int) {
  featureRequests(status: $status, first: $first) {
    totalCount edges { node { number title status userEmail } }
  }
}"""
UPDATE = """
mutation Update($input: UpdateFeatureRequestInput!) {
  updateFeatureRequest(input: $input) { featureRequest { number status adminNotes } }
}"""
NODE = """
query Node($id: ID!) { node(id: $id) { ... on FeatureRequest { number title } } }"""


async def _people(services):
    student = await create_user(services, email="stu@example.com", display_name="Stu")
    other = await create_user(services, email="oli@example.com", display_name="Oli")
    teacher = await create_user(services, email="tea@example.com", display_name="Tea",
                                roles=["INSTRUCTOR"])
    return student, other, teacher


async def _insert(services, user, n: int, *, status: str = "pending",
                  start: datetime | None = None) -> list[int]:
    """``n`` requests by ``user``, one minute apart, oldest first."""
    start = start or datetime(2026, 1, 1, tzinfo=UTC)
    rows = [FeatureRequest(user_id=user.id, title=f"Idea {i}", status=status,
                           description=f"A longer description of idea {i}.",
                           created_at=start + timedelta(minutes=i),
                           updated_at=start + timedelta(minutes=i)) for i in range(n)]
    async with services.db.transaction() as session:
        session.add_all(rows)
    return [r.id for r in rows]


async def test_submit_returns_201_with_the_full_request(client, services):
    student, _, _ = await _people(services)
    response = await client.post(BASE + "/", json=DARK_MODE,
                                 headers=await bearer_for(services, student))
    assert response.status_code == 201, response.text
    body = response.json()
    assert set(body) == {"id", "user_id", "title", "description", "status", "admin_notes",
                         "created_at", "updated_at"}
    assert isinstance(body["id"], int)
    assert body["user_id"] == student.number
    assert body["title"] == DARK_MODE["title"]
    assert body["description"] == DARK_MODE["description"]
    assert body["status"] == "pending"
    assert body["admin_notes"] is None
    assert ISO_Z.match(body["created_at"]) and ISO_Z.match(body["updated_at"])


async def test_submit_requires_a_token(client):
    response = await client.post(BASE + "/", json=DARK_MODE)
    assert response.status_code == 401
    assert response.json() == {"detail": "Not authenticated"}


async def test_submit_validates_lengths(client, services):
    student, _, _ = await _people(services)
    headers = await bearer_for(services, student)
    cases = [({"title": "ab", "description": DARK_MODE["description"]}, "title"),
             ({"title": "x" * 201, "description": DARK_MODE["description"]}, "title"),
             ({"title": "Okay", "description": "too short"}, "description"),
             ({"title": "Okay", "description": "d" * 5001}, "description"),
             ({"description": DARK_MODE["description"]}, "title")]
    for body, field in cases:
        response = await client.post(BASE + "/", json=body, headers=headers)
        assert response.status_code == 422, body
        detail = response.json()["detail"]
        assert detail[0]["loc"] == ["body", field]
    assert (await client.get(BASE + "/", headers=headers)).json() == {
        "data": [], "total": 0, "skip": 0, "limit": 20}
    edge = await client.post(BASE + "/", json={"title": "abc", "description": "d" * 10},
                             headers=headers)
    assert edge.status_code == 201
    created = edge.json()
    assert created == {"id": created["id"], "user_id": student.number, "title": "abc",
                       "description": "d" * 10, "status": "pending", "admin_notes": None,
                       "created_at": created["created_at"],
                       "updated_at": created["created_at"]}
    assert (await client.get(BASE + "/", headers=headers)).json()["data"] == [created]


async def test_list_mine_is_paginated_newest_first(client, services):
    student, other, _ = await _people(services)
    ids = await _insert(services, student, 3)
    await _insert(services, other, 2)
    headers = await bearer_for(services, student)

    response = await client.get(BASE + "/", headers=headers)
    assert response.status_code == 200
    body = response.json()
    assert body["total"] == 3 and body["skip"] == 0 and body["limit"] == 20
    assert [r["id"] for r in body["data"]] == ids[::-1]
    first = body["data"][0]
    assert first == {"id": ids[2], "user_id": student.number, "title": "Idea 2",
                     "description": "A longer description of idea 2.", "status": "pending",
                     "admin_notes": None, "created_at": "2026-01-01T00:02:00Z",
                     "updated_at": "2026-01-01T00:02:00Z"}

    page = (await client.get(BASE + "/?skip=1&limit=1", headers=headers)).json()
    assert [r["id"] for r in page["data"]] == [ids[1]]
    assert (page["total"], page["skip"], page["limit"]) == (3, 1, 1)
    beyond = (await client.get(BASE + "/?skip=5", headers=headers)).json()
    assert beyond == {"data": [], "total": 3, "skip": 5, "limit": 20}
    full = await client.get(BASE + "/?limit=100", headers=headers)
    assert full.status_code == 200
    assert full.json() == {**body, "limit": 100}


async def test_list_mine_rejects_bad_paging_and_anonymous(client, services):
    student, _, _ = await _people(services)
    headers = await bearer_for(services, student)
    for query, field in (("limit=101", "limit"), ("limit=0", "limit"), ("skip=-1", "skip"),
                         ("limit=abc", "limit")):
        response = await client.get(f"{BASE}/?{query}", headers=headers)
        assert response.status_code == 422, query
        assert response.json()["detail"][0]["loc"] == ["query", field]
    assert (await client.get(BASE + "/")).status_code == 401


async def test_list_all_for_instructors_with_user_info_and_filter(client, services):
    student, other, teacher = await _people(services)
    pending = await _insert(services, student, 2)
    planned = await _insert(services, other, 1, status="planned",
                            start=datetime(2026, 2, 1, tzinfo=UTC))
    headers = await bearer_for(services, teacher)

    body = (await client.get(BASE + "/all", headers=headers)).json()
    assert body["total"] == 3 and body["skip"] == 0 and body["limit"] == 20
    assert [r["id"] for r in body["data"]] == [planned[0], pending[1], pending[0]]
    assert body["data"][0] == {
        "id": planned[0], "user_id": other.number, "title": "Idea 0",
        "description": "A longer description of idea 0.", "status": "planned",
        "admin_notes": None, "created_at": "2026-02-01T00:00:00Z",
        "updated_at": "2026-02-01T00:00:00Z", "user_email": "oli@example.com",
        "user_name": "Oli"}

    filtered = (await client.get(BASE + "/all?status=pending&limit=1",
                                 headers=headers)).json()
    assert filtered["total"] == 2
    assert [r["id"] for r in filtered["data"]] == [pending[1]]
    assert filtered["data"][0]["user_email"] == "stu@example.com"

    bad = await client.get(BASE + "/all?status=done", headers=headers)
    assert bad.status_code == 422
    assert bad.json()["detail"][0]["loc"] == ["query", "status"]
    assert (await client.get(BASE + "/all?limit=101", headers=headers)).status_code == 422


async def test_list_all_forbids_students_and_anonymous(client, services):
    student, _, _ = await _people(services)
    response = await client.get(BASE + "/all", headers=await bearer_for(services, student))
    assert response.status_code == 403
    assert response.json() == {"detail": "You do not have permission to do this"}
    assert (await client.get(BASE + "/all")).status_code == 401


async def test_platform_admin_passes_the_instructor_check(client, services):
    admin = await create_user(services, email="root@example.com", roles=["PLATFORM_ADMIN"])
    response = await client.get(BASE + "/all", headers=await bearer_for(services, admin))
    assert response.status_code == 200
    assert response.json() == {"data": [], "total": 0, "skip": 0, "limit": 20}


async def test_update_status_and_notes(client, services):
    student, _, teacher = await _people(services)
    [request_id] = await _insert(services, student, 1)
    headers = await bearer_for(services, teacher)

    response = await client.patch(f"{BASE}/{request_id}", headers=headers, json={
        "status": "under_review", "admin_notes": "Discussing with the design team."})
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["id"] == request_id and body["user_id"] == student.number
    assert body["status"] == "under_review"
    assert body["admin_notes"] == "Discussing with the design team."
    assert body["updated_at"] > "2026-01-01T00:00:00Z"

    notes_only = (await client.patch(f"{BASE}/{request_id}", headers=headers,
                                     json={"admin_notes": "Shipped next sprint."})).json()
    assert notes_only["status"] == "under_review"
    assert notes_only["admin_notes"] == "Shipped next sprint."
    status_only = (await client.patch(f"{BASE}/{request_id}", headers=headers,
                                      json={"status": "planned"})).json()
    assert status_only["status"] == "planned"
    assert status_only["admin_notes"] == "Shipped next sprint."
    cleared = (await client.patch(f"{BASE}/{request_id}", headers=headers,
                                  json={"admin_notes": None})).json()
    assert cleared["admin_notes"] is None and cleared["status"] == "planned"
    unchanged = await client.patch(f"{BASE}/{request_id}", headers=headers, json={})
    assert unchanged.status_code == 200 and unchanged.json()["status"] == "planned"

    mine = (await client.get(BASE + "/", headers=await bearer_for(services, student))).json()
    assert mine["data"][0]["status"] == "planned"


async def test_update_errors(client, services):
    student, _, teacher = await _people(services)
    [request_id] = await _insert(services, student, 1)
    headers = await bearer_for(services, teacher)

    missing = await client.patch(f"{BASE}/999999", headers=headers, json={"status": "planned"})
    assert missing.status_code == 404
    assert missing.json() == {"detail": "Feature request not found"}
    bad_status = await client.patch(f"{BASE}/{request_id}", headers=headers,
                                    json={"status": "shipped"})
    assert bad_status.status_code == 422
    assert bad_status.json()["detail"][0]["loc"] == ["body", "status"]
    bad_id = await client.patch(f"{BASE}/abc", headers=headers, json={"status": "planned"})
    assert bad_id.status_code == 422
    assert bad_id.json()["detail"][0]["loc"] == ["path", "feature_request_id"]
    forbidden = await client.patch(f"{BASE}/{request_id}", json={"status": "planned"},
                                   headers=await bearer_for(services, student))
    assert forbidden.status_code == 403
    assert forbidden.json() == {"detail": "You do not have permission to do this"}
    anonymous = await client.patch(f"{BASE}/{request_id}", json={"status": "planned"})
    assert anonymous.status_code == 401
    stored = (await client.get(BASE + "/all", headers=headers)).json()["data"]
    assert [(r["id"], r["status"], r["admin_notes"]) for r in stored] == [
        (request_id, "pending", None)]


async def test_graphql_submit_list_update_and_node(client, services):
    student, other, teacher = await _people(services)
    student_headers = await bearer_for(services, student)
    data = await gql(client, SUBMIT, {"input": DARK_MODE}, headers=student_headers)
    created = data["submitFeatureRequest"]["featureRequest"]
    assert created["status"] == "PENDING" and created["adminNotes"] is None
    assert created["userNumber"] == student.number and created["userName"] == "Stu"
    assert created["userEmail"] == "stu@example.com"
    assert created["user"] == {"displayName": "Stu"}
    assert created["id"] == relay.to_base64("FeatureRequest", created["number"])

    await _insert(services, other, 2)
    mine = await gql(client, MINE, {"first": 10}, headers=student_headers)
    assert [e["node"]["number"] for e in mine["myFeatureRequests"]["edges"]] == [
        created["number"]]

    teacher_headers = await bearer_for(services, teacher)
    updated = await gql(client, UPDATE, {"input": {
        "id": created["id"], "status": "COMPLETED", "adminNotes": "Done."}},
        headers=teacher_headers)
    assert updated["updateFeatureRequest"]["featureRequest"] == {
        "number": created["number"], "status": "COMPLETED", "adminNotes": "Done."}

    all_requests = await gql(client, ALL, {"first": 10}, headers=teacher_headers)
    edges = all_requests["featureRequests"]["edges"]
    assert [e["node"]["title"] for e in edges] == ["Dark mode support", "Idea 1", "Idea 0"]
    assert edges[1]["node"]["userEmail"] == "oli@example.com"
    assert all_requests["featureRequests"]["totalCount"] == 3
    completed = await gql(client, ALL, {"status": "COMPLETED", "first": 10},
                          headers=teacher_headers)
    assert [e["node"]["number"] for e in completed["featureRequests"]["edges"]] == [
        created["number"]]
    assert completed["featureRequests"]["totalCount"] == 1

    seen = await gql(client, NODE, {"id": created["id"]}, headers=student_headers)
    assert seen["node"] == {"number": created["number"], "title": "Dark mode support"}
    hidden = await gql(client, NODE, {"id": created["id"]},
                       headers=await bearer_for(services, other))
    assert hidden["node"] is None


async def test_graphql_pages_forward_with_cursors(client, services):
    student, _, _ = await _people(services)
    ids = await _insert(services, student, 3)
    headers = await bearer_for(services, student)
    first = (await gql(client, MINE, {"first": 2}, headers=headers))["myFeatureRequests"]
    assert [e["node"]["number"] for e in first["edges"]] == [ids[2], ids[1]]
    assert first["pageInfo"]["hasNextPage"] is True
    assert first["pageInfo"]["hasPreviousPage"] is False
    rest = (await gql(client, MINE, {"first": 2, "after": first["pageInfo"]["endCursor"]},
                      headers=headers))["myFeatureRequests"]
    assert [e["node"]["number"] for e in rest["edges"]] == [ids[0]]
    assert rest["pageInfo"] == {"hasNextPage": False, "hasPreviousPage": True,
                                "endCursor": rest["edges"][0]["cursor"]}


async def test_graphql_errors(client, services):
    student, _, teacher = await _people(services)
    headers = await bearer_for(services, student)
    assert error_codes(await gql_raw(client, MINE, {"first": 1})) == ["UNAUTHENTICATED"]
    assert error_codes(await gql_raw(client, MINE, {"first": 101}, headers=headers)) == [
        "BAD_USER_INPUT"]
    assert error_codes(await gql_raw(client, ALL, {"first": 1}, headers=headers)) == [
        "FORBIDDEN"]
    short = await gql_raw(client, SUBMIT, {"input": {"title": "ab",
                                                     "description": "long enough text"}},
                          headers=headers)
    assert error_codes(short) == ["BAD_USER_INPUT"]
    missing = await gql_raw(client, UPDATE, {"input": {
        "id": relay.to_base64("FeatureRequest", 999999), "status": "PLANNED"}},
        headers=await bearer_for(services, teacher))
    assert error_codes(missing) == ["NOT_FOUND"]


AUTHORS = """
query Authors { featureRequests(first: 100) { edges { node { title user { displayName } } } } }"""


async def test_graphql_authors_load_in_one_batch(client, services):
    student, other, teacher = await _people(services)
    headers = await bearer_for(services, teacher)
    await _insert(services, student, 1)
    # Two documents, each asked once: both run on the general path (a document the server
    # has answered is planned the next time).
    with count_statements(services) as few:
        await gql(client, AUTHORS.replace("Authors", "Few"), headers=headers)
    await _insert(services, student, 3, start=datetime(2026, 3, 1, tzinfo=UTC))
    await _insert(services, other, 3, start=datetime(2026, 4, 1, tzinfo=UTC))
    with count_statements(services) as many:
        data = await gql(client, AUTHORS.replace("Authors", "Many"), headers=headers)
    names = [e["node"]["user"]["displayName"] for e in data["featureRequests"]["edges"]]
    assert names == ["Oli"] * 3 + ["Stu"] * 4
    assert len(many) == len(few)
