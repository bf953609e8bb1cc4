"""The curriculum mapper's tRPC procedure ``curriculum.generateIntelligence`` over HTTP.

Served at ``POST /api/trpc/curriculum.generateIntelligence`` so existing tRPC
clients keep working. Credential: the signed-in user's session (cookie or Bearer),
as the reference's "authenticated CM user"; a cookie-authenticated call sends JSON,
as tRPC clients do.

Choices where the reference is silent:
- The input may come as tRPC's superjson envelope (``{"json": {...}}``) or bare;
  the answer mirrors it: ``{"result": {"data": {"json": {"type", "content"}}}}`` or
  ``{"result": {"data": {...}}}``.
- Batched calls, as ``httpBatchLink`` sends them: ``?batch=1``, the procedure named
  once per call in the path (``curriculum.generateIntelligence,curriculum.generate…``)
  and a body of inputs keyed by position (``{"0": {...}, "1": {...}}``). The answer is
  the array of each call's answer or error, in order; its status is the calls' common
  status, or 207 when they differ, as tRPC's own server does. At most
  ``MAX_BATCH`` calls (each may be a model call), run one after another; an unknown
  procedure in the list is that call's NOT_FOUND. A refusal of the whole request (no
  session, a body too large or not JSON) is one error object, which tRPC clients
  apply to every call of the batch.
- Errors take tRPC's shape, always in the envelope:
  ``{"error": {"json": {"message", "code": <JSON-RPC number>, "data": {"code",
  "httpStatus", "path"}}}}`` with the HTTP status of ``data.httpStatus``
  (NOT_FOUND when the objective, or for ``remotion_script`` its lesson book, does not
  exist; BAD_REQUEST for bad input; UNAUTHORIZED without a session).
"""

from __future__ import annotations

from typing import Any

from pydantic import RootModel, ValidationError, model_validator
from starlette.responses import Response

from core.errors import DomainError
from resolvers import curriculum_intelligence
from resolvers.curriculum_intelligence import IntelligenceIn
from resolvers.reading import Input, field_errors
from rest_compat import returns as out
from rest_compat.base import FaceRequest, JSONResponse, Route

PATH = "curriculum.generateIntelligence"
# HTTP status -> tRPC error code and its JSON-RPC number.
_CODES = {400: ("BAD_REQUEST", -32600), 401: ("UNAUTHORIZED", -32001),
          403: ("FORBIDDEN", -32003), 404: ("NOT_FOUND", -32004), 409: ("CONFLICT", -32009),
          413: ("PAYLOAD_TOO_LARGE", -32013), 422: ("UNPROCESSABLE_CONTENT", -32022),
          429: ("TOO_MANY_REQUESTS", -32029), 502: ("BAD_GATEWAY", -32603),
          503: ("SERVICE_UNAVAILABLE", -32603), 504: ("GATEWAY_TIMEOUT", -32603)}


MAX_BATCH = 10


def _error_body(message: str, status: int, details: Any = None, path: str = PATH) -> dict:
    code, number = _CODES.get(status, ("INTERNAL_SERVER_ERROR", -32603))
    data: dict[str, Any] = {"code": code, "httpStatus": status, "path": path}
    if details:
        data["details"] = details
    return {"error": {"json": {"message": message, "code": number, "data": data}}}


def _error(message: str, status: int, details: Any = None) -> Response:
    return JSONResponse(_error_body(message, status, details), status_code=status)


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


async def _answer(req: FaceRequest, call: TrpcCall) -> dict:
    result = await curriculum_intelligence.generate(req.ctx, request=call.input)
    data = {"type": result.type, "content": result.content}
    return {"result": {"data": {"json": data} if call.enveloped else data}}


async def generate_intelligence(req: FaceRequest) -> Response:
    if req.query.get("batch") == "1":
        return await _batch(req, [PATH])
    call = TrpcCall.model_validate(req.body.root)
    return JSONResponse(await _answer(req, call))


async def batch(req: FaceRequest) -> Response:
    if req.query.get("batch") != "1":
        return _error(f"No procedure {req.path['procedures'][:100]!r}", 404)
    return await _batch(req, req.path["procedures"].split(","))


async def _batch(req: FaceRequest, procedures: list[str]) -> Response:
    inputs = req.body.root
    if len(procedures) > MAX_BATCH:
        return _error(f"A batch holds at most {MAX_BATCH} calls", 400)
    answers: list[tuple[int, dict]] = []
    for index, procedure in enumerate(procedures):
        if procedure != PATH:
            answers.append((404, _error_body(f"No procedure {procedure[:100]!r}", 404,
                                             path=procedure[:100])))
            continue
        try:
            call = TrpcCall.model_validate(inputs.get(str(index)))
            answers.append((200, await _answer(req, call)))
        except ValidationError as exc:
            answers.append((400, _error_body("Invalid input", 400,
                                             {"fields": field_errors(exc)})))
        except DomainError as exc:
            answers.append((exc.status, _error_body(exc.message, exc.status)))
    statuses = {status for status, _ in answers}
    return JSONResponse([answer for _, answer in answers],
                        status_code=statuses.pop() if len(statuses) == 1 else 207)


_MATERIAL = out.obj(type=out.STRING, content=out.STRING)
# One call's answer (its data bare, or enveloped as the call was) and one call's error.
ANSWER = out.obj(result=out.obj(data=out.any_of(_MATERIAL, out.obj(json=_MATERIAL))))
ERROR = out.obj(error=out.obj(json={
    "type": "object", "required": ["message", "code", "data"], "properties": {
        "message": out.STRING, "code": out.INTEGER, "data": {
            "type": "object", "required": ["code", "httpStatus", "path"], "properties": {
                "code": out.STRING, "httpStatus": out.INTEGER, "path": out.STRING,
                "details": {}}}}}))

ANSWERS = out.array(out.any_of(ANSWER, ERROR))


class TrpcBody(RootModel[dict[str, Any]]):
    """One call's input (bare or enveloped), or with ``?batch=1`` the calls' inputs by
    position; each is validated as its call runs."""


ROUTES = [
    Route("POST", f"/{PATH}", generate_intelligence, auth=True, body=TrpcBody,
          summary="Generate lesson material for an objective (tRPC-compatible)",
          responses={200: "The material", 400: "Bad input", 401: "Not signed in",
                     404: "No such objective (or lesson book)", 502: "LLM answer unusable",
                     503: "No LLM configured"},
          returns={200: ANSWER}),
    Route("POST", "/{procedures}", batch, auth=True, body=TrpcBody,
          summary="Several tRPC calls in one request (?batch=1, as httpBatchLink sends)",
          responses={200: "Every call's answer, in order", 207: "Answers and errors, in order",
                     400: "Bad input, or too many calls", 401: "Not signed in",
                     404: "No such procedure"},
          returns={200: ANSWERS, 207: ANSWERS}),
]
