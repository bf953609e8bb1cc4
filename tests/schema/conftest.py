"""Fixtures of the planned-reads tests."""

from __future__ import annotations

import pytest

from tests.fixtures import start_instance


@pytest.fixture(scope="session")
async def general_instance(database_url):
    running = await start_instance(database_url, graphql_planned_reads=False,
                                   jobs_enabled=False)
    yield running
    await running.stop()


@pytest.fixture
def general(general_instance, clean_db):
    """A second instance on the same database that answers every read through the general
    executor, to compare the planned answers with: one per test process, as ``server`` is,
    its spare query-budget points dropped with the rows they were taken from."""
    general_instance.app.state.services.budgets.forget()
    return general_instance
