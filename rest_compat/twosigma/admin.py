"""The course platform's /api/v1 admin analytics endpoints (platform admins only).

Each figure is defined in ``resolvers/analytics.py``. Choices where the
reference is silent (what its FastAPI backend does):
- Anonymous callers get 401; signed-in users who are not platform admins
  (instructors included) get 403 ``{"detail": "You do not have permission
  to do this"}``.
- ``date_from``/``date_to`` are ``YYYY-MM-DD`` UTC dates, inclusive; a
  malformed date (or a non-integer ``course_id``) is FastAPI's 422, and
  ``date_to`` before ``date_from`` is 400 ``{"detail": "date_to must not be
  before date_from"}``. ``course_id`` of an unknown course is 404
  ``{"detail": "Course not found"}``.
- ``/admin/analytics/community`` also takes the date window (the reference
  lists no parameters; without them it covers everything).
- Shapes: dates as ``YYYY-MM-DD``; ``new_signups_by_day`` is
  ``[{"date", "count"}]``; ``active_users`` is ``{"daily", "weekly",
  "monthly"}``; ``streak_distribution`` is ``[{"bucket", "count"}]`` with
  buckets ``0, 1-2, 3-6, 7-13, 14-29, 30+`` counting each user's current
  streak as ``GET /users/me`` shows it (0 once a whole day in their time zone
  went by idle); ``enrollments_by_status`` is an
  object keyed by status (ACTIVE, COMPLETED, DROPPED, WITHDRAWN, PENDING);
  ``per_course`` items are ``{course_id, title, enrollments, completed,
  drop_offs, avg_progress_percent}``.
- ``/admin/analytics/cache`` and the AWS credential endpoints are not served
  by this module.
"""

from __future__ import annotations

from dataclasses import asdict
from datetime import date
from typing import Any

from starlette.responses import Response

from resolvers import analytics
from rest_compat.base import FaceRequest, JSONResponse, Route, iso
from rest_compat.twosigma.shapes import Body


class DateWindow(Body):
    date_from: date | None = None
    date_to: date | None = None


class CourseWindow(DateWindow):
    course_id: int | None = None


def _dates(value: Any) -> Any:
    """Plain JSON: dates as ISO strings, all the way down."""
    if isinstance(value, date):
        return iso(value)
    if isinstance(value, dict):
        return {k: _dates(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_dates(v) for v in value]
    return value


async def overview(req: FaceRequest) -> Response:
    params: DateWindow = req.params
    result = await analytics.overview(req.ctx, date_from=params.date_from,
                                      date_to=params.date_to)
    return JSONResponse(_dates(asdict(result)))


async def engagement(req: FaceRequest) -> Response:
    params: CourseWindow = req.params
    result = await analytics.engagement(req.ctx, date_from=params.date_from,
                                        date_to=params.date_to, course_id=params.course_id)
    return JSONResponse(asdict(result))


async def progress(req: FaceRequest) -> Response:
    params: CourseWindow = req.params
    result = await analytics.progress(req.ctx, date_from=params.date_from,
                                      date_to=params.date_to, course_id=params.course_id)
    body = asdict(result)
    body["enrollments_by_status"] = {s.status: s.count for s in result.enrollments_by_status}
    return JSONResponse(body)


async def assessments(req: FaceRequest) -> Response:
    params: DateWindow = req.params
    result = await analytics.assessments(req.ctx, date_from=params.date_from,
                                         date_to=params.date_to)
    return JSONResponse(asdict(result))


async def community(req: FaceRequest) -> Response:
    params: DateWindow = req.params
    result = await analytics.community(req.ctx, date_from=params.date_from,
                                       date_to=params.date_to)
    return JSONResponse(asdict(result))


def _route(path: str, handler, query: type[Body], summary: str) -> Route:
    return Route("GET", "/admin/analytics/" + path, handler, auth=True, query=query,
                 summary=summary, tag="admin")


ROUTES: list[Route] = [
    _route("overview", overview, DateWindow,
           "Users, daily sign-ups, active users and streak distribution"),
    _route("engagement", engagement, CourseWindow,
           "Time per topic, chat turns, session length and content completion"),
    _route("progress", progress, CourseWindow,
           "Mastered topics, course tree completions, enrollments and drop-offs"),
    _route("assessments", assessments, DateWindow,
           "Quiz attempts, pass rate and scores; lab submissions and scores"),
    _route("community", community, DateWindow,
           "Notes, flashcards, discussions and course ratings"),
]
