"""The /graphql endpoint: queries and mutations over HTTP, subscriptions over WebSocket.

Both subscription protocols are served (graphql-transport-ws and the legacy
graphql-ws). Credentials come from the ``connection_init`` payload or the
cookie; a payload with invalid credentials is refused (4403 on
graphql-transport-ws, ``connection_error`` on graphql-ws), and no operation
runs before ``connection_init`` on either protocol. The legacy protocol has
no ``connection_init`` deadline of its own, so one is added here.

When the database cannot be reached to check the credentials (the handshake's
cookie or the ``connection_init`` payload), the socket is closed with 1013 (Try
Again Later) and the reason; graphql-ws first sends a ``connection_error`` carrying
``SERVICE_UNAVAILABLE`` and ``retryAfter``, as HTTP answers 503.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import logging
import time
from datetime import timedelta
from urllib.parse import urlsplit

import orjson
from cross_web import HTTPException
from graphql import GraphQLError
from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, Response
from starlette.websockets import WebSocket, WebSocketDisconnect
from strawberry.asgi import ASGIWebSocketAdapter, GraphQL
from strawberry.exceptions import ConnectionRejectionError
from strawberry.http.exceptions import WebSocketDisconnected
from strawberry.schema.exceptions import InvalidOperationTypeError
from strawberry.subscriptions import GRAPHQL_TRANSPORT_WS_PROTOCOL, GRAPHQL_WS_PROTOCOL
from strawberry.subscriptions.protocols.graphql_transport_ws.handlers import (
    BaseGraphQLTransportWSHandler,
)
from strawberry.subscriptions.protocols.graphql_ws.handlers import BaseGraphQLWSHandler
from strawberry.types import ExecutionResult

from core import csrf, persisted
from core.auth.viewer import (
    ANONYMOUS,
    authenticate,
    credentials_from_headers,
    credentials_from_params,
)
from core.config import Settings
from core.csrf import media_type
from core.db import as_domain_error
from core.errors import Forbidden, Unauthenticated, Unavailable
from core.http import build_context, viewer_of
from core.observe import count_operation, note_operation, note_viewer
from core.planning import Planner, run_plan
from core.tracing import tracing_of

CSRF_HEADERS = ("x-csrf-token", "apollo-require-preflight", "graphql-require-preflight")
# The GraphQL over HTTP spec's media type: a request that was not executed (it did not
# parse, validate or have valid variables) answers 4xx without a ``data`` entry.
GRAPHQL_RESPONSE = "application/graphql-response+json"
# Apollo's protocol answers an unknown persisted query with 200 and ``data: null`` so that
# its clients send the document; that stays so whatever the media type.
_KEPT_AS_EXECUTED = frozenset({"PERSISTED_QUERY_NOT_FOUND"})
# RFC 6455's "Try Again Later": the server cannot serve the connection for now.
WS_TRY_AGAIN_LATER = 1013

log = logging.getLogger(__name__)


class _DatabaseUnavailable(Exception):
    """The database could not be reached to check a WebSocket's credentials."""

    def __init__(self, error: Unavailable) -> None:
        super().__init__(error.message)
        self.error = error


def _unavailable(exc: Exception) -> _DatabaseUnavailable | None:
    known = as_domain_error(exc)
    return _DatabaseUnavailable(known) if isinstance(known, Unavailable) else None


async def _close_unavailable(websocket, error: Unavailable) -> None:
    log.warning("WebSocket closed: %s", error.message)
    with contextlib.suppress(Exception):
        await websocket.close(code=WS_TRY_AGAIN_LATER, reason=error.message)


def _origin(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}"


class TextWebSocketAdapter(ASGIWebSocketAdapter):
    """Sends each message of both protocols as a text frame, as they require. The view's
    JSON is bytes, which strawberry would send as binary frames: a browser hands those to
    its client as a Blob and Node's ``ws`` as a Buffer, and the ``graphql-ws`` client
    refuses either ("Message is missing the 'type' property")."""

    async def send_json(self, message) -> None:
        try:
            await self.ws.send_text(self.view.encode_json(message).decode())
        except WebSocketDisconnect as exc:
            raise WebSocketDisconnected from exc


