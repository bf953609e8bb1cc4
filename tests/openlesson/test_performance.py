"""Performance analysis, and the contract's integration checklist (steps 1-9) end to end."""

from __future__ import annotations

import base64
import json

from tests.fixtures import error_codes, gql, gql_raw
from tests.openlesson.helpers import (
    AGENT,
    REPORT,
    SCORING,
    bearer,
    create_workspace,
    error_of,
    guest_key,
    org_admin,
    sse_events,
    store_llm_key,
)


def b64(data: bytes) -> str:
    return base64.b64encode(data).decode()


async def test_report_then_chat_reusing_the_context(client, services, fake_anthropic):
    admin = await org_admin(services, client)
    await store_llm_key(client)
    made = await create_workspace(client, admin.headers, fake_anthropic)
    workspace_id = made["workspace"]["id"]
    url = f"{AGENT}/workspaces/{workspace_id}/performance"
    await client.post(f"{AGENT}/workspaces/{workspace_id}/evidence", headers=admin.headers,
                      json={"type": "tool", "file_name": "e.json", "mime_type": "application/json",
                            "data": b64(b'{"action": "draw"}'), "session_id":
                            "6f1c9f4e-8a4b-4b1e-9a51-0d6c1f0b7a11"})
    fake_anthropic.reply_tool_use("performance_report", REPORT)
    response = await client.post(url, headers=admin.headers, json={})
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["mode"] == "report" and body["report"] == REPORT
    assert body["evidence_summary"] == {"blocks": 3, "ghl_sessions": 0,
                                        "evidence_artifacts": 1, "linked_sessions": 1,
                                        "plan_files": 0}
    assert len(body["file_ids"]) == 2 and all(f.startswith("file_") for f in body["file_ids"])
    bundle = fake_anthropic.last_request.body["messages"][0]["content"]
    assert '"action": "draw"' in bundle or '{\\"action\\": \\"draw\\"}' in bundle

    fake_anthropic.reply_text("Block 1 is weakest.")
    calls = len(fake_anthropic.recorded())
    chat = await client.post(url, headers=admin.headers, json={
        "prompt": "Which block is weakest?", "file_ids": body["file_ids"],
        "conversation_history": [{"role": "user", "content": "Hi"},
                                 {"role": "assistant", "content": "Hello"}]})
    assert chat.status_code == 200, chat.text
    assert chat.json() == {"mode": "chat", "response": "Block 1 is weakest.",
                           "evidence_summary": body["evidence_summary"],
                           "file_ids": body["file_ids"]}
    assert len(fake_anthropic.recorded()) == calls + 1
    sent = fake_anthropic.last_request.body["messages"]
    assert [m["role"] for m in sent] == ["user", "assistant", "user", "assistant", "user"]
    assert sent[-1]["content"] == "Which block is weakest?"

    for bad in ({"file_ids": ["file_" + "0" * 32]}, {"file_ids": ["../../etc/passwd"]},
                {"conversation_history": [{"role": "system", "content": "x"}]},
                {"prompt": "x" * 8001}, {"block_id": "nope"}):
        response = await client.post(url, headers=admin.headers, json=bad)
        assert response.status_code == 400, (bad, response.text)
        assert error_of(response)["code"] == "validation_error"
    fake_anthropic.reply_tool_use("performance_report", {**REPORT, "confidence": "sure"})
    fake_anthropic.reply_tool_use("performance_report", {**REPORT, "confidence": "sure"})
    response = await client.post(url, headers=admin.headers, json={})
    assert response.status_code == 502
    assert error_of(response)["code"] == "llm_invalid_answer"


ANALYZE = """mutation($input: AnalyzePerformanceInput!) { analyzePerformance(input: $input) {
  mode response report { confidence strengths } evidenceSummary { blocks ghlSessions }
  fileIds } }"""


async def test_performance_over_graphql(client, services, fake_anthropic):
    admin = await org_admin(services, client)
    await store_llm_key(client)
    made = await create_workspace(client, admin.headers, fake_anthropic)
    fake_anthropic.reply_tool_use("performance_report", REPORT)
    data = (await gql(client, ANALYZE, {"input": {"workspaceId": made["workspace"]["id"]}},
                      headers=admin.headers))["analyzePerformance"]
    assert data["mode"] == "REPORT" and data["report"]["confidence"] == "developing"
    assert data["evidenceSummary"] == {"blocks": 3, "ghlSessions": 0}
    ghl_only = bearer((await client.post(f"{AGENT}/keys", json={"scopes": ["ghl:read"]}))
                      .json()["api_key"])
    body = await gql_raw(client, ANALYZE, {"input": {"workspaceId": made["workspace"]["id"]}},
                         headers=ghl_only)
    assert error_codes(body) == ["FORBIDDEN"]


