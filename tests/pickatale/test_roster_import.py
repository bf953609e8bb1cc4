"""Roster imports from CSV: new students with usernames and PINs shown once, idempotent
re-imports, every bad row reported by line with nothing stored, and the files
spreadsheets really save (BOM, CRLF, semicolons, UTF-16, Windows-1252)."""

from __future__ import annotations

from argon2 import PasswordHasher
from sqlalchemy import func, select

from models.roster import Student
from models.user import ChildCredential
from resolvers import roster
from tests.fixtures import error_codes, gql, gql_raw
from tests.pickatale.helpers import as_bearer, assert_error, new_key, portal_account

CSRF = {"X-CSRF-Token": "1"}


async def _setup(client, services) -> tuple[dict, int]:
    _, teacher = await portal_account(services, "TEACHER")
    response = await client.post("/api/v1/classes", json={"name": "4C"},
                                 headers={**teacher, **new_key()})
    return {**teacher, **CSRF}, response.json()["id"]


async def _import(client, headers, class_id: int, content: bytes, *, field: str = "roster",
                  legacy: bool = False):
    path = (f"/api/v1/class/{class_id}/students/import" if legacy
            else f"/api/v1/classes/{class_id}/students/import")
    return await client.post(path, files={field: ("roster.csv", content, "text/csv")},
                             headers={**headers, **new_key()})


async def _count(services) -> int:
    async with services.db.session() as session:
        return (await session.execute(select(func.count()).select_from(Student))).scalar()


async def test_an_import_creates_students_and_shows_each_pin_once(client, services):
    headers, class_id = await _setup(client, services)
    response = await _import(client, headers, class_id,
                             b"name,year_level\nSofia,3\nOmar,3\nSofia,4\n")
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["imported"] == 3 and body["existing"] == []
    assert [(s["name"], s["username"], s["year_level"]) for s in body["students"]] == [
        ("Sofia", "sofia001", 3), ("Omar", "omar001", 3), ("Sofia", "sofia002", 4)]
    async with services.db.session() as session:
        hashes = dict((await session.execute(select(Student.id, ChildCredential.pin_hash).join(
            ChildCredential, ChildCredential.user_id == Student.user_id))).all())
    for student in body["students"]:
        assert len(student["pin"]) == 4 and student["pin"].isdigit()
        assert PasswordHasher().verify(hashes[student["id"]], student["pin"])
    listed = (await client.get(f"/api/v1/class/{class_id}/students", headers=headers)).json()
    assert all("pin" not in s for s in listed["students"]) and len(listed["students"]) == 3


async def test_importing_the_same_file_again_creates_nobody(client, services):
    headers, class_id = await _setup(client, services)
    roster = b"name,year_level\nAda,2\nAda,2\nBo,2\n"
    first = (await _import(client, headers, class_id, roster)).json()
    assert first["imported"] == 3
    assert [s["username"] for s in first["students"]] == ["ada001", "ada002", "bo001"]
    again = (await _import(client, headers, class_id, roster, legacy=True)).json()
    assert again["imported"] == 0 and again["students"] == []
    assert [(e["line"], e["username"]) for e in again["existing"]] == [
        (2, "ada001"), (3, "ada002"), (4, "bo001")]
    assert all("pin" not in e for e in again["existing"])
    # The same names in other case and spacing match; one more Ada is one more student.
    more = (await _import(client, headers, class_id,
                          b"name,year_level\n  ADA ,2\nada,2\nAda,2\nbo,2\n")).json()
    assert more["imported"] == 1 and more["students"][0]["username"] == "ada003"
    assert await _count(services) == 4