async def _ws_document(context, payload: dict) -> str:
    """The document a WebSocket operation runs: its ``query``, or the stored one its
    ``persistedQuery`` extension names (sent with an empty ``query``, which both protocols
    require), as over HTTP. Raises GraphQLError for an operation that cannot run."""
    query = payload.get("query")
    extensions = payload.get("extensions")
    if isinstance(extensions, dict) and "persistedQuery" in extensions:
        settings = context.services.settings
        try:
            query = await persisted.resolve(
                context.services.documents, extensions["persistedQuery"],
                query if isinstance(query, str) and query.strip() else None,
                trusted_only=settings.trusted_documents_only)
        except persisted.PersistedQueryError as exc:
            raise GraphQLError(exc.message, extensions={"code": exc.code}) from None
    if not isinstance(query, str) or not query.strip():
        raise GraphQLError("No GraphQL query found in the request",
                           extensions={"code": "BAD_REQUEST"})
    return query


class TransportWSHandler(BaseGraphQLTransportWSHandler):
    """graphql-transport-ws, its running subscriptions counted in the metrics."""

    async def handle(self) -> None:
        self.context.services.metrics.watch_subscriptions(self)
        await super().handle()

    async def handle_subscribe(self, message) -> None:
        if self.connection_acknowledged and message["id"] not in self.operations:
            try:
                query = await _ws_document(self.context, message["payload"])
            except GraphQLError as error:
                await self.send_message({"id": message["id"], "type": "error",
                                         "payload": [error.formatted]})
                return
            message = {**message, "payload": {**message["payload"], "query": query}}
        await super().handle_subscribe(message)

    async def handle_connection_init(self, message) -> None:
        try:
            await super().handle_connection_init(message)
        except _DatabaseUnavailable as down:
            await _close_unavailable(self.websocket, down.error)


class LegacyWSHandler(BaseGraphQLWSHandler):
    """graphql-ws with a deadline for ``connection_init``; its running subscriptions are
    counted in the metrics."""

    async def handle(self) -> None:
        self.context.services.metrics.watch_subscriptions(self)
        timeout = self.view.connection_init_wait_timeout.total_seconds()

        async def close_if_silent() -> None:
            await asyncio.sleep(timeout)
            if not getattr(self, "connection_acknowledged", False):
                with contextlib.suppress(Exception):
                    await self.websocket.close(code=4408,
                                               reason="Connection initialisation timeout")

        watchdog = asyncio.create_task(close_if_silent())
        try:
            await super().handle()
        finally:
            watchdog.cancel()

    async def handle_start(self, message) -> None:
        if getattr(self, "connection_acknowledged", False):
            try:
                query = await _ws_document(self.context, message["payload"])
            except GraphQLError as error:
                await self.send_message({"id": message["id"], "type": "error",
                                         "payload": error.formatted})
                return
            message = {**message, "payload": {**message["payload"], "query": query}}
        await super().handle_start(message)

    async def handle_connection_init(self, message) -> None:
        try:
            await super().handle_connection_init(message)
        except _DatabaseUnavailable as down:
            error = down.error
            with contextlib.suppress(Exception):
                await self.send_message({"type": "connection_error", "payload": {
                    "message": error.message, "extensions": {
                        "code": error.code, "retryAfter": error.retry_after}}})
            await _close_unavailable(self.websocket, error)


