"""Planned reads of a learner's assessments and their stored results: sessions by
``node``/``nodes`` (UUID ids) and ``myAssessments`` (newest first, ties by id, cursors of
a timestamp and a UUID), with the status, readiness and role name the general path shows.
Each document, asked by an anonymous visitor, the learner, an instructor and an admin,
answers the same bytes on the planned and the general path (errors included); a planned
answer is one SQL statement."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

import httpx
from sqlalchemy import select
from strawberry import relay

from core.pagination import encode_cursor
from models.assessment import AssessmentResult, AssessmentSession
from resolvers.assessment import SESSION_TIMEOUT, status_sql
from tests.fixtures import ask_both, count_statements, without_sign_in
from tests.schema.test_planned_reads_people import node, on, resolve
from tests.twosigma.catalog_helpers import user_with_headers

SESSION = ("id status skillIds targetLevel roleId roleName domain thoroughness maxQuestions "
           "questionsAsked pendingQuestion overallReadiness createdAt completedAt __typename")
PAGE_INFO = "pageInfo { hasNextPage hasPreviousPage startCursor endCursor }"
MINE = "query($n: Int, $a: String) { myAssessments(first: $n, after: $a) { %s } }"

CORPUS: list[tuple[str, dict]] = []


def case(query: str, variables: dict | None = None) -> None:
    CORPUS.append((query, variables or {}))


for which in ("completed", "idle", "active", "other", "missing", "upper", "not_uuid"):
    case(node(on("AssessmentSession", SESSION)), {"id": which})
for name in SESSION.split():
    case(node(on("AssessmentSession", name)), {"id": "completed"})
case(node(on("AssessmentSession", "status knowledgeGraph { concept }")), {"id": "active"})
case("query($ids: [ID!]!) { nodes(ids: $ids) { __typename ... on AssessmentSession { id "
     "status overallReadiness } } }", {"ids": ["completed", "other", "missing", "idle"]})
case(MINE % f"totalCount {PAGE_INFO} edges {{ cursor node {{ {SESSION} }} }}", {"n": 10})
case(MINE % f"{PAGE_INFO} nodes {{ id status }}", {"n": 2})
for after in ("cursor_after_tie", "cursor_after_first", "cursor_last", "not a cursor",
              "cursor_naive", "cursor_short", "cursor_bad_uuid", "cursor_number"):
    case(MINE % f"{PAGE_INFO} edges {{ cursor node {{ id createdAt }} }}",
         {"n": 2, "a": after})
for size in (0, 101, None):
    case(MINE % "edges { node { id } }", {"n": size})
case("query($id: ID!) { a: node(id: $id) { ...S } b: myAssessments(first: 1) { e: edges { "
     "n: node { ...S } } } } fragment S on AssessmentSession { i: id s: status r: roleName }",
     {"id": "completed"})


async def seed(services) -> tuple[dict, dict]:
    """A learner's sessions (completed with a stored report, idle past the timeout, active,
    timed out, two created at the same time) and another learner's; the ids, cursors and
    each viewer's headers."""
    learner, learner_headers = await user_with_headers(services, "learner@example.com")
    other, _ = await user_with_headers(services, "other@example.com")
    _, teacher_headers = await user_with_headers(services, "teacher@example.com",
                                                 ["INSTRUCTOR"])
    _, admin_headers = await user_with_headers(services, "admin@example.com",
                                               ["PLATFORM_ADMIN"])
    now = datetime.now(UTC)
    tied = now - timedelta(hours=3, microseconds=250)
    rows = {
        "completed": dict(status="completed", role_id="devops", created_at=now - timedelta(
            days=2), completed_at=datetime(2026, 3, 1, 10, 0, 0, tzinfo=UTC),
            questions_asked=6),
        "idle": dict(status="active", created_at=now - timedelta(days=1),
                     last_activity_at=now - SESSION_TIMEOUT - timedelta(minutes=5),
                     pending_question="What is a pod?", role_id="no_such_role"),
        "active": dict(status="active", created_at=now - timedelta(minutes=1),
                       pending_question="Why?"),
        "tied_a": dict(status="timed_out", created_at=tied),
        "tied_b": dict(status="active", created_at=tied,
                       last_activity_at=now - timedelta(hours=2)),
    }
    ids: dict = {}
    sessions = {}
    async with services.db.transaction() as db:
        for name, values in rows.items():
            values.setdefault("last_activity_at", now)
            sessions[name] = AssessmentSession(
                id=uuid.uuid4(), user_id=learner.id, skill_ids=["docker", name],
                target_level="mid", domain="devops", thoroughness="quick", max_questions=6,
                state={"topics": [], "per_topic": 1, "estimates": {}}, **values)
            db.add(sessions[name])
        sessions["other"] = AssessmentSession(
            id=uuid.uuid4(), user_id=other.id, skill_ids=["theirs"], target_level="senior",
            domain="devops", thoroughness="standard", max_questions=20)
        db.add(sessions["other"])
        await db.flush()
        db.add(AssessmentResult(session_id=sessions["completed"].id, scores=[],
                                knowledge_graph={"nodes": []}, overall_readiness=72))
    for name, session in sessions.items():
        ids[name] = relay.to_base64("AssessmentSession", str(session.id))

    def cursor(session) -> str:
        return encode_cursor([session.created_at.isoformat(), str(session.id)])

    first_tied = min(sessions["tied_a"].id, sessions["tied_b"].id)
    ids.update(
        missing=relay.to_base64("AssessmentSession", str(uuid.uuid4())),
        upper=relay.to_base64("AssessmentSession", str(sessions["active"].id).upper()),
        not_uuid=relay.to_base64("AssessmentSession", "12"),
        cursor_after_tie=encode_cursor([tied.isoformat(), str(first_tied)]),
        cursor_after_first=cursor(sessions["active"]),
        cursor_last=cursor(sessions["completed"]),
        cursor_naive=encode_cursor([tied.replace(tzinfo=None).isoformat(), str(first_tied)]),
        cursor_short=encode_cursor([tied.isoformat()]),
        cursor_bad_uuid=encode_cursor([tied.isoformat(), "nope"]),
        cursor_number=encode_cursor([1]))
    return ids, {"anonymous": {}, "learner": learner_headers, "instructor": teacher_headers,
                 "admin": admin_headers}


