"""Planned reads of the people around a course: users (their private fields for
themselves and admins only), enrollments, tutor chats and their messages, prompts. Each
document, asked by an anonymous visitor, a learner, an instructor and an admin, answers
the same bytes on the planned and the general path (errors included); a planned answer
is one SQL statement."""

from __future__ import annotations

from datetime import UTC, date, datetime

import httpx
from sqlalchemy import update
from strawberry import relay

from core.pagination import encode_cursor
from models.chat import ChatMessage, ChatSession
from models.chat_cache import ChatCacheNode
from models.community import (
    CourseReview,
    DiscussionPost,
    DiscussionThread,
    Flashcard,
    FlashcardReview,
    Note,
)
from models.course import Enrollment, Subject, UserProfile, UserSubjectPreference
from models.feedback import FeatureRequest
from models.learning import (
    ContentProgress,
    LabSubmission,
    LearningActivity,
    ModuleProgress,
    QuizAttempt,
)
from models.prompts import Prompt, PromptDependency
from models.user import User
from tests.fixtures import ask_both, count_statements, without_sign_in
from tests.twosigma.catalog_helpers import (
    ContentItem,
    ContentType,
    Course,
    CourseOffering,
    Module,
    add,
    add_many,
    user_with_headers,
)

USER = ("id displayName fullName avatarUrl roles createdAt number hasGithub email locale "
        "timeZone isActive lastActivityDate __typename")
ENROLLMENT = "id status enrolledAt completedAt __typename"
CHAT = ("id contentItemId contentContext shareEnabled shareToken cacheNodeId cacheState "
        "createdAt updatedAt")
MESSAGE = "id role content meta createdAt"
PROMPT = ("id number name version type prompt config labels tags commitMessage createdAt "
          "updatedAt")
PAGE_INFO = "pageInfo { hasNextPage hasPreviousPage startCursor endCursor }"


def node(body: str) -> str:
    return "query($id: ID!) { node(id: $id) { __typename " + body + " } }"


def on(type_name: str, body: str) -> str:
    return f"... on {type_name} {{ {body} }}"


ANY = " ".join([on("Enrollment", ENROLLMENT), on("ChatSession", CHAT),
                on("ChatMessage", MESSAGE), on("Prompt", PROMPT)])
IDS = ["enrollment", "other_enrollment", "chat", "other_chat", "message", "other_message",
       "prompt", "child_prompt", "missing_enrollment", "missing_chat"]

CORPUS: list[tuple[str, dict]] = []


def case(query: str, variables: dict | None = None) -> None:
    CORPUS.append((query, variables or {}))


for which in IDS:
    case(node(ANY), {"id": which})
for which in ("enrollment", "other_enrollment"):
    case(node(on("Enrollment", f"{ENROLLMENT} user {{ {USER} }} courseOffering {{ id termName "
                               "visibility }")), {"id": which})
    case(node(on("Enrollment", "user { email number } status")), {"id": which})
# an enrolled learner sees the course of their offering, a draft too
for which in ("enrollment", "other_enrollment", "draft_enrollment"):
    case(node(on("Enrollment", "courseOffering { termName course { id title isPublished "
                               "stats { totalEnrollments completionRate } } }")), {"id": which})
case("{ myEnrollments(first: 5) { edges { node { courseOffering { course { title } } } } } }")
for which in ("chat", "other_chat"):
    case(node(on("ChatSession", f"{CHAT} contentItem {{ id title }} messages(first: 10) {{ "
                                f"{PAGE_INFO} edges {{ cursor node {{ {MESSAGE} }} }} }}")),
         {"id": which})
case(node(on("ChatSession", "messages(first: 1) { pageInfo { hasNextPage endCursor } edges { "
                            "node { content } } }")), {"id": "chat"})
case("query($id: ID!, $a: String) { node(id: $id) { ... on ChatSession { messages(first: 2, "
     "after: $a) { pageInfo { hasPreviousPage hasNextPage } edges { node { role } } } } } }",
     {"id": "chat", "a": "message_cursor"})
case("query($id: ID!, $n: Int) { node(id: $id) { ... on ChatSession { messages(last: $n) { "
     "edges { node { role } } } } } }", {"id": "chat", "n": 2})
case(node(on("ChatSession", "messages(first: 0) { edges { node { id } } }")), {"id": "chat"})
case(node(on("ChatSession", "messages { edges { node { id } } }")), {"id": "chat"})
case(node(on("ChatSession", "contentItem { title module { title } }")), {"id": "draft_chat"})
for which in ("prompt", "child_prompt"):
    case(node(on("Prompt", f"{PROMPT} creator {{ {USER} }} dependencies {{ childName "
                           "childVersion childLabel __typename }")), {"id": which})
