"""Performance workspaces: the LLM drafts a title, a root topic and assessable blocks
from an initial prompt and files; organization members and guests read them.

Who may read a workspace: a platform admin; anyone of its organization (members,
admins and guests alike, as the contract has it); its owner when it belongs to
no organization. Anyone else gets WORKSPACE_NOT_FOUND, so ids do not leak.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Any

from pydantic import BaseModel, Field, model_validator
from sqlalchemy import false, or_, select, true

from core.auth import secrets_box
from core.auth.viewer import Viewer
from core.context import Context
from core.errors import NotFound, Unauthenticated, Validation
from core.planning import VIEWER_ID, viewer_params
from models.organization import OrganizationMember
from models.user import UserSecret
from models.workspace import Workspace, WorkspaceBlock, WorkspaceFile
from resolvers import organization, uploads
from resolvers.auth import ANTHROPIC_KEY

MAX_PROMPT_CHARS = 10_000
MAX_FILES = 5
MAX_TEXT_FILE_CHARS = 50_000
WORKSPACE_TYPES = frozenset({"application/pdf", "text/plain", "text/markdown", "image/jpeg",
                             "image/png", "image/webp"})

SYSTEM = """You design performance workspaces: a short, concrete learning goal broken into \
assessable blocks a learner can demonstrate one at a time. From the request (and any files), \
write a title (at most 80 characters), the root topic in one sentence, and 3 to 8 blocks, \
each with a title and a one- or two-sentence description of what the learner must show. \
Exactly one block is the start: the one to attempt first. Answer with the tool."""


class WorkspaceNotFound(NotFound):
    code = "WORKSPACE_NOT_FOUND"


class DraftBlock(BaseModel):
    title: str = Field(min_length=1, max_length=200)
    description: str = Field(default="", max_length=2000)
    is_start: bool = False


class WorkspaceDraft(BaseModel):
    """What the model must return: validated before anything is stored."""

    title: str = Field(min_length=1, max_length=200)
    root_topic: str = Field(min_length=1, max_length=2000)
    blocks: list[DraftBlock] = Field(min_length=1, max_length=12)

    @model_validator(mode="after")
    def one_start(self) -> WorkspaceDraft:
        if sum(b.is_start for b in self.blocks) != 1:
            raise ValueError("exactly one block must have is_start = true")
        return self


@dataclass(frozen=True)
class FileInput:
    name: str
    mime_type: str
    data: str  # base64


@dataclass(frozen=True)
class CreatedWorkspace:
    workspace: Workspace
    blocks: list[WorkspaceBlock]
    files: list[WorkspaceFile]


def _require_principal(ctx: Context) -> None:
    if ctx.viewer.user_id is None and ctx.viewer.guest_id is None:
        raise Unauthenticated("Not authenticated")


async def llm_key(ctx: Context, organization_id: uuid.UUID | None,
                  owner_user_id: uuid.UUID | None = None) -> str | None:
    """The Anthropic key for agent work: the viewer's own (or the workspace owner's), else
    one an admin of the organization stored; None falls back to the deployment's key."""
    async with ctx.db.session() as session:
        owners = [u for u in (ctx.viewer.user_id, owner_user_id) if u is not None]
        if organization_id is not None:
            owners += list((await session.execute(select(OrganizationMember.user_id).where(
                OrganizationMember.organization_id == organization_id,
                OrganizationMember.is_admin.is_(True)))).scalars())
        for owner in owners:
            row = await session.get(UserSecret, (owner, ANTHROPIC_KEY))
            if row is not None:
                return secrets_box.decrypt(ctx.settings.secret_key, row.ciphertext)
    return None


def _content(prompt: str, files: list[uploads.Upload]) -> list[dict[str, Any]]:
    content: list[dict[str, Any]] = []
    for upload in files:
        if upload.mime_type.startswith("image/"):
            content.append({"type": "image", "source": {
                "type": "base64", "media_type": upload.mime_type, "data": upload.encoded}})
        elif upload.mime_type == "application/pdf":
            content.append({"type": "document", "source": {
                "type": "base64", "media_type": "application/pdf", "data": upload.encoded}})
        else:
            text = upload.data.decode("utf-8")[:MAX_TEXT_FILE_CHARS]
            content.append({"type": "text", "text": f"File {upload.name[:255]}:\n{text}"})
    content.append({"type": "text", "text": f"Request: {prompt}"})
    return content


