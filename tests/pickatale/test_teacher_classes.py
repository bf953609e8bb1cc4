"""The teacher portal's classes and students: creation, usernames and PINs, the class
lists with reading data and cursor pages, GraphQL, and who may do what."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

from argon2 import PasswordHasher
from sqlalchemy import select

from models.reading import Learner, QuizResult, ReadingSession
from models.roster import Student
from models.user import ChildCredential, User
from tests.fixtures import error_codes, gql, gql_raw
from tests.pickatale.helpers import KEY, as_bearer, assert_error, new_key, portal_account

STUDENT_KEYS = {"id", "name", "username", "year_level", "learner_service_id", "reading_level",
                "books_read", "total_miles", "comprehension_trend", "attention_flag",
                "latest_report"}


async def _class(http, headers, name: str = "Class 3B", **extra) -> dict:
    response = await http.post("/api/v1/classes", json={"name": name, **extra},
                               headers={**headers, **new_key()})
    assert response.status_code == 201, response.text
    return response.json()


async def _student(http, headers, class_id: int, name: str, year_level: int = 3) -> dict:
    response = await http.post(f"/api/v1/classes/{class_id}/students",
                               json={"name": name, "year_level": year_level},
                               headers={**headers, **new_key()})
    assert response.status_code == 201, response.text
    return response.json()


async def test_a_teacher_creates_a_class_and_adds_students_with_pins_shown_once(
        client, services):
    _, teacher = await portal_account(services, "TEACHER")
    created = await _class(client, teacher, "  Class 3B ", year_level=3)
    assert created["name"] == "Class 3B" and created["year_level"] == 3
    assert created["student_count"] == 0 and isinstance(created["id"], int)
    assert created["created_at"].endswith("Z")

    sofia = await _student(client, teacher, created["id"], "Sofia Berg")
    assert sofia["username"] == "sofia001" and sofia["name"] == "Sofia Berg"
    assert len(sofia["pin"]) == 4 and sofia["pin"].isdigit()
    again = await _student(client, teacher, created["id"], "sofia", 4)
    assert again["username"] == "sofia002"
    assert (await _student(client, teacher, created["id"], "Zoë"))["username"] == "zoe001"
    assert (await _student(client, teacher, created["id"], "李小龙"))["username"] == "reader001"

    async with services.db.session() as session:
        row = await session.get(Student, sofia["id"])
        child = await session.get(User, row.user_id)
        credential = await session.get(ChildCredential, row.user_id)
    # The PIN is kept only as an argon2id hash; the child is an account of its own.
    assert credential.username == "sofia001"
    assert sofia["pin"] not in credential.pin_hash
    assert credential.pin_hash.startswith("$argon2id$")
    assert PasswordHasher().verify(credential.pin_hash, sofia["pin"])
    assert child.roles == ["CHILD"] and child.email is None
    assert sofia["learner_service_id"] == str(child.id)

    listed = (await client.get(f"/api/v1/class/{created['id']}/students",
                               headers=teacher)).json()
    assert [s["username"] for s in listed["students"]] == [
        "sofia001", "sofia002", "zoe001", "reader001"]
    assert all("pin" not in s for s in listed["students"])


async def test_the_class_list_carries_each_students_reading_data(client, services):
    _, teacher = await portal_account(services, "TEACHER")
    class_id = (await _class(client, teacher))["id"]
    placed = await _student(client, teacher, class_id, "Sofia")
    new = await _student(client, teacher, class_id, "Omar")
    learner = uuid.UUID(placed["learner_service_id"])
    now = datetime.now(UTC)
    async with services.db.transaction() as session:
        session.add(Learner(id=learner, reading_level=3.5, latest_report="Reads well."))
        for book, miles, done in (("b1", 1.5, True), ("b2", 2.0, True), ("b2", 0.7, True),
                                  ("b3", 0.5, False)):
            session.add(ReadingSession(id=uuid.uuid4(), learner_id=learner, book_id=book,
                                       miles=miles, completed=done, ended_at=now))
        for score in (40.0, 78.0, 82.0, 85.0):
            session.add(QuizResult(learner_id=learner, book_id="b1", fk_level=3.0,
                                   score_pct=score, questions_total=5, questions_correct=4,
                                   level_recommendation="hold"))

    response = await client.get(f"/api/v1/class/{class_id}/students", headers=teacher)
    assert response.status_code == 200, response.text
    sofia, omar = response.json()["students"]
    assert set(sofia) == STUDENT_KEYS
    assert sofia == {"id": placed["id"], "name": "Sofia", "username": "sofia001",
                     "year_level": 3, "learner_service_id": str(learner),
                     "reading_level": 3.5, "books_read": 2, "total_miles": 4.7,
                     "comprehension_trend": [78.0, 82.0, 85.0], "attention_flag": False,
                     "latest_report": "Reads well."}
    assert omar["id"] == new["id"] and omar["reading_level"] is None
    assert omar["books_read"] == 0 and omar["total_miles"] == 0.0
    assert omar["comprehension_trend"] == [] and omar["attention_flag"] is False

    # A low last score, and a week without reading, each raise the flag.
    async with services.db.transaction() as session:
        session.add(QuizResult(learner_id=learner, book_id="b1", fk_level=3.0, score_pct=50.0,
                               questions_total=4, questions_correct=2,
                               level_recommendation="drop"))
        omar_row = await session.get(Student, new["id"])
        omar_row.created_at = now - timedelta(days=8)
    data = (await client.get(f"/api/v1/classes/{class_id}/students",
                             headers=teacher)).json()["data"]
    assert data[0]["comprehension_trend"] == [82.0, 85.0, 50.0]
    assert [s["attention_flag"] for s in data] == [True, True]


async def test_students_come_in_cursor_pages(client, services):
    _, teacher = await portal_account(services, "TEACHER")
    class_id = (await _class(client, teacher))["id"]
    for n in range(5):
        await _student(client, teacher, class_id, f"Kid{n}")
    seen, cursor, pages = [], None, 0
    while True:
        url = f"/api/v1/classes/{class_id}/students?limit=2" + (
            f"&cursor={cursor}" if cursor else "")
        body = (await client.get(url, headers=teacher)).json()
        assert set(body) == {"data", "nextCursor", "hasMore"}
        assert body["hasMore"] is (body["nextCursor"] is not None)
        seen += [s["name"] for s in body["data"]]
        pages += 1
        cursor = body["nextCursor"]
        if not cursor:
            break
    assert seen == [f"Kid{n}" for n in range(5)] and pages == 3
    default = (await client.get(f"/api/v1/classes/{class_id}/students",
                                headers=teacher)).json()
    assert len(default["data"]) == 5 and default["hasMore"] is False
    assert default["nextCursor"] is None

    for query in ("limit=201", "limit=0", "limit=x", "cursor=%%%", "cursor=WyJ4Il0"):
        response = await client.get(f"/api/v1/classes/{class_id}/students?{query}",
                                    headers=teacher)
        assert_error(response, 422, "validation_failed")


async def test_bad_input_gets_the_documented_errors(client, services):
    _, teacher = await portal_account(services, "TEACHER")
    class_id = (await _class(client, teacher))["id"]
    cases = [
        ("/api/v1/classes", {"name": ""}, 422, "validation_failed"),
        ("/api/v1/classes", {"name": "x" * 121}, 422, "validation_failed"),
        ("/api/v1/classes", {"name": "A", "year_level": 14}, 422, "validation_failed"),
        ("/api/v1/classes", {}, 400, "bad_request"),
        ("/api/v1/classes", [1], 400, "bad_request"),
        (f"/api/v1/classes/{class_id}/students", {"name": "A"}, 400, "bad_request"),
        (f"/api/v1/classes/{class_id}/students", {"name": "A", "year_level": -1}, 422,
         "validation_failed"),
        (f"/api/v1/classes/{class_id}/students", {"name": "A\x07", "year_level": 2}, 422,
         "validation_failed"),
        (f"/api/v1/classes/{class_id}/students", {"name": " ", "year_level": 2}, 422,
         "validation_failed"),
        ("/api/v1/classes/abc/students", {"name": "A", "year_level": 2}, 422,
         "validation_failed"),
        ("/api/v1/classes/99999999999999999999/students", {"name": "A", "year_level": 2},
         422, "validation_failed"),
        ("/api/v1/classes/987654/students", {"name": "A", "year_level": 2}, 404, "not_found"),
    ]
    for path, body, status, code in cases:
        response = await client.post(path, json=body, headers={**teacher, **new_key()})
        assert_error(response, status, code)
    response = await client.post("/api/v1/classes", content=b"{not json", headers={
        **teacher, **new_key(), "Content-Type": "application/json"})
    assert response.status_code in (400, 422) and response.json()["error"]
    for path in ("/api/v1/class/abc/students", "/api/v1/class/0/students"):
        response = await client.get(path, headers=teacher)
        assert_error(response, 422, "validation_failed")


ENDPOINTS = [
    ("GET", "/api/v1/classes/{id}/students", None),
    ("POST", "/api/v1/classes/{id}/students", {"name": "Ada", "year_level": 3}),
    ("GET", "/api/v1/class/{id}/students", None),
]
# Who asks -> the status every class endpoint answers for the teacher's class.
MATRIX = {"anonymous": 401, "internal_key": 401, "owner": 200, "other_teacher": 403,
          "school_admin": 403, "parent": 403, "child": 403, "admin": 200}


async def _matrix_headers(client, services) -> tuple[int, dict]:
    _, owner = await portal_account(services, "TEACHER", "owner@example.com")
    _, other = await portal_account(services, "TEACHER", "other@example.com")
    _, school_admin = await portal_account(services, "SCHOOL_ADMIN")
    _, parent = await portal_account(services, "PARENT")
    _, admin = await portal_account(services, "PLATFORM_ADMIN")
    class_id = (await _class(client, owner))["id"]
    kid = await _student(client, owner, class_id, "Kid")
    async with services.db.session() as session:
        child = await session.get(User, uuid.UUID(kid["learner_service_id"]))
    from tests.pickatale.helpers import uc_session_for

    return class_id, {"anonymous": {}, "internal_key": KEY, "owner": owner,
                      "other_teacher": other, "school_admin": school_admin, "parent": parent,
                      "child": await uc_session_for(services, child), "admin": admin}


async def test_authorization_matrix_of_the_class_endpoints(client, services):
    class_id, headers = await _matrix_headers(client, services)
    for method, template, body in ENDPOINTS:
        path = template.format(id=class_id)
        for who, expected in MATRIX.items():
            response = await client.request(method, path, json=body,
                                            headers={**headers[who], **new_key()})
            ok = 201 if method == "POST" else 200
            want = ok if expected == 200 else expected
            assert response.status_code == want, (method, template, who, response.text)
            if want >= 400:
                assert_error(response, want, {401: "unauthenticated",
                                              403: "forbidden"}[want])
    # Creating a class: teachers, school admins and admins; nobody else.
    creators = {"anonymous": 401, "internal_key": 401, "owner": 201, "other_teacher": 201,
                "school_admin": 201, "parent": 403, "child": 403, "admin": 201}
    for who, want in creators.items():
        response = await client.post("/api/v1/classes", json={"name": "New"},
                                     headers={**headers[who], **new_key()})
        assert response.status_code == want, (who, response.text)


async def test_a_cookie_write_needs_json_or_the_csrf_header(client, services):
    _, teacher = await portal_account(services, "TEACHER")
    response = await client.post("/api/v1/classes", content=b'{"name": "A"}',
                                 headers={**teacher, "Content-Type": "text/plain"})
    assert_error(response, 403, "forbidden")


CLASSES = """
query { teacherClasses { number name yearLevel studentCount
  students(first: 2) { edges { cursor node { number name username learnerServiceId
    readingLevel booksRead totalMiles comprehensionTrend attentionFlag } }
    pageInfo { hasNextPage endCursor } } } }
