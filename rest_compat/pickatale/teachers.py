"""The teacher portal (:3116), ``/api/v1``: classes and their students.

Every route takes the signed-in account's session (the ``uc_session`` cookie, or its
token as a Bearer header), never ``X-Internal-Key``; classes are for teachers and
school admins (any other role is 403 ``forbidden``), and a class is its teacher's
alone (another teacher's class is 403, a class nobody has 404), except that the admins
of the class's school may read its students (``resolvers/school.py``). Rules are in
``resolvers/roster.py`` and ``resolvers/roster_import.py``.

Choices where the reference is silent:
- ``POST /classes`` takes ``{"name", "year_level"?}`` and answers 201 with the class.
- ``POST /classes/:id/students`` takes ``{"name", "year_level"}`` and answers 201 with
  the student, its ``username`` and its ``pin``, shown this once.
- ``GET /classes/:id/students`` is the §39.3 list (``?cursor=&limit=``, default 50,
  at most 200; ``{"data", "nextCursor", "hasMore"}``); the older
  ``GET /class/:class_id/students`` answers ``{"students": [...]}`` with the whole
  class (a class holds at most 300 students). Both give each student's reading data:
  ``reading_level`` (null until the learner bot has placed the child),
  ``books_read``, ``total_miles``, ``comprehension_trend`` (the last three quiz
  scores, oldest first), ``attention_flag`` (the last quiz below 65 %, or no finished
  reading session for 7 days) and ``latest_report``.
- Both import paths take ``multipart/form-data`` with the CSV in the field ``roster``
  (or ``file``), at most 256 KiB and 300 students. They answer 200 with ``imported``
  (students created), ``students`` (each new one's ``name``, ``username`` and ``pin``)
  and ``existing`` (rows that matched students already in the class, by ``line``,
  without PINs). A file with bad rows imports nothing: 422 ``validation_failed`` with
  ``details.rows`` listing ``{"line", "field", "problem"}``. A body that is not
  multipart or has no file is 400 ``bad_request``. Signed in by the cookie, the
  upload must carry a non-empty ``X-CSRF-Token`` header (the framework's rule for
  cookie-authenticated writes that are not JSON).
- ``POST /classes``, ``/classes/:id/students`` and ``/classes/:id/students/import``
  require an ``Idempotency-Key``, as §39.4 says (400 ``idempotency_key_required``
  without one): a retry with the key gets the first answer again (the same PINs, kept
  sealed) instead of a second class or student, 409 while the first runs, 422 with
  another body. The older ``/class/:class_id/students/import``, which §39.4 does not
  name, honours a key when one is sent.
"""

from __future__ import annotations

from typing import Any

from pydantic import Field
from starlette.datastructures import UploadFile
from starlette.responses import Response

from core.errors import DomainError
from core.pagination import decode_id_cursor, encode_cursor
from models.roster import SchoolClass
from resolvers import roster, roster_import
from resolvers.reading import Input
from resolvers.roster import ClassIn, StudentIn, StudentView
from resolvers.roster_import import MAX_ROSTER_BYTES
from rest_compat import returns as out
from rest_compat.base import FaceRequest, JSONResponse, Route, iso, multipart_form
from rest_compat.pickatale.shapes import PageQuery, page

NOT_MULTIPART = "Send the roster as multipart/form-data in the field 'roster'"
MAX_ID = 2**63 - 1


class ClassPath(Input):
    id: int = Field(ge=1, le=MAX_ID)


class LegacyClassPath(Input):
    class_id: int = Field(ge=1, le=MAX_ID)


def class_json(row: Any, student_count: int = 0) -> dict[str, Any]:
    return {"id": row.id, "name": row.name, "year_level": row.year_level,
            "student_count": student_count, "created_at": iso(row.created_at)}


def student_json(view: StudentView) -> dict[str, Any]:
    student = view.student
    return {"id": student.id, "name": student.name, "username": view.username,
            "year_level": student.year_level, "learner_service_id": str(student.user_id),
            "reading_level": view.reading_level, "books_read": view.books_read,
            "total_miles": view.total_miles, "comprehension_trend": view.comprehension_trend,
            "attention_flag": view.attention_flag, "latest_report": view.latest_report}


def _class_id(req: FaceRequest) -> int:
    return req.path.get("id") or req.path["class_id"]


R_CLASS = out.rendered(class_json, SchoolClass)
NEW_STUDENT = out.obj(id=out.INTEGER, name=out.STRING, username=out.STRING, pin=out.STRING,
                      year_level=out.INTEGER, learner_service_id=out.STRING)
