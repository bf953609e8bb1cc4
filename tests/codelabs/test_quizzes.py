"""Quizzes through the Codelabs face: the server grades, never the client."""

from __future__ import annotations

from tests.codelabs.helpers import API, create_codelab, csrf, facilitator_login, register

QUIZ = [{"question": "Which crate serves HTTP?", "quiz_type": "multiple_choice",
         "options": ["A", "B", "C"], "correct_answer": 1},
        {"question": "Second?", "options": ["yes", "no"], "correct_answer": 0}]


async def _quiz_room(client, new_client):
    await facilitator_login(client)
    codelab = await create_codelab(client, quiz_enabled=True)
    url = f"{API}/codelabs/{codelab['id']}/quizzes"
    response = await client.put(url, json=QUIZ, headers=csrf(client))
    assert response.status_code == 200, response.text
    jane_http = new_client()
    jane = await register(jane_http, codelab, name="Jane")
    return codelab, url, response.json(), jane_http, jane


async def test_facilitators_write_the_quiz_and_attendees_never_see_answers(client, new_client):
    codelab, url, written, jane_http, _ = await _quiz_room(client, new_client)
    assert [(q["question"], q["options"], q["correct_answer"], q["quiz_type"])
            for q in written] == [("Which crate serves HTTP?", ["A", "B", "C"], 1,
                                   "multiple_choice"), ("Second?", ["yes", "no"], 0,
                                                        "multiple_choice")]
    assert all(q["id"].startswith("quiz_") and q["codelab_id"] == codelab["id"]
               for q in written)
    assert (await client.get(url)).json() == written
    seen = (await jane_http.get(url)).json()
    assert [set(q) for q in seen] == [{"id", "codelab_id", "question", "quiz_type", "options",
                                       "created_at"}] * 2
    response = await jane_http.put(url, json=QUIZ, headers=csrf(jane_http))
    assert response.status_code == 403
    assert (await new_client().get(url)).status_code == 401


async def test_submissions_are_graded_on_the_server(client, new_client):
    _, url, written, jane_http, jane = await _quiz_room(client, new_client)
    first, second = written
    response = await jane_http.post(f"{url}/submit", json={"submissions": [
        {"quiz_id": first["id"], "answer": "A", "is_correct": True},
        {"quiz_id": second["id"], "answer": "yes", "is_correct": False}]},
        headers=csrf(jane_http))
    assert response.status_code == 200
    assert response.json() == {"status": "ok", "correct": 1, "total": 2}
    # The latest answer counts.
    response = await jane_http.post(f"{url}/submit", json={"submissions": [
        {"quiz_id": first["id"], "answer": "B", "is_correct": False}]}, headers=csrf(jane_http))
    assert response.json() == {"status": "ok", "correct": 1, "total": 2}

    listed = (await client.get(f"{url}/submissions")).json()
    assert sorted((s["quiz_id"], s["answer"], s["is_correct"], s["attendee_id"],
                   s["attendee_name"]) for s in listed) == sorted([
        (first["id"], "B", True, jane["id"], "Jane"),
        (second["id"], "yes", True, jane["id"], "Jane")])
    assert (await jane_http.get(f"{url}/submissions")).status_code == 403

    # Rewriting the quiz drops the answers to the old questions.
    await client.put(url, json=QUIZ[:1], headers=csrf(client))
    assert (await client.get(f"{url}/submissions")).json() == []


async def test_quiz_input_is_bounded(client, new_client):
    _, url, written, jane_http, _ = await _quiz_room(client, new_client)
    for quiz, error in (
            ([{"question": "Q", "options": ["A"], "correct_answer": 0}],
             "quizzes[0].options must be 2 to 10 non-empty options of at most 500 characters"),
            ([{"question": "Q", "options": ["A", "B"], "correct_answer": 2}],
             "quizzes[0].correct_answer must be the index of one of its options"),
            ([{"question": "Q", "options": ["A", "A"], "correct_answer": 0}],
             "quizzes[0].options must differ from each other"),
            ([{"question": " ", "options": ["A", "B"], "correct_answer": 0}],
             "quizzes[0].question must be 1 to 2000 characters"),
            ([{"question": "Q", "options": ["A", "B"], "correct_answer": 0,
               "quiz_type": "essay"}], "quizzes[0].quiz_type must be one of multiple_choice")):
        response = await client.put(url, json=quiz, headers=csrf(client))
        assert response.status_code == 400, quiz
        assert response.json() == {"error": error}
    response = await client.put(url, json={"not": "a list"}, headers=csrf(client))
    assert response.status_code == 400
    other = await create_codelab(client, title="Other")
    response = await client.put(f"{API}/codelabs/{other['id']}/quizzes", json=QUIZ,
                                headers=csrf(client))
    foreign = response.json()[0]["id"]
    for submissions in ([{"quiz_id": foreign, "answer": "B"}],
                        [{"quiz_id": "nonsense", "answer": "B"}], []):
        response = await jane_http.post(f"{url}/submit", json={"submissions": submissions},
                                        headers=csrf(jane_http))
        assert response.status_code == 400, submissions
        assert set(response.json()) == {"error"}
    response = await client.post(f"{url}/submit", json={"submissions": [
        {"quiz_id": written[0]["id"], "answer": "B"}]}, headers=csrf(client))
    assert response.status_code == 403