class GraphQLView(GraphQL):
    websocket_adapter_class = TextWebSocketAdapter
    graphql_ws_handler_class = LegacyWSHandler
    graphql_transport_ws_handler_class = TransportWSHandler

    def __init__(self, schema, settings: Settings, *, planner: Planner | None = None) -> None:
        self.planner = planner
        self.credentialed_origins = frozenset(
            (_origin(settings.public_url), *(o for o in settings.allowed_origins if o != "*")))
        super().__init__(
            schema,
            graphql_ide="graphiql",
            allow_queries_via_get=True,
            subscription_protocols=(GRAPHQL_TRANSPORT_WS_PROTOCOL, GRAPHQL_WS_PROTOCOL),
            connection_init_wait_timeout=timedelta(
                seconds=settings.graphql_connection_init_timeout_seconds),
            multipart_uploads_enabled=True,
            max_subscriptions_per_connection=settings.graphql_max_subscriptions_per_connection,
            # Same-origin pages may always connect; other origins only when listed,
            # since a browser sends the visitor's cookie with any page's handshake.
            allowed_origins=(_origin(settings.public_url), *settings.allowed_origins),
        )

    def encode_json(self, data: object) -> bytes:
        try:
            return orjson.dumps(data)
        except TypeError:  # an integer past 64 bits, in a JSON scalar
            return super().encode_json(data).encode()

    async def execute_single(self, request, request_adapter, sub_response, context,
                             root_value, request_data) -> ExecutionResult:
        registering = None
        if isinstance(request_data.extensions, dict) and (
                "persistedQuery" in request_data.extensions):
            settings = context.services.settings
            try:
                query = await persisted.resolve(
                    context.services.documents, request_data.extensions["persistedQuery"],
                    request_data.query, trusted_only=settings.trusted_documents_only)
            except persisted.PersistedQueryError as exc:
                if exc.status != 200:
                    sub_response.status_code = exc.status
                return ExecutionResult(data=None, errors=[GraphQLError(
                    exc.message, extensions={"code": exc.code})])
            if request_data.query is None:
                request_data = dataclasses.replace(request_data, query=query)
            elif not settings.trusted_documents_only:
                registering = query
        result = await self._execute(request, request_adapter, sub_response, context,
                                     root_value, request_data)
        # Stored once it ran (so parsed and validated): a broken document is never kept.
        if registering is not None and result.data is not None:
            await context.services.documents.put(registering)
        return result

    async def _execute(self, request, request_adapter, sub_response, context, root_value,
                       request_data) -> ExecutionResult:
        # A planned read answers from one SQL statement; everything else (and a request
        # whose values the plan cannot bind) runs through the general executor.
        planner, query = self.planner, request_data.query
        # A refused bearer token is the general path's answer (UNAUTHENTICATED).
        if (planner is not None and isinstance(query, str) and not context.credential_error
                and isinstance(request_data.operation_name, str | None)
                and not request.scope.get(_PLAN_DECLINED)):
            plan = planner.plan_for(query, request_data.operation_name)
            if plan is not None:
                started = time.perf_counter()
                result = await _traced_plan(planner, plan, request_data.variables, context)
                if result is not None:
                    # The schema's extensions do not run on this path: observe it here.
                    cost = result.extensions["cost"]["requestedQueryCost"]
                    note_operation(context.request, name=plan.operation_name, kind="query",
                                   cost=cost)
                    count_operation(context, name=plan.operation_name, kind="query",
                                    seconds=time.perf_counter() - started, error_codes=[])
                    if context.budget is not None:
                        sub_response.headers.update(context.budget.headers())
                    return result
        try:
            result = await super().execute_single(request, request_adapter, sub_response,
                                                  context, root_value, request_data)
        except HTTPException as refused:
            # The GraphQL-over-HTTP spec: a mutation sent with GET is a 405, not a 400.
            if isinstance(refused.__cause__, InvalidOperationTypeError):
                raise HTTPException(405, refused.reason) from refused
            raise
        if (planner is not None and isinstance(query, str) and not result.errors
                and isinstance(request_data.operation_name, str | None)
                and isinstance(result, ExecutionResult) and set(result.extensions or {}) <= {
                    "cost", "rateLimit"}):
            planner.learn(query, request_data.operation_name)
        return result

    def create_response(self, response_data, sub_response: Response) -> Response:
        if not getattr(sub_response, "graphql_response", False):
            return super().create_response(response_data, sub_response)
        status = 200
        if isinstance(response_data, dict) and _not_executed(response_data):
            response_data = {k: v for k, v in response_data.items() if k != "data"}
            status = 400
        response = Response(self.encode_json(response_data), status_code=status,
                            media_type=GRAPHQL_RESPONSE)
        response.headers.raw.extend(sub_response.headers.raw)
        if sub_response.background:
            response.background = sub_response.background
        if sub_response.status_code:
            response.status_code = sub_response.status_code
        return response

    def decode_json(self, data: str | bytes) -> object:
        # orjson refuses JSON nested past 1,024 levels with a decode error (a 400), where
        # the standard library's parser recurses until RecursionError.
        return orjson.loads(data)

    async def get_context(self, request, response):
        if not isinstance(request, WebSocket):
            response.graphql_response = prefers_graphql_response(
                request.headers.get("accept", ""))
            return await build_context(request, response=response)
        # The handshake is accepted by now: a database that cannot check its cookie
        # closes the socket instead of failing the application.
        try:
            context = await build_context(request, response=response)
        except Exception as exc:
            down = _unavailable(exc)
            if down is None:
                raise
            await _close_unavailable(request, down.error)
            raise down from exc
        if context.viewer is not ANONYMOUS and not self._cookie_signs_in(request) and not (
                credentials_from_headers(request.headers, {}).bearer):
            # A page of an origin let in by ``*`` alone: its socket carries the visitor's
            # cookie, and ``*`` never lends credentials. It runs anonymous (a bearer token
            # in ``connection_init`` still signs in).
            context.viewer = ANONYMOUS
            request.scope.get("state", {}).pop("viewer_id", None)
        return context

    def _cookie_signs_in(self, websocket: WebSocket) -> bool:
        """Whether the handshake's cookie may sign the socket in: no page sent it (no
        ``Origin``), or a page of this server's own origin or of a listed one."""
        origin = websocket.headers.get("origin")
        return (origin is None or origin in self.credentialed_origins
                or urlsplit(origin).netloc == websocket.headers.get("host"))

    async def on_ws_connect(self, context):
        credentials = credentials_from_params(context.connection_params)
        if credentials.present:
            services = context.services
            try:
                context.viewer = await authenticate(services.settings, services.db, credentials)
                note_viewer(context.request.scope, context.viewer)
            except Unauthenticated as exc:
                raise ConnectionRejectionError({"message": exc.message}) from exc
            except Exception as exc:
                down = _unavailable(exc)
                if down is None:
                    raise
                raise down from exc
        return None

    def should_render_graphql_ide(self, request) -> bool:
        # A browser opening /graphql (its Accept names HTML, not JSON) gets GraphiQL; with
        # ?query=… (a share link) GraphiQL opens with that query filled in, and nothing
        # runs until the visitor runs it. Other clients get the page only for a bare GET
        # with a catch-all Accept; a GET that carries a query or a persisted query's
        # hash runs it.
        if request.method != "GET":
            return False
        accept = request.headers.get("accept", "").lower()
        if "text/html" in accept and "json" not in accept:
            return True
        params = request.query_params
        return ("*/*" in accept and params.get("query") is None
                and params.get("extensions") is None)

    async def render_graphql_ide(self, request: Request) -> Response:
        from core.docs_pages import graphiql_html

        return HTMLResponse(graphiql_html())

    async def __call__(self, scope, receive, send) -> None:
        if scope["type"] == "http":
            request = Request(scope, receive)
            refusal = await _csrf_refusal(request)
            if refusal is not None:
                await refusal(scope, receive, send)
                return
            # A plan the front door tried and that declined would only decline again.
            if self.planner is not None and scope["method"] == "POST" \
                    and not scope.get(_PLAN_DECLINED):
                response, receive = await self._planned(request, receive)
                if response is not None:
                    await response(scope, receive, send)
                    return
            try:
                response = await self.run(Request(scope, receive))
            except HTTPException as refused:
                response = _request_refused(request, refused)
            await response(scope, receive, send)
            return
        try:
            await super().__call__(scope, receive, send)
        except _DatabaseUnavailable:
            pass  # the WebSocket handshake's cookie could not be checked: closed already


    async def _planned(self, request: Request, receive) -> tuple[_Answer | None, object]:
        """The answer to a JSON POST of one operation that has a plan, made without the
        general path's per-request work (request parsing, context hooks, extensions);
        else None and a ``receive`` that hands the body already read to that path."""
        accept = request.headers.get("accept", "")
        if not planned_media(media_type(request), accept):
            return None, receive
        body = await request.body()
        replay = _replay(body, receive)
        asked = planned_request(body)
        if asked is None:
            return None, replay  # the general path refuses what is not a request
        query, name, variables = asked
        plan = self.planner.plan_for(query, name)
        if plan is None:
            return None, replay
        started = time.perf_counter()
        context = await build_context(request)
        if context.credential_error:  # refused by the general path (UNAUTHENTICATED)
            return None, replay
        answer = await self.planned_answer(plan, variables, context, accept, started)
        return answer, replay

    async def planned_answer(self, plan, variables, context, accept: str,
                             started: float) -> _Answer | None:
        """A planned read's answer, observed (its access line's operation, its count in
        the metrics); None when the general path must answer it, which it does without
        trying the plan again (a statement a guard declined would only decline again)."""
        result = await _traced_plan(self.planner, plan, variables, context)
        request = context.request
        if result is None:
            request.scope[_PLAN_DECLINED] = True
            return None
        cost = result.extensions["cost"]["requestedQueryCost"]
        note_operation(request, name=plan.operation_name, kind="query", cost=cost)
        count_operation(context, name=plan.operation_name, kind="query",
                        seconds=time.perf_counter() - started, error_codes=[])
        body = self.encode_json({"data": result.data, "extensions": result.extensions})
        headers = [(b"content-length", str(len(body)).encode()),
                   (b"content-type", _GRAPHQL_RESPONSE_TYPE if prefers_graphql_response(accept)
                    else _JSON_TYPE)]
        if context.budget is not None:
            headers += [(k.encode(), v.encode()) for k, v in context.budget.headers().items()]
        return _Answer(headers, body)


