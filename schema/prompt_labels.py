"""GraphQL for the history of prompt labels and their removal (``resolvers/prompt_labels.py``,
``resolvers/prompts.py``)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

import strawberry
from strawberry.types import Info

from core.pagination import page_size
from loaders.user import UserByIdLoader
from models.prompts import PromptLabelEvent as EventModel
from resolvers import prompt_labels, prompts
from resolvers.pages import offset_after, page_at_offset
from schema.pages import Connection, connection
from schema.prompts import PromptName
from schema.user import User


@strawberry.type(description="One move of a prompt label: onto a version (from another, or "
                             "new to the name), or off the name (removed).")
class PromptLabelEvent:
    label: str = strawberry.field(description="The label.")
    from_version: int | None = strawberry.field(
        description="The version it was on; null when the name did not have it.")
    to_version: int | None = strawberry.field(
        description="The version it moved to; null when it was removed.")
    changed_at: datetime = strawberry.field(description="When.")
    _actor_id: strawberry.Private[object]

    @classmethod
    def from_model(cls, model: EventModel) -> PromptLabelEvent:
        return cls(label=model.label, from_version=model.from_version,
                   to_version=model.to_version, changed_at=model.created_at,
                   _actor_id=model.actor_id)

    @strawberry.field(description="Who made the change; null once they are gone.")
    async def changed_by(self, info: Info) -> User | None:
        if self._actor_id is None:
            return None
        user = await info.context.loaders.get(UserByIdLoader).load(self._actor_id)
        return User.from_model(user) if user else None


@strawberry.type(description="A page of a prompt's label history, newest first.")
class PromptLabelEventConnection(Connection[PromptLabelEvent]):
    pass


@strawberry.type(description="A label taken off a prompt.")
class RemovePromptLabelPayload:
    name: str = strawberry.field(description="The prompt's name.")
    label: str = strawberry.field(description="The label removed.")
    removed_from_version: int = strawberry.field(description="The version that carried it.")


@strawberry.input(description="Take a label (not latest) off a prompt.")
class RemovePromptLabelInput:
    name: str = strawberry.field(description="The prompt's name.")
    label: str = strawberry.field(description="The label; production needs a platform admin.")


@strawberry.type
class PromptLabelQuery:
    @strawberry.field(description="Every move and removal of a prompt's labels (or of one "
                                  "label), newest first (instructors and admins).")
    async def prompt_label_history(self, info: Info, name: PromptName,
                                   label: Annotated[str | None, strawberry.argument(
                                       description="Only this label's moves.")] = None,
                                   first: int | None = None,
                                   after: str | None = None) -> PromptLabelEventConnection:
        size, start = page_size(first, None), offset_after(after)
        found = await prompt_labels.get_history(info.context, name=name, label=label,
                                                offset=start, limit=size)
        return connection(PromptLabelEventConnection,
                          page_at_offset([e.event for e in found.events], start, found.total),
                          PromptLabelEvent.from_model)


@strawberry.type
class PromptLabelMutation:
    @strawberry.mutation(description="Take a label other than latest off a prompt; removing "
                                     "production needs a platform admin, and a label other "
                                     "prompts depend on cannot be removed.")
    async def remove_prompt_label(self, info: Info,
                                  input: RemovePromptLabelInput) -> RemovePromptLabelPayload:
        version = await prompts.remove_label(info.context, name=input.name, label=input.label)
        return RemovePromptLabelPayload(name=input.name, label=input.label,
                                        removed_from_version=version)
