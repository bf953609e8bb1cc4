"""Planned reads of the teacher portal: classes (their students, pages of them, counts)
and teachers' notifications, by ``node``/``nodes``. Each document, asked by an anonymous
visitor, the class's teacher, another teacher, the admin of the class's school, a parent
and a platform admin, answers the same bytes on the planned and the general path; a
planned answer is one SQL statement."""

from __future__ import annotations

from datetime import UTC, datetime

import httpx
from sqlalchemy import select, update
from strawberry import relay

from core.pagination import encode_cursor
from models.roster import ParentClaim, SchoolClass, TeacherNotification
from models.school import School, SchoolStaff
from resolvers.parent_claims import MINE_MAXIMUM
from tests.fixtures import ask_both, count_statements, without_sign_in
from tests.pickatale.helpers import as_bearer, new_key, portal_account
from tests.schema.test_planned_reads_people import node, on, resolve
from tests.twosigma.catalog_helpers import add_many

CLASS = "id number name yearLevel createdAt studentCount __typename"
STUDENT = "id number name username yearLevel learnerServiceId __typename"
NOTIFICATION = "id number type childName message actionUrl read createdAt __typename"
CLAIM = "id number status childName createdAt decidedAt __typename"
PAGE_INFO = "pageInfo { hasNextPage hasPreviousPage startCursor endCursor }"
# A student's year is Int!, a class's Int (a claim's child String!, a notification's
# String): one document names them apart.
ANY = " ".join([on("TeacherClass", CLASS),
                on("ClassStudent", STUDENT.replace("yearLevel", "studentYear: yearLevel")),
                on("TeacherNotification", NOTIFICATION),
                on("ParentClaim", CLAIM.replace("childName", "claimChild: childName"))])
IDS = ["class", "other_class", "school_class", "student", "other_student", "notification",
       "other_notification", "missing_class", "missing_student", "claim", "decided_claim",
       "missing_claim"]

CORPUS: list[tuple[str, dict]] = []


def case(query: str, variables: dict | None = None) -> None:
    CORPUS.append((query, variables or {}))


for which in IDS:
    case(node(ANY), {"id": which})
for which in ("class", "other_class", "school_class"):
    case(node(on("TeacherClass", f"{CLASS} students(first: 10) {{ {PAGE_INFO} edges {{ "
                                 f"cursor node {{ {STUDENT} }} }} }}")), {"id": which})
case(node(on("TeacherClass", "students(first: 1) { pageInfo { hasNextPage endCursor } edges { "
                             "node { name } } }")), {"id": "class"})
case("query($id: ID!, $a: String) { node(id: $id) { ... on TeacherClass { students(first: 2, "
     "after: $a) { pageInfo { hasPreviousPage hasNextPage } edges { node { username } } } } } }",
     {"id": "class", "a": "student_cursor"})
case(node(on("TeacherClass", "students(first: 0) { edges { node { id } } }")), {"id": "class"})
# totalCount: the class's students, on any page; refused with the list to others
for which in ("class", "other_class", "school_class"):
    case("query($id: ID!, $a: String) { node(id: $id) { ... on TeacherClass { students(first: 1, "
         "after: $a) { totalCount nodes { name } } } } }", {"id": which, "a": "student_cursor"})
case(node(on("TeacherClass", "students { edges { node { id } } }")), {"id": "class"})
case(node(on("TeacherClass", "students(first: 5) { edges { node { readingLevel } } }")),
     {"id": "class"})
for type_name, fields, which in (("TeacherClass", CLASS, "class"),
                                 ("ClassStudent", STUDENT, "student"),
                                 ("TeacherNotification", NOTIFICATION, "notification"),
                                 ("ParentClaim", CLAIM, "decided_claim")):
    for name in fields.split():
        case(node(on(type_name, name)), {"id": which})
for ids in (["class", "student", "notification"], ["other_class", "other_student",
                                                   "other_notification"],
            ["missing_class", "school_class", "missing_student"]):
    case(f"query($ids: [ID!]!) {{ nodes(ids: $ids) {{ __typename id {ANY} }} }}", {"ids": ids})
