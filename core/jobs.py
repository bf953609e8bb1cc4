"""Durable background jobs in PostgreSQL, worked with ``FOR UPDATE SKIP LOCKED``.

A job is enqueued in the caller's transaction, so it exists exactly when the
work that asked for it was committed. Every instance runs a ``JobWorker``;
a worker leases a job for ``lease_seconds`` and renews the lease while the
handler runs. A job whose lease runs out while it is ``running`` belonged to
a worker that died (a crash, a restart) and is taken again, so no job is
lost. Failures are retried with exponential backoff up to ``max_attempts``;
then the job is ``failed`` with its last error kept. A handler that meets a
deadlock or a serialization failure before it committed anything is run again
at once, within the same attempt (``core.db.retrying``), as requests are.

Handlers are registered by kind with ``@job("kind")`` and receive the
process's ``Services`` and the job's payload. A periodic job is one row that
re-queues itself (``ensure_periodic``), so it runs once per period across
all instances, not once per instance.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import socket
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

from sqlalchemy import text
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from core.db import Database, is_unavailable, retrying
from models.jobs import Job

if TYPE_CHECKING:
    from core.services import Services

log = logging.getLogger(__name__)

Handler = Callable[["Services", dict], Awaitable[None]]
HANDLERS: dict[str, Handler] = {}
PERIODIC: dict[str, float] = {}
WAKE_TOPIC = "jobs:wake"
MAX_BACKOFF_SECONDS = 600


class PermanentFailure(Exception):
    """Raised by a handler when trying again cannot help (the job fails at once)."""


def job(kind: str, *, every_seconds: float | None = None) -> Callable[[Handler], Handler]:
    """Register ``handler`` for jobs of ``kind`` (periodic when ``every_seconds`` is given)."""

    def register(handler: Handler) -> Handler:
        HANDLERS[kind] = handler
        if every_seconds is not None:
            PERIODIC[kind] = every_seconds
        return handler

    return register


async def enqueue(session: AsyncSession, kind: str, payload: dict | None = None, *,
                  run_at: datetime | None = None, dedupe_key: str | None = None,
                  max_attempts: int = 5) -> int | None:
    """Add a job in ``session``'s transaction; None when ``dedupe_key`` is already queued."""
    values: dict[str, Any] = {"kind": kind, "payload": payload or {},
                              "max_attempts": max_attempts, "dedupe_key": dedupe_key}
    if run_at is not None:
        values["run_at"] = run_at
    statement = insert(Job).values(**values).returning(Job.id)
    if dedupe_key is not None:
        statement = statement.on_conflict_do_nothing(index_elements=[Job.dedupe_key])
    return (await session.execute(statement)).scalar_one_or_none()


async def ensure_periodic(session: AsyncSession, kind: str) -> None:
    """Make sure the one row of periodic job ``kind`` exists (queued now if new)."""
    await enqueue(session, kind, dedupe_key=f"periodic:{kind}", max_attempts=1_000_000)


_CLAIM = text("""
UPDATE jobs SET status = 'running', attempts = attempts + 1, locked_by = :worker,
       locked_until = now() + make_interval(secs => :lease), updated_at = now()
WHERE id = (
    SELECT id FROM jobs
    WHERE kind = ANY(:kinds) AND (
        (status = 'queued' AND run_at <= now())
        OR (status = 'running' AND locked_until < now() AND attempts < max_attempts))
    ORDER BY run_at, id
    FOR UPDATE SKIP LOCKED
    LIMIT 1)
RETURNING id, kind, payload, attempts, max_attempts, dedupe_key
""")


# The job row still belongs to this claim (see ``JobWorker._owner``).
_OWNED = "id = :id AND locked_by = :worker AND attempts = :attempts AND status = 'running'"


@dataclass(frozen=True)
class ClaimedJob:
    id: int
    kind: str
    payload: dict
    attempts: int
    max_attempts: int
    dedupe_key: str | None