def planned_media(media: str, accept: str) -> bool:
    """Whether a POST of this media type (csrf.media_type_of) and ``Accept`` may have a
    planned answer: a JSON body, and an answer wanted as one JSON document (not a stream
    of them)."""
    return media == "application/json" and not (
        "text/event-stream" in accept or "multipart/mixed" in accept)


def planned_request(body: bytes) -> tuple[str, str | None, dict | None] | None:
    """The query, operation name and variables of a JSON body of one operation without
    extensions (what a plan may answer), else None."""
    try:
        payload = orjson.loads(body)
    except orjson.JSONDecodeError:
        return None
    if not isinstance(payload, dict) or payload.get("extensions") is not None:
        return None
    query, name, variables = (payload.get("query"), payload.get("operationName"),
                              payload.get("variables"))
    if not isinstance(query, str) or not isinstance(name, str | None) or not isinstance(
            variables, dict | None):
        return None
    return query, name, variables


_JSON_TYPE = b"application/json"
_GRAPHQL_RESPONSE_TYPE = GRAPHQL_RESPONSE.encode()


class _Answer:
    """A planned read's answer: its head and body, sent as two ASGI messages (what a
    Response would send, without building one for each request)."""

    __slots__ = ("body", "headers")

    def __init__(self, headers: list[tuple[bytes, bytes]], body: bytes) -> None:
        self.headers = headers
        self.body = body

    async def __call__(self, scope, receive, send) -> None:
        await send({"type": "http.response.start", "status": 200, "headers": self.headers})
        await send({"type": "http.response.body", "body": self.body})


