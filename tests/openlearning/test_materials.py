"""Study materials: written by the durable job when an assessment completes, revised
within a bounded loop, resumed after a worker dies mid-way, served at
GET /api/materials/{id} and on the GraphQL session."""

from __future__ import annotations

import asyncio
import uuid
from datetime import UTC, datetime

import pytest
from sqlalchemy import select, text, update

from core import jobs
from models.assessment import AssessmentMaterial, AssessmentSession
from models.jobs import Job
from resolvers import assessment_state as rules
from resolvers.assessment import MATERIALS_JOB
from resolvers.materials import FLAG_BELOW_BAR, concepts_to_cover
from tests.fixtures import create_user, gql, ol_login
from tests.openlearning.test_assessment_flow import USER_KEY, answer, evaluation, start


def material(fake, title: str = "HTTP in one page") -> None:
    fake.reply_tool_use("record_material", {"sections": [
        {"type": "explanation", "title": title, "body": "HTTP is a request/response protocol."},
        {"type": "code_example", "title": "A request", "body": "Fetch a page.",
         "codeBlock": "import urllib.request\nurllib.request.urlopen('https://example.com')"},
        {"type": "quiz", "title": "Check", "body": "What does 404 mean?",
         "answer": "Not found."}]})


def review(fake, quality: float = 0.9, bloom: float = 0.9, issues=()) -> None:
    fake.reply_tool_use("record_review", {"bloom_score": bloom, "quality_score": quality,
                                          "issues": list(issues)})


async def materials_of(http, session_id: str, count: int, seconds: float = 20) -> list[dict]:
    for _ in range(int(seconds / 0.1)):
        body = (await http.get(f"/api/materials/{session_id}")).json()
        if len(body["materials"]) >= count:
            return body["materials"]
        await asyncio.sleep(0.1)
    raise AssertionError(f"materials never reached {count}: {body}")


@pytest.fixture
async def learner(ol_client):
    await ol_client.post("/api/auth/api-key", json={"apiKey": USER_KEY})
    return ol_client


def designed_state(weak: dict[str, float]) -> rules.AssessmentState:
    """A finished state: ``weak`` concepts at their confidence, SQL strong."""
    estimates = {cid: rules.ConceptEstimate(confidence=c, evidence=1, asked=1,
                                            bloom="remember", source="assessed",
                                            reasoning="Shaky.") for cid, c in weak.items()}
    estimates["sql_fundamentals"] = rules.ConceptEstimate(
        confidence=0.9, evidence=2, asked=2, bloom="apply", source="assessed")
    return rules.AssessmentState(topics=list(estimates), per_topic=2, estimates=estimates)


async def completed_session(learner, fake, services, weak: dict[str, float]) -> str:
    """A session finished with the designed state (no materials job yet)."""
    session_id = (await start(learner, fake))["sessionId"]
    async with services.db.transaction() as db:
        await db.execute(update(AssessmentSession).where(
            AssessmentSession.id == uuid.UUID(session_id)).values(
            state=designed_state(weak).to_json(), status="completed",
            completed_at=datetime.now(UTC), pending_concept=None, pending_question=None))
    return session_id


async def enqueue_materials(services, session_id: str) -> None:
    async with services.db.transaction() as db:
        await jobs.enqueue(db, MATERIALS_JOB, {"session_id": session_id},
                           dedupe_key=f"materials:{session_id}")
    await jobs.notify_enqueued(services)


def test_weak_concepts_come_first_and_strong_ones_only_as_a_fallback():
    state = designed_state({"http_fundamentals": 0.3, "git_version_control": 0.6})
    assert concepts_to_cover(state) == ["http_fundamentals", "git_version_control"]
    strong = designed_state({})
    assert concepts_to_cover(strong) == ["sql_fundamentals"]


async def test_completing_an_assessment_writes_materials(learner, fake_anthropic, services):
    session_id = (await start(learner, fake_anthropic))["sessionId"]
    for _ in range(5):
        await answer(learner, fake_anthropic, session_id, score=0.5)
    assert (await learner.get(f"/api/materials/{session_id}")).json() == {
        "sessionId": session_id, "materials": []}
    evaluation(fake_anthropic, 0.5)
    for number in range(6):
        material(fake_anthropic, f"Material {number}")
        review(fake_anthropic)
    response = await learner.post(f"/api/assessment/{session_id}/respond",
                                  json={"response": "Last answer."})
    assert "[ASSESSMENT_COMPLETE]" in response.text

    found = await materials_of(learner, session_id, 6)
    first = found[0]
    assert set(first) == {"conceptId", "domain", "bloomScore", "qualityScore", "iterationCount",
                          "qualityFlag", "material", "generatedAt"}
    assert (first["domain"], first["bloomScore"], first["qualityScore"]) == (
        "backend_engineering", 0.9, 0.9)
    assert (first["iterationCount"], first["qualityFlag"]) == (1, None)
    assert first["material"]["concept_id"] == first["conceptId"]
    assert first["material"]["target_bloom"] == 4  # shown "apply" (3), aim one higher
    assert [s["type"] for s in first["material"]["sections"]] == [
        "explanation", "code_example", "quiz"]
    assert first["material"]["sections"][1]["codeBlock"].startswith("import urllib")
    assert first["generatedAt"].endswith("Z")
    assert {r.api_key for r in fake_anthropic.recorded()} == {USER_KEY}

    async with services.db.session() as db:
        [job] = (await db.execute(select(Job).where(Job.kind == MATERIALS_JOB))).scalars()
    assert (job.status, job.attempts, job.dedupe_key) == ("done", 1, f"materials:{session_id}")


