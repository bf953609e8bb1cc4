"""OpenLearning's assessment endpoints: start, respond (SSE), resume, graph, report,
export, the user's assessment list and delete, and the learning plan.

Choices where the reference is silent:
- graph, report and export require the session's owner like resume (401, 403
  ``Not your session``, 404 ``Session not found``); a session id that is not a
  UUID is simply not found.
- ``report`` on a session that is not complete answers 409 ``Assessment is not
  complete yet``; its gap analysis and plan need the user's key (400 without).
- ``respond`` answers 422 for an empty or over-long response, and 409 when the
  session has no pending question (resume it) or changed meanwhile.
- ``learning-plan`` answers 422 (FastAPI's validation shape) for no gaps or more
  than ``gaps.MAX_SKILLS``, an id or name over ``gaps.MAX_NAME_CHARS``, a
  recommendation or summary over its limit; the same limits, from the same
  constants, are enforced by ``resolvers.plans`` for GraphQL, before the model.
- Errors after the stream started arrive as ``[ERROR]{...}`` and end the stream
  without ``[DONE]``; ``retryAfter`` is a string of seconds, or null.
"""

from __future__ import annotations

import json
import logging
import uuid
from typing import Literal

from pydantic import Field, field_validator
from starlette.responses import Response

from core.errors import NotFound
from resolvers import assessment, assessment_report, assessment_stream, gaps, plans
from rest_compat import returns as out
from rest_compat.base import FaceRequest, JSONResponse, Route, iso
from rest_compat.openlearning.analysis import LLM_ERRORS, gap_analysis_json
from rest_compat.openlearning.export import markdown_report
from rest_compat.openlearning.shapes import CamelModel
from rest_compat.sse import sse_data, sse_response

log = logging.getLogger(__name__)


class StartRequest(CamelModel):
    skill_ids: list[str] = Field(min_length=1, max_length=assessment.MAX_SKILL_IDS)
    target_level: str = "mid"
    role_id: str | None = None
    thoroughness: str = "standard"


class RespondRequest(CamelModel):
    response: str = Field(min_length=1, max_length=assessment.MAX_ANSWER_CHARS)

    @field_validator("response")
    @classmethod
    def _not_blank(cls, value: str) -> str:
        if not value.strip():
            raise ValueError("The response must not be empty")
        return value


class GapIn(CamelModel):
    skill_id: str = Field(min_length=1, max_length=gaps.MAX_NAME_CHARS)
    skill_name: str = Field(min_length=1, max_length=gaps.MAX_NAME_CHARS)
    current_level: int = Field(ge=0, le=100)
    target_level: int = Field(ge=0, le=100)
    gap: int = Field(ge=0, le=100)
    priority: Literal["critical", "high", "medium", "low"]
    recommendation: str = Field(default="", max_length=gaps.MAX_RECOMMENDATION_CHARS)


class GapAnalysisIn(CamelModel):
    overall_readiness: int = Field(ge=0, le=100)
    summary: str = Field(default="", max_length=gaps.MAX_SUMMARY_CHARS)
    gaps: list[GapIn] = Field(min_length=1, max_length=gaps.MAX_SKILLS)


class LearningPlanRequest(CamelModel):
    gap_analysis: GapAnalysisIn


def session_id_of(req: FaceRequest) -> uuid.UUID:
    try:
        return uuid.UUID(req.path["session_id"])
    except ValueError:
        raise NotFound("Session not found") from None


def plan_json(plan: plans.LearningPlan) -> dict:
    return {"summary": plan.summary, "totalHours": plan.total_hours, "phases": [{
        "phaseNumber": p.phase_number, "title": p.title, "concepts": p.concepts,
        "rationale": p.rationale, "estimatedHours": p.estimated_hours,
        "resources": [{"type": r.type, "title": r.title, "url": r.url} for r in p.resources],
    } for p in plan.phases]}


async def start(req: FaceRequest) -> Response:
    body: StartRequest = req.body
    started = await assessment.start(req.ctx, skill_ids=body.skill_ids,
                                     target_level=body.target_level, role_id=body.role_id,
                                     thoroughness=body.thoroughness)
    return JSONResponse({"sessionId": str(started.session_id), "question": started.question,
                         "estimatedQuestions": started.estimated_questions})


def render_event(event: assessment.Event) -> str:
    if isinstance(event, assessment.QuestionChunk):
        return sse_data(event.text)
    if isinstance(event, assessment.Progress):
        return sse_data("[META]" + json.dumps({"type": "assessment", **vars(event)}))
    if isinstance(event, assessment.Completed):
        fenced = "```json\n" + json.dumps({"scores": event.scores}) + "\n```"
        return sse_data("[ASSESSMENT_COMPLETE]") + sse_data(fenced)
    retry = str(event.retry_after) if event.retry_after is not None else None
    return sse_data("[ERROR]" + json.dumps({"status": event.status, "detail": event.detail,
                                            "retryAfter": retry}))


async def respond(req: FaceRequest) -> Response:
    body: RespondRequest = req.body
    session_id = session_id_of(req)
    key = await assessment.check_respond(req.ctx, session_id=session_id, response=body.response)

    async def stream():
        failed = False
        try:
            async for event in assessment_stream.respond_and_publish(
                    req.ctx, session_id=session_id, response=body.response, key=key):
                failed = isinstance(event, assessment.StreamFailed)
                yield render_event(event)
        except Exception:
            log.exception("assessment stream failed (request %s)", req.ctx.request_id)
            failed = True
            yield render_event(assessment.StreamFailed(500, "Internal Server Error", None))
        if not failed:
            yield sse_data("[DONE]")

    return sse_response(stream())


