"""Parallel writes by one user, spread over two app instances on one database: every
write succeeds and every row is stored (no deadlock between a row's insert and the
user's activity streak, no lost update)."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable

import httpx
import pytest
from sqlalchemy import func, select
from strawberry import relay

from models.chat import ChatMessage, ChatSession
from models.community import Flashcard, FlashcardReview, Note
from models.course import CourseOffering, Enrollment
from models.learning import ContentProgress, LearningActivity
from models.user import User
from tests.fixtures import gql_raw, start_instance
from tests.twosigma.chat_helpers import API, learner, open_session, sse_events
from tests.twosigma.learner_helpers import add, content_item, content_type, course, module

N = 20

CREATE_NOTE = """
mutation($input: CreateNoteInput!) { createNote(input: $input) { note { id body } } }"""
CREATE_CARD = """
mutation($input: CreateFlashcardInput!) { createFlashcard(input: $input) { flashcard { id } } }"""
REVIEW = """
mutation($input: ReviewFlashcardInput!) { reviewFlashcard(input: $input) { review { grade } } }"""


@pytest.fixture
async def two(client, services, database_url, fake_anthropic):
    """A learner enrolled in a course with content, and an HTTP client on each of two
    instances; ``spread(make)`` runs ``make(http, n)`` for n < N, alternating instances."""
    other = await start_instance(database_url, anthropic_base_url=fake_anthropic.base_url)
    ada = await learner(services)
    cs = await course(services)
    term = await add(services, CourseOffering(course_id=cs.id, term_name="Spring"))
    await add(services, Enrollment(user_id=ada.user.id, course_offering_id=term.id,
                                   status="ACTIVE"))
    week, reading = await module(services, cs), await content_type(services, "reading")
    items = [await content_item(services, week, reading, title=f"Item {n}") for n in range(N)]

    async def spread(make: Callable[[httpx.AsyncClient, int], Awaitable]) -> list:
        return await asyncio.gather(*(make(client if n % 2 == 0 else second, n)
                                      for n in range(N)))

    try:
        async with httpx.AsyncClient(base_url=other.base_url, timeout=30) as second:
            yield {"ada": ada, "course": cs, "offering": term, "items": items,
                   "spread": spread}
    finally:
        await other.stop()


async def count(services, model, *where) -> int:
    async with services.db.session() as session:
        return (await session.execute(select(func.count()).select_from(model)
                                      .where(*where))).scalar_one()


async def activities(services, user_id, kind: str) -> int:
    return await count(services, LearningActivity, LearningActivity.user_id == user_id,
                       LearningActivity.kind == kind)


async def test_parallel_notes(services, two):
    ada, course_id = two["ada"], relay.to_base64("Course", str(two["course"].id))
    bodies = await two["spread"](lambda http, n: gql_raw(http, CREATE_NOTE, {"input": {
        "courseId": course_id, "body": f"note {n}"}}, headers=ada.headers))
    assert [b.get("errors") for b in bodies] == [None] * N
    assert sorted(b["data"]["createNote"]["note"]["body"] for b in bodies) == sorted(
        f"note {n}" for n in range(N))
    assert await count(services, Note, Note.user_id == ada.user.id) == N
    assert await activities(services, ada.user.id, "NOTE") == N
    async with services.db.session() as session:
        user = await session.get(User, ada.user.id)
    assert user.current_streak_days == 1


async def test_parallel_flashcards_and_reviews(services, two):
    ada, course_id = two["ada"], relay.to_base64("Course", str(two["course"].id))
    made = await two["spread"](lambda http, n: gql_raw(http, CREATE_CARD, {"input": {
        "courseId": course_id, "front": f"q{n}", "back": f"a{n}"}}, headers=ada.headers))
    assert [b.get("errors") for b in made] == [None] * N
    assert await count(services, Flashcard, Flashcard.user_id == ada.user.id) == N
    ids = [b["data"]["createFlashcard"]["flashcard"]["id"] for b in made]
    reviews = await two["spread"](lambda http, n: gql_raw(http, REVIEW, {"input": {
        "id": ids[n], "grade": n % 6}}, headers=ada.headers))
    assert [b.get("errors") for b in reviews] == [None] * N
    assert sorted(b["data"]["reviewFlashcard"]["review"]["grade"] for b in reviews) == sorted(
        n % 6 for n in range(N))
    assert await count(services, FlashcardReview, FlashcardReview.user_id == ada.user.id) == N
    assert await activities(services, ada.user.id, "FLASHCARD_REVIEW") == N


async def test_parallel_progress(services, two):
    ada, items, term = two["ada"], two["items"], two["offering"]

    async def post(http, n):
        return await http.post(f"{API}/progress/content", headers=ada.headers, json={
            "content_item_id": items[n // 2].id, "course_offering_id": term.id,
            "progress_percent": 50, "time_spent_seconds": 10})

    responses = await two["spread"](post)
    assert [r.status_code for r in responses] == [200] * N, [r.text for r in responses]
    async with services.db.session() as session:
        rows = (await session.execute(select(ContentProgress).where(
            ContentProgress.user_id == ada.user.id))).scalars().all()
    # Two writes per item: one row each, and neither write's time was lost.
    assert sorted(r.content_item_id for r in rows) == sorted(i.id for i in items[:N // 2])
    assert {r.time_spent_seconds for r in rows} == {20}
    assert await activities(services, ada.user.id, "CONTENT_PROGRESS") == N


async def test_parallel_enrollments(services, two):
    ada = two["ada"]
    offerings = [await add(services, CourseOffering(course_id=two["course"].id,
                                                    term_name=f"Term {n}")) for n in range(N)]
    responses = await two["spread"](lambda http, n: http.post(
        f"{API}/enrollments/", json={"course_offering_id": offerings[n].id},
        headers=ada.headers))
    assert [r.status_code for r in responses] == [201] * N, [r.text for r in responses]
    assert await count(services, Enrollment, Enrollment.user_id == ada.user.id) == N + 1


async def test_parallel_chat_sessions_and_messages(services, two):
    ada, items = two["ada"], two["items"]
    sessions = await two["spread"](lambda http, n: open_session(http, ada, items[n]))
    assert await count(services, ChatSession, ChatSession.user_id == ada.user.id) == N

    async def send(http, n):
        response = await http.post(f"{API}/chat/sessions/{sessions[n]['id']}/messages",
                                   json={"content": f"question {n}"}, headers=ada.headers)
        return response.status_code, sse_events(response.text)[-1]

    answers = await two["spread"](send)
    assert [status for status, _ in answers] == [200] * N
    assert [(last["done"], last.get("error")) for _, last in answers] == [(True, None)] * N
    assert await count(services, ChatMessage, ChatMessage.session_id.in_(
        [s["id"] for s in sessions])) == 2 * N
    assert await activities(services, ada.user.id, "CHAT_MESSAGE") == N
