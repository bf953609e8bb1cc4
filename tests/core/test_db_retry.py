"""core.db.retrying: a transaction that meets a real deadlock runs again; work that
already committed something does not, and its failure is a 503 'busy'."""

from __future__ import annotations

import asyncio

import pytest
from sqlalchemy import select

from core.db import as_domain_error, is_retryable, retrying
from models.user import User
from tests.fixtures import create_user


async def _lock(session, user_id) -> None:
    await session.execute(select(User.id).where(User.id == user_id).with_for_update())


async def test_a_deadlocked_transaction_runs_again(client, services):
    a = await create_user(services, email="a@example.com")
    b = await create_user(services, email="b@example.com")
    both_hold_one = asyncio.Barrier(2)
    attempts = {"ab": 0, "ba": 0}

    def work(name: str, first, second):
        async def attempt() -> str:
            attempts[name] += 1
            async with services.db.transaction() as session:
                await _lock(session, first.id)
                if attempts[name] == 1:
                    await both_hold_one.wait()
                await _lock(session, second.id)
            return name
        return attempt

    done = await asyncio.wait_for(asyncio.gather(retrying(work("ab", a, b)),
                                                 retrying(work("ba", b, a))), 30)
    assert done == ["ab", "ba"]
    # PostgreSQL cancelled exactly one of the two; it ran again and succeeded.
    assert sorted(attempts.values()) == [1, 2]


async def test_work_that_committed_is_not_run_again(client, services):
    a = await create_user(services, email="a@example.com")
    b = await create_user(services, email="b@example.com")
    both_hold_one = asyncio.Barrier(2)
    runs = {"ab": 0, "ba": 0}

    def work(name: str, first, second):
        async def attempt() -> None:
            runs[name] += 1
            async with services.db.transaction() as session:  # commits
                await session.execute(select(User.id).limit(1))
            async with services.db.transaction() as session:
                await _lock(session, first.id)
                await both_hold_one.wait()
                await _lock(session, second.id)
        return attempt

    results = await asyncio.wait_for(asyncio.gather(
        retrying(work("ab", a, b)), retrying(work("ba", b, a)), return_exceptions=True), 30)
    failed = [r for r in results if isinstance(r, Exception)]
    assert len(failed) == 1 and is_retryable(failed[0])
    assert runs == {"ab": 1, "ba": 1}
    busy = as_domain_error(failed[0])
    assert (busy.code, busy.status, busy.retry_after) == ("SERVICE_UNAVAILABLE", 503, 1)


async def test_other_errors_are_not_retried(services):
    runs = 0

    async def attempt() -> None:
        nonlocal runs
        runs += 1
        raise ValueError("not a database problem")

    with pytest.raises(ValueError):
        await retrying(attempt)
    assert runs == 1


def test_every_mutation_runs_under_the_retry():
    from schema import build_schema
    from schema.retry import RetryOnDeadlock

    fields = build_schema().get_type_by_name("Mutation").fields
    assert fields and [f.name for f in fields if not any(
        isinstance(e, RetryOnDeadlock) for e in f.extensions)] == []
