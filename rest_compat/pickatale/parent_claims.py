"""The teacher portal (:3116), ``/api/v1``: parents' claims on a child.

Every route takes the signed-in account's session (``uc_session``), never
``X-Internal-Key``. Rules are in ``resolvers/parent_claims.py``.

Choices where the reference is silent:
- ``POST /parent-claims`` (a parent, ``{"username", "pin"}`` of the child) asks for a
  claim: 201 ``{"id", "status", "child_name", "created_at"}``; 403
  ``invalid_child_credentials``; 409 ``already_linked`` or ``child_already_claimed``;
  429 after 10 asks in 15 minutes.
- ``POST /parent-claims/:claim_id/approve`` answers ``{"ok": true}`` (again: the same,
  no second mail); ``POST /parent-claims/:claim_id/reject`` turns a claim down. A claim
  decided the other way is 409 ``claim_decided``.
"""

from __future__ import annotations

from pydantic import Field
from starlette.responses import Response

from resolvers import parent_claims
from resolvers.parent_claims import ClaimIn
from resolvers.reading import Input
from rest_compat import returns as out
from rest_compat.base import FaceRequest, JSONResponse, Route, iso
from rest_compat.pickatale.shapes import ok

MAX_ID = 2**63 - 1


class ClaimPath(Input):
    claim_id: int = Field(ge=1, le=MAX_ID)


async def request_claim(req: FaceRequest) -> Response:
    view = await parent_claims.request(req.ctx, data=req.body)
    return JSONResponse({"id": view.claim.id, "status": view.claim.status,
                         "child_name": view.child_name,
                         "created_at": iso(view.claim.created_at)}, status_code=201)


async def approve_claim(req: FaceRequest) -> Response:
    await parent_claims.approve(req.ctx, claim_id=req.path["claim_id"])
    return ok()


async def reject_claim(req: FaceRequest) -> Response:
    await parent_claims.reject(req.ctx, claim_id=req.path["claim_id"])
    return ok()


_DECIDE = {200: "Decided", 401: "Not signed in", 403: "Not the class's teacher",
           404: "No such claim",
           409: "Decided the other way, or the child has another parent",
           422: "Invalid claim id"}

ROUTES = [
    Route("POST", "/parent-claims", request_claim, credential="session", body=ClaimIn,
          summary="A parent asks to be linked to a child (username and PIN)",
          responses={201: "The claim", 400: "Malformed body", 401: "Not signed in",
                     403: "Not a parent, or a wrong username or PIN",
                     409: "Already linked", 422: "Invalid username or PIN format",
                     429: "Too many claims"},
          returns={201: out.obj(id=out.INTEGER, status=out.STRING, child_name=out.STRING,
                                created_at=out.STRING)}),
    Route("POST", "/parent-claims/{claim_id}/approve", approve_claim, credential="session",
          path_params=ClaimPath, summary="Approve a parent's claim: link parent and child, "
          "mail the parent", responses=_DECIDE),
    Route("POST", "/parent-claims/{claim_id}/reject", reject_claim, credential="session",
          path_params=ClaimPath, summary="Turn a parent's claim down", responses=_DECIDE,
          returns={200: out.obj(ok=out.BOOLEAN)}),
]
