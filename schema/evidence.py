"""GraphQL for performance evidence (the OpenLesson face's ``/evidence`` route calls the
same resolver, with the same scope)."""

from __future__ import annotations

from datetime import datetime
from enum import Enum

import strawberry
from strawberry.scalars import JSON
from strawberry.types import Info

from core.auth.api_keys import WORKSPACES_WRITE
from models.evidence import Evidence as EvidenceModel
from resolvers import evidence as evidences
from resolvers.uploads import MAX_BASE64_LENGTH
from schema.input_bounds import MAX_LENGTH
from schema.permissions import agent
from schema.workspace import parse_uuid_id


@strawberry.enum(description="What a piece of performance evidence is.")
class EvidenceType(Enum):
    TOOL = strawberry.enum_value("tool", description="Output of a tool the learner used.")
    SCREEN = strawberry.enum_value("screen", description="A screenshot.")
    VIDEO = strawberry.enum_value("video", description="A video recording.")
    EEG = strawberry.enum_value("eeg", description="An EEG recording.")


@strawberry.type(description="One uploaded piece of performance evidence.")
class Evidence:
    id: strawberry.ID = strawberry.field(description="The evidence's UUID.")
    workspace_id: strawberry.ID = strawberry.field(description="Its workspace.")
    block_id: strawberry.ID | None = strawberry.field(description="Its block, if any.")
    session_id: strawberry.ID | None = strawberry.field(description="Its session, if any.")
    type: EvidenceType = strawberry.field(description="What it is.")
    file_name: str = strawberry.field(description="The file's name.")
    mime_type: str = strawberry.field(description="Its checked MIME type.")
    file_id: str = strawberry.field(description="learngraph's id of the stored file.")
    timestamp_ms: float | None = strawberry.field(description="When it was captured (ms).")
    metadata: JSON = strawberry.field(description="Caller metadata and typed fields.")
    created_at: datetime = strawberry.field(description="When it was uploaded.")

    @classmethod
    def from_model(cls, e: EvidenceModel) -> Evidence:
        return cls(id=strawberry.ID(str(e.id)), workspace_id=strawberry.ID(str(e.workspace_id)),
                   block_id=strawberry.ID(str(e.block_id)) if e.block_id else None,
                   session_id=strawberry.ID(str(e.session_id)) if e.session_id else None,
                   type=EvidenceType(e.kind), file_name=e.file_name, mime_type=e.mime_type,
                   file_id=evidences.file_id(e), timestamp_ms=e.timestamp_ms,
                   metadata=e.extra, created_at=e.created_at)


@strawberry.input(description="Evidence to upload: the MIME type must suit the type.")
class UploadEvidenceInput:
    type: str = strawberry.field(description="`tool`, `screen` (`screenshot`), `video`, `eeg`.")
    file_name: str = strawberry.field(description="The file's name (≤ 255).")
    mime_type: str = strawberry.field(description="Its MIME type.")
    data: str = strawberry.field(
        description="Its content, base64 (≤ 10 MB decoded; the request itself is bounded by "
                    "the server's body limit).", metadata={MAX_LENGTH: MAX_BASE64_LENGTH})
    block_id: strawberry.ID | None = strawberry.field(default=None, description="A block.")
    session_id: strawberry.ID | None = strawberry.field(default=None, description="A session.")
    timestamp_ms: float | None = strawberry.field(default=None, description="Capture time.")
    chunk_index: int | None = strawberry.field(default=None, description="Chunk number.")
    metadata: JSON | None = strawberry.field(default=None, description="A JSON object.")


@strawberry.type
class EvidenceMutation:
    @strawberry.mutation(description="Upload performance evidence for a workspace (needs "
                                     "`workspaces:write`).", extensions=agent(WORKSPACES_WRITE))
    async def upload_evidence(self, info: Info, workspace_id: strawberry.ID,
                              input: UploadEvidenceInput) -> Evidence:
        timestamp = input.timestamp_ms
        item = evidences.EvidenceInput(
            type=input.type, file_name=input.file_name[:255], mime_type=input.mime_type,
            data=input.data,
            block_id=parse_uuid_id(input.block_id, "blockId") if input.block_id else None,
            session_id=parse_uuid_id(input.session_id, "sessionId") if input.session_id else None,
            timestamp_ms=timestamp, chunk_index=input.chunk_index,
            metadata=input.metadata if input.metadata is not None else {})
        made = await evidences.create(info.context, workspace_id=parse_uuid_id(
            workspace_id, "workspaceId"), item=item)
        return Evidence.from_model(made)
