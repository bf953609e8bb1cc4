"""Inline comments through the Codelabs face: threads by anchor, overlap and stale
rules, deletion by author or facilitator, and the room told of every change."""

from __future__ import annotations

import asyncio

from tests.codelabs.helpers import (
    API,
    create_codelab,
    csrf,
    facilitator_login,
    put_steps,
    register,
)


async def _room(client, new_client):
    await facilitator_login(client)
    codelab = await create_codelab(client, guide_markdown="# Prep\nInstall Rust.")
    await put_steps(client, codelab["id"], [{"title": "Setup", "content_markdown": "# Setup"},
                                            {"title": "Build", "content_markdown": "# Build"}])
    steps = (await client.get(f"{API}/codelabs/{codelab['id']}")).json()[1]
    jane_http, tom_http = new_client(), new_client()
    jane = await register(jane_http, codelab, name="Jane Doe")
    tom = await register(tom_http, codelab, name="Tom")
    return codelab, steps, (jane_http, jane), (tom_http, tom)


def _anchor(step_id: str, start: int, end: int, **extra) -> dict:
    return {"anchor_key": f"step|{step_id}|h1|{start}|{end}", "target_type": "step",
            "target_step_id": step_id, "start_offset": start, "end_offset": end,
            "selected_text": "Selected text", "content_hash": "h1",
            "message": "This part is confusing.", **extra}


async def test_threads_are_created_appended_replied_and_listed(client, new_client, services):
    codelab, steps, (jane_http, jane), (tom_http, _) = await _room(client, new_client)
    url = f"{API}/codelabs/{codelab['id']}/inline-comments"
    topic = f"codelab:{codelab['id'].removeprefix('codelab_')}"
    async with services.broker.subscribe(topic) as events:
        response = await jane_http.post(url, json=_anchor(steps[0]["id"], 12, 34),
                                        headers=csrf(jane_http))
        assert response.status_code == 200, response.text
        event = await asyncio.wait_for(anext(events), 5)
    assert event == {"type": "inline_comment_changed", "target_type": "step",
                     "step_id": int(steps[0]["id"].removeprefix("step_"))}
    thread = response.json()
    assert thread == {
        "id": thread["id"], "codelab_id": codelab["id"],
        "anchor_key": f"step|{steps[0]['id']}|h1|12|34", "target_type": "step",
        "target_step_id": steps[0]["id"], "start_offset": 12, "end_offset": 34,
        "selected_text": "Selected text", "content_hash": "h1",
        "created_by_attendee_id": jane["id"], "created_at": thread["created_at"],
        "messages": [{"id": thread["messages"][0]["id"], "thread_id": thread["id"],
                      "codelab_id": codelab["id"], "author_role": "attendee",
                      "author_id": jane["id"], "author_name": "Jane Doe",
                      "message": "This part is confusing.",
                      "created_at": thread["messages"][0]["created_at"]}]}
    assert thread["id"].startswith("thread_") and thread["messages"][0]["id"].startswith(
        "comment_")

    # The same anchor appends to the thread, from anyone in the room.
    again = await tom_http.post(url, json=_anchor(steps[0]["id"], 12, 34, message="Me too"),
                                headers=csrf(tom_http))
    assert again.status_code == 200
    assert again.json()["id"] == thread["id"]
    assert [m["message"] for m in again.json()["messages"]] == [
        "This part is confusing.", "Me too"]

    reply = await client.post(f"{url}/{thread['id']}/comments",
                              json={"message": "Read chapter 2 first.", "content_hash": "h1"},
                              headers=csrf(client))
    assert reply.status_code == 200
    last = reply.json()["messages"][-1]
    assert (last["author_role"], last["author_id"], last["author_name"]) == (
        "admin", "facilitator", "Facilitator")

    guide = await client.post(url, json={**_anchor("", 0, 5), "target_type": "guide",
                                         "target_step_id": None, "anchor_key": "guide|h9|0|5",
                                         "content_hash": "h9"}, headers=csrf(client))
    assert guide.status_code == 200
    assert guide.json()["created_by_attendee_id"] is None
    assert guide.json()["target_step_id"] is None

    listed = (await jane_http.get(url)).json()
    assert [t["id"] for t in listed] == [thread["id"], guide.json()["id"]]
    assert len(listed[0]["messages"]) == 3
    only_guide = (await client.get(url, params={"target_type": "guide"})).json()
    assert [t["id"] for t in only_guide] == [guide.json()["id"]]
    of_step = (await client.get(url, params={"target_type": "step",
                                             "target_step_id": steps[1]["id"]})).json()
    assert of_step == []
    assert [t["id"] for t in (await client.get(url, params={"limit": 1, "offset": 1})).json()
            ] == [guide.json()["id"]]