async def test_bad_rows_are_reported_by_line_and_nothing_is_imported(client, services):
    headers, class_id = await _setup(client, services)
    roster = ("name,year_level\n"
              "Sofia,3\n"
              ",3\n"               # line 3: no name
              "Omar,\n"            # line 4: no year
              "Lina,Year 14\n"     # line 5: out of range
              "Max,three\n"        # line 6: not a number
              "\n"                 # line 7: blank, skipped
              + "L" * 101 + ",2\n"  # line 8: too long
              "Kai,2\n").encode()
    response = await _import(client, headers, class_id, roster)
    body = assert_error(response, 422, "validation_failed")
    assert body["details"]["rows"] == [
        {"line": 3, "field": "name", "problem": "missing"},
        {"line": 4, "field": "year_level", "problem": "missing"},
        {"line": 5, "field": "year_level", "problem": "not a year level from 0 to 13"},
        {"line": 6, "field": "year_level", "problem": "not a year level from 0 to 13"},
        {"line": 8, "field": "name", "problem": "longer than 100 characters"}]
    assert body["details"]["error_count"] == 5
    assert await _count(services) == 0


async def test_files_as_spreadsheets_save_them(client, services):
    headers, class_id = await _setup(client, services)
    excel = ("\ufeffStudent Name;Notes;Year Level\r\n"
             '"Berg, Sofia";likes cats;Y3\r\n'
             "\r\n"
             "Omar;;R\r\n"
             '"Jo ""JJ"" Lee";;Year 2\r\n').encode("utf-8")
    body = (await _import(client, headers, class_id, excel)).json()
    assert [(s["name"], s["year_level"], s["username"]) for s in body["students"]] == [
        ("Berg, Sofia", 3, "berg001"), ("Omar", 0, "omar001"), ('Jo "JJ" Lee', 2, "jo001")]

    windows = "name,year_level\nZoë,1\nJosé,1\n".encode("cp1252")
    body = (await _import(client, headers, class_id, windows)).json()
    assert [(s["name"], s["username"]) for s in body["students"]] == [
        ("Zoë", "zoe001"), ("José", "jose001")]

    unicode_text = "name\tyear_level\r\nÅsa\t5\r\n".encode("utf-16")
    body = (await _import(client, headers, class_id, unicode_text, field="file")).json()
    assert [(s["name"], s["username"]) for s in body["students"]] == [("Åsa", "asa001")]
    # Quoted fields may span lines: a later row's line number is still its own.
    multi = b'name,year_level\n"Two\nLines",1\nBad,x\n'
    response = await _import(client, headers, class_id, multi)
    assert assert_error(response, 422, "validation_failed")["details"]["rows"] == [
        {"line": 4, "field": "year_level", "problem": "not a year level from 0 to 13"}]


