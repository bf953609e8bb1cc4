"""The Codelabs operations in GraphQL: the same resolvers, the same rules."""

from __future__ import annotations

from strawberry import relay

from tests.codelabs.helpers import API, csrf, facilitator_login
from tests.fixtures import CODELABS_ADMIN_PASSWORD, error_codes, gql, gql_raw

LOGIN = """mutation($input: CodelabFacilitatorLoginInput!) {
  codelabFacilitatorLogin(input: $input) { accessToken expiresAt } }"""
CREATE = """mutation($input: CreateCodelabInput!) {
  createCodelab(input: $input) { codelab { id legacyId title isPublic attendanceCode } } }"""
UPDATE = """mutation($input: UpdateCodelabInput!) {
  updateCodelab(input: $input) { codelab { title author requireQuiz guideMarkdown } } }"""
STEPS = """mutation($input: ReplaceCodelabStepsInput!) {
  replaceCodelabSteps(input: $input) {
    codelab { steps { id stepNumber title contentMarkdown legacyId } } } }"""
REGISTER = """mutation($input: RegisterCodelabAttendeeInput!) {
  registerCodelabAttendee(input: $input) {
    accessToken attendee { legacyId name email currentStep isCompleted } } }"""
CODELAB = """query($id: ID!) { codelab(id: $id) {
  title attendanceCode steps { title } attendees { name email } } }"""
SESSION = "{ codelabSession { sub role codelabId } }"
COPY = "mutation($id: ID!) { copyCodelab(id: $id) { codelab { title isPublic steps { title } } } }"
DELETE = "mutation($id: ID!) { deleteCodelab(id: $id) { deletedId } }"


async def _facilitator(client) -> dict:
    data = await gql(client, LOGIN, {"input": {"adminId": "admin",
                                               "adminPassword": CODELABS_ADMIN_PASSWORD}})
    return {"Authorization": f"Bearer {data['codelabFacilitatorLogin']['accessToken']}"}


async def test_a_workshop_through_graphql(client, new_client):
    admin = await _facilitator(client)
    created = (await gql(client, CREATE, {"input": {"title": "GraphQL lab", "isPublic": False,
                                                    "attendanceCode": "LAB-2026"}},
                         headers=admin))["createCodelab"]["codelab"]
    assert created["title"] == "GraphQL lab" and created["attendanceCode"] == "LAB-2026"
    assert created["legacyId"].startswith("codelab_")

    updated = (await gql(client, UPDATE, {"input": {"id": created["id"], "author": "Ada",
                                                    "requireQuiz": True}},
                         headers=admin))["updateCodelab"]["codelab"]
    assert updated == {"title": "GraphQL lab", "author": "Ada", "requireQuiz": True,
                       "guideMarkdown": None}

    steps = (await gql(client, STEPS, {"input": {"codelabId": created["id"], "steps": [
        {"title": "One", "contentMarkdown": "# 1"}, {"title": "Two"}]}},
        headers=admin))["replaceCodelabSteps"]["codelab"]["steps"]
    assert [(s["stepNumber"], s["title"], s["contentMarkdown"]) for s in steps] == [
        (1, "One", "# 1"), (2, "Two", "")]
    kept = (await gql(client, STEPS, {"input": {"codelabId": created["id"], "steps": [
        {"id": steps[1]["id"], "title": "Two, first"}]}},
        headers=admin))["replaceCodelabSteps"]["codelab"]["steps"]
    assert [(s["id"], s["title"]) for s in kept] == [(steps[1]["id"], "Two, first")]

    attendee_http = new_client()
    registered = (await gql(attendee_http, REGISTER, {"input": {
        "codelabId": created["id"], "name": "Grace", "code": "LAB-2026",
        "email": "grace@example.com"}}))["registerCodelabAttendee"]
    assert registered["attendee"] == {"legacyId": registered["attendee"]["legacyId"],
                                      "name": "Grace", "email": "grace@example.com",
                                      "currentStep": 1, "isCompleted": False}
    attendee = {"Authorization": f"Bearer {registered['accessToken']}"}
    session = (await gql(attendee_http, SESSION, headers=attendee))["codelabSession"]
    assert session == {"sub": registered["attendee"]["legacyId"], "role": "attendee",
                       "codelabId": created["id"]}

    # The attendee reads the private codelab, without its code; the facilitator sees all.
    seen = (await gql(attendee_http, CODELAB, {"id": created["id"]}, headers=attendee))["codelab"]
    assert seen == {"title": "GraphQL lab", "attendanceCode": None,
                    "steps": [{"title": "Two, first"}],
                    "attendees": [{"name": "Grace", "email": "grace@example.com"}]}
    seen = (await gql(client, CODELAB, {"id": created["id"]}, headers=admin))["codelab"]
    assert seen["attendanceCode"] == "LAB-2026"

    # The REST face shows the same codelab.
    await facilitator_login(client)
    rest, _ = (await client.get(f"{API}/codelabs/{created['legacyId']}")).json()
    assert rest["title"] == "GraphQL lab" and rest["author"] == "Ada"

    copied = (await gql(client, COPY, {"id": created["id"]}, headers=admin))["copyCodelab"]
    assert copied["codelab"] == {"title": "GraphQL lab (copy)", "isPublic": False,
                                 "steps": [{"title": "Two, first"}]}
    assert (await gql(client, DELETE, {"id": created["id"]}, headers=admin)
            )["deleteCodelab"]["deletedId"] == created["id"]
    body = await gql_raw(client, CODELAB, {"id": created["id"]}, headers=admin)
    assert error_codes(body) == ["NOT_FOUND"]
    assert (await client.get(f"{API}/session")).status_code == 200
    assert (await client.post(f"{API}/logout", headers=csrf(client))).status_code == 204


