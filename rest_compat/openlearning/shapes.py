"""OpenLearning's JSON shapes: camelCase bodies and FastAPI error bodies."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, EmailStr, ValidationError
from pydantic.alias_generators import to_camel
from starlette.responses import Response

from core.errors import DomainError
from rest_compat.base import JSONResponse, fastapi_validation_detail


class CamelModel(BaseModel):
    model_config = ConfigDict(alias_generator=to_camel, populate_by_name=True)


class RegisterRequest(CamelModel):
    email: EmailStr
    password: str


class LoginRequest(CamelModel):
    email: EmailStr
    password: str


class ApiKeySetRequest(CamelModel):
    api_key: str


def ok() -> JSONResponse:
    return JSONResponse({"ok": True})


def render_error(exc: DomainError) -> Response:
    return JSONResponse({"detail": exc.message}, status_code=exc.status)


def render_validation(exc: ValidationError, location: str = "body") -> Response:
    return JSONResponse({"detail": fastapi_validation_detail(exc, location)}, status_code=422)


def render_internal(request_id: str) -> Response:
    return JSONResponse({"detail": "Internal Server Error"}, status_code=500,
                        headers={"X-Request-ID": request_id})
