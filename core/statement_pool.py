"""Connections for statements that run alone: a planned read, a query budget's charge.

Such a statement needs no session, no transaction and no ORM: it is sent on a bare
asyncpg connection in autocommit and its row comes back. Through SQLAlchemy's engine
(a ``Connection`` and its pool checkout, an execution context, a cursor adapter run
through greenlets, events on each step) the Python around that one round trip cost
0.5 ms of CPU; here it costs 0.05 ms, which is most of a cheap GraphQL read.

The pool keeps what it opened (up to ``size``, opened as concurrency needs them) and
hands out the most recently used connection first, so a light load runs on one or two
warm connections whose prepared statements (asyncpg's per-connection cache) hit. A
statement that finds every connection busy waits for the first one given back.

A connection the server ended (restart, terminated backend) shows locally as a closed
socket, and is then dropped without a round trip; when it shows only on the statement,
the statement runs again on a fresh connection, and the idle connections, as old as
the ended one, are closed too. Nothing else is retried. A statement stopped halfway (a
cancelled request) leaves its connection unusable: it is closed, not given back.
"""

from __future__ import annotations

import asyncio
import collections
import contextlib
from collections.abc import Callable
from typing import Any

import asyncpg

StatementWatcher = Callable[[str], None]


class StatementPool:
    """Up to ``size`` asyncpg connections to ``dsn``, for statements sent alone."""

    def __init__(self, dsn: str, *, size: int, statement_cache_size: int,
                 connect_timeout: float, ended: Callable[[BaseException], bool]) -> None:
        self.dsn = dsn
        self.size = size
        self.statement_cache_size = statement_cache_size
        self.connect_timeout = connect_timeout
        self._ended = ended
        self._idle: list[asyncpg.Connection] = []
        self._open = 0
        self._waiters: collections.deque[asyncio.Future] = collections.deque()
        self._closed = False
        # Called with each statement before it is sent (tests count statements with it).
        self.watchers: list[StatementWatcher] = []

    async def row(self, sql: str, params: tuple[Any, ...] | list[Any], *,
                  again: bool = True) -> Any:
        """The first row (or None) of ``sql`` with ``params`` (``$1`` placeholders).
        ``again``: run it again on a fresh connection when the server had ended this one
        (not for a statement whose effect must happen at most once)."""
        for watch in self.watchers:
            watch(sql)
        for attempt in (1, 2) if again else (2,):
            connection = await self._acquire()
            try:
                row = await connection.fetchrow(sql, *params)
            except BaseException as error:
                ended = isinstance(error, Exception) and (
                    connection.is_closed() or self._ended(error))
                if isinstance(error, asyncpg.PostgresError) and not ended:
                    self._release(connection)  # the statement failed, not the connection
                    raise
                self._discard(connection)
                if attempt == 2 or not ended:
                    raise
                # The server ended the connection: so it did those opened before it.
                self._drop_idle()
                continue
            self._release(connection)
            return row
        raise AssertionError("unreachable")

    async def _acquire(self) -> asyncpg.Connection:
        idle = self._idle
        while idle:
            connection = idle.pop()
            if not connection.is_closed():
                return connection
            self._open -= 1
        if self._closed:
            raise asyncpg.InterfaceError("the statement pool is closed")
        if self._open >= self.size:
            waiter = asyncio.get_running_loop().create_future()
            self._waiters.append(waiter)
            try:
                connection = await waiter
            except BaseException:
                if waiter.done() and not waiter.cancelled() and waiter.exception() is None:
                    # Handed over as this statement was cancelled: pass it on.
                    handed = waiter.result()
                    if handed is None:
                        self._wake(None)
                    else:
                        self._release(handed)
                else:
                    with contextlib.suppress(ValueError):
                        self._waiters.remove(waiter)
                raise
            if connection is not None:
                return connection
            # A discarded connection made room for a new one.
        self._open += 1
        try:
            return await asyncpg.connect(self.dsn, timeout=self.connect_timeout,
                                         statement_cache_size=self.statement_cache_size)
        except BaseException:
            self._open -= 1
            self._wake(None)
            raise

    def _release(self, connection: asyncpg.Connection) -> None:
        if self._closed or connection.is_closed():
            self._discard(connection)
            return
        if not self._wake(connection):
            self._idle.append(connection)

    def _discard(self, connection: asyncpg.Connection) -> None:
        self._open -= 1
        connection.terminate()
        self._wake(None)

    def _wake(self, connection: asyncpg.Connection | None) -> bool:
        """Hand ``connection`` (None: room for a new one) to the first waiter, if any."""
        while self._waiters:
            waiter = self._waiters.popleft()
            if not waiter.done():
                waiter.set_result(connection)
                return True
        return False

    def _drop_idle(self) -> None:
        idle, self._idle = self._idle, []
        for connection in idle:
            self._open -= 1
            connection.terminate()

    async def close(self) -> None:
        """Close the idle connections; those in use close when given back."""
        self._closed = True
        idle, self._idle = self._idle, []
        for connection in idle:
            self._open -= 1
            with contextlib.suppress(Exception):
                await asyncio.wait_for(connection.close(), timeout=5)
            if not connection.is_closed():
                connection.terminate()
        while self._waiters:
            waiter = self._waiters.popleft()
            if not waiter.done():
                waiter.set_exception(asyncpg.InterfaceError("the statement pool is closed"))
