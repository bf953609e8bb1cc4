"""2Sigma users: me, update, public/private profiles, listing, overview; GraphQL twins."""

from __future__ import annotations

from datetime import UTC, datetime

from strawberry import relay

from core.pagination import encode_cursor
from models.course import UserSubjectPreference
from models.learning import LearningActivity
from models.user import User
from tests.fixtures import bearer_for, create_user, error_codes, gql, gql_raw
from tests.twosigma.learner_helpers import (
    API,
    add,
    course,
    enroll,
    offering,
    subject,
)


def gid(user) -> str:
    return relay.to_base64("User", str(user.id))


PUBLIC_KEYS = {"id", "full_name", "created_at"}
PRIVATE_KEYS = {"id", "email", "full_name", "is_active", "locale", "time_zone",
                "current_streak_days", "last_activity_date", "created_at"}


async def test_me_requires_a_token(client):
    for method, path in (("GET", "/users/me"), ("PUT", "/users/me"),
                         ("GET", "/users/me/overview"), ("GET", "/users/"),
                         ("GET", "/users/1")):
        response = await client.request(method, API + path, json={})
        assert response.status_code == 401, path
        assert response.json() == {"detail": "Not authenticated"}
        assert response.headers["www-authenticate"] == "Bearer"


async def test_me_shows_the_documented_fields(client, services, user):
    response = await client.get(f"{API}/users/me", headers=await bearer_for(services, user))
    assert response.status_code == 200
    assert response.json() == {
        "id": user.number, "email": "ada@example.com", "full_name": "Ada", "is_active": True,
        "locale": "en", "time_zone": "UTC", "current_streak_days": 0,
        "last_activity_date": None,
        "created_at": user.created_at.astimezone(UTC).isoformat().replace("+00:00", "Z")}


async def test_update_me_changes_only_sent_fields(client, services, user):
    headers = await bearer_for(services, user)
    response = await client.put(f"{API}/users/me", headers=headers,
                                json={"full_name": "Jane Doe", "time_zone": "America/New_York"})
    assert response.status_code == 200
    body = response.json()
    assert (body["full_name"], body["locale"], body["time_zone"]) == (
        "Jane Doe", "en", "America/New_York")
    response = await client.put(f"{API}/users/me", headers=headers, json={"locale": "es"})
    assert (response.json()["full_name"], response.json()["locale"]) == ("Jane Doe", "es")
    assert (await client.get(f"{API}/users/me", headers=headers)).json()["locale"] == "es"


async def test_update_me_validates_with_422(client, services, user):
    headers = await bearer_for(services, user)
    before = (await client.get(f"{API}/users/me", headers=headers)).json()
    for field, value in (("time_zone", "Moon/Base"), ("locale", "!!"), ("full_name", "  ")):
        response = await client.put(f"{API}/users/me", headers=headers,
                                    json={"full_name": "Changed", field: value})
        assert response.status_code == 422, field
        [error] = response.json()["detail"]
        assert error["loc"] == ["body", field]
    assert (await client.get(f"{API}/users/me", headers=headers)).json() == before


async def test_get_user_shows_public_profile_to_others_and_all_to_self_and_admins(
        client, services, user):
    bob = await create_user(services, email="bob@example.com", display_name="Bob")
    admin = await create_user(services, email="root@example.com", roles=["PLATFORM_ADMIN"])

    other = await client.get(f"{API}/users/{user.number}", headers=await bearer_for(services, bob))
    assert other.status_code == 200
    created_at = user.created_at.astimezone(UTC).isoformat().replace("+00:00", "Z")
    assert other.json() == {"id": user.number, "full_name": "Ada", "created_at": created_at}

    own = await client.get(f"{API}/users/{user.number}", headers=await bearer_for(services, user))
    me = {"id": user.number, "email": "ada@example.com", "full_name": "Ada", "is_active": True,
          "locale": "en", "time_zone": "UTC", "current_streak_days": 0,
          "last_activity_date": None, "created_at": created_at}
    assert set(me) == PRIVATE_KEYS
    assert own.json() == me
    by_admin = await client.get(f"{API}/users/{user.number}",
                                headers=await bearer_for(services, admin))
    assert by_admin.json() == me


async def test_get_user_404_and_422(client, services, user):
    headers = await bearer_for(services, user)
    response = await client.get(f"{API}/users/999999", headers=headers)
    assert response.status_code == 404
    assert response.json() == {"detail": "User not found"}
    response = await client.get(f"{API}/users/abc", headers=headers)
    assert response.status_code == 422
    assert response.json()["detail"][0]["loc"] == ["path", "user_id"]


