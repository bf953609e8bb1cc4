"""Durable jobs: run once, retried with backoff, taken over after a worker dies,
never run twice at once, periodic across instances, woken by the broker."""

from __future__ import annotations

import asyncio
import time

import pytest
from sqlalchemy import select, text, update

from core import jobs
from core.db import xact_lock
from core.jobs import JobWorker, enqueue, notify_enqueued
from core.services import Services
from models.jobs import Job
from resolvers.jobs import prune_finished_jobs
from tests.fixtures import make_settings


@pytest.fixture
async def services(database_url, clean_db):
    built = Services.build(make_settings(jobs_enabled=False), database_url=database_url)
    await built.start()
    yield built
    await built.stop()


async def until(predicate, seconds: float = 10.0) -> None:
    deadline = time.monotonic() + seconds
    while not await predicate():
        assert time.monotonic() < deadline, "timed out"
        await asyncio.sleep(0.02)


async def job_row(services, job_id: int) -> Job:
    async with services.db.session() as session:
        return await session.get(Job, job_id)


async def started(services, handlers, **options) -> JobWorker:
    worker = JobWorker(services, handlers=handlers, **{"poll_seconds": 0.05, **options})
    await worker.start()
    return worker


async def test_a_committed_job_runs_once_with_its_payload(services):
    seen: list[dict] = []

    async def handler(_services, payload):
        seen.append(payload)

    async with services.db.transaction() as session:
        job_id = await enqueue(session, "test.once", {"session": "abc"})
    worker = await started(services, {"test.once": handler})
    try:
        async def done():
            return (await job_row(services, job_id)).status == "done"
        await until(done)
    finally:
        await worker.stop()
    row = await job_row(services, job_id)
    assert seen == [{"session": "abc"}]
    assert row.attempts == 1 and row.finished_at is not None and row.locked_by is None


async def test_a_rolled_back_job_never_exists(services):
    with pytest.raises(RuntimeError):
        async with services.db.transaction() as session:
            await enqueue(session, "test.once", {})
            raise RuntimeError("the work that asked for the job failed")
    async with services.db.session() as session:
        assert (await session.execute(select(Job))).scalars().all() == []


async def test_dedupe_key_enqueues_once(services):
    async with services.db.transaction() as session:
        first = await enqueue(session, "test.once", {"n": 1}, dedupe_key="materials:s1")
        second = await enqueue(session, "test.once", {"n": 2}, dedupe_key="materials:s1")
    assert first is not None and second is None
    async with services.db.session() as session:
        assert [j.payload for j in (await session.execute(select(Job))).scalars()] == [{"n": 1}]


async def test_failures_are_retried_then_marked_failed(services):
    calls = 0

    async def flaky(_services, payload):
        nonlocal calls
        calls += 1
        raise ValueError(f"upstream said no ({calls})")

    async with services.db.transaction() as session:
        job_id = await enqueue(session, "test.flaky", {}, max_attempts=2)
    worker = await started(services, {"test.flaky": flaky})
    try:
        async def retried():
            row = await job_row(services, job_id)
            return row.attempts == 1 and row.status == "queued"
        await until(retried)
        row = await job_row(services, job_id)
        assert row.status == "queued" and row.last_error == "ValueError: upstream said no (1)"
        # Backoff put the next try two seconds out; bring it forward.
        assert (row.run_at - row.updated_at).total_seconds() == pytest.approx(2, abs=0.5)
        async with services.db.transaction() as session:
            await session.execute(update(Job).where(Job.id == job_id).values(
                run_at=text("now()")))

        async def failed():
            return (await job_row(services, job_id)).status == "failed"
        await until(failed)
    finally:
        await worker.stop()
    row = await job_row(services, job_id)
    assert calls == 2 and row.attempts == 2
    assert row.last_error == "ValueError: upstream said no (2)" and row.finished_at is not None