# the roots: the viewer's classes, and one class by its global id or number
case(f"{{ teacherClasses {{ {CLASS} students(first: 10) {{ {PAGE_INFO} edges {{ cursor node "
     f"{{ {STUDENT} }} }} }} }} }}")
case("{ teacherClasses { name } t: __typename }")
for which in ("class", "class_number", "other_class", "school_class", "school_number",
              "missing_class", "student", "not an id", "0", "01"):
    case(f"query($id: ID!) {{ teacherClass(id: $id) {{ {CLASS} students(first: 2) {{ "
         "edges { node { name username } } } } }", {"id": which})
# the teacher's notifications, newest first (50 unless asked, at most 200)
case(f"{{ teacherNotifications {{ {PAGE_INFO} edges {{ cursor node {{ {NOTIFICATION} }} }} }} }}")
for variables in ({"n": 1}, {"n": 1, "a": "notification_cursor"}, {"n": 200, "u": True},
                  {"n": 5, "u": False}, {"n": 201}, {"n": 0}, {"n": 2, "a": "not a cursor"},
                  {"n": 2, "a": "student_cursor"}):
    case("query($n: Int!, $a: String, $u: Boolean = false) { teacherNotifications(first: $n, "
         f"after: $a, unreadOnly: $u) {{ {PAGE_INFO} nodes {{ id read }} }} }}", variables)
case("{ teacherNotifications(unreadOnly: true) { edges { node { childName } } } }")
# a parent's own claims, newest first (the resolver's cap): refused to anyone else
case(f"{{ myParentClaims {{ {CLAIM} }} }}")
case("{ mine: myParentClaims { number status } n: myParentClaims { childName } }")
case("query($id: ID!) { a: node(id: $id) { ...C } b: node(id: $id) { id } } "
     "fragment C on TeacherClass { n: name s: students(first: 3) { e: edges { n: node { "
     "u: username } } } }", {"id": "class"})


async def _students(client, headers, class_id: int, *names: str) -> list[int]:
    ids = []
    for name in names:
        response = await client.post(f"/api/v1/classes/{class_id}/students",
                                     json={"name": name, "year_level": 2},
                                     headers={**headers, **new_key()})
        assert response.status_code == 201, response.text
        ids.append(response.json()["id"])
    return ids


async def seed(client, services) -> tuple[dict, dict]:
    """Two teachers' classes (one in a school with its admin), students, notifications."""
    owner, owner_headers = await portal_account(services, "TEACHER", "owner@example.com")
    other, other_headers = await portal_account(services, "TEACHER", "other@example.com")
    admin, admin_headers = await portal_account(services, "SCHOOL_ADMIN", "head@example.com")
    parent, parent_headers = await portal_account(services, "PARENT", "mum@example.com")
    _, platform_headers = await portal_account(services, "PLATFORM_ADMIN", "root@example.com")
    classes = {}
    for name, headers in (("owner", owner_headers), ("other", other_headers),
                          ("school", other_headers)):
        response = await client.post("/api/v1/classes", json={"name": f"{name} 3B",
                                                              "year_level": 3},
                                     headers={**headers, **new_key()})
        classes[name] = response.json()["id"]
    students = await _students(client, owner_headers, classes["owner"], "Ann", "Ben", "Cy")
    others = await _students(client, other_headers, classes["school"], "Dee")
    async with services.db.transaction() as session:
        school = School(name="Hill School")
        session.add(school)
        await session.flush()
        session.add(SchoolStaff(user_id=admin.id, school_id=school.id, role="admin"))
        await session.execute(update(SchoolClass).where(SchoolClass.id == classes["school"])
                              .values(school_id=school.id))
        notes = []
        for teacher, student, read in ((owner, students[0], None),
                                       (other, others[0], datetime(2026, 3, 1, tzinfo=UTC)),
                                       (owner, None, None)):
            row = TeacherNotification(
                teacher_id=teacher.id, type="low_score" if student else "inactive",
                student_id=student, message="It happened.", action_url="/classes/1",
                event_key=f"seed:{len(notes)}", read_at=read)
            session.add(row)
            await session.flush()
            notes.append(row.id)
        claims = []
        for student, status, decided in (
                (students[0], "pending", None),
                (students[1], "approved", datetime(2026, 3, 2, 3, 4, 5, 678, tzinfo=UTC))):
            claim = ParentClaim(student_id=student, parent_id=parent.id, status=status,
                                decided_at=decided)
            session.add(claim)
            await session.flush()
            claims.append(claim.id)
    ids = {"claim": relay.to_base64("ParentClaim", claims[0]),
           "decided_claim": relay.to_base64("ParentClaim", claims[1]),
           "missing_claim": relay.to_base64("ParentClaim", 10 ** 9),
           "class": relay.to_base64("TeacherClass", classes["owner"]),
           "other_class": relay.to_base64("TeacherClass", classes["other"]),
           "school_class": relay.to_base64("TeacherClass", classes["school"]),
           "student": relay.to_base64("ClassStudent", students[0]),
           "other_student": relay.to_base64("ClassStudent", others[0]),
           "notification": relay.to_base64("TeacherNotification", notes[0]),
           "other_notification": relay.to_base64("TeacherNotification", notes[1]),
           "missing_class": relay.to_base64("TeacherClass", 10 ** 9),
           "missing_student": relay.to_base64("ClassStudent", 10 ** 9),
           "class_number": str(classes["owner"]),
           "school_number": str(classes["school"]),
           "student_cursor": encode_cursor([students[0]]),
           "notification_cursor": encode_cursor([notes[2]])}
    viewers = {"anonymous": {}, "owner": as_bearer(owner_headers),
               "other_teacher": as_bearer(other_headers),
               "school_admin": as_bearer(admin_headers), "parent": as_bearer(parent_headers),
               "platform_admin": as_bearer(platform_headers)}
    return ids, viewers