async def test_list_users_pages_with_skip_and_limit(client, services, user):
    others = [await create_user(services, email=f"u{i}@example.com", display_name=f"U{i}")
              for i in range(3)]
    headers = await bearer_for(services, user)
    response = await client.get(f"{API}/users/", headers=headers)
    assert response.status_code == 200
    body = response.json()
    assert [u["id"] for u in body] == [user.number] + [o.number for o in others]
    assert set(body[0]) == PRIVATE_KEYS and set(body[1]) == PUBLIC_KEYS

    page = (await client.get(f"{API}/users/", params={"skip": 1, "limit": 2},
                             headers=headers)).json()
    assert [u["full_name"] for u in page] == ["U0", "U1"]
    assert (await client.get(f"{API}/users/", params={"skip": 10},
                             headers=headers)).json() == []
    for params in ({"limit": 0}, {"limit": 101}, {"skip": -1}, {"limit": "x"}):
        response = await client.get(f"{API}/users/", params=params, headers=headers)
        assert response.status_code == 422, params
        assert response.json()["detail"][0]["loc"][0] == "query"
    response = await client.get(f"{API}/users/", params={"limit": 100}, headers=headers)
    assert response.status_code == 200
    assert response.json() == body


async def test_overview_lists_enrollments_recommendations_activity_and_stats(
        client, services, user):
    math, art = await subject(services, "Math"), await subject(services, "Art")
    taken = await course(services, title="Algebra", code="M1", subject_id=math.id)
    done = await course(services, title="Geometry", code="M2", subject_id=math.id)
    await course(services, title="Draft", code="M3", subject_id=math.id, published=False)
    await course(services, title="Painting", code="A1", subject_id=art.id)
    suggested = await course(services, title="Calculus", code="M4", subject_id=math.id)
    await add(services, UserSubjectPreference(user_id=user.id, subject_id=math.id))
    term = await offering(services, taken)
    enrollment = await enroll(services, user, term)
    await enroll(services, user, await offering(services, done), status="COMPLETED")
    now = datetime.now(UTC)
    for i in range(12):
        await add(services, LearningActivity(user_id=user.id, kind="NOTE", summary=f"n{i}",
                                             occurred_at=now.replace(microsecond=i),
                                             local_date=now.date()))
    async with services.db.transaction() as session:
        row = await session.get(User, user.id)
        row.current_streak_days, row.last_activity_date = 4, now.date()

    response = await client.get(f"{API}/users/me/overview",
                                headers=await bearer_for(services, user))
    assert response.status_code == 200
    body = response.json()
    assert body["stats"] == {"completed_courses": 1, "current_streak": 4}
    assert body["active_enrollments"] == [{
        "id": enrollment.id, "user_id": user.number, "course_offering_id": term.id,
        "status": "ACTIVE",
        "enrolled_at": enrollment.enrolled_at.astimezone(UTC).isoformat().replace("+00:00", "Z"),
        "completed_at": None,
        "course_offering": {"id": term.id, "term_name": "Spring 2026", "starts_at": None,
                            "ends_at": None,
                            "course": {"id": taken.id, "title": "Algebra", "code": "M1"}}}]
    assert [c["title"] for c in body["recommended_courses"]] == ["Calculus"]
    assert body["recommended_courses"][0] == {
        "id": suggested.id, "title": "Calculus", "code": "M4", "description": "",
        "level": "INTRODUCTORY", "credit_hours": 0, "is_published": True,
        "university_id": None, "department_id": None, "primary_subject_id": math.id}
    assert [a["summary"] for a in body["recent_activity"]] == [f"n{i}" for i in
                                                              range(11, 1, -1)]
    assert set(body["recent_activity"][0]) == {"id", "kind", "course_id", "module_id",
                                               "content_item_id", "summary", "occurred_at",
                                               "local_date"}


async def test_overview_of_a_new_user_is_empty(client, services, user):
    response = await client.get(f"{API}/users/me/overview",
                                headers=await bearer_for(services, user))
    assert response.json() == {"active_enrollments": [], "recommended_courses": [],
                               "recent_activity": [],
                               "stats": {"completed_courses": 0, "current_streak": 0}}


# --- GraphQL -------------------------------------------------------------------------------

NODE = """
query($id: ID!) { node(id: $id) { ... on User { fullName number email locale timeZone
  isActive currentStreakDays lastActivityDate profile { grade } subjectPreferences } } }"""