async def test_a_handler_that_meets_a_deadlock_runs_again_within_its_attempt(services):
    """A real deadlock between a job and a concurrent transaction: PostgreSQL cancels the
    job's transaction (it waited first, so its check finds the cycle), the handler runs
    again at once and succeeds; the job is done after one attempt, with no error kept."""
    runs = 0
    holds_first = asyncio.Event()

    async def handler(_services, payload):
        nonlocal runs
        runs += 1
        async with _services.db.transaction() as session:
            await xact_lock(session, "test:first")
            holds_first.set()
            await xact_lock(session, "test:second")

    async with services.db.transaction() as session:
        job_id = await enqueue(session, "test.deadlock", {})
    async with services.db.transaction() as other:
        await xact_lock(other, "test:second")
        worker = await started(services, {"test.deadlock": handler})
        try:
            await asyncio.wait_for(holds_first.wait(), 10)

            async def job_waits():
                async with services.db.session() as session:
                    return (await session.execute(text(
                        "SELECT count(*) FROM pg_stat_activity "
                        "WHERE wait_event = 'advisory'"))).scalar() == 1
            await until(job_waits)
            await xact_lock(other, "test:first")  # the cycle: PostgreSQL breaks it
        except BaseException:
            await worker.stop()
            raise
    try:
        async def done():
            return (await job_row(services, job_id)).status == "done"
        await until(done)
    finally:
        await worker.stop()
    row = await job_row(services, job_id)
    assert runs == 2
    assert (row.attempts, row.last_error) == (1, None)
    assert services.metrics.jobs.labels("test.deadlock", "retried")._value.get() == 0


async def test_a_permanent_failure_is_not_retried(services):
    calls = 0

    async def hopeless(_services, payload):
        nonlocal calls
        calls += 1
        raise jobs.PermanentFailure("the user has no API key any more")

    async with services.db.transaction() as session:
        job_id = await enqueue(session, "test.hopeless", {}, max_attempts=5)
    worker = await started(services, {"test.hopeless": hopeless})
    try:
        async def failed():
            return (await job_row(services, job_id)).status == "failed"
        await until(failed)
    finally:
        await worker.stop()
    row = await job_row(services, job_id)
    assert calls == 1 and row.attempts == 1
    assert row.last_error == "the user has no API key any more"


async def test_a_job_of_a_dead_worker_is_taken_over(services):
    running = asyncio.Event()

    async def hangs(_services, payload):
        running.set()
        await asyncio.Event().wait()

    async with services.db.transaction() as session:
        job_id = await enqueue(session, "test.long", {"step": 1})
    dead = await started(services, {"test.long": hangs}, lease_seconds=0.6)
    await asyncio.wait_for(running.wait(), 5)
    # As if the process was killed mid-job: no time to finish, the row stays "running".
    await dead.stop(drain_seconds=0)
    assert (await job_row(services, job_id)).status == "running"

    finished: list[dict] = []

    async def completes(_services, payload):
        finished.append(payload)

    survivor = await started(services, {"test.long": completes}, lease_seconds=0.6)
    try:
        async def done():
            return (await job_row(services, job_id)).status == "done"
        await until(done)
    finally:
        await survivor.stop()
    assert finished == [{"step": 1}]
    assert (await job_row(services, job_id)).attempts == 2


async def test_stopping_lets_a_running_job_finish(services):
    started_running = asyncio.Event()

    async def short(_services, payload):
        started_running.set()
        await asyncio.sleep(0.3)

    async with services.db.transaction() as session:
        job_id = await enqueue(session, "test.short", {})
    worker = await started(services, {"test.short": short})
    await asyncio.wait_for(started_running.wait(), 5)
    await worker.stop(drain_seconds=5)
    row = await job_row(services, job_id)
    assert row.status == "done" and row.attempts == 1


async def test_a_running_job_keeps_its_lease(services):
    release = asyncio.Event()
    runs = 0

    async def slow(_services, payload):
        nonlocal runs
        runs += 1
        await release.wait()

    async with services.db.transaction() as session:
        job_id = await enqueue(session, "test.slow", {})
    first = await started(services, {"test.slow": slow}, lease_seconds=0.3)
    second = await started(services, {"test.slow": slow}, lease_seconds=0.3)
    try:
        await asyncio.sleep(1.2)  # four leases long: renewal keeps the other worker off
        assert runs == 1
        release.set()

        async def done():
            return (await job_row(services, job_id)).status == "done"
        await until(done)
    finally:
        await first.stop()
        await second.stop()
    assert runs == 1