# every field alone
for type_name, fields, which in (("Enrollment", ENROLLMENT, "enrollment"),
                                 ("ChatSession", CHAT, "chat"),
                                 ("ChatMessage", MESSAGE, "message"),
                                 ("Prompt", PROMPT, "prompt")):
    for name in fields.split():
        case(node(on(type_name, name)), {"id": which})
for name in USER.split():
    case(node(on("Enrollment", f"user {{ {name} }}")), {"id": "enrollment"})
# the viewer's enrollments and the directory, pages forward and back
for root, body in (("myEnrollments", f"{ENROLLMENT} user {{ displayName email }}"),
                   ("userDirectory", USER)):
    case(f"{{ {root}(first: 10) {{ {PAGE_INFO} edges {{ cursor node {{ {body} }} }} }} }}")
    case(f"{{ {root}(first: 1) {{ pageInfo {{ hasNextPage endCursor }} edges {{ node {{ id }} }}"
         " } }")
    case(f"query($n: Int) {{ {root}(first: $n) {{ edges {{ node {{ id }} }} }} }}", {"n": 0})
    case(f"query($a: String) {{ {root}(first: 2, after: $a) {{ edges {{ node {{ id }} }} }} }}",
         {"a": "not a cursor"})
    case(f"{{ {root} {{ edges {{ node {{ id }} }} }} }}")
case("query($a: String) { myEnrollments(first: 5, after: $a) { " + PAGE_INFO
     + " edges { node { id } } } }", {"a": "enrollment_cursor"})
case("query($a: String) { userDirectory(first: 2, after: $a) { " + PAGE_INFO
     + " edges { node { number } } } }", {"a": "number_cursor"})
case("query($n: Int) { userDirectory(last: $n) { " + PAGE_INFO + " edges { node { number email"
     " } } } }", {"n": 2})
case("query($n: Int, $b: String) { userDirectory(last: $n, before: $b) { edges { node { "
     "number } } } }", {"n": 1, "b": "number_cursor"})
# totalCount: the viewer's own rows, the whole directory, a session's messages
case("query($a: String) { myEnrollments(first: 1, after: $a) { totalCount nodes { id } } "
     "userDirectory(last: 1) { totalCount } }", {"a": "enrollment_cursor"})
case(node(on("ChatSession", "messages(first: 1) { totalCount nodes { role } }")),
     {"id": "chat"})
case("{ myEnrollments(first: 5) { edges { node { courseOffering { termName } user { "
     "hasGithub isActive } } } } }")
# the viewer's chats, newest first
case(f"{{ myChatSessions(first: 10) {{ {PAGE_INFO} edges {{ cursor node {{ {CHAT} }} }} }} }}")
for variables in ({"n": 1}, {"n": 1, "a": "chat_cursor"}, {"n": 0}, {"n": 2, "a": "x"}):
    case("query($n: Int, $a: String) { myChatSessions(first: $n, after: $a) { " + PAGE_INFO
         + " nodes { id messages(first: 1) { nodes { content } } } } }", variables)
# users by id (anyone's, private fields for themselves and admins) and the admins' list
for which in ("learner_user", "other_user", "upper_user", "missing_user"):
    case(node(on("User", USER)), {"id": which})
# the viewer's notes and flashcards (oldest first, on one course when asked), and by id
NOTE = "id title body courseId contentItemId createdAt updatedAt __typename"
CARD = ("id front back courseId contentItemId createdAt updatedAt lastReview { grade reviewedAt "
        "nextReviewAt __typename } __typename")
for root, body in (("myNotes", NOTE), ("myFlashcards", CARD)):
    case(f"{{ {root}(first: 10) {{ {PAGE_INFO} totalCount edges {{ cursor node {{ {body} }} }} "
         "} }")
    for variables in ({"c": "course"}, {"c": "draft_course_number"}, {"c": None},
                      {"c": "course", "a": "note_cursor"}, {"c": "chat"}, {"c": "0"}):
        case(f"query($c: ID, $a: String) {{ {root}(courseId: $c, first: 2, after: $a) {{ "
             f"{PAGE_INFO} totalCount nodes {{ id courseId }} }} }}", variables)
    case(f"query($n: Int) {{ {root}(last: $n) {{ {PAGE_INFO} nodes {{ id }} }} }}", {"n": 1})
case("{ myNotes { nodes { id } } }")
for which in ("course_note", "draft_course_note", "other_note", "course_card", "other_card"):
    case(node(on("Note", NOTE) + " " + on("Flashcard", CARD.replace("courseId", "card: courseId")
                                          .replace("contentItemId", "item: contentItemId"))),
         {"id": which})
