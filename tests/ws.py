"""A small GraphQL-over-WebSocket client speaking both subscription protocols.

``graphql-transport-ws`` (subscribe/next/complete) and the legacy
``graphql-ws`` (start/data/stop) differ only in message names, so tests can
run the same scenario on both and compare what arrives.
"""

from __future__ import annotations

import asyncio
import json
from contextlib import asynccontextmanager
from dataclasses import dataclass

from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed

TRANSPORT_WS = "graphql-transport-ws"
LEGACY_WS = "graphql-ws"
PROTOCOLS = (TRANSPORT_WS, LEGACY_WS)


@dataclass
class Closed:
    code: int | None
    reason: str


class GraphQLWebSocket:
    def __init__(self, conn: ClientConnection, protocol: str) -> None:
        self.conn = conn
        self.protocol = protocol

    @property
    def legacy(self) -> bool:
        return self.protocol == LEGACY_WS

    async def send(self, message: dict) -> None:
        await self.conn.send(json.dumps(message))

    async def receive(self, within: float = 5.0) -> dict | Closed:
        """The next message other than keep-alives, or ``Closed`` when the server hangs up."""
        while True:
            try:
                raw = await asyncio.wait_for(self.conn.recv(), within)
            except ConnectionClosed as exc:
                frame = exc.rcvd
                return Closed(frame.code if frame else None, frame.reason if frame else "")
            # Both protocols send JSON in text frames; browsers' and Node's clients refuse
            # a binary one.
            assert isinstance(raw, str), f"a binary frame: {raw[:80]!r}"
            message = json.loads(raw)
            if message.get("type") in ("ka", "ping", "pong"):
                continue
            return message

    async def init(self, payload: dict | None = None) -> dict | Closed:
        await self.send({"type": "connection_init", "payload": payload or {}})
        return await self.receive()

    async def subscribe(self, op_id: str, query: str, variables: dict | None = None,
                        extensions: dict | None = None) -> None:
        payload = {"query": query, "variables": variables or {}}
        if extensions is not None:
            payload["extensions"] = extensions
        await self.send({"id": op_id, "type": "start" if self.legacy else "subscribe",
                         "payload": payload})

    async def stop(self, op_id: str) -> None:
        await self.send({"id": op_id, "type": "stop" if self.legacy else "complete"})

    async def next_payload(self, op_id: str, within: float = 5.0) -> dict:
        """The next result of ``op_id``: ``{"data": ...}`` or ``{"errors": [...]}``."""
        message = await self.receive(within)
        assert isinstance(message, dict), f"connection closed: {message}"
        assert message.get("id") == op_id, message
        kind = message["type"]
        if kind in ("next", "data"):
            return message["payload"]
        if kind == "error":
            payload = message["payload"]
            return {"errors": payload if isinstance(payload, list) else [payload]}
        raise AssertionError(f"unexpected message {message}")

    async def next_data(self, op_id: str, within: float = 5.0) -> dict:
        """The next result of ``op_id``, which must carry data and no errors."""
        payload = await self.next_payload(op_id, within)
        assert not payload.get("errors"), payload
        return payload["data"]

    async def closed(self, within: float = 5.0) -> Closed:
        """Wait for the server to close the connection, skipping any messages."""
        while True:
            message = await self.receive(within)
            if isinstance(message, Closed):
                return message


@asynccontextmanager
async def graphql_ws(url: str, protocol: str = TRANSPORT_WS, headers: dict | None = None):
    async with connect(url, subprotocols=[protocol], additional_headers=headers or {},
                       open_timeout=5, close_timeout=2) as conn:
        assert conn.subprotocol == protocol
        yield GraphQLWebSocket(conn, protocol)
