"""The knowledge base: skills taxonomy, concepts and roles, loaded from YAML once.

Layout of a knowledge base directory (the shipped one is ``core/knowledge_data``):

- ``skills.yaml``: ``categories`` (name, description) and ``skills`` (id, name,
  category, icon, description, subSkills). Skill ids are lowercase words joined
  by hyphens (``rest-api``), as the OpenLearning API spells them.
- ``concepts/*.yaml``: a ``concepts`` list. Concepts are global: each is defined
  once (id, name, level, description, prerequisites) and any role may use it, so
  ``http_fundamentals`` means the same thing for backend and frontend engineers.
  Concept ids are snake_case and unique across the whole knowledge base; a
  concept's level is part of the concept, not of the role using it.
- ``roles/<role_id>.yaml``: one role per file (id equal to the file name, name,
  description, skills, concepts). A role lists the concept ids it covers; it
  must also list every prerequisite of those concepts, so a role's concepts are
  a self-contained graph that assessment and learning plans can walk.

Validation (all problems are collected, each naming its file and id): unknown
or missing fields, duplicate ids, unknown categories and levels, dangling skill,
concept and prerequisite references, prerequisites above their concept's level,
roles missing a prerequisite, and prerequisite cycles (reported as a path).
"""

from __future__ import annotations

import functools
import heapq
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

LEVELS: tuple[str, ...] = ("junior", "mid", "senior", "staff")
LEVEL_RANK = {name: rank for rank, name in enumerate(LEVELS)}
DEFAULT_DIR = Path(__file__).parent / "knowledge_data"

# libyaml's safe loader when PyYAML was built with it: ten times faster at start-up.
_SafeLoader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
_SKILL_ID = re.compile(r"^[a-z0-9]+(-[a-z0-9]+)*$")
_SNAKE_ID = re.compile(r"^[a-z][a-z0-9]*(_[a-z0-9]+)*$")


class KnowledgeBaseError(ValueError):
    """The knowledge base files are invalid; ``problems`` lists every finding."""

    def __init__(self, problems: list[str]) -> None:
        self.problems = problems
        super().__init__("invalid knowledge base:\n" + "\n".join(f"  - {p}" for p in problems))


@dataclass(frozen=True)
class Category:
    name: str
    description: str


@dataclass(frozen=True)
class Skill:
    id: str
    name: str
    category: str
    icon: str
    description: str
    sub_skills: tuple[str, ...]


@dataclass(frozen=True)
class Concept:
    id: str
    name: str
    level: str
    description: str
    prerequisites: tuple[str, ...]

    @property
    def level_rank(self) -> int:
        return LEVEL_RANK[self.level]


@dataclass(frozen=True)
class Role:
    id: str
    name: str
    description: str
    skill_ids: tuple[str, ...]
    # In the file's order, which authors use as the teaching order within a level.
    concept_ids: tuple[str, ...]


@dataclass(frozen=True)
class KnowledgeBase:
    categories: tuple[Category, ...]
    skills: tuple[Skill, ...]
    concepts: dict[str, Concept]
    roles: tuple[Role, ...]
    skills_by_id: dict[str, Skill] = field(init=False, repr=False)
    roles_by_id: dict[str, Role] = field(init=False, repr=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "skills_by_id", {s.id: s for s in self.skills})
        object.__setattr__(self, "roles_by_id", {r.id: r for r in self.roles})

    def level_counts(self, role: Role) -> dict[str, int]:
        """How many of the role's concepts sit at each level, for every level."""
        counts = dict.fromkeys(LEVELS, 0)
        for concept_id in role.concept_ids:
            counts[self.concepts[concept_id].level] += 1
        return counts

    def role_concepts(self, role: Role, level: str) -> list[Concept]:
        """The role's concepts up to ``level``, every prerequisite before its dependants.

        Deterministic: among concepts whose prerequisites are all placed, the lowest
        level comes first, then the one listed first in the role's file.
        """
        limit = LEVEL_RANK[level]
        chosen = [self.concepts[c] for c in role.concept_ids
                  if self.concepts[c].level_rank <= limit]
        return topological_order(chosen)


def topological_order(concepts: list[Concept]) -> list[Concept]:
    """Kahn's algorithm keyed by (level, position); prerequisites outside the list are ignored."""
    position = {c.id: i for i, c in enumerate(concepts)}
    waiting = {c.id: sum(1 for p in c.prerequisites if p in position) for c in concepts}
    dependants: dict[str, list[str]] = {c.id: [] for c in concepts}
    for c in concepts:
        for p in c.prerequisites:
            if p in position:
                dependants[p].append(c.id)
    by_id = {c.id: c for c in concepts}
    ready = [(c.level_rank, position[c.id], c.id) for c in concepts if waiting[c.id] == 0]
    heapq.heapify(ready)
    ordered: list[Concept] = []
    while ready:
        _, _, concept_id = heapq.heappop(ready)
        ordered.append(by_id[concept_id])
        for d in dependants[concept_id]:
            waiting[d] -= 1
            if waiting[d] == 0:
                heapq.heappush(ready, (by_id[d].level_rank, position[d], d))
    return ordered