IMPORTED = out.obj(
    imported=out.INTEGER,
    students=out.array(out.obj(id=out.INTEGER, name=out.STRING, username=out.STRING,
                               pin=out.STRING, year_level=out.INTEGER)),
    existing=out.array(out.obj(line=out.INTEGER, id=out.INTEGER, name=out.STRING,
                               username=out.STRING)))


async def create_class(req: FaceRequest) -> Response:
    row = await roster.create_class(req.ctx, data=req.body)
    return JSONResponse(class_json(row), status_code=201)


async def class_students(req: FaceRequest) -> Response:
    after = decode_id_cursor(req.params.cursor) if req.params.cursor else None
    views, more = await roster.list_students(req.ctx, class_id=_class_id(req), after=after,
                                             limit=req.params.limit)
    return page([student_json(v) for v in views],
                encode_cursor([views[-1].student.id]) if more else None)


async def class_students_legacy(req: FaceRequest) -> Response:
    views, _ = await roster.list_students(req.ctx, class_id=_class_id(req))
    return JSONResponse({"students": [student_json(v) for v in views]})


async def create_student(req: FaceRequest) -> Response:
    new = await roster.create_student(req.ctx, class_id=_class_id(req), data=req.body)
    student = new.student
    return JSONResponse({"id": student.id, "name": student.name, "username": new.username,
                         "pin": new.pin, "year_level": student.year_level,
                         "learner_service_id": str(student.user_id)}, status_code=201)


async def _roster_file(req: FaceRequest) -> bytes:
    content_type = req.request.headers.get("content-type", "")
    if not content_type.lower().startswith("multipart/form-data"):
        raise DomainError(NOT_MULTIPART, details={"field": "roster"})
    form = await multipart_form(req.request, max_files=1, max_fields=10,
                                max_part_size=MAX_ROSTER_BYTES + 1)
    if form is None:
        raise DomainError("The multipart body could not be read", details={"field": "roster"})
    try:
        upload = form.get("roster") or form.get("file")
        if isinstance(upload, UploadFile):
            return await upload.read(MAX_ROSTER_BYTES + 1)
        if isinstance(upload, str):  # the CSV sent as a text field
            return upload.encode()
        raise DomainError(NOT_MULTIPART, details={"field": "roster"})
    finally:
        await form.close()


async def import_students(req: FaceRequest) -> Response:
    result = await roster_import.import_roster(req.ctx, class_id=_class_id(req),
                                               content=await _roster_file(req))
    return JSONResponse({
        "imported": len(result.created),
        "students": [{"id": n.student.id, "name": n.student.name,
                      "username": n.username, "pin": n.pin,
                      "year_level": n.student.year_level} for n in result.created],
        "existing": [{"line": e.line, "id": e.student.id, "name": e.student.name,
                      "username": e.username} for e in result.existing]})


_SESSION = {401: "Not signed in", 403: "Not a teacher, or another teacher's class"}
_IMPORT = {200: "Students created (PINs shown once) and rows already in the class",
           400: "Not multipart, or no roster file", **_SESSION, 404: "No such class",
           409: "The class would pass 300 students", 413: "File past 256 KiB",
           422: "Bad rows, by line (nothing imported)"}

ROUTES = [
    Route("POST", "/classes", create_class, credential="session", body=ClassIn,
          idempotency=True,
          summary="Create a class", responses={201: "The class", 400: "Malformed body",
                                                **_SESSION, 422: "Invalid name or year level"},
          returns={201: R_CLASS}),
    Route("GET", "/classes/{id}/students", class_students, credential="session",
          path_params=ClassPath, query=PageQuery,
          summary="A page of a class's students with their reading data",
          responses={200: "Students", **_SESSION, 404: "No such class",
                     422: "Invalid cursor or limit"}),
    Route("POST", "/classes/{id}/students", create_student, credential="session",
          path_params=ClassPath, body=StudentIn, idempotency=True,
          summary="Add a student; the PIN is shown this once",
          responses={201: "The student, username and PIN", 400: "Malformed body", **_SESSION,
                     404: "No such class", 409: "The class is full",
                     422: "Invalid name or year level"},
          returns={201: NEW_STUDENT}),
    Route("POST", "/classes/{id}/students/import", import_students, credential="session",
          path_params=ClassPath, idempotency=True,
          summary="Import students from a CSV roster (name, year_level)", responses=_IMPORT,
          returns={200: IMPORTED}),
    Route("GET", "/class/{class_id}/students", class_students_legacy, credential="session",
          path_params=LegacyClassPath,
          summary="Every student of a class with their reading data",
          responses={200: "Students", **_SESSION, 404: "No such class"}),
    Route("POST", "/class/{class_id}/students/import", import_students, credential="session",
          path_params=LegacyClassPath, idempotency="optional",
          summary="Import students from a CSV roster (name, year_level)", responses=_IMPORT,
          returns={200: IMPORTED}),
]
