"""Tasks whose first step runs at once, before the code that started them goes on.

A task made by ``asyncio.create_task`` waits for the event loop's next turn, behind
whatever is ready then: a request that starts work for later (a tutor turn, whose first
step sends the model call) finishes its own response first. ``start_eagerly`` runs the
new task's first step right away, as the task (``asyncio.current_task()`` is the new
task, and the step runs in the task's own copy of the context), and leaves the rest to
the loop: Python 3.12's eager tasks, which 3.11 does not have, so it is written out
here for 3.11.
"""

from __future__ import annotations

import asyncio
import contextvars
import sys
from collections.abc import Coroutine, Generator
from typing import Any


def start_eagerly(work: Coroutine, *, name: str | None = None) -> asyncio.Task:
    """A task running ``work``, whose first step (up to its first real wait) has run
    when this returns."""
    loop = asyncio.get_running_loop()
    if sys.version_info >= (3, 12):
        return asyncio.Task(work, loop=loop, name=name, eager_start=True)
    context = contextvars.copy_context()
    started = _Started(work)
    task = loop.create_task(started, name=name, context=context)
    caller = asyncio.current_task(loop)
    if caller is not None:
        asyncio.tasks._leave_task(loop, caller)
    asyncio.tasks._enter_task(loop, task)
    try:
        context.run(started.first_step)
    finally:
        asyncio.tasks._leave_task(loop, task)
        if caller is not None:
            asyncio.tasks._enter_task(loop, caller)
    return task


class _Started(Coroutine):
    """The coroutine a task runs for work whose first step has run: its first ``send``
    gives the task what that step waits on, and everything after (wake-ups, a
    cancellation, even one before the task's first turn) goes to the work."""

    __slots__ = ("error", "finished", "resumed", "value", "waiting", "work")

    def __init__(self, work: Coroutine) -> None:
        self.work = work
        self.waiting: Any = None
        self.resumed = self.finished = False
        self.value: Any = None
        self.error: BaseException | None = None

    def first_step(self) -> None:
        try:
            self.waiting = self.work.send(None)
        except StopIteration as stop:
            self.finished, self.value = True, stop.value
        except BaseException as error:  # the task raises it on its first turn
            self.finished, self.error = True, error

    def send(self, value: Any) -> Any:
        if self.resumed:
            return self.work.send(value)
        self.resumed = True
        if not self.finished:
            return self.waiting
        if self.error is not None:
            error, self.error = self.error, None
            raise error
        raise StopIteration(self.value)

    def throw(self, error: BaseException, *_: Any) -> Any:  # type: ignore[override]
        if not self.resumed:
            self.resumed = True
            if self.finished:
                raise error
        return self.work.throw(error)

    def close(self) -> None:
        self.work.close()

    def __await__(self) -> Generator[Any, Any, Any]:
        raise TypeError("run by its task only")
