"""The course platform's /api/v1 courses endpoints.

Where the reference is silent we answer as its FastAPI backend would:

- ``GET /courses/`` answers the documented list shape, in id order, with
  ``skip`` >= 0 and ``1 <= limit <= 1000``; students and anonymous callers see
  published courses only, instructors and platform admins see all.
- ``GET /courses/{id}`` answers the list fields plus ``primary_subject_id``,
  ``cache_enabled``, ``created_at`` and ``updated_at``; a course the caller may
  not see is 404 ``{"detail": "Course not found"}``.
- ``POST /courses/`` needs the INSTRUCTOR role (or platform admin; 403
  otherwise) and answers 201 with the detail shape. ``level`` is one of
  INTRODUCTORY/INTERMEDIATE/ADVANCED/GRADUATE/PROFESSIONAL and
  ``credit_hours`` >= 0 (422 otherwise); ``is_published`` defaults to false,
  ``cache_enabled`` to true. A university, department or subject that does not
  exist, or a department of another university, is 400 with a message naming
  it; a department alone sets the course's university to the department's.
- ``PUT /courses/{id}`` is a partial update; it and ``DELETE`` (204) and
  ``POST /courses/{id}/offerings`` need the course's creator or a platform
  admin (403 for other instructors).
- Offerings: ``visibility`` PUBLIC/UNLISTED/PRIVATE (default PUBLIC);
  ``ends_at`` must be after ``starts_at`` and ``enrollment_end`` after
  ``enrollment_start`` (400); a datetime without an offset is taken as UTC (the
  resolver decides that for every face). The list shows students PUBLIC offerings only.
  The reference has no endpoint for one offering; GraphQL ``node`` reaches an
  UNLISTED offering by id, a PRIVATE one only for instructors, platform admins
  and learners enrolled in it (``courses.get_offerings_many``).
- ``GET /courses/{id}/stats`` (token required) answers ``course_id``,
  ``offerings_count``, ``total_enrollments``, ``active_enrollments``,
  ``enrollments_by_status`` (every status, zeros included), ``modules_count``,
  ``content_items_count``, ``average_rating`` (two decimals, null without
  reviews), ``review_count`` and ``completion_rate`` (percent of enrollments
  COMPLETED, two decimals). The token rule lives in ``courses.get_stats``, so GraphQL's
  ``Course.stats`` is UNAUTHENTICATED without one too.
"""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import Field
from starlette.responses import Response

from models.course import ENROLLMENT_STATUSES
from resolvers import courses
from rest_compat.base import FaceRequest, JSONResponse, Route
from rest_compat.returns import INTEGER, NO_BODY, NUMBER, array, nullable, obj
from rest_compat.twosigma import catalog_shapes as shapes
from rest_compat.twosigma.shapes import Body, created, no_content

Level = Literal["INTRODUCTORY", "INTERMEDIATE", "ADVANCED", "GRADUATE", "PROFESSIONAL"]
Visibility = Literal["PUBLIC", "UNLISTED", "PRIVATE"]


class CourseList(shapes.SkipLimit):
    university_id: int | None = None


class CourseCreate(Body):
    title: str = Field(min_length=1, max_length=300)
    code: str = Field(min_length=1, max_length=40)
    description: str = ""
    level: Level = "INTRODUCTORY"
    credit_hours: int = Field(default=0, ge=0)
    university_id: int | None = None
    department_id: int | None = None
    primary_subject_id: int | None = None
    is_published: bool = False
    cache_enabled: bool = True
    llm_model: str | None = Field(default=None, max_length=100)


class CourseUpdate(Body):
    title: str = Field(default=None, min_length=1, max_length=300)
    code: str = Field(default=None, min_length=1, max_length=40)
    description: str = None
    level: Level = None
    credit_hours: int = Field(default=None, ge=0)
    university_id: int | None = None
    department_id: int | None = None
    primary_subject_id: int | None = None
    is_published: bool = None
    cache_enabled: bool = None
    llm_model: str | None = Field(default=None, max_length=100)


