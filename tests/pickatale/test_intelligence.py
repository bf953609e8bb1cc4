"""generateIntelligence: the tRPC-compatible endpoint and the GraphQL mutation, every type."""

from __future__ import annotations

import orjson
from strawberry import relay

from tests.fixtures import bearer_for, create_user, gql
from tests.pickatale.helpers import KEY

URL = "/api/trpc/curriculum.generateIntelligence"
TYPES = ["cover", "objective", "vocabulary", "content", "content", "realworld", "recap",
         "reflect", "content", "teacher"]


def lesson_book() -> dict:
    bodies = {"recap": "Tortoises are slow. Slow and steady wins.",
              "reflect": "What did you learn? Why did the hare lose? Think about it."}
    return {"title": "Slow and Steady", "pages": [
        {"pageNumber": n, "type": kind, "heading": f"Heading {n}",
         "bodyText": bodies.get(kind, f"Body {n}."), "imagePrompt": f"Image {n}",
         "voiceoverScript": f"Narration {n}", "voiceoverTone": "warm",
         "videoScene": f"Scene {n}"} for n, kind in enumerate(TYPES, start=1)]}


async def _user_headers(services) -> dict:
    user = await create_user(services, email="teacher@example.com")
    return await bearer_for(services, user)


def _trpc_error(response, status: int, code: str) -> dict:
    assert response.status_code == status, response.text
    error = response.json()["error"]["json"]
    assert error["data"]["code"] == code and error["data"]["httpStatus"] == status
    assert error["data"]["path"] == "curriculum.generateIntelligence"
    return error


async def test_book_brief_then_remotion_script(llm_client, services, fake_anthropic):
    headers = await _user_headers(services)
    fake_anthropic.reply_tool_use("lesson_book", lesson_book())
    response = await llm_client.post(URL, headers=headers, json={
        "json": {"objectiveId": 1, "type": "book_brief"}})
    data = response.json()["result"]["data"]["json"]
    assert data["type"] == "book_brief"
    pages = orjson.loads(data["content"])
    assert [p["type"] for p in pages] == TYPES and pages[0]["heading"] == "Heading 1"
    assert "Retell a fable in order" in fake_anthropic.last_request.body["messages"][0][
        "content"]
    before = len(fake_anthropic.recorded())
    response = await llm_client.post(URL, headers=headers, json={
        "json": {"objectiveId": 1, "type": "remotion_script"}})
    script = orjson.loads(response.json()["result"]["data"]["json"]["content"])
    assert len(fake_anthropic.recorded()) == before  # no LLM call
    scenes = script["scenes"]
    assert [s["type"] for s in scenes] == TYPES[:-1]  # the teacher page is left out
    assert [s["durationSecs"] for s in scenes] == [5, 4, 6, 8, 8, 6, 5, 4, 8]
    assert script["totalDurationSecs"] == 54
    assert scenes[0] == {
        "id": "scene_1", "pageNumber": 1, "type": "cover", "durationSecs": 5,
        "narration": "Narration 1", "visual": "Image 1", "textOverlay": "Heading 1",
        "animationType": "fade-in-scale",
        "extra": {"videoScene": "Scene 1", "words": [], "points": [], "questions": []}}
    assert scenes[2]["extra"]["words"] == ["tortoise", "hare", "race", "steadily", "moral"]
    assert scenes[6]["extra"]["points"] == ["Tortoises are slow.", "Slow and steady wins."]
    assert scenes[7]["extra"]["questions"] == ["What did you learn?", "Why did the hare lose?"]
    assert (script["title"], script["subtitle"], script["bloomsLevel"],
            script["readingLevel"]) == ("Slow and Steady", "Retell a fable in order", "Apply",
                                        "Year 3")


async def test_remotion_script_needs_a_lesson_book(client, services):
    headers = await _user_headers(services)
    response = await client.post(URL, headers=headers, json={
        "json": {"objectiveId": 2, "type": "remotion_script"}})
    _trpc_error(response, 404, "NOT_FOUND")
    _trpc_error(await client.post(URL, headers=headers, json={
        "objectiveId": 999, "type": "teacher_brief"}), 404, "NOT_FOUND")
    _trpc_error(await client.post(URL, headers=headers, json={
        "objectiveId": 1, "type": "poem"}), 400, "BAD_REQUEST")
    _trpc_error(await client.post(URL, json={"objectiveId": 1, "type": "teacher_brief"}),
                401, "UNAUTHORIZED")
    # The platform's service key is not a curriculum mapper session.
    _trpc_error(await client.post(URL, headers=KEY, json={
        "objectiveId": 1, "type": "teacher_brief"}), 401, "UNAUTHORIZED")


async def test_teacher_brief_and_video_script(llm_client, services, fake_anthropic):
    headers = await _user_headers(services)
    fake_anthropic.reply_text("# Retell a fable\n\n- Goal: retell events in order")
    response = await llm_client.post(URL, headers=headers, json={
        "objectiveId": 1, "type": "teacher_brief"})
    assert response.json() == {"result": {"data": {
        "type": "teacher_brief", "content": "# Retell a fable\n\n- Goal: retell events in order"}}}
    script = {"hook": "Ever raced a tortoise?", "mainPoints": ["One.", "Two.", "Three."],
              "conclusion": "Slow and steady wins.", "voiceoverTone": "warm",
              "suggestedVisuals": ["a", "b", "c", "d"], "backgroundMusic": "gentle",
              "fullScript": "Ever raced a tortoise? One. Two. Three. Slow and steady wins."}
    fake_anthropic.reply_tool_use("video_script", script)
    response = await llm_client.post(URL, headers=headers, json={
        "objectiveId": 1, "type": "video_script"})
    assert orjson.loads(response.json()["result"]["data"]["content"]) == script