async def test_the_teacher_portal_answers_the_same_bytes_on_both_paths(
        server, general, client, services):
    ids, viewers = await seed(client, services)
    planned_count = 0
    mismatches = []
    async with httpx.AsyncClient(base_url=server.base_url, timeout=30) as planned, \
            httpx.AsyncClient(base_url=general.base_url, timeout=30) as plain:
        for query, variables in CORPUS:
            body = {"query": query, "variables": resolve(variables, ids)}
            for viewer, headers in viewers.items():
                both = await ask_both(planned, plain, server, services, body, headers)
                answer, statements = both.answer, both.statements
                if both.mismatch:
                    mismatches.append((viewer, query, variables, *both.mismatch))
                reads = without_sign_in(statements)
                if any("json_build_object" in s for s in reads) and len(reads) > 1:
                    # A required row not there: the general path answers with its error.
                    assert b'"errors"' in answer.content, (viewer, query, variables)
                elif any("json_build_object" in s for s in reads):
                    planned_count += 1
    assert mismatches == []
    # Most answers come from plans; the rest are the general path's (reading data, refusals).
    assert planned_count >= len(CORPUS) * len(viewers) * 7 // 10, planned_count


async def test_who_sees_what_on_the_planned_path(server, client, services):
    ids, viewers = await seed(client, services)
    body = {"query": "query($ids: [ID!]!) { nodes(ids: $ids) { id } }",
            "variables": {"ids": [ids[k] for k in ("class", "school_class", "student",
                                                   "other_student", "notification",
                                                   "claim")]}}
    seen = {}
    async with httpx.AsyncClient(base_url=server.base_url, timeout=30) as http:
        for viewer, headers in viewers.items():
            await http.post("/graphql", json=body, headers=headers)
            with count_statements(services) as counter:
                answer = (await http.post("/graphql", json=body, headers=headers)).json()
            assert any("json_build_object" in s for s in counter.statements), viewer
            seen[viewer] = [n is not None for n in answer["data"]["nodes"]]
    assert seen == {
        "anonymous": [False] * 6, "parent": [False] * 5 + [True],
        "owner": [True, False, True, False, True, True],
        "other_teacher": [False, True, False, True, False, False],
        # The school's admin reads its class and students, not its teachers' notifications.
        "school_admin": [False, True, False, True, False, False],
        "platform_admin": [True, True, True, True, False, True]}


