"""The account center (§4.9, §25.1–25.2): registration with a verification mail read from
a real SMTP server, verification, resend, password reset, adult and child sign-in with
their limits, and the session other services check; the same in GraphQL."""

from __future__ import annotations

import asyncio
import hashlib
from datetime import timedelta

import httpx
from sqlalchemy import func, select, update
from strawberry import relay

from core.app import create_face_app
from models.jobs import Job
from models.user import AccountToken, ChildCredential, User
from resolvers import roster
from tests.fakes.smtp_server import FakeSmtp
from tests.fixtures import (
    INTERNAL_KEY,
    bearer_for,
    create_user,
    error_codes,
    gql,
    gql_raw,
    start_instance,
    start_server,
)
from tests.pickatale.helpers import assert_error, new_key

AC = "/compat/pickatale-account-center/api/auth"
PASSWORD = "reading rocks 42"
TEACHER = {"name": "Tess Teacher", "email": "tess@example.com", "password": PASSWORD,
           "role": "teacher", "school_name": "Hill School"}


async def _register(http, body: dict | None = None, **headers) -> httpx.Response:
    return await http.post(f"{AC}/register", json=body or TEACHER,
                           headers={**new_key(), **headers})


async def _registered(http, smtp: FakeSmtp, body: dict | None = None) -> tuple[str, str]:
    """A registered account's id and the token its verification mail carries."""
    body = body or TEACHER
    response = await _register(http, body)
    assert response.status_code == 200, response.text
    [message] = await smtp.wait_for(body["email"].lower())
    return response.json()["user_id"], FakeSmtp.token(message)


async def _verified(http, smtp, body: dict | None = None) -> str:
    user_id, token = await _registered(http, smtp, body)
    assert (await http.post(f"{AC}/verify-email", json={"token": token})).status_code == 200
    return user_id


# ----------------------------------------------------------------- registration


async def test_register_mail_verify_and_the_session_end_to_end(client, services, smtp):
    response = await _register(client)
    assert response.status_code == 200, response.text
    body = response.json()
    assert body == {"ok": True, "user_id": body["user_id"], "state": "pending_verification"}
    [message] = await smtp.wait_for("tess@example.com")
    assert message["Subject"] == "Confirm your email address"
    assert message["From"] == "Pickatale <no-reply@example.com>"
    assert "https://accounts.example.com/verify-email?token=" in message.get_content()
    token = FakeSmtp.token(message)
    # Only the token's hash is kept.
    async with services.db.session() as session:
        row = (await session.execute(select(AccountToken))).scalar_one()
        user = await session.get(User, row.user_id)
    assert row.token_hash == hashlib.sha256(token.encode()).hexdigest()
    assert (row.purpose, str(user.id)) == ("verify_email", body["user_id"])
    assert (user.roles, user.display_name, user.school_name) == (
        ["TEACHER"], "Tess Teacher", "Hill School")
    assert user.pending_verification and user.password_hash.startswith("$argon2id$")
    # Not yet: the address is unconfirmed.
    denied = assert_error(await client.post(f"{AC}/login", json={
        "email": "tess@example.com", "password": PASSWORD}), 403, "email_not_verified")
    assert denied["details"] == {"state": "pending_verification"}

    verified = await client.post(f"{AC}/verify-email", json={"token": token})
    assert verified.status_code == 200 and verified.json() == {"ok": True}
    cookie = verified.headers["set-cookie"]
    assert cookie.startswith("uc_session=") and "HttpOnly" in cookie and "SameSite=lax" in cookie
    session = await client.get(f"{AC}/session")
    assert session.status_code == 200
    assert session.json() == {"valid": True, "user_id": body["user_id"], "role": "teacher",
                              "name": "Tess Teacher", "email": "tess@example.com",
                              "school_id": None}
    # The same cookie is the account's session on the rest of the platform.
    assert (await client.get("/api/billing/subscription")).json()["state"] == "trialing"
    # Single use; unknown tokens are 404.
    assert_error(await client.post(f"{AC}/verify-email", json={"token": token}),
                 410, "token_expired")
    assert_error(await client.post(f"{AC}/verify-email", json={"token": "nope"}),
                 404, "token_not_found")


async def test_an_expired_verification_link_is_gone(client, services, smtp):
    _, token = await _registered(client, smtp)
    async with services.db.transaction() as session:
        await session.execute(update(AccountToken).values(
            expires_at=func.now() - timedelta(seconds=1)))
    assert_error(await client.post(f"{AC}/verify-email", json={"token": token}),
                 410, "token_expired")


