"""The front door for planned reads: an anonymous JSON POST to /graphql whose document
has a plan is answered here, at the top of the stack, without passing each layer.

Every layer below does one duty for every request: the request id and body limit
(``core.request_context``), CORS (``core.cors``), the access line and metrics
(``core.observe``), routing, the CSRF rule (``core.csrf``), the context, the query
budget and the operation's metrics (the GraphQL view's planned path). For a planned
read these cost more CPU than the read itself (a ``{ __typename }`` sends no
statement): each layer wraps ``send``, reads the headers again and builds objects of
its own. The front door performs the same duties by calling the same functions, once
each, with the headers read once.

Anything else passes through to the stack untouched, or with its body handed over
again when it was read already: other paths and methods, a request with credentials
(an ``Authorization`` header, cookies, the internal key), no or a too large
``Content-Length``, a body that is not JSON, a header given twice, a document without
a plan, and a plan that declines (the general path answers those).
"""

from __future__ import annotations

import time
from collections.abc import Iterable
from typing import Any

from starlette.requests import HTTPConnection
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from core import csrf
from core.auth.viewer import CREDENTIAL_HEADERS
from core.cors import CorsPolicy, add_grant
from core.db import as_domain_error
from core.graphql_app import GraphQLView, planned_media, planned_request
from core.http import WITHOUT_CREDENTIALS, build_context
from core.logs import REQUEST_ID
from core.observe import metrics_of, observed
from core.request_context import (
    MAX_BODY_BYTES,
    log_unavailable,
    request_id_for,
    unavailable,
    with_request_id,
)


class FrontDoor:
    def __init__(self, app: ASGIApp, *, view: GraphQLView, route: Any,
                 allowed_origins: Iterable[str] = (),
                 max_body_bytes: int = MAX_BODY_BYTES) -> None:
        self.app = app
        self.view = view
        self.planner = view.planner
        self.route = route  # /graphql's route, which names the request in the metrics
        self.cors = CorsPolicy(allowed_origins)
        self.max_body_bytes = max_body_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if (scope["type"] != "http" or scope["path"] != "/graphql"
                or scope["method"] != "POST" or self.planner is None
                or scope.get("root_path")):
            await self.app(scope, receive, send)
            return
        raw = scope["headers"]
        headers = dict(raw)
        length = headers.get(b"content-length")
        if (len(headers) != len(raw) or not length or not length.isdigit()
                or int(length) > self.max_body_bytes
                or not headers.keys().isdisjoint(CREDENTIAL_HEADERS)):
            await self.app(scope, receive, send)
            return
        accept = headers.get(b"accept", b"").decode("latin-1")
        media = csrf.media_type_of(headers.get(b"content-type", b"").decode("latin-1"))
        # A JSON body proves the intent a cross-site page could not (and no cookie
        # signs it in): the CSRF rule has nothing to refuse.
        if not planned_media(media, accept) or not csrf.DEFAULT.proven_by("POST", media):
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        messages: list[Message] = []
        while True:
            message = await receive()
            messages.append(message)
            if message["type"] != "http.request" or not message.get("more_body"):
                break
        body = (messages[0].get("body", b"") if len(messages) == 1
                else b"".join(m.get("body", b"") for m in messages))
        asked = (planned_request(body) if message["type"] == "http.request"
                 and len(body) <= self.max_body_bytes else None)
        plan = self.planner.plan_for(asked[0], asked[1]) if asked is not None else None
        if plan is None or not await self._answer(scope, send, headers, plan, asked[2],
                                                  accept, started):
            await self.app(scope, _replaying(messages, receive), send)

    async def _answer(self, scope: Scope, send: Send, headers: dict, plan: Any,
                      variables: Any, accept: str, started: float) -> bool:
        """Answer the planned read, as the stack would; False (nothing sent or counted)
        when the general path must answer it."""
        state = scope.setdefault("state", {})
        request_id = state["request_id"] = request_id_for(headers.get(b"x-request-id"))
        token = REQUEST_ID.set(request_id)
        scope["route"] = self.route
        status = 0
        try:
            context = await build_context(HTTPConnection(scope), known=WITHOUT_CREDENTIALS)
            answer = await self.view.planned_answer(plan, variables, context, accept,
                                                    started)
            if answer is None:
                return False
            status = 200
            await self._send(send, headers, request_id, 200, answer.headers, answer.body)
        except Exception as exc:
            down = as_domain_error(exc)
            if down is None or status:
                status = status or 500
                raise
            log_unavailable(request_id, down, exc)
            refusal = unavailable(down)
            status = refusal.status_code
            await self._send(send, headers, request_id, status, refusal.raw_headers,
                             refusal.body)
        finally:
            REQUEST_ID.reset(token)
            if status:
                observed(scope, state, status, time.perf_counter() - started,
                         metrics_of(scope))
        return True

    async def _send(self, send: Send, headers: dict, request_id: str, status: int,
                    answer_headers: list, body: bytes) -> None:
        """The answer with the request's id and, for a page of a granted origin, CORS
        headers, as the request-context and CORS layers would put them."""
        response_headers = with_request_id(answer_headers, request_id)
        origin = headers.get(b"origin")
        if origin:
            grant = self.cors.grant(origin.decode("latin-1"))
            if grant is not None:
                add_grant(response_headers, grant)
        await send({"type": "http.response.start", "status": status,
                    "headers": response_headers})
        await send({"type": "http.response.body", "body": body})


def _replaying(messages: list[Message], receive: Receive) -> Receive:
    """A ``receive`` that hands over ``messages`` (read already), then waits as
    ``receive`` does."""
    pending = list(messages)

    async def replay() -> Message:
        if pending:
            return pending.pop(0)
        return await receive()

    return replay
