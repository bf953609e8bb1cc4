"""Knowledge base resolvers that other OpenLearning features call directly."""

from __future__ import annotations

import pytest

from core.context import Context
from core.errors import NotFound, Validation
from resolvers import knowledge


@pytest.fixture
def ctx(services):
    return Context(services=services)


def test_role_for_skills_picks_the_role_mapping_most_of_them(ctx):
    role = knowledge.get_role_for_skills(ctx, skill_ids=["react", "typescript"])
    assert role is not None and role.id == "frontend_engineering"
    # python maps to backend, data and devops: most overlap wins, then the lowest id.
    assert knowledge.get_role_for_skills(ctx, skill_ids=["python"]).id == "backend_engineering"
    assert knowledge.get_role_for_skills(ctx, skill_ids=["python", "airflow",
                                                         "dbt"]).id == "data_engineering"
    assert knowledge.get_role_for_skills(ctx, skill_ids=["kubernetes"]).id == "devops"
    assert knowledge.get_role_for_skills(ctx, skill_ids=["cobol"]) is None
    assert knowledge.get_role_for_skills(ctx, skill_ids=[]) is None


def test_lookups_by_id_keep_order_and_mark_unknown_ids(ctx):
    skills = knowledge.get_skills_by_ids(ctx, skill_ids=["go", "nope", "sql"])
    assert [s.name if s else None for s in skills] == ["Go", None, "SQL"]
    concepts = knowledge.get_concepts_by_ids(ctx, concept_ids=["rest_api_design", "x"])
    assert concepts[0].prerequisites == ("http_fundamentals", "json_data_formats")
    assert concepts[1] is None
    assert knowledge.get_concept(ctx, concept_id="http_fundamentals").level == "junior"
    assert knowledge.get_role(ctx, role_id="nope") is None


def test_typed_errors_for_unknown_roles_and_levels(ctx):
    with pytest.raises(NotFound, match=r"^Role not found: nope$"):
        knowledge.get_role_or_raise(ctx, role_id="nope")
    with pytest.raises(Validation, match=r"^Invalid level: expert$") as caught:
        knowledge.get_role_concepts(ctx, role_id="devops", level="expert")
    assert caught.value.status == 400
    assert caught.value.details == {"field": "level",
                                    "allowed": ["junior", "mid", "senior", "staff"]}
    junior = knowledge.get_role_concepts(ctx, role_id="devops", level="junior")
    assert {c.level for c in junior} == {"junior"}
