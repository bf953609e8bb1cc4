"""2Sigma auth: check-email, register (with onboarding), login and refresh, over real HTTP."""

from __future__ import annotations

from sqlalchemy import select

from models.course import UserProfile, UserSubjectPreference
from models.user import User
from tests.fixtures import PASSWORD, create_user, gql, gql_raw
from tests.twosigma.learner_helpers import API, subject

STRONG = "SecurePass123"


async def register(client, **fields):
    body = {"email": "john@example.com", "password": STRONG, "full_name": "John Doe", **fields}
    return await client.post(f"{API}/auth/register", json=body)


def assert_tokens(body: dict) -> None:
    assert set(body) == {"access_token", "refresh_token", "token_type"}
    assert body["token_type"] == "bearer"
    assert body["access_token"] != body["refresh_token"]


# --- check-email ---------------------------------------------------------------------------

async def test_check_email_reports_availability_case_insensitively(client, user):
    response = await client.post(f"{API}/auth/check-email", json={"email": "free@example.com"})
    assert response.status_code == 200
    assert response.json() == {"available": True}
    response = await client.post(f"{API}/auth/check-email", json={"email": "ADA@example.com"})
    assert response.json() == {"available": False}


async def test_check_email_rejects_invalid_email_with_422(client):
    response = await client.post(f"{API}/auth/check-email", json={"email": "nope"})
    assert response.status_code == 422
    [error] = response.json()["detail"]
    assert error["loc"] == ["body", "email"]
    response = await client.post(f"{API}/auth/check-email", json={})
    assert response.status_code == 422
    assert response.json()["detail"][0]["type"] == "missing"


# --- register ------------------------------------------------------------------------------

async def test_register_returns_tokens_and_stores_settings(client, services):
    response = await register(client, locale="es", time_zone="America/New_York")
    assert response.status_code == 200, response.text
    assert_tokens(response.json())

    me = await client.get(f"{API}/users/me",
                          headers={"Authorization": f"Bearer {response.json()['access_token']}"})
    assert me.status_code == 200
    body = me.json()
    assert body == {"id": body["id"], "email": "john@example.com", "full_name": "John Doe",
                    "is_active": True, "locale": "es", "time_zone": "America/New_York",
                    "current_streak_days": 0, "last_activity_date": None,
                    "created_at": body["created_at"]}
    assert isinstance(body["id"], int) and body["created_at"].endswith("Z")


async def test_register_defaults_locale_and_time_zone(client, services):
    response = await client.post(f"{API}/auth/register",
                                 json={"email": "min@example.com", "password": STRONG})
    assert response.status_code == 200, response.text
    async with services.db.session() as session:
        row = (await session.execute(select(User).where(User.email == "min@example.com"))
               ).scalar_one()
    assert (row.locale, row.time_zone, row.display_name) == ("en", "UTC", "min")


async def test_register_rejects_a_duplicate_email_with_400(client, user):
    response = await register(client, email="Ada@Example.com")
    assert response.status_code == 400
    assert response.json() == {"detail": "Email already registered"}


async def test_register_validates_password_rules_with_422(client):
    cases = {"Short1": "between 8 and 128", "a1" * 65: "between 8 and 128",
             "onlyletters": "one letter and one digit", "12345678": "one letter and one digit"}
    for password, message in cases.items():
        response = await register(client, password=password)
        assert response.status_code == 422, password
        [error] = response.json()["detail"]
        assert error["loc"] == ["body", "password"]
        assert error["type"] == "value_error"
        assert message in error["msg"]


async def test_register_validates_time_zone_locale_and_email(client):
    response = await register(client, time_zone="Mars/Olympus")
    assert response.status_code == 422
    [error] = response.json()["detail"]
    assert error["loc"] == ["body", "time_zone"]
    assert "Unknown time zone" in error["msg"]

    response = await register(client, locale="english please")
    assert response.status_code == 422
    assert response.json()["detail"][0]["loc"] == ["body", "locale"]

    response = await register(client, email="not-an-email")
    assert response.status_code == 422
    assert response.json()["detail"][0]["loc"] == ["body", "email"]


async def test_openlearning_register_keeps_its_lenient_password_rule(client):
    response = await client.post("/api/auth/register",
                                 json={"email": "ol@example.com", "password": "onlyletters"})
    assert response.status_code == 200, response.text
    assert response.json() == {"ok": True}
    client.cookies.clear()
    response = await client.post("/api/auth/login",
                                 json={"email": "OL@example.com", "password": "onlyletters"})
    assert response.status_code == 200, response.text
    assert response.json() == {"ok": True}
    me = await client.get("/api/auth/me")
    assert me.status_code == 200
    assert me.json()["email"] == "ol@example.com"
    client.cookies.clear()
    response = await client.post(f"{API}/auth/login",
                                 json={"email": "ol@example.com", "password": "onlyletters"})
    assert response.status_code == 200, response.text
    assert_tokens(response.json())


