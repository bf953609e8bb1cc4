"""Assessments end to end through the OpenLearning face, with the real SDK against the
local Anthropic-compatible server: start, streamed answers, completion, graph,
report, export, the list, delete, resume after a restart, timeout and errors."""

from __future__ import annotations

import asyncio
import json
import uuid
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import update
from strawberry import relay

from core.llm import AUTHENTICATION_FAILED, NO_API_KEY, RATE_LIMITED
from models.assessment import AssessmentSession
from tests.fixtures import create_user, gql, ol_login, start_instance

# Bodyless writes signed in with the cookie name their intent (tests/rest_compat/test_csrf.py).
CSRF = {"X-CSRF-Token": "1"}
USER_KEY = "sk-ant-assessment-key-7788"
START = {"skillIds": ["nodejs", "sql"], "targetLevel": "junior",
         "roleId": "backend_engineering", "thoroughness": "quick"}


def sse_events(text: str) -> list[str]:
    """The data of every event of an SSE body (multi-line data joined by newlines)."""
    events = []
    for block in text.split("\n\n"):
        lines = [line[len("data: "):] for line in block.split("\n") if line.startswith("data: ")]
        if lines:
            events.append("\n".join(lines))
    return events


def markdown_sections(text: str) -> dict[str, str]:
    """The body of every ``## `` section of a Markdown document, by heading."""
    sections = {}
    for part in text.split("\n## ")[1:]:
        heading, _, body = part.partition("\n")
        sections[heading] = body.strip("\n")
    return sections


def table_rows(section: str) -> list[list[str]]:
    """The cells of every body row of the Markdown table in ``section``."""
    rows = [line.strip("|").split(" | ") for line in section.split("\n")
            if line.startswith("| ")]
    return [[cell.strip() for cell in row] for row in rows[1:]]


def evaluation(fake, score: float, bloom: str = "apply", reasoning: str = "Clear and correct."):
    fake.reply_tool_use("record_evaluation", {"score": score, "bloom_level": bloom,
                                              "reasoning": reasoning})


def script_materials(fake, concepts: int) -> None:
    """Answers for the materials job a completion starts: one pass per concept."""
    for _ in range(concepts):
        fake.reply_tool_use("record_material", {"sections": [
            {"type": "explanation", "title": "Idea", "body": "What it is."},
            {"type": "code_example", "title": "Code", "body": "Shown.", "codeBlock": "x = 1"},
            {"type": "quiz", "title": "Check", "body": "Why?", "answer": "Because."}]})
        fake.reply_tool_use("record_review", {"bloom_score": 0.9, "quality_score": 0.9,
                                              "issues": []})


async def wait_for_materials(http, session_id: str, count: int) -> None:
    for _ in range(200):
        body = (await http.get(f"/api/materials/{session_id}")).json()
        if len(body["materials"]) == count:
            return
        await asyncio.sleep(0.05)
    raise AssertionError(f"{len(body['materials'])} materials, expected {count}")


@pytest.fixture
async def learner(ol_client):
    response = await ol_client.post("/api/auth/api-key", json={"apiKey": USER_KEY})
    assert response.status_code == 200
    return ol_client


async def start(http, fake, question: str = "What does an HTTP status code tell a client?"):
    fake.reply_text(question, chunks=[question[:10], question[10:]])
    response = await http.post("/api/assessment/start", json=START)
    assert response.status_code == 200, response.text
    return response.json()


async def answer(http, fake, session_id: str, *, score: float = 0.9,
                 next_question: str | None = "Next question?") -> list[str]:
    evaluation(fake, score)
    if next_question is not None:
        fake.reply_text(next_question, chunks=[next_question[:4], next_question[4:]])
    response = await http.post(f"/api/assessment/{session_id}/respond",
                               json={"response": "A thoughtful answer."})
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("text/event-stream")
    return sse_events(response.text)


