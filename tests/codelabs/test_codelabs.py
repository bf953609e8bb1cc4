"""Codelabs and their steps through the Codelabs face."""

from __future__ import annotations

from tests.codelabs.helpers import (
    API,
    create_codelab,
    csrf,
    facilitator_login,
    put_steps,
    register,
)
from tests.fixtures import bearer_for, create_user

STEPS = [{"title": "Project setup", "content_markdown": "# Project Setup\n\ncargo new"},
         {"title": "Routes", "content_markdown": "# Routes"}]


async def test_create_answers_the_documented_codelab(client):
    await facilitator_login(client)
    created = await create_codelab(client, guide_markdown="# Prep Guide\n...")
    assert created == {
        "id": created["id"], "title": "Build a REST API with Rust", "description": "Axum",
        "author": "Jane Doe", "is_public": True, "quiz_enabled": False, "require_quiz": False,
        "require_feedback": False, "guide_markdown": "# Prep Guide\n...",
        "created_at": created["created_at"], "attendance_code": created["attendance_code"]}
    assert created["id"].startswith("codelab_")
    assert len(created["attendance_code"]) == 8
    assert created["created_at"].endswith("Z")


async def test_get_answers_the_codelab_and_its_steps(client, new_client):
    await facilitator_login(client)
    created = await create_codelab(client)
    await put_steps(client, created["id"], STEPS)
    response = await client.get(f"{API}/codelabs/{created['id']}")
    assert response.status_code == 200
    codelab, steps = response.json()
    assert codelab == created
    assert [(s["step_number"], s["title"], s["content_markdown"], s["codelab_id"])
            for s in steps] == [(1, "Project setup", STEPS[0]["content_markdown"], created["id"]),
                                (2, "Routes", "# Routes", created["id"])]
    assert all(s["id"].startswith("step_") for s in steps)
    # Anyone reads a public codelab, without its attendance code.
    anonymous = new_client()
    codelab, steps = (await anonymous.get(f"{API}/codelabs/{created['id']}")).json()
    assert "attendance_code" not in codelab and len(steps) == 2


async def test_private_codelabs_are_for_facilitators_and_their_attendees(client, new_client):
    await facilitator_login(client)
    private = await create_codelab(client, is_public=False, title="Private")
    public = await create_codelab(client, title="Public")
    anonymous = new_client()
    assert [c["title"] for c in (await anonymous.get(f"{API}/codelabs")).json()] == ["Public"]
    response = await anonymous.get(f"{API}/codelabs/{private['id']}")
    assert response.status_code == 404
    assert response.json() == {"error": "Codelab not found"}
    assert [c["title"] for c in (await client.get(f"{API}/codelabs")).json()] == [
        "Private", "Public"]
    # An attendee of the private codelab reads it; the list still shows public ones only.
    attendee = new_client()
    await register(attendee, private)
    assert (await attendee.get(f"{API}/codelabs/{private['id']}")).status_code == 200
    assert [c["id"] for c in (await attendee.get(f"{API}/codelabs")).json()] == [public["id"]]


async def test_malformed_ids_are_not_found(client):
    for bad in ("1", "codelab_", "codelab_abc", "codelab_0", "codelab_99999999999999999999"):
        response = await client.get(f"{API}/codelabs/{bad}")
        assert response.status_code == 404, bad
        assert response.json() == {"error": "Codelab not found"}


async def test_update_changes_only_the_fields_sent(client):
    await facilitator_login(client)
    created = await create_codelab(client)
    response = await client.put(f"{API}/codelabs/{created['id']}",
                                json={"title": "Renamed", "require_quiz": True,
                                      "attendance_code": "WORKSHOP1"}, headers=csrf(client))
    assert response.status_code == 200
    assert response.json() == {**created, "title": "Renamed", "require_quiz": True,
                               "attendance_code": "WORKSHOP1"}
    response = await client.put(f"{API}/codelabs/{created['id']}", json={"title": None},
                                headers=csrf(client))
    assert response.status_code == 400
    assert response.json() == {"error": "title: Input should be a valid string"}


async def test_bad_input_is_400_in_the_face_shape(client):
    await facilitator_login(client)
    for body, error in (({}, "title: Field required"),
                        ({"title": ""}, "title must not be empty"),
                        ({"title": "x" * 301}, "title: String should have at most 300 characters"),
                        ({"title": "t", "is_public": "maybe"},
                         "is_public: Input should be a valid boolean, unable to interpret input"),
                        ({"title": "t\x00"}, "title: String should not contain NUL (\\u0000) "
                                              "characters"),
                        ({"title": "t", "attendance_code": "abc"},
                         "attendance_code must be at least 4 characters")):
        response = await client.post(f"{API}/codelabs", json=body, headers=csrf(client))
        assert response.status_code == 400, body
        assert response.json() == {"error": error}


