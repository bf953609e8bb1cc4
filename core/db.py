"""The database engine and sessions, and how writers lock rows.

One async engine per process. Sibling GraphQL fields resolve concurrently, so
resolvers open a session per unit of work; a request's loaders read through
its ``Reads``: one connection, one batch at a time, without transactions.

Pooled connections are not pinged on checkout (a round trip per checkout).
A connection the server dropped (restart, terminated backend) shows on the
first statement a session sends, which the session then runs again on a fresh
connection: the pool replaces every connection as old as the dropped one.

Lock order (every transaction that locks rows follows it, so two writers never
wait for each other in a circle):

1. Advisory locks (``xact_lock``) come first, before any row is read for update.
2. A row that other rows point at through a foreign key (a user, a course, a chat
   session, ...) is locked ``FOR NO KEY UPDATE`` (SQLAlchemy:
   ``with_for_update(key_share=True)``) when it is going to be updated. Inserting a
   child row takes ``FOR KEY SHARE`` on its parents, and the two do not conflict, so a
   transaction may insert its rows first and lock the parent after (as
   ``resolvers.activity.record_activity`` does with the user row). Plain ``FOR
   UPDATE`` is for a row about to be deleted or have its key changed; take it before
   inserting anything that points at that row.
3. Several rows of one table are locked in primary-key order, in one statement.

A transaction that still meets a deadlock or a serialization failure is run again:
``retrying`` does it for every GraphQL mutation, REST handler and background job, as long as
none of the attempt's transactions had committed yet.
"""

from __future__ import annotations

import asyncio
import logging
import random
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from typing import Any, TypeVar

from sqlalchemy import event, text
from sqlalchemy import exc as sa_exc
from sqlalchemy.engine import make_url
from sqlalchemy.exc import DBAPIError, DisconnectionError
from sqlalchemy.ext.asyncio import (
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)
from sqlalchemy.orm import Session

from core.errors import Unavailable, Validation
from core.input_bounds import shorten
from core.statement_pool import StatementPool

log = logging.getLogger(__name__)

T = TypeVar("T")

# PostgreSQL's own verdict that running the transaction again may succeed.
RETRYABLE_SQLSTATES = {"40P01", "40001"}  # deadlock_detected, serialization_failure
# The server is not there, not accepting connections, or dropped ours.
UNAVAILABLE_SQLSTATES = {"57P01", "57P02", "57P03", "53300"}
# The server ended this connection (terminated backend, shutdown, crash recovery): a
# fresh connection may well work.
ENDED_SQLSTATES = {"57P01", "57P02", "57P03"}
# A value the database cannot store as given (too long for its column, out of range,
# not valid text for its type): the request's fault, answered as invalid input.
INVALID_DATA_SQLSTATES = {"22001", "22003", "22007", "22008", "22021", "22P02", "22P05"}
ATTEMPTS = 5
BUSY = "The database is busy; try again"
DOWN = "The database is unavailable; try again later"


def _chain(exc: BaseException):
    seen: set[int] = set()
    while exc is not None and id(exc) not in seen:
        seen.add(id(exc))
        yield exc
        orig = getattr(exc, "orig", None)
        if isinstance(orig, BaseException) and id(orig) not in seen:
            yield orig
            seen.add(id(orig))
        exc = exc.__cause__ or exc.__context__


def _sqlstate(exc: BaseException) -> str:
    return str(getattr(exc, "sqlstate", None) or getattr(exc, "pgcode", None) or "")


def is_retryable(exc: BaseException) -> bool:
    """Whether ``exc`` comes from a deadlock or a serialization failure."""
    return any(_sqlstate(e) in RETRYABLE_SQLSTATES for e in _chain(exc))


def _raised_in_driver(exc: BaseException) -> bool:
    tb = exc.__traceback__
    while tb is not None:
        module = tb.tb_frame.f_globals.get("__name__", "")
        if module.startswith(("asyncpg", "sqlalchemy")):
            return True
        tb = tb.tb_next
    return False


