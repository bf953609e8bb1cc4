"""User.enrollments: a user's own enrollments through the user type, private to them."""

from __future__ import annotations

from strawberry import relay

from tests.fixtures import bearer_for, create_user, gql
from tests.twosigma.learner_helpers import course, enroll, offering

QUERY = """query($id: ID!) { node(id: $id) { ... on User {
  enrollments(first: 10) { totalCount edges { node { status courseOffering { termName
    course { title } } } } }
} } }"""


async def test_users_see_their_own_enrollments_only(client, services, user):
    cs = await course(services)
    spring = await offering(services, cs, "Spring 2026")
    fall = await offering(services, cs, "Fall 2026")
    await enroll(services, user, spring)
    await enroll(services, user, fall, status="COMPLETED")
    user_id = relay.to_base64("User", str(user.id))

    data = await gql(client, QUERY, {"id": user_id}, headers=await bearer_for(services, user))
    edges = data["node"]["enrollments"]["edges"]
    assert sorted((e["node"]["status"], e["node"]["courseOffering"]["termName"])
                  for e in edges) == [("ACTIVE", "Spring 2026"), ("COMPLETED", "Fall 2026")]
    assert {e["node"]["courseOffering"]["course"]["title"] for e in edges} == {"Intro to CS"}
    assert data["node"]["enrollments"]["totalCount"] == 2

    other = await create_user(services, email="grace@example.com")
    data = await gql(client, QUERY, {"id": user_id}, headers=await bearer_for(services, other))
    assert data["node"]["enrollments"] is None

    admin = await create_user(services, email="root@example.com", roles=["PLATFORM_ADMIN"])
    data = await gql(client, QUERY, {"id": user_id}, headers=await bearer_for(services, admin))
    assert data["node"]["enrollments"]["edges"] == edges