async def test_graphql_errors_carry_codes(client, new_client):
    body = await gql_raw(client, LOGIN, {"input": {"adminId": "admin", "adminPassword": "no"}})
    assert error_codes(body) == ["UNAUTHENTICATED"]
    body = await gql_raw(client, CREATE, {"input": {"title": "T"}})
    assert error_codes(body) == ["UNAUTHENTICATED"]
    body = await gql_raw(client, SESSION)
    assert error_codes(body) == ["UNAUTHENTICATED"]
    admin = await _facilitator(client)
    body = await gql_raw(client, CREATE, {"input": {"title": "x" * 301}}, headers=admin)
    assert error_codes(body) == ["BAD_USER_INPUT"]
    assert "xxxxxxxx" not in str(body)
    created = (await gql(client, CREATE, {"input": {"title": "T"}},
                         headers=admin))["createCodelab"]["codelab"]
    body = await gql_raw(client, REGISTER, {"input": {"codelabId": created["id"], "name": "N",
                                                      "code": "WRONG"}})
    assert error_codes(body) == ["FORBIDDEN"]
    registered = (await gql(new_client(), REGISTER, {"input": {
        "codelabId": created["id"], "name": "N", "code": created["attendanceCode"]}}
    ))["registerCodelabAttendee"]
    attendee = {"Authorization": f"Bearer {registered['accessToken']}"}
    body = await gql_raw(client, UPDATE, {"input": {"id": created["id"], "title": "Mine"}},
                         headers=attendee)
    assert error_codes(body) == ["FORBIDDEN"]
    for bad in (relay.to_base64("Codelab", "abc"), relay.to_base64("Course", "1")):
        body = await gql_raw(client, CODELAB, {"id": bad}, headers=admin)
        assert error_codes(body) == ["BAD_USER_INPUT"]
        assert body["errors"][0]["message"] == f"Invalid Codelab id: {bad!r}"