async def test_a_class_counts_its_students_for_those_who_may_read_it(server, client, services):
    """``totalCount`` of a class's students: all of them whatever the page, for the viewers
    who may read the class (none for the others), the same on both paths (a document's
    first answer is the general path's, the next one its plan's)."""
    ids, viewers = await seed(client, services)
    query = ("query($id: ID!, $a: String) { node(id: $id) { ... on TeacherClass { "
             "students(first: 1, after: $a) { totalCount nodes { name } } } } }")
    seen = {}
    async with httpx.AsyncClient(base_url=server.base_url, timeout=30) as http:
        for viewer, which in (("owner", "class"), ("school_admin", "school_class"),
                              ("other_teacher", "class"), ("anonymous", "class")):
            body = {"query": query, "variables": {"id": ids[which], "a": ids["student_cursor"]}}
            general = (await http.post("/graphql", json=body, headers=viewers[viewer])).json()
            with count_statements(services) as counter:
                planned = (await http.post("/graphql", json=body,
                                           headers=viewers[viewer])).json()
            assert any("json_build_object" in s for s in counter.statements), viewer
            assert planned["data"] == general["data"], viewer
            assert "errors" not in planned, viewer
            seen[viewer] = planned["data"]["node"]
    assert seen == {"owner": {"students": {"totalCount": 3, "nodes": [{"name": "Ben"}]}},
                    "school_admin": {"students": {"totalCount": 1, "nodes": [{"name": "Dee"}]}},
                    "other_teacher": None, "anonymous": None}


async def test_a_teachers_notifications_newest_first_are_planned(server, client, services):
    """``teacherNotifications``: newest first, 50 unless asked, ``unreadOnly`` in the page
    and its count, one planned statement."""
    ids, viewers = await seed(client, services)
    query = ("query($u: Boolean = false) { teacherNotifications(unreadOnly: $u) { totalCount "
             "nodes { id read } } }")
    seen = []
    async with httpx.AsyncClient(base_url=server.base_url, timeout=30) as http:
        for unread in (False, True):
            body = {"query": query, "variables": {"u": unread}}
            await http.post("/graphql", json=body, headers=viewers["owner"])
            with count_statements(services) as counter:
                seen.append((await http.post("/graphql", json=body,
                                             headers=viewers["owner"])).json()["data"])
            reads = without_sign_in(counter.statements)
            assert len(reads) == 1 and "json_build_object" in reads[0]
    newest = relay.from_base64(ids["notification"])
    assert newest[0] == "TeacherNotification"
    for answer in seen:  # the owner's two, both unread, the later first
        nodes = answer["teacherNotifications"]["nodes"]
        assert answer["teacherNotifications"]["totalCount"] == 2
        assert [n["read"] for n in nodes] == [False, False]
        assert nodes[1]["id"] == ids["notification"]


async def test_a_parents_claims_are_their_newest_on_both_paths(server, general, client,
                                                               services):
    """``myParentClaims`` holds a parent's ``MINE_MAXIMUM`` newest claims, newest first: the
    planned statement's LIMIT is the resolver's, and its answer the general path's bytes."""
    ids, viewers = await seed(client, services)
    async with services.db.session() as session:
        student, parent = (await session.execute(
            select(ParentClaim.student_id, ParentClaim.parent_id).where(
                ParentClaim.id == int(relay.from_base64(ids["claim"])[1])))).one()
    made = await add_many(services, ParentClaim, [
        {"student_id": student, "parent_id": parent, "status": "rejected"}] * MINE_MAXIMUM)
    body = {"query": "{ myParentClaims { number status } }"}
    async with httpx.AsyncClient(base_url=server.base_url, timeout=30) as planned, \
            httpx.AsyncClient(base_url=general.base_url, timeout=30) as plain:
        both = await ask_both(planned, plain, server, services, body, viewers["parent"])
    assert both.mismatch is None, both.mismatch
    reads = without_sign_in(both.statements)
    assert len(reads) == 1 and f"LIMIT {MINE_MAXIMUM}" in reads[0], reads
    claims = both.answer.json()["data"]["myParentClaims"]
    assert [c["number"] for c in claims] == made[::-1]
    assert {c["status"] for c in claims} == {"REJECTED"}
