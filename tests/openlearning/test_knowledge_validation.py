"""The knowledge base loader: the shipped files are valid and every rule rejects a bad KB."""

from __future__ import annotations

import copy
from pathlib import Path

import pytest
import yaml

from core import knowledge
from core.knowledge import LEVELS, KnowledgeBaseError, load
from core.services import Services
from tests.fixtures import make_settings

SKILLS = {
    "categories": [{"name": "Backend", "description": "Server side."},
                   {"name": "Testing", "description": "Checking it works."}],
    "skills": [
        {"id": "rest-api", "name": "REST APIs", "category": "Backend", "icon": "🔌",
         "description": "Resource APIs.", "subSkills": ["Pagination"]},
        {"id": "unit-testing", "name": "Unit Testing", "category": "Testing", "icon": "✅",
         "description": "Small tests.", "subSkills": []},
    ],
}
CONCEPTS = {
    "concepts": [
        {"id": "http_fundamentals", "name": "HTTP Fundamentals", "level": "junior",
         "description": "Requests and responses.", "prerequisites": []},
        {"id": "rest_api_design", "name": "REST API Design", "level": "mid",
         "description": "Resources.", "prerequisites": ["http_fundamentals"]},
        {"id": "api_versioning", "name": "API Versioning", "level": "senior",
         "description": "Evolving APIs.", "prerequisites": ["rest_api_design"]},
    ],
}
ROLE = {"id": "backend_engineering", "name": "Backend Engineer",
        "description": "Backend concepts.", "skills": ["rest-api"],
        "concepts": ["http_fundamentals", "rest_api_design", "api_versioning"]}


def write_kb(root: Path, *, skills: dict | None = None, concepts: dict | None = None,
             roles: dict[str, dict] | None = None, extra: dict[str, dict] | None = None) -> Path:
    """A knowledge base directory built from the valid defaults above, with replacements."""
    (root / "concepts").mkdir(parents=True)
    (root / "roles").mkdir()
    files = {"skills.yaml": skills or SKILLS, "concepts/main.yaml": concepts or CONCEPTS}
    for role_file, role in (roles or {"backend_engineering": ROLE}).items():
        files[f"roles/{role_file}.yaml"] = role
    files.update(extra or {})
    for name, data in files.items():
        (root / name).write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    return root


def problems(root: Path) -> list[str]:
    with pytest.raises(KnowledgeBaseError) as caught:
        load(root)
    return caught.value.problems


def with_concepts(*changes: dict) -> dict:
    """CONCEPTS with each change applied to the concept of the same id (or appended)."""
    data = copy.deepcopy(CONCEPTS)
    by_id = {c["id"]: c for c in data["concepts"]}
    for change in changes:
        if change["id"] in by_id:
            by_id[change["id"]].update(change)
        else:
            data["concepts"].append(change)
    return data


def test_the_minimal_kb_is_valid(tmp_path):
    kb = load(write_kb(tmp_path))
    assert [s.id for s in kb.skills] == ["rest-api", "unit-testing"]
    assert [c.name for c in kb.categories] == ["Backend", "Testing"]
    role = kb.roles_by_id["backend_engineering"]
    assert kb.level_counts(role) == {"junior": 1, "mid": 1, "senior": 1, "staff": 0}
    assert [c.id for c in kb.role_concepts(role, "mid")] == ["http_fundamentals",
                                                             "rest_api_design"]


def test_the_shipped_knowledge_base_is_valid_and_substantial():
    kb = load()
    assert len(kb.skills) >= 40
    assert {"Backend", "Frontend", "DevOps", "Data", "Languages", "Databases", "Architecture",
            "Security", "Testing"} <= {c.name for c in kb.categories}
    assert {r.id for r in kb.roles} >= {"backend_engineering", "frontend_engineering",
                                        "devops", "data_engineering"}
    used = set()
    for role in kb.roles:
        counts = kb.level_counts(role)
        assert 40 <= sum(counts.values()) <= 65, (role.id, counts)
        assert all(counts[level] > 0 for level in LEVELS), (role.id, counts)
        assert len(role.skill_ids) >= 10
        used |= set(role.concept_ids)
    # Every concept is taught by some role, and every category holds a skill.
    assert used == set(kb.concepts)
    assert {s.category for s in kb.skills} == {c.name for c in kb.categories}
    assert knowledge.knowledge_base() is knowledge.knowledge_base()