"""
CREATE = """
mutation($name: String!) { createClass(input: {name: $name, yearLevel: 2}) {
  teacherClass { id number name yearLevel } } }
"""
ADD = """
mutation($classId: ID!, $name: String!) { addStudent(input: {classId: $classId,
  name: $name, yearLevel: 2}) { student { number username pin yearLevel } } }
"""
NEXT = """
query($id: ID!, $after: String) { teacherClass(id: $id) {
  students(first: 2, after: $after) { edges { node { name } } pageInfo { hasNextPage } } } }
"""


async def test_classes_in_graphql_follow_the_same_rules(client, services):
    teacher = as_bearer((await portal_account(services, "TEACHER"))[1])
    parent = as_bearer((await portal_account(services, "PARENT"))[1])
    made = (await gql(client, CREATE, {"name": "Owls"}, headers=teacher))["createClass"]
    klass = made["teacherClass"]
    assert klass["name"] == "Owls" and klass["yearLevel"] == 2
    for name in ("Ann", "Ben", "Cy"):
        added = (await gql(client, ADD, {"classId": klass["id"], "name": name},
                           headers=teacher))["addStudent"]["student"]
        assert len(added["pin"]) == 4 and added["username"] == f"{name.lower()}001"
    listed = (await gql(client, CLASSES, headers=teacher))["teacherClasses"]
    assert [c["studentCount"] for c in listed] == [3]
    students = listed[0]["students"]
    assert [e["node"]["name"] for e in students["edges"]] == ["Ann", "Ben"]
    assert students["pageInfo"]["hasNextPage"] is True
    rest = (await gql(client, NEXT, {"id": str(klass["number"]),
                                     "after": students["pageInfo"]["endCursor"]},
                      headers=teacher))["teacherClass"]["students"]
    assert [e["node"]["name"] for e in rest["edges"]] == ["Cy"]
    assert rest["pageInfo"]["hasNextPage"] is False

    denied = await gql_raw(client, CREATE, {"name": "X"}, headers=parent)
    assert error_codes(denied) == ["FORBIDDEN"]
    other = await gql_raw(client, ADD, {"classId": klass["id"], "name": "Z"}, headers=parent)
    assert error_codes(other) == ["FORBIDDEN"]
    bad = await gql_raw(client, CREATE, {"name": ""}, headers=teacher)
    assert error_codes(bad) == ["BAD_USER_INPUT"]
    async with services.db.session() as session:
        assert len((await session.execute(select(Student))).scalars().all()) == 3


async def test_a_childs_entitlement_comes_from_their_teacher_and_parent(client, services):
    teacher, headers = await portal_account(services, "TEACHER")
    class_id = (await _class(client, headers))["id"]
    kid = await _student(client, headers, class_id, "Ada")
    learner = kid["learner_service_id"]

    async def entitlement() -> dict:
        response = await client.get(f"/api/billing/entitlement?user_id={learner}",
                                    headers=KEY)
        assert response.status_code == 200, response.text
        return response.json()

    # The teacher's trial covers the class.
    body = await entitlement()
    assert body["allowed"] is True and body["tier"] == "trial"
    # Without it (the trial long over), nothing covers the child...
    async with services.db.transaction() as session:
        row = await session.get(User, teacher.id)
        row.created_at = datetime.now(UTC) - timedelta(days=400)
    assert (await entitlement())["allowed"] is False
    # ...until a parent on a running trial is linked.
    parent, _ = await portal_account(services, "PARENT")
    async with services.db.transaction() as session:
        (await session.get(Student, kid["id"])).parent_id = parent.id
    body = await entitlement()
    assert body["allowed"] is True and body["tier"] == "trial"