async def test_register_refuses_bad_input_in_the_documented_shape(client, services, smtp):
    assert_error(await client.post(f"{AC}/register", json=TEACHER), 400,
                 "idempotency_key_required")
    cases = [({**TEACHER, "role": "child"}, 422, "validation_failed"),
             ({**TEACHER, "email": "not an email"}, 422, "validation_failed"),
             ({**TEACHER, "name": "   "}, 422, "validation_failed"),
             ({**TEACHER, "password": "short1"}, 422, "weak_password"),
             ({**TEACHER, "password": "onlyletters"}, 422, "weak_password"),
             ({**TEACHER, "name": "x" * 201}, 422, "validation_failed"),
             ({"email": "a@example.com"}, 400, "bad_request"),
             ([1, 2], 400, "bad_request")]
    for body, status, code in cases:
        assert_error(await client.post(f"{AC}/register", json=body, headers=new_key()),
                     status, code)
    assert_error(await client.post(f"{AC}/register", content=b"{nope",
                                   headers={**new_key(), "Content-Type": "application/json"}),
                 400, "bad_request")
    async with services.db.session() as session:
        assert (await session.execute(select(func.count()).select_from(User))).scalar() == 0


async def test_a_taken_email_is_409_and_a_replayed_key_registers_once(client, services, smtp):
    key = new_key()
    first = await client.post(f"{AC}/register", json=TEACHER, headers=key)
    again = await client.post(f"{AC}/register", json=TEACHER, headers=key)
    assert first.status_code == again.status_code == 200
    assert again.content == first.content and again.headers["idempotent-replayed"] == "true"
    taken = await _register(client, {**TEACHER, "email": "TESS@example.COM"})
    assert_error(taken, 409, "email_taken")
    await smtp.wait_for("tess@example.com")
    await asyncio.sleep(0.3)
    assert len(smtp.to("tess@example.com")) == 1


async def test_concurrent_registrations_with_one_key_on_two_instances_create_one_account(
        client, services, smtp, database_url):
    other = await start_instance(database_url)
    key = new_key()
    try:
        async with httpx.AsyncClient(base_url=other.base_url, timeout=10) as second:
            responses = await asyncio.gather(*(
                (client if i % 2 else second).post(f"{AC}/register", json=TEACHER, headers=key)
                for i in range(6)))
    finally:
        await other.stop()
    assert {r.status_code for r in responses} <= {200, 409}, [r.text for r in responses]
    done = [r for r in responses if r.status_code == 200]
    assert done and all(r.content == done[0].content for r in done)
    for response in responses:
        if response.status_code == 409:
            assert response.json()["error"] == "request_in_flight"
    async with services.db.session() as session:
        assert (await session.execute(select(func.count()).select_from(User))).scalar() == 1


async def test_without_a_mail_server_nothing_is_created(client, services, database_url):
    other = await start_instance(database_url, smtp_host=None)
    try:
        async with httpx.AsyncClient(base_url=other.base_url, timeout=10) as http:
            assert_error(await _register(http), 503, "email_unavailable")
    finally:
        await other.stop()
    async with services.db.session() as session:
        assert (await session.execute(select(func.count()).select_from(User))).scalar() == 0


async def test_a_mail_server_that_refuses_delays_the_mail_not_the_registration(
        client, services, smtp):
    smtp.refuse = True
    response = await _register(client)
    assert response.status_code == 200, response.text

    async def failed_once() -> bool:
        async with services.db.session() as session:
            job = (await session.execute(select(Job).where(
                Job.kind == "accounts.mail"))).scalar_one()
        return job.attempts >= 1 and job.last_error is not None

    for _ in range(200):
        if await failed_once():
            break
        await asyncio.sleep(0.05)
    assert await failed_once()
    smtp.refuse = False
    # The queue tries again (after its backoff) and the link arrives.
    [message] = await smtp.wait_for("tess@example.com", seconds=30)
    assert (await client.post(f"{AC}/verify-email",
                              json={"token": FakeSmtp.token(message)})).status_code == 200


# ----------------------------------------------------------------- resend


