"""The course platform's /api/v1 modules endpoints.

Where the reference is silent we answer as its FastAPI backend would:

- A module renders as ``id``, ``course_id``, ``parent_module_id``, ``title``,
  ``description``, ``module_type``, ``sequence_index``, ``created_at``,
  ``updated_at``. Lists are plain JSON arrays.
- ``GET /modules/courses/{course_id}/modules`` is flat: roots first, then by
  parent and ``sequence_index``; ``.../modules/root`` are the top-level ones in
  sequence order. Modules of a course the caller may not see answer 404
  (``Course not found`` / ``Module not found``), like the course itself.
- ``POST /modules/`` needs the course's creator or a platform admin (403
  otherwise) and answers 201. ``module_type`` is one of COURSE_ROOT, UNIT,
  CHAPTER, LESSON, TOPIC, SECTION, LAB, QUIZ (default UNIT) and
  ``sequence_index`` >= 0 (422); without ``sequence_index`` the module goes
  after its last sibling. An unknown course is 404; a parent that does not
  exist or belongs to another course is 400.
- ``POST /modules/reorder`` takes ``module_ids`` listing every child of one
  parent (or every root of one course) exactly once and answers 200 with
  those modules, ``sequence_index`` rewritten to 0..n-1 in one transaction.
  Duplicates, modules that are not siblings, or a partial list are 400; an
  unknown id is 404; an empty list is 422.
- Moving and deleting modules are GraphQL mutations (``updateModule``,
  ``deleteModule``).
"""

from __future__ import annotations

from typing import Literal

from pydantic import Field
from starlette.responses import Response

from resolvers import modules
from resolvers.catalog import PageArgs
from rest_compat.base import FaceRequest, JSONResponse, Route
from rest_compat.returns import array
from rest_compat.twosigma import catalog_shapes as shapes
from rest_compat.twosigma.shapes import Body, created

ModuleType = Literal["COURSE_ROOT", "UNIT", "CHAPTER", "LESSON", "TOPIC", "SECTION", "LAB",
                     "QUIZ"]


class ModuleCreate(Body):
    course_id: int
    parent_module_id: int | None = None
    title: str = Field(min_length=1, max_length=300)
    description: str = ""
    module_type: ModuleType = "UNIT"
    sequence_index: int | None = Field(default=None, ge=0)


class ReorderRequest(Body):
    module_ids: list[int] = Field(min_length=1)


def _list(rows) -> Response:
    return JSONResponse([shapes.module(m) for m in rows])


async def course_modules(req: FaceRequest) -> Response:
    return _list(await modules.get_all_for_course(req.ctx, course_id=req.path["course_id"]))


async def root_modules(req: FaceRequest) -> Response:
    page = await modules.get_roots(req.ctx, course_id=req.path["course_id"],
                                   page=PageArgs(skip=0))
    return _list(page.items)


async def get_module(req: FaceRequest) -> Response:
    return JSONResponse(shapes.module(await modules.get(req.ctx,
                                                        module_id=req.path["module_id"])))


async def children(req: FaceRequest) -> Response:
    return _list(await modules.get_children(req.ctx, module_id=req.path["module_id"]))


async def create_module(req: FaceRequest) -> Response:
    return created(shapes.module(await modules.create(req.ctx, fields=req.body.model_dump())))


async def reorder(req: FaceRequest) -> Response:
    return _list(await modules.reorder(req.ctx, module_ids=req.body.module_ids))


TAG = "Modules"

ROUTES: list[Route] = [
    Route("GET", "/modules/courses/{course_id}/modules", course_modules,
          "All modules of a course (flat)", path_params=shapes.CoursePath, tag=TAG,
          returns={200: array(shapes.R_MODULE)}),
    Route("GET", "/modules/courses/{course_id}/modules/root", root_modules,
          "Top-level modules of a course", path_params=shapes.CoursePath, tag=TAG,
          returns={200: array(shapes.R_MODULE)}),
    Route("POST", "/modules/reorder", reorder, "Reorder sibling modules", auth=True,
          body=ReorderRequest, tag=TAG,
          returns={200: array(shapes.R_MODULE)}),
    Route("POST", "/modules/", create_module, "Create a module", auth=True, body=ModuleCreate,
          tag=TAG,
          returns={201: shapes.R_MODULE}),
    Route("GET", "/modules/{module_id}", get_module, "Get a module",
          path_params=shapes.ModulePath, tag=TAG,
          returns={200: shapes.R_MODULE}),
    Route("GET", "/modules/{module_id}/children", children, "Direct children of a module",
          path_params=shapes.ModulePath, tag=TAG,
          returns={200: array(shapes.R_MODULE)}),
]
