"""2Sigma /api/v1/prompts: storage, versions, labels, tags, deletes, and the GraphQL twins."""

from __future__ import annotations

import re

from strawberry import relay

from tests.fixtures import (
    bearer_for,
    count_statements,
    create_user,
    error_codes,
    gql,
    gql_raw,
)

BASE = "/api/v1/prompts"
ISO_Z = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z$")
CREATE = """
mutation Create($input: CreatePromptInput!) {
  createPrompt(input: $input) {
    prompt { resolvedPrompt resolutionGraph
             prompt { id number name version type labels tags config commitMessage
                      creator { displayName } dependencies { childName childLabel } } }
  }
}"""
GET = """
query Get($name: String!, $version: Int, $label: String) {
  prompt(name: $name, version: $version, label: $label) {
    resolvedPrompt prompt { version labels }
  }
}"""
GROUPS = """
query Groups($first: Int, $after: String, $tag: String) {
  prompts(first: $first, after: $after, tag: $tag) {
    totalCount edges { cursor node { name versions labels tags latestNumber } }
    pageInfo { hasNextPage hasPreviousPage endCursor }
  }
}"""
VERSIONS = """
query Versions($name: String!, $first: Int, $after: String) {
  promptVersions(name: $name, first: $first, after: $after) {
    totalCount edges { node { version creator { displayName } dependencies { childName } } }
    pageInfo { hasNextPage endCursor }
  }
}"""
LABELS = """
mutation Labels($input: SetPromptLabelsInput!) {
  setPromptLabels(input: $input) { prompt { prompt { version labels } } }
}"""
TAGS = """
mutation Tags($input: UpdatePromptTagsInput!) {
  updatePromptTags(input: $input) { name tags }
}"""
DELETE = """
mutation Delete($input: DeletePromptInput!) { deletePrompt(input: $input) { name version } }"""
DELETE_VERSION = """
mutation DeleteVersion($input: DeletePromptVersionInput!) {
  deletePromptVersion(input: $input) { name version }
}"""
NODE = """query Node($id: ID!) { node(id: $id) { ... on Prompt { name version } } }"""
TUTOR = {"name": "Video Tutor", "prompt": "You are a helpful tutor for {{title}}...",
         "config": {"temperature": 0.2}, "labels": ["staging"], "tags": ["tutor", "video"],
         "commit_message": "Initial version"}


async def _people(services):
    student = await create_user(services, email="stu@example.com", display_name="Stu")
    teacher = await create_user(services, email="tea@example.com", display_name="Tea Cher",
                                roles=["INSTRUCTOR"])
    admin = await create_user(services, email="adm@example.com", display_name="Adm",
                              roles=["PLATFORM_ADMIN"])
    return (await bearer_for(services, student), await bearer_for(services, teacher),
            await bearer_for(services, admin), teacher)


async def _create(client, headers, **body):
    response = await client.post(f"{BASE}/", json={**TUTOR, **body}, headers=headers)
    assert response.status_code == 201, response.text
    return response.json()


async def test_create_answers_201_with_the_prompt_response(client, services):
    _, teacher_h, _, teacher = await _people(services)
    response = await client.post(f"{BASE}/", json=TUTOR, headers=teacher_h)
    assert response.status_code == 201, response.text
    body = response.json()
    assert ISO_Z.match(body.pop("created_at")) and ISO_Z.match(body.pop("updated_at"))
    ident = body.pop("id")
    assert isinstance(ident, int)
    assert body == {
        "name": "Video Tutor", "version": 1, "type": "text",
        "prompt": "You are a helpful tutor for {{title}}...", "config": {"temperature": 0.2},
        "labels": ["staging", "latest"], "tags": ["tutor", "video"],
        "commit_message": "Initial version", "created_by": str(teacher.number),
        "dependencies": [], "resolved_prompt": "You are a helpful tutor for {{title}}...",
        "resolution_graph": {"root": {"name": "Video Tutor", "version": 1, "id": ident},
                             "dependencies": {}}}


