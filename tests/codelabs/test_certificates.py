"""Completing a codelab under its rules, the certificate and its verification page."""

from __future__ import annotations

from tests.codelabs.helpers import API, create_codelab, csrf, facilitator_login, register


async def test_complete_then_certificate_and_verification(client, new_client):
    await facilitator_login(client)
    codelab = await create_codelab(client)
    jane_http = new_client()
    jane = await register(jane_http, codelab, name="Jane <Doe>")
    cert_url = f"{API}/certificates/{jane['id']}"
    response = await new_client().get(cert_url)
    assert response.status_code == 403
    assert response.json() == {
        "error": "The certificate is available once the codelab is completed"}

    response = await jane_http.post(f"{API}/codelabs/{codelab['id']}/complete",
                                    headers=csrf(jane_http))
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}
    [listed] = (await client.get(f"{API}/codelabs/{codelab['id']}/attendees")).json()
    assert listed["is_completed"] is True and listed["completed_at"]

    certificate = (await new_client().get(cert_url)).json()
    assert certificate == {"attendee_name": "Jane <Doe>", "codelab_title": codelab["title"],
                           "codelab_id": codelab["id"], "author": "Jane Doe",
                           "completed_at": listed["completed_at"],
                           "verification_url": f"/api/verify/{jane['id']}"}
    # Completing again keeps the first completion.
    await jane_http.post(f"{API}/codelabs/{codelab['id']}/complete", headers=csrf(jane_http))
    assert (await new_client().get(cert_url)).json() == certificate

    page = await new_client().get(certificate["verification_url"])
    assert page.status_code == 200
    assert page.headers["content-type"].startswith("text/html")
    assert "Jane &lt;Doe&gt;" in page.text and "<Doe>" not in page.text
    missing = await new_client().get(f"{API}/verify/attendee_{'0' * 32}")
    assert missing.status_code == 404 and "not verified" in missing.text
    for bad in (f"attendee_{'0' * 32}", "attendee_x", "1"):
        response = await new_client().get(f"{API}/certificates/{bad}")
        assert response.status_code == 404
        assert response.json() == {"error": "Certificate not found"}


async def test_completion_waits_for_the_quiz_and_feedback(client, new_client):
    await facilitator_login(client)
    codelab = await create_codelab(client, require_quiz=True, require_feedback=True)
    url = f"{API}/codelabs/{codelab['id']}"
    quiz = (await client.put(f"{url}/quizzes", json=[
        {"question": "Q", "options": ["A", "B"], "correct_answer": 1}], headers=csrf(client))
    ).json()
    jane_http = new_client()
    await register(jane_http, codelab)
    headers = csrf(jane_http)

    async def complete():
        return await jane_http.post(f"{url}/complete", headers=headers)

    response = await complete()
    assert response.status_code == 400
    assert response.json() == {
        "error": "Answer every quiz question correctly before completing"}
    await jane_http.post(f"{url}/quizzes/submit", json={"submissions": [
        {"quiz_id": quiz[0]["id"], "answer": "A", "is_correct": True}]}, headers=headers)
    assert (await complete()).status_code == 400  # a wrong answer, whatever it claims
    await jane_http.post(f"{url}/quizzes/submit", json={"submissions": [
        {"quiz_id": quiz[0]["id"], "answer": "B"}]}, headers=headers)
    response = await complete()
    assert response.status_code == 400
    assert response.json() == {"error": "Give your feedback before completing"}
    await jane_http.post(f"{url}/feedback", json={"difficulty": 2, "satisfaction": 4},
                         headers=headers)
    assert (await complete()).status_code == 200


async def test_only_attendees_complete(client, new_client):
    await facilitator_login(client)
    codelab = await create_codelab(client)
    url = f"{API}/codelabs/{codelab['id']}/complete"
    response = await new_client().post(url)
    assert response.status_code == 401
    response = await client.post(url, headers=csrf(client))
    assert response.status_code == 403
    assert response.json() == {"error": "Only the codelab's attendees can do this"}