async def test_writes_need_a_facilitator(client, new_client, services):
    await facilitator_login(client)
    created = await create_codelab(client)
    anonymous = new_client()
    response = await anonymous.post(f"{API}/codelabs", json={"title": "T"})
    assert response.status_code == 401
    assert response.json() == {"error": "Login required"}
    attendee = new_client()
    await register(attendee, created)
    for method, path, body in (("POST", "/codelabs", {"title": "T"}),
                               ("PUT", f"/codelabs/{created['id']}", {"title": "T"}),
                               ("DELETE", f"/codelabs/{created['id']}", None),
                               ("POST", f"/codelabs/{created['id']}/copy", None),
                               ("PUT", f"/codelabs/{created['id']}/steps", {"steps": []})):
        response = await attendee.request(method, API + path, json=body, headers=csrf(attendee))
        assert response.status_code == 403, (method, path)
        assert "error" in response.json()
    # Another instructor (Bearer, no CSRF needed) creates their own codelabs but cannot
    # change this one.
    other = await create_user(services, email="eve@example.com", roles=["INSTRUCTOR"])
    headers = await bearer_for(services, other)
    response = await anonymous.put(f"{API}/codelabs/{created['id']}", json={"title": "Mine"},
                                   headers=headers)
    assert response.status_code == 403
    assert response.json() == {"error": "Only the codelab's facilitator can do this"}
    response = await anonymous.post(f"{API}/codelabs", json={"title": "Eve's"}, headers=headers)
    assert response.status_code == 200


async def test_delete_removes_the_codelab_and_its_attendees(client, new_client):
    await facilitator_login(client)
    created = await create_codelab(client)
    attendee = new_client()
    await register(attendee, created)
    response = await client.delete(f"{API}/codelabs/{created['id']}", headers=csrf(client))
    assert response.status_code == 204
    assert (await client.get(f"{API}/codelabs/{created['id']}")).status_code == 404
    # The attendee's guest account went with it.
    assert (await attendee.get(f"{API}/session")).status_code == 401


async def test_copy_keeps_settings_and_steps_but_not_attendees(client, new_client):
    await facilitator_login(client)
    created = await create_codelab(client, require_feedback=True, guide_markdown="# Guide")
    await put_steps(client, created["id"], STEPS)
    await register(new_client(), created)
    response = await client.post(f"{API}/codelabs/{created['id']}/copy", headers=csrf(client))
    assert response.status_code == 200
    copied = response.json()
    assert copied == {**created, "id": copied["id"], "title": created["title"] + " (copy)",
                      "is_public": False, "created_at": copied["created_at"],
                      "attendance_code": copied["attendance_code"]}
    assert copied["id"] != created["id"]
    _, steps = (await client.get(f"{API}/codelabs/{copied['id']}")).json()
    assert [(s["title"], s["content_markdown"]) for s in steps] == [
        (s["title"], s["content_markdown"]) for s in STEPS]
    attendees = (await client.get(f"{API}/codelabs/{copied['id']}/attendees")).json()
    assert attendees == []


async def test_bulk_step_update_keeps_named_steps_and_drops_the_rest(client):
    await facilitator_login(client)
    created = await create_codelab(client)
    await put_steps(client, created["id"], STEPS)
    _, before = (await client.get(f"{API}/codelabs/{created['id']}")).json()
    await put_steps(client, created["id"], [
        {"title": "New first", "content_markdown": "new"},
        {"id": before[1]["id"], "title": "Routes, revised", "content_markdown": "# Routes 2"}])
    _, after = (await client.get(f"{API}/codelabs/{created['id']}")).json()
    assert [(s["step_number"], s["title"]) for s in after] == [
        (1, "New first"), (2, "Routes, revised")]
    assert after[1]["id"] == before[1]["id"]
    assert before[0]["id"] not in {s["id"] for s in after}


async def test_bulk_step_update_refuses_bad_steps(client):
    await facilitator_login(client)
    created = await create_codelab(client)
    other = await create_codelab(client, title="Other")
    await put_steps(client, other["id"], STEPS[:1])
    _, [foreign] = (await client.get(f"{API}/codelabs/{other['id']}")).json()
    for steps, error in (
            ([{"id": foreign["id"], "title": "Stolen"}],
             "A step id is not a step of this codelab"),
            ([{"id": "nonsense", "title": "X"}], "A step id is not a step of this codelab"),
            ([{"title": ""}], "steps[0].title must not be empty"),
            ([{"content_markdown": "no title"}], "steps.0.title: Field required"),
            ([{"title": "t"}] * 201, "steps: List should have at most 200 items after "
                                     "validation, not 201")):
        response = await client.put(f"{API}/codelabs/{created['id']}/steps",
                                    json={"steps": steps}, headers=csrf(client))
        assert response.status_code == 400, steps[:1]
        assert response.json() == {"error": error}
    response = await client.put(f"{API}/codelabs/{created['id']}/steps", json={"steps": "x"},
                                headers=csrf(client))
    assert response.status_code == 400


async def test_codelabs_stay_out_of_the_course_catalog(client):
    await facilitator_login(client)
    await create_codelab(client)
    response = await client.get("/api/v1/courses/")
    assert response.status_code == 200
    assert response.json() == []