async def test_versions_count_up_and_latest_and_labels_move(client, services):
    _, teacher_h, _, _ = await _people(services)
    first = await _create(client, teacher_h)
    second = await _create(client, teacher_h, prompt="v2", labels=["staging"], tags=None,
                           commit_message="second")
    assert second["version"] == 2 and second["labels"] == ["staging", "latest"]
    # Tags were inherited (tags omitted), and the first version lost staging and latest.
    assert second["tags"] == ["tutor", "video"]
    v1 = (await client.get(f"{BASE}/Video Tutor", params={"version": 1},
                           headers=teacher_h)).json()
    assert v1["id"] == first["id"] and v1["labels"] == []

    listed = await client.get(f"{BASE}/Video Tutor/versions", headers=teacher_h)
    assert listed.status_code == 200
    body = listed.json()
    assert body["total"] == 2
    assert [(v["version"], v["labels"], v["creator"], v["commit_message"])
            for v in body["versions"]] == [(2, ["staging", "latest"], "Tea Cher", "second"),
                                           (1, [], "Tea Cher", "Initial version")]
    assert set(body["versions"][0]) == {"id", "name", "version", "labels", "commit_message",
                                        "created_by", "creator", "created_at"}
    page2 = await client.get(f"{BASE}/Video Tutor/versions",
                             params={"page": 2, "page_size": 1}, headers=teacher_h)
    assert [v["version"] for v in page2.json()["versions"]] == [1]

    # Moving staging back to v1; latest stays on v2.
    moved = await client.patch(f"{BASE}/Video Tutor/versions/1/labels",
                               json={"labels": ["staging", "exp-a"]}, headers=teacher_h)
    assert moved.status_code == 200, moved.text
    assert moved.json()["labels"] == ["staging", "exp-a"]
    v2 = (await client.get(f"{BASE}/Video Tutor", params={"label": "latest"},
                           headers=teacher_h)).json()
    assert v2["version"] == 2 and v2["labels"] == ["latest"]


async def test_get_by_label_defaults_to_production(client, services):
    _, teacher_h, admin_h, _ = await _people(services)
    await _create(client, teacher_h)
    missing = await client.get(f"{BASE}/Video Tutor", headers=teacher_h)
    assert missing.status_code == 404
    assert missing.json() == {
        "detail": "Prompt not found: 'Video Tutor' with label 'production'"}
    await _create(client, admin_h, labels=["production"], prompt="prod text")
    found = await client.get(f"{BASE}/Video Tutor", headers=teacher_h)
    assert found.status_code == 200 and found.json()["prompt"] == "prod text"
    both = await client.get(f"{BASE}/Video Tutor", params={"version": 1, "label": "latest"},
                            headers=teacher_h)
    assert both.status_code == 400
    assert both.json() == {"detail": "Cannot specify both version and label"}
    bad = await client.get(f"{BASE}/Video Tutor", params={"version": "x"}, headers=teacher_h)
    assert bad.status_code == 422 and bad.json()["detail"][0]["loc"] == ["query", "version"]
    gone = await client.get(f"{BASE}/Video Tutor", params={"version": 9}, headers=teacher_h)
    assert gone.status_code == 404
    assert gone.json() == {"detail": "Prompt not found: 'Video Tutor' version 9"}


FORBIDDEN = {"detail": "You do not have permission to do this"}


async def _stored(client, headers, name="Video Tutor") -> list[tuple[int, list[str], list[str]]]:
    """(version, labels, tags) of every stored version of ``name``, newest first."""
    listed = (await client.get(f"{BASE}/{name}/versions", headers=headers)).json()
    rows = []
    for v in listed["versions"]:
        full = (await client.get(f"{BASE}/{name}", params={"version": v["version"]},
                                 headers=headers)).json()
        rows.append((v["version"], sorted(v["labels"]), full["tags"]))
    return rows


