"""``POST /api/v2/agent/keys`` and ``POST /api/v2/agent/org/guests``.

Choices where the reference is silent:
- ``POST /keys`` takes a signed-in session (the ``access_token`` cookie or a
  Bearer access token), never an API key, and the Teams tier. Its body is
  optional: ``{"name"?: 1–200 characters (default "API key"), "scopes"?: [...]}``;
  without ``scopes`` the key gets the defaults (``workspaces:read/write``,
  ``ghl:read/write``); ``org:*`` scopes from a user who is not an organization
  admin are ``403 forbidden``. It answers ``201 {"api_key": "sk_…", "key":
  {"id", "name", "key_prefix", "scopes", "rate_limit", "created_at"}}``;
  ``key_prefix`` is the prefix and last four characters (``sk_...abcd``), all
  that is kept besides the secret's hash.
- ``POST /org/guests`` answers 201 when the guest is new and 200 when the
  email was known (compared case-insensitively); either way a new ``gsk_`` key
  with ``workspaces:read/write`` and ``ghl:read/write`` is minted and earlier
  keys stay active. A guest key, or a member who is not an admin, gets ``403
  forbidden``; a key without ``org:write`` gets ``403 forbidden``.
- A guest who signs up later (an account created with the guest's email, on
  any face or by a first GitHub sign-in) becomes a member of the guest's
  organization, not an admin; if several organizations invited the email, the
  first to invite it. The guest and its keys stay as they were. Accounts are
  not email-verified, so membership grants nothing a guest of the organization
  cannot already read: the agent API asks a member for a Teams tier of their
  own (see ``resolvers.organization``).
"""

from __future__ import annotations

from typing import Any

from pydantic import Field
from starlette.responses import Response

from core.auth import api_keys as key_rules
from core.auth.api_keys import preview
from models.user import ApiKey
from resolvers import api_key, organization
from rest_compat import returns as out
from rest_compat.base import FaceRequest, JSONResponse, Route, iso
from rest_compat.openlesson.rules import agent, session_with_teams
from rest_compat.openlesson.shapes import Body, created


class KeyCreate(Body):
    name: str = Field(default="API key", max_length=200)
    scopes: list[str] | None = Field(default=None, max_length=20)


class GuestCreate(Body):
    email: str = Field(min_length=3, max_length=320)


def render_key(key: ApiKey) -> dict[str, Any]:
    return {"id": str(key.id), "name": key.name, "key_prefix": preview(key.prefix, key.last4),
            "scopes": list(key.scopes), "rate_limit": key.rate_limit,
            "created_at": iso(key.created_at)}


R_KEY = out.rendered(render_key, ApiKey)
GUEST = out.obj(guest_user=out.obj(id=out.STRING, organization_id=out.STRING,
                                   email=out.STRING, status=out.STRING),
                api_key=out.STRING, key=R_KEY)


async def create_key(req: FaceRequest) -> Response:
    body: KeyCreate = req.body or KeyCreate()
    made = await api_key.create(req.ctx, name=body.name, scopes=body.scopes)
    return created({"api_key": made.token, "key": render_key(made.key)})


async def create_guest(req: FaceRequest) -> Response:
    body: GuestCreate = req.body
    made = await organization.create_guest(req.ctx, email=body.email)
    guest = made.guest
    return JSONResponse({
        "guest_user": {"id": str(guest.id), "organization_id": str(guest.organization_id),
                       "email": guest.email, "status": guest.status},
        "api_key": made.key.token, "key": render_key(made.key.key),
    }, status_code=201 if made.created else 200)


ROUTES = [
    Route("POST", "/v2/agent/keys", create_key, "Mint a member API key (browser session)",
          body=KeyCreate, body_optional=True, responses={201: "The key, shown once"},
          tag="Keys", **session_with_teams(),
          returns={201: out.obj(api_key=out.STRING, key=R_KEY)}),
    Route("POST", "/v2/agent/org/guests", create_guest,
          "Create or find a guest by email and mint a new guest key", body=GuestCreate,
          responses={200: "Known guest, new key", 201: "New guest and key"}, tag="Keys",
          **agent(key_rules.ORG_WRITE),
          returns={200: GUEST, 201: GUEST}),
]
