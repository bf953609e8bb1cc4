"""``POST /api/mcp/{url_encoded_api_key}``: the agent API's read tools over MCP (streamable
HTTP transport, JSON responses), for clients that cannot send an ``Authorization`` header.

Choices where the reference is silent:
- The key in the path is the credential (URL-decoded by the router), with the same
  rules as ``Authorization: Bearer``: the per-minute limit, the Teams tier, and each
  tool's scope (``list_workspaces``/``list_blocks``: ``workspaces:read``,
  ``list_ghl_links``/``get_ghl_results``: ``ghl:read``). ``tools/list`` shows only
  the tools the key may call; calling another answers a tool result with
  ``isError: true``. An invalid key, a missing tier or a spent limit are the face's
  HTTP errors (401, 403, 429), like any agent route. Keys are never logged (errors
  name the route's template, not its URL).
- The server is stateless: each POST carries one JSON-RPC message (no batches, no
  ``Mcp-Session-Id``); a request gets ``200 application/json``, a notification
  ``202``. ``initialize`` answers the client's protocol version when it is one of
  2024-11-05, 2025-03-26, 2025-06-18 or 2025-11-25, else 2025-06-18. Unknown
  methods are JSON-RPC ``-32601``, bad parameters ``-32602``.
- Evidence upload and performance analysis stay REST-only, as the contract says.
"""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any, Literal

import orjson
from pydantic import Field
from starlette.responses import Response

from core.auth.api_keys import GHL_READ, WORKSPACES_READ
from core.context import Context
from core.errors import DomainError, Forbidden
from resolvers import api_key, ghl
from resolvers import workspace as workspaces
from rest_compat import returns as out
from rest_compat.base import FaceRequest, JSONResponse, Route
from rest_compat.openlesson.ghl import render_link, render_result
from rest_compat.openlesson.rules import AGENT_CHECKS, SMALL_BODY
from rest_compat.openlesson.shapes import Body
from rest_compat.openlesson.workspaces import render_block, render_workspace

VERSIONS = ("2024-11-05", "2025-03-26", "2025-06-18", "2025-11-25")
DEFAULT_VERSION = "2025-06-18"
METHOD_NOT_FOUND, INVALID_PARAMS = -32601, -32602


class RpcMessage(Body):
    jsonrpc: Literal["2.0"]
    id: int | str | None = Field(default=None, union_mode="left_to_right")
    method: str = Field(min_length=1, max_length=100)
    params: dict[str, Any] | None = None


class KeyPath(Body):
    url_encoded_api_key: str = Field(min_length=1, max_length=200)


class BadParams(Exception):
    pass


def _uuid(arguments: dict[str, Any], name: str) -> uuid.UUID:
    try:
        return uuid.UUID(str(arguments[name])[:64])
    except (KeyError, ValueError):
        raise BadParams(f"{name} must be a UUID") from None


@dataclass(frozen=True)
class Tool:
    name: str
    description: str
    scope: str
    arguments: tuple[str, ...]
    run: Callable[[FaceRequest, dict[str, Any]], Awaitable[Any]]

    def schema(self) -> dict[str, Any]:
        return {"name": self.name, "description": self.description, "inputSchema": {
            "type": "object", "required": list(self.arguments), "additionalProperties": False,
            "properties": {a: {"type": "string", "format": "uuid"} for a in self.arguments}}}


async def _list_workspaces(req: FaceRequest, arguments: dict[str, Any]) -> Any:
    return {"workspaces": [render_workspace(w) for w in await workspaces.get_all(req.ctx)]}


async def _list_blocks(req: FaceRequest, arguments: dict[str, Any]) -> Any:
    blocks = await workspaces.get_blocks(req.ctx, workspace_id=_uuid(arguments, "workspace_id"))
    return {"blocks": [render_block(b) for b in blocks]}


async def _list_links(req: FaceRequest, arguments: dict[str, Any]) -> Any:
    links = await ghl.get_all(req.ctx, workspace_id=_uuid(arguments, "workspace_id"))
    return {"ghl_links": [render_link(req, link) for link in links]}


