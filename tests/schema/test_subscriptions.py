"""GraphQL subscriptions over real WebSockets, on both protocols.

Credentials come from ``connection_init`` or the cookie; bad credentials are
refused, nothing runs before ``connection_init``, anonymous subscribers get
UNAUTHENTICATED, and events published on one instance reach a subscriber
connected to another.
"""

from __future__ import annotations

import asyncio

import pytest
from websockets.exceptions import InvalidStatus

from resolvers.auth import user_topic
from tests.fixtures import PASSWORD, gql, ol_login, start_instance
from tests.ws import PROTOCOLS, TRANSPORT_WS, Closed, graphql_ws

VIEWER_EVENTS = "subscription { viewerEvents { kind preview } }"
SET_KEY = "mutation($key: String!) { setAnthropicKey(input: {apiKey: $key}) { preview } }"
DELETE_KEY = "mutation { deleteAnthropicKey { preview } }"
LOGIN = """mutation($email: String!, $password: String!) {
  login(input: {email: $email, password: $password}) { accessToken }
}"""

pytestmark = pytest.mark.parametrize("protocol", PROTOCOLS)


async def access_token(http, email: str) -> str:
    data = await gql(http, LOGIN, {"email": email, "password": PASSWORD})
    return data["login"]["accessToken"]


async def until_subscribed(services, user, count: int = 1) -> None:
    """Wait until the server has subscribed ``count`` times to the user's topic."""
    topic = user_topic(user.id)
    for _ in range(500):
        if services.broker.subscriber_count(topic) == count:
            return
        await asyncio.sleep(0.01)
    raise AssertionError(f"{services.broker.subscriber_count(topic)} subscribers, want {count}")


def event(kind: str, preview: str | None) -> dict:
    return {"viewerEvents": {"kind": kind, "preview": preview}}


def refused(protocol: str, message, reason: str) -> None:
    """Bad credentials: 4403 on graphql-transport-ws, connection_error on graphql-ws."""
    if protocol == TRANSPORT_WS:
        assert message == Closed(4403, "Forbidden")
    else:
        assert message == {"type": "connection_error", "payload": {"message": reason}}


async def test_viewer_events_follow_key_changes(protocol, server, services, client, user,
                                                new_client):
    token = await access_token(new_client(), user.email)
    async with graphql_ws(server.ws_url, protocol) as ws:
        assert (await ws.init({"Authorization": f"Bearer {token}"}))["type"] == "connection_ack"
        await ws.subscribe("1", VIEWER_EVENTS)
        await until_subscribed(services, user)

        headers = {"Authorization": f"Bearer {token}"}
        await gql(client, SET_KEY, {"key": "sk-ant-api03-secret-ab12"}, headers=headers)
        assert await ws.next_data("1") == event("ANTHROPIC_KEY_SET", "sk-...ab12")

        await gql(client, DELETE_KEY, headers=headers)
        assert await ws.next_data("1") == event("ANTHROPIC_KEY_DELETED", None)

        await ws.stop("1")
        await until_subscribed(services, user, count=0)


async def test_init_payload_may_carry_a_bare_token(protocol, server, services, client, user):
    token = await access_token(client, user.email)
    async with graphql_ws(server.ws_url, protocol) as ws:
        assert (await ws.init({"accessToken": token}))["type"] == "connection_ack"
        await ws.subscribe("a", VIEWER_EVENTS)
        await until_subscribed(services, user)


async def test_invalid_token_is_refused(protocol, server, client):
    async with graphql_ws(server.ws_url, protocol) as ws:
        refused(protocol, await ws.init({"Authorization": "Bearer not-a-real-token"}),
                "Invalid token")
        assert isinstance(await ws.closed(), Closed)


async def test_revoked_token_is_refused(protocol, server, services, client, user, new_client):
    token = await access_token(client, user.email)
    await gql(client, "mutation { logout { ok } }", headers={"Authorization": f"Bearer {token}"})
    async with graphql_ws(server.ws_url, protocol) as ws:
        refused(protocol, await ws.init({"Authorization": f"Bearer {token}"}),
                "Session has ended")
    assert services.broker.subscriber_count(user_topic(user.id)) == 0


async def test_nothing_runs_before_connection_init(protocol, server, services, client, user):
    token = await access_token(client, user.email)
    async with graphql_ws(server.ws_url, protocol,
                          headers={"Authorization": f"Bearer {token}"}) as ws:
        await ws.subscribe("1", VIEWER_EVENTS)
        assert await ws.receive() == Closed(4401, "Unauthorized")
    assert services.broker.subscriber_count(user_topic(user.id)) == 0


async def test_silent_connection_times_out(protocol, server, client):
    # The test server gives connection_init two seconds.
    async with graphql_ws(server.ws_url, protocol) as ws:
        assert await ws.receive(within=5) == Closed(4408, "Connection initialisation timeout")


