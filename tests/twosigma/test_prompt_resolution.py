"""Prompt dependencies: resolution, cycles, missing references, depth, preview, delete rules."""

from __future__ import annotations

from tests.fixtures import bearer_for, create_user, error_codes, gql, gql_raw

BASE = "/api/v1/prompts"
PREVIEW = """
query Preview($text: String!, $variables: JSON) {
  previewPrompt(promptText: $text, variables: $variables) {
    renderedPrompt variablesUsed dependenciesFound { childName childVersion childLabel }
  }
}"""


def ref(name: str, *, label: str | None = None, version: int | None = None) -> str:
    tail = f"version={version}" if version is not None else f"label={label}"
    return f"@@@langfusePrompt:name={name}|{tail}@@@"


async def _headers(services):
    teacher = await create_user(services, email="tea@example.com", roles=["INSTRUCTOR"])
    admin = await create_user(services, email="adm@example.com", roles=["PLATFORM_ADMIN"])
    student = await create_user(services, email="stu@example.com")
    return (await bearer_for(services, teacher), await bearer_for(services, admin),
            await bearer_for(services, student))


async def _create(client, headers, name, prompt, labels=(), expect=201):
    response = await client.post(f"{BASE}/", json={"name": name, "prompt": prompt,
                                                   "labels": list(labels)}, headers=headers)
    assert response.status_code == expect, response.text
    return response.json()


async def test_nested_dependencies_resolve_with_a_graph(client, services):
    teacher_h, admin_h, _ = await _headers(services)
    rules = await _create(client, teacher_h, "Rules", "Be kind.")
    await _create(client, teacher_h, "Rules", "Be brief.")
    protocol = await _create(client, admin_h, "General Protocol",
                             f"Follow these rules: {ref('Rules', version=1)}", ["production"])
    text = ("You are a helpful tutor for {{title}}...\n"
            + ref("General Protocol", label="production"))
    tutor = await _create(client, teacher_h, "Video Tutor", text)
    assert tutor["dependencies"] == [{"child_name": "General Protocol", "child_version": None,
                                      "child_label": "production"}]
    assert tutor["resolved_prompt"] == (
        "You are a helpful tutor for {{title}}...\nFollow these rules: Be kind.")
    assert tutor["resolution_graph"] == {
        "root": {"name": "Video Tutor", "version": 1, "id": tutor["id"]},
        "dependencies": {
            str(tutor["id"]): [{"name": "General Protocol", "version": 1, "id": protocol["id"]}],
            str(protocol["id"]): [{"name": "Rules", "version": 1, "id": rules["id"]}]}}
    got = await client.get(f"{BASE}/Video Tutor", params={"label": "latest"},
                           headers=teacher_h)
    assert got.status_code == 200
    assert got.json()["resolved_prompt"] == tutor["resolved_prompt"]
    assert got.json()["resolution_graph"] == tutor["resolution_graph"]

    # The same reference twice is listed once and inlined twice.
    twice = await _create(client, teacher_h, "Twice",
                          f"{ref('Rules', version=2)} / {ref('Rules', version=2)}")
    assert twice["resolved_prompt"] == "Be brief. / Be brief."
    assert len(twice["dependencies"]) == 1


async def test_a_cycle_is_refused_with_its_path(client, services):
    teacher_h, _, _ = await _headers(services)
    await _create(client, teacher_h, "A", "plain")
    await _create(client, teacher_h, "B", f"B says {ref('A', label='latest')}")
    response = await client.post(f"{BASE}/", json={
        "name": "A", "prompt": f"A says {ref('B', label='latest')}"}, headers=teacher_h)
    assert response.status_code == 400
    assert response.json() == {"detail": "Prompt dependency cycle: A -> B -> A"}
    versions = await client.get(f"{BASE}/A/versions", headers=teacher_h)
    assert versions.json()["total"] == 1
    myself = await client.post(f"{BASE}/", json={
        "name": "C", "prompt": ref("C", label="latest")}, headers=teacher_h)
    assert myself.status_code == 400
    assert myself.json() == {"detail": "Prompt dependency cycle: C -> C"}


async def test_moving_a_label_cannot_close_a_cycle(client, services):
    teacher_h, _, _ = await _headers(services)
    await _create(client, teacher_h, "B", "B one", ["staging"])
    await _create(client, teacher_h, "A", f"A then {ref('B', label='staging')}")
    await _create(client, teacher_h, "B", f"B two then {ref('A', label='latest')}")
    response = await client.patch(f"{BASE}/B/versions/2/labels", json={"labels": ["staging"]},
                                  headers=teacher_h)
    assert response.status_code == 400
    assert response.json() == {"detail": "Prompt dependency cycle: B -> A -> B"}
    v1 = await client.get(f"{BASE}/B", params={"label": "staging"}, headers=teacher_h)
    assert v1.json()["version"] == 1


