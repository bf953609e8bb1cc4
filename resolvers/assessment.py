"""Adaptive skill assessments: start, answer, resume, graph, report, list and delete.

The rules live in ``resolvers.assessment_state``; this module talks to the
model and the database. Every step is persisted before the next question is
streamed: an answer's evaluation is saved first (with the next concept to ask
about), then the next question once it is complete, so a restart or a failed
model call never loses an answer and ``resume`` always has something to show.
A step that read an older version of the session is refused with 409, so two
answers sent at once cannot overwrite each other.

Sessions time out after 30 minutes without activity (410).
"""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Literal

from pydantic import BaseModel, Field
from sqlalchemy import Select, and_, case, delete, false, func, null, or_, select, update
from sqlalchemy.orm import with_expression

from core import jobs
from core.context import Context
from core.errors import Conflict, DomainError, Forbidden, Gone, NotFound, Validation
from core.knowledge import Role, knowledge_base
from core.planning import VIEWER_ID, viewer_params
from models.assessment import AssessmentMaterial, AssessmentResult, AssessmentSession
from resolvers import assessment_state as rules
from resolvers.auth import get_anthropic_key
from resolvers.knowledge import check_level, get_role_for_skills, get_role_or_raise

SESSION_TIMEOUT = timedelta(minutes=30)
MATERIALS_JOB = "assessment.materials"
THOROUGHNESS = tuple(rules.PLANS)
MAX_ANSWER_CHARS = 10_000
MAX_SKILL_IDS = 50

QUESTION_SYSTEM = """You are a senior {role} interviewing a candidate to assess what \
they really know. Ask exactly one open question about the concept below, aimed at the \
Bloom level given (remember: recall facts; understand: explain; apply: use it in a \
concrete situation; analyze: compare or diagnose; evaluate: judge trade-offs; create: \
design something new). Keep it short and concrete, answerable in a few sentences, and \
different from the questions already asked. Reply with the question text only."""

EVALUATION_SYSTEM = """You are a fair, rigorous technical assessor. Judge the candidate's \
answer to the question about the concept below. Score 0 to 1 how well it shows mastery \
(0: wrong or empty, 0.5: partly right, 1: complete and precise), name the highest Bloom \
level the answer demonstrates, and explain your judgement in one or two sentences \
addressed to the candidate."""


# ----------------------------------------------------------------- results and events


@dataclass(frozen=True)
class Started:
    session_id: uuid.UUID
    question: str
    estimated_questions: int


@dataclass(frozen=True)
class QuestionChunk:
    text: str


@dataclass(frozen=True)
class Progress:
    topics_evaluated: int
    total_questions: int
    max_questions: int


@dataclass(frozen=True)
class Completed:
    scores: list[dict]


@dataclass(frozen=True)
class StreamFailed:
    status: int
    detail: str
    retry_after: int | None


Event = QuestionChunk | Progress | Completed | StreamFailed


class _Evaluation(BaseModel):
    score: float = Field(ge=0, le=1)
    bloom_level: Literal[rules.BLOOM_LEVELS]  # type: ignore[valid-type]
    reasoning: str = Field(min_length=1, max_length=2000)


# ----------------------------------------------------------------- helpers


def concepts_of(session: AssessmentSession) -> dict:
    kb = knowledge_base()
    role = kb.roles_by_id[session.domain]
    return {c.id: c for c in kb.role_concepts(role, session.target_level)}


def _domain_for(ctx: Context, skill_ids: list[str], role_id: str | None) -> Role:
    if role_id:
        return get_role_or_raise(ctx, role_id=role_id)
    unknown = [s for s in skill_ids if s not in knowledge_base().skills_by_id]
    if unknown:
        raise Validation(f"Unknown skill: {unknown[0]}", details={"field": "skillIds"})
    role = get_role_for_skills(ctx, skill_ids=skill_ids)
    if role is None:
        raise Validation("None of these skills is covered by a role of the knowledge base",
                         details={"field": "skillIds"})
    return role


async def _key(ctx: Context) -> str:
    """The key to use, or the documented 400 before any work is done."""
    return ctx.llm.resolve_key(await get_anthropic_key(ctx))


def _question_messages(session: AssessmentSession, state: rules.AssessmentState,
                       concept_id: str) -> tuple[str, list[dict]]:
    concepts = concepts_of(session)
    concept = concepts[concept_id]
    estimate = state.estimate(concept_id)
    asked = [t.question for t in state.history if t.concept == concept_id]
    role = knowledge_base().roles_by_id[session.domain]
    lines = [f"Concept: {concept.name} ({concept.level} level). {concept.description}",
             f"Bloom level to aim at: {rules.question_bloom(concept, estimate)}."]
    if asked:
        lines.append("Already asked about it:\n" + "\n".join(f"- {q}" for q in asked))
    return (QUESTION_SYSTEM.format(role=role.name.lower()),
            [{"role": "user", "content": "\n".join(lines)}])