class OfferingCreate(Body):
    term_name: str = Field(min_length=1, max_length=120)
    starts_at: datetime | None = None
    ends_at: datetime | None = None
    enrollment_start: datetime | None = None
    enrollment_end: datetime | None = None
    visibility: Visibility = "PUBLIC"


async def list_courses(req: FaceRequest) -> Response:
    params: CourseList = req.params
    page = await courses.get_all(req.ctx, university_id=params.university_id, page=params.page())
    return JSONResponse([shapes.course_summary(c) for c in page.items])


async def get_course(req: FaceRequest) -> Response:
    return JSONResponse(shapes.course(await courses.get(req.ctx,
                                                        course_id=req.path["course_id"])))


async def create_course(req: FaceRequest) -> Response:
    return created(shapes.course(await courses.create(req.ctx, fields=req.body.model_dump())))


async def update_course(req: FaceRequest) -> Response:
    course = await courses.update(req.ctx, course_id=req.path["course_id"],
                                  changes=req.body.model_dump(exclude_unset=True))
    return JSONResponse(shapes.course(course))


async def delete_course(req: FaceRequest) -> Response:
    await courses.delete(req.ctx, course_id=req.path["course_id"])
    return no_content()


async def list_offerings(req: FaceRequest) -> Response:
    page = await courses.get_offerings(req.ctx, course_id=req.path["course_id"],
                                       page=req.params.page())
    return JSONResponse([shapes.offering(o) for o in page.items])


async def create_offering(req: FaceRequest) -> Response:
    offering = await courses.create_offering(req.ctx, course_id=req.path["course_id"],
                                             fields=req.body.model_dump())
    return created(shapes.offering(offering))


async def course_stats(req: FaceRequest) -> Response:
    return JSONResponse(await courses.get_stats(req.ctx, course_id=req.path["course_id"]))


# courses.get_stats's answer.
COURSE_STATS = obj(
    course_id=INTEGER, offerings_count=INTEGER, total_enrollments=INTEGER,
    active_enrollments=INTEGER,
    enrollments_by_status=obj(**{status: INTEGER for status in ENROLLMENT_STATUSES}),
    modules_count=INTEGER, content_items_count=INTEGER, average_rating=nullable(NUMBER),
    review_count=INTEGER, completion_rate=NUMBER)

_C = shapes.CoursePath
TAG = "Courses"


ROUTES: list[Route] = [
    Route("GET", "/courses/", list_courses, "List courses", query=CourseList, tag=TAG),
    Route("POST", "/courses/", create_course, "Create a course (instructor)", auth=True,
          body=CourseCreate, tag=TAG,
          returns={201: shapes.R_COURSE}),
    Route("GET", "/courses/{course_id}", get_course, "Get a course", path_params=_C, tag=TAG,
          returns={200: shapes.R_COURSE}),
    Route("PUT", "/courses/{course_id}", update_course, "Update a course", auth=True,
          body=CourseUpdate, path_params=_C, tag=TAG,
          returns={200: shapes.R_COURSE}),
    Route("DELETE", "/courses/{course_id}", delete_course, "Delete a course", auth=True,
          path_params=_C, tag=TAG,
          returns={204: NO_BODY}),
    Route("GET", "/courses/{course_id}/offerings", list_offerings, "List a course's offerings",
          path_params=_C, query=shapes.SkipLimit, tag=TAG,
          returns={200: array(shapes.R_OFFERING)}),
    Route("POST", "/courses/{course_id}/offerings", create_offering, "Create an offering",
          auth=True, body=OfferingCreate, path_params=_C, tag=TAG,
          returns={201: shapes.R_OFFERING}),
    Route("GET", "/courses/{course_id}/stats", course_stats, "Course statistics", auth=True,
          path_params=_C, tag=TAG,
          returns={200: COURSE_STATS}),
]