async def test_permissions(client, services):
    student_h, teacher_h, admin_h, _ = await _people(services)
    for response in (await client.get(f"{BASE}/"), await client.post(f"{BASE}/", json=TUTOR)):
        assert response.status_code == 401
        assert response.json() == {"detail": "Not authenticated"}
    for method, path in [("GET", "/"), ("GET", "/labels"), ("GET", "/names"),
                         ("GET", "/link-options"), ("GET", "/Video Tutor")]:
        response = await client.request(method, BASE + path, headers=student_h)
        assert response.status_code == 403, path
        assert response.json() == FORBIDDEN
    refused = await client.post(f"{BASE}/", json=TUTOR, headers=student_h)
    assert (refused.status_code, refused.json()) == (403, FORBIDDEN)
    # production is protected: instructors can neither add it nor take it away.
    prod = await client.post(f"{BASE}/", json={**TUTOR, "labels": ["production"]},
                             headers=teacher_h)
    assert (prod.status_code, prod.json()) == (403, FORBIDDEN)
    assert (await client.get(f"{BASE}/names", headers=teacher_h)).json() == []
    await _create(client, admin_h, labels=["production"])
    stored = [(1, ["latest", "production"], ["tutor", "video"])]
    assert await _stored(client, teacher_h) == stored
    strip = await client.patch(f"{BASE}/Video Tutor/versions/1/labels", json={"labels": []},
                               headers=teacher_h)
    assert (strip.status_code, strip.json()) == (403, FORBIDDEN)
    tags = await client.patch(f"{BASE}/Video Tutor/tags", json={"tags": ["x"]},
                              headers=student_h)
    assert (tags.status_code, tags.json()) == (403, FORBIDDEN)
    for path in ("/Video Tutor", "/Video Tutor/versions/1"):
        response = await client.delete(BASE + path, headers=teacher_h)
        assert (response.status_code, response.json()) == (403, FORBIDDEN), path
    assert await _stored(client, teacher_h) == stored


async def test_bad_input(client, services):
    _, teacher_h, _, _ = await _people(services)
    latest = await client.post(f"{BASE}/", json={**TUTOR, "labels": ["latest"]},
                               headers=teacher_h)
    assert latest.status_code == 400
    assert latest.json() == {
        "detail": "The 'latest' label is managed automatically and cannot be set"}
    kind = await client.post(f"{BASE}/", json={**TUTOR, "type": "audio"}, headers=teacher_h)
    assert kind.status_code == 422 and kind.json()["detail"][0]["loc"] == ["body", "type"]
    empty = await client.post(f"{BASE}/", json={**TUTOR, "name": ""}, headers=teacher_h)
    assert empty.status_code == 422
    assert [e["loc"] for e in empty.json()["detail"]] == [["body", "name"]]
    pipe = await client.post(f"{BASE}/", json={**TUTOR, "name": "a|b"}, headers=teacher_h)
    assert pipe.status_code == 400
    assert pipe.json() == {"detail": "Prompt name cannot contain '|', '=' or '@@@'"}
    reserved = await client.post(f"{BASE}/", json={**TUTOR, "name": "Labels"},
                                 headers=teacher_h)
    assert reserved.status_code == 400
    assert reserved.json() == {"detail": "'Labels' is a reserved name"}
    assert (await client.get(f"{BASE}/names", headers=teacher_h)).json() == []
    await _create(client, teacher_h)
    set_latest = await client.patch(f"{BASE}/Video Tutor/versions/1/labels",
                                    json={"labels": ["latest"]}, headers=teacher_h)
    assert set_latest.status_code == 400
    assert set_latest.json() == {
        "detail": "The 'latest' label is managed automatically and cannot be set"}
    bad_label = await client.patch(f"{BASE}/Video Tutor/versions/1/labels",
                                   json={"labels": ["ok", "no way"]}, headers=teacher_h)
    assert bad_label.status_code == 400
    assert bad_label.json() == {
        "detail": "Invalid label 'no way': use letters, digits, '_', '-' or '.'"}
    assert await _stored(client, teacher_h) == [(1, ["latest", "staging"], ["tutor", "video"])]
    no_version = await client.patch(f"{BASE}/Video Tutor/versions/5/labels",
                                    json={"labels": ["a"]}, headers=teacher_h)
    assert no_version.status_code == 404
    assert no_version.json() == {"detail": "Prompt not found: 'Video Tutor' version 5"}
    bad_path = await client.patch(f"{BASE}/Video Tutor/versions/one/labels",
                                  json={"labels": ["a"]}, headers=teacher_h)
    assert bad_path.status_code == 422
    assert bad_path.json()["detail"][0]["loc"] == ["path", "version"]
    for params, field in (({"page": 0}, "page"), ({"page_size": 101}, "page_size"),
                          ({"page_size": 0}, "page_size")):
        response = await client.get(f"{BASE}/", params=params, headers=teacher_h)
        assert response.status_code == 422, params
        assert [e["loc"] for e in response.json()["detail"]] == [["query", field]], params


