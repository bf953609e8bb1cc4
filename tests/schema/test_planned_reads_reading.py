"""Planned reads of the reading platform: catalog books with their pages, and a learner's
stats and status (for the platform's services and admins). Each document, asked by an
anonymous visitor, a signed-in user, a platform admin and a service holding the
internal key, answers the same bytes on the planned and the general path (errors
included: an unknown learner, a bad id, a viewer refused); a planned answer is one SQL
statement. Floats keep the general path's form (``3.0``, ``-0.0``)."""

from __future__ import annotations

import uuid

import httpx
import orjson
import pytest
from sqlalchemy import delete

from models.reading import Book, BookPage, Learner, ReadingSession
from tests.fixtures import ask_both, count_statements, without_sign_in
from tests.pickatale.helpers import KEY
from tests.twosigma.catalog_helpers import add, user_with_headers

BOOK = "id title author coverUrl fkGrade wordCount pageCount __typename"
PAGE = "pageNumber text fkGrade wordCount __typename"
STATS = "readingLevel booksRead __typename"
STATUS = "readingLevel booksRead latestReport curriculumState __typename"
TEST_BOOK = "test-planned-9"

CORPUS: list[tuple[str, dict]] = []


def case(query: str, variables: dict | None = None) -> None:
    CORPUS.append((query, variables or {}))


BOOK_QUERY = "query($id: String!) { readingBook(id: $id) { " + BOOK + " pages { " + PAGE + " } } }"
for which in ("14760-1", TEST_BOOK, "no-such-book", "", "x" * 150, TEST_BOOK + "y" * 100):
    case(BOOK_QUERY, {"id": which})
case('{ readingBook(id: "14760-1") { title pages { pageNumber } } }')
for name in BOOK.split():
    case("query($id: String!) { readingBook(id: $id) { " + name + " } }", {"id": TEST_BOOK})
for name in PAGE.split():
    case("query($id: String!) { readingBook(id: $id) { pages { " + name + " } } }",
         {"id": TEST_BOOK})
case('{ a: readingBook(id: "14760-1") { t: title p: pages { n: pageNumber g: fkGrade } } '
     f'b: readingBook(id: "{TEST_BOOK}") {{ ...B }} }} fragment B on ReadingBook {{ fkGrade '
     "pages { ... on ReadingBookPage { fkGrade } } }")
case("query($yes: Boolean!) { readingBook(id: \"14760-1\") { title @include(if: $yes) "
     "pages @skip(if: $yes) { pageNumber } } }", {"yes": True})
case("query($yes: Boolean!) { readingBook(id: \"14760-1\") { title @include(if: $yes) "
     "pages @skip(if: $yes) { pageNumber } } }", {"yes": False})
for root, body in (("readerStats", STATS), ("learnerStatus", STATUS)):
    for which in ("learner", "plain_learner", "missing_learner", "not-a-uuid"):
        case("query($l: UUID!) { " + root + "(learnerId: $l) { " + body + " } }",
             {"l": which})
    for name in body.split():
        case("query($l: UUID!) { " + root + "(learnerId: $l) { " + name + " } }",
             {"l": "learner"})
    # Fields the general path computes: the whole operation goes there.
    case("query($l: UUID!) { " + root + "(learnerId: $l) { readingLevel booksRead "
         "totalMiles } }", {"l": "learner"})
    case("query($l: UUID!) { " + root + "(learnerId: $l) { booksRead } }",
         {"l": "plain_learner"})
case("query($l: UUID!) { learnerStatus(learnerId: $l) { readingLevel vocabGaps { word } "
     "booksCompleted } }", {"l": "learner"})
case("query($l: UUID!) { s: readerStats(learnerId: $l) { r: readingLevel } "
     "b: readingBook(id: \"14760-1\") { title } st: learnerStatus(learnerId: $l) { "
     "...S } } fragment S on LearnerStatus { curriculumState latestReport }",
     {"l": "learner"})


