"""Community over GraphQL: notes, flashcards and reviews of them, discussions, course ratings."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select, update
from strawberry import relay

from models.community import DiscussionPost, Note
from models.course import Course, Enrollment
from models.learning import LearningActivity
from resolvers.community import next_interval_days
from tests.fixtures import bearer_for, create_user, error_codes, gql, gql_raw
from tests.twosigma.learner_helpers import course, enroll, offering


def g(type_name: str, value: int) -> str:
    return relay.to_base64(type_name, str(value))


@pytest.fixture
async def world(client, services, user):
    cs = await course(services)
    term = await offering(services, cs)
    await enroll(services, user, term)
    bob = await create_user(services, email="bob@example.com", display_name="Bob")
    await enroll(services, bob, term)
    outsider = await create_user(services, email="out@example.com", display_name="Out")
    admin = await create_user(services, email="root@example.com", roles=["PLATFORM_ADMIN"])
    teacher = await create_user(services, email="t@example.com", display_name="Teach",
                                roles=["INSTRUCTOR"])
    return {"course": g("Course", cs.id), "course_id": cs.id,
            "ada": await bearer_for(services, user), "bob": await bearer_for(services, bob),
            "out": await bearer_for(services, outsider),
            "admin": await bearer_for(services, admin),
            "teacher": await bearer_for(services, teacher)}


async def kinds(services, user) -> list[str]:
    async with services.db.session() as session:
        return list((await session.execute(
            select(LearningActivity.kind).where(LearningActivity.user_id == user.id)
            .order_by(LearningActivity.id))).scalars())


CREATE_NOTE = """
mutation($input: CreateNoteInput!) {
  createNote(input: $input) { note { id title body courseId } }
}"""
UPDATE_NOTE = """
mutation($input: UpdateNoteInput!) { updateNote(input: $input) { note { title body } } }"""
DELETE_NOTE = "mutation($id: ID!) { deleteNote(id: $id) { deletedId } }"
MY_NOTES = """
query($c: ID, $first: Int, $after: String, $last: Int, $before: String) {
  myNotes(courseId: $c, first: $first, after: $after, last: $last, before: $before) {
    totalCount edges { node { title } }
    pageInfo { hasNextPage hasPreviousPage endCursor startCursor }
  }
}"""
NODE = "query($id: ID!) { node(id: $id) { id } }"


async def test_notes_crud_is_private_to_the_author(client, services, user, world):
    data = await gql(client, CREATE_NOTE, {"input": {"courseId": world["course"],
                                                     "title": "Recursion", "body": "Base case"}},
                     headers=world["ada"])
    note = data["createNote"]["note"]
    assert (note["title"], note["body"], note["courseId"]) == ("Recursion", "Base case",
                                                               world["course"])
    assert await kinds(services, user) == ["NOTE"]

    for who in ("bob", "admin"):
        body = await gql_raw(client, UPDATE_NOTE, {"input": {"id": note["id"], "body": "x"}},
                             headers=world[who])
        assert error_codes(body) == ["NOT_FOUND"], who
    assert await stored_notes(services) == [("Recursion", "Base case")]
    assert (await gql(client, NODE, {"id": note["id"]}, headers=world["bob"]))["node"] is None
    assert (await gql(client, NODE, {"id": note["id"]}, headers=world["ada"]))["node"] == {
        "id": note["id"]}

    data = await gql(client, UPDATE_NOTE, {"input": {"id": note["id"], "body": "Base case!"}},
                     headers=world["ada"])
    assert data["updateNote"]["note"] == {"title": "Recursion", "body": "Base case!"}
    assert error_codes(await gql_raw(client, UPDATE_NOTE, {"input": {"id": note["id"],
                                                                     "body": "  "}},
                                     headers=world["ada"])) == ["BAD_USER_INPUT"]
    assert error_codes(await gql_raw(client, DELETE_NOTE, {"id": note["id"]},
                                     headers=world["bob"])) == ["NOT_FOUND"]
    assert await stored_notes(services) == [("Recursion", "Base case!")]
    data = await gql(client, DELETE_NOTE, {"id": note["id"]}, headers=world["ada"])
    assert data["deleteNote"]["deletedId"] == note["id"]
    assert error_codes(await gql_raw(client, DELETE_NOTE, {"id": note["id"]},
                                     headers=world["ada"])) == ["NOT_FOUND"]
    assert await stored_notes(services) == []


async def stored_notes(services) -> list[tuple[str, str]]:
    async with services.db.session() as session:
        return list((await session.execute(select(Note.title, Note.body).order_by(Note.id))
                     ).all())


async def test_notes_need_membership_and_a_known_course(client, world):
    note = {"courseId": world["course"], "body": "b"}
    assert error_codes(await gql_raw(client, CREATE_NOTE, {"input": note})) == [
        "UNAUTHENTICATED"]
    assert error_codes(await gql_raw(client, CREATE_NOTE, {"input": note},
                                     headers=world["out"])) == ["FORBIDDEN"]
    assert error_codes(await gql_raw(client, CREATE_NOTE, {"input": {
        **note, "courseId": g("Course", 999)}}, headers=world["ada"])) == ["NOT_FOUND"]
    assert error_codes(await gql_raw(client, CREATE_NOTE, {"input": {
        **note, "contentItemId": g("ContentItem", 999)}}, headers=world["ada"])) == ["NOT_FOUND"]
    # Instructors may keep notes on any course.
    await gql(client, CREATE_NOTE, {"input": note}, headers=world["teacher"])


async def test_my_notes_paginate_and_filter(client, services, world):
    for i in range(5):
        await gql(client, CREATE_NOTE, {"input": {"courseId": world["course"], "title": f"N{i}",
                                                  "body": "b"}}, headers=world["ada"])
    await gql(client, CREATE_NOTE, {"input": {"courseId": world["course"], "body": "bob's"}},
              headers=world["bob"])
    page = (await gql(client, MY_NOTES, {"first": 2}, headers=world["ada"]))["myNotes"]
    assert [e["node"]["title"] for e in page["edges"]] == ["N0", "N1"]
    assert page["pageInfo"]["hasNextPage"] is True
    assert page["totalCount"] == 5  # the viewer's notes, not Bob's
    page = (await gql(client, MY_NOTES, {"first": 10, "after": page["pageInfo"]["endCursor"],
                                         "c": world["course"]}, headers=world["ada"]))["myNotes"]
    assert [e["node"]["title"] for e in page["edges"]] == ["N2", "N3", "N4"]
    assert page["pageInfo"] == {**page["pageInfo"], "hasNextPage": False,
                                "hasPreviousPage": True}
    back = (await gql(client, MY_NOTES, {"last": 2, "before": page["pageInfo"]["startCursor"]},
                      headers=world["ada"]))["myNotes"]
    assert [e["node"]["title"] for e in back["edges"]] == ["N0", "N1"]
    assert page["totalCount"] == back["totalCount"] == 5
    other = (await gql(client, MY_NOTES, {"first": 10, "c": g("Course", 999)},
                       headers=world["ada"]))["myNotes"]
    assert (other["edges"], other["totalCount"]) == ([], 0)
    for bad in ({}, {"first": 0}, {"first": 101}, {"first": 1, "after": "zzz"}):
        assert error_codes(await gql_raw(client, MY_NOTES, bad,
                                         headers=world["ada"])) == ["BAD_USER_INPUT"], bad


# --- flashcards ----------------------------------------------------------------------------

CREATE_CARD = """
mutation($input: CreateFlashcardInput!) {
  createFlashcard(input: $input) { flashcard { id front back lastReview { grade } } }
}"""
UPDATE_CARD = """
mutation($input: UpdateFlashcardInput!) { updateFlashcard(input: $input) { flashcard { back } } }"""
DELETE_CARD = "mutation($id: ID!) { deleteFlashcard(id: $id) { deletedId } }"
REVIEW = """
mutation($input: ReviewFlashcardInput!) {
  reviewFlashcard(input: $input) {
    review { grade reviewedAt nextReviewAt }
    flashcard { lastReview { grade } }
  }
}"""
MY_CARDS = ("{ myFlashcards(first: 10) { totalCount edges { node { front lastReview { grade } } } "
            "} }")


def test_sm2_intervals():
    assert next_interval_days([5]) == 1
    assert next_interval_days([5, 5]) == 6
    assert next_interval_days([5, 5, 5]) == 16  # 6 * 2.7: easiness grew 0.1 per perfect grade
    assert next_interval_days([4, 4, 4]) == 15  # easiness stays 2.5
    assert next_interval_days([5, 5, 2]) == 1
    assert next_interval_days([5, 5, 2, 4]) == 1
    assert next_interval_days([5, 5, 2, 4, 4]) == 6
    assert next_interval_days([0]) == 1


async def test_flashcards_crud_and_review(client, services, user, world):
    data = await gql(client, CREATE_CARD, {"input": {"courseId": world["course"],
                                                     "front": "2+2", "back": "4"}},
                     headers=world["ada"])
    card = data["createFlashcard"]["flashcard"]
    assert (card["front"], card["back"], card["lastReview"]) == ("2+2", "4", None)
    data = await gql(client, UPDATE_CARD, {"input": {"id": card["id"], "back": "four"}},
                     headers=world["ada"])
    assert data["updateFlashcard"]["flashcard"]["back"] == "four"
    assert error_codes(await gql_raw(client, UPDATE_CARD, {"input": {"id": card["id"],
                                                                     "back": "x"}},
                                     headers=world["bob"])) == ["NOT_FOUND"]

    first = (await gql(client, REVIEW, {"input": {"id": card["id"], "grade": 5}},
                       headers=world["ada"]))["reviewFlashcard"]
    reviewed = datetime.fromisoformat(first["review"]["reviewedAt"])
    due = datetime.fromisoformat(first["review"]["nextReviewAt"])
    assert due - reviewed == timedelta(days=1)
    assert first["flashcard"]["lastReview"] == {"grade": 5}
    second = (await gql(client, REVIEW, {"input": {"id": card["id"], "grade": 4}},
                        headers=world["ada"]))["reviewFlashcard"]["review"]
    assert (datetime.fromisoformat(second["nextReviewAt"])
            - datetime.fromisoformat(second["reviewedAt"])) == timedelta(days=6)
    assert (await gql(client, MY_CARDS, headers=world["ada"]))["myFlashcards"] == {
        "totalCount": 1, "edges": [{"node": {"front": "2+2", "lastReview": {"grade": 4}}}]}
    assert await kinds(services, user) == ["FLASHCARD_REVIEW", "FLASHCARD_REVIEW"]

    for grade in (-1, 6):
        assert error_codes(await gql_raw(client, REVIEW, {"input": {"id": card["id"],
                                                                    "grade": grade}},
                                         headers=world["ada"])) == ["BAD_USER_INPUT"]
    assert error_codes(await gql_raw(client, REVIEW, {"input": {"id": card["id"], "grade": 3}},
                                     headers=world["bob"])) == ["NOT_FOUND"]
    assert error_codes(await gql_raw(client, CREATE_CARD, {"input": {
        "courseId": world["course"], "front": "f", "back": "b"}},
        headers=world["out"])) == ["FORBIDDEN"]
    await gql(client, DELETE_CARD, {"id": card["id"]}, headers=world["ada"])
    assert (await gql(client, MY_CARDS, headers=world["ada"]))["myFlashcards"] == {
        "totalCount": 0, "edges": []}


async def test_flashcard_last_review_is_loaded_in_one_batch(client, services, world):
    from tests.fixtures import count_statements

    for i in range(4):
        card = (await gql(client, CREATE_CARD, {"input": {"courseId": world["course"],
                                                          "front": f"f{i}", "back": "b"}},
                          headers=world["ada"]))["createFlashcard"]["flashcard"]
        await gql(client, REVIEW, {"input": {"id": card["id"], "grade": i + 1}},
                  headers=world["ada"])
    # A document the server has not answered yet runs on the general path (its plan is
    # learned from that answer), then as its plan.
    query = "query LastReviews " + MY_CARDS
    counted = []
    for _ in range(2):
        with count_statements(services) as counter:
            data = await gql(client, query, headers=world["ada"])
        assert [e["node"]["lastReview"]["grade"] for e in data["myFlashcards"]["edges"]] == [
            1, 2, 3, 4]
        counted.append(len(counter))
    # The viewer, the page of cards, one batch of latest reviews, and their count; planned,
    # the viewer and one statement.
    assert counted == [4, 2], counted


# --- discussions ---------------------------------------------------------------------------

CREATE_THREAD = """
mutation($input: CreateDiscussionThreadInput!) {
  createDiscussionThread(input: $input) { thread { id title body author { fullName } } }
}"""
UPDATE_THREAD = """
mutation($input: UpdateDiscussionThreadInput!) {
  updateDiscussionThread(input: $input) { thread { title } }
}"""
DELETE_THREAD = "mutation($id: ID!) { deleteDiscussionThread(id: $id) { deletedId } }"
CREATE_POST = """
mutation($input: CreateDiscussionPostInput!) {
  createDiscussionPost(input: $input) { post { id body parentPostId author { fullName } } }
}"""
UPDATE_POST = """
mutation($input: UpdateDiscussionPostInput!) {
  updateDiscussionPost(input: $input) { post { body } }
}"""
DELETE_POST = "mutation($id: ID!) { deleteDiscussionPost(id: $id) { deletedId } }"
THREADS = """
query($c: ID!, $first: Int) {
  discussionThreads(courseId: $c, first: $first) {
    totalCount edges { node { title author { fullName }
      posts(first: 10) { totalCount edges { node { body author { fullName } } } } } }
    pageInfo { hasNextPage }
  }
}"""


async def test_discussions_for_members_with_own_edits_and_admin_moderation(
        client, services, user, world):
    thread = (await gql(client, CREATE_THREAD, {"input": {
        "courseId": world["course"], "title": "Week 1?", "body": "Anyone?"}},
        headers=world["ada"]))["createDiscussionThread"]["thread"]
    assert (thread["title"], thread["author"]) == ("Week 1?", {"fullName": "Ada"})
    post = (await gql(client, CREATE_POST, {"input": {"threadId": thread["id"],
                                                      "body": "Me!"}},
                      headers=world["bob"]))["createDiscussionPost"]["post"]
    reply = (await gql(client, CREATE_POST, {"input": {"threadId": thread["id"], "body": "Hi",
                                                       "parentPostId": post["id"]}},
                       headers=world["teacher"]))["createDiscussionPost"]["post"]
    assert reply["parentPostId"] == post["id"]
    assert await kinds(services, user) == ["DISCUSSION_POST"]

    data = (await gql(client, THREADS, {"c": world["course"], "first": 5},
                      headers=world["bob"]))["discussionThreads"]
    [edge] = data["edges"]
    assert edge["node"]["title"] == "Week 1?"
    assert (data["totalCount"], edge["node"]["posts"]["totalCount"]) == (1, 2)
    assert [(p["node"]["body"], p["node"]["author"]["fullName"])
            for p in edge["node"]["posts"]["edges"]] == [("Me!", "Bob"), ("Hi", "Teach")]

    # Outsiders can neither read nor write.
    assert error_codes(await gql_raw(client, THREADS, {"c": world["course"], "first": 5},
                                     headers=world["out"])) == ["FORBIDDEN"]
    assert error_codes(await gql_raw(client, CREATE_POST, {"input": {
        "threadId": thread["id"], "body": "x"}}, headers=world["out"])) == ["FORBIDDEN"]
    assert (await gql(client, NODE, {"id": thread["id"]}, headers=world["out"]))["node"] is None
    assert (await gql(client, NODE, {"id": post["id"]}, headers=world["out"]))["node"] is None
    assert (await gql(client, NODE, {"id": post["id"]}, headers=world["bob"]))["node"] == {
        "id": post["id"]}

    # Others cannot edit; the author and platform admins can.
    assert error_codes(await gql_raw(client, UPDATE_THREAD, {"input": {
        "id": thread["id"], "title": "Hijack"}}, headers=world["bob"])) == ["FORBIDDEN"]
    assert error_codes(await gql_raw(client, UPDATE_POST, {"input": {
        "id": post["id"], "body": "Hijack"}}, headers=world["ada"])) == ["FORBIDDEN"]
    data = await gql(client, UPDATE_THREAD, {"input": {"id": thread["id"], "title": "Week 1"}},
                     headers=world["ada"])
    assert data["updateDiscussionThread"]["thread"]["title"] == "Week 1"
    # An author who left the course can no longer edit (and so read posts through) it.
    async with services.db.transaction() as session:
        await session.execute(update(Enrollment).where(Enrollment.user_id == user.id)
                              .values(status="DROPPED"))
    assert error_codes(await gql_raw(client, UPDATE_THREAD, {"input": {
        "id": thread["id"], "title": "Back door"}}, headers=world["ada"])) == ["FORBIDDEN"]
    async with services.db.transaction() as session:
        await session.execute(update(Enrollment).where(Enrollment.user_id == user.id)
                              .values(status="ACTIVE"))
    data = await gql(client, UPDATE_POST, {"input": {"id": post["id"], "body": "[removed]"}},
                     headers=world["admin"])
    assert data["updateDiscussionPost"]["post"]["body"] == "[removed]"
    assert error_codes(await gql_raw(client, DELETE_POST, {"id": reply["id"]},
                                     headers=world["bob"])) == ["FORBIDDEN"]
    await gql(client, DELETE_POST, {"id": reply["id"]}, headers=world["teacher"])
    assert error_codes(await gql_raw(client, DELETE_THREAD, {"id": thread["id"]},
                                     headers=world["bob"])) == ["FORBIDDEN"]
    await gql(client, DELETE_THREAD, {"id": thread["id"]}, headers=world["admin"])
    assert error_codes(await gql_raw(client, CREATE_POST, {"input": {
        "threadId": thread["id"], "body": "late"}}, headers=world["bob"])) == ["NOT_FOUND"]


async def test_discussion_validation(client, world):
    assert error_codes(await gql_raw(client, CREATE_THREAD, {"input": {
        "courseId": world["course"], "title": " ", "body": "b"}},
        headers=world["ada"])) == ["BAD_USER_INPUT"]
    thread = (await gql(client, CREATE_THREAD, {"input": {
        "courseId": world["course"], "title": "t", "body": "b"}},
        headers=world["ada"]))["createDiscussionThread"]["thread"]
    other = (await gql(client, CREATE_THREAD, {"input": {
        "courseId": world["course"], "title": "t2", "body": "b"}},
        headers=world["ada"]))["createDiscussionThread"]["thread"]
    post = (await gql(client, CREATE_POST, {"input": {"threadId": other["id"], "body": "p"}},
                      headers=world["ada"]))["createDiscussionPost"]["post"]
    assert error_codes(await gql_raw(client, CREATE_POST, {"input": {
        "threadId": thread["id"], "body": "x", "parentPostId": post["id"]}},
        headers=world["ada"])) == ["BAD_USER_INPUT"]
    assert error_codes(await gql_raw(client, THREADS, {"c": g("Course", 999), "first": 1},
                                     headers=world["ada"])) == ["NOT_FOUND"]


# --- course reviews ------------------------------------------------------------------------

RATE = """
mutation($input: RateCourseInput!) {
  rateCourse(input: $input) { review { id rating review author { fullName } } }
}"""
REVIEWS = """
query($c: ID!) { courseReviews(courseId: $c, first: 1) {
  totalCount edges { node { rating review } } } }"""


async def test_rate_course_upserts_one_review_per_enrolled_user(client, services, user, world):
    first = (await gql(client, RATE, {"input": {"courseId": world["course"], "rating": 4,
                                                "review": "Good"}},
                       headers=world["ada"]))["rateCourse"]["review"]
    again = (await gql(client, RATE, {"input": {"courseId": world["course"], "rating": 5}},
                       headers=world["ada"]))["rateCourse"]["review"]
    assert again["id"] == first["id"]
    assert (again["rating"], again["review"], again["author"]) == (5, "", {"fullName": "Ada"})
    await gql(client, RATE, {"input": {"courseId": world["course"], "rating": 2,
                                       "review": "Meh"}}, headers=world["bob"])
    data = await gql(client, REVIEWS, {"c": world["course"]})
    assert [e["node"] for e in data["courseReviews"]["edges"]] == [{"rating": 5, "review": ""}]
    assert data["courseReviews"]["totalCount"] == 2
    assert await kinds(services, user) == ["COURSE_REVIEW", "COURSE_REVIEW"]

    for rating in (0, 6):
        assert error_codes(await gql_raw(client, RATE, {"input": {
            "courseId": world["course"], "rating": rating}},
            headers=world["ada"])) == ["BAD_USER_INPUT"]
    for who in ("out", "teacher"):
        assert error_codes(await gql_raw(client, RATE, {"input": {
            "courseId": world["course"], "rating": 3}}, headers=world[who])) == ["FORBIDDEN"]
    assert error_codes(await gql_raw(client, RATE, {"input": {
        "courseId": world["course"], "rating": 3}})) == ["UNAUTHENTICATED"]
    assert error_codes(await gql_raw(client, REVIEWS, {"c": g("Course", 999)})) == ["NOT_FOUND"]


async def test_an_author_who_left_cannot_edit_their_post(client, services, user, world):
    thread = (await gql(client, CREATE_THREAD, {"input": {
        "courseId": world["course"], "title": "t", "body": "b"}},
        headers=world["bob"]))["createDiscussionThread"]["thread"]
    post = (await gql(client, CREATE_POST, {"input": {"threadId": thread["id"], "body": "Mine"}},
                      headers=world["ada"]))["createDiscussionPost"]["post"]
    async with services.db.transaction() as session:
        await session.execute(update(Enrollment).where(Enrollment.user_id == user.id)
                              .values(status="DROPPED"))
    refused = await gql_raw(client, UPDATE_POST, {"input": {"id": post["id"], "body": "Edit"}},
                            headers=world["ada"])
    assert error_codes(refused) == ["FORBIDDEN"]
    assert refused["errors"][0]["message"] == "You are not enrolled in this course"
    async with services.db.session() as session:
        assert (await session.get(DiscussionPost, int(relay.from_base64(post["id"])[1]))
                ).body == "Mine"
    data = await gql(client, UPDATE_POST, {"input": {"id": post["id"], "body": "[removed]"}},
                     headers=world["admin"])
    assert data["updateDiscussionPost"]["post"]["body"] == "[removed]"


REVIEW_NODE = "query($id: ID!) { node(id: $id) { ... on CourseReview { rating } } }"


async def test_reviews_of_unpublished_courses_are_for_staff(client, services, user, world):
    review = (await gql(client, RATE, {"input": {"courseId": world["course"], "rating": 4}},
                        headers=world["ada"]))["rateCourse"]["review"]
    async with services.db.transaction() as session:
        await session.execute(update(Course).where(Course.id == world["course_id"])
                              .values(is_published=False))
    for who in (None, "ada", "out"):
        headers = world[who] if who else None
        hidden = await gql_raw(client, REVIEWS, {"c": world["course"]}, headers=headers)
        assert error_codes(hidden) == ["NOT_FOUND"], who
        assert hidden["errors"][0]["message"] == "Course not found"
        assert (await gql(client, REVIEW_NODE, {"id": review["id"]}, headers=headers)
                ) == {"node": None}, who
    for who in ("teacher", "admin"):
        data = await gql(client, REVIEWS, {"c": world["course"]}, headers=world[who])
        assert [e["node"] for e in data["courseReviews"]["edges"]] == [
            {"rating": 4, "review": ""}]
        assert (await gql(client, REVIEW_NODE, {"id": review["id"]}, headers=world[who])
                ) == {"node": {"rating": 4}}


async def test_community_activity_counts_toward_the_streak(client, services, user, world):
    await gql(client, CREATE_NOTE, {"input": {"courseId": world["course"], "body": "b"}},
              headers=world["ada"])
    me = (await client.get("/api/v1/users/me", headers=world["ada"])).json()
    assert me["current_streak_days"] == 1
    assert me["last_activity_date"] == datetime.now(UTC).date().isoformat()


THREAD_AUTHORS = """
query($c: ID!) { discussionThreads(courseId: $c, first: 50) { edges { node { title
  author { fullName } } } } }"""


async def test_thread_authors_load_in_one_batch(client, services, world):
    from tests.fixtures import count_statements

    async def open_threads(count: int) -> None:
        for i in range(count):
            who = "ada" if i % 2 else "bob"
            await gql(client, CREATE_THREAD, {"input": {"courseId": world["course"],
                                                        "title": f"T{i}", "body": "b"}},
                      headers=world[who])

    # Two documents, each asked once: both run on the general path (a document the server
    # has answered is planned the next time).
    await open_threads(2)
    with count_statements(services) as few:
        await gql(client, THREAD_AUTHORS.replace("query(", "query Few("), {"c": world["course"]},
                  headers=world["bob"])
    await open_threads(6)
    with count_statements(services) as many:
        data = await gql(client, THREAD_AUTHORS.replace("query(", "query Many("),
                         {"c": world["course"]}, headers=world["bob"])
    assert len(data["discussionThreads"]["edges"]) == 8
    assert {e["node"]["author"]["fullName"] for e in data["discussionThreads"]["edges"]} == {
        "Ada", "Bob"}
    assert len(many) == len(few), many.statements


THREADS_WITH_POSTS = """
query($c: ID!) { discussionThreads(courseId: $c, first: 50) { totalCount edges { node { title
  posts(first: 2) { totalCount edges { node { body } } pageInfo { hasNextPage endCursor } } } } }
}"""
MORE_POSTS = """
query($id: ID!, $after: String) { node(id: $id) { ... on DiscussionThread {
  posts(first: 2, after: $after) { totalCount edges { node { body } } pageInfo { hasNextPage } }
} } }"""


async def test_first_posts_of_many_threads_load_in_one_batch(client, services, world):
    from tests.fixtures import count_statements

    async def open_threads(start: int, count: int) -> None:
        for i in range(start, start + count):
            thread = (await gql(client, CREATE_THREAD, {"input": {
                "courseId": world["course"], "title": f"T{i}", "body": "b"}},
                headers=world["ada"]))["createDiscussionThread"]["thread"]
            for j in range(i % 4):
                await gql(client, CREATE_POST, {"input": {"threadId": thread["id"],
                                                          "body": f"T{i}P{j}"}},
                          headers=world["bob"])

    # Each document asked once, on the general path (as in the test above).
    await open_threads(0, 2)
    with count_statements(services) as few:
        await gql(client, THREADS_WITH_POSTS.replace("query(", "query Few("),
                  {"c": world["course"]}, headers=world["bob"])
    await open_threads(2, 4)
    with count_statements(services) as many:
        data = await gql(client, THREADS_WITH_POSTS.replace("query(", "query Many("),
                         {"c": world["course"]}, headers=world["bob"])
    assert len(many) == len(few), many.statements  # the posts of every thread counted at once
    assert data["discussionThreads"]["totalCount"] == 6
    posts = {e["node"]["title"]: e["node"]["posts"] for e in data["discussionThreads"]["edges"]}
    assert [posts[f"T{i}"]["totalCount"] for i in range(6)] == [0, 1, 2, 3, 0, 1]
    assert [p["node"]["body"] for p in posts["T0"]["edges"]] == []
    assert [p["node"]["body"] for p in posts["T2"]["edges"]] == ["T2P0", "T2P1"]
    assert posts["T2"]["pageInfo"]["hasNextPage"] is False
    assert [p["node"]["body"] for p in posts["T3"]["edges"]] == ["T3P0", "T3P1"]
    assert posts["T3"]["pageInfo"]["hasNextPage"] is True

    thread_id = relay.to_base64("DiscussionThread", "4")
    rest = (await gql(client, MORE_POSTS, {"id": thread_id,
                                           "after": posts["T3"]["pageInfo"]["endCursor"]},
                      headers=world["bob"]))["node"]["posts"]
    assert [p["node"]["body"] for p in rest["edges"]] == ["T3P2"]
    assert rest["totalCount"] == 3
    assert rest["pageInfo"]["hasNextPage"] is False
