"""Teachers' notifications: raised by real events (a low quiz score through the learner
bot, a quiet week and a child never placed through the periodic sweep, a locked PIN),
each once; listed newest first in pages, marked read; only the teacher's own."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

from sqlalchemy import func, select, update

from core import jobs
from models.reading import Learner, ReadingSession
from models.roster import Student, TeacherNotification
from resolvers import teacher_notifications
from tests.fixtures import error_codes, gql, gql_raw
from tests.pickatale.helpers import KEY, as_bearer, assert_error, new_key, portal_account

JSON = {"Content-Type": "application/json"}


async def _class_with(client, services, *names, email: str = "teacher@example.com"):
    """A teacher, their headers and the students ``names`` of a new class."""
    teacher, headers = await portal_account(services, "TEACHER", email)
    class_id = (await client.post("/api/v1/classes", json={"name": "2A"},
                                  headers={**headers, **new_key()})).json()["id"]
    students = [(await client.post(f"/api/v1/classes/{class_id}/students",
                                   json={"name": n, "year_level": 2},
                                   headers={**headers, **new_key()})).json()
                for n in names]
    return teacher, headers, class_id, students


def _quiz(score: float) -> dict:
    return {"bookId": "14760-1", "fkLevel": 2.0, "scorePct": score, "questionsTotal": 4,
            "questionsCorrect": round(score / 25), "levelRecommendation": "hold"}


async def _notifications(client, headers, query: str = "") -> dict:
    response = await client.get(f"/api/v1/notifications{query}", headers=headers)
    assert response.status_code == 200, response.text
    return response.json()


async def test_a_low_quiz_score_notifies_the_childs_teacher_once(client, services):
    _, headers, class_id, (sofia, omar) = await _class_with(client, services, "Sofia", "Omar")
    for learner, score in ((sofia, 40.0), (omar, 90.0), (sofia, 64.9), (sofia, 65.0)):
        response = await client.post(f"/api/v1/bot/{learner['learner_service_id']}/quiz-result",
                                     json=_quiz(score), headers=KEY)
        assert response.status_code == 200, response.text
    # A learner of no class is nobody's notification.
    response = await client.post(f"/api/v1/bot/{uuid.uuid4()}/quiz-result", json=_quiz(10),
                                 headers=KEY)
    assert response.status_code == 200
    body = await _notifications(client, headers)
    assert set(body) == {"notifications", "nextCursor", "hasMore"}
    items = body["notifications"]
    assert [(n["type"], n["child_name"]) for n in items] == [("low_score", "Sofia")] * 2
    newest = items[0]
    assert set(newest) == {"id", "type", "child_name", "message", "created_at", "action_url",
                           "read"}
    assert newest["message"] == ("Sofia scored 65% on a comprehension quiz (book 14760-1), "
                                 "below the 65% pass mark.")
    assert items[1]["message"].startswith("Sofia scored 40%")
    assert newest["action_url"] == f"/classes/{class_id}/students/{sofia['id']}"
    assert newest["read"] is False and newest["created_at"].endswith("Z")


async def test_the_sweep_raises_inactive_and_no_placement_once_per_event(client, services):
    _, headers, _, (quiet, fresh, reader) = await _class_with(
        client, services, "Quiet", "Fresh", "Reader")
    now = datetime.now(UTC)
    async with services.db.transaction() as session:
        await session.execute(update(Student).where(Student.id.in_([quiet["id"], reader["id"]]))
                              .values(created_at=now - timedelta(days=30)))
        for kid in (quiet, reader):
            session.add(Learner(id=uuid.UUID(kid["learner_service_id"])))
        session.add(ReadingSession(id=uuid.uuid4(), learner_id=uuid.UUID(
            reader["learner_service_id"]), ended_at=now - timedelta(days=1)))
        session.add(ReadingSession(id=uuid.uuid4(), learner_id=uuid.UUID(
            quiet["learner_service_id"]), ended_at=now - timedelta(days=9)))
        raised = await teacher_notifications.sweep(session)
    assert raised == 1
    items = (await _notifications(client, headers))["notifications"]
    assert [(n["type"], n["child_name"]) for n in items] == [("inactive", "Quiet")]
    assert items[0]["message"] == "Quiet has not finished a reading session for 7 days."

    # Nothing new happened: the sweep raises nothing again.
    async with services.db.transaction() as session:
        assert await teacher_notifications.sweep(session) == 0
    # Fresh joined four days ago and was never placed; the periodic job finds it.
    async with services.db.transaction() as session:
        await session.execute(update(Student).where(Student.id == fresh["id"])
                              .values(created_at=now - timedelta(days=4)))
        await jobs.enqueue(session, "roster.notify", {})
    await jobs.notify_enqueued(services)
    for _ in range(200):
        items = (await _notifications(client, headers))["notifications"]
        if len(items) == 2:
            break
        import asyncio

        await asyncio.sleep(0.05)
    assert [(n["type"], n["child_name"]) for n in items] == [
        ("no_placement", "Fresh"), ("inactive", "Quiet")]
    # A new quiet stretch after reading again is a new notification.
    async with services.db.transaction() as session:
        session.add(ReadingSession(id=uuid.uuid4(), learner_id=uuid.UUID(
            quiet["learner_service_id"]), ended_at=now - timedelta(days=8)))
        assert await teacher_notifications.sweep(session) == 1


async def test_a_locked_pin_notifies_the_teacher(client, services):
    _, headers, _, (kid,) = await _class_with(client, services, "Kai")
    locked = datetime.now(UTC)
    for _ in range(2):
        async with services.db.transaction() as session:
            await teacher_notifications.on_child_locked(
                session, child_id=uuid.UUID(kid["learner_service_id"]), locked_at=locked)
    items = (await _notifications(client, headers))["notifications"]
    assert [(n["type"], n["message"]) for n in items] == [
        ("child_locked_pin", "Kai's sign-in is locked after too many wrong PINs.")]


async def _raise_many(services, student_id: int, count: int) -> None:
    async with services.db.transaction() as session:
        student = await session.get(Student, student_id)
        for n in range(count):
            await teacher_notifications.raise_for_student(
                session, student=student, type="low_score", message=f"n{n}",
                event_key=f"test:{student_id}:{n}")


async def test_notifications_page_newest_first_and_are_marked_read(client, services):
    _, headers, _, (kid,) = await _class_with(client, services, "Kim")
    await _raise_many(services, kid["id"], 5)
    first = await _notifications(client, headers, "?limit=2")
    assert [n["message"] for n in first["notifications"]] == ["n4", "n3"]
    assert first["hasMore"] is True
    second = await _notifications(client, headers, f"?limit=2&cursor={first['nextCursor']}")
    third = await _notifications(client, headers, f"?limit=2&cursor={second['nextCursor']}")
    assert [n["message"] for n in second["notifications"] + third["notifications"]] == [
        "n2", "n1", "n0"]
    assert third["hasMore"] is False and third["nextCursor"] is None

    target = first["notifications"][0]["id"]
    for _ in range(2):  # marking again answers the same
        response = await client.post(f"/api/v1/notifications/{target}/read", headers={
            **headers, **JSON})
        assert response.status_code == 200, response.text
        assert response.json() == {"ok": True, "id": target, "read": True}
    unread = await _notifications(client, headers, "?unread=true")
    assert [n["message"] for n in unread["notifications"]] == ["n3", "n2", "n1", "n0"]
    everything = (await _notifications(client, headers))["notifications"]
    assert [n["read"] for n in everything] == [True, False, False, False, False]

    for query in ("?limit=0", "?limit=201", "?cursor=bad!", "?unread=maybe"):
        assert_error(await client.get(f"/api/v1/notifications{query}", headers=headers),
                     422, "validation_failed")
    for bad in ("abc", "0", "99999999999999999999"):
        assert_error(await client.post(f"/api/v1/notifications/{bad}/read",
                                       headers={**headers, **JSON}), 422, "validation_failed")
    assert_error(await client.post("/api/v1/notifications/424242/read",
                                   headers={**headers, **JSON}), 404, "not_found")


async def test_authorization_matrix_of_the_notification_endpoints(client, services):
    _, owner, _, (kid,) = await _class_with(client, services, "Kim")
    await _raise_many(services, kid["id"], 1)
    target = (await _notifications(client, owner))["notifications"][0]["id"]
    _, other = await portal_account(services, "TEACHER", "other@example.com")
    _, school_admin = await portal_account(services, "SCHOOL_ADMIN")
    _, parent = await portal_account(services, "PARENT")
    async with services.db.session() as session:
        child_id = (await session.execute(select(Student.user_id))).scalar_one()
    from models.user import User
    from tests.pickatale.helpers import uc_session_for

    async with services.db.session() as session:
        child = await session.get(User, child_id)
    child_headers = await uc_session_for(services, child)
    who = {"anonymous": ({}, 401, 401), "internal_key": (KEY, 401, 401),
           "owner": (owner, 200, 200), "other_teacher": (other, 200, 404),
           "school_admin": (school_admin, 200, 404), "parent": (parent, 403, 403),
           "child": (child_headers, 403, 403)}
    codes = {401: "unauthenticated", 403: "forbidden", 404: "not_found"}
    for name, (headers, list_status, read_status) in who.items():
        listed = await client.get("/api/v1/notifications", headers=headers)
        assert listed.status_code == list_status, (name, listed.text)
        if list_status == 200 and name != "owner":
            assert listed.json()["notifications"] == []  # nobody sees another's
        elif list_status >= 400:
            assert_error(listed, list_status, codes[list_status])
        read = await client.post(f"/api/v1/notifications/{target}/read",
                                 headers={**headers, **JSON})
        assert read.status_code == read_status, (name, read.text)
        if read_status >= 400:
            assert_error(read, read_status, codes[read_status])
    async with services.db.session() as session:
        assert (await session.execute(select(func.count()).where(
            TeacherNotification.read_at.is_not(None)))).scalar() == 1


LIST = """
query($after: String, $unread: Boolean! = false) {
  teacherNotifications(first: 2, after: $after, unreadOnly: $unread) {
  totalCount edges { node { number type childName message actionUrl read } }
  pageInfo { hasNextPage endCursor } } }
