"""Serving a fake's Starlette app on a loopback port from a background thread."""

from __future__ import annotations

import asyncio
import socket
import threading
import time

import uvicorn
from starlette.applications import Starlette


def serve_in_thread(app: Starlette, name: str) -> tuple[uvicorn.Server, threading.Thread, int]:
    """Start ``app`` under uvicorn on 127.0.0.1 in a daemon thread with its own event
    loop; the server, its thread and its port once it accepts connections. Stop it with
    ``server.should_exit = True`` and join the thread."""
    # IPPROTO_TCP, so asyncio sets TCP_NODELAY as real services' servers do.
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", 0))
    server = uvicorn.Server(uvicorn.Config(app, log_level="warning", lifespan="off",
                                           timeout_graceful_shutdown=1))
    thread = threading.Thread(target=lambda: asyncio.run(server.serve(sockets=[sock])),
                              daemon=True, name=name)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            raise RuntimeError(f"{name} failed to start")
        time.sleep(0.01)
    return server, thread, sock.getsockname()[1]
