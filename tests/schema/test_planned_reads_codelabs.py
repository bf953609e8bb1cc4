"""Planned reads of codelabs, their steps and materials, and their members-only lists:
attendees, pending help requests, quizzes (the answers for facilitators), submissions (an
attendee's own), and for facilitators feedback and graded answers. Each document, asked
by an anonymous visitor, the codelab's facilitator, another instructor, an admin, an
attendee of the private codelab and an attendee of another codelab, answers the same
bytes on the planned and the general path (errors included); a planned answer is one
SQL statement, and a members-only list refused to its viewer costs that statement and
the general path's."""

from __future__ import annotations

import httpx
from sqlalchemy import select
from strawberry import relay

from core.pagination import encode_cursor
from models.codelab import CodelabAttendee
from models.codelab_files import CodelabAiConversation, CodelabMaterial, CodelabSubmission
from models.codelab_live import CodelabChatMessage
from models.user import User
from tests.fixtures import ask_both
from tests.twosigma.catalog_helpers import Course, Module, add, add_many, headers_for

CODELAB = ("id legacyId title description author isPublic quizEnabled requireQuiz "
           "requireFeedback guideMarkdown createdAt attendanceCode __typename")
STEP = "id stepNumber title contentMarkdown legacyId __typename"
MATERIAL = "id title materialType linkUrl fileUrl createdAt __typename"
ATTENDEE = "legacyId name email currentStep isCompleted completedAt createdAt __typename"
HELP = "id attendeeLegacyId attendeeName stepNumber status createdAt __typename"
FEEDBACK = "attendeeLegacyId difficulty satisfaction comment createdAt __typename"
QUIZ = "id question quizType options correctAnswer __typename"
ANSWER = "quizId attendeeLegacyId attendeeName answer isCorrect createdAt __typename"
SUBMISSION = ("id attendeeLegacyId attendeeName fileName fileUrl fileSize contentType "
              "createdAt __typename")
PAGE_INFO = "pageInfo { hasNextPage hasPreviousPage startCursor endCursor }"


def node(body: str) -> str:
    return "query($id: ID!) { node(id: $id) { __typename " + body + " } }"


def on(type_name: str, body: str) -> str:
    return f"... on {type_name} {{ {body} }}"


ANY = on("Codelab", CODELAB) + " " + on("CodelabStep", STEP)
IDS = ["public", "private", "draft", "step", "private_step", "course_as_codelab",
       "module_as_step", "missing_codelab", "missing_step"]

CORPUS: list[tuple[str, dict]] = []


def case(query: str, variables: dict | None = None) -> None:
    CORPUS.append((query, variables or {}))


for which in IDS:
    case(node(ANY), {"id": which})
for which in ("public", "private", "draft"):
    case(node(on("Codelab", f"{CODELAB} steps {{ {STEP} }}")), {"id": which})
    case(node(on("Codelab", "attendanceCode steps { stepNumber }")), {"id": which})
for name in CODELAB.split():
    case(node(on("Codelab", name)), {"id": "private"})
for name in STEP.split():
    case(node(on("CodelabStep", name)), {"id": "private_step"})
case(node(on("Codelab", "steps { legacyId }")), {"id": "empty"})
# materials, pages forward
for which in ("public", "private", "draft", "empty"):
    case(node(on("Codelab", f"materials(first: 10) {{ {PAGE_INFO} edges {{ cursor node {{ "
                            f"{MATERIAL} }} }} }}")), {"id": which})
case(node(on("Codelab", "materials(first: 1) { pageInfo { hasNextPage endCursor } edges { "
                        "node { title } } }")), {"id": "public"})
case("query($id: ID!, $a: String) { node(id: $id) { ... on Codelab { materials(first: 1, "
     "after: $a) { " + PAGE_INFO + " edges { node { title linkUrl } } } } } }",
     {"id": "public", "a": "material_cursor"})
case("query($id: ID!, $a: String) { node(id: $id) { ... on Codelab { materials(first: 1, "
     "after: $a) { edges { node { id } } } } } }", {"id": "public", "a": "not a cursor"})
case("query($id: ID!, $n: Int) { node(id: $id) { ... on Codelab { materials(first: $n) { "
     "edges { node { id } } } } } }", {"id": "public", "n": 0})
