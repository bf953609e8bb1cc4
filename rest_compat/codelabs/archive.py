"""Export a codelab as a ZIP archive, and import one as a new codelab.

- ``GET /codelabs/:id/export`` (its facilitators) answers ``application/zip``
  as an attachment named after the title: ``codelab.json`` (fields, step
  titles, quiz with answers, materials), ``steps/001.md``... and the uploaded
  material files. Exporting an imported archive gives the same bytes.
- ``POST /codelabs/import`` (facilitators) takes multipart/form-data with the
  archive in the field ``file`` and answers the new codelab (with a fresh
  attendance code). Refused with 400 and a message saying why: not a ZIP, a
  damaged one, more than 8 MiB (a body past the server's 10 MiB limit is 413),
  more than 1,000 entries, an entry whose path leaves the archive's folder
  (zip slip), more than 64 MiB inflated or an entry inflating past 100 times
  its compressed size (zip bombs), or a ``codelab.json`` that is not an export.
  Nothing is stored when it is refused.
"""

from __future__ import annotations

from starlette.responses import Response

from resolvers import codelab_archive, codelabs
from rest_compat import returns as out
from rest_compat.base import FaceRequest, JSONResponse, Route
from rest_compat.codelabs import files, shapes


async def export_codelab(req: FaceRequest) -> Response:
    name, data = await codelab_archive.export(req.ctx,
                                              codelab_id=shapes.codelab_id(req.path["id"]))
    return Response(data, media_type="application/zip",
                    headers={"Content-Disposition": f'attachment; filename="{name}"'})


async def import_codelab(req: FaceRequest) -> Response:
    _, data = await files.read_file(req, limit=codelab_archive.ARCHIVE_MAX_BYTES)
    view = await codelab_archive.import_archive(req.ctx, data=data)
    return JSONResponse(shapes.codelab(
        view, facilitator=codelabs.can_facilitate(req.ctx.viewer, view.course)))


ROUTES = [
    Route("GET", "/codelabs/{id}/export", export_codelab, auth=True, tag="codelabs",
          summary="The codelab as a ZIP archive (facilitators)",
          responses={200: "application/zip", 403: "not its facilitator", 404: "missing"},
          returns={200: out.ZIP}),
    Route("POST", "/codelabs/import", import_codelab, auth=True, tag="codelabs",
          summary="A new codelab from an exported ZIP archive (multipart `file`)",
          responses={200: "codelab", 400: "not a safe codelab archive", 401: "login",
                     403: "not a facilitator"},
          returns={200: shapes.R_CODELAB}),
]
