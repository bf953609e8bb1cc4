"""``POST /api/organization``: a signed-in Teams user creates an organization.

Choices where the reference is silent:
- The credential is the browser session (the ``access_token`` cookie, or a
  Bearer access token), not an API key.
- ``{"name": 1–200 characters}``; the answer is ``201 {"organization": {"id",
  "name", "created_at"}, "is_org_admin": true}``.
- A user belongs to one organization: a second one is ``409 conflict``.
- Without an active ``pro_teams`` tier: ``403 teams_required``.
"""

from __future__ import annotations

from pydantic import Field
from starlette.responses import Response

from models.organization import Organization
from resolvers import organization
from rest_compat import returns as out
from rest_compat.base import FaceRequest, Route, iso
from rest_compat.openlesson.rules import SMALL_BODY
from rest_compat.openlesson.shapes import Body, created


class OrganizationCreate(Body):
    name: str = Field(min_length=1, max_length=200)


def render_organization(org: Organization) -> dict:
    return {"id": str(org.id), "name": org.name, "created_at": iso(org.created_at)}


R_ORGANIZATION = out.rendered(render_organization, Organization)


async def create_organization(req: FaceRequest) -> Response:
    body: OrganizationCreate = req.body
    membership = await organization.create(req.ctx, name=body.name)
    return created({"organization": render_organization(membership.organization),
                    "is_org_admin": membership.is_admin})


ROUTES = [
    Route("POST", "/organization", create_organization, "Create an organization (Teams)",
          body=OrganizationCreate, auth=True, credential="session", max_body_bytes=SMALL_BODY,
          responses={201: "The organization; its creator is its admin"}, tag="Organizations",
          returns={201: out.obj(organization=R_ORGANIZATION, is_org_admin=out.BOOLEAN)}),
]
