"""GraphQL for skill assessments: sessions, streamed steps, reports, gaps and plans.

Answering is a mutation that starts the step and returns at once; the next
question's text, the progress and the final scores arrive through the
``assessmentEvents`` subscription, from whichever instance works the step.
Subscribe before answering.
"""

from __future__ import annotations

import uuid
from collections.abc import AsyncGenerator, Iterable
from datetime import datetime
from enum import Enum
from typing import Annotated

import strawberry
from strawberry import relay
from strawberry.types import Info

from core.errors import NotFound
from models.assessment import AssessmentSession as AssessmentSessionModel
from resolvers import (
    assessment,
    assessment_pages,
    assessment_report,
    assessment_stream,
    gaps,
    materials,
    plans,
)
from schema.pages import Connection, connection
from schema.user import parse_uuid


@strawberry.enum(description="Where an assessment stands.")
class AssessmentStatus(Enum):
    ACTIVE = strawberry.enum_value("active", description="Questions are still being asked.")
    COMPLETED = strawberry.enum_value(
        "completed", description="Finished; its report and study materials follow.")
    TIMED_OUT = strawberry.enum_value(
        "timed_out", description="Left idle for 30 minutes; it takes no more answers.")


@strawberry.input(description="An assessed proficiency in one skill.")
class ProficiencyScoreInput:
    skill_id: str
    skill_name: str
    score: int = strawberry.field(description="0–100")
    confidence: float = strawberry.field(description="0–1")
    reasoning: str = ""


@strawberry.input(description="The scores to analyse.")
class GapAnalysisInput:
    proficiency_scores: list[ProficiencyScoreInput]


@strawberry.type(description="How far one skill is from the level the work needs.")
class SkillGap:
    skill_id: str
    skill_name: str
    current_level: int
    target_level: int
    gap: int
    priority: str = strawberry.field(description="critical (gap > 40), high (> 25), "
                                                 "medium (> 10) or low")
    recommendation: str


@strawberry.type(description="A learner's gaps, largest first, with overall readiness.")
class GapAnalysis:
    overall_readiness: int = strawberry.field(description="0–100")
    summary: str
    gaps: list[SkillGap]


def _score(value: ProficiencyScoreInput) -> gaps.ProficiencyScore:
    return gaps.ProficiencyScore(skill_id=value.skill_id, skill_name=value.skill_name,
                                 score=value.score, confidence=value.confidence,
                                 reasoning=value.reasoning)




@strawberry.input(description="A gap of a gap analysis, as input to a learning plan.")
class GapInput:
    skill_id: str
    skill_name: str
    current_level: int
    target_level: int
    gap: int
    priority: str = strawberry.field(description="critical, high, medium or low")
    recommendation: str = ""


@strawberry.input(description="A gap analysis to plan for.")
class LearningPlanInput:
    overall_readiness: int
    summary: str = ""
    gaps: list[GapInput]


@strawberry.type(description="Something to study from.")
class LearningResource:
    type: str = strawberry.field(description="article, video, course, book, documentation, "
                                             "exercise or project")
    title: str
    url: str | None


@strawberry.type(description="One phase of a learning plan.")
class LearningPhase:
    phase_number: int
    title: str
    concepts: list[str] = strawberry.field(description="Concept (or skill) ids to study.")
    rationale: str
    resources: list[LearningResource]
    estimated_hours: float


@strawberry.type(description="Phases of study ordered by prerequisites.")
class LearningPlan:
    summary: str
    total_hours: float
    phases: list[LearningPhase]

    @classmethod
    def of(cls, plan: plans.LearningPlan) -> LearningPlan:
        return cls(summary=plan.summary, total_hours=plan.total_hours, phases=[
            LearningPhase(phase_number=p.phase_number, title=p.title, concepts=p.concepts,
                          rationale=p.rationale, estimated_hours=p.estimated_hours,
                          resources=[LearningResource(type=r.type, title=r.title, url=r.url)
                                     for r in p.resources]) for p in plan.phases])