def is_unavailable(exc: BaseException) -> bool:
    """Whether ``exc`` means the database could not be reached (down, restarting, full,
    or the connection dropped), rather than a fault of the request."""
    for e in _chain(exc):
        state = _sqlstate(e)
        if state.startswith("08") or state in UNAVAILABLE_SQLSTATES:
            return True
        if isinstance(e, sa_exc.DBAPIError) and e.connection_invalidated:
            return True
        if isinstance(e, sa_exc.TimeoutError):  # no pooled connection came free in time
            return True
        if isinstance(e, OSError | TimeoutError) and _raised_in_driver(e):
            return True
        if type(e).__module__.startswith("asyncpg") and type(e).__name__ in (
                "ConnectionDoesNotExistError", "InternalClientError"):
            return True
    return False


def invalid_data(exc: BaseException) -> Validation | None:
    """The 400 for a value the database refused to store (``INVALID_DATA_SQLSTATES``),
    with PostgreSQL's reason (it names the type, never the value), or None."""
    for e in _chain(exc):
        if _sqlstate(e) in INVALID_DATA_SQLSTATES:
            reason = str(e).splitlines()[0] if str(e) else "the database cannot store it"
            return Validation(f"Invalid value: {shorten(reason, 200)}")
    return None


def as_domain_error(exc: BaseException) -> Unavailable | Validation | None:
    """The error a client should see for a database failure that is not a server fault:
    503 when the database is busy or unreachable, 400 for a value it cannot store; None
    for anything else."""
    invalid = invalid_data(exc)
    if invalid is not None:
        return invalid
    if is_unavailable(exc):
        return Unavailable(DOWN, retry_after=5)
    if is_retryable(exc):
        return Unavailable(BUSY, retry_after=1)
    return None


@dataclass
class _Attempt:
    committed: bool = False


_attempt: ContextVar[_Attempt | None] = ContextVar("learngraph_db_attempt", default=None)


class _TrackedSession(Session):
    """Sessions that tell the running ``retrying`` attempt when they commit."""


@event.listens_for(_TrackedSession, "after_commit")
def _note_commit(session: Session) -> None:
    attempt = _attempt.get()
    if attempt is not None:
        attempt.committed = True


async def retrying(work: Callable[[], Awaitable[T]], *, attempts: int = ATTEMPTS) -> T:
    """Run ``work``; when it fails on a deadlock or a serialization failure before any
    of its transactions committed, run it again after a short random pause."""
    for attempt in range(1, attempts + 1):
        state = _Attempt()
        token = _attempt.set(state)
        try:
            return await work()
        except Exception as exc:
            if attempt == attempts or state.committed or not is_retryable(exc):
                raise
            log.info("retrying after %s (attempt %d)", type(exc).__name__, attempt)
        finally:
            _attempt.reset(token)
        await asyncio.sleep(random.uniform(0.005, 0.02 * 2 ** attempt))
    raise AssertionError("unreachable")


PREPARED_STATEMENTS = 500  # per connection; asyncpg prepares each statement once
# Connections for statements sent alone (core.statement_pool), beside the engine's pool.
STATEMENT_CONNECTIONS = 10


def _refuse_closed(dbapi_connection: Any, record: Any, proxy: Any) -> None:
    # A connection whose socket the server already closed is known locally, without a
    # round trip: the pool drops it and hands out another.
    if dbapi_connection.driver_connection.is_closed():
        raise DisconnectionError("the server closed this connection")


class _Session(_TrackedSession):
    """A session that runs its first statement again when the pooled connection it was
    given turns out to have been dropped. Nothing was sent before it, and nothing is
    waiting to be flushed, so running it again changes nothing but the connection."""

    _sent = False

    def _execute_internal(self, *args: Any, **kwargs: Any) -> Any:
        if self._sent:
            return super()._execute_internal(*args, **kwargs)
        self._sent = True
        untouched = not (self.new or self.dirty or self.deleted)
        try:
            return super()._execute_internal(*args, **kwargs)
        except DBAPIError as error:
            if not (untouched and (error.connection_invalidated or connection_ended(error))):
                raise
            if not error.connection_invalidated:
                # The server said it ended the connection before the socket closed:
                # make sure the pool does not hand the same one out again.
                self.connection().invalidate()
            self.rollback()
            return super()._execute_internal(*args, **kwargs)


