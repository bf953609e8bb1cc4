"""Materials, uploads and assignment submissions.

- ``GET /codelabs/:id/materials`` lists a codelab's materials in the order they
  were added, for whoever may read the codelab: ``{id, codelab_id, title,
  material_type, link_url, file_path, created_at}``.
- ``POST /codelabs/:id/materials`` (its facilitators) adds a ``link`` (an
  http(s) ``link_url``) or a ``file`` (``file_path``: the ``url`` that
  ``POST /upload/material`` answered); at most 200 per codelab. It answers the
  material. ``DELETE .../materials/:material_id`` answers 204 and deletes an
  uploaded file with it.
- ``POST /upload/material`` and ``POST /upload/image`` (facilitators) take
  multipart/form-data with the file in the field ``file``, at most 8 MiB (400
  past it). The type is told by the bytes, never by the name or the declared
  type: materials may be PDF, PNG, JPEG, GIF, WebP, ZIP (office documents
  too) or UTF-8 text, stored under a random name with the matching extension;
  images (PNG, JPEG, GIF, WebP, BMP, at most 40 megapixels) are re-encoded to
  WebP. Both answer the stored file's URL, served at ``/files/...``.
- ``POST /codelabs/:id/attendees/:attendee_id/submissions`` is the attendee
  handing in a file for themselves (multipart ``file``, the material types
  above, at most 8 MiB and 20 files per attendee); it answers the submission
  ``{id, codelab_id, attendee_id, attendee_name, file_name, file_path,
  file_size, content_type, created_at}``. ``GET /codelabs/:id/submissions``
  lists them in the order handed in: all for facilitators, an attendee's own
  for an attendee. ``DELETE .../submissions/:submission_id`` (the attendee or a
  facilitator) answers 204 and deletes the file.
- Stored files are served to anyone holding their (unguessable) URL.
"""

from __future__ import annotations

from typing import Literal

from pydantic import Field
from starlette.responses import Response

from core.errors import NotFound
from resolvers import codelab_materials, codelab_submissions, codelab_uploads
from rest_compat import returns as out
from rest_compat.base import FaceRequest, JSONResponse, Route
from rest_compat.codelabs import files, shapes
from rest_compat.codelabs.shapes import Body, no_content


class MaterialBody(Body):
    title: str = Field(max_length=codelab_materials.TITLE_MAX)
    material_type: Literal["link", "file"]
    link_url: str | None = Field(default=None, max_length=codelab_materials.URL_MAX)
    file_path: str | None = Field(default=None, max_length=codelab_materials.URL_MAX)


def _number(prefix: str, value: str, missing: str) -> int:
    digits = value.removeprefix(prefix + "_")
    if not (value.startswith(prefix + "_") and digits.isascii() and digits.isdigit()
            and 0 < len(digits) <= 18 and int(digits) > 0):
        raise NotFound(missing)
    return int(digits)


async def list_materials(req: FaceRequest) -> Response:
    rows = await codelab_materials.get_all(req.ctx,
                                           codelab_id=shapes.codelab_id(req.path["id"]))
    return JSONResponse([files.material(req, r) for r in rows])


async def create_material(req: FaceRequest) -> Response:
    body: MaterialBody = req.body
    row = await codelab_materials.create(
        req.ctx, codelab_id=shapes.codelab_id(req.path["id"]), title=body.title,
        material_type=body.material_type, link_url=body.link_url, file_path=body.file_path)
    return JSONResponse(files.material(req, row))


async def delete_material(req: FaceRequest) -> Response:
    codelab_id = shapes.codelab_id(req.path["id"])
    await codelab_materials.delete(
        req.ctx, codelab_id=codelab_id,
        material_id=_number("material", req.path["material_id"],
                            codelab_materials.MATERIAL_NOT_FOUND))
    return no_content()


async def upload_material(req: FaceRequest) -> Response:
    name, data = await files.read_file(req)
    stored = await codelab_materials.upload(req.ctx, name=name, data=data)
    return JSONResponse({"url": stored.url, "original_name": stored.original_name})


async def upload_image(req: FaceRequest) -> Response:
    _, data = await files.read_file(req)
    return JSONResponse({"url": await codelab_uploads.store_image(req.ctx, data=data)})


async def create_submission(req: FaceRequest) -> Response:
    codelab_id = shapes.codelab_id(req.path["id"])
    attendee = shapes.attendee_id(req.path["attendee_id"])
    name, data = await files.read_file(req)
    found = await codelab_submissions.create(req.ctx, codelab_id=codelab_id,
                                             attendee_user_id=attendee, name=name, data=data)
    return JSONResponse(files.submission(req, found))


async def list_submissions(req: FaceRequest) -> Response:
    found = await codelab_submissions.get_all(req.ctx,
                                              codelab_id=shapes.codelab_id(req.path["id"]))
    return JSONResponse([files.submission(req, s) for s in found])


async def delete_submission(req: FaceRequest) -> Response:
    await codelab_submissions.delete(
        req.ctx, codelab_id=shapes.codelab_id(req.path["id"]),
        attendee_user_id=shapes.attendee_id(req.path["attendee_id"]),
        submission_id=_number("submission", req.path["submission_id"],
                              codelab_submissions.SUBMISSION_NOT_FOUND))
    return no_content()


_UPLOAD = {200: '{"url", ...}', 400: "not multipart, empty, too large or not an accepted type",
           401: "login", 403: "not a facilitator"}

ROUTES = [
    Route("GET", "/codelabs/{id}/materials", list_materials, tag="materials",
          summary="A codelab's materials", responses={200: "material[]", 404: "missing"},
          returns={200: out.array(files.MATERIAL)}),
    Route("POST", "/codelabs/{id}/materials", create_material, auth=True, body=MaterialBody,
          tag="materials", summary="Add a link or an uploaded file (facilitators)",
          responses={200: "material", 400: "bad input", 403: "not its facilitator"},
          returns={200: files.MATERIAL}),
    Route("DELETE", "/codelabs/{id}/materials/{material_id}", delete_material, auth=True,
          tag="materials", summary="Delete a material (facilitators)",
          responses={204: "deleted", 404: "no such material"}),
    Route("POST", "/upload/material", upload_material, auth=True, tag="uploads",
          summary="Upload a material file (multipart `file`)", responses=_UPLOAD),
    Route("POST", "/upload/image", upload_image, auth=True, tag="uploads",
          summary="Upload an image, re-encoded to WebP (multipart `file`)", responses=_UPLOAD),
    Route("POST", "/codelabs/{id}/attendees/{attendee_id}/submissions", create_submission,
          auth=True, tag="submissions", summary="Hand in a file (the attendee; multipart "
          "`file`)", responses={200: "submission", 400: "bad file", 403: "not this attendee"},
          returns={200: files.SUBMISSION}),
    Route("GET", "/codelabs/{id}/submissions", list_submissions, auth=True,
          tag="submissions", summary="Submissions (all for facilitators, own for attendees)",
          responses={200: "submission[]"},
          returns={200: out.array(files.SUBMISSION)}),
    Route("DELETE", "/codelabs/{id}/attendees/{attendee_id}/submissions/{submission_id}",
          delete_submission, auth=True, tag="submissions",
          summary="Delete a submission (the attendee or a facilitator)",
          responses={204: "deleted", 404: "no such submission"}),
]
