"""The long-lived services of one process, built once at start-up."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Coroutine
from dataclasses import dataclass, field

from core.budget import Ledger
from core.config import Settings
from core.db import Database
from core.gemini import GeminiGateway
from core.jobs import JobWorker, load_handlers
from core.knowledge import knowledge_base
from core.llm import LLMGateway
from core.metrics import Metrics
from core.persisted import PersistedDocuments
from core.pubsub import Broker
from core.storage import LocalStorage
from core.tracing import Tracing

log = logging.getLogger(__name__)


@dataclass
class Services:
    settings: Settings
    db: Database
    broker: Broker
    llm: LLMGateway
    storage: LocalStorage
    jobs: JobWorker | None = field(default=None)
    metrics: Metrics = field(default_factory=Metrics)
    # Persisted and trusted GraphQL documents (built on ``db`` when not given).
    documents: PersistedDocuments = field(default=None)  # type: ignore[assignment]
    # OpenTelemetry, when OTEL_EXPORTER_OTLP_ENDPOINT is set.
    tracing: Tracing | None = None
    # Work a request started but does not wait for (e.g. a streamed model answer).
    background: set[asyncio.Task] = field(default_factory=set)
    # The Gemini proxy of the Codelabs face (built from ``settings`` when not given).
    gemini: GeminiGateway = field(default=None)  # type: ignore[assignment]
    # GraphQL query budgets' points this instance holds to spend (core.budget).
    budgets: Ledger = field(default=None)  # type: ignore[assignment]

    @classmethod
    def build(cls, settings: Settings, *, database_url: str) -> Services:
        db = Database(database_url)
        metrics = Metrics()
        tracing = Tracing.from_settings(settings)
        if tracing is not None:
            tracing.instrument_engine(db.engine)
            db.statements = None  # every statement through the engine, in a span of its own
        return cls(settings=settings, db=db, broker=Broker(db),
                   llm=LLMGateway(settings, metrics=metrics, tracing=tracing, db=db),
                   storage=LocalStorage(settings.data_dir / "files",
                                        public_url=settings.public_url),
                   metrics=metrics, tracing=tracing)

    def __post_init__(self) -> None:
        if self.documents is None:
            self.documents = PersistedDocuments(self.db)
        if self.gemini is None:
            self.gemini = GeminiGateway(self.settings, metrics=self.metrics)
        if self.budgets is None:
            self.budgets = Ledger(self.db)

    async def start(self) -> None:
        # An invalid knowledge base stops start-up with a list of every problem found.
        knowledge_base()
        await self.broker.start()
        if self.settings.jobs_enabled:
            self.jobs = JobWorker(self, handlers=load_handlers(),
                                  concurrency=self.settings.jobs_concurrency,
                                  poll_seconds=self.settings.jobs_poll_seconds,
                                  lease_seconds=self.settings.jobs_lease_seconds)
            await self.jobs.start()

    def spawn(self, work: Coroutine, *, name: str) -> asyncio.Task:
        """Run ``work`` beyond the request that started it, until done or shutdown."""
        task = asyncio.create_task(work, name=name)
        self.background.add(task)
        task.add_done_callback(self._finished)
        return task

    def _finished(self, task: asyncio.Task) -> None:
        self.background.discard(task)
        if not task.cancelled() and task.exception() is not None:
            log.error("background task %s failed", task.get_name(), exc_info=task.exception())

    async def stop(self) -> None:
        for task in list(self.background):
            task.cancel()
        for task in list(self.background):
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await task
        if self.jobs is not None:
            await self.jobs.stop()
            self.jobs = None
        await self.broker.stop()
        await self.llm.aclose()
        await self.gemini.aclose()
        with contextlib.suppress(Exception):  # a database already gone keeps them
            await self.budgets.release()
        await self.db.dispose()
        if self.tracing is not None:
            await self.tracing.shutdown()