case(node(on("Codelab", "materials { edges { node { materialType } } }")), {"id": "public"})
# totalCount: a codelab's materials (none for the empty one), the codelabs the viewer may list
for which in ("public", "private", "empty"):
    case(node(on("Codelab", "materials(first: 1) { totalCount nodes { title } }")),
         {"id": which})
case("query($a: String) { codelabs(first: 1, after: $a) { totalCount nodes { title } } }",
     {"a": "public_cursor"})
for name in MATERIAL.split():
    case(node(on("Codelab", f"materials(first: 5) {{ edges {{ node {{ {name} }} }} }}")),
         {"id": "private"})
# the root list, pages forward
case(f"{{ codelabs(first: 10) {{ {PAGE_INFO} edges {{ cursor node {{ {CODELAB} steps {{ "
     "stepNumber title } } } } } }")
case("{ codelabs(first: 1) { pageInfo { hasNextPage endCursor } edges { node { title } } } }")
case("query($a: String) { codelabs(first: 2, after: $a) { " + PAGE_INFO
     + " edges { node { title isPublic } } } }", {"a": "public_cursor"})
case("query($a: String) { codelabs(first: 2, after: $a) { edges { node { id } } } }",
     {"a": "not a cursor"})
case("query($n: Int) { codelabs(first: $n) { edges { node { id } } } }", {"n": 0})
case("{ codelabs { edges { node { legacyId author } } } }")
# one codelab by its id: NOT_FOUND where the viewer may not read it (and for a course)
# a codelab's room, for its members (each attendee its own direct messages)
CHAT = ("query($c: ID!, $n: Int, $a: String) { codelabChat(codelabId: $c, first: $n, after: $a) "
        "{ " + PAGE_INFO + " totalCount edges { cursor node { legacyId type sender message "
        "targetLegacyId createdAt __typename } } } }")
for variables in ({"c": "private", "n": 10}, {"c": "private", "n": 1, "a": "chat_cursor"},
                  {"c": "public", "n": 5}, {"c": "draft", "n": 5}, {"c": "step", "n": 5}):
    case(CHAT, variables)
# its kept AI conversations, for its facilitators
ASKED = ("query($c: ID!, $n: Int, $a: String) { codelabAiConversations(codelabId: $c, first: "
         "$n, after: $a) { " + PAGE_INFO + " totalCount nodes { legacyId attendeeLegacyId "
         "stepNumber question answer model createdAt __typename } } }")
for variables in ({"c": "private", "n": 10}, {"c": "private", "n": 1, "a": "conversation_cursor"},
                  {"c": "draft", "n": 5}):
    case(ASKED, variables)
BY_ID = ("query($id: ID!) { codelab(id: $id) { " + CODELAB + " steps { stepNumber title } "
         "materials(first: 5) { nodes { title fileUrl } } } }")
for which in ("public", "private", "draft", "empty", "course_as_codelab", "missing_codelab",
              "step", "not an id"):
    case(BY_ID, {"id": which})
# lists of ids, aliases, fragments, directives
for ids in (["public", "private", "step", "private_step"], ["draft", "missing_step"]):
    case(f"query($ids: [ID!]!) {{ nodes(ids: $ids) {{ __typename id {ANY} }} }}", {"ids": ids})
case("query($id: ID!) { a: node(id: $id) { ...C } b: codelabs(first: 3) { e: edges { "
     "n: node { ...C } } } } fragment C on Codelab { i: id t: title s: steps { ...S } } "
     "fragment S on CodelabStep { n: stepNumber }", {"id": "private"})
case("query($id: ID!, $yes: Boolean!) { node(id: $id) { ... on Codelab { author "
     "@include(if: $yes) steps @skip(if: $yes) { title } } } }", {"id": "public", "yes": True})
# lists for members only: planned for them, the general path's error for the others (one
# such list a document: of two refused fields the general path reports whichever fails
# first, on either path)
for which in ("public", "private", "draft", "empty"):
    case(node(on("Codelab", f"title attendees {{ {ATTENDEE} }} steps {{ title }}")),
         {"id": which})
    case(node(on("Codelab", f"title helpRequests {{ {HELP} }}")), {"id": which})