async def test_the_integration_checklist(client, services, fake_anthropic, new_client):
    # 1. A Teams user creates an organization and a key with the default scopes.
    admin = await org_admin(services, client, email="lead@acme.com")
    await store_llm_key(client)
    key = bearer((await client.post(f"{AGENT}/keys", json={})).json()["api_key"])
    # 2. A workspace from a task-specific prompt and a file.
    fake_anthropic.reply_tool_use("draft_workspace", {
        "title": "Vector databases", "root_topic": "Explaining vector search",
        "blocks": [{"title": "Embeddings", "description": "Say what they are", "is_start": True},
                   {"title": "Indexes", "description": "Compare HNSW and IVF"}]})
    created = await client.post(f"{AGENT}/workspaces", headers=key, json={
        "initial_prompt": "Prepare the learner to explain vector databases for interviews.",
        "files": [{"name": "brief.md", "mime_type": "text/markdown", "data": b64(b"# Brief")}]})
    assert created.status_code == 201, created.text
    workspace_id = created.json()["workspace"]["id"]
    # 3. The blocks, mapped to workflow steps.
    blocks = (await client.get(f"{AGENT}/workspaces/{workspace_id}/blocks", headers=key)
              ).json()["blocks"]
    start = next(b for b in blocks if b["is_start"])
    # 4. Evidence as the learner works.
    evidence = await client.post(f"{AGENT}/workspaces/{workspace_id}/evidence", headers=key,
                                 json={"type": "tool", "file_name": "events.json",
                                       "mime_type": "application/json", "block_id": start["id"],
                                       "data": b64(json.dumps([{"t": 1}]).encode())})
    assert evidence.status_code == 201
    # 5. A gap report, then a follow-up question.
    fake_anthropic.reply_tool_use("performance_report", REPORT)
    report = (await client.post(f"{AGENT}/workspaces/{workspace_id}/performance",
                                headers=key, json={})).json()
    assert report["evidence_summary"]["evidence_artifacts"] == 1
    assert report["evidence_summary"]["plan_files"] == 1
    fake_anthropic.reply_text("Embeddings look solid.")
    answer = (await client.post(f"{AGENT}/workspaces/{workspace_id}/performance", headers=key,
                                json={"prompt": "How are embeddings?",
                                      "file_ids": report["file_ids"]})).json()
    assert answer["response"] == "Embeddings look solid."
    # 6. A GHL link; its private URL goes to the learner.
    link = (await client.post(f"{AGENT}/workspaces/{workspace_id}/blocks/{start['id']}"
                              "/ghl-links", headers=key, json={"minutes": 30})).json()["ghl_link"]
    token = link["private_url"].rsplit("/", 1)[1]
    results = f"{AGENT}/workspaces/{workspace_id}/ghl-links/{link['id']}/results"
    # 7. Poll until completed, while the learner talks and finishes.
    assert (await client.get(results, headers=key)).json()["ghl_result"]["status"] == "pending"
    learner = new_client()
    fake_anthropic.reply_text("What is an embedding?")
    turn = await learner.post("/api/workspace-ghl-score/chat", json={"privateToken": token})
    assert sse_events(turn.text)[-1]["type"] == "done"
    fake_anthropic.reply_text("And why does that help search?")
    await learner.post("/api/workspace-ghl-score/chat",
                       json={"privateToken": token, "message": "A vector of meaning."})
    fake_anthropic.reply_tool_use("score_session", SCORING)
    assert (await learner.post("/api/workspace-ghl-score/complete",
                               json={"privateToken": token})).status_code == 200
    polled = (await client.get(results, headers=key)).json()["ghl_result"]
    assert polled["status"] == "completed" and polled["overall_score"] == 82
    # 8. Performance again: the GHL result is part of the synthesis.
    fake_anthropic.reply_tool_use("performance_report", REPORT)
    again = (await client.post(f"{AGENT}/workspaces/{workspace_id}/performance",
                               headers=key, json={})).json()
    assert again["evidence_summary"]["ghl_sessions"] == 1
    assert "conceptual_clarity" in fake_anthropic.last_request.body["messages"][0]["content"]
    # 9. An external learner: a guest key and a private link of their own.
    guest = bearer(await guest_key(admin, "external@example.com"))
    guest_link = (await client.post(
        f"{AGENT}/workspaces/{workspace_id}/blocks/{start['id']}/ghl-links", headers=guest,
        json={})).json()["ghl_link"]
    listed = (await client.get(f"{AGENT}/workspaces/{workspace_id}/ghl-links", headers=guest)
              ).json()["ghl_links"]
    assert [item["id"] for item in listed] == [guest_link["id"]]
    assert (await client.get(f"{AGENT}/workspaces/{workspace_id}/ghl-links/{guest_link['id']}"
                             "/results", headers=guest)).json()["ghl_result"]["completed"] is False
