"""GraphQL for prompt management (Langfuse-style versioned prompts)."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from enum import Enum
from typing import Annotated

import strawberry
from strawberry import relay
from strawberry.scalars import JSON
from strawberry.types import Info

from core.errors import Validation
from core.pagination import page_size
from loaders.prompts import DependenciesByPromptIdLoader
from loaders.user import UserByIdLoader
from models.prompts import Prompt as PromptModel
from resolvers import prompts
from resolvers.pages import offset_after, page_at_offset
from resolvers.prompts import PromptGroup as GroupRow
from resolvers.prompts import PromptView
from schema.input_bounds import long_text
from schema.pages import Connection, connection, ids_or_none
from schema.user import User

PromptName = Annotated[str, strawberry.argument(description="The prompt's name.")]


@strawberry.enum(description="How a prompt is meant to be used.")
class PromptType(Enum):
    TEXT = strawberry.enum_value("text", description="One text prompt.")
    CHAT = strawberry.enum_value("chat", description="A list of chat messages, each with a role.")


@strawberry.type(description="A reference from one prompt to another, by label or version.")
class PromptDependency:
    child_name: str = strawberry.field(description="The referenced prompt's name.")
    child_version: int | None = strawberry.field(description="The pinned version, if any.")
    child_label: str | None = strawberry.field(description="The referenced label, if any.")


@strawberry.type(description="One version of a named prompt.")
class Prompt(relay.Node):
    id: relay.NodeID[int]
    number: int = strawberry.field(description="The integer id the course platform shows.")
    name: str = strawberry.field(description="The prompt's name, shared by its versions.")
    version: int = strawberry.field(description="The version number within the name.")
    type: PromptType = strawberry.field(description="Text or chat prompt.")
    prompt: str = strawberry.field(description="The text as written, with reference tags.")
    config: JSON = strawberry.field(description="Free-form model configuration.")
    labels: list[str] = strawberry.field(description="Labels on this version.")
    tags: list[str] = strawberry.field(description="Tags (the same on every version).")
    commit_message: str | None = strawberry.field(description="Why this version was made.")
    created_at: datetime = strawberry.field(description="When the version was created.")
    updated_at: datetime = strawberry.field(description="When it last changed.")
    _model: strawberry.Private[PromptModel]

    @classmethod
    def from_model(cls, model: PromptModel) -> Prompt:
        return cls(id=model.id, number=model.id, name=model.name, version=model.version,
                   type=PromptType(model.type), prompt=model.prompt, config=model.config,
                   labels=list(model.labels), tags=list(model.tags),
                   commit_message=model.commit_message, created_at=model.created_at,
                   updated_at=model.updated_at, _model=model)

    @strawberry.field(description="Who created this version; null once they are gone.")
    async def creator(self, info: Info) -> User | None:
        if self._model.created_by is None:
            return None
        user = await info.context.loaders.get(UserByIdLoader).load(self._model.created_by)
        return User.from_model(user) if user else None

    @strawberry.field(description="The prompts this version references.")
    async def dependencies(self, info: Info) -> list[PromptDependency]:
        rows = await info.context.loaders.get(DependenciesByPromptIdLoader).load(self.id)
        return [PromptDependency(child_name=r.child_name, child_version=r.child_version,
                                 child_label=r.child_label) for r in rows]

    @classmethod
    async def resolve_nodes(cls, *, info: Info, node_ids: Iterable[str],
                            required: bool = False) -> list[Prompt | None]:
        rows = await prompts.get_many(info.context, ids=ids_or_none(node_ids))
        return [cls.from_model(r) if r else None for r in rows]


@strawberry.type(description="A prompt version with every dependency inlined.")
class ResolvedPrompt:
    prompt: Prompt = strawberry.field(description="The version.")
    resolved_prompt: str = strawberry.field(description="The text with references inlined.")
    resolution_graph: JSON = strawberry.field(
        description="{root: {name, version, id}, dependencies: {parentId: [{name, version, "
                    "id}]}}.")

    @classmethod
    def from_view(cls, view: PromptView) -> ResolvedPrompt:
        return cls(prompt=Prompt.from_model(view.prompt), resolved_prompt=view.resolution.text,
                   resolution_graph=view.resolution.graph)


@strawberry.type(description="All versions of one prompt name, aggregated.")
class PromptGroup:
    name: str = strawberry.field(description="The prompt's name.")
    type: PromptType = strawberry.field(description="The newest version's type.")
    versions: list[int] = strawberry.field(description="Version numbers, ascending.")
    labels: list[str] = strawberry.field(description="Labels on any version, newest first.")
    tags: list[str] = strawberry.field(description="The name's tags.")
    last_updated_at: datetime = strawberry.field(description="When any version last changed.")
    latest_number: int = strawberry.field(description="The newest version's integer id.")

    @classmethod
    def from_row(cls, row: GroupRow) -> PromptGroup:
        return cls(name=row.name, type=PromptType(row.type), versions=row.versions,
                   labels=row.labels, tags=row.tags, last_updated_at=row.last_updated_at,
                   latest_number=row.latest_id)


@strawberry.type(description="A page of prompt names, by name.")
class PromptGroupConnection(Connection[PromptGroup]):
    pass


@strawberry.type(description="A page of a prompt's versions, newest first.")
class PromptConnection(Connection[Prompt]):
    pass


@strawberry.type(description="Unsaved prompt text with dependencies inlined and variables "
                             "filled.")
class PromptPreview:
    rendered_prompt: str = strawberry.field(description="The rendered text.")
    variables_used: list[str] = strawberry.field(description="Variables substituted.")
    dependencies_found: list[PromptDependency] = strawberry.field(
        description="References in the text.")


@strawberry.type
class PromptQuery:
    @strawberry.field(description="A prompt by label (production by default) or version, with "
                                  "its dependencies resolved (instructors and admins).")
    async def prompt(self, info: Info, name: PromptName,
                     version: Annotated[int | None, strawberry.argument(
                         description="This version number (rather than a label).")] = None,
                     label: Annotated[str | None, strawberry.argument(
                         description="The version holding this label; production when "
                                     "neither it nor a version is given.")] = None,
                     ) -> ResolvedPrompt:
        return ResolvedPrompt.from_view(await prompts.get(info.context, name=name,
                                                          version=version, label=label))

    @strawberry.field(description="Prompt names matching the filters, by name (instructors "
                                  "and admins).")
    async def prompts(self, info: Info,
                      name: Annotated[str | None, strawberry.argument(
                          description="Names containing this text, in any case.")] = None,
                      label: Annotated[str | None, strawberry.argument(
                          description="Names with a version holding this label.")] = None,
                      tag: Annotated[str | None, strawberry.argument(
                          description="Names with a version tagged so.")] = None,
                      first: int | None = None,
                      after: str | None = None) -> PromptGroupConnection:
        size, start = page_size(first, None), offset_after(after)
        found = await prompts.get_groups(info.context, name=name, label=label, tag=tag,
                                         offset=start, limit=size)
        return connection(PromptGroupConnection,
                          page_at_offset(found.groups, start, found.total),
                          PromptGroup.from_row)

    @strawberry.field(description="Every version of a prompt, newest first.")
    async def prompt_versions(self, info: Info, name: PromptName, first: int | None = None,
                              after: str | None = None) -> PromptConnection:
        size, start = page_size(first, None), offset_after(after)
        found = await prompts.get_versions(info.context, name=name, offset=start, limit=size)
        return connection(PromptConnection, page_at_offset(found.rows, start, found.total),
                          lambda r: Prompt.from_model(r.prompt))

    @strawberry.field(description="Every label in use: production and latest first.")
    async def prompt_labels(self, info: Info) -> list[str]:
        return await prompts.get_labels(info.context)

    @strawberry.field(description="Resolve the references of unsaved text and fill its "
                                  "{{variables}}; unknown variables stay as written.")
    async def preview_prompt(self, info: Info,
                             prompt_text: Annotated[str, strawberry.argument(
                                 description="The text, with its references and "
                                             "{{variables}}.")],
                             variables: Annotated[JSON | None, strawberry.argument(
                                 description="Values of the {{variables}}, by name (an "
                                             "object).")] = None) -> PromptPreview:
        if variables is not None and not isinstance(variables, dict):
            raise Validation("variables must be an object")
        rendered, used, refs = await prompts.preview(info.context, prompt_text=prompt_text,
                                                     variables=variables or {})
        return PromptPreview(rendered_prompt=rendered, variables_used=used, dependencies_found=[
            PromptDependency(child_name=r.child_name, child_version=r.child_version,
                             child_label=r.child_label) for r in refs])


@strawberry.input(description="A new version of a prompt.")
class CreatePromptInput:
    name: str = strawberry.field(description="The prompt's name.")
    prompt: str = long_text(description="The text, with optional reference tags.")
    type: PromptType = strawberry.field(default=PromptType.TEXT, description="Text or chat.")
    config: JSON | None = strawberry.field(default=None, description="Model configuration.")
    labels: list[str] = strawberry.field(default_factory=list,
                                         description="Labels besides latest.")
    tags: list[str] | None = strawberry.field(
        default=None, description="Tags for every version; omitted keeps the name's tags.")
    commit_message: str | None = strawberry.field(default=None, description="Why.")


@strawberry.input(description="Set a version's labels.")
class SetPromptLabelsInput:
    name: str = strawberry.field(description="The prompt's name.")
    version: int = strawberry.field(description="The version.")
    labels: list[str] = strawberry.field(description="Its labels (latest is automatic).")


@strawberry.input(description="Set the tags of every version of a prompt.")
class UpdatePromptTagsInput:
    name: str = strawberry.field(description="The prompt's name.")
    tags: list[str] = strawberry.field(description="The tags.")


@strawberry.input(description="Delete every version of a prompt.")
class DeletePromptInput:
    name: str = strawberry.field(description="The prompt's name.")


@strawberry.input(description="Delete one version of a prompt.")
class DeletePromptVersionInput:
    name: str = strawberry.field(description="The prompt's name.")
    version: int = strawberry.field(description="The version.")


@strawberry.type(description="A prompt version after a change.")
class PromptPayload:
    prompt: ResolvedPrompt = strawberry.field(description="The version, resolved.")


@strawberry.type(description="The tags after an update.")
class UpdatePromptTagsPayload:
    name: str = strawberry.field(description="The prompt's name.")
    tags: list[str] = strawberry.field(description="Its tags now.")


@strawberry.type(description="What was deleted.")
class DeletePromptPayload:
    name: str = strawberry.field(description="The prompt's name.")
    version: int | None = strawberry.field(description="The version; null for all of them.")


@strawberry.type
class PromptMutation:
    @strawberry.mutation(description="Create a prompt version (instructors and admins).")
    async def create_prompt(self, info: Info, input: CreatePromptInput) -> PromptPayload:
        if input.config is not None and not isinstance(input.config, dict):
            raise Validation("config must be an object")
        view = await prompts.create(info.context, name=input.name, prompt=input.prompt,
                                    type=input.type.value, config=input.config,
                                    labels=input.labels, tags=input.tags,
                                    commit_message=input.commit_message)
        return PromptPayload(prompt=ResolvedPrompt.from_view(view))

    @strawberry.mutation(description="Set a version's labels; each moves off other versions.")
    async def set_prompt_labels(self, info: Info, input: SetPromptLabelsInput) -> PromptPayload:
        view = await prompts.set_labels(info.context, name=input.name, version=input.version,
                                        labels=input.labels)
        return PromptPayload(prompt=ResolvedPrompt.from_view(view))

    @strawberry.mutation(description="Set the tags of every version of a prompt.")
    async def update_prompt_tags(self, info: Info,
                                 input: UpdatePromptTagsInput) -> UpdatePromptTagsPayload:
        tags = await prompts.update_tags(info.context, name=input.name, tags=input.tags)
        return UpdatePromptTagsPayload(name=input.name, tags=tags)

    @strawberry.mutation(description="Delete every version of a prompt (platform admins).")
    async def delete_prompt(self, info: Info, input: DeletePromptInput) -> DeletePromptPayload:
        await prompts.delete_all(info.context, name=input.name)
        return DeletePromptPayload(name=input.name, version=None)

    @strawberry.mutation(description="Delete one version of a prompt (platform admins).")
    async def delete_prompt_version(self, info: Info,
                                    input: DeletePromptVersionInput) -> DeletePromptPayload:
        await prompts.delete_version(info.context, name=input.name, version=input.version)
        return DeletePromptPayload(name=input.name, version=input.version)

