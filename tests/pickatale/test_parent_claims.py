"""Parents' claims on a child: asked with the child's username and PIN, raising the
teacher's notification, approved by the class's teacher (linking parent and child and
mailing PARENT_CLAIM_APPROVED over real SMTP) or rejected; who may do what."""

from __future__ import annotations

import asyncio

from sqlalchemy import select

from models.roster import ParentClaim, Student
from resolvers.parent_claims import CLAIMS_PER_WINDOW
from tests.fixtures import error_codes, gql, gql_raw
from tests.pickatale.helpers import KEY, as_bearer, assert_error, new_key, portal_account

JSON = {"Content-Type": "application/json"}


async def _family(client, services):
    """A teacher's class with one child; the child's username and PIN; a parent."""
    _, teacher = await portal_account(services, "TEACHER")
    class_id = (await client.post("/api/v1/classes", json={"name": "1A"},
                                  headers={**teacher, **new_key()})).json()["id"]
    kid = (await client.post(f"/api/v1/classes/{class_id}/students",
                             json={"name": "Sofia", "year_level": 1},
                             headers={**teacher, **new_key()})).json()
    parent, parent_headers = await portal_account(services, "PARENT", "mum@example.com")
    return teacher, kid, parent, parent_headers


async def _claim(client, headers, kid) -> dict:
    response = await client.post("/api/v1/parent-claims", json={
        "username": kid["username"].upper(), "pin": kid["pin"]}, headers=headers)
    assert response.status_code == 201, response.text
    return response.json()


async def test_an_approved_claim_links_parent_and_child_and_mails_the_parent(
        client, services, smtp):
    teacher, kid, parent, parent_headers = await _family(client, services)
    claim = await _claim(client, parent_headers, kid)
    assert claim["status"] == "pending" and claim["child_name"] == "Sofia"
    # Asking again while it is open answers the same claim.
    assert (await _claim(client, parent_headers, kid))["id"] == claim["id"]

    items = (await client.get("/api/v1/notifications", headers=teacher)).json()["notifications"]
    assert [(n["type"], n["child_name"], n["action_url"], n["read"]) for n in items] == [
        ("parent_claim_request", "Sofia", f"/parent-claims/{claim['id']}", False)]
    assert items[0]["message"] == "Parent asks to be linked to Sofia as their parent."

    response = await client.post(f"/api/v1/parent-claims/{claim['id']}/approve",
                                 headers={**teacher, **JSON})
    assert response.status_code == 200, response.text
    assert response.json() == {"ok": True}
    async with services.db.session() as session:
        student = await session.get(Student, kid["id"])
        row = await session.get(ParentClaim, claim["id"])
    assert student.parent_id == parent.id
    assert row.status == "approved" and row.decided_at is not None
    (mail,) = await smtp.wait_for("mum@example.com")
    assert mail["Subject"] == "You are now linked to Sofia's reading account"
    assert "Sofia's teacher has approved your request" in mail.get_content()
    # The request is dealt with: its notification reads as read.
    items = (await client.get("/api/v1/notifications", headers=teacher)).json()["notifications"]
    assert items[0]["read"] is True

    # Approving again is fine and mails nothing more; rejecting it now is a conflict.
    again = await client.post(f"/api/v1/parent-claims/{claim['id']}/approve",
                              headers={**teacher, **JSON})
    assert again.status_code == 200 and again.json() == {"ok": True}
    await asyncio.sleep(0.5)
    assert len(smtp.to("mum@example.com")) == 1
    assert_error(await client.post(f"/api/v1/parent-claims/{claim['id']}/reject",
                                   headers={**teacher, **JSON}), 409, "claim_decided")
    # The child is linked: another claim from this parent, or another parent, is refused.
    response = await client.post("/api/v1/parent-claims", json={
        "username": kid["username"], "pin": kid["pin"]}, headers=parent_headers)
    assert_error(response, 409, "already_linked")
    _, dad = await portal_account(services, "PARENT", "dad@example.com")
    response = await client.post("/api/v1/parent-claims", json={
        "username": kid["username"], "pin": kid["pin"]}, headers=dad)
    assert_error(response, 409, "child_already_claimed")


async def test_a_rejected_claim_links_nobody(client, services, smtp):
    teacher, kid, _, parent_headers = await _family(client, services)
    claim = await _claim(client, parent_headers, kid)
    response = await client.post(f"/api/v1/parent-claims/{claim['id']}/reject",
                                 headers={**teacher, **JSON})
    assert response.status_code == 200 and response.json() == {"ok": True}
    async with services.db.session() as session:
        assert (await session.get(Student, kid["id"])).parent_id is None
    assert_error(await client.post(f"/api/v1/parent-claims/{claim['id']}/approve",
                                   headers={**teacher, **JSON}), 409, "claim_decided")
    # A new claim may follow a rejected one.
    assert (await _claim(client, parent_headers, kid))["id"] != claim["id"]
    await asyncio.sleep(0.3)
    assert smtp.to("mum@example.com") == []