async def test_list_groups_filters_and_pages(client, services):
    _, teacher_h, admin_h, _ = await _people(services)
    await _create(client, teacher_h, name="General Protocol", tags=["core"], labels=[])
    await _create(client, admin_h, name="General Protocol", labels=["production"], tags=None)
    await _create(client, teacher_h, name="Video Tutor", tags=["tutor", "math"])
    await _create(client, teacher_h, name="Math Helper", tags=["math"], labels=[])

    everything = await client.get(f"{BASE}/", headers=teacher_h)
    assert everything.status_code == 200
    body = everything.json()
    assert body["total"] == 3 and body["page"] == 1 and body["page_size"] == 20
    first = body["data"][0]
    assert ISO_Z.match(first.pop("last_updated_at"))
    assert first == {"name": "General Protocol", "type": "text", "versions": [1, 2],
                     "labels": ["production", "latest"], "tags": ["core"]}
    assert [g["name"] for g in body["data"]] == ["General Protocol", "Math Helper",
                                                 "Video Tutor"]

    async def names(**params):
        response = await client.get(f"{BASE}/", params=params, headers=teacher_h)
        assert response.status_code == 200
        return [g["name"] for g in response.json()["data"]], response.json()["total"]

    assert await names(tag="math") == (["Math Helper", "Video Tutor"], 2)
    assert await names(label="production") == (["General Protocol"], 1)
    assert await names(label="staging") == (["Video Tutor"], 1)
    assert await names(name="tUtO") == (["Video Tutor"], 1)
    assert await names(page=2, page_size=2) == (["Video Tutor"], 3)
    assert await names(page=3, page_size=2) == ([], 3)

    labels = await client.get(f"{BASE}/labels", headers=teacher_h)
    assert labels.json() == ["production", "latest", "staging"]
    names_list = (await client.get(f"{BASE}/names", headers=teacher_h)).json()
    assert [n["name"] for n in names_list] == ["General Protocol", "Math Helper", "Video Tutor"]
    general_v2 = (await client.get(f"{BASE}/General Protocol", headers=teacher_h)).json()
    assert names_list[0] == {"name": "General Protocol", "id": general_v2["id"]}
    options = (await client.get(f"{BASE}/link-options", headers=teacher_h)).json()
    assert options[0] == {"name": "General Protocol", "versions": [1, 2],
                          "labels": ["production", "latest"]}

    # The name filter is a substring, not a pattern: % and _ match only themselves.
    for wildcard in ("%", "_", "o_o", "\\"):
        assert await names(name=wildcard) == ([], 0)
    await _create(client, teacher_h, name="100% Math_Tutor", tags=["math"], labels=[])
    assert await names(name="0%") == (["100% Math_Tutor"], 1)
    assert await names(name="h_T") == (["100% Math_Tutor"], 1)
    assert await names(name="%") == (["100% Math_Tutor"], 1)


async def test_tags_apply_to_every_version(client, services):
    _, teacher_h, _, _ = await _people(services)
    await _create(client, teacher_h)
    await _create(client, teacher_h, labels=[])
    response = await client.patch(f"{BASE}/Video Tutor/tags", json={"tags": ["core", "v2"]},
                                  headers=teacher_h)
    assert response.status_code == 200 and response.json() == {"success": True}
    for version in (1, 2):
        got = await client.get(f"{BASE}/Video Tutor", params={"version": version},
                               headers=teacher_h)
        assert got.json()["tags"] == ["core", "v2"]
    created = await _create(client, teacher_h, labels=[], tags=["only"])
    assert created["tags"] == ["only"]
    v1 = await client.get(f"{BASE}/Video Tutor", params={"version": 1}, headers=teacher_h)
    assert v1.json()["tags"] == ["only"]
    missing = await client.patch(f"{BASE}/Nope/tags", json={"tags": []}, headers=teacher_h)
    assert (missing.status_code, missing.json()) == (404, {"detail": "Prompt not found: 'Nope'"})
    bad = await client.patch(f"{BASE}/Video Tutor/tags", json={"tags": "x"}, headers=teacher_h)
    assert bad.status_code == 422
    assert bad.json()["detail"][0]["loc"] == ["body", "tags"]
    empty = await client.patch(f"{BASE}/Video Tutor/tags", json={"tags": [" "]},
                               headers=teacher_h)
    assert (empty.status_code, empty.json()) == (
        400, {"detail": "Tags must be 1 to 100 characters"})
    assert [tags for _, _, tags in await _stored(client, teacher_h)] == [["only"]] * 3


