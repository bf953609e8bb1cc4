"""Prompt label history (every move, who and when) and label removal, over REST and GraphQL."""

from __future__ import annotations

from tests.fixtures import bearer_for, create_user, error_codes, gql, gql_raw

BASE = "/api/v1/prompts"
HISTORY = """
query($name: String!, $label: String, $first: Int, $after: String) {
  promptLabelHistory(name: $name, label: $label, first: $first, after: $after) {
    totalCount
    edges { node { label fromVersion toVersion changedAt changedBy { displayName } } }
    pageInfo { hasNextPage endCursor }
  }
}"""
REMOVE = """
mutation($input: RemovePromptLabelInput!) {
  removePromptLabel(input: $input) { name label removedFromVersion }
}"""


async def _people(services):
    student = await create_user(services, email="stu@example.com", display_name="Stu")
    teacher = await create_user(services, email="tea@example.com", display_name="Tea",
                                roles=["INSTRUCTOR"])
    admin = await create_user(services, email="adm@example.com", display_name="Adm",
                              roles=["PLATFORM_ADMIN"])
    return (await bearer_for(services, student), await bearer_for(services, teacher),
            await bearer_for(services, admin), teacher, admin)


async def _create(client, headers, name="tutor", **body):
    response = await client.post(f"{BASE}/", json={"name": name, "prompt": "Hi.", **body},
                                 headers=headers)
    assert response.status_code == 201, response.text
    return response.json()


async def _set(client, headers, version, labels, name="tutor"):
    response = await client.patch(f"{BASE}/{name}/versions/{version}/labels",
                                  json={"labels": labels}, headers=headers)
    assert response.status_code == 200, response.text


def _moves(history):
    return [(e["label"], e["from_version"], e["to_version"]) for e in history["history"]]


async def test_every_label_move_and_removal_is_recorded(client, services):
    _, teacher, admin, tea, adm = await _people(services)
    await _create(client, admin, labels=["production", "staging"])        # v1
    await _create(client, teacher, labels=["staging"])                    # v2
    await _set(client, admin, 2, ["staging", "production"])
    removed = await client.delete(f"{BASE}/tutor/labels/staging", headers=teacher)
    await _create(client, teacher)                                        # v3
    deleted = await client.delete(f"{BASE}/tutor/versions/3", headers=admin)

    history = await client.get(f"{BASE}/tutor/label-history", headers=teacher)
    page = await client.get(f"{BASE}/tutor/label-history",
                            params={"page": 2, "page_size": 3}, headers=teacher)
    production = await client.get(f"{BASE}/tutor/label-history",
                                  params={"label": "production"}, headers=teacher)

    assert removed.status_code == 204 and deleted.status_code == 204
    assert history.status_code == 200, history.text
    body = history.json()
    # Newest first (one change's moves in reverse order of label); latest moves as new
    # versions come and go.
    assert _moves(body) == [
        ("latest", 3, 2),
        ("latest", 2, 3),
        ("staging", 2, None),
        ("production", 1, 2),
        ("staging", 1, 2),
        ("latest", 1, 2),
        ("staging", None, 1),
        ("production", None, 1),
        ("latest", None, 1),
    ]
    assert body["total"] == 9
    assert [e["changed_by"] for e in body["history"]] == [
        str(adm.number), str(tea.number), str(tea.number), str(adm.number), str(tea.number),
        str(tea.number), str(adm.number), str(adm.number), str(adm.number)]
    assert all(e["changed_at"].endswith("Z") for e in body["history"])
    assert _moves(page.json()) == _moves(body)[3:6]
    assert _moves(production.json()) == [("production", 1, 2), ("production", None, 1)]


async def test_label_history_and_removal_over_graphql(client, services):
    _, teacher, *_ = await _people(services)
    await _create(client, teacher, labels=["staging"])
    await _create(client, teacher, labels=["review"])

    removed = (await gql(client, REMOVE, {"input": {"name": "tutor", "label": "staging"}},
                         headers=teacher))["removePromptLabel"]
    first = (await gql(client, HISTORY, {"name": "tutor", "first": 2},
                       headers=teacher))["promptLabelHistory"]
    rest = (await gql(client, HISTORY, {"name": "tutor", "first": 10,
                                        "after": first["pageInfo"]["endCursor"]},
                      headers=teacher))["promptLabelHistory"]

    assert removed == {"name": "tutor", "label": "staging", "removedFromVersion": 1}
    assert first["totalCount"] == 5 and first["pageInfo"]["hasNextPage"] is True
    events = [e["node"] for e in first["edges"] + rest["edges"]]
    assert [(e["label"], e["fromVersion"], e["toVersion"]) for e in events] == [
        ("staging", 1, None), ("review", None, 2), ("latest", 1, 2), ("staging", None, 1),
        ("latest", None, 1)]
    assert {e["changedBy"]["displayName"] for e in events} == {"Tea"}


async def test_removal_rules(client, services):
    student, teacher, admin, *_ = await _people(services)
    await _create(client, admin, labels=["production", "staging"])
    await _create(client, teacher, name="wrapper",
                  prompt="@@@langfusePrompt:name=tutor|label=staging@@@")

    anonymous = await client.delete(f"{BASE}/tutor/labels/production")
    as_student = await client.delete(f"{BASE}/tutor/labels/production", headers=student)
    production = await client.delete(f"{BASE}/tutor/labels/production", headers=teacher)
    latest = await client.delete(f"{BASE}/tutor/labels/latest", headers=admin)
    depended_on = await client.delete(f"{BASE}/tutor/labels/staging", headers=admin)
    no_label = await client.delete(f"{BASE}/tutor/labels/review", headers=admin)
    no_prompt = await client.delete(f"{BASE}/nothing/labels/review", headers=admin)
    too_long = await client.delete(f"{BASE}/tutor/labels/{'x' * 200}", headers=admin)
    by_admin = await client.delete(f"{BASE}/tutor/labels/production", headers=admin)
    graphql = await gql_raw(client, REMOVE, {"input": {"name": "tutor", "label": "latest"}},
                            headers=admin)
    no_history = await client.get(f"{BASE}/nothing/label-history", headers=teacher)
    history_student = await client.get(f"{BASE}/tutor/label-history", headers=student)
    bad_page = await client.get(f"{BASE}/tutor/label-history", params={"page_size": 500},
                                headers=teacher)

    assert anonymous.status_code == 401
    assert as_student.status_code == 403 and production.status_code == 403
    assert production.json() == {"detail": "You do not have permission to do this"}
    assert latest.status_code == 400
    assert latest.json() == {"detail": "The 'latest' label is managed automatically and "
                                       "cannot be removed"}
    assert depended_on.status_code == 409
    assert depended_on.json() == {"detail": "Label 'staging' of prompt 'tutor' cannot be "
                                            "removed: other prompts depend on it ('wrapper')"}
    assert no_label.status_code == 404
    assert no_label.json() == {"detail": "Label 'review' not found on prompt 'tutor'"}
    assert no_prompt.status_code == 404
    assert no_prompt.json() == {"detail": "Prompt not found: 'nothing'"}
    assert too_long.status_code == 422
    assert by_admin.status_code == 204
    assert error_codes(graphql) == ["BAD_USER_INPUT"]
    assert no_history.status_code == 404 and history_student.status_code == 403
    assert bad_page.status_code == 422
    labels = (await client.get(f"{BASE}/tutor", params={"version": 1},
                               headers=admin)).json()["labels"]
    assert sorted(labels) == ["latest", "staging"]