_REFUSAL_CODES = {404: "NOT_FOUND", 405: "METHOD_NOT_ALLOWED"}


def _request_refused(request: Request, refused: HTTPException) -> Response:
    """A request that is not a GraphQL request (a body that is not JSON, no query, a
    content type or method /graphql does not take), answered as every other GraphQL
    error is: an ``errors`` list with a code, in the media type the client accepts."""
    accept = request.headers.get("accept", "")
    response = Response(
        orjson.dumps({"errors": [{"message": refused.reason, "extensions": {
            "code": _REFUSAL_CODES.get(refused.status_code, "BAD_REQUEST")}}]}),
        status_code=refused.status_code,
        media_type=GRAPHQL_RESPONSE if prefers_graphql_response(accept)
        else "application/json")
    if refused.status_code == 405:  # a method it does not take, or a mutation over GET
        response.headers["allow"] = "POST" if request.method == "GET" else "GET, POST"
    return response


def prefers_graphql_response(accept: str) -> bool:
    """Whether an Accept header asks for application/graphql-response+json rather than
    application/json (by quality, then by order); ``*/*`` or none gets application/json."""
    if GRAPHQL_RESPONSE not in accept.lower():
        return False  # most clients: not named, so not asked for
    ranks: dict[str, tuple[float, int]] = {}
    for position, part in enumerate(accept.split(",")[:50]):
        kind, *parameters = (p.strip() for p in part.split(";"))
        quality = 1.0
        for parameter in parameters:
            if parameter.lower().startswith("q="):
                try:
                    quality = float(parameter[2:])
                except ValueError:
                    quality = 0.0
        ranks.setdefault(kind.lower(), (quality, -position))
    wanted = ranks.get(GRAPHQL_RESPONSE)
    return wanted is not None and wanted[0] > 0 and wanted > ranks.get(
        "application/json", (0.0, -len(ranks) - 1))


