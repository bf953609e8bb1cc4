"""An app instance for the property-based run, served from a thread of its own.

Schemathesis calls are synchronous, so the app cannot live on the test event loop
(which only runs inside async tests): it gets its own loop in a thread, its own
fresh database and a platform admin whose credentials every signed-in case uses.
"""

from __future__ import annotations

import asyncio
import threading
from concurrent.futures import Future

from sqlalchemy import select

from core.auth.viewer import ACCESS_COOKIE, ROLE_PLATFORM_ADMIN
from models.user import User
from tests.conftest import fresh_database
from tests.fakes.github_server import FakeGitHub
from tests.fakes.stripe_server import FakeStripe
from tests.fixtures import bearer_for, create_user, start_instance
from tests.fuzz.llm import SchemaAnsweringFake

ADMIN_EMAIL = "fuzz-admin@example.com"



class FuzzServer:
    """``with FuzzServer(pg_url) as server``: serves until the block ends."""

    def __init__(self, pg_server_url: str) -> None:
        self._pg_server_url = pg_server_url
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever, name="fuzz-server",
                                        daemon=True)
        self.base_url = ""

    def __enter__(self) -> FuzzServer:
        self._database = fresh_database(self._pg_server_url, prefix="learngraph_fuzz")
        url = self._database.__enter__()
        # Fakes of its own: nothing another test scripted into the shared ones (an
        # error reply, a key it wants) can reach a generated case.
        self._github = FakeGitHub().start()
        self._stripe = FakeStripe().start()
        self._llm = SchemaAnsweringFake()
        self._llm.start()
        self._thread.start()
        try:
            # Every upstream configured and answering: GitHub sign-in, the LLM with a
            # key and through Bedrock, Stripe checkout all go to the local fakes.
            # Its hundreds of cases share one address and one admin: no hourly budget
            # (tests/core/test_query_budgets.py covers budgets).
            self._running = self._run(start_instance(
                url, graphql_budget=0,
                anthropic_base_url=self._llm.base_url, anthropic_api_key="sk-fuzz",
                bedrock_base_url=self._llm.base_url, **self._github.overrides(),
                **self._stripe.overrides()))
            self.base_url = self._running.base_url
        except BaseException:
            self._stop_loop()
            self._stop_fakes()
            self._database.__exit__(None, None, None)
            raise
        return self

    def __exit__(self, *exc) -> None:
        try:
            self._run(self._running.stop())
        finally:
            self._stop_loop()
            self._stop_fakes()
            self._database.__exit__(None, None, None)

    @property
    def llm_answers_made_up(self) -> int:
        return self._llm.made_up

    def credentials(self) -> tuple[dict[str, str], dict[str, str]]:
        """Headers and cookies of a new session of the admin (recreated if a case removed it)."""
        headers = self._run(self._admin_headers())
        token = headers["Authorization"].removeprefix("Bearer ")
        return headers, {ACCESS_COOKIE: token}

    async def _admin_headers(self) -> dict[str, str]:
        services = self._running.app.state.services
        async with services.db.transaction() as session:
            admin = (await session.execute(
                select(User).where(User.email == ADMIN_EMAIL))).scalar_one_or_none()
            if admin is not None and (not admin.is_active or admin.roles != [ROLE_PLATFORM_ADMIN]):
                admin.is_active, admin.roles = True, [ROLE_PLATFORM_ADMIN]
        if admin is None:
            admin = await create_user(services, email=ADMIN_EMAIL, display_name="Fuzz admin",
                                      roles=[ROLE_PLATFORM_ADMIN])
        return await bearer_for(services, admin)

    def _run(self, coro):
        future: Future = asyncio.run_coroutine_threadsafe(coro, self._loop)
        return future.result(60)

    def _stop_fakes(self) -> None:
        self._github.stop()
        self._stripe.stop()
        self._llm.stop()

    def _stop_loop(self) -> None:
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(10)
        self._loop.close()
