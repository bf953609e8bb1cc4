"""Study materials generated after an assessment completes.

A durable job (``assessment.materials``, enqueued with the completion) writes
material for the concepts the learner is least sure of: up to six concepts
under 0.8 confidence, weakest first (or the three weakest when all are
strong). Each material has an explanation, a code example and a quiz,
aimed one Bloom level above what the learner showed. A reviewer pass scores
it (Bloom fit and quality, 0–1) and lists issues; below 0.7 / 0.8 the
material is revised with those issues, at most three times in all, and kept
with ``qualityFlag`` set when it never passed. Each concept's material is
stored as soon as it is done, so a job cut off by a restart resumes with the
concepts still missing.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator
from sqlalchemy import select
from sqlalchemy.dialects.postgresql import insert

from core.auth.viewer import Viewer
from core.context import Context
from core.errors import DomainError, Upstream
from core.jobs import PermanentFailure, job
from core.knowledge import knowledge_base
from loaders.assessment import MaterialsBySessionIdLoader
from models.assessment import AssessmentMaterial, AssessmentSession
from resolvers import assessment_state as rules
from resolvers.assessment import MATERIALS_JOB, get
from resolvers.auth import get_anthropic_key

MAX_CONCEPTS = 6
FALLBACK_CONCEPTS = 3
WEAK = 0.8
MAX_ITERATIONS = 3
QUALITY_BAR, BLOOM_BAR = 0.8, 0.7
FLAG_BELOW_BAR = "below_quality_threshold"

WRITER = """You write short, accurate study material for one software engineering \
concept, for a learner who showed the Bloom level given. Aim one level higher. Write \
exactly three or more sections: an explanation (clear prose, concrete), a code example \
(runnable, idiomatic, with the code in codeBlock and what it shows in body) and a quiz \
question (body) with its answer (answer). Never invent APIs."""

REVIEWER = """You review study material for a software engineering concept. Score how \
well it targets the intended Bloom level (bloom_score, 0-1) and its overall quality: \
accuracy, clarity, a correct runnable example, a quiz that checks understanding \
(quality_score, 0-1). List concrete issues to fix; none if it is good."""


class _Section(BaseModel):
    model_config = ConfigDict(populate_by_name=True)

    type: Literal["explanation", "code_example", "quiz"]
    title: str = Field(min_length=1, max_length=200)
    body: str = Field(min_length=1, max_length=8000)
    code_block: str | None = Field(default=None, max_length=8000, alias="codeBlock")
    answer: str | None = Field(default=None, max_length=4000)

    @model_validator(mode="after")
    def _complete(self) -> _Section:
        if self.type == "code_example" and not self.code_block:
            raise ValueError("a code_example section needs codeBlock")
        if self.type == "quiz" and not self.answer:
            raise ValueError("a quiz section needs answer")
        return self


class _Material(BaseModel):
    sections: list[_Section] = Field(min_length=3, max_length=8)

    @model_validator(mode="after")
    def _all_kinds(self) -> _Material:
        kinds = {s.type for s in self.sections}
        missing = {"explanation", "code_example", "quiz"} - kinds
        if missing:
            raise ValueError(f"missing sections: {', '.join(sorted(missing))}")
        return self


class _Review(BaseModel):
    bloom_score: float = Field(ge=0, le=1)
    quality_score: float = Field(ge=0, le=1)
    issues: list[str] = Field(default_factory=list, max_length=10)


@dataclass(frozen=True)
class Generated:
    material: dict
    bloom_score: float
    quality_score: float
    iterations: int
    flag: str | None


def concepts_to_cover(state: rules.AssessmentState) -> list[str]:
    """The concepts that get material: the weak ones, weakest first."""
    touched = [(e.confidence, cid) for cid, e in state.estimates.items() if e.source != "prior"]
    touched.sort()
    weak = [cid for confidence, cid in touched if confidence < WEAK][:MAX_CONCEPTS]
    return weak or [cid for _, cid in touched[:FALLBACK_CONCEPTS]]


def target_bloom(estimate: rules.ConceptEstimate) -> int:
    """1-based Bloom level one above what was shown (remember = 1 ... create = 6)."""
    shown = rules.BLOOM_LEVELS.index(estimate.bloom) + 1 if estimate.bloom else 1
    return min(shown + 1, len(rules.BLOOM_LEVELS))


async def generate(ctx: Context, *, key: str, concept_id: str,
                   estimate: rules.ConceptEstimate) -> Generated:
    """Write, review and revise one concept's material (at most MAX_ITERATIONS passes)."""
    concept = knowledge_base().concepts[concept_id]
    bloom = target_bloom(estimate)
    brief = (f"Concept: {concept.name} ({concept.level} level). {concept.description}\n"
             f"The learner showed: {estimate.bloom or 'nothing yet'} "
             f"(confidence {estimate.confidence:.2f}). "
             f"Aim at Bloom level {bloom}: {rules.BLOOM_LEVELS[bloom - 1]}.")
    issues: list[str] = []
    for iteration in range(1, MAX_ITERATIONS + 1):
        request = brief if not issues else (
            brief + "\nRevise the previous material; fix these issues:\n"
            + "\n".join(f"- {i}" for i in issues))
        material = await ctx.llm.complete_structured(
            api_key=key, system=WRITER, messages=[{"role": "user", "content": request}],
            output=_Material, tool_name="record_material", max_tokens=4096,
            description="Record the sections of the study material.")
        review = await ctx.llm.complete_structured(
            api_key=key, system=REVIEWER, output=_Review, tool_name="record_review",
            messages=[{"role": "user", "content": brief + "\n\nMaterial:\n"
                       + material.model_dump_json(by_alias=True, exclude_none=True)}],
            description="Record the Bloom fit, the quality and the issues.")
        passed = review.quality_score >= QUALITY_BAR and review.bloom_score >= BLOOM_BAR
        if passed or iteration == MAX_ITERATIONS:
            body = {"concept_id": concept_id, "target_bloom": bloom,
                    "sections": [s.model_dump(by_alias=True, exclude_none=True)
                                 for s in material.sections]}
            return Generated(material=body, bloom_score=review.bloom_score,
                             quality_score=review.quality_score, iterations=iteration,
                             flag=None if passed else FLAG_BELOW_BAR)
        issues = review.issues or ["Raise the quality: be more precise and concrete."]
    raise AssertionError("unreachable")


