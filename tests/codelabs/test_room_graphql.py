"""The live room in GraphQL over real WebSockets: the ``codelabRoomEvents`` subscription
with a facilitator and two attendees on two app instances, beside the face's own
``WS /api/ws/:id``; the room's mutations and kept chat; who may subscribe."""

from __future__ import annotations

import json

import pytest
from websockets.asyncio.client import connect

from tests.codelabs.helpers import API, csrf
from tests.codelabs.test_graphql import CREATE, REGISTER, _facilitator
from tests.codelabs.test_live_room import cookie_of, receive, until_in_room, ws_url
from tests.fixtures import error_codes, gql, gql_raw, start_instance
from tests.ws import TRANSPORT_WS, graphql_ws

ROOM = """subscription($id: ID!) { codelabRoomEvents(codelabId: $id) {
  type messageLegacyId sender message targetLegacyId attendeeLegacyId stepNumber
  targetType targetStepLegacyId createdAt } }"""
SAY = """mutation($id: ID!, $m: String!) { sayInCodelabRoom(codelabId: $id, message: $m) {
  message { legacyId type sender message targetLegacyId } } }"""
DM = """mutation($id: ID!, $m: String!, $to: String) {
  sendCodelabDirectMessage(codelabId: $id, message: $m, targetLegacyId: $to) {
    message { legacyId type sender message targetLegacyId } } }"""
STEP = """mutation($id: ID!, $n: Int!) { reportCodelabStep(codelabId: $id, stepNumber: $n) {
  message { legacyId } } }"""
CHAT = """query($id: ID!, $first: Int, $after: String) {
  codelabChat(codelabId: $id, first: $first, after: $after) {
    totalCount edges { cursor node { legacyId type sender message targetLegacyId } }
    pageInfo { hasNextPage } } }"""

NONE = dict.fromkeys(("messageLegacyId", "sender", "message", "targetLegacyId",
                      "attendeeLegacyId", "stepNumber", "targetType", "targetStepLegacyId",
                      "createdAt"))


def room_event(**fields) -> dict:
    return {"codelabRoomEvents": {**NONE, **fields}}


@pytest.fixture
async def other(database_url):
    instance = await start_instance(database_url)
    yield instance
    await instance.stop()


async def _workshop(client, new_client) -> tuple[dict, dict, dict, dict]:
    """A codelab, its facilitator's headers and two attendees (registration, headers)."""
    admin = await _facilitator(client)
    codelab = (await gql(client, CREATE, {"input": {"title": "Room", "isPublic": False,
                                                    "attendanceCode": "ROOM-1"}},
                         headers=admin))["createCodelab"]["codelab"]
    people = {}
    for name in ("Jane Doe", "Tom"):
        registered = (await gql(new_client(), REGISTER, {"input": {
            "codelabId": codelab["id"], "name": name, "code": "ROOM-1"}}))[
            "registerCodelabAttendee"]
        people[name] = {"id": registered["attendee"]["legacyId"],
                        "headers": {"Authorization": f"Bearer {registered['accessToken']}"}}
    return codelab, admin, people["Jane Doe"], people["Tom"]


async def _subscribed(url: str, headers: dict, codelab_id: str):
    ws_cm = graphql_ws(url, TRANSPORT_WS)
    ws = await ws_cm.__aenter__()
    assert (await ws.init(headers))["type"] == "connection_ack"
    await ws.subscribe("room", ROOM, {"id": codelab_id})
    return ws_cm, ws