class _Reader:
    """Parses the files, collecting problems instead of stopping at the first one."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.problems: list[str] = []

    def problem(self, path: Path, message: str) -> None:
        self.problems.append(f"{self.name(path)}: {message}")

    def name(self, path: Path) -> str:
        try:
            return str(path.relative_to(self.root.parent))
        except ValueError:
            return str(path)

    def load(self, path: Path) -> dict[str, Any] | None:
        try:
            data = yaml.load(path.read_text(encoding="utf-8"), Loader=_SafeLoader)
        except (OSError, yaml.YAMLError) as exc:
            self.problem(path, f"cannot be read: {exc}")
            return None
        if not isinstance(data, dict):
            self.problem(path, "must hold a mapping at the top level")
            return None
        return data

    def record(self, path: Path, what: str, item: Any, fields: dict[str, type],
               optional: Iterable[str] = ()) -> dict[str, Any] | None:
        """Check one mapping's fields and types; returns it when usable."""
        label = f"{what} {item.get('id')!r}" if isinstance(item, dict) and "id" in item else what
        if not isinstance(item, dict):
            self.problem(path, f"{what} entries must be mappings, got {item!r}")
            return None
        ok = True
        for name in item.keys() - fields.keys():
            self.problem(path, f"{label}: unknown field {name!r}")
            ok = False
        for name, kind in fields.items():
            if name not in item:
                if name not in optional:
                    self.problem(path, f"{label}: missing field {name!r}")
                    ok = False
                continue
            value = item[name]
            if kind is list:
                if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
                    self.problem(path, f"{label}: {name!r} must be a list of strings")
                    ok = False
            elif not isinstance(value, str) or not value.strip():
                self.problem(path, f"{label}: {name!r} must be a non-empty string")
                ok = False
        return item if ok else None


def load(root: Path = DEFAULT_DIR) -> KnowledgeBase:
    """Read and validate the knowledge base under ``root``; raises KnowledgeBaseError."""
    reader = _Reader(root)
    categories, skills = _read_skills(reader, root / "skills.yaml")
    concepts, concept_files = _read_concepts(reader, root / "concepts")
    roles, role_files = _read_roles(reader, root / "roles")
    _check_references(reader, skills, concepts, concept_files, roles, role_files)
    if reader.problems:
        raise KnowledgeBaseError(reader.problems)
    return KnowledgeBase(categories=tuple(categories), skills=tuple(skills), concepts=concepts,
                         roles=tuple(sorted(roles, key=lambda r: r.id)))


@functools.cache
def knowledge_base() -> KnowledgeBase:
    """The shipped knowledge base, loaded and validated once per process."""
    return load(DEFAULT_DIR)


def _read_skills(reader: _Reader, path: Path) -> tuple[list[Category], list[Skill]]:
    data = reader.load(path)
    if data is None:
        return [], []
    categories: list[Category] = []
    for item in data.get("categories") or []:
        if reader.record(path, "category", item, {"name": str, "description": str}):
            if any(c.name == item["name"] for c in categories):
                reader.problem(path, f"duplicate category {item['name']!r}")
                continue
            categories.append(Category(item["name"], item["description"]))
    if not categories:
        reader.problem(path, "no categories defined")
    names = {c.name for c in categories}
    skills: list[Skill] = []
    seen: set[str] = set()
    fields = {"id": str, "name": str, "category": str, "icon": str, "description": str,
              "subSkills": list}
    for item in data.get("skills") or []:
        if not reader.record(path, "skill", item, fields):
            continue
        skill_id = item["id"]
        if not _SKILL_ID.match(skill_id):
            reader.problem(path, f"skill {skill_id!r}: id must be lowercase words joined by '-'")
        if skill_id in seen:
            reader.problem(path, f"duplicate skill id {skill_id!r}")
            continue
        seen.add(skill_id)
        if item["category"] not in names:
            reader.problem(path, f"skill {skill_id!r}: unknown category {item['category']!r}")
        skills.append(Skill(skill_id, item["name"], item["category"], item["icon"],
                            item["description"], tuple(item["subSkills"])))
    return categories, skills


