"""Help requests and feedback through the Codelabs face."""

from __future__ import annotations

import asyncio

from tests.codelabs.helpers import API, create_codelab, csrf, facilitator_login, register


async def _room(client, new_client):
    await facilitator_login(client)
    codelab = await create_codelab(client)
    jane_http = new_client()
    jane = await register(jane_http, codelab, name="Jane Doe")
    return codelab, jane_http, jane


async def test_help_requests_are_raised_listed_and_resolved(client, new_client, services):
    codelab, jane_http, jane = await _room(client, new_client)
    url = f"{API}/codelabs/{codelab['id']}/help"
    topic = f"codelab:{codelab['id'].removeprefix('codelab_')}"
    async with services.broker.subscribe(topic) as events:
        response = await jane_http.post(url, json={"step_number": 3}, headers=csrf(jane_http))
        assert response.status_code == 200
        assert response.json() == {"status": "ok"}
        event = await asyncio.wait_for(anext(events), 5)
    assert event["type"] == "help_request" and event["step_number"] == 3
    assert f"attendee_{event['attendee_user_id'].replace('-', '')}" == jane["id"]

    listed = (await client.get(url)).json()
    assert listed == [{"id": listed[0]["id"], "codelab_id": codelab["id"],
                       "attendee_id": jane["id"], "attendee_name": "Jane Doe",
                       "step_number": 3, "status": "pending",
                       "created_at": listed[0]["created_at"]}]
    assert (await jane_http.get(url)).json() == listed  # attendees see the list too

    resolve = f"{url}/{listed[0]['id']}/resolve"
    assert (await jane_http.post(resolve, headers=csrf(jane_http))).status_code == 403
    for _ in range(2):  # resolving again is fine
        response = await client.post(resolve, headers=csrf(client))
        assert response.status_code == 200
        assert response.json() == {"status": "ok"}
    assert (await client.get(url)).json() == []


async def test_help_requests_refuse_outsiders_and_bad_input(client, new_client):
    codelab, jane_http, _ = await _room(client, new_client)
    url = f"{API}/codelabs/{codelab['id']}/help"
    response = await new_client().post(url, json={"step_number": 1})
    assert response.status_code == 401
    assert response.json() == {"error": "Login required"}
    response = await client.post(url, json={"step_number": 1}, headers=csrf(client))
    assert response.status_code == 403
    assert response.json() == {"error": "Only the codelab's attendees can do this"}
    other = await create_codelab(client, title="Other")
    outsider = new_client()
    await register(outsider, other)
    response = await outsider.post(url, json={"step_number": 1}, headers=csrf(outsider))
    assert response.status_code == 403
    assert (await outsider.get(url)).status_code == 403
    for body in ({}, {"step_number": 0}, {"step_number": "three"},
                 {"step_number": 10**30}):
        response = await jane_http.post(url, json=body, headers=csrf(jane_http))
        assert response.status_code in (400, 422), body
        assert set(response.json()) == {"error"}
    response = await client.post(f"{url}/help_999999/resolve", headers=csrf(client))
    assert response.status_code == 404
    assert response.json() == {"error": "Help request not found"}
    response = await client.post(f"{url}/nonsense/resolve", headers=csrf(client))
    assert response.status_code == 404


async def test_feedback_once_per_attendee_for_the_facilitator(client, new_client):
    codelab, jane_http, jane = await _room(client, new_client)
    url = f"{API}/codelabs/{codelab['id']}/feedback"
    response = await jane_http.post(url, json={"difficulty": "3", "satisfaction": "5",
                                               "comment": "Very helpful"},
                                    headers=csrf(jane_http))
    assert response.status_code == 200
    given = response.json()
    assert given == {"id": given["id"], "codelab_id": codelab["id"], "attendee_id": jane["id"],
                     "difficulty": "3", "satisfaction": "5", "comment": "Very helpful",
                     "created_at": given["created_at"]}
    again = await jane_http.post(url, json={"difficulty": 1, "satisfaction": 1},
                                 headers=csrf(jane_http))
    assert again.status_code == 409
    assert again.json() == {"error": "Feedback already submitted"}
    assert (await client.get(url)).json() == [given]
    response = await jane_http.get(url)
    assert response.status_code == 403
    assert response.json() == {"error": "Only the codelab's facilitator can do this"}


async def test_feedback_refuses_bad_scores_and_non_attendees(client, new_client):
    codelab, jane_http, _ = await _room(client, new_client)
    url = f"{API}/codelabs/{codelab['id']}/feedback"
    for body in ({"difficulty": 0, "satisfaction": 3}, {"difficulty": 3, "satisfaction": "6"},
                 {"difficulty": 3}, {"difficulty": 3, "satisfaction": 3, "comment": "x" * 2001}):
        response = await jane_http.post(url, json=body, headers=csrf(jane_http))
        assert response.status_code in (400, 422), body
        assert set(response.json()) == {"error"}
        assert "xxxx" not in response.text
    response = await client.post(url, json={"difficulty": 3, "satisfaction": 3},
                                 headers=csrf(client))
    assert response.status_code == 403
    response = await new_client().get(url)
    assert response.status_code == 401
