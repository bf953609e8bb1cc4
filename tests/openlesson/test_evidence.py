"""Evidence uploads: checked by type and content, stored in learngraph's file storage."""

from __future__ import annotations

import base64
import json
import uuid

from sqlalchemy import select

from models.evidence import Evidence
from rest_compat.openlesson.rules import ONE_FILE_BODY
from tests.fixtures import error_codes, gql, gql_raw
from tests.openlesson.helpers import (
    AGENT,
    bearer,
    create_workspace,
    error_of,
    guest_key,
    org_admin,
    store_llm_key,
)

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 16
MP4 = b"\x00\x00\x00\x18ftypmp42" + b"\x00" * 16


def b64(data: bytes) -> str:
    return base64.b64encode(data).decode()


async def _workspace(client, services, fake_anthropic):
    admin = await org_admin(services, client)
    await store_llm_key(client)
    made = await create_workspace(client, admin.headers, fake_anthropic)
    return admin, made["workspace"]["id"], made["blocks"]


async def test_upload_evidence_of_each_type(client, services, fake_anthropic):
    admin, workspace_id, blocks = await _workspace(client, services, fake_anthropic)
    url = f"{AGENT}/workspaces/{workspace_id}/evidence"
    events = json.dumps([{"t": 1, "action": "draw"}]).encode()
    session_id = str(uuid.uuid4())
    response = await client.post(url, headers=admin.headers, json={
        "type": "tool", "file_name": "canvas-events.json", "mime_type": "application/json",
        "data": b64(events), "block_id": blocks[0]["id"], "session_id": session_id,
        "timestamp_ms": 1710000000000, "chunk_index": 0,
        "metadata": {"source": "custom-agent"}, "tool_name": "canvas", "tool_action": "draw"})
    assert response.status_code == 201, response.text
    evidence = response.json()["evidence"]
    assert evidence["workspace_id"] == workspace_id
    assert evidence["block_id"] == blocks[0]["id"] and evidence["session_id"] == session_id
    assert evidence["type"] == "tool" and evidence["mime_type"] == "application/json"
    assert evidence["file_name"] == "canvas-events.json"
    assert evidence["timestamp_ms"] == 1710000000000
    assert evidence["metadata"] == {"source": "custom-agent", "tool_name": "canvas",
                                    "tool_action": "draw"}
    assert evidence["xai_file_id"] == "file_" + uuid.UUID(evidence["id"]).hex
    assert set(evidence) == {"id", "workspace_id", "block_id", "session_id", "type",
                             "file_name", "mime_type", "xai_file_id", "timestamp_ms",
                             "metadata", "created_at"}
    async with services.db.session() as session:
        row = await session.get(Evidence, uuid.UUID(evidence["id"]))
    assert await services.storage.read(row.storage_key) == events

    # screenshot is screen; video; eeg from a guest key.
    shot = await client.post(url, headers=admin.headers, json={
        "type": "screenshot", "file_name": "s.png", "mime_type": "image/png", "data": b64(PNG)})
    assert shot.status_code == 201 and shot.json()["evidence"]["type"] == "screen"
    video = await client.post(url, headers=admin.headers, json={
        "type": "video", "file_name": "v.mp4", "mime_type": "video/mp4", "data": b64(MP4)})
    assert video.status_code == 201 and video.json()["evidence"]["block_id"] is None
    guest = bearer(await guest_key(admin))
    eeg = await client.post(url, headers=guest, json={
        "type": "eeg", "file_name": "muse.json", "mime_type": "application/json",
        "data": b64(b'{"samples": [1, 2]}'), "band_powers": {"alpha": 0.2, "beta": 0.4},
        "device_name": "Muse", "sample_count": 256})
    assert eeg.status_code == 201, eeg.text
    assert eeg.json()["evidence"]["metadata"] == {
        "band_powers": {"alpha": 0.2, "beta": 0.4}, "device_name": "Muse", "sample_count": 256}
    async with services.db.session() as session:
        kinds = (await session.execute(select(Evidence.kind, Evidence.guest_user_id).order_by(
            Evidence.created_at))).all()
    assert [k for k, _ in kinds] == ["tool", "screen", "video", "eeg"]
    assert kinds[-1][1] is not None and kinds[0][1] is None


