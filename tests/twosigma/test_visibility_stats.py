"""Course statistics need a signed-in viewer on both faces."""

from __future__ import annotations

import pytest
from strawberry import relay

from core.context import Context
from core.errors import Unauthenticated
from resolvers import courses
from tests.fixtures import bearer_for, create_user, error_codes, gql, gql_raw
from tests.twosigma.learner_helpers import API, course, offering

STATS = """query($id: ID!) { node(id: $id) { ... on Course { title
  stats { offeringsCount totalEnrollments completionRate } } } }"""


async def test_anonymous_viewers_cannot_read_course_stats(client, services):
    row = await course(services)
    await offering(services, row)
    variables = {"id": relay.to_base64("Course", row.id)}

    body = await gql_raw(client, STATS, variables)
    assert error_codes(body) == ["UNAUTHENTICATED"]
    assert body["data"] == {"node": None}
    response = await client.get(f"{API}/courses/{row.id}/stats")
    assert response.status_code == 401
    with pytest.raises(Unauthenticated):
        await courses.get_stats(Context(services=services), course_id=row.id)

    headers = await bearer_for(services, await create_user(services, email="s@example.com"))
    data = await gql(client, STATS, variables, headers=headers)
    assert data["node"] == {"title": "Intro to CS", "stats": {
        "offeringsCount": 1, "totalEnrollments": 0, "completionRate": 0.0}}
    response = await client.get(f"{API}/courses/{row.id}/stats", headers=headers)
    assert response.status_code == 200
    assert response.json()["offerings_count"] == 1