# --- register-with-onboarding --------------------------------------------------------------

async def test_register_with_onboarding_stores_profile_and_subjects(client, services):
    math, physics = await subject(services, "Math"), await subject(services, "Physics")
    response = await client.post(f"{API}/auth/register-with-onboarding", json={
        "email": "onb@example.com", "password": STRONG, "full_name": "On Boarding",
        "profile": {"date_of_birth": "2000-01-01", "learning_goal": "CAREER_ADVANCEMENT",
                    "study_level": "UNDERGRADUATE", "grade": "SOPHOMORE"},
        "subject_preferences": [physics.id, math.id]})
    assert response.status_code == 200, response.text
    assert_tokens(response.json())
    async with services.db.session() as session:
        user = (await session.execute(select(User).where(User.email == "onb@example.com"))
                ).scalar_one()
        profile = await session.get(UserProfile, user.id)
        prefs = sorted((await session.execute(
            select(UserSubjectPreference.subject_id)
            .where(UserSubjectPreference.user_id == user.id))).scalars())
    assert (str(profile.date_of_birth), profile.learning_goal, profile.study_level,
            profile.grade) == ("2000-01-01", "CAREER_ADVANCEMENT", "UNDERGRADUATE", "SOPHOMORE")
    assert prefs == sorted([math.id, physics.id])


async def test_register_with_onboarding_rejects_unknown_subjects_and_keeps_no_user(
        client, services):
    math = await subject(services)
    response = await client.post(f"{API}/auth/register-with-onboarding", json={
        "email": "onb@example.com", "password": STRONG, "subject_preferences": [math.id, 999]})
    assert response.status_code == 400
    assert response.json() == {"detail": "Unknown subject ids: 999"}
    async with services.db.session() as session:
        assert (await session.execute(select(User))).first() is None


async def test_register_with_onboarding_validates_enums_with_422(client):
    response = await client.post(f"{API}/auth/register-with-onboarding", json={
        "email": "onb@example.com", "password": STRONG,
        "profile": {"learning_goal": "GET_RICH", "date_of_birth": "not a date"},
        "subject_preferences": ["x"]})
    assert response.status_code == 422
    locs = sorted(tuple(e["loc"]) for e in response.json()["detail"])
    assert locs == [("body", "profile", "date_of_birth"), ("body", "profile", "learning_goal"),
                    ("body", "subject_preferences", 0)]


async def test_a_birth_date_in_the_future_is_a_422(client):
    response = await client.post(f"{API}/auth/register-with-onboarding", json={
        "email": "onb@example.com", "password": STRONG,
        "profile": {"date_of_birth": "2999-01-01"}})
    assert response.status_code == 422
    [error] = response.json()["detail"]
    assert error["loc"] == ["body", "profile", "date_of_birth"]
    assert "date_of_birth must be in the past" in error["msg"]


# --- login ---------------------------------------------------------------------------------

async def test_login_returns_tokens_that_authenticate(client, user):
    response = await client.post(f"{API}/auth/login",
                                 json={"email": "ada@example.com", "password": PASSWORD})
    assert response.status_code == 200
    assert_tokens(response.json())
    me = await client.get(f"{API}/users/me",
                          headers={"Authorization": f"Bearer {response.json()['access_token']}"})
    assert me.json()["email"] == "ada@example.com"


async def test_login_rejects_wrong_credentials_with_401(client, user):
    for email, password in (("ada@example.com", "wrong password"),
                            ("nobody@example.com", PASSWORD)):
        response = await client.post(f"{API}/auth/login",
                                     json={"email": email, "password": password})
        assert response.status_code == 401
        assert response.json() == {"detail": "Invalid email or password"}
        assert response.headers["www-authenticate"] == "Bearer"


async def test_login_rejects_inactive_users_with_403(client, services):
    user = await create_user(services, email="gone@example.com")
    async with services.db.transaction() as session:
        (await session.get(User, user.id)).is_active = False
    response = await client.post(f"{API}/auth/login",
                                 json={"email": "gone@example.com", "password": PASSWORD})
    assert response.status_code == 403
    assert response.json() == {"detail": "Inactive user"}


async def test_login_is_rate_limited(client, services, user):
    limit = services.settings.rate_limit_login
    # A sliding window: the attempt after ``limit`` is refused, whenever the run started.
    for _ in range(limit):
        response = await client.post(f"{API}/auth/login",
                                     json={"email": "ada@example.com", "password": "x"})
        assert response.status_code == 401
    response = await client.post(f"{API}/auth/login",
                                 json={"email": "ada@example.com", "password": "x"})
    assert response.status_code == 429
    assert int(response.headers["retry-after"]) >= 1
    assert "detail" in response.json()


