"""The report of an assessment: computed once when first asked for, then stored.

The scores come from the session's final state; the gap analysis and the
learning plan need the model (and so the user's key) the first time. Two
first readers racing store one report. The Markdown export shows the stored
report, or the live state of a session still in progress.
"""

from __future__ import annotations

import uuid
from dataclasses import asdict, dataclass

from sqlalchemy.dialects.postgresql import insert

from core.context import Context
from core.errors import Conflict
from models.assessment import AssessmentResult, AssessmentSession
from resolvers import gaps, plans
from resolvers.assessment import effective_status, get, graph_of, live_scores, stored_result


@dataclass(frozen=True)
class Report:
    knowledge_graph: dict
    scores: list[dict]
    gap_analysis: gaps.GapAnalysis | None
    learning_plan: plans.LearningPlan | None


def _gap_analysis(data: dict | None) -> gaps.GapAnalysis | None:
    if data is None:
        return None
    return gaps.GapAnalysis(overall_readiness=data["overall_readiness"], summary=data["summary"],
                            gaps=[gaps.Gap(**g) for g in data["gaps"]])


def _learning_plan(data: dict | None) -> plans.LearningPlan | None:
    if data is None:
        return None
    return plans.LearningPlan(
        summary=data["summary"], total_hours=data["total_hours"],
        phases=[plans.Phase(**{**p, "resources": [plans.Resource(**r) for r in p["resources"]]})
                for p in data["phases"]])


def _as_scores(scores: list[dict]) -> list[gaps.ProficiencyScore]:
    return [gaps.ProficiencyScore(skill_id=s["skillId"], skill_name=s["skillName"],
                                  score=s["score"], confidence=s["confidence"],
                                  reasoning=s["reasoning"]) for s in scores]


def _stored_report(stored: AssessmentResult) -> Report:
    return Report(knowledge_graph=stored.knowledge_graph, scores=stored.scores,
                  gap_analysis=_gap_analysis(stored.gap_analysis),
                  learning_plan=_learning_plan(stored.learning_plan))


async def report(ctx: Context, *, session_id: uuid.UUID) -> Report:
    """The full report of a completed session, computed once and then stored."""
    session = await get(ctx, session_id=session_id)
    if session.status != "completed":
        raise Conflict("Assessment is not complete yet")
    stored = await stored_result(ctx, session_id=session.id)
    if stored is None or stored.gap_analysis is None:
        scores = live_scores(session)
        analysis = await gaps.analyze(ctx, scores=_as_scores(scores))
        plan = await plans.build(ctx, analysis=analysis)
        values = {"scores": scores, "knowledge_graph": graph_of(session),
                  "gap_analysis": asdict(analysis), "learning_plan": asdict(plan),
                  "overall_readiness": analysis.overall_readiness}
        async with ctx.db.transaction() as db:
            # Two first readers race harmlessly: the first stored report stays.
            await db.execute(insert(AssessmentResult).values(session_id=session.id, **values)
                             .on_conflict_do_nothing(index_elements=["session_id"]))
        stored = await stored_result(ctx, session_id=session.id)
    return _stored_report(stored)


@dataclass(frozen=True)
class ExportView:
    """What the Markdown export shows: the session, its effective status and a report."""

    session: AssessmentSession
    status: str
    report: Report


async def export_view(ctx: Context, *, session_id: uuid.UUID) -> ExportView:
    """What the Markdown export shows: the stored report, else the live state."""
    session = await get(ctx, session_id=session_id)
    stored = await stored_result(ctx, session_id=session.id)
    if stored is not None:
        shown = _stored_report(stored)
    else:
        shown = Report(knowledge_graph=graph_of(session), scores=live_scores(session),
                       gap_analysis=None, learning_plan=None)
    return ExportView(session=session, status=effective_status(session), report=shown)
