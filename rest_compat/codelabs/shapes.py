"""The Codelabs face's JSON conventions: snake_case bodies, prefixed string ids
(``codelab_12``, ``step_40``, ``attendee_<hex>``), ``{"error": "..."}`` errors,
and the cookie session with its CSRF cookie.

Validation failures are 400 ``{"error": "<field>: <reason>"}`` (the reference
answers a missing field with 400); the message names the field, never the
value sent.
"""

from __future__ import annotations

import re
import secrets
import uuid
from collections.abc import Callable
from types import SimpleNamespace
from typing import Any

from pydantic import BaseModel, ConfigDict, ValidationError
from starlette.responses import Response

from core.auth.cookies import clear_cookie, set_cookie
from core.auth.viewer import CODELABS_COOKIE
from core.csrf import CsrfPolicy
from core.errors import DomainError, NotFound
from models.codelab import (
    Codelab,
    CodelabAttendee,
    CodelabFeedback,
    CodelabQuiz,
    CodelabQuizSubmission,
)
from models.course import Course, Enrollment
from resolvers.auth import CookieSession
from rest_compat.base import FaceRequest, JSONResponse, iso
from rest_compat.returns import STRING, any_of, obj, rendered, sample

CSRF_COOKIE = "oc_csrf"
# A write signed in with a cookie must echo the oc_csrf cookie in X-CSRF-Token; JSON
# alone is not enough (the reference's rule).
CSRF = CsrfPolicy(cookie=CSRF_COOKIE, json_suffices=False)


class Body(BaseModel):
    """Request bodies: unknown keys are ignored."""

    model_config = ConfigDict(extra="ignore")


def render_error(exc: DomainError) -> Response:
    return JSONResponse({"error": exc.message}, status_code=exc.status)


def render_validation(exc: ValidationError, location: str = "body") -> Response:
    errors = exc.errors(include_url=False)
    first = errors[0] if errors else {"loc": (), "msg": "Invalid input"}
    where = ".".join(str(part) for part in first["loc"]) or location
    if first.get("type") == "json_invalid":
        return JSONResponse({"error": "Request body is not valid JSON"}, status_code=400)
    # Not the model's class name (pydantic's "a valid dictionary or instance of ...").
    message = ("Input should be an object" if first.get("type") == "model_type"
               else first["msg"])
    return JSONResponse({"error": f"{where}: {message}"[:200]}, status_code=400)


def render_internal(request_id: str) -> Response:
    return JSONResponse({"error": "Internal server error"}, status_code=500,
                        headers={"X-Request-ID": request_id})


def ok() -> JSONResponse:
    return JSONResponse({"status": "ok"})


def no_content() -> Response:
    return Response(status_code=204)


# --- the session cookies ---------------------------------------------------------


def with_session_cookies(req: FaceRequest, cookie: CookieSession, response: Response) -> Response:
    """Set ``oc_session`` (httpOnly) and a fresh ``oc_csrf`` (readable by the page)."""
    settings = req.ctx.settings
    set_cookie(response, settings, req.request, name=CODELABS_COOKIE, value=cookie.token,
               max_age=cookie.max_age)
    set_cookie(response, settings, req.request, name=CSRF_COOKIE,
               value=secrets.token_urlsafe(24), max_age=cookie.max_age, http_only=False)
    return response


def without_session_cookies(req: FaceRequest, response: Response) -> Response:
    for name in (CODELABS_COOKIE, CSRF_COOKIE):
        clear_cookie(response, req.ctx.settings, req.request, name=name)
    return response


# --- ids ----------------------------------------------------------------------------


def _int_id(prefix: str, value: str, missing: str) -> int:
    match = re.fullmatch(prefix + r"_([0-9]{1,18})", value or "")
    if match is None or int(match.group(1)) == 0:
        raise NotFound(missing)
    return int(match.group(1))


def codelab_id(value: str) -> int:
    return _int_id("codelab", value, "Codelab not found")


def step_id(value: str) -> int:
    return _int_id("step", value, "Step not found")


def step_number_or_zero(value: str) -> int:
    """The row id in a ``step_<n>`` id; 0 (no step's) when ``value`` is not one."""
    match = re.fullmatch(r"step_([0-9]{1,18})", value)
    return int(match.group(1)) if match else 0


def help_id(value: str) -> int:
    return _int_id("help", value, "Help request not found")


def quiz_number_or_zero(value: str) -> int:
    """The row id in a ``quiz_<n>`` id; 0 (no question's) when ``value`` is not one."""
    match = re.fullmatch(r"quiz_([0-9]{1,18})", value)
    return int(match.group(1)) if match else 0


def codelab_ref(number: int | None) -> str | None:
    return None if number is None else f"codelab_{number}"


def step_ref(number: int) -> str:
    return f"step_{number}"


def attendee_ref(user_id: uuid.UUID) -> str:
    return f"attendee_{user_id.hex}"


