"""Helpers for the tutor chat tests: a learner with an Anthropic key, a content item,
and reading the SSE stream of a turn."""

from __future__ import annotations

import json
from dataclasses import dataclass

from core.auth import secrets_box
from models.course import ContentItem, ContentType, Course, Module
from models.user import User, UserSecret
from resolvers.auth import ANTHROPIC_KEY
from tests.fixtures import TEST_SECRET, bearer_for, create_user
from tests.twosigma.learner_helpers import add

API = "/api/v1"
USER_KEY = "sk-ant-chat-key-4242"


@dataclass
class Learner:
    user: User
    headers: dict


async def learner(services, email: str = "ada@example.com", *, key: bool = True,
                  roles: list[str] | None = None) -> Learner:
    """A user (with a stored Anthropic key unless ``key`` is False) and their headers."""
    user = await create_user(services, email=email, roles=roles)
    if key:
        await add(services, UserSecret(user_id=user.id, kind=ANTHROPIC_KEY, preview="sk-...4242",
                                       ciphertext=secrets_box.encrypt(TEST_SECRET, USER_KEY)))
    return Learner(user=user, headers=await bearer_for(services, user))


async def topic(services, *, title: str = "Recursion", published: bool = True,
                cache_enabled: bool = True, llm_model: str | None = None,
                data: dict | None = None) -> ContentItem:
    """A content item in its own course."""
    course = await add(services, Course(title="Intro to CS", code="CS101",
                                        is_published=published, cache_enabled=cache_enabled,
                                        llm_model=llm_model))
    module = await add(services, Module(course_id=course.id, title="Week 1"))
    kind = await add(services, ContentType(name=f"reading-{course.id}", label="Reading"))
    return await add(services, ContentItem(
        module_id=module.id, course_id=course.id, content_type_id=kind.id, title=title,
        description="Functions that call themselves.",
        data_json=data if data is not None else {"level": "beginner"}))


def sse_events(text: str) -> list[dict]:
    """The JSON data of every event of an SSE body."""
    events = []
    for block in text.split("\n\n"):
        lines = [line[len("data: "):] for line in block.split("\n") if line.startswith("data: ")]
        if lines:
            events.append(json.loads("\n".join(lines)))
    return events


async def open_session(http, who: Learner, item: ContentItem) -> dict:
    response = await http.post(f"{API}/chat/sessions", json={"content_item_id": item.id},
                               headers=who.headers)
    assert response.status_code == 201, response.text
    return response.json()


async def send(http, who: Learner, session_id: int, content) -> tuple[str, list[dict]]:
    """POST a message; the raw SSE text and its events."""
    response = await http.post(f"{API}/chat/sessions/{session_id}/messages",
                               json={"content": content}, headers=who.headers)
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("text/event-stream")
    return response.text, sse_events(response.text)


async def greet(http, who: Learner, session_id: int) -> tuple[str, list[dict]]:
    response = await http.post(f"{API}/chat/sessions/{session_id}/greeting", headers=who.headers)
    assert response.status_code == 200, response.text
    return response.text, sse_events(response.text)


def chunks_of(events: list[dict]) -> list[str]:
    return [e["content"] for e in events if not e["done"]]