async def test_evidence_input_is_checked(client, services, fake_anthropic, new_client):
    admin, workspace_id, _ = await _workspace(client, services, fake_anthropic)
    url = f"{AGENT}/workspaces/{workspace_id}/evidence"
    base = {"type": "tool", "file_name": "e.json", "mime_type": "application/json",
            "data": b64(b"{}")}
    bad = [
        {**base, "type": "audio"},
        {**base, "mime_type": "image/png", "data": b64(PNG)},  # not a tool MIME type
        {**base, "type": "screen", "mime_type": "image/png", "data": b64(b"secret-text")},
        {**base, "data": b64(b"{not json secret-text")},
        {**base, "data": "%%%secret-text%%%"},
        {**base, "timestamp_ms": -1},
        {**base, "chunk_index": 2_000_000},
        {**base, "metadata": "secret-text"},
        {**base, "band_powers": {f"b{i}": 1.0 for i in range(40)}},
        {**base, "file_name": ""},
        {**base, "block_id": "secret-text"},
    ]
    for body in bad:
        response = await client.post(url, headers=admin.headers, json=body)
        assert response.status_code == 400, (body, response.text)
        assert error_of(response)["code"] == "validation_error"
        assert "secret-text" not in response.text
    response = await client.post(url, headers=admin.headers,
                                 json={**base, "block_id": str(uuid.uuid4())})
    assert response.status_code == 404 and error_of(response)["code"] == "block_not_found"
    other = await org_admin(services, new_client(), email="boss@other.com", name="Other")
    response = await client.post(url, headers=other.headers, json=base)
    assert response.status_code == 404 and error_of(response)["code"] == "workspace_not_found"


async def test_ten_megabytes_pass_and_more_does_not(client, services, fake_anthropic):
    admin, workspace_id, _ = await _workspace(client, services, fake_anthropic)
    url = f"{AGENT}/workspaces/{workspace_id}/evidence"
    big = MP4 + b"\x00" * (10 * 1024 * 1024 - len(MP4))
    body = {"type": "video", "file_name": "v.mp4", "mime_type": "video/mp4"}
    response = await client.post(url, headers=admin.headers, json={**body, "data": b64(big)})
    assert response.status_code == 201, response.text[:300]
    response = await client.post(url, headers=admin.headers,
                                 json={**body, "data": b64(big + b"\x00" * 3)})
    assert response.status_code == 400 and error_of(response)["code"] == "validation_error"
    response = await client.post(
        url, headers={**admin.headers, "Content-Type": "application/json"},
        content=b" " * (ONE_FILE_BODY + 1))
    assert response.status_code == 413
    assert error_of(response)["code"] == "payload_too_large"


UPLOAD = """mutation($w: ID!, $input: UploadEvidenceInput!) {
  uploadEvidence(workspaceId: $w, input: $input) { type fileName mimeType fileId metadata } }"""


async def test_evidence_over_graphql(client, services, fake_anthropic):
    admin, workspace_id, _ = await _workspace(client, services, fake_anthropic)
    made = (await gql(client, UPLOAD, {"w": workspace_id, "input": {
        "type": "screenshot", "fileName": "s.png", "mimeType": "image/png", "data": b64(PNG),
        "metadata": {"k": "v"}}}, headers=admin.headers))["uploadEvidence"]
    assert made["type"] == "SCREEN" and made["fileId"].startswith("file_")
    assert made["metadata"] == {"k": "v"}
    body = await gql_raw(client, UPLOAD, {"w": workspace_id, "input": {
        "type": "screen", "fileName": "s.png", "mimeType": "text/plain", "data": b64(b"x")}},
        headers=admin.headers)
    assert error_codes(body) == ["BAD_USER_INPUT"]
