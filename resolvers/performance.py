"""Performance analysis: the model reads a workspace's evidence bundle (blocks, GHL
results, evidence artifacts, linked sessions, plan files) and answers with a
structured report or, given a prompt, a free-form answer.

The bundle is built once into a context file in the file storage; its id and the
artifacts' ids come back as ``file_ids``, and a follow-up call that passes them
reuses that context instead of rebuilding it. What the bundle holds follows the
viewer: a guest sees its own evidence and links, a member the links they made and
all evidence of the workspace, an org admin everything.
"""

from __future__ import annotations

import re
import uuid
from dataclasses import dataclass
from typing import Any, Literal

import orjson
from pydantic import BaseModel, Field
from sqlalchemy import select

from core.context import Context
from core.errors import Validation
from models.evidence import Evidence
from models.workspace import WorkspaceBlock, WorkspaceFile
from resolvers import evidence as evidences
from resolvers.evidence import BlockNotFound
from resolvers.ghl import GapAnalysis, get_all
from resolvers.workspace import get_or_raise, llm_key

MAX_ARTIFACTS = 19  # beside the context file, as the contract has it
MAX_TEXT_EXCERPT = 4000
MAX_IMAGES = 4
MAX_HISTORY = 40
MAX_PROMPT_CHARS = 8000
FILE_ID = re.compile(r"^file_[0-9a-f]{32}$")

SYSTEM = """You analyse a learner's performance in a workspace from its evidence bundle \
(JSON: blocks, GHL session results with marker scores, evidence artifacts, linked sessions, \
plan files). Ground every claim in the bundle; say when evidence is thin."""


class Report(BaseModel):
    """A report's shape: validated before it is returned."""

    summary: str = Field(min_length=1, max_length=4000)
    strengths: list[str] = Field(default_factory=list, max_length=10)
    growth_areas: list[str] = Field(default_factory=list, max_length=10)
    gap_analysis: GapAnalysis
    suggestions: list[str] = Field(default_factory=list, max_length=10)
    confidence: Literal["emerging", "developing", "proficient", "advanced"]


@dataclass(frozen=True)
class Turn:
    role: str
    content: str


@dataclass(frozen=True)
class Analysis:
    mode: str  # report | chat
    report: Report | None
    response: str | None
    evidence_summary: dict[str, int]
    file_ids: list[str]


def _context_key(workspace_id: uuid.UUID, file_id: str) -> str:
    return f"performance/{workspace_id}/{file_id}.json"


async def _build(ctx: Context, workspace_id: uuid.UUID,
                 block_id: uuid.UUID | None) -> tuple[dict[str, Any], list[Evidence]]:
    links = [link for link in await get_all(ctx, workspace_id=workspace_id)
             if block_id is None or link.block_id == block_id]
    async with ctx.db.session() as session:
        blocks = list((await session.execute(select(WorkspaceBlock).where(
            WorkspaceBlock.workspace_id == workspace_id).order_by(WorkspaceBlock.position)))
            .scalars())
        query = select(Evidence).where(Evidence.workspace_id == workspace_id)
        if ctx.viewer.guest_id is not None:
            query = query.where(Evidence.guest_user_id == ctx.viewer.guest_id)
        if block_id is not None:
            query = query.where(Evidence.block_id == block_id)
        artifacts = list((await session.execute(query.order_by(
            Evidence.created_at.desc()).limit(MAX_ARTIFACTS))).scalars())
        plan_files = list((await session.execute(select(WorkspaceFile).where(
            WorkspaceFile.workspace_id == workspace_id))).scalars())
    if block_id is not None and all(b.id != block_id for b in blocks):
        raise BlockNotFound("Block not found in this workspace")
    items = []
    for item in artifacts:
        entry = {"file_id": evidences.file_id(item), "type": item.kind,
                 "file_name": item.file_name, "mime_type": item.mime_type,
                 "block_id": str(item.block_id) if item.block_id else None,
                 "session_id": str(item.session_id) if item.session_id else None,
                 "timestamp_ms": item.timestamp_ms, "metadata": item.extra}
        if item.mime_type in ("application/json", "text/plain", "text/markdown"):
            data = await ctx.storage.read(item.storage_key)
            entry["excerpt"] = data[:MAX_TEXT_EXCERPT].decode("utf-8", errors="replace")
        items.append(entry)
    completed = [link for link in links if link.status == "completed"]
    context = {
        "blocks": [{"id": str(b.id), "title": b.title, "description": b.description,
                    "is_start": b.is_start} for b in blocks
                   if block_id is None or b.id == block_id],
        "ghl_sessions": [{"id": str(link.id), "block_id": str(link.block_id),
                          "overall_score": link.overall_score,
                          "marker_scores": link.marker_scores,
                          "gap_analysis": link.gap_analysis} for link in completed],
        "evidence": items,
        "linked_sessions": sorted({i["session_id"] for i in items if i["session_id"]}),
        "plan_files": [{"name": f.name, "mime_type": f.mime_type} for f in plan_files],
    }
    context["evidence_summary"] = {
        "blocks": len(context["blocks"]), "ghl_sessions": len(completed),
        "evidence_artifacts": len(items), "linked_sessions": len(context["linked_sessions"]),
        "plan_files": len(plan_files)}
    return context, artifacts


