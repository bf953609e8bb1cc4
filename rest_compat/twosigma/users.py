"""The course platform's /api/v1 users endpoints.

Choices where the reference is silent:
- ``id`` is the account's integer platform number; ``full_name`` its display name;
  ``current_streak_days`` is the streak as of today in the user's time zone (0 once a
  whole day passed without activity).
- Other users see a public profile ``{id, full_name, created_at}``; the user themself and
  platform admins see the full document of ``GET /users/me``. Every route needs a token.
- ``PUT /users/me`` changes only the fields sent; unknown IANA ``time_zone``, malformed
  ``locale`` or an empty ``full_name`` answer FastAPI's 422.
- ``GET /users/`` orders by id; ``skip`` >= 0 and ``limit`` 1–100 (default 100), else 422.
- ``GET /users/{user_id}``: unknown id → ``404 {"detail": "User not found"}``; a
  non-integer id → 422.
- ``GET /users/me/overview``: ``active_enrollments`` are ACTIVE enrollments (newest
  first) in the shape ``GET /enrollments/my-enrollments`` gives them (the reference
  shows ``[...]``; a FastAPI backend answers the same response model);
  ``recommended_courses`` up to 5 published courses in the user's preferred subjects
  they are not enrolled in (newest first);
  ``recent_activity`` the latest 10 activities ``{id, kind, course_id, module_id,
  content_item_id, summary, occurred_at, local_date}``.
"""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field
from starlette.responses import Response

from resolvers import profile as profile_resolvers
from resolvers import user as user_resolvers
from rest_compat.base import FaceRequest, JSONResponse, Route
from rest_compat.returns import any_of, array
from rest_compat.twosigma import learner_shapes as shapes
from rest_compat.twosigma.auth import FullName, Locale, TimeZone
from rest_compat.twosigma.enrollments import render as enrollment_shape
from rest_compat.twosigma.shapes import Body


class SigmaUpdateMeBody(Body):
    full_name: FullName | None = None
    locale: Locale | None = None
    time_zone: TimeZone | None = None


class UserListQuery(BaseModel):
    skip: int = Field(0, ge=0)
    limit: int = Field(100, ge=1, le=100)

    model_config = ConfigDict(extra="ignore")


class UserIdPath(BaseModel):
    user_id: int


def _render(req: FaceRequest, user) -> dict:
    if user_resolvers.can_see_private(req.ctx, user.id):
        return shapes.user_private(user)
    return shapes.user_public(user)


async def me(req: FaceRequest) -> Response:
    user = await user_resolvers.get(req.ctx, user_id=req.ctx.viewer.require_user())
    return JSONResponse(shapes.user_private(user))


async def update_me(req: FaceRequest) -> Response:
    body: SigmaUpdateMeBody = req.body
    user = await profile_resolvers.update_me(req.ctx, full_name=body.full_name,
                                             locale=body.locale, time_zone=body.time_zone)
    return JSONResponse(shapes.user_private(user))


async def overview(req: FaceRequest) -> Response:
    data = await user_resolvers.get_overview(req.ctx)
    return JSONResponse({
        "active_enrollments": [enrollment_shape(v) for v in data.active_enrollments],
        "recommended_courses": [shapes.course(c) for c in data.recommended_courses],
        "recent_activity": [shapes.activity(a) for a in data.recent_activity],
        "stats": {"completed_courses": data.completed_courses,
                  "current_streak": data.current_streak},
    })


async def get_user(req: FaceRequest) -> Response:
    user = await user_resolvers.get_by_number_or_raise(req.ctx, number=req.path["user_id"])
    return JSONResponse(_render(req, user))


async def list_users(req: FaceRequest) -> Response:
    params: UserListQuery = req.params
    users = await user_resolvers.get_all_by_offset(req.ctx, skip=params.skip, limit=params.limit)
    return JSONResponse([_render(req, u) for u in users])


ROUTES = [
    Route("GET", "/users/me", me, auth=True, tag="users", summary="The signed-in user",
          responses={200: "UserResponse", 401: "not authenticated"}),
    Route("PUT", "/users/me", update_me, auth=True, body=SigmaUpdateMeBody, tag="users",
          summary="Change full name, locale or time zone",
          responses={200: "UserResponse", 401: "not authenticated", 422: "invalid field"},
          returns={200: shapes.R_USER_PRIVATE}),
    Route("GET", "/users/me/overview", overview, auth=True, tag="users",
          summary="Dashboard: active enrollments, recommendations, recent activity, stats",
          responses={200: "UserOverview", 401: "not authenticated"}),
    Route("GET", "/users/", list_users, auth=True, query=UserListQuery, tag="users",
          summary="Users by id (public profiles except your own; admins see all fields)",
          responses={200: "[UserResponse]", 401: "not authenticated", 422: "bad skip/limit"},
          returns={200: array(any_of(shapes.R_USER_PRIVATE, shapes.R_USER_PUBLIC))}),
    Route("GET", "/users/{user_id}", get_user, auth=True, path_params=UserIdPath, tag="users",
          summary="One user (public profile unless yourself or an admin)",
          responses={200: "UserResponse", 401: "not authenticated", 404: "User not found",
                     422: "non-integer id"},
          returns={200: any_of(shapes.R_USER_PRIVATE, shapes.R_USER_PUBLIC)}),
]
