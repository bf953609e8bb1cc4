"""Helpers for the agent API: Teams users, organizations, member and guest keys."""

from __future__ import annotations

from dataclasses import dataclass

import httpx

from core.auth import api_keys
from models.organization import Subscription
from models.user import ApiKey, User
from tests.fixtures import create_user, ol_login

AGENT = "/api/v2/agent"


@dataclass
class Member:
    user: User
    http: httpx.AsyncClient  # signed in (cookie session)
    key: str  # an sk_ key with the default scopes

    @property
    def headers(self) -> dict:
        return {"Authorization": f"Bearer {self.key}"}


def bearer(key: str) -> dict:
    return {"Authorization": f"Bearer {key}"}


async def grant(services, user: User, tier: str = "pro_teams") -> None:
    async with services.db.transaction() as session:
        await session.merge(Subscription(user_id=user.id, tier=tier))


async def teams_user(services, http: httpx.AsyncClient, email: str) -> User:
    """A signed-in user (cookie in ``http``) holding the Teams tier."""
    user = await create_user(services, email=email, display_name=email.split("@")[0])
    await grant(services, user)
    await ol_login(http, email)
    return user


async def mint_key(http: httpx.AsyncClient, scopes: list[str] | None = None) -> str:
    body = {} if scopes is None else {"scopes": scopes}
    response = await http.post(f"{AGENT}/keys", json=body)
    assert response.status_code == 201, response.text
    return response.json()["api_key"]


async def org_admin(services, http: httpx.AsyncClient, email: str = "admin@acme.com",
                    name: str = "Acme Enablement") -> Member:
    """A Teams user who created an organization, with a key holding org:* too."""
    user = await teams_user(services, http, email)
    response = await http.post("/api/organization", json={"name": name})
    assert response.status_code == 201, response.text
    key = await mint_key(http, [*api_keys.DEFAULT_SCOPES, *api_keys.ORG_SCOPES])
    return Member(user=user, http=http, key=key)


async def guest_key(admin: Member, email: str = "learner@example.com") -> str:
    response = await admin.http.post(f"{AGENT}/org/guests", json={"email": email},
                                     headers=admin.headers)
    assert response.status_code in (200, 201), response.text
    return response.json()["api_key"]


async def key_with_scopes(services, *, scopes: list[str], user: User | None = None,
                          guest_id=None) -> str:
    """A key with exactly ``scopes`` (for the scope matrix), stored as the API stores it."""
    minted = api_keys.mint("gsk" if guest_id else "sk")
    async with services.db.transaction() as session:
        session.add(ApiKey(prefix=minted.prefix, secret_hash=minted.secret_hash,
                           last4=minted.last4, name="matrix", scopes=scopes,
                           user_id=user.id if user else None, guest_id=guest_id))
    return minted.token


def error_of(response: httpx.Response) -> dict:
    body = response.json()
    assert set(body) == {"error"}, body
    assert set(body["error"]) == {"code", "message", "details"}, body
    return body["error"]


async def store_llm_key(http: httpx.AsyncClient, key: str = "sk-ant-org-admin-0001") -> None:
    """The signed-in user stores an Anthropic key (agent work of the org uses it)."""
    response = await http.post("/api/auth/api-key", json={"api_key": key})
    assert response.status_code == 200, response.text


def draft(title: str = "Explaining vector databases", blocks: int = 3, starts: int = 1) -> dict:
    """A workspace draft as the model returns it through the draft_workspace tool."""
    return {"title": title, "root_topic": "Vector databases for interview prep",
            "blocks": [{"title": f"Block {i + 1}", "description": f"Show step {i + 1}.",
                        "is_start": i < starts} for i in range(blocks)]}


async def create_workspace(http: httpx.AsyncClient, headers: dict, fake, **body) -> dict:
    fake.reply_tool_use("draft_workspace", draft())
    response = await http.post(f"{AGENT}/workspaces", headers=headers,
                               json={"initial_prompt": "Explain vector databases", **body})
    assert response.status_code == 201, response.text
    return response.json()


SCORING = {
    "overall_score": 82,
    "marker_scores": [
        {"id": "conceptual_clarity", "label": "Conceptual Clarity", "score": 85,
         "rationale": "Explained embeddings as points in space."},
        {"id": "causal_reasoning", "label": "Causal Reasoning", "score": 78,
         "rationale": "Linked index choice to recall."}],
    "gap_analysis": {"summary": "Solid basics; shaky on trade-offs.",
                     "gaps": [{"title": "Index trade-offs", "evidence": "Unsure about HNSW",
                               "severity": "medium", "suggested_repair": "Compare HNSW, IVF"}],
                     "next_practice": ["Benchmark two indexes"]},
    "summary": "Good session.",
}


def sse_events(text: str) -> list[dict]:
    import json

    return [json.loads(line[len("data: "):]) for line in text.splitlines()
            if line.startswith("data: ")]


REPORT = {
    "summary": "Explains the basics; trade-offs are thin.",
    "strengths": ["Clear definitions"], "growth_areas": ["Index trade-offs"],
    "gap_analysis": {"summary": "One gap.", "gaps": [
        {"title": "Trade-offs", "evidence": "Hesitated on HNSW", "severity": "medium",
         "suggested_repair": "Compare two indexes"}], "next_practice": ["Benchmark"]},
    "suggestions": ["Run a recall benchmark"], "confidence": "developing",
}