async def _context(ctx: Context, workspace_id: uuid.UUID, block_id: uuid.UUID | None,
                   file_ids: list[str]) -> tuple[dict[str, Any], list[str]]:
    if file_ids:
        if len(file_ids) > MAX_ARTIFACTS + 1 or not all(FILE_ID.match(f) for f in file_ids):
            raise Validation("file_ids must be ids returned by an earlier call",
                             details={"field": "file_ids"})
        try:
            raw = await ctx.storage.read(_context_key(workspace_id, file_ids[0]))
        except (FileNotFoundError, ValueError):
            raise Validation("file_ids do not name this workspace's performance context",
                             details={"field": "file_ids"}) from None
        return orjson.loads(raw), file_ids
    context, artifacts = await _build(ctx, workspace_id, block_id)
    context_id = f"file_{uuid.uuid4().hex}"
    await ctx.storage.save(_context_key(workspace_id, context_id), orjson.dumps(context))
    return context, [context_id, *(evidences.file_id(a) for a in artifacts)]


async def analyse(ctx: Context, *, workspace_id: uuid.UUID, prompt: str | None = None,
                  block_id: uuid.UUID | None = None, history: list[Turn] | None = None,
                  file_ids: list[str] | None = None) -> Analysis:
    """A report (no prompt) or an answer to ``prompt`` over the workspace's evidence."""
    workspace = await get_or_raise(ctx, workspace_id=workspace_id)
    prompt = (prompt or "").strip()
    history = history or []
    if len(prompt) > MAX_PROMPT_CHARS:
        raise Validation(f"prompt must be at most {MAX_PROMPT_CHARS} characters",
                         details={"field": "prompt"})
    if len(history) > MAX_HISTORY or any(
            t.role not in ("user", "assistant") or not t.content.strip()
            or len(t.content) > MAX_PROMPT_CHARS for t in history):
        raise Validation(f"conversation_history: at most {MAX_HISTORY} turns of role user or "
                         "assistant with 1 to 8000 characters", details={
                             "field": "conversation_history"})
    context, ids = await _context(ctx, workspace_id, block_id, file_ids or [])
    key = await llm_key(ctx, workspace.organization_id, workspace.owner_user_id)
    bundle = {"role": "user", "content": "Evidence bundle:\n" + orjson.dumps(
        {k: v for k, v in context.items() if k != "evidence_summary"}).decode()}
    summary = context["evidence_summary"]
    if not prompt:
        report = await ctx.llm.complete_structured(
            api_key=key, system=SYSTEM, output=Report, tool_name="performance_report",
            description="The learner's performance report.", max_tokens=3000,
            messages=[bundle])
        return Analysis(mode="report", report=report, response=None, evidence_summary=summary,
                        file_ids=ids)
    turns = [bundle, {"role": "assistant", "content": "I have read the evidence bundle."},
             *({"role": t.role, "content": t.content} for t in history),
             {"role": "user", "content": prompt}]
    merged: list[dict[str, Any]] = []
    for turn in turns:
        if merged and merged[-1]["role"] == turn["role"]:
            merged[-1]["content"] += "\n\n" + turn["content"]
        else:
            merged.append(dict(turn))
    message = await ctx.llm.complete(api_key=key, system=SYSTEM + " Answer in Markdown.",
                                     messages=merged, max_tokens=2000)
    text = "".join(b.text for b in message.content if b.type == "text")
    return Analysis(mode="chat", report=None, response=text, evidence_summary=summary,
                    file_ids=ids)