async def test_a_full_assessment_from_start_to_export(learner, fake_anthropic, services):
    started = await start(learner, fake_anthropic)
    assert started["question"] == "What does an HTTP status code tell a client?"
    assert started["estimatedQuestions"] == 6
    session_id = started["sessionId"]
    assert uuid.UUID(session_id)
    [request] = fake_anthropic.recorded()
    assert request.api_key == USER_KEY and request.json["stream"] is True
    assert "Bloom level to aim at: understand" in request.json["messages"][0]["content"]

    for number in range(2, 7):
        events = await answer(learner, fake_anthropic, session_id,
                              next_question=f"Question number {number}?")
        assert events[:2] == ["Ques", f"tion number {number}?"]
        assert json.loads(events[2].removeprefix("[META]")) == {
            "type": "assessment", "topics_evaluated": number - 1, "total_questions": number,
            "max_questions": 6}
        assert events[2].startswith("[META]") and events[3] == "[DONE]"

    script_materials(fake_anthropic, 6)
    events = await answer(learner, fake_anthropic, session_id, next_question=None)
    assert events[0] == "[ASSESSMENT_COMPLETE]" and events[-1] == "[DONE]"
    fenced = events[1]
    assert fenced.startswith("```json\n") and fenced.endswith("\n```")
    scores = json.loads(fenced.removeprefix("```json\n").removesuffix("\n```"))["scores"]
    assert len(scores) >= 6
    first = scores[0]
    assert set(first) == {"skillId", "skillName", "score", "confidence", "reasoning"}
    assert first["score"] == 70 and first["reasoning"] == "Clear and correct."

    graph = (await learner.get(f"/api/assessment/{session_id}/graph")).json()
    assert graph["nodes"][0]["concept"] == first["skillId"]
    assert graph["nodes"][0]["confidence"] == 0.7
    assert graph["nodes"][0]["bloomLevel"] == "apply"

    fake_anthropic.reply_tool_use("record_gap_analysis", {
        "summary": "Good junior foundations.",
        "skills": [{"skill_id": s["skillId"], "target_level": 80,
                    "recommendation": f"Practise {s['skillName']}."} for s in scores]})
    fake_anthropic.reply_tool_use("record_learning_plan", {
        "summary": "Two weeks of practice.",
        "phases": [{"phase_number": 1, "title": "Consolidate", "rationale": "Close small gaps.",
                    "resources": [{"type": "documentation", "title": "MDN HTTP",
                                   "url": "https://developer.mozilla.org/docs/Web/HTTP"}]}]})
    await wait_for_materials(learner, session_id, 6)
    calls_before = len(fake_anthropic.recorded())
    report = (await learner.get(f"/api/assessment/{session_id}/report")).json()
    assert set(report) == {"knowledgeGraph", "gapAnalysis", "learningPlan", "proficiencyScores"}
    assert report["proficiencyScores"] == scores
    gap = report["gapAnalysis"]["gaps"][0]
    assert (gap["targetLevel"], gap["priority"]) == (80, "medium" if gap["gap"] > 10 else "low")
    phase = report["learningPlan"]["phases"][0]
    assert phase["title"] == "Consolidate" and phase["phaseNumber"] == 1
    assert phase["resources"] == [{"type": "documentation", "title": "MDN HTTP",
                                   "url": "https://developer.mozilla.org/docs/Web/HTTP"}]
    assert len(fake_anthropic.recorded()) == calls_before + 2

    again = (await learner.get(f"/api/assessment/{session_id}/report")).json()
    assert again == report
    assert len(fake_anthropic.recorded()) == calls_before + 2  # stored, not recomputed

    export = await learner.get(f"/api/assessment/{session_id}/export")
    assert export.status_code == 200
    assert export.headers["content-type"].startswith("text/markdown")
    assert export.headers["content-disposition"] == \
        f'attachment; filename="assessment-{session_id[:8]}.md"'
    for heading in ("## Proficiency Scores", "## Knowledge Map", "## Knowledge Gaps",
                    "## Learning Plan", "### Phase 1: Consolidate"):
        assert heading in export.text
    sections = markdown_sections(export.text)
    assert table_rows(sections["Proficiency Scores"]) == [
        [s["skillName"], str(s["score"]), f"{s['confidence']:.2f}", s["reasoning"]]
        for s in scores]
    assert table_rows(sections["Proficiency Scores"])[0][1:3] == ["70", "0.70"]
    analysis = report["gapAnalysis"]
    gaps_text = sections["Knowledge Gaps"]
    assert gaps_text.startswith(
        f"Overall readiness: **{analysis['overallReadiness']}%**\n\nGood junior foundations.\n")
    gap_rows = table_rows(gaps_text)
    assert gap_rows == [
        [g["skillName"], str(g["currentLevel"]), "80", str(g["gap"]), g["priority"],
         f"Practise {g['skillName']}."] for g in analysis["gaps"]]
    by_name = {s["skillName"]: s["score"] for s in scores}
    assert {row[0] for row in gap_rows} == set(by_name)
    for name, current, target, gap_size, *_ in gap_rows:
        assert int(current) == by_name[name] and int(gap_size) == int(target) - int(current)

    async with services.db.session() as db:
        stored = await db.get(AssessmentSession, uuid.UUID(session_id))
    assert stored.created_at <= stored.completed_at
    listed = (await learner.get("/api/user/assessments")).json()
    assert listed == [{
        "sessionId": session_id, "status": "completed", "skillIds": ["nodejs", "sql"],
        "targetLevel": "junior", "roleId": "backend_engineering",
        "roleName": "Backend Engineer",
        "createdAt": stored.created_at.astimezone(UTC).isoformat().replace("+00:00", "Z"),
        "completedAt": stored.completed_at.astimezone(UTC).isoformat().replace("+00:00", "Z"),
        "overallReadiness": report["gapAnalysis"]["overallReadiness"], "skillCount": 2}]
    assert listed[0]["createdAt"].endswith("Z") and listed[0]["completedAt"].endswith("Z")

    resume = await learner.get(f"/api/assessment/{session_id}/resume")
    assert resume.status_code == 409
    assert resume.json() == {"detail": "Session already completed"}
    calls = len(fake_anthropic.recorded())
    respond = await learner.post(f"/api/assessment/{session_id}/respond",
                                 json={"response": "more"})
    assert (respond.status_code, respond.json()) == (409, {"detail": "Session already completed"})
    assert respond.headers["content-type"] == "application/json"
    assert len(fake_anthropic.recorded()) == calls

    deleted = await learner.delete(f"/api/user/assessments/{session_id}", headers=CSRF)
    assert deleted.status_code == 204
    assert (await learner.get(f"/api/assessment/{session_id}/graph")).status_code == 404
    assert (await learner.get("/api/user/assessments")).json() == []


