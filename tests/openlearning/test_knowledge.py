"""OpenLearning's knowledge base over REST (/api/skills, /api/roles/*) and GraphQL."""

from __future__ import annotations

import pytest
from strawberry import relay

from core.knowledge import LEVELS, knowledge_base
from tests.fixtures import count_statements, error_codes, gql, gql_raw

ROLE_IDS = ["backend_engineering", "data_engineering", "devops", "frontend_engineering"]
CATEGORIES = ["Languages", "Backend", "Frontend", "Databases", "Data", "DevOps", "Architecture",
              "Security", "Testing"]
BACKEND_SKILLS = ["nodejs", "python", "java", "go", "rest-api", "graphql", "grpc",
                  "message-queues", "sql", "postgresql", "redis", "mongodb", "docker",
                  "microservices", "distributed-systems", "system-design", "authentication",
                  "integration-testing"]
BACKEND_COUNTS = {"junior": 17, "mid": 19, "senior": 17, "staff": 9}


def assert_prerequisites_first(concepts: list[dict], target: str) -> None:
    """Every prerequisite is listed before the concept, and nothing above ``target``."""
    seen: set[str] = set()
    for concept in concepts:
        assert set(concept["prerequisites"]) <= seen, concept
        assert LEVELS.index(concept["level"]) <= LEVELS.index(target), concept
        seen.add(concept["id"])
    assert len(seen) == len(concepts)


# --- GET /api/skills ---------------------------------------------------------------------


async def test_skills_returns_the_taxonomy_with_categories(client):
    response = await client.get("/api/skills")
    assert response.status_code == 200
    body = response.json()
    assert set(body) == {"skills", "categories"}
    assert body["categories"] == CATEGORIES
    skills = {s["id"]: s for s in body["skills"]}
    assert len(skills) == len(body["skills"]) >= 40
    assert skills["nodejs"] == {
        "id": "nodejs", "name": "Node.js", "category": "Backend", "icon": "🟩",
        "description": "A JavaScript runtime for building network services on an event loop.",
        "subSkills": ["Express", "Fastify", "Streams", "Worker threads"]}
    assert skills["rest-api"]["name"] == "REST APIs"
    for skill in body["skills"]:
        assert set(skill) == {"id", "name", "category", "icon", "description", "subSkills"}
        assert skill["category"] in CATEGORIES
        assert skill["icon"] and skill["description"].endswith(".")
    assert {s["category"] for s in body["skills"]} == set(CATEGORIES)


async def test_knowledge_endpoints_are_public_and_also_served_under_compat(client, ol_client,
                                                                           new_client):
    anonymous = (await new_client().get("/compat/openlearning/api/skills")).json()
    signed_in = await ol_client.get("/api/skills")
    assert signed_in.status_code == 200
    assert signed_in.json() == anonymous
    stale = new_client()
    stale.cookies.set("access_token", "not-a-token")
    response = await stale.get("/api/roles")
    assert response.status_code == 200
    assert response.json() == (await new_client().get("/api/roles")).json()
    assert [r["id"] for r in response.json()] == ROLE_IDS


# --- GET /api/roles ----------------------------------------------------------------------


async def test_roles_lists_every_role_with_its_skill_count(client):
    response = await client.get("/api/roles")
    assert response.status_code == 200
    roles = response.json()
    assert [r["id"] for r in roles] == ROLE_IDS
    assert roles[0] == {
        "id": "backend_engineering", "name": "Backend Engineer",
        "description": "Backend engineering concepts from junior to staff level",
        "skillCount": 18, "levels": ["junior", "mid", "senior", "staff"]}
    assert roles[3] == {
        "id": "frontend_engineering", "name": "Frontend Engineer",
        "description": "Frontend engineering concepts from junior to staff level",
        "skillCount": 12, "levels": ["junior", "mid", "senior", "staff"]}
    assert [(r["name"], r["skillCount"]) for r in roles[1:3]] == [("Data Engineer", 12),
                                                                 ("DevOps Engineer", 14)]