async def test_codelabs_are_nodes_and_a_connection(client):
    admin = await _facilitator(client)
    for title in ("A", "B", "C"):
        await gql(client, CREATE, {"input": {"title": title}}, headers=admin)
    data = await gql(client, "{ codelabs(first: 2) { edges { node { id title } } "
                             "pageInfo { hasNextPage } } }")
    assert [e["node"]["title"] for e in data["codelabs"]["edges"]] == ["A", "B"]
    assert data["codelabs"]["pageInfo"]["hasNextPage"] is True
    node_id = data["codelabs"]["edges"][0]["node"]["id"]
    data = await gql(client, "query($id: ID!) { node(id: $id) { ... on Codelab { title } } }",
                     {"id": node_id})
    assert data["node"] == {"title": "A"}


HELP = """mutation($codelab: ID!, $step: Int!) {
  requestCodelabHelp(codelabId: $codelab, stepNumber: $step) { ok } }"""
RESOLVE = """mutation($codelab: ID!, $id: ID!) {
  resolveCodelabHelpRequest(codelabId: $codelab, id: $id) { ok } }"""
FEEDBACK = """mutation($input: SubmitCodelabFeedbackInput!) {
  submitCodelabFeedback(input: $input) { feedback { difficulty satisfaction comment } } }"""
ROOM = """query($id: ID!) { codelab(id: $id) {
  helpRequests { id attendeeName stepNumber status } feedback { difficulty comment } } }"""


async def test_help_and_feedback_through_graphql(client, new_client):
    admin = await _facilitator(client)
    created = (await gql(client, CREATE, {"input": {"title": "Lab", "attendanceCode": "CODE1"}},
                         headers=admin))["createCodelab"]["codelab"]
    registered = (await gql(new_client(), REGISTER, {"input": {
        "codelabId": created["id"], "name": "Grace", "code": "CODE1"}}
    ))["registerCodelabAttendee"]
    grace = {"Authorization": f"Bearer {registered['accessToken']}"}
    assert (await gql(client, HELP, {"codelab": created["id"], "step": 2}, headers=grace)
            )["requestCodelabHelp"] == {"ok": True}
    body = await gql_raw(client, HELP, {"codelab": created["id"], "step": 0}, headers=grace)
    assert error_codes(body) == ["BAD_USER_INPUT"]
    body = await gql_raw(client, HELP, {"codelab": created["id"], "step": 1}, headers=admin)
    assert error_codes(body) == ["FORBIDDEN"]
    given = (await gql(client, FEEDBACK, {"input": {
        "codelabId": created["id"], "difficulty": 2, "satisfaction": 5, "comment": "Great"}},
        headers=grace))["submitCodelabFeedback"]["feedback"]
    assert given == {"difficulty": 2, "satisfaction": 5, "comment": "Great"}
    body = await gql_raw(client, FEEDBACK, {"input": {
        "codelabId": created["id"], "difficulty": 2, "satisfaction": 5}}, headers=grace)
    assert error_codes(body) == ["CONFLICT"]

    room = (await gql(client, ROOM, {"id": created["id"]}, headers=admin))["codelab"]
    [pending] = room["helpRequests"]
    assert (pending["attendeeName"], pending["stepNumber"], pending["status"]) == (
        "Grace", 2, "PENDING")
    assert room["feedback"] == [{"difficulty": 2, "comment": "Great"}]
    body = await gql_raw(client, ROOM, {"id": created["id"]}, headers=grace)
    assert error_codes(body) == ["FORBIDDEN"]  # feedback is for the facilitator
    assert (await gql(client, RESOLVE, {"codelab": created["id"], "id": pending["id"]},
                      headers=admin))["resolveCodelabHelpRequest"] == {"ok": True}
    room = (await gql(client, "query($id: ID!) { codelab(id: $id) { helpRequests { id } } }",
                      {"id": created["id"]}, headers=grace))["codelab"]
    assert room["helpRequests"] == []


REPLACE_QUIZ = """mutation($codelab: ID!, $quizzes: [CodelabQuizInput!]!) {
  replaceCodelabQuizzes(codelabId: $codelab, quizzes: $quizzes) { id question correctAnswer } }"""
SUBMIT_QUIZ = """mutation($codelab: ID!, $answers: [CodelabQuizAnswerInput!]!) {
  submitCodelabQuiz(codelabId: $codelab, answers: $answers) { correct total } }"""