# a course's reviews: NOT_FOUND for a course the viewer may not see (or none)
REVIEW = "id rating review courseId createdAt updatedAt author { displayName email } __typename"
REVIEWS = ("query($c: ID!, $n: Int, $a: String, $l: Int) { courseReviews(courseId: $c, first: "
           f"$n, after: $a, last: $l) {{ {PAGE_INFO} totalCount edges {{ cursor node {{ {REVIEW} "
           "} } } }")
for variables in ({"c": "course", "n": 10}, {"c": "draft_course", "n": 10},
                  {"c": "course_number", "n": 1}, {"c": "missing_course", "n": 5},
                  {"c": "course", "l": 1}, {"c": "chat", "n": 5}):
    case(REVIEWS, variables)
for which in ("course_review", "draft_course_review"):
    case(node(on("CourseReview", REVIEW)), {"id": which})
# a course's discussions, for its members (staff, the enrolled): FORBIDDEN for others
POST = "id body threadId parentPostId createdAt updatedAt author { displayName } __typename"
THREAD = ("id title body courseId contentItemId createdAt updatedAt author { displayName } "
          "__typename")
THREADS = ("query($c: ID!) { discussionThreads(courseId: $c, first: 10) { " + PAGE_INFO
           + f" totalCount edges {{ cursor node {{ {THREAD} posts(first: 2) {{ {PAGE_INFO} "
           f"totalCount nodes {{ {POST} }} }} }} }} }} }}")
for which in ("course", "draft_course", "missing_course", "chat"):
    case(THREADS, {"c": which})
for variables in ({"id": "course_thread", "a": "post_cursor", "n": 2},
                  {"id": "course_thread", "l": 1}, {"id": "draft_course_thread", "n": 5}):
    case("query($id: ID!, $n: Int, $a: String, $l: Int) { node(id: $id) { ... on "
         "DiscussionThread { title posts(first: $n, after: $a, last: $l) { " + PAGE_INFO
         + " edges { cursor node { body parentPostId } } } } } }", variables)
for which in ("course_thread", "course_post", "draft_course_post"):
    case(node(on("DiscussionThread", THREAD) + " "
              + on("DiscussionPost", POST.replace("body", "text: body"))), {"id": which})
# the viewer's progress, oldest first, in one offering when asked (NOT_FOUND for none)
MODULE_PROGRESS = ("id moduleId courseOfferingId progressPercent startedAt completedAt "
                   "updatedAt __typename")
CONTENT_PROGRESS = MODULE_PROGRESS.replace("moduleId", "contentItemId timeSpentSeconds")
PROGRESS = "query($o: ID, $a: String, $n: Int, $l: Int) { %s(courseOfferingId: $o, first: $n, " \
    "after: $a, last: $l) { " + PAGE_INFO + " totalCount edges { cursor node { %s } } } }"
for root, model, body in (("myModuleProgress", "ModuleProgress", MODULE_PROGRESS),
                          ("myContentProgress", "ContentProgress", CONTENT_PROGRESS)):
    for variables in ({"n": 10}, {"o": "offering", "n": 10}, {"o": "offering_number", "n": 1},
                      {"o": "missing_offering", "n": 5}, {"n": 1, "a": f"{model}_cursor"},
                      {"l": 1}, {"o": "chat", "n": 2}):
        case(PROGRESS % (root, body), variables)
    for which in (model, f"other_{model}"):
        case(node(on(model, body)), {"id": which})
# feature requests: the viewer's own, everyone's for instructors and admins (a status when
# asked), newest first, pages forward
FEATURE = ("id number title description status adminNotes createdAt updatedAt userNumber "
           "userName userEmail user { displayName } __typename")
MINE = ("query($n: Int, $a: String) { myFeatureRequests(first: $n, after: $a) { " + PAGE_INFO
        + f" totalCount edges {{ cursor node {{ {FEATURE} }} }} }} }}")
ALL = ("query($s: FeatureRequestStatus, $n: Int, $a: String) { featureRequests(status: $s, "
       f"first: $n, after: $a) {{ {PAGE_INFO} totalCount nodes {{ {FEATURE} }} }} }}")
for variables in ({"n": 10}, {"n": 1}, {"n": 1, "a": "feature_cursor"}, {"n": 2, "a": "x"}):
    case(MINE, variables)
for variables in ({"n": 10}, {"s": "PENDING", "n": 10}, {"s": "PLANNED", "n": 1},
                  {"n": 2, "a": "feature_cursor"}, {"s": "planned", "n": 1}):
    case(ALL, variables)
case("{ featureRequests(status: DECLINED, first: 5) { nodes { title status } } }")
for which in ("feature", "other_feature"):
    case(node(on("FeatureRequest", FEATURE)), {"id": which})