# --- GET /api/roles/{role_id} ------------------------------------------------------------


async def test_role_detail_has_mapped_skills_and_concept_counts_per_level(client):
    response = await client.get("/api/roles/backend_engineering")
    assert response.status_code == 200
    assert response.json() == {
        "id": "backend_engineering", "name": "Backend Engineer",
        "description": "Backend engineering concepts from junior to staff level",
        "mappedSkillIds": BACKEND_SKILLS,
        "levels": [{"name": level, "conceptCount": count}
                   for level, count in BACKEND_COUNTS.items()]}


async def test_every_mapped_skill_exists(client):
    skill_ids = {s["id"] for s in (await client.get("/api/skills")).json()["skills"]}
    for role_id in ROLE_IDS:
        detail = (await client.get(f"/api/roles/{role_id}")).json()
        assert set(detail["mappedSkillIds"]) <= skill_ids
        assert [level["name"] for level in detail["levels"]] == list(LEVELS)
        assert 40 <= sum(level["conceptCount"] for level in detail["levels"]) <= 65


async def test_unknown_role_is_404(client):
    response = await client.get("/api/roles/unknown_role")
    assert response.status_code == 404
    assert response.json() == {"detail": "Role not found: unknown_role"}


# --- GET /api/roles/{role_id}/concepts ---------------------------------------------------


async def test_concepts_default_to_mid_and_come_prerequisites_first(client):
    response = await client.get("/api/roles/backend_engineering/concepts")
    assert response.status_code == 200
    body = response.json()
    assert set(body) == {"concepts"}
    concepts = body["concepts"]
    assert len(concepts) == BACKEND_COUNTS["junior"] + BACKEND_COUNTS["mid"]
    assert concepts[0] == {"id": "programming_fundamentals",
                           "displayName": "Programming Fundamentals", "level": "junior",
                           "prerequisites": []}
    by_id = {c["id"]: c for c in concepts}
    assert by_id["http_fundamentals"] == {"id": "http_fundamentals",
                                          "displayName": "HTTP Fundamentals",
                                          "level": "junior", "prerequisites": []}
    assert by_id["rest_api_design"] == {"id": "rest_api_design",
                                        "displayName": "REST API Design", "level": "mid",
                                        "prerequisites": ["http_fundamentals",
                                                          "json_data_formats"]}
    # Lowest level first, then the role's teaching order.
    assert [c["level"] for c in concepts] == ["junior"] * 17 + ["mid"] * 19
    assert [c["id"] for c in concepts][17:20] == ["rest_api_design", "api_pagination_filtering",
                                                  "api_error_handling"]
    assert_prerequisites_first(concepts, "mid")
    again = await client.get("/api/roles/backend_engineering/concepts?level=mid")
    assert again.json() == body


@pytest.mark.parametrize("role_id", ROLE_IDS)
async def test_every_role_and_level_is_topologically_sorted(client, role_id):
    detail = (await client.get(f"/api/roles/{role_id}")).json()
    counts = [level["conceptCount"] for level in detail["levels"]]
    previous: list[str] = []
    for rank, level in enumerate(LEVELS):
        response = await client.get(f"/api/roles/{role_id}/concepts", params={"level": level})
        assert response.status_code == 200
        concepts = response.json()["concepts"]
        assert len(concepts) == sum(counts[:rank + 1])
        assert_prerequisites_first(concepts, level)
        ids = [c["id"] for c in concepts]
        # A higher level only appends concepts: the lower levels keep their order.
        assert ids[:len(previous)] == previous
        previous = ids


async def test_staff_level_covers_the_whole_role(client):
    response = await client.get("/api/roles/devops/concepts", params={"level": "staff"})
    concepts = response.json()["concepts"]
    role = knowledge_base().roles_by_id["devops"]
    assert sorted(c["id"] for c in concepts) == sorted(role.concept_ids)
    assert concepts[-1]["level"] == "staff"
    junior = (await client.get("/api/roles/devops/concepts?level=junior")).json()["concepts"]
    assert {c["level"] for c in junior} == {"junior"}


