"""The curriculum mapper's tRPC procedure ``curriculum.generateIntelligence`` over HTTP.

Served at ``POST /api/trpc/curriculum.generateIntelligence`` so existing tRPC
clients keep working. Credential: the signed-in user's session (cookie or Bearer),
as the reference's "authenticated CM user"; a cookie-authenticated call sends JSON,
as tRPC clients do.

Choices where the reference is silent:
- The input may come as tRPC's superjson envelope (``{"json": {...}}``) or bare;
  the answer mirrors it: ``{"result": {"data": {"json": {"type", "content"}}}}`` or
  ``{"result": {"data": {...}}}``. Batched calls (``?batch=1``) are not served.
- Errors take tRPC's shape, always in the envelope:
  ``{"error": {"json": {"message", "code": <JSON-RPC number>, "data": {"code",
  "httpStatus", "path"}}}}`` with the HTTP status of ``data.httpStatus``
  (NOT_FOUND when the objective, or for ``remotion_script`` its lesson book, does not
  exist; BAD_REQUEST for bad input; UNAUTHORIZED without a session).
"""

from __future__ import annotations

from typing import Any

from pydantic import ValidationError, model_validator
from starlette.responses import Response

from core.errors import DomainError
from resolvers import curriculum_intelligence
from resolvers.curriculum_intelligence import IntelligenceIn
from resolvers.reading import Input, field_errors
from rest_compat.base import FaceRequest, JSONResponse, Route

PATH = "curriculum.generateIntelligence"
# HTTP status -> tRPC error code and its JSON-RPC number.
_CODES = {400: ("BAD_REQUEST", -32600), 401: ("UNAUTHORIZED", -32001),
          403: ("FORBIDDEN", -32003), 404: ("NOT_FOUND", -32004), 409: ("CONFLICT", -32009),
          413: ("PAYLOAD_TOO_LARGE", -32013), 422: ("UNPROCESSABLE_CONTENT", -32022),
          429: ("TOO_MANY_REQUESTS", -32029), 502: ("BAD_GATEWAY", -32603),
          503: ("SERVICE_UNAVAILABLE", -32603), 504: ("GATEWAY_TIMEOUT", -32603)}


def _error(message: str, status: int, details: Any = None) -> Response:
    code, number = _CODES.get(status, ("INTERNAL_SERVER_ERROR", -32603))
    data: dict[str, Any] = {"code": code, "httpStatus": status, "path": PATH}
    if details:
        data["details"] = details
    return JSONResponse({"error": {"json": {"message": message, "code": number,
                                            "data": data}}}, status_code=status)


def render_error(exc: DomainError) -> Response:
    return _error(exc.message, exc.status)


def render_validation(exc: ValidationError, location: str) -> Response:
    return _error("Invalid input", 400, {"fields": field_errors(exc)})


def render_internal(request_id: str) -> Response:
    return _error("Internal server error", 500, {"requestId": request_id})


class TrpcCall(Input):
    """The procedure's input, bare or in the superjson envelope."""

    input: IntelligenceIn
    enveloped: bool = False

    @model_validator(mode="before")
    @classmethod
    def _unwrap(cls, data: Any) -> Any:
        if isinstance(data, dict) and isinstance(data.get("json"), dict):
            return {"input": data["json"], "enveloped": True}
        return {"input": data, "enveloped": False}


async def generate_intelligence(req: FaceRequest) -> Response:
    call: TrpcCall = req.body
    result = await curriculum_intelligence.generate(req.ctx, request=call.input)
    data = {"type": result.type, "content": result.content}
    return JSONResponse({"result": {"data": {"json": data} if call.enveloped else data}})


ROUTES = [
    Route("POST", f"/{PATH}", generate_intelligence, auth=True, body=TrpcCall,
          summary="Generate lesson material for an objective (tRPC-compatible)",
          responses={200: "The material", 400: "Bad input", 401: "Not signed in",
                     404: "No such objective (or lesson book)", 502: "LLM answer unusable",
                     503: "No LLM configured"}),
]