async def test_in_progress_export_falls_back_gracefully(learner, fake_anthropic):
    session_id = (await start(learner, fake_anthropic))["sessionId"]
    export = await learner.get(f"/api/assessment/{session_id}/export")
    assert export.status_code == 200
    assert export.headers["content-disposition"] == \
        f'attachment; filename="assessment-{session_id[:8]}.md"'
    assert export.text.startswith(f"# Assessment {session_id[:8]}\n\n- Skills: nodejs, sql\n"
                                  "- Target level: junior\n")
    assert "\n- Status: in progress\n" in export.text
    nodes = (await learner.get(f"/api/assessment/{session_id}/graph")).json()["nodes"]
    assert nodes and {(n["confidence"], n["bloomLevel"]) for n in nodes} == {(0.5, None)}
    assert markdown_sections(export.text) == {
        "Proficiency Scores": "_No answers have been scored yet._",
        "Knowledge Map": "\n".join(
            f"- **{n['concept']}**: confidence 0.50, Bloom level not yet shown"
            + (f" (builds on {', '.join(n['prerequisites'])})" if n["prerequisites"] else "")
            for n in nodes),
        "Knowledge Gaps": "_The gap analysis is available once the assessment is complete "
                          "and its report has been generated._",
        "Learning Plan": "_The learning plan is available once the assessment is complete "
                         "and its report has been generated._"}
    report = await learner.get(f"/api/assessment/{session_id}/report")
    assert report.status_code == 409
    assert report.json() == {"detail": "Assessment is not complete yet"}
    listed = (await learner.get("/api/user/assessments")).json()
    assert listed[0]["status"] == "active" and listed[0]["overallReadiness"] is None


async def test_resume_after_a_restart_returns_the_pending_question(
        learner, fake_anthropic, database_url):
    first = await start_instance(database_url, anthropic_base_url=fake_anthropic.base_url)
    try:
        await ol_login(learner, "ada@example.com")
        fake_anthropic.reply_text("Explain idempotency.")
        started = (await learner.post(f"{first.base_url}/api/assessment/start",
                                      json=START)).json()
    finally:
        await first.stop()
    second = await start_instance(database_url, anthropic_base_url=fake_anthropic.base_url)
    try:
        calls = len(fake_anthropic.recorded())
        resumed = await learner.get(f"{second.base_url}/api/assessment/"
                                    f"{started['sessionId']}/resume")
        assert resumed.json() == {"sessionId": started["sessionId"],
                                  "question": "Explain idempotency."}
        assert len(fake_anthropic.recorded()) == calls
        evaluation(fake_anthropic, 0.8)
        fake_anthropic.reply_text("What is a foreign key?")
        events = sse_events((await learner.post(
            f"{second.base_url}/api/assessment/{started['sessionId']}/respond",
            json={"response": "Same effect when repeated."})).text)
        assert "".join(events[:-2]) == "What is a foreign key?"
        assert events[-2].startswith("[META]") and events[-1] == "[DONE]"
    finally:
        await second.stop()