@pytest.mark.parametrize("level", ["unknown", "MID", "principal", ""])
async def test_invalid_level_is_400(client, level):
    response = await client.get("/api/roles/backend_engineering/concepts",
                                params={"level": level})
    assert response.status_code == 400
    assert response.json() == {"detail": f"Invalid level: {level}"}


async def test_unknown_role_concepts_is_404_even_with_a_bad_level(client):
    for query in ("", "?level=senior", "?level=unknown"):
        response = await client.get(f"/api/roles/nope/concepts{query}")
        assert response.status_code == 404
        assert response.json() == {"detail": "Role not found: nope"}


async def test_the_openapi_document_lists_the_knowledge_routes(client):
    paths = (await client.get("/api/openapi.json")).json()["paths"]
    assert {"/api/skills", "/api/roles", "/api/roles/{role_id}",
            "/api/roles/{role_id}/concepts"} <= set(paths)
    concepts = paths["/api/roles/{role_id}/concepts"]["get"]
    assert "security" not in concepts
    level = next(p for p in concepts["parameters"] if p["name"] == "level")
    assert level["in"] == "query" and level["schema"]["default"] == "mid"


# --- GraphQL -----------------------------------------------------------------------------

SKILLS_QUERY = "{ skills { id key name category icon description subSkills } }"
CATEGORIES_QUERY = "{ skillCategories { name description skills { key category } } }"
ROLES_QUERY = """
{ roles { id key name description skillCount mappedSkillIds
          mappedSkills { key name } levels { name conceptCount } } }"""
ROLE_QUERY = """
query Role($id: String!) {
  role(id: $id) { key name description mappedSkillIds levels { name conceptCount } }
}"""
ROLE_CONCEPTS_QUERY = """
query RoleConcepts($roleId: String!, $level: String!) {
  roleConcepts(roleId: $roleId, level: $level) {
    id key displayName level description prerequisiteKeys prerequisites { key level }
  }
}"""
ROLE_CONCEPTS_DEFAULT_QUERY = "query($r: String!) { roleConcepts(roleId: $r) { key } }"
NESTED_QUERY = """
{ roles { key concepts(level: "staff") { key prerequisites { key prerequisites { key } } } } }"""
NODE_QUERY = """
query Node($id: ID!) {
  node(id: $id) {
    __typename
    ... on Skill { key name }
    ... on Role { key skillCount }
    ... on Concept { key displayName }
  }
}"""


async def test_graphql_skills_match_the_rest_taxonomy(client):
    rest = (await client.get("/api/skills")).json()
    skills = (await gql(client, SKILLS_QUERY))["skills"]
    assert [{"id": s["key"], **{k: s[k] for k in ("name", "category", "icon", "description",
                                                  "subSkills")}} for s in skills] == rest["skills"]
    assert relay.from_base64(skills[0]["id"]) == ("Skill", skills[0]["key"])
    categories = (await gql(client, CATEGORIES_QUERY))["skillCategories"]
    assert [c["name"] for c in categories] == rest["categories"]
    assert categories[1]["description"] == "Server-side frameworks, APIs and service design."
    assert sum(len(c["skills"]) for c in categories) == len(skills)
    assert all(s["category"] == c["name"] for c in categories for s in c["skills"])


async def test_graphql_roles_match_the_rest_roles(client):
    roles = (await gql(client, ROLES_QUERY))["roles"]
    assert [r["key"] for r in roles] == ROLE_IDS
    backend = roles[0]
    assert relay.from_base64(backend["id"]) == ("Role", "backend_engineering")
    assert backend["mappedSkillIds"] == BACKEND_SKILLS
    assert backend["skillCount"] == 18
    assert backend["mappedSkills"][:2] == [{"key": "nodejs", "name": "Node.js"},
                                           {"key": "python", "name": "Python"}]
    assert backend["levels"] == [{"name": level, "conceptCount": count}
                                 for level, count in BACKEND_COUNTS.items()]
    for role in roles:
        rest = (await client.get(f"/api/roles/{role['key']}")).json()
        data = await gql(client, ROLE_QUERY, {"id": role["key"]})
        assert data["role"] == {"key": rest["id"], "name": rest["name"],
                                "description": rest["description"],
                                "mappedSkillIds": rest["mappedSkillIds"],
                                "levels": rest["levels"]}


