"""Schools: a school admin registers with their school, teachers join with its code, and
the admin reads the school's teachers, classes and students (REST and GraphQL), and
nothing of another school; the session says which school an account is on."""

from __future__ import annotations

from sqlalchemy import select
from strawberry import relay

from models.roster import SchoolClass
from models.school import School, SchoolStaff
from resolvers.school import hash_code
from tests.fixtures import error_codes, gql, gql_raw
from tests.pickatale.helpers import as_bearer, assert_error, new_key, portal_account
from tests.pickatale.test_account_center import AC, PASSWORD, _verified

ADMIN = {"name": "Hana Head", "email": "head@example.com", "password": PASSWORD,
         "role": "school_admin", "school_name": "Hill School"}
SCHOOL = """{ school { id number name viewerRole
  staff { name email role } classes { number name studentCount } } }"""
MINE = "{ school { number name viewerRole } }"
CODE = "mutation { createSchoolJoinCode { code } }"
JOIN = """mutation($code: String!) { joinSchool(code: $code) {
  school { number name viewerRole } } }"""
REMOVE = """mutation($id: ID!) { removeSchoolTeacher(userId: $id) { ok } }"""
SESSION = "{ accountSession { role schoolId } }"


async def _class(client, headers, name: str) -> int:
    response = await client.post("/api/v1/classes", json={"name": name},
                                 headers={**headers, **new_key()})
    assert response.status_code == 201, response.text
    return response.json()["id"]


async def _student(client, headers, class_id: int, name: str) -> dict:
    response = await client.post(f"/api/v1/classes/{class_id}/students",
                                 json={"name": name, "year_level": 3},
                                 headers={**headers, **new_key()})
    assert response.status_code == 201, response.text
    return response.json()


async def test_a_school_admin_registers_with_their_school(client, services, smtp):
    user_id = await _verified(client, smtp, ADMIN)
    async with services.db.session() as session:
        staff = await session.get(SchoolStaff, user_id)
        school = await session.get(School, staff.school_id)
    assert (staff.role, school.name, school.join_code_hash) == ("admin", "Hill School", None)
    session = (await client.get(f"{AC}/session")).json()
    assert (session["role"], session["school_id"]) == ("admin", school.id)
    data = await gql(client, SCHOOL)
    assert data["school"] == {"id": data["school"]["id"], "number": school.id,
                              "name": "Hill School", "viewerRole": "ADMIN",
                              "staff": [{"name": "Hana Head", "email": "head@example.com",
                                         "role": "ADMIN"}], "classes": []}
    assert (await gql(client, SESSION))["accountSession"] == {
        "role": "ADMIN", "schoolId": relay.to_base64("School", str(school.id))}
    assert data["school"]["id"] == relay.to_base64("School", str(school.id))
    # Without a school name the school is named after its admin.
    other = {**ADMIN, "email": "solo@example.com", "name": "Sol", "school_name": "  "}
    response = await client.post(f"{AC}/register", json=other, headers=new_key())
    assert response.status_code == 200, response.text
    async with services.db.session() as session:
        names = (await session.execute(select(School.name).order_by(School.id))).scalars()
        assert list(names) == ["Hill School", "Sol's school"]