UPDATE_ME = """
mutation($input: UpdateMeInput!) {
  updateMe(input: $input) { user { fullName locale timeZone } }
}"""
SET_ROLES = """
mutation($input: SetUserRolesInput!) { setUserRoles(input: $input) { user { roles } } }"""
OVERVIEW = """
{ viewerOverview { completedCourses currentStreak recentActivity { kind summary }
  activeEnrollments { status termName course { title code } }
  recommendedCourses { title } } }"""


async def test_graphql_private_fields_are_for_self_and_admins(client, services, user):
    bob = await create_user(services, email="bob@example.com", display_name="Bob")
    node = (await gql(client, NODE, {"id": gid(user)},
                      headers=await bearer_for(services, bob)))["node"]
    assert node == {"fullName": "Ada", "number": user.number, "email": None, "locale": None,
                    "timeZone": None, "isActive": None, "currentStreakDays": None,
                    "lastActivityDate": None, "profile": None, "subjectPreferences": None}
    own = (await gql(client, NODE, {"id": gid(user)},
                     headers=await bearer_for(services, user)))["node"]
    assert own == {"fullName": "Ada", "number": user.number, "email": "ada@example.com",
                   "locale": "en", "timeZone": "UTC", "isActive": True, "currentStreakDays": 0,
                   "lastActivityDate": None, "profile": None, "subjectPreferences": []}


async def test_graphql_update_me(client, services, user):
    headers = await bearer_for(services, user)
    data = await gql(client, UPDATE_ME, {"input": {"fullName": "Ada L", "locale": "pt-BR",
                                                   "timeZone": "Asia/Tokyo"}}, headers=headers)
    assert data["updateMe"]["user"] == {"fullName": "Ada L", "locale": "pt-BR",
                                        "timeZone": "Asia/Tokyo"}
    body = await gql_raw(client, UPDATE_ME, {"input": {"timeZone": "Nope"}}, headers=headers)
    assert error_codes(body) == ["BAD_USER_INPUT"]
    body = await gql_raw(client, UPDATE_ME, {"input": {"locale": "en"}})
    assert error_codes(body) == ["UNAUTHENTICATED"]


async def test_graphql_set_user_roles_is_for_admins(client, services, user):
    admin = await create_user(services, email="root@example.com", roles=["PLATFORM_ADMIN"])
    body = await gql_raw(client, SET_ROLES, {"input": {"userId": gid(user),
                                                       "roles": ["INSTRUCTOR"]}},
                         headers=await bearer_for(services, user))
    assert error_codes(body) == ["FORBIDDEN"]
    headers = await bearer_for(services, admin)
    data = await gql(client, SET_ROLES, {"input": {"userId": gid(user),
                                                   "roles": ["INSTRUCTOR", "STUDENT"]}},
                     headers=headers)
    assert data["setUserRoles"]["user"]["roles"] == ["INSTRUCTOR", "STUDENT"]
    body = await gql_raw(client, SET_ROLES, {"input": {"userId": gid(user), "roles": ["KING"]}},
                         headers=headers)
    assert error_codes(body) == ["BAD_USER_INPUT"]
    missing = relay.to_base64("User", "00000000-0000-0000-0000-000000000000")
    body = await gql_raw(client, SET_ROLES, {"input": {"userId": missing, "roles": []}},
                         headers=headers)
    assert error_codes(body) == ["NOT_FOUND"]


async def test_graphql_viewer_overview(client, services, user):
    cs = await course(services)
    await enroll(services, user, await offering(services, cs))
    data = await gql(client, OVERVIEW, headers=await bearer_for(services, user))
    assert data["viewerOverview"] == {
        "completedCourses": 0, "currentStreak": 0, "recentActivity": [],
        "activeEnrollments": [{"status": "ACTIVE", "termName": "Spring 2026",
                               "course": {"title": "Intro to CS", "code": "CS101"}}],
        "recommendedCourses": []}
    assert error_codes(await gql_raw(client, OVERVIEW)) == ["UNAUTHENTICATED"]


USERS_WITH_PROFILES = """
{ users(first: 20) { edges { node { fullName profile { grade } subjectPreferences } } }
  total: users(first: 1) { totalCount } }"""