async def seed(services) -> tuple[dict, dict]:
    """Two learners (one with a whole-number level, a report and a curriculum state),
    a book of the test's own with whole and negative-zero grades; the ids by name and
    each viewer's headers."""
    _, user_headers = await user_with_headers(services, "reader@example.com")
    _, admin_headers = await user_with_headers(services, "admin@example.com",
                                               ["PLATFORM_ADMIN"])
    learner, plain = uuid.uuid4(), uuid.uuid4()
    await add(services, Learner, id=learner, reading_level=3.0, latest_report="Reads well.",
              curriculum_state={"zeta": [1, 2.5, None], "a": {"nested": True}, "bb": "x"})
    await add(services, Learner, id=plain, reading_level=4.25)
    # Read through: one book twice and another once; begun only: a third; and a session
    # whose book was never named. Another learner's session counts for them alone.
    for book, completed in (("14760-1", True), ("14760-1", True), ("14760-2", True),
                            ("14760-3", False), (None, True)):
        await add(services, ReadingSession, id=uuid.uuid4(), learner_id=learner,
                  book_id=book, completed=completed)
    await add(services, ReadingSession, id=uuid.uuid4(), learner_id=plain,
              book_id="14760-3", completed=True)
    await add(services, Book, id=TEST_BOOK, title="Planned", author="Test", fk_grade=3.0,
              word_count=12, page_count=2)
    await add(services, BookPage, book_id=TEST_BOOK, page_number=2, text="Second page.",
              fk_grade=-0.0, word_count=2)
    await add(services, BookPage, book_id=TEST_BOOK, page_number=1,
              text="The first page of it.", fk_grade=2.5, word_count=5)
    ids = {"learner": str(learner), "plain_learner": str(plain),
           "missing_learner": str(uuid.uuid4())}
    return ids, {"anonymous": {}, "user": user_headers, "admin": admin_headers,
                 "service": KEY}


async def unseed(services) -> None:
    """The catalog's tables are kept between tests: take the test's book out again."""
    async with services.db.transaction() as session:
        await session.execute(delete(BookPage).where(BookPage.book_id == TEST_BOOK))
        await session.execute(delete(Book).where(Book.id == TEST_BOOK))


def resolve(value, ids: dict):
    if isinstance(value, dict):
        return {k: resolve(v, ids) for k, v in value.items()}
    return ids.get(value, value) if isinstance(value, str) else value


@pytest.fixture
async def seeded(services, clean_db):
    try:
        yield await seed(services)
    finally:
        await unseed(services)


async def test_reading_reads_answer_the_same_bytes_on_both_paths(server, general, seeded,
                                                                 services):
    ids, viewers = seeded
    planned = []
    mismatches = []
    async with httpx.AsyncClient(base_url=server.base_url, timeout=30) as planned_http, \
            httpx.AsyncClient(base_url=general.base_url, timeout=30) as plain:
        for query, variables in CORPUS:
            body = {"query": query, "variables": resolve(variables, ids)}
            for viewer, headers in viewers.items():
                both = await ask_both(planned_http, plain, server, services, body, headers)
                answer, statements = both.answer, both.statements
                if both.mismatch:
                    mismatches.append((viewer, query, variables, *both.mismatch))
                reads = without_sign_in(statements)
                if any("json_build_object" in s for s in reads) and len(reads) > 1:
                    # A guard sent it to the general path: only for that path's errors.
                    assert b'"errors"' in answer.content, (viewer, query, variables)
                elif any("json_build_object" in s for s in reads):
                    assert len(reads) == 1, (viewer, query, reads)
                    planned.append((viewer, query))
    assert mismatches == []
    # Every planned root answers from a plan for the viewers it admits.
    for root in ("readingBook", "readerStats", "learnerStatus"):
        assert {viewer for viewer, query in planned if f"{root}(" in query} >= (
            {"service", "admin"} if root != "readingBook" else set(viewers)), root
    assert len(planned) >= len(CORPUS) * 2, len(planned)


async def test_floats_keep_their_form_on_the_planned_path(server, seeded, services):
    ids, _ = seeded
    book = {"query": BOOK_QUERY, "variables": {"id": TEST_BOOK}}
    status = {"query": "query($l: UUID!) { learnerStatus(learnerId: $l) { " + STATUS + " } }",
              "variables": {"l": ids["learner"]}}
    async with httpx.AsyncClient(base_url=server.base_url, timeout=30) as http:
        for body in (book, status):
            await http.post("/graphql", json=body, headers=KEY)
        with count_statements(services) as counter:
            answers = [await http.post("/graphql", json=body, headers=KEY)
                       for body in (book, status)]
    assert len([s for s in counter.statements if "json_build_object" in s]) == 2
    content = answers[0].content
    assert b'"fkGrade":3.0' in content and b'"fkGrade":-0.0' in content
    assert b'"fkGrade":2.5' in content
    assert [p["pageNumber"] for p in answers[0].json()["data"]["readingBook"]["pages"]] == [1, 2]
    assert orjson.loads(answers[1].content)["data"]["learnerStatus"] == {
        "readingLevel": 3.0, "booksRead": 2, "latestReport": "Reads well.",
        "__typename": "LearnerStatus",
        "curriculumState": {"zeta": [1, 2.5, None], "a": {"nested": True}, "bb": "x"}}
    assert b'"readingLevel":3.0' in answers[1].content
    # The books read: distinct books of finished sessions, on the general path too.
    async with httpx.AsyncClient(base_url=server.base_url, timeout=30) as http:
        stats = await http.get("/compat/pickatale-reader/api/internal/learner/"
                               + ids["learner"], headers=KEY)
    assert stats.status_code == 200 and stats.json()["books_read"] == 2
