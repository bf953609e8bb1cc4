"""MCP over streamable HTTP, driven by the official ``mcp`` SDK client."""

from __future__ import annotations

import logging
from urllib.parse import quote

import httpx
from mcp.client.session import ClientSession
from mcp.client.streamable_http import streamable_http_client

from tests.openlesson.helpers import (
    AGENT,
    create_workspace,
    error_of,
    guest_key,
    key_with_scopes,
    org_admin,
    store_llm_key,
)


async def test_the_sdk_client_lists_and_calls_the_read_tools(client, services, fake_anthropic,
                                                             server, caplog):
    admin = await org_admin(services, client)
    await store_llm_key(client)
    made = await create_workspace(client, admin.headers, fake_anthropic)
    workspace_id = made["workspace"]["id"]
    block_id = made["blocks"][0]["id"]
    link = (await client.post(f"{AGENT}/workspaces/{workspace_id}/blocks/{block_id}/ghl-links",
                              headers=admin.headers, json={})).json()["ghl_link"]
    key = admin.key
    url = f"{server.base_url}/api/mcp/{quote(key, safe='')}"
    caplog.set_level(logging.DEBUG)
    async with streamable_http_client(url) as (read, write), \
            ClientSession(read, write) as session:
        init = await session.initialize()
        assert init.server_info.name == "learngraph-openlesson"
        tools = await session.list_tools()
        assert sorted(t.name for t in tools.tools) == [
            "get_ghl_results", "list_blocks", "list_ghl_links", "list_workspaces"]
        listed = await session.call_tool("list_workspaces", {})
        assert listed.is_error is False
        assert [w["id"] for w in listed.structured_content["workspaces"]] == [workspace_id]
        blocks = await session.call_tool("list_blocks", {"workspace_id": workspace_id})
        assert blocks.structured_content["blocks"] == made["blocks"]
        links = await session.call_tool("list_ghl_links", {"workspace_id": workspace_id})
        assert [x["id"] for x in links.structured_content["ghl_links"]] == [link["id"]]
        result = await session.call_tool("get_ghl_results", {"workspace_id": workspace_id,
                                                             "link_id": link["id"]})
        assert result.structured_content == {"ghl_result": {
            "id": link["id"], "status": "pending", "completed": False}}
        missing = await session.call_tool("list_blocks", {"workspace_id":
                                                          "00000000-0000-0000-0000-000000000000"})
        assert missing.is_error is True and missing.content[0].text == "Workspace not found"
    # The server logs nothing with the key (the client's own HTTP logging is its business).
    leaked = [(r.name, r.getMessage()[:200]) for r in caplog.records
              if not r.name.startswith(("httpx", "httpcore", "mcp")) and key in r.getMessage()]
    assert not leaked, leaked


async def test_scopes_and_keys_over_mcp(client, services, fake_anthropic, server):
    admin = await org_admin(services, client)
    ghl_only = await key_with_scopes(services, scopes=["ghl:read"], user=admin.user)
    async with streamable_http_client(f"{server.base_url}/api/mcp/{ghl_only}") as (read, write), \
            ClientSession(read, write) as session:
        await session.initialize()
        tools = await session.list_tools()
        assert sorted(t.name for t in tools.tools) == ["get_ghl_results", "list_ghl_links"]
        refused = await session.call_tool("list_workspaces", {})
        assert refused.is_error is True
        assert refused.content[0].text == "This API key lacks the workspaces:read scope"

    guest = await guest_key(admin)
    async with httpx.AsyncClient(base_url=server.base_url) as http:
        ping = {"jsonrpc": "2.0", "id": 1, "method": "tools/list"}
        response = await http.post(f"/api/mcp/{guest}", json=ping)
        assert response.status_code == 200
        assert len(response.json()["result"]["tools"]) == 4
        response = await http.post("/api/mcp/sk_not-a-real-key", json=ping)
        assert response.status_code == 401 and error_of(response)["code"] == "unauthorized"
        response = await http.post(f"/api/mcp/{guest}", json={**ping, "method": "nope/x"})
        assert response.json()["error"]["code"] == -32601
        response = await http.post(f"/api/mcp/{guest}", json={
            **ping, "method": "tools/call", "params": {"name": "list_blocks",
                                                       "arguments": {"workspace_id": "x"}}})
        assert response.json()["error"]["code"] == -32602
        response = await http.post(f"/api/mcp/{guest}", json={"jsonrpc": "1.0", "id": 1,
                                                               "method": "ping"})
        assert response.status_code == 400
        response = await http.post(f"/api/mcp/{guest}", json={"jsonrpc": "2.0",
                                                               "method": "notifications/x"})
        assert response.status_code == 202