# a shared chat, for anyone holding its token (NOT_FOUND for another)
SHARED = ("query($t: String!) { sharedChatSession(token: $t) { contentItemId contentContext "
          "createdAt messages { role content createdAt __typename } __typename } }")
for token in ("tok", "nope"):
    case(SHARED, {"t": token})
# a user's onboarding answers and subjects: for the user and admins (null for others)
ABOUT = ("query($id: ID!) { node(id: $id) { ... on User { displayName profile { dateOfBirth "
         "learningGoal studyLevel grade __typename } subjectPreferences } } }")
LISTS = ("query($id: ID!, $a: String) { node(id: $id) { ... on User { enrollments(first: 10, "
         "after: $a) { " + PAGE_INFO + " totalCount edges { cursor node { id status } } } "
         "progress(first: 5) { totalCount nodes { id progressPercent } } } } }")
for which in ("learner_user", "other_user"):
    case(ABOUT, {"id": which})
    case(LISTS, {"id": which})
case(LISTS, {"id": "learner_user", "a": "enrollment_cursor"})
case("query($id: ID!, $o: ID) { node(id: $id) { ... on User { progress(courseOfferingId: $o, "
     "first: 5) { nodes { id } } } } }", {"id": "learner_user", "o": "offering"})
# a learner's quiz attempts and activity by id: for themselves and admins
DONE = (on("QuizAttempt", "id contentItemId score passed answers submittedAt __typename") + " "
        + on("LearningActivity", "id kind summary occurredAt localDate courseId moduleId "
             "item: contentItemId __typename"))
DONE += " " + on("LabSubmission", "id lab: contentItemId submission status labScore: score "
                 "feedback gradedAt createdAt __typename")
for which in ("attempt0", "attempt1", "attempt2", "activity", "other_activity", "lab",
              "other_lab"):
    case(node(DONE), {"id": which})
# a user by number (signed-in viewers; NOT_FOUND for a number nobody has), and out of Int
BY_NUMBER = f"query($n: Int!) {{ userByNumber(number: $n) {{ {USER} }} }}"
for number in ("learner_number", 10 ** 6, 0, -1, 2 ** 31, "12", True):
    case(BY_NUMBER, {"n": number})
case("{ userByNumber(number: 1) { number displayName } }")
case("query($ids: [ID!]!) { nodes(ids: $ids) { ... on User { id email } ... on Enrollment { "
     "user { id } } } }", {"ids": ["other_user", "enrollment", "learner_user"]})
case(f"{{ users(first: 10) {{ {PAGE_INFO} edges {{ cursor node {{ {USER} }} }} }} }}")
case("query($a: String) { users(first: 2, after: $a) { " + PAGE_INFO + " nodes { id email } } }",
     {"a": "user_cursor"})
case("query($n: Int, $b: String) { users(last: $n, before: $b) { " + PAGE_INFO
     + " edges { cursor node { displayName } } } }", {"n": 2, "b": "user_cursor"})
case("query($n: Int) { users(last: $n) { " + PAGE_INFO + " edges { node { id } } } }", {"n": 3})
case("query($a: String) { users(first: 2, after: $a) { edges { node { id } } } }",
     {"a": "number_cursor"})
# lists of ids of every kind, aliases and fragments
for ids in (["enrollment", "chat", "message", "prompt"], ["other_enrollment", "other_chat"],
            ["missing_chat", "prompt", "other_message"]):
    case(f"query($ids: [ID!]!) {{ nodes(ids: $ids) {{ __typename id {ANY} }} }}", {"ids": ids})
case("query($id: ID!) { a: node(id: $id) { ...E } b: myEnrollments(first: 1) { e: edges { "
     "n: node { ...E } } } } fragment E on Enrollment { i: id s: status u: user { ...U } } "
     "fragment U on User { n: displayName m: email }", {"id": "enrollment"})
case("query($id: ID!, $yes: Boolean!) { node(id: $id) { ... on ChatSession { cacheState "
     "@include(if: $yes) messages(first: 5) @skip(if: $yes) { edges { node { id } } } } } }",
     {"id": "chat", "yes": True})
case("query($id: ID!, $yes: Boolean!) { node(id: $id) { ... on ChatSession { cacheState "
     "@include(if: $yes) messages(first: 5) @skip(if: $yes) { edges { node { id } } } } } }",
     {"id": "chat", "yes": False})