def _read_concepts(reader: _Reader, folder: Path) -> tuple[dict[str, Concept], dict[str, Path]]:
    concepts: dict[str, Concept] = {}
    files: dict[str, Path] = {}
    paths = sorted(folder.glob("*.yaml"))
    if not paths:
        reader.problem(folder, "no concept files")
    fields = {"id": str, "name": str, "level": str, "description": str, "prerequisites": list}
    for path in paths:
        data = reader.load(path)
        if data is None:
            continue
        for item in data.get("concepts") or []:
            if not reader.record(path, "concept", item, fields, optional=("prerequisites",)):
                continue
            concept_id = item["id"]
            if not _SNAKE_ID.match(concept_id):
                reader.problem(path, f"concept {concept_id!r}: id must be snake_case")
            if concept_id in concepts:
                reader.problem(path, f"duplicate concept id {concept_id!r} (also in "
                                     f"{reader.name(files[concept_id])})")
                continue
            if item["level"] not in LEVEL_RANK:
                reader.problem(path, f"concept {concept_id!r}: unknown level {item['level']!r} "
                                     f"(expected one of {', '.join(LEVELS)})")
                continue
            concepts[concept_id] = Concept(concept_id, item["name"], item["level"],
                                           item["description"],
                                           tuple(item.get("prerequisites") or ()))
            files[concept_id] = path
    return concepts, files


def _read_roles(reader: _Reader, folder: Path) -> tuple[list[Role], dict[str, Path]]:
    roles: list[Role] = []
    files: dict[str, Path] = {}
    paths = sorted(folder.glob("*.yaml"))
    if not paths:
        reader.problem(folder, "no role files")
    fields = {"id": str, "name": str, "description": str, "skills": list, "concepts": list}
    for path in paths:
        data = reader.load(path)
        if data is None or not reader.record(path, "role", data, fields):
            continue
        role_id = data["id"]
        if role_id != path.stem:
            reader.problem(path, f"role {role_id!r}: id must match the file name {path.stem!r}")
        if role_id in files:
            reader.problem(path, f"duplicate role id {role_id!r}")
            continue
        for kind in ("skills", "concepts"):
            repeated = sorted({x for x in data[kind] if data[kind].count(x) > 1})
            for x in repeated:
                reader.problem(path, f"role {role_id!r}: {kind[:-1]} {x!r} listed twice")
        roles.append(Role(role_id, data["name"], data["description"],
                          tuple(dict.fromkeys(data["skills"])),
                          tuple(dict.fromkeys(data["concepts"]))))
        files[role_id] = path
    return roles, files


def _check_references(reader: _Reader, skills: list[Skill], concepts: dict[str, Concept],
                      concept_files: dict[str, Path], roles: list[Role],
                      role_files: dict[str, Path]) -> None:
    for concept in concepts.values():
        path = concept_files[concept.id]
        for p in concept.prerequisites:
            if p not in concepts:
                reader.problem(path, f"concept {concept.id!r}: unknown prerequisite {p!r}")
            elif concepts[p].level_rank > concept.level_rank:
                reader.problem(path, f"concept {concept.id!r} ({concept.level}): prerequisite "
                                     f"{p!r} is at a higher level ({concepts[p].level})")
    for cycle in _cycles(concepts):
        reader.problem(concept_files[cycle[0]],
                       "prerequisite cycle: " + " -> ".join([*cycle, cycle[0]]))
    skill_ids = {s.id for s in skills}
    for role in roles:
        path = role_files[role.id]
        for s in role.skill_ids:
            if s not in skill_ids:
                reader.problem(path, f"role {role.id!r}: unknown skill {s!r}")
        listed = set(role.concept_ids)
        for c in role.concept_ids:
            if c not in concepts:
                reader.problem(path, f"role {role.id!r}: unknown concept {c!r}")
                continue
            for p in concepts[c].prerequisites:
                if p in concepts and p not in listed:
                    reader.problem(path, f"role {role.id!r}: concept {c!r} needs {p!r}, "
                                         "which the role does not list")


def _cycles(concepts: dict[str, Concept]) -> list[list[str]]:
    """One path per prerequisite cycle found by depth-first search, in a stable order."""
    state: dict[str, int] = {}  # 1 = on the current path, 2 = done
    found: list[list[str]] = []

    def visit(start: str) -> None:
        stack: list[tuple[str, Iterable[str]]] = [(start, iter(concepts[start].prerequisites))]
        path = [start]
        state[start] = 1
        while stack:
            node, children = stack[-1]
            child = next((c for c in children if c in concepts), None)
            if child is None:
                stack.pop()
                path.pop()
                state[node] = 2
            elif state.get(child) == 1:
                found.append(path[path.index(child):])
            elif child not in state:
                state[child] = 1
                path.append(child)
                stack.append((child, iter(concepts[child].prerequisites)))

    for concept_id in sorted(concepts):
        if concept_id not in state:
            visit(concept_id)
    return found