async def test_claims_need_the_childs_username_and_pin(client, services):
    _, kid, _, parent_headers = await _family(client, services)
    wrong_pin = "0000" if kid["pin"] != "0000" else "1111"
    cases = [({"username": kid["username"], "pin": wrong_pin}, 403,
              "invalid_child_credentials"),
             ({"username": "nobody001", "pin": kid["pin"]}, 403, "invalid_child_credentials"),
             ({"username": kid["username"], "pin": "12a4"}, 422, "validation_failed"),
             ({"username": kid["username"], "pin": "123"}, 422, "validation_failed"),
             ({"username": "", "pin": "1234"}, 422, "validation_failed"),
             ({"username": kid["username"]}, 400, "bad_request")]
    for body, status, code in cases:
        assert_error(await client.post("/api/v1/parent-claims", json=body,
                                       headers=parent_headers), status, code)
    async with services.db.session() as session:
        assert (await session.execute(select(ParentClaim))).first() is None


async def test_a_parent_cannot_guess_pins_through_claims(client, services):
    _, kid, _, parent_headers = await _family(client, services)
    wrong = "0000" if kid["pin"] != "0000" else "1111"
    for _ in range(CLAIMS_PER_WINDOW):
        response = await client.post("/api/v1/parent-claims", json={
            "username": kid["username"], "pin": wrong}, headers=parent_headers)
        assert response.status_code == 403
    response = await client.post("/api/v1/parent-claims", json={
        "username": kid["username"], "pin": kid["pin"]}, headers=parent_headers)
    assert_error(response, 429, "rate_limited")
    assert int(response.headers["Retry-After"]) > 0


async def test_authorization_matrix_of_the_claim_endpoints(client, services):
    teacher, kid, _, parent_headers = await _family(client, services)
    claim = await _claim(client, parent_headers, kid)
    _, other = await portal_account(services, "TEACHER", "other@example.com")
    _, school_admin = await portal_account(services, "SCHOOL_ADMIN")
    _, admin = await portal_account(services, "PLATFORM_ADMIN")
    codes = {401: "unauthenticated", 403: "forbidden", 404: "not_found"}
    # Who -> (approve/reject someone's claim, ask for a claim).
    matrix = {"anonymous": ({}, 401, 401), "internal_key": (KEY, 401, 401),
              "other_teacher": (other, 403, 403), "school_admin": (school_admin, 403, 403),
              "parent": (parent_headers, 403, None), "teacher": (teacher, None, 403)}
    for _who, (headers, decide, ask) in matrix.items():
        for action in ("approve", "reject"):
            if decide is None:
                continue
            response = await client.post(f"/api/v1/parent-claims/{claim['id']}/{action}",
                                         headers={**headers, **JSON})
            assert_error(response, decide, codes[decide])
        if ask is not None:
            response = await client.post("/api/v1/parent-claims", json={
                "username": kid["username"], "pin": kid["pin"]}, headers=headers)
            assert_error(response, ask, codes[ask])
    for bad, status, code in (("abc", 422, "validation_failed"), ("0", 422,
                                                                  "validation_failed"),
                              ("424242", 404, "not_found")):
        response = await client.post(f"/api/v1/parent-claims/{bad}/approve",
                                     headers={**teacher, **JSON})
        assert_error(response, status, code)
    # A platform admin may decide any claim.
    response = await client.post(f"/api/v1/parent-claims/{claim['id']}/reject",
                                 headers={**admin, **JSON})
    assert response.status_code == 200, response.text


REQUEST = """mutation($u: String!, $p: String!) { requestParentClaim(input: {username: $u,
  pin: $p}) { claim { id number status childName } } }"""
APPROVE = "mutation($id: ID!) { approveParentClaim(id: $id) { claim { status decidedAt } } }"
MINE = "{ myParentClaims { number status childName } }"


async def test_claims_in_graphql_follow_the_same_rules(client, services, smtp):
    teacher, kid, _, parent_headers = await _family(client, services)
    parent = as_bearer(parent_headers)
    made = (await gql(client, REQUEST, {"u": kid["username"], "p": kid["pin"]},
                      headers=parent))["requestParentClaim"]["claim"]
    assert made["status"] == "PENDING" and made["childName"] == "Sofia"
    denied = await gql_raw(client, APPROVE, {"id": made["id"]}, headers=parent)
    assert error_codes(denied) == ["FORBIDDEN"]
    approved = (await gql(client, APPROVE, {"id": made["id"]}, headers=as_bearer(teacher)))
    assert approved["approveParentClaim"]["claim"]["status"] == "APPROVED"
    assert (await gql(client, MINE, headers=parent))["myParentClaims"] == [
        {"number": made["number"], "status": "APPROVED", "childName": "Sofia"}]
    await smtp.wait_for("mum@example.com")
    bad = await gql_raw(client, REQUEST, {"u": kid["username"], "p": "x"}, headers=parent)
    assert error_codes(bad) == ["BAD_USER_INPUT"]