async def seed(services) -> tuple[dict, dict]:
    """Four people (a learner, an instructor, an admin, another learner), enrollments,
    two learners' chats with messages (one on a draft course's item), prompts with a
    dependency; returns the ids and each viewer's headers."""
    learner, learner_headers = await user_with_headers(services, "learner@example.com")
    teacher, teacher_headers = await user_with_headers(services, "teacher@example.com",
                                                       ["INSTRUCTOR"])
    _, admin_headers = await user_with_headers(services, "admin@example.com",
                                               ["PLATFORM_ADMIN"])
    other, _ = await user_with_headers(services, "other@example.com")
    async with services.db.transaction() as session:
        await session.execute(update(User).where(User.id == learner.id).values(
            display_name="Lena", avatar_url="https://img.example/l.png", github_id=42,
            locale="de", time_zone="Europe/Berlin", last_activity_date=date(2026, 3, 1)))
    kind = await add(services, ContentType, name="video", label="Video")
    # The learner's onboarding answers and subjects (the other learner has none).
    subjects = await add_many(services, Subject, [{"name": n} for n in ("Maths", "Art")])
    async with services.db.transaction() as session:
        session.add(UserProfile(user_id=learner.id, date_of_birth=date(2001, 2, 3),
                                learning_goal="ACADEMIC", study_level="UNDERGRADUATE"))
        session.add_all([UserSubjectPreference(user_id=learner.id, subject_id=s)
                         for s in reversed(subjects)])
    ids: dict = {}
    for published in (True, False):
        course = await add(services, Course, title=f"course {published}", code="C",
                           is_published=published,
                           created_by_id=teacher.id if published else None)
        module = await add(services, Module, course_id=course.id, title="m", sequence_index=0)
        item = await add(services, ContentItem, module_id=module.id, course_id=course.id,
                         content_type_id=kind.id, title=f"item {published}", sequence_index=0)
        # Notes and flashcards: the learner's on both courses, the other learner's on one.
        owners = (learner, learner, other) if published else (learner,)
        notes = await add_many(services, Note, [
            {"user_id": u.id, "course_id": course.id, "title": f"note {n}" if n else "",
             "body": f"body {n}", "content_item_id": item.id if n == 1 else None}
            for n, u in enumerate(owners)])
        cards = await add_many(services, Flashcard, [
            {"user_id": u.id, "course_id": course.id, "front": f"front {n}",
             "back": f"back {n}", "content_item_id": item.id if n == 1 else None}
            for n, u in enumerate(owners)])
        await add_many(services, FlashcardReview, [
            {"flashcard_id": cards[0], "user_id": learner.id, "grade": grade,
             "reviewed_at": datetime(2026, 3, day, 10, tzinfo=UTC),
             "next_review_at": datetime(2026, 3, day + 6, tzinfo=UTC) if day > 1 else None}
            for grade, day in ((2, 1), (5, 2))])
        reviews = await add_many(services, CourseReview, [
            {"user_id": u.id, "course_id": course.id, "rating": 5 - n, "review": f"review {n}"}
            for n, u in enumerate(owners[1:] if published else owners)])
        key = "course" if published else "draft_course"
        ids[f"{key}_review"] = relay.to_base64("CourseReview", reviews[0])
        threads = await add_many(services, DiscussionThread, [
            {"user_id": u.id, "course_id": course.id, "title": f"thread {n}", "body": "b",
             "content_item_id": item.id if n else None} for n, u in enumerate(owners[:2])])
        posts = await add_many(services, DiscussionPost, [
            {"user_id": u.id, "thread_id": threads[0], "body": f"post {n}"}
            for n, u in enumerate((learner, teacher, other))])
        await add_many(services, DiscussionPost, [
            {"user_id": learner.id, "thread_id": threads[0], "body": "reply",
             "parent_post_id": posts[1]}])
        ids.update({f"{key}_thread": relay.to_base64("DiscussionThread", threads[0]),
                    f"{key}_post": relay.to_base64("DiscussionPost", posts[1])})
        if published:
            ids["post_cursor"] = encode_cursor([posts[0]])
        ids.update({key: relay.to_base64("Course", course.id), f"{key}_number": str(course.id),
                    f"{key}_note": relay.to_base64("Note", notes[0]),
                    f"{key}_card": relay.to_base64("Flashcard", cards[0])})
        if published:
            ids.update(other_note=relay.to_base64("Note", notes[2]),
                       other_card=relay.to_base64("Flashcard", cards[2]),
                       note_cursor=encode_cursor([notes[0]]))
        if not published:
            draft = await add(services, ChatSession, user_id=learner.id,
                              content_item_id=item.id, content_context={"title": "d"})
            ids["draft_chat"] = relay.to_base64("ChatSession", draft.id)
            ids["chat_cursor"] = encode_cursor([draft.id])  # the learner's newest
            offering = await add(services, CourseOffering, course_id=course.id,
                                 term_name="Draft term", visibility="PRIVATE")
            enrolled = await add(services, Enrollment, user_id=learner.id,
                                 course_offering_id=offering.id)
            ids["draft_enrollment"] = relay.to_base64("Enrollment", enrolled.id)
            continue
        offerings = await add_many(services, CourseOffering, [
            {"course_id": course.id, "term_name": f"Term {v}", "visibility": v,
             "starts_at": datetime(2026, 1, 5, 9, tzinfo=UTC)} for v in ("PUBLIC", "PRIVATE")])
        enrollments = await add_many(services, Enrollment, [
            {"user_id": learner.id, "course_offering_id": offerings[0], "status": "ACTIVE"},
            {"user_id": learner.id, "course_offering_id": offerings[1], "status": "COMPLETED",
             "completed_at": datetime(2026, 2, 3, 4, 5, 6, 789, tzinfo=UTC)},
            {"user_id": other.id, "course_offering_id": offerings[0], "status": "DROPPED"}])
        [cached] = await add_many(services, ChatCacheNode, [{
            "content_item_id": item.id, "prompt_key": "p", "model": "m", "message_hash": "h",
            "sequence": 0, "chunks": [], "full_text": ""}])
        chats = []
        for owner in (learner, other):
            # The other learner's chat stands on a node of the response cache.
            chat = await add(services, ChatSession, user_id=owner.id, content_item_id=item.id,
                             content_context={"title": "item", "data_json": {"n": [1, 2]}},
                             share_enabled=owner is other, share_token="tok" if owner is other
                             else None, cache_node_id=cached if owner is other else None)
            chats.append(chat.id)
        messages = await add_many(services, ChatMessage, [
            {"session_id": chats[n % 2], "role": ("user", "assistant")[n % 2 and 1],
             "content": f"message {n}", "meta": {"source": "llm"} if n % 2 else {}}
            for n in range(6)])
        # Progress: the learner's in both offerings, the other learner's in one.
        for model, column, row in ((ModuleProgress, "module_id", module.id),
                                   (ContentProgress, "content_item_id", item.id)):
            made = await add_many(services, model, [
                {"user_id": u.id, column: row, "course_offering_id": o, "progress_percent": p,
                 "completed_at": datetime(2026, 3, 4, tzinfo=UTC) if p == 100 else None}
                for u, o, p in ((learner, offerings[0], 40), (learner, offerings[1], 100),
                                (other, offerings[0], 10))])
            ids.update({f"{model.__name__}": relay.to_base64(model.__name__, made[0]),
                        f"other_{model.__name__}": relay.to_base64(model.__name__, made[2]),
                        f"{model.__name__}_cursor": encode_cursor([made[0]])})
        attempts = await add_many(services, QuizAttempt, [
            {"user_id": u.id, "content_item_id": item.id, "course_offering_id": offerings[0],
             "score": score, "passed": score >= 60, "answers": {"q1": "b"}}
            for u, score in ((learner, 85.5), (learner, 100), (other, 40))])
        activity = await add_many(services, LearningActivity, [
            {"user_id": u.id, "kind": "NOTE", "summary": "wrote", "course_id": course.id,
             "occurred_at": datetime(2026, 3, 1, 23, 30, tzinfo=UTC),
             "local_date": date(2026, 3, 2), "content_item_id": item.id}
            for u in (learner, other)])
        ids.update({f"attempt{n}": relay.to_base64("QuizAttempt", a)
                    for n, a in enumerate(attempts)})
        labs = await add_many(services, LabSubmission, [
            {"user_id": u.id, "content_item_id": item.id, "submission": "print(1)",
             "status": status, "score": score, "feedback": "good" if score else None,
             "graded_at": datetime(2026, 3, 3, tzinfo=UTC) if score else None}
            for u, status, score in ((learner, "GRADED", 92.25), (other, "SUBMITTED", None))])
        ids.update(lab=relay.to_base64("LabSubmission", labs[0]),
                   other_lab=relay.to_base64("LabSubmission", labs[1]))
        ids.update(activity=relay.to_base64("LearningActivity", activity[0]),
                   other_activity=relay.to_base64("LearningActivity", activity[1]))
        ids.update(offering=relay.to_base64("CourseOffering", offerings[1]),
                   offering_number=str(offerings[0]),
                   missing_offering=relay.to_base64("CourseOffering", 10 ** 9))
        ids.update(enrollment=relay.to_base64("Enrollment", enrollments[0]),
                   other_enrollment=relay.to_base64("Enrollment", enrollments[2]),
                   enrollment_cursor=encode_cursor([enrollments[0]]),
                   chat=relay.to_base64("ChatSession", chats[0]),
                   other_chat=relay.to_base64("ChatSession", chats[1]),
                   message=relay.to_base64("ChatMessage", messages[0]),
                   other_message=relay.to_base64("ChatMessage", messages[1]),
                   message_cursor=encode_cursor([messages[0]]))
    # Feature requests, two of them sent at the same moment (ordered by id then).
    asked = await add_many(services, FeatureRequest, [
        {"user_id": u.id, "title": f"idea {n}", "description": "a long enough idea",
         "status": status, "admin_notes": "soon" if status == "planned" else None,
         "created_at": datetime(2026, 3, day, tzinfo=UTC)}
        for n, (u, status, day) in enumerate(((learner, "pending", 1), (learner, "planned", 2),
                                              (other, "pending", 2), (teacher, "declined", 3)))])
    ids.update(feature=relay.to_base64("FeatureRequest", asked[0]),
               other_feature=relay.to_base64("FeatureRequest", asked[2]),
               feature_cursor=encode_cursor(["2026-03-02T00:00:00+00:00", asked[2]]))
    parent = await add(services, Prompt, name="tutor", version=1, prompt="Hi @@@child@@@",
                       config={"temperature": 0.5}, labels=["production"], tags=["a", "b"],
                       commit_message="first", created_by=teacher.id)
    child = await add(services, Prompt, name="child", version=3, type="chat", prompt="[]",
                      config={}, labels=[], tags=[])
    await add_many(services, PromptDependency, [
        {"parent_id": parent.id, "child_name": "child", "child_label": "production"},
        {"parent_id": parent.id, "child_name": "other", "child_version": 2}])
    async with services.db.session() as session:
        seen = await session.get(User, learner.id)
        number = seen.number
    ids.update(learner_user=relay.to_base64("User", str(learner.id)),
               other_user=relay.to_base64("User", str(other.id)),
               upper_user=relay.to_base64("User", str(other.id).upper()),
               missing_user=relay.to_base64("User", "00000000-0000-4000-8000-000000000000"),
               user_cursor=encode_cursor([seen.created_at.isoformat(), str(seen.id)]))
    ids.update(prompt=relay.to_base64("Prompt", parent.id),
               child_prompt=relay.to_base64("Prompt", child.id),
               missing_enrollment=relay.to_base64("Enrollment", 10 ** 9),
               missing_chat=relay.to_base64("ChatSession", 10 ** 9),
               number_cursor=encode_cursor([number]), learner_number=number,
               missing_course=relay.to_base64("Course", 10 ** 9))
    return ids, {"anonymous": {}, "learner": learner_headers, "instructor": teacher_headers,
                 "admin": admin_headers}