async def test_room_events_reach_graphql_and_the_face_on_two_instances(
        client, new_client, server, other):
    codelab, admin, jane, tom = await _workshop(client, new_client)
    legacy = codelab["legacyId"]
    here, there = server.app.state.services, other.app.state.services
    opened = []
    try:
        for url, headers in ((server.ws_url, admin), (other.ws_url, jane["headers"])):
            opened.append(await _subscribed(url, headers, codelab["id"]))
        (_, facilitator), (_, jane_ws) = opened
        # Tom is in the same room through the face's WebSocket, signed in by its cookie.
        tom_http = new_client()
        response = await tom_http.post(f"{API}/codelabs/{legacy}/register",
                                       json={"name": "Tim", "code": "ROOM-1"},
                                       headers=csrf(tom_http))
        assert response.status_code == 200, response.text
        tim_id = response.json()["id"]
        async with connect(ws_url(server.base_url, legacy),
                           additional_headers=cookie_of(tom_http)) as tim_ws:
            await until_in_room(here, legacy, 2)
            await until_in_room(there, legacy, 1)

            # A chat said through GraphQL on the other instance reaches everyone.
            said = (await gql(client, SAY, {"id": codelab["id"], "m": "Hello"},
                              headers=jane["headers"]))["sayInCodelabRoom"]["message"]
            assert said["legacyId"].startswith("chat_")
            assert {k: said[k] for k in ("type", "sender", "message", "targetLegacyId")} == {
                "type": "CHAT", "sender": "Jane Doe", "message": "Hello",
                "targetLegacyId": None}
            for ws in (facilitator, jane_ws):
                event = (await ws.next_data("room"))["codelabRoomEvents"]
                assert event["createdAt"]
                assert event == {**NONE, "type": "CHAT", "messageLegacyId": said["legacyId"],
                                 "sender": "Jane Doe", "message": "Hello",
                                 "createdAt": event["createdAt"]}
            face = await receive(tim_ws)
            assert (face["type"], face["id"], face["message"]) == (
                "chat", said["legacyId"], "Hello")

            # A chat from the face's socket reaches the subscriptions.
            await tim_ws.send(json.dumps({"type": "chat", "message": "Hi all"}))
            for ws in (facilitator, jane_ws):
                event = (await ws.next_data("room"))["codelabRoomEvents"]
                assert (event["type"], event["sender"], event["message"]) == (
                    "CHAT", "Tim", "Hi all")
            await receive(tim_ws)

            # A direct message reaches only its attendee: Jane, not the facilitator or Tim.
            dm = (await gql(client, DM, {"id": codelab["id"], "m": "Private",
                                         "to": jane["id"]}, headers=admin))[
                "sendCodelabDirectMessage"]["message"]
            assert (dm["type"], dm["sender"], dm["targetLegacyId"]) == (
                "DM", "Facilitator", jane["id"])
            event = (await jane_ws.next_data("room"))["codelabRoomEvents"]
            assert (event["type"], event["message"], event["targetLegacyId"]) == (
                "DM", "Private", jane["id"])
            # An attendee writes only to the facilitators.
            body = await gql_raw(client, DM, {"id": codelab["id"], "m": "psst",
                                              "to": tim_id}, headers=tom["headers"])
            assert error_codes(body) == ["FORBIDDEN"]
            await gql(client, DM, {"id": codelab["id"], "m": "Stuck"}, headers=tom["headers"])
            event = (await facilitator.next_data("room"))["codelabRoomEvents"]
            assert (event["type"], event["sender"], event["targetLegacyId"]) == (
                "DM", "Tom", "facilitator")

            # Step progress, help requests and comment changes, however they were made.
            await gql(client, STEP, {"id": codelab["id"], "n": 3}, headers=tom["headers"])
            progress = room_event(type="STEP_PROGRESS", attendeeLegacyId=tom["id"],
                                  stepNumber=3)
            for ws in (facilitator, jane_ws):
                assert await ws.next_data("room") == progress
            assert await receive(tim_ws) == {"type": "step_progress",
                                             "attendee_id": tom["id"], "step_number": 3}
            await tim_ws.send(json.dumps({"type": "step_progress", "step_number": 2}))
            for ws in (facilitator, jane_ws):
                assert await ws.next_data("room") == room_event(
                    type="STEP_PROGRESS", attendeeLegacyId=tim_id, stepNumber=2)
            response = await tom_http.post(f"{API}/codelabs/{legacy}/help",
                                           json={"step_number": 2}, headers=csrf(tom_http))
            assert response.status_code == 200
            for ws in (facilitator, jane_ws):
                assert await ws.next_data("room") == room_event(
                    type="HELP_REQUEST", attendeeLegacyId=tim_id, stepNumber=2)
            response = await tom_http.post(
                f"{API}/codelabs/{legacy}/inline-comments",
                json={"anchor_key": "guide|h|0|4", "target_type": "guide", "start_offset": 0,
                      "end_offset": 4, "selected_text": "Prep", "content_hash": "h",
                      "message": "?"}, headers=csrf(tom_http))
            assert response.status_code == 200, response.text
            for ws in (facilitator, jane_ws):
                assert await ws.next_data("room") == room_event(
                    type="INLINE_COMMENT_CHANGED", targetType="guide")
    finally:
        for ws_cm, _ in opened:
            await ws_cm.__aexit__(None, None, None)

    # The kept chat, paged: the facilitator sees every message, Jane her own.
    chat = (await gql(client, CHAT, {"id": codelab["id"], "first": 2},
                      headers=admin))["codelabChat"]
    assert [e["node"]["message"] for e in chat["edges"]] == ["Hello", "Hi all"]
    assert chat["pageInfo"]["hasNextPage"] is True
    assert chat["totalCount"] == 4
    rest = (await gql(client, CHAT, {"id": codelab["id"], "first": 10,
                                      "after": chat["edges"][-1]["cursor"]},
                      headers=admin))["codelabChat"]
    assert [(e["node"]["type"], e["node"]["message"], e["node"]["targetLegacyId"])
            for e in rest["edges"]] == [("DM", "Private", jane["id"]),
                                        ("DM", "Stuck", "facilitator")]
    seen = (await gql(client, CHAT, {"id": codelab["id"], "first": 10},
                      headers=jane["headers"]))
    assert [e["node"]["message"] for e in seen["codelabChat"]["edges"]] == [
        "Hello", "Hi all", "Private"]
    assert seen["codelabChat"]["totalCount"] == 3  # not Tom's message to the facilitator


