"""Every request example of every contract, sent as written, answers the documented status.

Each example runs on a fresh database holding the demo catalog (so the ids the examples
name, ``course_id: 1``, ``content_type_id: 1``, ``subject_preferences: [1, 2, 3]``, exist),
after whatever it is ``given``; the tables are in ``contract_examples``.
"""

from __future__ import annotations

import re
from typing import Any

import httpx
import pytest
from sqlalchemy import select

from models.user import User
from resolvers.demo import DEMO_EMAIL, DEMO_PASSWORD, seed_demo
from resolvers.demo_catalog import CONTENT_TYPES
from tests.fixtures import bearer_for, create_user, ol_login
from tests.rest_compat.contract_examples import EXAMPLES, Example

BY_TITLE = {(e.face, e.title): e for e in EXAMPLES}
USER_KEY = "sk-ant-contract-examples-0001"


def test_titles_are_unique_and_givens_exist():
    assert len(BY_TITLE) == len(EXAMPLES)
    for example in EXAMPLES:
        for given in example.given:
            assert isinstance(given, tuple) or (example.face, given) in BY_TITLE, given


def test_the_seeded_video_type_takes_the_fields_the_contract_writes():
    video = next(t for t in CONTENT_TYPES if t[0] == "video")
    assert video[1] == "Video" and video[3] == ["video_url"]


def _camel(name: str) -> str:
    head, *rest = name.split("_")
    return head + "".join(part.title() for part in rest)


def _fill(path: str, previous: Any) -> str:
    """Path parameters from the previous answer (``sessionId``, ``id``, ``name`` ...), else 1."""
    def value(match: re.Match) -> str:
        name = match.group(1)
        if isinstance(previous, dict):
            for key in (name, _camel(name), "id" if name.endswith("_id") else "",
                        "name" if name.endswith("_name") else ""):
                if key in previous:
                    return str(previous[key])
        return "1"

    return re.sub(r"\{(\w+)\}", value, path)


class Callers:
    """One HTTP client per caller, each signed in the way its face documents."""

    def __init__(self, services, new_client) -> None:
        self.services = services
        self.new_client = new_client
        self.clients: dict[tuple[str, str], tuple[httpx.AsyncClient, dict]] = {}

    async def get(self, face: str, who: str) -> tuple[httpx.AsyncClient, dict]:
        if (face, who) not in self.clients:
            http, headers = self.new_client(), {}
            if who != "anonymous":
                email = DEMO_EMAIL if who == "learner" else "admin@example.com"
                if who == "admin":
                    await create_user(self.services, email=email, password=DEMO_PASSWORD,
                                      roles=["PLATFORM_ADMIN"])
                if face == "openlearning":
                    await ol_login(http, email, DEMO_PASSWORD)  # the access_token cookie
                else:
                    async with self.services.db.session() as session:
                        user = (await session.execute(
                            select(User).where(User.email == email))).scalar_one()
                    headers = await bearer_for(self.services, user)
            self.clients[(face, who)] = (http, headers)
        return self.clients[(face, who)]


async def _send(example: Example, callers: Callers, fake, previous: Any) -> httpx.Response:
    for reply in example.llm:
        if reply[0] == "text":
            fake.reply_text(reply[1])
        else:
            fake.reply_tool_use(reply[1], reply[2])
    if example.who == "refresh":
        http = callers.new_client()
        headers = {"Authorization": f"Bearer {previous['refresh_token']}"}
    else:
        http, headers = await callers.get(example.face, example.who)
        if example.key:
            stored = await http.post("/api/auth/api-key", json={"apiKey": USER_KEY},
                                     headers=headers)
            assert stored.status_code == 200, stored.text
    return await http.request(example.method, _fill(example.path, previous),
                              json=example.body, headers={**headers, **example.headers})


async def _run(example: Example, callers: Callers, fake) -> httpx.Response:
    previous = None
    for given in example.given:
        if isinstance(given, tuple):
            method, path, body = given
            http, headers = await callers.get(example.face, "admin")
            response = await http.request(method, path, json=body, headers=headers)
            assert response.status_code < 300, (given, response.text)
        else:
            before = BY_TITLE[(example.face, given)]
            response = await _run(before, callers, fake)
            assert response.status_code == before.status, (given, response.text)
        previous = response.json() if response.headers.get(
            "content-type", "").startswith("application/json") else None
    return await _send(example, callers, fake, previous)


@pytest.mark.parametrize("example", EXAMPLES, ids=[f"{e.face}:{e.title}" for e in EXAMPLES])
async def test_the_contract_example_answers_its_documented_status(example, client, services,
                                                                   new_client, fake_anthropic):
    if example.demo:
        await seed_demo(services)
    callers = Callers(services, new_client)
    response = await _run(example, callers, fake_anthropic)
    assert response.status_code == example.status, response.text[:500]
    if response.headers.get("content-type", "").startswith("application/json"):
        body = response.json()
        assert not (isinstance(body, dict) and "detail" in body), body
    elif response.headers.get("content-type", "").startswith("text/event-stream"):
        assert "[ERROR]" not in response.text and '"error"' not in response.text, response.text
