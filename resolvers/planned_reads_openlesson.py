"""The OpenLesson face's reads that run as planned SQL (see ``core.planning``), with the
rules of their resolvers: who reads a workspace (``workspace.visible_rule``), which GHL
links a viewer sees (``ghl.visible_rule``), the Teams tier (``organization.teams_rule``),
the viewer's own keys and organization (``api_key.listed_rule``,
``organization.membership_rule``, ``organization.admin_rule``), and the per-minute count
an API key's request takes (``api_key.request_count``).

Left to the general path by design: ``GhlLink.privateUrl`` (the token is decrypted with
the server's secret), ``subscriptionTier`` (a root enum), and everything that writes or
calls the model (workspace drafts, evidence uploads, performance analysis, the
learner's session)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import case, func

from core.auth.api_keys import GHL_READ, WORKSPACES_READ, preview
from core.errors import Forbidden
from core.planning import (
    Column,
    DateTime,
    Elements,
    Expression,
    GlobalId,
    Key,
    Rows,
    Same,
    TypeForm,
    register_root,
    register_type,
)
from models.ghl import GhlLink
from models.organization import Organization
from models.user import ApiKey
from models.workspace import Workspace, WorkspaceBlock
from resolvers import api_key, ghl, organization, workspace

NEWEST_FIRST = ("created_at DESC", "id")  # as the resolvers list keys and links
BLOCK_ORDER = ("position", "id")  # workspace.BLOCK_ORDER


def agent_read(scope: str) -> dict[str, Any]:
    """What an agent read declares (``schema.permissions.agent``): an authenticated viewer
    whose key (if any) holds ``scope``, the Teams tier, and one count of the key's
    requests per operation."""

    def allowed(viewer) -> bool:
        if not viewer.is_authenticated:
            return False
        try:
            viewer.require_scope(scope)
        except Forbidden:
            return False
        return True

    return {"allowed": allowed, "guard": organization.teams_rule,
            "counts": api_key.request_count}


def _when_completed(column):
    """A result's value, shown once its session is completed (``GhlResult``)."""
    return Expression(case((ghl.completed(GhlLink.status), column)))


register_type(TypeForm("Organization", Organization.__table__, by_id=False, fields={
    "id": Column("id"),
    "name": Column("name"),
    "createdAt": DateTime("created_at"),
}))

# The viewer's organization, read from its row (a member's or a guest's alike).
register_type(TypeForm("OrganizationMembership", Organization.__table__, by_id=False, fields={
    "organization": Same("Organization"),
    "isOrgAdmin": Expression(organization.admin_rule),
}))

register_type(TypeForm("ApiKey", ApiKey.__table__, by_id=False, fields={
    "id": GlobalId("ApiKey"),
    "name": Column("name"),
    "preview": Expression(preview(ApiKey.prefix, ApiKey.last4)),
    "scopes": Column("scopes"),
    "createdAt": DateTime("created_at"),
    "rateLimit": Column("rate_limit"),
}))

register_type(TypeForm("Workspace", Workspace.__table__, rule=workspace.visible_rule,
                       by_id=False, fields={
    "id": Column("id"),
    "title": Column("title"),
    "rootTopic": Column("root_topic"),
    "status": Column("status"),
    "createdAt": DateTime("created_at"),
}))

register_type(TypeForm("WorkspaceBlock", WorkspaceBlock.__table__, by_id=False, fields={
    "id": Column("id"),
    "title": Column("title"),
    "description": Column("description"),
    "isStart": Column("is_start"),
    "status": Column("status"),
}))

# What a link and its result both show.
LINK = {"id": Column("id"), "workspaceId": Column("workspace_id"),
        "blockId": Column("block_id"), "status": Expression(func.upper(GhlLink.status))}

register_type(TypeForm("GhlLink", GhlLink.__table__, rule=ghl.visible_rule, by_id=False,
                       fields={
    **LINK,
    "requestedDurationSeconds": Column("requested_duration_seconds"),
    "guestUserId": Column("guest_user_id"),
    "startedAt": DateTime("started_at"),
    "expiresAt": DateTime("expires_at"),
    "createdAt": DateTime("created_at"),
}))

register_type(TypeForm("GhlResult", GhlLink.__table__, rule=ghl.visible_rule, by_id=False,
                       fields={
    **LINK,
    "completed": Expression(ghl.completed(GhlLink.status)),
    "overallScore": _when_completed(GhlLink.overall_score),
    "gapAnalysis": _when_completed(GhlLink.gap_analysis),
    "analysis": _when_completed(GhlLink.analysis),
    "markerScores": Elements("GhlMarkerScore", case((ghl.completed(GhlLink.status),
                                                     GhlLink.marker_scores))),
}))

# The marker scores a completed session stored (``ghl.MarkerScore``).
register_type(TypeForm("GhlMarkerScore", None, by_id=False, fields={
    "id": Key("id"), "label": Key("label"), "score": Key("score"),
    "rationale": Key("rationale"),
}))

register_root("myOrganization", Rows("OrganizationMembership",
                                     where=(organization.membership_rule,)))
register_root("apiKeys", Rows("ApiKey", order=NEWEST_FIRST, where=(api_key.listed_rule,),
                              allowed=lambda viewer: viewer.user_id is not None))
register_root("workspace", Rows("Workspace", arguments=(("id", "id"),),
                                parse=workspace.read_id, required=True,
                                **agent_read(WORKSPACES_READ)))
register_root("workspaceBlocks", Rows("WorkspaceBlock",
                                      arguments=(("workspaceId", "workspace_id"),),
                                      parse=workspace.read_id, order=BLOCK_ORDER,
                                      requires=(("Workspace", "workspaceId"),),
                                      **agent_read(WORKSPACES_READ)))
register_root("ghlLinks", Rows("GhlLink", arguments=(("workspaceId", "workspace_id"),),
                               parse=workspace.read_id, order=NEWEST_FIRST,
                               requires=(("Workspace", "workspaceId"),),
                               **agent_read(GHL_READ)))
register_root("ghlResult", Rows("GhlResult", arguments=(("linkId", "id"),
                                                        ("workspaceId", "workspace_id")),
                                parse=workspace.read_id, required=True,
                                requires=(("Workspace", "workspaceId"),),
                                **agent_read(GHL_READ)))
