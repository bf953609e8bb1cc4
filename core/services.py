"""The long-lived services of one process, built once at start-up."""

from __future__ import annotations

from dataclasses import dataclass

from core.config import Settings
from core.db import Database
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

    async def stop(self) -> None:
        await self.broker.stop()
        await self.llm.aclose()
        await self.db.dispose()
