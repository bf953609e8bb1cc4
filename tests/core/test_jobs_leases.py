"""Job worker faults: a failing bookkeeping statement or lease renewal must not end a
worker task, and a worker that lost its lease must not overwrite the new owner's state.

The faults are real: a PostgreSQL trigger refuses the worker's own UPDATE, and a lease
is taken over by another worker while the first one's handler is still running."""

from __future__ import annotations

import asyncio
import logging

import pytest
from sqlalchemy import text, update

from core.jobs import JobWorker, enqueue
from models.jobs import Job
from tests.core import test_jobs
from tests.core.test_jobs import job_row, started, until

services = test_jobs.services  # the same fixture: services without a worker of their own


@pytest.fixture
async def refusing_trigger(services):
    """Install a trigger that refuses some updates of job rows whose payload says so."""

    async def install(condition: str) -> None:
        async with services.db.transaction() as session:
            await session.execute(text(
                "CREATE OR REPLACE FUNCTION test_refuse_update() RETURNS trigger AS $$ BEGIN "
                "RAISE EXCEPTION 'refused by the test trigger'; END $$ LANGUAGE plpgsql"))
            await session.execute(text(
                "CREATE TRIGGER test_refuse_update BEFORE UPDATE ON jobs FOR EACH ROW "
                f"WHEN ({condition}) EXECUTE FUNCTION test_refuse_update()"))

    yield install
    async with services.db.transaction() as session:
        await session.execute(text("DROP TRIGGER IF EXISTS test_refuse_update ON jobs"))
        await session.execute(text("DROP FUNCTION IF EXISTS test_refuse_update()"))


async def _runs_after(services, worker_options, first_payload, handler):
    """Enqueue a job with ``first_payload`` then a plain one; return whether the plain one
    ran on a one-task worker (it cannot if the first job ended the task)."""
    ran: list[dict] = []

    async def record(_services, payload):
        await handler(payload)
        ran.append(payload)

    async with services.db.transaction() as session:
        await enqueue(session, "test.fault", first_payload)
    worker = await started(services, {"test.fault": record}, concurrency=1, **worker_options)
    try:
        async def first_ran():
            return len(ran) == 1
        await until(first_ran)
        await asyncio.sleep(0.2)  # the bookkeeping of the first job has failed by now
        async with services.db.transaction() as session:
            second = await enqueue(session, "test.fault", {"plain": True})
        worker.wake()

        async def second_done():
            return (await job_row(services, second)).status == "done"
        await until(second_done, seconds=5)
    finally:
        await worker.stop()
    return ran


async def test_a_failing_completion_update_does_not_end_the_worker(services, refusing_trigger,
                                                                   caplog):
    await refusing_trigger("NEW.status = 'done' AND OLD.payload ? 'boom'")

    async def quick(_payload):
        return None

    with caplog.at_level(logging.ERROR, logger="core.jobs"):
        ran = await _runs_after(services, {}, {"boom": True}, quick)
    assert ran == [{"boom": True}, {"plain": True}]
    assert any("refused by the test trigger" in r.getMessage() or
               (r.exc_info and "refused by the test trigger" in str(r.exc_info[1]))
               for r in caplog.records)


async def test_a_failing_lease_renewal_does_not_end_the_worker(services, refusing_trigger):
    # Renewal keeps the job running; completion (status done) is allowed.
    await refusing_trigger("NEW.status = 'running' AND OLD.status = 'running' "
                           "AND OLD.payload ? 'boom'")

    async def slow(payload):
        if payload.get("boom"):
            await asyncio.sleep(0.5)  # several renewal periods of a 0.3 s lease

    ran = await _runs_after(services, {"lease_seconds": 0.3}, {"boom": True}, slow)
    assert ran == [{"boom": True}, {"plain": True}]


def blocking(fail: Exception | None = None):
    """A handler that runs until released (then raises ``fail`` if given)."""
    running, release = asyncio.Event(), asyncio.Event()

    async def handler(_services, payload):
        running.set()
        await release.wait()
        if fail is not None:
            raise fail

    return handler, running, release


async def lease_job(services) -> int:
    async with services.db.transaction() as session:
        return await enqueue(session, "test.lease", {})


async def take_over(services, job_id: int) -> None:
    """Another worker takes the job over, exactly as its claim would."""
    async with services.db.transaction() as session:
        await session.execute(update(Job).where(Job.id == job_id).values(
            locked_by="other-worker", attempts=Job.attempts + 1,
            locked_until=text("now() + interval '30 seconds'")))


async def test_a_worker_that_lost_its_lease_does_not_overwrite_the_new_owner(services):
    handler_a, a_running, a_release = blocking()
    handler_b, b_running, b_release = blocking()
    job_id = await lease_job(services)
    # A long lease: A does not renew during the test; its lease is made to run out below,
    # as if A's process had been paused longer than the lease.
    # One task: A's handler holds it, so A cannot re-claim the job itself once it expires.
    worker_a = await started(services, {"test.lease": handler_a}, lease_seconds=30,
                             concurrency=1)
    worker_b: JobWorker | None = None
    try:
        await asyncio.wait_for(a_running.wait(), 5)
        async with services.db.transaction() as session:
            await session.execute(update(Job).where(Job.id == job_id).values(
                locked_until=text("now() - interval '1 second'")))
        worker_b = await started(services, {"test.lease": handler_b}, lease_seconds=30)
        await asyncio.wait_for(b_running.wait(), 5)
        row = await job_row(services, job_id)
        assert (row.status, row.locked_by, row.attempts) == ("running", worker_b.name, 2)

        a_release.set()
        await worker_a.stop(drain_seconds=5)  # A finishes its handler and its bookkeeping
        row = await job_row(services, job_id)
        assert (row.status, row.locked_by, row.attempts) == ("running", worker_b.name, 2)
        assert row.finished_at is None

        b_release.set()

        async def done():
            return (await job_row(services, job_id)).status == "done"
        await until(done)
    finally:
        a_release.set()
        b_release.set()
        await worker_a.stop()
        if worker_b is not None:
            await worker_b.stop()
    row = await job_row(services, job_id)
    assert row.attempts == 2 and row.locked_by is None


async def test_a_failed_attempt_of_a_lost_lease_does_not_requeue_the_job(services):
    failing_a, a_running, a_release = blocking(ValueError("late failure"))
    job_id = await lease_job(services)
    worker_a = await started(services, {"test.lease": failing_a}, lease_seconds=30,
                             concurrency=1)
    try:
        await asyncio.wait_for(a_running.wait(), 5)
        await take_over(services, job_id)
        a_release.set()
        await worker_a.stop(drain_seconds=5)
    finally:
        a_release.set()
        await worker_a.stop()
    row = await job_row(services, job_id)
    assert (row.status, row.locked_by, row.attempts, row.last_error) == (
        "running", "other-worker", 2, None)


async def test_renewal_stops_once_the_lease_is_lost(services, caplog):
    slow, running, release = blocking()
    job_id = await lease_job(services)
    worker = await started(services, {"test.lease": slow}, lease_seconds=0.3, concurrency=1)
    try:
        await asyncio.wait_for(running.wait(), 5)
        with caplog.at_level(logging.WARNING, logger="core.jobs"):
            await take_over(services, job_id)
            await asyncio.sleep(0.4)  # past a renewal period
        lost = [r for r in caplog.records if "lease" in r.getMessage()]
        assert len(lost) == 1 and str(job_id) in lost[0].getMessage()
    finally:
        release.set()
        await worker.stop()
    row = await job_row(services, job_id)
    assert (row.status, row.locked_by) == ("running", "other-worker")
