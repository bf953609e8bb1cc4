"""The long-lived services of one process, built once at start-up."""

from __future__ import annotations

from dataclasses import dataclass, field

from core.config import Settings
from core.db import Database
from core.jobs import JobWorker, load_handlers
from core.knowledge import knowledge_base
from core.llm import LLMGateway
from core.pubsub import Broker
from core.storage import LocalStorage


@dataclass
class Services:
    settings: Settings
    db: Database
    broker: Broker
    llm: LLMGateway
    storage: LocalStorage
    jobs: JobWorker | None = field(default=None)

    @classmethod
    def build(cls, settings: Settings, *, database_url: str) -> Services:
        db = Database(database_url)
        return cls(settings=settings, db=db, broker=Broker(db), llm=LLMGateway(settings),
                   storage=LocalStorage(settings.data_dir / "files",
                                        public_url=settings.public_url))

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

    async def stop(self) -> None:
        if self.jobs is not None:
            await self.jobs.stop()
            self.jobs = None
        await self.broker.stop()
        await self.llm.aclose()
        await self.db.dispose()