async def test_resend_answers_alike_for_every_address_and_stops_at_3_an_hour(
        client, services, smtp):
    await _registered(client, smtp)
    for email in ("tess@example.com", "nobody@example.com", "not an address"):
        response = await client.post(f"{AC}/resend-verification", json={"email": email})
        assert response.status_code == 200 and response.json() == {"ok": True}
    messages = await smtp.wait_for("tess@example.com", count=2)
    # Each link works: a new mail does not void the one before.
    first, second = (FakeSmtp.token(m) for m in messages)
    assert first != second
    assert (await client.post(f"{AC}/verify-email", json={"token": second})).status_code == 200
    await asyncio.sleep(0.3)
    assert smtp.to("nobody@example.com") == []
    # 3 an hour per address, whether or not it has an account: both had one already.
    for email in ("tess@example.com", "nobody@example.com"):
        statuses = [(await client.post(f"{AC}/resend-verification",
                                       json={"email": email})).status_code for _ in range(3)]
        assert statuses == [200, 200, 429]
    limited = await client.post(f"{AC}/resend-verification", json={"email": "nobody@example.com"})
    assert_error(limited, 429, "rate_limited")
    assert 3000 < int(limited.headers["retry-after"]) <= 3600
    # A verified account gets no more verification mails.
    assert len(smtp.to("tess@example.com")) == 2


# ----------------------------------------------------------------- password reset


async def test_forgot_and_reset_password(client, services, smtp, new_client):
    await _verified(client, smtp)
    old_session = client.cookies.get("uc_session")
    for email in ("nobody@example.com", "tess@example.com"):
        response = await client.post(f"{AC}/forgot-password", json={"email": email})
        assert response.status_code == 200 and response.json() == {"ok": True}
    [_, message] = await smtp.wait_for("tess@example.com", count=2)
    assert message["Subject"] == "Reset your password"
    token = FakeSmtp.token(message)
    assert "https://accounts.example.com/reset-password?token=" in message.get_content()
    assert smtp.to("nobody@example.com") == []

    for weak in ("short1", "nodigitshere", "tess@example.com"):
        assert_error(await client.post(f"{AC}/reset-password",
                                       json={"token": token, "password": weak}),
                     422, "weak_password")
    # A weak attempt does not use the token up.
    new_password = "a brand new 99"
    response = await client.post(f"{AC}/reset-password",
                                 json={"token": token, "password": new_password})
    assert response.status_code == 200 and response.json() == {"ok": True}
    assert_error(await client.post(f"{AC}/reset-password",
                                   json={"token": token, "password": new_password}),
                 410, "token_expired")
    assert_error(await client.post(f"{AC}/reset-password",
                                   json={"token": "unknown", "password": new_password}),
                 404, "token_not_found")
    # Every session of the account ended; only the new password signs in.
    http = new_client()
    http.cookies.set("uc_session", old_session)
    assert_error(await http.get(f"{AC}/session"), 401, "unauthenticated")
    assert_error(await client.post(f"{AC}/login", json={"email": "tess@example.com",
                                                         "password": PASSWORD}),
                 401, "invalid_credentials")
    signed_in = await client.post(f"{AC}/login", json={"email": "tess@example.com",
                                                        "password": new_password})
    assert signed_in.status_code == 200 and signed_in.json() == {"ok": True, "role": "teacher"}


async def test_an_expired_reset_link_is_gone(client, services, smtp):
    await _verified(client, smtp)
    await client.post(f"{AC}/forgot-password", json={"email": "tess@example.com"})
    [_, message] = await smtp.wait_for("tess@example.com", count=2)
    async with services.db.transaction() as session:
        await session.execute(update(AccountToken).values(
            expires_at=func.now() - timedelta(seconds=1)))
    assert_error(await client.post(f"{AC}/reset-password", json={
        "token": FakeSmtp.token(message), "password": "a brand new 99"}), 410, "token_expired")


# ----------------------------------------------------------------- sign-in


async def test_login_sets_uc_session_for_every_adult_role(client, services, new_client):
    for role, named in (("TEACHER", "teacher"), ("PARENT", "parent"),
                        ("SCHOOL_ADMIN", "admin"), ("PLATFORM_ADMIN", "admin")):
        user = await create_user(services, email=f"{role.lower()}@example.com", roles=[role],
                                 password=PASSWORD)
        http = new_client()
        response = await http.post(f"{AC}/login", json={"email": user.email.upper(),
                                                         "password": PASSWORD})
        assert response.status_code == 200, response.text
        assert response.json() == {"ok": True, "role": named}
        session = (await http.get(f"{AC}/session")).json()
        assert (session["user_id"], session["role"]) == (str(user.id), named)