async def test_profiles_and_preferences_load_in_batches(client, services):
    from models.course import UserProfile
    from tests.fixtures import count_statements

    admin = await create_user(services, email="root@example.com", roles=["PLATFORM_ADMIN"])
    headers = await bearer_for(services, admin)
    math = await subject(services)

    async def add_users(start: int, count: int) -> None:
        for i in range(start, start + count):
            learner = await create_user(services, email=f"l{i}@example.com")
            await add(services, UserProfile(user_id=learner.id, grade="JUNIOR"))
            await add(services, UserSubjectPreference(user_id=learner.id, subject_id=math.id))

    # Two documents, each asked once: both run on the general path (a document the server
    # has answered is planned the next time).
    await add_users(0, 2)
    with count_statements(services) as few:
        small = await gql(client, "query Few " + USERS_WITH_PROFILES, headers=headers)
    await add_users(2, 6)
    with count_statements(services) as many:
        large = await gql(client, "query Many " + USERS_WITH_PROFILES, headers=headers)
    with count_statements(services) as planned:  # the second time, its plan: one statement
        assert await gql(client, "query Many " + USERS_WITH_PROFILES, headers=headers) == large
    assert len(planned) == 2, planned.statements
    assert len(small["users"]["edges"]) == 3 and len(large["users"]["edges"]) == 9
    assert (small["total"]["totalCount"], large["total"]["totalCount"]) == (3, 9)
    assert large["users"]["edges"][1]["node"]["profile"] == {"grade": "JUNIOR"}
    assert large["users"]["edges"][1]["node"]["subjectPreferences"] == [
        relay.to_base64("Subject", str(math.id))]
    # Viewer, two pages, one batch of profiles, one of preferences, the count: however many
    # users.
    assert len(many) == len(few) == 6, many.statements


BY_NUMBER = "query($n: Int!) { userByNumber(number: $n) { fullName email } }"


async def test_graphql_user_by_number(client, services, user):
    bob = await create_user(services, email="bob@example.com", display_name="Bob")
    headers = await bearer_for(services, user)
    data = await gql(client, BY_NUMBER, {"n": bob.number}, headers=headers)
    assert data["userByNumber"] == {"fullName": "Bob", "email": None}
    assert error_codes(await gql_raw(client, BY_NUMBER, {"n": 999999},
                                     headers=headers)) == ["NOT_FOUND"]
    assert error_codes(await gql_raw(client, BY_NUMBER, {"n": bob.number})) == [
        "UNAUTHENTICATED"]


DIRECTORY = """
query($first: Int, $after: String) { userDirectory(first: $first, after: $after) {
  edges { node { number fullName email } } pageInfo { hasNextPage endCursor } } }"""


async def test_graphql_user_directory_mirrors_the_rest_list(client, services, user):
    others = [await create_user(services, email=f"u{i}@example.com", display_name=f"U{i}")
              for i in range(3)]
    headers = await bearer_for(services, user)
    page = (await gql(client, DIRECTORY, {"first": 2}, headers=headers))["userDirectory"]
    assert [e["node"] for e in page["edges"]] == [
        {"number": user.number, "fullName": "Ada", "email": "ada@example.com"},
        {"number": others[0].number, "fullName": "U0", "email": None}]
    assert page["pageInfo"]["hasNextPage"] is True
    rest = (await gql(client, DIRECTORY, {"first": 2, "after": page["pageInfo"]["endCursor"]},
                      headers=headers))["userDirectory"]
    assert [e["node"]["fullName"] for e in rest["edges"]] == ["U1", "U2"]
    assert rest["pageInfo"]["hasNextPage"] is False
    assert error_codes(await gql_raw(client, DIRECTORY, {"first": 2})) == ["UNAUTHENTICATED"]
    assert error_codes(await gql_raw(client, DIRECTORY, {"first": 101},
                                     headers=headers)) == ["BAD_USER_INPUT"]


async def test_graphql_users_reject_crafted_cursors(client, services):
    admin = await create_user(services, email="root@example.com", roles=["PLATFORM_ADMIN"])
    headers = await bearer_for(services, admin)
    query = """query($after: String) {
      users(first: 5, after: $after) { edges { node { id } } } }"""
    before_query = """query($before: String) {
      users(last: 5, before: $before) { edges { node { id } } } }"""
    crafted = [["2026-01-01T00:00:00+00:00", 5], ["2026-01-01T00:00:00+00:00", None],
               [5, str(admin.id)], ["not a date", str(admin.id)], ["only one"]]
    for values in crafted:
        cursor = encode_cursor(values)
        for text, variables in ((query, {"after": cursor}), (before_query, {"before": cursor})):
            body = await gql_raw(client, text, variables, headers=headers)
            assert error_codes(body) == ["BAD_USER_INPUT"], values
            assert body["errors"][0]["message"] == "Invalid cursor", values
    fine = encode_cursor(["2000-01-01T00:00:00+00:00", "00000000-0000-0000-0000-000000000000"])
    page = await gql(client, query, {"after": fine}, headers=headers)
    assert page["users"]["edges"] == [{"node": {"id": gid(admin)}}]
