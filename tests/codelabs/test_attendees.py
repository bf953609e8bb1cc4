"""Attendees: registration with the attendance code, and the attendee list."""

from __future__ import annotations

from sqlalchemy import select

from models.course import Enrollment
from models.user import User
from tests.codelabs.helpers import API, create_codelab, csrf, facilitator_login, register


async def test_register_answers_the_attendee_and_signs_in(client, new_client, services):
    await facilitator_login(client)
    codelab = await create_codelab(client)
    attendee_http = new_client()
    response = await attendee_http.post(
        f"{API}/codelabs/{codelab['id']}/register",
        json={"name": "Jane Doe", "code": codelab["attendance_code"],
              "email": "Test@Example.com"})
    assert response.status_code == 200
    body = response.json()
    assert body == {"id": body["id"], "codelab_id": codelab["id"], "name": "Jane Doe",
                    "email": "Test@example.com", "current_step": 1, "is_completed": False,
                    "completed_at": None, "created_at": body["created_at"]}
    assert body["id"].startswith("attendee_")
    cookies = response.headers.get_list("set-cookie")
    assert any(c.startswith("oc_session=") and "HttpOnly" in c for c in cookies)
    assert any(c.startswith("oc_csrf=") for c in cookies)
    # The attendee is a guest user enrolled in the codelab's offering.
    async with services.db.session() as session:
        user, enrollment = (await session.execute(
            select(User, Enrollment).join(Enrollment, Enrollment.user_id == User.id)
            .where(User.display_name == "Jane Doe"))).one()
    assert user.email is None and user.password_hash is None and user.roles == []
    assert enrollment.status == "ACTIVE"
    assert body["id"] == f"attendee_{user.id.hex}"


async def test_register_refuses_a_wrong_code_and_duplicates(client, new_client):
    await facilitator_login(client)
    codelab = await create_codelab(client)
    url = f"{API}/codelabs/{codelab['id']}/register"
    response = await new_client().post(url, json={"name": "Jane", "code": "WRONG-CODE"})
    assert response.status_code == 403
    assert response.json() == {"error": "Invalid attendance code"}
    await register(new_client(), codelab, email="jane@example.com")
    response = await new_client().post(url, json={"name": "Janet", "email": "JANE@example.com",
                                                  "code": codelab["attendance_code"]})
    assert response.status_code == 409
    assert response.json() == {
        "error": "An attendee with this email is already registered in this codelab"}
    # The same email in another codelab is fine; no email at all is fine twice.
    other = await create_codelab(client, title="Other")
    await register(new_client(), other, email="jane@example.com")
    await register(new_client(), codelab, name="Anon 1")
    await register(new_client(), codelab, name="Anon 2")


async def test_register_reports_bad_input(client, new_client):
    await facilitator_login(client)
    codelab = await create_codelab(client)
    url = f"{API}/codelabs/{codelab['id']}/register"
    code = codelab["attendance_code"]
    for body, error in (({"code": code}, "name: Field required"),
                        ({"name": " ", "code": code}, "name must be 1 to 100 characters"),
                        ({"name": "x" * 101, "code": code},
                         "name: String should have at most 100 characters"),
                        ({"name": "Jane", "code": code, "email": "not-an-email"}, None)):
        response = await new_client().post(url, json=body)
        assert response.status_code == 400, body
        assert error is None or response.json() == {"error": error}
        assert "not-an-email" not in response.text or error is None
    response = await new_client().post(f"{API}/codelabs/codelab_999999/register",
                                       json={"name": "Jane", "code": code})
    assert response.status_code == 404
    assert response.json() == {"error": "Codelab not found"}


async def test_private_codelabs_take_registrations_with_their_code(client, new_client):
    await facilitator_login(client)
    codelab = await create_codelab(client, is_public=False)
    attendee = await register(new_client(), codelab)
    assert attendee["codelab_id"] == codelab["id"]


async def test_attendee_list_is_for_the_codelab_only(client, new_client):
    await facilitator_login(client)
    codelab = await create_codelab(client)
    first_http, second_http = new_client(), new_client()
    first = await register(first_http, codelab, name="First", email="first@example.com")
    second = await register(second_http, codelab, name="Second", email="second@example.com")

    listed = (await client.get(f"{API}/codelabs/{codelab['id']}/attendees")).json()
    assert [(a["id"], a["name"], a["email"]) for a in listed] == [
        (second["id"], "Second", "second@example.com"),
        (first["id"], "First", "first@example.com")]
    assert listed[0] == second

    # An attendee sees the others, but only their own email.
    seen = (await first_http.get(f"{API}/codelabs/{codelab['id']}/attendees")).json()
    assert [(a["name"], a["email"]) for a in seen] == [("Second", None),
                                                       ("First", "first@example.com")]

    response = await new_client().get(f"{API}/codelabs/{codelab['id']}/attendees")
    assert response.status_code == 401
    assert response.json() == {"error": "Login required"}
    other = await create_codelab(client, title="Other")
    outsider = new_client()
    await register(outsider, other)
    response = await outsider.get(f"{API}/codelabs/{codelab['id']}/attendees")
    assert response.status_code == 403
    assert response.json() == {
        "error": "Only the codelab's facilitator and attendees can see this"}


async def test_registering_replaces_the_browser_session(client):
    # A facilitator who registers (to try the workshop) becomes that attendee.
    await facilitator_login(client)
    codelab = await create_codelab(client)
    response = await client.post(f"{API}/codelabs/{codelab['id']}/register",
                                 json={"name": "Me", "code": codelab["attendance_code"]},
                                 headers=csrf(client))
    assert response.status_code == 200
    assert (await client.get(f"{API}/session")).json()["role"] == "attendee"
