"""The course platform's /api/v1 enrollments endpoints.

Where the reference is silent we answer as its FastAPI backend would:

- Every enrollment (list item, ``POST`` and ``PUT`` answers) has the documented
  shape plus ``completed_at``: ``id``, ``user_id`` (the user's number),
  ``course_offering_id``, ``status``, ``enrolled_at``, ``completed_at`` and
  ``course_offering`` { ``id``, ``term_name``, ``starts_at``, ``ends_at``,
  ``course`` { ``id``, ``title``, ``code`` } }.
- ``GET /enrollments/my-enrollments`` lists in enrollment order and takes
  ``skip``/``limit`` like the other lists; it lists offerings of unpublished
  courses too, since a learner enrolled in an offering sees its course (GraphQL
  ``myEnrollments`` answers the same).
- ``POST /enrollments/`` answers 201. An unknown offering (or one of a course
  the learner cannot see) is 404 ``{"detail": "Course offering not found"}``;
  a PRIVATE offering is 403; outside the enrollment window it is 400
  ("... has not opened yet" / "... has closed"); a second enrollment is 409
  ``{"detail": "Already enrolled"}``. A learner who dropped the offering
  enrolls again this way (same checks) and gets their enrollment back, ACTIVE,
  with 201; one the course's staff WITHDREW gets 403.
- ``PUT /enrollments/{id}`` takes ``status`` (ACTIVE/COMPLETED/DROPPED/
  WITHDRAWN/PENDING, 422 otherwise). The reference lists no rules; dropping is
  the learner's own act, the other statuses are the staff's: the owner of the
  offering's course or a platform admin sets any status, the learner may only
  set DROPPED on their own (403 ``{"detail": "You can only drop your own
  enrollment; to rejoin, enroll again"}`` otherwise), another instructor gets
  403 like other changes of a course they do not own, anyone else 403; 404 for
  an unknown id. COMPLETED sets ``completed_at``, another status clears it.
"""

from __future__ import annotations

from typing import Any, Literal

from starlette.responses import Response

from models.course import Course, CourseOffering, Enrollment
from resolvers import enrollments
from rest_compat.base import FaceRequest, JSONResponse, Route, iso
from rest_compat.returns import rendered, sample
from rest_compat.twosigma import catalog_shapes as shapes
from rest_compat.twosigma.shapes import Body, created


class EnrollRequest(Body):
    course_offering_id: int


class StatusRequest(Body):
    status: Literal["ACTIVE", "COMPLETED", "DROPPED", "WITHDRAWN", "PENDING"]


def render(view: enrollments.EnrollmentView) -> dict[str, Any]:
    e, offering, course = view.enrollment, view.offering, view.course
    return {"id": e.id, "user_id": view.user_number, "course_offering_id": e.course_offering_id,
            "status": e.status, "enrolled_at": iso(e.enrolled_at),
            "completed_at": iso(e.completed_at),
            "course_offering": {"id": offering.id, "term_name": offering.term_name,
                                "starts_at": iso(offering.starts_at),
                                "ends_at": iso(offering.ends_at),
                                "course": {"id": course.id, "title": course.title,
                                           "code": course.code}}}


R_ENROLLMENT = rendered(render, lambda null: enrollments.EnrollmentView(
    enrollment=sample(Enrollment, null=null), offering=sample(CourseOffering, null=null),
    course=sample(Course, null=null), user_number=1))


async def my_enrollments(req: FaceRequest) -> Response:
    page = await enrollments.get_mine(req.ctx, page=req.params.page())
    return JSONResponse([render(v) for v in await enrollments.views(
        req.ctx, enrollments=page.items)])


async def _one(req: FaceRequest, enrollment) -> dict[str, Any]:
    return render((await enrollments.views(req.ctx, enrollments=[enrollment]))[0])


async def enroll(req: FaceRequest) -> Response:
    enrollment = await enrollments.enroll(req.ctx,
                                          course_offering_id=req.body.course_offering_id)
    return created(await _one(req, enrollment))


async def update_status(req: FaceRequest) -> Response:
    enrollment = await enrollments.update_status(req.ctx,
                                                 enrollment_id=req.path["enrollment_id"],
                                                 status=req.body.status)
    return JSONResponse(await _one(req, enrollment))


TAG = "Enrollments"

ROUTES: list[Route] = [
    Route("GET", "/enrollments/my-enrollments", my_enrollments, "The viewer's enrollments",
          auth=True, query=shapes.SkipLimit, tag=TAG),
    Route("POST", "/enrollments/", enroll, "Enroll in a course offering", auth=True,
          body=EnrollRequest, tag=TAG,
          returns={201: R_ENROLLMENT}),
    Route("PUT", "/enrollments/{enrollment_id}", update_status, "Change an enrollment's status",
          auth=True, body=StatusRequest, path_params=shapes.EnrollmentPath, tag=TAG,
          returns={200: R_ENROLLMENT}),
]
