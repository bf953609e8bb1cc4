"""2Sigma progress over REST, and progress, quizzes and labs over GraphQL."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlalchemy import select, update
from strawberry import relay

from models.course import Course
from models.learning import ContentProgress, LabSubmission, LearningActivity, ModuleProgress
from models.user import User
from tests.fixtures import bearer_for, create_user, error_codes, gql, gql_raw
from tests.twosigma.learner_helpers import (
    API,
    content_item,
    content_type,
    course,
    enroll,
    module,
    offering,
)


@pytest.fixture
async def world(client, services, user):
    """A course with a module and a video, an offering ``user`` is enrolled in, and another
    course with its own module."""
    cs = await course(services)
    term = await offering(services, cs)
    await enroll(services, user, term)
    week = await module(services, cs)
    video = await content_item(services, week, await content_type(services, "video"))
    other = await course(services, title="Other", code="OT1")
    foreign = await module(services, other, "Elsewhere")
    return {"course": cs, "offering": term, "module": week, "video": video,
            "foreign_module": foreign, "headers": await bearer_for(services, user)}


async def activities(services, user) -> list[str]:
    async with services.db.session() as session:
        return list((await session.execute(
            select(LearningActivity.kind).where(LearningActivity.user_id == user.id)
            .order_by(LearningActivity.id))).scalars())


# --- module progress -----------------------------------------------------------------------

async def test_module_progress_upserts_and_lists(client, services, user, world):
    body = {"module_id": world["module"].id, "course_offering_id": world["offering"].id,
            "progress_percent": 50, "completed_at": None}
    response = await client.post(f"{API}/progress/modules", json=body, headers=world["headers"])
    assert response.status_code == 200, response.text
    first = response.json()
    assert first == {"id": first["id"], "user_id": user.number,
                     "module_id": world["module"].id,
                     "course_offering_id": world["offering"].id, "progress_percent": 50,
                     "started_at": first["started_at"], "completed_at": None,
                     "updated_at": first["updated_at"]}
    assert first["started_at"].endswith("Z")

    response = await client.post(f"{API}/progress/modules", headers=world["headers"],
                                 json={**body, "progress_percent": 100})
    done = response.json()
    assert done["id"] == first["id"]
    assert done["progress_percent"] == 100
    assert done["completed_at"] is not None and done["completed_at"].endswith("Z")

    listed = await client.get(f"{API}/progress/modules/my-progress", headers=world["headers"],
                              params={"course_offering_id": world["offering"].id})
    assert listed.status_code == 200
    assert listed.json() == [done]
    assert (await client.get(f"{API}/progress/modules/my-progress",
                             headers=world["headers"])).json() == [done]
    assert await activities(services, user) == ["MODULE_PROGRESS", "MODULE_PROGRESS"]
    me = (await client.get(f"{API}/users/me", headers=world["headers"])).json()
    assert me["current_streak_days"] == 1


async def test_module_progress_keeps_a_given_completion_time(client, services, user, world):
    response = await client.post(f"{API}/progress/modules", headers=world["headers"], json={
        "module_id": world["module"].id, "course_offering_id": world["offering"].id,
        "progress_percent": 100, "completed_at": "2026-01-20T10:30:00Z"})
    assert response.json()["completed_at"] == "2026-01-20T10:30:00Z"


async def test_module_progress_errors(client, services, user, world):
    base = {"module_id": world["module"].id, "course_offering_id": world["offering"].id,
            "progress_percent": 10}
    url = f"{API}/progress/modules"
    assert (await client.post(url, json=base)).status_code == 401

    for percent in (-1, 101):
        response = await client.post(url, headers=world["headers"],
                                     json={**base, "progress_percent": percent})
        assert response.status_code == 422
        assert response.json()["detail"][0]["loc"] == ["body", "progress_percent"]

    response = await client.post(url, headers=world["headers"],
                                 json={**base, "module_id": world["foreign_module"].id})
    assert response.status_code == 400
    assert response.json() == {"detail": "Module does not belong to this course offering's course"}

    response = await client.post(url, headers=world["headers"], json={**base, "module_id": 9999})
    assert response.status_code == 404
    assert response.json() == {"detail": "Module not found"}
    response = await client.post(url, headers=world["headers"],
                                 json={**base, "course_offering_id": 9999})
    assert response.status_code == 404
    assert response.json() == {"detail": "Course offering not found"}

    stranger = await create_user(services, email="s@example.com")
    response = await client.post(url, headers=await bearer_for(services, stranger), json=base)
    assert response.status_code == 403
    assert response.json() == {"detail": "You are not enrolled in this course offering"}
    assert await activities(services, user) == []


async def test_my_progress_errors(client, services, user, world):
    for kind in ("modules", "content"):
        url = f"{API}/progress/{kind}/my-progress"
        assert (await client.get(url)).status_code == 401
        response = await client.get(url, headers=world["headers"],
                                    params={"course_offering_id": 9999})
        assert response.status_code == 404
        response = await client.get(url, headers=world["headers"],
                                    params={"course_offering_id": "x"})
        assert response.status_code == 422
        assert response.json()["detail"][0]["loc"] == ["query", "course_offering_id"]
        response = await client.get(url, headers=world["headers"])
        assert response.json() == []


async def test_progress_lists_only_the_viewers_rows(client, services, user, world):
    bob = await create_user(services, email="bob@example.com")
    await enroll(services, bob, world["offering"])
    bob_headers = await bearer_for(services, bob)
    bobs = (await client.post(f"{API}/progress/content", headers=bob_headers, json={
        "content_item_id": world["video"].id, "course_offering_id": world["offering"].id,
        "progress_percent": 30})).json()
    assert (bobs["user_id"], bobs["progress_percent"]) == (bob.number, 30)
    assert (await client.get(f"{API}/progress/content/my-progress",
                             headers=world["headers"])).json() == []
    assert (await client.get(f"{API}/progress/content/my-progress",
                             headers=bob_headers)).json() == [bobs]


# --- content progress ----------------------------------------------------------------------

async def test_content_progress_accumulates_time_and_completes(client, services, user, world):
    url = f"{API}/progress/content"
    body = {"content_item_id": world["video"].id, "course_offering_id": world["offering"].id,
            "progress_percent": 40, "time_spent_seconds": 120}
    first = (await client.post(url, json=body, headers=world["headers"])).json()
    assert first == {"id": first["id"], "user_id": user.number,
                     "content_item_id": world["video"].id,
                     "course_offering_id": world["offering"].id, "progress_percent": 40,
                     "time_spent_seconds": 120, "started_at": first["started_at"],
                     "completed_at": None, "updated_at": first["updated_at"]}
    response = await client.post(url, headers=world["headers"], json={
        **body, "progress_percent": 100, "time_spent_seconds": 60,
        "completed_at": "2026-01-20T10:30:00Z"})
    assert response.status_code == 200
    done = response.json()
    assert (done["id"], done["time_spent_seconds"], done["completed_at"]) == (
        first["id"], 180, "2026-01-20T10:30:00Z")
    listed = (await client.get(f"{API}/progress/content/my-progress", headers=world["headers"],
                               params={"course_offering_id": world["offering"].id})).json()
    assert listed == [done]
    assert await activities(services, user) == ["CONTENT_PROGRESS", "CONTENT_PROGRESS"]


async def stored_progress(services, model) -> list[tuple]:
    """Every stored (user, item, offering, percent) row of a progress ``model``."""
    item = (model.content_item_id if model is ContentProgress else model.module_id)
    async with services.db.session() as session:
        return list((await session.execute(
            select(model.user_id, item, model.course_offering_id, model.progress_percent)
            .order_by(model.id))).all())


def validation_locs(response) -> list[list]:
    return [error["loc"] for error in response.json()["detail"]]


async def test_content_progress_errors(client, services, user, world):
    url = f"{API}/progress/content"
    base = {"content_item_id": world["video"].id, "course_offering_id": world["offering"].id,
            "progress_percent": 10}
    response = await client.post(url, json=base)
    assert response.status_code == 401
    assert response.json() == {"detail": "Not authenticated"}
    response = await client.post(url, headers=world["headers"],
                                 json={**base, "time_spent_seconds": -5})
    assert response.status_code == 422
    assert validation_locs(response) == [["body", "time_spent_seconds"]]
    response = await client.post(url, headers=world["headers"], json={**base,
                                                                      "progress_percent": 101})
    assert response.status_code == 422
    assert validation_locs(response) == [["body", "progress_percent"]]
    response = await client.post(url, headers=world["headers"], json={**base,
                                                                      "content_item_id": 9999})
    assert response.status_code == 404
    assert response.json() == {"detail": "Content item not found"}
    response = await client.post(url, headers=world["headers"],
                                 json={**base, "course_offering_id": 9999})
    assert response.status_code == 404
    assert response.json() == {"detail": "Course offering not found"}
    elsewhere = await content_item(services, world["foreign_module"],
                                   await content_type(services, "reading"))
    response = await client.post(url, headers=world["headers"],
                                 json={**base, "content_item_id": elsewhere.id})
    assert response.status_code == 400
    assert response.json() == {
        "detail": "Content item does not belong to this course offering's course"}
    stranger = await create_user(services, email="s@example.com")
    response = await client.post(url, headers=await bearer_for(services, stranger), json=base)
    assert response.status_code == 403
    assert response.json() == {"detail": "You are not enrolled in this course offering"}
    assert await stored_progress(services, ContentProgress) == []
    assert await activities(services, user) == []
    assert await activities(services, stranger) == []


async def test_dropped_enrollment_cannot_record_progress(client, services, world):
    dropped = await create_user(services, email="d@example.com")
    await enroll(services, dropped, world["offering"], status="DROPPED")
    headers = await bearer_for(services, dropped)
    response = await client.post(f"{API}/progress/modules", headers=headers, json={
        "module_id": world["module"].id, "course_offering_id": world["offering"].id,
        "progress_percent": 10})
    assert response.status_code == 403
    assert response.json() == {"detail": "You are not enrolled in this course offering"}
    response = await client.post(f"{API}/progress/content", headers=headers, json={
        "content_item_id": world["video"].id, "course_offering_id": world["offering"].id,
        "progress_percent": 10})
    assert response.status_code == 403
    assert response.json() == {"detail": "You are not enrolled in this course offering"}
    assert await stored_progress(services, ModuleProgress) == []
    assert await stored_progress(services, ContentProgress) == []
    assert await activities(services, dropped) == []


async def test_refused_write_keeps_earlier_progress(client, services, user, world):
    url = f"{API}/progress/modules"
    body = {"module_id": world["module"].id, "course_offering_id": world["offering"].id,
            "progress_percent": 40}
    stored = (await client.post(url, json=body, headers=world["headers"])).json()
    for bad, status in (({"progress_percent": 101}, 422), ({"course_offering_id": 9999}, 404),
                        ({"module_id": world["foreign_module"].id}, 400)):
        response = await client.post(url, json={**body, **bad}, headers=world["headers"])
        assert response.status_code == status, bad
    assert await stored_progress(services, ModuleProgress) == [
        (user.id, world["module"].id, world["offering"].id, 40)]
    listed = (await client.get(f"{API}/progress/modules/my-progress",
                               headers=world["headers"])).json()
    assert listed == [stored]
    assert await activities(services, user) == ["MODULE_PROGRESS"]


# --- GraphQL -------------------------------------------------------------------------------

def g(type_name: str, value: int) -> str:
    return relay.to_base64(type_name, str(value))


UPSERT_MODULE = """
mutation($input: UpsertModuleProgressInput!) {
  upsertModuleProgress(input: $input) { moduleProgress { id progressPercent completedAt } }
}"""
UPSERT_CONTENT = """
mutation($input: UpsertContentProgressInput!) {
  upsertContentProgress(input: $input) {
    contentProgress { id progressPercent timeSpentSeconds contentItemId }
  }
}"""
MY_MODULES = """
query($o: ID, $first: Int, $after: String) {
  myModuleProgress(courseOfferingId: $o, first: $first, after: $after) {
    totalCount edges { node { progressPercent moduleId } }
    pageInfo { hasNextPage endCursor }
  }
}"""
MY_CONTENT = ("{ myContentProgress(first: 10) { totalCount edges { node { timeSpentSeconds } } "
              "} }")
USER_PROGRESS = """
query($id: ID!) { node(id: $id) { ... on User { progress(first: 5) {
  totalCount edges { node { progressPercent } } } } } }"""
QUIZ = """
mutation($input: SubmitQuizAttemptInput!) {
  submitQuizAttempt(input: $input) { quizAttempt { id score passed answers } }
}"""
LAB = """
mutation($input: SubmitLabInput!) {
  submitLab(input: $input) { labSubmission { id status score submission } }
}"""
GRADE = """
mutation($input: GradeLabSubmissionInput!) {
  gradeLabSubmission(input: $input) { labSubmission { status score feedback gradedAt } }
}"""


async def test_graphql_progress_pages_and_user_progress(client, services, user, world):
    headers = world["headers"]
    modules = [world["module"]] + [await module(services, world["course"], f"W{i}")
                                   for i in range(2)]
    for i, m in enumerate(modules):
        data = await gql(client, UPSERT_MODULE, {"input": {
            "moduleId": g("Module", m.id), "courseOfferingId": str(world["offering"].id),
            "progressPercent": 10 * (i + 1)}}, headers=headers)
        assert data["upsertModuleProgress"]["moduleProgress"]["progressPercent"] == 10 * (i + 1)
    page = (await gql(client, MY_MODULES, {"o": g("CourseOffering", world["offering"].id),
                                           "first": 2}, headers=headers))["myModuleProgress"]
    assert [e["node"]["progressPercent"] for e in page["edges"]] == [10, 20]
    assert page["edges"][0]["node"]["moduleId"] == g("Module", modules[0].id)
    assert page["pageInfo"]["hasNextPage"] is True
    assert page["totalCount"] == 3
    rest = (await gql(client, MY_MODULES, {"first": 2, "after": page["pageInfo"]["endCursor"]},
                      headers=headers))["myModuleProgress"]
    assert [e["node"]["progressPercent"] for e in rest["edges"]] == [30]
    assert rest["pageInfo"]["hasNextPage"] is False
    assert rest["totalCount"] == 3
    body = await gql_raw(client, MY_MODULES, {"first": 101}, headers=headers)
    assert error_codes(body) == ["BAD_USER_INPUT"]

    user_gid = relay.to_base64("User", str(user.id))
    own = (await gql(client, USER_PROGRESS, {"id": user_gid}, headers=headers))["node"]
    assert (len(own["progress"]["edges"]), own["progress"]["totalCount"]) == (3, 3)
    bob = await create_user(services, email="bob@example.com")
    other = (await gql(client, USER_PROGRESS, {"id": user_gid},
                       headers=await bearer_for(services, bob)))["node"]
    assert other == {"progress": None}


async def test_graphql_content_progress_and_errors(client, services, user, world):
    headers = world["headers"]
    data = await gql(client, UPSERT_CONTENT, {"input": {
        "contentItemId": g("ContentItem", world["video"].id),
        "courseOfferingId": g("CourseOffering", world["offering"].id),
        "progressPercent": 100, "timeSpentSeconds": 30}}, headers=headers)
    assert data["upsertContentProgress"]["contentProgress"]["timeSpentSeconds"] == 30
    assert (await gql(client, MY_CONTENT, headers=headers))["myContentProgress"] == {
        "totalCount": 1, "edges": [{"node": {"timeSpentSeconds": 30}}]}
    bad = {"contentItemId": str(world["video"].id), "courseOfferingId": "1",
           "progressPercent": 120}
    assert error_codes(await gql_raw(client, UPSERT_CONTENT, {"input": bad},
                                     headers=headers)) == ["BAD_USER_INPUT"]
    assert error_codes(await gql_raw(client, UPSERT_CONTENT, {"input": {
        **bad, "progressPercent": 5}})) == ["UNAUTHENTICATED"]
    assert error_codes(await gql_raw(client, UPSERT_CONTENT, {"input": {
        **bad, "progressPercent": 5, "contentItemId": "not-an-id"}},
        headers=headers)) == ["BAD_USER_INPUT"]


async def test_quiz_attempts_pass_at_the_pass_mark(client, services, user, world):
    quiz_type = await content_type(services, "quiz")
    quiz = await content_item(services, world["module"], quiz_type, "Q1", {"pass_mark": 80})
    default_quiz = await content_item(services, world["module"], quiz_type, "Q2")
    headers = world["headers"]
    offering_id = str(world["offering"].id)

    async def attempt(item, score, answers=None):
        return await gql_raw(client, QUIZ, {"input": {
            "contentItemId": str(item.id), "courseOfferingId": offering_id, "score": score,
            "answers": answers}}, headers=headers)

    result = (await attempt(quiz, 75, {"q1": "A"}))["data"]["submitQuizAttempt"]["quizAttempt"]
    assert (result["score"], result["passed"], result["answers"]) == (75.0, False, {"q1": "A"})
    result = (await attempt(quiz, 80))["data"]["submitQuizAttempt"]["quizAttempt"]
    assert (result["passed"], result["answers"]) == (True, {})
    result = (await attempt(default_quiz, 60))["data"]["submitQuizAttempt"]["quizAttempt"]
    assert result["passed"] is True
    assert error_codes(await attempt(quiz, 101)) == ["BAD_USER_INPUT"]
    body = await attempt(world["video"], 90)
    assert error_codes(body) == ["BAD_USER_INPUT"]
    assert body["errors"][0]["message"] == "Content item is not a quiz"
    assert await activities(services, user) == ["QUIZ_ATTEMPT"] * 3

    node = (await gql(client, "query($id: ID!) { node(id: $id) { ... on QuizAttempt { score } } }",
                      {"id": g("QuizAttempt", 1)}, headers=headers))["node"]
    assert node == {"score": 75.0}
    bob = await create_user(services, email="bob@example.com")
    hidden = await gql(client, "query($id: ID!) { node(id: $id) { id } }",
                       {"id": g("QuizAttempt", 1)}, headers=await bearer_for(services, bob))
    assert hidden["node"] is None


async def test_labs_are_submitted_by_learners_and_graded_by_instructors(
        client, services, user, world):
    lab = await content_item(services, world["module"], await content_type(services, "lab"),
                             "Lab 1")
    headers = world["headers"]
    data = await gql(client, LAB, {"input": {"contentItemId": str(lab.id),
                                             "courseOfferingId": str(world["offering"].id),
                                             "submission": "print('hi')"}}, headers=headers)
    submission = data["submitLab"]["labSubmission"]
    assert (submission["status"], submission["score"], submission["submission"]) == (
        "SUBMITTED", None, "print('hi')")
    assert await activities(services, user) == ["LAB_SUBMISSION"]

    grade = {"submissionId": submission["id"], "score": 92.5, "feedback": "Nice"}
    assert error_codes(await gql_raw(client, GRADE, {"input": grade},
                                     headers=headers)) == ["FORBIDDEN"]
    teacher = await _course_owner(services, world["course"])
    teacher_headers = await bearer_for(services, teacher)
    graded = (await gql(client, GRADE, {"input": grade}, headers=teacher_headers)
              )["gradeLabSubmission"]["labSubmission"]
    assert (graded["status"], graded["score"], graded["feedback"]) == ("GRADED", 92.5, "Nice")
    assert graded["gradedAt"] is not None
    assert error_codes(await gql_raw(client, GRADE, {"input": {**grade, "score": -1}},
                                     headers=teacher_headers)) == ["BAD_USER_INPUT"]
    assert error_codes(await gql_raw(client, GRADE, {"input": {
        **grade, "submissionId": g("LabSubmission", 999)}},
        headers=teacher_headers)) == ["NOT_FOUND"]
    body = await gql_raw(client, LAB, {"input": {"contentItemId": str(world["video"].id),
                                                 "courseOfferingId": str(world["offering"].id),
                                                 "submission": "x"}}, headers=headers)
    assert body["errors"][0]["message"] == "Content item is not a lab"


async def _course_owner(services, course_row) -> User:
    """A new instructor who owns ``course_row``."""
    teacher = await create_user(services, email="t@example.com", roles=["INSTRUCTOR"])
    async with services.db.transaction() as session:
        await session.execute(update(Course).where(Course.id == course_row.id)
                              .values(created_by_id=teacher.id))
    return teacher


LAB_NODE = """query($id: ID!) { node(id: $id) { ... on LabSubmission { status score
  feedback } } }"""


async def test_only_the_course_owner_reads_and_grades_a_lab(client, services, user, world):
    lab = await content_item(services, world["module"], await content_type(services, "lab"),
                             "Lab 1")
    submission = (await gql(client, LAB, {"input": {
        "contentItemId": str(lab.id), "courseOfferingId": str(world["offering"].id),
        "submission": "print('hi')"}}, headers=world["headers"]))["submitLab"]["labSubmission"]
    owner = await bearer_for(services, await _course_owner(services, world["course"]))
    stranger = await bearer_for(services, await create_user(
        services, email="other@example.com", roles=["INSTRUCTOR"]))
    admin = await bearer_for(services, await create_user(
        services, email="admin@example.com", roles=["PLATFORM_ADMIN"]))
    grade = {"submissionId": submission["id"], "score": 40, "feedback": "Try again"}

    refused = await gql_raw(client, GRADE, {"input": grade}, headers=stranger)
    assert error_codes(refused) == ["FORBIDDEN"]
    assert refused["errors"][0]["message"] == (
        "Only the course's creator or a platform admin can change this course")
    assert (await gql(client, LAB_NODE, {"id": submission["id"]}, headers=stranger)
            ) == {"node": None}
    async with services.db.session() as session:
        row = await session.get(LabSubmission, int(relay.from_base64(submission["id"])[1]))
        assert (row.status, row.score, row.feedback, row.graded_at) == (
            "SUBMITTED", None, None, None)

    unchanged = {"status": "SUBMITTED", "score": None, "feedback": None}
    for viewer in (owner, admin, world["headers"]):
        assert (await gql(client, LAB_NODE, {"id": submission["id"]}, headers=viewer)
                ) == {"node": unchanged}
    graded = (await gql(client, GRADE, {"input": grade}, headers=owner)
              )["gradeLabSubmission"]["labSubmission"]
    assert (graded["status"], graded["score"], graded["feedback"]) == (
        "GRADED", 40.0, "Try again")
    regraded = (await gql(client, GRADE, {"input": {**grade, "score": 90}}, headers=admin)
                )["gradeLabSubmission"]["labSubmission"]
    assert regraded["score"] == 90.0


async def test_an_invalid_stored_pass_mark_falls_back_to_the_default(
        client, services, user, world):
    quiz_type = await content_type(services, "quiz")
    for i, stored in enumerate(("sixty", None, [], True, 250)):
        quiz = await content_item(services, world["module"], quiz_type, f"Q{i}",
                                  {"pass_mark": stored})
        for score, passed in ((59, False), (60, True)):
            attempt = (await gql(client, QUIZ, {"input": {
                "contentItemId": str(quiz.id), "courseOfferingId": str(world["offering"].id),
                "score": score}}, headers=world["headers"]))["submitQuizAttempt"]
            assert attempt["quizAttempt"]["passed"] is passed, (stored, score)


async def test_progress_writes_advance_the_streak(client, services, user, world):
    await client.post(f"{API}/progress/modules", headers=world["headers"], json={
        "module_id": world["module"].id, "course_offering_id": world["offering"].id,
        "progress_percent": 5})
    async with services.db.session() as session:
        row = await session.get(User, user.id)
    assert row.current_streak_days == 1
    assert row.last_activity_date == datetime.now(UTC).date()
