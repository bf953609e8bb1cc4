"""Performance workspaces drafted by the model, and who may read their blocks."""

from __future__ import annotations

import base64
import json
import uuid

from sqlalchemy import func, select

from core.auth import api_keys
from models.workspace import Workspace, WorkspaceFile
from tests.fixtures import error_codes, gql, gql_raw
from tests.openlesson.helpers import (
    AGENT,
    bearer,
    create_workspace,
    draft,
    error_of,
    guest_key,
    key_with_scopes,
    mint_key,
    org_admin,
    store_llm_key,
    teams_user,
)

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 32


def b64(data: bytes) -> str:
    return base64.b64encode(data).decode()


async def test_create_a_workspace_from_a_prompt_and_files(client, services, fake_anthropic):
    admin = await org_admin(services, client)
    await store_llm_key(client)
    fake_anthropic.reply_tool_use("draft_workspace", draft(blocks=4))
    response = await client.post(f"{AGENT}/workspaces", headers=admin.headers, json={
        "initial_prompt": "Prepare the learner to explain vector databases.",
        "files": [{"name": "brief.md", "mime_type": "text/markdown",
                   "data": b64(b"# Brief\nCover HNSW and cosine distance.")},
                  {"name": "sketch.png", "mime_type": "image/png", "data": b64(PNG)}]})
    assert response.status_code == 201, response.text
    body = response.json()
    assert body["workspace"]["title"] == "Explaining vector databases"
    assert body["workspace"]["root_topic"] == "Vector databases for interview prep"
    assert body["workspace"]["status"] == "active"
    assert [b["title"] for b in body["blocks"]] == ["Block 1", "Block 2", "Block 3", "Block 4"]
    assert [b["is_start"] for b in body["blocks"]] == [True, False, False, False]
    assert {b["status"] for b in body["blocks"]} == {"available"}
    assert [(f["name"], f["mime_type"], f["size_bytes"]) for f in body["files"]] == [
        ("brief.md", "text/markdown", 39), ("sketch.png", "image/png", len(PNG))]

    # The model saw the prompt, the markdown as text and the image as an image block,
    # with the admin's stored key.
    sent = fake_anthropic.last_request
    assert sent.api_key == "sk-ant-org-admin-0001"
    content = sent.body["messages"][0]["content"]
    assert content[0]["text"].startswith("File brief.md:\n# Brief")
    assert content[1] == {"type": "image", "source": {"type": "base64",
                                                      "media_type": "image/png",
                                                      "data": b64(PNG)}}
    assert "vector databases" in content[2]["text"]
    assert sent.body["tool_choice"] == {"type": "tool", "name": "draft_workspace"}

    # The files are in learngraph's storage.
    async with services.db.session() as session:
        stored = (await session.execute(select(WorkspaceFile).order_by(
            WorkspaceFile.name))).scalars().all()
    assert await services.storage.read(stored[1].storage_key) == PNG

    listed = await client.get(f"{AGENT}/workspaces/{body['workspace']['id']}/blocks",
                              headers=admin.headers)
    assert listed.status_code == 200
    assert listed.json() == {"blocks": body["blocks"]}


async def test_a_draft_that_breaks_the_schema_is_corrected_once_then_refused(
        client, services, fake_anthropic):
    admin = await org_admin(services, client)
    await store_llm_key(client)
    fake_anthropic.reply_tool_use("draft_workspace", draft(starts=2))
    fake_anthropic.reply_tool_use("draft_workspace", draft(title="Fixed"))
    response = await client.post(f"{AGENT}/workspaces", headers=admin.headers,
                                 json={"initial_prompt": "Teach SQL joins"})
    assert response.status_code == 201, response.text
    assert response.json()["workspace"]["title"] == "Fixed"
    correction = fake_anthropic.last_request.body["messages"][-1]["content"][0]
    assert correction["is_error"] is True and "is_start" in correction["content"]

    fake_anthropic.reply_tool_use("draft_workspace", draft(starts=0))
    fake_anthropic.reply_tool_use("draft_workspace", {"title": "", "blocks": []})
    response = await client.post(f"{AGENT}/workspaces", headers=admin.headers,
                                 json={"initial_prompt": "Teach SQL joins"})
    assert response.status_code == 502
    assert error_of(response)["code"] == "llm_invalid_answer"
    async with services.db.session() as session:
        assert (await session.execute(select(func.count()).select_from(Workspace))).scalar() == 1


