"""The agent API's JSON conventions: snake_case bodies, UUID strings, one error envelope.

Every error is ``{"error": {"code", "message", "details"}}`` with a lower-case
code (``unauthorized``, ``forbidden``, ``teams_required``, ``validation_error``,
``workspace_not_found``, ``rate_limit_exceeded``, ...). Input that fails
validation is ``400 validation_error`` whose details list each field and what
is wrong with it, never the input itself.
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, ValidationError
from starlette.responses import Response

from core.errors import DomainError
from rest_compat.base import JSONResponse

# Domain error codes as the contract names them; a resolver's own specific code
# (WORKSPACE_NOT_FOUND, TEAMS_REQUIRED, ...) is rendered lower-cased.
CODES = {
    "UNAUTHENTICATED": "unauthorized",
    "FORBIDDEN": "forbidden",
    "BAD_USER_INPUT": "validation_error",
    "BAD_REQUEST": "bad_request",
    "NOT_FOUND": "not_found",
    "CONFLICT": "conflict",
    "RATE_LIMITED": "rate_limit_exceeded",
    "GONE": "gone",
    "UPSTREAM_ERROR": "upstream_error",
    "NOT_CONFIGURED": "not_configured",
}
STATUS_CODES = {413: "payload_too_large"}


class Body(BaseModel):
    """Request bodies: unknown keys are ignored."""

    model_config = ConfigDict(extra="ignore")


def error(code: str, message: str, status: int, details: Any = None,
          headers: dict | None = None) -> JSONResponse:
    return JSONResponse({"error": {"code": code, "message": message,
                                   "details": details if isinstance(details, dict) else {}}},
                        status_code=status, headers=headers)


def render_error(exc: DomainError) -> Response:
    code = STATUS_CODES.get(exc.status) or CODES.get(exc.code) or exc.code.lower()
    headers = {"WWW-Authenticate": "Bearer"} if exc.status == 401 else None
    return error(code, exc.message, exc.status, exc.details, headers)


def render_validation(exc: ValidationError, location: str = "body") -> Response:
    issues = [{"field": ".".join(str(part) for part in e["loc"]) or location,
               "message": e["msg"]} for e in exc.errors(include_url=False)]
    return error("validation_error", f"Invalid request {location}", 400,
                 {"location": location, "issues": issues[:20]})


def render_internal(request_id: str) -> Response:
    return error("internal_error", "Internal server error", 500, {"request_id": request_id})


def created(content: Any) -> JSONResponse:
    return JSONResponse(content, status_code=201)