def test_role_concepts_are_topologically_sorted_for_every_role_and_level():
    kb = load()
    for role in kb.roles:
        for rank, level in enumerate(LEVELS):
            concepts = kb.role_concepts(role, level)
            seen: set[str] = set()
            for concept in concepts:
                assert set(concept.prerequisites) <= seen, (role.id, level, concept.id)
                seen.add(concept.id)
            assert {c.id for c in concepts} == {
                c for c in role.concept_ids if kb.concepts[c].level_rank <= rank}
            assert [c.level_rank for c in concepts] == sorted(c.level_rank for c in concepts)


def test_duplicate_ids_are_rejected(tmp_path):
    skills = copy.deepcopy(SKILLS)
    skills["skills"].append({**skills["skills"][0], "name": "Again"})
    skills["categories"].append({"name": "Backend", "description": "Twice."})
    again = {"concepts": [{**CONCEPTS["concepts"][0], "name": "HTTP again"}]}
    found = problems(write_kb(tmp_path, skills=skills, extra={"concepts/other.yaml": again}))
    root = tmp_path.name
    assert f"{root}/skills.yaml: duplicate skill id 'rest-api'" in found
    assert f"{root}/skills.yaml: duplicate category 'Backend'" in found
    assert (f"{root}/concepts/other.yaml: duplicate concept id 'http_fundamentals' "
            f"(also in {root}/concepts/main.yaml)") in found


def test_duplicate_role_ids_and_mismatched_file_names(tmp_path):
    found = problems(write_kb(tmp_path, roles={"backend_engineering": ROLE, "zz_backend": ROLE}))
    root = tmp_path.name
    assert found == [
        f"{root}/roles/zz_backend.yaml: role 'backend_engineering': id must match the file "
        "name 'zz_backend'",
        f"{root}/roles/zz_backend.yaml: duplicate role id 'backend_engineering'",
    ]


def test_dangling_references_are_rejected(tmp_path):
    concepts = with_concepts({"id": "rest_api_design",
                              "prerequisites": ["http_fundamentals", "tcp_handshake"]})
    role = {**ROLE, "skills": ["rest-api", "cobol"],
            "concepts": [*ROLE["concepts"], "quantum_networking"]}
    found = problems(write_kb(tmp_path, concepts=concepts, roles={"backend_engineering": role}))
    root = tmp_path.name
    assert found == [
        f"{root}/concepts/main.yaml: concept 'rest_api_design': unknown prerequisite "
        "'tcp_handshake'",
        f"{root}/roles/backend_engineering.yaml: role 'backend_engineering': unknown skill "
        "'cobol'",
        f"{root}/roles/backend_engineering.yaml: role 'backend_engineering': unknown concept "
        "'quantum_networking'",
    ]


def test_a_role_must_list_every_prerequisite_of_its_concepts(tmp_path):
    role = {**ROLE, "concepts": ["rest_api_design", "api_versioning"]}
    found = problems(write_kb(tmp_path, roles={"backend_engineering": role}))
    assert found == [
        f"{tmp_path.name}/roles/backend_engineering.yaml: role 'backend_engineering': concept "
        "'rest_api_design' needs 'http_fundamentals', which the role does not list"]


def test_cycles_are_reported_with_their_path(tmp_path):
    concepts = with_concepts(
        {"id": "http_fundamentals", "level": "mid", "prerequisites": ["api_versioning"]},
        {"id": "api_versioning", "level": "mid"},
    )
    found = problems(write_kb(tmp_path, concepts=concepts))
    assert found == [f"{tmp_path.name}/concepts/main.yaml: prerequisite cycle: "
                     "api_versioning -> rest_api_design -> http_fundamentals -> api_versioning"]


def test_a_concept_depending_on_itself_is_a_cycle(tmp_path):
    concepts = with_concepts({"id": "http_fundamentals", "prerequisites": ["http_fundamentals"]})
    found = problems(write_kb(tmp_path, concepts=concepts))
    assert found == [f"{tmp_path.name}/concepts/main.yaml: prerequisite cycle: "
                     "http_fundamentals -> http_fundamentals"]


