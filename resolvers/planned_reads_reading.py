"""The reading platform's reads that run as planned SQL (see ``core.planning``), with the
rules of their resolvers: the book catalog is anyone's (``reading_books``), and a
learner's stats and status are for the platform's services and admins
(``reading.is_internal``, the test ``require_internal`` makes), NOT_FOUND for a learner
the platform does not know (the general path's error, as its guard).

Left to the general path by design:
- ``totalMiles`` (a sum of floats rounded in Python), ``booksCompleted`` (books in the
  order the learner finished them: a grouped list of strings no planned form
  expresses), ``readingLevelHistory``, ``comprehensionTrend`` (the last rows of a
  history, scores rounded in Python) and ``vocabGaps`` (the words grouped and ranked);
- ``bookRecommendations`` (scored in Python), ``curriculumObjectives`` (its own page
  shape and cursor, not a connection), ``orchestrationStatus`` (the last run and the
  quiz after it, read into a next action in Python);
- everything that writes or calls the model: telemetry and session ends, quiz results,
  leveled pages and adapted books, comprehension questions and their scoring, lesson
  material (``generateIntelligence``) and orchestration runs.
"""

from __future__ import annotations

import uuid

from core.planning import (
    Column,
    Count,
    Json,
    Many,
    Rows,
    TypeForm,
    python_float,
    register_root,
    register_type,
)
from models.reading import Book, BookPage, Learner, ReadingSession
from resolvers import reading, reading_books, reading_learners

register_type(TypeForm("ReadingBook", Book.__table__, by_id=False, fields={
    "id": Column("id"),
    "title": Column("title"),
    "author": Column("author"),
    "coverUrl": Column("cover_url"),
    "fkGrade": python_float(Book.fk_grade),
    "wordCount": Column("word_count"),
    "pageCount": Column("page_count"),
    "pages": Many("ReadingBookPage", key="book_id", order=("page_number",)),
}))

register_type(TypeForm("ReadingBookPage", BookPage.__table__, by_id=False, fields={
    "pageNumber": Column("page_number"),
    "text": Column("text"),
    "fkGrade": python_float(BookPage.fk_grade),
    "wordCount": Column("word_count"),
}))

# A learner's row, as ``readerStats`` and ``learnerStatus`` show it.
LEARNER = {
    "readingLevel": python_float(Learner.reading_level),
    "booksRead": Count(ReadingSession.__table__, "learner_id", distinct="book_id",
                       where=(reading_learners.READ_THROUGH,)),
}

register_type(TypeForm("ReaderStats", Learner.__table__, by_id=False, fields=LEARNER))

register_type(TypeForm("LearnerStatus", Learner.__table__, by_id=False, fields={
    **LEARNER,
    "latestReport": Column("latest_report"),
    "curriculumState": Json("curriculum_state"),
}))

register_root("readingBook", Rows("ReadingBook", arguments=(("id", "id"),),
                                  parse=reading_books.lookup_id))
for _root, _type in (("readerStats", "ReaderStats"), ("learnerStatus", "LearnerStatus")):
    register_root(_root, Rows(_type, arguments=(("learnerId", "id"),), parse=uuid.UUID,
                              required=True, allowed=reading.is_internal))