async def test_revisions_are_bounded_and_flagged(learner, fake_anthropic, services):
    session_id = await completed_session(learner, fake_anthropic, services,
                                         {"http_fundamentals": 0.3})
    for quality, issues in ((0.5, ["The example does not run."]), (0.6, ["Too vague."]),
                            (0.7, ["Still vague."])):
        material(fake_anthropic)
        review(fake_anthropic, quality=quality, issues=issues)
    await enqueue_materials(services, session_id)
    [found] = await materials_of(learner, session_id, 1)
    assert (found["iterationCount"], found["qualityFlag"], found["qualityScore"]) == (
        3, FLAG_BELOW_BAR, 0.7)
    writes = [r for r in fake_anthropic.recorded()
              if r.json.get("tool_choice", {}).get("name") == "record_material"]
    assert len(writes) == 3
    assert "fix these issues:\n- The example does not run." in \
        writes[1].json["messages"][0]["content"]
    assert "- Too vague." in writes[2].json["messages"][0]["content"]


async def test_a_revision_that_passes_stops_the_loop(learner, fake_anthropic, services):
    session_id = await completed_session(learner, fake_anthropic, services,
                                         {"http_fundamentals": 0.3})
    material(fake_anthropic)
    review(fake_anthropic, quality=0.4, issues=["Wrong status code."])
    material(fake_anthropic)
    review(fake_anthropic, quality=0.85, bloom=0.8)
    await enqueue_materials(services, session_id)
    [found] = await materials_of(learner, session_id, 1)
    assert (found["iterationCount"], found["qualityFlag"]) == (2, None)


async def test_a_job_cut_off_by_a_restart_resumes_with_what_is_missing(
        learner, fake_anthropic, services):
    session_id = await completed_session(
        learner, fake_anthropic, services,
        {"http_fundamentals": 0.3, "git_version_control": 0.5})
    stored_at = datetime(2026, 1, 1, tzinfo=UTC)
    async with services.db.transaction() as db:
        # The worker wrote the first concept's material, then its process died.
        db.add(AssessmentMaterial(
            session_id=uuid.UUID(session_id), concept_id="http_fundamentals",
            domain="backend_engineering", bloom_score=0.9, quality_score=0.9,
            iteration_count=1, quality_flag=None, generated_at=stored_at,
            material={"concept_id": "http_fundamentals", "target_bloom": 2, "sections": []}))
        await db.execute(text(
            "INSERT INTO jobs (kind, payload, status, attempts, locked_by, locked_until, "
            "dedupe_key) VALUES (:kind, CAST(:payload AS jsonb), 'running', 1, 'gone:1', "
            "now() - interval '1 second', :key)"),
            {"kind": MATERIALS_JOB, "payload": f'{{"session_id": "{session_id}"}}',
             "key": f"materials:{session_id}"})
    calls = len(fake_anthropic.recorded())
    material(fake_anthropic, "Git basics")
    review(fake_anthropic)

    found = await materials_of(learner, session_id, 2)
    assert [m["conceptId"] for m in found] == ["http_fundamentals", "git_version_control"]
    assert found[0]["generatedAt"] == "2026-01-01T00:00:00Z"  # kept, not rewritten
    assert found[1]["material"]["sections"][0]["title"] == "Git basics"
    assert len(fake_anthropic.recorded()) == calls + 2
    async with services.db.session() as db:
        [job] = (await db.execute(select(Job).where(Job.kind == MATERIALS_JOB))).scalars()
    assert (job.status, job.attempts) == ("done", 2)


async def test_without_a_key_the_job_fails_without_retrying(learner, fake_anthropic, services):
    session_id = await completed_session(learner, fake_anthropic, services,
                                         {"http_fundamentals": 0.3})
    await learner.delete("/api/auth/api-key", headers={"X-CSRF-Token": "1"})
    await enqueue_materials(services, session_id)
    for _ in range(100):
        async with services.db.session() as db:
            job = (await db.execute(select(Job).where(Job.kind == MATERIALS_JOB))).scalar_one()
        if job.status == "failed":
            break
        await asyncio.sleep(0.1)
    assert (job.status, job.attempts) == ("failed", 1)
    assert job.last_error.startswith("No API key configured")


async def test_materials_access_rules(learner, fake_anthropic, services, new_client):
    session_id = (await start(learner, fake_anthropic))["sessionId"]
    assert (await new_client().get(f"/api/materials/{session_id}")).status_code == 401
    eve = new_client()
    await create_user(services, email="eve@example.com")
    await ol_login(eve, "eve@example.com")
    response = await eve.get(f"/api/materials/{session_id}")
    assert (response.status_code, response.json()) == (403, {"detail": "Not your session"})
    response = await learner.get(f"/api/materials/{uuid.uuid4()}")
    assert (response.status_code, response.json()) == (404, {"detail": "Session not found"})


async def test_materials_on_the_graphql_session(learner, fake_anthropic, services):
    session_id = await completed_session(learner, fake_anthropic, services,
                                         {"http_fundamentals": 0.3})
    material(fake_anthropic)
    review(fake_anthropic)
    await enqueue_materials(services, session_id)
    await materials_of(learner, session_id, 1)
    data = await gql(learner, """query($id: ID!) { node(id: $id) { ... on AssessmentSession {
        materials { conceptId targetBloom iterationCount qualityFlag
                    sections { type codeBlock answer } } } } }""",
                     {"id": _global(session_id)})
    [found] = data["node"]["materials"]
    assert (found["conceptId"], found["targetBloom"], found["iterationCount"]) == (
        "http_fundamentals", 2, 1)
    assert [(s["type"], s["codeBlock"] is not None, s["answer"]) for s in found["sections"]] == [
        ("explanation", False, None), ("code_example", True, None), ("quiz", False, "Not found.")]


def _global(session_id: str) -> str:
    from strawberry import relay

    return relay.to_base64("AssessmentSession", session_id)
