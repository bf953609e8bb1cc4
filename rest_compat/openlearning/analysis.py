"""OpenLearning's gap analysis endpoint (the learning plan joins it here)."""

from __future__ import annotations

from pydantic import Field
from starlette.responses import Response

from resolvers import gaps
from rest_compat.base import FaceRequest, JSONResponse, Route
from rest_compat.openlearning.shapes import CamelModel

NO_KEY = "no API key configured"


class ProficiencyScoreIn(CamelModel):
    skill_id: str = Field(min_length=1, max_length=gaps.MAX_NAME_CHARS)
    skill_name: str = Field(min_length=1, max_length=gaps.MAX_NAME_CHARS)
    score: int = Field(ge=0, le=100)
    confidence: float = Field(ge=0, le=1)
    reasoning: str = Field(default="", max_length=gaps.MAX_REASONING_CHARS)


class GapAnalysisRequest(CamelModel):
    proficiency_scores: list[ProficiencyScoreIn] = Field(min_length=1,
                                                         max_length=gaps.MAX_SKILLS)


def gap_analysis_json(analysis: gaps.GapAnalysis) -> dict:
    return {"overallReadiness": analysis.overall_readiness, "summary": analysis.summary,
            "gaps": [{"skillId": g.skill_id, "skillName": g.skill_name,
                      "currentLevel": g.current_level, "targetLevel": g.target_level,
                      "gap": g.gap, "priority": g.priority,
                      "recommendation": g.recommendation} for g in analysis.gaps]}


async def gap_analysis(req: FaceRequest) -> Response:
    body: GapAnalysisRequest = req.body
    scores = [gaps.ProficiencyScore(skill_id=s.skill_id, skill_name=s.skill_name, score=s.score,
                                    confidence=s.confidence, reasoning=s.reasoning)
              for s in body.proficiency_scores]
    return JSONResponse(gap_analysis_json(await gaps.analyze(req.ctx, scores=scores)))


LLM_ERRORS = {400: NO_KEY, 401: "not signed in, or the Anthropic key was rejected",
              429: "rate limited (Retry-After)", 502: "AI service error",
              504: "AI service timed out"}

ROUTES = [
    Route("POST", "/gap-analysis", gap_analysis, auth=True, body=GapAnalysisRequest,
          tag="analysis", summary="Gap analysis from proficiency scores",
          responses={200: "GapAnalysis", 422: "invalid scores", **LLM_ERRORS}),
]
