"""Universities, departments and subjects under /api/v1 — our extension.

The reference names the "Universities" group but lists no endpoints for it,
so these follow the shape of its documented resources, as a FastAPI backend
of that platform would:

- ``GET /universities/``, ``GET /subjects/`` and ``GET /universities/{id}/departments``
  take ``skip`` (>= 0) and ``limit`` (1..1000, default 100) and answer a JSON
  list in id order; reads need no token.
- ``POST`` answers 201 with the new row; ``PUT`` is a partial update (absent
  keys keep their value, an explicit ``null`` for a required field is a 422);
  ``DELETE`` answers 204. Writes need a platform admin (401 without a token,
  403 ``{"detail": "You do not have permission to do this"}`` otherwise).
- Unknown ids answer 404 ``{"detail": "University not found"}`` (Department,
  Subject alike); duplicate names answer 409.
- Deleting a university deletes its departments; its courses stay, without it.
"""

from __future__ import annotations

from pydantic import Field
from starlette.responses import Response

from resolvers import catalog
from rest_compat.base import FaceRequest, JSONResponse, Route
from rest_compat.returns import NO_BODY, array
from rest_compat.twosigma import catalog_shapes as shapes
from rest_compat.twosigma.shapes import Body, created, no_content


class UniversityCreate(Body):
    name: str = Field(min_length=1, max_length=200)
    short_name: str | None = Field(default=None, max_length=40)
    country: str | None = Field(default=None, max_length=80)
    website_url: str | None = None
    description: str = ""


class UniversityUpdate(Body):
    name: str = Field(default=None, min_length=1, max_length=200)
    short_name: str | None = Field(default=None, max_length=40)
    country: str | None = Field(default=None, max_length=80)
    website_url: str | None = None
    description: str = None


class DepartmentCreate(Body):
    name: str = Field(min_length=1, max_length=200)
    code: str | None = Field(default=None, max_length=40)
    description: str = ""


class DepartmentUpdate(Body):
    name: str = Field(default=None, min_length=1, max_length=200)
    code: str | None = Field(default=None, max_length=40)
    description: str = None


class SubjectCreate(Body):
    name: str = Field(min_length=1, max_length=120)
    description: str = ""


class SubjectUpdate(Body):
    name: str = Field(default=None, min_length=1, max_length=120)
    description: str = None


def changes(body: Body) -> dict:
    return body.model_dump(exclude_unset=True)


async def list_universities(req: FaceRequest) -> Response:
    page = await catalog.get_all_universities(req.ctx, page=req.params.page())
    return JSONResponse([shapes.university(u) for u in page.items])


async def create_university(req: FaceRequest) -> Response:
    row = await catalog.create_university(req.ctx, fields=req.body.model_dump())
    return created(shapes.university(row))


async def get_university(req: FaceRequest) -> Response:
    row = await catalog.get_university(req.ctx, university_id=req.path["university_id"])
    return JSONResponse(shapes.university(row))


async def update_university(req: FaceRequest) -> Response:
    row = await catalog.update_university(req.ctx, university_id=req.path["university_id"],
                                          changes=changes(req.body))
    return JSONResponse(shapes.university(row))


async def delete_university(req: FaceRequest) -> Response:
    await catalog.delete_university(req.ctx, university_id=req.path["university_id"])
    return no_content()


async def list_departments(req: FaceRequest) -> Response:
    page = await catalog.get_all_departments(req.ctx, university_id=req.path["university_id"],
                                             page=req.params.page())
    return JSONResponse([shapes.department(d) for d in page.items])


async def create_department(req: FaceRequest) -> Response:
    row = await catalog.create_department(req.ctx, university_id=req.path["university_id"],
                                          fields=req.body.model_dump())
    return created(shapes.department(row))


async def get_department(req: FaceRequest) -> Response:
    row = await catalog.get_department(req.ctx, department_id=req.path["department_id"])
    return JSONResponse(shapes.department(row))


async def update_department(req: FaceRequest) -> Response:
    row = await catalog.update_department(req.ctx, department_id=req.path["department_id"],
                                          changes=changes(req.body))
    return JSONResponse(shapes.department(row))


async def delete_department(req: FaceRequest) -> Response:
    await catalog.delete_department(req.ctx, department_id=req.path["department_id"])
    return no_content()


