"""The telemetry service (port 3110): ``POST /api/events`` and ``POST /api/session/end``.

Choices where the reference is silent:
- Every event needs ``event_id``, ``learner_id``, ``session_id`` (UUIDs),
  ``event_type`` (one of the six documented types) and ``client_ts`` (milliseconds,
  0–2^53). ``page_turned`` needs ``book_id`` and ``page_number``; ``word_tapped``
  needs ``word``; ``book_opened``, ``book_abandoned`` and ``quiz_answered`` need
  ``book_id``. Missing fields are 400, out-of-range ones 422.
- Words are stored trimmed and lower-cased (1–64 characters); ``book_id`` is 1–40
  letters, digits, ``.``, ``_`` or ``-``; ``page_number`` 0–10,000.
- A second event with an ``event_id`` already stored answers ``{"ok": true}`` and
  changes nothing (the first one stays).
- The answer comes once the event is committed; concurrent events share one INSERT.
- The platform's services send events by the thousand a second: a plainly valid event
  with the internal key takes the route's shortcut (``resolvers.reading_telemetry.
  plain_event``), anything else the general way, which answers every error.
"""

from __future__ import annotations

from starlette.responses import Response

from resolvers import reading_telemetry
from resolvers.reading_telemetry import EventIn
from rest_compat.base import FaceRequest, Route, Shortcut
from rest_compat.pickatale.sessions import SESSION_END
from rest_compat.pickatale.shapes import ok


async def ingest_event(req: FaceRequest) -> Response:
    await reading_telemetry.record_event(req.ctx, event=req.body)
    return ok()


OK = ok().body


async def ingest_plain_event(ctx, row) -> bytes:
    await reading_telemetry.record_event(ctx, event=row)
    return OK


ROUTES = [
    Route("POST", "/events", ingest_event, auth=True, body=EventIn,
          shortcut=Shortcut(parse=reading_telemetry.plain_event, run=ingest_plain_event),
          summary="Ingest one telemetry event (idempotent by event_id)",
          responses={200: "Stored (or already stored)", 400: "Malformed body",
                     401: "No key", 422: "Invalid field"}),
    SESSION_END,
]
