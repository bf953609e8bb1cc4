"""The teacher portal (:3116), ``/api/v1``: notifications.

Every route takes the signed-in account's session (``uc_session``), never
``X-Internal-Key``. Notifications are raised by events (``resolvers/
teacher_notifications.py``).

Choices where the reference is silent:
- ``GET /notifications`` answers the documented ``{"notifications": [...]}``, newest
  first, 50 by default, and pages like every list of the platform: ``?cursor=&limit=``
  (1–200), with ``nextCursor`` and ``hasMore`` beside ``notifications``; ``?unread=true``
  keeps the unread ones. Only teachers and school admins have notifications (others are
  403); a notification of another account is 404, as one that does not exist.
- ``POST /notifications/:id/read`` answers ``{"ok": true, "id", "read": true}``; marking
  it again is the same answer.
"""

from __future__ import annotations

from typing import Any

from pydantic import Field
from starlette.responses import Response

from core.pagination import decode_id_cursor, encode_cursor
from resolvers import teacher_notifications
from resolvers.reading import Input
from resolvers.teacher_notifications import NotificationView
from rest_compat import returns as out
from rest_compat.base import FaceRequest, JSONResponse, Route, iso
from rest_compat.pickatale.shapes import PageQuery, ok

MAX_ID = 2**63 - 1


class NotificationQuery(PageQuery):
    unread: bool = False


class NotificationPath(Input):
    id: int = Field(ge=1, le=MAX_ID)


def notification_json(view: NotificationView) -> dict[str, Any]:
    row = view.row
    return {"id": row.id, "type": row.type, "child_name": view.child_name,
            "message": row.message, "created_at": iso(row.created_at),
            "action_url": row.action_url, "read": row.read_at is not None}


async def list_notifications(req: FaceRequest) -> Response:
    params = req.params
    views, more = await teacher_notifications.get_page(
        req.ctx, after=decode_id_cursor(params.cursor) if params.cursor else None,
        limit=params.limit, unread_only=params.unread)
    return JSONResponse({"notifications": [notification_json(v) for v in views],
                         "nextCursor": encode_cursor([views[-1].row.id]) if more else None,
                         "hasMore": more})


async def read_notification(req: FaceRequest) -> Response:
    view = await teacher_notifications.mark_read(req.ctx, notification_id=req.path["id"])
    return ok(id=view.row.id, read=True)


_SESSION = {401: "Not signed in", 403: "Not a teacher"}

ROUTES = [
    Route("GET", "/notifications", list_notifications, credential="session",
          query=NotificationQuery, summary="The teacher's notifications, newest first",
          responses={200: "Notifications", **_SESSION, 422: "Invalid cursor or limit"}),
    Route("POST", "/notifications/{id}/read", read_notification, credential="session",
          path_params=NotificationPath, summary="Mark a notification read",
          responses={200: "Read", **_SESSION, 404: "No such notification",
                     422: "Invalid id"},
          returns={200: out.obj(ok=out.BOOLEAN, id=out.INTEGER, read=out.BOOLEAN)}),
]
