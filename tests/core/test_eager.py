"""Tasks started eagerly: the first step runs before start_eagerly returns, as the task
and in its own context; the rest runs in the task, whose result, error and cancellation
are those of the work."""

from __future__ import annotations

import asyncio
import contextvars

import pytest

from core.eager import start_eagerly

where = contextvars.ContextVar("where", default="caller")


async def test_the_first_step_runs_at_once_as_the_task():
    steps: list[tuple[str, asyncio.Task | None, str]] = []
    gate = asyncio.Event()

    async def work() -> str:
        where.set("task")
        steps.append(("first", asyncio.current_task(), where.get()))
        await gate.wait()
        steps.append(("rest", asyncio.current_task(), where.get()))
        return "answered"

    caller = asyncio.current_task()
    task = start_eagerly(work(), name="eager-work")

    assert [(name, t is task, value) for name, t, value in steps] == [("first", True, "task")]
    assert asyncio.current_task() is caller and where.get() == "caller"
    assert task.get_name() == "eager-work" and not task.done()
    gate.set()
    assert await task == "answered"
    assert [(name, t is task, value) for name, t, value in steps] == [
        ("first", True, "task"), ("rest", True, "task")]


async def test_work_done_in_its_first_step():
    async def work() -> int:
        return 42

    async def failing() -> None:
        raise ValueError("refused at once")

    done = start_eagerly(work())
    failed = start_eagerly(failing())

    assert await done == 42
    with pytest.raises(ValueError, match="refused at once"):
        await failed


async def test_errors_and_cancellation_reach_the_work():
    cleaned = asyncio.Event()
    started = asyncio.Event()

    async def waits_forever() -> None:
        try:
            started.set()
            await asyncio.Event().wait()
        finally:
            cleaned.set()

    async def fails_later() -> None:
        await asyncio.sleep(0)
        raise RuntimeError("failed in a later step")

    waiting = start_eagerly(waits_forever())
    assert started.is_set()
    waiting.cancel()
    with pytest.raises(asyncio.CancelledError):
        await waiting
    assert cleaned.is_set() and waiting.cancelled()
    with pytest.raises(RuntimeError, match="later step"):
        await start_eagerly(fails_later())


async def test_a_timeout_entered_in_the_first_step_belongs_to_the_task():
    # asyncio.timeout (as anyio's cancel scopes, which the model's HTTP client enters)
    # binds to the current task when entered: the first step must run as the task.
    async def bounded() -> str:
        async with asyncio.timeout(5):
            await asyncio.sleep(0)
            return "in time"

    assert await start_eagerly(bounded()) == "in time"