def _gap_analysis(result: gaps.GapAnalysis) -> GapAnalysis:
    return GapAnalysis(overall_readiness=result.overall_readiness, summary=result.summary,
                       gaps=[SkillGap(**vars(g)) for g in result.gaps])


@strawberry.type(description="Estimated proficiency in one concept.")
class ProficiencyScore:
    skill_id: str = strawberry.field(description="The concept's id.")
    skill_name: str
    score: int = strawberry.field(description="0–100")
    confidence: float = strawberry.field(description="How sure the estimate is, 0–1.")
    reasoning: str

    @classmethod
    def of(cls, score: dict) -> ProficiencyScore:
        return cls(skill_id=score["skillId"], skill_name=score["skillName"],
                   score=score["score"], confidence=score["confidence"],
                   reasoning=score["reasoning"])


@strawberry.type(description="A concept of the knowledge graph and what the learner showed.")
class KnowledgeNode:
    concept: str
    confidence: float
    bloom_level: str | None
    prerequisites: list[str]


@strawberry.type(description="The full report of a completed assessment.")
class AssessmentReport:
    knowledge_graph: list[KnowledgeNode]
    gap_analysis: GapAnalysis
    learning_plan: LearningPlan
    proficiency_scores: list[ProficiencyScore]


def _nodes(graph: dict) -> list[KnowledgeNode]:
    return [KnowledgeNode(concept=n["concept"], confidence=n["confidence"],
                          bloom_level=n["bloomLevel"], prerequisites=n["prerequisites"])
            for n in graph["nodes"]]


def _session_uuid(value: strawberry.ID | str) -> uuid.UUID:
    """A session id given as its global ID or as the plain UUID the REST face shows."""
    raw = str(value)
    session_id = parse_uuid(raw)
    if session_id is None:
        try:
            type_name, node_id = relay.from_base64(raw)
        except (ValueError, TypeError):
            type_name, node_id = None, None
        if type_name == "AssessmentSession":
            session_id = parse_uuid(node_id)
    if session_id is None:
        raise NotFound("Session not found")
    return session_id


@strawberry.type(description="One section of study material.")
class MaterialSection:
    type: str = strawberry.field(description="explanation, code_example or quiz")
    title: str
    body: str
    code_block: str | None
    answer: str | None


@strawberry.type(description="Study material written for one concept after an assessment.")
class StudyMaterial:
    concept_id: str
    domain: str
    target_bloom: int = strawberry.field(description="1 (remember) to 6 (create)")
    bloom_score: float
    quality_score: float
    iteration_count: int
    quality_flag: str | None = strawberry.field(
        description="Set when the material never passed review.")
    sections: list[MaterialSection]
    generated_at: datetime

    @classmethod
    def of(cls, row) -> StudyMaterial:
        body = row.material
        return cls(concept_id=row.concept_id, domain=row.domain,
                   target_bloom=body["target_bloom"], bloom_score=row.bloom_score,
                   quality_score=row.quality_score, iteration_count=row.iteration_count,
                   quality_flag=row.quality_flag, generated_at=row.generated_at,
                   sections=[MaterialSection(type=s["type"], title=s["title"], body=s["body"],
                                             code_block=s.get("codeBlock"),
                                             answer=s.get("answer"))
                             for s in body["sections"]])


