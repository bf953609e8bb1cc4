"""An instance of the app with a deployment Anthropic key (the fake server's), for the
reading platform's LLM work; the shared test server has no key."""

from __future__ import annotations

import pytest

from tests.fixtures import start_instance

LLM_KEY = "sk-ant-reading-platform-test"


@pytest.fixture(scope="session")
async def llm_server(database_url, fake_anthropic, server):
    running = await start_instance(database_url, anthropic_base_url=fake_anthropic.base_url,
                                   anthropic_api_key=LLM_KEY)
    yield running
    await running.stop()


@pytest.fixture
async def llm_client(llm_server, client, new_client):
    """A client of the keyed instance (on the clean database ``client`` prepared)."""
    http = new_client()
    http.base_url = llm_server.base_url
    return http


@pytest.fixture(scope="session")
def fake_stripe():
    from tests.fakes.stripe_server import FakeStripe

    with FakeStripe() as fake:
        yield fake


@pytest.fixture(scope="session")
async def stripe_server(database_url, fake_stripe, server):
    """An instance with Stripe configured (the fake's API, key, webhook secret, prices)."""
    running = await start_instance(database_url, **fake_stripe.overrides())
    yield running
    await running.stop()


@pytest.fixture
async def stripe_client(stripe_server, client, new_client, fake_stripe):
    """A client of the Stripe-configured instance (on the clean database of ``client``)."""
    fake_stripe.reset()
    http = new_client()
    http.base_url = stripe_server.base_url
    return http
