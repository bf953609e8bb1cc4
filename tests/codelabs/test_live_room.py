"""The live room over real WebSockets: two attendees and a facilitator on two app
instances, every documented client and server message, the kept chat, and who is
let in."""

from __future__ import annotations

import asyncio
import json

import pytest
from websockets.asyncio.client import connect
from websockets.exceptions import ConnectionClosed, InvalidStatus

from rest_compat.codelabs import room_fanout
from tests.codelabs.helpers import API, create_codelab, csrf, facilitator_login, register
from tests.fixtures import start_instance


def ws_url(base_url: str, codelab_id: str) -> str:
    return base_url.replace("http://", "ws://") + f"/api/ws/{codelab_id}"


def cookie_of(http) -> dict:
    return {"Cookie": f"oc_session={http.cookies['oc_session']}"}


async def receive(ws, within: float = 5.0) -> dict:
    return json.loads(await asyncio.wait_for(ws.recv(), within))


def in_room(services, codelab_id: str) -> int:
    """Who is in the room on this instance: the GraphQL subscribers, each subscribed to
    the room's topic, and the WebSockets, which share one subscription."""
    number = int(codelab_id.removeprefix("codelab_"))
    sockets = room_fanout.rooms_of(services.broker).count(number)
    return (services.broker.subscriber_count(f"codelab:{number}") - (1 if sockets else 0)
            + sockets)


async def until_in_room(services, codelab_id: str, count: int) -> None:
    for _ in range(250):
        if in_room(services, codelab_id) >= count:
            return
        await asyncio.sleep(0.02)
    raise AssertionError("nobody joined the room")


@pytest.fixture
async def other(database_url):
    instance = await start_instance(database_url)
    yield instance
    await instance.stop()


async def test_two_attendees_and_a_facilitator_on_two_instances(client, new_client, server,
                                                                other):
    await facilitator_login(client)
    codelab = await create_codelab(client)
    jane_http, tom_http = new_client(), new_client()
    jane = await register(jane_http, codelab, name="Jane Doe")
    tom = await register(tom_http, codelab, name="Tom")
    here, there = server.app.state.services, other.app.state.services

    async with connect(ws_url(server.base_url, codelab["id"]),
                       additional_headers=cookie_of(client)) as facilitator, \
            connect(ws_url(other.base_url, codelab["id"]),
                    additional_headers=cookie_of(jane_http)) as jane_ws, \
            connect(ws_url(server.base_url, codelab["id"]),
                    additional_headers=cookie_of(tom_http)) as tom_ws:
        await until_in_room(here, codelab["id"], 2)
        await until_in_room(there, codelab["id"], 1)

        # Chat from the other instance reaches everyone, the sender too.
        await jane_ws.send(json.dumps({"type": "chat", "message": "Hello"}))
        for ws in (facilitator, tom_ws, jane_ws):
            said = await receive(ws)
            assert {k: said[k] for k in ("type", "sender", "message")} == {
                "type": "chat", "sender": "Jane Doe", "message": "Hello"}
            assert said["id"].startswith("chat_")

        # A direct message reaches only its attendee.
        await facilitator.send(json.dumps({"type": "dm", "target_id": jane["id"],
                                           "message": "Private message"}))
        dm = await receive(jane_ws)
        assert {k: dm[k] for k in ("type", "sender", "message", "target_id")} == {
            "type": "dm", "sender": "Facilitator", "message": "Private message",
            "target_id": jane["id"]}
        # An attendee writes to the facilitators only.
        await tom_ws.send(json.dumps({"type": "dm", "target_id": jane["id"],
                                      "message": "psst"}))
        assert await receive(tom_ws) == {
            "type": "error", "error": "Attendees can write only to the facilitator"}
        await tom_ws.send(json.dumps({"type": "dm", "target_id": "facilitator",
                                      "message": "Stuck on step 2"}))
        to_facilitator = await receive(facilitator)
        assert (to_facilitator["type"], to_facilitator["sender"], to_facilitator["target_id"]
                ) == ("dm", "Tom", "facilitator")

        # Progress is kept and told to the room; Tom saw no direct message before it.
        await tom_ws.send(json.dumps({"type": "step_progress", "step_number": 3}))
        progress = {"type": "step_progress", "attendee_id": tom["id"], "step_number": 3}
        for ws in (facilitator, jane_ws, tom_ws):
            assert await receive(ws) == progress
        attendees = (await client.get(f"{API}/codelabs/{codelab['id']}/attendees")).json()
        assert {a["id"]: a["current_step"] for a in attendees} == {jane["id"]: 1,
                                                                   tom["id"]: 3}

        # Help requests and inline comments made over HTTP are announced too.
        response = await jane_http.post(f"{API}/codelabs/{codelab['id']}/help",
                                         json={"step_number": 2}, headers=csrf(jane_http))
        assert response.status_code == 200
        for ws in (facilitator, jane_ws, tom_ws):
            assert await receive(ws) == {"type": "help_request", "attendee_id": jane["id"],
                                         "step_number": 2}
        response = await tom_http.post(
            f"{API}/codelabs/{codelab['id']}/inline-comments",
            json={"anchor_key": "guide|h|0|4", "target_type": "guide", "start_offset": 0,
                  "end_offset": 4, "selected_text": "Prep", "content_hash": "h",
                  "message": "?"}, headers=csrf(tom_http))
        assert response.status_code == 200, response.text
        for ws in (facilitator, jane_ws, tom_ws):
            assert await receive(ws) == {"type": "inline_comment_changed",
                                         "target_type": "guide", "target_step_id": None}

    # The chat is kept: facilitators see every message, an attendee their own.
    url = f"{API}/codelabs/{codelab['id']}/chat"
    history = (await client.get(url)).json()
    assert [(m["msg_type"], m["sender_name"], m["message"], m["target_id"]) for m in history] \
        == [("chat", "Jane Doe", "Hello", None),
            ("dm", "Facilitator", "Private message", jane["id"]),
            ("dm", "Tom", "Stuck on step 2", "facilitator")]
    assert history[0]["codelab_id"] == codelab["id"]
    # A live message is the kept one, its time written alike (UTC with a Z).
    assert [(m["id"], m["created_at"]) for m in history[:2]] == [
        (said["id"], said["created_at"]), (dm["id"], dm["created_at"])]
    assert said["created_at"].endswith("Z")
    assert [m["message"] for m in (await tom_http.get(url)).json()] == [
        "Hello", "Stuck on step 2"]
    assert [m["message"] for m in (await jane_http.get(url)).json()] == [
        "Hello", "Private message"]
    assert [m["message"] for m in (await client.get(url, params={"limit": 1})).json()] == [
        "Stuck on step 2"]
    assert [m["message"] for m in (await client.get(
        url, params={"limit": 1, "offset": 1})).json()] == ["Private message"]