for name in ATTENDEE.split():
    case(node(on("Codelab", f"attendees {{ {name} }}")), {"id": "private"})
for name in HELP.split():
    case(node(on("Codelab", f"helpRequests {{ {name} }}")), {"id": "public"})
# feedback is for its facilitators only (the lists below are read whole: each field
# alone would plan as it does among the others, at a corpus's cost in time)
for which in ("public", "private", "draft", "empty"):
    case(node(on("Codelab", f"title feedback {{ {FEEDBACK} }}")), {"id": which})
case("{ codelabs(first: 1) { edges { node { title feedback { difficulty } } } } }")
# the quiz for its members, its answers for its facilitators; the graded answers for them
for which in ("public", "private", "draft", "empty"):
    case(node(on("Codelab", f"title quizzes {{ {QUIZ} }}")), {"id": which})
    case(node(on("Codelab", f"title quizSubmissions {{ {ANSWER} }}")), {"id": which})
case("{ codelabs(first: 1) { edges { node { title quizzes { question correctAnswer } } } } }")
case("{ codelabs(first: 1) { edges { node { quizSubmissions { answer isCorrect } } } } }")
# submissions for its members, an attendee's own only; pages forward
for which in ("public", "private", "draft", "empty"):
    case(node(on("Codelab", f"title submissions(first: 10) {{ {PAGE_INFO} edges {{ cursor "
                            f"node {{ {SUBMISSION} }} }} }}")), {"id": which})
case("query($id: ID!, $a: String) { node(id: $id) { ... on Codelab { submissions(first: 1, "
     "after: $a) { " + PAGE_INFO + " nodes { fileName } } } } }",
     {"id": "private", "a": "submission_cursor"})
case("query($id: ID!, $a: String) { node(id: $id) { ... on Codelab { submissions(first: 1, "
     "after: $a) { edges { node { id } } } } } }", {"id": "private", "a": "not a cursor"})
case("query($id: ID!, $n: Int) { node(id: $id) { ... on Codelab { submissions(first: $n) { "
     "edges { node { id } } } } } }", {"id": "public", "n": 0})
case("{ codelabs(first: 1) { edges { node { submissions { nodes { attendeeName } } } } } }")
# (of a page, one codelab: of two refused rows the general path reports either)
case("{ codelabs(first: 1) { edges { node { title attendees { name email } } } } }")
case("{ codelabs(first: 1) { edges { node { title helpRequests { attendeeName } } } } }")
case(f"query($ids: [ID!]!) {{ nodes(ids: $ids) {{ ... on Codelab {{ title helpRequests {{ "
     f"{HELP} }} }} }} }}", {"ids": ["private", "public"]})
case("query($id: ID!, $yes: Boolean!) { node(id: $id) { ... on Codelab { title "
     "attendees @include(if: $yes) { name } } } }", {"id": "public", "yes": False})
case("query($id: ID!, $yes: Boolean!) { node(id: $id) { ... on Codelab { title "
     "attendees @include(if: $yes) { name } } } }", {"id": "public", "yes": True})


def resolve(value, ids: dict):
    if isinstance(value, dict):
        return {k: resolve(v, ids) for k, v in value.items()}
    if isinstance(value, list):
        return [resolve(v, ids) for v in value]
    return ids.get(value, value) if isinstance(value, str) else value


async def gql(http: httpx.AsyncClient, query: str, variables: dict, headers: dict) -> dict:
    answer = (await http.post("/graphql", json={"query": query, "variables": variables},
                              headers=headers)).json()
    assert "errors" not in answer, answer
    return answer["data"]


CREATE = ("mutation($input: CreateCodelabInput!) { createCodelab(input: $input) { codelab { "
          "id attendanceCode } } }")
STEPS = ("mutation($input: ReplaceCodelabStepsInput!) { replaceCodelabSteps(input: $input) { "
         "codelab { steps { id } } } }")
REGISTER = ("mutation($input: RegisterCodelabAttendeeInput!) { registerCodelabAttendee("
            "input: $input) { accessToken } }")
