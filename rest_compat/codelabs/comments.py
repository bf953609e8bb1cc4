"""Inline comments on a codelab's steps and prep guide.

- ``GET /codelabs/:id/inline-comments`` lists the threads with their messages,
  oldest first, optionally of one ``target_type`` (``step`` or ``guide``, else
  400) and ``target_step_id``; ``limit`` (1 to 2,000, default 2,000: every
  thread a codelab may hold) and ``offset`` page it. For the codelab's
  facilitators and its own attendees (401 without a session, 403 for others).
- ``POST /codelabs/:id/inline-comments`` comments on a range; an ``anchor_key``
  that has a thread appends to it (it must name the same target, range and
  ``content_hash``, else 400); a new range overlapping another thread's on the
  same target and content is 400. ``target_step_id`` must be a step of this
  codelab (404 otherwise) and is absent for ``guide``. Bounds: ``anchor_key``
  512, ``selected_text`` 2,000, ``content_hash`` 128, ``message`` 1,000
  characters; offsets 0 <= start < end <= 10,000,000; a codelab holds at most
  2,000 threads and a thread 500 messages. It answers the thread with its
  messages.
- ``POST /codelabs/:id/inline-comments/:thread_id/comments`` replies; a
  ``content_hash`` other than the thread's is 400 (the thread is stale).
- ``DELETE /codelabs/:id/inline-comments/:thread_id/comments/:comment_id`` is
  for the comment's author or a facilitator (403 otherwise) and answers
  ``{"status": "ok", "thread_deleted": bool}``: deleting the last message
  deletes the thread.

Every change sends ``inline_comment_changed`` to the live room. A facilitator's
``author_id`` is ``facilitator`` and ``author_name`` ``Facilitator``;
``created_by_attendee_id`` is null for threads a facilitator started.
"""

from __future__ import annotations

from pydantic import BaseModel, Field
from starlette.responses import Response

from resolvers import codelab_comments as comments
from resolvers.codelab_comments import Anchor
from rest_compat import returns as out
from rest_compat.base import FaceRequest, JSONResponse, Route
from rest_compat.codelabs import live_shapes, shapes
from rest_compat.codelabs.shapes import Body


class CommentsQuery(BaseModel):
    target_type: str | None = Field(default=None, max_length=10)
    target_step_id: str | None = Field(default=None, max_length=40)
    limit: int = Field(default=comments.THREADS_MAX, ge=1, le=comments.THREADS_MAX)
    offset: int = Field(default=0, ge=0, le=comments.THREADS_MAX)


class CommentCreate(Body):
    anchor_key: str = Field(max_length=comments.ANCHOR_MAX)
    target_type: str = Field(max_length=10)
    target_step_id: str | None = Field(default=None, max_length=40)
    start_offset: int = Field(ge=0, le=comments.OFFSET_MAX)
    end_offset: int = Field(ge=1, le=comments.OFFSET_MAX)
    selected_text: str = Field(max_length=comments.SELECTED_MAX)
    content_hash: str = Field(max_length=comments.HASH_MAX)
    message: str = Field(max_length=comments.MESSAGE_MAX)


class CommentReply(Body):
    message: str = Field(max_length=comments.MESSAGE_MAX)
    content_hash: str = Field(max_length=comments.HASH_MAX)


def _step(value: str | None) -> int | None:
    return None if value is None else shapes.step_id(value)


def _thread_id(req: FaceRequest) -> int:
    return live_shapes.number("thread", req.path["thread_id"], comments.THREAD_NOT_FOUND)


async def list_comments(req: FaceRequest) -> Response:
    params: CommentsQuery = req.params
    found = await comments.get_all(
        req.ctx, codelab_id=shapes.codelab_id(req.path["id"]), target_type=params.target_type,
        step_id=_step(params.target_step_id), skip=params.offset, limit=params.limit)
    return JSONResponse([live_shapes.thread(t) for t in found])


async def create_comment(req: FaceRequest) -> Response:
    body: CommentCreate = req.body
    anchor = Anchor(anchor_key=body.anchor_key, target_type=body.target_type,
                    step_id=_step(body.target_step_id), start_offset=body.start_offset,
                    end_offset=body.end_offset, selected_text=body.selected_text,
                    content_hash=body.content_hash)
    found = await comments.create(req.ctx, codelab_id=shapes.codelab_id(req.path["id"]),
                                  anchor=anchor, message=body.message)
    return JSONResponse(live_shapes.thread(found))


async def reply_comment(req: FaceRequest) -> Response:
    body: CommentReply = req.body
    found = await comments.reply(
        req.ctx, codelab_id=shapes.codelab_id(req.path["id"]),
        thread_id=_thread_id(req),
        message=body.message, content_hash=body.content_hash)
    return JSONResponse(live_shapes.thread(found))


async def delete_comment(req: FaceRequest) -> Response:
    deleted = await comments.delete_comment(
        req.ctx, codelab_id=shapes.codelab_id(req.path["id"]),
        thread_id=_thread_id(req),
        comment_id=live_shapes.number("comment", req.path["comment_id"],
                                      comments.COMMENT_NOT_FOUND))
    return JSONResponse({"status": "ok", "thread_deleted": deleted})


BASE = "/codelabs/{id}/inline-comments"
ROUTES = [
    Route("GET", BASE, list_comments, auth=True, query=CommentsQuery, tag="inline comments",
          summary="Inline comment threads with their messages",
          responses={200: "thread[]", 400: "bad target_type", 403: "not a member"}),
    Route("POST", BASE, create_comment, auth=True, body=CommentCreate, tag="inline comments",
          summary="Comment on a range (same anchor appends)",
          responses={200: "thread", 400: "overlapping range or bad input",
                     404: "no such step"},
          returns={200: live_shapes.R_THREAD}),
    Route("POST", BASE + "/{thread_id}/comments", reply_comment, auth=True, body=CommentReply,
          tag="inline comments", summary="Reply in a thread",
          responses={200: "thread", 400: "stale content_hash", 404: "no such thread"},
          returns={200: live_shapes.R_THREAD}),
    Route("DELETE", BASE + "/{thread_id}/comments/{comment_id}", delete_comment, auth=True,
          tag="inline comments", summary="Delete a comment (its author or a facilitator)",
          responses={200: '{"status": "ok", "thread_deleted": bool}', 403: "not yours"},
          returns={200: out.obj(status=out.STRING, thread_deleted=out.BOOLEAN)}),
]