async def _generate_question(ctx: Context, key: str, session: AssessmentSession,
                             state: rules.AssessmentState, concept_id: str) -> AsyncIterator[str]:
    system, messages = _question_messages(session, state, concept_id)
    async for text in ctx.llm.stream_text(api_key=key, system=system, messages=messages,
                                          max_tokens=400):
        yield text


async def _whole_question(ctx: Context, key: str, session: AssessmentSession,
                          state: rules.AssessmentState, concept_id: str) -> str:
    parts = [t async for t in _generate_question(ctx, key, session, state, concept_id)]
    question = "".join(parts).strip()
    if not question:
        raise DomainError("The AI service returned an empty question. Please try again.",
                          status=502, code="LLM_INVALID_ANSWER")
    return question


async def _evaluate(ctx: Context, key: str, session: AssessmentSession,
                    concept_id: str, question: str, answer: str) -> _Evaluation:
    concept = concepts_of(session)[concept_id]
    prompt = (f"Concept: {concept.name} ({concept.level} level). {concept.description}\n"
              f"Question: {question}\nCandidate's answer: {answer}")
    return await ctx.llm.complete_structured(
        api_key=key, system=EVALUATION_SYSTEM, messages=[{"role": "user", "content": prompt}],
        output=_Evaluation, tool_name="record_evaluation",
        description="Record the score, the Bloom level shown and the reasoning.")


def status_sql():
    """The session's status as every face shows it, as SQL over the sessions table (both
    the general path and planned reads read it): an active session idle for longer than
    ``SESSION_TIMEOUT`` is ``timed_out`` even before a step records it."""
    return case((and_(AssessmentSession.status == "active",
                      AssessmentSession.last_activity_at < func.now() - SESSION_TIMEOUT),
                 "timed_out"), else_=AssessmentSession.status)


def role_name_sql():
    """The name of the session's role in the knowledge base (null without one), as SQL."""
    names = {role.id: role.name for role in knowledge_base().roles}
    return case(names, value=AssessmentSession.role_id) if names else null()


def readiness_sql():
    """The overall readiness of the session's stored report, null before there is one."""
    return (select(AssessmentResult.overall_readiness)
            .where(AssessmentResult.session_id == AssessmentSession.id).scalar_subquery())


def mine_rule(viewer):
    """A session is its learner's alone (everyone else, admins too, gets 404/403 or no
    node): a SQL condition on sessions, for the lists and planned reads."""
    return AssessmentSession.user_id == VIEWER_ID if viewer.user_id is not None else false()


async def _load(ctx: Context, session_id: uuid.UUID) -> AssessmentSession:
    """The viewer's session (with its shown status): 404 when missing, 403 when someone
    else's."""
    user_id = ctx.viewer.require_user()
    async with ctx.db.session() as db:
        session = (await db.execute(
            select(AssessmentSession).where(AssessmentSession.id == session_id)
            .options(with_expression(AssessmentSession.shown_status, status_sql()))
        )).scalar_one_or_none()
    if session is None:
        raise NotFound("Session not found")
    if session.user_id != user_id:
        raise Forbidden("Not your session")
    return session


def effective_status(session: AssessmentSession) -> str:
    """The status of a session ``_load`` read (``status_sql``)."""
    return session.shown_status


async def _require_active(ctx: Context, session: AssessmentSession) -> None:
    status = effective_status(session)
    if status == "completed":
        raise Conflict("Session already completed")
    if status == "timed_out":
        if session.status == "active":
            async with ctx.db.transaction() as db:
                await db.execute(update(AssessmentSession).where(
                    AssessmentSession.id == session.id, AssessmentSession.status == "active"
                ).values(status="timed_out", version=AssessmentSession.version + 1))
        raise Gone("Session has timed out")


async def _save(ctx: Context, session: AssessmentSession, *, completes: bool = False,
                **values) -> int:
    """Write ``values`` if nobody changed the session since it was read; the new version.

    When the write completes the session, the materials job is enqueued with it.
    """
    version = session.version + 1
    async with ctx.db.transaction() as db:
        result = await db.execute(update(AssessmentSession).where(
            AssessmentSession.id == session.id, AssessmentSession.version == session.version,
        ).values(version=version, last_activity_at=datetime.now(UTC), **values))
        if result.rowcount != 1:
            raise Conflict("This session changed in the meantime; reload it and try again")
        if completes:
            await jobs.enqueue(db, MATERIALS_JOB, {"session_id": str(session.id)},
                               dedupe_key=f"materials:{session.id}")
    if completes:
        await jobs.notify_enqueued(ctx.services)
    session.version = version
    for name, value in values.items():
        setattr(session, name, value)
    return version