async def test_teachers_join_and_the_admin_reads_the_school(client, services, smtp,
                                                            new_client):
    await _verified(client, smtp, ADMIN)
    admin = {"Cookie": "uc_session=" + client.cookies["uc_session"]}
    client.cookies.clear()
    admin_bearer = as_bearer(admin)
    teacher, tess = await portal_account(services, "TEACHER", "tess@example.com")
    _, outsider = await portal_account(services, "TEACHER", "out@example.com")
    before = await _class(client, tess, "3B")
    kid = await _student(client, tess, before, "Sofia")
    outside = await _class(client, outsider, "9Z")
    # Before joining, the admin reads nothing of the teacher's class.
    assert_error(await client.get(f"/api/v1/classes/{before}/students", headers=admin),
                 403, "forbidden")
    # Only the school's admin makes the code; a wrong code is nobody's school.
    body = await gql_raw(client, CODE, headers=as_bearer(tess))
    assert error_codes(body) == ["NOT_FOUND"]
    first = (await gql(client, CODE, headers=admin_bearer))["createSchoolJoinCode"]["code"]
    code = (await gql(client, CODE, headers=admin_bearer))["createSchoolJoinCode"]["code"]
    assert code != first
    for bad in (first, "nope"):
        body = await gql_raw(client, JOIN, {"code": bad}, headers=as_bearer(tess))
        assert error_codes(body) == ["NOT_FOUND"]
    joined = (await gql(client, JOIN, {"code": code}, headers=as_bearer(tess)))["joinSchool"]
    assert joined["school"]["name"] == "Hill School"
    assert joined["school"]["viewerRole"] == "TEACHER"
    # Admins cannot join by code, and a teacher is on one school only.
    body = await gql_raw(client, JOIN, {"code": code}, headers=admin_bearer)
    assert error_codes(body) == ["FORBIDDEN"]
    after = await _class(client, tess, "4C")
    async with services.db.session() as session:
        schools = dict((await session.execute(select(SchoolClass.id, SchoolClass.school_id)
                                              )).all())
    number = joined["school"]["number"]
    assert (schools[before], schools[after], schools[outside]) == (number, number, None)
    session = (await client.get(f"{AC}/session", headers=tess)).json()
    assert session["school_id"] == number
    # A child's school is their class's.
    child = new_client()
    signed_in = await child.post(f"{AC}/child-login", json={"username": kid["username"],
                                                            "pin": kid["pin"]})
    assert signed_in.status_code == 200, signed_in.text
    assert (await child.get(f"{AC}/session")).json()["school_id"] == number

    data = (await gql(client, SCHOOL, headers=admin_bearer))["school"]
    assert [(m["name"], m["role"]) for m in data["staff"]] == [("Hana Head", "ADMIN"),
                                                                ("Teacher", "TEACHER")]
    assert data["classes"] == [{"number": before, "name": "3B", "studentCount": 1},
                               {"number": after, "name": "4C", "studentCount": 0}]
    # The admin reads the students (REST, both paths, and GraphQL) but adds none.
    page = await client.get(f"/api/v1/classes/{before}/students", headers=admin)
    assert page.status_code == 200 and [s["name"] for s in page.json()["data"]] == ["Sofia"]
    legacy = await client.get(f"/api/v1/class/{before}/students", headers=admin)
    assert [s["username"] for s in legacy.json()["students"]] == [kid["username"]]
    students = await gql(client, """query($id: ID!) { teacherClass(id: $id) {
        students { edges { node { name } } } } }""", {"id": str(before)},
                         headers=admin_bearer)
    assert students["teacherClass"]["students"]["edges"] == [{"node": {"name": "Sofia"}}]
    assert_error(await client.post(f"/api/v1/classes/{before}/students",
                                   json={"name": "Ada", "year_level": 3},
                                   headers={**admin, **new_key()}), 403, "forbidden")
    assert_error(await client.get(f"/api/v1/classes/{outside}/students", headers=admin),
                 403, "forbidden")
    # A teacher sees their school but not its staff or classes.
    assert (await gql(client, MINE, headers=as_bearer(tess)))["school"]["viewerRole"] == (
        "TEACHER")
    body = await gql_raw(client, SCHOOL, headers=as_bearer(tess))
    assert error_codes(body) == ["FORBIDDEN"]
    # Another school's admin sees nothing of this one.
    _, rival = await portal_account(services, "SCHOOL_ADMIN", "rival@example.com")
    assert error_codes(await gql_raw(client, MINE, headers=as_bearer(rival))) == ["NOT_FOUND"]
    assert_error(await client.get(f"/api/v1/classes/{before}/students", headers=rival),
                 403, "forbidden")
    # Taken off the staff, the teacher's classes leave with them.
    body = await gql_raw(client, REMOVE, {"id": str(teacher.id)}, headers=as_bearer(tess))
    assert error_codes(body) == ["FORBIDDEN"]
    assert (await gql(client, REMOVE, {"id": str(teacher.id)},
                      headers=admin_bearer))["removeSchoolTeacher"]["ok"] is True
    assert (await gql(client, SCHOOL, headers=admin_bearer))["school"]["classes"] == []
    assert_error(await client.get(f"/api/v1/classes/{before}/students", headers=admin),
                 403, "forbidden")
    body = await gql_raw(client, REMOVE, {"id": str(teacher.id)}, headers=admin_bearer)
    assert error_codes(body) == ["NOT_FOUND"]
    # Joining again works; joining another school while on one does not.
    await gql(client, JOIN, {"code": code}, headers=as_bearer(tess))
    async with services.db.transaction() as session:
        other = School(name="Dale School", join_code_hash=None)
        session.add(other)
    async with services.db.transaction() as session:
        row = await session.get(School, other.id)
        row.join_code_hash = hash_code("dale-code")
    body = await gql_raw(client, JOIN, {"code": "dale-code"}, headers=as_bearer(tess))
    assert error_codes(body) == ["already_in_school"]