async def test_files_that_are_not_rosters(client, services):
    headers, class_id = await _setup(client, services)
    cases = [
        (b"", 1, "file"),
        (b"name,year_level\n", 2, "file"),
        (b"name,year_level\n\n\n", 2, "file"),
        (b"first,last\nA,B\n", 1, "header"),
        (b"name\nA\n", 1, "header"),
        (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", 1, "file"),
    ]
    for content, line, field in cases:
        body = assert_error(await _import(client, headers, class_id, content), 422,
                            "validation_failed")
        assert body["details"]["rows"][0]["line"] == line, (content, body)
        assert body["details"]["rows"][0]["field"] == field, (content, body)
    too_many = b"name,year_level\n" + b"".join(b"Kid,1\n" for _ in range(301))
    body = assert_error(await _import(client, headers, class_id, too_many), 422,
                        "validation_failed")
    assert body["details"]["rows"] == [{"line": 302, "field": "file",
                                        "problem": "a roster holds at most 300 students"}]
    huge = b"name,year_level\n" + b"A,1," + b"x" * (300 * 1024) + b"\n"
    assert_error(await _import(client, headers, class_id, huge), 413, "payload_too_large")
    assert await _count(services) == 0


async def test_the_upload_itself_must_be_a_multipart_roster(client, services):
    headers, class_id = await _setup(client, services)
    keyed = {**headers, **new_key()}
    path = f"/api/v1/classes/{class_id}/students/import"
    response = await client.post(path, json={"name": "A"}, headers=keyed)
    assert_error(response, 400, "bad_request")
    response = await client.post(path, files={"other": ("x.csv", b"name,year_level\nA,1\n")},
                                 headers={**headers, **new_key()})
    assert_error(response, 400, "bad_request")
    response = await client.post(path, content=b"--broken\r\n", headers={
        **headers, **new_key(), "Content-Type": "multipart/form-data; boundary=broken"})
    assert response.status_code == 400, response.text
    response = await client.post(path, content=b"--broken\r\n", headers={
        **headers, **new_key(), "Content-Type": "multipart/form-data"})  # no boundary
    assert_error(response, 400, "bad_request")
    assert response.json()["message"] == "The multipart body could not be read"
    # Signed in by the cookie, a multipart upload must carry the CSRF header.
    no_csrf = {k: v for k, v in headers.items() if k != "X-CSRF-Token"}
    response = await _import(client, no_csrf, class_id, b"name,year_level\nA,1\n")
    assert_error(response, 403, "forbidden")
    # Another teacher's class, or none at all.
    _, other = await portal_account(services, "TEACHER", "other@example.com")
    response = await _import(client, {**other, **CSRF}, class_id, b"name,year_level\nA,1\n")
    assert_error(response, 403, "forbidden")
    response = await _import(client, headers, 424242, b"name,year_level\nA,1\n")
    assert_error(response, 404, "not_found")
    _, parent = await portal_account(services, "PARENT")
    response = await _import(client, {**parent, **CSRF}, class_id, b"name,year_level\nA,1\n")
    assert_error(response, 403, "forbidden")
    response = await _import(client, CSRF, class_id, b"name,year_level\nA,1\n")
    assert_error(response, 401, "unauthenticated")
    assert await _count(services) == 0


async def test_a_full_class_takes_no_more_students(client, services, monkeypatch):
    # The limit is 300; a smaller one here keeps the test quick (PINs hash slowly).
    monkeypatch.setattr(roster, "MAX_STUDENTS_PER_CLASS", 4)
    headers, class_id = await _setup(client, services)
    half = b"name,year_level\nA,1\nB,1\nC,1\n"
    assert (await _import(client, headers, class_id, half)).json()["imported"] == 3
    other = b"name,year_level\nD,1\nE,1\n"
    body = assert_error(await _import(client, headers, class_id, other), 409, "class_full")
    assert body["details"] == {"limit": 4, "students": 3}
    response = await client.post(f"/api/v1/classes/{class_id}/students",
                                 json={"name": "D", "year_level": 1},
                                 headers={**headers, **new_key()})
    assert response.status_code == 201
    response = await client.post(f"/api/v1/classes/{class_id}/students",
                                 json={"name": "E", "year_level": 1},
                                 headers={**headers, **new_key()})
    assert_error(response, 409, "class_full")
    assert await _count(services) == 4


IMPORT = """
mutation($classId: ID!, $csv: String!) { importRoster(input: {classId: $classId, csv: $csv}) {
  imported students { username pin } existing { line username } } }
"""


async def test_importing_in_graphql_follows_the_same_rules(client, services):
    headers, class_id = await _setup(client, services)
    bearer = as_bearer(headers)
    roster = "name,year_level\nAnn,1\nBen,1\n"
    first = (await gql(client, IMPORT, {"classId": str(class_id), "csv": roster},
                       headers=bearer))["importRoster"]
    assert first["imported"] == 2 and [s["username"] for s in first["students"]] == [
        "ann001", "ben001"]
    again = (await gql(client, IMPORT, {"classId": str(class_id), "csv": roster},
                       headers=bearer))["importRoster"]
    assert again["imported"] == 0 and again["existing"] == [
        {"line": 2, "username": "ann001"}, {"line": 3, "username": "ben001"}]
    bad = await gql_raw(client, IMPORT, {"classId": str(class_id), "csv": "name,year_level\n,1"},
                        headers=bearer)
    assert error_codes(bad) == ["BAD_USER_INPUT"]
    assert bad["errors"][0]["extensions"]["details"]["rows"] == [
        {"line": 2, "field": "name", "problem": "missing"}]