async def test_who_may_subscribe_and_bad_input(client, new_client, server):
    codelab, admin, jane, tom = await _workshop(client, new_client)
    other_lab, private_lab = [(await gql(client, CREATE, {"input": {
        "title": "Other", "isPublic": public, "attendanceCode": "OTHER-1"}},
        headers=admin))["createCodelab"]["codelab"] for public in (True, False)]
    cases = [({}, codelab["id"], "UNAUTHENTICATED"),
             (jane["headers"], other_lab["id"], "FORBIDDEN"),
             (jane["headers"], private_lab["id"], "NOT_FOUND"),
             (admin, "not-an-id", "BAD_USER_INPUT")]
    for headers, codelab_id, code in cases:
        async with graphql_ws(server.ws_url, TRANSPORT_WS) as ws:
            assert (await ws.init(headers))["type"] == "connection_ack"
            await ws.subscribe("room", ROOM, {"id": codelab_id})
            payload = await ws.next_payload("room")
            assert error_codes(payload) == [code], payload

    # The mutations refuse bad input with the resolvers' rules.
    bad = [(SAY, {"id": codelab["id"], "m": "  "}, jane["headers"], "BAD_USER_INPUT"),
           (SAY, {"id": codelab["id"], "m": "x" * 2001}, jane["headers"], "BAD_USER_INPUT"),
           (SAY, {"id": codelab["id"], "m": "hi"}, {}, "UNAUTHENTICATED"),
           (SAY, {"id": other_lab["id"], "m": "hi"}, tom["headers"], "FORBIDDEN"),
           (DM, {"id": codelab["id"], "m": "hi"}, admin, "BAD_USER_INPUT"),
           (DM, {"id": codelab["id"], "m": "hi", "to": "attendee_x"}, admin, "NOT_FOUND"),
           (STEP, {"id": codelab["id"], "n": 0}, tom["headers"], "BAD_USER_INPUT"),
           (STEP, {"id": codelab["id"], "n": 2}, admin, "FORBIDDEN")]
    for document, variables, headers, code in bad:
        body = await gql_raw(client, document, variables, headers=headers)
        assert error_codes(body) == [code], (variables, body)
