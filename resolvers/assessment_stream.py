"""An assessment step's events, published so that subscribers on any instance see them.

The REST stream publishes what it sends; the GraphQL mutation works the step in
the background and subscribers read the topic. Each step ends with a marker.
"""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator

from core.context import Context
from resolvers.assessment import (
    Completed,
    Event,
    Progress,
    QuestionChunk,
    StreamFailed,
    check_respond,
    get,
    respond,
)


def topic(session_id: uuid.UUID) -> str:
    """The broker topic carrying a session's streamed events to every instance."""
    return f"assessment:{session_id}"


def event_message(event: Event) -> dict:
    if isinstance(event, QuestionChunk):
        return {"type": "question_chunk", "text": event.text}
    if isinstance(event, Progress):
        return {"type": "progress", "topics_evaluated": event.topics_evaluated,
                "total_questions": event.total_questions, "max_questions": event.max_questions}
    if isinstance(event, Completed):
        return {"type": "completed", "scores": event.scores}
    return {"type": "error", "status": event.status, "detail": event.detail,
            "retry_after": event.retry_after}


def event_from_message(message: dict) -> Event | None:
    """The event a published message carries; None for the end-of-step marker."""
    kind = message.get("type")
    if kind == "question_chunk":
        return QuestionChunk(message["text"])
    if kind == "progress":
        return Progress(topics_evaluated=message["topics_evaluated"],
                        total_questions=message["total_questions"],
                        max_questions=message["max_questions"])
    if kind == "completed":
        return Completed(scores=message["scores"])
    if kind == "error":
        return StreamFailed(status=message["status"], detail=message["detail"],
                            retry_after=message["retry_after"])
    return None


async def respond_and_publish(ctx: Context, *, session_id: uuid.UUID, response: str,
                              key: str) -> AsyncIterator[Event]:
    """``respond``, with every event also published for subscribers on any instance,
    followed by an end-of-step marker."""
    async with ctx.broker.stream(topic(session_id)) as out:
        try:
            async for event in respond(ctx, session_id=session_id, response=response,
                                       key=key):
                out.send(event_message(event))
                yield event
        finally:
            out.send({"type": "step_finished"})


async def run_step_in_background(ctx: Context, *, session_id: uuid.UUID, response: str) -> None:
    """Check the answer can be taken (errors raise now), then work the step in the
    background; its events reach ``events`` subscribers."""
    key = await check_respond(ctx, session_id=session_id, response=response)

    async def work() -> None:
        try:
            async for _ in respond_and_publish(ctx, session_id=session_id, response=response,
                                               key=key):
                pass
        except Exception:
            await ctx.broker.publish(topic(session_id), event_message(
                StreamFailed(status=500, detail="Internal server error", retry_after=None)))
            raise

    ctx.services.spawn(work(), name=f"assessment-step-{session_id}")


async def events(ctx: Context, *, session_id: uuid.UUID) -> AsyncIterator[Event]:
    """The session's streamed events as they are published, for its owner."""
    await get(ctx, session_id=session_id)
    async for message in ctx.broker.subscribe(topic(session_id)):
        event = event_from_message(message)
        if event is not None:
            yield event
