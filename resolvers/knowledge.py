"""The knowledge base: skills, roles and their concepts by level.

The knowledge base is read-only data loaded and validated once at start-up
(``core.knowledge``), so these resolvers are plain synchronous functions with no
I/O: other resolvers (assessment, gap analysis, learning plans) and the schema's
nested fields call them without awaiting and without a database round trip.
They take the context like every resolver; nothing here depends on the viewer,
because the knowledge base is public.
"""

from __future__ import annotations

from core.context import Context
from core.errors import NotFound, Validation
from core.knowledge import LEVEL_RANK, LEVELS, Category, Concept, Role, Skill, knowledge_base

DEFAULT_LEVEL = "mid"


def get_skills(ctx: Context) -> list[Skill]:
    """Every skill of the taxonomy, in the taxonomy's order."""
    return list(knowledge_base().skills)


def get_categories(ctx: Context) -> list[Category]:
    """The skill categories, in the taxonomy's order."""
    return list(knowledge_base().categories)


def get_skills_by_ids(ctx: Context, *, skill_ids: list[str]) -> list[Skill | None]:
    """Skills in the order of ``skill_ids``; None for an unknown id."""
    by_id = knowledge_base().skills_by_id
    return [by_id.get(s) for s in skill_ids]


def get_roles(ctx: Context) -> list[Role]:
    """Every role, ordered by id."""
    return list(knowledge_base().roles)


def get_role(ctx: Context, *, role_id: str) -> Role | None:
    """The role with this id, or None."""
    return knowledge_base().roles_by_id.get(role_id)


def get_role_or_raise(ctx: Context, *, role_id: str) -> Role:
    """The role with this id; NotFound("Role not found: <id>") otherwise."""
    role = get_role(ctx, role_id=role_id)
    if role is None:
        raise NotFound(f"Role not found: {role_id}")
    return role


def get_role_for_skills(ctx: Context, *, skill_ids: list[str]) -> Role | None:
    """The role mapping the most of ``skill_ids`` (ties go to the lower id); None if none do.

    This is the skill-to-domain mapping an assessment uses when it is given no role.
    """
    wanted = set(skill_ids)
    best: tuple[int, Role] | None = None
    for role in knowledge_base().roles:
        overlap = len(wanted.intersection(role.skill_ids))
        if overlap and (best is None or overlap > best[0]):
            best = (overlap, role)
    return best[1] if best else None


def check_level(level: str) -> str:
    """``level`` when it is a known career level; Validation("Invalid level: <x>") otherwise."""
    if level not in LEVEL_RANK:
        raise Validation(f"Invalid level: {level}", details={"field": "level",
                                                             "allowed": list(LEVELS)})
    return level


def get_level_counts(ctx: Context, *, role: Role) -> dict[str, int]:
    """How many concepts the role has at each level (every level present, in order)."""
    return knowledge_base().level_counts(role)


def get_role_concepts(ctx: Context, *, role_id: str, level: str = DEFAULT_LEVEL) -> list[Concept]:
    """The role's concepts up to and including ``level``, each after its prerequisites.

    Checks the role first (404), then the level (400). The order is deterministic:
    lower levels first, then the role's teaching order.
    """
    role = get_role_or_raise(ctx, role_id=role_id)
    return knowledge_base().role_concepts(role, check_level(level))


def get_concept(ctx: Context, *, concept_id: str) -> Concept | None:
    """The concept with this id, or None."""
    return knowledge_base().concepts.get(concept_id)


def get_concepts_by_ids(ctx: Context, *, concept_ids: list[str]) -> list[Concept | None]:
    """Concepts in the order of ``concept_ids``; None for an unknown id."""
    concepts = knowledge_base().concepts
    return [concepts.get(c) for c in concept_ids]
