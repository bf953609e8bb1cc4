"""Performance evidence: a learner's tool events, screenshots, video and EEG samples,
checked by type, kept in the file storage and linked to a workspace (and a block or
session of it). Whoever may read the workspace may add evidence to it."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from typing import Any

import orjson
from sqlalchemy import select

from core.context import Context
from core.errors import NotFound, Validation
from models.evidence import Evidence
from models.workspace import WorkspaceBlock
from resolvers import uploads
from resolvers.workspace import get_or_raise

# What each kind of evidence may be; ``screenshot`` is another name for ``screen``.
TYPES = {
    "tool": frozenset({"application/json", "text/plain", "text/markdown"}),
    "screen": frozenset({"image/png", "image/jpeg", "image/webp"}),
    "video": frozenset({"video/mp4", "video/webm", "video/quicktime"}),
    "eeg": frozenset({"application/json", "text/plain"}),
}
ALIASES = {"screenshot": "screen"}
MAX_METADATA_BYTES = 8192
MAX_BAND_POWERS = 32


class BlockNotFound(NotFound):
    code = "BLOCK_NOT_FOUND"


@dataclass(frozen=True)
class EvidenceInput:
    type: str
    file_name: str
    mime_type: str
    data: str  # base64
    block_id: uuid.UUID | None = None
    session_id: uuid.UUID | None = None
    timestamp_ms: int | float | None = None
    chunk_index: int | None = None
    metadata: dict[str, Any] = field(default_factory=dict)
    tool_name: str | None = None
    tool_action: str | None = None
    band_powers: dict[str, float] | None = None
    device_name: str | None = None
    sample_count: int | None = None


def _check(item: EvidenceInput) -> None:
    if not isinstance(item.metadata, dict) or len(item.metadata) > 50:
        raise Validation("metadata must be a JSON object of at most 50 keys",
                         details={"field": "metadata"})
    if item.timestamp_ms is not None and not (
            0 <= item.timestamp_ms <= 2**53 and item.timestamp_ms == int(item.timestamp_ms)):
        raise Validation("timestamp_ms must be a whole number of milliseconds, 0 to 2^53",
                         details={"field": "timestamp_ms"})
    if item.chunk_index is not None and not 0 <= item.chunk_index <= 1_000_000:
        raise Validation("chunk_index must be 0 to 1,000,000", details={"field": "chunk_index"})
    if not 1 <= len(item.file_name.strip()) <= 255:
        raise Validation("file_name must be 1 to 255 characters", details={"field": "file_name"})


def _extra(item: EvidenceInput) -> dict[str, Any]:
    """The stored metadata: the caller's, plus the typed fields that were sent."""
    _check(item)
    extra = dict(item.metadata)
    for name in ("tool_name", "tool_action", "device_name", "sample_count"):
        value = getattr(item, name)
        if value is not None:
            extra[name] = value
    if item.band_powers is not None:
        if len(item.band_powers) > MAX_BAND_POWERS:
            raise Validation(f"band_powers may have at most {MAX_BAND_POWERS} bands",
                             details={"field": "band_powers"})
        extra["band_powers"] = item.band_powers
    if len(orjson.dumps(extra)) > MAX_METADATA_BYTES:
        raise Validation("metadata may be at most 8 KB of JSON", details={"field": "metadata"})
    return extra


async def create(ctx: Context, *, workspace_id: uuid.UUID, item: EvidenceInput) -> Evidence:
    """Store one piece of evidence for a workspace the viewer may read."""
    kind = ALIASES.get(item.type, item.type)
    if kind not in TYPES:
        raise Validation("type must be one of tool, screen (screenshot), video, eeg",
                         details={"field": "type"})
    extra = _extra(item)
    await get_or_raise(ctx, workspace_id=workspace_id)
    if item.block_id is not None:
        async with ctx.db.session() as session:
            block = (await session.execute(select(WorkspaceBlock.id).where(
                WorkspaceBlock.id == item.block_id,
                WorkspaceBlock.workspace_id == workspace_id))).scalar_one_or_none()
        if block is None:
            raise BlockNotFound("Block not found in this workspace")
    upload = await uploads.decode(field="data", name=item.file_name[:255],
                                  mime_type=item.mime_type, encoded=item.data,
                                  allowed=TYPES[kind])
    evidence = Evidence(id=uuid.uuid4(), workspace_id=workspace_id, block_id=item.block_id,
                        session_id=item.session_id, kind=kind, file_name=upload.name,
                        mime_type=upload.mime_type, size_bytes=len(upload.data),
                        timestamp_ms=None if item.timestamp_ms is None else int(item.timestamp_ms),
                        chunk_index=item.chunk_index,
                        extra=extra, uploaded_by=ctx.viewer.user_id,
                        guest_user_id=ctx.viewer.guest_id, storage_key="")
    evidence.storage_key = f"evidence/{workspace_id}/{evidence.id}"
    await ctx.storage.save(evidence.storage_key, upload.data)
    async with ctx.db.transaction() as session:
        session.add(evidence)
    return evidence


def file_id(evidence: Evidence) -> str:
    """The id the contract calls ``xai_file_id``: learngraph's own file id."""
    return f"file_{evidence.id.hex}"
