"""How every Pickatale service renders errors, bodies and pages (the reference's §39).

Errors: ``{"error": "snake_case_code", "message": "...", "details": {}}`` with the
documented status. A body that is not JSON, not an object, or lacks a required
field is 400 ``bad_request`` (the adaptive content engine documents "400 missing
fields"); fields that are present but out of bounds are 422 ``validation_failed``.
``details.fields`` names each failing field and what is wrong, never its value.
Unexpected failures are 500 ``internal_error`` with the request id only.

Lists that can pass 20 rows use cursor pagination: ``?cursor=<opaque>&limit=N``
(default 50, 1–200; more is 422) answering ``{"data", "nextCursor", "hasMore"}``.
"""

from __future__ import annotations

import re
from typing import Any

from pydantic import Field, ValidationError
from starlette.responses import Response

from core.errors import DomainError
from resolvers.reading import Input, field_errors
from rest_compat.base import JSONResponse

DEFAULT_LIMIT, MAX_LIMIT = 50, 200
# Statuses whose code is the status's own name rather than the error's class.
_BY_STATUS = {400: "bad_request", 401: "unauthenticated", 403: "forbidden", 404: "not_found",
              405: "method_not_allowed", 409: "conflict", 410: "gone", 413: "payload_too_large",
              422: "validation_failed", 423: "locked", 429: "rate_limited"}
_CODES = {"BAD_USER_INPUT": "validation_failed", "UPSTREAM_ERROR": "upstream_unavailable",
          "ALREADY_SUBSCRIBED": "already_subscribed", "INVALID_SIGNATURE": "invalid_signature",
          "BUDGET_EXCEEDED": "budget_exceeded"}
# A resolver's Validation is a well-formed request with values the rules refuse.
_STATUS = {"BAD_USER_INPUT": 422}
_MISSING = {"missing", "json_invalid", "model_type", "model_attributes_type", "dict_type"}


def error(code: str, message: str, status: int, details: Any = None) -> JSONResponse:
    return JSONResponse({"error": code, "message": message, "details": details or {}},
                        status_code=status)


def _code(exc: DomainError, status: int) -> str:
    if re.fullmatch(r"[a-z][a-z0-9_]*", exc.code):
        return exc.code  # already the face's own code
    return _CODES.get(exc.code) or _BY_STATUS.get(status) or exc.code.lower()


def render_error(exc: DomainError) -> Response:
    status = _STATUS.get(exc.code, exc.status)
    details = exc.details if isinstance(exc.details, dict) else (
        {"info": exc.details} if exc.details is not None else {})
    return error(_code(exc, status), exc.message, status, details)


def render_validation(exc: ValidationError, location: str) -> Response:
    fields = field_errors(exc)
    for item in fields:
        item["field"] = f"{location}.{item['field']}" if item["field"] != "body" else location
    malformed = any(e["type"] in _MISSING for e in exc.errors(include_url=False))
    if malformed:
        return error("bad_request", "Malformed or incomplete request", 400, {"fields": fields})
    return error("validation_failed", "Invalid input", 422, {"fields": fields})


def render_internal(request_id: str) -> Response:
    return error("internal_error", "Internal server error", 500, {"requestId": request_id})


def ok(**fields: Any) -> JSONResponse:
    return JSONResponse({"ok": True, **fields})


class PageQuery(Input):
    """``?cursor=&limit=`` of a list endpoint."""

    cursor: str | None = Field(default=None, max_length=200)
    limit: int = Field(default=DEFAULT_LIMIT, ge=1, le=MAX_LIMIT)


def page(items: list[Any], next_cursor: str | None) -> JSONResponse:
    return JSONResponse({"data": items, "nextCursor": next_cursor,
                         "hasMore": next_cursor is not None})