async def list_subjects(req: FaceRequest) -> Response:
    page = await catalog.get_all_subjects(req.ctx, page=req.params.page())
    return JSONResponse([shapes.subject(s) for s in page.items])


async def create_subject(req: FaceRequest) -> Response:
    row = await catalog.create_subject(req.ctx, fields=req.body.model_dump())
    return created(shapes.subject(row))


async def get_subject(req: FaceRequest) -> Response:
    row = await catalog.get_subject(req.ctx, subject_id=req.path["subject_id"])
    return JSONResponse(shapes.subject(row))


async def update_subject(req: FaceRequest) -> Response:
    row = await catalog.update_subject(req.ctx, subject_id=req.path["subject_id"],
                                       changes=changes(req.body))
    return JSONResponse(shapes.subject(row))


async def delete_subject(req: FaceRequest) -> Response:
    await catalog.delete_subject(req.ctx, subject_id=req.path["subject_id"])
    return no_content()


_U, _D, _S = shapes.UniversityPath, shapes.DepartmentPath, shapes.SubjectPath
TAG = "Universities"

ROUTES: list[Route] = [
    Route("GET", "/universities/", list_universities, "List universities",
          query=shapes.SkipLimit, tag=TAG,
          returns={200: array(shapes.R_UNIVERSITY)}),
    Route("POST", "/universities/", create_university, "Create a university (platform admin)",
          auth=True, body=UniversityCreate, tag=TAG,
          returns={201: shapes.R_UNIVERSITY}),
    Route("GET", "/universities/{university_id}", get_university, "Get a university",
          path_params=_U, tag=TAG,
          returns={200: shapes.R_UNIVERSITY}),
    Route("PUT", "/universities/{university_id}", update_university,
          "Update a university (platform admin)", auth=True, body=UniversityUpdate,
          path_params=_U, tag=TAG,
          returns={200: shapes.R_UNIVERSITY}),
    Route("DELETE", "/universities/{university_id}", delete_university,
          "Delete a university (platform admin)", auth=True, path_params=_U, tag=TAG,
          returns={204: NO_BODY}),
    Route("GET", "/universities/{university_id}/departments", list_departments,
          "List a university's departments", path_params=_U, query=shapes.SkipLimit, tag=TAG,
          returns={200: array(shapes.R_DEPARTMENT)}),
    Route("POST", "/universities/{university_id}/departments", create_department,
          "Create a department (platform admin)", auth=True, body=DepartmentCreate,
          path_params=_U, tag=TAG,
          returns={201: shapes.R_DEPARTMENT}),
    Route("GET", "/departments/{department_id}", get_department, "Get a department",
          path_params=_D, tag=TAG,
          returns={200: shapes.R_DEPARTMENT}),
    Route("PUT", "/departments/{department_id}", update_department,
          "Update a department (platform admin)", auth=True, body=DepartmentUpdate,
          path_params=_D, tag=TAG,
          returns={200: shapes.R_DEPARTMENT}),
    Route("DELETE", "/departments/{department_id}", delete_department,
          "Delete a department (platform admin)", auth=True, path_params=_D, tag=TAG,
          returns={204: NO_BODY}),
    Route("GET", "/subjects/", list_subjects, "List subjects", query=shapes.SkipLimit, tag=TAG,
          returns={200: array(shapes.R_SUBJECT)}),
    Route("POST", "/subjects/", create_subject, "Create a subject (platform admin)", auth=True,
          body=SubjectCreate, tag=TAG,
          returns={201: shapes.R_SUBJECT}),
    Route("GET", "/subjects/{subject_id}", get_subject, "Get a subject", path_params=_S,
          tag=TAG,
          returns={200: shapes.R_SUBJECT}),
    Route("PUT", "/subjects/{subject_id}", update_subject, "Update a subject (platform admin)",
          auth=True, body=SubjectUpdate, path_params=_S, tag=TAG,
          returns={200: shapes.R_SUBJECT}),
    Route("DELETE", "/subjects/{subject_id}", delete_subject,
          "Delete a subject (platform admin)", auth=True, path_params=_S, tag=TAG,
          returns={204: NO_BODY}),
]
