"""``POST /api/v2/agent/workspaces/{workspace_id}/performance``.

Choices where the reference is silent:
- Report mode (no ``prompt``, or an empty one): the model's report is validated
  against a schema (``confidence`` is one of emerging, developing, proficient,
  advanced); one that still does not fit after one correction is ``502
  llm_invalid_answer``. Chat mode answers Markdown in ``response``.
- ``prompt`` ≤ 8,000 characters; ``conversation_history`` ≤ 40 turns of role
  ``user``/``assistant``; ``file_ids`` ≤ 20 ids from an earlier answer (the first
  names the stored context; others are the artifacts it holds). Ids that name no
  context of this workspace are ``400 validation_error``.
- The bundle follows the caller: a guest's holds its own evidence and GHL links, a
  member's the links they made and all evidence, an org admin's everything; a
  ``block_id`` narrows it to one block (``404 block_not_found`` if not in the
  workspace). Up to 19 artifacts, newest first; text artifacts are excerpted.
"""

from __future__ import annotations

import uuid
from typing import Literal

from pydantic import Field
from starlette.responses import Response

from core.auth.api_keys import WORKSPACES_READ
from resolvers import performance
from rest_compat.base import FaceRequest, JSONResponse, Route
from rest_compat.openlesson.rules import agent
from rest_compat.openlesson.shapes import Body
from rest_compat.openlesson.workspaces import WorkspacePath


class TurnBody(Body):
    role: Literal["user", "assistant"]
    content: str = Field(min_length=1, max_length=8000)


class PerformanceBody(Body):
    prompt: str | None = Field(default=None, max_length=8000)
    block_id: uuid.UUID | None = None
    conversation_history: list[TurnBody] = Field(default_factory=list, max_length=40)
    file_ids: list[str] = Field(default_factory=list, max_length=20)


async def analyse(req: FaceRequest) -> Response:
    body: PerformanceBody = req.body or PerformanceBody()
    result = await performance.analyse(
        req.ctx, workspace_id=req.path["workspace_id"], prompt=body.prompt,
        block_id=body.block_id, file_ids=body.file_ids,
        history=[performance.Turn(role=t.role, content=t.content)
                 for t in body.conversation_history])
    shape = {"mode": result.mode}
    if result.report is not None:
        shape["report"] = result.report.model_dump()
    else:
        shape["response"] = result.response
    return JSONResponse({**shape, "evidence_summary": result.evidence_summary,
                         "file_ids": result.file_ids})


ROUTES = [
    Route("POST", "/v2/agent/workspaces/{workspace_id}/performance", analyse,
          "Analyse a workspace's evidence: a report, or answers to a prompt",
          path_params=WorkspacePath, body=PerformanceBody, body_optional=True,
          responses={200: "The report or the answer"}, tag="Performance",
          **agent(WORKSPACES_READ, max_body=1024 * 1024)),
]