# Set on a request the planned path has tried and handed to the general path.
_PLAN_DECLINED = "learngraph.plan_declined"


def _not_executed(response: dict) -> bool:
    """Whether a response is a request error: no data, and errors outside any field."""
    errors = response.get("errors") or []
    return response.get("data") is None and bool(errors) and not any(
        "path" in e or (e.get("extensions") or {}).get("code") in _KEPT_AS_EXECUTED
        for e in errors)


async def _traced_plan(planner: Planner, plan, variables, context) -> ExecutionResult | None:
    """A planned read, in a span of its own when tracing is on (the schema's extensions,
    which trace other operations, do not run on this path)."""
    tracing = tracing_of(context)
    if tracing is None:
        return await run_plan(planner, plan, variables, context)
    name = plan.operation_name
    with tracing.current_span(f"query {name}" if name else "query", {
            "graphql.operation.type": "query", "graphql.planned": True,
            **({"graphql.operation.name": name[:100]} if name else {})}):
        return await run_plan(planner, plan, variables, context)

def _replay(body: bytes, receive):
    """A ``receive`` that first hands over ``body`` (already read), then waits as
    ``receive`` does (for the client's disconnect)."""
    sent = False

    async def replay():
        nonlocal sent
        if sent:
            return await receive()
        sent = True
        return {"type": "http.request", "body": body, "more_body": False}

    return replay


async def _csrf_refusal(request: Request) -> Response | None:
    """The answer to a request another site's page could have sent, else None."""
    # Multipart bodies are "simple" requests a hostile page can send with the victim's
    # cookies (CVE-2024-47082); a custom header forces a preflight. Required of every
    # multipart request, as strawberry advises.
    if media_type(request) == "multipart/form-data" and not any(
            request.headers.get(h) for h in CSRF_HEADERS):
        return _csrf_error("Multipart requests must carry an X-CSRF-Token header", 400)
    # Any other write signed in with a cookie: JSON or the header (the faces' rule).
    if not csrf.DEFAULT.proves_intent(request):
        try:
            csrf.DEFAULT.check(request, via_cookie=(await viewer_of(request)).via_cookie)
        except Forbidden as exc:
            return _csrf_error(exc.message, exc.status)
    return None


def _csrf_error(message: str, status: int) -> Response:
    return JSONResponse({"errors": [{"message": message,
                                     "extensions": {"code": csrf.CSRF_REJECTED}}]},
                        status_code=status)
