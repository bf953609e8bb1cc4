"""The per-request (or per-connection) context handed to every resolver.

It carries the services, the Viewer and a fresh DataLoader registry. Resolvers
read only these; the HTTP request and response ride along for the schema and
face layers (cookies), never for business logic.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property
from typing import Any

from core.auth.viewer import ANONYMOUS, Viewer
from core.config import Settings
from core.db import Database
from core.llm import BoundGateway
from core.loading import Loaders
from core.pubsub import Broker
from core.services import Services
from core.storage import LocalStorage


@dataclass
class Context:
    services: Services
    viewer: Viewer = ANONYMOUS
    request_id: str = ""
    client_ip: str = "unknown"
    user_agent: str | None = None
    # HTTP attachments, for the schema and face layers only.
    request: Any = None
    response: Any = None
    connection_params: dict | None = None
    # Why the request's bearer credential was refused (it is then served as anonymous
    # where a face allows that; GraphQL refuses the operation, see schema/auth_check.py).
    credential_error: str | None = None
    # What the running operation took from the viewer's query budget (core.budget).
    budget: Any = None

    @cached_property
    def loaders(self) -> Loaders:
        """This request's DataLoaders, made when first asked for (a planned read, which
        answers from one statement, never asks)."""
        return Loaders(self.services.db)

    @property
    def settings(self) -> Settings:
        return self.services.settings

    @property
    def db(self) -> Database:
        return self.services.db

    @property
    def broker(self) -> Broker:
        return self.services.broker

    @property
    def llm(self) -> BoundGateway:
        """The LLM gateway, its calls accounted to the viewer's user."""
        return self.services.llm.for_user(self.viewer.user_id)

    @property
    def storage(self) -> LocalStorage:
        return self.services.storage
