"""The course platform's /api/v1 feature requests endpoints.

Choices where the reference is silent (what its FastAPI backend does):
- A request renders as ``{id, user_id, title, description, status,
  admin_notes, created_at, updated_at}``; ``user_id`` is the author's integer
  ``User.number``. ``GET /feature-requests/all`` items add ``user_email`` and
  ``user_name`` (the display name).
- Lists answer ``{"data": [...], "total": N, "skip": S, "limit": L}``, newest
  first; ``skip`` ≥ 0 and 1 ≤ ``limit`` ≤ 100 (default 20), otherwise 422.
- ``title`` is 3–200 and ``description`` 10–5000 characters; a ``status``
  outside pending/under_review/planned/completed/declined is a 422, in the
  body and in the ``status`` filter alike.
- ``PATCH`` changes only the fields sent (``admin_notes: null`` clears the
  notes; ``status: null`` leaves it) and answers 200 with the request; an
  unknown id is 404 ``{"detail": "Feature request not found"}``.
- Students asking for ``/all`` or ``PATCH`` get 403.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import Field
from starlette.responses import Response

from models.feedback import FeatureRequest
from resolvers import feature_requests
from resolvers.feature_requests import FeatureRequestPage, FeatureRequestRow
from rest_compat.base import FaceRequest, JSONResponse, Route, iso
from rest_compat.returns import INTEGER, array, obj, rendered, sample
from rest_compat.twosigma.shapes import Body, Page, created

Status = Literal["pending", "under_review", "planned", "completed", "declined"]


class FeatureRequestCreate(Body):
    title: str = Field(min_length=3, max_length=200)
    description: str = Field(min_length=10, max_length=5000)


class FeatureRequestUpdate(Body):
    status: Status | None = None
    admin_notes: str | None = None


class FeatureRequestPageQuery(Page):
    skip: int = Field(default=0, ge=0)
    limit: int = Field(default=20, ge=1, le=100)


class AllFeatureRequestsQuery(FeatureRequestPageQuery):
    status: Status | None = None


class FeatureRequestPath(Body):
    feature_request_id: int


def render(row: FeatureRequestRow, *, with_user: bool = False) -> dict[str, Any]:
    request = row.request
    shape = {"id": request.id, "user_id": row.user_number, "title": request.title,
             "description": request.description, "status": request.status,
             "admin_notes": request.admin_notes, "created_at": iso(request.created_at),
             "updated_at": iso(request.updated_at)}
    if with_user:
        shape["user_email"] = row.user_email
        shape["user_name"] = row.user_name
    return shape


def render_page(page: FeatureRequestPage, params: FeatureRequestPageQuery, *,
                with_user: bool = False) -> JSONResponse:
    return JSONResponse({"data": [render(r, with_user=with_user) for r in page.rows],
                         "total": page.total, "skip": params.skip, "limit": params.limit})


def _sample_row(null: bool) -> FeatureRequestRow:
    return FeatureRequestRow(request=sample(FeatureRequest, null=null), user_number=1,
                             user_email=None if null else "a@example.com", user_name="A")


R_FEATURE_REQUEST = rendered(render, _sample_row)
R_FEATURE_REQUEST_WITH_USER = rendered(render, _sample_row, with_user=True)


def page_of(item) -> object:
    """What ``render_page`` answers."""
    return obj(data=array(item), total=INTEGER, skip=INTEGER, limit=INTEGER)


async def submit(req: FaceRequest) -> Response:
    body: FeatureRequestCreate = req.body
    row = await feature_requests.create(req.ctx, title=body.title, description=body.description)
    return created(render(row))


async def list_mine(req: FaceRequest) -> Response:
    params: FeatureRequestPageQuery = req.params
    page = await feature_requests.get_all(req.ctx, mine=True, skip=params.skip,
                                          limit=params.limit)
    return render_page(page, params)


async def list_all(req: FaceRequest) -> Response:
    params: AllFeatureRequestsQuery = req.params
    page = await feature_requests.get_all(req.ctx, mine=False, status=params.status,
                                          skip=params.skip, limit=params.limit)
    return render_page(page, params, with_user=True)


async def update(req: FaceRequest) -> Response:
    body: FeatureRequestUpdate = req.body
    changes: dict[str, Any] = {"status": body.status}
    if "admin_notes" in body.model_fields_set:
        changes["admin_notes"] = body.admin_notes
    row = await feature_requests.update(
        req.ctx, feature_request_id=req.path["feature_request_id"], **changes)
    return JSONResponse(render(row))


ROUTES: list[Route] = [
    Route("POST", "/feature-requests/", submit, auth=True, body=FeatureRequestCreate,
          summary="Submit a feature request", responses={201: "The created request"},
          tag="feature-requests",
          returns={201: R_FEATURE_REQUEST}),
    Route("GET", "/feature-requests/", list_mine, auth=True, query=FeatureRequestPageQuery,
          summary="List my feature requests", tag="feature-requests",
          returns={200: page_of(R_FEATURE_REQUEST)}),
    Route("GET", "/feature-requests/all", list_all, auth=True, query=AllFeatureRequestsQuery,
          summary="List all feature requests (instructor or above)", tag="feature-requests",
          returns={200: page_of(R_FEATURE_REQUEST_WITH_USER)}),
    Route("PATCH", "/feature-requests/{feature_request_id}", update, auth=True,
          body=FeatureRequestUpdate, path_params=FeatureRequestPath,
          summary="Update a feature request's status or notes (instructor or above)",
          tag="feature-requests",
          returns={200: R_FEATURE_REQUEST}),
]
