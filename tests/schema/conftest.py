"""Fixtures of the planned-reads tests."""

from __future__ import annotations

import pytest

from tests.fixtures import start_instance


@pytest.fixture
async def general(database_url):
    """A second instance on the same database that answers every read through the general
    executor, to compare the planned answers with."""
    running = await start_instance(database_url, graphql_planned_reads=False,
                                   jobs_enabled=False)
    yield running
    await running.stop()
