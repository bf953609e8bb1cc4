"""Teachers' notifications as a GraphQL subscription over a real WebSocket: raised by real
events (a low quiz score, a parent's claim, the inactivity sweep) on one instance and
delivered to the teacher on another; only the teacher's own; staff only."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import update

from models.roster import Student
from resolvers import teacher_notifications
from resolvers.teacher_notifications import topic
from tests.fixtures import error_codes, start_instance
from tests.pickatale.helpers import KEY, as_bearer, portal_account, until
from tests.pickatale.test_teacher_notifications import _class_with, _quiz
from tests.ws import LEGACY_WS, TRANSPORT_WS, graphql_ws

RAISED = """subscription { teacherNotificationRaised { id number type childName message
  actionUrl read createdAt } }"""


@pytest.fixture
async def other(database_url):
    instance = await start_instance(database_url)
    yield instance
    await instance.stop()


@pytest.mark.parametrize("protocol", [TRANSPORT_WS, LEGACY_WS])
async def test_events_on_one_instance_reach_the_teacher_on_another(
        client, services, other, protocol):
    teacher, headers, class_id, (sofia, omar) = await _class_with(client, services, "Sofia",
                                                                  "Omar")
    stranger_user, stranger = await portal_account(services, "TEACHER", "stranger@example.com")
    async with graphql_ws(other.ws_url, protocol) as ws, \
            graphql_ws(other.ws_url, protocol) as theirs:
        assert (await ws.init(as_bearer(headers)))["type"] == "connection_ack"
        assert (await theirs.init(as_bearer(stranger)))["type"] == "connection_ack"
        await ws.subscribe("n", RAISED)
        await theirs.subscribe("n", RAISED)
        broker = other.app.state.services.broker
        await until(lambda: _true(broker.subscriber_count(topic(teacher.id)) == 1))
        await until(lambda: _true(broker.subscriber_count(topic(stranger_user.id)) == 1))
        # A low score, through the learner bot on the first instance.
        response = await client.post(
            f"/api/v1/bot/{sofia['learner_service_id']}/quiz-result", json=_quiz(40),
            headers=KEY)
        assert response.status_code == 200, response.text
        low = (await ws.next_data("n", within=10))["teacherNotificationRaised"]
        assert low["type"] == "LOW_SCORE" and low["childName"] == "Sofia"
        assert low["message"].startswith("Sofia scored 40%") and low["read"] is False
        assert low["actionUrl"] == f"/classes/{class_id}/students/{sofia['id']}"
        # A pass raises nothing; a parent's claim does.
        await client.post(f"/api/v1/bot/{omar['learner_service_id']}/quiz-result",
                          json=_quiz(90), headers=KEY)
        _, parent = await portal_account(services, "PARENT", "mum@example.com")
        claim = await client.post("/api/v1/parent-claims", json={
            "username": omar["username"], "pin": omar["pin"]}, headers=parent)
        assert claim.status_code == 201, claim.text
        asked = (await ws.next_data("n", within=10))["teacherNotificationRaised"]
        assert (asked["type"], asked["childName"]) == ("PARENT_CLAIM_REQUEST", "Omar")
        assert asked["actionUrl"] == f"/parent-claims/{claim.json()['id']}"
        assert asked["number"] > low["number"]
        # The periodic sweep, in one statement for every class, is announced too.
        async with services.db.transaction() as session:
            await session.execute(update(Student).where(Student.id == sofia["id"]).values(
                created_at=datetime.now(UTC) - timedelta(days=30)))
            raised = await teacher_notifications.sweep(session)
        # Sofia read (her quiz placed her) but not for 30 days: she is inactive.
        assert raised == 1
        swept = (await ws.next_data("n", within=10))["teacherNotificationRaised"]
        assert (swept["type"], swept["childName"]) == ("INACTIVE", "Sofia")
        # The REST list has what the subscription sent.
        listed = (await client.get("/api/v1/notifications", headers=headers)).json()
        assert {n["id"] for n in listed["notifications"]} >= {low["number"], asked["number"]}
        # Another teacher heard nothing of it.
        with pytest.raises(TimeoutError):
            await theirs.receive(within=0.5)


async def _true(value: bool) -> bool:
    return value


async def test_only_staff_may_subscribe(client, services, server):
    _, parent = await portal_account(services, "PARENT", "mum@example.com")
    async with graphql_ws(server.ws_url, TRANSPORT_WS) as ws:
        assert (await ws.init(as_bearer(parent)))["type"] == "connection_ack"
        await ws.subscribe("n", RAISED)
        assert error_codes(await ws.next_payload("n")) == ["FORBIDDEN"]
    async with graphql_ws(server.ws_url, TRANSPORT_WS) as ws:
        assert (await ws.init())["type"] == "connection_ack"
        await ws.subscribe("n", RAISED)
        assert error_codes(await ws.next_payload("n")) == ["UNAUTHENTICATED"]
