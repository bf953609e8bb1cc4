"""GraphQL for performance workspaces and their blocks (the OpenLesson face's
``/workspaces`` routes call the same resolvers, with the same scopes)."""

from __future__ import annotations

import uuid
from datetime import datetime

import strawberry
from strawberry.types import Info

from core.auth.api_keys import WORKSPACES_READ, WORKSPACES_WRITE
from core.errors import Validation
from models.workspace import Workspace as WorkspaceModel
from models.workspace import WorkspaceBlock as BlockModel
from models.workspace import WorkspaceFile as FileModel
from resolvers import workspace as workspaces
from resolvers.uploads import MAX_BASE64_LENGTH
from schema.input_bounds import MAX_LENGTH
from schema.permissions import agent


@strawberry.type(description="A performance workspace: a learning goal with assessable blocks.")
class Workspace:
    id: strawberry.ID = strawberry.field(description="The workspace's UUID.")
    title: str = strawberry.field(description="Its title, drafted by the model.")
    root_topic: str = strawberry.field(description="The topic it assesses.")
    status: str = strawberry.field(description="`active`.")
    created_at: datetime = strawberry.field(description="When it was created.")

    @classmethod
    def from_model(cls, w: WorkspaceModel) -> Workspace:
        return cls(id=strawberry.ID(str(w.id)), title=w.title, root_topic=w.root_topic,
                   status=w.status, created_at=w.created_at)


@strawberry.type(description="One assessable step of a workspace.")
class WorkspaceBlock:
    id: strawberry.ID = strawberry.field(description="The block's UUID.")
    title: str = strawberry.field(description="What the learner demonstrates.")
    description: str = strawberry.field(description="How, in a sentence or two.")
    is_start: bool = strawberry.field(description="Whether it is the block to start with.")
    status: str = strawberry.field(description="`available`.")

    @classmethod
    def from_model(cls, b: BlockModel) -> WorkspaceBlock:
        return cls(id=strawberry.ID(str(b.id)), title=b.title, description=b.description,
                   is_start=b.is_start, status=b.status)


@strawberry.type(description="A file given when the workspace was created.")
class WorkspaceFile:
    id: strawberry.ID = strawberry.field(description="The file's UUID.")
    name: str = strawberry.field(description="Its name.")
    mime_type: str = strawberry.field(description="Its checked MIME type.")
    size_bytes: int = strawberry.field(description="Its size.")

    @classmethod
    def from_model(cls, f: FileModel) -> WorkspaceFile:
        return cls(id=strawberry.ID(str(f.id)), name=f.name, mime_type=f.mime_type,
                   size_bytes=f.size_bytes)


@strawberry.input(description="A file for the model to read: PDF, text, markdown, JPEG, PNG "
                              "or WebP, at most 10 MB.")
class WorkspaceFileInput:
    name: str = strawberry.field(description="File name.")
    mime_type: str = strawberry.field(description="Its MIME type (checked against the bytes).")
    data: str = strawberry.field(
        description="Its content, base64 (≤ 10 MB decoded; the request itself is bounded by "
                    "the server's body limit).", metadata={MAX_LENGTH: MAX_BASE64_LENGTH})


@strawberry.input(description="A new workspace.")
class CreateWorkspaceInput:
    initial_prompt: str = strawberry.field(description="What the learner should be able to do.")
    files: list[WorkspaceFileInput] = strawberry.field(
        default_factory=list, description="At most 5 files.")


@strawberry.type(description="The workspace the model drafted, with its blocks and files.")
class CreateWorkspacePayload:
    workspace: Workspace
    blocks: list[WorkspaceBlock]
    files: list[WorkspaceFile]


def parse_uuid_id(value: str, field: str) -> uuid.UUID:
    try:
        return workspaces.read_id(value)
    except ValueError:
        raise Validation(f"Invalid {field}", details={"field": field}) from None


@strawberry.type
class WorkspaceQuery:
    @strawberry.field(description="A workspace's blocks, in order (needs `workspaces:read`).",
                      extensions=agent(WORKSPACES_READ))
    async def workspace_blocks(self, info: Info,
                               workspace_id: strawberry.ID) -> list[WorkspaceBlock]:
        blocks = await workspaces.get_blocks(
            info.context, workspace_id=parse_uuid_id(workspace_id, "workspaceId"))
        return [WorkspaceBlock.from_model(b) for b in blocks]

    @strawberry.field(description="A workspace you may read (needs `workspaces:read`).",
                      extensions=agent(WORKSPACES_READ))
    async def workspace(self, info: Info, id: strawberry.ID) -> Workspace:
        found = await workspaces.get_or_raise(info.context,
                                              workspace_id=parse_uuid_id(id, "id"))
        return Workspace.from_model(found)


@strawberry.type
class WorkspaceMutation:
    @strawberry.mutation(description="Create a performance workspace: the model drafts its "
                                     "title, root topic and blocks (needs `workspaces:write`).",
                         extensions=agent(WORKSPACES_WRITE))
    async def create_workspace(self, info: Info,
                               input: CreateWorkspaceInput) -> CreateWorkspacePayload:
        made = await workspaces.create(info.context, initial_prompt=input.initial_prompt, files=[
            workspaces.FileInput(name=f.name, mime_type=f.mime_type, data=f.data)
            for f in input.files])
        return CreateWorkspacePayload(workspace=Workspace.from_model(made.workspace),
                                      blocks=[WorkspaceBlock.from_model(b) for b in made.blocks],
                                      files=[WorkspaceFile.from_model(f) for f in made.files])
