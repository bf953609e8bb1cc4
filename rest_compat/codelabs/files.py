"""Reading a multipart upload, and rendering what the Codelabs face's file routes
answer (materials, submissions)."""

from __future__ import annotations

from typing import Any

from starlette.datastructures import UploadFile

from core.errors import Validation
from resolvers import codelab_materials
from resolvers.codelab_uploads import MAX_FILE_BYTES
from rest_compat import returns as out
from rest_compat.base import FaceRequest, iso, multipart_form
from rest_compat.codelabs.shapes import attendee_ref, codelab_ref

NOT_MULTIPART = "Send the file as multipart/form-data in the field 'file'"


async def read_file(req: FaceRequest, *, limit: int = MAX_FILE_BYTES) -> tuple[str, bytes]:
    """The name and bytes of the ``file`` part of a multipart body (at most ``limit``
    bytes; one past it is read so the resolver can refuse it)."""
    content_type = req.request.headers.get("content-type", "")
    if not content_type.lower().startswith("multipart/form-data"):
        raise Validation(NOT_MULTIPART, details={"field": "file"})
    form = await multipart_form(req.request, max_files=1, max_fields=20)
    if form is None:
        raise Validation("The multipart body could not be read", details={"field": "file"})
    try:
        upload = form.get("file")
        if not isinstance(upload, UploadFile):
            raise Validation(NOT_MULTIPART, details={"field": "file"})
        return upload.filename or "file", await upload.read(limit + 1)
    finally:
        await form.close()


def material(req: FaceRequest, row: Any) -> dict[str, Any]:
    return {"id": f"material_{row.id}", "codelab_id": codelab_ref(row.course_id),
            "title": row.title, "material_type": row.material_type,
            "link_url": row.link_url, "file_path": codelab_materials.file_url(req.ctx, row),
            "created_at": iso(row.created_at)}


def submission(req: FaceRequest, found: Any) -> dict[str, Any]:
    row = found.row
    return {"id": f"submission_{row.id}", "codelab_id": codelab_ref(row.course_id),
            "attendee_id": attendee_ref(found.attendee_user_id),
            "attendee_name": found.attendee_name, "file_name": row.file_name,
            "file_path": req.ctx.storage.url(row.storage_key), "file_size": row.file_size,
            "content_type": row.content_type, "created_at": iso(row.created_at)}


# What ``material`` and ``submission`` answer, for the OpenAPI document.
MATERIAL = out.obj(id=out.STRING, codelab_id=out.STRING, title=out.STRING,
                   material_type=out.STRING, link_url=out.nullable(out.STRING),
                   file_path=out.nullable(out.STRING), created_at=out.STRING)
SUBMISSION = out.obj(id=out.STRING, codelab_id=out.STRING, attendee_id=out.STRING,
                     attendee_name=out.STRING, file_name=out.STRING, file_path=out.STRING,
                     file_size=out.INTEGER, content_type=out.STRING, created_at=out.STRING)