async def test_anonymous_subscriber_gets_unauthenticated(protocol, server, client):
    async with graphql_ws(server.ws_url, protocol) as ws:
        assert (await ws.init())["type"] == "connection_ack"
        await ws.subscribe("1", VIEWER_EVENTS)
        result = await ws.next_payload("1")
    assert result["errors"][0]["message"] == "Not authenticated"
    assert result["errors"][0]["extensions"] == {"code": "UNAUTHENTICATED"}


async def test_cookie_authenticates_the_connection(protocol, server, services, client, user):
    await ol_login(client, user.email)
    cookie = f"access_token={client.cookies['access_token']}"
    async with graphql_ws(server.ws_url, protocol, headers={"Cookie": cookie}) as ws:
        assert (await ws.init())["type"] == "connection_ack"
        await ws.subscribe("1", VIEWER_EVENTS)
        await until_subscribed(services, user)
        await client.post("/api/auth/api-key", json={"api_key": "sk-ant-cookie-wxyz"})
        assert await ws.next_data("1") == event("ANTHROPIC_KEY_SET", "sk-...wxyz")


async def test_foreign_origins_are_refused_unless_allowed(protocol, client, user,
                                                        database_url):
    await ol_login(client, user.email)
    cookie = f"access_token={client.cookies['access_token']}"
    instance = await start_instance(database_url, allowed_origins=("https://app.example",))
    try:
        # A page elsewhere cannot ride on the visitor's cookie.
        with pytest.raises(InvalidStatus) as refused_handshake:
            async with graphql_ws(instance.ws_url, protocol,
                                  headers={"Cookie": cookie, "Origin": "https://evil.example"}):
                pass
        assert refused_handshake.value.response.status_code == 403

        for origin in ("https://app.example", instance.base_url):
            async with graphql_ws(instance.ws_url, protocol,
                                  headers={"Cookie": cookie, "Origin": origin}) as ws:
                assert (await ws.init())["type"] == "connection_ack"
                await ws.subscribe("1", VIEWER_EVENTS)
                await until_subscribed(instance.app.state.services, user)
                await ws.stop("1")
                await until_subscribed(instance.app.state.services, user, count=0)
    finally:
        await instance.stop()


async def test_a_page_let_in_by_any_origin_does_not_ride_on_the_cookie(protocol, client, user,
                                                                     database_url):
    await ol_login(client, user.email)
    cookie = f"access_token={client.cookies['access_token']}"
    instance = await start_instance(database_url, allowed_origins=("*",))
    try:
        async with graphql_ws(instance.ws_url, protocol,
                              headers={"Cookie": cookie, "Origin": "https://any.example"}) as ws:
            assert (await ws.init())["type"] == "connection_ack"
            await ws.subscribe("1", VIEWER_EVENTS)
            refused = await ws.next_payload("1")
        assert refused["errors"][0]["extensions"] == {"code": "UNAUTHENTICATED"}
        # This server's own pages still sign in with it.
        async with graphql_ws(instance.ws_url, protocol,
                              headers={"Cookie": cookie, "Origin": instance.base_url}) as ws:
            assert (await ws.init())["type"] == "connection_ack"
            await ws.subscribe("1", VIEWER_EVENTS)
            await until_subscribed(instance.app.state.services, user)
    finally:
        await instance.stop()


async def test_events_cross_instances(protocol, server, services, client, user, database_url):
    other = await start_instance(database_url)
    try:
        token = await access_token(client, user.email)
        async with graphql_ws(other.ws_url, protocol) as ws:
            assert (await ws.init({"Authorization": f"Bearer {token}"}))["type"] == \
                "connection_ack"
            await ws.subscribe("1", VIEWER_EVENTS)
            await until_subscribed(other.app.state.services, user)
            # The mutation runs on the first instance; the subscriber is on the other.
            await gql(client, SET_KEY, {"key": "sk-ant-elsewhere-9876"},
                      headers={"Authorization": f"Bearer {token}"})
            assert await ws.next_data("1") == event("ANTHROPIC_KEY_SET", "sk-...9876")
    finally:
        await other.stop()


async def test_subscriptions_per_connection_are_capped(protocol, client, user, database_url):
    capped = await start_instance(database_url, graphql_max_subscriptions_per_connection=2)
    try:
        token = await access_token(client, user.email)
        async with graphql_ws(capped.ws_url, protocol) as ws:
            await ws.init({"Authorization": f"Bearer {token}"})
            await ws.subscribe("1", VIEWER_EVENTS)
            await ws.subscribe("2", VIEWER_EVENTS)
            await until_subscribed(capped.app.state.services, user, count=2)
            await ws.subscribe("3", VIEWER_EVENTS)
            result = await ws.next_payload("3")
            assert result["errors"][0]["message"] == "Subscription limit reached"
            # Stopping one frees a slot.
            await ws.stop("1")
            await until_subscribed(capped.app.state.services, user, count=1)
            await ws.subscribe("4", VIEWER_EVENTS)
            await until_subscribed(capped.app.state.services, user, count=2)
    finally:
        await capped.stop()

