"""The course platform's JSON conventions: snake_case bodies, integer ids, FastAPI errors.

Errors are ``{"detail": "..."}`` with the documented status; validation
failures are FastAPI's 422 ``{"detail": [{"type", "loc", "msg", "input"}]}``
with ``loc`` starting at ``body``, ``query`` or ``path``. A missing or
rejected Bearer token answers 401 with ``WWW-Authenticate: Bearer``.
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, ValidationError
from starlette.responses import Response

from core.errors import DomainError, Unauthenticated
from rest_compat.base import JSONResponse, fastapi_validation_detail


class Body(BaseModel):
    """Request bodies: unknown keys are ignored, as FastAPI does by default."""

    model_config = ConfigDict(extra="ignore")


class Page(BaseModel):
    """``skip``/``limit`` query parameters (FastAPI-style offset pagination)."""

    skip: int = 0
    limit: int = 100

    model_config = ConfigDict(extra="ignore")


def render_error(exc: DomainError) -> Response:
    headers = {"WWW-Authenticate": "Bearer"} if isinstance(exc, Unauthenticated) else None
    return JSONResponse({"detail": exc.message}, status_code=exc.status, headers=headers)


def render_validation(exc: ValidationError, location: str = "body") -> Response:
    return JSONResponse({"detail": fastapi_validation_detail(exc, location)}, status_code=422)


def render_internal(request_id: str) -> Response:
    return JSONResponse({"detail": "Internal Server Error"}, status_code=500,
                        headers={"X-Request-ID": request_id})


def created(content: Any) -> JSONResponse:
    return JSONResponse(content, status_code=201)


def no_content() -> Response:
    return Response(status_code=204)
