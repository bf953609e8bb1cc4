"""``POST /api/v2/agent/workspaces/{workspace_id}/evidence``.

Choices where the reference is silent:
- Anyone who may read the workspace may add evidence (guests too); a
  ``block_id`` must be a block of that workspace (``404 block_not_found``);
  ``session_id`` is kept as given (a UUID).
- ``type`` is ``tool``, ``screen`` (``screenshot`` is stored as ``screen``),
  ``video`` or ``eeg``; the MIME type must be one the contract lists for the
  type and the bytes must match it, else ``400 validation_error``. At most
  10 MB decoded.
- The file goes to learngraph's file storage; ``xai_file_id`` is learngraph's
  id for it (``file_<hex>``), the id the performance analysis reports.
- ``metadata`` (a JSON object) is stored with the typed fields that were sent
  (``tool_name``, ``tool_action``, ``band_powers``, ``device_name``,
  ``sample_count``) folded in, at most 8 KB; the answer returns it.
- Bounds: ``file_name`` ≤ 255, ``timestamp_ms`` 0 – 2^53, ``chunk_index``
  0 – 1,000,000, names ≤ 100, ``sample_count`` 0 – 10^9, ≤ 32 bands.
"""

from __future__ import annotations

import uuid
from typing import Any, Literal

from pydantic import Field
from starlette.responses import Response

from core.auth.api_keys import WORKSPACES_WRITE
from models.evidence import Evidence
from resolvers import evidence as evidences
from rest_compat.base import FaceRequest, Route, iso
from rest_compat.openlesson.rules import ONE_FILE_BODY, agent
from rest_compat.openlesson.shapes import Body, created
from rest_compat.openlesson.workspaces import WorkspacePath

Name = Field(default=None, max_length=100)


class EvidenceCreate(Body):
    type: Literal["tool", "screen", "screenshot", "video", "eeg"]
    file_name: str = Field(min_length=1, max_length=255)
    mime_type: str = Field(min_length=1, max_length=100)
    data: str = Field(min_length=1)
    block_id: uuid.UUID | None = None
    session_id: uuid.UUID | None = None
    timestamp_ms: int | None = Field(default=None, ge=0, le=2**53)
    chunk_index: int | None = Field(default=None, ge=0, le=1_000_000)
    metadata: dict[str, Any] = Field(default_factory=dict, max_length=50)
    tool_name: str | None = Name
    tool_action: str | None = Name
    band_powers: dict[str, float] | None = Field(default=None, max_length=32)
    device_name: str | None = Name
    sample_count: int | None = Field(default=None, ge=0, le=10**9)


def render_evidence(e: Evidence) -> dict[str, Any]:
    return {"id": str(e.id), "workspace_id": str(e.workspace_id),
            "block_id": str(e.block_id) if e.block_id else None,
            "session_id": str(e.session_id) if e.session_id else None, "type": e.kind,
            "file_name": e.file_name, "mime_type": e.mime_type,
            "xai_file_id": evidences.file_id(e), "timestamp_ms": e.timestamp_ms,
            "metadata": e.extra, "created_at": iso(e.created_at)}


async def upload_evidence(req: FaceRequest) -> Response:
    body: EvidenceCreate = req.body
    item = evidences.EvidenceInput(**body.model_dump())
    made = await evidences.create(req.ctx, workspace_id=req.path["workspace_id"], item=item)
    return created({"evidence": render_evidence(made)})


ROUTES = [
    Route("POST", "/v2/agent/workspaces/{workspace_id}/evidence", upload_evidence,
          "Upload performance evidence for a workspace", path_params=WorkspacePath,
          body=EvidenceCreate, responses={201: "The stored evidence"}, tag="Evidence",
          **agent(WORKSPACES_WRITE, max_body=ONE_FILE_BODY)),
]