async def test_login_is_5_per_15_minutes_per_address(client, services):
    await create_user(services, email="t@example.com", roles=["TEACHER"], password=PASSWORD)
    statuses = [(await client.post(f"{AC}/login", json={
        "email": "t@example.com", "password": PASSWORD})).status_code for _ in range(6)]
    assert statuses == [200] * 5 + [429]
    limited = await client.post(f"{AC}/forgot-password", json={"email": "t@example.com"})
    assert_error(limited, 429, "rate_limited")
    assert 800 < int(limited.headers["retry-after"]) <= 900


async def test_repeated_failures_lock_the_account_with_423(client, services, database_url):
    other = await start_instance(database_url, reading_auth_rate_limit=50)
    await create_user(services, email="t@example.com", roles=["TEACHER"], password=PASSWORD)
    try:
        async with httpx.AsyncClient(base_url=other.base_url, timeout=10) as http:
            for _ in range(5):
                assert_error(await http.post(f"{AC}/login", json={
                    "email": "t@example.com", "password": "wrong 12345"}),
                    401, "invalid_credentials")
            locked = await http.post(f"{AC}/login", json={"email": "T@example.com",
                                                           "password": PASSWORD})
            assert_error(locked, 423, "account_locked")
            assert 800 < int(locked.headers["retry-after"]) <= 900
            # An unknown address locks the same way (no enumeration).
            for _ in range(6):
                last = await http.post(f"{AC}/login", json={"email": "ghost@example.com",
                                                             "password": "wrong 12345"})
            assert_error(last, 423, "account_locked")
    finally:
        await other.stop()


async def _child(services, username: str = "sofia001", pin: str = "4821") -> User:
    """A child's account as a teacher's roster makes it."""
    child = User(display_name="Sofia", roles=["CHILD"])
    async with services.db.transaction() as session:
        session.add(child)
        await session.flush()
        session.add(ChildCredential(user_id=child.id, username=username,
                                    pin_hash=await roster.hash_pin(pin)))
    return child


async def test_a_child_signs_in_with_username_and_pin(client, services):
    child = await _child(services)
    response = await client.post(f"{AC}/child-login", json={"username": "Sofia001",
                                                             "pin": "4821"})
    assert response.status_code == 200, response.text
    assert response.json() == {"ok": True, "role": "child", "user_id": str(child.id),
                               "name": "Sofia"}
    assert response.headers["set-cookie"].startswith("uc_session=")
    assert (await client.get(f"{AC}/session")).json() == {
        "valid": True, "user_id": str(child.id), "role": "child", "name": "Sofia",
        "email": None, "school_id": None}
    assert_error(await client.post(f"{AC}/child-login", json={"username": "sofia001",
                                                               "pin": "0000"}),
                 401, "invalid_credentials")
    assert_error(await client.post(f"{AC}/child-login", json={"username": "sofia001"}),
                 400, "bad_request")


async def test_child_login_is_10_per_15_minutes_per_address(client, services):
    statuses = [(await client.post(f"{AC}/child-login", json={
        "username": f"nobody{i}", "pin": "1234"})).status_code for i in range(11)]
    assert statuses == [401] * 10 + [429]


async def test_wrong_pins_lock_the_childs_sign_in(client, services, database_url):
    await _child(services)
    other = await start_instance(database_url, reading_child_login_rate_limit=50)
    try:
        async with httpx.AsyncClient(base_url=other.base_url, timeout=10) as http:
            for _ in range(5):
                assert (await http.post(f"{AC}/child-login", json={
                    "username": "sofia001", "pin": "9999"})).status_code == 401
            assert_error(await http.post(f"{AC}/child-login", json={
                "username": "sofia001", "pin": "4821"}), 423, "account_locked")
    finally:
        await other.stop()


async def test_the_session_takes_only_uc_session(client, services):
    assert_error(await client.get(f"{AC}/session"), 401, "unauthenticated")
    assert_error(await client.get(f"{AC}/session", headers={"X-Internal-Key": INTERNAL_KEY}),
                 401, "unauthenticated")
    client.cookies.set("uc_session", "forged")
    assert_error(await client.get(f"{AC}/session"), 401, "unauthenticated")
    client.cookies.clear()
    learner = await create_user(services, email="l@example.com")
    assert_error(await client.get(f"{AC}/session", headers=await bearer_for(services, learner)),
                 403, "forbidden")