async def start_idle_session(http, fake, services) -> str:
    """A new session whose last activity was 31 minutes ago; its id."""
    session_id = (await start(http, fake))["sessionId"]
    async with services.db.transaction() as db:
        await db.execute(update(AssessmentSession).where(
            AssessmentSession.id == uuid.UUID(session_id)).values(
            last_activity_at=datetime.now(UTC) - timedelta(minutes=31)))
    return session_id


async def test_sessions_time_out_after_thirty_idle_minutes(learner, fake_anthropic, services):
    session_id = await start_idle_session(learner, fake_anthropic, services)
    for response in (
            await learner.post(f"/api/assessment/{session_id}/respond", json={"response": "x"}),
            await learner.get(f"/api/assessment/{session_id}/resume")):
        assert response.status_code == 410
        assert response.json() == {"detail": "Session has timed out"}
    assert (await learner.get("/api/user/assessments")).json()[0]["status"] == "timed_out"


async def test_an_idle_session_shows_as_timed_out_everywhere(learner, fake_anthropic, services):
    session_id = await start_idle_session(learner, fake_anthropic, services)

    export = await learner.get(f"/api/assessment/{session_id}/export")
    assert export.status_code == 200
    assert export.text.startswith(
        f"# Assessment {session_id[:8]}\n\n- Skills: nodejs, sql\n- Target level: junior\n"
        "- Domain: backend_engineering\n- Status: timed out\n\n## Proficiency Scores\n")
    [listed] = (await learner.get("/api/user/assessments")).json()
    assert listed["status"] == "timed_out"
    node_id = relay.to_base64("AssessmentSession", session_id)
    data = await gql(learner, "query($id: ID!) { node(id: $id) { ... on AssessmentSession "
                              "{ status } } myAssessments(first: 5) "
                              "{ edges { node { status } } } }", {"id": node_id})
    assert data == {"node": {"status": "TIMED_OUT"},
                    "myAssessments": {"edges": [{"node": {"status": "TIMED_OUT"}}]}}
    async with services.db.session() as db:
        stored = await db.get(AssessmentSession, uuid.UUID(session_id))
    assert stored.status == "active"  # nothing was written: the idle rule alone decides


async def test_ownership_and_missing_sessions(learner, fake_anthropic, services, new_client):
    session_id = (await start(learner, fake_anthropic))["sessionId"]
    other = new_client()
    await create_user(services, email="eve@example.com")
    await ol_login(other, "eve@example.com")
    await other.post("/api/auth/api-key", json={"apiKey": "sk-ant-eve-0001"})
    for method, path in (("GET", "resume"), ("GET", "graph"), ("GET", "export"),
                         ("GET", "report")):
        response = await other.request(method, f"/api/assessment/{session_id}/{path}")
        assert (response.status_code, response.json()) == (403, {"detail": "Not your session"})
    respond = await other.post(f"/api/assessment/{session_id}/respond", json={"response": "x"})
    assert (respond.status_code, respond.json()) == (403, {"detail": "Not your session"})
    delete = await other.delete(f"/api/user/assessments/{session_id}", headers=CSRF)
    assert (delete.status_code, delete.json()) == (403, {"detail": "Not your session"})

    for missing in (str(uuid.uuid4()), "not-a-uuid"):
        response = await learner.get(f"/api/assessment/{missing}/resume")
        assert (response.status_code, response.json()) == (404, {"detail": "Session not found"})
        response = await learner.delete(f"/api/user/assessments/{missing}", headers=CSRF)
        assert (response.status_code, response.json()) == (404, {"detail": "Session not found"})

    anonymous = new_client()
    for method, path in (("POST", "/api/assessment/start"), ("GET", "/api/user/assessments"),
                         ("GET", f"/api/assessment/{session_id}/resume")):
        assert (await anonymous.request(method, path, json=START)).status_code == 401


async def test_a_key_is_required(ol_client, fake_anthropic):
    response = await ol_client.post("/api/assessment/start", json=START)
    assert (response.status_code, response.json()) == (400, {"detail": NO_API_KEY})
    assert fake_anthropic.recorded() == []


