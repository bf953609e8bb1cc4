"""The server's connections join the writes of one event-loop turn: a response's head
and body leave in one system call, nothing written is held past the turn or lost when
the connection closes, and an aborted connection sends nothing more."""

from __future__ import annotations

import asyncio

import httpx

from core.cli import COALESCED_BYTES, _CoalescingTransport


class Recording(asyncio.Transport):
    """A transport that keeps what it is asked to send, and when it was closed."""

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


async def test_writes_of_one_turn_leave_together_before_the_next():
    inner = Recording()
    transport = _CoalescingTransport(inner)
    transport.write(b"HTTP/1.1 200 OK\r\ncontent-length: 2\r\n\r\n")
    transport.write(b"{}")
    assert inner.sent == [] and transport.get_write_buffer_size() == 40
    await asyncio.sleep(0)
    assert inner.sent == [b"HTTP/1.1 200 OK\r\ncontent-length: 2\r\n\r\n{}"]
    # What the transport does not change passes through.
    assert transport.get_extra_info("peername") == ("127.0.0.1", 5555)


async def test_close_sends_what_is_pending_first_and_abort_drops_it():
    inner = Recording()
    transport = _CoalescingTransport(inner)
    transport.write(b"last words")
    transport.close()
    assert inner.sent == [b"last words"] and inner.closed
    await asyncio.sleep(0)
    assert inner.sent == [b"last words"]

    inner = Recording()
    transport = _CoalescingTransport(inner)
    transport.write(b"never sent")
    transport.abort()
    await asyncio.sleep(0)
    assert inner.sent == [] and inner.aborted


async def test_a_large_body_is_not_held_back():
    inner = Recording()
    transport = _CoalescingTransport(inner)
    transport.write(b"h" * 10)
    transport.write(b"b" * COALESCED_BYTES)
    assert inner.sent == [b"h" * 10 + b"b" * COALESCED_BYTES]
    transport.write(b"tail")
    await asyncio.sleep(0)
    assert inner.sent[-1] == b"tail" and len(inner.sent) == 2


async def test_keep_alive_requests_on_one_connection_each_get_their_answer(server):
    """Through the real server: answers on a kept-alive connection arrive whole and in
    order, with and without a body."""
    async with httpx.AsyncClient(base_url=server.base_url, timeout=10) as client:
        for _ in range(20):
            health = await client.get("/api/health")
            assert health.status_code == 200 and health.json()["status"] == "ok"
            missing = await client.post("/api/events", json={})
            assert missing.status_code == 401