async def test_delete_version_moves_latest_and_delete_name(client, services):
    _, teacher_h, admin_h, _ = await _people(services)
    for _ in range(3):
        await _create(client, teacher_h, labels=[])
    response = await client.delete(f"{BASE}/Video Tutor/versions/3", headers=admin_h)
    assert response.status_code == 204 and response.content == b""
    latest = (await client.get(f"{BASE}/Video Tutor", params={"label": "latest"},
                               headers=teacher_h)).json()
    assert latest["version"] == 2
    again = await client.delete(f"{BASE}/Video Tutor/versions/3", headers=admin_h)
    assert (again.status_code, again.json()) == (
        404, {"detail": "Prompt not found: 'Video Tutor' version 3"})
    assert [(v, labels) for v, labels, _ in await _stored(client, teacher_h)] == [
        (2, ["latest"]), (1, [])]
    # A new version still counts up from the highest remaining one.
    assert (await _create(client, teacher_h, labels=[]))["version"] == 3
    assert (await client.delete(f"{BASE}/Video Tutor", headers=admin_h)).status_code == 204
    assert (await client.get(f"{BASE}/Video Tutor/versions",
                             headers=teacher_h)).status_code == 404
    missing = await client.delete(f"{BASE}/Video Tutor", headers=admin_h)
    assert missing.status_code == 404
    assert missing.json() == {"detail": "Prompt not found: 'Video Tutor'"}


