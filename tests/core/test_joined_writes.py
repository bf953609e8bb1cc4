"""The server's connections send a response's head and body in one write: a write is
held until the next one, which goes out with it, or until the event loop's turn ends;
nothing is held past that or lost when the connection closes, and an aborted
connection sends nothing more."""

from __future__ import annotations

import asyncio

import httpx

from core.cli import _JoiningTransport

HEAD = b"HTTP/1.1 200 OK\r\ncontent-length: 2\r\n\r\n"


class Recording(asyncio.Transport):
    """A transport that keeps what it is asked to send (each write as one entry), and
    whether it was closed."""

    def __init__(self) -> None:
        super().__init__()
        self.sent: list[bytes] = []
        self.closed = self.aborted = False
        self.extra = {"peername": ("127.0.0.1", 5555)}

    def write(self, data: bytes) -> None:
        assert not self.closed
        self.sent.append(bytes(data))

    def is_closing(self) -> bool:
        return self.closed

    def close(self) -> None:
        self.closed = True

    def abort(self) -> None:
        self.aborted = self.closed = True

    def get_write_buffer_size(self) -> int:
        return 0

    def get_extra_info(self, name, default=None):
        return self.extra.get(name, default)


async def test_a_head_and_its_body_leave_in_one_write_at_once():
    inner = Recording()
    transport = _JoiningTransport(inner)
    transport.write(HEAD)
    assert inner.sent == [] and transport.get_write_buffer_size() == len(HEAD)
    transport.write(b"{}")  # no loop turn needed
    assert inner.sent == [HEAD + b"{}"]
    await asyncio.sleep(0)
    assert inner.sent == [HEAD + b"{}"]
    # What the transport does not change passes through.
    assert transport.get_extra_info("peername") == ("127.0.0.1", 5555)


async def test_a_write_left_alone_leaves_when_the_loop_turns():
    """A stream's head, before its first chunk, is not held longer."""
    inner = Recording()
    transport = _JoiningTransport(inner)
    transport.write(b"head")
    await asyncio.sleep(0)
    assert inner.sent == [b"head"]
    transport.write(b"chunk 1")
    transport.write(b"chunk 2")
    transport.write(b"chunk 3")
    await asyncio.sleep(0)
    assert inner.sent == [b"head", b"chunk 1chunk 2", b"chunk 3"]


async def test_close_sends_what_is_held_first_and_abort_drops_it():
    inner = Recording()
    transport = _JoiningTransport(inner)
    transport.write(b"last words")
    transport.close()
    assert inner.sent == [b"last words"] and inner.closed
    await asyncio.sleep(0)
    assert inner.sent == [b"last words"]

    inner = Recording()
    transport = _JoiningTransport(inner)
    transport.write(b"never sent")
    transport.abort()
    await asyncio.sleep(0)
    assert inner.sent == [] and inner.aborted


async def test_kept_alive_requests_on_one_connection_each_get_their_answer(server):
    """Through the real server: answers on a kept-alive connection arrive whole and in
    order, with and without a body."""
    async with httpx.AsyncClient(base_url=server.base_url, timeout=10) as client:
        for _ in range(10):
            health = await client.get("/api/health")
            assert health.status_code == 200 and health.json()["status"] == "ok"
            typename = await client.post("/graphql", json={"query": "{ __typename }"})
            assert typename.json()["data"] == {"__typename": "Query"}
            missing = await client.get("/no/such/path")
            assert (missing.status_code, missing.text) == (404, "Not Found")