def resolve(value, ids: dict):
    if isinstance(value, dict):
        return {k: resolve(v, ids) for k, v in value.items()}
    if isinstance(value, list):
        return [resolve(v, ids) for v in value]
    return ids.get(value, value) if isinstance(value, str) else value


async def test_people_answer_the_same_bytes_on_both_paths(server, general, clean_db,
                                                          services):
    ids, viewers = await seed(services)
    planned_count = 0
    planned_for = set()
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
                reads = without_sign_in(statements)
                if any("json_build_object" in s for s in reads) and len(reads) > 1:
                    # A required row not visible: the general path answers with its error.
                    assert b'"errors"' in both.answer.content, (viewer, query, variables)
                elif any("json_build_object" in s for s in reads):
                    planned_count += 1
                    planned_for.add((viewer, query, str(variables)))
    assert mismatches == []
    # Most answers come from plans; the rest are the general path's refusals (the viewer's
    # own lists refused to anonymous visitors, the triage list to learners, bad values).
    assert planned_count >= len(CORPUS) * 4 * 2 // 3, planned_count
    for viewer in ("learner", "instructor", "admin"):
        assert (viewer, BY_NUMBER, str({"n": "learner_number"})) in planned_for, viewer
    for viewer in ("anonymous", "learner", "instructor", "admin"):
        assert (viewer, REVIEWS, str({"c": "course", "n": 10})) in planned_for, viewer
    for viewer in ("learner", "instructor", "admin"):
        assert (viewer, THREADS, str({"c": "course"})) in planned_for, viewer
    for viewer in ("anonymous", "learner", "instructor", "admin"):
        assert (viewer, SHARED, str({"t": "tok"})) in planned_for, viewer
        assert (viewer, ABOUT, str({"id": "learner_user"})) in planned_for, viewer
        assert (viewer, LISTS, str({"id": "learner_user"})) in planned_for, viewer
        for which in ("attempt0", "attempt1", "activity"):
            assert (viewer, node(DONE), str({"id": which})) in planned_for, viewer
    for viewer in ("learner", "instructor", "admin"):
        assert (viewer, MINE, str({"n": 10})) in planned_for, viewer
    for viewer in ("instructor", "admin"):
        assert (viewer, ALL, str({"s": "PENDING", "n": 10})) in planned_for, viewer
    for root, body in (("myModuleProgress", MODULE_PROGRESS),
                       ("myContentProgress", CONTENT_PROGRESS)):
        for variables in ({"n": 10}, {"o": "offering", "n": 10}):
            assert ("learner", PROGRESS % (root, body), str(variables)) in planned_for
    mine = [(q, v) for q, v in CORPUS if "myNotes(courseId" in q or "myFlashcards(courseId" in q]
    for query, variables in mine:
        if variables["c"] in ("course", "draft_course_number", None):
            assert ("learner", query, str(variables)) in planned_for, (query, variables)