async def create(ctx: Context, *, initial_prompt: str, files: list[FileInput]) -> CreatedWorkspace:
    """Draft a workspace with the LLM and store it with its blocks and files."""
    _require_principal(ctx)
    prompt = initial_prompt.strip()
    if not 1 <= len(prompt) <= MAX_PROMPT_CHARS:
        raise Validation(f"initial_prompt must be 1 to {MAX_PROMPT_CHARS} characters",
                         details={"field": "initial_prompt"})
    if len(files) > MAX_FILES:
        raise Validation(f"At most {MAX_FILES} files", details={"field": "files"})
    decoded = [await uploads.decode(field=f"files[{i}]", name=f.name[:255],
                                    mime_type=f.mime_type, encoded=f.data,
                                    allowed=WORKSPACE_TYPES) for i, f in enumerate(files)]
    membership = await organization.get_membership(ctx)
    org_id = membership.organization.id if membership else None
    draft = await ctx.llm.complete_structured(
        api_key=await llm_key(ctx, org_id), system=SYSTEM,
        messages=[{"role": "user", "content": _content(prompt, decoded)}],
        output=WorkspaceDraft, tool_name="draft_workspace",
        description="The workspace's title, root topic and assessable blocks.")
    workspace = Workspace(id=uuid.uuid4(), organization_id=org_id,
                          owner_user_id=ctx.viewer.user_id, guest_user_id=ctx.viewer.guest_id,
                          title=draft.title.strip()[:200], root_topic=draft.root_topic.strip(),
                          initial_prompt=prompt)
    blocks = [WorkspaceBlock(workspace_id=workspace.id, position=i, title=b.title.strip(),
                             description=b.description.strip(), is_start=b.is_start)
              for i, b in enumerate(draft.blocks)]
    stored = []
    for upload in decoded:
        file_id = uuid.uuid4()
        key = f"workspaces/{workspace.id}/{file_id}"
        await ctx.storage.save(key, upload.data)
        stored.append(WorkspaceFile(id=file_id, workspace_id=workspace.id, name=upload.name,
                                    mime_type=upload.mime_type, size_bytes=len(upload.data),
                                    storage_key=key))
    async with ctx.db.transaction() as session:
        session.add(workspace)
        await session.flush()
        session.add_all([*blocks, *stored])
    return CreatedWorkspace(workspace=workspace, blocks=blocks, files=stored)


def read_id(value: str) -> uuid.UUID:
    """A workspace, block, link or guest id argument as the agent API reads it (its
    first 64 characters; ValueError when they are not a UUID)."""
    return uuid.UUID(str(value)[:64])


def visible_rule(viewer: Viewer):
    """Who may read a workspace (see the module's docstring), as a SQL condition on the
    workspaces table, for the resolvers and planned reads alike."""
    if viewer.is_admin:
        return true()
    rules = []
    if viewer.user_id is not None:
        rules.append(Workspace.organization_id.is_(None)
                     & (Workspace.owner_user_id == VIEWER_ID))
    organization_id = organization.viewer_organization(viewer)
    if organization_id is not None:
        rules.append(Workspace.organization_id == organization_id)
    return or_(*rules) if rules else false()


BLOCK_ORDER = (WorkspaceBlock.position, WorkspaceBlock.id)


async def get_or_raise(ctx: Context, *, workspace_id: uuid.UUID) -> Workspace:
    """The workspace if the viewer may read it, else WORKSPACE_NOT_FOUND."""
    _require_principal(ctx)
    async with ctx.db.session() as session:
        workspace = (await session.execute(select(Workspace).where(
            Workspace.id == workspace_id, visible_rule(ctx.viewer)),
            viewer_params(ctx.viewer))).scalar_one_or_none()
    if workspace is None:
        raise WorkspaceNotFound("Workspace not found")
    return workspace


async def get_blocks(ctx: Context, *, workspace_id: uuid.UUID) -> list[WorkspaceBlock]:
    """The workspace's blocks in order (``BLOCK_ORDER``)."""
    await get_or_raise(ctx, workspace_id=workspace_id)
    async with ctx.db.session() as session:
        return list((await session.execute(select(WorkspaceBlock).where(
            WorkspaceBlock.workspace_id == workspace_id).order_by(*BLOCK_ORDER))).scalars())


async def get_all(ctx: Context, *, limit: int = 100) -> list[Workspace]:
    """The workspaces the viewer may read, newest first."""
    _require_principal(ctx)
    async with ctx.db.session() as session:
        return list((await session.execute(select(Workspace).where(
            visible_rule(ctx.viewer)).order_by(Workspace.created_at.desc(), Workspace.id)
            .limit(limit), viewer_params(ctx.viewer))).scalars())