async def test_bad_start_requests(learner, fake_anthropic):
    cases = [({**START, "roleId": "astronaut"}, 404, "Role not found: astronaut"),
             ({**START, "targetLevel": "wizard"}, 400, "Invalid level: wizard"),
             ({**START, "thoroughness": "extreme"}, 400, "Invalid thoroughness: extreme"),
             ({**START, "roleId": None, "skillIds": ["cobol"]}, 400, "Unknown skill: cobol")]
    for body, status, detail in cases:
        response = await learner.post("/api/assessment/start", json=body)
        assert (response.status_code, response.json()) == (status, {"detail": detail})
    empty = await learner.post("/api/assessment/start", json={**START, "skillIds": []})
    assert empty.status_code == 422
    assert fake_anthropic.recorded() == []


async def test_skills_pick_the_domain_without_a_role(learner, fake_anthropic, services):
    fake_anthropic.reply_text("What is a React component?")
    response = await learner.post("/api/assessment/start", json={
        "skillIds": ["react", "typescript"], "targetLevel": "mid"})
    assert response.status_code == 200, response.text
    async with services.db.session() as db:
        session = await db.get(AssessmentSession, uuid.UUID(response.json()["sessionId"]))
    assert session.domain == "frontend_engineering" and session.role_id is None
    assert session.thoroughness == "standard"


async def test_start_maps_upstream_errors(learner, fake_anthropic):
    fake_anthropic.reply_error(429, retry_after=30)
    response = await learner.post("/api/assessment/start", json=START)
    assert (response.status_code, response.json()) == (429, {"detail": RATE_LIMITED})
    assert response.headers["retry-after"] == "30"


async def test_errors_inside_the_stream_leave_the_session_usable(learner, fake_anthropic):
    session_id = (await start(learner, fake_anthropic))["sessionId"]

    fake_anthropic.reply_error(401)
    response = await learner.post(f"/api/assessment/{session_id}/respond",
                                  json={"response": "first try"})
    assert response.status_code == 200
    assert sse_events(response.text) == [
        "[ERROR]" + json.dumps({"status": 401, "detail": AUTHENTICATION_FAILED,
                                "retryAfter": None})]

    # The answer is evaluated; the next question breaks off mid-stream.
    evaluation(fake_anthropic, 0.9)
    fake_anthropic.reply_stream_error_after(["Which header ", "carries"])
    events = sse_events((await learner.post(f"/api/assessment/{session_id}/respond",
                                            json={"response": "second try"})).text)
    assert events[:2] == ["Which header ", "carries"]
    error = json.loads(events[2].removeprefix("[ERROR]"))
    assert error["status"] == 502 and "[DONE]" not in events

    # The evaluation was kept; resume asks the next question anew.
    fake_anthropic.reply_text("Which header carries the content type?")
    resumed = (await learner.get(f"/api/assessment/{session_id}/resume")).json()
    assert resumed["question"] == "Which header carries the content type?"
    events = await answer(learner, fake_anthropic, session_id, next_question="Third?")
    meta = json.loads(next(e for e in events if e.startswith("[META]")).removeprefix("[META]"))
    assert meta["topics_evaluated"] == 2 and meta["total_questions"] == 3


async def test_a_slow_model_is_a_504_before_and_inside_the_stream(learner, fake_anthropic,
                                                                  database_url):
    impatient = await start_instance(database_url, anthropic_base_url=fake_anthropic.base_url,
                                     llm_timeout_seconds=0.3)
    try:
        base = impatient.base_url
        fake_anthropic.reply_slow(1.0, then="Too late.")
        response = await learner.post(f"{base}/api/assessment/start", json=START)
        assert (response.status_code, response.json()) == (
            504, {"detail": "The AI service timed out. Please try again."})

        fake_anthropic.reply_text("What is HTTP?")
        session_id = (await learner.post(f"{base}/api/assessment/start",
                                         json=START)).json()["sessionId"]
        fake_anthropic.reply_slow(1.0)
        response = await learner.post(f"{base}/api/assessment/{session_id}/respond",
                                      json={"response": "An answer."})
        assert sse_events(response.text) == ["[ERROR]" + json.dumps({
            "status": 504, "detail": "The AI service timed out. Please try again.",
            "retryAfter": None})]
    finally:
        await impatient.stop()


async def test_a_blank_answer_is_a_422(learner, fake_anthropic):
    session_id = (await start(learner, fake_anthropic))["sessionId"]
    response = await learner.post(f"/api/assessment/{session_id}/respond",
                                  json={"response": "   "})
    assert response.status_code == 422
    [error] = response.json()["detail"]
    assert error["loc"] == ["body", "response"]
    assert "must not be empty" in error["msg"]
