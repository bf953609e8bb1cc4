"""GHL links: ``POST …/blocks/{block_id}/ghl-links``, ``GET …/ghl-links`` and
``GET …/ghl-links/{link_id}/results``.

Choices where the reference is silent:
- ``minutes`` is 15 or 30; any other value (a string, 20, null) means 15.
- ``guest_user_id`` or ``guest_email`` (a guest of the workspace's organization,
  else ``404 guest_not_found``) may be given only by an org admin (others: ``403
  forbidden``); a guest key's links are always its own.
- A link renders as ``{"id", "plan_id" (the workspace), "plan_node_id" (the
  block), "status" (pending | completed), "requested_duration_seconds",
  "private_url", "guest_user_id", "started_at", "expires_at", "created_at"}``;
  the learner's time starts at the session's first turn, so ``expires_at`` is
  null until then. Lists are newest first, with the private URL (kept encrypted).
- Visibility: guests see their own links, members the links they created, org
  admins every link of the organization's workspaces; any other link is ``404
  ghl_link_not_found``.
- ``results`` of a link not completed is ``{"id", "status", "completed": false}``.
"""

from __future__ import annotations

import uuid
from typing import Any

from pydantic import EmailStr, Field
from starlette.responses import Response

from core.auth.api_keys import GHL_READ, GHL_WRITE
from models.ghl import GhlLink
from resolvers import ghl
from rest_compat import returns as out
from rest_compat.base import FaceRequest, JSONResponse, Route, iso
from rest_compat.openlesson.rules import agent
from rest_compat.openlesson.shapes import Body, created


class LinkCreate(Body):
    minutes: Any = 15
    guest_user_id: uuid.UUID | None = None
    guest_email: EmailStr | None = Field(default=None, max_length=320)


class BlockPath(Body):
    workspace_id: uuid.UUID
    block_id: uuid.UUID


class WorkspacePath(Body):
    workspace_id: uuid.UUID


class LinkPath(Body):
    workspace_id: uuid.UUID
    link_id: uuid.UUID


def _sample_link(null: bool) -> GhlLink:
    return out.sample(GhlLink, null=null, status=ghl.COMPLETED)


# A pending result, or a completed one with its scores.
R_RESULT = out.any_of(
    out.obj(id=out.STRING, status=out.STRING, completed=out.BOOLEAN),
    lambda: out.rendered(render_result, _sample_link)())


def render_link(req: FaceRequest, link: GhlLink) -> dict[str, Any]:
    return {"id": str(link.id), "plan_id": str(link.workspace_id),
            "plan_node_id": str(link.block_id), "status": link.status,
            "requested_duration_seconds": link.requested_duration_seconds,
            "private_url": ghl.private_url(req.ctx, link),
            "guest_user_id": str(link.guest_user_id) if link.guest_user_id else None,
            "started_at": iso(link.started_at), "expires_at": iso(link.expires_at),
            "created_at": iso(link.created_at)}


def render_result(link: GhlLink) -> dict[str, Any]:
    if link.status != "completed":
        return {"id": str(link.id), "status": link.status, "completed": False}
    return {"id": str(link.id), "workspace_id": str(link.workspace_id),
            "block_id": str(link.block_id), "status": link.status, "completed": True,
            "overall_score": link.overall_score, "marker_scores": link.marker_scores,
            "gap_analysis": link.gap_analysis, "analysis": link.analysis or {},
            "completed_at": iso(link.completed_at)}


async def create_link(req: FaceRequest) -> Response:
    body: LinkCreate = req.body or LinkCreate()
    made = await ghl.create_link(req.ctx, workspace_id=req.path["workspace_id"],
                                 block_id=req.path["block_id"], minutes=body.minutes,
                                 guest_user_id=body.guest_user_id, guest_email=body.guest_email)
    return created({"ghl_link": render_link(req, made.link)})


async def list_links(req: FaceRequest) -> Response:
    links = await ghl.get_all(req.ctx, workspace_id=req.path["workspace_id"])
    return JSONResponse({"ghl_links": [render_link(req, link) for link in links]})


async def link_results(req: FaceRequest) -> Response:
    link = await ghl.get_or_raise_link(req.ctx, workspace_id=req.path["workspace_id"],
                                       link_id=req.path["link_id"])
    return JSONResponse({"ghl_result": render_result(link)})


ROUTES = [
    Route("POST", "/v2/agent/workspaces/{workspace_id}/blocks/{block_id}/ghl-links",
          create_link, "Create a private GHL score link for a block", path_params=BlockPath,
          body=LinkCreate, body_optional=True, responses={201: "The link"}, tag="GHL",
          **agent(GHL_WRITE)),
    Route("GET", "/v2/agent/workspaces/{workspace_id}/ghl-links", list_links,
          "List a workspace's GHL links", path_params=WorkspacePath,
          responses={200: "The links"}, tag="GHL", **agent(GHL_READ)),
    Route("GET", "/v2/agent/workspaces/{workspace_id}/ghl-links/{link_id}/results",
          link_results, "Poll a GHL link for completion and scores", path_params=LinkPath,
          responses={200: "Pending or completed result"}, tag="GHL", **agent(GHL_READ),
          returns={200: out.obj(ghl_result=R_RESULT)}),
]
