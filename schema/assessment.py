"""GraphQL for skill assessment: gap analysis (assessments and plans join it here)."""

from __future__ import annotations

import strawberry
from strawberry.types import Info

from resolvers import gaps


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


@strawberry.type
class AssessmentMutation:
    @strawberry.mutation(description="Analyse the gaps between proficiency scores and the "
                                     "levels the work needs (uses your Anthropic key).")
    async def analyze_gaps(self, info: Info, input: GapAnalysisInput) -> GapAnalysis:
        result = await gaps.analyze(info.context,
                                    scores=[_score(s) for s in input.proficiency_scores])
        return GapAnalysis(overall_readiness=result.overall_readiness, summary=result.summary,
                           gaps=[SkillGap(**vars(g)) for g in result.gaps])