async def test_html_activity_is_served_under_a_sandboxing_csp(llm_client, services,
                                                               fake_anthropic):
    headers = await _user_headers(services)
    html = ("<!DOCTYPE html><html><head><style>p{color:red}</style></head><body>"
            "<p>Match the words</p><script>document.title='quiz'</script></body></html>")
    fake_anthropic.reply_text(html)
    response = await llm_client.post(URL, headers=headers, json={
        "objectiveId": 3, "type": "html_activity"})
    assert response.json()["result"]["data"]["content"] == html
    served = await llm_client.get("/api/v1/objectives/3/activity", headers=headers)
    assert served.status_code == 200 and served.text == html
    assert served.headers["content-type"].startswith("text/html")
    csp = served.headers["content-security-policy"]
    assert csp.startswith("sandbox allow-scripts;") and "default-src 'none'" in csp
    assert "allow-same-origin" not in csp
    assert served.headers["x-content-type-options"] == "nosniff"
    missing = await llm_client.get("/api/v1/objectives/4/activity", headers=headers)
    assert missing.status_code == 404 and missing.json()["error"] == "not_found"
    # Not an HTML document twice: refused.
    fake_anthropic.reply_text("Here is your activity!")
    fake_anthropic.reply_text("<div>no document</div>")
    _trpc_error(await llm_client.post(URL, headers=headers, json={
        "objectiveId": 5, "type": "html_activity"}), 502, "BAD_GATEWAY")


GENERATE = """
mutation($id: ID!, $type: IntelligenceType!) {
  generateIntelligence(objectiveId: $id, type: $type) { type content } }"""


async def test_generate_intelligence_in_graphql(llm_client, services, fake_anthropic):
    headers = await _user_headers(services)
    fake_anthropic.reply_tool_use("lesson_book", lesson_book())
    objective = relay.to_base64("CurriculumObjective", "7")
    data = await gql(llm_client, GENERATE, {"id": objective, "type": "BOOK_BRIEF"},
                     headers=headers)
    assert len(orjson.loads(data["generateIntelligence"]["content"])) == 10
    data = await gql(llm_client, GENERATE, {"id": 7, "type": "REMOTION_SCRIPT"},
                     headers=headers)
    assert orjson.loads(data["generateIntelligence"]["content"])["totalDurationSecs"] == 54


BATCH_URL = f"{URL},curriculum.generateIntelligence?batch=1"


async def test_batched_calls_answer_in_order(llm_client, services, fake_anthropic):
    headers = await _user_headers(services)
    fake_anthropic.reply_text("# First brief")
    fake_anthropic.reply_text("# Second brief")
    response = await llm_client.post(BATCH_URL, headers=headers, json={
        "0": {"json": {"objectiveId": 1, "type": "teacher_brief"}},
        "1": {"objectiveId": 1, "type": "teacher_brief"}})
    assert response.status_code == 200, response.text
    assert response.json() == [
        {"result": {"data": {"json": {"type": "teacher_brief", "content": "# First brief"}}}},
        {"result": {"data": {"type": "teacher_brief", "content": "# Second brief"}}}]
    # One call batched alone, on the procedure's own path.
    fake_anthropic.reply_text("# Alone")
    response = await llm_client.post(f"{URL}?batch=1", headers=headers, json={
        "0": {"json": {"objectiveId": 1, "type": "teacher_brief"}}})
    assert response.status_code == 200
    assert response.json()[0]["result"]["data"]["json"]["content"] == "# Alone"


async def test_a_batch_with_answers_and_errors_is_207(client, services):
    headers = await _user_headers(services)
    response = await client.post(
        f"{URL},curriculum.generateIntelligence,curriculum.nope?batch=1", headers=headers,
        json={"0": {"json": {"objectiveId": 999, "type": "teacher_brief"}},
              "1": {"json": {"objectiveId": 1, "type": "poem"}}})
    assert response.status_code == 207
    missing, bad, unknown = response.json()
    assert missing["error"]["json"]["data"] == {
        "code": "NOT_FOUND", "httpStatus": 404, "path": "curriculum.generateIntelligence"}
    assert bad["error"]["json"]["data"]["code"] == "BAD_REQUEST"
    assert bad["error"]["json"]["data"]["details"]["fields"]
    assert unknown["error"]["json"]["data"] == {
        "code": "NOT_FOUND", "httpStatus": 404, "path": "curriculum.nope"}
    # Every call failing alike: their common status.
    response = await client.post(BATCH_URL, headers=headers, json={})
    assert response.status_code == 400
    assert [a["error"]["json"]["data"]["code"] for a in response.json()] == ["BAD_REQUEST"] * 2


async def test_batch_refusals(client, services):
    headers = await _user_headers(services)
    # Without a session the whole request is refused, once.
    _trpc_error(await client.post(BATCH_URL, json={}), 401, "UNAUTHORIZED")
    too_many = ",".join(["curriculum.generateIntelligence"] * 11)
    _trpc_error(await client.post(f"/api/trpc/{too_many}?batch=1", headers=headers, json={}),
                400, "BAD_REQUEST")
    # A list of procedures is only a batch.
    response = await client.post(BATCH_URL.removesuffix("?batch=1"), headers=headers,
                                 json={"objectiveId": 1, "type": "teacher_brief"})
    assert response.status_code == 404
    assert response.json()["error"]["json"]["data"]["code"] == "NOT_FOUND"
    for body in (b"[1, 2]", b'"text"', b"{"):
        response = await client.post(BATCH_URL, headers={**headers,
                                                         "content-type": "application/json"},
                                     content=body)
        assert response.status_code == 400, body
        assert response.json()["error"]["json"]["data"]["code"] == "BAD_REQUEST"
