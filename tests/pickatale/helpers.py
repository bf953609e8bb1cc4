"""Shared pieces of the reading platform tests: the service key, events, waiting."""

from __future__ import annotations

import asyncio
import time
import uuid

from tests.fixtures import INTERNAL_KEY

KEY = {"X-Internal-Key": INTERNAL_KEY}
TS = 1713470400000


def event(learner: str, session: str, event_type: str, **fields) -> dict:
    return {"event_id": str(uuid.uuid4()), "learner_id": learner, "session_id": session,
            "event_type": event_type, "client_ts": TS, **fields}


def new_key() -> dict[str, str]:
    """A fresh ``Idempotency-Key`` header."""
    return {"Idempotency-Key": str(uuid.uuid4())}


def ids() -> tuple[str, str]:
    """A fresh learner id and session id."""
    return str(uuid.uuid4()), str(uuid.uuid4())


async def until(predicate, seconds: float = 10.0) -> None:
    deadline = time.monotonic() + seconds
    while not await predicate():
        assert time.monotonic() < deadline, "timed out"
        await asyncio.sleep(0.05)


def assert_error(response, status: int, code: str) -> dict:
    """The reference's error shape with ``status`` and ``code``; returns the body."""
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/json")
    body = response.json()
    assert set(body) == {"error", "message", "details"}, body
    assert body["error"] == code, body
    assert isinstance(body["message"], str) and isinstance(body["details"], dict)
    return body


async def jobs_done(services, kind: str) -> bool:
    """Whether every job of ``kind`` has finished (done or failed)."""
    from sqlalchemy import select

    from models.jobs import Job

    async with services.db.session() as session:
        statuses = (await session.execute(select(Job.status).where(Job.kind == kind))).scalars()
        return all(s in ("done", "failed") for s in statuses)


async def uc_session_for(services, user) -> dict:
    """Headers carrying ``user``'s ``uc_session`` cookie (a fresh sign-in session)."""
    from tests.fixtures import bearer_for

    token = (await bearer_for(services, user))["Authorization"].removeprefix("Bearer ")
    return {"Cookie": f"uc_session={token}"}


async def portal_account(services, role: str, email: str | None = None) -> tuple:
    """An account of the reading platform with ``role`` and its ``uc_session`` headers
    (no password: these tests sign in by session only)."""
    from models.user import User

    user = User(email=email or f"{role.lower()}@example.com", display_name=role.title(),
                roles=[role])
    async with services.db.transaction() as session:
        session.add(user)
    return user, await uc_session_for(services, user)


def as_bearer(headers: dict) -> dict:
    """The same session's token as a Bearer header (what GraphQL clients send)."""
    return {"Authorization": "Bearer " + headers["Cookie"].removeprefix("uc_session=")}
