"""The audit log of facilitator actions through the Codelabs face."""

from __future__ import annotations

from tests.codelabs.helpers import (
    API,
    create_codelab,
    csrf,
    facilitator_login,
    put_steps,
    register,
)
from tests.fixtures import bearer_for, create_user

URL = f"{API}/admin/audit-logs"


async def test_facilitator_actions_are_logged_and_filtered(client, new_client):
    await facilitator_login(client)
    codelab = await create_codelab(client)
    cid = codelab["id"]
    assert (await client.put(f"{API}/codelabs/{cid}", json={"title": "Renamed"},
                             headers=csrf(client))).status_code == 200
    await put_steps(client, cid, [{"title": "One", "content_markdown": "# One"}])
    copy = (await client.post(f"{API}/codelabs/{cid}/copy", headers=csrf(client))).json()
    assert (await client.put(f"{API}/codelabs/{cid}/quizzes", json=[
        {"question": "Q", "quiz_type": "multiple_choice", "options": ["A", "B"],
         "correct_answer": 1}], headers=csrf(client))).status_code == 200
    jane_http = new_client()
    await register(jane_http, codelab)
    await jane_http.post(f"{API}/codelabs/{cid}/help", json={"step_number": 1},
                         headers=csrf(jane_http))
    help_id = (await client.get(f"{API}/codelabs/{cid}/help")).json()[0]["id"]
    await client.post(f"{API}/codelabs/{cid}/help/{help_id}/resolve", headers=csrf(client))
    assert (await client.delete(f"{API}/codelabs/{copy['id']}",
                                headers=csrf(client))).status_code == 204

    entries = (await client.get(URL)).json()
    assert [(e["action"], e["target_id"], e["codelab_id"]) for e in entries] == [
        ("codelab_delete", copy["id"], copy["id"]),
        ("help_resolve", help_id, cid),
        ("quiz_update", cid, cid),
        ("codelab_copy", copy["id"], cid),
        ("codelab_steps_update", cid, cid),
        ("codelab_update", cid, cid),
        ("codelab_create", cid, cid),
        ("admin_login", "admin", None)]
    first = entries[0]
    assert set(first) == {"id", "action", "actor_type", "actor_id", "target_id", "codelab_id",
                          "ip", "user_agent", "metadata", "created_at"}
    assert first["actor_type"] == "admin" and first["ip"] == "127.0.0.1"
    assert first["metadata"] == {"title": "Renamed (copy)"}
    assert {e["actor_id"] for e in entries} == {first["actor_id"]}

    by_action = (await client.get(URL, params={"action": "codelab_update"})).json()
    assert [e["action"] for e in by_action] == ["codelab_update"]
    assert by_action[0]["metadata"] == {"fields": ["title"]}
    of_codelab = (await client.get(URL, params={"codelab_id": cid})).json()
    assert len(of_codelab) == 6
    both = (await client.get(URL, params={"codelab_id": cid, "action": "quiz_update"})).json()
    assert [e["action"] for e in both] == ["quiz_update"]
    page = (await client.get(URL, params={"limit": 2, "offset": 1})).json()
    assert [e["action"] for e in page] == ["help_resolve", "quiz_update"]
    assert (await client.get(URL, params={"codelab_id": "nonsense"})).json() == []


async def test_who_reads_the_log(client, new_client, services):
    await facilitator_login(client)
    codelab = await create_codelab(client)
    jane_http = new_client()
    await register(jane_http, codelab)
    response = await jane_http.get(URL)
    assert response.status_code == 403
    assert set(response.json()) == {"error"}
    response = await new_client().get(URL)
    assert response.status_code == 401
    assert response.json() == {"error": "Login required"}

    # Another instructor sees only their own codelabs' entries; a platform admin all.
    other = await create_user(services, email="ines@example.com", roles=["INSTRUCTOR"])
    headers = await bearer_for(services, other)
    ines = new_client()
    mine = (await ines.post(f"{API}/codelabs", json={"title": "Ines'"}, headers=headers)).json()
    seen = (await ines.get(URL, headers=headers)).json()
    assert [(e["action"], e["codelab_id"]) for e in seen] == [("codelab_create", mine["id"])]
    admin = await create_user(services, email="root@example.com", roles=["PLATFORM_ADMIN"])
    everything = (await new_client().get(URL, headers=await bearer_for(services, admin))).json()
    assert len(everything) == 3

    for params in ({"limit": 0}, {"limit": 1001}, {"offset": -1}, {"action": "x" * 65},
                   {"limit": "many"}):
        response = await client.get(URL, params=params)
        assert response.status_code == 400, params
        assert set(response.json()) == {"error"}
