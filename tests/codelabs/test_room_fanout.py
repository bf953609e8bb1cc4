"""The live room's fan-out over real WebSockets: one subscription per room and
instance, each event encoded once and written to every member's socket, direct
messages to their recipients only, a socket that does not read missing frames
without holding up the others, and the ASGI path for servers without the direct
one."""

from __future__ import annotations

import asyncio
import json
import socket

import pytest
from websockets.asyncio.client import connect

from core.fanout import MAX_BUFFERED_BYTES
from rest_compat.codelabs import room_fanout
from tests.codelabs.helpers import create_codelab, facilitator_login, register
from tests.codelabs.test_live_room import cookie_of, in_room, receive, until_in_room, ws_url
from tests.fixtures import start_instance


def number(codelab: dict) -> int:
    return int(codelab["id"].removeprefix("codelab_"))


async def until(condition, what: str) -> None:
    for _ in range(500):
        if condition():
            return
        await asyncio.sleep(0.02)
    raise AssertionError(what)


@pytest.fixture
async def other(database_url):
    instance = await start_instance(database_url)
    yield instance
    await instance.stop()


async def test_every_socket_of_both_instances_gets_each_event_from_one_subscription(
        client, new_client, server, other):
    await facilitator_login(client)
    codelab = await create_codelab(client)
    people = []
    for n in range(8):
        http = new_client()
        people.append((http, await register(http, codelab, name=f"Attendee {n}")))
    here, there = server.app.state.services, other.app.state.services
    topic = f"codelab:{number(codelab)}"

    sockets = [await connect(ws_url(server.base_url, codelab["id"]),
                             additional_headers=cookie_of(client))]
    for n, (http, _) in enumerate(people):
        base = (server if n % 2 else other).base_url
        sockets.append(await connect(ws_url(base, codelab["id"]),
                                     additional_headers=cookie_of(http)))
    facilitator, attendees = sockets[0], sockets[1:]
    try:
        await until_in_room(here, codelab["id"], 5)
        await until_in_room(there, codelab["id"], 4)
        # One subscription per instance, however many sockets; every socket is written to
        # directly, uncompressed although the client offered compression.
        assert here.broker.subscriber_count(topic) == there.broker.subscriber_count(topic) == 1
        for services in (here, there):
            outlets = room_fanout.rooms_of(services.broker).members(number(codelab))
            assert outlets and all(outlet.direct for outlet in outlets)
        assert all(ws.protocol.extensions == [] for ws in sockets)

        for n in range(3):
            await facilitator.send(json.dumps({"type": "chat", "message": f"step {n}"}))
        for ws in sockets:
            said = [await receive(ws) for _ in range(3)]
            assert [(m["type"], m["sender"], m["message"]) for m in said] == [
                ("chat", "Facilitator", f"step {n}") for n in range(3)]
            assert len({m["id"] for m in said}) == 3

        # A direct message reaches its attendee only (on the other instance, too).
        target = people[2][1]
        await facilitator.send(json.dumps({"type": "dm", "target_id": target["id"],
                                           "message": "just you"}))
        await facilitator.send(json.dumps({"type": "chat", "message": "all of you"}))
        for n, ws in enumerate(attendees):
            first = await receive(ws)
            if n == 2:
                assert (first["type"], first["message"], first["target_id"]) == (
                    "dm", "just you", target["id"])
                first = await receive(ws)
            assert (first["type"], first["message"]) == ("chat", "all of you")
    finally:
        for ws in sockets:
            await ws.close()

    # The last one out ends the room's subscription on each instance.
    for services in (here, there):
        await until(lambda s=services: in_room(s, codelab["id"]) == 0
                    and s.broker.subscriber_count(topic) == 0, "the room stayed")


async def test_a_socket_that_does_not_read_misses_frames_and_holds_up_nobody(
        client, new_client, server):
    await facilitator_login(client)
    codelab = await create_codelab(client)
    slow_http, quick_http = new_client(), new_client()
    await register(slow_http, codelab, name="Slow")
    await register(quick_http, codelab, name="Quick")
    services = server.app.state.services
    url = ws_url(server.base_url, codelab["id"])

    # The slow client reads one frame into its queue and then nothing, through a small
    # receive buffer: what the server writes piles up in its transport.
    raw = socket.create_connection(("127.0.0.1", int(server.base_url.rsplit(":", 1)[1])))
    raw.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    async with connect(url, sock=raw, additional_headers=cookie_of(slow_http),
                       max_queue=1) as slow, \
            connect(url, additional_headers=cookie_of(quick_http), max_queue=None) as quick:
        await until_in_room(services, codelab["id"], 2)
        outlets = room_fanout.rooms_of(services.broker).members(number(codelab))
        slow_outlet = next(o for o, m in outlets.items() if m.name == "Slow")

        # Events published as the help requests and comments publish theirs.
        body = "x" * 32_000
        events = 3 * MAX_BUFFERED_BYTES // len(body) + 100
        topic = f"codelab:{number(codelab)}"
        for n in range(events):
            await services.broker.publish(topic, {
                "type": "chat", "id": n, "sender": "Facilitator", "sender_user_id": None,
                "target_user_id": None, "message": body, "created_at": "2026-01-01T00:00:00"})
        got = [await receive(quick, within=30) for _ in range(events)]
        assert [m["id"] for m in got] == [f"chat_{n}" for n in range(events)]
        assert slow_outlet.dropped > 0
        assert (await receive(slow, within=10))["id"] == "chat_0"


# uvicorn's older ``websockets`` implementation, deprecated but served: no direct path.
@pytest.mark.filterwarnings("ignore::DeprecationWarning", "ignore:.*is deprecated")
async def test_a_server_without_the_direct_path_sends_through_asgi(client, new_client,
                                                                   database_url):
    legacy = await start_instance(database_url, ws="websockets")
    try:
        await facilitator_login(client)
        codelab = await create_codelab(client)
        jane_http = new_client()
        await register(jane_http, codelab)
        services = legacy.app.state.services
        url = ws_url(legacy.base_url, codelab["id"])
        async with connect(url, additional_headers=cookie_of(jane_http)) as jane, \
                connect(url, additional_headers=cookie_of(client)) as facilitator:
            await until_in_room(services, codelab["id"], 2)
            outlets = room_fanout.rooms_of(services.broker).members(number(codelab))
            assert len(outlets) == 2 and not any(outlet.direct for outlet in outlets)
            for n in range(3):
                await facilitator.send(json.dumps({"type": "chat", "message": f"m{n}"}))
            for ws in (jane, facilitator):
                assert [(await receive(ws))["message"] for _ in range(3)] == ["m0", "m1", "m2"]
    finally:
        await legacy.stop()
