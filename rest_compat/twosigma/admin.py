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
- ``/admin/analytics/llm-usage`` (learngraph's own; model usage and cost, see
  ``resolvers/llm_usage.py``) is open to organization admins too, for their own
  organization. ``group_by`` is a comma-separated list of ``day``, ``user``,
  ``course``, ``organization``, ``feature``, ``model`` (any case; none: one row
  for everything); an unknown one is 400 ``{"detail": "Unknown group ..."}``.
  The body is ``{"group_by", "date_from", "date_to", "rows": [...]}``, each row
  ``{day, user_id, course_id, organization_id, feature, model, calls,
  failed_calls, saved_calls, input_tokens, output_tokens, cache_write_tokens,
  cache_read_tokens, total_tokens, cost}`` (keys not grouped by are null; cost in
  USD as a number).
- ``/admin/analytics/cache`` and the AWS credential endpoints are not served
  by this module.
"""

from __future__ import annotations

from dataclasses import asdict
from datetime import date
from typing import Any

from pydantic import Field
from starlette.responses import Response

from models.course import ENROLLMENT_STATUSES
from resolvers import analytics, llm_usage
from rest_compat.base import FaceRequest, JSONResponse, Route, iso
from rest_compat.returns import INTEGER, NUMBER, STRING, array, fields_of, nullable, obj
from rest_compat.twosigma.shapes import Body


class DateWindow(Body):
    date_from: date | None = None
    date_to: date | None = None


class CourseWindow(DateWindow):
    course_id: int | None = None


class UsageWindow(DateWindow):
    group_by: str | None = Field(default=None, max_length=200)


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


async def llm_usage_report(req: FaceRequest) -> Response:
    params: UsageWindow = req.params
    groups = [g.strip().upper() for g in (params.group_by or "").split(",") if g.strip()]
    rows = await llm_usage.get_report(req.ctx, group_by=groups, date_from=params.date_from,
                                      date_to=params.date_to)
    return JSONResponse({
        "group_by": [g for g in llm_usage.GROUPS if g in groups],
        "date_from": iso(params.date_from) if params.date_from else None,
        "date_to": iso(params.date_to) if params.date_to else None,
        "rows": [{**_dates({k: v for k, v in asdict(row).items() if k != "cost"}),
                  "user_id": str(row.user_id) if row.user_id else None,
                  "organization_id": str(row.organization_id) if row.organization_id else None,
                  "total_tokens": row.total_tokens, "cost": float(row.cost)}
                 for row in rows]})


BY_STATUS = obj(**{status: INTEGER for status in ENROLLMENT_STATUSES})
LLM_USAGE = obj(
    group_by=array(STRING), date_from=nullable(STRING), date_to=nullable(STRING),
    rows=array(fields_of(llm_usage.UsageRow, day=nullable(STRING), user_id=nullable(STRING),
                         organization_id=nullable(STRING), cost=NUMBER,
                         total_tokens=INTEGER)))


def _route(path: str, handler, query: type[Body], summary: str, returns: dict) -> Route:
    return Route("GET", "/admin/analytics/" + path, handler, auth=True, query=query,
                 summary=summary, tag="admin", returns=returns)


ROUTES: list[Route] = [
    _route("overview", overview, DateWindow,
           "Users, daily sign-ups, active users and streak distribution",
          returns={200: fields_of(analytics.Overview)}),
    _route("engagement", engagement, CourseWindow,
           "Time per topic, chat turns, session length and content completion",
          returns={200: fields_of(analytics.Engagement)}),
    _route("progress", progress, CourseWindow,
           "Mastered topics, course tree completions, enrollments and drop-offs",
          returns={200: fields_of(analytics.Progress, enrollments_by_status=BY_STATUS)}),
    _route("assessments", assessments, DateWindow,
           "Quiz attempts, pass rate and scores; lab submissions and scores",
          returns={200: fields_of(analytics.Assessments)}),
    _route("community", community, DateWindow,
           "Notes, flashcards, discussions and course ratings",
          returns={200: fields_of(analytics.Community)}),
    _route("llm-usage", llm_usage_report, UsageWindow,
           "Model calls, tokens and cost, grouped by day, user, course, organization, "
           "feature or model",
          returns={200: LLM_USAGE}),
]
