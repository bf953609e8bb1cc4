"""The curriculum mapper's objectives and the orchestrator's gap-to-content loop."""

from __future__ import annotations

from strawberry import relay

from tests.fixtures import error_codes, gql, gql_raw
from tests.pickatale.helpers import KEY, assert_error, ids, jobs_done, until


async def test_objectives_filter_by_territory_year_and_subject(client):
    response = await client.get("/api/v1/objectives", headers=KEY, params={
        "territory": "turkey", "year_level": 3, "subject": "English"})
    body = response.json()
    assert [o["id"] for o in body["objectives"]] == [1, 2]
    assert body["objectives"][0] == {
        "id": 1, "title": "Retell a fable in order",
        "description": "Read a short fable and retell its events in the right order, naming "
                       "the characters and the lesson.",
        "difficulty": 3, "vocabulary": ["tortoise", "hare", "race", "steadily", "moral"],
        "story_potential_score": 0.87}
    assert body["nextCursor"] is None and body["hasMore"] is False
    science = (await client.get("/api/v1/objectives", headers=KEY,
                                params={"subject": "science"})).json()["objectives"]
    assert {o["id"] for o in science} == {5, 6, 12, 13, 14, 19, 20, 21}


async def test_objectives_page_with_a_cursor(client):
    seen, cursor = [], None
    while True:
        params = {"limit": 10, **({"cursor": cursor} if cursor else {})}
        body = (await client.get("/api/v1/objectives", headers=KEY, params=params)).json()
        seen += [o["id"] for o in body["objectives"]]
        cursor = body["nextCursor"]
        assert body["hasMore"] is (cursor is not None)
        if cursor is None:
            break
    assert seen == list(range(1, 23))
    assert_error(await client.get("/api/v1/objectives", headers=KEY, params={"limit": 201}),
                 422, "validation_failed")
    assert_error(await client.get("/api/v1/objectives", headers=KEY, params={"limit": 0}),
                 422, "validation_failed")
    assert_error(await client.get("/api/v1/objectives", headers=KEY,
                                  params={"cursor": "not-a-cursor"}), 422, "validation_failed")
    assert_error(await client.get("/api/v1/objectives"), 401, "unauthenticated")


async def _learner_with_gaps(client, words: list[str]) -> str:
    learner, session = ids()
    await client.post("/api/v1/telemetry/vocab-taps", headers=KEY, json={
        "learner_id": learner, "session_id": session,
        "words": [{"word": w, "count": 2} for w in words]})
    return learner


async def test_orchestration_picks_an_objective_and_content_from_gaps(client, services):
    learner = await _learner_with_gaps(client, ["tortoise", "hare", "race"])
    for _ in range(4):  # reach grade 4, where the fables are
        await client.post(f"/api/v1/bot/{learner}/quiz-result", headers=KEY, json={
            "bookId": "14770-1", "fkLevel": 3.0, "scorePct": 95.0, "questionsTotal": 5,
            "questionsCorrect": 5, "levelRecommendation": "raise"})
    await until(lambda: jobs_done(services, "reading.bot_run"), 20)
    response = await client.post(f"/api/v1/orchestrate/{learner}", headers=KEY)
    assert response.json() == {"status": "triggered", "objective_id": 1,
                               "content_selected": "14760-1",
                               "content_source": "content_service", "fk_level_target": 4.0,
                               "assessment_queued": True}
    status = (await client.get(f"/api/v1/bot/{learner}/status", headers=KEY)).json()
    assert status["curriculum_state"] == {"objective_id": "1", "value": "assessment",
                                          "mastery": 0.0}
    last = (await client.get(f"/api/v1/orchestrate/{learner}/status", headers=KEY)).json()
    assert last["objective_id"] == 1 and last["mastery_result"] == "pending"
    assert last["next_action"] == "await assessment" and last["last_run"].endswith("Z")
    # The learner's quiz on the served book decides the result and the next step.
    await client.post(f"/api/v1/bot/{learner}/quiz-result", headers=KEY, json={
        "bookId": "14760-1", "fkLevel": 4.0, "scorePct": 70.0, "questionsTotal": 5,
        "questionsCorrect": 3, "levelRecommendation": "hold"})
    last = (await client.get(f"/api/v1/orchestrate/{learner}/status", headers=KEY)).json()
    assert (last["mastery_result"], last["next_action"]) == (
        "hold", "re-serve with different approach")
    await until(lambda: jobs_done(services, "reading.prepare_assessment"), 20)


async def test_beginners_get_decodables(client, services):
    learner = await _learner_with_gaps(client, ["cat"])
    for _ in range(2):
        await client.post(f"/api/v1/bot/{learner}/quiz-result", headers=KEY, json={
            "bookId": "14770-1", "fkLevel": 3.0, "scorePct": 20.0, "questionsTotal": 5,
            "questionsCorrect": 1, "levelRecommendation": "drop"})
    await until(lambda: jobs_done(services, "reading.bot_run"), 20)
    run = (await client.post(f"/api/v1/orchestrate/{learner}", headers=KEY)).json()
    assert run["content_source"] == "decodables" and run["content_selected"] == "14774-1"
    assert run["fk_level_target"] == 1.0 and run["objective_id"] == 22
    await until(lambda: jobs_done(services, "reading.prepare_assessment"), 20)


async def test_orchestrator_errors(client):
    learner, _ = ids()
    assert_error(await client.post(f"/api/v1/orchestrate/{learner}", headers=KEY),
                 404, "not_found")
    assert_error(await client.get(f"/api/v1/orchestrate/{learner}/status", headers=KEY),
                 404, "not_found")
    assert_error(await client.post("/api/v1/orchestrate/nope", headers=KEY),
                 422, "validation_failed")
    assert_error(await client.post(f"/api/v1/orchestrate/{learner}"), 401, "unauthenticated")


OBJECTIVES = """
query($t: String) { curriculumObjectives(territory: $t, limit: 2) {
  objectives { id number title yearLevel } nextCursor hasMore } }"""
ORCHESTRATE = """
mutation($id: UUID!) { orchestrateLearner(learnerId: $id) {
  status objectiveId contentSource assessmentQueued } }"""
STATUS = """
query($id: UUID!) { orchestrationStatus(learnerId: $id) { objectiveId masteryResult } }"""


async def test_curriculum_in_graphql(client, services):
    data = await gql(client, OBJECTIVES, {"t": "England"}, headers=KEY)
    page = data["curriculumObjectives"]
    assert [o["number"] for o in page["objectives"]] == [7, 8] and page["hasMore"] is True
    assert [o["id"] for o in page["objectives"]] == [
        relay.to_base64("CurriculumObjective", n) for n in ("7", "8")]
    assert error_codes(await gql_raw(client, OBJECTIVES, {"t": "England"})) == [
        "UNAUTHENTICATED"]
    learner = await _learner_with_gaps(client, ["wolf", "forest"])
    data = await gql(client, ORCHESTRATE, {"id": learner}, headers=KEY)
    assert data["orchestrateLearner"]["objectiveId"] == relay.to_base64(
        "CurriculumObjective", "8")
    assert data["orchestrateLearner"]["status"] == "TRIGGERED"
    status = await gql(client, STATUS, {"id": learner}, headers=KEY)
    assert status["orchestrationStatus"] == {
        "objectiveId": relay.to_base64("CurriculumObjective", "8"), "masteryResult": "PENDING"}
    await until(lambda: jobs_done(services, "reading.prepare_assessment"), 20)
