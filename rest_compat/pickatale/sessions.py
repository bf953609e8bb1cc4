"""``POST /api/session/end``, documented by both the reader app and the telemetry service.

The reader's version takes ``book_id`` and ``client_ts`` too and answers
``{"ok": true, "events_received": N}``; the telemetry service's answers
``{"ok": true}``. Both end the same session the same way, so they are one route
with one handler: the reader's fields are optional, and the answer always carries
``events_received`` (telemetry callers ignore it). Sharing the route is what lets
both services stand on the main port together.

Ending a session twice is fine: it is aggregated again from the stored events, and
its learner bot jobs run once per distinct count of events. A session already ended
for another learner is 409 ``conflict``.
"""

from __future__ import annotations

from starlette.responses import Response

from resolvers import reading_telemetry
from resolvers.reading_telemetry import SessionEndIn
from rest_compat.base import FaceRequest, Route
from rest_compat.pickatale.shapes import ok


async def end_session(req: FaceRequest) -> Response:
    ended = await reading_telemetry.end_session(req.ctx, end=req.body)
    return ok(events_received=ended.events_received)


SESSION_END = Route("POST", "/session/end", end_session, auth=True, body=SessionEndIn,
                    summary="End a reading session: aggregate its events and queue the "
                            "learner bot's vocabulary and summary updates",
                    responses={200: "Session ended", 400: "Malformed body", 401: "No key",
                               409: "Session of another learner", 422: "Invalid field"})