async def test_the_face_on_its_own_port(client, services):
    running = await start_server(create_face_app("pickatale-account-center",
                                                 services=services))
    await create_user(services, email="t@example.com", roles=["TEACHER"], password=PASSWORD)
    try:
        async with httpx.AsyncClient(base_url=running.base_url, timeout=10) as http:
            response = await http.post("/api/auth/login", json={"email": "t@example.com",
                                                                 "password": PASSWORD})
            assert response.json() == {"ok": True, "role": "teacher"}
            assert (await http.get("/api/auth/session")).json()["role"] == "teacher"
    finally:
        await running.stop()


# ----------------------------------------------------------------- GraphQL

REGISTER = """mutation($input: RegisterAccountInput!) {
  registerAccount(input: $input) { userId state } }"""
VERIFY = """mutation($token: String!) {
  verifyAccountEmail(token: $token) { session { userId role name email } expiresAt } }"""
SESSION = "{ accountSession { userId role name email } }"
LOGIN = """mutation($email: String!, $password: String!) {
  accountLogin(email: $email, password: $password) { session { role } } }"""
CHILD = """mutation($username: String!, $pin: String!) {
  childLogin(username: $username, pin: $pin) { session { userId role email } } }"""
RESET = """mutation($token: String!, $password: String!) {
  resetAccountPassword(token: $token, password: $password) { ok } }"""


async def test_the_same_flows_in_graphql(client, services, smtp, new_client):
    data = await gql(client, REGISTER, {"input": {
        "name": "Pat", "email": "pat@example.com", "password": PASSWORD, "role": "PARENT"}})
    user_id = data["registerAccount"]["userId"]
    assert relay.from_base64(user_id)[0] == "User"
    assert data["registerAccount"]["state"] == "PENDING_VERIFICATION"
    [message] = await smtp.wait_for("pat@example.com")
    body = await gql_raw(client, LOGIN, {"email": "pat@example.com", "password": PASSWORD})
    assert error_codes(body) == ["email_not_verified"]
    data = await gql(client, VERIFY, {"token": FakeSmtp.token(message)})
    assert data["verifyAccountEmail"]["session"] == {
        "userId": user_id, "role": "PARENT", "name": "Pat", "email": "pat@example.com"}
    # The cookie it set is the account's session.
    assert (await gql(client, SESSION))["accountSession"]["userId"] == user_id
    body = await gql_raw(client, VERIFY, {"token": FakeSmtp.token(message)})
    assert error_codes(body) == ["token_expired"]
    body = await gql_raw(client, RESET, {"token": "x", "password": "weak"})
    assert error_codes(body) == ["weak_password"]
    child = await _child(services)
    http = new_client()
    data = await gql(http, CHILD, {"username": "sofia001", "pin": "4821"})
    assert data["childLogin"]["session"] == {
        "userId": relay.to_base64("User", str(child.id)), "role": "CHILD", "email": None}
    assert error_codes(await gql_raw(new_client(), SESSION)) == ["UNAUTHENTICATED"]


async def test_who_may_read_the_session(client, services, new_client):
    """The authorization matrix of GET /session: credential × role."""
    expected = {"CHILD": (200, "child"), "TEACHER": (200, "teacher"),
                "PARENT": (200, "parent"), "SCHOOL_ADMIN": (200, "admin"),
                "PLATFORM_ADMIN": (200, "admin"), "STUDENT": (403, None)}
    for role, (status, named) in expected.items():
        user = await create_user(services, email=f"{role.lower()}@example.com",
                                 roles=[] if role == "STUDENT" else [role])
        headers = await bearer_for(services, user)
        # As a uc_session cookie (what the account center sets) and as a Bearer token.
        http = new_client()
        http.cookies.set("uc_session", headers["Authorization"].removeprefix("Bearer "))
        for response in (await http.get(f"{AC}/session"),
                         await client.get(f"{AC}/session", headers=headers)):
            assert response.status_code == status, (role, response.text)
            if named:
                assert response.json()["role"] == named
    for headers in ({}, {"X-Internal-Key": INTERNAL_KEY}, {"X-Internal-Key": "wrong"},
                    {"Authorization": "Bearer nope"}):
        response = await client.get(f"{AC}/session", headers=headers)
        assert_error(response, 401, "unauthenticated")
