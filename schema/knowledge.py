"""GraphQL for the knowledge base: skills, their categories, roles and concepts.

Skills, roles and concepts are Relay nodes whose global IDs wrap their plain
identifiers; ``key`` carries the plain identifier the REST face uses
(``nodejs``, ``backend_engineering``, ``http_fundamentals``). The lists are
bounded, versioned content rather than growing data, so they are plain lists,
not connections. Nested fields read the in-memory knowledge base (no SQL).
"""

from __future__ import annotations

from collections.abc import Iterable

import strawberry
from strawberry import relay
from strawberry.types import Info

from core import knowledge as kb
from resolvers import knowledge as resolvers


@strawberry.type(description="A skill of the taxonomy, such as Node.js or Kubernetes.")
class Skill(relay.Node):
    id: relay.NodeID[str]
    key: str = strawberry.field(description="The skill's identifier, e.g. `rest-api`.")
    name: str = strawberry.field(description="Display name, e.g. `REST APIs`.")
    category: str = strawberry.field(description="Name of the skill's category.")
    icon: str = strawberry.field(description="An emoji standing for the skill.")
    description: str = strawberry.field(description="One sentence on what the skill covers.")
    sub_skills: list[str] = strawberry.field(description="Narrower topics within the skill.")

    @classmethod
    def from_skill(cls, skill: kb.Skill) -> Skill:
        return cls(id=skill.id, key=skill.id, name=skill.name, category=skill.category,
                   icon=skill.icon, description=skill.description,
                   sub_skills=list(skill.sub_skills))

    @classmethod
    def resolve_nodes(cls, *, info: Info, node_ids: Iterable[str],
                      required: bool = False) -> list[Skill | None]:
        skills = resolvers.get_skills_by_ids(info.context, skill_ids=list(node_ids))
        return [cls.from_skill(s) if s else None for s in skills]


@strawberry.type(description="A group of related skills, such as Backend or DevOps.")
class SkillCategory:
    name: str = strawberry.field(description="The category's name, e.g. `Backend`.")
    description: str = strawberry.field(description="What the category's skills are about.")

    @strawberry.field(description="The skills in this category, in the taxonomy's order.")
    def skills(self, info: Info) -> list[Skill]:
        return [Skill.from_skill(s) for s in resolvers.get_skills(info.context)
                if s.category == self.name]


@strawberry.type(description="A concept of the knowledge base, taught at one career level.")
class Concept(relay.Node):
    id: relay.NodeID[str]
    key: str = strawberry.field(description="The concept's identifier, e.g. `http_fundamentals`.")
    display_name: str = strawberry.field(description="Display name, e.g. `HTTP Fundamentals`.")
    level: str = strawberry.field(description="Career level: junior, mid, senior or staff.")
    description: str = strawberry.field(description="What a learner should understand.")
    prerequisite_keys: list[str] = strawberry.field(
        description="Identifiers of the concepts to learn first.")

    @classmethod
    def from_concept(cls, concept: kb.Concept) -> Concept:
        return cls(id=concept.id, key=concept.id, display_name=concept.name,
                   level=concept.level, description=concept.description,
                   prerequisite_keys=list(concept.prerequisites))

    @strawberry.field(description="The concepts to learn first, at the same or a lower level.")
    def prerequisites(self, info: Info) -> list[Concept]:
        found = resolvers.get_concepts_by_ids(info.context, concept_ids=self.prerequisite_keys)
        return [Concept.from_concept(c) for c in found if c is not None]

    @classmethod
    def resolve_nodes(cls, *, info: Info, node_ids: Iterable[str],
                      required: bool = False) -> list[Concept | None]:
        concepts = resolvers.get_concepts_by_ids(info.context, concept_ids=list(node_ids))
        return [cls.from_concept(c) if c else None for c in concepts]


@strawberry.type(description="How many of a role's concepts sit at one career level.")
class RoleLevel:
    name: str = strawberry.field(description="The level: junior, mid, senior or staff.")
    concept_count: int = strawberry.field(description="The role's concepts at this level.")


@strawberry.type(description="A role (knowledge base domain), such as Backend Engineer.")
class Role(relay.Node):
    id: relay.NodeID[str]
    key: str = strawberry.field(description="The role's identifier, e.g. `backend_engineering`.")
    name: str = strawberry.field(description="Display name, e.g. `Backend Engineer`.")
    description: str = strawberry.field(description="What the role's knowledge base covers.")
    mapped_skill_ids: list[str] = strawberry.field(
        description="Identifiers (`key`) of the skills this role maps to.")
    skill_count: int = strawberry.field(description="How many skills the role maps to.")
    _role: strawberry.Private[kb.Role]

    @classmethod
    def from_role(cls, role: kb.Role) -> Role:
        return cls(id=role.id, key=role.id, name=role.name, description=role.description,
                   mapped_skill_ids=list(role.skill_ids), skill_count=len(role.skill_ids),
                   _role=role)

    @strawberry.field(description="The skills this role maps to, in the role's order.")
    def mapped_skills(self, info: Info) -> list[Skill]:
        skills = resolvers.get_skills_by_ids(info.context, skill_ids=self.mapped_skill_ids)
        return [Skill.from_skill(s) for s in skills if s is not None]

    @strawberry.field(description="Every career level with the role's concept count at it.")
    def levels(self, info: Info) -> list[RoleLevel]:
        counts = resolvers.get_level_counts(info.context, role=self._role)
        return [RoleLevel(name=name, concept_count=count) for name, count in counts.items()]

    @strawberry.field(description="The role's concepts up to and including `level`, every "
                                  "prerequisite before the concepts that need it.")
    def concepts(self, info: Info, level: str = resolvers.DEFAULT_LEVEL) -> list[Concept]:
        found = resolvers.get_role_concepts(info.context, role_id=self.key, level=level)
        return [Concept.from_concept(c) for c in found]

    @classmethod
    def resolve_nodes(cls, *, info: Info, node_ids: Iterable[str],
                      required: bool = False) -> list[Role | None]:
        roles = [resolvers.get_role(info.context, role_id=r) for r in node_ids]
        return [cls.from_role(r) if r else None for r in roles]


@strawberry.type
class KnowledgeQuery:
    @strawberry.field(description="Every skill of the taxonomy.")
    def skills(self, info: Info) -> list[Skill]:
        return [Skill.from_skill(s) for s in resolvers.get_skills(info.context)]

    @strawberry.field(description="The skill categories, each with its skills.")
    def skill_categories(self, info: Info) -> list[SkillCategory]:
        return [SkillCategory(name=c.name, description=c.description)
                for c in resolvers.get_categories(info.context)]

    @strawberry.field(description="Every role (knowledge base domain), ordered by key.")
    def roles(self, info: Info) -> list[Role]:
        return [Role.from_role(r) for r in resolvers.get_roles(info.context)]

    @strawberry.field(description="One role by its key, e.g. `backend_engineering`; a NOT_FOUND "
                                  "error when there is no such role.")
    def role(self, info: Info, id: str) -> Role | None:
        return Role.from_role(resolvers.get_role_or_raise(info.context, role_id=id))

    @strawberry.field(description="A role's concepts up to and including `level` (junior, mid, "
                                  "senior or staff), every prerequisite first. NOT_FOUND for an "
                                  "unknown role, BAD_USER_INPUT for an unknown level.")
    def role_concepts(self, info: Info, role_id: str,
                      level: str = resolvers.DEFAULT_LEVEL) -> list[Concept]:
        found = resolvers.get_role_concepts(info.context, role_id=role_id, level=level)
        return [Concept.from_concept(c) for c in found]