async def test_graphql_unknown_role_is_not_found(client):
    body = await gql_raw(client, ROLE_QUERY, {"id": "unknown_role"})
    assert error_codes(body) == ["NOT_FOUND"]
    assert body["errors"][0]["message"] == "Role not found: unknown_role"
    assert body["data"] == {"role": None}
    body = await gql_raw(client, ROLE_CONCEPTS_QUERY, {"roleId": "nope", "level": "unknown"})
    assert error_codes(body) == ["NOT_FOUND"]
    assert body["errors"][0]["message"] == "Role not found: nope"


async def test_graphql_invalid_level_is_bad_user_input(client):
    body = await gql_raw(client, ROLE_CONCEPTS_QUERY, {"roleId": "devops", "level": "principal"})
    assert error_codes(body) == ["BAD_USER_INPUT"]
    assert body["errors"][0]["message"] == "Invalid level: principal"
    body = await gql_raw(client, '{ role(id: "devops") { concepts(level: "x") { key } } }')
    assert error_codes(body) == ["BAD_USER_INPUT"]
    assert body["errors"][0]["message"] == "Invalid level: x"


@pytest.mark.parametrize("role_id", ROLE_IDS)
async def test_graphql_role_concepts_match_rest_for_every_level(client, role_id):
    for level in LEVELS:
        rest = (await client.get(f"/api/roles/{role_id}/concepts",
                                 params={"level": level})).json()["concepts"]
        concepts = (await gql(client, ROLE_CONCEPTS_QUERY, {"roleId": role_id,
                                                      "level": level}))["roleConcepts"]
        assert [{"id": c["key"], "displayName": c["displayName"], "level": c["level"],
                 "prerequisites": c["prerequisiteKeys"]} for c in concepts] == rest
        for concept in concepts:
            assert [p["key"] for p in concept["prerequisites"]] == concept["prerequisiteKeys"]
            assert all(LEVELS.index(p["level"]) <= LEVELS.index(concept["level"])
                       for p in concept["prerequisites"])
            assert concept["description"]
    default = await gql(client, ROLE_CONCEPTS_DEFAULT_QUERY, {"r": role_id})
    mid = (await client.get(f"/api/roles/{role_id}/concepts")).json()["concepts"]
    assert [c["key"] for c in default["roleConcepts"]] == [c["id"] for c in mid]


async def test_graphql_nodes_resolve_by_global_id(client):
    for typename, key, expected in [
        ("Skill", "nodejs", {"key": "nodejs", "name": "Node.js"}),
        ("Role", "devops", {"key": "devops", "skillCount": 14}),
        ("Concept", "rest_api_design", {"key": "rest_api_design",
                                        "displayName": "REST API Design"}),
    ]:
        data = await gql(client, NODE_QUERY, {"id": relay.to_base64(typename, key)})
        assert data["node"] == {"__typename": typename, **expected}
    data = await gql(client, NODE_QUERY, {"id": relay.to_base64("Concept", "no_such_concept")})
    assert data["node"] is None


async def test_graphql_nested_knowledge_runs_no_sql(client, services):
    with count_statements(services) as counter:
        data = await gql(client, NESTED_QUERY)
    assert len(counter) == 0
    backend = data["roles"][0]
    assert len(backend["concepts"]) == sum(BACKEND_COUNTS.values())
    rest_design = next(c for c in backend["concepts"] if c["key"] == "rest_api_design")
    assert rest_design["prerequisites"] == [
        {"key": "http_fundamentals", "prerequisites": []},
        {"key": "json_data_formats", "prerequisites": [{"key": "programming_fundamentals"}]}]