async def test_missing_and_malformed_references(client, services):
    teacher_h, _, _ = await _headers(services)
    missing = await client.post(f"{BASE}/", json={
        "name": "T", "prompt": ref("Nowhere", label="production")}, headers=teacher_h)
    assert missing.status_code == 404
    assert missing.json() == {
        "detail": "Prompt dependency not found: 'Nowhere' with label 'production' "
                  "(referenced by 'T')"}
    await _create(client, teacher_h, "Rules", "x")
    pinned = await client.post(f"{BASE}/", json={
        "name": "T", "prompt": ref("Rules", version=7)}, headers=teacher_h)
    assert pinned.status_code == 404
    assert pinned.json()["detail"].startswith("Prompt dependency not found: 'Rules' version 7")
    for tag in ("@@@langfusePrompt:label=x@@@", "@@@langfusePrompt:name=Rules|version=x@@@",
                "@@@langfusePrompt:name=Rules|version=²@@@",
                "@@@langfusePrompt:name=Rules|version=99999999999999999999@@@",
                "@@@langfusePrompt:name=Rules|version=1|label=latest@@@",
                "@@@langfusePrompt:name=Rules|colour=red@@@"):
        response = await client.post(f"{BASE}/", json={"name": "T", "prompt": tag},
                                     headers=teacher_h)
        assert response.status_code == 400, tag
        assert response.json()["detail"].startswith("Invalid prompt reference"), tag
    assert (await client.get(f"{BASE}/T/versions", headers=teacher_h)).status_code == 404


async def test_nesting_deeper_than_ten_is_refused(client, services):
    teacher_h, _, _ = await _headers(services)
    await _create(client, teacher_h, "P0", "bottom")
    for n in range(1, 10):
        created = await _create(client, teacher_h, f"P{n}",
                                f"{n} {ref(f'P{n - 1}', label='latest')}")
    assert created["resolved_prompt"] == "9 8 7 6 5 4 3 2 1 bottom"
    response = await client.post(f"{BASE}/", json={
        "name": "P10", "prompt": ref("P9", label="latest")}, headers=teacher_h)
    assert response.status_code == 400
    assert response.json() == {"detail": "Prompt dependency depth exceeds 10: "
                               + " -> ".join(f"P{n}" for n in range(10, -1, -1))}


async def test_preview_fills_variables_and_inlines_references(client, services):
    teacher_h, admin_h, student_h = await _headers(services)
    await _create(client, admin_h, "General Protocol", "Follow these rules: {{rule}}",
                  ["production"])
    body = {"prompt_text": "Hello {{title}}, {{ who }} {{unknown}} "
                           + ref("General Protocol", label="production"),
            "variables": {"title": "Math 101", "who": 3, "rule": "listen", "spare": "x"}}
    response = await client.post(f"{BASE}/preview", json=body, headers=teacher_h)
    assert response.status_code == 200
    assert response.json() == {
        "rendered_prompt": "Hello Math 101, 3 {{unknown}} Follow these rules: listen",
        "variables_used": ["title", "who", "rule"],
        "dependencies_found": [{"child_name": "General Protocol", "child_version": None,
                                "child_label": "production"}]}
    data = await gql(client, PREVIEW, {"text": body["prompt_text"],
                                       "variables": body["variables"]}, headers=teacher_h)
    assert data["previewPrompt"] == {
        "renderedPrompt": "Hello Math 101, 3 {{unknown}} Follow these rules: listen",
        "variablesUsed": ["title", "who", "rule"],
        "dependenciesFound": [{"childName": "General Protocol", "childVersion": None,
                               "childLabel": "production"}]}
    missing = await client.post(f"{BASE}/preview", json={
        "prompt_text": ref("Nope", version=1)}, headers=teacher_h)
    assert missing.status_code == 404
    assert missing.json() == {"detail": "Prompt dependency not found: 'Nope' version 1 "
                                        "(referenced by '(preview)')"}
    assert (await client.post(f"{BASE}/preview", json=body)).status_code == 401
    assert (await client.post(f"{BASE}/preview", json=body,
                              headers=student_h)).status_code == 403
    bad = await client.post(f"{BASE}/preview", json={"variables": {}}, headers=teacher_h)
    assert bad.status_code == 422 and bad.json()["detail"][0]["loc"] == ["body", "prompt_text"]
    graph_bad = await gql_raw(client, PREVIEW, {"text": "x", "variables": [1]},
                              headers=teacher_h)
    assert error_codes(graph_bad) == ["BAD_USER_INPUT"]