def connection_ended(error: BaseException) -> bool:
    """Whether the server ended the connection ``error`` came from."""
    return any(_sqlstate(e) in ENDED_SQLSTATES or _sqlstate(e).startswith("08")
               for e in _chain(error))


class _ReadSession(_Session):
    """A session of ``Reads``: autocommit, so it must never write."""

    def _execute_internal(self, statement: Any, *args: Any, **kwargs: Any) -> Any:
        if getattr(statement, "is_dml", False):
            raise RuntimeError("a read session does not write; use Database.transaction()")
        return super()._execute_internal(statement, *args, **kwargs)


async def xact_lock(session: AsyncSession, key: str) -> None:
    """Wait for, then hold until ``session``'s transaction ends, the advisory lock named
    ``key`` (a 64-bit hash of it): serializes writers across every server process."""
    await session.execute(text("SELECT pg_advisory_xact_lock(hashtextextended(:key, 0))"),
                          {"key": key})


def async_url(url: str) -> str:
    """Normalise a PostgreSQL URL to the asyncpg driver."""
    parsed = make_url(url)
    if parsed.drivername in ("postgresql", "postgres", "postgresql+psycopg2", "postgresql+psycopg"):
        parsed = parsed.set(drivername="postgresql+asyncpg")
    return parsed.render_as_string(hide_password=False)


def asyncpg_dsn(url: str) -> str:
    """The same URL in the plain form asyncpg.connect() accepts."""
    parsed = make_url(url).set(drivername="postgresql")
    return parsed.render_as_string(hide_password=False)