async def test_assessments_answer_the_same_bytes_on_both_paths(server, general, clean_db,
                                                               services):
    ids, viewers = await seed(services)
    planned_count = 0
    mismatches = []
    async with httpx.AsyncClient(base_url=server.base_url, timeout=30) as planned, \
            httpx.AsyncClient(base_url=general.base_url, timeout=30) as plain:
        for query, variables in CORPUS:
            body = {"query": query, "variables": resolve(variables, ids)}
            for viewer, headers in viewers.items():
                both = await ask_both(planned, plain, server, services, body, headers)
                statements = both.statements
                if both.mismatch:
                    mismatches.append((viewer, query, variables, *both.mismatch))
                if any("json_build_object" in s for s in statements):
                    planned_count += 1
                    reads = without_sign_in(statements)
                    assert len(reads) == 1, (viewer, query)
    assert mismatches == []
    assert planned_count >= len(CORPUS) * 4 * 6 // 10, planned_count


async def test_the_learners_list_in_order_with_the_shown_status(server, clean_db, services):
    """Newest first, a tie of creation times by id; an active session idle past the timeout
    shows as timed out; the stored report's readiness and the role's name; a planned page
    after a tie goes on with the second of the tied sessions."""
    ids, viewers = await seed(services)
    query = MINE % "edges { cursor node { id status overallReadiness roleName } }"
    async with httpx.AsyncClient(base_url=server.base_url, timeout=30) as http:
        await http.post("/graphql", json={"query": query, "variables": {"n": 10}},
                        headers=viewers["learner"])
        with count_statements(services) as counter:
            answer = (await http.post("/graphql", json={"query": query, "variables": {
                "n": 10}}, headers=viewers["learner"])).json()
        assert any("json_build_object" in s for s in counter.statements)
        edges = answer["data"]["myAssessments"]["edges"]
        tied = sorted([ids["tied_a"], ids["tied_b"]], key=lambda i: relay.from_base64(i)[1])
        assert [e["node"]["id"] for e in edges] == [ids["active"], *tied, ids["idle"],
                                                   ids["completed"]]
        shown = {e["node"]["id"]: e["node"] for e in edges}
        assert shown[ids["idle"]]["status"] == "TIMED_OUT"
        assert shown[ids["active"]]["status"] == "ACTIVE"
        assert shown[ids["completed"]] == {"id": ids["completed"], "status": "COMPLETED",
                                           "overallReadiness": 72,
                                           "roleName": "DevOps Engineer"}
        assert shown[ids["idle"]]["roleName"] is None
        rest = (await http.post("/graphql", json={"query": query, "variables": {
            "n": 10, "a": edges[1]["cursor"]}}, headers=viewers["learner"])).json()
        assert [e["node"]["id"] for e in rest["data"]["myAssessments"]["edges"]] == [
            tied[1], ids["idle"], ids["completed"]]


async def test_the_status_rule_times_out_an_idle_active_session_only(services, clean_db):
    """``status_sql``, the one rule of both paths: active and idle for longer than the
    timeout is timed out; a completed or recently active one keeps its status."""
    user, _ = await user_with_headers(services, "rule@example.com")
    now = datetime.now(UTC)
    cases = {("active", timedelta(minutes=29)): "active",
             ("active", timedelta(minutes=31)): "timed_out",
             ("completed", timedelta(days=3)): "completed",
             ("timed_out", timedelta(0)): "timed_out"}
    made = {}
    async with services.db.transaction() as db:
        for (status, idle), _ in cases.items():
            row = AssessmentSession(id=uuid.uuid4(), user_id=user.id, skill_ids=["x"],
                                    target_level="mid", domain="devops", thoroughness="quick",
                                    max_questions=1, status=status,
                                    last_activity_at=now - idle)
            db.add(row)
            made[row.id] = cases[(status, idle)]
    async with services.db.session() as db:
        found = dict((await db.execute(select(AssessmentSession.id, status_sql()).where(
            AssessmentSession.id.in_(made)))).all())
    assert found == made