QUIZ_VIEW = """query($id: ID!) { codelab(id: $id) {
  quizzes { question options correctAnswer } } }"""


async def test_quizzes_through_graphql(client, new_client):
    admin = await _facilitator(client)
    created = (await gql(client, CREATE, {"input": {"title": "Lab", "attendanceCode": "CODE1"}},
                         headers=admin))["createCodelab"]["codelab"]
    written = (await gql(client, REPLACE_QUIZ, {"codelab": created["id"], "quizzes": [
        {"question": "2+2?", "options": ["3", "4"], "correctAnswer": 1}]},
        headers=admin))["replaceCodelabQuizzes"]
    assert [(q["question"], q["correctAnswer"]) for q in written] == [("2+2?", 1)]
    registered = (await gql(new_client(), REGISTER, {"input": {
        "codelabId": created["id"], "name": "Grace", "code": "CODE1"}}
    ))["registerCodelabAttendee"]
    grace = {"Authorization": f"Bearer {registered['accessToken']}"}
    seen = (await gql(client, QUIZ_VIEW, {"id": created["id"]}, headers=grace))["codelab"]
    assert seen["quizzes"] == [{"question": "2+2?", "options": ["3", "4"], "correctAnswer": None}]
    grade = (await gql(client, SUBMIT_QUIZ, {"codelab": created["id"], "answers": [
        {"quizId": written[0]["id"], "answer": "4"}]}, headers=grace))["submitCodelabQuiz"]
    assert grade == {"correct": 1, "total": 1}
    body = await gql_raw(client, REPLACE_QUIZ, {"codelab": created["id"], "quizzes": [
        {"question": "Q", "options": ["A"], "correctAnswer": 0}]}, headers=admin)
    assert error_codes(body) == ["BAD_USER_INPUT"]
    body = await gql_raw(client, REPLACE_QUIZ, {"codelab": created["id"], "quizzes": []},
                         headers=grace)
    assert error_codes(body) == ["FORBIDDEN"]
    data = await gql(client, "query($id: ID!) { codelab(id: $id) { quizSubmissions { "
                             "answer isCorrect attendeeName } } }", {"id": created["id"]},
                     headers=admin)
    assert data["codelab"]["quizSubmissions"] == [
        {"answer": "4", "isCorrect": True, "attendeeName": "Grace"}]


async def test_completion_and_certificate_through_graphql(client, new_client):
    admin = await _facilitator(client)
    created = (await gql(client, CREATE, {"input": {"title": "Lab", "attendanceCode": "CODE1"}},
                         headers=admin))["createCodelab"]["codelab"]
    registered = (await gql(new_client(), REGISTER, {"input": {
        "codelabId": created["id"], "name": "Grace", "code": "CODE1"}}
    ))["registerCodelabAttendee"]
    grace = {"Authorization": f"Bearer {registered['accessToken']}"}
    legacy = registered["attendee"]["legacyId"]
    cert = "query($id: String!) { codelabCertificate(attendeeId: $id) { attendeeName " \
           "codelabTitle completedAt } }"
    body = await gql_raw(client, cert, {"id": legacy})
    assert error_codes(body) == ["FORBIDDEN"]
    body = await gql_raw(client, "mutation($id: ID!) { completeCodelab(codelabId: $id) { "
                                 "completedAt } }", {"id": created["id"]}, headers=admin)
    assert error_codes(body) == ["FORBIDDEN"]
    done = await gql(client, "mutation($id: ID!) { completeCodelab(codelabId: $id) { "
                             "completedAt } }", {"id": created["id"]}, headers=grace)
    shown = (await gql(client, cert, {"id": legacy}))["codelabCertificate"]
    assert shown == {"attendeeName": "Grace", "codelabTitle": "Lab",
                     "completedAt": done["completeCodelab"]["completedAt"]}
    body = await gql_raw(client, cert, {"id": "nonsense"})
    assert error_codes(body) == ["NOT_FOUND"]