async def _done_concepts(ctx: Context, session_id: uuid.UUID) -> set[str]:
    async with ctx.db.session() as db:
        return set((await db.execute(select(AssessmentMaterial.concept_id).where(
            AssessmentMaterial.session_id == session_id))).scalars())


@job(MATERIALS_JOB)
async def generate_for_session(services, payload: dict) -> None:
    """The job: material for each weak concept of a completed session, skipping done ones."""
    session_id = uuid.UUID(payload["session_id"])
    async with services.db.session() as db:
        session = await db.get(AssessmentSession, session_id)
    if session is None:
        return  # deleted meanwhile: nothing to do
    ctx = Context(services=services, viewer=Viewer(kind="user", user_id=session.user_id))
    try:
        key = ctx.llm.resolve_key(await get_anthropic_key(ctx))
    except DomainError as exc:
        raise PermanentFailure(exc.message) from exc
    state = rules.AssessmentState.from_json(session.state)
    done = await _done_concepts(ctx, session_id)
    for concept_id in concepts_to_cover(state):
        if concept_id in done:
            continue
        try:
            generated = await generate(ctx, key=key, concept_id=concept_id,
                                       estimate=state.estimate(concept_id))
        except Upstream as exc:
            if exc.status == 401:
                raise PermanentFailure(exc.message) from exc
            raise
        async with ctx.db.transaction() as db:
            await db.execute(insert(AssessmentMaterial).values(
                session_id=session_id, concept_id=concept_id, domain=session.domain,
                bloom_score=generated.bloom_score, quality_score=generated.quality_score,
                iteration_count=generated.iterations, quality_flag=generated.flag,
                material=generated.material,
            ).on_conflict_do_nothing(index_elements=["session_id", "concept_id"]))


async def for_session(ctx: Context, *, session_id: uuid.UUID) -> list[AssessmentMaterial]:
    """The materials of the viewer's session so far (none while the job is running)."""
    return await of_session(ctx, session=await get(ctx, session_id=session_id))


async def of_session(ctx: Context, *, session: AssessmentSession) -> list[AssessmentMaterial]:
    """The materials of a session already known to be the viewer's, batched per request."""
    return await ctx.loaders.get(MaterialsBySessionIdLoader).load(session.id)