async def test_graphql_twins(client, services):
    student_h, teacher_h, admin_h, _ = await _people(services)
    data = await gql(client, CREATE, {"input": {
        "name": "General Protocol", "prompt": "Follow these rules.", "tags": ["core"],
        "config": {"t": 1}, "commitMessage": "first"}}, headers=teacher_h)
    created = data["createPrompt"]["prompt"]
    assert created["resolvedPrompt"] == "Follow these rules."
    assert created["resolutionGraph"]["dependencies"] == {}
    node = created["prompt"]
    assert node["name"] == "General Protocol" and node["version"] == 1
    assert node["type"] == "TEXT" and node["labels"] == ["latest"] and node["tags"] == ["core"]
    assert node["config"] == {"t": 1} and node["commitMessage"] == "first"
    assert node["creator"] == {"displayName": "Tea Cher"} and node["dependencies"] == []
    assert relay.GlobalID.from_id(node["id"]).node_id == str(node["number"])

    data = await gql(client, CREATE, {"input": {
        "name": "Video Tutor",
        "prompt": "Tutor.\n@@@langfusePrompt:name=General Protocol|label=latest@@@"}},
        headers=teacher_h)
    tutor = data["createPrompt"]["prompt"]
    assert tutor["resolvedPrompt"] == "Tutor.\nFollow these rules."
    assert tutor["prompt"]["dependencies"] == [{"childName": "General Protocol",
                                                "childLabel": "latest"}]

    got = await gql(client, GET, {"name": "Video Tutor", "label": "latest"}, headers=teacher_h)
    assert got["prompt"]["resolvedPrompt"] == "Tutor.\nFollow these rules."
    both = await gql_raw(client, GET, {"name": "Video Tutor", "version": 1, "label": "x"},
                         headers=teacher_h)
    assert error_codes(both) == ["BAD_USER_INPUT"]
    denied = await gql_raw(client, GET, {"name": "Video Tutor"}, headers=student_h)
    assert error_codes(denied) == ["FORBIDDEN"]
    anonymous = await gql_raw(client, GET, {"name": "Video Tutor"})
    assert error_codes(anonymous) == ["UNAUTHENTICATED"]

    page = (await gql(client, GROUPS, {"first": 1}, headers=teacher_h))["prompts"]
    assert page["totalCount"] == 2
    assert [e["node"]["name"] for e in page["edges"]] == ["General Protocol"]
    assert page["pageInfo"]["hasNextPage"] and not page["pageInfo"]["hasPreviousPage"]
    rest = (await gql(client, GROUPS, {"first": 1, "after": page["pageInfo"]["endCursor"]},
                      headers=teacher_h))["prompts"]
    assert [e["node"]["name"] for e in rest["edges"]] == ["Video Tutor"]
    assert not rest["pageInfo"]["hasNextPage"] and rest["pageInfo"]["hasPreviousPage"]
    too_many = await gql_raw(client, GROUPS, {"first": 101}, headers=teacher_h)
    assert error_codes(too_many) == ["BAD_USER_INPUT"]

    await gql(client, CREATE, {"input": {"name": "Video Tutor", "prompt": "v2"}},
              headers=teacher_h)
    versions = (await gql(client, VERSIONS, {"name": "Video Tutor", "first": 10},
                          headers=teacher_h))["promptVersions"]
    assert versions["totalCount"] == 2
    assert [(e["node"]["version"], e["node"]["dependencies"]) for e in versions["edges"]] == [
        (2, []), (1, [{"childName": "General Protocol"}])]

    labelled = await gql(client, LABELS, {"input": {"name": "Video Tutor", "version": 1,
                                                    "labels": ["staging"]}},
                         headers=teacher_h)
    assert labelled["setPromptLabels"]["prompt"]["prompt"] == {"version": 1,
                                                               "labels": ["staging"]}
    protected = await gql_raw(client, LABELS, {"input": {"name": "Video Tutor", "version": 1,
                                                         "labels": ["production"]}},
                              headers=teacher_h)
    assert error_codes(protected) == ["FORBIDDEN"]
    tags = await gql(client, TAGS, {"input": {"name": "Video Tutor",
                                              "tags": [" a", "a", "b"]}}, headers=teacher_h)
    assert tags["updatePromptTags"] == {"name": "Video Tutor", "tags": ["a", "b"]}
    stored = await client.get(f"{BASE}/Video Tutor", params={"version": 1},
                              headers=teacher_h)
    assert stored.json()["tags"] == ["a", "b"]

    node_id = relay.GlobalID("Prompt", str(node["number"]))
    found = await gql(client, NODE, {"id": str(node_id)}, headers=teacher_h)
    assert found["node"] == {"name": "General Protocol", "version": 1}

    blocked = await gql_raw(client, DELETE, {"input": {"name": "General Protocol"}},
                            headers=admin_h)
    assert error_codes(blocked) == ["CONFLICT"]
    not_admin = await gql_raw(client, DELETE_VERSION, {"input": {"name": "Video Tutor",
                                                                 "version": 2}},
                              headers=teacher_h)
    assert error_codes(not_admin) == ["FORBIDDEN"]
    removed = await gql(client, DELETE_VERSION, {"input": {"name": "Video Tutor",
                                                           "version": 2}}, headers=admin_h)
    assert removed["deletePromptVersion"] == {"name": "Video Tutor", "version": 2}
    assert (await gql(client, DELETE, {"input": {"name": "Video Tutor"}},
                      headers=admin_h))["deletePrompt"] == {"name": "Video Tutor",
                                                            "version": None}
    missing = await gql_raw(client, DELETE, {"input": {"name": "Video Tutor"}},
                            headers=admin_h)
    assert error_codes(missing) == ["NOT_FOUND"]


async def test_versions_query_batches_creators_and_dependencies(client, services):
    _, teacher_h, _, _ = await _people(services)
    await _create(client, teacher_h, name="Base", labels=["staging"])

    async def statements(count: int) -> int:
        for _ in range(count):
            await _create(client, teacher_h, name="Many", labels=[],
                          prompt="@@@langfusePrompt:name=Base|label=staging@@@")
        with count_statements(services) as counter:
            data = await gql(client, VERSIONS, {"name": "Many", "first": 50},
                             headers=teacher_h)
        assert all(e["node"]["creator"] for e in data["promptVersions"]["edges"])
        return len(counter)

    assert await statements(1) == await statements(5)