def _failure(error: DomainError) -> StreamFailed:
    return StreamFailed(status=error.status, detail=error.message,
                        retry_after=getattr(error, "retry_after", None))


# ----------------------------------------------------------------- operations


async def start(ctx: Context, *, skill_ids: list[str], target_level: str = "mid",
                role_id: str | None = None, thoroughness: str = "standard") -> Started:
    """Open a session and return its first question."""
    user_id = ctx.viewer.require_user()
    key = await _key(ctx)
    check_level(target_level)
    if thoroughness not in THOROUGHNESS:
        raise Validation(f"Invalid thoroughness: {thoroughness}",
                         details={"field": "thoroughness", "allowed": list(THOROUGHNESS)})
    if not 0 < len(skill_ids) <= MAX_SKILL_IDS:
        raise Validation(f"Choose 1 to {MAX_SKILL_IDS} skills", details={"field": "skillIds"})
    role = _domain_for(ctx, skill_ids, role_id)
    ordered = knowledge_base().role_concepts(role, target_level)
    state = rules.new_state(ordered, thoroughness)
    session = AssessmentSession(id=uuid.uuid4(), user_id=user_id, skill_ids=list(skill_ids),
                                target_level=target_level, role_id=role_id, domain=role.id,
                                thoroughness=thoroughness,
                                max_questions=rules.max_questions(state), version=0)
    first = rules.next_topic(state, {c.id: c for c in ordered}, 0)
    question = await _whole_question(ctx, key, session, state, first)
    session.state, session.pending_concept = state.to_json(), first
    session.pending_question, session.questions_asked = question, 1
    async with ctx.db.transaction() as db:
        db.add(session)
    return Started(session_id=session.id, question=question,
                   estimated_questions=session.max_questions)


async def check_respond(ctx: Context, *, session_id: uuid.UUID, response: str) -> str:
    """Everything that must fail with an HTTP status before a stream starts; the key."""
    if not response.strip():
        raise Validation("The response must not be empty", details={"field": "response"})
    if len(response) > MAX_ANSWER_CHARS:
        raise Validation(f"The response must be at most {MAX_ANSWER_CHARS} characters",
                         details={"field": "response"})
    session = await _load(ctx, session_id)
    key = await _key(ctx)
    await _require_active(ctx, session)
    if session.pending_question is None:
        raise Conflict("No pending question; resume the session first")
    return key


async def respond(ctx: Context, *, session_id: uuid.UUID, response: str,
                  key: str) -> AsyncIterator[Event]:
    """Evaluate the answer and stream the next question, or the final scores.

    Call ``check_respond`` first; failures from here on arrive as a
    ``StreamFailed`` event and leave the session usable.
    """
    try:
        session = await _load(ctx, session_id)
        await _require_active(ctx, session)
        concept_id, question = session.pending_concept, session.pending_question
        if question is None:
            raise Conflict("No pending question; resume the session first")
        evaluation = await _evaluate(ctx, key, session, concept_id, question, response)
        state = rules.AssessmentState.from_json(session.state)
        concepts = concepts_of(session)
        rules.record_answer(state, concepts, concept=concept_id, question=question,
                            answer=response, score=evaluation.score,
                            bloom=evaluation.bloom_level, reasoning=evaluation.reasoning)
        following = rules.next_topic(state, concepts, len(state.history))
        if following is None:
            await _save(ctx, session, completes=True, state=state.to_json(),
                        pending_concept=None, pending_question=None, status="completed",
                        completed_at=datetime.now(UTC))
            yield Completed(scores=rules.scores(state, concepts))
            return
        await _save(ctx, session, state=state.to_json(), pending_concept=following,
                    pending_question=None)
        parts: list[str] = []
        async for text in _generate_question(ctx, key, session, state, following):
            parts.append(text)
            yield QuestionChunk(text)
        await _save(ctx, session, pending_question="".join(parts).strip(),
                    questions_asked=session.questions_asked + 1)
        meta = rules.progress(state, session.questions_asked)
        yield Progress(topics_evaluated=meta["topics_evaluated"],
                       total_questions=meta["total_questions"],
                       max_questions=meta["max_questions"])
    except DomainError as error:
        yield _failure(error)