"""
READ = """mutation($id: ID!) { markTeacherNotificationRead(id: $id) {
  notification { number read } } }"""


async def test_notifications_in_graphql_follow_the_same_rules(client, services):
    _, headers, _, (kid,) = await _class_with(client, services, "Kim")
    await _raise_many(services, kid["id"], 3)
    bearer = as_bearer(headers)
    page = (await gql(client, LIST, headers=bearer))["teacherNotifications"]
    assert [e["node"]["message"] for e in page["edges"]] == ["n2", "n1"]
    assert page["edges"][0]["node"]["type"] == "LOW_SCORE"
    assert page["pageInfo"]["hasNextPage"] is True
    rest = (await gql(client, LIST, {"after": page["pageInfo"]["endCursor"]},
                      headers=bearer))["teacherNotifications"]
    assert [e["node"]["message"] for e in rest["edges"]] == ["n0"]
    assert page["totalCount"] == rest["totalCount"] == 3
    number = page["edges"][0]["node"]["number"]
    marked = (await gql(client, READ, {"id": str(number)}, headers=bearer))
    assert marked["markTeacherNotificationRead"]["notification"] == {"number": number,
                                                                     "read": True}
    unread = (await gql(client, LIST, {"unread": True}, headers=bearer))["teacherNotifications"]
    assert unread["totalCount"] == 2
    parent = as_bearer((await portal_account(services, "PARENT"))[1])
    assert error_codes(await gql_raw(client, LIST, headers=parent)) == ["FORBIDDEN"]
    assert error_codes(await gql_raw(client, READ, {"id": "x"}, headers=bearer)) == [
        "BAD_USER_INPUT"]
    assert error_codes(await gql_raw(client, READ, {"id": "999999"}, headers=bearer)) == [
        "NOT_FOUND"]


async def test_a_child_locked_out_by_wrong_pins_notifies_the_teacher(client, services):
    _, headers, _, (kid,) = await _class_with(client, services, "Noor")
    wrong = "0000" if kid["pin"] != "0000" else "1111"
    login = "/compat/pickatale-account-center/api/auth/child-login"
    statuses = [(await client.post(login, json={"username": kid["username"], "pin": wrong}))
                .status_code for _ in range(6)]
    assert statuses[-1] == 423, statuses
    items = (await _notifications(client, headers))["notifications"]
    assert [(n["type"], n["child_name"]) for n in items] == [("child_locked_pin", "Noor")]
