"""Learning plans: the gaps of a gap analysis turned into ordered phases of study.

The structure is computed, so it always respects the knowledge base: the
concepts with a gap are layered by their prerequisites among each other (a
phase never teaches something before what it builds on; at most four
phases, deeper layers join the last), ordered by priority within a phase,
and given hours by priority (critical 8, high 6, medium 4, low 2). The model
writes the words: each phase's title, rationale and resources, and the
summary, validated against a schema (resources are articles, videos,
courses, books, documentation, exercises or projects, with an http(s) URL or
none).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from pydantic import BaseModel, Field, field_validator

from core.context import Context
from core.errors import Validation
from core.knowledge import knowledge_base
from resolvers.auth import get_anthropic_key
from resolvers.gaps import (
    MAX_RECOMMENDATION_CHARS,
    MAX_SKILLS,
    MAX_SUMMARY_CHARS,
    Gap,
    GapAnalysis,
    check_skill,
)

MAX_PHASES = 4
HOURS = {"critical": 8.0, "high": 6.0, "medium": 4.0, "low": 2.0}
PRIORITY_ORDER = {"critical": 0, "high": 1, "medium": 2, "low": 3}

SYSTEM = """You are an experienced engineering mentor writing a study plan. The phases \
and the concepts in each are fixed; for every phase write a short title, one or two \
sentences of rationale, and two to four concrete resources (well-known articles, books, \
official documentation, courses, exercises or small projects; give a URL only when you \
are sure it exists, otherwise null). Then summarise the plan in one or two sentences."""


@dataclass(frozen=True)
class Resource:
    type: str
    title: str
    url: str | None


@dataclass(frozen=True)
class Phase:
    phase_number: int
    title: str
    concepts: list[str]
    rationale: str
    resources: list[Resource]
    estimated_hours: float


@dataclass(frozen=True)
class LearningPlan:
    summary: str
    total_hours: float
    phases: list[Phase]


class _Resource(BaseModel):
    type: Literal["article", "video", "course", "book", "documentation", "exercise", "project"]
    title: str = Field(min_length=1, max_length=300)
    url: str | None = None

    @field_validator("url")
    @classmethod
    def _http_only(cls, url: str | None) -> str | None:
        if url is not None and not url.startswith(("https://", "http://")):
            raise ValueError("url must be an http(s) URL or null")
        return url


class _PhaseWords(BaseModel):
    phase_number: int = Field(ge=1, le=MAX_PHASES)
    title: str = Field(min_length=1, max_length=200)
    rationale: str = Field(min_length=1, max_length=2000)
    resources: list[_Resource] = Field(max_length=6)


class _PlanWords(BaseModel):
    summary: str = Field(min_length=1, max_length=2000)
    phases: list[_PhaseWords]


def layers(gaps: list[Gap]) -> list[list[Gap]]:
    """Gaps grouped into phases by prerequisite depth among themselves."""
    concepts = knowledge_base().concepts
    ids = {g.skill_id for g in gaps}
    depth: dict[str, int] = {}

    def depth_of(concept_id: str, trail: tuple[str, ...] = ()) -> int:
        if concept_id in depth:
            return depth[concept_id]
        concept = concepts.get(concept_id)
        prerequisites = [p for p in (concept.prerequisites if concept else ())
                         if p in ids and p not in trail]
        value = 1 + max((depth_of(p, (*trail, concept_id)) for p in prerequisites), default=-1)
        depth[concept_id] = value
        return value

    phases: list[list[Gap]] = [[] for _ in range(MAX_PHASES)]
    for gap in gaps:
        phases[min(depth_of(gap.skill_id), MAX_PHASES - 1)].append(gap)
    for phase in phases:
        phase.sort(key=lambda g: (PRIORITY_ORDER[g.priority], -g.gap, g.skill_id))
    return [p for p in phases if p]


def _check(analysis: GapAnalysis) -> None:
    """Refuse input the plan cannot use before any of it reaches the model."""
    if not analysis.gaps:
        raise Validation("The gap analysis has no gaps to plan for",
                         details={"field": "gapAnalysis.gaps"})
    if len(analysis.gaps) > MAX_SKILLS:
        raise Validation(f"At most {MAX_SKILLS} gaps can be planned for",
                         details={"field": "gapAnalysis.gaps"})
    if len(analysis.summary) > MAX_SUMMARY_CHARS:
        raise Validation(f"The summary must be at most {MAX_SUMMARY_CHARS} characters",
                         details={"field": "gapAnalysis.summary"})
    if not 0 <= analysis.overall_readiness <= 100:
        raise Validation("Overall readiness must be between 0 and 100",
                         details={"field": "gapAnalysis.overallReadiness"})
    for gap in analysis.gaps:
        check_skill(gap.skill_id, gap.skill_name)
        if len(gap.recommendation) > MAX_RECOMMENDATION_CHARS:
            raise Validation(f"The recommendation of {gap.skill_id} must be at most "
                             f"{MAX_RECOMMENDATION_CHARS} characters")
        if gap.priority not in PRIORITY_ORDER:
            raise Validation(f"Unknown priority {gap.priority!r} for {gap.skill_id}; use "
                             "critical, high, medium or low")
        if not all(0 <= v <= 100 for v in (gap.current_level, gap.target_level, gap.gap)):
            raise Validation(f"Levels and gap of {gap.skill_id} must be between 0 and 100")


def _prompt(grouped: list[list[Gap]], analysis: GapAnalysis) -> str:
    lines = [f"Learner summary: {analysis.summary}", "Phases:"]
    for number, phase in enumerate(grouped, start=1):
        items = "; ".join(f"{g.skill_name} (gap {g.gap}, {g.priority})" for g in phase)
        lines.append(f"{number}. {items}")
    return "\n".join(lines)


def assemble(grouped: list[list[Gap]], words: _PlanWords) -> LearningPlan:
    by_number = {p.phase_number: p for p in words.phases}
    phases = []
    for number, phase in enumerate(grouped, start=1):
        written = by_number.get(number)
        hours = sum(HOURS[g.priority] for g in phase)
        names = ", ".join(g.skill_name for g in phase)
        phases.append(Phase(
            phase_number=number,
            title=written.title if written else f"Phase {number}",
            concepts=[g.skill_id for g in phase],
            rationale=written.rationale if written else f"Work on {names}.",
            resources=[Resource(type=r.type, title=r.title, url=r.url)
                       for r in (written.resources if written else [])],
            estimated_hours=hours))
    return LearningPlan(summary=words.summary, phases=phases,
                        total_hours=sum(p.estimated_hours for p in phases))


async def build(ctx: Context, *, analysis: GapAnalysis) -> LearningPlan:
    """A learning plan for the viewer from ``analysis`` (the model writes the words)."""
    ctx.viewer.require_user()
    _check(analysis)
    open_gaps = [g for g in analysis.gaps if g.gap > 0] or list(analysis.gaps)
    grouped = layers(open_gaps)
    words = await ctx.llm.complete_structured(
        api_key=await get_anthropic_key(ctx), system=SYSTEM,
        messages=[{"role": "user", "content": _prompt(grouped, analysis)}], output=_PlanWords,
        tool_name="record_learning_plan",
        description="Record the title, rationale and resources of every phase, and the "
                    "summary.")
    return assemble(grouped, words)
