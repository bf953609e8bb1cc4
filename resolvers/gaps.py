"""Gap analysis: where a learner stands against where they need to be, per skill.

The model proposes a target level (0–100) and a recommendation per skill and
writes the summary; everything else is computed here so it is the same every
time: the gap is ``max(0, target - current)``, the priority follows fixed
thresholds (critical > 40, high > 25, medium > 10, low ≤ 10), gaps are
ordered largest first, and overall readiness is the mean of
``min(current, target) / target`` over the skills, as a percentage.
"""

from __future__ import annotations

from dataclasses import dataclass

from pydantic import BaseModel, Field

from core.context import Context
from core.errors import Validation
from resolvers.auth import get_anthropic_key

DEFAULT_TARGET = 80
MAX_SKILLS = 100
MAX_NAME_CHARS = 200
MAX_REASONING_CHARS = 4000
MAX_RECOMMENDATION_CHARS = 1000
MAX_SUMMARY_CHARS = 2000

SYSTEM = """You are a senior engineering mentor. You receive a learner's proficiency \
scores (0-100) per skill with the assessor's reasoning. For every skill, set the level \
(0-100) a capable practitioner needs for day-to-day work and write one concrete, \
actionable recommendation (what to study or build next). Then summarise the learner's \
position in one or two sentences. Be specific and kind; never invent skills."""


@dataclass(frozen=True)
class ProficiencyScore:
    skill_id: str
    skill_name: str
    score: int
    confidence: float
    reasoning: str = ""


@dataclass(frozen=True)
class Gap:
    skill_id: str
    skill_name: str
    current_level: int
    target_level: int
    gap: int
    priority: str
    recommendation: str


@dataclass(frozen=True)
class GapAnalysis:
    overall_readiness: int
    summary: str
    gaps: list[Gap]


class _SkillTarget(BaseModel):
    skill_id: str = Field(description="The skill's id, exactly as given.")
    target_level: int = Field(ge=0, le=100)
    recommendation: str = Field(min_length=1, max_length=MAX_RECOMMENDATION_CHARS)


class _Assessment(BaseModel):
    summary: str = Field(min_length=1, max_length=MAX_SUMMARY_CHARS)
    skills: list[_SkillTarget]


def priority_for(gap: int) -> str:
    if gap > 40:
        return "critical"
    if gap > 25:
        return "high"
    if gap > 10:
        return "medium"
    return "low"


def readiness(pairs: list[tuple[int, int]]) -> int:
    """Mean of min(current, target) / target over (current, target) pairs, in percent."""
    if not pairs:
        return 0
    shares = [1.0 if target == 0 else min(current, target) / target for current, target in pairs]
    return round(100 * sum(shares) / len(shares))


def build(scores: list[ProficiencyScore], targets: dict[str, _SkillTarget],
          summary: str) -> GapAnalysis:
    gaps = []
    for score in scores:
        proposal = targets.get(score.skill_id)
        target = proposal.target_level if proposal else DEFAULT_TARGET
        recommendation = (proposal.recommendation if proposal
                          else f"Strengthen your {score.skill_name} fundamentals with practice.")
        gap = max(0, target - score.score)
        gaps.append(Gap(skill_id=score.skill_id, skill_name=score.skill_name,
                        current_level=score.score, target_level=target, gap=gap,
                        priority=priority_for(gap), recommendation=recommendation))
    gaps.sort(key=lambda g: (-g.gap, g.skill_name.lower()))
    return GapAnalysis(overall_readiness=readiness([(g.current_level, g.target_level)
                                                    for g in gaps]),
                       summary=summary, gaps=gaps)


def check_skill(skill_id: str, skill_name: str) -> None:
    """Raise Validation unless the skill's id and name are 1 to MAX_NAME_CHARS characters."""
    if not (0 < len(skill_id) <= MAX_NAME_CHARS and 0 < len(skill_name) <= MAX_NAME_CHARS):
        raise Validation(f"Skill ids and names must be 1 to {MAX_NAME_CHARS} characters")


def _check(scores: list[ProficiencyScore]) -> None:
    if not scores:
        raise Validation("At least one proficiency score is required")
    if len(scores) > MAX_SKILLS:
        raise Validation(f"At most {MAX_SKILLS} proficiency scores are allowed")
    ids = [s.skill_id for s in scores]
    if len(set(ids)) != len(ids):
        raise Validation("Each skill may appear only once")
    for score in scores:
        check_skill(score.skill_id, score.skill_name)
        if len(score.reasoning) > MAX_REASONING_CHARS:
            raise Validation(f"The reasoning of {score.skill_id} must be at most "
                             f"{MAX_REASONING_CHARS} characters")
        if not 0 <= score.score <= 100:
            raise Validation(f"The score of {score.skill_id} must be between 0 and 100")
        if not 0 <= score.confidence <= 1:
            raise Validation(f"The confidence of {score.skill_id} must be between 0 and 1")


def _prompt(scores: list[ProficiencyScore]) -> str:
    lines = [f"- {s.skill_id} ({s.skill_name}): score {s.score}, confidence "
             f"{s.confidence:.2f}. {s.reasoning}".rstrip() for s in scores]
    return "Proficiency scores:\n" + "\n".join(lines)


async def analyze(ctx: Context, *, scores: list[ProficiencyScore]) -> GapAnalysis:
    """The viewer's gap analysis for ``scores`` (the model sets targets and words)."""
    ctx.viewer.require_user()
    _check(scores)
    answer = await ctx.llm.complete_structured(
        api_key=await get_anthropic_key(ctx), system=SYSTEM,
        messages=[{"role": "user", "content": _prompt(scores)}], output=_Assessment,
        tool_name="record_gap_analysis",
        description="Record the target level and recommendation for every skill, "
                    "and the summary.")
    known = {s.skill_id for s in scores}
    targets = {t.skill_id: t for t in answer.skills if t.skill_id in known}
    return build(scores, targets, answer.summary)
