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