async def test_bad_input_is_a_validation_error_that_does_not_echo(client, services,
                                                                  fake_anthropic):
    admin = await org_admin(services, client)
    await store_llm_key(client)
    before = len(fake_anthropic.recorded())
    cases = [
        {},
        {"initial_prompt": ""},
        {"initial_prompt": "x" * 10_001},
        {"initial_prompt": "ok", "files": [{"name": "a.gif", "mime_type": "image/gif",
                                            "data": b64(b"GIF89a-secret-bytes")}]},
        {"initial_prompt": "ok", "files": [{"name": "a.png", "mime_type": "image/png",
                                            "data": b64(b"not-a-png-secret-bytes")}]},
        {"initial_prompt": "ok", "files": [{"name": "a.md", "mime_type": "text/markdown",
                                            "data": "@@not base64 secret-bytes@@"}]},
        {"initial_prompt": "ok", "files": [{"name": f"{i}.md", "mime_type": "text/plain",
                                            "data": b64(b"hi")} for i in range(6)]},
        {"initial_prompt": "ok", "files": "nope"},
    ]
    for body in cases:
        response = await client.post(f"{AGENT}/workspaces", headers=admin.headers, json=body)
        assert response.status_code == 400, (body, response.text)
        assert error_of(response)["code"] == "validation_error"
        assert "secret-bytes" not in response.text and "x" * 50 not in response.text
    assert len(fake_anthropic.recorded()) == before  # nothing reached the model
    response = await client.get(f"{AGENT}/workspaces/not-a-uuid/blocks",
                                headers=admin.headers)
    assert response.status_code == 400 and error_of(response)["code"] == "validation_error"


async def test_organization_members_and_guests_read_org_workspaces(
        client, services, new_client, fake_anthropic):
    admin = await org_admin(services, client)
    await store_llm_key(client)
    guest = bearer(await guest_key(admin))
    # The guest's workspace belongs to the organization (and uses the admin's LLM key).
    made = await create_workspace(client, guest, fake_anthropic)
    workspace_id = made["workspace"]["id"]
    async with services.db.session() as session:
        row = await session.get(Workspace, uuid.UUID(workspace_id))
    assert row.guest_user_id is not None and row.owner_user_id is None
    assert row.organization_id is not None

    for headers in (admin.headers, guest):
        response = await client.get(f"{AGENT}/workspaces/{workspace_id}/blocks",
                                    headers=headers)
        assert response.status_code == 200, response.text
        assert len(response.json()["blocks"]) == 3

    # A Teams user of no organization, and another organization's admin: not found.
    outsider_http = new_client()
    await teams_user(services, outsider_http, "out@example.com")
    outsider = bearer(await mint_key(outsider_http))
    other_admin = await org_admin(services, new_client(), email="boss@other.com", name="Other")
    for headers in (outsider, other_admin.headers):
        response = await client.get(f"{AGENT}/workspaces/{workspace_id}/blocks",
                                    headers=headers)
        assert response.status_code == 404
        assert error_of(response)["code"] == "workspace_not_found"
    # The outsider's own workspace is theirs alone.
    await store_llm_key(outsider_http, "sk-ant-outsider-0001")
    own = await create_workspace(client, outsider, fake_anthropic)
    response = await client.get(f"{AGENT}/workspaces/{own['workspace']['id']}/blocks",
                                headers=admin.headers)
    assert response.status_code == 404
    response = await client.get(f"{AGENT}/workspaces/{uuid.uuid4()}/blocks", headers=guest)
    assert response.status_code == 404


CREATE = """mutation($input: CreateWorkspaceInput!) {
  createWorkspace(input: $input) { workspace { id title rootTopic status }
    blocks { title isStart status } files { name mimeType sizeBytes } } }"""
BLOCKS = "query($id: ID!) { workspaceBlocks(workspaceId: $id) { title isStart } }"


async def test_workspaces_over_graphql_with_the_same_scopes(client, services, fake_anthropic):
    admin = await org_admin(services, client)
    await store_llm_key(client)
    fake_anthropic.reply_tool_use("draft_workspace", draft())
    made = (await gql(client, CREATE, {"input": {
        "initialPrompt": "Explain vector databases",
        "files": [{"name": "n.txt", "mimeType": "text/plain", "data": b64(b"notes")}]}},
        headers=admin.headers))["createWorkspace"]
    assert made["workspace"]["title"] == "Explaining vector databases"
    assert made["files"] == [{"name": "n.txt", "mimeType": "text/plain", "sizeBytes": 5}]
    assert [b["isStart"] for b in made["blocks"]] == [True, False, False]
    blocks = await gql(client, BLOCKS, {"id": made["workspace"]["id"]}, headers=admin.headers)
    assert blocks["workspaceBlocks"][0] == {"title": "Block 1", "isStart": True}

    read_only = bearer(await key_with_scopes(services, scopes=[api_keys.WORKSPACES_READ],
                                             user=admin.user))
    body = await gql_raw(client, CREATE, {"input": {"initialPrompt": "x"}}, headers=read_only)
    assert error_codes(body) == ["FORBIDDEN"]
    assert body["errors"][0]["extensions"]["details"] == {"required_scope": "workspaces:write"}
    write_only = bearer(await key_with_scopes(services, scopes=[api_keys.WORKSPACES_WRITE],
                                              user=admin.user))
    body = await gql_raw(client, BLOCKS, {"id": made["workspace"]["id"]}, headers=write_only)
    assert error_codes(body) == ["FORBIDDEN"]
    body = await gql_raw(client, BLOCKS, {"id": "nope"}, headers=admin.headers)
    assert error_codes(body) == ["BAD_USER_INPUT"]
    body = await gql_raw(client, BLOCKS, {"id": str(uuid.uuid4())}, headers=admin.headers)
    assert error_codes(body) == ["WORKSPACE_NOT_FOUND"]
    assert json.dumps(body).count("nope") == 0
