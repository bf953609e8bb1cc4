"""GraphQL for performance analysis (the OpenLesson face's ``/performance`` route calls the
same resolver, with the same scope)."""

from __future__ import annotations

from enum import Enum

import strawberry
from strawberry.scalars import JSON
from strawberry.types import Info

from core.auth.api_keys import WORKSPACES_READ
from resolvers import performance
from schema.chat import ChatMessageRole
from schema.permissions import agent
from schema.workspace import parse_uuid_id


@strawberry.type(description="A structured performance report.")
class PerformanceReport:
    summary: str = strawberry.field(description="The overall picture.")
    strengths: list[str] = strawberry.field(description="What the learner does well.")
    growth_areas: list[str] = strawberry.field(description="Where to grow.")
    gap_analysis: JSON = strawberry.field(
        description="`{summary, gaps: [{title, evidence, severity, suggested_repair}], "
                    "next_practice}`.")
    suggestions: list[str] = strawberry.field(description="What to do next.")
    confidence: str = strawberry.field(description="emerging, developing, proficient, "
                                                   "advanced.")


@strawberry.type(description="How much evidence the analysis read.")
class EvidenceSummary:
    blocks: int
    ghl_sessions: int
    evidence_artifacts: int
    linked_sessions: int
    plan_files: int


@strawberry.enum(description="What a performance analysis answered with.")
class PerformanceMode(Enum):
    REPORT = strawberry.enum_value("report", description="A report (no prompt was given).")
    CHAT = strawberry.enum_value("chat", description="An answer to the prompt.")


@strawberry.type(description="A report (no prompt) or an answer to the prompt.")
class PerformanceAnalysis:
    mode: PerformanceMode = strawberry.field(description="A report or an answer.")
    report: PerformanceReport | None = strawberry.field(description="In report mode.")
    response: str | None = strawberry.field(description="In chat mode (Markdown).")
    evidence_summary: EvidenceSummary = strawberry.field(description="What was read.")
    file_ids: list[str] = strawberry.field(description="Pass back to reuse the context.")


@strawberry.input(description="One earlier turn of the conversation.")
class PerformanceTurnInput:
    role: ChatMessageRole = strawberry.field(description="Who said it.")
    content: str = strawberry.field(description="What was said.")


@strawberry.input(description="What to analyse.")
class AnalyzePerformanceInput:
    workspace_id: strawberry.ID = strawberry.field(description="The workspace.")
    prompt: str | None = strawberry.field(default=None, description="A question (chat mode).")
    block_id: strawberry.ID | None = strawberry.field(default=None, description="One block.")
    conversation_history: list[PerformanceTurnInput] = strawberry.field(
        default_factory=list, description="Earlier turns.")
    file_ids: list[str] = strawberry.field(default_factory=list,
                                           description="From an earlier answer.")


@strawberry.type
class PerformanceMutation:
    @strawberry.mutation(description="Analyse a workspace's evidence (needs "
                                     "`workspaces:read`).", extensions=agent(WORKSPACES_READ))
    async def analyze_performance(self, info: Info,
                                  input: AnalyzePerformanceInput) -> PerformanceAnalysis:
        result = await performance.analyse(
            info.context, workspace_id=parse_uuid_id(input.workspace_id, "workspaceId"),
            prompt=input.prompt,
            block_id=parse_uuid_id(input.block_id, "blockId") if input.block_id else None,
            history=[performance.Turn(role=t.role.value, content=t.content)
                     for t in input.conversation_history], file_ids=input.file_ids)
        report = result.report
        return PerformanceAnalysis(
            mode=PerformanceMode(result.mode), response=result.response, file_ids=result.file_ids,
            evidence_summary=EvidenceSummary(**result.evidence_summary),
            report=PerformanceReport(summary=report.summary, strengths=report.strengths,
                                     growth_areas=report.growth_areas,
                                     gap_analysis=report.gap_analysis.model_dump(),
                                     suggestions=report.suggestions,
                                     confidence=report.confidence) if report else None)