async def test_deletes_are_blocked_while_others_depend(client, services):
    teacher_h, admin_h, _ = await _headers(services)
    await _create(client, teacher_h, "Rules", "one", ["staging"])
    await _create(client, teacher_h, "Rules", "two")
    await _create(client, teacher_h, "Rules", "three")
    await _create(client, teacher_h, "Tutor", ref("Rules", label="staging"))
    await _create(client, teacher_h, "Coach", ref("Rules", version=2))
    blocked = await client.delete(f"{BASE}/Rules", headers=admin_h)
    assert blocked.status_code == 409
    assert blocked.json() == {"detail": "Prompt 'Rules' cannot be deleted: other prompts "
                                        "depend on it ('Coach', 'Tutor')"}
    pinned = await client.delete(f"{BASE}/Rules/versions/2", headers=admin_h)
    assert pinned.status_code == 409
    assert pinned.json() == {"detail": "Prompt 'Rules' version 2 cannot be deleted: other "
                                       "prompts depend on it ('Coach')"}
    labelled = await client.delete(f"{BASE}/Rules/versions/1", headers=admin_h)
    assert labelled.status_code == 409
    assert labelled.json() == {"detail": "Prompt 'Rules' version 1 cannot be deleted: other "
                                         "prompts depend on it ('Tutor')"}
    assert await _versions(client, teacher_h, "Rules") == [
        (3, ["latest"]), (2, []), (1, ["staging"])]
    # Nobody depends on version 3 (it only carries latest): it goes, latest moves to 2.
    gone = await client.delete(f"{BASE}/Rules/versions/3", headers=admin_h)
    assert (gone.status_code, gone.content) == (204, b"")
    latest = await client.get(f"{BASE}/Rules", params={"label": "latest"}, headers=teacher_h)
    assert (latest.json()["version"], latest.json()["prompt"]) == (2, "two")
    assert await _versions(client, teacher_h, "Rules") == [(2, ["latest"]), (1, ["staging"])]
    still = await client.get(f"{BASE}/Tutor", params={"label": "latest"}, headers=teacher_h)
    assert still.json()["resolved_prompt"] == "one"
    assert (await client.delete(f"{BASE}/Coach", headers=admin_h)).status_code == 204
    assert (await client.delete(f"{BASE}/Tutor", headers=admin_h)).status_code == 204
    assert (await client.delete(f"{BASE}/Rules", headers=admin_h)).status_code == 204
    for name in ("Coach", "Tutor", "Rules"):
        missing = await client.get(f"{BASE}/{name}", params={"label": "latest"},
                                   headers=teacher_h)
        assert missing.status_code == 404, name
        assert missing.json() == {"detail": f"Prompt not found: '{name}' with label 'latest'"}
    names = await client.get(f"{BASE}/names", headers=teacher_h)
    assert names.json() == []


async def _versions(client, headers, name) -> list[tuple[int, list[str]]]:
    """(version, labels) of every stored version of ``name``, newest first."""
    listed = (await client.get(f"{BASE}/{name}/versions", headers=headers)).json()
    return [(v["version"], sorted(v["labels"])) for v in listed["versions"]]


SET_LABELS = """
mutation Set($input: SetPromptLabelsInput!) {
  setPromptLabels(input: $input) { prompt { prompt { version labels } } }
}"""


async def test_a_label_others_depend_on_can_move_but_not_go(client, services):
    teacher_h, admin_h, _ = await _headers(services)
    await _create(client, teacher_h, "Rules", "one", ["staging", "beta"])
    await _create(client, teacher_h, "Rules", "two")
    await _create(client, teacher_h, "Tutor", ref("Rules", label="staging"))

    removed = await client.patch(f"{BASE}/Rules/versions/1/labels", json={"labels": ["beta"]},
                                 headers=admin_h)
    over_graphql = await gql_raw(client, SET_LABELS, {"input": {
        "name": "Rules", "version": 1, "labels": []}}, headers=teacher_h)

    assert removed.status_code == 409
    assert removed.json() == {"detail": "Label 'staging' of prompt 'Rules' cannot be removed: "
                                        "other prompts depend on it ('Tutor')"}
    assert error_codes(over_graphql) == ["CONFLICT"]
    assert await _versions(client, teacher_h, "Rules") == [
        (2, ["latest"]), (1, ["beta", "staging"])]

    # Removing a label nobody depends on is fine; moving the depended-on one too.
    dropped = await client.patch(f"{BASE}/Rules/versions/1/labels",
                                 json={"labels": ["staging"]}, headers=teacher_h)
    moved = await client.patch(f"{BASE}/Rules/versions/2/labels", json={"labels": ["staging"]},
                               headers=teacher_h)

    assert dropped.status_code == 200 and sorted(dropped.json()["labels"]) == ["staging"]
    assert moved.status_code == 200 and sorted(moved.json()["labels"]) == ["latest", "staging"]
    assert await _versions(client, teacher_h, "Rules") == [(2, ["latest", "staging"]), (1, [])]
    tutor = await client.get(f"{BASE}/Tutor", headers=teacher_h, params={"label": "latest"})
    assert tutor.json()["resolved_prompt"] == "two"
