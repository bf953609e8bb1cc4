"""OpenLearning's knowledge base endpoints: /api/skills and /api/roles/*.

Public, as documented (no authentication). Choices where the reference is silent:
- ``GET /api/roles`` lists roles ordered by id; ``skillCount`` is the number of
  skills the role maps to and ``levels`` is always all four levels in order.
- ``GET /api/roles/{role_id}`` lists every level, with ``conceptCount`` 0 when a
  role has no concept at a level; ``mappedSkillIds`` keep the role file's order.
- ``GET /api/roles/{role_id}/concepts`` answers 404 ``Role not found: <id>``
  before looking at the level, then 400 ``Invalid level: <level>`` (also for an
  empty ``level=``). A concept renders exactly the documented fields (id,
  displayName, level, prerequisites); prerequisites keep the concept's own order.
  Concepts come lowest level first, then in the role's teaching order, every
  prerequisite before the concepts that need it.
"""

from __future__ import annotations

from pydantic import BaseModel
from starlette.responses import Response

from core.knowledge import LEVELS, Concept, Role, Skill
from resolvers import knowledge
from rest_compat.base import FaceRequest, JSONResponse, Route


class RolePath(BaseModel):
    role_id: str


class ConceptsQuery(BaseModel):
    level: str = knowledge.DEFAULT_LEVEL


def _skill(skill: Skill) -> dict:
    return {"id": skill.id, "name": skill.name, "category": skill.category, "icon": skill.icon,
            "description": skill.description, "subSkills": list(skill.sub_skills)}


def _role_summary(role: Role) -> dict:
    return {"id": role.id, "name": role.name, "description": role.description,
            "skillCount": len(role.skill_ids), "levels": list(LEVELS)}


def _concept(concept: Concept) -> dict:
    return {"id": concept.id, "displayName": concept.name, "level": concept.level,
            "prerequisites": list(concept.prerequisites)}


async def list_skills(req: FaceRequest) -> Response:
    return JSONResponse({
        "skills": [_skill(s) for s in knowledge.get_skills(req.ctx)],
        "categories": [c.name for c in knowledge.get_categories(req.ctx)],
    })


async def list_roles(req: FaceRequest) -> Response:
    return JSONResponse([_role_summary(r) for r in knowledge.get_roles(req.ctx)])


async def get_role(req: FaceRequest) -> Response:
    role = knowledge.get_role_or_raise(req.ctx, role_id=req.path["role_id"])
    counts = knowledge.get_level_counts(req.ctx, role=role)
    return JSONResponse({
        "id": role.id, "name": role.name, "description": role.description,
        "mappedSkillIds": list(role.skill_ids),
        "levels": [{"name": level, "conceptCount": count} for level, count in counts.items()],
    })


async def get_role_concepts(req: FaceRequest) -> Response:
    params: ConceptsQuery = req.params
    concepts = knowledge.get_role_concepts(req.ctx, role_id=req.path["role_id"],
                                           level=params.level)
    return JSONResponse({"concepts": [_concept(c) for c in concepts]})


ROUTES = [
    Route("GET", "/skills", list_skills, tag="knowledge",
          summary="The skills taxonomy with its categories",
          responses={200: "SkillsResponse"}),
    Route("GET", "/roles", list_roles, tag="knowledge",
          summary="Every role (knowledge base domain)", responses={200: "list[RoleSummary]"}),
    Route("GET", "/roles/{role_id}", get_role, path_params=RolePath, tag="knowledge",
          summary="One role with its mapped skills and concept counts per level",
          responses={200: "RoleDetail", 404: "Role not found: <role_id>"}),
    Route("GET", "/roles/{role_id}/concepts", get_role_concepts, path_params=RolePath,
          query=ConceptsQuery, tag="knowledge",
          summary="A role's concepts up to a level (default mid), prerequisites first",
          responses={200: "RoleConceptsResponse", 400: "Invalid level: <level>",
                     404: "Role not found: <role_id>"}),
]