async def test_concurrent_workers_run_each_job_exactly_once(services):
    ran: list[int] = []

    async def record(_services, payload):
        await asyncio.sleep(0.005)
        ran.append(payload["n"])

    async with services.db.transaction() as session:
        for n in range(40):
            await enqueue(session, "test.many", {"n": n})
    workers = [await started(services, {"test.many": record}, concurrency=2) for _ in range(3)]
    try:
        async def all_done():
            async with services.db.session() as session:
                return (await session.execute(text(
                    "SELECT count(*) FROM jobs WHERE status = 'done'"))).scalar() == 40
        await until(all_done)
    finally:
        for worker in workers:
            await worker.stop()
    assert sorted(ran) == list(range(40))


async def test_periodic_job_is_one_row_that_requeues_itself(services, monkeypatch):
    ticks = 0

    async def tick(_services, payload):
        nonlocal ticks
        ticks += 1

    monkeypatch.setitem(jobs.PERIODIC, "test.tick", 0.2)
    workers = [await started(services, {"test.tick": tick}) for _ in range(2)]
    try:
        async def ticked_twice():
            return ticks >= 2
        await until(ticked_twice)
    finally:
        for worker in workers:
            await worker.stop()
    async with services.db.session() as session:
        rows = (await session.execute(select(Job).where(Job.kind == "test.tick"))).scalars().all()
    assert len(rows) == 1 and rows[0].dedupe_key == "periodic:test.tick"
    assert rows[0].status == "queued"


async def test_enqueue_notification_wakes_an_idle_worker(services):
    done = asyncio.Event()

    async def handler(_services, payload):
        done.set()

    worker = await started(services, {"test.wake": handler}, poll_seconds=30)
    try:
        await asyncio.sleep(0.2)  # the worker is now waiting out its long poll
        async with services.db.transaction() as session:
            await enqueue(session, "test.wake", {})
        await notify_enqueued(services)
        await asyncio.wait_for(done.wait(), 3)
    finally:
        await worker.stop()


async def test_prune_fails_lost_last_attempts_and_forgets_old_finished_jobs(services):
    async with services.db.transaction() as session:
        old = await enqueue(session, "test.once", {})
        recent = await enqueue(session, "test.once", {})
        waiting = await enqueue(session, "test.once", {})
        lost = await enqueue(session, "test.once", {}, max_attempts=1)
        await session.execute(update(Job).where(Job.id == old).values(
            status="done", finished_at=text("now() - interval '8 days'")))
        await session.execute(update(Job).where(Job.id == recent).values(
            status="failed", finished_at=text("now() - interval '1 day'")))
        # Its worker died during the only attempt it had: no worker will take it again.
        await session.execute(update(Job).where(Job.id == lost).values(
            status="running", attempts=1, locked_until=text("now() - interval '1 minute'")))
    ran: list[dict] = []

    async def record(_services, payload):
        ran.append(payload)

    worker = await started(services, {"test.once": record})
    try:
        async def waiting_done():
            return (await job_row(services, waiting)).status == "done"
        await until(waiting_done)
    finally:
        await worker.stop()
    assert len(ran) == 1  # the waiting job; the lost one is not taken again
    assert (await job_row(services, lost)).attempts == 1

    await prune_finished_jobs(services, {})
    async with services.db.session() as session:
        left = {j.id: j for j in (await session.execute(select(Job))).scalars()}
    assert set(left) == {recent, waiting, lost}
    assert left[lost].status == "failed"
    assert left[lost].last_error == "worker stopped during the last attempt"


async def test_the_app_works_the_queue(server, client):
    services = server.app.state.services
    assert services.jobs is not None and "jobs.prune" in services.jobs.handlers