class Database:
    """The engine and a session factory for one process."""

    # Up to 20 connections, each kept once opened: an overflow connection is closed when
    # it comes back, so a steady load above the pool's size would start a backend per
    # request.
    def __init__(self, url: str, *, pool_size: int = 20, max_overflow: int = 0) -> None:
        self.url = async_url(url)
        self.engine: AsyncEngine = create_async_engine(
            self.url, pool_size=pool_size, max_overflow=max_overflow, pool_use_lifo=True,
            connect_args={"timeout": 5, "prepared_statement_cache_size": PREPARED_STATEMENTS},
        )
        event.listen(self.engine.sync_engine, "checkout", _refuse_closed)
        self.sessionmaker = async_sessionmaker(self.engine, expire_on_commit=False,
                                               sync_session_class=_Session)
        # Reads run in autocommit: no BEGIN and ROLLBACK around them, and each statement
        # sees what is committed when it starts (as READ COMMITTED does anyway).
        self.read_engine = self.engine.execution_options(isolation_level="AUTOCOMMIT")
        self.read_sessionmaker = async_sessionmaker(
            self.read_engine, expire_on_commit=False, autoflush=False,
            sync_session_class=_ReadSession)
        self.statements: StatementPool | None = StatementPool(
            asyncpg_dsn(url), size=STATEMENT_CONNECTIONS,
            statement_cache_size=PREPARED_STATEMENTS, connect_timeout=5,
            ended=connection_ended)

    @asynccontextmanager
    async def session(self) -> AsyncIterator[AsyncSession]:
        """A session for reads; the caller commits if it writes."""
        async with self.sessionmaker() as session:
            yield session

    @asynccontextmanager
    async def read(self) -> AsyncIterator[AsyncSession]:
        """A session that only reads: no transaction statements around what it runs."""
        async with self.read_sessionmaker() as session:
            yield session

    async def read_value(self, sql: str, params: tuple[Any, ...]) -> Any:
        """The first value of one read-only statement in the driver's SQL (``$1``
        parameters), on a pooled connection in autocommit: no session, no transaction
        statements. When the pooled connection turns out to have been dropped by the
        server, the statement runs again on a fresh one, as a session's first does."""
        row = await self.read_row(sql, params)
        return None if row is None else row[0]

    async def read_row(self, sql: str, params: tuple[Any, ...]) -> Any:
        """The first row (or None) of one statement, as ``read_value`` runs it. A statement
        that writes commits by itself: it must be one whose effect is whole on its own
        (an upsert), and that may run again on a fresh connection after a dropped one.

        It goes on a bare asyncpg connection (``statements``), unless every statement
        must pass through the engine (``statements`` is None: traced, one span each)."""
        if self.statements is not None:
            return await self.statements.row(sql, params)
        for attempt in (1, 2):
            async with self.read_engine.connect() as connection:
                try:
                    return (await connection.exec_driver_sql(sql, params)).first()
                except DBAPIError as error:
                    if attempt == 2 or not (error.connection_invalidated
                                            or connection_ended(error)):
                        raise
                    if not error.connection_invalidated:
                        await connection.invalidate()
        raise AssertionError("unreachable")

    async def execute_alone(self, sql: str, params: tuple[Any, ...]) -> None:
        """Run one statement in the driver's SQL (``$1`` parameters) that is a
        transaction by itself (autocommit: no BEGIN and COMMIT round trips), as
        ``read_row`` runs it: on a bare asyncpg connection of ``statements`` unless
        statements are traced. For idempotent statements only: when the connection turns
        out to have been dropped, the statement runs again on a fresh one."""
        await self.read_row(sql, params)

    async def write_row(self, sql: str, params: tuple[Any, ...]) -> Any:
        """The first row (or None) of one statement in the driver's SQL (``$1``
        parameters) that is a transaction by itself (autocommit: no BEGIN and COMMIT round
        trips), as ``read_row`` runs it. Unlike ``execute_alone`` it is never run again,
        so it may be a write whose effect must happen once (an insert); several writes
        that must commit together go in one statement (data-modifying ``WITH`` clauses)."""
        if self.statements is not None:
            return await self.statements.row(sql, params, again=False)
        async with self.read_engine.connect() as connection:
            result = await connection.exec_driver_sql(sql, tuple(params))
            return result.first() if result.returns_rows else None

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[AsyncSession]:
        """A session inside a transaction committed on success, rolled back on error."""
        # Begun by its first statement rather than by session.begin(), so that statement
        # can still be run again on a fresh connection (see _Session).
        async with self.sessionmaker() as session:
            try:
                yield session
            except BaseException:
                await session.rollback()
                raise
            await session.commit()

    async def ping(self) -> bool:
        """True when the database answers a trivial query."""
        try:
            async with self.engine.connect() as conn:
                await conn.execute(text("SELECT 1"))
            return True
        except Exception:
            return False

    async def dispose(self) -> None:
        if self.statements is not None:
            await self.statements.close()
        await self.engine.dispose()

class Reads:
    """Where one request's (or connection's) loaders read: one autocommit session, used by
    one batch at a time, so a request never holds more than one connection for its reads
    and sends no transaction statements. The connection goes back to the pool as soon as
    no batch is waiting for it, so a request that waits for something else (a model, a
    stream) holds none."""

    def __init__(self, db: Database) -> None:
        self.db = db
        self._lock = asyncio.Lock()
        self._waiting = 0
        self._session: AsyncSession | None = None

    @asynccontextmanager
    async def session(self) -> AsyncIterator[AsyncSession]:
        """The request's read session, for one batch; objects read are detached after."""
        self._waiting += 1
        async with self._lock:
            self._waiting -= 1
            if self._session is None:
                self._session = self.db.read_sessionmaker()
            session = self._session
            failed = True
            try:
                yield session
                failed = False
            finally:
                if failed or not self._waiting:
                    self._session = None
                    await session.close()
                else:
                    session.expunge_all()
