"""The audit log: ``GET /admin/audit-logs``.

Facilitator actions, newest first: sign-in (``admin_login``), codelab create,
update, delete, copy and step updates (``codelab_*``), help requests resolved
(``help_resolve``), quizzes replaced (``quiz_update``), another member's inline
comment deleted (``inline_comment_delete``) and code-server workspace changes and
downloads (``workspace_create``, ``codeserver_branch_create``,
``workspace_folder_create``, ``workspace_branch_update``, ``workspace_folder_update``,
``codeserver_download``, ``codeserver_delete``, the reference's names). Each entry is ``{id, action,
actor_type, actor_id, target_id, codelab_id, ip, user_agent, metadata,
created_at}``.

Query: ``limit`` (1 to 1,000, default 100), ``offset`` (at most 1,000,000),
``codelab_id`` (a ``codelab_<n>``; another value matches nothing) and ``action``
(at most 64 characters). Platform admins read every entry; an instructor (the
facilitator account is one) the entries of the codelabs they run and their own
(401 without a session, 403 for attendees).
"""

from __future__ import annotations

from pydantic import BaseModel, Field
from starlette.responses import Response

from resolvers import codelab_audit
from resolvers.catalog import PageArgs
from rest_compat import returns as out
from rest_compat.base import FaceRequest, JSONResponse, Route
from rest_compat.codelabs import live_shapes


class AuditQuery(BaseModel):
    limit: int = Field(default=codelab_audit.LIMIT_DEFAULT, ge=1, le=codelab_audit.LIMIT_MAX)
    offset: int = Field(default=0, ge=0, le=codelab_audit.OFFSET_MAX)
    codelab_id: str | None = Field(default=None, max_length=40)
    action: str | None = Field(default=None, min_length=1, max_length=codelab_audit.ACTION_MAX)


async def audit_logs(req: FaceRequest) -> Response:
    params: AuditQuery = req.params
    codelab_id = None
    if params.codelab_id is not None:
        # An id that names no codelab matches no entry.
        codelab_id = live_shapes.number_or_zero("codelab", params.codelab_id)
    page = await codelab_audit.get_all(req.ctx, codelab_id=codelab_id, action=params.action,
                                       page=PageArgs.offset(params.offset, params.limit))
    return JSONResponse([live_shapes.audit_entry(e) for e in page.items])


ROUTES = [
    Route("GET", "/admin/audit-logs", audit_logs, auth=True, query=AuditQuery, tag="admin",
          summary="The audit log of facilitator actions",
          responses={200: "audit entry[]", 401: "login required", 403: "not a facilitator"},
          returns={200: out.array(live_shapes.R_AUDIT_ENTRY)}),
]