async def resume(req: FaceRequest) -> Response:
    session_id, question = await assessment.resume(req.ctx, session_id=session_id_of(req))
    return JSONResponse({"sessionId": str(session_id), "question": question})


async def graph(req: FaceRequest) -> Response:
    return JSONResponse(_graph_json(await assessment.knowledge_graph(
        req.ctx, session_id=session_id_of(req))))


def _graph_json(graph: dict) -> dict:
    return {"nodes": [{"concept": n["concept"], "confidence": n["confidence"],
                       "bloomLevel": n["bloomLevel"], "prerequisites": n["prerequisites"]}
                      for n in graph["nodes"]]}


async def report(req: FaceRequest) -> Response:
    result = await assessment_report.report(req.ctx, session_id=session_id_of(req))
    return JSONResponse({
        "knowledgeGraph": _graph_json(result.knowledge_graph),
        "gapAnalysis": gap_analysis_json(result.gap_analysis),
        "learningPlan": plan_json(result.learning_plan),
        "proficiencyScores": result.scores,
    })


async def export(req: FaceRequest) -> Response:
    view = await assessment_report.export_view(req.ctx, session_id=session_id_of(req))
    filename = f"assessment-{str(view.session.id)[:8]}.md"
    return Response(markdown_report(view), media_type="text/markdown",
                    headers={"Content-Disposition": f'attachment; filename="{filename}"'})


async def my_assessments(req: FaceRequest) -> Response:
    listed = await assessment.list_mine(req.ctx)
    return JSONResponse([{
        "sessionId": str(item.session.id), "status": item.status,
        "skillIds": item.session.skill_ids, "targetLevel": item.session.target_level,
        "roleId": item.session.role_id, "roleName": item.role_name,
        "createdAt": iso(item.session.created_at), "completedAt": iso(item.session.completed_at),
        "overallReadiness": item.overall_readiness, "skillCount": len(item.session.skill_ids),
    } for item in listed])


async def delete_assessment(req: FaceRequest) -> Response:
    await assessment.delete_session(req.ctx, session_id=session_id_of(req))
    return Response(status_code=204)


async def learning_plan(req: FaceRequest) -> Response:
    body: LearningPlanRequest = req.body
    analysis = gaps.GapAnalysis(
        overall_readiness=body.gap_analysis.overall_readiness,
        summary=body.gap_analysis.summary,
        gaps=[gaps.Gap(skill_id=g.skill_id, skill_name=g.skill_name,
                       current_level=g.current_level, target_level=g.target_level, gap=g.gap,
                       priority=g.priority, recommendation=g.recommendation)
              for g in body.gap_analysis.gaps])
    return JSONResponse(plan_json(await plans.build(req.ctx, analysis=analysis)))


OWNER = {401: "not signed in", 403: "Not your session", 404: "Session not found"}

ROUTES = [
    Route("POST", "/assessment/start", start, auth=True, body=StartRequest, tag="assessment",
          summary="Start an assessment; returns the first question",
          responses={200: "AssessmentStartResponse", 404: "Role not found", **LLM_ERRORS}),
    Route("POST", "/assessment/{session_id}/respond", respond, auth=True, body=RespondRequest,
          tag="assessment", summary="Answer; streams the next question or the scores (SSE)",
          responses={200: "text/event-stream", **OWNER, 409: "completed or no pending question",
                     410: "Session has timed out", 400: "no API key configured"}),
    Route("GET", "/assessment/{session_id}/resume", resume, auth=True, tag="assessment",
          summary="The pending question of an interrupted session",
          responses={200: "{sessionId, question}", **OWNER, 409: "Session already completed",
                     410: "Session has timed out", 400: "no API key configured"}),
    Route("GET", "/assessment/{session_id}/graph", graph, auth=True, tag="assessment",
          summary="The session's knowledge graph", responses={200: "KnowledgeGraphOut", **OWNER}),
    Route("GET", "/assessment/{session_id}/report", report, auth=True, tag="assessment",
          summary="The full report (stored once, idempotent)",
          responses={200: "AssessmentReportResponse", **OWNER, 409: "not complete",
                     **LLM_ERRORS}),
    Route("GET", "/assessment/{session_id}/export", export, auth=True, tag="assessment",
          summary="The report as a Markdown attachment",
          responses={200: "text/markdown", **OWNER},
          returns={200: out.Body("text/markdown", out.STRING)}),
    Route("GET", "/user/assessments", my_assessments, auth=True, tag="assessment",
          summary="Your assessments, newest first", responses={200: "list", 401: "not signed in"}),
    Route("DELETE", "/user/assessments/{session_id}", delete_assessment, auth=True,
          tag="assessment", summary="Delete an assessment with its results and materials",
          responses={204: "deleted", **OWNER}),
    Route("POST", "/learning-plan", learning_plan, auth=True, body=LearningPlanRequest,
          tag="analysis", summary="A learning plan from a gap analysis",
          responses={200: "LearningPlan", 422: "invalid gap analysis", **LLM_ERRORS}),
]