async def test_overlaps_conflicts_and_stale_replies_are_400(client, new_client):
    codelab, steps, (jane_http, _), _ = await _room(client, new_client)
    url = f"{API}/codelabs/{codelab['id']}/inline-comments"
    thread = (await jane_http.post(url, json=_anchor(steps[0]["id"], 12, 34),
                                   headers=csrf(jane_http))).json()

    overlapping = await jane_http.post(url, json=_anchor(steps[0]["id"], 30, 40),
                                       headers=csrf(jane_http))
    assert overlapping.status_code == 400
    assert overlapping.json() == {
        "error": "An overlapping highlight exists: reply on it instead"}
    # Beside it, on another step, or on changed content: no overlap.
    for body in (_anchor(steps[0]["id"], 34, 40), _anchor(steps[1]["id"], 12, 34),
                 {**_anchor(steps[0]["id"], 12, 34), "anchor_key": "k2",
                  "content_hash": "h2"}):
        response = await jane_http.post(url, json=body, headers=csrf(jane_http))
        assert response.status_code == 200, (body, response.text)

    conflict = await jane_http.post(url, json={**_anchor(steps[0]["id"], 12, 35),
                                               "anchor_key": thread["anchor_key"]},
                                    headers=csrf(jane_http))
    assert conflict.status_code == 400
    assert conflict.json() == {"error": "anchor_key names another range"}

    stale = await jane_http.post(f"{url}/{thread['id']}/comments",
                                 json={"message": "Still?", "content_hash": "h-new"},
                                 headers=csrf(jane_http))
    assert stale.status_code == 400
    assert "stale" in stale.json()["error"]

    for body in ({**_anchor(steps[0]["id"], 50, 40)}, {**_anchor(steps[0]["id"], 60, 70),
                                                       "target_type": "note"},
                 {**_anchor(steps[0]["id"], 60, 70), "message": "  "},
                 {**_anchor(steps[0]["id"], 60, 70), "message": "x" * 1001},
                 {**_anchor(steps[0]["id"], 60, 70), "target_step_id": None},
                 {**_anchor(steps[0]["id"], 60, 70), "target_type": "guide"},
                 {**_anchor(steps[0]["id"], 60, 70), "start_offset": 2**70},
                 {"message": "hi"}):
        response = await jane_http.post(url, json=body, headers=csrf(jane_http))
        assert response.status_code == 400, (body, response.text)
        assert set(response.json()) == {"error"}
    assert (await jane_http.post(url, json=_anchor("step_999999", 1, 2),
                                 headers=csrf(jane_http))).status_code == 404
    assert (await client.get(url, params={"target_type": "nope"})).status_code == 400
    assert (await jane_http.post(f"{url}/thread_999999/comments",
                                 json={"message": "x", "content_hash": "h1"},
                                 headers=csrf(jane_http))).status_code == 404


async def test_delete_by_author_or_facilitator_and_last_deletes_the_thread(client,
                                                                           new_client):
    codelab, steps, (jane_http, _), (tom_http, _) = await _room(client, new_client)
    url = f"{API}/codelabs/{codelab['id']}/inline-comments"
    thread = (await jane_http.post(url, json=_anchor(steps[0]["id"], 1, 5),
                                   headers=csrf(jane_http))).json()
    thread = (await tom_http.post(f"{url}/{thread['id']}/comments",
                                  json={"message": "Agreed", "content_hash": "h1"},
                                  headers=csrf(tom_http))).json()
    janes, toms = thread["messages"]

    def delete_url(message):
        return f"{url}/{thread['id']}/comments/{message['id']}"

    refused = await tom_http.delete(delete_url(janes), headers=csrf(tom_http))
    assert refused.status_code == 403
    assert refused.json() == {"error": "Only the comment's author or a facilitator can delete it"}
    response = await tom_http.delete(delete_url(toms), headers=csrf(tom_http))
    assert response.status_code == 200
    assert response.json() == {"status": "ok", "thread_deleted": False}
    assert (await tom_http.delete(delete_url(toms), headers=csrf(tom_http))).status_code == 404

    response = await client.delete(delete_url(janes), headers=csrf(client))
    assert response.json() == {"status": "ok", "thread_deleted": True}
    assert (await client.get(url)).json() == []
    # The facilitator removed an attendee's words: that is audited.
    logs = (await client.get(f"{API}/admin/audit-logs",
                             params={"action": "inline_comment_delete"})).json()
    assert [(e["target_id"], e["codelab_id"]) for e in logs] == [(janes["id"], codelab["id"])]


async def test_outsiders_are_refused(client, new_client):
    codelab, steps, (jane_http, _), _ = await _room(client, new_client)
    url = f"{API}/codelabs/{codelab['id']}/inline-comments"
    anonymous = new_client()
    response = await anonymous.get(url)
    assert response.status_code == 401
    assert response.json() == {"error": "Login required"}
    other = await create_codelab(client, title="Other")
    outsider = new_client()
    await register(outsider, other)
    assert (await outsider.get(url)).status_code == 403
    response = await outsider.post(url, json=_anchor(steps[0]["id"], 1, 2),
                                   headers=csrf(outsider))
    assert response.status_code == 403
    # Cookie writes need the CSRF token.
    response = await jane_http.post(url, json=_anchor(steps[0]["id"], 1, 2))
    assert response.status_code == 403