def attendee_id(value: str, missing: str = "Attendee not found") -> uuid.UUID:
    match = re.fullmatch(r"attendee_([0-9a-f]{32})", value or "")
    if match is None:
        raise NotFound(missing)
    return uuid.UUID(match.group(1))


# --- renderers ----------------------------------------------------------------------


def codelab(view: Any, *, facilitator: bool = False) -> dict[str, Any]:
    course, settings = view.course, view.codelab
    shown = {
        "id": codelab_ref(course.id), "title": course.title, "description": course.description,
        "author": settings.author, "is_public": course.is_published,
        "quiz_enabled": settings.quiz_enabled, "require_quiz": settings.require_quiz,
        "require_feedback": settings.require_feedback,
        "guide_markdown": settings.guide_markdown, "created_at": iso(course.created_at),
    }
    if facilitator:
        shown["attendance_code"] = settings.attendance_code
    return shown


def step(module: Any, number: int) -> dict[str, Any]:
    return {"id": step_ref(module.id), "codelab_id": codelab_ref(module.course_id),
            "step_number": number, "title": module.title,
            "content_markdown": module.description}


def attendee(found: Any, *, show_email: bool) -> dict[str, Any]:
    row = found.row
    return {"id": attendee_ref(row.user_id), "codelab_id": codelab_ref(row.course_id),
            "name": found.name, "email": row.email if show_email else None,
            "current_step": row.current_step, "is_completed": found.is_completed,
            "completed_at": iso(found.enrollment.completed_at),
            "created_at": iso(found.enrollment.enrolled_at)}


def help_request(found: Any) -> dict[str, Any]:
    row = found.row
    return {"id": f"help_{row.id}", "codelab_id": codelab_ref(row.course_id),
            "attendee_id": attendee_ref(found.attendee_user_id),
            "attendee_name": found.attendee_name, "step_number": row.step_number,
            "status": row.status, "created_at": iso(row.created_at)}


def feedback(found: Any) -> dict[str, Any]:
    row = found.row
    return {"id": f"feedback_{row.id}", "codelab_id": codelab_ref(row.course_id),
            "attendee_id": attendee_ref(found.attendee_user_id),
            "difficulty": str(row.difficulty), "satisfaction": str(row.satisfaction),
            "comment": row.comment, "created_at": iso(row.created_at)}


def quiz(found: Any) -> dict[str, Any]:
    """A question; its ``correct_answer`` only where the viewer reads it."""
    row = found.row
    shown = {"id": f"quiz_{row.id}", "codelab_id": codelab_ref(row.course_id),
             "question": row.question, "quiz_type": row.quiz_type, "options": row.options,
             "created_at": iso(row.created_at)}
    if found.correct_answer is not None:
        shown["correct_answer"] = found.correct_answer
    return shown


def quiz_submission(found: Any) -> dict[str, Any]:
    row = found.row
    return {"id": f"quiz_submission_{row.id}", "codelab_id": codelab_ref(row.course_id),
            "attendee_id": attendee_ref(found.attendee_user_id),
            "attendee_name": found.attendee_name, "quiz_id": f"quiz_{row.quiz_id}",
            "answer": row.answer, "is_correct": row.is_correct,
            "created_at": iso(row.created_at)}


def fields_sent(body: BaseModel, rename: Callable[[str], str] = lambda name: name) -> dict:
    return {rename(name): getattr(body, name) for name in body.model_fields_set}


# What the renderers above answer, for the OpenAPI document.
def _found(model: type, null: bool, **fields: Any) -> SimpleNamespace:
    """A resolver's row with its attendee, as the renderers read it."""
    return SimpleNamespace(row=sample(model, null=null), attendee_user_id=uuid.UUID(int=1),
                           attendee_name="Ada", **fields)


def _codelab_view(null: bool) -> SimpleNamespace:
    return SimpleNamespace(course=sample(Course, null=null), codelab=sample(Codelab, null=null))


R_CODELAB = any_of(rendered(codelab, _codelab_view, facilitator=True),
                   rendered(codelab, _codelab_view))
R_ATTENDEE = rendered(attendee, lambda null: SimpleNamespace(
    row=sample(CodelabAttendee, null=null, user_id=uuid.UUID(int=1)), name="Ada",
    is_completed=True, enrollment=sample(Enrollment, null=null)), show_email=True)
R_FEEDBACK = rendered(feedback, lambda null: _found(CodelabFeedback, null))
# ``correct_answer`` only where the viewer reads it.
R_QUIZ = rendered(quiz, lambda null: SimpleNamespace(row=sample(CodelabQuiz, null=null),
                                                     correct_answer=None if null else 1))
R_QUIZ_SUBMISSION = rendered(quiz_submission,
                             lambda null: _found(CodelabQuizSubmission, null))
OK = obj(status=STRING)