async def resume(ctx: Context, *, session_id: uuid.UUID) -> tuple[uuid.UUID, str]:
    """The pending question of an active session (asked anew if it was never finished)."""
    session = await _load(ctx, session_id)
    key = await _key(ctx)
    await _require_active(ctx, session)
    if session.pending_question is None:
        if session.pending_concept is None:
            raise Conflict("Session already completed")
        state = rules.AssessmentState.from_json(session.state)
        question = await _whole_question(ctx, key, session, state, session.pending_concept)
        await _save(ctx, session, pending_question=question,
                    questions_asked=session.questions_asked + 1)
    return session.id, session.pending_question


async def knowledge_graph(ctx: Context, *, session_id: uuid.UUID) -> dict:
    return graph_of(await _load(ctx, session_id))


def graph_of(session: AssessmentSession) -> dict:
    """The knowledge graph of a session (computed from its saved state, no I/O)."""
    state = rules.AssessmentState.from_json(session.state)
    return rules.knowledge_graph(state, concepts_of(session))


def live_scores(session: AssessmentSession) -> list[dict]:
    state = rules.AssessmentState.from_json(session.state)
    return rules.scores(state, concepts_of(session))


async def get(ctx: Context, *, session_id: uuid.UUID) -> AssessmentSession:
    """One of the viewer's sessions (404 when missing, 403 when someone else's)."""
    return await _load(ctx, session_id)


async def get_listed(ctx: Context, *, session_id: uuid.UUID) -> Listed:
    """One of the viewer's sessions as the list shows it (404 / 403 otherwise)."""
    await _load(ctx, session_id)
    listed = await get_listed_many(ctx, session_ids=[session_id])
    return listed[0]


async def stored_result(ctx: Context, *, session_id: uuid.UUID) -> AssessmentResult | None:
    async with ctx.db.session() as db:
        return await db.get(AssessmentResult, session_id)


@dataclass(frozen=True)
class Listed:
    session: AssessmentSession
    status: str
    overall_readiness: int | None
    role_name: str | None


def _listing():
    """Sessions with what the list shows of them, each from its SQL rule above (the same
    rules planned reads use)."""
    return select(AssessmentSession, status_sql(), readiness_sql(), role_name_sql())


async def get_listed_many(ctx: Context, *,
                          session_ids: list[uuid.UUID | None]) -> list[Listed | None]:
    """The viewer's sessions among ``session_ids``, in order; None for any other id."""
    wanted = [i for i in session_ids if i is not None]
    if ctx.viewer.user_id is None or not wanted:
        return [None] * len(session_ids)
    async with ctx.db.session() as db:
        rows = (await db.execute(
            _listing().where(mine_rule(ctx.viewer), AssessmentSession.id.in_(wanted)),
            viewer_params(ctx.viewer))).all()
    found = {row[0].id: Listed(*row) for row in rows}
    return [found.get(i) for i in session_ids]


def mine(ctx: Context) -> Select:
    """The viewer's sessions, as the query ``list_mine`` reads its pages from."""
    ctx.viewer.require_user()
    return select(AssessmentSession).where(mine_rule(ctx.viewer))


async def list_mine(ctx: Context, *, limit: int | None = None,
                    after: tuple[datetime, uuid.UUID] | None = None) -> list[Listed]:
    """The viewer's sessions, newest first, with readiness for completed ones; a page of
    ``limit`` after the (created_at, id) position ``after`` when given."""
    ctx.viewer.require_user()
    query = (_listing().where(mine_rule(ctx.viewer))
             .order_by(AssessmentSession.created_at.desc(), AssessmentSession.id))
    if after is not None:
        created_at, session_id = after
        query = query.where(or_(AssessmentSession.created_at < created_at,
                                and_(AssessmentSession.created_at == created_at,
                                     AssessmentSession.id > session_id)))
    if limit is not None:
        query = query.limit(limit)
    async with ctx.db.session() as db:
        rows = (await db.execute(query, viewer_params(ctx.viewer))).all()
    return [Listed(*row) for row in rows]


async def delete_session(ctx: Context, *, session_id: uuid.UUID) -> None:
    """Delete the viewer's session with its results and materials."""
    session = await _load(ctx, session_id)
    async with ctx.db.transaction() as db:
        await db.execute(delete(AssessmentMaterial).where(
            AssessmentMaterial.session_id == session.id))
        await db.execute(delete(AssessmentResult).where(
            AssessmentResult.session_id == session.id))
        await db.execute(delete(AssessmentSession).where(AssessmentSession.id == session.id))
