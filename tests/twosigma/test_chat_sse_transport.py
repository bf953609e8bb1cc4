"""The sockets ``learngraph serve`` listens on deliver streamed chunks (SSE) at once.

asyncio turns Nagle's algorithm off (TCP_NODELAY) on each accepted connection
only when the listening socket was created with ``IPPROTO_TCP``. Without it
every small write of a stream waits for the client's delayed ACK (up to 40 ms
on Linux): measured with bench/tutor_stream.py, +31 ms to the first token of
``POST /api/v1/chat/sessions/{id}/messages`` and tens of ms more in total.
"""

from __future__ import annotations

import asyncio
import socket

from core.cli import _socket


async def test_connections_accepted_by_serve_sockets_send_without_delay():
    listener = _socket("127.0.0.1", 0, reuse_port=False)
    accepted: asyncio.Future[int] = asyncio.get_running_loop().create_future()

    async def on_connection(reader: asyncio.StreamReader, writer: asyncio.StreamWriter):
        sock = writer.get_extra_info("socket")
        accepted.set_result(sock.getsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY))
        writer.close()

    # uvicorn serves the CLI's sockets the same way: loop.create_server(sock=...).
    server = await asyncio.start_server(on_connection, sock=listener)
    try:
        _, writer = await asyncio.open_connection(*listener.getsockname()[:2])
        try:
            assert await asyncio.wait_for(accepted, 5) != 0
        finally:
            writer.close()
    finally:
        server.close()
        await server.wait_closed()
