"""Server-Sent Events for the REST faces."""

from __future__ import annotations

from collections.abc import AsyncIterator

from starlette.responses import Response, StreamingResponse


def sse_data(payload: str) -> str:
    """One event whose data is ``payload``; a multi-line payload spans several data lines."""
    return "".join(f"data: {line}\n" for line in payload.split("\n")) + "\n"


HEADERS = {"Cache-Control": "no-cache", "X-Accel-Buffering": "no", "Connection": "keep-alive"}


def sse_response(events: AsyncIterator[str]) -> StreamingResponse:
    """A text/event-stream response that proxies must not buffer or cache."""
    return StreamingResponse(events, media_type="text/event-stream", headers=HEADERS)


def sse_body(events: str) -> Response:
    """Events all known at once (``events``: rendered with ``sse_data``), as one
    text/event-stream body: written in one go, with its length."""
    return Response(events, media_type="text/event-stream", headers=HEADERS)