@strawberry.type(description="An adaptive skill assessment of the viewer.")
class AssessmentSession(relay.Node):
    id: relay.NodeID[str]
    status: AssessmentStatus = strawberry.field(description="Where the assessment stands.")
    skill_ids: list[str]
    target_level: str
    role_id: str | None
    role_name: str | None
    domain: str = strawberry.field(description="The role whose knowledge base is used.")
    thoroughness: str
    max_questions: int
    questions_asked: int
    pending_question: str | None
    overall_readiness: int | None = strawberry.field(
        description="From the stored report, once there is one.")
    created_at: datetime
    completed_at: datetime | None
    _session: strawberry.Private[AssessmentSessionModel]

    @classmethod
    def of(cls, item: assessment.Listed) -> AssessmentSession:
        s = item.session
        return cls(id=str(s.id), status=AssessmentStatus(item.status),
                   skill_ids=list(s.skill_ids), target_level=s.target_level,
                   role_id=s.role_id, role_name=item.role_name,
                   domain=s.domain, thoroughness=s.thoroughness, max_questions=s.max_questions,
                   questions_asked=s.questions_asked, pending_question=s.pending_question,
                   overall_readiness=item.overall_readiness, created_at=s.created_at,
                   completed_at=s.completed_at, _session=s)

    @strawberry.field(description="The knowledge graph so far.")
    def knowledge_graph(self) -> list[KnowledgeNode]:
        return _nodes(assessment.graph_of(self._session))

    @strawberry.field(description="Study materials written after completion (none while "
                                  "they are being written).")
    async def materials(self, info: Info) -> list[StudyMaterial]:
        rows = await materials.of_session(info.context, session=self._session)
        return [StudyMaterial.of(row) for row in rows]

    @classmethod
    async def resolve_nodes(cls, *, info: Info, node_ids: Iterable[str],
                            required: bool = False) -> list[AssessmentSession | None]:
        listed = await assessment.get_listed_many(
            info.context, session_ids=[parse_uuid(i) for i in node_ids])
        return [cls.of(item) if item else None for item in listed]


@strawberry.type(description="A page of the viewer's assessments.")
class AssessmentSessionConnection(Connection[AssessmentSession]):
    pass


@strawberry.input(description="What to assess.")
class StartAssessmentInput:
    skill_ids: list[str]
    target_level: str = "mid"
    role_id: str | None = None
    thoroughness: str = strawberry.field(default="standard",
                                         description="quick, standard or thorough")


@strawberry.type(description="A new assessment and its first question.")
class StartAssessmentPayload:
    session: AssessmentSession
    question: str
    estimated_questions: int


@strawberry.type(description="An answer was taken; the step's events follow on "
                             "assessmentEvents.")
class RespondPayload:
    accepted: bool


@strawberry.type(description="The pending question of a session.")
class ResumePayload:
    session: AssessmentSession
    question: str


@strawberry.type(description="The outcome of a deletion.")
class DeleteAssessmentPayload:
    ok: bool


@strawberry.type(description="A piece of the next question's text, as it is written.")
class AssessmentQuestionChunk:
    text: str


@strawberry.type(description="Progress after a step.")
class AssessmentProgress:
    topics_evaluated: int
    total_questions: int
    max_questions: int


@strawberry.type(description="The assessment is complete; these are the scores.")
class AssessmentCompleted:
    scores: list[ProficiencyScore]


@strawberry.type(description="The step failed; the session stays usable.")
class AssessmentStepFailed:
    status: int = strawberry.field(description="401, 429, 500, 502 or 504")
    detail: str
    retry_after: int | None


AssessmentEvent = Annotated[
    AssessmentQuestionChunk | AssessmentProgress | AssessmentCompleted | AssessmentStepFailed,
    strawberry.union("AssessmentEvent", description="What a step of an assessment streams.")]


def _event(event: assessment.Event):
    if isinstance(event, assessment.QuestionChunk):
        return AssessmentQuestionChunk(text=event.text)
    if isinstance(event, assessment.Progress):
        return AssessmentProgress(topics_evaluated=event.topics_evaluated,
                                  total_questions=event.total_questions,
                                  max_questions=event.max_questions)
    if isinstance(event, assessment.Completed):
        return AssessmentCompleted(scores=[ProficiencyScore.of(s) for s in event.scores])
    return AssessmentStepFailed(status=event.status, detail=event.detail,
                                retry_after=event.retry_after)


