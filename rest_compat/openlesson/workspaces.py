"""``POST /api/v2/agent/workspaces`` and ``GET …/workspaces/{workspace_id}/blocks``.

Choices where the reference is silent:
- ``initial_prompt`` is 1–10,000 characters; ``files`` at most 5, each
  ``{"name" (≤ 255), "mime_type", "data" (base64)}``; a file whose bytes are not
  what its MIME type says (magic numbers; UTF-8 for text) is ``400
  validation_error``. The request body may be as large as five such files
  in base64 (other agent routes take at most 256 KB; evidence one file).
- The model drafts the title, root topic and 3–8 blocks (exactly one
  ``is_start``) through a tool call validated against a schema; an answer that
  still does not fit after one correction is ``502 llm_invalid_answer`` and
  nothing is stored. Without any Anthropic key (the caller's, an org admin's,
  or the deployment's) the answer is ``400 no_api_key``.
- A workspace belongs to the caller's organization (a guest's: the guest's
  organization, tagged with ``guest_user_id``); a Teams user outside any
  organization owns it alone. ``files`` in the answer lists
  ``{"id", "name", "mime_type", "size_bytes", "created_at"}``.
- Blocks are listed in the order the model gave them. A workspace the caller
  may not read is ``404 workspace_not_found``, the same as one that does not
  exist; a malformed id is ``400 validation_error``.
"""

from __future__ import annotations

import uuid
from typing import Any

from pydantic import Field
from starlette.responses import Response

from core.auth.api_keys import WORKSPACES_READ, WORKSPACES_WRITE
from models.workspace import Workspace, WorkspaceBlock, WorkspaceFile
from resolvers import workspace as workspaces
from rest_compat.base import FaceRequest, JSONResponse, Route, iso
from rest_compat.openlesson.rules import FIVE_FILES_BODY, agent
from rest_compat.openlesson.shapes import Body, created


class FileBody(Body):
    name: str = Field(min_length=1, max_length=255)
    mime_type: str = Field(min_length=1, max_length=100)
    data: str = Field(min_length=1)


class WorkspaceCreate(Body):
    initial_prompt: str = Field(min_length=1, max_length=10_000)
    files: list[FileBody] = Field(default_factory=list, max_length=5)


class WorkspacePath(Body):
    workspace_id: uuid.UUID


def render_workspace(workspace: Workspace) -> dict[str, Any]:
    return {"id": str(workspace.id), "title": workspace.title,
            "root_topic": workspace.root_topic, "status": workspace.status,
            "created_at": iso(workspace.created_at)}


def render_block(block: WorkspaceBlock) -> dict[str, Any]:
    return {"id": str(block.id), "title": block.title, "description": block.description,
            "is_start": block.is_start, "status": block.status}


def render_file(file: WorkspaceFile) -> dict[str, Any]:
    return {"id": str(file.id), "name": file.name, "mime_type": file.mime_type,
            "size_bytes": file.size_bytes, "created_at": iso(file.created_at)}


async def create_workspace(req: FaceRequest) -> Response:
    body: WorkspaceCreate = req.body
    made = await workspaces.create(req.ctx, initial_prompt=body.initial_prompt, files=[
        workspaces.FileInput(name=f.name, mime_type=f.mime_type, data=f.data)
        for f in body.files])
    return created({"workspace": render_workspace(made.workspace),
                    "blocks": [render_block(b) for b in made.blocks],
                    "files": [render_file(f) for f in made.files]})


async def list_blocks(req: FaceRequest) -> Response:
    blocks = await workspaces.get_blocks(req.ctx, workspace_id=req.path["workspace_id"])
    return JSONResponse({"blocks": [render_block(b) for b in blocks]})


ROUTES = [
    Route("POST", "/v2/agent/workspaces", create_workspace,
          "Create a performance workspace drafted from a prompt and files",
          body=WorkspaceCreate, responses={201: "The workspace, its blocks and files"},
          tag="Workspaces", **agent(WORKSPACES_WRITE, max_body=FIVE_FILES_BODY)),
    Route("GET", "/v2/agent/workspaces/{workspace_id}/blocks", list_blocks,
          "List a workspace's assessable blocks", path_params=WorkspacePath,
          responses={200: "The blocks"}, tag="Workspaces", **agent(WORKSPACES_READ)),
]
