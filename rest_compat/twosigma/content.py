"""The course platform's /api/v1 content endpoints, and content types (our extension).

Where the reference is silent we answer as its FastAPI backend would:

- A content item renders exactly as documented: ``id``, ``module_id``,
  ``title``, ``content_type_id``, ``content_type`` {``name``, ``label``},
  ``description``, ``data_json``, ``sequence_index``,
  ``estimated_duration_seconds``. ``GET /content/modules/{id}/content`` lists a
  module's items in sequence order. Content of a course the caller may not see
  answers 404 (``Module not found`` / ``Content item not found``).
- ``POST /content/`` needs the course's creator or a platform admin (403
  otherwise) and answers 201. An unknown module is 404; a module of another
  course than ``course_id``, an unknown ``content_type_id``, or ``data_json``
  without the type's ``required_fields``, or a ``data_json.pass_mark`` that is
  not a number from 0 to 100, is 400 with a message naming the problem;
  negative ``sequence_index`` or ``estimated_duration_seconds`` is 422.
  Without ``sequence_index`` the item goes after the module's last one.
- Content types are listed by the reference ("Admin content type management")
  without endpoints; ours: ``GET /content-types/`` (``skip``/``limit``),
  ``POST /content-types/`` (201), ``GET``/``PUT`` (partial)/``DELETE`` (204)
  ``/content-types/{id}``. A type renders as ``id``, ``name``, ``label``,
  ``description``, ``required_fields``, ``prompt_name``, ``created_at``,
  ``updated_at``. Reads are public, writes need a platform admin. A duplicate
  name is 409; deleting a type that content items use is 409.
"""

from __future__ import annotations

from typing import Any

from pydantic import Field
from starlette.responses import Response

from core.input_bounds import LONG_TEXT_LENGTH
from resolvers import content
from rest_compat.base import FaceRequest, JSONResponse, Route
from rest_compat.returns import NO_BODY, array
from rest_compat.twosigma import catalog_shapes as shapes
from rest_compat.twosigma.shapes import Body, created, no_content


class ContentCreate(Body):
    module_id: int
    course_id: int
    content_type_id: int
    title: str = Field(min_length=1, max_length=300)
    description: str = ""
    data_json: dict[str, Any] = Field(default_factory=dict)
    estimated_duration_seconds: int | None = Field(default=None, ge=0)
    sequence_index: int | None = Field(default=None, ge=0)


class ContentTypeCreate(Body):
    name: str = Field(min_length=1, max_length=60)
    label: str = Field(min_length=1, max_length=120)
    description: str = ""
    required_fields: list[str] = Field(default_factory=list)
    prompt_name: str | None = Field(default=None, max_length=200)


class ContentTypeUpdate(Body):
    name: str = Field(default=None, min_length=1, max_length=60)
    label: str = Field(default=None, min_length=1, max_length=120)
    description: str = None
    required_fields: list[str] = None
    prompt_name: str | None = Field(default=None, max_length=200)


async def _render(req: FaceRequest, items) -> list[dict[str, Any]]:
    kinds = await content.types_of(req.ctx, items=items)
    return [shapes.content_item(i, k) for i, k in zip(items, kinds, strict=True)]


async def module_content(req: FaceRequest) -> Response:
    items = await content.get_for_module(req.ctx, module_id=req.path["module_id"])
    return JSONResponse(await _render(req, items))


async def get_content(req: FaceRequest) -> Response:
    item = await content.get(req.ctx, content_id=req.path["content_id"])
    return JSONResponse((await _render(req, [item]))[0])


async def create_content(req: FaceRequest) -> Response:
    item = await content.create(req.ctx, fields=req.body.model_dump())
    return created((await _render(req, [item]))[0])


async def list_types(req: FaceRequest) -> Response:
    page = await content.get_all_types(req.ctx, page=req.params.page())
    return JSONResponse([shapes.content_type(t) for t in page.items])


async def create_type(req: FaceRequest) -> Response:
    return created(shapes.content_type(await content.create_type(req.ctx,
                                                                 fields=req.body.model_dump())))


async def get_type(req: FaceRequest) -> Response:
    return JSONResponse(shapes.content_type(await content.get_type(
        req.ctx, content_type_id=req.path["content_type_id"])))


async def update_type(req: FaceRequest) -> Response:
    row = await content.update_type(req.ctx, content_type_id=req.path["content_type_id"],
                                    changes=req.body.model_dump(exclude_unset=True))
    return JSONResponse(shapes.content_type(row))


async def delete_type(req: FaceRequest) -> Response:
    await content.delete_type(req.ctx, content_type_id=req.path["content_type_id"])
    return no_content()


_T = shapes.ContentTypePath

ROUTES: list[Route] = [
    Route("GET", "/content/modules/{module_id}/content", module_content,
          "A module's content items", path_params=shapes.ModulePath, tag="Content",
          returns={200: array(shapes.R_CONTENT_ITEM)}),
    Route("POST", "/content/", create_content, "Create a content item", auth=True,
          body=ContentCreate, tag="Content", max_string_length=LONG_TEXT_LENGTH,
          returns={201: shapes.R_CONTENT_ITEM}),
    Route("GET", "/content/{content_id}", get_content, "Get a content item",
          path_params=shapes.ContentPath, tag="Content"),
    Route("GET", "/content-types/", list_types, "List content types", query=shapes.SkipLimit,
          tag="Content Types",
          returns={200: array(shapes.R_CONTENT_TYPE)}),
    Route("POST", "/content-types/", create_type, "Create a content type (platform admin)",
          auth=True, body=ContentTypeCreate, tag="Content Types",
          returns={201: shapes.R_CONTENT_TYPE}),
    Route("GET", "/content-types/{content_type_id}", get_type, "Get a content type",
          path_params=_T, tag="Content Types",
          returns={200: shapes.R_CONTENT_TYPE}),
    Route("PUT", "/content-types/{content_type_id}", update_type,
          "Update a content type (platform admin)", auth=True, body=ContentTypeUpdate,
          path_params=_T, tag="Content Types",
          returns={200: shapes.R_CONTENT_TYPE}),
    Route("DELETE", "/content-types/{content_type_id}", delete_type,
          "Delete an unused content type (platform admin)", auth=True, path_params=_T,
          tag="Content Types",
          returns={204: NO_BODY}),
]