@strawberry.type
class AssessmentQuery:
    @strawberry.field(description="Your assessments, newest first.")
    async def my_assessments(self, info: Info, first: int | None = None,
                             after: str | None = None) -> AssessmentSessionConnection:
        page = await assessment_pages.get_mine_page(info.context, first=first, after=after)
        return connection(AssessmentSessionConnection, page, AssessmentSession.of)


@strawberry.type
class AssessmentMutation:
    @strawberry.mutation(description="Analyse the gaps between proficiency scores and the "
                                     "levels the work needs (uses your Anthropic key).")
    async def analyze_gaps(self, info: Info, input: GapAnalysisInput) -> GapAnalysis:
        result = await gaps.analyze(info.context,
                                    scores=[_score(s) for s in input.proficiency_scores])
        return _gap_analysis(result)

    @strawberry.mutation(description="Plan the study of a gap analysis's gaps in phases.")
    async def build_learning_plan(self, info: Info, input: LearningPlanInput) -> LearningPlan:
        analysis = gaps.GapAnalysis(
            overall_readiness=input.overall_readiness, summary=input.summary,
            gaps=[gaps.Gap(**vars(g)) for g in input.gaps])
        return LearningPlan.of(await plans.build(info.context, analysis=analysis))

    @strawberry.mutation(description="Start an assessment; returns its first question.")
    async def start_assessment(self, info: Info,
                               input: StartAssessmentInput) -> StartAssessmentPayload:
        started = await assessment.start(info.context, skill_ids=input.skill_ids,
                                         target_level=input.target_level,
                                         role_id=input.role_id, thoroughness=input.thoroughness)
        listed = await assessment.get_listed(info.context, session_id=started.session_id)
        return StartAssessmentPayload(session=AssessmentSession.of(listed),
                                      question=started.question,
                                      estimated_questions=started.estimated_questions)

    @strawberry.mutation(description="Answer the pending question. Subscribe to "
                                     "assessmentEvents first: the next question streams there.")
    async def respond_to_assessment(self, info: Info, session_id: strawberry.ID,
                                    response: str) -> RespondPayload:
        await assessment_stream.run_step_in_background(
            info.context, session_id=_session_uuid(session_id), response=response)
        return RespondPayload(accepted=True)

    @strawberry.mutation(description="The pending question of an interrupted assessment.")
    async def resume_assessment(self, info: Info, session_id: strawberry.ID) -> ResumePayload:
        resumed_id, question = await assessment.resume(info.context,
                                                       session_id=_session_uuid(session_id))
        listed = await assessment.get_listed(info.context, session_id=resumed_id)
        return ResumePayload(session=AssessmentSession.of(listed), question=question)

    @strawberry.mutation(description="The full report of a completed assessment (computed "
                                     "once with your Anthropic key, then stored).")
    async def assessment_report(self, info: Info, session_id: strawberry.ID) -> AssessmentReport:
        report = await assessment_report.report(info.context, session_id=_session_uuid(session_id))
        return AssessmentReport(
            knowledge_graph=_nodes(report.knowledge_graph),
            gap_analysis=_gap_analysis(report.gap_analysis),
            learning_plan=LearningPlan.of(report.learning_plan),
            proficiency_scores=[ProficiencyScore.of(s) for s in report.scores])

    @strawberry.mutation(description="Delete an assessment with its results and materials.")
    async def delete_assessment(self, info: Info,
                                session_id: strawberry.ID) -> DeleteAssessmentPayload:
        await assessment.delete_session(info.context, session_id=_session_uuid(session_id))
        return DeleteAssessmentPayload(ok=True)


@strawberry.type
class AssessmentSubscription:
    @strawberry.subscription(description="A session's streamed steps: question text, "
                                         "progress, the final scores or a failure.")
    async def assessment_events(self, info: Info, session_id: strawberry.ID
                                ) -> AsyncGenerator[AssessmentEvent, None]:
        events = assessment_stream.events(info.context, session_id=_session_uuid(session_id))
        async for event in events:
            yield _event(event)
