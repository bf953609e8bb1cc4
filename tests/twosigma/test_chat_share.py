"""Sharing a tutor chat: a token and URL, the public read-only view, and revoking it."""

from __future__ import annotations

import asyncio

from tests.twosigma.chat_helpers import API, greet, learner, open_session, topic


async def test_share_view_and_unshare(client, services, fake_anthropic):
    ada, bob = await learner(services), await learner(services, "bob@example.com")
    item = await topic(services)
    session = await open_session(client, ada, item)
    fake_anthropic.reply_text("Welcome to recursion!")
    await greet(client, ada, session["id"])
    url = f"{API}/chat/sessions/{session['id']}/share"

    shared = await client.post(url, headers=ada.headers)
    again = await client.post(url, headers=ada.headers)
    token = shared.json()["share_token"]
    public = await client.get(f"{API}/chat/share/{token}")
    detail = await client.get(f"{API}/chat/sessions/{session['id']}", headers=ada.headers)

    assert shared.status_code == 200
    assert shared.json() == {"share_token": token, "share_url": f"/api/v1/chat/share/{token}"}
    assert len(token) >= 16
    assert again.json() == shared.json()
    assert public.status_code == 200
    body = public.json()
    assert set(body) == {"id", "content_item_id", "content_context", "created_at", "messages"}
    assert (body["id"], body["content_item_id"]) == (session["id"], item.id)
    assert body["content_context"]["title"] == "Recursion"
    assert [(m["role"], m["content"]) for m in body["messages"]] == [
        ("user", "Start."), ("assistant", "Welcome to recursion!")]
    assert all(m["created_at"].endswith("Z") for m in body["messages"])
    assert (detail.json()["share_enabled"], detail.json()["share_token"]) == (True, token)

    theirs = await client.delete(url, headers=bob.headers)
    unshared = await client.delete(url, headers=ada.headers)
    gone = await client.get(f"{API}/chat/share/{token}")
    detail = await client.get(f"{API}/chat/sessions/{session['id']}", headers=ada.headers)

    assert theirs.status_code == 403
    assert unshared.status_code == 204 and unshared.content == b""
    assert gone.status_code == 404 and gone.json() == {"detail": "Shared session not found"}
    assert (detail.json()["share_enabled"], detail.json()["share_token"]) == (False, None)

    reshared = await client.post(url, headers=ada.headers)
    assert reshared.json()["share_token"] != token
    assert (await client.get(f"{API}/chat/share/{reshared.json()['share_token']}")
            ).status_code == 200


async def test_share_refusals(client, services):
    ada, bob = await learner(services), await learner(services, "bob@example.com")
    session = await open_session(client, ada, await topic(services))
    url = f"{API}/chat/sessions/{session['id']}/share"

    anonymous = await client.post(url)
    theirs = await client.post(url, headers=bob.headers)
    missing = await client.post(f"{API}/chat/sessions/999999/share", headers=ada.headers)
    unknown = await client.get(f"{API}/chat/share/no-such-token")
    anonymous_delete = await client.delete(url)

    assert anonymous.status_code == 401 and anonymous_delete.status_code == 401
    assert theirs.status_code == 403 and theirs.json() == {"detail": "Not your chat session"}
    assert missing.status_code == 404
    assert unknown.status_code == 404 and unknown.json() == {"detail": "Shared session not found"}


async def test_concurrent_shares_hand_out_one_working_token(client, services, new_client):
    ada = await learner(services)
    session = await open_session(client, ada, await topic(services))
    url = f"{API}/chat/sessions/{session['id']}/share"

    answers = await asyncio.gather(*(new_client().post(url, headers=ada.headers)
                                     for _ in range(6)))

    tokens = {answer.json()["share_token"] for answer in answers}
    assert [answer.status_code for answer in answers] == [200] * 6
    assert len(tokens) == 1
    public = await client.get(f"{API}/chat/share/{tokens.pop()}")
    assert public.status_code == 200 and public.json()["id"] == session["id"]