class JobWorker:
    """Claims and runs jobs of the registered kinds until stopped."""

    def __init__(self, services: Services, *, concurrency: int = 2, poll_seconds: float = 1.0,
                 lease_seconds: float = 60.0, handlers: dict[str, Handler] | None = None) -> None:
        self.services = services
        self.handlers = handlers if handlers is not None else HANDLERS
        self.concurrency = concurrency
        self.poll_seconds = poll_seconds
        self.lease_seconds = lease_seconds
        self.name = f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:6]}"
        self._wake = asyncio.Event()
        self._tasks: list[asyncio.Task] = []
        self._listener: asyncio.Task | None = None
        self._stopping = False
        # The queue's own small pool: polling never takes a connection a request needs,
        # and the bookkeeping statements stay apart from the app's engine.
        self.db = Database(services.db.url, pool_size=concurrency + 1, max_overflow=2)

    async def start(self) -> None:
        async with self.db.transaction() as session:
            for kind in PERIODIC:
                if kind in self.handlers:
                    await ensure_periodic(session, kind)
        self._listener = asyncio.create_task(self._listen(), name="jobs-wake")
        self._tasks = [asyncio.create_task(self._run(), name=f"jobs-{i}")
                       for i in range(self.concurrency)]

    async def stop(self, *, drain_seconds: float = 5.0) -> None:
        """Stop claiming and let running jobs finish for up to ``drain_seconds``; a job
        still running then is cut off and taken again when its lease runs out."""
        self._stopping = True
        self._wake.set()
        if self._tasks:
            _, pending = await asyncio.wait(self._tasks, timeout=drain_seconds)
            for task in pending:
                task.cancel()
        tasks = [*self._tasks, *([self._listener] if self._listener else [])]
        if self._listener:
            self._listener.cancel()
        for task in tasks:
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await task
        self._tasks, self._listener = [], None
        await self.db.dispose()

    def wake(self) -> None:
        self._wake.set()

    @property
    def running(self) -> bool:
        """True while every worker task is alive (readiness, see ``core.health``)."""
        return bool(self._tasks) and not self._stopping and not any(
            task.done() for task in self._tasks)

    async def _listen(self) -> None:
        async for _ in self.services.broker.subscribe(WAKE_TOPIC):
            self._wake.set()

    async def _run(self) -> None:
        while not self._stopping:
            try:
                claimed = await self.claim()
            except asyncio.CancelledError:
                raise
            except Exception as exc:
                if is_unavailable(exc):
                    # Expected while the database restarts: one line, no traceback; the
                    # worker polls again.
                    log.warning("could not claim a job: the database is unavailable (%s)",
                                type(exc).__name__)
                else:
                    log.exception("could not claim a job")
                claimed = None
            if claimed is not None:
                try:
                    await self.execute(claimed)
                except asyncio.CancelledError:
                    raise
                except Exception:
                    # The job's bookkeeping failed; its lease runs out and it is taken
                    # again. This worker task keeps working the queue.
                    log.exception("job %s (%s): could not record its outcome",
                                  claimed.id, claimed.kind)
                continue
            if self._stopping:
                return
            self._wake.clear()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), self.poll_seconds)

    async def claim(self) -> ClaimedJob | None:
        async with self.db.transaction() as session:
            row = (await session.execute(_CLAIM, {
                "worker": self.name, "lease": self.lease_seconds,
                "kinds": list(self.handlers)})).mappings().first()
        return ClaimedJob(**row) if row else None

    async def execute(self, claimed: ClaimedJob) -> None:
        renew = asyncio.create_task(self._renew_lease(claimed))
        handler = self.handlers[claimed.kind]
        try:
            # A handler whose transaction meets a deadlock or a serialization failure is
            # run again at once (as a request is), unless it had already committed work.
            await retrying(lambda: handler(self.services, claimed.payload))
        except asyncio.CancelledError:
            raise
        except PermanentFailure as exc:
            log.warning("job %s (%s) cannot succeed: %s", claimed.id, claimed.kind, exc)
            await self._failed(claimed, str(exc), final=True)
            self._count(claimed, "failed")
        except Exception as exc:
            log.exception("job %s (%s) failed on attempt %s", claimed.id, claimed.kind,
                          claimed.attempts)
            await self._failed(claimed, f"{type(exc).__name__}: {exc}")
            self._count(claimed, "failed" if claimed.attempts >= claimed.max_attempts
                        else "retried")
        else:
            await self._succeeded(claimed)
            self._count(claimed, "succeeded")
        finally:
            renew.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await renew

    def _count(self, claimed: ClaimedJob, outcome: str) -> None:
        self.services.metrics.jobs.labels(claimed.kind, outcome).inc()

    def _owner(self, claimed: ClaimedJob) -> dict[str, Any]:
        # A claim is this worker's name plus the attempt it counted: a later claim of the
        # same job (by another worker, or another task of this one) counts a new attempt.
        return {"id": claimed.id, "worker": self.name, "attempts": claimed.attempts}

    async def _renew_lease(self, claimed: ClaimedJob) -> None:
        """Extend the lease while the handler runs; stop once the lease is someone else's.
        A failed renewal is logged and tried again next period (the lease may still hold)."""
        while True:
            await asyncio.sleep(self.lease_seconds / 3)
            try:
                async with self.db.transaction() as session:
                    renewed = (await session.execute(text(
                        "UPDATE jobs SET locked_until = now() + make_interval(secs => :lease) "
                        f"WHERE {_OWNED}"),
                        {**self._owner(claimed), "lease": self.lease_seconds})).rowcount
            except asyncio.CancelledError:
                raise
            except Exception:
                log.exception("job %s (%s): could not renew its lease", claimed.id, claimed.kind)
                continue
            if renewed == 0:
                log.warning("job %s (%s): lease lost to another worker; its outcome here "
                            "will not be recorded", claimed.id, claimed.kind)
                return

    async def _succeeded(self, claimed: ClaimedJob) -> None:
        async with self.db.transaction() as session:
            every = PERIODIC.get(claimed.kind)
            if every is not None:
                result = await session.execute(text(
                    "UPDATE jobs SET status = 'queued', attempts = 0, locked_by = NULL, "
                    "locked_until = NULL, last_error = NULL, updated_at = now(), "
                    f"run_at = now() + make_interval(secs => :every) WHERE {_OWNED}"),
                    {**self._owner(claimed), "every": every})
            else:
                result = await session.execute(text(
                    "UPDATE jobs SET status = 'done', locked_by = NULL, locked_until = NULL, "
                    f"finished_at = now(), updated_at = now() WHERE {_OWNED}"),
                    self._owner(claimed))
        if result.rowcount == 0:
            log.warning("job %s (%s) succeeded after its lease was lost; not recorded",
                        claimed.id, claimed.kind)

    async def _failed(self, claimed: ClaimedJob, error: str, *, final: bool = False) -> None:
        final = final or claimed.attempts >= claimed.max_attempts
        delay = backoff(claimed.attempts).total_seconds()
        async with self.db.transaction() as session:
            result = await session.execute(text(
                "UPDATE jobs SET status = :status, locked_by = NULL, locked_until = NULL, "
                "last_error = :error, updated_at = now(), "
                "finished_at = CASE WHEN :final THEN now() END, "
                f"run_at = now() + make_interval(secs => :delay) WHERE {_OWNED}"),
                {**self._owner(claimed), "status": "failed" if final else "queued",
                 "error": error[:2000], "final": final, "delay": delay})
        if result.rowcount == 0:
            log.warning("job %s (%s) failed after its lease was lost; not recorded",
                        claimed.id, claimed.kind)


async def notify_enqueued(services: Services) -> None:
    """Wake idle workers on every instance after committing new jobs."""
    await services.broker.publish(WAKE_TOPIC, {"at": datetime.now(UTC).isoformat()})


def backoff(attempts: int) -> timedelta:
    """How long a job waits before its next try after ``attempts`` failed ones."""
    return timedelta(seconds=min(2 ** attempts, MAX_BACKOFF_SECONDS))


def load_handlers() -> dict[str, Handler]:
    """The handlers registered so far: the domain registers its own when it is imported
    (``resolvers.jobs``), so this module imports nothing of the domain."""
    return HANDLERS