async def test_bad_frames_get_an_error_and_the_socket_stays(client, new_client, server):
    await facilitator_login(client)
    codelab = await create_codelab(client)
    jane_http = new_client()
    await register(jane_http, codelab)
    async with connect(ws_url(server.base_url, codelab["id"]),
                       additional_headers=cookie_of(jane_http)) as ws:
        for frame, error in (
                ("not json", "Messages must be JSON objects within the input bounds"),
                ("[1, 2]", "Messages must be JSON objects within the input bounds"),
                ('{"type": "shout"}', "Unknown message type"),
                ('{"type": "chat", "message": ""}', "message is required"),
                ('{"type": "chat", "message": "' + "x" * 2001 + '"}',
                 "message must be at most 2000 characters"),
                ('{"type": "chat", "message": "' + "x" * 17000 + '"}', "Message too large"),
                ('{"type": "step_progress", "step_number": 0}',
                 "step_number must be between 1 and 10000"),
                ('{"type": "step_progress", "step_number": "3"}',
                 "step_number must be between 1 and 10000"),
                ('{"type": "dm", "message": "hi", "target_id": 7}', "Attendee not found")):
            await ws.send(frame)
            assert await receive(ws) == {"type": "error", "error": error}, frame
        await ws.send(b"\x00binary")
        assert await receive(ws) == {"type": "error", "error": "Frames must be JSON text"}
        await ws.send(json.dumps({"type": "chat", "message": "still here"}))
        assert (await receive(ws))["message"] == "still here"

    # The facilitator has no current step.
    async with connect(ws_url(server.base_url, codelab["id"]),
                       additional_headers=cookie_of(client)) as ws:
        await ws.send(json.dumps({"type": "step_progress", "step_number": 2}))
        assert await receive(ws) == {"type": "error",
                                     "error": "Only the codelab's attendees have a current step"}


async def test_only_the_codelabs_members_get_in(client, new_client, server):
    await facilitator_login(client)
    codelab = await create_codelab(client, is_public=False)
    other = await create_codelab(client, title="Other")
    outsider = new_client()
    await register(outsider, other)
    url = ws_url(server.base_url, codelab["id"])
    for headers, status, body in (
            ({}, 401, {"error": "Login required"}),
            (cookie_of(outsider), 404, {"error": "Codelab not found"}),
            ({**cookie_of(client), "Origin": "https://evil.example"}, 403,
             {"error": "Cross-origin WebSocket refused"})):
        with pytest.raises(InvalidStatus) as refused:
            async with connect(url, additional_headers=headers):
                pass
        assert refused.value.response.status_code == status
        assert json.loads(refused.value.response.body) == body
    with pytest.raises(InvalidStatus) as refused:
        async with connect(ws_url(server.base_url, other["id"]).replace(
                other["id"], "codelab_x"), additional_headers=cookie_of(client)):
            pass
    assert refused.value.response.status_code == 404
    # An attendee of another public codelab can read it but is not in its room.
    public = await create_codelab(client, title="Public")
    with pytest.raises(InvalidStatus) as refused:
        async with connect(ws_url(server.base_url, public["id"]),
                           additional_headers=cookie_of(outsider)):
            pass
    assert refused.value.response.status_code == 403
    # The page of the server itself may connect with the cookie.
    async with connect(url, additional_headers={**cookie_of(client),
                                                "Origin": server.base_url}) as ws:
        await ws.send(json.dumps({"type": "chat", "message": "hi"}))
        assert (await receive(ws))["message"] == "hi"


async def test_a_session_that_ends_ends_the_socket(client, new_client, server):
    await facilitator_login(client)
    codelab = await create_codelab(client)
    jane_http = new_client()
    await register(jane_http, codelab)
    async with connect(ws_url(server.base_url, codelab["id"]),
                       additional_headers=cookie_of(jane_http)) as ws:
        response = await jane_http.post(f"{API}/logout", headers=csrf(jane_http))
        assert response.status_code == 204
        await ws.send(json.dumps({"type": "chat", "message": "after logout"}))
        with pytest.raises(ConnectionClosed):
            await receive(ws)
        assert ws.close_code == 4401