# --- refresh -------------------------------------------------------------------------------

async def test_refresh_rotates_and_detects_reuse(client, user):
    tokens = (await client.post(f"{API}/auth/login",
                                json={"email": "ada@example.com", "password": PASSWORD})).json()
    first = {"Authorization": f"Bearer {tokens['refresh_token']}"}
    response = await client.post(f"{API}/auth/refresh", headers=first)
    assert response.status_code == 200
    rotated = response.json()
    assert_tokens(rotated)
    assert rotated["refresh_token"] != tokens["refresh_token"]
    fresh = await client.get(f"{API}/users/me",
                             headers={"Authorization": f"Bearer {rotated['access_token']}"})
    assert (fresh.status_code, fresh.json()["email"]) == (200, "ada@example.com")

    reused = await client.post(f"{API}/auth/refresh", headers=first)
    assert reused.status_code == 401
    assert "reuse" in reused.json()["detail"]
    # The whole session is revoked: the rotated token and its access token stop working.
    again = await client.post(f"{API}/auth/refresh",
                              headers={"Authorization": f"Bearer {rotated['refresh_token']}"})
    assert again.status_code == 401
    me = await client.get(f"{API}/users/me",
                          headers={"Authorization": f"Bearer {rotated['access_token']}"})
    assert me.status_code == 401


async def test_refresh_stops_for_deactivated_users(client, services, user):
    tokens = (await client.post(f"{API}/auth/login",
                                json={"email": "ada@example.com", "password": PASSWORD})).json()
    async with services.db.transaction() as session:
        (await session.get(User, user.id)).is_active = False
    response = await client.post(f"{API}/auth/refresh",
                                 headers={"Authorization": f"Bearer {tokens['refresh_token']}"})
    assert response.status_code == 403
    assert response.json() == {"detail": "Inactive user"}


async def test_refresh_requires_a_refresh_token(client, user):
    response = await client.post(f"{API}/auth/refresh")
    assert response.status_code == 401
    assert response.json() == {"detail": "Not authenticated"}
    tokens = (await client.post(f"{API}/auth/login",
                                json={"email": "ada@example.com", "password": PASSWORD})).json()
    response = await client.post(f"{API}/auth/refresh",
                                 headers={"Authorization": f"Bearer {tokens['access_token']}"})
    assert response.status_code == 401
    response = await client.post(f"{API}/auth/refresh", headers={"Authorization": "Bearer junk"})
    assert response.status_code == 401


# --- GraphQL -------------------------------------------------------------------------------

CHECK_EMAIL = "query($e: String!) { checkEmail(email: $e) }"
REGISTER = """
mutation($input: RegisterInput!) {
  register(input: $input) {
    accessToken
    user { fullName locale timeZone subjectPreferences
           profile { dateOfBirth learningGoal studyLevel grade } }
  }
}"""


async def test_graphql_check_email(client, user):
    assert (await gql(client, CHECK_EMAIL, {"e": "ada@example.com"}))["checkEmail"] is False
    assert (await gql(client, CHECK_EMAIL, {"e": "new@example.com"}))["checkEmail"] is True
    body = await gql_raw(client, CHECK_EMAIL, {"e": "bad"})
    assert body["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT"


async def test_graphql_register_with_onboarding(client, services):
    from strawberry import relay

    math = await subject(services)
    data = await gql(client, REGISTER, {"input": {
        "email": "g@example.com", "password": PASSWORD, "displayName": "Gee",
        "locale": "fr", "timeZone": "Europe/Paris",
        "profile": {"learningGoal": "ACADEMIC", "grade": "JUNIOR"},
        "subjectPreferences": [relay.to_base64("Subject", str(math.id))]}})
    user = data["register"]["user"]
    assert user == {"fullName": "Gee", "locale": "fr", "timeZone": "Europe/Paris",
                    "subjectPreferences": [relay.to_base64("Subject", str(math.id))],
                    "profile": {"dateOfBirth": None, "learningGoal": "ACADEMIC",
                                "studyLevel": None, "grade": "JUNIOR"}}

    body = await gql_raw(client, REGISTER, {"input": {
        "email": "h@example.com", "password": PASSWORD, "timeZone": "Nowhere/Land"}})
    assert body["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT"


def test_face_serves_every_documented_learner_endpoint():
    from rest_compat.twosigma import FACE
    from tests.rest_compat.test_faces import documented

    served = {(route.method, FACE.base + route.path) for route in FACE.routes}
    wanted = documented("twosigma", under=("/api/v1/auth/", "/api/v1/users/",
                                           "/api/v1/progress/"))
    assert len(wanted) == 14
    assert wanted <= served