async def test_a_users_private_fields_are_theirs_and_admins_on_the_planned_path(
        server, clean_db, services):
    ids, viewers = await seed(services)
    body = {"query": node(on("Enrollment", "user { displayName email locale timeZone "
                                           "lastActivityDate }")),
            "variables": {"id": ids["enrollment"]}}
    seen = {}
    async with httpx.AsyncClient(base_url=server.base_url, timeout=30) as http:
        for viewer in ("learner", "instructor", "admin"):
            await http.post("/graphql", json=body, headers=viewers[viewer])
            with count_statements(services) as counter:
                answer = (await http.post("/graphql", json=body,
                                          headers=viewers[viewer])).json()
            assert any("json_build_object" in s for s in counter.statements)
            seen[viewer] = answer["data"]["node"]["user"]
    private = {"email": "learner@example.com", "locale": "de", "timeZone": "Europe/Berlin",
               "lastActivityDate": "2026-03-01"}
    assert seen["learner"] == seen["admin"] == {"displayName": "Lena", **private}
    # An instructor sees the enrollment, not the learner's private fields.
    assert seen["instructor"] == {"displayName": "Lena", **dict.fromkeys(private)}


async def test_users_by_id_the_admins_list_and_the_newest_chats_first_are_planned(
        server, clean_db, services):
    """A user by ``node`` (anyone's), the admins' ``users`` list in sign-up order (back from
    the end too) and ``myChatSessions`` newest first, each one planned statement."""
    ids, viewers = await seed(services)
    asked = [
        ("anonymous", node(on("User", "displayName email")), {"id": ids["learner_user"]}),
        ("admin", "{ users(first: 10) { totalCount nodes { email } } }", {}),
        ("admin", "{ users(last: 2) { pageInfo { hasPreviousPage } nodes { email } } }", {}),
        ("learner", "{ myChatSessions(first: 5) { totalCount nodes { id } } }", {}),
    ]
    answers = []
    async with httpx.AsyncClient(base_url=server.base_url, timeout=30) as http:
        for viewer, query, variables in asked:
            body = {"query": query, "variables": variables}
            await http.post("/graphql", json=body, headers=viewers[viewer])
            with count_statements(services) as counter:
                answers.append((await http.post("/graphql", json=body,
                                                headers=viewers[viewer])).json()["data"])
            reads = without_sign_in(counter.statements)
            assert len(reads) == 1 and "json_build_object" in reads[0], query
    emails = ["learner@example.com", "teacher@example.com", "admin@example.com",
              "other@example.com"]
    assert answers[0] == {"node": {"__typename": "User", "displayName": "Lena", "email": None}}
    assert answers[1] == {"users": {"totalCount": 4, "nodes": [{"email": e} for e in emails]}}
    assert answers[2] == {"users": {"pageInfo": {"hasPreviousPage": True},
                                    "nodes": [{"email": e} for e in emails[2:]]}}
    assert answers[3] == {"myChatSessions": {"totalCount": 2, "nodes": [
        {"id": ids["draft_chat"]}, {"id": ids["chat"]}]}}


async def test_a_learner_enrolled_in_a_draft_course_reads_its_stats_with_it(
        server, clean_db, services):
    """The course of an offering its learner is enrolled in is theirs to read though it is
    a draft, and what it holds follows it: its stats, offerings and tree (they answered
    NOT_FOUND)."""
    ids, viewers = await seed(services)
    body = {"query": node(on("Enrollment", "courseOffering { course { title isPublished "
                                           "stats { totalEnrollments offeringsCount } "
                                           "offerings(first: 5) { nodes { termName } } "
                                           "modules(first: 5) { nodes { title } } } }")),
            "variables": {"id": ids["draft_enrollment"]}}
    async with httpx.AsyncClient(base_url=server.base_url, timeout=30) as http:
        for _ in range(2):  # the second after any plan was learned
            answer = (await http.post("/graphql", json=body,
                                      headers=viewers["learner"])).json()
            assert "errors" not in answer, answer
            assert answer["data"]["node"]["courseOffering"]["course"] == {
                "title": "course False", "isPublished": False,
                "stats": {"totalEnrollments": 1, "offeringsCount": 1},
                # A PRIVATE offering is listed for authors alone, as for any course.
                "offerings": {"nodes": []}, "modules": {"nodes": [{"title": "m"}]}}