def test_prerequisites_must_not_sit_above_their_concept(tmp_path):
    concepts = with_concepts({"id": "http_fundamentals", "level": "staff"})
    found = problems(write_kb(tmp_path, concepts=concepts))
    assert found == [f"{tmp_path.name}/concepts/main.yaml: concept 'rest_api_design' (mid): "
                     "prerequisite 'http_fundamentals' is at a higher level (staff)"]


def test_unknown_levels_and_categories_are_rejected(tmp_path):
    skills = copy.deepcopy(SKILLS)
    skills["skills"][1]["category"] = "QA"
    concepts = with_concepts({"id": "api_versioning", "level": "principal"})
    found = problems(write_kb(tmp_path, skills=skills, concepts=concepts))
    root = tmp_path.name
    assert f"{root}/skills.yaml: skill 'unit-testing': unknown category 'QA'" in found
    assert (f"{root}/concepts/main.yaml: concept 'api_versioning': unknown level 'principal' "
            "(expected one of junior, mid, senior, staff)") in found


def test_missing_unknown_and_badly_typed_fields_are_rejected(tmp_path):
    skills = copy.deepcopy(SKILLS)
    del skills["skills"][0]["icon"]
    skills["skills"][1]["subSkills"] = "pytest"
    concepts = with_concepts({"id": "rest_api_design", "displayName": "REST"},
                             {"id": "Bad-Id", "name": "Bad", "level": "junior",
                              "description": "Not snake case."})
    role = {**ROLE, "name": ""}
    found = problems(write_kb(tmp_path, skills=skills, concepts=concepts,
                              roles={"backend_engineering": role}))
    root = tmp_path.name
    assert found == [
        f"{root}/skills.yaml: skill 'rest-api': missing field 'icon'",
        f"{root}/skills.yaml: skill 'unit-testing': 'subSkills' must be a list of strings",
        f"{root}/concepts/main.yaml: concept 'rest_api_design': unknown field 'displayName'",
        f"{root}/concepts/main.yaml: concept 'Bad-Id': id must be snake_case",
        f"{root}/roles/backend_engineering.yaml: role 'backend_engineering': 'name' must be a "
        "non-empty string",
        # A concept that failed its own checks is left out, so its dependants notice.
        f"{root}/concepts/main.yaml: concept 'api_versioning': unknown prerequisite "
        "'rest_api_design'",
    ]


def test_unreadable_files_and_missing_folders_are_reported(tmp_path):
    root = write_kb(tmp_path)
    (root / "skills.yaml").write_text("skills: [unclosed", encoding="utf-8")
    (root / "roles" / "backend_engineering.yaml").unlink()
    found = problems(root)
    assert found[0].startswith(f"{tmp_path.name}/skills.yaml: cannot be read: ")
    assert f"{tmp_path.name}/roles: no role files" in found


async def test_services_refuse_to_start_on_an_invalid_knowledge_base(tmp_path, monkeypatch,
                                                                     database_url):
    concepts = with_concepts({"id": "http_fundamentals", "prerequisites": ["rest_api_design"]})
    monkeypatch.setattr(knowledge, "DEFAULT_DIR", write_kb(tmp_path / "kb", concepts=concepts))
    knowledge.knowledge_base.cache_clear()
    services = Services.build(make_settings(), database_url=database_url)
    try:
        with pytest.raises(KnowledgeBaseError, match="prerequisite cycle: rest_api_design -> "
                                                     "http_fundamentals -> rest_api_design"):
            await services.start()
    finally:
        knowledge.knowledge_base.cache_clear()
        await services.llm.aclose()
        await services.db.dispose()


def test_a_role_listing_a_skill_or_concept_twice_is_rejected(tmp_path):
    role = {**ROLE, "skills": ["rest-api", "rest-api"],
            "concepts": [*ROLE["concepts"], "http_fundamentals"]}
    found = problems(write_kb(tmp_path, roles={"backend_engineering": role}))
    path = f"{tmp_path.name}/roles/backend_engineering.yaml"
    assert found == [f"{path}: role 'backend_engineering': skill 'rest-api' listed twice",
                     f"{path}: role 'backend_engineering': concept 'http_fundamentals' "
                     "listed twice"]