HELP_ME = ("mutation($codelab: ID!, $step: Int!) { requestCodelabHelp(codelabId: $codelab, "
           "stepNumber: $step) { ok } }")
FEEDBACK_ME = ("mutation($input: SubmitCodelabFeedbackInput!) { submitCodelabFeedback("
               "input: $input) { feedback { difficulty } } }")
QUIZ_SET = ("mutation($codelab: ID!, $quizzes: [CodelabQuizInput!]!) { replaceCodelabQuizzes("
            "codelabId: $codelab, quizzes: $quizzes) { id } }")
QUIZ_ME = ("mutation($codelab: ID!, $answers: [CodelabQuizAnswerInput!]!) { submitCodelabQuiz("
           "codelabId: $codelab, answers: $answers) { correct } }")
RESOLVE = ("mutation($codelab: ID!, $id: ID!) { resolveCodelabHelpRequest(codelabId: $codelab, "
           "id: $id) { ok } }")


async def seed(http: httpx.AsyncClient, services) -> tuple[dict, dict]:
    """A facilitator's public, private and empty codelabs with steps (and another
    instructor's draft), an attendee of the private one and one of the public one (who
    completed it), more attendees with and without an email, help requests pending and
    resolved, feedback with and without a comment, quizzes answered right and wrong,
    submissions, and a plain course with a module; returns the ids and each viewer's headers."""
    facilitator = await headers_for(services, "facilitator@example.com", ["INSTRUCTOR"])
    other = await headers_for(services, "other@example.com", ["INSTRUCTOR"])
    admin = await headers_for(services, "admin@example.com", ["PLATFORM_ADMIN"])
    ids: dict = {}
    codes: dict = {}
    for name, owner, public, steps in (
            ("public", facilitator, True, ["Set up", "Build", "Ship"]),
            ("private", facilitator, False, ["Intro", "Deep dive"]),
            ("empty", facilitator, True, []),
            ("draft", other, False, ["Only step"])):
        created = (await gql(http, CREATE, {"input": {
            "title": f"Codelab {name}", "description": f"About {name}", "author": "Ada",
            "isPublic": public, "quizEnabled": name == "public", "requireQuiz": False,
            "requireFeedback": name == "private",
            "guideMarkdown": "# Guide" if name != "draft" else None}}, owner))["createCodelab"]
        ids[name], codes[name] = created["codelab"]["id"], created["codelab"]["attendanceCode"]
        if steps:
            made = (await gql(http, STEPS, {"input": {"codelabId": ids[name], "steps": [
                {"title": t, "contentMarkdown": f"Do {t}"} for t in steps]}}, owner))
            step_ids = [s["id"] for s in made["replaceCodelabSteps"]["codelab"]["steps"]]
            ids[f"{name}_steps"] = step_ids
    viewers = {"anonymous": {}, "facilitator": facilitator, "instructor": other,
               "admin": admin}
    for name, codelab, email in (
            ("attendee", "private", "attendee@example.com"),
            ("other_attendee", "public", None), ("quiet", "private", None),
            ("late", "public", "late@example.com")):
        token = (await gql(http, REGISTER, {"input": {
            "codelabId": ids[codelab], "name": name, "code": codes[codelab],
            "email": email}}, {}))["registerCodelabAttendee"]["accessToken"]
        viewers[name] = {"Authorization": f"Bearer {token}"}
    for name, codelab, step in (("attendee", "private", 1), ("quiet", "private", 2),
                                ("attendee", "private", 2), ("late", "public", 3)):
        await gql(http, HELP_ME, {"codelab": ids[codelab], "step": step}, viewers[name])
    pending = (await gql(http, "query($id: ID!) { node(id: $id) { ... on Codelab { "
                         "helpRequests { id } } } }", {"id": ids["private"]},
                         facilitator))["node"]["helpRequests"]
    await gql(http, RESOLVE, {"codelab": ids["private"], "id": pending[-1]["id"]}, facilitator)
    for name, codelab, difficulty, satisfaction, comment in (
            ("quiet", "private", 2, 5, None), ("attendee", "private", 4, 3, "Too fast"),
            ("other_attendee", "public", 1, 1, "")):
        await gql(http, FEEDBACK_ME, {"input": {
            "codelabId": ids[codelab], "difficulty": difficulty, "satisfaction": satisfaction,
            "comment": comment}}, viewers[name])
    quizzes = {}
    for codelab, facilitating in (("public", facilitator), ("private", facilitator),
                                  ("draft", other)):
        quizzes[codelab] = [q["id"] for q in (await gql(http, QUIZ_SET, {
            "codelab": ids[codelab], "quizzes": [
                {"question": f"{codelab} first?", "options": ["A", "B", "C"],
                 "correctAnswer": 1},
                {"question": f"{codelab} second?", "options": ["yes", "no"],
                 "correctAnswer": 0}]}, facilitating))["replaceCodelabQuizzes"]]
    for name, codelab, answers in (("late", "public", ("B", "no")),
                                   ("other_attendee", "public", ("A", "yes")),
                                   ("attendee", "private", ("B",))):
        await gql(http, QUIZ_ME, {"codelab": ids[codelab], "answers": [
            {"quizId": quiz, "answer": answer}
            for quiz, answer in zip(quizzes[codelab], answers, strict=False)]}, viewers[name])
    await gql(http, "mutation($id: ID!) { completeCodelab(codelabId: $id) { completedAt } }",
              {"id": ids["public"]}, viewers["other_attendee"])
    del viewers["quiet"], viewers["late"]
    materials = []
    for name in ("public", "private", "draft"):
        course_id = int(relay.from_base64(ids[name])[1])
        for n, kind in enumerate(("link", "file", "link")):
            materials.append((await add(
                services, CodelabMaterial, course_id=course_id, title=f"{name} material {n}",
                material_type=kind, link_url=f"https://example.com/{n}" if kind == "link"
                else None, storage_key=None if kind == "link" else f"codelabs/m{n}.pdf")).id)
    async with services.db.session() as session:
        enrolled = dict((await session.execute(
            select(User.display_name, CodelabAttendee.enrollment_id)
            .join(CodelabAttendee, CodelabAttendee.user_id == User.id))).all())
        users = dict((await session.execute(
            select(User.display_name, CodelabAttendee.user_id)
            .join(CodelabAttendee, CodelabAttendee.user_id == User.id))).all())
    # The private codelab's room: chat, direct messages to and from its attendees.
    private_id = int(relay.from_base64(ids["private"])[1])
    chat = await add_many(services, CodelabChatMessage, [
        {"course_id": private_id, "sender_user_id": sender, "sender_name": name,
         "msg_type": kind, "message": f"said {n}", "target_user_id": target}
        for n, (sender, name, kind, target) in enumerate((
            (users["attendee"], "attendee", "chat", None),
            (None, "Facilitator", "dm", users["quiet"]),
            (users["attendee"], "attendee", "dm", None),
            (None, "Facilitator", "chat", None)))])
    ids["chat_cursor"] = encode_cursor([chat[0]])
    # Its kept AI conversations: an attendee's, a facilitator's, one of another's attendee.
    asked = await add_many(services, CodelabAiConversation, [
        {"course_id": private_id, "user_id": user, "step_number": step, "question": f"q{n}",
         "answer": f"a{n}", "model": "gemini"}
        for n, (user, step) in enumerate(((users["attendee"], 1), (None, None),
                                          (users["other_attendee"], 2)))])
    ids["conversation_cursor"] = encode_cursor([asked[0]])
    submissions = []
    for n, (name, codelab) in enumerate((("attendee", "private"), ("quiet", "private"),
                                         ("attendee", "private"), ("late", "public"),
                                         ("other_attendee", "public"))):
        course_id = int(relay.from_base64(ids[codelab])[1])
        submissions.append((await add(
            services, CodelabSubmission, course_id=course_id, attendee_id=enrolled[name],
            file_name=f"{name} {n}.pdf", content_type="application/pdf", file_size=100 + n,
            storage_key=f"codelabs/submissions/{course_id}/{n}.pdf")).id)
    course = await add(services, Course, title="A course", code="C", is_published=True)
    module = await add(services, Module, course_id=course.id, title="m", sequence_index=0)
    ids.update(step=ids["public_steps"][1], private_step=ids["private_steps"][0],
               course_as_codelab=relay.to_base64("Codelab", course.id),
               module_as_step=relay.to_base64("CodelabStep", module.id),
               missing_codelab=relay.to_base64("Codelab", 10 ** 9),
               missing_step=relay.to_base64("CodelabStep", 10 ** 9),
               public_cursor=encode_cursor([int(relay.from_base64(ids["public"])[1])]),
               material_cursor=encode_cursor([materials[0]]),
               submission_cursor=encode_cursor([submissions[0]]))
    return ids, viewers