async def _results(req: FaceRequest, arguments: dict[str, Any]) -> Any:
    link = await ghl.get_or_raise_link(req.ctx, workspace_id=_uuid(arguments, "workspace_id"),
                                       link_id=_uuid(arguments, "link_id"))
    return {"ghl_result": render_result(link)}


TOOLS = {tool.name: tool for tool in (
    Tool("list_workspaces", "The performance workspaces this key may read, newest first.",
         WORKSPACES_READ, (), _list_workspaces),
    Tool("list_blocks", "A workspace's assessable blocks, in order.", WORKSPACES_READ,
         ("workspace_id",), _list_blocks),
    Tool("list_ghl_links", "A workspace's GHL links this key sees, newest first.", GHL_READ,
         ("workspace_id",), _list_links),
    Tool("get_ghl_results", "A GHL link's status and, once completed, its scores and gap "
         "analysis.", GHL_READ, ("workspace_id", "link_id"), _results),
)}


def _allowed(ctx: Context, tool: Tool) -> bool:
    try:
        ctx.viewer.require_scope(tool.scope)
        return True
    except Forbidden:
        return False


async def _call(req: FaceRequest, params: dict[str, Any]) -> dict[str, Any]:
    tool = TOOLS.get(params.get("name")) if isinstance(params.get("name"), str) else None
    arguments = params.get("arguments") or {}
    if tool is None or not isinstance(arguments, dict):
        raise BadParams("Unknown tool or malformed arguments")
    try:
        req.ctx.viewer.require_scope(tool.scope)
        result = await tool.run(req, arguments)
    except DomainError as exc:
        return {"content": [{"type": "text", "text": exc.message}], "isError": True}
    return {"content": [{"type": "text", "text": orjson.dumps(result).decode()}],
            "structuredContent": result, "isError": False}


async def _dispatch(req: FaceRequest, message: RpcMessage) -> dict[str, Any]:
    params = message.params or {}
    if message.method == "initialize":
        asked = params.get("protocolVersion")
        return {"protocolVersion": asked if asked in VERSIONS else DEFAULT_VERSION,
                "capabilities": {"tools": {"listChanged": False}},
                "serverInfo": {"name": "learngraph-openlesson", "version": "2"},
                "instructions": "Read tools of the OpenLesson agentic API."}
    if message.method == "ping":
        return {}
    if message.method == "tools/list":
        return {"tools": [t.schema() for t in TOOLS.values() if _allowed(req.ctx, t)]}
    if message.method == "tools/call":
        return await _call(req, params)
    raise LookupError(message.method)


# A JSON-RPC 2.0 response: the method's result, or an error.
RPC_RESPONSE = {"type": "object", "required": ["jsonrpc", "id"], "properties": {
    "jsonrpc": {"const": "2.0"}, "id": {"type": ["string", "integer"]}, "result": {},
    "error": {"type": "object", "required": ["code", "message"],
              "properties": {"code": out.INTEGER, "message": out.STRING}}}}


async def mcp(req: FaceRequest) -> Response:
    await api_key.authenticate(req.ctx, token=req.path["url_encoded_api_key"])
    for check in AGENT_CHECKS:
        await check(req.ctx)
    message: RpcMessage = req.body
    if message.id is None:  # a notification (initialized, cancelled, ...)
        return Response(status_code=202)
    try:
        return JSONResponse({"jsonrpc": "2.0", "id": message.id,
                             "result": await _dispatch(req, message)})
    except LookupError:
        error = {"code": METHOD_NOT_FOUND, "message": f"Method not found: {message.method}"}
    except BadParams as exc:
        error = {"code": INVALID_PARAMS, "message": str(exc)}
    return JSONResponse({"jsonrpc": "2.0", "id": message.id, "error": error})


ROUTES = [
    Route("POST", "/mcp/{url_encoded_api_key}", mcp,
          "MCP (streamable HTTP) with the read tools; the path carries the API key",
          path_params=KeyPath, body=RpcMessage, max_body_bytes=SMALL_BODY,
          responses={200: "A JSON-RPC response", 202: "A notification was accepted"},
          tag="MCP",
          returns={200: RPC_RESPONSE, 202: out.NO_BODY}),
]