async def test_codelabs_answer_the_same_bytes_on_both_paths(server, general, clean_db,
                                                            services):
    planned_count = declined_count = 0
    planned_for: set = set()
    mismatches = []
    async with httpx.AsyncClient(base_url=server.base_url, timeout=30) as planned, \
            httpx.AsyncClient(base_url=general.base_url, timeout=30) as plain:
        ids, viewers = await seed(planned, services)
        for query, variables in CORPUS:
            body = {"query": query, "variables": resolve(variables, ids)}
            for viewer, headers in viewers.items():
                both = await ask_both(planned, plain, server, services, body, headers)
                answer, statements = both.answer, both.statements
                if both.mismatch:
                    mismatches.append((viewer, query, variables, *both.mismatch))
                built = [s for s in statements if "json_build_object" in s]
                reads = [s for s in statements if any(
                    f" {table}" in s for table in ("courses", "modules", "codelab"))]
                if built and b'"errors"' in answer.content:
                    # Refused by a guard: the one statement declined, the general path
                    # answered.
                    declined_count += 1
                    assert len(built) == 1 and len(reads) > 1, (viewer, query)
                elif built:
                    planned_count += 1
                    planned_for.add((viewer, query, str(variables)))
                    assert len(reads) == 1, (viewer, query, statements)
    assert mismatches == []
    # Most answers come from plans; the rest are the general path's refusals.
    assert planned_count >= len(CORPUS) * len(viewers) * 7 // 10, planned_count
    assert declined_count >= 20, declined_count
    # The members read their lists planned, values included.
    members = node(on("Codelab", f"title attendees {{ {ATTENDEE} }} steps {{ title }}"))
    helps = node(on("Codelab", f"title helpRequests {{ {HELP} }}"))
    for viewer in ("facilitator", "admin", "attendee"):
        for query in (members, helps):
            assert (viewer, query, str({"id": "private"})) in planned_for, (viewer, query)
    assert ("other_attendee", helps, str({"id": "public"})) in planned_for
    for viewer in ("facilitator", "admin", "attendee"):
        assert (viewer, CHAT, str({"c": "private", "n": 10})) in planned_for, viewer
    for viewer in ("facilitator", "admin"):
        assert (viewer, ASKED, str({"c": "private", "n": 10})) in planned_for, viewer
    for viewer, which in (("anonymous", "public"), ("attendee", "private"),
                          ("facilitator", "private"), ("admin", "draft")):
        assert (viewer, BY_ID, str({"id": which})) in planned_for, (viewer, which)
    async with httpx.AsyncClient(base_url=server.base_url, timeout=30) as planned:
        seen = {}
        for viewer in ("facilitator", "attendee"):
            seen[viewer] = (await gql(planned, members, {"id": ids["private"]},
                                      viewers[viewer]))["node"]["attendees"]
        assert [(a["name"], a["email"]) for a in seen["facilitator"]] == [
            ("quiet", None), ("attendee", "attendee@example.com")]
        assert [(a["name"], a["email"]) for a in seen["attendee"]] == [
            ("quiet", None), ("attendee", "attendee@example.com")]
        done = (await gql(planned, members, {"id": ids["public"]},
                          viewers["facilitator"]))["node"]["attendees"]
        assert [(a["name"], a["email"], a["isCompleted"], a["completedAt"] is not None)
                for a in done] == [("late", "late@example.com", False, False),
                                   ("other_attendee", None, True, True)]
        pending = (await gql(planned, helps, {"id": ids["private"]},
                             viewers["attendee"]))["node"]["helpRequests"]
        assert [(h["attendeeName"], h["stepNumber"], h["status"]) for h in pending] == [
            ("attendee", 2, "PENDING"), ("quiet", 2, "PENDING")]
        attendees = {a["name"]: a["legacyId"] for a in seen["facilitator"]}
        feedback = node(on("Codelab", f"title feedback {{ {FEEDBACK} }}"))
        for viewer in ("facilitator", "admin"):
            assert (viewer, feedback, str({"id": "private"})) in planned_for
            given = (await gql(planned, feedback, {"id": ids["private"]},
                               viewers[viewer]))["node"]["feedback"]
            assert [(f["difficulty"], f["satisfaction"], f["comment"]) for f in given] == [
                (4, 3, "Too fast"), (2, 5, None)]
            assert given[0]["attendeeLegacyId"] == attendees["attendee"]
        quiz = node(on("Codelab", f"title quizzes {{ {QUIZ} }}"))
        for viewer, answers in (("facilitator", [1, 0]), ("admin", [1, 0]),
                                ("other_attendee", [None, None])):
            assert (viewer, quiz, str({"id": "public"})) in planned_for
            asked = (await gql(planned, quiz, {"id": ids["public"]},
                               viewers[viewer]))["node"]["quizzes"]
            assert [(q["question"], q["options"], q["correctAnswer"]) for q in asked] == [
                ("public first?", ["A", "B", "C"], answers[0]),
                ("public second?", ["yes", "no"], answers[1])]
        graded = node(on("Codelab", f"title quizSubmissions {{ {ANSWER} }}"))
        assert ("facilitator", graded, str({"id": "public"})) in planned_for
        answered = (await gql(planned, graded, {"id": ids["public"]},
                              viewers["facilitator"]))["node"]["quizSubmissions"]
        assert sorted((a["attendeeName"], a["answer"], a["isCorrect"]) for a in answered) == [
            ("late", "B", True), ("late", "no", False), ("other_attendee", "A", False),
            ("other_attendee", "yes", True)]
        assert [a["attendeeName"] for a in answered] == [
            "other_attendee", "other_attendee", "late", "late"]
        # Files are linked at the planned instance's own address (its port, not another's).
        files = f"{server.base_url}/files/"
        assert services.storage.files_url == files
        offered = node(on("Codelab", f"materials(first: 10) {{ {PAGE_INFO} edges {{ cursor "
                                     f"node {{ {MATERIAL} }} }} }}"))
        for viewer in ("anonymous", "facilitator"):
            assert (viewer, offered, str({"id": "public"})) in planned_for
            listed = (await gql(planned, offered, {"id": ids["public"]},
                                viewers[viewer]))["node"]["materials"]["edges"]
            assert [(e["node"]["materialType"], e["node"]["linkUrl"], e["node"]["fileUrl"])
                    for e in listed] == [("LINK", "https://example.com/0", None),
                                         ("FILE", None, f"{files}codelabs/m1.pdf"),
                                         ("LINK", "https://example.com/2", None)]
        private = int(relay.from_base64(ids["private"])[1])
        handed = node(on("Codelab", f"title submissions(first: 10) {{ {PAGE_INFO} edges {{ "
                                    f"cursor node {{ {SUBMISSION} }} }} }}"))
        for viewer, names in (("facilitator", ["attendee 0", "quiet 1", "attendee 2"]),
                              ("admin", ["attendee 0", "quiet 1", "attendee 2"]),
                              ("attendee", ["attendee 0", "attendee 2"])):
            assert (viewer, handed, str({"id": "private"})) in planned_for
            page = (await gql(planned, handed, {"id": ids["private"]},
                              viewers[viewer]))["node"]["submissions"]
            assert [(e["node"]["fileName"], e["node"]["fileSize"]) for e in page["edges"]] == [
                (f"{name}.pdf", 100 + int(name[-1])) for name in names]
            assert [e["node"]["fileUrl"] for e in page["edges"]] == [
                f"{files}codelabs/submissions/{private}/{name[-1]}.pdf" for name in names]
        assert ("other_attendee", handed, str({"id": "public"})) in planned_for
        own = (await gql(planned, handed, {"id": ids["public"]},
                         viewers["other_attendee"]))["node"]["submissions"]["edges"]
        assert [e["node"]["attendeeName"] for e in own] == ["other_attendee"]
